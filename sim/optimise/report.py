"""What a staffing search says: the least staffing per model, its confirmation, the frontier, the report.

The **frontier** of a target metric is, for each cost level reached, the best mean any staffing
judged at that cost or less achieved: how much each extra staffed hour can buy, at most, among
the staffings tried (a search's frontier, not a proof that no other staffing does better).

When no staffing meets the targets, the report gives each target's best mean reached and what
holds it: how far the mean moved across every staffing tried (if doubling the staff moves it
little, staff do not bind it) and the mechanisms behind it at its best staffing.
"""

from __future__ import annotations

import math


import pandas as pd

from ..document import Bullets, Code, Document, Figure, Section, Text, table
from ..i18n import N_, _, current
from ..metrics import METRICS, definition, is_rate
from .evaluate import key
from .search import CONFIRM_TRIES, Outcome
from .spec import CAPACITIES, Target

#: Metrics that say what holds a target: routing (trips, referrals, bounces, escalation), time, and how appeals end.
MECHANISMS = (
    "trips_per_appeal",
    "referrals_per_appeal",
    "bounces_per_appeal",
    "escalated_share",
    "resolution_time_mean",
    "abandonment_rate",
    "open_share",
)


def frontier(outcome: Outcome) -> pd.DataFrame:
    """Per target metric: each staffing's cost, headcount and mean, and the best mean of any staffing at that
    cost or less (``frontier``) and at that headcount or less (``frontier_headcount``); the target's level, and
    whether the staffing is the scenario's own or the one chosen."""
    p, t = outcome.problem, outcome.table
    columns = ["model", "metric", "target", "cost", "headcount", "mean", "frontier", "frontier_headcount"]
    columns += ["scenario", "chosen", "key"]
    if t.empty:
        return pd.DataFrame(columns=columns)
    ok = t[t["error"] == ""].sort_values([p.cost, "headcount"], kind="stable")
    chosen = ok["key"] == (key(outcome.chosen) if outcome.chosen is not None else None)
    rows = []
    for target in _plotted(p):
        col = ok[f"{target.metric}_mean" if target.metric != p.objective else p.objective].astype(float)
        rows.append(
            pd.DataFrame(
                {
                    "model": p.model,
                    "metric": target.metric,
                    "target": target.level,
                    "cost": ok[p.cost],
                    "headcount": ok["headcount"],
                    "mean": col,
                    "frontier": _best_so_far(col, ok[p.cost], target.op),
                    "frontier_headcount": _best_so_far(col, ok["headcount"], target.op),
                    "scenario": ok["scenario_staffing"],
                    "chosen": chosen,
                    "key": ok["key"],
                }
            )
        )
    return pd.concat(rows, ignore_index=True)[columns] if rows else pd.DataFrame(columns=columns)


def _plotted(p) -> list[Target]:
    """What the frontier shows: each target, and a metric the search minimises or maximises (no level)."""
    if p.objective in CAPACITIES or p.objective in (t.metric for t in p.targets):
        return list(p.targets)
    return [*p.targets, Target(p.objective, ">=" if p.maximise else "<=", math.nan)]


def _best_so_far(values: pd.Series, by: pd.Series, op: str) -> pd.Series:
    """The best of ``values`` at each level of ``by`` or less (ties of ``by`` share their best).

    >>> _best_so_far(pd.Series([0.5, 0.9, 0.7]), pd.Series([3, 1, 2]), ">=").tolist()
    [0.9, 0.9, 0.9]
    >>> _best_so_far(pd.Series([0.5, 0.9, 0.7]), pd.Series([1, 3, 1]), ">=").tolist()
    [0.7, 0.9, 0.7]
    """
    order = by.sort_values(kind="stable").index
    run = values[order].cummax() if op == ">=" else values[order].cummin()
    run = run.groupby(by[order].to_numpy()).transform("last")  # a tie's best is its last
    return run.reindex(values.index)


def chosen_table(outcome: Outcome) -> pd.DataFrame:
    """The staffing chosen, variable by variable, beside the scenario's own."""
    p = outcome.problem
    if outcome.chosen is None:
        return pd.DataFrame(columns=["model", "variable", "scenario", "chosen"])
    return pd.DataFrame(
        [
            {"model": p.model, "variable": v.path, "scenario": v.value(v.base), "chosen": outcome.chosen[v.path]}
            for v in p.variables
        ]
    )


