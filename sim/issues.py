"""The issue stream: who has which problem (诉求), where and when, with every random draw.

The stream is generated once per replication, before any governance model runs,
so both models face the same issues with the same demands (common random
numbers).  Every issue carries a row of pre-drawn uniforms, one column per
purpose; the models turn them into times through the scenario's distributions.

>>> from sim.scenario import load_scenario
>>> sc = load_scenario()
>>> a = generate_issues(sc, replication=0)
>>> b = generate_issues(sc, replication=0)
>>> bool((a.created == b.created).all()) and len(a) > 0
True
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from .scenario import Scenario

# Purposes with a fixed place in the seed tree; never reorder, only append.
_PURPOSES = ("arrivals", "attributes", "uniforms")
# Uniform columns by name, each column with its own seed, so that a scenario
# needing more columns of one kind (say more bounces) leaves every other draw as it was.
_UNIFORMS = (
    "report_delay",
    "patience",
    "pick_right",
    "pick_wrong",
    "unclear",
    "hard",
    "patrol",
    "patrol_delay",
    "intake",
    "triage",
    "coordination",
    "closing",
    "escalation",
    "feedback_delay",
    "call",
    "bounce_dept",
    "assessment",
    "service",
    "satisfied",
    "reopen",
    "hard_work",
    "inspection",
    "inspection_delay",
    "give_up",
    "channel",
    "talk",
    "hotline_patience",
    "dispatch",
    "dispatch_wrong",
    "dispatch_pick",
    "redispatch",
    "come_in",
    "reentry",
    "lost",
    "recontact",
    "rider",
    "rider_delay",
    "ladder_service",
    "ladder_resolve",
    "ladder_escalation",
)
#: Hand-offs of one appeal with draws of their own (a platform's re-entry); later ones reuse the last.
HANDOFF_SLOTS = 6


def _columns(sc: Scenario) -> dict[str, int]:
    """How many uniform columns each purpose needs for this scenario."""
    b, r = sc.siloed.max_bounces, max(sc.merged.feedback.max_reopens, sc.siloed.feedback.max_reopens)
    return {
        "report_delay": 1,
        "patience": 2,
        "pick_right": 1,
        "pick_wrong": 1,
        "unclear": 1,
        "hard": 1,
        "patrol": 1,
        "patrol_delay": 1,
        "intake": 2,
        "triage": 1,
        "coordination": 1,
        "closing": 1,
        "escalation": 1,
        "feedback_delay": 1,
        "call": 1,
        "bounce_dept": max(b, 1),
        "assessment": max(b, 1),
        "service": len(sc.departments),
        "satisfied": r + 1,
        "reopen": max(r, 1),
        "hard_work": len(sc.departments),
        "inspection": len(sc.departments),
        "inspection_delay": len(sc.departments),
        "give_up": 1 + b,  # after a wrong door, after each bounce
        "channel": 1,
        "talk": 1,
        "hotline_patience": 1,
        "dispatch": 1,
        "dispatch_wrong": 1,
        "dispatch_pick": 1,
        "redispatch": 1,
        "come_in": len(sc.departments),
        # drawn only when an arm works without a shared platform (so other scenarios' streams cost nothing more)
        **dict.fromkeys(("reentry", "lost", "recontact"), HANDOFF_SLOTS if _unshared(sc) else 0),
        # drawn only when riders report what they pass
        **dict.fromkeys(("rider", "rider_delay"), 1 if sc.channels.riders.chance() > 0 else 0),
        # one per level of the grassroots ladder, when it takes any matter
        **dict.fromkeys(
            ("ladder_service", "ladder_resolve", "ladder_escalation"), len(sc.ladder.levels) if sc.ladder_on() else 0
        ),
    }


def _unshared(sc: Scenario) -> bool:
    return not (sc.siloed.platform.shared and sc.merged.platform.shared)


def stream_key(sc: Scenario) -> str:
    """What the issue stream depends on: equal keys give identical streams for a replication."""
    d = sc.to_dict()
    parts = {k: d[k] for k in ("seed", "horizon_days", "groups", "categories", "areas", "start_date")}
    if d.get("surges"):  # only when there are any, so that other scenarios' keys are as they were
        parts["surges"] = d["surges"]
    parts["departments"], parts["columns"] = list(sc.departments), _columns(sc)
    return json.dumps(parts, sort_keys=True)


def seed_sequence(seed: int, replication: int = 0, street: int = 0, purpose: str = "uniforms", *sub: int):
    """The seed for one purpose of one replication of one street (keyed, so shards agree)."""
    return np.random.SeedSequence(seed, spawn_key=(replication, street, _PURPOSES.index(purpose), *sub))


def _uniform_column(seed: int, replication: int, street: int, name: str, column: int, n: int) -> np.ndarray:
    rng = np.random.default_rng(seed_sequence(seed, replication, street, "uniforms", _UNIFORMS.index(name), column))
    return rng.random(n)


@dataclass
class IssueStream:
    """Issues in order of arising; attribute arrays are aligned by issue index.

    ``group``, ``category`` and ``area`` are integer codes into ``groups``,
    ``categories`` and ``areas``; ``u[name]`` is an ``(n, k)`` array of uniforms.
    """

    created: np.ndarray
    group: np.ndarray
    category: np.ndarray
    area: np.ndarray
    u: dict[str, np.ndarray]
    groups: list[str]
    categories: list[str]
    areas: list[str]
    departments: list[str]

    def __len__(self) -> int:
        return len(self.created)

    def before(self, t: float) -> "IssueStream":
        """The issues that arise before ``t``, with exactly the draws they have in the whole stream."""
        k = int(np.searchsorted(self.created, t, side="left"))
        return IssueStream(
            self.created[:k],
            self.group[:k],
            self.category[:k],
            self.area[:k],
            {name: u[:k] for name, u in self.u.items()},
            self.groups,
            self.categories,
            self.areas,
            self.departments,
        )


def arrival_times(rate_per_hour: np.ndarray, rng: np.random.Generator, last_hour: float = 1.0) -> np.ndarray:
    """A non-stationary Poisson process with a piecewise-constant hourly rate (exact, vectorised).

    ``rate_per_hour[k]`` is the expected count in hour slot ``k``; the last slot is ``last_hour``
    long (a horizon of whole hours and a fraction), so no arrival falls after the horizon.

    >>> t = arrival_times(np.array([0.0, 500.0]), np.random.default_rng(1), last_hour=0.25)
    >>> bool(t.min() >= 1.0 and t.max() < 1.25)
    True
    """
    counts = rng.poisson(rate_per_hour)
    slots = np.repeat(np.arange(len(rate_per_hour), dtype=float), counts)
    width = np.where(slots == len(rate_per_hour) - 1, last_hour, 1.0)
    return np.sort(slots + rng.random(len(slots)) * width)


def hourly_rates(sc: Scenario, group: str) -> np.ndarray:
    """Expected issues per hour of the horizon for ``group`` (hour-of-day and weekday profiles, surges)."""
    g = sc.groups[group]
    hours = np.arange(int(np.ceil(sc.horizon)))
    hp = np.asarray(g.hourly_profile) / np.mean(g.hourly_profile)
    wp = np.asarray(g.weekday_profile) / np.mean(g.weekday_profile)
    rate = g.arrivals_per_day / 24.0 * hp[hours % 24] * wp[(hours // 24 + sc.first_weekday) % 7]
    if sc.surges:  # the group's rate scales by its category mix's mean multiplier, hour by hour
        mix = _mix(sc, group)
        rate = rate * (surge_multipliers(sc) @ mix) / mix.sum()
    rate[-1] *= last_hour(sc)  # a partial final hour
    return rate


def surge_multipliers(sc: Scenario) -> np.ndarray:
    """The demand multiplier of each category in each hour slot of the horizon (hours × categories)."""
    cats = list(sc.categories)
    m = np.ones((int(np.ceil(sc.horizon)), len(cats)))
    mid = np.arange(len(m)) + 0.5  # an hour slot surges if its middle lies in the window
    for start, end, surging, factor in sc.surge_hours():
        cols = np.array([cats.index(c) for c in surging], dtype=int)
        m[np.ix_((mid >= start) & (mid < end), cols)] *= factor
    return m


def _mix(sc: Scenario, group: str) -> np.ndarray:
    spec = sc.groups[group]
    return np.array([spec.category_mix.get(c, 0.0) for c in sc.categories])


def last_hour(sc: Scenario) -> float:
    """How much of the horizon's final hour slot lies before the horizon (1 for a whole number of hours)."""
    return min(sc.horizon - (int(np.ceil(sc.horizon)) - 1), 1.0)


