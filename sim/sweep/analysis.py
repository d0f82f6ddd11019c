"""Analysing a sweep: each model's ratio to siloed across the design, Sobol indices, scenario discovery.

For each point the ratio of a metric is mean(model) / mean(baseline) over the
point's replications (paired by replication, so the delta-method interval of
:func:`sim.experiment.paired_stats` applies).  Sobol indices use SALib on the
per-point ratio; scenario discovery uses PRIM (EMA Workbench 2.x) to find the
boxes of lever values in which merging loses (resolution-time ratio above 1).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from ..statistics import paired_stats
from ..metrics import HEADLINE
from ..models import pairs
from ..scenario import ScenarioError
from ..style import styled

KEY = "resolution_time_p50"


def load_results(folder: Path) -> tuple[pd.DataFrame, dict, list[str]]:
    """The tidy table, the manifest and the varied parameters of a sweep results folder."""
    folder = Path(folder)
    manifest, table = folder / "sweep.json", folder / "sweep.csv"
    if not manifest.exists() or not table.exists():
        raise ScenarioError(str(folder), ["not a sweep results folder (expected sweep.json and sweep.csv)"])
    info = json.loads(manifest.read_text())
    df = pd.read_csv(table)
    if df.empty:
        raise ScenarioError(str(folder), ["the sweep has no finished points yet"])
    return df, info, info["parameters"]


def point_ratios(
    df: pd.DataFrame,
    params: list[str],
    model: str = "merged",
    baseline: str = "siloed",
    metrics: list[str] | None = None,
) -> pd.DataFrame:
    """Per point and metric: the ratio model/baseline with its CI and the share of replications better."""
    metrics = [m for m in (metrics or list(HEADLINE)) if m in df.columns]
    rows = []
    for pid, g in df.groupby("point", sort=True):
        x = g[g["model"] == baseline].set_index("replication")
        y = g[g["model"] == model].set_index("replication").reindex(x.index)
        base = {p: g[p].iloc[0] for p in params}
        for m in metrics:
            s = paired_stats(x[m].to_numpy(float), y[m].to_numpy(float), HEADLINE[m][0], 0.95)
            rows.append(
                {
                    "point": pid,
                    **base,
                    "metric": m,
                    "baseline_mean": x[m].mean(),
                    "model_mean": y[m].mean(),
                    "ratio": s["ratio"],
                    "ratio_lo": s["ratio_lo"],
                    "ratio_hi": s["ratio_hi"],
                    "share_better": s["share_better"],
                    "n_reps": s["n_reps"],
                }
            )
    return pd.DataFrame(rows)


def sobol_indices(
    ratios: pd.DataFrame, params: list[str], bounds: dict, metric: str = KEY, seed: int = 0
) -> pd.DataFrame:
    """First-order and total Sobol indices (with 95% bootstrap CIs) of the ratio, from a Saltelli design."""
    from SALib.analyze import sobol

    r = ratios[ratios["metric"] == metric].sort_values("point")
    y = r["ratio"].to_numpy(float)
    d = len(params)
    if len(y) % (d + 2) or np.isnan(y).any():
        raise ScenarioError(
            "sweep",
            [
                f"Sobol indices need a complete Saltelli design: {len(y)} points with "
                f"values, expected a multiple of {d + 2} and no missing ratios"
            ],
        )
    problem = {"num_vars": d, "names": params, "bounds": [list(bounds[p]) for p in params]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sobol.analyze(problem, y, calc_second_order=False, seed=seed)
    out = pd.DataFrame(
        {"parameter": params, "S1": res["S1"], "S1_conf": res["S1_conf"], "ST": res["ST"], "ST_conf": res["ST_conf"]}
    )
    out.insert(0, "metric", metric)
    return out.sort_values("ST", ascending=False).reset_index(drop=True)


def prim_boxes(
    ratios: pd.DataFrame, params: list[str], metric: str = KEY, threshold: float = 0.8, max_boxes: int = 3
) -> pd.DataFrame:
    """PRIM boxes of lever values where the model loses (ratio worse than 1) with coverage and density."""
    from ema_workbench.analysis import prim

    r = ratios[ratios["metric"] == metric].dropna(subset=["ratio"])
    better = HEADLINE[metric][0]
    loses = (r["ratio"] > 1) if better == "lower" else (r["ratio"] < 1)
    if loses.sum() == 0 or loses.all():
        return pd.DataFrame(columns=["box", "coverage", "density", "n_points", "restricted_dims", "limits"])
    x = r[params].astype(float).reset_index(drop=True)
    y = loses.to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import logging

        logging.getLogger("EMA").setLevel(logging.ERROR)
        p = prim.Prim(x, y, threshold=threshold, peel_alpha=0.1)
        rows = []
        for i in range(max_boxes):
            box = p.find_box()
            if box is None:
                break
            stats = box.peeling_trajectory.iloc[box._cur_box]
            if i > 0 and stats["density"] < threshold:  # what is left is no box worth reporting
                break
            lims = box.box_lims[box._cur_box]
            restricted = {
                c: (float(lims[c].iloc[0]), float(lims[c].iloc[1]))
                for c in params
                if (lims[c].iloc[0], lims[c].iloc[1]) != (x[c].min(), x[c].max())
            }
            rows.append(
                {
                    "box": i + 1,
                    "coverage": float(stats["coverage"]),
                    "density": float(stats["density"]),
                    "n_points": int(stats["n"]),
                    "restricted_dims": int(stats["res_dim"]),
                    "limits": "; ".join(f"{k} in [{a:.3g}, {b:.3g}]" for k, (a, b) in restricted.items())
                    or "(whole space)",
                }
            )
    return pd.DataFrame(rows)


# ------------------------------------------------------------------ figures and the written summary


@styled
def heatmap_figure(ratios: pd.DataFrame, params: list[str], metrics: list[str], pair=("merged", "siloed")):
    """Ratio ``model/baseline`` for two factors (others averaged), one panel per metric; below 1 = model lower."""
    from ..style import subplots

    a, b = params[:2]
    fig, axes = subplots(1, len(metrics), figsize=(4.6 * len(metrics), 4), squeeze=False)
    for ax, m in zip(axes[0], metrics):
        grid = ratios[ratios["metric"] == m].pivot_table(index=a, columns=b, values="ratio", aggfunc="mean")
        span = max(abs(np.nanmax(grid.to_numpy()) - 1), abs(np.nanmin(grid.to_numpy()) - 1), 0.05)
        im = ax.imshow(
            grid.to_numpy(),
            cmap="RdBu_r" if HEADLINE[m][0] == "lower" else "RdBu",
            vmin=1 - span,
            vmax=1 + span,
            origin="lower",
            aspect="auto",
        )
        ax.set_xticks(range(grid.shape[1]), [f"{v:g}" for v in grid.columns])
        ax.set_yticks(range(grid.shape[0]), [f"{v:g}" for v in grid.index])
        ax.set_xlabel(b)
        ax.set_ylabel(a)
        for i in range(grid.shape[0]):
            for j in range(grid.shape[1]):
                ax.text(j, i, f"{grid.iloc[i, j]:.2f}", ha="center", va="center", fontsize=8)
        ax.set_title(f"{pair[0]}/{pair[1]}: {HEADLINE[m][1]}", fontsize=9)
        fig.colorbar(im, ax=ax, shrink=0.8)
    fig.suptitle(
        f"Blue = {pair[0]} better, red = {pair[0]} worse"
        + (f" (averaged over {', '.join(params[2:])})" if len(params) > 2 else "")
    )
    fig.tight_layout()
    return fig


@styled
def lines_figure(ratios: pd.DataFrame, param: str, metrics: list[str], pair=("merged", "siloed")):
    """Ratio ``model/baseline`` against one factor with its 95% CI band, one panel per metric."""
    from ..models import colour
    from ..style import subplots

    fig, axes = subplots(1, len(metrics), figsize=(4.2 * len(metrics), 3.6), squeeze=False)
    for ax, m in zip(axes[0], metrics):
        r = ratios[ratios["metric"] == m].sort_values(param)
        ax.plot(r[param], r["ratio"], "o-", color=colour(pair[0]))
        ax.fill_between(r[param], r["ratio_lo"], r["ratio_hi"], color=colour(pair[0]), alpha=0.2)
        ax.axhline(1, color="grey", ls="--", lw=1)
        ax.set_xlabel(param)
        ax.set_ylabel(f"{pair[0]} / {pair[1]}")
        ax.set_title(HEADLINE[m][1], fontsize=9)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


@styled
def scatter_figure(ratios: pd.DataFrame, params: list[str], metric: str = KEY, pair=("merged", "siloed")):
    """Ratio ``model/baseline`` of the key metric against each parameter over the design."""
    from ..models import colour
    from ..style import subplots

    r = ratios[ratios["metric"] == metric]
    cols = min(3, len(params))
    rows = -(-len(params) // cols)
    fig, axes = subplots(rows, cols, figsize=(4 * cols, 3.2 * rows), squeeze=False)
    for ax, p in zip(axes.flat, params):
        ax.scatter(r[p], r["ratio"], s=8, color=colour(pair[0]), alpha=0.6)
        ax.axhline(1, color="grey", ls="--", lw=1)
        ax.set_xlabel(p)
        ax.set_ylabel(f"{pair[0]} / {pair[1]}")
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(params) :]:
        ax.axis("off")
    fig.suptitle(f"{pair[0]}/{pair[1]} {HEADLINE[metric][1]} across the design")
    fig.tight_layout()
    return fig


@styled
def sobol_figure(indices: pd.DataFrame, pair=("merged", "siloed")):
    """First-order and total Sobol indices with 95% CIs."""
    from ..style import subplots

    fig, ax = subplots(figsize=(7, 0.5 * len(indices) + 1.5))
    y = np.arange(len(indices))[::-1]
    ax.barh(y + 0.2, indices["S1"], 0.4, xerr=indices["S1_conf"], label="first order S1", color="#7570b3")
    ax.barh(y - 0.2, indices["ST"], 0.4, xerr=indices["ST_conf"], label="total ST", color="#1b9e77")
    ax.set_yticks(y, indices["parameter"])
    ax.set_xlabel(f"Sobol index (share of variance of the {pair[0]}/{pair[1]} ratio)")
    ax.set_title(f"Which lever matters: {HEADLINE[indices['metric'].iloc[0]][1]}")
    ax.legend()
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def summary_markdown(
    info: dict,
    ratios: pd.DataFrame,
    params: list[str],
    indices=None,
    boxes=None,
    pair=("merged", "siloed"),
    title: bool = True,
) -> str:
    """Where ``model`` (merging, by default) helps most, least or hurts against the baseline, and which levers
    matter."""
    model, base = pair
    r = ratios[ratios["metric"] == KEY].dropna(subset=["ratio"]).sort_values("ratio")
    fmt = lambda row: ", ".join(f"{p} = {row[p]:.3g}" for p in params)  # noqa: E731
    what = "merging" if model == "merged" else model
    lines = ([f"# Sweep {info['name']}: where does merging pay?", ""] if title else []) + [
        f"## {model} against {base}",
        "",
        f"Design {info['design']}, {r['point'].nunique()} points, {info['replications']} replications each; "
        f"key metric: {model}/{base} {HEADLINE[KEY][1]} (below 1: {model} faster).",
        "",
    ]
    if len(r):
        best, worst = r.iloc[0], r.iloc[-1]
        lines += [
            f"- **{what.capitalize()} helps most** at {fmt(best)}: ratio {best['ratio']:.2f}.",
            f"- **{what.capitalize()} helps least{' or hurts' if worst['ratio'] > 1 else ''}** at "
            f"{fmt(worst)}: ratio {worst['ratio']:.2f}.",
            f"- {model.capitalize()} is faster at {100 * (r['ratio'] < 1).mean():.0f}% of the points "
            f"(median ratio {r['ratio'].median():.2f}).",
            "",
        ]
    others = ratios[ratios["metric"] != KEY].groupby("metric")["ratio"].median()
    if len(others):
        lines += [f"Median {model}/{base} ratio over the design, other headline metrics:", ""]
        lines += [f"- {HEADLINE[m][1]}: {v:.2f}" for m, v in others.items()] + [""]
    if indices is not None and len(indices):
        lines += [
            "### Which levers matter (Sobol indices of the ratio)",
            "",
            "| lever | S1 | 95% CI | ST | 95% CI |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {x.parameter} | {x.S1:.2f} | ±{x.S1_conf:.2f} | {x.ST:.2f} | ±{x.ST_conf:.2f} |"
            for x in indices.itertuples()
        ] + [""]
    if boxes is not None:
        lines += [f"### When does {what} lose? (PRIM scenario discovery, ratio > 1)", ""]
        if len(boxes):
            lines += ["| box | coverage | density | points | limits |", "|---|---|---|---|---|"]
            lines += [
                f"| {b.box} | {b.coverage:.2f} | {b.density:.2f} | {b.n_points} | {b.limits} |"
                for b in boxes.itertuples()
            ]
        else:
            lines.append(
                f"{model.capitalize()} never loses (or always loses) on the key metric in this design: no box to find."
            )
        lines.append("")
    return "\n".join(lines)


def analyze(folder: Path, metrics: list[str] | None = None) -> dict:
    """Analyse a sweep results folder; writes tables, figures and summary.md into it."""
    from ..output import ResultsFolder
    from .spec import Sweep
    import yaml

    folder = Path(folder)
    df, info, params = load_results(folder)
    sweep = Sweep.model_validate(yaml.safe_load((folder / "sweep.yaml").read_text()))
    metrics = metrics or [m for m in HEADLINE if m in df.columns]
    out = ResultsFolder(folder, staged=False)  # beside the sweep's points, which resume
    shown = [m for m in (KEY, "resolution_time_p90", "satisfaction_rate", "citizen_hours_per_appeal") if m in metrics]
    kind, notes, figs = info["design"], [], {}
    tables: dict[str, list] = {"ratios.csv": [], "sobol.csv": [], "prim.csv": []}
    texts = []
    compared = pairs(info["models"], info.get("baseline", "siloed"))  # (folders from before it was kept: siloed)
    if not compared:
        raise ScenarioError(str(folder), [f"the sweep ran one model ({info['models'][0]}): nothing to compare"])
    for n, pair in enumerate(compared):
        tag = "" if n == 0 else f"-{pair[0]}"  # the first comparison (merged/siloed) keeps the plain file names
        ratios = point_ratios(df, params, *pair, metrics=metrics)
        tables["ratios.csv"].append(ratios.assign(model=pair[0], baseline=pair[1]))
        if kind in ("factorial", "oat") and len(params) == 1:
            figs[f"ratio_lines{tag}.png"] = lines_figure(ratios, params[0], shown, pair)
        elif kind == "factorial":
            figs[f"ratio_heatmap{tag}.png"] = heatmap_figure(ratios, params, shown, pair)
        else:
            figs[f"ratio_scatter{tag}.png"] = scatter_figure(ratios, params, pair=pair)
        indices = boxes = None
        if kind == "saltelli":
            bounds = {k: sweep.parameters[k].bounds for k in params}
            indices = pd.concat([sobol_indices(ratios, params, bounds, m) for m in shown], ignore_index=True)
            tables["sobol.csv"].append(indices.assign(model=pair[0], baseline=pair[1]))
            figs[f"sobol{tag}.png"] = sobol_figure(indices[indices["metric"] == KEY], pair)
        if kind in ("lhs", "sobol", "saltelli"):
            try:
                boxes = prim_boxes(ratios, params)
                tables["prim.csv"].append(boxes.assign(model=pair[0], baseline=pair[1]))
            except ImportError:
                notes = ["PRIM scenario discovery skipped: install the extra with pip install -e '.[discovery]'"]
        key_idx = None if indices is None else indices[indices["metric"] == KEY]
        texts.append(summary_markdown(info, ratios, params, key_idx, boxes, pair, title=n == 0))
    found = {name: pd.concat(parts, ignore_index=True) for name, parts in tables.items() if parts}
    for name, table in found.items():
        out.table(name, table)
    out.figures(figs)
    text = "\n".join(texts) + "".join(f"\n{n}\n" for n in notes)
    out.text("summary.md", text)
    return {
        "ratios": found["ratios.csv"],
        "sobol": found.get("sobol.csv"),
        "prim": found.get("prim.csv"),
        "summary": text,
        "written": out.written,
    }