def confirmed_table(outcome: Outcome) -> pd.DataFrame:
    """Each confirmation tried: the staffing, each target's mean and one-sided bound on fresh replications."""
    rows = []
    for k, j in outcome.confirmations:
        for t in outcome.problem.targets:
            rows.append(
                {
                    "model": outcome.problem.model,
                    "key": k,
                    "metric": t.metric,
                    "op": t.op,
                    "target": t.level,
                    "mean": j.means[t.metric],
                    "bound": j.bounds[t.metric],
                    "bound_level": j.level,
                    "n_reps": j.n,
                    "met": t.met(j.bounds[t.metric]),
                }
            )
        p = outcome.problem
        if p.objective not in CAPACITIES:  # the metric minimised or maximised: its mean on the fresh replications
            op = "max" if p.maximise else "min"
            rows.append({"model": p.model, "key": k, "metric": p.objective, "op": op, "mean": j.cost(p.objective)})
            rows[-1] |= {"target": p.budget, "n_reps": j.n, "met": p.acceptable(j)}  # the budget, of the cost
    columns = ["model", "key", "metric", "op", "target", "mean", "bound", "bound_level", "n_reps", "met"]
    return pd.DataFrame(rows, columns=columns)  # with its columns even when nothing was confirmed


def binding(outcome: Outcome) -> list[str]:
    """For each target no staffing met: the best mean reached, and what holds it with the most of everything
    (staff, if the busiest role is nearly always busy there; otherwise not staff, and the routing mechanisms);
    then, if every target was met by some staffing but none met all at once, that."""
    p, t = outcome.problem, outcome.table
    if outcome.evals is None or t.empty:
        return []
    ok = t[t["error"] == ""]
    most = ok[ok["key"] == key(p.values({v.path: v.levels[-1] for v in p.variables}))]
    out = []
    for target in p.targets:
        col = ok[f"{target.metric}_mean"].astype(float)
        if col.notna().sum() == 0 or ok[f"{target.metric}_bound"].map(target.met).any():
            continue
        i = col.idxmax() if target.op == ">=" else col.idxmin()
        text = _("{target}: not reached by any of {n} staffings; the best mean is {best} (at {cost} {unit})").format(
            target=target.text(current()),
            n=len(ok),
            best=_show(target.metric, col[i]),
            cost=f"{ok.loc[i, p.cost]:,.0f}",
            unit=_capacity(p.cost),
        )
        if len(most):
            text += _(". ") + held(outcome, most.iloc[0], target.metric)
        out.append(text + _("."))
    if not out and not ok["meets_targets"].any() and len(p.targets) > 1:
        out.append(nearest(p, ok))
    return out


def nearest(p, ok: pd.DataFrame) -> str:
    """Every target met by some staffing, none by one: the staffing nearest all of them (its worst relative
    shortfall of a bound the least), with each target's mean and bound."""
    short = pd.concat(
        [ok[f"{t.metric}_bound"].map(lambda b, t=t: -t.slack(b) / (abs(t.level) or 1.0)) for t in p.targets], axis=1
    ).max(axis=1)
    row = ok.loc[short.idxmin()]
    each = _(", ").join(
        _("{metric} {mean} (bound {bound})").format(
            metric=_name(t.metric),
            mean=_show(t.metric, row[f"{t.metric}_mean"]),
            bound=_show(t.metric, row[f"{t.metric}_bound"]),
        )
        for t in p.targets
    )
    return _(
        "Each target was met by some staffing, but none met all of them at once; the nearest, with {cost} {unit}: "
        "{each}."
    ).format(cost=f"{row[p.cost]:,.0f}", unit=_capacity(p.cost), each=each)


