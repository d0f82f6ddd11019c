"""A city run: many independent streets, sharded, with streaming metrics.

Streets share no grid station, office or staff, so a city is simulated one street
at a time: each street's issue stream (seeded by replication and street number),
every model on it, and at once its records reduced to a :class:`~sim.tally.Tally`,
office statistics and a backlog series.  No street's records outlive it unless
``appeals_dir`` asks for them on disk (one gzip CSV per street), or ``events_dir`` for
their event logs (:mod:`sim.eventlog`, one set of files per street).

Shards are contiguous runs of streets; they run in this process, on local
processes or on Dask (:mod:`sim.executors`), and their per-street results are
merged in street order, so a sharded run gives the very same tables as an
unsharded one.

>>> from sim.scenario import load_scenario
>>> sc = load_scenario(overrides=["horizon_days=3", "warmup_days=0", "city={streets: {small: {count: 2}}}"])
>>> res = run_city(sc, shards=2)
>>> [s for s in res.streets]
['small-001', 'small-002']
>>> res.issues["merged"] == res.summary.query("metric == 'issues' and dimension == 'all' "
...                                           "and model == 'merged'")["value"].item()
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .metrics import HEADLINE, backlog, by_street, capacity, utilisation
from .files import atomic_write
from .records import to_frame
from .scenario import Scenario, street_kind  # noqa: F401  (street_kind: for older code)
from .tally import Tally
from .stability import trend_rows
from .world import staffing

#: Breakdowns of a city summary: everything, each group, each category, each street.
CITY_DIMENSIONS = {"all": None, "group": "group", "category": "category", "street": "street"}


@dataclass
class StreetResult:
    """Everything kept of one street once it is simulated."""

    index: int
    name: str
    tally: Tally
    utilisation: pd.DataFrame
    backlog: pd.DataFrame
    staffing: pd.DataFrame
    issues: dict[str, int]


def run_street(
    sc: Scenario,
    index: int,
    name: str,
    models: list[str],
    replication: int = 0,
    appeals_dir: Path | None = None,
    events_dir: Path | None = None,
) -> StreetResult:
    """Simulate every model on street number ``index`` and reduce it to mergeable results."""
    from .simulation import no_cyclic_gc

    with no_cyclic_gc():
        return _run_street(sc, index, name, models, replication, appeals_dir, events_dir)


def _run_street(
    sc: Scenario,
    index: int,
    name: str,
    models: list[str],
    replication: int,
    appeals_dir: Path | None,
    events_dir: Path | None,
) -> StreetResult:
    from .simulation import simulate_models

    runs = simulate_models(sc, models, replication, street=index, events=events_dir is not None)
    if events_dir is not None:
        from . import eventlog

        eventlog.write_into(events_dir, eventlog.frames(runs, sc, name), name)
    staff = [(r.model, name, k, n) for r in runs for k, n in staffing(r.world.scenario, r.world.model).items()]
    appeals = pd.concat([to_frame(r.records) for r in runs], ignore_index=True)
    appeals.insert(0, "street", name)
    for r in runs:
        r.records = []  # free the records now: only the tables below are kept
    if appeals_dir is not None:
        path = Path(appeals_dir) / f"{name}.csv.gz"
        atomic_write(path, lambda p: appeals.to_csv(p, index=False, compression="gzip"))
    util = utilisation(runs, sc.horizon)
    util.insert(1, "street", name)
    tally = Tally.from_appeals(appeals, sc, CITY_DIMENSIONS, models, {"street": [name]})
    return StreetResult(
        index,
        name,
        tally,
        util,
        backlog(appeals, sc.horizon, models=models),
        pd.DataFrame(staff, columns=["model", "street", "office", "headcount"]),
        {m: int((appeals["model"] == m).sum()) for m in models},
    )


def _shard_task(
    shared: tuple[list[str], int, Path | None, Path | None], shard: list[tuple[int, str, Scenario]]
) -> list[StreetResult]:
    models, replication, appeals_dir, events_dir = shared
    return [run_street(sc, i, name, models, replication, appeals_dir, events_dir) for i, name, sc in shard]


@dataclass
class CityResult:
    """Tables of a city run, merged over streets in street order."""

    scenario: Scenario
    summary: pd.DataFrame
    utilisation: pd.DataFrame
    backlog: pd.DataFrame
    staffing: pd.DataFrame
    issues: dict[str, int]
    streets: list[str] = field(default_factory=list)
    differences: pd.DataFrame | None = None  # :func:`street_differences` of the summary


def street_differences(summary: pd.DataFrame, baseline: str = "siloed", alpha: float = 0.05) -> pd.DataFrame:
    """How sure a single city run is: each headline metric's street-by-street difference, model − baseline.

    Streets of one kind are independent replications of one street (each draws its own
    issues), so the spread of their differences measures the noise: the mean over streets
    gets a stratified t interval (:func:`~sim.experiment.stratified_mean_ci`), about the
    average street of this city's mix of kinds.  It is the mean of street-level values,
    not the pooled city-wide value of ``comparison.csv``.
    """
    from .statistics import stratified_mean_ci

    rows = []
    for metric, (better, _label) in HEADLINE.items():
        wide = by_street(summary, metric)
        if baseline not in wide:
            continue
        kinds = wide.index.map(street_kind).to_numpy()
        for model in (m for m in wide.columns if m != baseline):
            d = (wide[model] - wide[baseline]).to_numpy(dtype=float)
            mean, lo, hi = stratified_mean_ci(d, kinds, 1 - alpha)
            ok = d[~np.isnan(d)]
            rows.append(
                {
                    "metric": metric,
                    "better": better,
                    "baseline": baseline,
                    "model": model,
                    "streets": len(ok),
                    "diff": mean,
                    "diff_lo": lo,
                    "diff_hi": hi,
                    "share_better": float(np.mean(ok < 0 if better == "lower" else ok > 0)) if len(ok) else np.nan,
                }
            )
    return pd.DataFrame(
        rows, columns=["metric", "better", "baseline", "model", "streets", "diff", "diff_lo", "diff_hi", "share_better"]
    )


def shard_streets(streets: list, shards: int) -> list[list]:
    """Split streets into ``shards`` contiguous runs of nearly equal length.

    >>> shard_streets(list("abcde"), 2)
    [['a', 'b', 'c'], ['d', 'e']]
    """
    shards = max(1, min(shards, len(streets)))
    return [list(part) for part in np.array_split(np.array(streets, dtype=object), shards)]


def run_city(
    sc: Scenario,
    models: list[str] | None = None,
    replication: int = 0,
    shards: int = 1,
    workers: int = 1,
    scheduler: str | None = None,
    appeals_dir: Path | None = None,
    progress: bool = False,
    events_dir: Path | None = None,
) -> CityResult:
    """Simulate every street of ``sc`` under each model, in ``shards`` shards on ``workers`` processes.

    ``scheduler`` is None (local processes), ``'local'`` (a Dask LocalCluster) or a Dask
    scheduler address; ``appeals_dir``, when given, receives one ``<street>.csv.gz`` of
    per-appeal records per street (on a remote cluster it must be storage the workers share), and
    ``events_dir`` one event log per street (``<street>.csv.gz``, ``.parquet``, ``.xes.gz``).
    """
    from .executors import execute
    from .executors import progress as progress_bar

    models = list(models or sc.models)
    streets = [(i, name, street) for i, (name, street) in enumerate(sc.streets())]
    for folder in (appeals_dir, events_dir):
        if folder is not None:
            Path(folder).mkdir(parents=True, exist_ok=True)
    done: dict[int, StreetResult] = {}
    merged = _Merge(models)
    batches = shard_streets(streets, shards)
    with progress_bar(progress, len(streets), "street", "simulating") as bar:
        for results in execute(
            _shard_task, batches, workers, scheduler, shared=(models, replication, appeals_dir, events_dir)
        ):
            for r in results:
                done[r.index] = r
            merged.take(done)  # fold in the streets now contiguous with those already merged
            bar.update(len(results))
    return merged.result(sc, [name for _, name, _ in streets])


class _Merge:
    """Folds street results in street order (so sums add up in one order whatever the sharding)."""

    def __init__(self, models: list[str]) -> None:
        self.models, self.next = models, 0
        self.tally = Tally()
        self.util: list[pd.DataFrame] = []
        self.staff: list[pd.DataFrame] = []
        self.backlog: pd.Series | None = None
        self.issues = {m: 0 for m in models}

    def take(self, done: dict[int, StreetResult]) -> None:
        while self.next in done:
            r = done.pop(self.next)
            self.tally.merge(r.tally)
            self.util.append(r.utilisation)
            self.staff.append(r.staffing)
            b = r.backlog.set_index(["model", "time_h"])["backlog"]
            self.backlog = b if self.backlog is None else self.backlog.add(b, fill_value=0)
            for m, n in r.issues.items():
                self.issues[m] += n
            self.next += 1

    def result(self, sc: Scenario, streets: list[str]) -> CityResult:
        util = pd.concat(self.util, ignore_index=True)
        back = self.backlog.astype(int).reset_index() if self.backlog is not None else pd.DataFrame()
        trend = trend_rows(back, sc.warmup_days * 24.0, sc.horizon) if len(back) else None
        summary = pd.concat([self.tally.summary(), capacity(util), trend, _office_kinds(util)], ignore_index=True)
        return CityResult(
            sc,
            summary,
            util,
            back,
            pd.concat(self.staff, ignore_index=True),
            self.issues,
            streets,
            street_differences(summary, sc.baseline),
        )


def _office_kinds(util: pd.DataFrame) -> pd.DataFrame:
    """Utilisation by kind of office over the whole city (work hours over staffed open hours)."""
    from .models import area_offices

    per_area = "|".join(["line:[^:]+", *map(re.escape, area_offices())])  # a line grid's stations, or a model's
    kind = util["office"].str.replace(rf"^({per_area}):.*$", r"\1", regex=True)
    g = util.assign(kind=kind).groupby(["model", "kind"], sort=False)
    agg = g.agg(work=("work_hours", "sum"), available=("staffed_hours", "sum"), headcount=("headcount", "sum"))
    return pd.DataFrame(
        {
            "model": agg.index.get_level_values(0),
            "metric": "utilisation",
            "dimension": "office",
            "level": agg.index.get_level_values(1),
            "value": (agg["work"] / agg["available"]).to_numpy(),
            "n": agg["headcount"].to_numpy(),
        }
    )
