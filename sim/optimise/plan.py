"""From a scenario and the command line to one search per model, and from their outcomes to a results folder."""

from __future__ import annotations

import fnmatch
import math
from pathlib import Path

from ..errors import ScenarioError
from .search import Outcome, Problem
from .spec import (
    CAPACITIES,
    OptimiseSpec,
    VariableSpec,
    default_variables,
    expand,
    find_metric,
    parse_target,
)


MAX_GRID = 5000  # staffings an exhaustive search may judge
#: What ``--match`` matches by default: the three hotline rates (三率).
MATCHED = ("response_rate", "resolution_rate", "satisfaction_rate")


def merged_spec(spec: OptimiseSpec | None, **given) -> OptimiseSpec:
    """The scenario's ``optimise:`` block with what the command line gave instead (None: not given)."""
    base = spec or OptimiseSpec()
    return base.model_copy(update={k: v for k, v in given.items() if v is not None and v != []})


def model_variables(sc, model: str, specs: list[VariableSpec], source: str) -> list:
    """The variables of ``specs`` for ``model``: a field in another shipped model's block, or a department's
    stationed share for the line grids, changes nothing there and is left out."""
    from .. import models

    policy, _ = sc.arm(model)
    own = models.get(policy).config_block or policy
    others = {models.get(m).config_block or m for m in models.names()} - {own}
    raw = sc.to_dict()
    out = [v for s in specs for v in expand(s, raw, source) if v.path.split(".")[0] not in others]
    if own == "siloed":  # stationing (下沉) is the merged grid's: a department's share is read by merged only
        out = [v for v in out if not fnmatch.fnmatchcase(v.path, "departments.*.stationed_share")]
    if not out:
        raise ScenarioError(source, [f"no decision variable applies to {model}"])
    return out


def default_specs(sc, model: str) -> list[VariableSpec]:
    """Every department's headcount and line grid's intake staff; for the merged grid also its grid leaders per
    area (1 to 3) and the stationed share (0.1 to 0.5)."""
    specs = default_variables(sc.to_dict())
    if sc.arm(model)[0] == "merged":
        specs += [
            VariableSpec(path="merged.grid_leaders_per_area", low=1, high=3),
            VariableSpec(path="merged.stationed_share", low=0.1, high=0.5, step=0.05),
        ]
    return specs


def problems(
    sc,
    spec: OptimiseSpec,
    model_names: list[str],
    sampler: str,
    batch: int,
    match: bool = False,
    source: str = "optimise.variables",
) -> list[Problem]:
    """One :class:`Problem` per model, checked before anything runs (bad input: exit 2); with ``match``, targets
    may come later (:func:`matching`)."""
    targets = [parse_target(t, "--target") for t in spec.targets]
    twice = sorted({t.metric for t in targets if [u.metric for u in targets].count(t.metric) > 1})
    if twice:
        raise ScenarioError("--target", [f"{m}: named in more than one target (give one level each)" for m in twice])
    objective = spec.minimise or spec.cost
    if spec.maximise and objective in CAPACITIES:
        raise ScenarioError("--maximise", [f"{objective}: a capacity is minimised, not maximised"])
    if objective not in CAPACITIES:
        objective = find_metric(objective, "--minimise")
    cost = objective if objective in CAPACITIES else spec.cost
    if objective in CAPACITIES:
        if not targets and not match:
            raise ScenarioError(
                "--target", ["minimising staff needs at least one target, e.g. --target '响应率>=0.95'"]
            )
    elif spec.budget is None:
        raise ScenarioError("--budget", [f"minimising {objective} needs a budget of {spec.cost} (--budget)"])
    most = max(spec.max_replications, spec.replications)
    if spec.confirm_replications < most:
        raise ScenarioError(
            "--confirm-reps",
            [
                f"{spec.confirm_replications}: expected at least the replications a staffing may be judged on in the "
                f"search ({most}, --max-reps): on fewer, wider bounds fail what the search passed"
            ],
        )
    raw = sc.to_dict()
    out = []
    for m in model_names:
        specs = list(spec.variables) or default_specs(sc, m)
        variables = model_variables(sc, m, specs, source)
        size = math.prod(len(v.levels) for v in variables)
        if sampler == "grid" and size > MAX_GRID:
            raise ScenarioError("--sampler", [f"grid: {size:,} staffings for {m}, more than {MAX_GRID:,} (use tpe)"])
        out.append(
            Problem(
                raw,
                m,
                variables,
                targets,
                cost=cost,
                objective=objective,
                maximise=spec.maximise,
                budget=spec.budget,
                trials=size if sampler == "grid" else spec.trials,
                wages=dict(spec.wages) if "wage_cost" in (cost, objective) else None,
                replications=spec.replications,
                max_replications=max(spec.max_replications, spec.replications),
                confirm_replications=spec.confirm_replications,
                sampler=sampler,
                batch=batch,
                seed=sc.seed,
            )
        )
    return out


