"""What a staffing search varies, what it must reach and what it minimises.

A scenario may declare its search in an ``optimise:`` block; the command line adds to it or
replaces parts (``--vary``, ``--target``, ``--minimise``).  Nothing here runs a simulation.

- a **variable** is a scenario field (any path ``--set`` takes; ``*`` stands for every key of a
  map, so ``departments.*.headcount`` is one variable per department) over a range of levels:
  ``departments.police.headcount=2:12`` (step 1 for whole-number fields),
  ``merged.stationed_share=0.1:0.4:0.05``, or relative to the scenario's value,
  ``departments.*.headcount=x0.5:x2``;
- a **target** is a registered metric, named in English or Chinese, a comparison and a level:
  ``响应率>=0.95``, ``resolution_time_p90<=72``, ``满意率>=95%``;
- the **objective** is a capacity (``staffed_hours``, the default, or ``headcount``) to minimise
  subject to the targets, or a metric to minimise (or maximise) within a ``budget`` of capacity.

>>> parse_target("响应率>=95%")
Target(metric='response_rate', op='>=', level=0.95)
>>> parse_range("x0.5:x2"), parse_range("0.1:0.4:0.05")
((0.5, 2.0, None, True), (0.1, 0.4, 0.05, False))
"""

from __future__ import annotations

import fnmatch
import math
import re
from dataclasses import dataclass
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, field_validator, model_validator

from ..errors import ScenarioError

#: Capacities a search can minimise, or cap with a budget (summed over the arm's offices, after the warm-up).
CAPACITIES = ("staffed_hours", "headcount", "wage_cost")
_OPS = {">=": ">=", "≥": ">=", "<=": "<=", "≤": "<="}
_TARGET = re.compile(r"^\s*(?P<metric>.+?)\s*(?P<op>>=|<=|≥|≤)\s*(?P<level>[-+0-9.eE]+)\s*(?P<pct>%?)\s*$")


class VariableSpec(BaseModel):
    """One decision variable as written in a scenario's ``optimise.variables`` (``path`` may hold ``*``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str = Field(description="a scenario field path; '*' stands for every key of a map (one variable each)")
    low: float
    high: float
    step: Optional[float] = Field(default=None, gt=0, description="default: 1 for whole-number fields, else range/10")
    relative: bool = Field(default=False, description="low and high multiply the scenario's own value")

    @model_validator(mode="after")
    def _range(self):
        if not self.low <= self.high:
            raise ValueError(f"empty range: expected low <= high, got low={self.low}, high={self.high}")
        return self


class OptimiseSpec(BaseModel):
    """The ``optimise:`` block of a scenario: a staffing search (``gridsim optimise``); it changes no run."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    variables: list[VariableSpec] = Field(default_factory=list)
    targets: list[str] = Field(default_factory=list, description="e.g. '响应率>=0.95', 'resolution_time_p90<=72'")
    minimise: Optional[str] = Field(default=None, description="a capacity (default: cost) or a metric")
    maximise: bool = Field(default=False, description="maximise the metric named in minimise instead")
    cost: Literal["staffed_hours", "headcount", "wage_cost"] = "staffed_hours"
    wages: dict[str, float] = Field(
        default_factory=dict,
        description="wage per staffed hour by role (office kind: dept, line, station, leader, stationed, hotline); "
        "1 for a role not named; the cost wage_cost",
    )
    budget: Optional[float] = Field(default=None, gt=0, description="at most this much cost (minimising a metric)")
    trials: PositiveInt = Field(default=120, description="distinct staffings to evaluate, per model")
    replications: PositiveInt = Field(default=5, description="replications a candidate is judged on at first")
    max_replications: PositiveInt = Field(default=20, description="at most, for a candidate near a target")
    confirm_replications: PositiveInt = Field(default=30, description="fresh replications that confirm the choice")

    @field_validator("targets")
    @classmethod
    def _targets(cls, targets: list[str]) -> list[str]:
        for t in targets:
            _checked(parse_target, t)
        return targets

    @field_validator("minimise")
    @classmethod
    def _objective(cls, name: Optional[str]) -> Optional[str]:
        if name is not None and name not in CAPACITIES:
            _checked(find_metric, name)
        return name


def _checked(parse, text: str) -> None:
    """``parse(text)``, its bad input said as pydantic expects (a ValueError), for ``gridsim validate``."""
    try:
        parse(text, "optimise")
    except ScenarioError as exc:
        raise ValueError("; ".join(exc.errors)) from None


