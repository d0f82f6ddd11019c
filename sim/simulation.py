"""One replication: the issue stream, then each governance model on it.

>>> from sim.scenario import load_scenario
>>> res = run(load_scenario(overrides=["horizon_days=5", "warmup_days=0"]), models=["merged"])
>>> list(res.appeals["model"].unique())
['merged']
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import simpy

from .executors import progress as progress_bar
from .models import get as policy_class
from .issues import IssueStream, generate_issues, stream_key
from .metrics import DIMENSIONS, backlog, summarise, utilisation
from .records import CHANNELS, AppealRecord, to_frame, with_dates
from .scenario import Scenario
from .stability import trend_rows
from .world import World, staffing

if TYPE_CHECKING:
    from .governance.base import Policy, ProcessBody

#: Called with the hours the clock advanced (a progress bar's ``update``).
Tick = Callable[[float], object]


@dataclass
class ModelRun:
    """One governance model simulated on one issue stream."""

    model: str
    world: World
    records: list[AppealRecord]


def make_records(model: str, policy: Policy, replication: int) -> list[AppealRecord]:
    """One open record per issue, with the issue's own attributes filled in."""
    iss = policy.issues
    depts = [";".join(spec.departments) for spec in policy.cats]
    priority = [spec.priority for spec in policy.cats]
    groups, cats, areas = iss.groups, iss.categories, iss.areas
    return [
        AppealRecord(
            model,
            replication,
            i,
            groups[g],
            cats[c],
            areas[a],
            t,
            depts[c],
            CHANNELS[channel],
            unclear=unclear,
            hard=hard,
            priority=priority[c],
        )
        for i, (t, g, c, a, channel, unclear, hard) in enumerate(
            zip(
                iss.created.tolist(),
                policy.group_of,
                policy.category_of,
                policy.area_of,
                policy.channel,
                policy.unclear,
                policy.hard,
            )
        )
    ]


class _Source:
    """Starts each appeal's process at its first step, ``created + policy.start_delay``.

    A chain of callbacks, one pending timeout at a time, rather than a process:
    arrivals are the commonest event and a generator resume each is dear.
    """

    def __init__(
        self, env: simpy.Environment, policy: Policy, records: list[AppealRecord], created: np.ndarray
    ) -> None:
        start = created + policy.start_delay
        order = np.argsort(start, kind="stable")
        self.order, self.start = order.tolist(), start[order].tolist()  # Python floats keep env.now a float
        self.env, self.policy, self.records, self.k = env, policy, records, 0
        self._next(None)

    def _next(self, _event: simpy.Event | None) -> None:
        env, k, n = self.env, self.k, len(self.start)
        while k < n and self.start[k] <= env.now:
            i = self.order[k]
            env.process(self.policy.appeal(i, self.records[i]))
            k += 1
        self.k = k
        if k < n:
            env.timeout(self.start[k] - env.now).callbacks.append(self._next)


def _end_warmup(world: World, at: float) -> ProcessBody[None]:
    """Office statistics (utilisation, waits) count from the end of the warm-up."""
    yield world.env.timeout(at)
    for office in world.offices.values():
        office.reset()


@contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector (reference counting still frees memory).

    While a run builds and holds tens of thousands of records, processes and events, the
    collector would rescan them all many times over, a fifth of the run time; a run makes
    few reference cycles, and they are collected once it is over.  The young garbage of an
    earlier run (a world is a web of cycles) is collected first: with the collector paused
    it would otherwise stay in memory for the whole of this run.  Young only: a full
    collection rescans every object the libraries hold (~50 ms, a third of a default run).
    """
    collecting = gc.isenabled()
    if collecting:
        gc.collect(1)
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


@no_cyclic_gc()
def simulate(
    sc: Scenario,
    model: str,
    issues: IssueStream,
    replication: int = 0,
    tick: Tick | None = None,
    policy: str | None = None,
    traced: Iterable[int] = (),
    probes: Iterable[Callable[[World], ProcessBody[object]]] = (),
    events: bool = False,
) -> ModelRun:
    """Run ``model`` on ``issues`` until the horizon; ``tick(hours)`` is called as the clock advances.

    ``policy`` is the governance policy (``siloed`` or ``merged``) when ``model`` names a variant;
    the appeals whose issue ids are in ``traced`` keep a log of their steps (``record.events``);
    each of ``probes`` is called with the world and returns a process body to run alongside (monitors);
    ``events`` keeps every appeal's steps for the event log (``record.steps``, see :mod:`sim.eventlog`).
    """
    world = World(sc, policy or model)
    routing = policy_class(policy or model, sc.plugins)(world, issues).ready()
    records = make_records(model, routing, replication)
    for i in traced:
        records[i].events = []
    if events:
        for rec in records:
            rec.steps = []
    routing.start()
    _Source(world.env, routing, records, issues.created)
    if sc.warmup_days > 0:
        world.env.process(_end_warmup(world, sc.warmup_days * 24.0))
    for probe in probes:
        world.env.process(probe(world))
    t = 0.0
    while t < sc.horizon:
        nxt = min(t + 24.0, sc.horizon)
        world.env.run(until=nxt)
        if tick:
            tick(nxt - t)
        t = nxt
    return ModelRun(model, world, records)


def simulate_models(
    scenario: Scenario,
    models: list[str],
    replication: int = 0,
    street: int = 0,
    tick: Tick | None = None,
    events: bool = False,
) -> list[ModelRun]:
    """Each of ``models`` (or variants) on street ``street``'s issue stream, in order.

    Arms whose demand is the same share the very same stream (common random numbers).
    """
    streams: dict[str, IssueStream] = {}
    runs = []
    for m in models:
        policy, sc = scenario.arm(m)
        key = stream_key(sc)
        if key not in streams:
            streams[key] = generate_issues(sc, replication, street)
        runs.append(simulate(sc, m, streams[key], replication, tick=tick, policy=policy, events=events))
    return runs


@dataclass
class RunResult:
    """Tables from one replication of one or more models on one issue stream."""

    scenario: Scenario
    appeals: pd.DataFrame
    summary: pd.DataFrame
    utilisation: pd.DataFrame
    backlog: pd.DataFrame
    staffing: pd.DataFrame
    runs: list[ModelRun] = field(default_factory=list, repr=False)
    events: pd.DataFrame | None = None  # the event log (:mod:`sim.eventlog`), when asked for

    def _repr_html_(self) -> str:
        """In a notebook: the finding and the comparison table (:func:`sim.report.run_html`)."""
        from .report import run_html

        return run_html(self)


def run(
    scenario: Scenario,
    models: list[str] | None = None,
    replication: int = 0,
    progress: bool = False,
    dimensions: tuple[str, ...] = DIMENSIONS,
    events: bool = False,
) -> RunResult:
    """Simulate each model on the same issue stream and summarise.

    ``progress`` shows a bar on the terminal when the run takes more than two seconds;
    ``dimensions`` are the breakdowns of the summary (``all``, ``group``, ``category``, ``area``);
    ``events`` also builds the event log (``RunResult.events``).
    """
    models = list(models or scenario.models)
    with progress_bar(progress, round(scenario.horizon * len(models)), "h", "simulating", delay=2.0) as bar:
        runs = simulate_models(scenario, models, replication, tick=bar.update if progress else None, events=events)
    appeals = pd.concat([to_frame(r.records) for r in runs], ignore_index=True)
    if scenario.start_date is not None:
        appeals = with_dates(appeals, scenario.start_date)
    util = utilisation(runs, scenario.horizon)
    staff = pd.DataFrame(
        [
            {"model": r.model, "office": k, "headcount": n}
            for r in runs
            for k, n in staffing(r.world.scenario, r.world.model).items()
        ]
    )
    back = backlog(appeals, scenario.horizon, models=models)
    summary = pd.concat(
        [
            summarise(appeals, scenario, util, dimensions, models),
            trend_rows(back, scenario.warmup_days * 24.0, scenario.horizon),
        ],
        ignore_index=True,
    )
    log = None
    if events:
        from .eventlog import frames

        log = frames(runs, scenario)
    return RunResult(scenario, appeals, summary, util, back, staff, runs, log)
