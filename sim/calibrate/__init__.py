"""From a work-order log to a scenario: read it (:mod:`.logs`), fit it (:mod:`.fit`), build the scenario
(:mod:`.build`) and write the folder (:func:`write_calibration`), as ``gridsim calibrate`` does."""

from __future__ import annotations

from pathlib import Path

from .build import Calibration, calibrate
from .logs import Log, read_log

__all__ = ["Calibration", "Log", "calibrate", "read_log", "write_calibration", "write_fit_check"]


def write_calibration(
    cal: Calibration, log: Log, out: Path, command: str, started: str, wall: float, spread=None, simfit=None, draws=None
) -> None:
    """``scenario.yaml`` (runs as it is), ``quality.csv``, ``fits.csv``, ``calibration.html`` in ``out``,
    ``uncertainty.csv`` and ``bootstrap.csv`` with a bootstrap's ``spread`` and ``draws``, and ``simfit.csv`` with a
    simulation-based fit's table."""
    from ..output import opened
    from .report import calibration_html, scenario_yaml

    with opened(out) as folder:
        folder.text("scenario.yaml", scenario_yaml(cal))
        folder.table("quality.csv", log.quality_frame())
        folder.table("fits.csv", cal.fits)
        if spread is not None:
            folder.table("uncertainty.csv", spread)
        if draws is not None:
            folder.table("bootstrap.csv", draws)
        if simfit is not None:
            folder.table("simfit.csv", simfit)
        folder.text("calibration.html", calibration_html(cal, log, command))
        folder.provenance(
            cal.scenario,
            ["siloed"],
            command,
            started,
            wall,
            log=log.source,
            format=log.format,
            fit_window=[str(w) for w in cal.window],
        )


def write_fit_check(
    fc, log: Log, scenario, out: Path, command: str, started: str, wall: float, plots: bool = True
) -> None:
    """``fit.csv`` and ``fit.html`` (the time-to-close panels) in ``out``."""
    from ..output import opened
    from .report import fit_html

    with opened(out) as folder:
        folder.table("fit.csv", fc.table)
        if plots:
            folder.text("fit.html", fit_html(fc, log, command))
        folder.provenance(
            scenario,
            ["siloed"],
            command,
            started,
            wall,
            log=log.source,
            check_window=[str(w) for w in fc.window],
            replications=fc.reps,
        )
