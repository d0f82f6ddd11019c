"""Named service-time and delay distributions, as scenario data.

Every distribution turns pre-drawn uniforms into values by its inverse CDF
(``ppf``), so both governance models get the same work for the same issue
(common random numbers):

>>> import numpy as np
>>> d = Lognormal(dist="lognormal", mean=2.0, cv=0.5)
>>> round(float(d.ppf(np.array([0.5]))[0]), 3)
1.789
>>> Fixed(dist="fixed", value=0.25).ppf(np.array([0.1, 0.9])).tolist()
[0.25, 0.25]
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal, Union

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator
from scipy import stats


class _Dist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    def _frozen(self) -> Any:
        """The frozen ``scipy.stats`` distribution (SciPy has no type stubs); each distribution defines it."""
        raise NotImplementedError

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Values at the quantiles ``u`` (vectorised)."""
        return np.asarray(self._frozen().ppf(np.asarray(u, dtype=float)), dtype=float)

    @property
    def mean_value(self) -> float:
        """The distribution's mean, in hours."""
        return float(self._frozen().mean())


class Exponential(_Dist):
    """Exponential with the given mean (hours)."""

    dist: Literal["exponential"]
    mean: Hours

    def _frozen(self):
        return stats.expon(scale=self.mean)


#: Hours a distribution's parameters may take: ten million (1,141 years) is beyond any wait or piece of work and
#: any horizon (100,000 days is 2.4 million hours, so "never gives up" fits), and keeps every draw and every sum of
#: draws finite (means near 1e308 overflowed to inf times).
MAX_HOURS = 1e7
Hours = Annotated[float, Field(gt=0, le=MAX_HOURS, allow_inf_nan=False)]
NonNegativeHours = Annotated[float, Field(ge=0, le=MAX_HOURS, allow_inf_nan=False)]

#: Coefficients of variation a distribution may have: far beyond any service time, and inside what
#: floating point can turn into a distribution (cv 1e200 overflowed, 1e-200 divided by zero).
CV = Field(ge=1e-6, le=1e3, description="coefficient of variation (sd / mean), 1e-6 to 1000")


class Lognormal(_Dist):
    """Lognormal given by its mean and coefficient of variation (sd / mean)."""

    dist: Literal["lognormal"]
    mean: Hours
    cv: float = CV

    def _frozen(self):
        s2 = math.log1p(self.cv**2)
        return stats.lognorm(s=math.sqrt(s2), scale=math.exp(math.log(self.mean) - s2 / 2))


class Gamma(_Dist):
    """Gamma given by its mean and coefficient of variation."""

    dist: Literal["gamma"]
    mean: Hours
    cv: float = CV

    def _frozen(self):
        k = 1.0 / self.cv**2
        return stats.gamma(a=k, scale=self.mean / k)


class Triangular(_Dist):
    """Triangular on ``[low, high]`` with the given mode."""

    dist: Literal["triangular"]
    low: NonNegativeHours
    mode: NonNegativeHours
    high: Hours

    @model_validator(mode="after")
    def _ordered(self):
        if not self.low <= self.mode <= self.high or self.low == self.high:
            raise ValueError("expected low <= mode <= high and low < high")
        return self

    def _frozen(self):
        return stats.triang(c=(self.mode - self.low) / (self.high - self.low), loc=self.low, scale=self.high - self.low)


class Uniform(_Dist):
    """Uniform on ``[low, high]``."""

    dist: Literal["uniform"]
    low: NonNegativeHours
    high: Hours

    @model_validator(mode="after")
    def _ordered(self):
        if not self.low < self.high:
            raise ValueError("expected low < high")
        return self

    def _frozen(self):
        return stats.uniform(loc=self.low, scale=self.high - self.low)


class Fixed(_Dist):
    """Always the same value."""

    dist: Literal["fixed"]
    value: NonNegativeHours

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return np.full(np.shape(u), float(self.value))

    @property
    def mean_value(self) -> float:
        return float(self.value)


Distribution = Annotated[
    Union[Exponential, Lognormal, Gamma, Triangular, Uniform, Fixed],
    Field(discriminator="dist"),
]
