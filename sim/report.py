"""What a reader sees: the terminal tables, the sentences of the verdict, and the reports' content.

Each report (of a run, a replicated comparison, a city run) is built once as a
:class:`~sim.document.Document` here and rendered to ``report.md`` and ``report.html``
by :func:`sim.document.render`.  What each governance model says about itself (its
mechanisms, its assumptions) comes from the model (:mod:`sim.models`).

>>> import sim
>>> res = sim.run(sim.load_scenario(overrides=["horizon_days=5", "warmup_days=0"]))
>>> "merged/siloed" in comparison_table(res.summary).columns
True
>>> doc = run_document(res, comparison_table(res.summary), "gridsim run")
>>> [s.heading for s in doc.sections][:3]
['Scenario', 'Result', 'Checks before trusting the comparison']
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from . import checks, finding
from .document import Bullets, Code, Document, Figure, Section, Table, Text, display_width, pad, table
from .i18n import N_, _, current
from .metrics import BY_LABEL, HEADLINE, METRICS, Metric, is_rate, ratio_interval, worst_served
from .world import ladder_offices, service_stations

#: The breakdowns a run's report draws beside its figures.
BREAKDOWNS = ("group", "category")
#: Rows of the terminal table: metric id and label (sim.metrics.METRICS, in its order).
TABLE_ROWS = {k: m.label for k, m in METRICS.items()}


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


def _cell(label: str, column: str, v: float) -> str:
    """A cell of the comparison table: ratios to two decimals, else as the metric shows its values."""
    if "/" in column:
        return "–" if pd.isna(v) else f"{v:.2f}"
    return BY_LABEL[label].show(v) if label in BY_LABEL else f"{v:.2f}"


def _shown(label: str) -> str:
    """A row label of the comparison table in the current language."""
    return BY_LABEL[label].label_in(current()) if label in BY_LABEL else label


def format_table(table: pd.DataFrame) -> str:
    """The comparison table as fixed-width text for the terminal (CJK is two columns wide: padded by width)."""
    width = max(display_width(_shown(x)) for x in TABLE_ROWS.values()) + 2
    head = " " * width + "".join(f"{c:>15}" for c in table.columns)
    lines = [head, "-" * len(head)]
    for label, row in table.iterrows():
        cells = "".join(f"{_cell(str(label), str(col), v):>15}" for col, v in row.items())
        shown = _shown(str(label))
        lines.append(f"{shown}{' ' * max(width - display_width(shown), 1)}{cells}")
    return "\n".join(lines)


def comparison_cells(table: pd.DataFrame) -> Table:
    """The comparison table for a report: rates in percent, counts whole, ratios to two decimals."""
    t = table.copy()
    cells = t.astype(object)
    for label in t.index:
        for c in t.columns:
            cells.loc[label, c] = _cell(str(label), str(c), t.loc[label, c])
    cells.index = [_shown(str(x)) for x in t.index]
    cells.index.name = _("metric")
    return Table(cells, frozenset(str(c) for c in t.columns))


def _listed(groups: dict[str, list[str]]) -> list[str]:
    """Indented ``name: item; item`` lines for the non-empty groups (names in the current language)."""
    return [
        f"  {name}:{' ' * max(1, 7 - display_width(name))}" + _("; ").join(items)
        for name, items in groups.items()
        if items
    ]


ONE_REPLICATION = N_("One replication says nothing about how sure this is: run replications for confidence intervals.")
#: What a dimension's worst-served level is called, by dimension.
WORST_SERVED = {
    "group": N_("Worst-served group (longest resolution P50): {levels}"),
    "area": N_("Worst-served area (longest resolution P50): {levels}"),
}


def level_label(sc, dimension: str, level: str) -> str:
    """A group's, area's or category's name in the current language (its code name without a scenario)."""
    table = {"group": "groups", "area": "areas", "category": "categories"}.get(dimension)
    entry = getattr(sc, table, {}).get(level) if sc is not None and table else None
    return entry.label.text(current(), level) if entry is not None else level


