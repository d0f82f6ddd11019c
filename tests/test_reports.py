"""report.html: every section is there and its numbers are those of comparison.csv / summary.csv."""

import html as htmllib
import re

import pandas as pd

from sim.metrics import METRICS, ratio_interval
import pytest

pytestmark = pytest.mark.slow

SECTIONS_RUN = [
    "Scenario",
    "Result",
    "Checks before trusting the comparison",
    "Comparison",
    "Plots by model, group and category",
    "Mechanisms that drive the result",
    "Busiest offices",
    "Assumptions",
    "Reproduce",
]
SECTIONS_COMPARE = ["Scenario", "Result", "Comparison with confidence intervals", "Ratios", "Assumptions", "Reproduce"]


def _sections(text):
    return re.findall(r"<h2>(.*?)</h2>", text)


def _same_content(out):
    """report.md and report.html are one content rendered twice: the same sections, the same bullets."""
    md = (out / "report.md").read_text(encoding="utf-8")
    page = (out / "report.html").read_text(encoding="utf-8")
    assert re.findall(r"^## (.*)$", md, re.M) == [htmllib.unescape(h) for h in _sections(page)]
    bullets = [re.sub(r"`([^`]+)`", r"\1", b).replace("**", "") for b in re.findall(r"^- (.*)$", md, re.M)]
    items = [htmllib.unescape(re.sub(r"<[^>]+>", "", li)) for li in re.findall(r"<li>(.*?)</li>", page)]
    assert bullets == items and len(items) > 5


def test_compare_report_sections_and_numbers(gridsim_cli, tmp_path):
    out = tmp_path / "cmp"
    p = gridsim_cli(
        "compare",
        "--reps",
        "3",
        "--days",
        "7",
        "--set",
        "warmup_days=0",
        "--workers",
        "2",
        "--quiet",
        "--out",
        str(out),
    )
    assert p.returncode == 0, p.stderr
    text = (out / "report.html").read_text(encoding="utf-8")
    assert _sections(text) == SECTIONS_COMPARE
    _same_content(out)
    headline = htmllib.unescape(re.search(r'<p class="headline">(.*?)</p>', text).group(1))
    assert headline.startswith("merged vs siloed, 3 replications: ") and "staffed hours" in headline
    assert "http://" not in text.replace("http://www.w3.org", "") and 'src="data:image/png;base64,' in text
    comp = pd.read_csv(out / "comparison.csv")
    cells = [htmllib.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", text)]
    for r in comp.itertuples():  # every number of comparison.csv is on the page, as people read it
        m = METRICS[r.metric]
        assert m.interval(r.baseline_mean, r.baseline_lo, r.baseline_hi) in cells, r.metric
        assert m.interval(r.model_mean, r.model_lo, r.model_hi) in cells, r.metric
        assert m.difference(r.diff, r.diff_lo, r.diff_hi) in cells, r.metric
        assert ratio_interval(r.ratio, r.ratio_lo, r.ratio_hi) in cells, r.metric
    rate = comp[comp["metric"] == "satisfaction_rate"].iloc[0]
    assert f"{100 * rate.model_mean:.1f}% [" in " ".join(cells) and " pt [" in " ".join(cells)  # percent, points
    assert "<th>model</th>" not in text  # one table per pair: no repeated model column
    assert "gridsim compare --reps 3" in htmllib.unescape(text)


def test_run_report_sections_and_numbers(gridsim_cli, tmp_path):
    out = tmp_path / "run"
    p = gridsim_cli("run", "--days", "7", "--set", "warmup_days=0", "--quiet", "--out", str(out))
    assert p.returncode == 0, p.stderr
    text = (out / "report.html").read_text(encoding="utf-8")
    assert _sections(text) == SECTIONS_RUN
    _same_content(out)
    assert "merged vs siloed, one replication" in text.split("<h2>")[0]  # the finding leads the page
    assert text.count("data:image/png;base64,") >= 6  # times, rates, trips, backlog, by group, by category
    s = pd.read_csv(out / "summary.csv")
    s = s[s["dimension"] == "all"].set_index(["model", "metric"])["value"]
    cells = [htmllib.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", text)]
    for model in ("siloed", "merged"):
        assert f"{s[(model, 'resolution_time_p50')]:.2f}" in cells
        assert f"{100 * s[(model, 'satisfaction_rate')]:.1f}%" in cells
    assert "Equal total headcount" in text
    assert f"{s[('merged', 'staffed_hours')]:,.0f}" in cells and "Equal capacity" in text
