"""`gridsim explain`: each reform switch's part in merged − siloed, one at a time and by Shapley values."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.explain import NULL, _coalition, arms, explain, orders, shapley
from sim.governance.reform import SWITCHES, switch
from sim.scenario import load_scenario

from conftest import REPO

SHORT = ["horizon_days=12", "warmup_days=2"]


@pytest.fixture(scope="module")
def default_ex():
    return explain(load_scenario(overrides=SHORT), reps=3, permutations=2)


def _by(ex, metric):
    return ex.table[ex.table["metric"] == metric].set_index("switch")


@pytest.mark.slow
def test_shapley_values_add_up_to_the_total(default_ex):
    for metric, g in default_ex.table.groupby("metric"):
        g = g.set_index("switch")
        parts = g.loc[[s.name for s in default_ex.switches], "shapley"]
        if not math.isnan(g.loc["total", "effect"]):
            assert parts.sum() == pytest.approx(g.loc["total", "effect"], abs=1e-9), metric


@pytest.mark.slow
def test_the_remainder_is_the_total_less_the_single_effects(default_ex):
    g = _by(default_ex, "trips_per_appeal")
    singles = g.loc[[s.name for s in default_ex.switches], "effect"].sum()
    assert g.loc["remainder", "effect"] == pytest.approx(g.loc["total", "effect"] - singles)


@pytest.mark.slow
def test_by_default_merged_is_decomposed_against_the_baseline(default_ex):
    assert (default_ex.model, default_ex.baseline) == ("merged", "siloed")
    # every switch but the extra staff, volunteers and surge leaders (none), the platform (the same in both arms
    # by default) and the whistle (an institution a scenario adds)
    assert [s.name for s in default_ex.switches] == [
        s.name for s in SWITCHES if s.name not in ("extra_staff", "volunteers", "surge_protocol", "platform", "whistle")
    ]
    assert "siloed_mean" in default_ex.table and "merged" in set(default_ex.replications["model"])
    assert set(default_ex.table.loc[default_ex.table["switch"] == "total", "label"]) == {"merged − siloed"}


@pytest.mark.slow
def test_the_platform_scenario_attributes_part_of_the_difference_to_the_platform():
    """Line grids without a shared platform, the grid with one: the merged switch ``platform`` is on, and the
    shared platform is not common to both arms (so explain does not turn it off in both)."""
    sc = load_scenario(REPO / "scenarios" / "institutions" / "platform.yaml", SHORT + ["models=[siloed, merged]"])
    ex = explain(sc, reps=2, permutations=0)
    t = ex.table.set_index(["switch", "metric"])["effect"]
    assert "platform" in {s.name for s in ex.switches} and "common:shared_platform" not in {k for k, _ in t.index}
    assert t[("platform", "staff_hours_per_appeal")] < 0  # merged without its platform works more per appeal


@pytest.mark.slow
def test_a_variant_is_decomposed_with_its_own_settings_under_every_arm():
    """``--model`` a variant of merged: each arm is the variant's settings and the switches off on top."""
    sc = load_scenario(
        overrides=SHORT + ["variants={quick: {policy: merged, set: {merged.joint_meeting.enabled: false}}}"]
    )
    ex_sc, _, on, (side, base) = arms(sc, model="quick")
    assert (side.name, side.policy, base.name) == ("quick", "merged", "siloed")
    assert "joint_meeting" not in {s.name for s in on} and "triage" in {s.name for s in on}
    assert ex_sc.variants["without:triage"].set == {
        "merged.joint_meeting.enabled": False,
        "merged.reform.triage": False,
    }
    assert ex_sc.models[:2] == ["siloed", "quick"]


@pytest.mark.slow
def test_the_null_reform_row_is_exactly_zero(default_ex):
    null = default_ex.table[default_ex.table["switch"] == "null_reform"]
    assert len(null) > 5 and (null["effect"].dropna() == 0).all()


@pytest.mark.slow
def test_with_one_switch_on_its_effect_is_the_whole_difference():
    """Everything but triage off: the total is triage's, alone, one at a time and by Shapley."""
    base = load_scenario(overrides=SHORT)
    offs = [o for s in SWITCHES if s.name != "triage" and s.on(base) for o in s.off(base)]
    ex = explain(load_scenario(overrides=SHORT + offs), reps=3, permutations=2)
    assert [s.name for s in ex.switches] == ["triage"]
    g = _by(ex, "staff_hours_per_appeal")
    assert g.loc["total", "effect"] > 0  # triage is extra work for the grid leader
    assert g.loc["triage", "effect"] == pytest.approx(g.loc["total", "effect"])
    assert g.loc["triage", "shapley"] == pytest.approx(g.loc["total", "effect"])
    assert g.loc["remainder", "effect"] == pytest.approx(0, abs=1e-12)


