"""From a work-order log to a scenario: read it (:mod:`.logs`), fit it (:mod:`.fit`), build the scenario
(:mod:`.build`) and write the folder (:func:`write_calibration`), as ``gridsim calibrate`` does."""
from __future__ import annotations

from pathlib import Path

from .build import Calibration, calibrate
from .logs import Log, read_log

__all__ = ["Calibration", "Log", "calibrate", "read_log", "write_calibration"]


def write_calibration(cal: Calibration, log: Log, out: Path, command: str, started: str, wall: float) -> None:
    """``scenario.yaml`` (runs as it is), ``quality.csv``, ``fits.csv`` and ``calibration.html`` in ``out``."""
    from ..output import ResultsFolder
    from .report import calibration_html, scenario_yaml

    folder = ResultsFolder(out)
    folder.text("scenario.yaml", scenario_yaml(cal))
    folder.table("quality.csv", log.quality_frame())
    folder.table("fits.csv", cal.fits)
    folder.text("calibration.html", calibration_html(cal, log, command))
    folder.provenance(cal.scenario, ["siloed"], command, started, wall, log=log.source, format=log.format,
                      fit_window=[str(w) for w in cal.window])
