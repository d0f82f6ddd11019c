"""A governance model is a plug-in: one module (tests/plugins/gridsim_toy.py) and its registration.

The toy model, named in a scenario's ``plugins:``, runs through every command that simulates
(run, compare on worker processes, explain, trace, animate, a two-street city on workers, a sweep
and its analysis) with nothing else in gridsim told of it.  It has a setting of its own
(``settings.signposted.signposting``), which is its one reform switch: ``explain --model signposted``
attributes its difference to it, and with it off the toy is the siloed process (test_null_reform.py).
Conservation and equal staffed hours
for every registered model are in test_conservation.py and test_fairness.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import pytest
import yaml

from sim import models
from sim.governance import SiloedPolicy, register
from sim.scenario import ScenarioError, load_scenario

from conftest import PLUGINS, REPO

TOY = "signposted"


@pytest.fixture(scope="module")
def toy_file(tmp_path_factory):
    raw = yaml.safe_load((REPO / "scenarios" / "default.yaml").read_text(encoding="utf-8"))
    raw |= {"plugins": ["gridsim_toy"], "models": ["siloed", "merged", TOY], "horizon_days": 6, "warmup_days": 0}
    path = tmp_path_factory.mktemp("toy") / "toy.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _cli(*args, cwd):
    env = os.environ | {"PYTHONPATH": os.pathsep.join([str(PLUGINS), os.environ.get("PYTHONPATH", "")])}
    p = subprocess.run(
        [sys.executable, "-m", "sim", *map(str, args)], capture_output=True, text=True, cwd=cwd, env=env, timeout=600
    )
    assert p.returncode == 0, p.stderr
    return p


def _models_in(csv) -> list[str]:
    return list(pd.read_csv(csv)["model"].unique())


def test_the_toy_is_registered_with_what_it_says_of_itself():
    cls = models.get(TOY)
    assert issubclass(cls, SiloedPolicy) and cls.label_zh == "指引清楚的条线网格"
    assert models.colour(TOY) not in (models.colour("siloed"), models.colour("merged"))  # not inherited
    assert cls.staffing(load_scenario()) == models.get("siloed").staffing(load_scenario())


@pytest.mark.slow
def test_the_toy_changes_only_what_it_says(toy_file):
    """Signposting removes the wrong door (a referral that is not a bounce) of those who come in person, and
    changes nothing for appeals filed by hotline or online or found by inspection."""
    import sim

    res = sim.run(load_scenario(toy_file, ["horizon_days=20"]))
    a = res.appeals.set_index(["model", "issue"])
    toy, siloed = a.loc[TOY], a.loc["siloed"]
    assert (toy.index == siloed.index).all()
    wrong_door = lambda x: (x["referrals"] - x["bounces"])[x["channel"] == "in_person"]  # noqa: E731
    assert wrong_door(toy).sum() == 0 and wrong_door(siloed).sum() > 0
    remote = siloed["channel"] != "in_person"
    cols = ["channel", "trips", "referrals", "bounces"]  # (times differ: the queues are shared)
    pd.testing.assert_frame_equal(toy.loc[remote, cols], siloed.loc[remote, cols])


@pytest.mark.slow
def test_run_compare_and_explain_run_the_toy(toy_file, tmp_path):
    _cli("run", toy_file, "--out", tmp_path / "run", "--quiet", cwd=tmp_path)
    assert _models_in(tmp_path / "run" / "summary.csv") == ["siloed", "merged", TOY]
    assert TOY in (tmp_path / "run" / "report.md").read_text(encoding="utf-8")
    _cli("compare", toy_file, "--reps", "2", "--workers", "2", "--out", tmp_path / "cmp", "--quiet", cwd=tmp_path)
    cmp = pd.read_csv(tmp_path / "cmp" / "comparison.csv")
    assert set(cmp["model"]) == {"merged", TOY}
    _cli("explain", toy_file, "--reps", "2", "--workers", "2", "--out", tmp_path / "exp", "--quiet", cwd=tmp_path)
    assert json.loads((tmp_path / "exp" / "provenance.json").read_text())["complete"]
    total = pd.read_csv(tmp_path / "exp" / "explain.csv").query("switch == 'total'")
    assert set(total["label"]) == {"merged − siloed"}  # the first model with switches, not the toy


@pytest.mark.slow
def test_explain_decomposes_the_toy_into_its_own_switch(toy_file, tmp_path):
    _cli(
        "explain", toy_file, "--model", TOY, "--reps", "3", "--permutations", "0", "--out", tmp_path / "exp", "--quiet",
        cwd=tmp_path,
    )  # fmt: skip
    t = pd.read_csv(tmp_path / "exp" / "explain.csv")
    assert {"total", "signposting", "null_reform"} <= set(t["switch"])
    null = t[t["switch"] == "null_reform"]["effect"].dropna()
    assert len(null) and (null == 0).all()  # signposting off: the siloed process, draw for draw
    trips = t[(t["switch"] == "total") & (t["metric"] == "trips_per_appeal")]["effect"].iloc[0]
    alone = t[(t["switch"] == "signposting") & (t["metric"] == "trips_per_appeal")]["effect"].iloc[0]
    assert trips < 0 and alone == pytest.approx(trips)  # one switch: it is the whole difference


def test_explain_refuses_a_model_without_switches(toy_file, tmp_path, capsys, monkeypatch):
    from sim.cli import main

    monkeypatch.setattr(models.get(TOY), "switches", ())
    argv = ["explain", str(toy_file), "--model", TOY, "--reps", "2", "--permutations", "0", "--workers", "1"]
    assert main(argv + ["--out", str(tmp_path / "exp"), "--quiet"]) == 2
    assert (
        f"model {TOY} declares no reform switches; explain decomposes a model's difference into its switches"
        in capsys.readouterr().err
    )
    assert not (tmp_path / "exp").exists()


def test_a_plugin_checks_its_own_settings():
    with pytest.raises(ScenarioError) as exc:
        load_scenario(overrides=["plugins=[gridsim_toy]", "settings.signposted.signposting=maybe"])
    assert any(e.startswith("settings.signposted.signposting: ") for e in exc.value.errors)
    with pytest.raises(ScenarioError, match="the siloed model takes no settings of its own"):
        load_scenario(overrides=["settings.siloed.x=1"])
    assert models.get(TOY).settings(load_scenario()).signposting is True  # the default: on
    assert (
        models.get(TOY).settings(load_scenario(overrides=["settings.signposted.signposting=false"])).signposting
        is False
    )


def test_a_model_declares_its_switches_under_its_own_block():
    from sim.governance.reform import Switch

    class Stray(SiloedPolicy):
        name = "stray"
        switches = (Switch("x", "x", lambda m, sc: True, lambda m, sc: ["reform.x=false"], "merged"),)

    with pytest.raises(ValueError, match="switch 'x' sets the merged block, not the model's own block"):
        register(Stray)
    assert "stray" not in models.names()


@pytest.mark.slow
def test_trace_and_animate_show_the_toy(toy_file, tmp_path):
    p = _cli("trace", toy_file, "--first", "1", cwd=tmp_path)
    assert TOY.upper() in p.stdout
    from sim.animate import animate, sample_day

    sc = load_scenario(toy_file)
    assert list(sample_day(sc, 2, step_minutes=240)["models"]) == ["siloed", "merged", TOY]
    animate(sc, str(tmp_path / "day.gif"), step_minutes=240)  # in this process: the CLI's takes minutes
    assert (tmp_path / "day.gif").stat().st_size > 0


@pytest.mark.slow
def test_a_two_street_city_runs_the_toy_on_worker_processes(toy_file, tmp_path):
    _cli(
        "run",
        toy_file,
        "--set",
        "city={streets: {a: {count: 2}}}",
        "--workers",
        "2",
        "--no-plots",
        "--out",
        tmp_path / "city",
        "--quiet",
        cwd=tmp_path,
    )
    staff = pd.read_csv(tmp_path / "city" / "staffing.csv")
    assert set(staff["model"]) == {"siloed", "merged", TOY} and staff["street"].nunique() == 2


@pytest.mark.slow
def test_a_sweep_and_its_analysis_compare_every_model_with_siloed(toy_file, tmp_path):
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(
        yaml.safe_dump(
            {
                "name": "toy_sweep",
                "base": str(toy_file),
                "models": ["siloed", "merged", TOY],
                "replications": 2,
                "parameters": {
                    "demand": {"paths": ["groups.residents.arrivals_per_day"], "scale": True, "values": [0.8, 1.2]}
                },
                "design": {"kind": "factorial"},
            }
        )
    )
    _cli("sweep", sweep, "--workers", "2", "--out", tmp_path / "sw", "--quiet", cwd=tmp_path)
    _cli("analyze", tmp_path / "sw", cwd=tmp_path)
    ratios = pd.read_csv(tmp_path / "sw" / "ratios.csv")
    assert set(ratios["model"]) == {"merged", TOY} and set(ratios["baseline"]) == {"siloed"}
    assert (tmp_path / "sw" / f"ratio_lines-{TOY}.png").exists()
    assert f"## {TOY} against siloed" in (tmp_path / "sw" / "summary.md").read_text(encoding="utf-8")


def test_a_plugin_that_cannot_be_imported_or_a_model_nobody_registered_is_bad_input(tmp_path):
    with pytest.raises(ScenarioError, match="no_such_module: cannot import the plug-in module"):
        load_scenario(overrides=["plugins=[no_such_module]"])
    with pytest.raises(ScenarioError, match="variants.v.policy: unknown governance model 'nowhere'"):
        load_scenario(overrides=["variants={v: {policy: nowhere}}"])


def test_two_models_of_one_name_are_refused():
    class Impostor(SiloedPolicy):
        name = TOY

    with pytest.raises(ValueError, match="registered twice"):
        register(Impostor)
