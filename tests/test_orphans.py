"""Worker processes die with their parent: ``kill -9`` of a command leaves no orphan behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads parents from /proc (Linux)")
pytestmark = [pytestmark, pytest.mark.slow]


def _children(pid: int) -> set[int]:
    out = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            out.add(int(stat.parent.name))
    return out


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize(
    "command",
    [
        ["compare", "--reps", "60", "--days", "40", "--set", "warmup_days=0", "--workers", "2"],
        [
            "run",
            "--days",
            "30",
            "--set",
            "warmup_days=0",
            "--set",
            "city={streets: {s: {count: 40}}}",
            "--workers",
            "2",
            "--no-plots",
        ],
    ],
)
def test_killing_the_parent_ends_its_workers(tmp_path, command):
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim", *command, "--quiet", "--out", str(tmp_path / "out")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        workers: set[int] = set()
        while len(workers) < 2 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
            workers = _children(proc.pid)
        assert len(workers) >= 2, "the command never started its two workers"
        time.sleep(1.0)  # the workers are at work
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 15
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        left = [w for w in workers if _alive(w)]
        for w in left:  # do not leave them to the rest of the suite
            os.kill(w, signal.SIGKILL)
        assert not left, f"orphan workers still running 15 s after their parent was killed: {left}"
    finally:
        if proc.poll() is None:
            proc.kill()
