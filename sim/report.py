"""The comparison a reader sees: a terminal table and a short Markdown report.

>>> import sim
>>> res = sim.run(sim.load_scenario(overrides=["horizon_days=5", "warmup_days=0"]))
>>> "merged/siloed" in comparison_table(res.summary).columns
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import checks
from .metrics import HEADLINE, METRICS, worst_served

#: Rows of the terminal table: metric id and label (sim.metrics.METRICS, in its order).
TABLE_ROWS = {k: m.label for k, m in METRICS.items()}
#: Rows shown as whole numbers, and rows shown in percent.
COUNT_METRICS = {k for k, m in METRICS.items() if m.kind == "count"}
RATE_METRICS = {k for k, m in METRICS.items() if m.kind == "rate"}


def comparison_table(summary: pd.DataFrame, baseline: str = "siloed") -> pd.DataFrame:
    """Overall metrics, one column per model, plus each model's ratio to the baseline."""
    s = summary[summary["dimension"] == "all"]
    models = list(dict.fromkeys(s["model"]))
    wide = s.pivot(index="metric", columns="model", values="value").reindex(list(TABLE_ROWS))[models]
    if baseline in models:
        for m in models:
            if m != baseline:
                with np.errstate(divide="ignore", invalid="ignore"):
                    wide[f"{m}/{baseline}"] = wide[m] / wide[baseline]
    wide.index = [TABLE_ROWS[m] for m in wide.index]
    return wide


def format_table(table: pd.DataFrame) -> str:
    """The comparison table as fixed-width text for the terminal."""
    labels = list(TABLE_ROWS.values())
    rate_labels = {TABLE_ROWS[m] for m in RATE_METRICS}
    count_labels = {TABLE_ROWS[m] for m in COUNT_METRICS}
    width = max(len(x) for x in labels) + 2
    head = f"{'':<{width}}" + "".join(f"{c:>15}" for c in table.columns)
    lines = [head, "-" * len(head)]
    for label, row in table.iterrows():
        cells = []
        for col, v in row.items():
            if pd.isna(v):
                cells.append(f"{'-':>15}")
            elif "/" in col:
                cells.append(f"{v:>15.2f}")
            elif label in rate_labels:
                cells.append(f"{100 * v:>14.1f}%")
            elif label in count_labels:
                cells.append(f"{v:>15,.0f}")
            else:
                cells.append(f"{v:>15.2f}")
        # CJK labels are two columns wide on a terminal: pad by display width.
        pad = width - sum(2 if ord(ch) > 0x2E80 else 1 for ch in label)
        lines.append(label + " " * max(pad, 1) + "".join(cells))
    return "\n".join(lines)


def _listed(**groups: list[str]) -> list[str]:
    """Indented ``name: item; item`` lines for the non-empty groups."""
    return [f"  {name}:{' ' * max(1, 7 - len(name))}" + "; ".join(items) for name, items in groups.items() if items]


ONE_REPLICATION = "One replication says nothing about how sure this is: run replications for confidence intervals."


def verdict(summary: pd.DataFrame, baseline: str = "siloed", how_sure: str | None = ONE_REPLICATION) -> list[str]:
    """Plain sentences: which model did better on each headline metric, and who is worst served.

    ``how_sure`` is the sentence on uncertainty after the verdict (None for none).
    """
    s = summary[(summary["dimension"] == "all")].set_index(["metric", "model"])["value"]
    models = list(dict.fromkeys(summary["model"]))
    lines = []
    for model in models:
        if model == baseline or baseline not in models:
            continue
        better: list[str] = []
        worse: list[str] = []
        for metric, (direction, label) in HEADLINE.items():
            a, b = s.get((metric, baseline), np.nan), s.get((metric, model), np.nan)
            if pd.isna(a) or pd.isna(b) or a == b:
                continue
            model_better = (b < a) if direction == "lower" else (b > a)
            change = f"{(b / a - 1) * 100:+.0f}%" if a else "from 0"
            (better if model_better else worse).append(f"{label} ({change})")
        if better or worse:
            lines.append(
                f"{model} did better than {baseline} on {len(better)} of {len(better) + len(worse)} "
                f"headline metrics in this single replication."
            )
            lines += _listed(better=better, worse=worse)
        elif not (s.get(("appeals_filed", baseline), 0) or s.get(("appeals_filed", model), 0)):
            lines.append(
                f"No appeal was filed under {model} or {baseline} in this run: nothing to compare "
                "(lengthen the horizon or raise demand)."
            )
        else:
            lines.append(f"{model} and {baseline} are equal on every headline metric measured in this run.")
    if len(models) > 1 and how_sure:
        lines.append(how_sure)
    for dim in ("group", "area"):
        worst = worst_served(summary, dim)
        if worst:
            lines.append(
                f"Worst-served {dim} (longest resolution P50): " + ", ".join(f"{m}: {lvl}" for m, lvl in worst.items())
            )
    return lines