def write(outcomes: list[Outcome], folder, command: str, plots: bool = True) -> None:
    """Tables, the chosen staffing as scenario files, the frontier and the report into ``folder``
    (a :class:`sim.output.ResultsFolder`)."""
    import pandas as pd
    import yaml

    from ..document import render
    from .evaluate import staffed
    from .report import binding, chosen_table, confirmed_table, document, frontier, frontier_figure

    folder.table("trials.csv", pd.concat([o.table for o in outcomes], ignore_index=True))
    folder.table("chosen.csv", pd.concat([chosen_table(o) for o in outcomes], ignore_index=True))
    folder.table("confirmed.csv", pd.concat([confirmed_table(o) for o in outcomes], ignore_index=True))
    front = pd.concat([frontier(o) for o in outcomes], ignore_index=True)
    folder.table("frontier.csv", front)
    explanations = {}
    for o in outcomes:
        explanations[o.problem.model] = binding(o)
        if o.chosen is not None:
            sc = staffed(o.problem.raw | {"models": [o.problem.model]}, o.chosen)
            text = f"# gridsim optimise: the least staffing found for {o.problem.model}\n# {command}\n"
            text += yaml.safe_dump(sc.to_dict(), sort_keys=False, allow_unicode=True)
            folder.text(f"best-{o.problem.model}.yaml", text)
    figures = {}
    if plots and not front.empty:
        from ..document import figure_png

        fig = frontier_figure(front, outcomes[0].problem.cost)
        figures["frontier.png"] = figure_png(fig)
        folder.put("frontier.png", lambda p: Path(p).write_bytes(figures["frontier.png"]))
    doc = document(outcomes, explanations, command, plots and not front.empty)
    folder.text("report.md", render(doc, "md", figures))
    folder.text("report.html", render(doc, "html", figures))


def partner(model: str, names: list[str], baseline: str) -> str:
    """Whom ``model`` is matched with: the baseline, or for the baseline itself the first other model.

    >>> partner("merged", ["siloed", "merged"], "siloed"), partner("siloed", ["siloed", "merged"], "siloed")
    ('siloed', 'merged')
    """
    if model != baseline and baseline in names:
        return baseline
    others = [m for m in names if m != model]
    if not others:
        raise ScenarioError("--match", [f"{model}: nothing to match (name two models, or a scenario with two)"])
    return others[0]


def matching(problems: list[Problem], metrics: list[str], reps: int, workers: int, scheduler, baseline: str) -> None:
    """Make each problem's targets the means its partner reaches at the scenario's own staffing, on replications
    ``0..reps-1`` (the candidates run on the first of these): "at least as good as the other model is today".

    The partner's means are estimates (over ``reps`` replications) taken as fixed levels; the candidates' bounds
    carry their own noise, not the partner's.
    """
    import pandas as pd

    from ..executors import execute
    from ..metrics import METRICS
    from .evaluate import replication
    from .spec import Target

    names = [p.model for p in problems]
    for m in metrics:
        if METRICS.get(m) is None or METRICS[m].better is None:
            raise ScenarioError("--match", [f"{m}: has no better direction, so nothing to match"])
    today: dict[str, pd.DataFrame] = {}
    for p in problems:
        ref = partner(p.model, names, baseline)
        if ref not in today:
            jobs: list[tuple[dict, int]] = [({}, r) for r in range(reps)]
            rows = {r: got for _, r, got in execute(replication, jobs, workers, scheduler, shared=(p.raw, ref))}
            today[ref] = pd.DataFrame.from_dict(rows, orient="index").sort_index()
        means = today[ref].mean()
        p.targets = [t for t in p.targets if t.metric not in metrics] + [
            Target(m, ">=" if METRICS[m].better == "higher" else "<=", float(means[m])) for m in metrics
        ]
        p.reference = {"model": ref, "replications": reps}
        p.reference |= {c: p.judged(today[ref]).cost(c) for c in {"staffed_hours", "headcount", p.cost}}
