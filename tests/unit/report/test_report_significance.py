"""Significance between groups: Welch equals scipy, ASO agrees with deepsig, Holm by hand."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import repro
from repro.record import RunRecord
from repro.report.aggregate import aggregate
from repro.report.significance import (
    aso,
    bootstrap_difference,
    compare,
    holm,
    significance,
    violation_ratios,
    welch_power,
    welch_test,
)

A = [0.812, 0.845, 0.833, 0.851, 0.826, 0.840]
B = [0.801, 0.809, 0.822, 0.798, 0.815]


def test_welch_equals_scipy() -> None:
    ours = welch_test(A, B)
    theirs = stats.ttest_ind(A, B, equal_var=False)
    assert ours.p_value == pytest.approx(theirs.pvalue, rel=1e-12)
    assert ours.statistic == pytest.approx(theirs.statistic, rel=1e-12)
    # Welch-Satterthwaite degrees of freedom, by hand
    va, vb = np.var(A, ddof=1) / len(A), np.var(B, ddof=1) / len(B)
    df = (va + vb) ** 2 / (va**2 / (len(A) - 1) + vb**2 / (len(B) - 1))
    assert ours.df == pytest.approx(df)


def test_holm_by_hand() -> None:
    # sorted p: 0.01, 0.02, 0.04 -> 3*0.01, max(0.03, 2*0.02), max(0.04, 1*0.04)
    assert holm([0.04, 0.01, 0.02]) == pytest.approx([0.04, 0.03, 0.04])
    assert holm([0.5, 0.6]) == pytest.approx([1.0, 1.0])


def test_violation_ratio_extremes() -> None:
    better, worse = np.sort(np.array(A)), np.sort(np.array(B) - 0.1)
    assert float(violation_ratios(better, worse)) == 0.0  # A above B at every quantile
    assert float(violation_ratios(worse, better)) == pytest.approx(1.0, abs=0.01)
    assert float(violation_ratios(better, better)) == 0.5  # no distance: undecided
    result = aso(A, [b - 0.1 for b in B])
    assert result.eps_min == 0.0 and result.dominant


@pytest.mark.slow
def test_aso_agrees_with_deepsig_on_fixed_samples() -> None:
    from deepsig import aso as deepsig_aso
    from deepsig.aso import compute_violation_ratio

    rng = np.random.default_rng(1234)
    cases = [
        (rng.normal(0.9, 0.8, 5), rng.normal(0.0, 1.0, 5)),
        (rng.normal(0.3, 1.0, 8), rng.normal(0.0, 1.0, 6)),
        (np.array(A), np.array(B)),
    ]
    for a, b in cases:
        # the violation ratio is deterministic: equal to deepsig's to the last digit
        assert float(violation_ratios(np.sort(a), np.sort(b))) == pytest.approx(
            compute_violation_ratio(a, b, dt=0.005), abs=1e-12
        )
        theirs = float(deepsig_aso(a, b, seed=7, show_progress=False))
        ours = aso(a, b, seed=7, iterations=4000).eps_min
        # ε_min differs only by the bootstrap's random numbers
        assert ours == pytest.approx(theirs, abs=0.04), (a, b)


def test_bootstrap_interval_of_the_difference() -> None:
    found = bootstrap_difference(A, B, seed=3)
    assert found is not None
    interval, method = found
    diff = np.mean(A) - np.mean(B)
    assert interval.low < diff < interval.high and interval.level == 0.95
    assert method == "BCa"
    assert bootstrap_difference([1.0], B) is None


def test_power_matches_the_noncentral_t() -> None:
    # a large effect (d = 0.8) with 26 runs a group has about 80% power (Cohen 1988)
    assert welch_power(0.8, 26, 26) == pytest.approx(0.807, abs=0.01)
    assert welch_power(0.8, 3, 3) < 0.2


def test_small_n_gets_a_power_note() -> None:
    result = compare([0.80, 0.82, 0.79], [0.81, 0.80, 0.83], ("lstm", "gru"))
    assert result.note is not None and "n too small" in result.note
    assert "runs per group would give 80%" in result.note
    single = compare([0.8], [0.81, 0.80], ("lstm", "gru"))
    assert single.welch is None and "lstm has one run" in single.note  # type: ignore[operator]


def group(cell: str, values: list[float]) -> list[RunRecord]:
    from pathlib import Path

    example = Path(__file__).resolve().parents[3] / "examples" / "records" / "lstm-adding.yaml"
    out = []
    for seed, value in enumerate(values):
        data = repro.load_record(example).to_dict()
        data["run"]["name"] = f"{cell}-{seed}"
        data["architecture"]["recurrent_layers"][0]["cell"] = cell
        data["training"]["seeds"] = {"torch": seed}
        data["results"] = [{"name": "acc", "value": value, "higher_is_better": True}]
        out.append(RunRecord.model_validate(data))
    return out


def test_three_groups_are_corrected_for_multiple_comparisons() -> None:
    c = [v - 0.05 for v in B]
    runs = group("lstm", A) + group("gru", B) + group("rnn_tanh", c)
    result = significance(aggregate(runs), ("acc", None))
    assert result.correction == "holm" and len(result.comparisons) == 3
    raw = [welch_test(x, y).p_value for x, y in [(A, B), (A, c), (B, c)]]
    assert [x.p_adjusted for x in result.comparisons] == pytest.approx(holm(raw))
    assert all(
        c.aso_ab is not None and c.aso_ab.alpha == pytest.approx(0.05 / 3)
        for c in result.comparisons
    )
    assert "Holm-adjusted" in result.method and "α/3" in result.method
    best = result.comparisons[0]
    assert best.better == "cell=lstm"
    two = significance(aggregate(group("lstm", A) + group("gru", B)), ("acc", None))
    assert two.correction is None and two.comparisons[0].aso_ab.alpha == 0.05  # type: ignore[union-attr]
