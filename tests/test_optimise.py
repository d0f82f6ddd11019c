"""Staffing optimisation: the parsing, the judgement, and the search against answers known otherwise.

- an M/M/c department whose least c meeting a mean-time target is known from Erlang C: the search
  must find that c;
- two departments in tandem, a few levels each: the search finds the optimum an exhaustive search
  over the same replications finds;
- a search stopped in the middle of a batch continues to the same answer as one never stopped.
"""

import math
import subprocess
import sys

import pandas as pd
import pytest
import yaml

from sim import verification as v
from sim.errors import ScenarioError
from sim.optimise.evaluate import judge
from sim.optimise.search import Problem, open_study, search
from sim.optimise.spec import Target, VariableSpec, expand, find_metric, parse_target, parse_variable

EXP = {"dist": "exponential", "mean": 1.0}
LAM, MU, WAIT = 2.5, 1.0, 1.5  # M/M/c: W(3) = 2.40 h, W(4) = 1.21 h, W(5) = 1.05 h: the least c with W <= 1.5 is 4


def _mmc(days: float = 20.0):
    return v.textbook_scenario(LAM, {"d": EXP}, {"d": 1}, hours=24 * days, warmup_hours=24.0, seed=5)


def _least_c(target: float) -> int:
    """The least c whose M/M/c mean time in system is at most ``target`` (Erlang C)."""
    c = math.floor(LAM / MU) + 1
    while v.erlang_c(c, LAM, MU)[1] + 1 / MU > target:
        c += 1
    return c


def _problem(sc, variables, targets, **kw) -> Problem:
    raw = sc.to_dict()
    vs = [x for s in variables for x in expand(s, raw)]
    return Problem(raw, "siloed", vs, targets, seed=sc.seed, **kw)


# --- parsing -------------------------------------------------------------------------------------


def test_targets_by_name_in_english_or_chinese():
    assert parse_target("响应率>=0.95") == Target("response_rate", ">=", 0.95)
    assert parse_target("满意率 ≥ 95%") == Target("satisfaction_rate", ">=", 0.95)
    assert parse_target("回访后满意率>=0.9").metric == "final_satisfaction_rate"  # which 满意率: the name says
    assert parse_target("resolution_time_p90<=72") == Target("resolution_time_p90", "<=", 72.0)
    assert find_metric("resolution rate") == "resolution_rate"


@pytest.mark.parametrize("bad", ["响应率=0.95", "响应率>=high", "no_such_metric>=1", ">=0.5"])
def test_bad_targets_are_bad_input(bad):
    with pytest.raises(ScenarioError):
        parse_target(bad)


def test_variables_expand_wildcards_and_relative_ranges():
    sc = v.textbook_scenario(1.0, {"a": EXP, "b": EXP}, {"a": 4, "b": 6}, hours=48, warmup_hours=0)
    vs = expand(parse_variable("departments.*.headcount=x0.5:x1.5"), sc.to_dict())
    assert [(x.path, x.levels[0], x.levels[-1], x.integer) for x in vs] == [
        ("departments.a.headcount", 2, 6, True),
        ("departments.b.headcount", 3, 9, True),
    ]
    share = expand(VariableSpec(path="merged.stationed_share", low=0.1, high=0.4, step=0.1), sc.to_dict())[0]
    assert share.levels == (0.1, 0.2, 0.3, 0.4) and not share.integer
    with pytest.raises(ScenarioError, match="no such field"):
        expand(parse_variable("departments.*.heads=1:3"), sc.to_dict())
    with pytest.raises(ScenarioError, match="LOW:HIGH"):
        parse_variable("departments.a.headcount=1")


def test_judgement_is_a_joint_one_sided_bound():
    """Two targets: each bound at 97.5%, one-sided; a target met by the mean but not the bound is undecided."""
    reps = pd.DataFrame({"a": [0.95, 0.97, 0.96, 0.98], "b": [10.0, 12.0, 11.0, 13.0]})
    j = judge(reps, [Target("a", ">=", 0.94), Target("b", "<=", 12.0)])
    t = 3.1824463  # t(0.975, 3)
    assert j.bounds["a"] == pytest.approx(0.965 - t * reps["a"].std() / 2)
    assert j.bounds["b"] == pytest.approx(11.5 + t * reps["b"].std() / 2)
    assert not j.feasible and j.undecided  # b's mean (11.5) meets 12, its bound (13.55) does not
    assert judge(reps.iloc[:1], [Target("a", ">=", 0.5)]).feasible is False  # one replication: no bound


