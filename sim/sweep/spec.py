"""The sweep file: base scenario, parameters, design, replications.

>>> from sim.sweep.spec import Parameter
>>> Parameter(path="merged.stationed_share", low=0.1, high=0.4).bounds
(0.1, 0.4)
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Literal, Optional

import yaml
from pydantic import Field, PositiveInt, ValidationError, model_validator

from ..metrics import overall_metric_names
from ..scenario import (
    DEFAULT_SCENARIO_PATH,
    LEVERS,
    Scenario,
    ScenarioError,
    Strict,
    _format_error,
    build_scenario,
    read_scenario,
    read_yaml,
    set_path,
)


class Parameter(Strict):
    """One varied input: a scenario field (``path``), several fields moved together (``paths``),
    or a named lever; sampled from ``values`` (factorial, one-at-a-time) or ``[low, high]``."""

    path: Optional[str] = None
    paths: Optional[list[str]] = None
    lever: Optional[Literal["delegated_share", "in_person_share"]] = Field(
        default=None,
        description="delegated_share: the share of categories delegated to the grid, "
        "simplest first (least total service work); in_person_share: every group's "
        "share of appeals filed in person (the rest keeps its hotline : online ratio)",
    )
    values: Optional[list[Any]] = None
    low: Optional[float] = None
    high: Optional[float] = None
    scale: bool = Field(
        default=False,
        description="multiply the base value(s) by the sampled factor (whole-number fields are rounded, at least 1)",
    )
    complement: bool = Field(default=False, description="set 1 - x (e.g. a wrong-office probability)")
    integer: bool = Field(default=False, description="round to a whole number")

    @model_validator(mode="after")
    def _check(self):
        targets = sum(x is not None for x in (self.path, self.paths, self.lever))
        if targets != 1:
            raise ValueError("expected exactly one of path, paths or lever")
        if self.paths is not None and not self.paths:
            raise ValueError("paths: expected at least one field path")
        has_range = self.low is not None or self.high is not None
        if self.values is None and not has_range:
            raise ValueError("expected values (a list) or a range (low and high)")
        if self.values is not None and len(self.values) == 0:
            raise ValueError("values: empty list; expected at least one value")
        if has_range and (self.low is None or self.high is None or not self.low < self.high):
            raise ValueError(f"empty range: expected low < high, got low={self.low}, high={self.high}")
        return self

    @property
    def bounds(self) -> tuple[float, float]:
        """The range sampled by LHS, Sobol and Saltelli designs."""
        if self.low is not None and self.high is not None:  # both or neither (_check)
            return (self.low, self.high)
        assert self.values is not None  # no range: values (_check)
        nums = [float(v) for v in self.values]
        return (min(nums), max(nums))

    @property
    def field_paths(self) -> list[str]:
        return [self.path] if self.path else list(self.paths or [])


class Design(Strict):
    """How points are chosen."""

    kind: Literal["factorial", "lhs", "sobol", "saltelli", "oat"]
    n: Optional[PositiveInt] = Field(
        default=None,
        description="lhs/sobol: points; saltelli: base samples N (N(d+2) points); oat: levels per parameter",
    )
    seed: int = 0

    @model_validator(mode="after")
    def _check(self):
        if self.kind in ("lhs", "sobol", "saltelli") and self.n is None:
            raise ValueError(f"n: required for a {self.kind} design")
        return self


class Sweep(Strict):
    """A sweep over one base scenario."""

    name: str
    description: str = ""
    base: str = Field(default="default", description="scenario file, relative to the sweep file, or 'default'")
    set: dict[str, Any] = Field(default_factory=dict, description="overrides of the base (e.g. horizon_days)")
    parameters: dict[str, Parameter] = Field(min_length=1)
    design: Design
    replications: PositiveInt = 3
    models: list[str] = Field(default_factory=lambda: ["siloed", "merged"])
    metrics: Optional[list[str]] = None

    @model_validator(mode="after")
    def _check(self):
        if self.design.kind == "factorial":
            missing = [k for k, p in self.parameters.items() if p.values is None]
            if missing:
                raise ValueError(f"design.kind factorial: parameters {missing} need a list of values")
        return self


def _get(raw: dict, path: str):
    node = raw
    for k in path.split("."):
        if not isinstance(node, dict) or k not in node:
            raise KeyError(path)
        node = node[k]
    return node


class SweepPlan:
    """A validated sweep bound to its base scenario: turns parameter values into scenarios."""

    def __init__(self, sweep: Sweep, base: Scenario, source: str):
        self.sweep, self.base, self.source = sweep, base, source
        self.base_raw = base.to_dict()
        errors = []
        for name, p in sweep.parameters.items():
            for path in p.field_paths:
                try:
                    current = _get(self.base_raw, path)
                except KeyError:
                    errors.append(f"parameters.{name}.path: unknown field path {path!r} in the base scenario")
                    continue
                if isinstance(current, (dict, list)):
                    errors.append(f"parameters.{name}.path: {path!r} is a section, not a single value")
                elif p.scale and not isinstance(current, (int, float)):
                    errors.append(f"parameters.{name}.scale: {path!r} is not a number")
        known = base.arm_names()
        errors += [f"models: unknown model {m!r} (expected one of {known})" for m in sweep.models if m not in known]
        names = overall_metric_names()
        errors += [
            f"metrics: unknown metric {m!r} (see summary.csv for the names, e.g. {names[:3]})"
            for m in sweep.metrics or []
            if m not in names
        ]
        if errors:
            raise ScenarioError(source, errors)
        for name, p in sweep.parameters.items():  # the corners of every range must give valid scenarios
            for x in [p.bounds[0], p.bounds[1]] if p.values is None else p.values:
                try:
                    self.scenario({name: x})
                except ScenarioError as exc:
                    raise ScenarioError(
                        source, [f"parameters.{name} = {x!r} gives an invalid scenario: {e}" for e in exc.errors]
                    ) from None

    def base_value(self, name: str) -> float:
        """The parameter's value in the base scenario (1 for a scale factor)."""
        p = self.sweep.parameters[name]
        if p.scale:
            return 1.0
        if p.lever is not None:
            return LEVERS[p.lever][1](self.base_raw)
        v = _get(self.base_raw, p.field_paths[0])
        return 1 - v if p.complement else v

    def value(self, name: str, x):
        """The parameter value actually used for sample ``x`` (rounded if integer)."""
        p = self.sweep.parameters[name]
        return int(round(float(x))) if p.integer else x

    def scenario(self, point: dict[str, Any]) -> Scenario:
        """The scenario of one design point (parameter name -> value)."""
        raw = copy.deepcopy(self.base_raw)
        for name, x in point.items():
            p = self.sweep.parameters[name]
            x = self.value(name, x)
            if p.lever is not None:
                LEVERS[p.lever][0](raw, float(x))
                continue
            for path in p.field_paths:
                current = _get(self.base_raw, path)
                v = current * x if p.scale else (1 - x if p.complement else x)
                if p.scale and isinstance(current, int):  # headcounts stay whole staff
                    v = max(int(round(v)), 1)
                set_path(raw, path, v)
        return build_scenario(raw, f"{self.source} point {point}")


def load_sweep(path: str | Path, overrides: list[str] | None = None) -> SweepPlan:
    """Read and validate a sweep file and its base scenario; errors name the file and field."""
    from ..scenario import apply_overrides

    source = str(path)
    raw = read_yaml(path)
    try:
        sweep = Sweep.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(source, [line for e in exc.errors() for line in _format_error(e)]) from None
    base_path = DEFAULT_SCENARIO_PATH if sweep.base == "default" else Path(path).parent / sweep.base
    base_raw = apply_overrides(read_scenario(base_path), overrides or [])
    for p, v in sweep.set.items():
        set_path(base_raw, p, v, f"{source}: set")
    base = build_scenario(base_raw, str(base_path)).one_street(source, "a sweep")
    return SweepPlan(sweep, base, source)


def sweep_yaml(sweep: Sweep) -> str:
    """The sweep as YAML (for the results folder)."""
    return yaml.safe_dump(sweep.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
