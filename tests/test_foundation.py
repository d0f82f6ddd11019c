"""The foundation's contract beyond the dedicated test files: the shipped Tianping scenario and the
tiny fixture the mechanism tests build on.

Bad input is tested in test_schema.py, reproducibility and common random numbers in
test_reproducibility.py, conservation in test_conservation.py, random valid scenarios in
test_properties.py and the default scenario end to end in test_cli_run.py."""

from conftest import REPO, make_scenario

import sim


def test_tianping_validates_and_runs():
    sc = sim.load_scenario(REPO / "scenarios" / "tianping.yaml", ["horizon_days=3", "warmup_days=0"])
    assert len(sc.areas) == 4
    assert len(sim.run(sc).appeals) > 0


def test_tiny_fixture_is_valid():
    assert make_scenario().name == "tiny"
