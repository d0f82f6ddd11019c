"""Staffing optimisation (``gridsim optimise``): the least staff that meets the targets, in each model.

- :mod:`sim.optimise.spec`: decision variables, targets and the objective, from a scenario's
  ``optimise:`` block or the command line;
- :mod:`sim.optimise.evaluate`: one staffing judged on common replications (one-sided bounds,
  Bonferroni);
- :mod:`sim.optimise.search`: the Optuna study, resumable, with replications added where a verdict
  is close, and the confirmation on fresh replications;
- :mod:`sim.optimise.plan` and :mod:`sim.optimise.report`: from a scenario to searches, and from
  their outcomes to tables, the frontier and the report.
"""
