"""Size limits on what a scenario may ask for, and the one flag that lifts them (``--allow-large``).

A few kilobytes of YAML can stand for billions of values, and one ``--set`` can ask for more
issues than memory holds: without limits such input ends, after minutes, in a MemoryError
instead of a clear message.  The limits are far above any real street (the Shanghai year is
5.2 million issues over 215 streets, its file 40 KB):

==================  ==========  ====================================================
limit               default     what it bounds
==================  ==========  ====================================================
``file_bytes``      5 MB        the size of a scenario or sweep file
``yaml_values``     1,000,000   values a file expands to (aliases counted expanded)
``yaml_depth``      60          nesting depth (deeper nesting is never a scenario)
``street_issues``   20 million  issues one street may draw (each is a record in memory)
==================  ==========  ====================================================

``gridsim ... --allow-large`` (or ``GRIDSIM_ALLOW_LARGE=1`` in the environment) lifts the
first, second and fourth, and raises the depth to 200: then only the machine's memory
bounds a run.  The setting lives in the environment so that worker processes inherit it.

>>> limits().street_issues
20000000.0
>>> with allowing_large():
...     limits().street_issues
inf
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass

ENV = "GRIDSIM_ALLOW_LARGE"


@dataclass(frozen=True)
class Limits:
    file_bytes: float = 5e6
    yaml_values: float = 1e6
    yaml_depth: int = 60
    street_issues: float = 2e7


DEFAULT = Limits()
LARGE = Limits(file_bytes=float("inf"), yaml_values=float("inf"), yaml_depth=200, street_issues=float("inf"))
HINT = "(a size limit: pass --allow-large to lift it deliberately)"


def limits() -> Limits:
    """The limits in force: :data:`LARGE` when the environment allows large input, else :data:`DEFAULT`."""
    return LARGE if os.environ.get(ENV, "") not in ("", "0") else DEFAULT


def allow_large(on: bool = True) -> None:
    """Lift the limits for this process and the processes it starts."""
    if on:
        os.environ[ENV] = "1"
    else:
        os.environ.pop(ENV, None)


@contextlib.contextmanager
def allowing_large():
    """The limits lifted inside a ``with`` block (for tests and notebooks)."""
    before = os.environ.get(ENV)
    allow_large()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = before
