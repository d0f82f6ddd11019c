"""gridsim: appeals (诉求) under siloed line grids vs the merged comprehensive grid (多格合一).

>>> import sim
>>> result = sim.run(sim.load_scenario(overrides=["horizon_days=7", "warmup_days=0"]))
>>> sorted(result.appeals["model"].unique())
['merged', 'siloed']

The names below are imported when first used (PEP 562), so ``gridsim --help`` and
``--version`` start without loading pandas or SciPy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: public name -> the module that defines it
_HOMES = {
    "Scenario": "scenario",
    "ScenarioError": "errors",
    "load_scenario": "scenario",
    "run": "simulation",
    "RunResult": "simulation",
    "run_city": "city",
    "CityResult": "city",
}

__all__ = ["Scenario", "ScenarioError", "load_scenario", "run", "RunResult", "run_city", "CityResult", "__version__"]

if TYPE_CHECKING:  # for type checkers and editors; at run time __getattr__ loads them
    from .city import CityResult, run_city
    from .errors import ScenarioError
    from .scenario import Scenario, load_scenario
    from .simulation import RunResult, run


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value  # later uses skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
