"""Importing gridsim's plotting and drawing its figures leave matplotlib's global state alone."""

from __future__ import annotations

import subprocess

import pytest
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


def test_the_forest_plot_colours_each_ratio_by_whether_it_is_clearly_better_or_worse():
    import matplotlib.colors as mcolors
    import pandas as pd

    from sim.plots import FOREST_COLOURS, MARKERS, forest_figure

    def row(metric, better, diff, lo, hi):
        return dict(
            metric=metric,
            better=better,
            model="merged",
            baseline="siloed",
            n_reps=5,
            ci_level=0.95,
            diff=diff,
            diff_lo=lo,
            diff_hi=hi,
            ratio=1 + diff,
            ratio_lo=1 + lo,
            ratio_hi=1 + hi,
        )

    comp = pd.DataFrame(
        [
            row("trips_per_appeal", "lower", -0.4, -0.5, -0.3),  # clearly better
            row("staff_hours_per_appeal", "lower", 0.2, 0.1, 0.3),  # clearly worse
            row("satisfaction_rate", "higher", 0.01, -0.02, 0.04),  # not clear
            row("share_3plus_trips", "lower", -0.9, -1.1, -0.7),  # interval below zero: drawn from the floor
        ]
    )
    ax = forest_figure(comp).axes[0]
    assert ax.get_xscale() == "log"
    by_colour = {}
    for line in ax.lines:
        if line.get_marker() in MARKERS:  # the ratios (the caps are lines of their own)
            by_colour.setdefault(mcolors.to_hex(line.get_color()), []).extend(line.get_xdata())
    assert sorted(by_colour[FOREST_COLOURS["better"]]) == pytest.approx([0.1, 0.6])
    assert by_colour[FOREST_COLOURS["worse"]] == pytest.approx([1.2])
    assert by_colour[FOREST_COLOURS["unclear"]] == pytest.approx([1.01])
