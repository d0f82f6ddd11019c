"""A scenario from a work-order log: the status quo the log records, with every guess flagged.

What the log identifies: arrivals (rate by weekday and hour, observed hours only), the mix of
categories, channels and areas, which department handles which category, and each one's time
to close (censored fits).  What it cannot: the split of time to close into queueing, work and
scheduling, so the time to close is taken as the department's work time on its calendar with
enough staff not to queue; citizens' report delay, patience and travel; everything of the
merged arm.  Each of those is listed in ``flags`` and in the scenario's description.

An event log with the start and complete of department work (gridsim's own, or a process-mining
export) identifies more: the work time itself (fitted from the spells of work, not from the time
to close) and a lower bound on each department's headcount (the most spells at work at once).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..scenario import Scenario, build_scenario, load_scenario
from .fit import arrival_profile, fit_duration, schema_dist
from .logs import Log

MIN_ROWS = 30  # a category with fewer closed requests borrows its department's fit
ZERO = {"dist": "fixed", "value": 0.0}


def slug(text: str) -> str:
    """An id for a scenario map key: lower case letters, digits and ``_``.

    >>> slug("Bulky Items"), slug("DOF Property - Payment Issue")
    ('bulky_items', 'dof_property_payment_issue')
    """
    s = re.sub(r"[^0-9a-z\u4e00-\u9fff]+", "_", str(text).lower()).strip("_")
    return s or "x"


@dataclass
class Calibration:
    """The calibrated scenario, and what went into it."""

    scenario: Scenario
    fits: pd.DataFrame  # one row per fitted category (and department pool)
    arrivals: dict  # group -> arrival_profile(...)
    flags: list[str] = field(default_factory=list)
    window: tuple = ()


def to_hours(td: pd.Series) -> np.ndarray:
    """Timedeltas as hours (NaN where missing)."""
    return td.dt.total_seconds().to_numpy() / 3600.0


def _durations(rows: pd.DataFrame, censor_at: pd.Timestamp, clock=None) -> tuple[np.ndarray, np.ndarray]:
    """Hours from creation to closing (closed rows) and to ``censor_at`` (open rows).

    With ``clock`` (a function of two timestamp Series), the open hours of the work calendar instead.
    """
    done = rows[rows["status"] == "closed"]
    still = rows[rows["status"] == "open"]
    if clock is None:
        return to_hours(done["closed"] - done["created"]), to_hours(censor_at - still["created"])
    return clock(done["created"], done["closed"]), clock(still["created"], pd.Series(censor_at, index=still.index))


def _open_clock(spec: dict, day0: pd.Timestamp):
    """Open hours of the calendar ``spec`` between two timestamp Series (t = 0 at ``day0``)."""
    from ..scenario import CalendarSpec

    cal = CalendarSpec(**spec).build(day0.date())

    def clock(a: pd.Series, b: pd.Series) -> np.ndarray:
        ta, tb = to_hours(a - day0), to_hours(b - day0)
        return np.array([cal.open_between(x, y) for x, y in zip(ta, tb)])

    return clock, cal


def is_calendar(spec) -> bool:
    """Whether ``spec`` is one calendar (its keys are a calendar's fields), not a map of them by department.

    >>> is_calendar({"weekdays": [0, 1, 2, 3, 4]}), is_calendar({"BOS": {"hours": [[7, 17]]}})
    (True, False)
    """
    from ..scenario import CalendarSpec

    return isinstance(spec, dict) and bool(spec) and set(spec) <= set(CalendarSpec.model_fields)


@dataclass
class WorkClock:
    """When one department works: its calendar's name in the scenario, spec, open-hours clock and open share."""

    name: str = "always"
    spec: dict | None = None
    clock: Callable[[pd.Series, pd.Series], np.ndarray] | None = None  # open hours between two timestamp Series
    open_share: float = 1.0


def work_clocks(work_calendar: dict | None, depts, day0: pd.Timestamp) -> dict[str, WorkClock]:
    """Each department's :class:`WorkClock`: one calendar for all, or a map by the log's department names
    (``default`` for the others); a department no calendar covers is always open."""
    from ..scenario import ScenarioError

    if not work_calendar:
        return {d: WorkClock() for d in depts}
    single = is_calendar(work_calendar)
    per = {"default": work_calendar} if single else work_calendar
    unknown = sorted(set(per) - set(depts) - {"default"})
    if unknown:
        raise ScenarioError(
            "--work-calendar",
            [f"no department {unknown} in the log (it has {sorted(depts)}; 'default' for the others)"],
        )
    out = {}
    for d in depts:
        spec = per.get(d, per.get("default"))
        if spec is None:
            out[d] = WorkClock()
            continue
        clock, cal = _open_clock(spec, day0)
        out[d] = WorkClock("work" if single else f"work_{slug(d)}", dict(spec), clock, cal.open_hours_per_week / 168.0)
    return out


def calibrate(
    log: Log, window: tuple | None = None, name: str | None = None, work_calendar: dict | None = None
) -> Calibration:
    """Fit a scenario to ``log`` on ``window`` (``(start, end)`` timestamps; default: the span of its rows).

    ``work_calendar`` (a calendar as in scenarios: weekdays, hours, holidays; or a map of them by the
    log's department names, ``default`` for the others) is when departments work: times to close are
    then fitted in its open hours, so nights, weekends and holidays lengthen them in the simulation
    as in the log (default: always open, times to close as they are).
    """
    t = log.table
    first, last = t["created"].min(), t["created"].max() + pd.Timedelta(seconds=1)  # the last row is inside
    start, end = (pd.Timestamp(w) for w in window) if window else (first, last)
    start, end = max(start, first), min(end, last)  # before the first row and after the last: unobserved
    rows = t[(t["created"] >= start) & (t["created"] < end)].copy()
    censor_at = max(t["closed"].max(), t["created"].max())  # when the log was taken
    flags = [f"fit window {start} to {end}: arrivals outside it are unobserved, not zero"]
    rows["group"] = np.where(rows["channel"] == "inspection", "crews", "citizens")
    rows["key"] = _category_keys(rows)
    raw = _base(log, start, end, name)
    depts = sorted(rows["department"].unique())
    clocks = work_clocks(work_calendar, depts, start.normalize())
    for d, c in clocks.items():
        if c.spec is not None:
            raw["calendars"][c.name] = c.spec
            flags.append(f"{d} works to the given calendar ({c.spec}): its times to close are fitted in its open hours")
    work = _spells(rows, log.work, clocks)
    if len(work):
        fits, services = _work_fits(rows, work, flags)
    else:
        fits, services = _service_fits(rows, censor_at, flags, clocks)
    hours = (end - start).total_seconds() / 3600.0
    raw["departments"] = {}
    for d in depts:
        if len(work):
            staff = max(most_at_once(work[work["department"] == d]), 1)
        else:
            load = sum(len(g) / hours * services[k]["mean"] for k, g in rows[rows["department"] == d].groupby("key"))
            load /= clocks[d].open_share  # the week's work is done in its open hours
            staff = math.ceil(load + 3 * math.sqrt(load) + 1)  # no queue to speak of: time to close is the work
        raw["departments"][slug(d)] = {"headcount": staff, "calendar": clocks[d].name, "stationed_share": 0.0}
    raw["categories"] = {
        k: {
            "departments": [slug(g["department"].iloc[0])],
            "line_grid": "intake",
            "service": {slug(g["department"].iloc[0]): schema_dist(services[k])},
            "discoverable": bool((g["group"] == "crews").any()),
            **_deadline(g),
        }
        for k, g in rows.groupby("key")
    }
    areas = rows.loc[rows["area"] != "", "area"].value_counts()
    raw["areas"] = {slug(a): {"weight": float(n)} for a, n in areas.items()} or {"all": {"weight": 1.0}}
    arrivals = {}
    raw["groups"] = {}
    for group, g in rows.groupby("group"):
        prof = arrival_profile(g["created"], start, end)
        arrivals[group] = prof
        raw["groups"][group] = _group(g, prof, raw["areas"])
        if prof["unobserved_weekdays"]:
            names = ", ".join("Mon Tue Wed Thu Fri Sat Sun".split()[d] for d in prof["unobserved_weekdays"])
            flags.append(
                f"{group}: weekdays {names} never observed in the window: their arrival weight is the "
                "mean of the others (not identified)"
            )
    if "crews" in raw["groups"]:
        flags.append(
            "requests the departments report themselves (e.g. LA's Driver Self Report) are a group 'crews' "
            "filing online: the log has no time the issues arose, so inspection crews racing citizens "
            "cannot be fitted"
        )
    flags += [
        (
            "work time is fitted from the log's spells of department work (start to complete"
            + (", in the work calendar's open hours" if work_calendar else "")
            + "); each department's headcount is "
            "the most spells at work at once: a lower bound, equal to the headcount only if the department "
            "was ever fully busy; the intake, hotline and dispatch steps are not fitted (zero)"
        )
        if len(work)
        else "time to close is taken as each department's work time (on its calendar), with staff enough not "
        "to queue: the log cannot split it into queueing, work and scheduling, so headcounts are a "
        "stand-in (offered load + 3 √load + 1), not a staffing estimate",
        "citizens' report delay (0), patience, travel and the hotline's talk time are not in the log: assumed",
        "every parameter of the merged arm comes from the default street: assumed, not fitted",
        "the simulation starts with empty offices; the log's window starts with a backlog (warm-up 0)",
    ]
    raw["description"] = (
        f"Calibrated by gridsim calibrate from {log.source} ({log.format}), fit window {start} to {end}."
    )
    raw["calibration"] = {
        "log": log.source,
        "format": log.format,
        "fit_window": [start.isoformat(), end.isoformat()],
        "assumed": flags[1:],
    }
    return Calibration(build_scenario(raw, "calibrated scenario"), fits, arrivals, flags, (start, end))


def _category_keys(rows: pd.DataFrame) -> pd.Series:
    """A category id per row: its category, split by department where several handle it, and by crews."""
    owners = rows.groupby("category")["department"].nunique()
    key = rows["category"].map(slug)
    several = rows["category"].map(owners) > 1
    key[several] = key[several] + "_" + rows.loc[several, "department"].map(slug)
    crews = rows["group"] == "crews"
    key[crews] = key[crews] + "_crew"  # crews' own finds close differently (often at once)
    return key


def _service_fits(rows: pd.DataFrame, censor_at, flags: list[str], clocks: dict[str, WorkClock]):
    """Fitted time to close per category id (a department's pooled fit where a category has few rows)."""
    table, services, pools = [], {}, {}
    for (dept, crew), g in rows.groupby(["department", rows["group"] == "crews"]):
        done, still = _durations(g, censor_at, clocks[dept].clock)
        if len(done):
            pools[(dept, crew)] = fit_duration(done, still)
            table.append(
                {
                    "category": f"(all {dept}{' crews' if crew else ''})",
                    "department": dept,
                    "pooled": True,
                    **pools[(dept, crew)],
                }
            )
    for key, g in rows.groupby("key"):
        dept, crew = g["department"].iloc[0], bool((g["group"] == "crews").iloc[0])
        done, still = _durations(g, censor_at, clocks[dept].clock)
        if len(done) >= MIN_ROWS:
            services[key] = fit_duration(done, still)
            borrowed = False
        else:
            services[key] = pools.get((dept, crew)) or {"dist": "fixed", "mean": 1.0, "cv": 0.0}
            borrowed = True
            flags.append(
                f"category {key}: {len(done)} closed requests, fewer than {MIN_ROWS}: uses the "
                f"{dept} pool's time to close"
                if (dept, crew) in pools
                else f"category {key}: no closed request: 1 h assumed"
            )
        excluded = int(g["status"].isin(["cancelled", "referred_out"]).sum())
        table.append(
            {
                "category": key,
                "department": dept,
                "pooled": False,
                "borrowed": borrowed,
                "rows": len(g),
                "excluded_cancelled_or_referred": excluded,
                **services[key],
            }
        )
    return pd.DataFrame(table), services


def _spells(rows: pd.DataFrame, work: pd.DataFrame | None, clocks: dict[str, WorkClock]) -> pd.DataFrame:
    """An event log's spells of department work on the fitted requests, with their category ids and hours
    (open hours of the department's work calendar, where it has one)."""
    if work is None or not len(work):
        return pd.DataFrame(columns=["id", "department", "start", "end", "hours", "key"])
    key = rows.set_index("id")["key"]
    w = work[work["id"].isin(key.index)].copy()
    w["key"] = w["id"].map(key)
    for d, g in w.groupby("department"):
        clock = clocks[d].clock if d in clocks else None
        if clock is not None:
            w.loc[g.index, "hours"] = clock(g["start"], g["end"])
    return w.reset_index(drop=True)


def _work_fits(rows: pd.DataFrame, work: pd.DataFrame, flags: list[str]):
    """Fitted work time per category id from its spells of work (a department's pool where a category has few)."""
    table, services, pools = [], {}, {}
    for dept, g in work.groupby("department"):
        pools[dept] = fit_duration(g["hours"].to_numpy(), np.array([]))
        table.append({"category": f"(all {dept})", "department": dept, "pooled": True, "spells": len(g), **pools[dept]})
    for key, g in rows.groupby("key"):
        dept = g["department"].iloc[0]
        spells = work.loc[(work["key"] == key) & (work["department"] == dept), "hours"].to_numpy()
        borrowed = len(spells) < MIN_ROWS
        if not borrowed:
            services[key] = fit_duration(spells, np.array([]))
        else:
            services[key] = pools.get(dept) or {"dist": "fixed", "mean": 1.0, "cv": 0.0}
            flags.append(
                f"category {key}: {len(spells)} spells of work, fewer than {MIN_ROWS}: uses the {dept} pool's work time"
                if dept in pools
                else f"category {key}: no work seen: 1 h assumed"
            )
        table.append(
            {
                "category": key,
                "department": dept,
                "pooled": False,
                "borrowed": borrowed,
                "rows": len(g),
                "spells": len(spells),
                **services[key],
            }
        )
    return pd.DataFrame(table), services


def most_at_once(spells: pd.DataFrame) -> int:
    """The most spells of work under way at the same time (a spell ending frees its desk before one starts).

    >>> t = pd.to_datetime(["2024-01-01 08:00", "2024-01-01 09:00", "2024-01-01 10:00"])
    >>> most_at_once(pd.DataFrame({"start": t[[0, 1, 2]], "end": t[[2, 2, 2]] + pd.Timedelta(hours=1)}))
    3
    >>> most_at_once(pd.DataFrame({"start": t[[0, 2]], "end": t[[2, 2]]}))
    1
    """
    if not len(spells):
        return 0
    times = np.concatenate([spells["end"].to_numpy(), spells["start"].to_numpy()])
    step = np.concatenate([-np.ones(len(spells), int), np.ones(len(spells), int)])
    order = np.lexsort((step, times))  # at a tie, ends first
    return int(np.cumsum(step[order]).max())


def _deadline(g: pd.DataFrame) -> dict:
    """The category's resolution deadline, where the log gives due dates (median hours from creation)."""
    due = to_hours(g["due"] - g["created"])
    due = due[np.isfinite(due) & (due > 0)]
    return {"resolution_deadline_hours": round(float(np.median(due)), 2)} if len(due) else {}


def _group(g: pd.DataFrame, prof: dict, areas: dict) -> dict:
    mix = g["key"].value_counts(normalize=True)
    channels = g.loc[g["channel"].isin(["in_person", "hotline", "online"]), "channel"].value_counts(normalize=True)
    if g["group"].iloc[0] == "crews" or channels.empty:
        channels = pd.Series({"online": 1.0})
    area_mix = g.loc[g["area"] != "", "area"].map(slug).value_counts(normalize=True)
    return {
        "arrivals_per_day": round(prof["arrivals_per_day"], 4),
        "hourly_profile": [round(float(x), 4) for x in prof["hourly_profile"]],
        "weekday_profile": [round(float(x), 4) for x in prof["weekday_profile"]],
        "category_mix": _sums_to_one(mix),
        "channel_mix": _sums_to_one(channels),
        **({"area_mix": _sums_to_one(area_mix.reindex(list(areas), fill_value=0.0))} if len(area_mix) else {}),
        "p_right_line_grid": 1.0,
        "report_delay": ZERO,
        "patience": {"dist": "fixed", "value": 1e6},
        "p_give_up_after_referral": 0.0,
        "travel": {"line_station": 0.0, "comprehensive_station": 0.0, "department": 0.0},
    }


def _sums_to_one(s: pd.Series) -> dict:
    out = {str(k): round(float(v), 6) for k, v in s.items()}
    last = next(reversed(out))
    out[last] = round(1.0 - sum(v for k, v in out.items() if k != last), 6)
    return out


def _base(log: Log, start: pd.Timestamp, end: pd.Timestamp, name: str | None) -> dict:
    """Everything the log does not give: one intake, no queues at the doors, the default street's merged arm."""
    default = load_scenario().to_dict()
    day0 = start.normalize()
    merged = default["merged"] | {"calendar": "always", "stationed_share": 0.0}
    merged["patrol"] = merged["patrol"] | {"enabled": False}
    return {
        "name": name or slug(log.source.rsplit("/", 1)[-1].rsplit(".", 1)[0]).replace("_", "-")[:60],
        "seed": 1,
        "start_date": day0.date().isoformat(),
        "horizon_days": round((end - day0).total_seconds() / 86400.0, 4),
        "warmup_days": 0.0,
        "calendars": {"always": {"weekdays": list(range(7)), "hours": [[0, 24]]}},
        "line_grids": {"intake": {"intake_staff": 50, "calendar": "always", "intake": ZERO}},
        "merged": merged | {"intake": ZERO, "triage": ZERO, "closing": ZERO},
        "siloed": {"dispatch": {"p_wrong": 0.0}},
        "channels": {"hotline": {"operators": 200, "talk": ZERO, "dispatch": ZERO}, "online": {"dispatch": ZERO}},
    }


def parameters(sc: Scenario) -> dict[str, float]:
    """The fitted numbers of a calibrated scenario, by name: arrivals per group, time to close per category."""
    out = {f"groups.{g}.arrivals_per_day": s.arrivals_per_day for g, s in sc.groups.items()}
    for k, c in sc.categories.items():
        ((dept, dist),) = c.service.items()
        out[f"categories.{k}.service.{dept}.mean"] = dist.mean_value
        out[f"categories.{k}.service.{dept}.cv"] = getattr(dist, "cv", 1.0 if dist.dist == "exponential" else 0.0)
    return out


def _resample(log: Log, counts: np.ndarray) -> Log:
    """``log`` with each request ``counts`` times (copies get ids of their own, and their spells of work)."""
    t = log.table
    copies = t.loc[np.repeat(t.index.to_numpy(), counts)]
    new_id = copies["id"].astype(str) + "#" + copies.groupby(level=0).cumcount().astype(str)
    work = log.work
    if work is not None:
        ids = pd.DataFrame({"id": copies["id"].to_numpy(), "copy": new_id.to_numpy()})
        work = work.merge(ids, on="id").drop(columns="id").rename(columns={"copy": "id"})
    return Log(copies.assign(id=new_id.to_numpy()).reset_index(drop=True), log.source, log.format, work=work)


def bootstrap_draws(
    log: Log, n: int, window: tuple | None = None, work_calendar: dict | None = None, seed: int = 0
) -> pd.DataFrame:
    """Every fitted parameter (:func:`parameters`, scenario paths): the estimate, then ``n`` Poisson-bootstrap refits.

    Each refit weighs every request by a Poisson(1) count (so the number of requests varies as a
    Poisson process's would, unlike a resample of fixed size) and calibrates again on the same window.
    A category a refit does not see gets no value there (NaN).  The first row (``refit`` ``estimate``)
    is the fit itself; ``gridsim compare --calibration-uncertainty`` scales a scenario's parameters by
    refit ``r mod n`` over it in replication ``r`` (:mod:`.uncertainty`).
    """
    base = parameters(calibrate(log, window, work_calendar=work_calendar).scenario)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(7,)))
    rows = []
    for _ in range(n):
        again = _resample(log, rng.poisson(1.0, len(log.table)))
        got = parameters(calibrate(again, window, work_calendar=work_calendar).scenario)
        rows.append({k: got.get(k, np.nan) for k in base})
    out = pd.DataFrame([base] + rows, columns=list(base))
    out.insert(0, "refit", ["estimate"] + [str(i) for i in range(n)])
    return out


def bootstrap(
    log: Log,
    n: int,
    window: tuple | None = None,
    work_calendar: dict | None = None,
    seed: int = 0,
    draws: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The spread of every fitted parameter over ``n`` refits of :func:`bootstrap_draws` (or the given ``draws``)."""
    if draws is None:
        draws = bootstrap_draws(log, n, window, work_calendar, seed)
    first, refits = draws.iloc[0], draws.iloc[1:]
    rows = []
    for k in draws.columns[1:]:
        est, x = first[k], refits[k].dropna().to_numpy(dtype=float)
        rows.append(
            {
                "parameter": k,
                "estimate": est,
                "n": len(x),
                "bootstrap_sd": float(x.std(ddof=1)) if len(x) > 1 else np.nan,
                "lo_2.5%": float(np.percentile(x, 2.5)) if len(x) else np.nan,
                "hi_97.5%": float(np.percentile(x, 97.5)) if len(x) else np.nan,
            }
        )
    return pd.DataFrame(rows)