# --- against known answers -----------------------------------------------------------------------


@pytest.mark.slow
def test_finds_the_least_c_of_erlang_c(tmp_path):
    """The least headcount whose mean time in system is at most 1.5 h is Erlang C's c (4), not a neighbour."""
    assert _least_c(WAIT) == 4
    sc = _mmc()
    p = _problem(
        sc,
        [VariableSpec(path="departments.d.headcount", low=1, high=8)],
        [Target("resolution_time_mean", "<=", WAIT)],
        objective="headcount",
        cost="headcount",
        trials=8,
        confirm_replications=10,
    )
    out = search(p, tmp_path, workers=2)
    assert out.chosen == {"departments.d.headcount": _least_c(WAIT)}
    assert out.confirmed is not None and out.confirmed.bounds["resolution_time_mean"] <= WAIT
    at_3 = out.table.set_index("departments.d.headcount").loc[3]
    assert at_3["resolution_time_mean_mean"] > WAIT  # c = 3 is judged, and fails


@pytest.mark.slow
def test_tpe_finds_the_optimum_an_exhaustive_search_finds(tmp_path):
    """Two departments in tandem, five levels each: TPE, judging 15 of the 25 staffings, picks the one the
    exhaustive grid picks, each judged on the same replications (no extra replications, so verdicts match)."""
    sc = v.textbook_scenario(
        1.5,
        {"a": EXP, "b": {"dist": "exponential", "mean": 0.5}},
        {"a": 1, "b": 1},
        hours=24 * 15,
        warmup_hours=24,
        seed=9,
    )
    variables = [VariableSpec(path="departments.*.headcount", low=1, high=5)]
    targets = [Target("resolution_time_mean", "<=", 2.2), Target("resolution_rate", ">=", 0.97)]
    kw = dict(trials=25, replications=4, max_replications=4, confirm_replications=8)
    grid = search(_problem(sc, variables, targets, sampler="grid", **kw), tmp_path / "grid", workers=2)
    tpe = search(_problem(sc, variables, targets, **kw | {"trials": 15}), tmp_path / "tpe", workers=2)
    assert len(grid.table) == 25 and len(tpe.table) == 15
    ok = grid.table[grid.table["meets_targets"]]
    least = ok.loc[ok["staffed_hours"].idxmin()]
    assert grid.chosen == {p: int(least[p]) for p in grid.chosen}
    assert tpe.chosen == grid.chosen
    both = tpe.table.merge(grid.table, on="key", suffixes=("", "_grid"))
    assert (both["resolution_time_mean_mean"] == both["resolution_time_mean_mean_grid"]).all()  # same replications


@pytest.mark.slow
def test_a_stopped_search_continues_to_the_same_answer(tmp_path):
    """A batch asked and never told (the process was killed) is judged again on resuming; the rest follows as if
    never stopped: the same staffings, the same verdicts, the same choice as a search run in one go."""
    sc = _mmc(days=8)
    kw = dict(objective="headcount", cost="headcount", trials=6, confirm_replications=4, batch=2)
    variables = [VariableSpec(path="departments.d.headcount", low=1, high=8)]
    targets = [Target("resolution_time_mean", "<=", 2.0)]
    whole = search(_problem(sc, variables, targets, **kw), tmp_path / "whole")
    p = _problem(sc, variables, targets, **kw | {"trials": 2})
    search(p, tmp_path / "stopped")
    p.trials = 6
    study = open_study(p, tmp_path / "stopped")
    from sim.optimise.search import _distinct, next_batch

    assert len(next_batch(p, study, len(_distinct(study)))) == p.batch  # asked, then the process "dies"
    resumed = search(p, tmp_path / "stopped")
    cols = ["trial", "departments.d.headcount", "n_reps", "resolution_time_mean_mean", "meets_targets"]
    pd.testing.assert_frame_equal(resumed.table[cols], whole.table[cols])
    assert resumed.chosen == whole.chosen


def test_a_folder_of_another_search_is_refused(tmp_path):
    sc = _mmc(days=2)
    variables = [VariableSpec(path="departments.d.headcount", low=3, high=4)]
    open_study(_problem(sc, variables, [Target("resolution_time_mean", "<=", 2.0)]), tmp_path)
    with pytest.raises(ScenarioError, match="different search"):
        open_study(_problem(sc, variables, [Target("resolution_time_mean", "<=", 3.0)]), tmp_path)


