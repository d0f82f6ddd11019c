"""Importing gridsim's plotting and drawing its figures leave matplotlib's global state alone."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import matplotlib
matplotlib.use("svg")                      # a notebook's or a user's own backend
import matplotlib.pyplot as plt
before = dict(matplotlib.rcParams)
import sim.plots, sim.html, sim.sweep.analysis, sim.animate
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


def test_plotting_changes_no_global_matplotlib_state():
    p = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0 and p.stdout.strip() == "ok", p.stderr
