"""Aggregation over seeds and record diffs: the numbers a results table stands on."""

from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

import pytest
from scipy import stats

import repro
from repro.record.paths import MISSING
from repro.report.aggregate import aggregate, config_fingerprint
from repro.report.diff import diff_records

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "records" / "lstm-adding.yaml"


def variant(seed: int, mse: float, cell: str = "lstm", lr: float = 0.001) -> repro.RunRecord:
    data = repro.load_record(EXAMPLE).to_dict()
    data["run"]["name"] = f"{cell}-lr{lr}-seed{seed}"
    data["training"]["seeds"] = {"torch": seed, "python": seed}
    data["training"]["optimizer"]["settings"]["lr"] = lr
    data["architecture"]["recurrent_layers"][0]["cell"] = cell
    data["results"] = [{"name": "mse", "value": mse, "split": "test", "higher_is_better": False}]
    return repro.RunRecord.model_validate(data)


def test_seeds_share_a_fingerprint_and_configs_do_not() -> None:
    assert config_fingerprint(variant(0, 1.0)) == config_fingerprint(variant(1, 2.0))
    assert config_fingerprint(variant(0, 1.0)) != config_fingerprint(variant(0, 1.0, lr=0.003))


def test_mean_std_and_t_interval_match_scipy() -> None:
    values = [0.0021, 0.0025, 0.0019, 0.0030]
    table = aggregate([variant(s, v) for s, v in enumerate(values)])
    (group,) = table.groups
    cell = group.cells[("mse", "test")]
    assert cell.n == 4
    assert cell.mean == pytest.approx(statistics.fmean(values))
    assert cell.std == pytest.approx(statistics.stdev(values))
    low, high = stats.t.interval(
        0.95, 3, loc=statistics.fmean(values), scale=statistics.stdev(values) / 2
    )
    ci = cell.ci()
    assert ci is not None and (ci.low, ci.high) == pytest.approx((low, high))
    assert cell.higher_is_better is False


def test_single_run_has_no_spread() -> None:
    (group,) = aggregate([variant(0, 0.5)]).groups
    cell = group.cells[("mse", "test")]
    assert cell.std is None and cell.ci() is None and cell.n == 1


def test_groups_are_labelled_by_what_differs() -> None:
    runs = [variant(s, 0.1 * s, cell=c) for c in ("lstm", "gru") for s in (1, 2)]
    table = aggregate(runs)
    assert [g.label for g in table.groups] == ["cell=lstm", "cell=gru"]
    assert [len(g.runs) for g in table.groups] == [2, 2]


def test_group_by_field_path() -> None:
    runs = [
        variant(s, 0.1, cell=c, lr=lr)
        for c in ("lstm", "gru")
        for lr in (1e-3, 3e-3)
        for s in (1, 2)
    ]
    table = aggregate(runs, group_by=["architecture.recurrent_layers[0].cell"])
    assert [g.label for g in table.groups] == ["cell=lstm", "cell=gru"]
    assert all(g.cells[("mse", "test")].n == 4 for g in table.groups)


def test_per_seed_values_are_expanded() -> None:
    record = variant(0, 0.2)
    record.results[0].per_seed = {0: 0.1, 1: 0.3}
    (group,) = aggregate([record]).groups
    assert group.cells[("mse", "test")].values == (0.1, 0.3)


def test_diff_lists_changed_added_and_removed_fields() -> None:
    left, right = variant(0, 0.1), variant(1, 0.1, lr=0.003)
    right.card = None
    changes = {c.path: (c.left, c.right) for c in diff_records(left, right)}
    assert changes["training.optimizer.settings.lr"] == (0.001, 0.003)
    assert changes["training.seeds.torch"] == (0, 1)
    assert changes["card.license"] == ("mit", MISSING)
    assert "run.started" not in changes  # times differ between any two runs: opt-in
    assert diff_records(left, left) == []


def seeds_by_cell() -> list[repro.RunRecord]:
    return [
        variant(s, 0.1 * s + (0.5 if c == "gru" else 0.0), cell=c)
        for c in ("lstm", "gru")
        for s in (1, 2, 3)
    ]


def test_results_markdown_marks_the_best_and_gives_the_interval() -> None:
    text = repro.render(seeds_by_cell(), "results-md")
    lines = text.splitlines()
    assert lines[0] == "| Configuration | Runs | mse (test) ↓ |"
    assert lines[2].startswith("| cell=lstm | 3 | **0.20 ± 0.10** [")  # lower mse is better
    assert lines[3].startswith("| cell=gru | 3 | 0.70 ± 0.10")
    assert "95% Student-t confidence interval" in text


def test_results_csv_round_trips_the_statistics() -> None:
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(repro.render(seeds_by_cell(), "results-csv"))))
    assert [r["configuration"] for r in rows] == ["cell=lstm", "cell=gru"]
    assert float(rows[0]["mean"]) == pytest.approx(0.2) and rows[0]["n"] == "3"
    assert float(rows[0]["ci_low"]) < 0.2 < float(rows[0]["ci_high"])


def test_results_latex_escapes_user_text() -> None:
    runs = seeds_by_cell()
    text = repro.render(runs, "results-latex", caption="50% of R&D_{x}")
    assert r"\caption{50\% of R\&D\_\{x\}." in text
    assert r"\toprule" in text and r"\bottomrule" in text
    assert text.count("{") == text.count("}")


def test_report_cli_writes_atomically(tmp_path: Path) -> None:
    files = []
    for i, record in enumerate(seeds_by_cell()):
        files.append(str(repro.save_record(record, tmp_path / f"r{i}.yaml")))
    out = tmp_path / "table.html"
    result = subprocess.run(
        [sys.executable, "-m", "repro", "report", *files, "--format", "html", "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    html = out.read_text(encoding="utf-8")
    assert html.count('<tr><th scope="row">') == 2 and 'class="best"' in html


def test_report_hparams_table(tmp_path: Path) -> None:
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    repro.save_record(variant(0, 0.1), a)
    repro.save_record(variant(0, 0.1, lr=0.003), b)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "repro",
            "report",
            str(a),
            str(b),
            "--table",
            "hparams",
            "--format",
            "latex",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert r"\toprule" in result.stdout and "0.003" in result.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "repro", "report", str(a), "--table", "hparams", "--format", "csv"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "md or latex" in bad.stderr


def test_report_and_diff_on_files_import_neither_torch_nor_mlflow(tmp_path: Path) -> None:
    a, b = (
        repro.save_record(variant(0, 0.1), tmp_path / "a.yaml"),
        repro.save_record(variant(1, 0.2), tmp_path / "b.yaml"),
    )
    script = f"""
import contextlib, io, sys
from repro.cli import main
for argv in (["report", {str(a)!r}, {str(b)!r}], ["diff", {str(a)!r}, {str(b)!r}]):
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            main(argv)
        except SystemExit as exc:
            assert exc.code == 0, (argv, exc.code)
print(sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "mlflow", "deepsig")))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
