"""Governance models as pluggable routing policies over one shared world.

A policy decides where an appeal goes and what happens at each step.  The merged
policy is the siloed one with the reform's steps behind switches (``reform.py``), so
a variant is a scenario switch such as ``merged.reform.triage: false`` or
``merged.joint_meeting.enabled: false``, or a subclass registered in ``POLICIES``.
"""
from .base import Policy
from .merged import MergedPolicy
from .siloed import SiloedPolicy

POLICIES: dict[str, type[Policy]] = {"siloed": SiloedPolicy, "merged": MergedPolicy}

__all__ = ["Policy", "SiloedPolicy", "MergedPolicy", "POLICIES"]
