"""Is one configuration better than another? Tests over the per-run scores of groups.

For each pair of groups of one results column:

* Welch's t-test (unequal variances; scipy's ``ttest_ind(equal_var=False)``), two-sided;
* the Almost Stochastic Order test (del Barrio et al. 2018; Dror et al. 2019) as implemented
  by deepsig (Ulmer et al. 2022): ε_min, an upper bound on how far "A is better than B" is
  violated, at confidence 1 - α; A is read as better when ε_min < τ = 0.2 (deepsig's advice);
* a bootstrap confidence interval of the difference in means (BCa, percentile where BCa is
  undefined);
* the power of Welch's test at the observed difference, with a note when it is below 80%.

With three or more groups every pair is compared, Welch p-values are Holm-adjusted and ASO's
α is divided by the number of pairs (Bonferroni). Pure functions on numbers and tables: the
results table can show them as marks.

ASO is computed here, not with the deepsig package: importing deepsig imports torch and
TensorFlow when installed (seconds, and the report path must stay light), and it reseeds
numpy's global random state, which would change a training script's randomness. It follows
deepsig's definitions step by step (quantile functions, violation ratio, bootstrap σ) and is
tested against it on fixed samples; only the random numbers of the bootstrap differ.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from repro.record import Interval
from repro.report.aggregate import Column, ResultsTable

ALPHA = 0.05
TAU = 0.2
POWER = 0.8
BOOTSTRAP_ITERATIONS = 1000
DT = 0.005

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class Welch:
    """Welch's two-sided t-test."""

    statistic: float
    df: float
    p_value: float


@dataclass(frozen=True)
class ASOResult:
    """ε_min of "A is stochastically better than B" at confidence ``1 - alpha``."""

    eps_min: float
    violation_ratio: float
    alpha: float
    tau: float = TAU

    @property
    def dominant(self) -> bool:
        """Whether A is read as almost stochastically better than B (ε_min < τ)."""
        return self.eps_min < self.tau


@dataclass(frozen=True)
class Comparison:
    """Group ``a`` against group ``b`` on one column (differences are a - b)."""

    a: str
    b: str
    n_a: int
    n_b: int
    difference: float
    welch: Welch | None
    p_adjusted: float | None
    aso_ab: ASOResult | None  # a better than b
    aso_ba: ASOResult | None  # b better than a
    interval: Interval | None
    interval_method: str | None
    power: float | None
    note: str | None
    higher_is_better: bool | None
    alpha: float = ALPHA
    effect: float | None = None  # Cohen's d of a - b (pooled std), None when undefined
    runs_needed: int | None = None  # runs per group for 80% power at ``effect``, when it lacks

    @property
    def significant(self) -> bool:
        """Welch's (adjusted) p below α."""
        return self.p_adjusted is not None and self.p_adjusted < self.alpha

    @property
    def better(self) -> str | None:
        """The group that wins on both tests (Welch significant and ASO dominant), else None."""
        if not self.significant or self.higher_is_better is None:
            return None
        if self.aso_ab is not None and self.aso_ab.dominant:
            return self.a
        if self.aso_ba is not None and self.aso_ba.dominant:
            return self.b
        return None


@dataclass
class Significance:
    """Every pairwise comparison of one column, and the methods, stated."""

    column: Column
    alpha: float
    correction: str | None
    comparisons: list[Comparison] = field(default_factory=list)

    @property
    def method(self) -> str:
        """One paragraph naming the tests, α, τ and the correction, for a table's caption."""
        pairs = len(self.comparisons)
        text = (
            f"Welch's two-sided t-test and the Almost Stochastic Order test (Dror et al. 2019; "
            f"ε_min at α = {self.alpha:g}, A better than B when ε_min < {TAU:g}); "
            "bootstrap (BCa) intervals of the difference in means."
        )
        if self.correction:
            text += (
                f" Over {pairs} pairwise comparisons, p-values are Holm-adjusted and ASO's α is "
                f"Bonferroni-divided (α/{pairs})."
            )
        return text


# -- the tests -----------------------------------------------------------------------------


def welch_test(a: Sequence[float], b: Sequence[float]) -> Welch:
    """Welch's t-test of equal means (two-sided), as scipy computes it (NaN p when neither group
    varies and their means are equal)."""
    import warnings

    from scipy import stats

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # near-identical scores: scipy warns
        result = stats.ttest_ind(a, b, equal_var=False)
    return Welch(
        statistic=float(result.statistic), df=float(result.df), p_value=float(result.pvalue)
    )


def _quantile_indices(n: int, t: np.ndarray) -> np.ndarray:
    """Index of the empirical quantile function at each ``t``: ``ceil(n t) - 1``, clipped."""
    import numpy as np

    return np.clip(np.ceil(n * t).astype(int) - 1, 0, n - 1)


