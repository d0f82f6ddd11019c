"""From a scenario and the command line to one search per model, and from their outcomes to a results folder."""

from __future__ import annotations

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


def merged_spec(spec: OptimiseSpec | None, **given) -> OptimiseSpec:
    """The scenario's ``optimise:`` block with what the command line gave instead (None: not given)."""
    base = spec or OptimiseSpec()
    return base.model_copy(update={k: v for k, v in given.items() if v is not None and v != []})


def model_variables(sc, model: str, specs: list[VariableSpec], source: str) -> list:
    """The variables of ``specs`` for ``model``: a field in another shipped model's block changes nothing here."""
    from .. import models

    policy, _ = sc.arm(model)
    others = {models.get(m).config_block or m for m in models.names()} - {models.get(policy).config_block or policy}
    raw = sc.to_dict()
    out = [v for s in specs for v in expand(s, raw, source) if v.path.split(".")[0] not in others]
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


def problems(sc, spec: OptimiseSpec, model_names: list[str], sampler: str, batch: int) -> list[Problem]:
    """One :class:`Problem` per model, checked before anything runs (bad input: exit 2)."""
    targets = [parse_target(t, "--target") for t in spec.targets]
    objective = find_metric(spec.minimise, "--minimise") if spec.minimise else spec.cost
    cost = objective if objective in CAPACITIES else spec.cost
    if objective in CAPACITIES:
        if not targets:
            raise ScenarioError(
                "--target", ["minimising staff needs at least one target, e.g. --target '响应率>=0.95'"]
            )
    elif spec.budget is None:
        raise ScenarioError("--budget", [f"minimising {objective} needs a budget of {spec.cost} (--budget)"])
    raw = sc.to_dict()
    out = []
    for m in model_names:
        specs = list(spec.variables) or default_specs(sc, m)
        variables = model_variables(sc, m, specs, "--vary" if spec.variables else "optimise.variables")
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

        targets = {t.metric: (t.op, t.level) for t in outcomes[0].problem.targets}
        fig = frontier_figure(front, targets, outcomes[0].problem.cost)
        figures["frontier.png"] = figure_png(fig)
        folder.put("frontier.png", lambda p: Path(p).write_bytes(figures["frontier.png"]))
    doc = document(outcomes, explanations, command, plots and not front.empty)
    folder.text("report.md", render(doc, "md", figures))
    folder.text("report.html", render(doc, "html", figures))