# --- the command ---------------------------------------------------------------------------------


def _gridsim(*args, cwd):
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True, cwd=cwd)


def _optimise_mmc(tmp_path, days: float, *args):
    """``gridsim optimise`` (or ``optimize``, the first of ``args``) on the M/M/c street written to a file."""
    path = tmp_path / "mmc.yaml"
    path.write_text(_mmc(days=days).to_yaml())
    return _gridsim(args[0], str(path), "--model", "siloed", *args[1:], cwd=tmp_path)


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--target", "响应率=>0.9"], "METRIC>=LEVEL"),
        (["--target", "响应率>=0.9", "--vary", "departments.nope.headcount=1:3"], "departments.nope: no such field"),
        (["--minimise", "resolution_time_p50"], "needs a budget"),
        (["--target", "响应率>=0.9", "--target", "response_rate>=0.8"], "response_rate: named in more than one"),
        (["--maximise", "staffed_hours", "--budget", "9"], "a capacity is minimised"),
        (["--match", ","], "expected metrics to match"),
        (["--target", "响应率>=0.9", "--vary", "seed=1:3"], "seed: not a staffing decision"),
        (["--target", "响应率>=0.9", "--vary", "departments.*.headcount=x0.5:2"], "both bounds multiples"),
        (["--target", "响应率>=0.9", "--vary", "departments.police.headcount=1:3:0.5"], "a whole step"),
        (["--target", "响应率>=0.9", "--confirm-reps", "10"], "--confirm-reps: 10: expected at least"),
        ([], "at least one target"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(tmp_path, args, expected):
    r = _gridsim("optimise", "--out", str(tmp_path / "o"), "--model", "merged", *args, cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert expected in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_command_writes_a_scenario_that_runs(tmp_path):
    """`gridsim optimize` (either spelling) on a scenario file: the tables, the report and best-<model>.yaml,
    which `gridsim run` takes as it is and whose staffing is the one chosen."""
    r = _optimise_mmc(
        tmp_path,
        6,
        "optimize",
        "--target",
        "resolution_time_mean<=1.5",
        "--vary",
        "departments.d.headcount=3:6",
        "--minimize",
        "headcount",
        "--reps",
        "5",
        "--confirm-reps",
        "5",
        "--max-reps",
        "5",
        "--trials",
        "4",
        "--workers",
        "1",
        "--out",
        "o",
    )
    assert r.returncode == 0, r.stderr
    out = tmp_path / "o"
    for f in ("trials.csv", "chosen.csv", "confirmed.csv", "frontier.csv", "frontier.png", "report.html"):
        assert (out / f).is_file(), f
    assert "the least staffing found" in r.stdout, r.stdout  # M/M/c: W(4) = 1.21 h, W(5) = 1.05 h meet 1.5
    chosen = pd.read_csv(out / "chosen.csv").set_index("variable")["chosen"]
    best = yaml.safe_load((out / "best-siloed.yaml").read_text())
    assert best["departments"]["d"]["headcount"] == chosen["departments.d.headcount"]
    ran = _gridsim("run", str(out / "best-siloed.yaml"), "--no-plots", "--out", "run", cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr


@pytest.mark.slow
def test_match_targets_are_the_partners_means_today(tmp_path):
    """--match: each model's targets are what the other reaches at the scenario's own staffing, on the
    replications the candidates run on first (the partner's means, computed here independently)."""
    from sim.experiment import run_replications
    from sim.optimise.plan import matching, problems
    from sim.optimise.spec import OptimiseSpec

    sc = sim_default(days=21)
    spec = OptimiseSpec(variables=[VariableSpec(path="departments.police.headcount", low=4, high=8)])
    plan = problems(sc, spec, ["siloed", "merged"], "tpe", 4, match=True)
    matching(plan, ["response_rate", "satisfaction_rate"], 3, 2, None, "siloed")
    today = run_replications(sc, range(3)).groupby(["model", "metric"])["value"].mean()
    siloed, merged = plan
    assert merged.targets == [
        Target("response_rate", ">=", today["siloed", "response_rate"]),
        Target("satisfaction_rate", ">=", today["siloed", "satisfaction_rate"]),
    ]
    assert siloed.targets[1] == Target("satisfaction_rate", ">=", today["merged", "satisfaction_rate"])
    assert merged.reference == {
        "model": "siloed",
        "staffed_hours": today["siloed", "staffed_hours"],
        "headcount": today["siloed", "headcount"],
        "replications": 3,
    }


def sim_default(days: float):
    from sim.scenario import load_scenario

    return load_scenario(None, [f"horizon_days={days}", "warmup_days=7"])


@pytest.mark.slow
def test_dask_gives_the_same_search_as_local_processes(tmp_path):
    """--scheduler local: the same staffings, replications and verdicts as two local processes."""
    sc = _mmc(days=6)
    kw = dict(objective="headcount", cost="headcount", trials=4, confirm_replications=3)
    variables = [VariableSpec(path="departments.d.headcount", low=2, high=6)]
    targets = [Target("resolution_time_mean", "<=", 2.0)]
    local = search(_problem(sc, variables, targets, **kw), tmp_path / "local", workers=2)
    dask = search(_problem(sc, variables, targets, **kw), tmp_path / "dask", workers=2, scheduler="local")
    pd.testing.assert_frame_equal(local.table, dask.table)
    assert local.chosen == dask.chosen


def test_staffed_hours_by_role_add_up_to_the_total():
    """The roles a wage is set for (office kinds) split the staffed hours exactly; wage_cost weights them."""
    from sim.optimise.evaluate import replication, wage_cost

    sc = v.textbook_scenario(1.0, {"d": EXP}, {"d": 3}, hours=72, warmup_hours=0)
    _, _, got = replication((sc.to_dict(), "siloed"), ({"departments.d.headcount": 4}, 0))
    roles = {k: h for k, h in got.items() if k.startswith("staffed_hours@")}
    assert set(roles) == {"staffed_hours@dept", "staffed_hours@line"}
    assert sum(roles.values()) == pytest.approx(got["staffed_hours"])
    assert roles["staffed_hours@dept"] == pytest.approx(4 * 72)  # always open, four staff
    reps = pd.DataFrame([got])
    cost = wage_cost(reps, {"dept": 2.0}).iloc[0]
    assert cost == pytest.approx(2 * roles["staffed_hours@dept"] + roles["staffed_hours@line"])


@pytest.mark.slow
def test_an_unreachable_target_is_answered_with_what_binds_it(tmp_path):
    """Siloed 满意率 >= 95% on the default street: no staffing up to twice the headcount reaches it, and with the
    most of everything no office is nearly always busy, so more staff would not move it, and the satisfaction
    model caps it (logistic(b0) = 95.3% with no wait, extra trip or bounce)."""
    from sim.optimise.report import binding

    sc = sim_default(days=28)
    p = Problem(
        sc.to_dict(),
        "siloed",
        [
            x
            for s in [VariableSpec(path="departments.*.headcount", low=1, high=2, relative=True)]
            for x in expand(s, sc.to_dict())
        ],
        [parse_target("满意率>=0.95")],
        trials=6,
        replications=3,
        confirm_replications=3,
        seed=sc.seed,
    )
    out = search(p, tmp_path, workers=2)
    assert out.chosen is None and not out.table["meets_targets"].any()
    (line,) = binding(out)
    assert "满意率" in line and "more staff would not move it" in line and "logistic(b0) = 95.3%" in line, line
    most = out.table[out.table["staffed_hours"] == out.table["staffed_hours"].max()]
    assert (most["satisfaction_rate_mean"] < 0.95).all()
    from sim.optimise.plan import write
    from sim.output import ResultsFolder

    write([out], ResultsFolder(tmp_path, staged=False), "gridsim optimise", plots=False)
    for name in ("trials.csv", "chosen.csv", "confirmed.csv", "frontier.csv"):
        assert len(pd.read_csv(tmp_path / name).columns) > 3, name  # an empty table keeps its columns
    assert "more staff would not move it" in (tmp_path / "report.md").read_text()


def test_a_scenario_declares_its_search(tmp_path):
    """An optimise: block is read and checked with the scenario (a bad target is named at its field, exit 2),
    leaves the resolved scenario and its hash alone, and gives the search its variables and targets."""
    from sim.optimise.plan import merged_spec, problems
    from sim.scenario import load_scenario

    raw = _mmc(days=2).to_dict()
    raw["optimise"] = {
        "variables": [{"path": "departments.*.headcount", "low": 2, "high": 5}],
        "targets": ["resolution_time_mean<=1.5"],
        "cost": "headcount",
        "trials": 7,
    }
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump(raw, allow_unicode=True))
    sc = load_scenario(good)
    assert sc.digest() == _mmc(days=2).digest() and "optimise" not in sc.to_dict()
    (p,) = problems(sc, merged_spec(sc.optimise, trials=None), ["siloed"], "tpe", 4)
    assert [(x.path, x.levels) for x in p.variables] == [("departments.d.headcount", (2.0, 3.0, 4.0, 5.0))]
    assert (p.targets, p.cost, p.trials) == ([Target("resolution_time_mean", "<=", 1.5)], "headcount", 7)
    raw["optimise"]["targets"] = ["满意度>=0.9"]
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(raw, allow_unicode=True))
    r = _gridsim("validate", str(bad), cwd=tmp_path)
    assert r.returncode == 2 and "optimise.targets" in r.stderr and "满意度" in r.stderr, r.stderr


@pytest.mark.slow
def test_the_report_speaks_chinese(tmp_path):
    """--lang zh: the finding, the targets with their definitions, the headings and the method in Chinese."""
    r = _optimise_mmc(
        tmp_path,
        4,
        "optimise",
        "--target",
        "解决率>=0.5",
        "--vary",
        "departments.d.headcount=3:4",
        "--reps",
        "2",
        "--confirm-reps",
        "2",
        "--max-reps",
        "2",
        "--trials",
        "2",
        "--workers",
        "1",
        "--no-plots",
        "--lang",
        "zh",
        "--out",
        "o",
    )
    assert r.returncode == 0, r.stderr
    assert "条线网格：解决率 ≥ 50.0%：期末已办结件数 ÷ 受理诉求件数" in r.stdout  # the target and what it counts
    report = (tmp_path / "o" / "report.md").read_text()
    assert report.startswith("# textbook：人员配置优化")
    assert "条线网格：达到解决率 ≥ 50.0%的最省配置为" in report and "## 方法" in report


def test_a_departments_stationed_share_starts_from_the_grids():
    """departments.*.stationed_share is unset in the default street: each department's share starts from
    merged.stationed_share (its scenario value), and a level set on it is that department's own share."""
    from sim.optimise.evaluate import staffed
    from sim.scenario import load_scenario

    raw = load_scenario(None, []).to_dict()
    vs = expand(parse_variable("departments.*.stationed_share=0.1:0.5:0.1"), raw)
    assert len(vs) == len(raw["departments"]) and {x.base for x in vs} == {raw["merged"]["stationed_share"]}
    assert vs[0].levels == (0.1, 0.2, 0.3, 0.4, 0.5) and not vs[0].integer
    sc = staffed(raw, {vs[0].path: 0.5})
    first = vs[0].path.split(".")[1]
    assert sc.stationed_share(first) == 0.5 and sc.stationed(first) == round(0.5 * sc.departments[first].headcount)


@pytest.mark.slow
def test_the_best_metric_within_a_budget(tmp_path):
    """--minimise a metric within a budget of cost: the M/M/c mean time falls with c, so the answer is the most
    staff the budget allows (headcount 7: five at the department, the line station's two)."""
    sc = _mmc(days=8)
    p = _problem(
        sc,
        [VariableSpec(path="departments.d.headcount", low=3, high=8)],
        [],
        objective="resolution_time_mean",
        cost="headcount",
        budget=7,
        sampler="grid",
        trials=6,
        confirm_replications=3,
    )
    out = search(p, tmp_path)
    assert out.chosen == {"departments.d.headcount": 5}
    assert out.table.loc[out.table["headcount"] > 7, "meets_targets"].eq(False).all()


@pytest.mark.slow
def test_a_search_killed_mid_batch_continues_to_the_same_tables(tmp_path):
    """kill -9 while a search judges its staffings, then the same command again: trials.csv and chosen.csv are
    those of the same search run in one go (the study in SQLite and the replications on disk carry it over)."""
    import os
    import signal
    import time

    args = [
        "--target",
        "resolution_time_mean<=2.0",
        "--vary",
        "departments.d.headcount=1:8",
        "--minimise",
        "headcount",
        "--trials",
        "8",
        "--batch",
        "2",
        "--reps",
        "2",
        "--max-reps",
        "4",
        "--confirm-reps",
        "4",
        "--workers",
        "1",
        "--no-plots",
        "--quiet",
    ]
    path = tmp_path / "mmc.yaml"
    path.write_text(_mmc(days=12).to_yaml())
    whole = _gridsim("optimise", str(path), "--model", "siloed", *args, "--out", "whole", cwd=tmp_path)
    assert whole.returncode == 0, whole.stderr
    cmd = [sys.executable, "-m", "sim", "optimise", str(path), "--model", "siloed", *args, "--out", "cut"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    evals = tmp_path / "cut" / "evals" / "siloed"
    deadline = time.monotonic() + 120
    while len(list(evals.glob("*.csv"))) < 3 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the search ended before it could be killed: give it more to do"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    again = _gridsim("optimise", str(path), "--model", "siloed", *args, "--out", "cut", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    for name in ("trials.csv", "chosen.csv", "confirmed.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "cut" / name), pd.read_csv(tmp_path / "whole" / name))


