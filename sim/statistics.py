"""The statistics of gridsim's comparisons, in one place: Student-t intervals of means (plain,
stratified, paired) and the ratio of two paired means.

Every interval a report shows comes from here, so that a change of method is one change.
"""

from __future__ import annotations

import math

import numpy as np


def t_quantile(level: float, df: float) -> float:
    """The two-sided Student-t quantile of a ``level`` interval with ``df`` degrees of freedom.

    >>> round(t_quantile(0.95, 10), 4)
    2.2281
    """
    from scipy.special import stdtrit  # what scipy.stats.t.ppf calls, without importing scipy.stats

    return float(stdtrit(df, 0.5 + level / 2))


def mean_ci(x: np.ndarray, level: float) -> tuple[float, float, float]:
    """Mean and Student-t interval of independent values (NaN interval with fewer than 2)."""
    x = x[~np.isnan(x)]
    if len(x) == 0:
        return (np.nan, np.nan, np.nan)
    m = float(x.mean())
    if len(x) < 2:
        return (m, np.nan, np.nan)
    h = t_quantile(level, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x))
    return (m, m - h, m + h)


def stratified_mean_ci(x: np.ndarray, strata: np.ndarray, level: float) -> tuple[float, float, float]:
    """Mean of ``x`` and its t interval when units within a stratum are independent draws of one law.

    The strata are fixed (each weighs by its count); the noise is estimated within each,
    with Welch–Satterthwaite degrees of freedom.  NaN interval when a stratum has one unit.

    >>> m, lo, hi = stratified_mean_ci(np.array([1.0, 3.0, 10.0, 12.0]), np.array(["a", "a", "b", "b"]), 0.95)
    >>> m, round(lo, 2), round(hi, 2)
    (6.5, 3.46, 9.54)
    """
    ok = ~np.isnan(x)
    x, strata = x[ok], np.asarray(strata)[ok]
    n = len(x)
    if n == 0:
        return (np.nan, np.nan, np.nan)
    m = float(x.mean())
    parts = [x[strata == k] for k in dict.fromkeys(strata.tolist())]
    if min(len(p) for p in parts) < 2:
        return (m, np.nan, np.nan)
    a = np.array([len(p) * p.var(ddof=1) / n**2 for p in parts])  # each stratum's share of Var(mean)
    var = a.sum()
    if var == 0:
        return (m, m, m)
    df = var**2 / np.sum(a**2 / np.array([len(p) - 1 for p in parts]))
    h = t_quantile(level, df) * math.sqrt(var)
    return (m, m - h, m + h)


def paired_stats(x: np.ndarray, y: np.ndarray, better: str, level: float) -> dict:
    """Paired comparison of ``y`` (model) with ``x`` (baseline), replication by replication."""
    ok = ~(np.isnan(x) | np.isnan(y))
    x, y = x[ok], y[ok]
    n = len(x)
    out: dict[str, float] = {"n_reps": n}
    d = y - x
    out["diff"], out["diff_lo"], out["diff_hi"] = mean_ci(d, level)
    if n < 2:
        out["p_value"] = np.nan
    elif d.std(ddof=1) > 0:
        from scipy import stats

        out["p_value"] = float(stats.ttest_rel(y, x).pvalue)
    else:  # identical differences in every replication
        out["p_value"] = 1.0 if d.mean() == 0 else 0.0
    xm, ym = (x.mean(), y.mean()) if n else (np.nan, np.nan)
    if n >= 2 and xm != 0:
        r = ym / xm
        se = np.std(y - r * x, ddof=1) / (math.sqrt(n) * abs(xm))
        h = t_quantile(level, n - 1) * se
        out["ratio"], out["ratio_lo"], out["ratio_hi"] = r, r - h, r + h
    else:
        out["ratio"] = ym / xm if n and xm else np.nan
        out["ratio_lo"] = out["ratio_hi"] = np.nan
    out["share_better"] = float(np.mean(y < x if better == "lower" else y > x)) if n else np.nan
    return out
