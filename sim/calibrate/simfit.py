"""Simulation-based calibration: work time and headcount so that the simulated time to close matches the log.

A work-order log's time to close is queueing plus work plus waiting for office hours, not work
alone.  The direct fit (:mod:`.build`) takes it all as work with staff enough not to queue.  Here
each department's work time is scaled by a multiplier ``m`` and its headcount set to ``f`` times
the offered load of the direct fit (an upper bound on the true load, as its work time is); for
each ``f`` the multipliers of all departments are fitted at once by
:func:`scipy.optimize.least_squares` so that the simulated P50 and P90 of time to close
(censored as the log's are) match the log's on the fit window, and so does the *busy ratio*:
the P50 of requests filed when many others had just been filed (more than the median number
in the preceding P50 hours) over that of the others.  Quantiles alone cannot tell queueing
from work (a no-queue fit with the log's own spread always matches them); the busy ratio can,
since only a queue makes a request wait longer because others came just before it.
Departments share no staff in a calibrated scenario, so the residuals of one department depend
on its own multiplier only (a diagonal Jacobian, estimated with one extra simulation per step)
and each department takes the ``f`` that fits it best.  Every simulation uses the same
replications (common random numbers): the arrivals and the uniforms behind every work time are
the same at every step, so the objective moves with the parameters, not with the noise.

What it cannot identify is said: levels whose loss is within twice the noise of the best (the
change of a loss on fresh replications) fit alike.  If the no-queue stand-in is among them, a
queue is not identified and the stand-in is kept; otherwise the best level is taken, with the
range of headcounts and work times that fit alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import optimize, sparse

from ..scenario import Scenario
from ..survival import cif_quantile
from .build import Calibration, slug
from .check import _log_side, simulate_window
from .logs import Log

#: Headcounts tried, as multiples of the direct fit's offered load (None: its no-queue stand-in headcount).
LEVELS = (None, 1.5, 1.0, 0.75, 0.5)
QUANTILES = (0.5, 0.9)
BOUNDS = (math.log(0.02), math.log(2.0))  # the work-time multiplier, in log space
MISSING = 5.0  # the residual of a quantile the simulation never reaches (nothing closed)
NR = len(QUANTILES) + 1  # residuals a department: its quantiles and the busy ratio


@dataclass
class SimFit:
    """The scenario with the chosen work times and headcounts, the profile over ``ρ``, and the flags."""

    scenario: Scenario
    table: pd.DataFrame
    flags: list


def _scaled(dist, m: float):
    """``dist`` with its mean (or fixed value) times ``m``, its shape kept."""
    field = "value" if dist.dist == "fixed" else "mean"
    return dist.model_copy(update={field: getattr(dist, field) * m})


def with_parameters(sc: Scenario, mult: dict[str, float], heads: dict[str, int]) -> Scenario:
    """``sc`` with each department's work times scaled by ``mult`` and its headcount set to ``heads``."""
    cats = {
        k: c.model_copy(update={"service": {d: _scaled(x, mult.get(d, 1.0)) for d, x in c.service.items()}})
        for k, c in sc.categories.items()
    }
    depts = {d: x.model_copy(update={"headcount": int(heads.get(d, x.headcount))}) for d, x in sc.departments.items()}
    return sc.model_copy(update={"categories": cats, "departments": depts})


def offered_load(sc: Scenario, hours: float, rows: pd.DataFrame) -> dict[str, float]:
    """Staff busy on average per department in its open hours, at the direct fit's work times."""
    from .build import _category_keys  # the same category ids as the scenario's

    keys = _category_keys(rows.assign(group=np.where(rows["channel"] == "inspection", "crews", "citizens")))
    load: dict[str, float] = {}
    for k, n in keys.value_counts().items():
        if k in sc.categories:
            ((d, dist),) = sc.categories[k].service.items()
            cal = sc.calendars[sc.departments[d].calendar]
            share = cal.build(None).open_hours_per_week / 168.0
            load[d] = load.get(d, 0.0) + n / hours * dist.mean_value / share
    return load


