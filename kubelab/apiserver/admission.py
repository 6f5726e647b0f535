"""Admission: what the API server adds to or checks on an object before storing it.

Mutating plugins run after defaulting and before validation, as in kube-apiserver:
``DefaultTolerationSeconds`` gives every pod 300 s tolerations for not-ready and
unreachable nodes; the pod registry starts new pods ``Pending`` with a QoS class.
"""

from __future__ import annotations

from kubelab.api.quantity import QuantityError, parse_quantity

__all__ = [
    "DEFAULT_TOLERATION_SECONDS",
    "AdmissionPlugin",
    "default_toleration_seconds",
    "init_pod_status",
    "qos_class",
]

DEFAULT_TOLERATION_SECONDS = 300


class AdmissionPlugin:
    """One admission plugin (or registry strategy) of the API server, for the ``kinds`` it handles.

    ``mutate`` runs after defaulting and before validation (LimitRanger, Service IP allocation);
    ``validate`` runs after validation, just before the write (ResourceQuota). Either may raise a
    :class:`~kubelab.errors.KubelabError` to refuse the request; nothing is written then. ``old``
    is ``None`` on create. With ``dry_run`` a plugin must not change its own state. Register a
    plugin by appending it to ``APIServer.admission``; to free resources when an object is gone,
    watch the store.
    """

    kinds: tuple[str, ...] = ()

    def mutate(self, api, obj: dict, old: dict | None, *, dry_run: bool) -> None:
        """Change ``obj`` in place before validation (default: nothing)."""

    def validate(self, api, obj: dict, old: dict | None, *, dry_run: bool) -> None:
        """Refuse ``obj`` by raising, after validation (default: accept)."""


_NODE_TAINTS = ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable")


def default_toleration_seconds(pod: dict) -> None:
    """Add the two NoExecute tolerations (300 s) unless the pod already tolerates those taints."""
    spec = pod["spec"]
    tolerations = list(spec.get("tolerations") or [])
    for key in _NODE_TAINTS:
        if any(_tolerates_noexecute(t, key) for t in tolerations):
            continue
        tolerations.append(
            {
                "key": key,
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": DEFAULT_TOLERATION_SECONDS,
            }
        )
    spec["tolerations"] = tolerations


def _tolerates_noexecute(toleration: dict, key: str) -> bool:
    if toleration.get("effect") not in (None, "", "NoExecute"):
        return False
    if toleration.get("operator") == "Exists" and not toleration.get("key"):
        return True
    return toleration.get("key") == key


def qos_class(spec: dict) -> str:
    """Guaranteed, Burstable or BestEffort, computed as ``pkg/apis/core/v1/helper/qos``."""
    requests: dict[str, object] = {}
    limits: dict[str, object] = {}
    guaranteed = True
    containers = list(spec.get("containers") or []) + list(spec.get("initContainers") or [])
    for c in containers:
        res = c.get("resources") or {}
        req, lim = res.get("requests") or {}, res.get("limits") or {}
        for name in ("cpu", "memory"):
            try:
                if name in req and parse_quantity(req[name]) != 0:
                    requests[name] = True
                if name in lim and parse_quantity(lim[name]) != 0:
                    limits[name] = True
            except QuantityError:
                pass
        if not all(name in lim for name in ("cpu", "memory")):
            guaranteed = False
        else:
            for name in ("cpu", "memory"):
                if name in req:
                    try:
                        if parse_quantity(req[name]) != parse_quantity(lim[name]):
                            guaranteed = False
                    except QuantityError:
                        guaranteed = False
    if not requests and not limits:
        return "BestEffort"
    if guaranteed and containers:
        return "Guaranteed"
    return "Burstable"


def init_pod_status(pod: dict) -> None:
    """A new pod is Pending until a kubelet reports on it."""
    status = dict(pod.get("status") or {})
    status["phase"] = "Pending"
    status["qosClass"] = qos_class(pod["spec"])
    pod["status"] = status
