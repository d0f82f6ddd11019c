"""Governance models as pluggable routing policies over one shared world.

A policy decides where an appeal goes and what happens at each step.  The merged
policy is the siloed one with the reform's steps behind switches (``reform.py``), so
a variant is a scenario switch such as ``merged.reform.triage: false`` or
``merged.joint_meeting.enabled: false``, a scenario variant, or a plug-in: a subclass in a
module of its own, registered with :func:`sim.models.register` (see :mod:`sim.models`), with its
own settings (``Policy.Settings``, the scenario's ``settings.<name>``) and its own switches.
"""

from ..models import register
from .base import Policy
from .merged import MergedPolicy
from .reform import Switch
from .siloed import SiloedPolicy

register(SiloedPolicy)
register(MergedPolicy)

__all__ = ["Policy", "SiloedPolicy", "MergedPolicy", "Switch", "register"]