def test_the_line_grids_vary_no_stationed_share():
    """A department's stationed share is read by the merged grid only: the line grids' search leaves it out (it
    would change nothing there, and merged-only checks would fail their staffings)."""
    from sim.optimise.plan import merged_spec, problems
    from sim.scenario import load_scenario

    sc = load_scenario(None, [])
    spec = merged_spec(
        None,
        targets=["响应率>=0.9"],
        variables=[
            parse_variable("departments.*.stationed_share=0:0.5:0.1"),
            parse_variable("departments.police.headcount=4:8"),
        ],
    )
    siloed, merged = problems(sc, spec, ["siloed", "merged"], "tpe", 4)
    assert [v.path for v in siloed.variables] == ["departments.police.headcount"]
    assert len(merged.variables) == len(sc.departments) + 1


@pytest.mark.slow
def test_a_confirmation_uses_the_replications_asked_for(tmp_path):
    """Run again with fewer confirmation replications: the verdict is on those, not on every fresh one cached,
    and each confirmation is at level 1 - alpha/(k * tries) (Bonferroni over the tries)."""
    from sim.optimise.search import CONFIRM_TRIES

    sc = _mmc(days=6)
    variables = [VariableSpec(path="departments.d.headcount", low=3, high=6)]
    p = _problem(
        sc,
        variables,
        [Target("resolution_time_mean", "<=", 2.0)],
        objective="headcount",
        cost="headcount",
        trials=4,
        replications=3,
        max_replications=3,
        confirm_replications=6,
    )
    assert search(p, tmp_path).confirmed.n == 6
    p.confirm_replications = 4
    again = search(p, tmp_path)
    assert again.confirmed.n == 4 and again.confirmed.level == pytest.approx(1 - 0.05 / CONFIRM_TRIES)


