"""gridsim: appeals (诉求) under siloed line grids vs the merged comprehensive grid (多格合一).

>>> import sim
>>> result = sim.run(sim.load_scenario(overrides=["horizon_days=7"]))
>>> sorted(result.appeals["model"].unique())
['merged', 'siloed']
"""
from .scenario import Scenario, ScenarioError, load_scenario
from .run import RunResult, run

__version__ = "0.1.0"
__all__ = ["Scenario", "ScenarioError", "load_scenario", "run", "RunResult", "__version__"]