def mechanisms(result) -> list[str]:
    """What drives the result: one line per mechanism of the brief, measured in this run.

    Each model says what drives its difference from the baseline (``Policy.mechanisms``); the filing
    channels, the same in every model, are said once.
    """
    from .models import get

    a, u, base = result.appeals, result.utilisation, result.scenario.baseline
    filed_models = set(a.loc[a["filed"].notna(), "model"])
    others = [r for r in result.runs if r.model != base and r.model in filed_models]
    if base not in filed_models or not others:
        return []  # needs appeals filed under the baseline and another model
    lines = []
    for r in others:
        said = get(r.world.model, result.scenario.plugins).mechanisms(a, u, r.model, base)
        lines += [f"{r.model}: {x}" for x in said] if len(others) > 1 else said
    filed = a[(a["filed"].notna()) & (a["model"] == base)]
    ch = filed["channel"].value_counts(normalize=True)
    lines.insert(
        len(lines) - (1 if len(others) == 1 else 0),
        (
            f"filing channels (the same in both models): {100 * ch.get('in_person', 0.0):.0f}% in person, "
            f"{100 * ch.get('hotline', 0.0):.0f}% by the 12345 hotline, {100 * ch.get('online', 0.0):.0f}% online; "
            "trips and 多头跑 happen only in person or when a department asks the citizen to come in"
        ),
    )
    return lines


def markdown_report(result, table: pd.DataFrame, command: str) -> str:
    """A short Markdown report for the results folder."""
    sc = result.scenario
    extra = sc.merged.extra_staff
    staff = result.staffing.groupby("model")["headcount"].sum()
    lines = [
        f"# {sc.name}: siloed line grids vs merged comprehensive grid",
        "",
        sc.description,
        "",
        f"Horizon {sc.horizon_days:g} days (warm-up {sc.warmup_days:g}), seed {sc.seed}, "
        f"{len(sc.areas)} areas, {len(sc.groups)} groups, {len(sc.categories)} categories, "
        f"{len(sc.departments)} departments. Total headcount: "
        + ", ".join(f"{m} {int(n)}" for m, n in staff.items())
        + ".",
        "",
    ]
    if extra.intake_per_area or extra.stationed_per_area:
        lines += [
            f"**Extra staff declared for merged**: {extra.intake_per_area} intake and "
            f"{extra.stationed_per_area} stationed per area; the comparison is not at equal headcount.",
            "",
        ]
    lines += ["## Result", ""] + verdict(result.summary, sc.baseline)
    lines += checks_section(result.summary, sc.baseline, sc)
    lines += ["", "## Mechanisms that drive it", ""]
    lines += [f"- {m}" for m in mechanisms(result)] or ["- (needs appeals filed under both siloed and merged)"]
    lines += ["", "## Comparison", "", "```", format_table(table), "```", "", "## Busiest offices", ""]
    top = result.utilisation.sort_values("utilisation", ascending=False).groupby("model").head(3)
    for r in top.itertuples():
        lines.append(f"- {r.model}: {r.office} ({r.headcount} staff) at {100 * r.utilisation:.0f}% of open hours")
    lines += ["", "## Reproduce", "", f"```\n{command}\n```", ""]
    return "\n".join(lines)


