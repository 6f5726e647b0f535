"""The ReplicationController manager (``pkg/controller/replication``).

Upstream it is a thin adapter that runs the ReplicaSet controller's code on
ReplicationControllers; here it is the same class with another kind and the RC's
selector: a plain ``map[string]string`` (equality only), which the API defaults to
the template's labels.

Examples
--------
>>> rc = {"spec": {"selector": {"app": "web"}}}
>>> ReplicationManager.selector(None, rc).matches({"app": "web", "tier": "x"})
True
>>> ReplicationManager.selector(None, {"spec": {}}) is None   # refuse an empty selector
True
"""

from __future__ import annotations

from kubelab.api import labels
from kubelab.controllers.replicaset import ReplicaSetController

__all__ = ["ReplicationManager"]


class ReplicationManager(ReplicaSetController):
    """Keeps ``spec.replicas`` active pods for every ReplicationController."""

    name = "replication-controller"
    kind = "ReplicationController"

    def selector(self, owner: dict):
        selector = owner.get("spec", {}).get("selector")
        return labels.from_set(selector) if selector else None