def verdict(
    summary: pd.DataFrame, baseline: str = "siloed", how_sure: str | None = ONE_REPLICATION, sc=None
) -> list[str]:
    """Plain sentences: which model did better on each headline metric, and who is worst served.

    ``how_sure`` is the sentence on uncertainty after the verdict (None for none); ``sc`` names the groups
    and areas by their labels.
    """
    s = summary[(summary["dimension"] == "all")].set_index(["metric", "model"])["value"]
    models = list(dict.fromkeys(summary["model"]))
    lines = []
    for model in models:
        if model == baseline or baseline not in models:
            continue
        better: list[str] = []
        worse: list[str] = []
        for metric, (direction, _label) in HEADLINE.items():
            a, b = s.get((metric, baseline), np.nan), s.get((metric, model), np.nan)
            if pd.isna(a) or pd.isna(b) or a == b:
                continue
            model_better = (b < a) if direction == "lower" else (b > a)
            change = f"{(b / a - 1) * 100:+.0f}%" if a else _("from 0")
            said = _("{label} ({amount})").format(label=METRICS[metric].label_in(current()), amount=change)
            (better if model_better else worse).append(said)
        if better or worse:
            lines.append(
                _(
                    "{model} did better than {baseline} on {n} of {total} headline metrics in this single replication."
                ).format(model=model, baseline=baseline, n=len(better), total=len(better) + len(worse))
            )
            lines += _listed({_("better"): better, _("worse"): worse})
        elif not (s.get(("appeals_filed", baseline), 0) or s.get(("appeals_filed", model), 0)):
            lines.append(
                _(
                    "No appeal was filed under {model} or {baseline} in this run: nothing to compare "
                    "(lengthen the horizon or raise demand)."
                ).format(model=model, baseline=baseline)
            )
        else:
            lines.append(
                _("{model} and {baseline} are equal on every headline metric measured in this run.").format(
                    model=model, baseline=baseline
                )
            )
    if len(models) > 1 and how_sure:
        lines.append(_(how_sure))
    for dim, sentence in WORST_SERVED.items():
        worst = worst_served(summary, dim)
        if worst:
            levels = _(", ").join(f"{m}: {level_label(sc, dim, lvl)}" for m, lvl in worst.items())
            lines.append(_(sentence).format(levels=levels))
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
            f"{100 * ch.get('hotline', 0.0):.0f}% by the 12345 hotline, {100 * ch.get('online', 0.0):.0f}% online"
            + "".join(
                f", {100 * ch[k]:.0f}% {what}"
                for k, what in (("station", "at service stations"), ("rider", "reported by riders"))
                if ch.get(k, 0.0) > 0
            )
            + "; trips and 多头跑 happen only in person"
            + (" (a service station is one short trip)" if ch.get("station", 0.0) > 0 else "")
            + " or when a department asks the citizen to come in"
        ),
    )
    return lines


def checks_section(summary: pd.DataFrame, baseline: str, sc=None) -> Section:
    """The checks (:mod:`sim.checks`): capacity, stability, censoring."""
    found = checks.lines(summary, baseline, sc) or ["(nothing to check: one model only)"]
    return Section(_("Checks before trusting the comparison"), [Bullets(found)])


def street_difference_lines(diffs: pd.DataFrame) -> list[str]:
    """One line per row of :func:`~sim.city.street_differences`: mean difference per street, interval, wins."""
    lines = []
    for r in diffs.itertuples():
        label = HEADLINE[r.metric][1]
        scale, unit = (100, " pp") if is_rate(r.metric) else (1, "")
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


def _fmt(metric: str, v: float) -> str:
    if pd.isna(v):
        return "-"
    return f"{100 * v:.1f}%" if is_rate(metric) else f"{v:.2f}"


