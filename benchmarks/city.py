"""The Shanghai year: wall time and peak memory of a whole-city run of both models.

    python benchmarks/city.py [--workers 2] [--days 365] [--appeals]

Runs ``gridsim run scenarios/shanghai.yaml`` in a subprocess and samples the
resident memory of it and all its worker processes together (from /proc) every
0.2 s; prints wall time, issues per model, throughput and the peak total RSS.
Targets (issue 6): under 10 minutes and under 4 GB on the project's 2-core machine.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def tree_rss_mib(pid: int) -> float:
    """Resident memory of ``pid`` and its descendants, MiB (Linux /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        p = int(entry)
        children.setdefault(int(fields[1]), []).append(p)
        rss[p] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo += children.get(p, [])
    return total / 2**20


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--days", type=float, default=None, help="shorter horizon for a quick look")
    ap.add_argument("--appeals", action="store_true", help="also write per-appeal records")
    args = ap.parse_args()
    out = Path(tempfile.mkdtemp(prefix="gridsim-shanghai-"))
    cmd = [
        sys.executable,
        "-m",
        "sim",
        "run",
        str(ROOT / "scenarios" / "shanghai.yaml"),
        "--quiet",
        "--workers",
        str(args.workers),
        "--out",
        str(out),
    ]
    cmd += ["--days", str(args.days)] if args.days else []
    cmd += ["--appeals"] if args.appeals else []
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT)
    peak = 0.0
    while proc.poll() is None:
        peak = max(peak, tree_rss_mib(proc.pid))
        time.sleep(0.2)
    wall = time.perf_counter() - t0
    if proc.returncode:
        sys.exit(f"gridsim failed with exit code {proc.returncode}")
    import json

    prov = json.loads((out / "provenance.json").read_text())
    n = prov["issues_per_model"]
    total = sum(n.values())
    print(
        f"Shanghai, {prov['streets']} streets, {args.days or 365:g} days, {args.workers} worker(s): "
        + ", ".join(f"{m} {k:,} issues" for m, k in n.items())
    )
    print(f"  wall {wall:,.1f} s ({wall / 60:.1f} min; target < 10 min), {total / wall:,.0f} issue-models/s")
    print(f"  peak memory, all processes together: {peak:,.0f} MiB (target < 4096 MiB)")
    print(f"  results in {out}/")


if __name__ == "__main__":
    main()
