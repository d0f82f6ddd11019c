"""The foundation's contract: bad input, reproducibility, common random numbers, conservation,
random valid scenarios (hypothesis) and the default scenario end to end."""
import json

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import make_raw, make_scenario
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from sim.issues import generate_issues
from sim.records import END_STATES
from sim.scenario import DEFAULT_SCENARIO_PATH, build_scenario

# ---------------------------------------------------------------- bad input


def _write(tmp_path, raw_or_text, name="bad.yaml"):
    path = tmp_path / name
    path.write_text(raw_or_text if isinstance(raw_or_text, str) else yaml.safe_dump(raw_or_text, allow_unicode=True))
    return path


def _bad(raw, key, value):
    node = raw
    *head, last = key.split(".")
    for k in head:
        node = node[k]
    node[last] = value
    return raw


BAD = {
    "unknown top-level key": (lambda r: _bad(r, "horizon_dayz", 5), "horizon_dayz: unknown field"),
    "unknown nested key": (lambda r: _bad(r, "departments.alpha.headcont", 3),
                           "departments.alpha.headcont: unknown field"),
    "wrong type": (lambda r: _bad(r, "departments.alpha.headcount", "many"), "departments.alpha.headcount"),
    "negative rate": (lambda r: _bad(r, "groups.residents.arrivals_per_day", -1),
                      "groups.residents.arrivals_per_day: Input should be greater than or equal to 0"),
    "probabilities not summing to 1": (lambda r: _bad(r, "groups.residents.category_mix", {"simple": 0.5,
                                                                                          "double": 0.3}),
                                       "category_mix: probabilities must sum to 1"),
    "unknown department": (lambda r: _bad(r, "categories.simple.departments", ["alpha", "delta"]),
                           "categories.simple.departments: unknown department 'delta'"),
}


@pytest.mark.parametrize("case", list(BAD))
@pytest.mark.parametrize("command", ["validate", "run"])
def test_bad_scenarios_exit_2_with_file_and_field(tmp_path, gridsim_cli, case, command):
    change, expected = BAD[case]
    path = _write(tmp_path, change(make_raw()))
    out = tmp_path / "out"
    args = [command, str(path)] + (["--out", str(out)] if command == "run" else [])
    p = gridsim_cli(*args)
    assert p.returncode == 2
    assert "Traceback" not in p.stderr
    assert str(path) in p.stderr and expected in p.stderr, p.stderr
    assert not out.exists()  # nothing written


@pytest.mark.parametrize("text,expected", [("", "file is empty"), ("name: [unclosed\n", "not valid YAML"),
                                           ("- a\n- b\n", "expected a YAML map")])
def test_empty_or_not_yaml(tmp_path, gridsim_cli, text, expected):
    p = gridsim_cli("validate", str(_write(tmp_path, text)))
    assert p.returncode == 2 and expected in p.stderr and "Traceback" not in p.stderr


def test_missing_file(tmp_path, gridsim_cli):
    p = gridsim_cli("run", str(tmp_path / "nope.yaml"))
    assert p.returncode == 2 and "file not found" in p.stderr


def test_all_errors_at_once(tmp_path, gridsim_cli):
    raw = BAD["unknown top-level key"][0](BAD["negative rate"][0](make_raw()))
    p = gridsim_cli("validate", str(_write(tmp_path, raw)))
    assert p.returncode == 2
    assert "horizon_dayz" in p.stderr and "arrivals_per_day" in p.stderr and "2 problems" in p.stderr


def test_set_overrides(tmp_path, gridsim_cli):
    path = _write(tmp_path, make_raw(), "ok.yaml")
    assert gridsim_cli("validate", str(path), "--set", "departments.alpha.headcount=5").returncode == 0
    p = gridsim_cli("validate", str(path), "--set", "nonsense.path=1")
    assert p.returncode == 2 and "nonsense" in p.stderr and "Traceback" not in p.stderr
    sc = sim.load_scenario(path, ["departments.alpha.headcount=5", "merged.joint_meeting.enabled=false"])
    assert sc.departments["alpha"].headcount == 5 and not sc.merged.joint_meeting.enabled


def test_schema_command(gridsim_cli):
    p = gridsim_cli("schema")
    schema = json.loads(p.stdout)
    assert p.returncode == 0 and {"departments", "groups", "categories", "merged"} <= set(schema["properties"])
    assert schema["additionalProperties"] is False


# ---------------------------------------------------------------- reproducibility and CRN


def test_same_seed_same_bytes_other_seed_differs(tmp_path, gridsim_cli):
    outs = {}
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        outs[name] = tmp_path / name
        p = gridsim_cli("run", "--days", "10", "--seed", str(seed), "--no-plots", "--quiet", "--out", str(outs[name]))
        assert p.returncode == 0, p.stderr
    read = lambda k: (outs[k] / "appeals.csv").read_bytes()  # noqa: E731
    assert read("a") == read("b")
    assert read("a") != read("c")
    # the resolved scenario.yaml repeats the run exactly
    again = tmp_path / "again"
    assert gridsim_cli("run", str(outs["a"] / "scenario.yaml"), "--no-plots", "--quiet", "--out",
                       str(again)).returncode == 0
    assert (again / "appeals.csv").read_bytes() == read("a")
    assert not list(tmp_path.rglob("*.tmp"))