def format_comparison(comp: pd.DataFrame) -> str:
    """The replicated comparison as text: means with CIs, ratio with CI, share of replications better."""
    lines = []
    for model, g in comp.groupby("model", sort=False):
        base = g["baseline"].iloc[0]
        level = g["ci_level"].iloc[0]
        head = (
            pad(_("metric"), 30)
            + pad(_("{model} mean [95% CI]").format(model=base), 28, True)
            + pad(_("{model} mean [95% CI]").format(model=model), 28, True)
            + pad(_("ratio [{level} CI]").format(level=f"{level:.1%}"), 24, True)
            + pad(_("better in"), 11, True)
        )
        lines += [head, "-" * display_width(head)]
        for r in g.itertuples():
            label = METRICS[r.metric].label_in(current()) if r.metric in METRICS else r.metric
            b = f"{_fmt(r.metric, r.baseline_mean)} [{_fmt(r.metric, r.baseline_lo)}, {_fmt(r.metric, r.baseline_hi)}]"
            m = f"{_fmt(r.metric, r.model_mean)} [{_fmt(r.metric, r.model_lo)}, {_fmt(r.metric, r.model_hi)}]"
            ratio = "-" if pd.isna(r.ratio) else f"{r.ratio:.2f} [{r.ratio_lo:.2f}, {r.ratio_hi:.2f}]"
            lines.append(pad(label, 29) + f" {b:>28}{m:>28}{ratio:>24}{100 * r.share_better:>10.0f}%")
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
            label = METRICS[r.metric].label_in(current()) if r.metric in METRICS else r.metric
            if pd.isna(r.diff_lo):
                continue
            if r.diff_lo > 0 or r.diff_hi < 0:
                up = r.diff > 0
                good = up if r.better == "higher" else not up
                if pd.isna(r.ratio) or r.baseline_mean == 0:
                    said = label
                else:
                    lo, mid, hi = (f"{100 * (x - 1):+.0f}%" for x in (r.ratio_lo, r.ratio, r.ratio_hi))
                    said = _("{label} {value} (CI {lo} to {hi})").format(label=label, value=mid, lo=lo, hi=hi)
                (better if good else worse).append(said)
            else:
                unsure.append(label)
        n = g["n_reps"].max()
        out.append(
            _(
                "{model} vs {baseline} over {n} replications: better on {better}, worse on {worse}, "
                "no clear difference on {unclear} headline metrics."
            ).format(model=model, baseline=base, n=n, better=len(better), worse=len(worse), unclear=len(unsure))
        )
        out += _listed({_("better"): better, _("worse"): worse, _("unclear"): unsure})
    return out


def label(sc, model: str) -> str:
    """How the report names a model of ``sc``: a registered model by its display name, a variant by its own."""
    from .models import get, names

    if model not in names():
        return model
    cls = get(model, sc.plugins)
    return (cls.label_zh or cls.label) if current() == "zh" else cls.label


def title(sc, suffix: str = "") -> str:
    """``name: model vs model``, by the models' display names (Chinese ones on a Chinese page)."""
    return f"{sc.name}: " + _(" vs ").join(label(sc, m) for m in sc.models) + suffix


def _plain(lines: list[str]) -> list[str]:
    """Sentences without the terminal's indents and alignment."""
    return [" ".join(x.split()) for x in lines]


def run_document(result, table: pd.DataFrame, command: str) -> Document:
    """The report of a single run."""
    from .plots import RUN_FIGURES, breakdown_figure, level_names

    sc = result.scenario
    rest = _plain(verdict(result.summary, sc.baseline, sc=sc))
    headline = " ".join(finding.of_run(result))
    top = result.utilisation.sort_values("utilisation", ascending=False).groupby("model").head(3)
    plots: list = [Figure(name.removesuffix(".png"), name) for name in RUN_FIGURES]
    plots += [
        Figure(f"by {dim}", draw=functools.partial(breakdown_figure, result.summary, dim, names=level_names(sc, dim)))
        for dim in BREAKDOWNS
    ]
    return Document(
        title(sc),
        headline,
        [
            scenario_section(sc, result.staffing),
            Section(_("Result"), [Bullets(rest)]),
            checks_section(result.summary, sc.baseline, sc),
            Section(
                _("Comparison"),
                [
                    comparison_cells(table),
                    Text(_("One replication: no confidence intervals. Run `gridsim compare` for them.")),
                ],
            ),
            Section(_("Plots by model, group and category"), plots),
            Section(
                _("Mechanisms that drive the result"),
                [Bullets(mechanisms(result) or [_("(needs appeals filed under the baseline and another model)")])],
            ),
            Section(
                _("Busiest offices"),
                [
                    Bullets(
                        [
                            f"{r.model}: {r.office} ({r.headcount} staff) at {100 * r.utilisation:.0f}% of open hours"
                            for r in top.itertuples()
                        ]
                    )
                ],
            ),
            assumptions_section(sc),
            reproduce(command),
        ],
    )


def reproduce(command: str) -> Section:
    return Section(_("Reproduce"), [Code(command)])


