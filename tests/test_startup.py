"""``gridsim --help`` and ``--version`` start without the heavy libraries; ``sim.run`` is the function."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("pandas", "scipy", "matplotlib", "pydantic", "simpy")

CHECK = f"""
import sys
from sim.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
loaded = sorted(m for m in {HEAVY!r} if m in sys.modules)
print("loaded:", loaded)
"""


def _loaded(*argv: str) -> str:
    p = subprocess.run([sys.executable, "-c", CHECK, *argv], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return p.stdout.strip().splitlines()[-1]


def test_help_and_version_import_no_heavy_library():
    for argv in (["--version"], ["--help"], ["run", "--help"]):
        assert _loaded(*argv) == "loaded: []", argv


def test_the_package_names_load_when_first_used():
    code = (
        "import sys, sim; assert 'pandas' not in sys.modules; "
        "from sim import run, load_scenario, ScenarioError; import sim.simulation; "
        "assert callable(sim.run) and sim.run is sim.simulation.run; "
        "assert 'pandas' in sys.modules; assert set(sim.__all__) <= set(dir(sim))"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr


def test_an_unknown_name_is_an_attribute_error():
    import pytest

    import sim

    with pytest.raises(AttributeError, match="no attribute 'nonesuch'"):
        sim.nonesuch  # noqa: B018
