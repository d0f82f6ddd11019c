"""``report.html``: one self-contained page (plots embedded) a policy analyst can open offline."""

from __future__ import annotations

import base64
import html
import io

import pandas as pd

from .metrics import HEADLINE

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC","Microsoft YaHei",sans-serif;
max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;font-size:.9em;margin:.5em 0}td,th{border:1px solid #ddd;padding:.25em .6em}
th{background:#f4f4f4;text-align:left}td.num{text-align:right;font-variant-numeric:tabular-nums}
.headline{font-size:1.15em;background:#eef7f3;border-left:4px solid #1b9e77;padding:.6em 1em}
img{max-width:100%;margin:.5em 0}code,pre{background:#f6f6f6;padding:.2em .4em}
.siloed{color:#d95f02}.merged{color:#1b9e77}
"""


def figure_tag(fig, alt: str) -> str:
    """A matplotlib figure as an embedded PNG ``<img>`` (closes the figure)."""
    from .plots import plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode()
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def table_html(df: pd.DataFrame, fmt=None, index: bool = True) -> str:
    """A DataFrame as an HTML table; ``fmt(column, value)`` formats cells."""
    fmt = fmt or (lambda c, v: v if isinstance(v, str) else f"{v:.4g}")
    cols = list(df.columns)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in ([df.index.name or ""] if index else []) + cols)
    rows = []
    for idx, row in df.iterrows():
        cells = [f"<th>{html.escape(str(idx))}</th>"] if index else []
        for c in cols:
            v = row[c]
            text = "–" if (not isinstance(v, str) and pd.isna(v)) else fmt(c, v)
            cells.append(f'<td class="{"num" if not isinstance(v, str) else ""}">{html.escape(str(text))}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def page(title: str, sections: list[tuple[str, str]], headline: str = "") -> str:
    """A whole page: a title, a headline paragraph and (heading, html) sections."""
    body = [f"<h1>{html.escape(title)}</h1>"]
    if headline:
        body.append(f'<p class="headline">{html.escape(headline)}</p>')
    for heading, content in sections:
        body.append(f"<section><h2>{html.escape(heading)}</h2>{content}</section>")
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{CSS}</style></head><body>{''.join(body)}</body></html>"
    )


def scenario_brief(sc) -> str:
    """The scenario in a few lines and two small tables."""
    groups = pd.DataFrame(
        {
            g: {
                "arrivals per day": s.arrivals_per_day,
                "right line grid": s.p_right_line_grid,
                "mean patience (h)": s.patience.mean_value,
                "mean report delay (h)": s.report_delay.mean_value,
            }
            for g, s in sc.groups.items()
        }
    ).T
    groups.index.name = "group"
    depts = pd.DataFrame(
        {
            d: {"headcount (siloed)": s.headcount, "stationed when merged": sc.stationed(d)}
            for d, s in sc.departments.items()
        }
    ).T
    depts.index.name = "department"
    return (
        f"<p>{html.escape(sc.description)}</p><p>Horizon {sc.horizon_days:g} days (warm-up "
        f"{sc.warmup_days:g}), seed {sc.seed}; {len(sc.areas)} areas ({', '.join(sc.areas)}), "
        f"{len(sc.categories)} categories, {len(sc.line_grids)} line grids. Models: "
        f"{', '.join(sc.models)}; baseline {sc.baseline}.</p>"
        + table_html(groups)
        + table_html(depts, fmt=lambda c, v: f"{int(v)}")
    )


def assumptions(sc) -> str:
    """The parameters that drive a siloed vs merged result, as a list."""
    m = sc.merged
    items = [
        f"Merged stations {100 * m.stationed_share:.0f}% of department staff in the grids (default share), so "
        "departments are thinner for the work that still reaches them.",
        "The grid leaders of each area triage every appeal and coordinate unclear ownership "
        f"(triage {m.triage.mean_value:.2f} h, coordination {m.coordination.mean_value:.2f} h on average).",
        (
            "Hard cases (extra work from several departments, the same in both models) bounce and escalate when "
            "siloed; merged they wait for the joint meeting every "
            f"{m.joint_meeting.every_days} days (weekday {m.joint_meeting.weekday}, {m.joint_meeting.hour:g}:00), "
            f"which costs its attendees {m.joint_meeting.hours:g} h + {m.joint_meeting.per_case_hours:g} h a case"
            + (" and settles ownership" if m.joint_meeting.settles_ownership else "")
            if m.joint_meeting.enabled
            else "No joint meetings: the grid leader coordinates hard cases"
        )
        + ".",
        f"Delegated categories solved on the spot: {', '.join(k for k, c in sc.categories.items() if c.delegable)}.",
        (
            f"Patrols find {100 * m.patrol.chance():.0f}% of discoverable issues (1 − exp(−"
            f"{m.patrol.effectiveness:g} × {m.patrol.staff_hours_per_day:g} stationed staff hours per area a day)) "
            "if they find them before the citizen files."
            if m.patrol.chance() > 0
            else "No patrols."
        ),
        "Filing channels (both models, the same draws): "
        + "; ".join(
            f"{g} " + ", ".join(f"{100 * v:.0f}% {k.replace('_', ' ')}" for k, v in spec.channel_mix.items() if v)
            for g, spec in sc.groups.items()
        )
        + f". Hotline and online work orders go to a wrong unit first with probability {sc.siloed.dispatch.p_wrong:g} "
        f"siloed and {m.dispatch.p_wrong:g} merged; their first response is the handling unit's intake.",
        "Departments' inspection crews (both models): "
        + (
            ", ".join(
                f"{d} {100 * s.inspection.chance():.0f}% ({s.inspection.staff_hours_per_day:g} h a day)"
                for d, s in sc.departments.items()
                if s.inspection.chance() > 0
            )
            or "none"
        )
        + ".",
        "Feedback call (回访) after closing: "
        + "; ".join(
            f"{name} "
            + (f"yes, an unsatisfied appeal reopens with probability {fb.reopen_probability:g}" if fb.enabled else "no")
            for name, fb in (("merged", m.feedback), ("siloed", sc.siloed.feedback))
        )
        + ". 满意率 is the citizen's satisfaction at the first resolution, in both models; after the loop "
        "it is reported beside it.",
        f"Siloed: unclear ownership bounces {sc.siloed.max_bounces} times before the street takes the case "
        f"(mean escalation {sc.siloed.escalation.mean_value:.0f} h).",
        "Satisfaction: logistic({b0} − {b1}·hours − {b2}·(trips − 1) − {b3}·bounces), the same in both models.".format(
            **sc.satisfaction.model_dump()
        ),
    ]
    extra = m.extra_staff
    if extra.intake_per_area or extra.stationed_per_area:
        items.append(
            f"EXTRA STAFF for merged: {extra.intake_per_area} intake and {extra.stationed_per_area} "
            "stationed per area; totals are not equal."
        )
    else:
        items.append(
            "Equal total headcount: merging moves staff, it adds none; staffed hours are compared in the checks above."
        )
    items.append(
        "Stationed staff work to the "
        + (
            f"'{m.stationed_calendar}' calendar (moved by the scenario)"
            if m.stationed_calendar
            else f"departments' own calendar ('{sc.stationed_calendar()}')"
        )
        + f"; {sc.grid_leaders()} grid leader(s) per area."
    )
    return "<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>"


def run_report(result, table: pd.DataFrame, command: str) -> str:
    """report.html of a single run."""
    from .plots import breakdown_figure, figures
    from .report import RATE_METRICS, TABLE_ROWS, mechanisms, verdict

    sc = result.scenario
    t = table.copy()
    t.index.name = "metric"
    body = table_html_rows(t, {TABLE_ROWS[m] for m in RATE_METRICS})
    lines = verdict(result.summary, sc.baseline)
    figs = figures(result)
    plots = "".join(figure_tag(f, n) for n, f in figs.items())
    plots += figure_tag(breakdown_figure(result.summary, "group"), "by group")
    plots += figure_tag(breakdown_figure(result.summary, "category"), "by category")
    sections = [
        ("Scenario", scenario_brief(sc)),
        ("Result", "<ul>" + "".join(f"<li>{html.escape(x)}</li>" for x in lines[1:]) + "</ul>"),
        checks_section(result.summary, sc.baseline, sc),
        (
            "Comparison",
            body + "<p>One replication: no confidence intervals. Run <code>gridsim compare</code> for them.</p>",
        ),
        ("Plots by model, group and category", plots),
        (
            "Mechanisms that drive the result",
            "<ul>"
            + "".join(
                f"<li>{html.escape(m)}</li>"
                for m in mechanisms(result) or ["(needs appeals filed under both siloed and merged)"]
            )
            + "</ul>",
        ),
        ("Assumptions", assumptions(sc)),
        ("Reproduce", f"<pre>{html.escape(command)}</pre>"),
    ]
    return page(f"{sc.name}: siloed line grids vs merged comprehensive grid", sections, lines[0] if lines else "")


def checks_section(summary: pd.DataFrame, baseline: str, sc=None) -> tuple[str, str]:
    """The checks of :mod:`sim.checks` (capacity, stability, censoring) as a section."""
    from . import checks

    found = checks.lines(summary, baseline, sc) or ["(nothing to check: one model only)"]
    return (
        "Checks before trusting the comparison",
        "<ul>" + "".join(f"<li>{html.escape(x)}</li>" for x in found) + "</ul>",
    )


def table_html_rows(t: pd.DataFrame, rate_labels: set) -> str:
    """The comparison table with rates as percentages, counts whole and ratios to two decimals."""
    from .report import COUNT_METRICS, TABLE_ROWS

    count_labels = {TABLE_ROWS[m] for m in COUNT_METRICS}
    out = t.copy().astype(object)
    for label in out.index:
        for c in out.columns:
            v = t.loc[label, c]
            out.loc[label, c] = (
                "–"
                if pd.isna(v)
                else f"{v:.2f}"
                if "/" in c
                else f"{100 * v:.1f}%"
                if label in rate_labels
                else f"{v:,.0f}"
                if label in count_labels
                else f"{v:.2f}"
            )
    return table_html(out, fmt=lambda c, v: v)


def interval(v: float, lo: float, hi: float) -> str:
    """``v [lo, hi]`` to four significant figures (the same rounding the tests read back)."""
    f = lambda x: "–" if pd.isna(x) else f"{x:.4g}"  # noqa: E731
    return f"{f(v)} [{f(lo)}, {f(hi)}]"


def experiment_report_html(exp, command: str) -> str:
    """report.html of a replicated comparison: means, differences and ratios with CIs."""
    from .plots import forest_figure
    from .report import comparison_sentences

    sc = exp.scenario
    comp = exp.comparison
    shown = pd.DataFrame(
        {
            "model": comp["model"],
            "metric": [HEADLINE.get(m, ("", m))[1] for m in comp["metric"]],
            "baseline mean [95% CI]": [
                interval(r.baseline_mean, r.baseline_lo, r.baseline_hi) for r in comp.itertuples()
            ],
            "model mean [95% CI]": [interval(r.model_mean, r.model_lo, r.model_hi) for r in comp.itertuples()],
            "difference [CI]": [interval(r.diff, r.diff_lo, r.diff_hi) for r in comp.itertuples()],
            "ratio [CI]": [interval(r.ratio, r.ratio_lo, r.ratio_hi) for r in comp.itertuples()],
            "better in": [f"{100 * v:.0f}%" for v in comp["share_better"]],
        }
    )
    sentences = comparison_sentences(comp)
    sections = [
        ("Scenario", scenario_brief(sc)),
        ("Result", "<ul>" + "".join(f"<li>{html.escape(x)}</li>" for x in sentences[1:] + exp.notes) + "</ul>"),
        (
            "Comparison with confidence intervals",
            table_html(shown, index=False)
            + f"<p>{exp.n_reps} independent replications; means with 95% Student-t intervals; differences "
            "paired t; ratios of means by the delta method"
            + (
                f"; difference and ratio intervals at {100 * comp['ci_level'].iloc[0]:.1f}% (Bonferroni)"
                if len(comp) and comp["ci_level"].iloc[0] > 0.95
                else ""
            )
            + ". Rates are shares (0–1).</p>",
        ),
        ("Ratios", figure_tag(forest_figure(comp), "forest plot")),
        ("Assumptions", assumptions(sc)),
        ("Reproduce", f"<pre>{html.escape(command)}</pre>"),
    ]
    return page(f"{sc.name}: replicated comparison", sections, sentences[0] if sentences else "")


def city_brief(result) -> str:
    """The city's kinds of street: how many, what they are, their areas and demand."""
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
    table = pd.DataFrame(kinds).T
    if not table["description"].astype(bool).any():
        table = table.drop(columns="description")
    table.index.name = "kind of street"
    return (
        f"<p>{html.escape(sc.description)}</p><p>{len(result.streets)} streets, {sc.horizon_days:g} days "
        f"(warm-up {sc.warmup_days:g}), seed {sc.seed}; "
        + html.escape(", ".join(f"{m}: {n:,} issues" for m, n in result.issues.items()))
        + ". Streets share no station, office or staff; each draws its own issues.</p>"
        + table_html(table, fmt=lambda c, v: v if isinstance(v, str) else f"{v:g}")
    )


def city_report_html(result, table: pd.DataFrame, command: str) -> str:
    """report.html of a city run: the merged tables, the per-street picture and the plots."""
    from .plots import city_figures
    from .report import RATE_METRICS, TABLE_ROWS, city_verdict, street_difference_lines

    sc = result.scenario
    t = table.copy()
    t.index.name = "metric"
    lines = city_verdict(result.summary, sc.baseline, result.differences)
    util = result.summary[result.summary["dimension"] == "office"]
    util = util.pivot(index="level", columns="model", values="value")[list(result.issues)].rename_axis("kind of office")
    plots = "".join(figure_tag(f, n) for n, f in city_figures(result).items())
    sections = [
        ("City", city_brief(result)),
        ("Result", "<ul>" + "".join(f"<li>{html.escape(x)}</li>" for x in lines[1:]) + "</ul>"),
        checks_section(result.summary, sc.baseline, sc),
        (
            "Comparison",
            table_html_rows(t, {TABLE_ROWS[m] for m in RATE_METRICS})
            + "<p>Rates, counts and means are exact; time quantiles come from 1%-wide histograms "
            "(within 1% of the exact value).</p>",
        ),
        (
            "How sure: street by street",
            "<p>Each street's value under each model, differenced, and averaged over the streets; streets "
            "of a kind are independent replications of one street, so their spread gives the 95% interval "
            "(stratified by kind; <code>street_differences.csv</code>).</p><ul>"
            + "".join(f"<li>{html.escape(x)}</li>" for x in street_difference_lines(result.differences))
            + "</ul>",
        ),
        ("Plots: streets, rates, backlog, categories", plots),
        (
            "Staff utilisation by kind of office (share of open hours)",
            table_html(util, fmt=lambda c, v: "–" if pd.isna(v) else f"{100 * v:.0f}%"),
        ),
        ("Assumptions (each street)", assumptions(sc)),
        ("Reproduce", f"<pre>{html.escape(command)}</pre>"),
    ]
    title = f"{sc.name}: siloed line grids vs merged comprehensive grid, city-wide"
    return page(title, sections, lines[0] if lines else "")
