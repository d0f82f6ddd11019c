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


@pytest.mark.parametrize("query", ["stationed_share=nan", "stationed_share=inf", "stationed_share=7",
                                   "stationed_share=abc"])
def test_bad_lever_values_are_400(url, query):
    code, body = _get(f"{url}api/run?{query}")
    assert code == 400 and "error" in body


def test_an_unexpected_error_is_a_500_and_the_server_goes_on(url, monkeypatch):
    def broken(levers):
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
