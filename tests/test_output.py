"""The results folder is written as a whole: staged beside itself, renamed into place when complete.

A run that fails or is killed leaves the earlier folder as it was; the hidden partial folder of a
killed run is removed by the next run; the user's files in an earlier results folder survive.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from sim.output import ResultsFolder


class _Scenario:
    """Just what :func:`sim.output.provenance` reads."""

    name, seed = "toy", 1

    def digest(self) -> str:
        return "0" * 16


def _complete(folder: ResultsFolder, **files: str) -> None:
    for name, text in files.items():
        folder.text(name, text)
    folder.provenance(_Scenario(), ["siloed"], "gridsim test", "2026-01-01T00:00:00+00:00", 0.0)


def test_nothing_is_in_place_until_the_provenance_is_written(tmp_path):
    out = tmp_path / "run"
    with ResultsFolder(out) as folder:
        folder.text("summary.csv", "a\n1\n")
        assert not out.exists()
        _complete(folder)
    assert sorted(p.name for p in out.iterdir()) == ["provenance.json", "summary.csv"]
    assert [p.name for p in tmp_path.iterdir()] == ["run"]  # no partial folder left beside it
    assert json.loads((out / "provenance.json").read_text())["complete"] is True


def test_a_failed_run_leaves_the_earlier_folder_as_it_was(tmp_path):
    out = tmp_path / "run"
    with ResultsFolder(out) as folder:
        _complete(folder, **{"summary.csv": "first\n"})
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(ZeroDivisionError):
        with ResultsFolder(out) as folder:
            folder.text("summary.csv", "second\n")
            1 / 0
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_a_writer_that_forgets_the_provenance_is_an_error_not_a_silent_loss(tmp_path):
    with pytest.raises(RuntimeError, match="provenance"):
        with ResultsFolder(tmp_path / "run") as folder:
            folder.text("summary.csv", "x\n")
    assert list(tmp_path.iterdir()) == []


def test_the_users_files_move_into_the_new_folder_and_the_old_runs_files_go(tmp_path):
    out = tmp_path / "run"
    with ResultsFolder(out) as folder:
        folder.folder("events")
        _complete(folder, **{"summary.csv": "first\n", "report.html": "<p>first</p>"})
    (out / "notes.txt").write_text("mine")
    (out / "events" / "rep-000.csv.gz").write_bytes(b"old")
    with ResultsFolder(out) as folder:
        _complete(folder, **{"summary.csv": "second\n"})  # no report.html, no events this time
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt", "provenance.json", "summary.csv"]
    assert (out / "notes.txt").read_text() == "mine" and (out / "summary.csv").read_text() == "second\n"


@pytest.mark.slow
def test_a_killed_runs_partial_folder_is_removed_by_the_next_run(tmp_path):
    out = tmp_path / "run"
    code = (
        f"from sim.output import ResultsFolder; f = ResultsFolder({str(out)!r}); "
        "f.text('summary.csv', 'half'); import time; print('ready', flush=True); time.sleep(60)"
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "ready"
    partial = tmp_path / f".run.partial-{child.pid}"
    assert partial.is_dir() and not out.exists()
    with ResultsFolder(out) as folder:  # the killer's partial folder stays while it lives
        assert partial.is_dir()
        _complete(folder)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    time.sleep(0.1)
    with ResultsFolder(out) as folder:
        assert not partial.exists()
        _complete(folder)
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_in_place_mode_writes_file_by_file_and_keeps_the_rest(tmp_path):
    (tmp_path / "points.csv").write_text("resumable\n")
    (tmp_path / ".summary.md.x.tmp").write_text("left by a killed run")
    folder = ResultsFolder(tmp_path, staged=False)
    folder.text("summary.md", "analysis")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["points.csv", "summary.md"]
