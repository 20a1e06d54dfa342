"""Expected best score by tuning budget: Dodge et al. 2019 and Tang et al. 2020, pinned to
hand-computed values and to the definitions they state."""

from __future__ import annotations

import itertools
import math
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

import repro
from repro.errors import InvalidInputError
from repro.record import Metric, RunRecord
from repro.report.budget import budget_curves, curve_points, expected_max, p_no_result

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "records" / "lstm-adding.yaml"


def test_dodge_expected_max_by_hand() -> None:
    # v = 1, 2, 3: weights (i/3)^n - ((i-1)/3)^n
    assert expected_max([3, 1, 2], 1) == pytest.approx((2.0, math.sqrt(2 / 3)))
    mean, std = expected_max([1, 2, 3], 2)  # type: ignore[misc]
    assert mean == pytest.approx(22 / 9)  # (1*1 + 2*3 + 3*5) / 9
    assert std == pytest.approx(math.sqrt(342 / 729))
    assert expected_max([1, 2, 3], 3)[0] == pytest.approx(72 / 27)  # type: ignore[index]


def test_n_1_is_the_mean_and_large_n_approaches_the_max() -> None:
    values = [0.61, 0.72, 0.55, 0.80, 0.67]
    assert expected_max(values, 1)[0] == pytest.approx(statistics.fmean(values))  # type: ignore[index]
    assert expected_max(values, 1, replace=False)[0] == pytest.approx(statistics.fmean(values))  # type: ignore[index]
    at_n = expected_max(values, len(values))[0]  # type: ignore[index]
    assert statistics.fmean(values) < at_n < max(values)
    assert expected_max(values, 200)[0] == pytest.approx(max(values), abs=1e-12)  # type: ignore[index]
    # without replacement, n = N is the best trial exactly, with no spread
    assert expected_max(values, len(values), replace=False) == pytest.approx((0.80, 0.0))
    assert expected_max(values, len(values) + 1, replace=False) is None


def test_unbiased_estimator_matches_its_definition() -> None:
    # Tang et al. 2020: sum_i v_(i) C(i-1, n-1) / C(N, n), which is the mean of the best over
    # every subset of n distinct trials
    values = [0.3, 0.9, 0.1, 0.5, 0.7, 0.2]
    ordered = sorted(values)
    for n in range(1, len(values) + 1):
        formula = sum(
            v * math.comb(i - 1, n - 1) for i, v in enumerate(ordered, start=1)
        ) / math.comb(len(values), n)
        subsets = statistics.fmean(max(s) for s in itertools.combinations(values, n))
        assert expected_max(values, n, replace=False)[0] == pytest.approx(formula)  # type: ignore[index]
        assert formula == pytest.approx(subsets)
    # with replacement, the mean of the best over every ordered draw of n (Dodge et al.)
    draws = statistics.fmean(max(d) for d in itertools.product(values, repeat=3))
    assert expected_max(values, 3)[0] == pytest.approx(draws)  # type: ignore[index]


def test_trials_without_a_score_count_toward_the_budget() -> None:
    # 3 scores + 1 failed trial: a draw of the failure yields no model
    values = [1.0, 2.0, 3.0]
    with_failure = expected_max(values, 2, failures=1)
    draws = [d for d in itertools.product([*values, None], repeat=2) if any(d)]
    best = statistics.fmean(max(v for v in d if v is not None) for d in draws)
    assert with_failure is not None and with_failure[0] == pytest.approx(best)
    assert p_no_result(2, 4, 1) == pytest.approx(1 / 16)
    assert expected_max(values, 1, failures=1)[0] == pytest.approx(2.0)  # type: ignore[index]
    # without replacement, over every subset with at least one score
    subsets = [s for s in itertools.combinations([*values, None], 2) if any(s)]
    exact = statistics.fmean(max(v for v in s if v is not None) for s in subsets)
    assert expected_max(values, 2, failures=1, replace=False)[0] == pytest.approx(exact)  # type: ignore[index]


def test_lower_is_better_takes_the_minimum() -> None:
    points = curve_points([0.3, 0.1, 0.2], failures=0, higher_is_better=False)
    assert points[0].expected == pytest.approx(0.2)
    assert points[-1].unbiased == pytest.approx(0.1)
    assert [p.n for p in points] == [1, 2, 3]