def test_shapley_on_a_game_with_known_values():
    """v(S) = a·[A] + b·[B] + c·[A and B] + d·[C]: A and B get a + c/2 and b + c/2, C gets d, exactly
    with every order, and on average with random antithetic pairs."""
    on = [switch("one_door"), switch("triage"), switch("stationing")]
    a, b, c, d = 1.0, 2.0, 4.0, -3.0

    def v(members):
        A, B, C = ("one_door" in members, "triage" in members, "stationing" in members)
        return a * A + b * B + c * (A and B) + d * C

    names = [s.name for s in on]
    values = {_coalition(on, m, "merged"): np.array([v(m)]) for k in range(4) for m in itertools.combinations(names, k)}
    every = [list(p) for p in itertools.permutations(names)]
    phi = shapley(values, on, [every], "merged")
    assert phi["one_door"][0] == pytest.approx(a + c / 2)
    assert phi["triage"][0] == pytest.approx(b + c / 2)
    assert phi["stationing"][0] == pytest.approx(d)
    sc = load_scenario()
    sampled = [orders(sc, on, r, 2) for r in range(400)]
    est = shapley({k: np.repeat(x, 400) for k, x in values.items()}, on, sampled, "merged")
    se = est["one_door"].std(ddof=1) / math.sqrt(400)
    assert abs(est["one_door"].mean() - (a + c / 2)) < 4 * se + 1e-12
    assert _coalition(on, [], "merged") == NULL and _coalition(on, names, "merged") == "merged"


def test_orders_are_reproducible_antithetic_pairs():
    sc = load_scenario()
    on = list(SWITCHES[:5])
    o = orders(sc, on, 3, 4)
    assert o == orders(sc, on, 3, 4) and o != orders(sc, on, 4, 4)
    assert o[1] == o[0][::-1] and o[3] == o[2][::-1]
    assert all(sorted(p) == sorted(s.name for s in on) for p in o)


@pytest.mark.slow
def test_cli_explain_writes_its_folder(tmp_path, capsys):
    out = tmp_path / "ex"
    assert (
        main(
            [
                "explain",
                "--reps",
                "2",
                "--days",
                "8",
                "--set",
                "warmup_days=1",
                "--workers",
                "1",
                "--permutations",
                "0",
                "--no-plots",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "One switch off at a time" in text and "Shapley" not in text.split("One switch")[0]
    t = pd.read_csv(out / "explain.csv")
    assert {"total", "remainder", "null_reform", "one_door", "triage"} <= set(t["switch"])
    assert t["shapley"].isna().all()  # none asked for
    assert {"explain.md", "replications.csv", "scenario.yaml", "provenance.json"} <= {p.name for p in out.iterdir()}


@pytest.mark.slow
@pytest.mark.parametrize(
    "argv",
    [
        ["explain", "--reps", "1"],
        ["explain", "--model", "siloed"],  # the baseline: nothing to decompose
        ["explain", "--model", "merged", "--model", "siloed"],  # one model at a time
        ["explain", "--permutations", "-2"],
        # without the one door, 3 grid leaders cannot come from 5 line-station staff
        ["explain", "--set", "merged.grid_leaders_per_area=3"],
    ],
)
def test_cli_explain_refuses_bad_input(argv, tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        code = main(argv + ["--out", str(tmp_path / "x")])
        raise SystemExit(code)
    assert e.value.code == 2
    assert not (tmp_path / "x").exists()


@pytest.mark.slow
def test_a_common_feature_is_turned_off_in_both_arms(default_ex):
    """common:remote_channels = total − (merged − siloed with everyone filing in person), by replication."""
    import sim
    from sim.governance.reform import COMMON

    feature = next(f for f in COMMON if f.name == "remote_channels")
    sc = load_scenario(overrides=SHORT + feature.off(load_scenario(overrides=SHORT)))
    assert all(g.channel_mix == {"in_person": 1.0} for g in sc.groups.values())
    metric = "trips_per_appeal"
    diffs = []
    for rep in range(3):
        s = sim.run(sc, replication=rep, dimensions=("all",)).summary.set_index(["model", "metric"])["value"]
        diffs.append(s[("merged", metric)] - s[("siloed", metric)])
    g = _by(default_ex, metric)
    assert g.loc["common:remote_channels", "effect"] == pytest.approx(g.loc["total", "effect"] - np.mean(diffs))
    assert "common:hard_cases" in g.index and "common:extra_staff" not in g.index


@pytest.mark.slow
def test_extra_stationed_staff_join_the_intake_without_stationing():
    """Every arm stays valid and keeps the headcount when the scenario adds stationed staff."""
    from sim.world import staffing

    sc = load_scenario(overrides=SHORT + ["merged.extra_staff.stationed_per_area=1"])
    off = load_scenario(overrides=SHORT + ["merged.extra_staff.stationed_per_area=1", "merged.reform.stationing=false"])
    assert sum(staffing(sc, "merged").values()) == sum(staffing(off, "merged").values())
    assert staffing(off, "merged")["station:north"] == staffing(sc, "merged")["station:north"] + 1
    ex = explain(sc, reps=2, permutations=2, metrics=["trips_per_appeal"])
    assert "extra_staff" in {s.name for s in ex.switches}
