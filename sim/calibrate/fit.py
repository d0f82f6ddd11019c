"""Fitting a scenario's inputs to a log: arrival rates by hour of the week, mixes, and times to close.

- **Arrivals** are a non-homogeneous Poisson process whose rate is ``base × weekday[d] × hour[h]``
  (the scenario's form), fitted by maximum likelihood on the hours the log *observed*: a slot of
  the week outside the fit window has no exposure, so it is unobserved, not zero.  A weekday the
  window never saw keeps the mean weight and is flagged as not identified.
- **Times to close** per department (and per category with enough rows) are fitted as
  right-censored data (still open at the end of the window: censored, not dropped) to the schema's
  exponential, lognormal and gamma, chosen by AIC (:func:`fit_duration`).

>>> import numpy as np
>>> rng = np.random.default_rng(1)
>>> fit = fit_duration(rng.lognormal(1.0, 0.5, 4000), np.array([]))
>>> fit["dist"], bool(abs(fit["mean"] - math.exp(1.125)) < 0.1)    # the true mean is e^(1 + 0.5²/2)
('lognormal', True)
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from scipy import stats

#: Durations below this are set to it before a fit (a request closed the second it was made).
FLOOR_H = 1.0 / 60.0
STALE = 3.0  # open this many times longer than the longest closed request: stale, left out
MAX_CV = 20.0  # a fitted cv beyond this is a fit to censoring, not to the durations
CANDIDATES = {"exponential": stats.expon, "lognormal": stats.lognorm, "gamma": stats.gamma}


def exposure(start: pd.Timestamp, end: pd.Timestamp) -> np.ndarray:
    """Observed hours of each (weekday, hour) slot of the week in ``[start, end)``: a 7 × 24 array."""
    out = np.zeros((7, 24))
    t = start
    while t < end:
        nxt = min(t.floor("h") + pd.Timedelta(hours=1), end)
        out[t.day_of_week, t.hour] += (nxt - t).total_seconds() / 3600.0
        t = nxt
    return out


def arrival_profile(created: pd.Series, start: pd.Timestamp, end: pd.Timestamp, iterations: int = 200) -> dict:
    """Per-hour base rate, weekday and hour-of-day weights (each mean 1) by Poisson maximum likelihood.

    Iterative proportional fitting of ``counts ~ Poisson(exposure × base × w[d] × p[h])`` over the
    observed slots only; returns ``arrivals_per_day``, ``weekday_profile``, ``hourly_profile``, the
    weekdays not observed, and the observed and fitted counts by slot (for the fit report).
    """
    expo = exposure(start, end)
    c = created[(created >= start) & (created < end)]
    counts = np.zeros((7, 24))
    np.add.at(counts, (c.dt.day_of_week.to_numpy(), c.dt.hour.to_numpy()), 1)
    seen_day = expo.sum(axis=1) > 0
    w, p = np.ones(7), np.ones(24)
    for _ in range(iterations):
        den = (expo * w[:, None]).sum(axis=0)
        p = np.where(den > 0, counts.sum(axis=0) / np.where(den > 0, den, 1), 0.0)
        den = (expo * p[None, :]).sum(axis=1)
        w = np.where(den > 0, counts.sum(axis=1) / np.where(den > 0, den, 1), 0.0)
    w[~seen_day] = w[seen_day].mean() if seen_day.any() else 1.0
    base = w.mean() * p.mean()
    hourly, weekly = p / p.mean() if p.mean() > 0 else np.ones(24), w / w.mean()
    return {
        "arrivals_per_day": 24.0 * base,
        "weekday_profile": weekly,
        "hourly_profile": hourly,
        "unobserved_weekdays": [int(d) for d in np.flatnonzero(~seen_day)],
        "observed": counts,
        "expected": expo * base * weekly[:, None] * hourly[None, :],
        "exposure": expo,
        "n": int(len(c)),
    }


def _mean_cv(name: str, params: tuple) -> tuple[float, float]:
    if name == "exponential":
        return params[-1], 1.0
    if name == "lognormal":
        s, _, scale = params
        return scale * math.exp(s * s / 2), math.sqrt(math.expm1(s * s))
    a, _, scale = params
    return a * scale, 1.0 / math.sqrt(a)


def fit_duration(done: np.ndarray, open_for: np.ndarray) -> dict:
    """The best of :data:`CANDIDATES` by AIC for durations ``done`` and right-censored ``open_for`` (hours).

    Requests open :data:`STALE` times longer than any closed one are left out as stale (``n_stale``).
    Returns the schema distribution (``dist``, ``mean``, ``cv``), its AIC and the others'.
    """
    done = np.maximum(np.asarray(done, dtype=float), FLOOR_H)
    open_for = np.maximum(np.asarray(open_for, dtype=float), FLOOR_H)
    # open three times longer than any request of the kind took to close: stale (never to close), not
    # informative censoring; fitting them would stretch the tail to years (NYC's DOHMH: a third open since
    # 2011).  Within that, an open request is right-censored data, which the fit needs to be unbiased.
    stale = open_for > STALE * done.max() if len(done) else np.zeros(len(open_for), dtype=bool)
    open_for = open_for[~stale]
    data = stats.CensoredData(uncensored=done, right=open_for) if len(open_for) else done
    fits = {}
    for name, dist in CANDIDATES.items():
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")  # SciPy's start values may divide by zero on odd data
                params = dist.fit(data, floc=0)
            ll = dist.logpdf(done, *params).sum() + (dist.logsf(open_for, *params).sum() if len(open_for) else 0)
        except (ValueError, RuntimeError, FloatingPointError):
            continue
        k = len(params) - 1  # loc is fixed
        if np.isfinite(ll):
            fits[name] = (2 * k - 2 * ll, params)
    # a heavy right tail fitted to heavy censoring can put the mean far past anything observed:
    # such a fit extrapolates, it does not describe the log, so it is not chosen
    span = max(done.max(initial=0.0), open_for.max(initial=0.0))
    moments = {n: _mean_cv(n, p) for n, (_, p) in fits.items()}
    plausible = [n for n, (m, cv) in moments.items() if m <= 3 * span and cv <= MAX_CV]
    out: dict[str, float | str] = {
        "n_closed": int(len(done)),
        "n_open": int(len(open_for)),
        "n_stale": int(stale.sum()),
    }
    if plausible:
        best = min(plausible, key=lambda n: fits[n][0])
        (mean, cv), aic, note = moments[best], fits[best][0], ""
    else:  # the closed requests' own moments, as a gamma
        best, mean, aic = "gamma", float(done.mean()), float("nan")
        cv = float(min(max(done.std() / mean, 1e-3), MAX_CV)) if mean > 0 else 1.0
        note = "no fit with moments inside the observed range: the closed requests' mean and cv"
    out |= {"dist": best, "mean": float(mean), "cv": float(cv), "aic": float(aic), "note": note}
    out |= {f"aic_{n}": float(a) for n, (a, _) in fits.items()}
    return out


def schema_dist(fit: dict) -> dict:
    """A fitted duration as a scenario distribution."""
    if fit["dist"] == "exponential":
        return {"dist": "exponential", "mean": round(fit["mean"], 4)}
    return {"dist": fit["dist"], "mean": round(fit["mean"], 4), "cv": round(min(max(fit["cv"], 1e-3), 1e3), 4)}
