"""Parameter sweeps for researchers: designs, parallel and distributed runs, resumable results, analysis.

A sweep file names a base scenario, the parameters to vary (scenario fields by
dotted path, or named levers), a design (factorial, Latin hypercube, Sobol,
Saltelli, one-at-a-time) and replications per point; every point runs both
models with common random numbers.
"""

from .spec import Sweep, load_sweep

__all__ = ["Sweep", "load_sweep"]
