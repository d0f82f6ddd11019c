"""The classroom demo's server without a browser: bad requests, errors and figures."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from sim.demo import server as demo


@pytest.fixture(scope="module")
def url():
    srv, url = demo.serve_in_thread(0)
    yield url
    srv.shutdown()


def _get(url: str):
    try:
        with urllib.request.urlopen(url, timeout=120) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


@pytest.mark.parametrize(
    "query", ["stationed_share=nan", "stationed_share=inf", "stationed_share=7", "stationed_share=abc"]
)
def test_bad_lever_values_are_400(url, query):
    code, body = _get(f"{url}api/run?{query}")
    assert code == 400 and "error" in body


def test_an_unexpected_error_is_a_500_and_the_server_goes_on(url, monkeypatch):
    def broken(levers, *request):
        raise RuntimeError("disk full")

    monkeypatch.setattr(demo, "simulate_levers", broken)
    code, body = _get(f"{url}api/run")
    assert code == 500 and "disk full" in body["error"]
    monkeypatch.undo()
    assert _get(f"{url}api/run?stationed_share=0.3&days=7")[0] == 200


def test_a_run_leaves_no_figure_open():
    from sim.plots import plt

    plt.close("all")
    demo.simulate_levers({k: d[4] for k, d in demo.LEVERS.items()} | {"days": 7})
    assert plt.get_fignums() == []


@pytest.fixture()
def slow(monkeypatch):
    """Each simulation takes 0.6 s and says which setting it ran; the cache starts empty."""
    import time

    ran = []

    def fake(key):
        ran.append(dict(key)["days"])
        time.sleep(0.6)
        return {"days": dict(key)["days"]}

    demo.clear_cache()
    monkeypatch.setattr(demo, "_simulate", fake)
    yield ran
    demo.clear_cache()


def test_a_newer_request_of_the_same_page_supersedes_one_still_waiting(url, slow):
    import threading
    import time

    answers = {}

    def ask(days, n):
        answers[days] = _get(f"{url}api/run?days={days}&page=p1&n={n}")

    first = threading.Thread(target=ask, args=(10, 1))
    first.start()
    time.sleep(0.2)  # the first is running; the next two wait
    waiting = [threading.Thread(target=ask, args=(d, n)) for d, n in ((11, 2), (12, 3))]
    for t in waiting:
        t.start()
        time.sleep(0.05)
    for t in [first, *waiting]:
        t.join()
    assert answers[10][0] == 200 and answers[12][0] == 200
    assert answers[11][0] == 409 and answers[11][1]["superseded"]
    assert slow == [10.0, 12.0]  # the superseded one never ran


def test_a_setting_already_simulated_does_not_wait_behind_a_slow_run(url, slow):
    import threading
    import time

    assert _get(f"{url}api/run?days=20")[0] == 200
    busy = threading.Thread(target=_get, args=(f"{url}api/run?days=21",))
    busy.start()
    time.sleep(0.1)
    t0 = time.perf_counter()
    code, body = _get(f"{url}api/run?days=20")
    took = time.perf_counter() - t0
    busy.join()
    assert code == 200 and body["days"] == 20.0 and took < 0.4  # the slow run takes 0.6 s


def test_the_cache_keeps_a_bounded_number_of_settings(url, slow, monkeypatch):
    monkeypatch.setattr(demo, "CACHE_SIZE", 3)
    for days in range(30, 36):
        assert _get(f"{url}api/run?days={days}")[0] == 200
    assert len(demo._CACHE) == 3
    assert _get(f"{url}api/run?days=35")[0] == 200 and slow.count(35.0) == 1  # the newest kept
    assert _get(f"{url}api/run?days=30")[0] == 200 and slow.count(30.0) == 2  # the oldest dropped
