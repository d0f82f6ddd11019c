"""The results folder, written atomically: each file (temp file, then rename) and the folder as a whole.

An interrupted run never leaves a half-written file or a folder that mixes two runs: the run is
staged in a hidden folder beside the results folder and renamed into place when complete.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import platform
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

from . import __version__
from .files import atomic_write  # noqa: F401  (its home was here: older code imports it from sim.output)

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _write_bytes(path: str, png: bytes) -> None:
    Path(path).write_bytes(png)


def provenance(scenario, models: list[str], command: str, started: str, wall_seconds: float, **extra) -> dict:
    """Where a results folder came from: versions, scenario hash, seed, command and times."""
    import numpy
    import scipy
    import simpy

    return {
        "package": "gridsim",
        "version": __version__,
        "scenario": scenario.name,
        "scenario_sha256_16": scenario.digest(),
        "seed": scenario.seed,
        "models": list(models),
        **extra,
        "command": command,
        "started_utc": started,
        "wall_seconds": round(wall_seconds, 3),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "libraries": {"simpy": simpy.__version__, "numpy": numpy.__version__, "scipy": scipy.__version__},
    }


#: What a results folder holds, for folders written before provenance listed its files.
#: .db: a staffing search's study, with the journal SQLite leaves beside it when the search was killed mid-write.
_OUTPUT_SUFFIXES = {
    ".csv",
    ".md",
    ".html",
    ".png",
    ".yaml",
    ".json",
    ".gz",
    ".parquet",
    ".db",
    ".db-journal",
    ".db-wal",
}
_SUBFOLDERS = {"appeals", "events", "evals"}  # the per-street, per-replication and per-staffing subfolders


def _written_by_a_run(p: Path) -> bool:
    """Whether ``p`` is the kind of thing a run writes: an output file, a temp file, or one of its subfolders."""
    if p.is_dir():
        return p.name in _SUBFOLDERS
    return p.suffix in _OUTPUT_SUFFIXES or ".tmp" in p.name


def foreign_entries(out: Path) -> list[str]:
    """What in folder ``out`` a gridsim run did not write: a folder that is not a results folder (no
    ``provenance.json``) and holds anything else is the user's, and no run writes into it.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = (Path(d) / "summary.csv").write_text(""), (Path(d) / "notes.txt").write_text("")
    ...     foreign_entries(Path(d))
    ['notes.txt']
    """
    out = Path(out)
    if not out.is_dir() or (out / "provenance.json").is_file():
        return []
    return sorted(p.name for p in out.iterdir() if not _written_by_a_run(p))


class ResultsFolder:
    """A results folder written as a whole: into a hidden folder beside it, renamed in place at the end.

    Files go into ``.<name>.partial-<pid>`` next to ``out``; :meth:`provenance` writes
    ``provenance.json`` (``"complete": true``, the run's files) last and then puts the new folder
    where ``out`` was.  So ``out`` holds one whole run or the earlier one, never a mix: a run
    killed half-way leaves only its hidden partial folder, which the next run into ``out``
    removes.  Files of the user's in an earlier run's folder (not in its provenance) move into
    the new one.  Used as a context manager, an error discards the partial folder.

    ``staged=False`` writes in place instead, file by file, for folders that grow across runs
    (a sweep's analysis beside its resumable points).

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     f = ResultsFolder(Path(d) / "run")
    ...     f.text("report.md", "hello")
    ...     [p.name for p in Path(d).iterdir()] == [f".run.partial-{os.getpid()}"]  # not yet in place
    True
    """

    def __init__(self, out: Path, staged: bool = True):
        self.out = Path(out)
        self.names: list[str] = []
        self.staged = staged
        self.root = _partial(self.out) if staged else self.out
        if not staged:
            for tmp in self.out.glob(".*.tmp*") if self.out.is_dir() else ():
                tmp.unlink(missing_ok=True)

    def __enter__(self) -> "ResultsFolder":
        return self

    def __exit__(self, kind, exc, tb) -> None:
        if self.staged and self.root.exists():
            shutil.rmtree(self.root, ignore_errors=True)
            if kind is None:
                raise RuntimeError(f"{self.out}: results folder closed before its provenance.json was written")

    @property
    def written(self) -> list[Path]:
        """The files written, where they are (or will be, once the folder is complete)."""
        return [self.out / n for n in self.names]

    def folder(self, name: str) -> Path:
        """A subfolder for files written during the run (event logs, per-street records)."""
        (self.root / name).mkdir(parents=True, exist_ok=True)
        return self.root / name

    def put(self, name: str, write: Callable[[str], object]) -> None:
        """Write ``name`` with ``write(tmp_path)``, atomically."""
        atomic_write(self.root / name, write)
        self.names.append(name)

    def table(self, name: str, df, parquet: bool = False) -> None:
        """``df`` as CSV (shares and full precision); with ``parquet`` also as ``.parquet`` beside it (typed
        columns, read back in a fraction of the time: for the per-appeal and sweep tables)."""
        self.put(name, lambda p: df.to_csv(p, index=False))
        if parquet:
            self.put(name.removesuffix(".csv") + ".parquet", lambda p: df.to_parquet(p, index=False))

    def text(self, name: str, text: str) -> None:
        self.put(name, lambda p: Path(p).write_text(text, encoding="utf-8"))

    def figures(self, figs: dict[str, Figure]) -> dict[str, bytes]:
        """Write each figure as a PNG; returns the PNGs by file name (for a page to embed the same bytes)."""
        from .document import figure_png

        return self.pngs({name: figure_png(fig) for name, fig in figs.items()})

    def pngs(self, pngs: dict[str, bytes]) -> dict[str, bytes]:
        """Write PNGs drawn already (:mod:`sim.drawing`); returns them."""
        for name, png in pngs.items():
            self.put(name, functools.partial(_write_bytes, png=png))
        return pngs

    def provenance(self, scenario, models, command, started, wall_seconds, **extra) -> None:
        """Write provenance.json last, then put the whole folder in place: it is complete."""
        subfolders = sorted(p.name for p in self.root.iterdir() if p.is_dir())
        prov = provenance(scenario, models, command, started, wall_seconds, **extra)
        prov |= {"complete": True, "files": self.names + ["provenance.json"], "folders": subfolders}
        self.text("provenance.json", json.dumps(prov, indent=2, ensure_ascii=False))
        if self.staged:
            _replace(self.out, self.root)


@contextlib.contextmanager
def opened(out: Path | ResultsFolder) -> Iterator[ResultsFolder]:
    """``out`` itself if it is a :class:`ResultsFolder` already (the caller's, opened before the run
    to receive files during it), else a new one on the path, discarded if writing fails."""
    if isinstance(out, ResultsFolder):
        yield out
    else:
        with ResultsFolder(out) as folder:
            yield folder


def _partial(out: Path) -> Path:
    """A new hidden folder beside ``out`` to stage a run in; partial folders of dead runs are removed."""
    out.parent.mkdir(parents=True, exist_ok=True)
    for old in out.parent.iterdir():
        kind, _, pid = old.name.rpartition("-")
        if kind in (f".{out.name}.partial", f".{out.name}.old") and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    folder = out.parent / f".{out.name}.partial-{os.getpid()}"
    shutil.rmtree(folder, ignore_errors=True)  # a pid reused after a killed run
    folder.mkdir()
    return folder


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # someone else's process
        return True
    return True


def _owned(folder: Path) -> set[str]:
    """What in an earlier results folder its run wrote (what its provenance lists, or any output file)."""
    try:
        prov = json.loads((folder / "provenance.json").read_text(encoding="utf-8"))
        names = set(prov.get("files", [])) | set(prov.get("folders", []))
    except (OSError, ValueError, AttributeError):
        names = set()
    if len(names) <= 1:  # written before provenance listed its files: the kinds of thing runs write
        names |= {p.name for p in folder.iterdir() if _written_by_a_run(p)}
    return names | _SUBFOLDERS | {"provenance.json"} | {p.name for p in folder.glob(".*.tmp*")}


def _replace(out: Path, new: Path) -> None:
    """Put folder ``new`` where ``out`` is, keeping the user's files of the old one."""
    if not out.exists():
        os.replace(new, out)
        return
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    shutil.rmtree(old, ignore_errors=True)
    os.replace(out, old)
    os.replace(new, out)
    owned = _owned(old)
    for p in old.iterdir():
        if p.name not in owned and not (out / p.name).exists():
            os.replace(p, out / p.name)
    shutil.rmtree(old, ignore_errors=True)


#: The tables written as Parquet too: the long ones (a row per appeal).
PARQUET = ("appeals.csv",)


def _write(
    out: Path | ResultsFolder,
    tables: dict,
    scenario,
    document,
    recipes,
    plots: bool,
    models: list[str],
    command: str,
    started: str,
    wall_seconds: float,
    events=None,
    drawer=None,
    **extra,
) -> list[Path]:
    """A results folder: ``tables`` as CSV, the event log if any, the scenario, the figures (``recipes()``,
    drawn by ``drawer`` if given: see :mod:`sim.drawing`), and the report (``document()``, a
    :class:`~sim.document.Document`) rendered to ``report.md`` and, with the plots, ``report.html``."""
    from .document import render, undrawn
    from .drawing import Drawer

    drawer = drawer or Drawer(workers=0)
    with opened(out) as folder:
        doc = document()
        inline = undrawn(doc) if plots else []  # figures the page shows and the folder does not keep
        wanted = (recipes() | {f"inline:{k}": f.draw for k, f in enumerate(inline)}) if plots else {}
        pending = drawer.submit(wanted)  # a drawer's processes draw while this one writes the tables
        for name, df in tables.items():
            folder.table(name, df, parquet=name in PARQUET)
        if events is not None:
            from . import eventlog

            eventlog.write(events, folder.put)
        folder.text("scenario.yaml", scenario.to_yaml())
        pngs = drawer.collect(pending)
        for k, f in enumerate(inline):
            f.png = pngs.pop(f"inline:{k}")
        folder.pngs(pngs)
        folder.text("report.md", render(doc, "md", pngs))
        if plots:
            folder.text("report.html", render(doc, "html", pngs))
        folder.provenance(scenario, models, command, started, wall_seconds, **extra)
    return folder.written


def write_results(
    result,
    out: Path | ResultsFolder,
    command: str,
    started: str,
    wall_seconds: float,
    plots: bool = True,
    drawer=None,
) -> list[Path]:
    """Write every output of a run into ``out``; returns the paths written. A :class:`~sim.drawing.Drawer`
    draws the figures in processes of their own."""
    from .report import comparison_table, run_document

    def recipes():
        from .plots import recipes

        return recipes(result)

    table = comparison_table(result.summary, result.scenario.baseline)
    tables = {
        "appeals.csv": result.appeals,
        "summary.csv": result.summary,
        "utilisation.csv": result.utilisation,
        "backlog.csv": result.backlog,
    }
    return _write(
        out,
        tables,
        result.scenario,
        lambda: run_document(result, table, command),
        recipes,
        plots,
        [r.model for r in result.runs],
        command,
        started,
        wall_seconds,
        result.events,
        drawer,
    )


def write_city(
    result, out: Path | ResultsFolder, command: str, started: str, wall_seconds: float, plots: bool = True
) -> list[Path]:
    """Write the merged tables of a city run into ``out`` (per-appeal records, if any, are already there)."""
    from .report import city_document, comparison_table

    def recipes():
        from .plots import city_recipes

        return city_recipes(result)

    table = comparison_table(result.summary, result.scenario.baseline)
    tables = {
        "summary.csv": result.summary,
        "utilisation.csv": result.utilisation,
        "backlog.csv": result.backlog,
        "staffing.csv": result.staffing,
        "comparison.csv": table,
        "street_differences.csv": result.differences,
    }
    return _write(
        out,
        tables,
        result.scenario,
        lambda: city_document(result, table, command),
        recipes,
        plots,
        list(result.issues),
        command,
        started,
        wall_seconds,
        streets=len(result.streets),
        issues_per_model=result.issues,
    )


def write_experiment(
    exp, out: Path | ResultsFolder, command: str, started: str, wall_seconds: float, plots: bool = True
) -> list[Path]:
    """Write the outputs of a replicated comparison into ``out``."""
    from .experiment import office_table
    from .report import experiment_document

    def recipes():
        from .plots import forest_figure

        return {"forest.png": functools.partial(forest_figure, exp.comparison)}

    tables = {
        "replications.csv": exp.replications,
        "comparison.csv": exp.comparison,
        "precision.csv": exp.precision,
        "offices.csv": office_table(exp.replications),
    }
    return _write(
        out,
        tables,
        exp.scenario,
        lambda: experiment_document(exp, command),
        recipes,
        plots,
        list(exp.replications["model"].unique()),
        command,
        started,
        wall_seconds,
        replications=exp.n_reps,
    )


def write_explanation(
    ex, out: Path | ResultsFolder, command: str, started: str, wall_seconds: float, plots: bool = True
) -> list[Path]:
    """Write ``explain.csv``, the replications, ``explain.md`` and ``explain.png`` into ``out``."""
    from .explain import markdown

    with opened(out) as folder:
        folder.table("explain.csv", ex.table)
        folder.table("replications.csv", ex.replications)
        folder.text("scenario.yaml", ex.scenario.to_yaml())
        folder.text("explain.md", markdown(ex, command))
        if plots:
            from .plots import explain_figure

            folder.figures({"explain.png": explain_figure(ex.table)})
        folder.provenance(
            ex.scenario,
            list(ex.scenario.models),
            command,
            started,
            wall_seconds,
            replications=ex.n_reps,
            switches=[s.name for s in ex.switches],
        )
    return folder.written
