"""Metrics from appeal records: times, the three hotline rates (三率), trips, equity.

Times are measured from the moment the issue arose (so earlier discovery counts)
and, with the suffix ``_from_filing``, from filing.  Rates follow hotline practice:

- 响应率 ``response_rate``: first response within the category's deadline ÷ filed;
- 解决率 ``resolution_rate``: resolved ÷ filed;
- 满意率 ``satisfaction_rate``: satisfied ÷ resolved.

Abandoned appeals count against the first two.  Appeals created during the
warm-up are simulated but left out of every metric.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .scenario import Scenario

DIMENSIONS = ("all", "group", "category", "area")

#: Headline metrics, each with its better direction and a label.
HEADLINE: dict[str, tuple[str, str]] = {
    "resolution_time_p50": ("lower", "resolution time P50 (h)"),
    "resolution_time_p90": ("lower", "resolution time P90 (h)"),
    "response_time_p50": ("lower", "response time P50 (h)"),
    "response_rate": ("higher", "响应率 response rate"),
    "resolution_rate": ("higher", "解决率 resolution rate"),
    "satisfaction_rate": ("higher", "满意率 satisfaction rate"),
    "trips_per_appeal": ("lower", "trips per appeal"),
    "citizen_hours_per_appeal": ("lower", "citizen hours per appeal"),
    "share_3plus_trips": ("lower", "share with 3+ trips"),
    "abandonment_rate": ("lower", "abandonment rate"),
    "staff_hours_per_appeal": ("lower", "staff hours per appeal"),
}


def _time_stats(prefix: str, x: np.ndarray) -> dict[str, tuple[float, int]]:
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return {f"{prefix}_{s}": (np.nan, 0) for s in ("mean", "p50", "p90", "p95")}
    q = np.percentile(x, [50, 90, 95])
    return {f"{prefix}_mean": (float(x.mean()), n), f"{prefix}_p50": (float(q[0]), n),
            f"{prefix}_p90": (float(q[1]), n), f"{prefix}_p95": (float(q[2]), n)}


def appeal_metrics(df: pd.DataFrame, deadline: np.ndarray) -> dict[str, tuple[float, int]]:
    """Every appeal metric of one slice of records: ``{metric: (value, n)}``.

    ``df`` holds records of one model; ``deadline`` the response deadline (h) per row.
    """
    created = df["created"].to_numpy()
    filed_mask = ~np.isnan(df["filed"].to_numpy())
    f = df[filed_mask]
    nf = len(f)
    out: dict[str, tuple[float, int]] = {"issues": (float(len(df)), len(df)), "appeals_filed": (float(nf), nf)}
    resp = f["first_response"].to_numpy()
    res = f["resolved"].to_numpy()
    filed = f["filed"].to_numpy()
    out |= _time_stats("response_time", resp - created[filed_mask])
    out |= _time_stats("response_time_from_filing", resp - filed)
    out |= _time_stats("resolution_time", res - created[filed_mask])
    out |= _time_stats("resolution_time_from_filing", res - filed)

    def share(mask) -> tuple[float, int]:
        return (float(np.mean(mask)) if nf else np.nan, nf)

    def per(col) -> tuple[float, int]:
        return (float(f[col].mean()) if nf else np.nan, nf)

    resolved = f["state"].to_numpy() == "resolved"
    out["response_rate"] = share((resp - filed) <= deadline[filed_mask])  # NaN compares False
    out["resolution_rate"] = share(resolved)
    sat = f["satisfied"].to_numpy(dtype=float, na_value=np.nan)[resolved]
    out["satisfaction_rate"] = (float(np.mean(sat == 1.0)) if len(sat) else np.nan, int(resolved.sum()))
    out["abandonment_rate"] = share(f["state"].to_numpy() == "abandoned")
    out["open_share"] = share(f["state"].to_numpy() == "open")
    out["share_3plus_trips"] = share(f["trips"].to_numpy() >= 3)
    out["patrol_share"] = share(f["channel"].to_numpy() == "patrol")
    out["escalated_share"] = share(f["escalated"].to_numpy())
    out["reopened_share"] = share(f["reopened"].to_numpy() > 0)
    for col in ("trips", "referrals", "bounces", "citizen_hours", "staff_hours"):
        out[f"{col}_per_appeal"] = per(col)
    return out


def summarise(appeals: pd.DataFrame, sc: Scenario, util: pd.DataFrame | None = None,
              dimensions: tuple[str, ...] = DIMENSIONS) -> pd.DataFrame:
    """Long-form summary: model, metric, dimension, level, value, n.

    Rows for every metric overall (``dimension='all'``) and by group, category and
    area; staff utilisation by office when ``util`` is given.
    """
    deadlines = {k: c.response_deadline_hours for k, c in sc.categories.items()}
    df = appeals[appeals["created"] >= sc.warmup_days * 24.0]
    rows = []
    for model, mdf in df.groupby("model", sort=False):
        for dim in dimensions:
            parts = [("all", mdf)] if dim == "all" else mdf.groupby(dim, sort=True)
            for level, part in parts:
                dl = part["category"].map(deadlines).to_numpy(dtype=float)
                for metric, (value, n) in appeal_metrics(part, dl).items():
                    rows.append((model, metric, dim, level, value, n))
    if util is not None:
        rows += [(r.model, "utilisation", "office", r.office, r.utilisation, r.headcount)
                 for r in util.itertuples()]
    return pd.DataFrame(rows, columns=["model", "metric", "dimension", "level", "value", "n"])


def utilisation(runs, horizon: float) -> pd.DataFrame:
    """Staff utilisation (work hours ÷ staffed open hours) of every office of every model run."""
    rows = [{"model": r.model, "office": o.name, "headcount": o.capacity, "work_hours": o.work_hours,
             "jobs": o.jobs, "max_busy": o.max_busy, "utilisation": o.utilisation(horizon),
             "mean_wait_h": o.wait_sum / o.jobs if o.jobs else float("nan"),
             "share_waited": o.waited / o.jobs if o.jobs else float("nan"),
             "mean_present": o.mean_present(horizon),
             "mean_sojourn_h": o.sojourn_sum / o.finished if o.finished else float("nan"),
             "throughput_per_h": o.finished / (horizon - o.since),
             "edge_hours": o.edge_hours(horizon), "since_h": o.since}
            for r in runs for o in r.world.offices.values()]
    return pd.DataFrame(rows)


def backlog(appeals: pd.DataFrame, horizon: float, step: float = 6.0) -> pd.DataFrame:
    """Issues arisen and not yet resolved or abandoned, every ``step`` hours, per model."""
    grid = np.arange(0.0, horizon + 1e-9, step)
    frames = []
    for model, mdf in appeals.groupby("model", sort=False):
        created = np.sort(mdf["created"].to_numpy())
        ended = np.sort(mdf["resolved"].fillna(mdf["abandoned"]).dropna().to_numpy())
        n = np.searchsorted(created, grid, side="right") - np.searchsorted(ended, grid, side="right")
        frames.append(pd.DataFrame({"model": model, "time_h": grid, "backlog": n}))
    return pd.concat(frames, ignore_index=True)


def worst_served(summary: pd.DataFrame, dimension: str, metric: str = "resolution_time_p50") -> dict[str, str]:
    """The level of ``dimension`` (group or area) worst served on ``metric``, per model."""
    s = summary[(summary["dimension"] == dimension) & (summary["metric"] == metric)].dropna(subset=["value"])
    better = HEADLINE.get(metric, ("lower",))[0]
    pick = (lambda x: x.idxmax()) if better == "lower" else (lambda x: x.idxmin())
    return {m: s.loc[pick(g["value"]), "level"] for m, g in s.groupby("model", sort=False)}