def busy(t: np.ndarray, window: float) -> np.ndarray:
    """Whether each request was filed when more than the median number of others came in the ``window`` hours before.

    >>> busy(np.array([0.0, 10.0, 10.5, 11.0, 30.0]), 2.0).tolist()
    [False, False, True, True, False]
    """
    order = np.argsort(t, kind="stable")
    ts = t[order]
    recent = np.empty(len(t))
    recent[order] = np.arange(len(ts)) - np.searchsorted(ts, ts - window, side="left")
    return recent > np.median(recent) if len(t) else np.zeros(0, dtype=bool)


def _targets(hours, event, flag) -> list[float]:
    """P50, P90 and the busy ratio (log of busy P50 over quiet P50) of one department's requests."""
    q = [cif_quantile(hours, event, p) for p in QUANTILES]
    b, c = (cif_quantile(hours[m], event[m], 0.5) if m.any() else np.nan for m in (flag, ~flag))
    return q + [math.log(b / c) if b > 0 and c > 0 else np.nan]


def fit_by_simulation(cal: Calibration, log: Log, reps: int = 3, levels=LEVELS, max_steps: int = 25) -> SimFit:
    """Fit work-time multipliers per department for each headcount level; choose per department."""
    sc, (a, b) = cal.scenario, cal.window
    obs = _log_side(log, a, b)
    taken = max(log.table["closed"].max(), log.table["created"].max())
    depts = sorted(sc.departments)
    obs = obs.assign(dept=obs["department"].map(slug), t=(obs["created"] - a).dt.total_seconds() / 3600.0)
    window = {d: cif_quantile(g["hours"].to_numpy(), g["event"].to_numpy(), 0.5) for d, g in obs.groupby("dept")}
    target = {
        d: _targets(g["hours"].to_numpy(), g["event"].to_numpy(), busy(g["t"].to_numpy(), window[d]))
        for d, g in obs.groupby("dept")
        if d in sc.departments and np.isfinite(window[d])
    }
    depts = [d for d in depts if d in target and all(np.isfinite(target[d]))]
    load = offered_load(sc, (b - a).total_seconds() / 3600.0, obs)
    rows, chosen = [], {}
    for level in levels:
        heads = {
            d: sc.departments[d].headcount if level is None else max(1, math.ceil(load.get(d, 0.0) * level))
            for d in depts
        }

        def residuals(x, reps_=range(reps)):
            return _residuals(sc, depts, dict(zip(depts, np.exp(x))), heads, target, window, (a, b, taken), reps_)

        sparsity = sparse.kron(sparse.eye(len(depts)), np.ones((NR, 1)))
        res = optimize.least_squares(
            residuals,
            np.zeros(len(depts)),
            bounds=BOUNDS,
            jac_sparsity=sparsity,
            diff_step=0.05,
            max_nfev=max_steps,
            method="dogbox",
            tr_solver="lsmr",
        )
        fresh = residuals(res.x, range(reps, 2 * reps))  # the same parameters on other replications: the noise
        for k, d in enumerate(depts):
            r, rf = res.fun[NR * k : NR * (k + 1)], fresh[NR * k : NR * (k + 1)]
            rows.append(
                {
                    "staff_per_load": "stand-in" if level is None else level,
                    "department": d,
                    "headcount": heads[d],
                    "multiplier": float(np.exp(res.x[k])),
                    "loss": float(r @ r),
                    "loss_fresh": float(rf @ rf),
                    "log_p50_h": target[d][0],
                    "log_p90_h": target[d][1],
                    "sim_p50_h": target[d][0] * math.exp(r[0]),
                    "sim_p90_h": target[d][1] * math.exp(r[1]),
                    "log_busy_ratio": math.exp(target[d][2]),
                    "sim_busy_ratio": math.exp(target[d][2] + r[2]),
                    "evaluations": res.nfev,
                }
            )
    table = pd.DataFrame(rows)
    flags = []
    for d, g in table.groupby("department"):
        pick, flag = _choose(g)
        chosen[d] = pick
        flags.append(f"department {d}: {flag}")
    table["chosen"] = [chosen[d].name == i for i, d in zip(table.index, table["department"])]
    fitted = with_parameters(
        sc, {d: float(p["multiplier"]) for d, p in chosen.items()}, {d: int(p["headcount"]) for d, p in chosen.items()}
    )
    return SimFit(fitted, table, flags)