def pick(probs: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Inverse-CDF choice: index ``i`` with probability ``probs[i]`` for each uniform."""
    cdf = np.cumsum(probs) / np.sum(probs)
    return np.minimum(np.searchsorted(cdf, u, side="right"), len(probs) - 1)


def another(u: np.ndarray, current: np.ndarray, n: int) -> np.ndarray:
    """For each uniform, one of the ``n`` choices other than ``current``, uniformly (``current`` if n = 1).

    >>> another(np.array([0.0, 0.6, 0.99]), np.array([0, 0, 2]), 3).tolist()
    [1, 2, 1]
    """
    if n < 2:
        return current
    j = np.minimum((u * (n - 1)).astype(int), n - 2)
    return np.where(j >= current, j + 1, j)


def generate_issues(sc: Scenario, replication: int = 0, street: int = 0) -> IssueStream:
    """Draw the issue stream of one replication: arrivals, attributes and all uniforms."""
    groups, cats, areas = list(sc.groups), list(sc.categories), list(sc.areas)
    arr_rng = np.random.default_rng(seed_sequence(sc.seed, replication, street, "arrivals"))
    times, gcode = [], []
    for gi, g in enumerate(groups):
        t = arrival_times(hourly_rates(sc, g), arr_rng, last_hour(sc))
        times.append(t)
        gcode.append(np.full(len(t), gi, dtype=np.int32))
    created = np.concatenate(times)
    group = np.concatenate(gcode)
    order = np.argsort(created, kind="stable")
    created, group = created[order], group[order]
    n = len(created)

    att_rng = np.random.default_rng(seed_sequence(sc.seed, replication, street, "attributes"))
    u_cat, u_area = att_rng.random(n), att_rng.random(n)
    category = np.zeros(n, dtype=np.int32)
    area = np.zeros(n, dtype=np.int32)
    area_weights = np.array([sc.areas[a].weight for a in areas])
    surge = surge_multipliers(sc) if sc.surges else None
    for gi, g in enumerate(groups):
        m = group == gi
        spec = sc.groups[g]
        mix = _mix(sc, g)
        if surge is None:
            category[m] = pick(mix, u_cat[m])
        else:  # in a surge hour, the surging categories weigh more in the mix
            weights = surge[created[m].astype(int)] * mix
            cdf = np.cumsum(weights, axis=1) / weights.sum(axis=1, keepdims=True)
            category[m] = np.minimum((u_cat[m][:, None] >= cdf).sum(axis=1), len(cats) - 1)
        amix = area_weights if spec.area_mix is None else np.array([spec.area_mix.get(a, 0.0) for a in areas])
        area[m] = pick(amix, u_area[m])

    return issues_from(sc, created, group, category, area, replication, street)


def issues_from(
    sc: Scenario,
    created: np.ndarray,
    group: np.ndarray,
    category: np.ndarray,
    area: np.ndarray,
    replication: int = 0,
    street: int = 0,
) -> IssueStream:
    """An issue stream with the given arrivals and attributes (codes into the scenario's groups, categories and
    areas, in order of ``created``), and every other draw made as :func:`generate_issues` makes it.

    For a replayed log (``gridsim check-fit --replay-arrivals``) as for the scenario's own arrivals.
    """
    n = len(created)
    u = {
        name: np.column_stack([_uniform_column(sc.seed, replication, street, name, j, n) for j in range(k)])
        if k
        else np.empty((n, 0))
        for name, k in _columns(sc).items()
    }
    return IssueStream(
        np.asarray(created, dtype=float),
        np.asarray(group, dtype=np.int32),
        np.asarray(category, dtype=np.int32),
        np.asarray(area, dtype=np.int32),
        u,
        list(sc.groups),
        list(sc.categories),
        list(sc.areas),
        list(sc.departments),
    )


def quantiles(u: np.ndarray, keys: np.ndarray, dists: dict) -> np.ndarray:
    """Vectorised ``dists[key].ppf(u)`` for issues keyed by ``keys`` (NaN where no dist)."""
    out = np.full(len(u), np.nan)
    for key in np.unique(keys):
        dist = dists.get(int(key))
        if dist is not None:
            m = keys == key
            out[m] = dist.ppf(u[m])
    return out