def checks_section(summary: pd.DataFrame, baseline: str, sc=None) -> list[str]:
    """The checks (:mod:`sim.checks`) as a Markdown section: capacity, stability, censoring."""
    found = checks.lines(summary, baseline, sc)
    return ["", "## Checks before trusting the comparison", ""] + [f"- {x}" for x in found] if found else []


def street_difference_lines(diffs: pd.DataFrame) -> list[str]:
    """One line per row of :func:`~sim.city.street_differences`: mean difference per street, interval, wins."""
    lines = []
    for r in diffs.itertuples():
        label = HEADLINE[r.metric][1]
        scale, unit = (100, " pp") if r.metric in RATE_METRICS else (1, "")
        f = lambda v: "–" if pd.isna(v) else f"{scale * v:+.3g}{unit}"  # noqa: E731
        wins = "–" if pd.isna(r.share_better) else f"{round(r.share_better * r.streets)}"
        lines.append(
            f"{label}: {r.model} − {r.baseline} = {f(r.diff)} per street, 95% CI [{f(r.diff_lo)}, "
            f"{f(r.diff_hi)}]; {r.model} better in {wins} of {r.streets} streets"
        )
    return lines


def city_verdict(summary: pd.DataFrame, baseline: str, differences: pd.DataFrame) -> list[str]:
    """:func:`verdict`, the worst-served street, and how sure, from the streets' spread (``differences``:
    :func:`~sim.city.street_differences`)."""
    lines = verdict(summary, baseline, how_sure=None)
    worst = worst_served(summary, "street")
    if worst:
        lines.append(
            "Worst-served street (longest resolution P50): " + ", ".join(f"{m}: {lvl}" for m, lvl in worst.items())
        )
    main = differences[differences["metric"] == "resolution_time_p50"]
    lines += [
        f"How sure, street by street (streets of a kind are independent replications): {x}"
        for x in street_difference_lines(main)
    ]
    return lines


def city_report(result, table: pd.DataFrame, command: str) -> str:
    """A short Markdown report of a city run."""
    sc = result.scenario
    staff = result.staffing.groupby("model")["headcount"].sum()
    areas = sum(len(street.areas) for _, street in sc.streets())
    lines = [
        f"# {sc.name}: siloed line grids vs merged comprehensive grid, city-wide",
        "",
        sc.description,
        "",
        f"{len(result.streets)} streets, {areas} areas (comprehensive grids when merged), "
        f"{sc.horizon_days:g} days (warm-up {sc.warmup_days:g}), seed {sc.seed}; "
        + ", ".join(f"{m}: {n:,} issues" for m, n in result.issues.items())
        + ". Total headcount: "
        + ", ".join(f"{m} {int(n):,}" for m, n in staff.items())
        + ".",
        "",
        "Metrics are streamed street by street: rates, counts and means are exact, time quantiles "
        "come from 1%-wide histograms (within 1% of the exact value).",
        "",
        "## Result",
        "",
    ] + city_verdict(result.summary, sc.baseline, result.differences)
    lines += checks_section(result.summary, sc.baseline, sc)
    lines += [
        "",
        "## Comparison",
        "",
        "```",
        format_table(table),
        "```",
        "",
        "## How sure: street by street",
        "",
        "Each street's value under each model, differenced, and averaged over the streets; streets of a "
        "kind are independent replications of one street, so their spread gives the 95% interval "
        "(stratified by kind; `street_differences.csv`).",
        "",
    ]
    lines += [f"- {x}" for x in street_difference_lines(result.differences)]
    lines += ["", "## Staff utilisation by kind of office", ""]
    util = result.summary[result.summary["dimension"] == "office"]
    for r in util.itertuples():
        lines.append(f"- {r.model}: {r.level} ({r.n:,} staff) at {100 * r.value:.0f}% of open hours")
    lines += ["", "## Reproduce", "", f"```\n{command}\n```", ""]
    return "\n".join(lines)


def _fmt(metric: str, v: float) -> str:
    if pd.isna(v):
        return "-"
    return f"{100 * v:.1f}%" if metric in RATE_METRICS else f"{v:.2f}"


