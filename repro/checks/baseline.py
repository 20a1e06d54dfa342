"""``--baseline``: is a metric worse than the baseline's by more than run-to-run noise?

For each metric both sides report with a known direction, the 95% Welch interval of the
difference of means (in the "worse" direction) is computed from the runs' values; the check
fails only when the whole interval lies on the worse side, so one seed's luck fails nothing.
With one run on a side, the other side's spread stands in for both; with no spread anywhere
the metric cannot be judged and says so (a warning).
"""

from __future__ import annotations

import math
import statistics
from typing import Any

from repro.checks.group import result_values
from repro.checks.models import BASELINE_LABEL, Finding, Requirement
from repro.checks.rules import Data

LEVEL = 0.95


def _direction(runs: list[Data], key: tuple[str, str | None]) -> bool | None:
    for data in runs:
        for m in data.get("results", []):
            if (m["name"], m.get("split")) == key and m.get("higher_is_better") is not None:
                return bool(m["higher_is_better"])
    return None


def _stated_std(runs: list[Data], key: tuple[str, str | None]) -> float | None:
    for data in runs:
        for m in data.get("results", []):
            if (m["name"], m.get("split")) == key and m.get("std") is not None:
                return float(m["std"])
    return None


def _interval(a: list[float], b: list[float], fallback: float | None) -> tuple[float, float] | None:
    """95% interval of mean(a) - mean(b): Welch when both sides have several values, else the
    spread of the side that has one (or a stated std) for both; None when no spread is known."""
    from scipy import stats

    diff = statistics.fmean(a) - statistics.fmean(b)
    na, nb = len(a), len(b)
    if na > 1 and nb > 1:
        va, vb = statistics.variance(a) / na, statistics.variance(b) / nb
        se = math.sqrt(va + vb)
        if se == 0:
            return diff, diff
        df = (va + vb) ** 2 / (va**2 / (na - 1) + vb**2 / (nb - 1))
    else:
        several = a if na > 1 else b if nb > 1 else None
        sd = statistics.stdev(several) if several else fallback
        if sd is None:
            return None
        se = sd * math.sqrt(1 / na + 1 / nb)
        df = (len(several) - 1) if several else max(na + nb - 1, 1)
    half = float(stats.t.ppf(0.5 + LEVEL / 2, df)) * se
    return diff - half, diff + half


def compare(
    candidates: list[Data], baselines: list[Data], baseline_name: str
) -> tuple[list[Requirement], list[Finding], list[dict[str, Any]]]:
    """One requirement per metric compared, the findings of those that fail (or cannot be
    judged), and each comparison as data with a sentence."""
    ours, theirs = result_values(candidates), result_values(baselines)
    requirements, findings, comparisons = [], [], []
    for key in [k for k in ours if k in theirs]:
        name, split = key
        higher = _direction(candidates + baselines, key)
        label = f"{name} ({split})" if split else name
        if higher is None:
            continue
        fallback = _stated_std(baselines, key) or _stated_std(candidates, key)
        interval = _interval(ours[key], theirs[key], fallback)
        sign = -1.0 if higher else 1.0  # "worse" is positive
        judged = interval is not None
        worse = sorted((sign * interval[0], sign * interval[1])) if interval is not None else None
        failed = worse is not None and worse[0] > 0
        req = Requirement(
            id=f"baseline.{name}" + (f".{split}" if split else ""),
            path="results",
            message=f"Keep {label} no worse than {baseline_name} beyond run-to-run noise.",
            severity="error" if judged else "warning",
            reference=f"repro --baseline: {LEVEL:.0%} Welch interval of the difference of means",
        )
        requirements.append(req)
        mean_c, mean_b = statistics.fmean(ours[key]), statistics.fmean(theirs[key])
        if worse is None:
            sentence = (
                f"baseline: {label}: {mean_c:.4g} vs {mean_b:.4g}; no run-to-run spread on "
                "either side, so the difference cannot be judged"
            )
        else:
            verdict = "worse beyond noise" if failed else "within noise or better"
            sentence = (
                f"baseline: {label}: {mean_c:.4g} (n={len(ours[key])}) vs {mean_b:.4g} "
                f"(n={len(theirs[key])}); worse by [{worse[0]:.3g}, {worse[1]:.3g}] "
                f"({LEVEL:.0%} interval): {verdict}"
            )
        comparisons.append(
            {
                "name": name,
                "split": split,
                "higher_is_better": higher,
                "candidate_mean": mean_c,
                "baseline_mean": mean_b,
                "candidate_n": len(ours[key]),
                "baseline_n": len(theirs[key]),
                "worse_interval": worse,
                "failed": failed,
                "sentence": sentence,
            }
        )
        if failed or not judged:
            findings.append(
                Finding(req, BASELINE_LABEL, sentence.removeprefix("baseline: "), ("results",))
            )
    return requirements, findings, comparisons
