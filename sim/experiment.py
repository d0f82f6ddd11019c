"""Replications and paired comparisons: how sure is "merged beat siloed"?

Each replication ``r`` draws its own issue stream from the seed tree
``SeedSequence(seed, spawn_key=(r, street, purpose, ...))`` (independent streams,
as ``SeedSequence.spawn`` gives), and runs every model on it (common random
numbers within the replication).  Replication ``r`` is the same whatever the
number of worker processes, so results do not depend on parallelism.

Statistics, on replication means (one value per replication and model):

- each model's mean with a Student-t confidence interval;
- the paired difference model − baseline with a paired-t interval and p-value;
- the ratio of means model / baseline with a delta-method interval:
  ``se(R) = sd(y − R·x) / (√n · |x̄|)``, ``R = ȳ / x̄`` (first-order Taylor expansion);
- the share of replications in which the model was better than the baseline.

With more than one model compared against the baseline, the difference and ratio
intervals are Bonferroni-corrected (level ``1 − α/m`` for ``m`` comparisons),
stated in the ``ci_level`` column.

>>> x = np.array([10.0, 12.0, 11.0, 13.0]); y = x * 0.5
>>> s = paired_stats(x, y, "lower", 0.95)
>>> float(round(s["ratio"], 3)), float(round(s["ratio_hi"] - s["ratio_lo"], 6)), s["share_better"]
(0.5, 0.0, 1.0)
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from . import checks
from .executors import in_order
from .executors import progress as progress_bar
from .metrics import HEADLINE, is_rate
from .statistics import mean_ci, paired_stats, stratified_mean_ci  # noqa: F401  (their home was here)
from .scenario import Scenario

if TYPE_CHECKING:
    from .simulation import RunResult


#: Per-office measures ``compare`` reports (utilisation columns), as metric prefixes ``<measure>@<office>``.
OFFICE_MEASURES = {"mean_wait_h": "mean wait in queue (h)", "share_waited": "P(wait > 0)", "utilisation": "utilisation"}


def replication_rows(
    sc: Scenario,
    replication: int,
    models: list[str] | None = None,
    offices: bool = False,
    events_dir: Path | None = None,
) -> pd.DataFrame:
    """Overall metrics of every model in one replication: replication, model, metric, value.

    With ``offices``, also each office's :data:`OFFICE_MEASURES` as metrics ``<measure>@<office>``;
    with ``events_dir``, the replication's event log is written there as ``rep-<n>.*``.
    """
    from .simulation import run

    res = run(sc, models=models, replication=replication, dimensions=("all",), events=events_dir is not None)
    if events_dir is not None:
        from . import eventlog

        eventlog.write_into(events_dir, res.events, f"rep-{replication:03d}")
    out = result_rows(res, offices)
    out.insert(0, "replication", replication)
    return out


def result_rows(res: RunResult, offices: bool = False) -> pd.DataFrame:
    """The overall metrics of a run (:class:`sim.simulation.RunResult`): model, metric, value (see
    :func:`replication_rows`)."""
    s = res.summary
    util = res.utilisation.groupby("model", sort=False)["utilisation"].max().rename("max_utilisation")
    rows = s[["model", "metric", "value"]]
    extra = pd.DataFrame({"model": util.index, "metric": "max_office_utilisation", "value": util.to_numpy()})
    frames = [rows, extra]
    if offices:
        u = res.utilisation.melt(id_vars=["model", "office"], value_vars=list(OFFICE_MEASURES), var_name="measure")
        frames.append(
            pd.DataFrame({"model": u["model"], "metric": u["measure"] + "@" + u["office"], "value": u["value"]})
        )
    return pd.concat(frames, ignore_index=True)


def _replication(shared: tuple[bool, Path | None], job: tuple[Scenario, int, list[str] | None]) -> pd.DataFrame:
    offices, events_dir = shared
    return replication_rows(*job, offices, events_dir)


def run_replications(
    sc: Scenario,
    replications: Iterable[int],
    models: list[str] | dict[int, list[str]] | None = None,
    workers: int = 1,
    progress: bool = False,
    offices: bool = False,
    events_dir: Path | None = None,
    draws: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Rows of :func:`replication_rows` for each replication index, run on ``workers`` processes.

    ``models`` may map each replication to its own list (arms that differ by replication); with
    ``draws`` (:func:`sim.calibrate.uncertainty.read_draws`), replication ``r`` runs on the scenario
    scaled by row ``r mod len(draws)``: the calibration's uncertainty.
    """
    reps = list(replications)
    scenarios = {r: sc for r in reps}
    if draws is not None:
        from .calibrate.uncertainty import scenario_for

        scenarios = {r: scenario_for(sc, draws.iloc[r % len(draws)]) for r in reps}
    per_rep = models if isinstance(models, dict) else {r: models for r in reps}
    jobs = [(scenarios[r], r, per_rep[r]) for r in reps]
    with progress_bar(progress, len(reps), "rep", "replications") as bar:
        frames = in_order(
            _replication, jobs, workers if len(reps) > 1 else 1, shared=(offices, events_dir), tick=bar.update
        )
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["replication"], kind="stable").reset_index(drop=True)