def test_a_search_folder_killed_mid_write_is_still_a_results_folder(tmp_path):
    """SQLite leaves study.db-journal beside study.db when a search dies mid-write: the folder is still the
    search's (the same command continues it), not a folder of the user's that gridsim refuses to touch."""
    from sim.output import foreign_entries

    for name in ("study.db", "study.db-journal", "trials.csv"):
        (tmp_path / name).write_text("")
    (tmp_path / "evals" / "siloed").mkdir(parents=True)
    assert foreign_entries(tmp_path) == []
    (tmp_path / "notes.txt").write_text("")
    assert foreign_entries(tmp_path) == ["notes.txt"]


def test_the_report_states_the_variables_only_one_model_has():
    """By default the merged grid also varies its own levers (grid leaders per area, stationed share): the report
    says so, as docs/fairness.md asks of every difference between the arms."""
    from sim.optimise.plan import merged_spec, problems
    from sim.optimise.report import own_variables
    from sim.optimise.search import Outcome
    from sim.scenario import load_scenario

    plan = problems(load_scenario(None, []), merged_spec(None, targets=["响应率>=0.9"]), ["siloed", "merged"], "tpe", 4)
    said = own_variables([Outcome(p, pd.DataFrame()) for p in plan])
    assert "merged comprehensive grid: merged.grid_leaders_per_area, merged.stationed_share" in said
    assert "siloed line grids:" not in said
    assert own_variables([Outcome(plan[0], pd.DataFrame())]) == ""
