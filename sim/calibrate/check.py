"""Does a scenario reproduce a log on days it never saw?  ``gridsim check-fit``.

The scenario (its siloed arm: the status quo a 311 or 12345 log records) is simulated over
the check window, by default the part of the log after the scenario's fit window, and on
beyond it so that requests made in the window can close.  For each replication and each
department: time to close P50 and P90 and the Kolmogorov–Smirnov distance between the
log's and the simulation's distributions, all as cumulative incidence with open requests
censored (the log's at the time it was taken, the simulation's at its horizon); the share
closed within the due date where the log has one; arrivals in the window, in all and by hour
of day.  The log is one realisation, so it is judged against the simulation's 95% *prediction*
interval over replications (mean ± t·sd·√(1 + 1/n)), beside the interval of the mean.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from ..scenario import Scenario, ScenarioError
from ..statistics import t_quantile
from ..survival import OPEN, RESOLVED, cif_quantile, cumulative_incidence
from .build import slug, to_hours
from .logs import Log


@dataclass
class FitCheck:
    """The rows of ``fit.csv``, the curves behind them and the window checked."""

    table: pd.DataFrame
    curves: dict  # department -> {"log": (t, F), "sim": [(t, F), ...]}
    window: tuple
    reps: int


def _log_side(log: Log, a, b) -> pd.DataFrame:
    t = log.table
    w = t[(t["created"] >= a) & (t["created"] < b) & t["status"].isin(["closed", "open"])].copy()
    taken = max(t["closed"].max(), t["created"].max())
    ended = w["closed"].where(w["status"] == "closed", taken)
    w["hours"] = to_hours(ended - w["created"])
    w["event"] = np.where(w["status"] == "closed", RESOLVED, OPEN)
    w["due_h"] = to_hours(w["due"] - w["created"])
    w["dept"] = w["department"].map(slug)
    return w


def _ks(t1, f1, t2, f2) -> float:
    """Largest gap between two step CDFs (right-continuous), over both sets of jump times."""
    grid = np.union1d(t1, t2)
    if not len(grid):
        return float("nan")

    def at(t, f):
        i = np.searchsorted(t, grid, side="right") - 1
        return np.where(i >= 0, f[np.maximum(i, 0)], 0.0)

    return float(np.max(np.abs(at(t1, f1) - at(t2, f2))))


def _measures(hours, event, due=None) -> dict:
    out = {
        "p50_h": cif_quantile(hours, event, 0.5) if len(hours) else np.nan,
        "p90_h": cif_quantile(hours, event, 0.9) if len(hours) else np.nan,
    }
    if due is not None and np.isfinite(due).any():
        ok = np.isfinite(due)
        out["closed_by_due"] = float(np.mean((event[ok] == RESOLVED) & (hours[ok] <= due[ok])))
    return out


def simulate_window(
    sc: Scenario,
    a: pd.Timestamp,
    b: pd.Timestamp,
    taken: pd.Timestamp,
    replications,
    tail_days: float = 60.0,
    seed: int | None = None,
    replay: pd.DataFrame | None = None,
) -> list[pd.DataFrame]:
    """The siloed arm's requests filed in ``[a, b)``, one table per replication: ``dept``, ``hours`` to close.

    The run goes on past ``b`` for as long as the log did after it (``taken``, at most ``tail_days``), so
    that its requests are censored as the log's are: ``event`` is RESOLVED or OPEN at the horizon.  Where
    each category has one department (a calibrated scenario), no issue arises after ``b``: every office
    serves first come, first served, so later arrivals could not delay the window's requests, and
    simulating them would cost weeks of arrivals for nothing (the window's issues keep their draws).  With
    ``replay`` (the log's requests in the window), their own arrival times, categories and areas are
    simulated instead of the scenario's arrivals (:func:`replayed`).
    """
    from ..issues import generate_issues
    from ..records import to_frame, with_dates
    from ..simulation import simulate

    day0 = a.normalize()
    tail = min(tail_days, max((taken - b).total_seconds() / 86400.0, 1.0))
    horizon = (b - day0).total_seconds() / 86400.0 + tail
    run_sc = sc.model_copy(
        update={
            "start_date": day0.date(),
            "horizon_days": horizon,
            "warmup_days": 0.0,
            "seed": sc.seed if seed is None else seed,
        }
    )
    policy, arm = run_sc.arm("siloed")
    dept = {k: c.departments[0] for k, c in sc.categories.items()}
    deadline = {k: c.resolution_deadline_hours for k, c in sc.categories.items()}
    sims = []
    for r in replications:
        issues = generate_issues(arm, r) if replay is None else replayed(arm, replay, day0, r)
        if all(len(c.departments) == 1 for c in sc.categories.values()):
            issues = issues.before(to_hours(pd.Series([b - day0]))[0])
        app = with_dates(to_frame(simulate(arm, "siloed", issues, r, policy=policy).records), day0.date())
        app = app[(app["created_at"] >= a) & (app["created_at"] < b) & app["filed"].notna()]
        ended = app["first_resolved"].fillna(run_sc.horizon)
        sims.append(
            app.assign(
                dept=app["category"].map(dept),
                hours=(ended - app["filed"]).to_numpy(),
                event=np.where(app["first_resolved"].notna(), RESOLVED, OPEN),
                due_h=app["category"].map(deadline).astype(float),
            )
        )
    return sims


def replayed(sc: Scenario, rows: pd.DataFrame, day0: pd.Timestamp, replication: int):
    """The log's requests ``rows`` as the issue stream of replication ``replication`` (times from ``day0``).

    Each keeps its creation time, category (as calibrated: by department, crews apart) and area (the
    first area where the log's is missing or not in the scenario); a category the scenario does not
    have is left out.  Everything else (channels, work times, ...) is drawn as usual.
    """
    from ..issues import issues_from
    from .build import _category_keys

    groups = np.where(rows["channel"] == "inspection", "crews", "citizens")
    keys = _category_keys(rows.assign(group=groups))
    known = keys.isin(list(sc.categories)).to_numpy() & np.isin(groups, list(sc.groups))
    rows, keys, groups = rows[known], keys[known], groups[known]
    t = to_hours(rows["created"] - day0)
    order = np.argsort(t, kind="stable")
    code = {a: i for i, a in enumerate(sc.areas)}
    area = rows["area"].map(lambda x: code.get(slug(x), 0) if x else 0).to_numpy()
    cat, grp = [{k: i for i, k in enumerate(names)} for names in (sc.categories, sc.groups)]
    return issues_from(
        sc,
        t[order],
        np.array([grp[g] for g in groups])[order],
        keys.map(cat).to_numpy()[order],
        area[order],
        replication,
    )


def check_fit(
    sc: Scenario,
    log: Log,
    window: tuple | None = None,
    reps: int = 10,
    tail_days: float = 60.0,
    seed: int | None = None,
    replay: bool = False,
) -> FitCheck:
    """Simulate ``sc`` ``reps`` times over the check window and compare it with ``log`` there.

    ``replay`` feeds the log's own requests of the window (times, categories, areas) instead of the
    scenario's arrivals, to judge the service side apart from the arrival side.
    """
    if window is None:
        if sc.calibration is None:
            raise ScenarioError(
                "--window",
                ["the scenario records no fit window (not from gridsim calibrate): give the window to check"],
            )
        a, b = pd.Timestamp(sc.calibration.fit_window[1]), log.table["created"].max() + pd.Timedelta(seconds=1)
    else:
        a, b = (pd.Timestamp(w) for w in window)
    obs = _log_side(log, a, b)
    if obs.empty:
        raise ScenarioError("--window", [f"no request of the log was created in [{a}, {b})"])
    taken = max(log.table["closed"].max(), log.table["created"].max())
    arrivals = log.table[(log.table["created"] >= a) & (log.table["created"] < b)]  # every status: all arrived
    sims = simulate_window(sc, a, b, taken, range(reps), tail_days, seed, arrivals if replay else None)
    depts = {d: slug(d) for d in obs["department"].unique()}
    rows: list[dict] = []
    curves: dict[str, dict[str, Any]] = {d: {"sim": []} for d in depts}  # as FitCheck.curves
    # arrivals: in all, and by hour of day
    rows += _compare("arrivals in the window", "all", len(arrivals), [len(s) for s in sims])
    for h in range(24):
        rows += _compare(
            "arrivals by hour of day",
            f"{h:02d}",
            int((arrivals["created"].dt.hour == h).sum()),
            [int((s["created_at"].dt.hour == h).sum()) for s in sims],
        )
    for dept, key in depts.items():
        o = obs[obs["department"] == dept]
        mo = _measures(o["hours"].to_numpy(), o["event"].to_numpy(), o["due_h"].to_numpy())
        t_log, f_log = cumulative_incidence(o["hours"].to_numpy(), o["event"].to_numpy())
        curves[dept]["log"] = (t_log, f_log)
        per_rep = []
        for s in sims:
            g = s[s["dept"] == key]
            m = _measures(
                g["hours"].to_numpy(dtype=float),
                g["event"].to_numpy(),
                g["due_h"].to_numpy() if "closed_by_due" in mo else None,
            )
            t_s, f_s = (
                cumulative_incidence(g["hours"].to_numpy(dtype=float), g["event"].to_numpy())
                if len(g)
                else (np.array([]), np.array([]))
            )
            m["ks"] = _ks(t_log, f_log, t_s, f_s)
            curves[dept]["sim"].append((t_s, f_s))
            per_rep.append(m)
        for what in ("p50_h", "p90_h", "closed_by_due"):
            if what in mo:
                rows += _compare(
                    f"time to close {what.replace('_h', ' (h)')}"
                    if what != "closed_by_due"
                    else "share closed by its due date",
                    dept,
                    mo[what],
                    [m[what] for m in per_rep],
                )
        rows += _compare(
            "KS distance, log vs simulated time to close", dept, 0.0, [m["ks"] for m in per_rep], judge=False
        )
        rows[-1]["requests"] = len(o)
    return FitCheck(pd.DataFrame(rows), curves, (a, b), reps)


def _compare(what: str, level: str, observed: float, simulated: list[float], judge: bool = True) -> list[dict]:
    x = np.asarray(simulated, dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    mean = float(x.mean()) if n else np.nan
    if n >= 2:
        t = t_quantile(0.95, n - 1)
        sd = x.std(ddof=1)
        lo, hi = mean - t * sd / np.sqrt(n), mean + t * sd / np.sqrt(n)
        plo, phi = mean - t * sd * np.sqrt(1 + 1 / n), mean + t * sd * np.sqrt(1 + 1 / n)
    else:
        lo = hi = plo = phi = np.nan
    inside = bool(plo <= observed <= phi) if judge and np.isfinite(observed) and n >= 2 else None
    return [
        {
            "what": what,
            "level": level,
            "observed": observed if judge else np.nan,
            "simulated": mean,
            "ci_lo": lo,
            "ci_hi": hi,
            "prediction_lo": plo,
            "prediction_hi": phi,
            "inside": inside,
            "reps": n,
        }
    ]