def _choose(g: pd.DataFrame) -> tuple[pd.Series, str]:
    """One department's fit: the best level, and what the log identifies, judged against the noise.

    The noise is the largest change of a level's loss on fresh replications; a level fits as well as
    the best when its loss is within twice that.  A no-queue stand-in among them: a queue is not
    identified and the stand-in is kept.  Otherwise the best is taken, with the range of headcounts
    and work times that fit as well.
    """
    best = g.loc[g["loss"].idxmin()]
    noise = float(np.max(np.abs(g["loss_fresh"] - g["loss"])))
    alike = g[g["loss"] <= best["loss"] + 2 * noise]
    standin = g[g["staff_per_load"] == "stand-in"]
    if len(standin) and standin.index[0] in alike.index:
        keep = standin.iloc[0]
        return keep, (
            f"a queue is not identified by the log (headcounts {_span(alike['headcount'])} fit alike, "
            f"within the noise {noise:.3f}): the no-queue stand-in is kept, work time "
            f"× {keep['multiplier']:.2f}"
        )
    rejected = f"loss {standin['loss'].iloc[0]:.3f} against {best['loss']:.3f}" if len(standin) else "not tried"
    what = (
        f"headcount {int(best['headcount'])}, work time × {best['multiplier']:.2f} of the direct fit, fitted by "
        f"simulation (the no-queue stand-in is rejected: {rejected})"
    )
    if len(alike) > 1:
        what += (
            f"; headcounts {_span(alike['headcount'])} with work time × {_span(alike['multiplier'], '.2f')} fit "
            f"alike (within the noise {noise:.3f}): the split of time to close into queue and work is that "
            "uncertain"
        )
    return best, what


def _span(x: pd.Series, fmt: str = ".0f") -> str:
    lo, hi = x.min(), x.max()
    return f"{lo:{fmt}}" if lo == hi else f"{lo:{fmt}}–{hi:{fmt}}"


def _residuals(
    sc: Scenario,
    depts: list[str],
    mult: dict[str, float],
    heads: dict[str, int],
    target: dict[str, list[float]],
    window: dict[str, float],
    span: tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp],
    replications: range,
) -> np.ndarray:
    """Per department: log(simulated / observed) P50 and P90, and the busy ratios' difference (replications pooled)."""
    sims = []
    for app in simulate_window(with_parameters(sc, mult, heads), *span, replications):
        flag = np.zeros(len(app), dtype=bool)
        for d in depts:  # busy or quiet within its own replication
            m = (app["dept"] == d).to_numpy()
            flag[m] = busy(app.loc[m, "filed"].to_numpy(dtype=float), window[d])
        sims.append(app.assign(busy=flag))
    pooled = pd.concat(sims)
    out = []
    for d in depts:
        g = pooled[pooled["dept"] == d]
        sim = (
            _targets(g["hours"].to_numpy(dtype=float), g["event"].to_numpy(), g["busy"].to_numpy())
            if len(g)
            else [np.nan] * NR
        )
        for k, (x, obs) in enumerate(zip(sim, target[d])):
            ok = np.isfinite(x) and (k == NR - 1 or (x > 0 and obs > 0))
            out.append((x - obs if k == NR - 1 else math.log(x / obs)) if ok else MISSING)
    return np.array(out)


def applied(cal: Calibration, sf: SimFit) -> Calibration:
    """``cal`` with the scenario of ``sf`` and its flags (in the scenario's ``calibration`` block too)."""
    flags = cal.flags + sf.flags
    assert sf.scenario.calibration is not None  # calibrate() fills in the scenario's calibration block
    info = sf.scenario.calibration.model_copy(update={"assumed": flags[1:]})
    return replace(cal, scenario=sf.scenario.model_copy(update={"calibration": info}), flags=flags)
