"""PNG plots of one run: time distributions, the three rates, trips and backlog, by model.

Importing this module changes no global matplotlib state (see :mod:`sim.style`).
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd

from .drawing import Recipe
from .i18n import N_, _, current
from .models import colour as _colour  # one colour per model in every figure: the model's own
from .style import CJK_FONT, STYLE, log_axis, styled, subplots  # noqa: F401


def _legend(ax, **kw) -> None:
    """A legend of the plotted models, or a note on an empty panel (a run where no appeal was filed)."""
    if ax.get_legend_handles_labels()[1]:
        ax.legend(**kw)
    else:
        ax.text(0.5, 0.5, _("no appeals to show"), transform=ax.transAxes, ha="center", va="center", color="grey")


@styled
def times_figure(appeals: pd.DataFrame, figsize: tuple[float, float] = (10, 4)):
    """ECDFs of response and resolution time (from the issue arising), by model."""
    fig, axes = subplots(1, 2, figsize=figsize, sharey=True)
    for ax, col, title in zip(axes, ("first_response", "resolved"), (_("Response time"), _("Resolution time"))):
        for model, df in appeals.groupby("model", sort=False):
            x = np.sort((df[col] - df["created"]).dropna().to_numpy())
            if len(x):
                ax.step(
                    x,
                    np.arange(1, len(x) + 1) / len(df),
                    where="post",
                    color=_colour(model),
                    label=_("{model} (P50 {hours} h)").format(model=model, hours=f"{np.median(x):.0f}"),
                )
        log_axis(ax.xaxis)
        ax.set_xlabel(_("hours since the issue arose (log scale)"))
        ax.set_title(title)
        _legend(ax, loc="upper left")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel(_("share of all issues"))
    fig.tight_layout()
    return fig


@styled
def rates_figure(summary: pd.DataFrame, names: dict[str, str] | None = None):
    """The three hotline rates by model and group (and overall); ``names``: the groups' display names."""
    from .metrics import METRICS

    names = {"all": _("all"), **(names or {})}
    metrics = [(k, METRICS[k].label_in(current())) for k in ("response_rate", "resolution_rate", "satisfaction_rate")]
    s = summary[summary["dimension"].isin(["all", "group"])]
    fig, axes = subplots(1, 3, figsize=(13, 4), sharey=True)
    models = list(dict.fromkeys(s["model"]))
    for ax, (metric, title) in zip(axes, metrics):
        m = s[s["metric"] == metric]
        levels = list(dict.fromkeys(m["level"]))
        x = np.arange(len(levels))
        w = 0.8 / max(len(models), 1)
        for k, model in enumerate(models):
            v = m[m["model"] == model].set_index("level")["value"].reindex(levels)
            ax.bar(x + (k - (len(models) - 1) / 2) * w, 100 * v.to_numpy(), w, color=_colour(model), label=model)
        ax.set_xticks(x, [names.get(v, v) for v in levels], rotation=20)
        ax.set_title(title)
        ax.set_ylim(0, 118)  # room above the bars for the legend
        ax.set_yticks(range(0, 101, 20))
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel(_("percent"))
    _legend(axes[0], loc="upper center", ncol=max(len(models), 1))
    fig.tight_layout()
    return fig


@styled
def hotline_rates_figure(summary: pd.DataFrame, figsize: tuple[float, float] = (7, 3)):
    """The three hotline rates overall (响应率, 解决率, 满意率), bars per model: one panel, for a projector."""
    from .metrics import METRICS

    keys = ("response_rate", "resolution_rate", "satisfaction_rate")
    s = summary[summary["dimension"] == "all"].set_index(["metric", "model"])["value"]
    models = list(dict.fromkeys(summary["model"]))
    fig, ax = subplots(figsize=figsize)
    x = np.arange(len(keys))
    w = 0.8 / max(len(models), 1)
    for k, model in enumerate(models):
        v = np.array([100 * s.get((m, model), np.nan) for m in keys])
        bars = ax.bar(x + (k - (len(models) - 1) / 2) * w, v, w, color=_colour(model), label=model)
        ax.bar_label(bars, fmt="%.0f%%", padding=2)
    ax.set_xticks(x, [METRICS[m].label_in(current()) for m in keys])
    ax.set_ylim(0, 118)  # room above the bars for their values and the legend
    ax.set_yticks(range(0, 101, 20))
    ax.set_ylabel(_("percent"))
    ax.grid(axis="y", alpha=0.3)
    _legend(ax, loc="upper center", ncol=max(len(models), 1))
    fig.tight_layout()
    return fig


