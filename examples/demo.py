"""``make demo``: train RNN, LSTM and GRU regressors on the adding problem, track every run in
MLflow, and write what a paper needs into one folder.

Runs go to ``MLFLOW_TRACKING_URI`` when set, else to MLflow's embedded default store in the
working directory (``mlflow.db``). The output folder gets each run's record (as loaded back from
MLflow), a model card per run (Markdown and HTML), the CRediT statement in every format, the
hyperparameter and multi-seed results tables, and the reproducibility check report. An output
whose format is not available in this installation is listed as skipped, with the reason.

    python examples/demo.py --out demo-output [--quick]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
from rich.console import Console
from rich.table import Table
from train import CONTRIBUTORS, Outcome, Settings, train

import repro
from repro.errors import ReproError
from repro.files.atomic import write_atomic
from repro.files.records import dump_record
from repro.record import RunRecord

CELLS = ("rnn", "lstm", "gru")
CREDIT_FORMATS = ("credit-text", "credit-jats", "credit-jsonld", "credit-csv", "credit-bibtex")
TABLE_FORMATS = ("hparams-latex", "hparams-md", "results-md", "results-latex", "results-csv")
QUICK = Settings(
    steps=12,
    length=8,
    eval_every=6,
    watch_every=5,
    examples={"train": 128, "validation": 32, "test": 32},
)


@dataclass
class Outputs:
    """What the demo wrote, skipped (format not available) and failed to write."""

    root: Path
    written: list[Path] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

    def rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def write(self, path: Path, make: Callable[[], str]) -> None:
        """Write ``make()`` to ``path`` atomically, or note why it could not be made."""
        try:
            text = make()
        except ReproError as exc:
            self.failed.append((self.rel(path), str(exc)))
            return
        write_atomic(path, text)
        self.written.append(path)

    def render(self, path: Path, source: Any, fmt: str, **options: Any) -> None:
        """Render ``source`` as ``fmt`` into ``path``; a format not registered is skipped."""
        missing = format_missing(fmt)
        if missing:
            self.skipped.append((self.rel(path), missing))
            return
        self.write(path, lambda: repro.render(source, fmt, **options))


def format_missing(fmt: str) -> str | None:
    """Why ``fmt`` cannot be rendered in this installation, or None when it can."""
    try:
        formats = repro.FORMATS
    except (ImportError, AttributeError) as exc:
        return f"repro.render is not available ({exc})"
    if fmt not in formats:
        return f"output format {fmt!r} is not registered (known: {', '.join(sorted(formats))})"
    return None


def suffix(fmt: str, default: str) -> str:
    """The file suffix a registered format declares."""
    return (
        getattr(repro.FORMATS.get(fmt), "suffix", default) if not format_missing(fmt) else default
    )


def reload(outcome: Outcome) -> tuple[RunRecord, str]:
    """The run's record read back from MLflow (the round trip a paper's tables rely on)."""
    if not outcome.online:
        return outcome.record, "journal only (store unreachable: `repro sync`)"
    record = repro.load_run(outcome.run_id)
    same = record == outcome.record
    return record, "MLflow (round trip equal)" if same else "MLflow (round trip DIFFERS)"


def write_everything(outcomes: list[Outcome], out: Outputs) -> tuple[list[RunRecord], list[str]]:
    """Records, cards, CRediT statements and tables for the finished runs."""
    records, origins = [], []
    for outcome in outcomes:
        record, origin = reload(outcome)
        records.append(record)
        origins.append(origin)
        name = record.run.name
        out.write(out.root / "records" / f"{name}.yaml", lambda r=record: dump_record(r, "yaml"))
        out.render(out.root / "cards" / f"{name}{suffix('card-md', '.md')}", record, "card-md")
        out.render(
            out.root / "cards" / f"{name}{suffix('card-html', '.html')}", record, "card-html"
        )
    contributors = repro.load_contributors(CONTRIBUTORS)
    for fmt in CREDIT_FORMATS:
        out.render(out.root / "credit" / f"credit{suffix(fmt, '.txt')}", contributors, fmt)
    one_per_cell: dict[str, RunRecord] = {}
    for record in records:
        one_per_cell.setdefault(record.run.tags.get("cell", record.run.name), record)
    for fmt in TABLE_FORMATS:
        source = list(one_per_cell.values()) if fmt.startswith("hparams") else records
        kind = fmt.split("-")[0]
        out.render(out.root / "tables" / f"{kind}{suffix(fmt, '.txt')}", source, fmt)
    return records, origins


def check_report(records: list[RunRecord], out: Outputs) -> str:
    """Check every record against the ML reproducibility profile; a one-line verdict."""
    try:
        report = repro.check(records, profile="ml-reproducibility")
    except (ImportError, AttributeError) as exc:
        out.skipped.append(("check-report.txt", f"repro check is not available ({exc})"))
        return "check report: not available yet"
    out.render(out.root / "check-report.txt", report, "check-text")
    verdict = "passed" if report.passed else "FAILED"
    return (
        f"check ({report.profile.name}): {verdict}, {len(report.errors)} error(s), "
        f"{len(report.warnings)} warning(s) over {len(records)} records"
    )


def summary_table(records: list[RunRecord], outcomes: list[Outcome], origins: list[str]) -> Table:
    table = Table(title="Adding problem: RNN vs LSTM vs GRU", title_justify="left")
    for column in ("run", "test MSE", "test acc.", "grad ratio t0/tT", "clipped", "time", "record"):
        table.add_column(column, justify="left" if column in ("run", "record") else "right")
    for record, outcome, origin in zip(records, outcomes, origins, strict=True):
        mse, acc = record.metric("mse", "test"), record.metric("accuracy", "test")
        diag = record.diagnostics
        flow = diag.gradient_flow[-1] if diag and diag.gradient_flow else None
        ratio = flow.ratio_first_last if flow else None
        clip = diag.clipping if diag else None
        table.add_row(
            record.run.name,
            f"{mse.value:.4f}" if mse else "-",
            f"{acc.value:.1%}" if acc else "-",
            f"{ratio:.2e}" if ratio is not None else "-",
            f"{clip.clipped_steps}/{clip.steps}" if clip else "-",
            f"{outcome.seconds:.1f} s",
            origin,
        )
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("demo-output"), help="output folder")
    parser.add_argument("--seeds", type=int, default=2, help="training seeds per cell")
    parser.add_argument("--steps", type=int, help=f"training steps (default {Settings.steps})")
    parser.add_argument("--quick", action="store_true", help="tiny runs, for tests")
    args = parser.parse_args(argv)
    if args.seeds < 1 or (args.steps is not None and args.steps < 1):
        parser.error("--seeds and --steps must be >= 1")
    settings = QUICK if args.quick else Settings()
    if args.steps is not None:
        settings = replace(settings, steps=args.steps)
    torch.set_num_threads(1)  # models this small run fastest on one thread
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    console = Console(width=max(Console().width, 110))
    from repro.tracking.store import resolve_uri

    console.print(f"[bold]repro demo[/]: tracking runs in {resolve_uri()}")
    started = time.perf_counter()
    outcomes = []
    for cell in CELLS:
        for seed in range(args.seeds):
            outcome = train(cell, seed, settings)
            mse = outcome.record.metric("mse", "test")
            console.print(
                f"  trained {outcome.record.run.name:<20} test MSE "
                f"{mse.value if mse else float('nan'):.4f}  ({outcome.seconds:.1f} s, "
                f"run {outcome.run_id})"
            )
            outcomes.append(outcome)

    out = Outputs(args.out.resolve())
    records, origins = write_everything(outcomes, out)
    verdict = check_report(records, out)

    console.print(summary_table(records, outcomes, origins))
    console.print(f"{len(out.written)} files written under {args.out}/")
    console.print(verdict)
    for path, reason in out.skipped:
        console.print(f"[yellow]skipped[/] {path}: {reason}")
    for path, reason in out.failed:
        console.print(f"[red]failed[/] {path}: {reason}")
    console.print(f"demo took {time.perf_counter() - started:.1f} s")
    return 1 if out.failed else 0


if __name__ == "__main__":
    sys.exit(main())
