"""The classroom demo's server without a browser: bad requests, errors, figures, and what it reads from the model
and metric registries (a plug-in model served, the levers of a model the scenario does not run disabled)."""

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


@pytest.mark.slow
def test_a_run_leaves_no_figure_open():
    import matplotlib.pyplot as plt

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


@pytest.mark.slow
def test_the_cache_keeps_a_bounded_number_of_settings(url, slow, monkeypatch):
    monkeypatch.setattr(demo, "CACHE_SIZE", 3)
    for days in range(30, 36):
        assert _get(f"{url}api/run?days={days}")[0] == 200
    assert len(demo._CACHE) == 3
    assert _get(f"{url}api/run?days=35")[0] == 200 and slow.count(35.0) == 1  # the newest kept
    assert _get(f"{url}api/run?days=30")[0] == 200 and slow.count(30.0) == 2  # the oldest dropped


TOY = "signposted"  # the toy plug-in model (tests/plugins/gridsim_toy.py, as in test_plugins.py)


@pytest.fixture()
def scenario_file(tmp_path, monkeypatch):
    """Serve the default scenario with other ``models`` (and the toy plug-in); the cache starts and ends empty."""
    import yaml

    from conftest import REPO

    def serve(models: list[str]):
        raw = yaml.safe_load((REPO / "scenarios" / "default.yaml").read_text(encoding="utf-8"))
        raw |= {"plugins": ["gridsim_toy"], "models": models, "warmup_days": 0}
        path = tmp_path / "demo.yaml"
        path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
        monkeypatch.setitem(demo._BASE, "path", str(path))
        demo.clear_cache()
        return path

    yield serve
    demo.clear_cache()


def test_a_plugin_model_is_served_with_its_rows_label_and_colour(scenario_file):
    from sim import models
    from sim.metrics import METRICS

    scenario_file(["siloed", "merged", TOY])
    data = json.loads(json.dumps(demo.simulate_levers({"days": 7}), allow_nan=False))  # what the page receives
    toy = models.get(TOY)
    assert [m["name"] for m in data["models"]] == ["siloed", "merged", TOY]
    assert data["models"][2] == {"name": TOY, "label": toy.label, "label_zh": toy.label_zh, "colour": toy.colour}
    assert data["baseline"] == "siloed" and data["pairs"] == [["merged", "siloed"], [TOY, "siloed"]]
    assert all(set(row) == {"siloed", "merged", TOY} for row in data["metrics"].values())
    assert data["metrics"]["trips_per_appeal"][TOY] > 0
    # every metric shown is described as the registry describes it, with how to write its values
    assert [d["name"] for d in data["described"]] == list(data["metrics"]) == list(demo.METRICS)
    for d in data["described"]:
        m = METRICS[d["name"]]
        fields = {k: getattr(m, k) for k in ("name", "label", "en", "zh", "unit", "kind", "better")}
        assert {k: d[k] for k in fields} == fields
        percent = m.kind == "rate"  # rates in percent, times in hours (the unit in the label), to 1 and 2 decimals
        assert (d["format"]["scale"], d["format"]["digits"], d["format"]["suffix"]) == (
            (100, 1, "%") if percent else (1, 2, "")
        )
        assert (d["unit"] == "h") == (m.kind == "time") == d["label"].endswith(" (h)")
    count = demo.describe_metric(METRICS["appeals_filed"])["format"]
    assert (count["digits"], count["group"]) == (0, True)  # counts whole (none shown yet, but described so)
    page = demo.page()
    assert toy.label in page and toy.label_zh in page and "disabled" not in page


def test_without_the_merged_model_its_levers_are_disabled_with_a_note(scenario_file):
    scenario_file(["siloed", TOY])
    page = demo.page()
    for lever in demo.MODEL_LEVERS:
        assert f'id="{lever}" name="{lever}"' in page and f'id="{lever}-note"' in page
    assert "this scenario runs no merged model (models: siloed, signposted)" in page
    assert page.count(" disabled>") == len(demo.MODEL_LEVERS)
    data = demo.simulate_levers({"days": 7})
    assert [m["name"] for m in data["models"]] == ["siloed", TOY] and data["pairs"] == [[TOY, "siloed"]]


def test_a_port_in_use_serves_on_the_next_free_one():
    taken = demo.make_server(0)  # another demo holds this port
    try:
        port = taken.server_address[1]
        server = demo.open_server(port)
        try:
            assert port < server.server_address[1] < port + 20
        finally:
            server.server_close()
        with pytest.raises(demo.ScenarioError, match="all in use"):
            demo.open_server(port, tries=1)
    finally:
        taken.server_close()


def test_a_host_that_cannot_be_served_is_a_clear_error_not_a_traceback(capsys):
    from sim.cli import main

    assert main(["demo", "--host", "256.256.256.256", "--port", "8050"]) == 2
    err = capsys.readouterr().err
    assert "--host" in err and "256.256.256.256" in err and "Traceback" not in err
