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
from typing import TYPE_CHECKING, Annotated, ClassVar, Literal, Union

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Dist(BaseModel):
    """A distribution as SciPy defines it: a standard form (``_standard_ppf``, ``_standard_mean``) on the
    support ``SUPPORT``, moved by ``_loc`` and stretched by ``_scale``.

    The arithmetic is SciPy's own (``rv_continuous.ppf``, and each distribution's ``_ppf``), written out so
    that a run draws without importing ``scipy.stats`` (0.9 s at start-up): the values are the same to the
    bit (``tests/test_distributions.py`` checks them against ``scipy.stats``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    #: the standard form's support, whose ends the quantiles 0 and 1 give
    SUPPORT: ClassVar[tuple[float, float]] = (0.0, math.inf)

    def _loc(self) -> float:
        return 0.0

    def _scale(self) -> float:
        return 1.0

    def _standard_ppf(self, q: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _standard_mean(self) -> float:
        raise NotImplementedError

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Values at the quantiles ``u`` (vectorised); 0 and 1 give the ends of the support, others NaN."""
        q = np.asarray(u, dtype=float)
        loc, scale = self._loc(), self._scale()
        out = np.full(q.shape, np.nan)
        low, high = self.SUPPORT
        out[q == 0] = low * scale + loc
        out[q == 1] = high * scale + loc
        inside = (q > 0) & (q < 1)
        if inside.any():
            out[inside] = self._standard_ppf(q[inside]) * scale + loc
        return out

    @property
    def mean_value(self) -> float:
        """The distribution's mean, in hours."""
        return float(self._standard_mean() * self._scale() + self._loc())


class Exponential(_Dist):
    """Exponential with the given mean (hours)."""

    dist: Literal["exponential"]
    mean: Hours

    def _scale(self) -> float:
        return self.mean

    def _standard_ppf(self, q):
        from scipy.special import log1p  # SciPy's, which is not NumPy's to the last bit

        return -log1p(-q)

    def _standard_mean(self) -> float:
        return 1.0


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

    def _shape(self) -> float:
        return math.sqrt(math.log1p(self.cv**2))

    def _scale(self) -> float:
        return math.exp(math.log(self.mean) - math.log1p(self.cv**2) / 2)

    def _standard_ppf(self, q):
        from scipy.special import ndtri

        return np.exp(self._shape() * ndtri(q))

    def _standard_mean(self) -> float:
        s = self._shape()
        return float(np.sqrt(np.exp(s * s)))


class Gamma(_Dist):
    """Gamma given by its mean and coefficient of variation."""

    dist: Literal["gamma"]
    mean: Hours
    cv: float = CV

    def _shape(self) -> float:
        return 1.0 / self.cv**2

    def _scale(self) -> float:
        return self.mean / self._shape()

    def _standard_ppf(self, q):
        from scipy.special import gammaincinv

        return gammaincinv(self._shape(), q)

    def _standard_mean(self) -> float:
        return self._shape()


class _OnInterval:
    """A distribution on ``[low, high]``: SciPy's standard form on [0, 1], moved to ``low``, stretched by the width.

    A plain mixin, not a model: the fields stay where each distribution declares them (their order is the
    scenario file's)."""

    SUPPORT = (0.0, 1.0)
    if TYPE_CHECKING:  # for type checkers only: as annotations, pydantic would take them for fields
        low: float
        high: float

    def _loc(self) -> float:
        return self.low

    def _scale(self) -> float:
        return self.high - self.low


class Triangular(_OnInterval, _Dist):
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

    def _standard_ppf(self, q):
        c = (self.mode - self.low) / (self.high - self.low)
        return np.where(q < c, np.sqrt(c * q), 1 - np.sqrt((1 - c) * (1 - q)))

    def _standard_mean(self) -> float:
        return (1.0 + (self.mode - self.low) / (self.high - self.low)) / 3.0


class Uniform(_OnInterval, _Dist):
    """Uniform on ``[low, high]``."""

    dist: Literal["uniform"]
    low: NonNegativeHours
    high: Hours

    @model_validator(mode="after")
    def _ordered(self):
        if not self.low < self.high:
            raise ValueError("expected low < high")
        return self

    def _standard_ppf(self, q):
        return q

    def _standard_mean(self) -> float:
        return 0.5


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