@dataclass(frozen=True)
class Target:
    """``metric op level``: met when the one-sided bound of the metric's mean clears ``level``."""

    metric: str
    op: Literal[">=", "<="]
    level: float

    def met(self, value: float) -> bool:
        """Whether ``value`` (a mean or a bound) meets the target; NaN never does.

        >>> Target("response_rate", ">=", 0.95).met(0.96), Target("response_rate", ">=", 0.95).met(float("nan"))
        (True, False)
        """
        if math.isnan(value):
            return False
        return value >= self.level if self.op == ">=" else value <= self.level

    def slack(self, value: float) -> float:
        """How far ``value`` is on the good side of the level (negative: short of it; NaN: inf short)."""
        if math.isnan(value):
            return -math.inf
        return value - self.level if self.op == ">=" else self.level - value

    def text(self, lang: str = "en") -> str:
        """How reports state the target.

        >>> Target("response_rate", ">=", 0.9127).text(), Target("resolution_time_p90", "<=", 72).text()
        ('响应率 response rate ≥ 91.3%', 'resolution time P90 (h) ≤ 72')
        """
        from ..metrics import METRICS, is_rate

        m = METRICS.get(self.metric)
        name = m.label_in(lang) if m else self.metric
        level = f"{100 * self.level:.1f}%" if is_rate(self.metric) else f"{self.level:.4g}"
        return f"{name} {'≥' if self.op == '>=' else '≤'} {level}"


def metric_names() -> list[str]:
    """Every metric a target or objective may name (those a replication reports overall)."""
    from ..metrics import overall_metric_names

    return overall_metric_names()


def find_metric(text: str, source: str = "--target") -> str:
    """The metric called ``text``: its name, its Chinese name on Chinese pages, its Chinese term (when one
    metric has it) or its English name.

    >>> find_metric("满意率"), find_metric("回访后满意率"), find_metric("resolution rate")
    ('satisfaction_rate', 'final_satisfaction_rate', 'resolution_rate')
    """
    from ..metrics import METRICS

    text = text.strip()
    names = metric_names()
    if text in names:
        return text
    for ways in (lambda m: m.label_in("zh"), lambda m: m.zh, lambda m: m.en, lambda m: m.label):
        hits = [m.name for m in METRICS.values() if ways(m) and ways(m).lower() == text.lower()]
        if len(hits) == 1:
            return hits[0]
    close = [n for n in names if text.lower() in n] or list(METRICS)
    raise ScenarioError(source, [f"{text!r}: not a metric gridsim reports (expected one of {', '.join(close)})"])


def parse_target(text: str, source: str = "--target") -> Target:
    """``'metric>=level'`` (or ``<=``, ``≥``, ``≤``; a level may end in %)."""
    m = _TARGET.match(str(text))
    if not m:
        raise ScenarioError(source, [f"{text!r}: expected METRIC>=LEVEL or METRIC<=LEVEL, e.g. '响应率>=0.95'"])
    try:
        level = float(m["level"]) / (100.0 if m["pct"] else 1.0)
    except ValueError:
        raise ScenarioError(source, [f"{text!r}: {m['level']!r} is not a number"]) from None
    return Target(find_metric(m["metric"], source), _OPS[m["op"]], level)  # type: ignore[arg-type]


def parse_range(text: str, source: str = "--vary") -> tuple[float, float, float | None, bool]:
    """``LOW:HIGH[:STEP]``, with ``x`` before both bounds for multiples of the scenario's value."""
    parts = str(text).split(":")
    marked = [p.strip().startswith("x") for p in parts[:2]]
    if any(marked) and not all(marked):
        raise ScenarioError(source, [f"{text!r}: both bounds multiples (xLOW:xHIGH) or neither"])
    relative = all(marked) and len(parts) >= 2
    try:
        nums = [float(p.strip().removeprefix("x") if i < 2 else p) for i, p in enumerate(parts)]
    except ValueError:
        nums = []
    if len(nums) not in (2, 3) or not all(math.isfinite(x) for x in nums):
        raise ScenarioError(source, [f"{text!r}: expected LOW:HIGH or LOW:HIGH:STEP (xLOW:xHIGH: multiples)"])
    return nums[0], nums[1], (nums[2] if len(nums) == 3 else None), relative


def parse_variable(text: str, source: str = "--vary") -> VariableSpec:
    """``PATH=LOW:HIGH[:STEP]`` as a :class:`VariableSpec`."""
    path, eq, rng = str(text).partition("=")
    if not eq or not path.strip():
        raise ScenarioError(source, [f"{text!r}: expected PATH=LOW:HIGH[:STEP], e.g. departments.*.headcount=1:12"])
    low, high, step, relative = parse_range(rng, source)
    return _spec(source, path=path.strip(), low=low, high=high, step=step, relative=relative)


