"""Governance models as pluggable routing policies over one shared world.

A policy decides where an appeal goes and what happens at each step.  Add a
variant by subclassing a policy (or by a scenario switch such as
``merged.joint_meeting.enabled: false``) and registering it in ``POLICIES``.
"""
from .base import Policy
from .merged import MergedPolicy
from .siloed import SiloedPolicy

POLICIES: dict[str, type[Policy]] = {"siloed": SiloedPolicy, "merged": MergedPolicy}

__all__ = ["Policy", "SiloedPolicy", "MergedPolicy", "POLICIES"]
