"""Running a sweep: every point, both models, replications; resumable, local or on Dask.

Results go to ``OUT/parts/point-NNNNNN.csv``, one file per finished point,
written atomically: a point is done exactly when its file exists, so a sweep
stopped by Ctrl-C, ``kill -9`` or a lost worker continues where it stopped, runs
no finished point twice and never leaves half a row.  ``OUT/sweep.csv``, the tidy
table (point, every varied parameter, replication, model, every metric), is
rebuilt from the parts as points finish and at the end.

Same seeds give the same table on 1 process, several processes or Dask: a
point's numbers depend only on its scenario and replication index.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import pandas as pd

from ..executors import execute
from ..executors import progress as progress_bar
from ..files import atomic_write
from ..scenario import ScenarioError
from .design import design_points
from .spec import SweepPlan, sweep_yaml


def run_point(plan: SweepPlan, point: dict) -> pd.DataFrame:
    """All replications of one design point: rows of (point, parameters, replication, model, metrics)."""
    from ..experiment import replication_rows

    pid = point["point"]
    values = {k: v for k, v in point.items() if k != "point"}
    sc = plan.scenario(values)
    frames = [replication_rows(sc, r, plan.sweep.models) for r in range(plan.sweep.replications)]
    long = pd.concat(frames, ignore_index=True)
    wide = long.pivot_table(
        index=["replication", "model"], columns="metric", values="value", sort=False, dropna=False
    ).reset_index()
    wide.columns.name = None
    for k, v in reversed(list(values.items())):
        wide.insert(0, k, plan.value(k, v))
    wide.insert(0, "point", pid)
    if plan.sweep.metrics:
        keep = ["point", *values, "replication", "model", *plan.sweep.metrics]
        wide = wide[[c for c in keep if c in wide.columns]]
    return wide


class SweepStore:
    """The results folder of a sweep: manifest, finished points, and the tidy table."""

    def __init__(self, out: Path, plan: SweepPlan):
        self.out, self.plan = Path(out), plan
        self.parts = self.out / "parts"
        self.fingerprint = hashlib.sha256((sweep_yaml(plan.sweep) + plan.base.to_yaml()).encode()).hexdigest()[:16]

    def open(self, fresh: bool = False) -> None:
        """Create the folder, or check that an existing one belongs to this very sweep."""
        manifest = self.out / "sweep.json"
        if manifest.exists() and not fresh:
            old = json.loads(manifest.read_text())
            if old.get("fingerprint") != self.fingerprint:
                raise ScenarioError(
                    str(self.out),
                    [
                        "this folder holds results of a different sweep (or base scenario); "
                        "use another --out, or --fresh to start over"
                    ],
                )
        if fresh and self.parts.exists():
            for f in self.parts.glob("point-*.csv"):
                f.unlink()
        self.parts.mkdir(parents=True, exist_ok=True)
        info = {
            "name": self.plan.sweep.name,
            "fingerprint": self.fingerprint,
            "design": self.plan.sweep.design.kind,
            "parameters": list(self.plan.sweep.parameters),
            "replications": self.plan.sweep.replications,
            "models": self.plan.sweep.models,
            "baseline": self.plan.base.baseline,  # what the others are compared with (the base scenario's)
        }
        atomic_write(manifest, lambda p: Path(p).write_text(json.dumps(info, indent=2)))
        atomic_write(self.out / "sweep.yaml", lambda p: Path(p).write_text(sweep_yaml(self.plan.sweep)))
        atomic_write(self.out / "base_scenario.yaml", lambda p: Path(p).write_text(self.plan.base.to_yaml()))

    def part(self, pid: int) -> Path:
        return self.parts / f"point-{pid:06d}.csv"

    def done(self) -> set[int]:
        """Ids of finished points."""
        return {int(f.stem.split("-")[1]) for f in self.parts.glob("point-*.csv")}

    def save(self, pid: int, rows: pd.DataFrame) -> None:
        atomic_write(self.part(pid), lambda p: rows.to_csv(p, index=False))

    def table(self) -> pd.DataFrame:
        files = sorted(self.parts.glob("point-*.csv"))
        if not files:
            return pd.DataFrame()
        return pd.concat([pd.read_csv(f) for f in files], ignore_index=True)

    def consolidate(self) -> pd.DataFrame:
        """Rebuild ``sweep.csv`` from the finished points (atomically)."""
        df = self.table()
        atomic_write(self.out / "sweep.csv", lambda p: df.to_csv(p, index=False))
        atomic_write(self.out / "sweep.parquet", lambda p: df.to_parquet(p, index=False))  # typed, quick to read
        return df


def _point_task(plan, point):
    return point["point"], run_point(plan, point)


def run_sweep(
    plan: SweepPlan,
    out: Path,
    workers: int = 1,
    scheduler: str | None = None,
    progress: bool = False,
    fresh: bool = False,
    refresh_seconds: float = 5.0,
) -> pd.DataFrame:
    """Run every unfinished point; returns the full tidy table.

    ``scheduler``: None for local processes, ``'local'`` for a Dask ``LocalCluster``,
    or a Dask scheduler address such as ``tcp://host:8786``.
    """
    store = SweepStore(out, plan)
    store.open(fresh)
    points = design_points(plan)
    atomic_write(store.out / "design.csv", lambda p: points.to_csv(p, index=False))
    todo = [row for row in points.to_dict("records") if row["point"] not in store.done()]
    last = time.monotonic()
    done = len(points) - len(todo)
    with progress_bar(progress, len(points), "point", plan.sweep.name, initial=done, leave=True) as bar:
        try:
            for pid, rows in execute(_point_task, todo, workers, scheduler, shared=plan):
                store.save(pid, rows)
                bar.update()
                bar.set_postfix(reps=len(store.done()) * plan.sweep.replications)
                if time.monotonic() - last > refresh_seconds:
                    store.consolidate()
                    last = time.monotonic()
        finally:
            store.consolidate()
    return store.table()