def scenario_section(sc, staffing: pd.DataFrame | None = None) -> Section:
    """The scenario in a few lines and two small tables: its groups and its departments (by their labels)."""
    lang = current()
    groups = pd.DataFrame(
        {
            s.label.text(lang, g): {
                _("arrivals per day"): s.arrivals_per_day,
                _("right line grid"): s.p_right_line_grid,
                _("mean patience (h)"): s.patience.mean_value,
                _("mean report delay (h)"): s.report_delay.mean_value,
            }
            for g, s in sc.groups.items()
        }
    ).T
    groups.index.name = _("group")
    depts = pd.DataFrame(
        {
            s.label.text(lang, d): {_("headcount (siloed)"): s.headcount, _("stationed when merged"): sc.stationed(d)}
            for d, s in sc.departments.items()
        }
    ).T
    depts.index.name = _("department")
    facts = _(
        "Horizon {days} days (warm-up {warmup}), seed {seed}; {n_areas} areas ({areas}), {n_groups} groups, "
        "{n_categories} categories, {n_departments} departments, {n_grids} line grids. Models: {models}; "
        "baseline {baseline}."
    ).format(
        days=f"{sc.horizon_days:g}",
        warmup=f"{sc.warmup_days:g}",
        seed=sc.seed,
        n_areas=len(sc.areas),
        areas=_(", ").join(a.label.text(lang, k) for k, a in sc.areas.items()),
        n_groups=len(sc.groups),
        n_categories=len(sc.categories),
        n_departments=len(sc.departments),
        n_grids=len(sc.line_grids),
        models=", ".join(sc.models),
        baseline=sc.baseline,
    )
    if staffing is not None:
        staff = staffing.groupby("model", sort=False)["headcount"].sum()
        heads = _(", ").join(f"{m} {int(n):,}" for m, n in staff.items())
        facts += " " + _("Total headcount: {heads}.").format(heads=heads)
    return Section(
        _("Scenario"),
        [Text(sc.description), Text(facts), table(groups), table(depts, fmt=lambda c, v: f"{int(v)}")],
    )


def assumptions_section(sc, heading: str = "Assumptions") -> Section:
    """What the result rests on: what every model shares, then each model's own, as the model states it
    (``Policy.assumptions``, on the arm's own scenario: a variant's settings are its own)."""
    from .models import get

    blocks: list = [Text("In every model:"), Bullets(common_assumptions(sc))]
    for m in sc.models:
        policy, arm = sc.arm(m)
        said = get(policy, sc.plugins).assumptions(arm)
        if said:
            blocks += [Text(f"{label(sc, m)} (`{m}`):"), Bullets(said)]
    return Section(heading, blocks)


def common_assumptions(sc) -> list[str]:
    """The parts of the world every governance model shares: filing channels, inspection crews, satisfaction."""
    return [
        "Filing channels (the same draws in every model): "
        + "; ".join(
            f"{g} " + ", ".join(f"{100 * v:.0f}% {k.replace('_', ' ')}" for k, v in spec.channel_mix.items() if v)
            for g, spec in sc.groups.items()
        )
        + ". A hotline or online work order's first response is the handling unit's intake.",
        "Departments' inspection crews: "
        + (
            ", ".join(
                f"{d} {100 * s.inspection.chance():.0f}% ({s.inspection.staff_hours_per_day:g} h a day)"
                for d, s in sc.departments.items()
                if s.inspection.chance() > 0
            )
            or "none"
        )
        + ".",
        *_gig_channels(sc),
        *_ladder(sc),
        "Satisfaction: logistic({b0} − {b1}·hours − {b2}·(trips − 1) − {b3}·bounces); 满意率 is the citizen's "
        "satisfaction at the first resolution, and after any feedback loop it is reported beside it.".format(
            **sc.satisfaction.model_dump()
        ),
    ]


def _gig_channels(sc) -> list[str]:
    """The gig workers' service stations and the riders who collect problems, where the scenario has them."""
    st, riders = sc.channels.station, sc.channels.riders
    out = []
    if service_stations(sc):
        out.append(
            f"Gig-worker service stations (驿站): {st.staff_per_area} staff per area on the "
            f"'{st.calendar or 'always open'}' calendar, a {st.travel:g} h trip and {st.intake.mean_value:.2f} h of "
            f"intake, then a work order ({st.dispatch.mean_value:g} h); their staffed hours count in every model."
        )
    if riders.chance() > 0:
        out.append(
            f"Riders as problem collectors (问题收集员): they see {100 * riders.chance():.0f}% of "
            + ("discoverable issues" if riders.categories is None else ", ".join(riders.categories) + " issues")
            + f" ({riders.staff_hours_per_day:g} rider hours a day on the routes, volunteered: not staffed hours) "
            "and report them on the app, an online filing."
        )
    return out