def _spec(source: str, **fields: Any) -> VariableSpec:
    from pydantic import ValidationError

    try:
        return VariableSpec(**fields)
    except ValidationError as exc:
        raise ScenarioError(source, [f"{fields['path']}: {e['msg']}" for e in exc.errors()]) from None


@dataclass(frozen=True)
class Variable:
    """One decision variable on one scenario field: its levels, in order, and the scenario's own value."""

    path: str
    levels: tuple[float, ...]
    base: float
    integer: bool

    def value(self, level: float) -> int | float:
        return int(round(level)) if self.integer else float(level)


def expand(spec: VariableSpec, raw: dict, source: str = "--vary") -> list[Variable]:
    """The variables ``spec`` names in scenario data ``raw`` (a ``*`` matches every key of that map).

    >>> raw = {"departments": {"a": {"headcount": 4}, "b": {"headcount": 6}}}
    >>> [(v.path, v.levels) for v in expand(VariableSpec(path="departments.*.headcount", low=0.5, high=1,
    ...  relative=True), raw)]
    [('departments.a.headcount', (2.0, 3.0, 4.0)), ('departments.b.headcount', (3.0, 4.0, 5.0, 6.0))]
    """
    out = []
    if spec.path.split(".")[0] in NOT_STAFFING:
        raise ScenarioError(source, [f"{spec.path}: not a staffing decision ({NOT_STAFFING[spec.path.split('.')[0]]})"])
    for path, base in _matches(raw, spec.path.split("."), [], source):
        base = _effective(raw, path, base)
        if isinstance(base, bool) or not isinstance(base, (int, float)):
            raise ScenarioError(source, [f"{path}: is {base!r}, not a number; only numeric fields can be varied"])
        integer = isinstance(base, int)
        low, high = (spec.low * base, spec.high * base) if spec.relative else (spec.low, spec.high)
        if integer:
            low, high = max(math.ceil(low - 1e-9), 0), math.floor(high + 1e-9)
        if integer and spec.step is not None and spec.step != int(spec.step):
            raise ScenarioError(source, [f"{path}: a whole-number field, so a whole step (got {spec.step:g})"])
        step = spec.step or (1.0 if integer else (high - low) / 10 or 1.0)
        count = int(math.floor((high - low) / step + 1e-9)) + 1
        levels = tuple(sorted({round(low + k * step, 10) for k in range(max(count, 0))}))
        if not levels:
            raise ScenarioError(source, [f"{path}: no level in [{low:g}, {high:g}] for a whole-number field"])
        out.append(Variable(path, tuple(float(x) for x in levels), float(base), integer))
    return out


#: Scenario fields a search may not vary: they are not staffing, and a search would pick what flatters it.
NOT_STAFFING = {
    "seed": "a search would pick lucky random numbers",
    "horizon_days": "it changes what is measured, and the staffed hours",
    "warmup_days": "it changes what is measured",
    "start_date": "it changes what is measured",
    "groups": "the demand",
    "areas": "the street",
    "surges": "the demand",
    "satisfaction": "how citizens judge",
    "city": "the city",
    "models": "what runs",
    "baseline": "what runs",
    "name": "the results' name",
}


def _effective(raw: dict, path: str, value: Any) -> Any:
    """A field's value, or for a field left unset the value that stands for it: a department's stationed share
    is the merged grid's (``merged.stationed_share``) unless it has its own."""
    keys = path.split(".")
    if value is None and len(keys) == 3 and keys[0] == "departments" and keys[2] == "stationed_share":
        return raw["merged"]["stationed_share"]
    return value


def _matches(node: Any, keys: list[str], at: list[str], source: str):
    """``(path, value)`` of every field the dotted ``keys`` (with ``*`` patterns) reach in ``node``."""
    if not keys:
        yield ".".join(at), node
        return
    head, rest = keys[0], keys[1:]
    if not isinstance(node, dict):
        raise ScenarioError(source, [f"{'.'.join(at)}: is not a map, cannot reach {head}"])
    hits = [k for k in node if fnmatch.fnmatchcase(str(k), head)]
    if not hits:
        where = ".".join([*at, head])
        raise ScenarioError(source, [f"{where}: no such field (expected one of {', '.join(map(str, node)) or '—'})"])
    for k in hits:
        yield from _matches(node[k], rest, [*at, str(k)], source)


def default_variables(raw: dict) -> list[VariableSpec]:
    """What a search varies when neither the scenario nor the command line says: every department's
    headcount and every line grid's intake staff, from 1 to twice the scenario's."""
    fields = [(f"departments.{k}.headcount", d["headcount"]) for k, d in raw["departments"].items()]
    fields += [(f"line_grids.{k}.intake_staff", g["intake_staff"]) for k, g in raw["line_grids"].items()]
    return [VariableSpec(path=path, low=1, high=2 * base) for path, base in fields]