def trial(i: int, value: float | None, method: str = "random", cell: str = "lstm") -> RunRecord:
    data = repro.load_record(EXAMPLE).to_dict()
    data["run"]["name"] = f"{cell}-trial{i}"
    data["run"]["status"] = "finished" if value is not None else "failed"
    data["architecture"]["recurrent_layers"][0]["cell"] = cell
    search = data["training"]["hyperparameter_search"]
    search.update(method=method, objective="val/accuracy", trials=5)
    search.pop("selected", None)
    data["results"] = (
        []
        if value is None
        else [
            Metric(name="accuracy", split="validation", value=value, higher_is_better=True)
            .model_dump(exclude_none=True),
            Metric(name="accuracy", split="test", value=value - 0.01, higher_is_better=True)
            .model_dump(exclude_none=True),
        ]
    )  # fmt: skip
    return RunRecord.model_validate(data)


def search(cell: str = "lstm") -> list[RunRecord]:
    return [trial(i, v, cell=cell) for i, v in enumerate([0.7, 0.8, None, 0.6, 0.9])]


def test_curves_from_records_count_failed_trials() -> None:
    (curve,) = budget_curves(search())
    assert (curve.metric, curve.split, curve.higher_is_better) == ("accuracy", "validation", True)
    assert curve.n_trials == 5 and curve.without_result == {"failed": 1}
    first = curve.points[0]
    assert first.expected == pytest.approx(statistics.fmean([0.7, 0.8, 0.6, 0.9]))
    assert first.p_no_result == pytest.approx(1 / 5)
    assert curve.points[-1].unbiased == pytest.approx(0.9)  # all 5 trials: the best one


def test_curves_per_group() -> None:
    curves = budget_curves(
        search("lstm") + search("gru"), group_by=["architecture.recurrent_layers.0.cell"]
    )
    assert [c.label for c in curves] == ["cell=lstm", "cell=gru"]


def test_a_search_that_was_not_random_is_refused() -> None:
    runs = search()
    runs[1] = trial(1, 0.8, method="grid")
    with pytest.raises(InvalidInputError, match=r"assumes trials drawn at random.*grid"):
        budget_curves(runs)
    plain = repro.load_record(EXAMPLE)
    plain.training.hyperparameter_search = None  # type: ignore[union-attr]
    with pytest.raises(InvalidInputError, match="hyperparameter_search is not recorded"):
        budget_curves([plain])


def test_a_missing_metric_is_named() -> None:
    with pytest.raises(InvalidInputError, match="no trial records the metric 'validation/loss'"):
        budget_curves(search(), metric="val/loss")


def test_expected_max_table_renders_and_escapes(tmp_path: Path) -> None:
    md = repro.render(search(), "expected-max-md")
    assert md.splitlines()[0].startswith("| Trials (n) | adding: expected best ↑ |")
    assert "| 1 | 0.75 ± 0.11 | 0.7500 | 0.200 |" in md
    assert "Dodge et al., 2019" in md and "Tang et al., 2020" in md
    latex = repro.render(search(), "expected-max-latex", caption="R&D_1 50% #2")
    assert r"R\&D\_1 50\% \#2" in latex and r"\toprule" in latex
    assert latex.count("{") == latex.count("}")
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(repro.render(search(), "expected-max-csv"))))
    assert [r["n"] for r in rows] == ["1", "2", "3", "4", "5"]
    assert float(rows[-1]["unbiased"]) == pytest.approx(0.9)


def test_report_cli_expected_max(tmp_path: Path) -> None:
    files = [str(repro.save_record(r, tmp_path / f"t{i}.json")) for i, r in enumerate(search())]
    done = subprocess.run(
        [sys.executable, "-m", "repro", "report", *files, "--table", "expected-max",
         "--metric", "validation/accuracy"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "| 5 |" in done.stdout
    grid = [str(repro.save_record(trial(9, 0.5, method="grid"), tmp_path / "grid.json"))]
    refused = subprocess.run(
        [sys.executable, "-m", "repro", "report", *files, *grid, "--table", "expected-max"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert refused.returncode == 1 and "other than 'random'" in refused.stderr


def test_budget_plot_writes_a_pdf(tmp_path: Path) -> None:
    from repro.report.plots import expected_max_figure, save_expected_max

    curves = budget_curves(
        search("lstm") + search("gru"), group_by=["architecture.recurrent_layers[0].cell"]
    )
    figure = expected_max_figure(curves)
    assert len(figure.axes[0].lines) == 4  # each search: Dodge et al. and Tang et al.
    out = save_expected_max(curves, tmp_path / "budget.pdf")
    assert out.read_bytes().startswith(b"%PDF")
