"""The distributions draw what ``scipy.stats`` draws, to the bit, without importing it."""

import math

import numpy as np
import pytest
from scipy import stats

from sim.distributions import Exponential, Fixed, Gamma, Lognormal, Triangular, Uniform

#: quantiles over the whole range, the ends and beyond them included
U = np.concatenate([[0.0, 1.0, -0.1, 1.1, np.nan, 1e-300, 1 - 1e-16], np.random.default_rng(3).random(2000)])

CASES = [
    (Exponential(dist="exponential", mean=2.5), stats.expon(scale=2.5)),
    (
        Lognormal(dist="lognormal", mean=3.0, cv=0.8),
        stats.lognorm(s=math.sqrt(math.log1p(0.8**2)), scale=math.exp(math.log(3.0) - math.log1p(0.8**2) / 2)),
    ),
    (Gamma(dist="gamma", mean=4.0, cv=0.3), stats.gamma(a=1 / 0.3**2, scale=4.0 / (1 / 0.3**2))),
    (Gamma(dist="gamma", mean=1.0, cv=2.0), stats.gamma(a=0.25, scale=4.0)),
    (Triangular(dist="triangular", low=0.5, mode=1.0, high=4.0), stats.triang(c=0.5 / 3.5, loc=0.5, scale=3.5)),
    (Triangular(dist="triangular", low=0.0, mode=0.0, high=2.0), stats.triang(c=0.0, loc=0.0, scale=2.0)),
    (Uniform(dist="uniform", low=1.0, high=3.0), stats.uniform(loc=1.0, scale=2.0)),
]


@pytest.mark.parametrize("ours, scipys", CASES, ids=lambda c: getattr(c, "dist", ""))
def test_quantiles_are_scipys_to_the_bit(ours, scipys):
    np.testing.assert_array_equal(ours.ppf(U), scipys.ppf(U))


@pytest.mark.parametrize("ours, scipys", CASES, ids=lambda c: getattr(c, "dist", ""))
def test_means_are_scipys(ours, scipys):
    assert ours.mean_value == pytest.approx(float(scipys.mean()), rel=1e-14)


def test_a_scalar_quantile_gives_an_array_of_its_shape():
    d = Exponential(dist="exponential", mean=1.0)
    assert d.ppf(np.array(0.5)).shape == () and d.ppf(np.ones((2, 3)) / 2).shape == (2, 3)
    assert Fixed(dist="fixed", value=2.0).mean_value == 2.0


def test_t_quantiles_are_scipy_stats_ones():
    from sim.statistics import t_quantile

    for level in (0.8, 0.9, 0.95, 0.99):
        for df in (1, 2, 3.5, 9, 29, 1000, np.inf):
            assert t_quantile(level, df) == float(stats.t.ppf(0.5 + level / 2, df))
