"""Bad input: the one exception every check raises, with every problem found, for an exit 2."""

from __future__ import annotations


class ScenarioError(Exception):
    """A scenario file (or flag, log, sweep) that cannot be used; ``errors`` lists every problem found.

    ``source`` names the file or flag; the command line prints each error after it and exits 2.
    """

    def __init__(self, source: str, errors: list[str]):
        self.source = source
        self.errors = errors
        super().__init__("\n".join(f"{source}: {e}" for e in errors))


class ScenarioNote(UserWarning):
    """A scenario written for an older schema was read as the current one: what changed (see sim.migrate)."""
