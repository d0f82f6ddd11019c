"""The governance models gridsim can run: the two it ships, and plug-ins.

A governance model is a :class:`sim.governance.Policy` subclass in one module: its routing, its
random draws, its offices and staffing rule (``offices``), the scenario block it reads
(``config_block``), its reform switches (``switches``: each way it differs from the baseline, and how
to turn it off under that block; what ``gridsim explain`` decomposes its difference into), and how
reports show it (``label``, ``label_zh``, ``colour``).  The module
registers it with :func:`register`.  Every part of gridsim that lists or tells models apart asks
this registry, so a new model is that module and its registration, nothing else.

A module is loaded

- when a scenario names it in ``plugins:`` (a dotted module path): while the scenario is read,
  and again in each worker process or Dask worker that simulates it; or
- at first use, when an installed package declares it as an entry point of the ``gridsim.models``
  group (``[project.entry-points."gridsim.models"] mymodel = "mypkg.mymodel"``).

>>> names()[:2]
['siloed', 'merged']
>>> get("merged").label_zh
'多格合一综合网格'
>>> [m for m in names() if get(m).switches][:1], get("siloed").switches
(['merged'], ())
>>> get("toy")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
sim.errors.ScenarioError: models: unknown governance model 'toy' (registered: siloed, merged...
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Iterable

from .errors import ScenarioError

if TYPE_CHECKING:
    from .governance.base import Policy

GROUP = "gridsim.models"
_REGISTRY: dict[str, type["Policy"]] = {}
_loaded = False
#: Colours for models that do not bring one, in order of registration (ColorBrewer Dark2).
_SPARE = ("#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666")


def register(cls: type["Policy"]) -> type["Policy"]:
    """Register a policy class under its ``name`` (a class decorator); the same class again is a no-op."""
    name = cls.__dict__.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError(f"{cls.__qualname__}: a governance model needs a `name` of its own")
    old = _REGISTRY.get(name)
    if old is not None and (old.__module__, old.__qualname__) != (cls.__module__, cls.__qualname__):
        raise ValueError(f"governance model {name!r} is registered twice ({old.__module__} and {cls.__module__})")
    own = {cls.config_block or name, f"settings.{name}"}  # its config block, or its plug-in settings
    for s in cls.__dict__.get("switches", ()):
        if s.block not in own:
            where = f"the {s.block} block" if s.block else "the whole scenario"
            raise ValueError(
                f"{cls.__qualname__}: switch {s.name!r} sets {where}, not the model's own block "
                f"({' or '.join(sorted(own))}: its config_block or its settings)"
            )
    _REGISTRY[name] = cls
    # what a model does not say of itself, it does not inherit: a subclass of siloed is not called siloed, and
    # a subclass of merged that changes a step has not said that its switches still make it the siloed process
    for attr, default in (
        ("label", name),
        ("label_zh", ""),
        ("colour", _SPARE[max(len(_REGISTRY) - 3, 0) % len(_SPARE)]),
        ("switches", ()),
    ):
        if attr not in cls.__dict__:
            setattr(cls, attr, default)
    return cls


def _ensure() -> None:
    """Load the shipped models, then the entry points' (once a process)."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    importlib.import_module("sim.governance")
    for ep in entry_points(group=GROUP):
        ep.load()


def load(modules: Iterable[str], source: str = "plugins") -> None:
    """Import each plug-in module (dotted path), so that the models it registers are known."""
    _ensure()
    problems = []
    for m in modules:
        try:
            importlib.import_module(m)
        except Exception as exc:  # any failure to import is bad input: say which module and why
            problems.append(f"{m}: cannot import the plug-in module ({type(exc).__name__}: {exc})")
    if problems:
        raise ScenarioError(source, problems)


def modules() -> list[str]:
    """The modules of every registered model (a process that imports them knows the same models)."""
    _ensure()
    return sorted({cls.__module__ for cls in _REGISTRY.values()})


def names() -> list[str]:
    """Every registered model, the shipped two first."""
    _ensure()
    return list(_REGISTRY)


def get(name: str, plugins: Iterable[str] = ()) -> type["Policy"]:
    """The policy class of model ``name``, importing ``plugins`` (a scenario's) if it is not known yet."""
    if name not in names():
        load(plugins)
    if name not in _REGISTRY:
        raise ScenarioError(
            "models",
            [
                f"unknown governance model {name!r} (registered: {', '.join(_REGISTRY)}; "
                "a plug-in is named in the scenario's plugins: or installed as a "
                f"{GROUP!r} entry point)"
            ],
        )
    return _REGISTRY[name]


def colour(model: str) -> str:
    """The colour of a model in plots; a variant (not a registered model) gets the first spare colour."""
    return _REGISTRY[model].colour if model in names() else _SPARE[0]


def pairs(models: list[str], baseline: str = "siloed") -> list[tuple[str, str]]:
    """``(model, baseline)`` of each comparison: every other model against ``baseline``, or against the first
    model when ``baseline`` is not among ``models`` (a sweep's comparisons; the demo's, with its scenario's baseline).

    >>> pairs(["siloed", "merged", "signposted"])
    [('merged', 'siloed'), ('signposted', 'siloed')]
    >>> pairs(["merged", "signposted"])
    [('signposted', 'merged')]
    """
    base = baseline if baseline in models else models[0]
    return [(m, base) for m in models if m != base]


def area_offices() -> dict[str, str]:
    """Every registered model's kinds of office kept one per area (key ``kind:area``), with their labels."""
    return {k: v for name in names() for k, v in _REGISTRY[name].area_offices.items()}