def held(outcome: Outcome, row: pd.Series, metric: str) -> str:
    """What holds ``metric`` at staffing ``row`` (the most of everything): the busiest role, the mechanisms."""
    p = outcome.problem
    assert outcome.evals is not None
    reps = outcome.evals.searched(row["key"], int(row["n_reps"])).mean()
    roles = reps.filter(like="utilisation@").sort_values(ascending=False)
    if not len(roles):
        return ""
    role, busy = roles.index[0].partition("@")[2], roles.iloc[0]
    fill = dict(cost=f"{row[p.cost]:,.0f}", unit=_capacity(p.cost), value=_show(metric, reps[metric]), role=role)
    fill["busy"] = f"{busy:.0%}"
    if busy >= 0.85:
        return _(
            "With the most of everything ({cost} {unit}) it is {value} and the busiest role, {role}, is {busy} "
            "busy: staff bind it (widen the bounds of {role})"
        ).format(**fill)
    mechanisms = _(", ").join(f"{_name(n)} {_show(n, reps[n])}" for n in MECHANISMS if n in reps.index)
    text = _(
        "With the most of everything ({cost} {unit}) it is {value} and no role is more than {busy} busy ({role}): "
        "more staff would not move it; what the appeals go through there: {mechanisms}"
    ).format(mechanisms=mechanisms, **fill)
    if metric in SATISFACTION and "resolution_time_mean" in reps.index:
        text += _(". ") + satisfaction_cap(p.raw["satisfaction"], reps["resolution_time_mean"])
    return text


#: Metrics the satisfaction model (P = logistic(b0 − b1·hours − b2·(trips − 1) − b3·bounces)) caps.
SATISFACTION = ("satisfaction_rate", "final_satisfaction_rate", "satisfied_share", "final_satisfied_share")


def satisfaction_cap(model: dict, hours: float) -> str:
    """What the satisfaction model allows at most: an appeal resolved at once with no extra trip or bounce, and
    one resolved in ``hours`` (the mean resolution time) with none.

    >>> satisfaction_cap({"b0": 3.0, "b1": 0.01, "b2": 0.6, "b3": 0.8}, 43.3)[:60]
    'The satisfaction model caps it: logistic(b0) = 95.3% for an '
    """
    cap = 1 / (1 + math.exp(-model["b0"]))
    at_mean = 1 / (1 + math.exp(-(model["b0"] - model["b1"] * hours)))
    return _(
        "The satisfaction model caps it: logistic(b0) = {cap} for an appeal resolved at once with no extra trip or "
        "bounce, and logistic(b0 − b1·{hours} h) = {at_mean} at the mean resolution time with none"
    ).format(cap=f"{cap:.1%}", hours=f"{hours:.0f}", at_mean=f"{at_mean:.1%}")


def _capacity(cost: str) -> str:
    """A capacity's name on the page: staffed hours, headcount, or the wage cost."""
    m = METRICS.get(cost)
    return m.label_in(current()) if m is not None else _("wage cost")


#: Names of the mechanisms that are not in the metric registry.
_NAMES = {"escalated_share": N_("share escalated to the street")}


def _name(metric: str) -> str:
    m = METRICS.get(metric)
    if m is not None:
        return m.label_in(current())
    return _(_NAMES[metric]) if metric in _NAMES else metric


def _model(name: str) -> str:
    """A model by its display name in the current language (a variant by its own name)."""
    from .. import models

    if name not in models.names():
        return name
    cls = models.get(name)
    return (cls.label_zh or cls.label) if current() == "zh" else cls.label


def _show(metric: str, v: float) -> str:
    m = METRICS.get(metric)
    if m is not None:
        return m.show(v)
    return f"{100 * v:.1f}%" if is_rate(metric) else f"{v:.3g}"


def _goal(p) -> str:
    return _(" and ").join(t.text(current()) for t in p.targets)


def finding(outcomes: list[Outcome]) -> list[str]:
    """One sentence per model (the least cost that met the targets, confirmed), and the models compared."""
    out = [_sentence(o) for o in outcomes]
    met = [o for o in outcomes if o.confirmed is not None]
    same = len({tuple(o.problem.targets) for o in met}) == 1
    if len(met) == 2 and same and met[0].problem.objective == met[0].problem.cost:
        (a, b), unit = met, met[0].problem.cost
        ca, cb = a.confirmed.cost(unit), b.confirmed.cost(unit)  # type: ignore[union-attr]
        out.append(
            _(
                "For the same targets {model} needs {change} {unit} against {other} ({cost} against {other_cost})."
            ).format(
                model=_model(b.problem.model),
                change=f"{cb / ca - 1:+.0%}",
                unit=_capacity(unit),
                other=_model(a.problem.model),
                cost=f"{cb:,.0f}",
                other_cost=f"{ca:,.0f}",
            )
        )
    return out


