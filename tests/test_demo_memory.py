"""The classroom demo's memory is bounded: many varied requests, the server measured from outside.

The server runs in a process of its own (the test's own memory, its HTTP client and pytest do
not count) and its resident memory is read from ``/proc/<pid>/status``.  Every request asks for
a setting not asked before, so each one simulates, makes two figures and is cached; the cache
is made small (:data:`CACHE`) so that it fills, and then turns over several times, in well under
a minute of simulation.  Everything the server keeps on purpose is then constant in size: what
still grows is a leak.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from sim.demo import server as demo

LINUX_PROC = pytest.mark.skipif(
    not Path("/proc/self/status").exists(), reason="reads the server's resident memory from /proc/<pid>/status (Linux)"
)

REPO = Path(__file__).resolve().parents[1]
CACHE = 6  # settings the server keeps (the demo's 64 would take minutes to turn over)
WARM = 4 * CACHE  # requests before the first reading: the cache filled, then turned over three times
MEASURED = 4 * CACHE  # requests between the two readings: four more turns of the cache
#: Growth allowed between the two readings (each the median of the SMOOTH readings around it, as
#: one reading moves by a few MiB with the buffers of the run just made).  Measured on the project's
#: 2-core machine: a bounded server moves by 0-6 MiB; the same server keeping one small figure a
#: request alive (the size of the leak this test is for: the unshown figure left in pyplot's registry,
#: ~2 MB a request) grew by 43 MiB over these 24 requests, ~1.8 MiB a request.  The bound is twice
#: the noise and a quarter of that leak: it catches a leak of more than ~0.5 MiB a request.
BOUND_MIB = 12
SMOOTH = 5

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
        yield {
            "demand": 0.5 + 0.05 * (i % 21),
            "stationed_share": 0.05 * (i // 21 % 10),
            "gig_wrong_office": 0.05 * (i % 7),
            "meeting_every_days": 1 + i % 28,
            "days": 7,
        }


@pytest.fixture()
def server():
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(CACHE)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO
    )  # `-c` imports sim from REPO
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


@pytest.mark.slow
@LINUX_PROC
def test_memory_levels_off_once_the_cache_is_full(server):
    pid, url = server
    readings = []
    t0 = time.monotonic()
    for i, levers in enumerate(settings(WARM + MEASURED), 1):
        query = "&".join(f"{k}={v:g}" for k, v in levers.items())
        with urllib.request.urlopen(f"{url}api/run?{query}", timeout=300) as r:
            body = json.loads(r.read())
        assert r.status == 200 and len(body["plots"]) == 2
        readings.append((i, round(rss_mib(pid), 1)))
    took = time.monotonic() - t0
    mib = [m for _, m in readings]
    at_warm = statistics.median(mib[WARM - SMOOTH : WARM])
    at_end = statistics.median(mib[-SMOOTH:])
    growth = at_end - at_warm
    assert growth < BOUND_MIB, (
        f"the server's memory grew by {growth:.1f} MiB from request {WARM} to {WARM + MEASURED} "
        f"(bound {BOUND_MIB} MiB, cache of {CACHE}, {took:.0f} s); (request, MiB): {readings}"
    )


def test_every_simulation_runs_on_one_thread_whichever_request_asks(monkeypatch):
    """Requests come on a new thread each; the runs do not, so that their large buffers come from one
    malloc arena (on the requests' threads, glibc's per-thread arenas each grew to a run's peak: the
    server's memory stepped up by ~15 MiB at a time long after its cache was full)."""
    import threading

    ran_on = []

    def fake(key):
        ran_on.append(threading.get_ident())
        return {"days": dict(key)["days"]}

    demo.clear_cache()
    monkeypatch.setattr(demo, "_simulate", fake)
    asked_on = []

    def ask(days):
        asked_on.append(threading.get_ident())
        assert demo.simulate_levers({"days": days}) == {"days": float(days)}

    threads = [threading.Thread(target=ask, args=(d,)) for d in range(10, 16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    demo.clear_cache()
    assert len(ran_on) == 6 and len(set(ran_on)) == 1 and not set(ran_on) & set(asked_on)


def test_an_error_of_a_run_reaches_its_request(monkeypatch):
    def broken(key):
        raise RuntimeError("disk full")

    demo.clear_cache()
    monkeypatch.setattr(demo, "_simulate", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        demo.simulate_levers({"days": 9})
    monkeypatch.undo()
    demo.clear_cache()
