"""Real data in and out: calibrating the LA 311 log, and what an event log costs a run.

    python benchmarks/calibrate.py [--log PATH] [--repeat 3] [--bootstrap 20]

Times (best of ``--repeat``): reading and calibrating the LA log (target: under a minute on
two cores), its bootstrap refits, and a default-street run with and without the event log
(the steps recorded, then the CSV, Parquet and XES written), as a ratio within one run.
"""

import argparse
import tempfile
import time
from pathlib import Path

import sim
from sim import eventlog
from sim.calibrate import calibrate, read_log
from sim.calibrate.build import bootstrap_draws
from sim.simulation import run

LA = Path(__file__).resolve().parents[1] / "tests" / "data" / "logs" / "la311_2017.csv.gz"


def best(f, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", type=Path, default=LA)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--bootstrap", type=int, default=20)
    a = ap.parse_args()
    t_read, log = best(lambda: read_log(a.log), a.repeat)
    t_fit, cal = best(lambda: calibrate(log), a.repeat)
    print(
        f"{a.log.name}: {len(log.table):,} requests, {len(cal.scenario.departments)} departments, "
        f"{len(cal.scenario.categories)} categories"
    )
    print(f"  read {t_read:.2f} s, calibrate {t_fit:.2f} s: {t_read + t_fit:.2f} s in all (target < 60 s)")
    t_boot, _ = best(lambda: bootstrap_draws(log, a.bootstrap), 1)
    print(f"  bootstrap, {a.bootstrap} refits: {t_boot:.1f} s ({t_boot / a.bootstrap:.2f} s a refit)")
    sc = sim.load_scenario()
    t_plain, _ = best(lambda: run(sc), a.repeat)
    t_steps, res = best(lambda: run(sc, events=True), a.repeat)
    with tempfile.TemporaryDirectory() as d:
        t_write, _ = best(lambda: eventlog.write(res.events, lambda name, w: w(str(Path(d) / name))), 1)
        sizes = {p.name: p.stat().st_size for p in Path(d).iterdir()}
    print(
        f"  default street run: {t_plain:.2f} s; with the event log's steps {t_steps:.2f} s "
        f"(× {t_steps / t_plain:.2f}); writing {len(res.events):,} events {t_write:.2f} s"
    )
    print("  files: " + ", ".join(f"{k} {v / 1e6:.1f} MB" for k, v in sorted(sizes.items())))


if __name__ == "__main__":
    main()
