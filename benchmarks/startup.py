"""How long gridsim takes to open: ``--version``, ``--help``, the default ``run`` with and without plots,
and one demo step (issue 17, item 6: targets 0.3 s, 0.3 s, 2 s with plots, 1 s a step).

    python benchmarks/startup.py [--repeat 5] [--gridsim PATH] [--days 7]

Each command runs as a whole process ``--repeat`` times (after one run to warm the disk cache);
the minimum, median and maximum wall times are printed.  ``--gridsim`` names another install's
``gridsim`` (an older checkout in its own venv) to time the same commands with, interleaved
run by run, and the ratio of the medians (this / other).  The demo step is a request for a new
setting to a server in this process (uncached; the page's default horizon, ``--days``).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

COMMANDS = {
    "--version": ["--version"],
    "--help": ["--help"],
    "run --no-plots": ["run", "--quiet", "--no-plots"],
    "run (report and plots)": ["run", "--quiet"],
}


def wall(argv: list[str], out: Path) -> float:
    extra = ["--out", str(out)] if argv[0] == "run" else []
    t = time.perf_counter()
    subprocess.run([*argv, *extra], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def demo_steps(days: int, repeat: int) -> list[float]:
    from sim.demo import server as demo

    srv, url = demo.serve_in_thread(0)
    times = []
    try:
        for k in range(repeat + 1):  # the first warms the imports
            q = f"days={days}&stationed_share={0.1 + 0.05 * k:g}"  # a new setting each time: no cache
            t = time.perf_counter()
            with urllib.request.urlopen(f"{url}api/run?{q}", timeout=300) as r:
                json.loads(r.read())
            times.append(time.perf_counter() - t)
    finally:
        srv.shutdown()
    return times[1:]


def line(name: str, xs: list[float]) -> str:
    return f"  {name:24s} min {min(xs):6.3f}  median {statistics.median(xs):6.3f}  max {max(xs):6.3f} s"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--gridsim", help="another install's gridsim, timed interleaved with this one")
    ap.add_argument("--days", type=int, default=7, help="the demo step's horizon")
    a = ap.parse_args()
    ours = shutil.which("gridsim") or sys.exit("gridsim is not on PATH: pip install -e . first")
    installs = {"this": ours} | ({"other": a.gridsim} if a.gridsim else {})
    print(f"gridsim start-up, {a.repeat} runs each (after one to warm up); this = {ours}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, argv in COMMANDS.items():
            times: dict[str, list[float]] = {k: [] for k in installs}
            for k in range(a.repeat + 1):
                for who, exe in installs.items():
                    t = wall([exe, *argv], Path(tmp) / f"{who}{k}")
                    if k:
                        times[who].append(t)
            for who, xs in times.items():
                print(line(f"{name} ({who})" if a.gridsim else name, xs))
            if a.gridsim:
                ratio = statistics.median(times["this"]) / statistics.median(times["other"])
                print(f"  {'':24s} this / other = {ratio:.3f}")
    print(line(f"demo step ({a.days} days)", demo_steps(a.days, a.repeat)))


if __name__ == "__main__":
    main()
