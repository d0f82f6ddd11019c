"""Judging one staffing: simulate it on common replications and say whether it meets the targets.

A candidate is a staffing: a value for each decision variable.  It runs on replications
``0, 1, ...`` of the scenario's seed tree, the same replications for every candidate (common
random numbers: two staffings meet the same citizens and the same issues, so their difference is
the staffing's alone).  Confirmation runs on fresh replications from :data:`CONFIRM_FROM` on.

"Meets the targets" means the one-sided bound of each target metric's mean clears the target,
all targets jointly: each bound at level ``1 - alpha/k`` for ``k`` targets (Bonferroni; the search
passes ``alpha`` divided by the confirmation's tries, :data:`sim.optimise.search.CONFIRM_TRIES`).

>>> import pandas as pd
>>> from sim.optimise.spec import Target
>>> reps = pd.DataFrame({"response_rate": [0.96, 0.97, 0.98, 0.97], "staffed_hours": [100.0] * 4})
>>> j = judge(reps, [Target("response_rate", ">=", 0.95)])
>>> j.feasible, round(j.bounds["response_rate"], 4), j.cost("staffed_hours")
(True, 0.9604, 100.0)
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import ScenarioError
from ..statistics import mean_ci
from .spec import Target

#: The first replication of a confirmation: fresh issue streams, never used by the search.
CONFIRM_FROM = 1_000_000


def key(values: dict) -> str:
    """A short stable name of a staffing (its values), for caches and tables.

    >>> key({"departments.police.headcount": 6}), key({"departments.police.headcount": 7})
    ('0ee931c3ac3b', '2bb19911f5ed')
    """
    text = json.dumps(values, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def staffed(raw: dict, values: dict, source: str = "optimise"):
    """The scenario of ``raw`` (plain scenario data) with each ``path: value`` of ``values`` set."""
    from ..scenario import build_scenario, set_path

    data = copy.deepcopy(raw)
    for path, value in values.items():
        set_path(data, path, value, source)
    return build_scenario(data, source)


@dataclass
class Judgement:
    """A candidate's replications, each target's mean and one-sided bound, and the verdict."""

    reps: pd.DataFrame  # one row per replication, one column per metric
    targets: list[Target]
    level: float  # of each one-sided bound
    means: dict[str, float] = field(default_factory=dict)
    bounds: dict[str, float] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.reps)

    @property
    def feasible(self) -> bool:
        return all(t.met(self.bounds[t.metric]) for t in self.targets)

    @property
    def undecided(self) -> bool:
        """Short of a target only by its bound: every mean meets its target, so more replications may settle it."""
        return not self.feasible and all(t.met(self.means[t.metric]) for t in self.targets)

    def cost(self, metric: str) -> float:
        return float(self.reps[metric].mean(skipna=False)) if metric in self.reps and self.n else math.nan

    def violations(self) -> list[float]:
        """Each target's shortfall of the bound, relative to the target's level (<= 0: met); for the sampler."""
        return [-t.slack(self.bounds[t.metric]) / (abs(t.level) or 1.0) for t in self.targets]


def judge(reps: pd.DataFrame, targets: list[Target], alpha: float = 0.05) -> Judgement:
    """Each target metric's mean over ``reps`` and its one-sided ``1 - alpha/k`` Student-t bound.

    With one replication, or a metric missing (NaN) in any, the bound is NaN: not met.
    """
    level = 1 - alpha / max(len(targets), 1)
    j = Judgement(reps, targets, level)
    for t in targets:
        x = reps[t.metric].to_numpy(dtype=float) if t.metric in reps else np.array([math.nan])
        if np.isnan(x).any():  # a replication that never reached the metric: missing, not averaged away
            j.means[t.metric], j.bounds[t.metric] = math.nan, math.nan
            continue
        mean, lo, hi = mean_ci(x, 2 * level - 1)  # its one end is the one-sided bound at ``level``
        j.means[t.metric], j.bounds[t.metric] = mean, float(lo if t.op == ">=" else hi)
    return j


def replication(shared: tuple[dict, str], job: tuple[dict, int]) -> tuple[str, int, dict | str]:
    """One replication of one candidate: ``(key, replication, {metric: value})``, or the reason it cannot run.

    A module-level function, run in worker processes and on Dask (:mod:`sim.executors`).
    """
    from ..experiment import result_rows
    from ..simulation import run

    raw, model = shared
    values, rep = job
    try:
        sc = staffed(raw, values)
    except ScenarioError as exc:
        return key(values), rep, "; ".join(exc.errors)
    res = run(sc, models=[model], replication=rep, dimensions=("all",))
    rows = result_rows(res)
    rows = rows[rows["model"] == model]
    util = res.utilisation[res.utilisation["model"] == model]
    roles = util.groupby(util["office"].str.partition(":")[0])
    out = dict(zip(rows["metric"], rows["value"].astype(float)))
    out |= {f"staffed_hours@{role}": float(h) for role, h in roles["staffed_hours"].sum().items()}
    out |= {f"utilisation@{role}": float(u) for role, u in roles["utilisation"].max().items()}  # its busiest office
    return key(values), rep, out


def wage_cost(reps: pd.DataFrame, wages: dict[str, float]) -> pd.Series:
    """Each replication's staffed hours weighted by the wage of each role (office kind: ``dept``, ``line``,
    ``station``, ``leader``, ``stationed``, ``hotline``, ...; 1 for a role not in ``wages``).

    >>> reps = pd.DataFrame({"staffed_hours@dept": [100.0], "staffed_hours@leader": [10.0]})
    >>> float(wage_cost(reps, {"leader": 2.5}).iloc[0])
    125.0
    """
    cols = [c for c in reps.columns if c.startswith("staffed_hours@")]
    return sum((reps[c] * wages.get(c.partition("@")[2], 1.0) for c in cols), pd.Series(0.0, index=reps.index))
