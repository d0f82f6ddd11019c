"""Figures as recipes, drawn here or in processes of their own while the run simulates.

A *recipe* is a figure function of :mod:`sim.plots` bound to its data
(``functools.partial(times_figure, appeals)``), so it can be sent to another process.  On two
cores, ``gridsim run`` starts a :class:`Drawer` first: its processes import matplotlib (most of
a second) while the run simulates, then draw the figures while the run writes its tables.  The
PNG bytes are the same as drawn here (the same function on the same data;
``tests/test_drawing.py`` checks it).

>>> import functools, pandas as pd
>>> from sim.plots import trips_figure
>>> recipe = functools.partial(trips_figure, pd.DataFrame({"model": ["a"], "filed": [1.0], "trips": [1]}))
>>> Drawer(workers=0).pngs({"trips.png": recipe})["trips.png"][:4]
b'\\x89PNG'
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

#: a figure function bound to its data, with nothing left to give: ``recipe()`` is the figure.  Made with
#: ``functools.partial`` of a function at a module's top level, so that it pickles by name.
Recipe = Callable[[], Any]


def draw(recipe: Recipe, lang: str | None = None, plugins: tuple[str, ...] = ()) -> bytes:
    """The PNG of one recipe, its text in ``lang`` (None: the current language), with the models of
    ``plugins`` known (their colours: a drawing process was forked before the scenario loaded them)."""
    from . import models
    from .document import figure_png
    from .i18n import using

    models.load(plugins)
    with using(lang):
        return figure_png(recipe())


def _warm() -> None:
    """Import what drawing needs (matplotlib, the figure functions, the CJK font) before the first recipe.

    Ctrl-C is the command's to handle: a drawing process ignores it (the command stops the pool), so that
    the terminal shows one "interrupted" line, not a traceback from each process."""
    import signal

    from . import plots
    from .style import subplots

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    subplots()  # registers the font and makes matplotlib's figure class
    del plots


class Drawer:
    """Processes that draw figures; started early so that their imports overlap other work.

    ``workers=0``, a system other than Linux (Windows has no fork; macOS's is unsafe), or a process that has
    threads already (a fork copies no thread but may copy a lock one of them holds) draws in this
    process, when :meth:`collect` asks.  Used as a context manager, it stops its processes on
    leaving (also on an error or Ctrl-C).
    """

    def __init__(self, workers: int = 2) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._workers = 0
        if workers > 0 and _can_fork():
            self._workers = workers
            # fork: a child starts with this process's modules, not a fresh interpreter; with fork the
            # pool starts all its processes at once, here, before it starts any thread
            self._pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"), initializer=_warm)
            self._pool.submit(int)

    @property
    def processes(self) -> int:
        """How many processes draw (0: this one draws)."""
        return self._workers

    def submit(self, recipes: dict[str, Recipe]) -> dict[str, Future | Recipe]:
        """Start drawing ``recipes`` (by file name); :meth:`collect` gives their PNGs."""
        if self._pool is None:
            return dict(recipes)
        from .i18n import current
        from .models import modules

        # the processes were forked before the command chose its language and loaded the scenario's plug-ins
        lang, plugins = current(), tuple(modules())
        return {name: self._pool.submit(draw, r, lang, plugins) for name, r in recipes.items()}

    def collect(self, submitted: dict[str, Future | Recipe]) -> dict[str, bytes]:
        """The PNGs of what :meth:`submit` started, by file name, once drawn."""
        return {name: x.result() if isinstance(x, Future) else draw(x) for name, x in submitted.items()}

    def pngs(self, recipes: dict[str, Recipe]) -> dict[str, bytes]:
        """The PNGs of ``recipes``, by file name."""
        return self.collect(self.submit(recipes))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool, self._workers = None, 0

    def __enter__(self) -> Drawer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _can_fork() -> bool:
    # Linux only: macOS has fork but its system libraries are not safe across it (Python spawns there by default)
    return sys.platform.startswith("linux") and threading.active_count() == 1


def worth_a_process() -> bool:
    """Whether a second core is there for a :class:`Drawer` (on one core it would only compete)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return cores > 1
