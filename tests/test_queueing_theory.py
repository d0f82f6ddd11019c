"""Verification against queueing theory: the engine queues correctly.

Each check (sim/verification.py) reduces the model to a textbook queue, runs
independent replications after a warm-up, and asserts that the analytic value
lies within the 99% Student-t confidence interval of the replication means.
Independent replications (not successive waits) give the CI, because at
rho = 0.9 successive waits are strongly correlated.  Tolerances come from the
simulation's own CI; nothing is tuned.  docs/validation.md has the table.
"""

import pytest

from sim import verification as v


def _within(row: dict) -> None:
    mean, lo, hi = row["estimate"]
    assert lo <= row["analytic"] <= hi, (
        f"{row['check']}: analytic {row['analytic']:.4f} outside the 99% CI [{lo:.4f}, {hi:.4f}] (mean {mean:.4f})"
    )


@pytest.mark.slow
@pytest.mark.parametrize("c", [1, 3])
@pytest.mark.parametrize("rho", [0.5, 0.7, 0.9])
def test_mmc_erlang_c(c, rho):
    """M/M/1 and M/M/c: mean wait in queue, P(wait > 0) and utilisation (Erlang C)."""
    *rows, busy = v.mmc_check(c, rho)
    for row in rows:
        _within(row)
    assert busy["max_busy"] <= c


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["lognormal", "deterministic"])
def test_mg1_pollaczek_khinchine(kind):
    """M/G/1 with lognormal and deterministic service: Pollaczek–Khinchine mean wait."""
    _within(v.mg1_check(kind))


@pytest.mark.slow
def test_tandem_jackson():
    """Siloed two-department path = two M/M/1 in tandem: W = 1/(mu1 - lam) + 1/(mu2 - lam)."""
    _within(v.tandem_check())


@pytest.mark.slow
def test_fork_join_nelson_tantawi():
    """Merged parallel dispatch to two departments = fork-join of two M/M/1: (12 - rho)/8 / (mu - lam)."""
    row = v.fork_join_check()
    _within(row)
    mean = row["estimate"][0]
    assert 1 / (1.0 - 0.5) < mean < 2 / (1.0 - 0.5)  # slower than one station, faster than a tandem


def test_formulas_on_known_values():
    """The textbook formulas themselves, on values from the literature."""
    assert v.erlang_c(1, 0.9, 1.0)[1] == pytest.approx(9.0)  # M/M/1: rho / (mu - lambda)
    assert v.erlang_c(2, 1.0, 1.0)[0] == pytest.approx(1 / 3)  # M/M/2, a = 1: C = 1/3
    assert v.pollaczek_khinchine(0.5, 1.0, 1.0) == pytest.approx(0.5)  # M/D/1: rho / (2 mu (1 - rho))
    assert v.nelson_tantawi_2(0.5, 1.0) == pytest.approx(2.875)


@pytest.mark.parametrize("overrides", [(), ("horizon_days=30", "warmup_days=10")], ids=["no warm-up", "warm-up"])
@pytest.mark.parametrize("model", ["siloed", "merged"])
def test_littles_law_every_station(model, overrides):
    """L = lambda W at every office of the default street, in its exact finite-horizon form
    L_T = (departures / T) W + (hours in system of jobs still present at T) / T, with T counted
    from the end of the warm-up when there is one."""
    row = v.little_check(model, overrides)
    assert row["estimate"][0] < 1e-9, row


# ---- the slow tier: the same theory through a scenario file and `gridsim compare`, with the power to see a bias
@pytest.mark.slow
@pytest.mark.uncovered
@pytest.mark.parametrize("name", list(v.CLI_CASES))
def test_theory_through_gridsim_compare(name, tmp_path):
    """Each case's analytic value lies in the 99% interval of 10 replications run by `gridsim compare`, and
    the interval is narrow enough (±2.5% at rho <= 0.8, ±5% at 0.9) that a bias of twice that would fail."""
    for row in v.cli_check(name, tmp_path):
        _within(row)
        assert row["half_rel"] <= row["tol"], (
            f"{row['check']}: 99% half-width ±{100 * row['half_rel']:.1f}% is too wide to catch a "
            f"{200 * row['tol']:.0f}% bias (allowed ±{100 * row['tol']:.1f}%)"
        )


def test_erlang_a_formula_on_known_values():
    """Erlang A: with no waiting room to speak of (patience → 0) it is Erlang B's blocking; patience → ∞, nobody."""
    from math import factorial

    a, c = 2.0, 3
    erlang_b = a**c / factorial(c) / sum(a**k / factorial(k) for k in range(c + 1))
    assert v.erlang_a_abandonment(a, 1.0, 1e6, c) == pytest.approx(erlang_b, rel=1e-4)
    assert v.erlang_a_abandonment(a, 1.0, 1e-9, c) == pytest.approx(0.0, abs=1e-6)
