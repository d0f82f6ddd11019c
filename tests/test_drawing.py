"""Figures drawn in a Drawer's processes are the figures drawn here, byte for byte; a failure there is one here."""

from __future__ import annotations

import functools
import json
import multiprocessing
import subprocess
import sys
import threading

import pytest

from sim.cli import main
from sim.drawing import Drawer


SAME = """
from sim import load_scenario, run
from sim.drawing import Drawer
from sim.i18n import using
from sim.plots import recipes
with Drawer(workers=2) as drawer:          # started before any thread, as gridsim run starts it
    assert drawer.processes == 2
    result = run(load_scenario(overrides=["horizon_days=4", "warmup_days=0"]))
    there = drawer.pngs(recipes(result))
    with using("zh"):                      # chosen after the fork, as --lang is: the processes draw in it too
        there_zh = drawer.pngs(recipes(result))
here = Drawer(workers=0).pngs(recipes(result))
with using("zh"):
    here_zh = Drawer(workers=0).pngs(recipes(result))
assert set(there) == {"times.png", "rates.png", "trips.png", "backlog.png"}, set(there)
assert there == here, [k for k in here if here[k] != there[k]]
assert there_zh == here_zh, [k for k in here if here_zh[k] != there_zh[k]]
assert all(here_zh[k] != here[k] for k in here)  # the Chinese figures are other figures
print("ok")
"""


def test_processes_draw_the_same_bytes():
    p = subprocess.run([sys.executable, "-c", SAME], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0 and p.stdout.strip() == "ok", p.stderr


def test_a_process_with_threads_draws_itself():
    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    try:
        assert Drawer(workers=2).processes == 0
    finally:
        stop.set()
        t.join()


def _broken():  # a recipe of its own: pickles by name
    raise ValueError("no such column")


def test_a_recipe_that_fails_there_raises_here():
    with Drawer(workers=1) as drawer, pytest.raises(ValueError, match="no such column"):
        drawer.pngs({"x.png": functools.partial(_broken)})
    assert multiprocessing.active_children() == []  # the drawer stopped its process on leaving


def test_run_draws_every_figure_of_the_page_and_leaves_no_process(tmp_path):
    out = tmp_path / "r"
    assert main(["run", "--days", "4", "--set", "warmup_days=0", "--out", str(out), "--quiet"]) == 0
    page = (out / "report.html").read_text()
    # the four figures of the folder and the two breakdowns that only the page shows
    assert page.count("data:image/png;base64,") == 6
    files = json.loads((out / "provenance.json").read_text())["files"]
    assert {"times.png", "rates.png", "trips.png", "backlog.png"} <= set(files)
    assert multiprocessing.active_children() == []


def test_a_notebook_shows_the_finding_and_the_tables():
    from sim import load_scenario, run

    res = run(load_scenario(overrides=["horizon_days=4", "warmup_days=0"]))
    page = res._repr_html_()
    assert page.startswith("<h4>default: ") and "merged vs siloed, one replication" in page
    rows = page[page.index("<table") :].split("<tr>")
    rate = next(r for r in rows if "<th>满意率 satisfaction rate</th>" in r)
    assert "%</td>" in rate  # a rate in percent, as the report shows it


def test_appeals_come_as_parquet_too(tmp_path):
    import pandas as pd

    out = tmp_path / "r"
    assert main(["run", "--days", "4", "--set", "warmup_days=0", "--out", str(out), "--quiet", "--no-plots"]) == 0
    csv, parquet = pd.read_csv(out / "appeals.csv"), pd.read_parquet(out / "appeals.parquet")
    assert list(parquet.columns) == list(csv.columns) and len(parquet) == len(csv)
    assert (parquet["trips"] == csv["trips"]).all() and "appeals.parquet" in (out / "provenance.json").read_text()


PLUGIN = """
from sim.governance import SiloedPolicy, register


@register
class Tinted(SiloedPolicy):
    name = "tinted"
    label, label_zh, colour = "tinted line grids", "着色的条线网格", "#123456"
"""

LATE_PLUGIN = """
import pandas as pd
from functools import partial
from sim import models
from sim.drawing import Drawer
from sim.plots import backlog_figure
with Drawer(workers=1) as drawer:            # forked before the scenario names its plug-in, as in gridsim run
    models.load(["tinted_model"])
    recipe = {"b.png": partial(backlog_figure, pd.DataFrame({"model": ["tinted"] * 3, "time_h": [0, 24, 48],
                                                             "backlog": [1, 3, 2]}))}
    there = drawer.pngs(recipe)
here = Drawer(workers=0).pngs(recipe)
assert there == here, "the drawing process coloured the plug-in's model otherwise"
print("ok")
"""


def test_a_plug_in_loaded_after_the_fork_draws_in_its_own_colour(tmp_path):
    import os

    (tmp_path / "tinted_model.py").write_text(PLUGIN)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    p = subprocess.run([sys.executable, "-c", LATE_PLUGIN], capture_output=True, text=True, timeout=300, env=env)
    assert p.returncode == 0 and p.stdout.strip() == "ok", p.stderr