def _sentence(o: Outcome) -> str:
    """What the search found for one model, in a sentence."""
    p, j = o.problem, o.confirmed
    if j is None:
        if o.confirmations:
            return _(
                "{model}: {n} staffings met {goal} on the search's replications, but none held on {fresh} fresh ones "
                "(one-sided 95% bounds, jointly)."
            ).format(model=_model(p.model), n=len(o.confirmations), goal=_goal(p), fresh=p.confirm_replications)
        if not p.targets:
            return _("{model}: no staffing within the bounds fits a budget of {budget} {unit}.").format(
                model=_model(p.model), budget=f"{p.budget:,.0f}", unit=_capacity(p.cost)
            )
        return _("{model}: no staffing within the bounds met {goal} (one-sided 95% bounds, jointly).").format(
            model=_model(p.model), goal=_goal(p)
        )
    fill = dict(model=_model(p.model), hours=f"{j.cost('staffed_hours'):,.0f}", staff=f"{j.cost('headcount'):,.0f}")
    fill |= dict(n=str(j.n), unit=_capacity(p.cost), goal=_goal(p))
    if p.objective not in CAPACITIES:
        best = _("the highest") if p.maximise else _("the lowest")
        text = _(
            "{model}: {best} {metric} found within a budget of {budget} {unit} is {value}, with {hours} staffed hours "
            "({staff} staff), on {n} fresh replications"
        ).format(
            best=best,
            metric=_name(p.objective),
            budget=f"{p.budget:,.0f}",
            value=_show(p.objective, j.cost(p.objective)),
            **fill,
        )
        return text + (_(", meeting {goal}.").format(goal=fill["goal"]) if p.targets else _("."))
    if p.reference is None:
        found = _(
            "{model}: the least staffing found that meets {goal} has {hours} staffed hours ({staff} staff), "
            "confirmed on {n} fresh replications."
        ).format(**fill)
        own = o.table[o.table["scenario_staffing"]] if "scenario_staffing" in o.table else o.table.iloc[:0]
        if len(own):
            found += _(" The scenario's own staffing has {hours} staffed hours ({staff} staff).").format(
                hours=f"{own['staffed_hours'].iloc[0]:,.0f}", staff=f"{own['headcount'].iloc[0]:,.0f}"
            )
        return found
    ref = p.reference
    return _(
        "{model} matches {partner} on {goal} (what it reaches at the scenario's own staffing, {today_hours} staffed "
        "hours, {today_staff} staff) with {hours} staffed hours ({staff} staff; {change} {unit}), confirmed on {n} "
        "fresh replications."
    ).format(
        partner=_model(ref["model"]),
        today_hours=f"{ref['staffed_hours']:,.0f}",
        today_staff=f"{ref['headcount']:,.0f}",
        change=f"{j.cost(p.cost) / ref[p.cost] - 1:+.0%}",
        **fill,
    )


def target_lines(outcomes: list[Outcome]) -> list[str]:
    """Each model's targets with what their metrics count, exactly, and whom a target matches."""
    out = []
    for o in outcomes:
        p = o.problem
        ref = _(" (what {partner} reaches today)").format(partner=_model(p.reference["model"])) if p.reference else ""
        line = _("{model}: {target}{ref}: {definition}")
        out += [
            line.format(model=_model(p.model), target=t.text(current()), ref=ref, definition=definition(t.metric))
            for t in p.targets
        ]
    return out


def own_variables(outcomes: list[Outcome]) -> str:
    """The decision variables one model has and another has not (the merged grid's own levers), said plainly: a
    difference between the searches, which the report must state (docs/fairness.md)."""
    paths = {o.problem.model: [v.path for v in o.problem.variables] for o in outcomes}
    shared = set.intersection(*(set(p) for p in paths.values())) if paths else set()
    own = {m: [p for p in ps if p not in shared] for m, ps in paths.items()}
    said = [f"{_model(m)}: {', '.join(ps)}" for m, ps in own.items() if ps]
    if len(paths) < 2 or not said:
        return ""
    return _("Decision variables one model has and the other has not (its own levers): {which}.").format(
        which=_("; ").join(said)
    )