def _ladder(sc) -> list[str]:
    """The grassroots ladder, where the scenario has one: its desks, what each settles, who goes there."""
    if not sc.ladder_on():
        return []
    desks: dict[str, int] = {}
    for key, n in ladder_offices(sc).items():
        desks[key.split(":")[1]] = desks.get(key.split(":")[1], 0) + n
    levels = ", ".join(
        f"{k.replace('_', ' ')} {desks[k]} desks ({100 * lv.p_resolve:.0f}% settled there)"
        for k, lv in sc.ladder.levels.items()
    )
    entries = ", ".join(f"{k} at the {c.ladder.replace('_', ' ')}" for k, c in sc.categories.items() if c.ladder)
    return [
        f"The grassroots ladder (the same in every model), for {sc.ladder.population:,} residents: {levels}. "
        f"Residents ({', '.join(sc.ladder.groups)}) who would file in person go there first: {entries}; what no "
        "level settles reaches the model's handling unit as a work order. Its desks are staffed hours of every model."
    ]


def comparison_tables(comp: pd.DataFrame) -> list:
    """One table per model compared (its baseline and its own means, the difference, the ratio), each cell as
    people read it (:meth:`sim.metrics.Metric.interval`, ``difference``; :func:`~sim.metrics.ratio_interval`),
    numbers aligned right; headed by the pair when there are several."""
    out: list = []
    for model, g in comp.groupby("model", sort=False):
        base = g["baseline"].iloc[0]
        rows = [
            {
                _("metric"): METRICS[r.metric].label_in(current()) if r.metric in METRICS else r.metric,
                _("{model} mean [95% CI]").format(model=base): _metric(r.metric).interval(
                    r.baseline_mean, r.baseline_lo, r.baseline_hi
                ),
                _("{model} mean [95% CI]").format(model=model): _metric(r.metric).interval(
                    r.model_mean, r.model_lo, r.model_hi
                ),
                _("difference [CI]"): _metric(r.metric).difference(r.diff, r.diff_lo, r.diff_hi),
                _("ratio [CI]"): ratio_interval(r.ratio, r.ratio_lo, r.ratio_hi),
                _("better in"): f"{100 * r.share_better:.0f}%",
            }
            for r in g.itertuples()
        ]
        frame = pd.DataFrame(rows)
        if comp["model"].nunique() > 1:
            out.append(Text(f"**{model} vs {base}**"))
        out.append(Table(frame, frozenset(frame.columns[1:]), index=False))
    return out


def _metric(name: str):
    """The registered metric ``name``, or a plain mean for one the registry does not know."""
    return METRICS.get(name) or Metric(name, name, kind="rate" if is_rate(name) else "mean")


def experiment_document(exp, command: str) -> Document:
    """The report of a replicated comparison: means, differences and ratios with their intervals."""
    sc = exp.scenario
    comp = exp.comparison
    bonferroni = len(comp) and comp["ci_level"].iloc[0] > 0.95
    method = (
        f"{exp.n_reps} independent replications (master seed {sc.seed}), common random numbers between models "
        "within each replication. Means: Student-t 95% intervals over replications; differences: paired t; "
        "ratios of means: the delta method"
        + (
            f"; difference and ratio intervals at {100 * comp['ci_level'].iloc[0]:.1f}% (Bonferroni)"
            if bonferroni
            else ""
        )
        + ". Rates are in percent and their differences in percentage points (pt); times in hours; "
        "`comparison.csv` keeps shares and full precision. 'better in' is the share of replications in which the "
        "model beat the baseline. `offices.csv` has each office's mean wait in queue, P(wait > 0) and utilisation "
        "with 95% intervals, to check a queue against theory."
    )
    headline = " ".join(finding.of_experiment(exp))
    rest = _plain(comparison_sentences(comp))
    return Document(
        title(sc, ": replicated comparison"),
        headline,
        [
            scenario_section(sc),
            Section(_("Result"), [Bullets(rest + list(exp.notes))]),
            Section(_("Comparison with confidence intervals"), [*comparison_tables(comp), Text(method)]),
            Section(_("Ratios"), [Figure("forest plot", "forest.png")]),
            assumptions_section(sc),
            reproduce(command),
        ],
    )