@styled
def trips_figure(appeals: pd.DataFrame):
    """Share of filed appeals by number of trips, by model."""
    fig, ax = subplots(figsize=(6, 4))
    filed = appeals.dropna(subset=["filed"])
    models = list(dict.fromkeys(filed["model"]))
    top = int(filed["trips"].max()) if len(filed) else 0
    x = np.arange(top + 1)
    w = 0.8 / max(len(models), 1)
    for k, model in enumerate(models):
        t = filed[filed["model"] == model]["trips"]
        share = np.bincount(t, minlength=top + 1) / max(len(t), 1)
        ax.bar(
            x + (k - (len(models) - 1) / 2) * w,
            100 * share,
            w,
            color=_colour(model),
            label=_("{model} (mean {value})").format(model=model, value=f"{t.mean():.2f}"),
        )
    ax.set_xlabel(_("trips by the citizen"))
    ax.set_ylabel(_("percent of filed appeals"))
    ax.set_title(_("Trips per appeal (0 = by hotline, online or found first)"))
    _legend(ax)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


@styled
def breakdown_figure(
    summary: pd.DataFrame, dimension: str, metric: str = "resolution_time_p50", names: dict[str, str] | None = None
):
    """A headline metric by group or category (or area), bars per model; ``names``: the levels' display names."""
    from .metrics import METRICS

    names = names or {}

    s = summary[(summary["dimension"] == dimension) & (summary["metric"] == metric)]
    levels = list(dict.fromkeys(s["level"]))
    models = list(dict.fromkeys(s["model"]))
    fig, ax = subplots(figsize=(max(6, 0.8 * len(levels) + 2), 4))
    x = np.arange(len(levels))
    w = 0.8 / max(len(models), 1)
    for k, model in enumerate(models):
        v = s[s["model"] == model].set_index("level")["value"].reindex(levels)
        ax.bar(x + (k - (len(models) - 1) / 2) * w, v.to_numpy(), w, color=_colour(model), label=model)
    ax.set_xticks(x, [names.get(v, v) for v in levels], rotation=25, ha="right")
    label = METRICS[metric].label_in(current()) if metric in METRICS else metric
    ax.set_ylabel(label)
    ax.set_title(_(BY_DIMENSION.get(dimension, "{metric} by {dimension}")).format(metric=label, dimension=dimension))
    _legend(ax)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


@styled
def backlog_figure(backlog: pd.DataFrame):
    """Issues arisen and not yet resolved or abandoned, over time, by model."""
    fig, ax = subplots(figsize=(9, 4))
    for model, df in backlog.groupby("model", sort=False):
        ax.plot(df["time_h"] / 24.0, df["backlog"], color=_colour(model), label=model)
    ax.set_xlabel(_("day"))
    ax.set_ylabel(_("open issues"))
    ax.set_title(_("Backlog over time"))
    _legend(ax)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


#: A breakdown's title, by dimension.
BY_DIMENSION = {
    "group": N_("{metric} by group"),
    "category": N_("{metric} by category"),
    "area": N_("{metric} by area"),
}

#: The figures a run writes (:func:`figures`), and those a city run writes (:func:`city_figures`).
RUN_FIGURES = ("times.png", "rates.png", "trips.png", "backlog.png")
CITY_FIGURES = ("streets.png", "rates.png", "backlog.png", "categories.png")


def level_names(sc, dimension: str) -> dict[str, str]:
    """The groups', areas' or categories' names in the current language, by code name (for tick labels)."""
    table = {"group": sc.groups, "area": sc.areas, "category": sc.categories}.get(dimension, {})
    return {k: v.label.text(current(), k) for k, v in table.items()}


def recipes(result) -> dict[str, Recipe]:
    """How to draw every figure of a run, by file name (:data:`RUN_FIGURES`; see :mod:`sim.drawing`)."""
    return {
        "times.png": partial(times_figure, result.appeals[["model", "created", "first_response", "resolved"]]),
        "rates.png": partial(rates_figure, result.summary, level_names(result.scenario, "group")),
        "trips.png": partial(trips_figure, result.appeals[["model", "filed", "trips"]]),
        "backlog.png": partial(backlog_figure, result.backlog),
    }


def figures(result) -> dict[str, object]:
    """All figures of a run, by file name (:data:`RUN_FIGURES`)."""
    return made(recipes(result))


def made(recipes: dict[str, Recipe]) -> dict[str, object]:
    """The figures the recipes make, here."""
    return {name: recipe() for name, recipe in recipes.items()}


