"""The classroom demo's memory under many varied requests (target: bounded once the cache is full).

    python benchmarks/demo_memory.py [--requests 1000] [--days 7]

Each request asks for a random lever setting (a short horizon, so that a thousand take minutes);
the server's resident memory is printed every tenth of the way and once the cache is full.  The
cache keeps the last ``sim.demo.server.CACHE_SIZE`` settings, so memory should level off after
that many.  The server runs in this process (a thread), so the figures include the client's few
MiB; ``tests/test_demo_memory.py`` measures a server in a process of its own.
"""

import argparse
import json
import random
import resource
import time
import urllib.request
from pathlib import Path

from sim.demo import server as demo


def rss_mib() -> float:
    status = Path("/proc/self/status")
    if status.exists():
        line = next(x for x in status.read_text().splitlines() if x.startswith("VmRSS:"))
        return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--days", type=int, default=7)
    a = ap.parse_args()
    srv, url = demo.serve_in_thread(0)
    rng = random.Random(1)
    t0 = time.perf_counter()
    print(f"start: {rss_mib():.0f} MiB; cache of {demo.CACHE_SIZE} settings")
    for i in range(1, a.requests + 1):
        levers = {k: round(rng.uniform(lo, hi) / step) * step for k, (_, lo, hi, step, _) in demo.LEVERS.items()}
        levers["days"] = a.days
        q = "&".join(f"{k}={min(max(v, demo.LEVERS[k][1]), demo.LEVERS[k][2]):g}" for k, v in levers.items())
        with urllib.request.urlopen(f"{url}api/run?{q}", timeout=300) as r:
            json.loads(r.read())
        if i % max(a.requests // 10, 1) == 0 or i == demo.CACHE_SIZE:
            full = " (the cache just full)" if i == demo.CACHE_SIZE else ""
            print(f"  after {i:5d} requests: {rss_mib():6.0f} MiB resident, {time.perf_counter() - t0:6.0f} s{full}")
    srv.shutdown()


if __name__ == "__main__":
    main()
