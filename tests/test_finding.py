"""The finding in words: what it names follows the documented rules, never a vote count."""

import pandas as pd
import pytest

from sim import finding
from sim.checks import Said
from sim.i18n import using


def _row(metric, better, base, diff, half, model="merged"):
    """A comparison row with a symmetric interval of half-width ``half`` around ``diff``."""
    ratio = (base + diff) / base
    return dict(
        metric=metric,
        better=better,
        model=model,
        baseline="siloed",
        n_reps=20,
        baseline_mean=base,
        diff=diff,
        diff_lo=diff - half,
        diff_hi=diff + half,
        ratio=ratio,
        ratio_lo=(base + diff - half) / base,
        ratio_hi=(base + diff + half) / base,
    )


COMP = pd.DataFrame(
    [
        _row("trips_per_appeal", "lower", 0.6, -0.3, 0.02),  # clear gain, −50%
        _row("citizen_hours_per_appeal", "lower", 1.0, -0.1, 0.02),  # clear gain, −10%
        _row("share_3plus_trips", "lower", 0.08, -0.004, 0.001),  # clear gain, −5%: third, not named
        _row("staff_hours_per_appeal", "lower", 2.7, 0.8, 0.1),  # clear loss
        _row("satisfaction_rate", "higher", 0.89, 0.30, 0.5),  # large but unclear: never named
        _row("resolution_time_p50", "lower", 28.0, 0.5, 1.5),  # the primary metric, unclear
    ]
)


def test_names_the_largest_clear_gains_and_loss_with_intervals():
    text = finding.replicated(COMP, {"merged": 0.0})[0]
    gains, losses = text.split("better on ")[1].split("; worse on ")
    assert "trips per appeal (−50%, CI −53% to −47%)" in gains and "citizen hours per appeal" in gains
    assert "share with 3+ trips" not in text  # only the two largest gains
    assert "staff hours per appeal (+30%" in losses
    # the primary metrics, clear or not (satisfaction large but unclear: not a gain, said as unclear)
    assert "满意率 satisfaction rate not clearly different (+30.0 points" in text
    assert "resolution time P50 (h) not clearly different (+2%, CI −4% to +7%)" in text
    assert "at equal staffed hours" in text and "20 replications" in text


def test_a_rate_is_said_in_points_and_capacity_when_unequal():
    comp = pd.DataFrame([_row("satisfaction_rate", "higher", 0.8, 0.05, 0.01)])
    text = finding.replicated(comp, {"merged": 0.12})[0]
    assert "满意率 satisfaction rate (+5.0 points, CI +4.0 points to +6.0 points)" in text
    assert "with 12% more staffed hours" in text


@pytest.mark.parametrize("better", ["lower", "higher"])
def test_the_better_direction_decides_gain_or_loss(better):
    comp = pd.DataFrame([_row("trips_per_appeal", better, 0.6, -0.3, 0.02)])
    text = finding.replicated(comp, {})[0]
    assert ("better on" in text) == (better == "lower") and ("worse on" in text) == (better == "higher")


def test_nothing_clear_is_said_so():
    comp = pd.DataFrame([_row("trips_per_appeal", "lower", 0.6, -0.01, 0.05)])
    assert "no headline metric clearly differs" in finding.replicated(comp, {})[0]


def test_single_run_gives_magnitudes_and_says_it_is_one_replication():
    rows = [("trips_per_appeal", 0.6, 0.3), ("resolution_time_p50", 28.0, 28.1), ("staffed_hours", 100.0, 100.0)]
    s = pd.DataFrame(
        [
            {"model": m, "metric": k, "dimension": "all", "level": "all", "value": v, "n": 1}
            for k, a, b in rows
            for m, v in (("siloed", a), ("merged", b))
        ]
    )
    warn = [
        Said("BACKLOG GROWS under siloed: +9 open issues a day", "BACKLOG GROWS under siloed", "stability"),
        Said("Equal capacity: the same", "", "capacity"),
        "a note that is not a check's",
    ]
    out = finding.single(s, "siloed", warn)
    assert out[0].startswith("merged vs siloed, one replication (no intervals")
    assert "trips per appeal (−50%)" in out[0] and "CI" not in out[0]
    assert "resolution time P50 (h) ±0%" in out[0]  # the primary metric is always said (+0.4%, rounded)
    assert out[1] == "Read with the checks: BACKLOG GROWS under siloed."
    with using("zh"):
        zh = finding.single(s, "siloed", [Said("…", "条线网格下积压增长", "stability")])
    assert zh[0].startswith("多格合一综合网格对比条线网格，单次运行") and "每件跑动次数（−50%）" in zh[0]
    assert zh[1] == "请结合检查项阅读：条线网格下积压增长。"


def test_a_metric_that_restates_another_is_not_named_beside_it():
    comp = pd.DataFrame(
        [
            _row("share_3plus_trips", "lower", 0.08, -0.07, 0.005),  # −88%: the largest, but it restates trips
            _row("trips_per_appeal", "lower", 0.6, -0.25, 0.02),
            _row("abandonment_rate", "lower", 0.05, -0.01, 0.002),
            _row("satisfaction_rate", "higher", 0.8, 0.09, 0.01),
        ]
    )
    text = finding.replicated(comp, {})[0]
    assert "share with 3+ trips" not in text and "trips per appeal (−42%" in text
    assert "better on trips per appeal" in text
    assert "; 满意率 satisfaction rate +9.0 points (CI +8.0 points to +10.0 points)." in text  # a primary metric
    alone = finding.replicated(comp[comp["metric"] == "share_3plus_trips"], {})[0]
    assert "share with 3+ trips (−7.0 points" in alone  # named when what it restates is not there