def city_document(result, table_: pd.DataFrame, command: str) -> Document:
    """The report of a city run: the merged tables, the per-street picture and the plots."""
    from .plots import CITY_FIGURES

    sc = result.scenario
    rest = _plain(city_verdict(result.summary, sc.baseline, result.differences))
    headline = " ".join(finding.of_run(result, city=True))
    util = result.summary[result.summary["dimension"] == "office"]
    util = util.pivot(index="level", columns="model", values="value")[list(result.issues)].rename_axis("kind of office")
    return Document(
        title(sc, ", city-wide"),
        headline,
        [
            city_section(result),
            Section(_("Result"), [Bullets(rest)]),
            checks_section(result.summary, sc.baseline, sc),
            Section(
                "Comparison",
                [
                    comparison_cells(table_),
                    Text(
                        "Metrics are streamed street by street: rates, counts and means are exact, time quantiles "
                        "come from 1%-wide histograms (within 1% of the exact value)."
                    ),
                ],
            ),
            Section(
                "How sure: street by street",
                [
                    Text(
                        "Each street's value under each model, differenced, and averaged over the streets; streets "
                        "of a kind are independent replications of one street, so their spread gives the 95% "
                        "interval (stratified by kind; `street_differences.csv`)."
                    ),
                    Bullets(street_difference_lines(result.differences)),
                ],
            ),
            Section(
                "Plots: streets, rates, backlog, categories", [Figure(n.removesuffix(".png"), n) for n in CITY_FIGURES]
            ),
            Section(
                "Staff utilisation by kind of office (share of open hours)",
                [table(util, fmt=lambda c, v: f"{100 * v:.0f}%")],
            ),
            assumptions_section(sc, "Assumptions (each street)"),
            reproduce(command),
        ],
    )


def city_section(result) -> Section:
    """The city's kinds of street: how many, what they are, their areas, demand and staff."""
    from .scenario import street_kind
    from .world import staffing

    sc = result.scenario
    kinds = {}
    for name, street in sc.streets():
        kind = street_kind(name)
        if kind not in kinds:
            spec = sc.city.streets[kind]
            kinds[kind] = {
                "streets": spec.count,
                "areas each": len(street.areas),
                "issues per day each": round(sum(g.arrivals_per_day for g in street.groups.values()), 1),
                "staff each": sum(staffing(street, sc.baseline).values()),
                "description": spec.description,
            }
    kinds_table = pd.DataFrame(kinds).T
    if not kinds_table["description"].astype(bool).any():
        kinds_table = kinds_table.drop(columns="description")
    kinds_table.index.name = "kind of street"
    staff = result.staffing.groupby("model", sort=False)["headcount"].sum()
    facts = (
        f"{len(result.streets)} streets, {sum(len(st.areas) for _, st in sc.streets())} areas, "
        f"{sc.horizon_days:g} days (warm-up {sc.warmup_days:g}), seed {sc.seed}; "
        + ", ".join(f"{m}: {n:,} issues" for m, n in result.issues.items())
        + ". Total headcount: "
        + ", ".join(f"{m} {int(n):,}" for m, n in staff.items())
        + ". Streets share no station, office or staff; each draws its own issues."
    )
    return Section(
        "City",
        [Text(sc.description), Text(facts), table(kinds_table, fmt=lambda c, v: v if isinstance(v, str) else f"{v:g}")],
    )


def notebook_html(title_text: str, finding_lines: list[str], blocks: list) -> str:
    """What a notebook shows for a result (``_repr_html_``): its title, the finding and its tables, as the
    report has them (rates in percent, counts whole, intervals as people read them)."""
    from markupsafe import escape

    parts = [f"<h4>{escape(title_text)}</h4>", *(f"<p>{escape(x)}</p>" for x in finding_lines)]
    for b in blocks:
        if isinstance(b, Table):
            parts.append(b.frame.to_html(index=b.index, escape=True, border=0))
        elif isinstance(b, Text):
            parts.append(f"<p>{escape(b.text)}</p>")
    return "\n".join(parts)


def run_html(result) -> str:
    """A run in a notebook: the finding and the comparison table."""
    sc = result.scenario
    return notebook_html(
        title(sc), finding.of_run(result), [comparison_cells(comparison_table(result.summary, sc.baseline))]
    )


def experiment_html(exp) -> str:
    """A replicated comparison in a notebook: the finding and, per model, the table with its intervals."""
    return notebook_html(title(exp.scenario), finding.of_experiment(exp), comparison_tables(exp.comparison))
