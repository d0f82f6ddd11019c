"""The classroom demo: a local web page with the main levers, running the scenario's models on each change.

Built on the standard library's ``http.server`` and a plain HTML page: nothing to
install, starts at once, works offline, and its page is simple to drive from a
browser test.  ``gridsim demo`` starts it on localhost.
"""

from .server import LEVERS, make_server, scenario_for, simulate_levers

__all__ = ["LEVERS", "make_server", "scenario_for", "simulate_levers"]
