"""Resolution times with censoring and a competing event (Aalen–Johansen).

An appeal still open at the horizon has no resolution time yet, and one
abandoned never gets one.  Taking quantiles of the resolved appeals alone
drops both and so understates how long resolution takes.  The cumulative
incidence of resolution, CIF_1(t) = P(resolved by t), counts every filed
appeal: abandonment is a competing event (it removes the appeal for good) and
an appeal open at the horizon is right-censored (it may still be resolved).

Per appeal: ``duration`` (hours from the issue arising to its end, or to the
horizon) and ``event`` (1 resolved, 2 abandoned, 0 open at the horizon).  At
tied times events happen before censoring, as usual.

>>> duration = np.array([2.0, 3.0, 3.0, 5.0, 8.0])
>>> event = np.array([1, 2, 1, 0, 1])
>>> times, cif = cumulative_incidence(duration, event)
>>> times.tolist(), cif.round(3).tolist()
([2.0, 3.0, 8.0], [0.2, 0.4, 0.8])
>>> cif_quantile(duration, event, 0.5)
8.0
"""

from __future__ import annotations

import numpy as np

RESOLVED, ABANDONED, OPEN = 1, 2, 0

#: CIF values this close to ``q`` count as reaching it: the product over steps
#: rounds, so an exact k/n can come out a few ulps short.
_TOL = 1e-9


def _level(q: float) -> float:
    """The CIF value that counts as reaching ``q`` (never 0, so a tiny q still needs a resolution)."""
    if not 0.0 < q <= 1.0:
        raise ValueError(f"q must be in (0, 1], not {q}")
    return q - min(_TOL, q / 2)


def _aalen_johansen(d1: np.ndarray, d2: np.ndarray, censored: np.ndarray, still_at_risk: float) -> np.ndarray:
    """CIF of event 1 after each ordered step (a distinct time or a bin), given counts per step.

    Everyone counted at or after a step is at risk at it, less the share
    ``1 - still_at_risk`` of those censored in the step (censored before its events).
    """
    total = d1 + d2 + censored
    at_risk = total.sum() - np.concatenate([[0], np.cumsum(total)[:-1]]) - (1.0 - still_at_risk) * censored
    safe = np.where(at_risk > 0, at_risk, 1.0)  # no one at risk: no event either
    surv_after = np.cumprod(1.0 - (d1 + d2) / safe)  # all-cause survival after each step
    surv_before = np.concatenate([[1.0], surv_after[:-1]])
    return np.cumsum(surv_before * d1 / safe)


def _check(duration, event) -> tuple[np.ndarray, np.ndarray]:
    duration = np.asarray(duration, dtype=float).ravel()
    event = np.asarray(event).ravel()
    if duration.shape != event.shape:
        raise ValueError(f"duration and event differ in length ({duration.size} vs {event.size})")
    if not np.all(np.isfinite(duration)) or np.any(duration < 0):
        raise ValueError("durations must be finite and non-negative")
    if not np.all(np.isin(event, (OPEN, RESOLVED, ABANDONED))):
        raise ValueError("event must be 0 (open), 1 (resolved) or 2 (abandoned)")
    return duration, event.astype(np.intp)


def cumulative_incidence(duration, event) -> tuple[np.ndarray, np.ndarray]:
    """Distinct resolution times and the Aalen–Johansen CIF of resolution right after each.

    >>> t, f = cumulative_incidence([1.0, 1.0, 2.0, 4.0], [1, 1, 0, 1])
    >>> t.tolist(), f.tolist()
    ([1.0, 4.0], [0.5, 1.0])
    """
    duration, event = _check(duration, event)
    times, idx = np.unique(duration, return_inverse=True)
    counts = np.bincount(idx * 3 + event, minlength=3 * times.size).reshape(-1, 3)
    # Ties: events before censoring, so those censored at t are still at risk at t.
    cif = _aalen_johansen(counts[:, RESOLVED], counts[:, ABANDONED], counts[:, OPEN], still_at_risk=1.0)
    has = counts[:, RESOLVED] > 0
    return times[has], cif[has]


def cif_quantile(duration, event, q: float) -> float:
    """The smallest t with CIF_1(t) >= q: the time by which a share ``q`` of all filed appeals is resolved.

    NaN with no appeal, or when the CIF never reaches ``q`` (too few resolved).

    >>> cif_quantile([1.0, 2.0, 3.0, 4.0], [1, 1, 2, 1], 0.5)
    2.0
    >>> cif_quantile([1.0, 2.0, 3.0, 4.0], [1, 1, 2, 1], 0.9)
    nan
    """
    level = _level(q)
    times, cif = cumulative_incidence(duration, event)
    i = int(np.searchsorted(cif, level, side="left"))  # cif is non-decreasing
    return float(times[i]) if i < times.size else float("nan")


def _point_in_bin(edges: np.ndarray, i: int, pos: float) -> float:
    """The value at ``pos`` in (0, 1] of bin ``i``: log-uniform, linear in the first bin (as the tally)."""
    lo = edges[i]
    # The last bin is open-ended: give it the log width of the one before.
    hi = edges[i + 1] if i + 1 < edges.size else edges[i] ** 2 / edges[i - 1]
    if i == 0:
        return float(lo + pos * (hi - lo))
    return float(lo * (hi / lo) ** pos)


def cif_quantile_binned(resolved, competing, censored, edges, q: float) -> float:
    """:func:`cif_quantile` from histograms: counts[i] of values in [edges[i], edges[i+1]), last bin open.

    Life-table Aalen–Johansen.  A bin's censorings are taken as spread through
    it, so half of them are at risk at its events (the actuarial rule): putting
    them all after the events overstates who is at risk, which biased the CIF
    down by up to ~1e-3 and moved quantiles by up to 1.8% on random data,
    against 0.5% with this rule.  The q is reached at the k-th of the bin's d
    resolutions (all of a bin's share the same increment); as in
    :func:`sim.tally.hist_quantile` the k-th is placed (k - 0.5) / d of the way
    through the bin, in log time (linearly in the first bin).  With the 1% bins
    of :data:`sim.tally.EDGES` that is within 1% of :func:`cif_quantile`, except
    for q within a few 1e-4 of the CIF's plateau, where the CIF is flat.

    >>> from sim.tally import EDGES
    >>> x, ev = np.array([1.0, 2.0, 3.0, 4.0]), np.array([1, 1, 2, 1])
    >>> b = np.searchsorted(EDGES, x, side="right") - 1
    >>> h = [np.bincount(b[ev == e], minlength=EDGES.size) for e in (1, 2, 0)]
    >>> bool(abs(cif_quantile_binned(*h, EDGES, 0.5) - 2.0) < 0.02)
    True
    """
    level = _level(q)
    edges = np.asarray(edges, dtype=float)
    d1, d2, c = (np.asarray(a, dtype=float).ravel() for a in (resolved, competing, censored))
    if not d1.size == d2.size == c.size == edges.size:
        raise ValueError(f"each histogram needs one count per edge ({edges.size})")
    if d1.sum() == 0:
        return float("nan")
    cif = _aalen_johansen(d1, d2, c, still_at_risk=0.5)
    i = int(np.searchsorted(cif, level, side="left"))  # the first bin reaching it has resolutions
    if i == cif.size:
        return float("nan")
    before = cif[i - 1] if i else 0.0
    step = (cif[i] - before) / d1[i]  # the CIF increment of each resolution in bin i
    k = min(max(np.ceil((level - before) / step), 1.0), d1[i])
    return _point_in_bin(edges, i, (k - 0.5) / d1[i])
