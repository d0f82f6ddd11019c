"""Does a model's backlog keep growing after the warm-up?  A batch-means trend test.

Backlog samples a few hours apart are strongly autocorrelated (today's backlog
is mostly yesterday's), so an OLS interval on the raw samples treats hundreds of
samples as independent and comes out far too narrow: a stable system would
"grow" or "shrink" significantly most of the time.  Means over whole batches
long against that correlation are nearly independent, and whole weeks (or
days) also average out the weekly (daily) cycle of opening hours; the slope of
the batch means against time then has an honest Student-t interval.

>>> t = np.arange(0.0, 60 * 24, 6.0)                       # every 6 h for 60 days
>>> tr = backlog_trend(t, 50 + 3 * t / 24, start=0.0, end=60 * 24)
>>> tr.n_batches, tr.batch_hours, round(tr.slope_per_day, 6), grows(tr)
(8, 168.0, 3.0, True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .statistics import t_quantile

WEEK, DAY = 168.0, 24.0
MIN_WEEKS = 4  # fewer whole weeks than this: daily batches, or a weekly slope rests on too few points
MIN_BATCHES = 3  # a slope and a residual variance need n - 2 >= 1


@dataclass(frozen=True)
class Trend:
    """OLS slope of batch-mean backlog against time, per day, with its 95% interval [lo, hi]."""

    slope_per_day: float
    lo: float
    hi: float
    n_batches: int
    batch_hours: float


def _batch_means(
    time_h: np.ndarray, backlog: np.ndarray, start: float, batch: float, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Mid-times (hours) and means of the batches [start + k·batch, start + (k+1)·batch) holding samples."""
    k = np.floor((time_h - start) / batch).astype(np.intp)
    keep = (k >= 0) & (k < n)
    counts = np.bincount(k[keep], minlength=n)
    sums = np.bincount(k[keep], weights=backlog[keep], minlength=n)
    has = counts > 0
    return start + (np.flatnonzero(has) + 0.5) * batch, sums[has] / counts[has]


def _ols_slope(x: np.ndarray, y: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """OLS slope of y on x with its Student-t interval (df = n - 2)."""
    dx = x - x.mean()
    sxx = float(dx @ dx)
    slope = float(dx @ (y - y.mean())) / sxx
    resid = y - y.mean() - slope * dx
    df = x.size - 2
    half = t_quantile(level, df) * np.sqrt(float(resid @ resid) / df / sxx)
    return slope, slope - half, slope + half


def backlog_trend(time_h, backlog, start: float, end: float) -> Trend:
    """Trend of the backlog over [start, end): weekly batch means if 4 whole weeks fit, else daily.

    Only whole batches count (a part-week would bring back the weekly cycle);
    with fewer than 3 batches holding samples, slope and interval are NaN.

    >>> t = np.arange(0.0, 10 * 24, 6.0)
    >>> tr = backlog_trend(t, np.full(t.size, 5.0), 0.0, 10 * 24)
    >>> tr.batch_hours, tr.n_batches, tr.slope_per_day
    (24.0, 10, 0.0)
    """
    time_h = np.asarray(time_h, dtype=float).ravel()
    backlog = np.asarray(backlog, dtype=float).ravel()
    if time_h.shape != backlog.shape:
        raise ValueError(f"time_h and backlog differ in length ({time_h.size} vs {backlog.size})")
    span = end - start
    batch = WEEK if span >= MIN_WEEKS * WEEK else DAY
    n = max(int(np.floor(span / batch)), 0)
    mid, means = _batch_means(time_h, backlog, start, batch, n)
    if means.size < MIN_BATCHES:
        return Trend(float("nan"), float("nan"), float("nan"), int(means.size), batch)
    slope, lo, hi = (float(v) * DAY for v in _ols_slope(mid, means))  # per hour -> per day
    return Trend(slope, lo, hi, int(means.size), batch)


def grows(trend: Trend) -> bool:
    """Whether the backlog grows: the whole 95% interval of the slope is above zero (False when NaN).

    >>> grows(Trend(1.0, 0.2, 1.8, 12, 168.0)), grows(Trend(1.0, -0.2, 2.2, 12, 168.0))
    (True, False)
    """
    return bool(trend.lo > 0)


#: Summary metrics of the backlog trend (:func:`trend_rows`): slope per day and its 95% interval.
TREND_METRICS = ("backlog_trend_per_day", "backlog_trend_lo", "backlog_trend_hi")


def trend_rows(backlog, start: float, end: float):
    """Long-form summary rows (model, metric, 'all', 'all', value, n batches) of each model's backlog trend.

    ``backlog`` is :func:`sim.metrics.backlog`'s table; the trend is taken over ``[start, end)``,
    from the end of the warm-up to the horizon.
    """
    import pandas as pd

    rows = []
    for model, g in backlog.groupby("model", sort=False):
        tr = backlog_trend(g["time_h"].to_numpy(), g["backlog"].to_numpy(), start, end)
        values = (tr.slope_per_day, tr.lo, tr.hi)
        rows += [(model, m, "all", "all", v, tr.n_batches) for m, v in zip(TREND_METRICS, values)]
    return pd.DataFrame(rows, columns=["model", "metric", "dimension", "level", "value", "n"])
