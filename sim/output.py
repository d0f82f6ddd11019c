"""The results folder, written atomically (temp file, then rename).

An interrupted run never leaves a half-written file: each file appears whole
or not at all, and files from an earlier run are replaced only by complete ones.
"""
from __future__ import annotations

import json
import os
import platform
import tempfile
from pathlib import Path
from typing import Callable

from . import __version__


def atomic_write(path: Path, write: Callable[[str], None]) -> None:
    """Call ``write(tmp_path)`` then rename the temp file onto ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def provenance(result, command: str, started: str, wall_seconds: float) -> dict:
    """Where a results folder came from: versions, scenario hash, seed, command and times."""
    import numpy
    import scipy
    import simpy
    return {
        "package": "gridsim", "version": __version__,
        "scenario": result.scenario.name, "scenario_sha256_16": result.scenario.digest(),
        "seed": result.scenario.seed, "models": list(result.appeals["model"].unique()),
        "command": command, "started_utc": started, "wall_seconds": round(wall_seconds, 3),
        "python": platform.python_version(), "platform": platform.platform(),
        "libraries": {"simpy": simpy.__version__, "numpy": numpy.__version__, "scipy": scipy.__version__},
    }


def write_results(result, out: Path, command: str, started: str, wall_seconds: float,
                  plots: bool = True) -> list[Path]:
    """Write every output of a run into ``out``; returns the paths written."""
    from .report import comparison_table, markdown_report

    out = Path(out)
    written = []

    def put(name: str, write: Callable[[str], None]) -> None:
        atomic_write(out / name, write)
        written.append(out / name)

    put("appeals.csv", lambda p: result.appeals.to_csv(p, index=False))
    put("summary.csv", lambda p: result.summary.to_csv(p, index=False))
    put("utilisation.csv", lambda p: result.utilisation.to_csv(p, index=False))
    put("backlog.csv", lambda p: result.backlog.to_csv(p, index=False))
    put("scenario.yaml", lambda p: Path(p).write_text(result.scenario.to_yaml(), encoding="utf-8"))
    table = comparison_table(result.summary, result.scenario.baseline)
    put("report.md", lambda p: Path(p).write_text(markdown_report(result, table, command), encoding="utf-8"))
    if plots:
        from .plots import figures, plt
        for name, fig in figures(result).items():
            put(name, lambda p, fig=fig: fig.savefig(p, format="png", dpi=110))
            plt.close(fig)
    prov = provenance(result, command, started, wall_seconds)
    put("provenance.json", lambda p: Path(p).write_text(json.dumps(prov, indent=2, ensure_ascii=False),
                                                        encoding="utf-8"))
    return written