@styled
def streets_figure(summary: pd.DataFrame, baseline: str = "siloed", metric: str = "resolution_time_p50"):
    """One point a street: ``metric`` under ``baseline`` (x) against each other model (y), by kind of street.

    Points below the diagonal are streets where the other model does better on a metric
    where lower is better (above it, where higher is better).
    """
    from .metrics import HEADLINE, by_street

    wide = by_street(summary, metric)
    label = HEADLINE.get(metric, ("", metric))[1]
    fig, ax = subplots(figsize=(6.5, 6))
    if baseline not in wide:
        _legend(ax)
        return fig
    from .scenario import street_kind

    kinds = wide.index.map(street_kind)
    markers = dict(zip(dict.fromkeys(kinds), "osD^v<>p"))
    others = [m for m in wide.columns if m != baseline]
    for model in others:
        for kind, marker in markers.items():
            part = wide[kinds == kind]
            ax.scatter(
                part[baseline],
                part[model],
                s=14,
                marker=marker,
                alpha=0.7,
                color=_colour(model),
                label=f"{model}, {kind} ({len(part)})",
            )
    lo, hi = np.nanmin(wide.to_numpy()), np.nanmax(wide.to_numpy())
    ax.plot([lo, hi], [lo, hi], color="grey", lw=1, ls="--")
    ax.set_xlabel(f"{baseline}: {label}")
    ax.set_ylabel(f"{', '.join(others)}: {label}")
    ax.set_title(f"{label}, one point a street")
    _legend(ax, fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def city_recipes(result) -> dict[str, Recipe]:
    """How to draw every figure of a city run, by file name (:data:`CITY_FIGURES`; from the merged tables: no
    per-appeal records needed)."""
    return {
        "streets.png": partial(streets_figure, result.summary, result.scenario.baseline),
        "rates.png": partial(rates_figure, result.summary, level_names(result.scenario, "group")),
        "backlog.png": partial(backlog_figure, result.backlog),
        "categories.png": partial(
            breakdown_figure, result.summary, "category", names=level_names(result.scenario, "category")
        ),
    }


def city_figures(result) -> dict[str, object]:
    """All figures of a city run, by file name (:data:`CITY_FIGURES`)."""
    return made(city_recipes(result))


@styled
def forest_figure(comparison: pd.DataFrame):
    """Ratios model / baseline with their confidence intervals, one row per headline metric, on a log axis (a
    halving and a doubling are as far from 1); each ratio coloured by whether the model is clearly better (its
    paired interval of the difference on the good side of zero), clearly worse, or neither; models by marker."""
    from matplotlib.lines import Line2D

    from .metrics import HEADLINE

    models = list(dict.fromkeys(comparison["model"]))
    metrics = list(dict.fromkeys(comparison["metric"]))
    fig, ax = subplots(figsize=(8, 0.45 * len(metrics) + 1.8))
    y = np.arange(len(metrics))[::-1]
    step = 0.6 / max(len(models), 1)
    floor = 0.01  # a ratio's interval may reach below zero (a small share): drawn from here
    for k, model in enumerate(models):
        g = comparison[comparison["model"] == model].set_index("metric").reindex(metrics)
        yy = y + (k - (len(models) - 1) / 2) * step
        good = np.where(g["better"] == "lower", g["diff"] < 0, g["diff"] > 0)
        clear = (g["diff_lo"] > 0) | (g["diff_hi"] < 0)
        for status, colour in FOREST_COLOURS.items():
            rows = (clear & (good == (status == "better"))) if status != "unclear" else ~clear
            rows = rows.to_numpy(dtype=bool)
            if not rows.any():
                continue
            r = g["ratio"].clip(lower=floor)[rows]
            lo, hi = g["ratio_lo"].clip(lower=floor)[rows], g["ratio_hi"].clip(lower=floor)[rows]
            ax.errorbar(
                r, yy[rows], xerr=np.vstack([r - lo, hi - r]), fmt=MARKERS[k % len(MARKERS)], color=colour, capsize=3
            )
    ax.axvline(1.0, color="grey", lw=1, ls="--")
    log_axis(ax.xaxis)
    labels = [f"{HEADLINE.get(m, ('', m))[1]} ({HEADLINE.get(m, ('?',))[0]} is better)" for m in metrics]
    ax.set_yticks(y, labels)
    ax.set_xlabel("ratio of means, log scale (1 = no difference)")
    level = comparison["ci_level"].iloc[0] if len(comparison) else 0.95
    ax.set_title(f"Ratio to baseline with {100 * level:.1f}% CIs, {comparison['n_reps'].max()} replications")
    handles = [
        Line2D([], [], color=c, marker="o", ls="", label=f"clearly {s}" if s != "unclear" else "not clear")
        for s, c in FOREST_COLOURS.items()
    ]
    if len(models) > 1:
        handles += [
            Line2D(
                [],
                [],
                color="black",
                marker=MARKERS[k % len(MARKERS)],
                ls="",
                label=f"{m} / {comparison['baseline'].iloc[0]}",
            )
            for k, m in enumerate(models)
        ]
    ax.legend(handles=handles, loc="best", fontsize="small")
    ax.grid(axis="x", alpha=0.3, which="both")
    fig.tight_layout()
    return fig


#: The forest plot's colours: a model clearly better (blue), clearly worse (orange), or neither (grey): safe for
#: red-green colour blindness.
FOREST_COLOURS = {"better": "#2166ac", "worse": "#e66101", "unclear": "#808080"}
MARKERS = "osD^v"


@styled
def warmup_figure(series: pd.DataFrame, window: int):
    """Welch's plot: replication-averaged daily outputs and their moving averages, by model."""
    fig, axes = subplots(1, 2, figsize=(11, 4))
    for ax, col, title in zip(
        axes,
        ("backlog", "resolution_time"),
        ("Open issues at the end of each day", "Mean resolution time of issues arising that day (h)"),
    ):
        for model, g in series.groupby("model", sort=False):
            ax.plot(g["day"], g[col], color=_colour(model), alpha=0.3, lw=1)
            ax.plot(g["day"], g[f"{col}_ma"], color=_colour(model), lw=2, label=f"{model} ({window}-day moving avg)")
        ax.set_xlabel("day")
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
        _legend(ax)
    fig.suptitle("Welch's method: pick the warm-up where the moving averages level off")
    fig.tight_layout()
    return fig


@styled
def explain_figure(table: pd.DataFrame):
    """One panel per headline metric: the total difference and each switch's part in it, with CIs.

    Bars are Shapley values where computed (they add up to the total), else one-at-a-time effects;
    the diamonds are the one-at-a-time effects (merged − merged without the switch).
    """
    from .metrics import is_rate
    from .metrics import HEADLINE

    shap = table["shapley"].notna().any()
    metrics = list(dict.fromkeys(table["metric"]))
    names = [n for n in dict.fromkeys(table["switch"]) if n != "null_reform" and not (shap and n == "remainder")]
    cols = 3
    rows = -(-len(metrics) // cols)
    fig, axes = subplots(rows, cols, figsize=(13, 0.28 * len(names) * rows + 1.2 * rows), squeeze=False, sharey=True)
    y = np.arange(len(names))[::-1]
    bar = "shapley" if shap else "effect"
    for ax, metric in zip(axes.flat, metrics):
        g = table[table["metric"] == metric].set_index("switch").reindex(names)
        k = 100.0 if is_rate(metric) else 1.0
        colours = [
            "#444444"
            if n == "total"
            else "#999999"
            if n == "remainder"
            else "#7570b3"
            if n.startswith("common:")
            else "#1b9e77"
            for n in names
        ]
        v, lo, hi = (g[f"{bar}{x}"].fillna(g[f"effect{x}"]) for x in ("", "_lo", "_hi"))  # common rows: effect
        ax.barh(y, k * v, color=colours, alpha=0.8)
        err = np.vstack([k * (v - lo), k * (hi - v)])
        ax.errorbar(k * v, y, xerr=np.nan_to_num(err), fmt="none", ecolor="black", capsize=2, lw=0.8)
        if shap:
            ax.plot(k * g["effect"], y, "D", color="#d95f02", ms=3, label="one at a time")
        ax.axvline(0, color="grey", lw=0.8)
        ax.set_title(f"{HEADLINE[metric][1]}{' (pt)' if k > 1 else ''}\n({HEADLINE[metric][0]} is better)", fontsize=9)
        ax.grid(axis="x", alpha=0.3)
        ax.tick_params(labelsize=8)
    for ax in axes.flat[len(metrics) :]:
        ax.set_visible(False)
    axes[0, 0].set_yticks(y, names)
    if shap:
        axes[0, 0].legend(fontsize=7, loc="lower right")
    n = int(table["n_reps"].max()) if len(table) else 0
    level = 100 * float(table["ci_level"].iloc[0]) if len(table) else 95.0
    what = (
        "Shapley value (bars; common: rows one at a time) and one-at-a-time effect (diamonds)"
        if shap
        else "effect (merged − merged without it)"
    )
    fig.suptitle(f"Each switch's part in merged − siloed: {what}, {n} replications, {level:g}% CIs", fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.98))
    return fig
