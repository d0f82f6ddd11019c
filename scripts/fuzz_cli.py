"""Run the command-line fuzz cases of tests/fuzz_harness.py in bulk and count what happened (issue 16).

tests/test_fuzz_cli.py runs a hundred cases and stops at the first failure; this runs N (default
1000) to the end, on two processes, and prints how many calls exited 0, how many were refused
cleanly (exit 2), and every other outcome grouped by what went wrong, with the first few in full::

    python scripts/fuzz_cli.py --cases 1000 --seed 0 --json fuzz.jsonl
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from hypothesis import HealthCheck, Phase, given, seed, settings

from fuzz_harness import KINDS, report, run_case


def draw(strategy, n: int, master_seed: int) -> list:
    """``n`` values of ``strategy``, the same ones for the same seed (hypothesis drawing, not testing)."""
    drawn: list = []

    @seed(master_seed)
    @settings(
        max_examples=n, database=None, deadline=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck)
    )
    @given(strategy)
    def collect(value):
        drawn.append(value)

    collect()
    return drawn[:n]


def draw_cases(n: int, master_seed: int, batch: int = 100) -> list[dict]:
    """``n`` cases from the test's generators, half of each kind, in runs of ``batch`` with seeds of their own
    (one long run repeats its values more: hypothesis mutates the examples it has)."""
    cases = []
    for k, kind in enumerate(KINDS.values()):
        want = n // len(KINDS) + (k < n % len(KINDS))
        cases += [
            case for b in range(0, want, batch) for case in draw(kind, min(batch, want - b), master_seed * 100_003 + b)
        ]
    return cases


def run_all(cases: list[dict], workers: int, folder: Path) -> list[dict]:
    """Every call of every case, on ``workers`` forked processes (each forks a limited child a call)."""
    pids = []
    for w in range(workers):
        pid = os.fork()
        if pid == 0:
            try:
                with open(folder / f"worker{w}.jsonl", "w", encoding="utf-8") as f:
                    for i in range(w, len(cases), workers):
                        with tempfile.TemporaryDirectory(dir=folder) as root:
                            for r in run_case(cases[i], Path(root)):
                                f.write(json.dumps({"case": i, **r}) + "\n")
                                f.flush()
            finally:
                os._exit(0)
        pids.append(pid)
    for pid in pids:
        os.waitpid(pid, 0)
    rows = [
        json.loads(line)
        for w in range(workers)
        for line in (folder / f"worker{w}.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    return sorted(rows, key=lambda r: r["case"])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cases", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--show", type=int, default=5, help="failures printed in full")
    p.add_argument("--json", type=Path, help="write every call's outcome here, one JSON object a line")
    args = p.parse_args(argv)
    t0 = time.monotonic()
    cases = draw_cases(args.cases, args.seed)
    with tempfile.TemporaryDirectory(prefix="gridsim-fuzz-") as folder:
        rows = run_all(cases, args.workers, Path(folder))
    failed = [r for r in rows if r["problems"]]
    if args.json:
        args.json.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(
        f"{len(cases)} cases (seed {args.seed}), {len(rows)} calls in {time.monotonic() - t0:.0f} s on "
        f"{args.workers} worker(s)"
    )
    print(f"  exit 0:        {sum(r['code'] == 0 and not r['problems'] for r in rows)}")
    print(f"  clean exit 2:  {sum(r['code'] == 2 and not r['problems'] for r in rows)}")
    print(f"  anything else: {len(failed)} calls, in {len({r['case'] for r in failed})} cases")
    for what, n in collections.Counter("; ".join(r["problems"]) for r in failed).most_common():
        print(f"    {n:5d}  {what}")
    for r in failed[: args.show]:
        print("\n" + report(r))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
