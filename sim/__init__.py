"""gridsim: appeals (诉求) under siloed line grids vs the merged comprehensive grid (多格合一).

>>> import sim
>>> result = sim.run(sim.load_scenario(overrides=["horizon_days=7", "warmup_days=0"]))
>>> sorted(result.appeals["model"].unique())
['merged', 'siloed']
"""

__version__ = "0.1.0"

from .scenario import Scenario, ScenarioError, load_scenario  # noqa: E402
from .run import RunResult, run  # noqa: E402
from .city import CityResult, run_city  # noqa: E402

__all__ = ["Scenario", "ScenarioError", "load_scenario", "run", "RunResult", "run_city", "CityResult", "__version__"]