def office_table(reps: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Each model × office × measure of :data:`OFFICE_MEASURES`: mean over replications and its t interval.

    What a user checks a queue against theory with (e.g. Erlang C for a department's waits).
    """
    m = reps[reps["metric"].str.contains("@", regex=False)]
    rows = []
    for (model, metric), g in m.groupby(["model", "metric"], sort=False):
        measure, _, office = metric.partition("@")
        mean, lo, hi = mean_ci(g["value"].to_numpy(dtype=float), level)
        rows.append(
            {
                "model": model,
                "office": office,
                "measure": measure,
                "mean": mean,
                "lo": lo,
                "hi": hi,
                "n_reps": int(g["value"].notna().sum()),
                "ci_level": level,
            }
        )
    return pd.DataFrame(rows, columns=["model", "office", "measure", "mean", "lo", "hi", "n_reps", "ci_level"])


def compare(
    reps: pd.DataFrame, baseline: str = "siloed", alpha: float = 0.05, metrics: list[str] | None = None
) -> pd.DataFrame:
    """The comparison table: one row per (model, metric) against the baseline."""
    metrics = metrics or list(HEADLINE)
    wide = reps.pivot_table(index="replication", columns=["model", "metric"], values="value", dropna=False)
    models = [m for m in dict.fromkeys(reps["model"]) if m != baseline]
    m_cmp = max(len(models), 1)
    level, level_pair = 1 - alpha, 1 - alpha / m_cmp
    rows = []
    for model in models:
        for metric in metrics:
            if (baseline, metric) not in wide or (model, metric) not in wide:
                continue
            x = wide[(baseline, metric)].to_numpy(dtype=float)
            y = wide[(model, metric)].to_numpy(dtype=float)
            better = HEADLINE.get(metric, ("lower",))[0]
            bm, bl, bh = mean_ci(x, level)
            mm, ml, mh = mean_ci(y, level)
            row = {
                "metric": metric,
                "better": better,
                "baseline": baseline,
                "model": model,
                "baseline_mean": bm,
                "baseline_lo": bl,
                "baseline_hi": bh,
                "model_mean": mm,
                "model_lo": ml,
                "model_hi": mh,
            }
            row |= paired_stats(x, y, better, level_pair)
            row["ci_level"] = level_pair
            row["means_ci_level"] = level
            rows.append(row)
    cols = [
        "metric",
        "better",
        "baseline",
        "model",
        "n_reps",
        "baseline_mean",
        "baseline_lo",
        "baseline_hi",
        "model_mean",
        "model_lo",
        "model_hi",
        "diff",
        "diff_lo",
        "diff_hi",
        "ratio",
        "ratio_lo",
        "ratio_hi",
        "p_value",
        "share_better",
        "ci_level",
        "means_ci_level",
    ]
    return pd.DataFrame(rows, columns=cols)


def precision_gaps(
    reps: pd.DataFrame, rel: float, absolute: float, alpha: float = 0.05, metrics: list[str] | None = None
) -> pd.DataFrame:
    """Each model × headline metric: CI half-width, its target, and the replications it would need."""
    metrics = metrics or list(HEADLINE)
    rows = []
    for (model, metric), g in reps[reps["metric"].isin(metrics)].groupby(["model", "metric"], sort=False):
        m, lo, hi = mean_ci(g["value"].to_numpy(dtype=float), 1 - alpha)
        n = int(g["value"].notna().sum())
        half = (hi - lo) / 2 if not np.isnan(lo) else np.inf
        target = absolute if is_rate(metric) else rel * abs(m)
        need: float  # replications needed: a whole number, or inf
        if half <= target:
            need = n
        elif np.isfinite(half) and target > 0 and n > 0:
            need = math.ceil(n * (half / target) ** 2)
        else:  # no interval yet (too few values, or none: no appeal filed), or a target of zero
            need = np.inf
        rows.append(
            {
                "model": model,
                "metric": metric,
                "n": n,
                "mean": m,
                "half_width": half,
                "target": target,
                "ok": bool(half <= target),
                "reps_needed": need,
            }
        )
    return pd.DataFrame(rows)


@dataclass
class Experiment:
    """Replications of several models on one scenario, and their comparison."""

    scenario: Scenario
    replications: pd.DataFrame
    comparison: pd.DataFrame
    precision: pd.DataFrame
    reached: bool = True
    notes: list[str] = field(default_factory=list)

    @property
    def n_reps(self) -> int:
        return int(self.replications["replication"].nunique())

    def _repr_html_(self) -> str:
        """In a notebook: the finding and the tables with their intervals (:func:`sim.report.experiment_html`)."""
        from .report import experiment_html

        return experiment_html(self)


def experiment(
    sc: Scenario,
    reps: int | str = 30,
    models: list[str] | None = None,
    workers: int = 1,
    precision: float = 0.05,
    abs_precision: float = 0.01,
    min_reps: int = 10,
    max_reps: int = 200,
    alpha: float = 0.05,
    progress: bool = False,
    events_dir: Path | None = None,
    draws: pd.DataFrame | None = None,
) -> Experiment:
    """Run replications (a number, or ``"auto"`` for sequential precision control) and compare.

    ``events_dir`` receives each replication's event log (``rep-<n>.*``, see :mod:`sim.eventlog`);
    with ``draws``, each replication runs on its own refit of the calibration (:func:`run_replications`).

    With ``reps="auto"``, replications are added until every headline metric's CI
    half-width is within ``precision`` × |mean| (times, counts) or ``abs_precision``
    (rates and shares), for every model, or ``max_reps`` is reached.
    """
    models = list(models or sc.models)
    notes = []
    if reps == "auto":
        n = min_reps
        df = run_replications(sc, range(n), models, workers, progress, True, events_dir, draws)
        while True:
            gaps = precision_gaps(df, precision, abs_precision, alpha)
            if gaps["ok"].all() or n >= max_reps:
                break
            want = int(min(max_reps, max(n + workers, gaps["reps_needed"].replace(np.inf, max_reps).max())))
            more = run_replications(sc, range(n, want), models, workers, progress, True, events_dir, draws)
            df = pd.concat([df, more], ignore_index=True)
            n = want
        reached = bool(gaps["ok"].all())
        notes.append(
            f"sequential replications: stopped at {n} "
            + (
                "with every headline CI within its precision target"
                if reached
                else f"(the cap of {max_reps}) with {int((~gaps['ok']).sum())} CI(s) still wider than target"
            )
        )
    else:
        df = run_replications(sc, range(int(reps)), models, workers, progress, True, events_dir, draws)
        gaps = precision_gaps(df, precision, abs_precision, alpha)
        reached = bool(gaps["ok"].all())
    if draws is not None:
        notes.append(
            f"calibration uncertainty: replication r runs on bootstrap refit r mod {len(draws)} of the "
            "calibration (both arms alike), so the intervals include how well the log fixed the parameters"
            + (
                ""
                if df["replication"].nunique() >= len(draws)
                else f"; only {df['replication'].nunique()} of the {len(draws)} refits were used"
            )
        )
    notes += checks.lines(df.assign(dimension="all"), sc.baseline, sc)
    others = [m for m in models if m != sc.baseline]
    if len(others) > 1:
        notes.append(
            f"{len(others)} models compared with {sc.baseline}: difference and ratio intervals are "
            f"Bonferroni-corrected to {100 * (1 - alpha / len(others)):.1f}% each"
        )
    return Experiment(sc, df, compare(df, sc.baseline, alpha), gaps, reached, notes)


def daily_series(sc: Scenario, replication: int, models: list[str] | None = None) -> pd.DataFrame:
    """Per day and model: open issues at the end of the day, mean resolution time of that day's issues."""
    from .simulation import run

    res = run(sc, models=models, replication=replication, dimensions=("all",))
    a = res.appeals.assign(
        day=(res.appeals["created"] // 24).astype(int), resolution_time=res.appeals["resolved"] - res.appeals["created"]
    )
    rt = a.groupby(["model", "day"], sort=False)["resolution_time"].mean()
    b = res.backlog[(res.backlog["time_h"] % 24 == 0) & (res.backlog["time_h"] > 0)]
    b = b.assign(day=(b["time_h"] // 24).astype(int) - 1).set_index(["model", "day"])["backlog"]
    out = pd.concat([b, rt], axis=1).reset_index()
    out.insert(0, "replication", replication)
    return out


def _daily(models: list[str] | None, job: tuple[Scenario, int]) -> pd.DataFrame:
    return daily_series(*job, models)


def welch(
    sc: Scenario, reps: int = 10, window: int = 7, models: list[str] | None = None, workers: int = 1
) -> pd.DataFrame:
    """Welch's method: daily outputs averaged over replications, with a centred moving average."""
    frames = in_order(_daily, [(sc, r) for r in range(reps)], workers, shared=models)
    df = pd.concat(frames).groupby(["model", "day"], sort=False)[["backlog", "resolution_time"]].mean()
    df = df.reset_index().sort_values(["model", "day"], kind="stable")
    for col in ("backlog", "resolution_time"):
        df[f"{col}_ma"] = df.groupby("model")[col].transform(
            lambda x: x.rolling(2 * (window // 2) + 1, center=True, min_periods=1).mean()
        )
    return df.reset_index(drop=True)


def suggest_warmup(series: pd.DataFrame, tolerance: float = 0.1) -> int:
    """A first guess at the warm-up (days): when every model's moving-average backlog first comes
    within ``tolerance`` of its mean over the second half of the horizon.  Look at the plot too."""
    days = []
    for _, g in series.groupby("model", sort=False):
        ma = g["backlog_ma"].to_numpy()
        level = ma[len(ma) // 2 :].mean()
        close = np.abs(ma - level) <= tolerance * max(level, 1e-9)
        days.append(int(g["day"].to_numpy()[np.argmax(close)]) if close.any() else int(g["day"].max()))
    return max(days) if days else 0
