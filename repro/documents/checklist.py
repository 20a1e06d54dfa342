"""A venue's checklist filled in from the records: each item's answer with its justification.

``build_checklist(records, profile)`` runs the profile's check on the records (as one group
when there are several), then answers each checklist item: the authors' attestation where the
item is a statement (an honest "no" stays "no"), else Yes when every requirement of the item is
met, No (with what is missing) when one is not. Justifications are made only of what the
records hold, quoted from them; nothing is invented. ``checklist-md`` and ``checklist-latex``
render it, the latter with the official answer macros (``\\answerYes{}``...).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from repro.checks.engine import check
from repro.checks.group import result_label
from repro.checks.models import CheckReport, Profile, Requirement
from repro.checks.profiles import load_profile
from repro.checks.rules import has_value, located
from repro.record import RunRecord

Answer = Literal["yes", "no", "n/a"]
MAX_VALUES = 3  # distinct values quoted per field before "and N more"


@dataclass(frozen=True)
class ChecklistItem:
    """One checklist question, answered: ``answer`` (yes/no/n/a) and why, from the records."""

    item: str
    title: str
    question: str | None  # verbatim, or marked "(paraphrase)" by the profile
    answer: Answer
    justification: str
    evidence: list[str]  # one sentence per requirement of the item
    missing: list[str]  # what the records lack for this item (the reasons for a No)


@dataclass(frozen=True)
class Checklist:
    profile: str
    title: str
    source: str
    runs: int
    items: list[ChecklistItem]
    complete: bool  # every item answered Yes, or by the authors, with nothing missing


def _value_text(value: Any) -> str:
    """A recorded value as a short phrase: settings as ``key=value``, lists by their length."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict):
        pairs = [f"{k}={_value_text(v)}" for k, v in value.items() if not isinstance(v, dict)]
        return ", ".join(pairs[:5]) + (", ..." if len(pairs) > 5 else "") or "recorded"
    if isinstance(value, list):
        if all(not isinstance(v, (dict, list)) for v in value):
            return "[" + ", ".join(_value_text(v) for v in value) + "]"
        return f"{len(value)} entr{'y' if len(value) == 1 else 'ies'}"
    return str(value)


def _recorded(datas: list[dict[str, Any]], req: Requirement) -> str | None:
    """``field: value, value`` as the records hold it (distinct values across the runs)."""
    for path in (req.path, *req.any_of):
        values: list[str] = []
        for data in datas:
            for _, value in located(data, path):
                if not has_value(value):
                    continue
                text = _value_text(value)
                if text not in values:
                    values.append(text)
        if values:
            shown = ("; " if any(", " in v for v in values) else ", ").join(values[:MAX_VALUES])
            more = f" and {len(values) - MAX_VALUES} more" if len(values) > MAX_VALUES else ""
            return f"{path}: {shown}{more}"
    return None


def _group_evidence(report: CheckReport, req: Requirement) -> str | None:
    facts = report.group
    if facts is None or req.group_rule in (None, "attested"):
        return None
    if req.group_rule == "search-budget":
        if facts.search_budget is None:
            return None
        return f"search budget {facts.search_budget} ({facts.search_budget_source})"
    parts = []
    for e in facts.results:
        spread = f" ± {e['std']:.2g} (sample std)" if e["std"] is not None else ""
        parts.append(f"{result_label(e)} {e['mean']:.4g}{spread} over n={e['n']} runs")
    return "; ".join(parts) or None


def _title(req: Requirement) -> str:
    ref = req.reference or req.id
    return ref.split(", ", 1)[1].split(" (")[0] if ", " in ref else ref


def build_checklist(
    records: RunRecord | list[RunRecord], profile: str | Profile = "neurips"
) -> Checklist:
    """The checklist of ``profile`` answered from ``records`` (several judged as one group)."""
    prof = load_profile(profile) if isinstance(profile, str) else profile
    runs = records if isinstance(records, list) else [records]
    report = check(runs, prof, group="the runs" if len(runs) > 1 else False)
    datas = [r.to_dict() for r in runs]
    unmet: dict[str, list[str]] = {}
    for f in report.findings:
        unmet.setdefault(f.requirement.id, []).append(f.detail)
    order: dict[str, list[Requirement]] = {}
    for req in prof.requirements:
        order.setdefault(req.item or req.id, []).append(req)
    items = []
    for number, reqs in order.items():
        evidence, missing, attested = [], [], []
        for req in reqs:
            if req.rule == "attested":
                answer = next(
                    (d["attestations"][req.attestation_key] for d in datas
                     if req.attestation_key in (d.get("attestations") or {})),
                    None,
                )  # fmt: skip
                if req.id in unmet or answer is None:
                    missing.append(f"{req.message} ({unmet.get(req.id, ['not answered'])[0]})")
                else:
                    attested.append(answer["answer"])
                    said = answer["justification"].strip().rstrip(".")
                    evidence.append(f"the authors answer {answer['answer']}: {said}")
                continue
            if req.id in unmet:
                missing.append(f"{req.message} ({unmet[req.id][0]})")
                continue
            said = _group_evidence(report, req) or _recorded(datas, req)
            if said and said not in evidence:
                evidence.append(said)
        if "no" in attested or missing:
            answer: Answer = "no"
        elif attested and all(a == "n/a" for a in attested):
            answer = "n/a"
        else:
            answer = "yes"
        parts = []
        if evidence:
            parts.append("From the records: " + "; ".join(evidence) + ".")
        if missing:
            parts.append("Not recorded: " + " ".join(missing))
        question = next((r.question for r in reqs if r.question), None)
        head = next((r for r in reqs if r.question), reqs[0])
        items.append(
            ChecklistItem(
                item=number,
                title=_title(head),
                question=question,
                answer=answer,
                justification=" ".join(parts),
                evidence=evidence,
                missing=missing,
            )
        )
    return Checklist(
        profile=prof.name,
        title=prof.title,
        source=prof.source,
        runs=len(runs),
        items=items,
        complete=all(not i.missing for i in items),
    )


def checklist(
    source: RunRecord | list[RunRecord] | tuple[RunRecord, ...],
    profile: str | Profile = "neurips",
) -> Checklist:
    """The ``checklist-md`` / ``checklist-latex`` document: ``build_checklist`` of the records."""
    return build_checklist(list(source) if isinstance(source, (list, tuple)) else source, profile)
