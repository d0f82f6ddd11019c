"""Conservation: every issue that arises is in exactly one end state at the horizon (resolved,
abandoned, open) in every model, nothing lost or duplicated, with times consistent with its state."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim
from sim import models
from sim.issues import generate_issues
from sim.records import END_STATES

SCENARIOS = {
    # the default street, shortened
    "default": ["horizon_days=20"],
    # overloaded: long queues, many give up, many still open at the horizon
    "overloaded": [
        "horizon_days=8",
        "warmup_days=0",
        "groups.residents.arrivals_per_day=90",
        "groups.residents.patience={dist: exponential, mean: 0.5}",
    ],
    # a warm-up period (metrics skip it; records must not)
    "warm-up": ["horizon_days=14", "warmup_days=4"],
}


@pytest.fixture(scope="module", params=list(SCENARIOS))
def case(request):
    sc = sim.load_scenario(overrides=SCENARIOS[request.param])
    return request.param, sc, sim.run(sc, models=models.names()), generate_issues(sc)  # every registered model


def _model_frames(res):
    models = list(res.appeals["model"].unique())
    assert models == sim.models.names() and len(models) >= 3  # the shipped two and the toy plug-in at least
    return [(m, res.appeals[res.appeals["model"] == m]) for m in models]


def _expected_counts(issues, dim):
    names = {"group": issues.groups, "category": issues.categories, "area": issues.areas}[dim]
    codes = {"group": issues.group, "category": issues.category, "area": issues.area}[dim]
    return pd.Series(np.array(names)[codes]).value_counts().sort_index()


def test_one_record_per_issue(case):
    _, _, res, issues = case
    assert len(issues) > 100
    for model, a in _model_frames(res):
        assert len(a) == len(issues), model
        assert sorted(a["issue"]) == list(range(len(issues))), model
        assert np.allclose(a.sort_values("issue")["created"].to_numpy(), issues.created), model


def test_every_issue_in_exactly_one_end_state(case):
    name, _, res, issues = case
    for model, a in _model_frames(res):
        assert a["state"].isin(END_STATES).all(), (model, set(a["state"]))
        counts = a["state"].value_counts()
        assert sum(counts.get(s, 0) for s in END_STATES) == len(issues)
        # the time columns tell the same story: at most one of resolved / abandoned
        both = a["resolved"].notna() & a["abandoned"].notna()
        assert not both.any(), a[both].head()
        if name == "default":  # the default street shows every end state, so the checks bite
            assert all(counts.get(s, 0) > 0 for s in END_STATES), (model, counts.to_dict())
        if name == "overloaded":
            assert counts.get("abandoned", 0) > 0 and counts.get("open", 0) > 0, (model, counts.to_dict())


@pytest.mark.parametrize("dim", ["group", "category", "area"])
def test_counts_by_dimension_add_up_to_issues_created(case, dim):
    _, _, res, issues = case
    expected = _expected_counts(issues, dim)
    for model, a in _model_frames(res):
        table = a.groupby([dim, "state"]).size().unstack(fill_value=0)
        assert set(table.columns) <= set(END_STATES)
        got = table.sum(axis=1).sort_index()
        assert list(got.index) == list(expected.index), (model, dim)
        assert got.to_numpy().tolist() == expected.to_numpy().tolist(), (model, dim)


def test_states_have_consistent_times(case):
    _, _, res, _ = case
    for model, a in _model_frames(res):
        resolved, abandoned, open_ = (a[a["state"] == s] for s in END_STATES)
        assert resolved["resolved"].notna().all() and resolved["abandoned"].isna().all(), model
        assert abandoned["abandoned"].notna().all() and abandoned["resolved"].isna().all(), model
        assert open_["resolved"].isna().all() and open_["abandoned"].isna().all(), model
        # resolved appeals were filed and answered; abandoned ones were filed (they queued in person)
        assert resolved["filed"].notna().all() and resolved["first_response"].notna().all(), model
        assert abandoned["filed"].notna().all(), model
        # satisfaction is known exactly for resolved appeals
        assert resolved["satisfied"].notna().all() and a.loc[a["state"] != "resolved", "satisfied"].isna().all()
        # every end time is within the horizon
        horizon = res.scenario.horizon
        for col in ("filed", "first_response", "resolved", "abandoned"):
            assert (a[col].dropna() <= horizon + 1e-9).all(), (model, col)


def test_summary_and_backlog_agree_with_the_records(case):
    _, sc, res, _ = case
    s = res.summary
    warm = res.appeals["created"] >= sc.warmup_days * 24.0
    for model, a in _model_frames(res):
        counted = a[warm.loc[a.index]]
        rows = s[(s["model"] == model) & (s["metric"] == "issues")]
        assert rows[rows["dimension"] == "all"]["value"].item() == len(counted)
        for dim in ("group", "category", "area"):
            assert rows[rows["dimension"] == dim]["value"].sum() == len(counted), dim
        filed = s[(s["model"] == model) & (s["metric"] == "appeals_filed") & (s["dimension"] == "all")]
        assert filed["value"].item() == counted["filed"].notna().sum()
        # the backlog at the horizon is exactly the issues still open then
        b = res.backlog[res.backlog["model"] == model]
        last = b[np.isclose(b["time_h"], sc.horizon)]
        assert last["backlog"].item() == (a["state"] == "open").sum(), model
        assert (b["backlog"] >= 0).all()