def test_common_random_numbers():
    res = sim.run(sim.load_scenario(overrides=["horizon_days=10"]))
    a = res.appeals
    key = ["issue", "created", "group", "category", "area", "unclear", "hard"]
    s = a[a["model"] == "siloed"][key].reset_index(drop=True)
    m = a[a["model"] == "merged"][key].reset_index(drop=True)
    pd.testing.assert_frame_equal(s, m)
    siloed, merged = (r for r in res.runs)
    from sim.governance import POLICIES
    issues = generate_issues(res.scenario)
    ps = POLICIES["siloed"](siloed.world, issues)
    pm = POLICIES["merged"](merged.world, issues)
    assert np.array_equal(ps.service, pm.service, equal_nan=True)
    assert np.array_equal(ps.patience, pm.patience)


# ---------------------------------------------------------------- conservation


def _check_conservation(res):
    issues = generate_issues(res.scenario)
    expected_g = pd.Series(np.array(issues.groups)[issues.group]).value_counts().sort_index()
    expected_c = pd.Series(np.array(issues.categories)[issues.category]).value_counts().sort_index()
    for model, a in res.appeals.groupby("model"):
        assert a["state"].isin(END_STATES).all()
        assert a["issue"].is_unique and len(a) == len(issues)
        for col, expected in (("group", expected_g), ("category", expected_c)):
            counts = a.groupby([col, "state"]).size().unstack(fill_value=0)
            assert counts.sum(axis=1).sort_index().equals(expected.rename_axis(col).astype(counts.values.dtype)), \
                (model, col)
        res_ = a["state"] == "resolved"
        ab = a["state"] == "abandoned"
        assert a.loc[res_, "resolved"].notna().all() and a.loc[~res_, "resolved"].isna().all()
        assert a.loc[ab, "abandoned"].notna().all() and a.loc[~ab, "abandoned"].isna().all()


def test_conservation_default():
    _check_conservation(sim.run(sim.load_scenario(overrides=["horizon_days=20"])))


# ---------------------------------------------------------------- random valid scenarios

DISTS = st.one_of(
    st.builds(lambda m: {"dist": "exponential", "mean": m}, st.floats(0.05, 3)),
    st.builds(lambda m, c: {"dist": "lognormal", "mean": m, "cv": c}, st.floats(0.05, 3), st.floats(0.1, 1.5)),
    st.builds(lambda m, c: {"dist": "gamma", "mean": m, "cv": c}, st.floats(0.05, 3), st.floats(0.1, 1.5)),
    st.builds(lambda a, b: {"dist": "triangular", "low": a, "mode": a + b / 2, "high": a + b},
              st.floats(0, 1), st.floats(0.1, 2)),
    st.builds(lambda a, b: {"dist": "uniform", "low": a, "high": a + b}, st.floats(0, 1), st.floats(0.1, 2)),
    st.builds(lambda v: {"dist": "fixed", "value": v}, st.floats(0, 2)),
)


@st.composite
def scenarios(draw):
    n_dept = draw(st.integers(1, 4))
    depts = [f"d{k}" for k in range(n_dept)]
    areas = [f"a{k}" for k in range(draw(st.integers(1, 3)))]
    cal = draw(st.sampled_from([{"weekdays": list(range(7)), "hours": [[0, 24]]},
                                {"weekdays": [0, 1, 2, 3, 4], "hours": [[9, 17]]},
                                {"weekdays": [0, 1, 2, 3, 4, 5], "hours": [[8, 12], [13, 20]]}]))
    cats = {}
    for k in range(draw(st.integers(1, 4))):
        need = draw(st.lists(st.sampled_from(depts), min_size=1, max_size=n_dept, unique=True))
        cats[f"c{k}"] = {"departments": need, "line_grid": draw(st.sampled_from(["g0", "g1"])),
                         "service": {d: draw(DISTS) for d in need}, "delegable": draw(st.booleans()),
                         "p_unclear": draw(st.floats(0, 1)), "p_hard": draw(st.floats(0, 1))}
    groups = {}
    for k in range(draw(st.integers(1, 3))):
        w = [draw(st.floats(0.1, 1)) for _ in cats]
        mix = {c: x / sum(w) for c, x in zip(cats, w)}
        mix[list(cats)[-1]] = 1 - sum(list(mix.values())[:-1])
        groups[f"g{k}"] = {"arrivals_per_day": draw(st.floats(1, 12)), "category_mix": mix,
                           "p_right_line_grid": draw(st.floats(0, 1)), "report_delay": draw(DISTS),
                           "patience": draw(DISTS),
                           "travel": {"line_station": 0.2, "comprehensive_station": 0.3, "department": 0.5}}
    raw = {
        "name": "random", "seed": draw(st.integers(0, 10_000)), "horizon_days": draw(st.integers(2, 6)),
        "calendars": {"c": cal, "grid": {"weekdays": list(range(7)), "hours": [[7, 21]]}},
        "departments": {d: {"headcount": draw(st.integers(1, 4)), "calendar": "c"} for d in depts},
        "line_grids": {g: {"intake_staff": draw(st.integers(1, 2)), "calendar": "grid", "intake": draw(DISTS)}
                       for g in ("g0", "g1")},
        "areas": {a: {"weight": 1.0} for a in areas}, "groups": groups, "categories": cats,
        "siloed": {"max_bounces": draw(st.integers(0, 3)), "escalation": draw(DISTS)},
        "merged": {"calendar": "grid", "stationed_share": draw(st.sampled_from([0.0, 0.2, 0.4])),
                   "intake": draw(DISTS), "triage": draw(DISTS), "coordination": draw(DISTS), "closing": draw(DISTS),
                   "joint_meeting": {"enabled": draw(st.booleans()), "every_days": draw(st.integers(1, 7))},
                   "patrol": {"enabled": draw(st.booleans()), "discovery_share": draw(st.floats(0, 1))},
                   "feedback": {"enabled": draw(st.booleans()), "reopen_probability": draw(st.floats(0, 1))}},
    }
    try:
        return build_scenario(raw)
    except sim.ScenarioError:  # e.g. stationing would empty a department: not a valid scenario
        from hypothesis import reject
        reject()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(scenarios())
