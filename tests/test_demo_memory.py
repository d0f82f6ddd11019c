"""The classroom demo's memory is bounded: many varied requests, the server measured from outside.

The server runs in a process of its own (the test's own memory, its HTTP client and pytest do
not count) and its resident memory is read from ``/proc/<pid>/status``.  Every request asks for
a setting not asked before, so each one simulates, makes three figures and is cached; the cache
is made small (:data:`CACHE`) so that it fills, and then turns over several times, in well under
a minute of simulation.  Everything the server keeps on purpose is then constant in size: what
still grows is a leak.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(),
                                reason="reads the server's resident memory from /proc/<pid>/status (Linux)")

REPO = Path(__file__).resolve().parents[1]
CACHE = 6           # settings the server keeps (the demo's default is 64: too many to turn over quickly)
WARM = 4 * CACHE    # requests before the first reading: the cache full and turned over three times
MEASURED = 4 * CACHE  # requests between the two readings: four more turns of the cache
#: Growth allowed between the readings.  A leak of the size this test is for (each request's figures
#: or tables kept alive, ~2 MB a request before the figures were closed) grows by ~48 MiB over
#: MEASURED=24 requests; a bounded server moves by a few MiB either way (the allocator's arenas, one
#: cached setting's figures replacing another's), see the trajectory printed when the test fails.
BOUND_MIB = 12

#: The server: the demo's own, in this child, with a small cache; it prints its port, and stops when
#: its standard input closes, so that it dies with the test even if the test process is killed.
SERVER = """
import sys, threading
from sim.demo import server as demo
demo.CACHE_SIZE = int(sys.argv[1])
srv = demo.make_server(0)
print(srv.server_address[1], flush=True)
threading.Thread(target=lambda: (sys.stdin.read(), srv.shutdown()), daemon=True).start()
srv.serve_forever()
"""


def rss_mib(pid: int) -> float:
    line = next(x for x in Path(f"/proc/{pid}/status").read_text().splitlines() if x.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def settings(n: int):
    """``n`` different lever settings, each at the shortest horizon (7 days)."""
    for i in range(n):
        yield {"demand": 0.5 + 0.05 * (i % 21), "stationed_share": 0.05 * (i // 21 % 10),
               "gig_wrong_office": 0.05 * (i % 7), "meeting_every_days": 1 + i % 28, "days": 7}


@pytest.fixture()
def server():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    proc = subprocess.Popen([sys.executable, "-c", SERVER, str(CACHE)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, cwd=REPO, env=env)
    try:
        port = int(proc.stdout.readline())
        yield proc.pid, f"http://127.0.0.1:{port}/"
    finally:
        proc.stdin.close()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_memory_levels_off_once_the_cache_is_full(server):
    pid, url = server
    readings = []
    t0 = time.monotonic()
    for i, levers in enumerate(settings(WARM + MEASURED), 1):
        query = "&".join(f"{k}={v:g}" for k, v in levers.items())
        with urllib.request.urlopen(f"{url}api/run?{query}", timeout=300) as r:
            body = json.loads(r.read())
        assert r.status == 200 and len(body["plots"]) == 3
        readings.append((i, round(rss_mib(pid), 1)))
    took = time.monotonic() - t0
    at_warm, at_end = readings[WARM - 1][1], readings[-1][1]
    growth = at_end - at_warm
    assert growth < BOUND_MIB, (
        f"the server's memory grew by {growth:.1f} MiB over requests {WARM}..{WARM + MEASURED} "
        f"(bound {BOUND_MIB} MiB, cache of {CACHE}, {took:.0f} s): {readings}")
