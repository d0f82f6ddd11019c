"""The case platform (institution 3 of issue 15): one record across hand-offs, or each office's own system.

Without a shared platform every case passed on to a department costs it re-entry work, and a lossy
hand-off makes it reach the citizen again; a case the citizen carries in person costs trips instead.
On the tiny scenario (fixed times) the extra work is exact: re-entry hours times the hand-offs.
"""

import pytest
from conftest import make_scenario

import sim

REENTRY = 0.5
UNSHARED = ["siloed.platform.shared=false", f"siloed.platform.reentry={{dist: fixed, value: {REENTRY}}}"]


def _appeals(*overrides):
    sc = make_scenario("horizon_days=20", *overrides)
    a = sim.run(sc, models=["siloed"]).appeals
    return a.set_index("issue")


def _both(*overrides):
    shared, unshared = _appeals(*overrides), _appeals(*overrides, *UNSHARED)
    done = shared.index[shared["resolved"].notna()].intersection(unshared.index[unshared["resolved"].notna()])
    assert len(done) > 10
    return shared.loc[done], unshared.loc[done]


@pytest.mark.parametrize(
    "channel, category, handoffs",
    [
        ("in_person", "simple", 1),  # the station passes it to alpha
        ("in_person", "double", 1),  # the citizen carries it on to beta (a trip, not a hand-off)
        ("online", "double", 2),  # the work order passes it to alpha, then to beta
    ],
)
def test_each_hand_off_costs_the_receiving_department_its_re_entry(channel, category, handoffs):
    mix = [f"groups.residents.channel_mix={{{channel}: 1}}", f"groups.residents.category_mix={{{category}: 1}}"]
    shared, unshared = _both(*mix, "siloed.platform.p_lost=0")
    extra = unshared["staff_hours"] - shared["staff_hours"]
    assert extra.round(9).eq(REENTRY * handoffs).all()
    assert (unshared["trips"] == shared["trips"]).all() and (unshared["recontacts"] == 0).all()


def test_a_lossy_hand_off_makes_the_office_reach_the_citizen_again():
    recontact = 3.0
    lossy = ["siloed.platform.p_lost=1", f"siloed.platform.recontact={{dist: fixed, value: {recontact}}}"]
    shared, unshared = _both("groups.residents.category_mix={simple: 1}", *lossy)
    assert (unshared["recontacts"] == 1).all() and (shared["recontacts"] == 0).all()
    told = make_scenario().siloed.platform.citizen_hours
    assert (unshared["citizen_hours"] - shared["citizen_hours"]).round(9).eq(told).all()
    assert ((unshared["resolved"] - unshared["created"]) >= (shared["resolved"] - shared["created"]) + recontact).all()


def test_a_shared_platform_costs_nothing():
    a = _appeals()
    b = _appeals("siloed.platform.shared=true", "siloed.platform.p_lost=1")  # shared: its other fields are unused
    assert a.equals(b) and (a["recontacts"] == 0).all()
