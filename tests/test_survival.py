"""Resolution-time quantiles under censoring and a competing event (sim/survival.py).

Checked against the empirical quantile where nothing is censored, against the
exact share resolved where only abandonment competes, and against theory for
exponential resolution and abandonment with uniform censoring.  Tolerances are
4 asymptotic standard errors of the Aalen–Johansen estimate (the formula is in
:func:`_cif_se`); seeds are fixed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

from sim.survival import cif_quantile, cif_quantile_binned, cumulative_incidence
from sim.tally import EDGES

A, B, C = 1 / 48, 1 / 200, 336.0  # resolution and abandonment rates (per hour), censoring horizon (hours)
N = 20_000


def _theory_sample(seed: int, n: int = N, a: float = A, b: float = B, c: float = C):
    """Durations and events: resolution ~ Exp(a), abandonment ~ Exp(b), censoring ~ U(0, c) (b = 0, c = inf: none)."""
    rng = np.random.default_rng(seed)
    res = rng.exponential(1 / a, n)
    ab = rng.exponential(1 / b, n) if b > 0 else np.full(n, np.inf)
    cens = rng.uniform(0, c, n) if np.isfinite(c) else np.full(n, np.inf)
    duration = np.minimum(np.minimum(res, ab), cens)
    event = np.select([res == duration, ab == duration], [1, 2], 0)
    return duration, event


def _cif(t: float, a: float = A, b: float = B) -> float:
    return a / (a + b) * (1 - math.exp(-(a + b) * t))


def _cif_se(t: float, n: int, a: float = A, b: float = B, c: float = C) -> float:
    """Asymptotic standard error of the Aalen–Johansen CIF_1(t).

    From its martingale representation, with all-cause survival S, at-risk
    probability y = S·G (G the censoring survival) and F = CIF_1:
    n·Var = ∫_0^t [S(u) - (F(t) - F(u))]² a / y(u) du + ∫_0^t (F(t) - F(u))² b / y(u) du.
    With nothing censored and nothing competing it is the binomial F(1 - F) / n.
    """
    f = _cif(t, a, b)

    def surv(u: float) -> float:
        return math.exp(-(a + b) * u)

    def at_risk(u: float) -> float:
        return surv(u) * (1 - u / c)

    v1 = integrate.quad(lambda u: (surv(u) - (f - _cif(u, a, b))) ** 2 * a / at_risk(u), 0, t)[0]
    v2 = integrate.quad(lambda u: (f - _cif(u, a, b)) ** 2 * b / at_risk(u), 0, t)[0]
    return math.sqrt((v1 + v2) / n)


def _median_and_se(n: int = N, a: float = A, b: float = B, c: float = C) -> tuple[float, float]:
    """Theoretical CIF median and its delta-method standard error, se(F̂(t)) / F'(t)."""
    lam = a + b
    t = -math.log(1 - 0.5 * lam / a) / lam
    return t, _cif_se(t, n, a, b, c) / (a * math.exp(-lam * t))


def _hist(duration: np.ndarray, event: np.ndarray) -> list[np.ndarray]:
    """Resolved, abandoned and censored histograms over EDGES, binned as the tally bins."""
    b = np.clip(np.searchsorted(EDGES, duration, side="right") - 1, 0, EDGES.size - 1)
    return [np.bincount(b[event == e], minlength=EDGES.size) for e in (1, 2, 0)]


@pytest.mark.parametrize("rounded", [False, True])
def test_no_censoring_no_competing_is_the_empirical_lower_quantile(rounded):
    """Every appeal resolved, none censored: CIF = empirical CDF, so the quantile is inverted_cdf's (ties too).

    Where n·q is an integer k in decimal but not in binary (0.07 · 100 is
    7.000000000000001 in floating point) numpy takes the (k+1)-th value; the CIF
    reaches k/n = q at the k-th, which is what a share q of appeals means.
    """
    for seed, n in [(1, 1), (2, 7), (3, 100), (4, 1001), (5, 5000)]:
        x = np.random.default_rng(seed).lognormal(3.0, 1.0, n)
        x = np.round(x) if rounded else x
        for q in (0.01, 0.07, 0.1, 0.25, 1 / 3, 0.5, 0.9, 0.95, 1.0):
            k = n * q
            if abs(k - round(k)) < 1e-9:
                expected = np.sort(x)[round(k) - 1]
            else:
                expected = np.quantile(x, q, method="inverted_cdf")
            assert cif_quantile(x, np.ones(n, dtype=int), q) == expected, (n, q)


def test_competing_only_cif_is_the_share_resolved():
    """No censoring: the CIF at every time is the share of all appeals resolved by then, finally the share resolved."""
    duration, event = _theory_sample(7, 5000, c=np.inf)
    assert not np.any(event == 0)
    times, cif = cumulative_incidence(duration, event)
    share = np.searchsorted(np.sort(duration[event == 1]), times, side="right") / duration.size
    np.testing.assert_allclose(cif, share, rtol=0, atol=1e-12)
    resolved = float(np.mean(event == 1))
    assert cif[-1] == pytest.approx(resolved, abs=1e-12)
    assert cif_quantile(duration, event, resolved) == duration[event == 1].max()
    assert math.isnan(cif_quantile(duration, event, resolved + 0.01))