def document(outcomes: list[Outcome], explanations: dict[str, list[str]], command: str, plots: bool) -> Document:
    """The report of a search: finding, each model's staffing and confirmation, the frontier, the method."""
    p0 = outcomes[0].problem
    sections = [Section(_("Targets"), [Bullets(target_lines(outcomes))])]
    for o in outcomes:
        blocks: list = []
        if o.chosen is not None:
            blocks.append(table(chosen_table(o).drop(columns="model"), index=False))
        conf = confirmed_table(o)
        if not conf.empty:
            blocks.append(table(conf.drop(columns=["model", "op"]), index=False))
        if explanations.get(o.problem.model):
            blocks.append(Bullets(explanations[o.problem.model]))
        count = _("{n} staffings judged, {reps} replications simulated by this run.")
        blocks.append(Text(count.format(n=len(o.table), reps=o.simulated)))
        sections.append(Section(_model(o.problem.model), blocks))
    if plots:
        sections.append(Section(_("Frontier"), [Figure(_("cost against each target metric"), "frontier.png")]))
    method = _(
        "Targets are met when the one-sided bound of each target metric's mean clears it, all targets jointly (each "
        "bound at level 1 − {alpha}/(k·{tries}) for k targets, Bonferroni over the targets and the confirmation's "
        "tries; Student t over replications). Candidates run on "
        "the same replications (common random numbers), {reps} at first, doubled up to {max_reps} while the staffing "
        "would be the cheapest so far and its means meet the targets (whether its bounds do or not yet). Sampler: "
        "{sampler} (Optuna), batches of {batch}. The cheapest staffing that met the targets is confirmed on "
        "{confirm} fresh replications; if it fails, the next cheapest whose margin on the search's replications is "
        "at least the failed one's fall from them to fresh ones, up to {tries}, so that a pass by luck among the "
        "tries stays under {alpha}. The frontier is of "
        "the staffings tried, not a proof that none untried does better. With --match, the other model's levels "
        "are its means over {match_reps} replications, taken as fixed."
    ).format(
        alpha=f"{p0.alpha:g}",
        tries=CONFIRM_TRIES,
        match_reps=p0.confirm_replications,
        reps=p0.replications,
        max_reps=p0.max_replications,
        sampler=p0.sampler,
        batch=p0.batch,
        confirm=p0.confirm_replications,
    )
    sections.append(Section(_("Method"), [Text(method), *([Text(only)] if (only := own_variables(outcomes)) else [])]))
    sections.append(Section(_("Reproduce"), [Code(command)]))
    title = _("{name}: staffing optimisation").format(name=p0.raw["name"])
    return Document(title, " ".join(finding(outcomes)), sections)


def frontier_figure(front: pd.DataFrame, cost: str):
    """One column per target metric, one row per capacity (the cost, and headcount when that is not the cost):
    each staffing against its mean (dots), the frontier (steps), the target (dashed), the scenario's own staffing
    (a square) and the one chosen (a star); a colour per model."""
    from .. import models
    from ..style import styled, subplots

    axes_of = [("cost", "frontier", _capacity(cost))]
    if cost != "headcount":
        axes_of.append(("headcount", "frontier_headcount", _capacity("headcount")))

    @styled
    def draw():
        metrics = list(dict.fromkeys(front["metric"]))
        shape = (len(axes_of), len(metrics))
        fig, axes = subplots(*shape, figsize=(4.4 * shape[1], 3.4 * shape[0]), squeeze=False)
        fig.set_layout_engine("constrained")  # titles, labels and legends clear of each other
        for k, ((x, step, label), row) in enumerate(zip(axes_of, axes)):
            for ax, metric in zip(row, metrics):
                scale = 100.0 if is_rate(metric) else 1.0
                for model, g in front[front["metric"] == metric].groupby("model", sort=False):
                    c = models.colour(str(model))
                    g = g.sort_values(x, kind="stable")
                    ax.scatter(g[x], scale * g["mean"], s=12, alpha=0.35, color=c)
                    ax.step(g[x], scale * g[step], where="post", color=c, label=_model(str(model)))
                    if pd.notna(g["target"].iloc[0]):  # a metric minimised or maximised has no level
                        ax.axhline(scale * g["target"].iloc[0], color=c, ls="--", lw=1)
                    for flag, marker, size in (("scenario", "s", 40), ("chosen", "*", 140)):
                        hit = g[g[flag].astype(bool)]
                        ax.scatter(hit[x], scale * hit["mean"], marker=marker, s=size, color=c, edgecolor="black")
                if k == 0:
                    ax.set_title(_name(metric) + (" (%)" if scale == 100 else ""))
                ax.set_xlabel(label)
            row[0].legend(frameon=False, fontsize=8)
        return fig

    return draw()
