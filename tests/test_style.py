"""Importing gridsim's plotting and drawing its figures leave matplotlib's global state alone."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import matplotlib
matplotlib.use("svg")                      # a notebook's or a user's own backend
import matplotlib.pyplot as plt
before = dict(matplotlib.rcParams)
import sim.plots, sim.document, sim.report, sim.sweep.analysis, sim.animate
from sim import run, load_scenario
res = run(load_scenario(overrides=["horizon_days=3", "warmup_days=0"]))
figs = sim.plots.figures(res)
text = [t.get_fontfamily() for t in figs["rates.png"].axes[0].texts + [figs["rates.png"].axes[0].title]]
assert matplotlib.get_backend() == "svg", matplotlib.get_backend()
assert dict(matplotlib.rcParams) == before, "rcParams changed"
assert plt.get_fignums() == [], plt.get_fignums()   # no figure left open in pyplot
assert all("WenQuanYi Micro Hei" in f for f in text), text   # the figures have the CJK font all the same
print("ok")
"""


NO_PYPLOT = """
import sys
import sim.plots, sim.report, sim.document, sim.output
from sim import run, load_scenario
res = run(load_scenario(overrides=["horizon_days=3", "warmup_days=0"]))
doc = sim.report.run_document(res, sim.report.comparison_table(res.summary), "gridsim run")
page = sim.document.render(doc, "html")
assert page.count("data:image/png;base64,") == 2, "the breakdowns are drawn for the page"
assert "matplotlib.pyplot" not in sys.modules, "pyplot imported"
print("ok")
"""


def test_reports_draw_without_pyplot():
    """Figures and reports are made without pyplot: importing it would pick a backend in a notebook."""
    p = subprocess.run([sys.executable, "-c", NO_PYPLOT], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0 and p.stdout.strip() == "ok", p.stderr


def test_plotting_changes_no_global_matplotlib_state():
    p = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0 and p.stdout.strip() == "ok", p.stderr
