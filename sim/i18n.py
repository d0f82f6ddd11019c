"""Languages of the pages, plots and terminal: English in the code, Chinese in a gettext catalogue.

Text that a user reads is marked ``_("…")``: the English message, with named ``{placeholders}``
filled in after translation.  It is translated at run time into the current language, set for a
block of work with :func:`using` (``gridsim run --lang zh``; a scenario's ``lang`` is the default):

>>> from sim.i18n import _, using
>>> with using("zh"):
...     _("better on {what}").format(what="x")
'较好：x'
>>> _("better on {what}").format(what="x")
'better on x'

The catalogues are the standard tools' (GNU gettext, edited and compiled with Babel): the
messages in ``sim/locale/gridsim.pot`` (``pybabel extract -F babel.cfg -o sim/locale/gridsim.pot .``),
their Chinese in ``sim/locale/zh/LC_MESSAGES/gridsim.po`` and compiled ``gridsim.mo`` (``pybabel compile
-d sim/locale -D gridsim``); ``tests/test_i18n.py`` checks that every marked message has its
translation and that the compiled catalogue is the edited one.  Names from a scenario
(departments, groups, categories) come from its ``label: {zh, en}``; metric names from the metric
registry (:data:`sim.metrics.METRICS`).
"""

from __future__ import annotations

import gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

#: The languages gridsim speaks: English (the code's) and Chinese.
LANGUAGES = ("en", "zh")
LOCALE = Path(__file__).with_name("locale")
DOMAIN = "gridsim"

_current: ContextVar[str] = ContextVar("gridsim_language", default="en")


@cache
def catalogue(lang: str) -> gettext.NullTranslations:
    """The compiled catalogue of ``lang`` (English: the messages as they are)."""
    if lang not in LANGUAGES:
        raise ValueError(f"language {lang!r}: expected one of {', '.join(LANGUAGES)}")
    if lang == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, localedir=LOCALE, languages=[lang])


def messages(lang: str) -> str:
    """Every translated message of ``lang``, run together (for a page that must carry the glyphs of text it
    is sent later: see :mod:`sim.webfont`); "" for English."""
    return " ".join(str(v) for v in getattr(catalogue(lang), "_catalog", {}).values())


def _(message: str) -> str:
    """``message`` in the current language."""
    return catalogue(_current.get()).gettext(message)


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue without translating it now (a constant, translated where it is used)."""
    return message


def current() -> str:
    """The current language ("en" or "zh")."""
    return _current.get()


def choose(lang: str) -> None:
    """Speak ``lang`` from now on, in this context (the command line, inside a :func:`using` that ends it)."""
    catalogue(lang)
    _current.set(lang)


@contextmanager
def using(lang: str | None) -> Iterator[str]:
    """Speak ``lang`` inside the block (None: keep the current one)."""
    if lang is None:
        yield _current.get()
        return
    catalogue(lang)  # an unknown language fails here, before any work
    token = _current.set(lang)
    try:
        yield lang
    finally:
        _current.reset(token)