def format_comparison(comp: pd.DataFrame) -> str:
    """The replicated comparison as text: means with CIs, ratio with CI, share of replications better."""
    lines = []
    for model, g in comp.groupby("model", sort=False):
        base = g["baseline"].iloc[0]
        level = g["ci_level"].iloc[0]
        head = (
            f"{'metric':<30}{base + ' mean [95% CI]':>28}{model + ' mean [95% CI]':>28}"
            f"{f'ratio [{100 * level:.1f}% CI]':>24}{'better in':>11}"
        )
        lines += [head, "-" * len(head)]
        for r in g.itertuples():
            label = HEADLINE.get(r.metric, ("", r.metric))[1]
            pad = 30 - sum(2 if ord(ch) > 0x2E80 else 1 for ch in label)
            b = f"{_fmt(r.metric, r.baseline_mean)} [{_fmt(r.metric, r.baseline_lo)}, {_fmt(r.metric, r.baseline_hi)}]"
            m = f"{_fmt(r.metric, r.model_mean)} [{_fmt(r.metric, r.model_lo)}, {_fmt(r.metric, r.model_hi)}]"
            ratio = "-" if pd.isna(r.ratio) else f"{r.ratio:.2f} [{r.ratio_lo:.2f}, {r.ratio_hi:.2f}]"
            lines.append(f"{label}{' ' * max(pad, 1)}{b:>28}{m:>28}{ratio:>24}{100 * r.share_better:>10.0f}%")
        lines.append("")
    return "\n".join(lines)


def comparison_sentences(comp: pd.DataFrame) -> list[str]:
    """One sentence per model: the headline metrics where it is surely better or worse (CI excludes 1)."""
    out = []
    for model, g in comp.groupby("model", sort=False):
        base = g["baseline"].iloc[0]
        better: list[str] = []
        worse: list[str] = []
        unsure: list[str] = []
        for r in g.itertuples():
            label = HEADLINE.get(r.metric, ("", r.metric))[1]
            if pd.isna(r.diff_lo):
                continue
            if r.diff_lo > 0 or r.diff_hi < 0:
                up = r.diff > 0
                good = up if r.better == "higher" else not up
                ratio = (
                    ""
                    if pd.isna(r.ratio) or r.baseline_mean == 0
                    else f" {100 * (r.ratio - 1):+.0f}% (CI {100 * (r.ratio_lo - 1):+.0f}% to "
                    f"{100 * (r.ratio_hi - 1):+.0f}%)"
                )
                (better if good else worse).append(label + ratio)
            else:
                unsure.append(label)
        n = g["n_reps"].max()
        out.append(
            f"{model} vs {base} over {n} replications: better on {len(better)}, worse on {len(worse)}, "
            f"no clear difference on {len(unsure)} headline metrics."
        )
        out += _listed(better=better, worse=worse, unclear=unsure)
    return out


def experiment_report(exp, command: str) -> str:
    """Markdown report of a replicated comparison."""
    sc = exp.scenario
    lines = [
        f"# {sc.name}: replicated comparison",
        "",
        sc.description,
        "",
        f"{exp.n_reps} independent replications (master seed {sc.seed}), horizon {sc.horizon_days:g} days, "
        f"warm-up {sc.warmup_days:g} days excluded from metrics; common random numbers between models within "
        "each replication.",
        "",
        "## Result",
        "",
    ]
    lines += comparison_sentences(exp.comparison) + [""] + [f"- {n}" for n in exp.notes]
    lines += [
        "",
        "## Comparison",
        "",
        "```",
        format_comparison(exp.comparison),
        "```",
        "",
        "Means: Student-t 95% intervals over replications. Differences: paired t. Ratios of means: delta "
        "method. 'better in' is the share of replications in which the model beat the baseline.",
        "",
        "offices.csv has each office's mean wait in queue, P(wait > 0) and utilisation with 95% intervals "
        "over the replications, to check a queue against theory.",
        "",
        "## Reproduce",
        "",
        f"```\n{command}\n```",
        "",
    ]
    return "\n".join(lines)