def violation_ratios(sorted_a: np.ndarray, sorted_b: np.ndarray, dt: float = DT) -> np.ndarray:
    """ε_W2 of Dror et al. 2019 (eq. 4-5) for each row of sorted score samples: the share of
    the squared Wasserstein distance between the quantile functions where B is above A."""
    import numpy as np

    t = np.arange(dt, 1, dt)
    f = sorted_a[..., _quantile_indices(sorted_a.shape[-1], t)]
    g = sorted_b[..., _quantile_indices(sorted_b.shape[-1], t)]
    diff = g - f
    distance = np.sum(diff**2 * dt, axis=-1)
    violated = np.where(f >= g, 0.0, diff)
    # deepsig leaves out the first grid point from the violation integral (not the distance)
    violation = np.sum(violated[..., 1:] ** 2 * dt, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(distance == 0, 0.5, violation / np.where(distance == 0, 1, distance))


def aso(
    a: Sequence[float],
    b: Sequence[float],
    alpha: float = ALPHA,
    comparisons: int = 1,
    iterations: int = BOOTSTRAP_ITERATIONS,
    dt: float = DT,
    seed: int = 0,
) -> ASOResult:
    """ε_min that scores ``a`` are almost stochastically larger than ``b`` (Dror et al. 2019),
    at confidence ``1 - alpha/comparisons`` (Bonferroni). Higher scores are better: negate
    lower-is-better metrics first."""
    import numpy as np
    from scipy import stats

    xa, xb = np.sort(np.asarray(a, dtype=float)), np.sort(np.asarray(b, dtype=float))
    ratio = float(violation_ratios(xa, xb, dt))
    rng = np.random.default_rng(seed)
    sample_a = np.sort(rng.choice(xa, size=(iterations, xa.size), replace=True), axis=1)
    sample_b = np.sort(rng.choice(xb, size=(iterations, xb.size), replace=True), axis=1)
    samples = violation_ratios(sample_a, sample_b, dt)
    const = math.sqrt(xa.size * xb.size / (xa.size + xb.size))
    sigma = float(np.std(const * (samples - ratio)))
    level = alpha / comparisons
    eps = ratio - sigma / const * float(stats.norm.ppf(level))
    return ASOResult(eps_min=min(max(eps, 0.0), 1.0), violation_ratio=ratio, alpha=level)


def bootstrap_difference(
    a: Sequence[float], b: Sequence[float], level: float = 0.95, seed: int = 0
) -> tuple[Interval, str] | None:
    """Bootstrap interval of mean(a) - mean(b), resampling each group on its own: BCa, or the
    percentile interval where BCa is undefined (e.g. every resample alike). None when a group
    has one run."""
    import warnings

    import numpy as np
    from scipy import stats

    if len(a) < 2 or len(b) < 2:
        return None

    def difference(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
        return np.mean(x, axis=axis) - np.mean(y, axis=axis)

    for method in ("BCa", "percentile"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = stats.bootstrap(
                (np.asarray(a, float), np.asarray(b, float)),
                difference,
                confidence_level=level,
                n_resamples=9999,
                method=method,
                vectorized=True,
                paired=False,
                rng=np.random.default_rng(seed),
            )
        low, high = result.confidence_interval
        if math.isfinite(low) and math.isfinite(high):
            return Interval(low=float(low), high=float(high), level=level), method
    return None


def welch_power(d: float, n_a: int, n_b: int, alpha: float = ALPHA) -> float:
    """Power of a two-sided two-sample t-test at standardised difference ``d`` (Cohen's d),
    from the noncentral t distribution with n_a + n_b - 2 degrees of freedom."""
    from scipy import stats

    df = n_a + n_b - 2
    ncp = abs(d) * math.sqrt(n_a * n_b / (n_a + n_b))
    crit = float(stats.t.ppf(1 - alpha / 2, df))
    return float(stats.nct.sf(crit, df, ncp) + stats.nct.cdf(-crit, df, ncp))


def runs_for_power(
    d: float, alpha: float = ALPHA, power: float = POWER, limit: int = 10_000
) -> int | None:
    """Runs per group (equal groups) for ``power`` at difference ``d``; None past ``limit``."""
    if d == 0:
        return None
    n = 2
    while n <= limit:
        if welch_power(d, n, n, alpha) >= power:
            return n
        n = n + 1 if n < 100 else int(n * 1.1)
    return None


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjustment (controls the family-wise error rate)."""
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    adjusted = [0.0] * len(p_values)
    running = 0.0
    m = len(p_values)
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted


# -- over a results table ------------------------------------------------------------------


def _cohens_d(a: Sequence[float], b: Sequence[float]) -> float | None:
    import statistics

    if len(a) < 2 or len(b) < 2:
        return None
    pooled = ((len(a) - 1) * statistics.variance(a) + (len(b) - 1) * statistics.variance(b)) / (
        len(a) + len(b) - 2
    )
    if pooled == 0:
        return None
    return (statistics.fmean(a) - statistics.fmean(b)) / math.sqrt(pooled)


def compare(
    a: Sequence[float],
    b: Sequence[float],
    labels: tuple[str, str] = ("A", "B"),
    higher_is_better: bool | None = True,
    alpha: float = ALPHA,
    comparisons: int = 1,
    seed: int = 0,
    interval: bool = True,
) -> Comparison:
    """Every test for one pair of groups; ``p_adjusted`` is the raw p (adjust over a family).
    ``interval=False`` skips the bootstrap interval of the difference (the costliest part,
    which a table's marks do not show)."""
    import statistics

    name_a, name_b = labels
    difference = statistics.fmean(a) - statistics.fmean(b)
    if len(a) < 2 or len(b) < 2:
        few = name_a if len(a) < 2 else name_b
        return Comparison(
            a=name_a, b=name_b, n_a=len(a), n_b=len(b), difference=difference, welch=None,
            p_adjusted=None, aso_ab=None, aso_ba=None, interval=None, interval_method=None,
            power=None, higher_is_better=higher_is_better, alpha=alpha,
            note=f"{few} has one run: no test is possible; run more seeds",
        )  # fmt: skip
    welch = welch_test(a, b)
    sign = -1.0 if higher_is_better is False else 1.0
    oriented_a, oriented_b = [sign * v for v in a], [sign * v for v in b]
    aso_ab = aso(oriented_a, oriented_b, alpha, comparisons, seed=seed)
    aso_ba = aso(oriented_b, oriented_a, alpha, comparisons, seed=seed)
    difference_interval = bootstrap_difference(a, b, seed=seed) if interval else None
    d = _cohens_d(a, b)
    power = welch_power(d, len(a), len(b), alpha) if d is not None else None
    note = None
    needed = None
    if not math.isfinite(welch.p_value):
        note = "every run of both groups scored the same: the t-test is undefined"
    elif power is not None and d is not None and power < POWER:
        needed = runs_for_power(d, alpha)
        more = f"; about {needed} runs per group would give {POWER:.0%}" if needed else ""
        note = (
            f"n too small for the test to have power: at the observed difference "
            f"(d = {abs(d):.2f} pooled standard deviations) Welch's test with {len(a)} and "
            f"{len(b)} runs has {power:.0%} power at α = {alpha:g}{more}"
        )
    return Comparison(
        a=name_a,
        b=name_b,
        n_a=len(a),
        n_b=len(b),
        difference=difference,
        welch=welch,
        p_adjusted=welch.p_value if math.isfinite(welch.p_value) else None,
        aso_ab=aso_ab,
        aso_ba=aso_ba,
        interval=difference_interval[0] if difference_interval else None,
        interval_method=difference_interval[1] if difference_interval else None,
        power=power,
        note=note,
        higher_is_better=higher_is_better,
        alpha=alpha,
        effect=d,
        runs_needed=needed,
    )


def significance(
    table: ResultsTable, column: Column, alpha: float = ALPHA, seed: int = 0
) -> Significance:
    """Every pair of the table's groups compared on ``column``; with three or more groups,
    Holm-adjusted p-values and Bonferroni-divided ASO α."""
    groups = [g for g in table.groups if column in g.cells]
    pairs = list(itertools.combinations(groups, 2))
    correction = "holm" if len(groups) >= 3 else None
    result = Significance(column=column, alpha=alpha, correction=correction)
    for left, right in pairs:
        cell_a, cell_b = left.cells[column], right.cells[column]
        direction = (
            cell_a.higher_is_better
            if cell_a.higher_is_better is not None
            else (cell_b.higher_is_better)
        )
        result.comparisons.append(
            compare(
                cell_a.values,
                cell_b.values,
                (left.label, right.label),
                direction,
                alpha,
                comparisons=len(pairs) if correction else 1,
                seed=seed,
            )
        )
    tested = [c for c in result.comparisons if c.p_adjusted is not None]
    if correction and tested:
        adjusted = holm([c.welch.p_value for c in tested])  # type: ignore[union-attr]
        lookup = dict(zip(map(id, tested), adjusted, strict=True))
        result.comparisons = [
            replace(c, p_adjusted=lookup[id(c)]) if id(c) in lookup else c
            for c in result.comparisons
        ]
    return result