def test_against_theory_with_censoring_and_abandonment():
    """Exp resolution, Exp abandonment, uniform censoring: CIF and median within 4 standard errors of theory."""
    duration, event = _theory_sample(11)
    assert 0.1 < np.mean(event == 0) < 0.3 and np.mean(event == 2) > 0.1  # both matter here
    times, cif = cumulative_incidence(duration, event)
    assert np.all(np.diff(times) > 0) and np.all(np.diff(cif) >= 0)
    for t in (6.0, 24.0, 72.0, 200.0):
        est = cif[np.searchsorted(times, t, side="right") - 1]
        assert abs(est - _cif(t)) < 4 * _cif_se(t, N), t
    median, se = _median_and_se()
    assert abs(cif_quantile(duration, event, 0.5) - median) < 4 * se


@pytest.mark.parametrize("b", [B, 0.0])
def test_naive_quantile_of_resolved_durations_is_biased_low(b):
    """Why the estimator exists: the median of resolved-only durations drops the long cases still open at the horizon
    (and, with abandonment, counts the median of the resolved, not of all appeals): far below the truth."""
    duration, event = _theory_sample(13, b=b)
    median, se = _median_and_se(b=b)
    assert abs(cif_quantile(duration, event, 0.5) - median) < 4 * se
    assert np.median(duration[event == 1]) < median - 4 * se


def test_binned_agrees_with_exact_on_the_theory_data():
    """With the tally's 1% bins the histogram quantile is within 1% of the exact one."""
    duration, event = _theory_sample(11)
    h = _hist(duration, event)
    for q in (0.1, 0.25, 0.5, 0.75):
        exact = cif_quantile(duration, event, q)
        assert cif_quantile_binned(*h, EDGES, q) == pytest.approx(exact, rel=0.01), q


def test_binned_agrees_with_exact_on_random_data():
    """Lognormal resolution, exponential abandonment, uniform censoring, all with random parameters and sizes.

    q is a share of the CIF's plateau up to 90%: right at the plateau the CIF is
    flat, so a CIF difference of 1e-4 moves the quantile by many bins.
    """
    for seed in range(40):
        rng = np.random.default_rng(1000 + seed)
        n = int(rng.integers(2000, 20_000))
        res = rng.lognormal(math.log(rng.uniform(5, 100)), rng.uniform(0.3, 1.5), n)
        ab = rng.exponential(rng.uniform(100, 2000), n)
        cens = rng.uniform(0, rng.uniform(50, 1000), n)
        duration = np.minimum(np.minimum(res, ab), cens)
        event = np.select([res == duration, ab == duration], [1, 2], 0)
        plateau = cumulative_incidence(duration, event)[1][-1]
        h = _hist(duration, event)
        for share in (0.1, 0.25, 0.5, 0.75, 0.9):
            q = share * plateau
            exact = cif_quantile(duration, event, q)
            assert cif_quantile_binned(*h, EDGES, q) == pytest.approx(exact, rel=0.01), (seed, share)


def test_binned_without_censoring_matches_exact_bin_for_bin():
    """Nothing censored: the binned CIF is exact at bin ends, so the quantile lies in the exact one's bin."""
    duration, event = _theory_sample(17, 3000, c=np.inf)
    h = _hist(duration, event)
    for q in (0.05, 0.5, 0.8):
        exact = cif_quantile(duration, event, q)
        binned = cif_quantile_binned(*h, EDGES, q)
        assert np.searchsorted(EDGES, binned, side="right") == np.searchsorted(EDGES, exact, side="right"), q


def test_empty_and_all_censored_give_nan():
    """No appeal, or none resolved: no quantile."""
    empty = np.zeros(EDGES.size, dtype=int)
    assert math.isnan(cif_quantile([], [], 0.5))
    assert math.isnan(cif_quantile_binned(empty, empty, empty, EDGES, 0.5))
    times, cif = cumulative_incidence([], [])
    assert times.size == cif.size == 0
    duration = np.random.default_rng(3).uniform(0, 100, 50)
    assert math.isnan(cif_quantile(duration, np.zeros(50, dtype=int), 0.5))
    assert math.isnan(cif_quantile_binned(empty, empty, _hist(duration, np.zeros(50, dtype=int))[2], EDGES, 0.5))


def test_bad_input_is_refused():
    """Unknown event codes, negative durations, mismatched lengths and q outside (0, 1] raise."""
    with pytest.raises(ValueError):
        cif_quantile([1.0, 2.0], [1, 3], 0.5)
    with pytest.raises(ValueError):
        cif_quantile([-1.0, 2.0], [1, 1], 0.5)
    with pytest.raises(ValueError):
        cif_quantile([1.0, 2.0], [1], 0.5)
    with pytest.raises(ValueError):
        cif_quantile([1.0, 2.0], [1, 1], 0.0)
    with pytest.raises(ValueError):
        cif_quantile_binned(np.ones(3), np.ones(3), np.ones(3), EDGES, 0.5)