def test_random_valid_scenarios(sc):
    res = sim.run(sc, dimensions=("all",))
    _check_conservation(res)
    a = res.appeals
    eps = 1e-9
    filed = a[a["filed"].notna()]
    assert (filed["filed"] >= filed["created"] - eps).all()
    resp = filed[filed["first_response"].notna()]
    assert (resp["first_response"] >= resp["filed"] - eps).all()
    done = resp[resp["resolved"].notna()]
    assert (done["resolved"] >= done["first_response"] - eps).all()
    ab = a[a["abandoned"].notna()]
    assert (ab["abandoned"] >= ab["filed"] - eps).all()
    for col in ("trips", "referrals", "bounces", "citizen_hours", "staff_hours"):
        assert (a[col] >= 0).all(), col
    u = res.utilisation
    assert (u["max_busy"] <= u["headcount"].clip(lower=1)).all()
    assert (u.loc[u["headcount"] == 0, "jobs"] == 0).all()  # an office with no staff never serves


# ---------------------------------------------------------------- the default scenario end to end


def test_default_runs_end_to_end(tmp_path, gridsim_cli):
    out = tmp_path / "default"
    p = gridsim_cli("run", "--out", str(out))
    assert p.returncode == 0, p.stderr
    assert "merged/siloed" in p.stdout and "siloed" in p.stdout and "满意率" in p.stdout
    for name in ("appeals.csv", "summary.csv", "utilisation.csv", "backlog.csv", "scenario.yaml",
                 "provenance.json", "report.md", "report.html", "times.png", "rates.png", "trips.png",
                 "backlog.png"):
        assert (out / name).exists(), name
    a = pd.read_csv(out / "appeals.csv")
    for col in ("model", "replication", "group", "category", "area", "created", "filed", "first_response",
                "resolved", "abandoned", "state", "trips", "referrals", "bounces", "departments", "reopened",
                "citizen_hours"):
        assert col in a.columns, col
    s = pd.read_csv(out / "summary.csv")
    assert list(s.columns) == ["model", "metric", "dimension", "level", "value", "n"]
    assert {"all", "group", "category", "area"} <= set(s["dimension"])
    prov = json.loads((out / "provenance.json").read_text())
    assert {"version", "scenario_sha256_16", "seed", "command", "started_utc", "wall_seconds"} <= set(prov)
    assert sim.load_scenario(out / "scenario.yaml").seed == prov["seed"]
    assert (out / "times.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_one_model_only(tmp_path, gridsim_cli):
    p = gridsim_cli("run", "--model", "merged", "--days", "5", "--no-plots", "--quiet", "--out", str(tmp_path / "m"))
    assert p.returncode == 0
    assert set(pd.read_csv(tmp_path / "m" / "appeals.csv")["model"]) == {"merged"}


def test_embedded_default_is_the_shipped_file():
    from conftest import REPO
    assert DEFAULT_SCENARIO_PATH.read_bytes() == (REPO / "scenarios" / "default.yaml").read_bytes()


def test_tianping_validates_and_runs():
    from conftest import REPO
    sc = sim.load_scenario(REPO / "scenarios" / "tianping.yaml", ["horizon_days=3"])
    assert len(sc.areas) == 4
    assert len(sim.run(sc).appeals) > 0


def test_python_m_sim_version(gridsim_cli):
    p = gridsim_cli("--version")
    assert p.returncode == 0 and sim.__version__ in p.stdout


def test_tiny_fixture_is_valid():
    assert make_scenario().name == "tiny"
