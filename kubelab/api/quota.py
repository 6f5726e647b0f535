"""ResourceQuota arithmetic shared by the admission plugin and the quota controller.

Which objects a quota counts (``pkg/quota/v1/evaluator/core``, ``generic``): every hard
name maps to a kind (``requests.cpu`` → pods, ``services.nodeports`` → services,
``count/deployments.apps`` → deployments); a quota with ``scopes`` (``BestEffort``,
``NotBestEffort``, ``Terminating``, ``NotTerminating``, ``PriorityClass``) counts only the
pods in those scopes. :func:`calculate_used` sums what the matching objects cost, with a
zero for every hard name, as the controller writes ``status.used``.

Examples
--------
>>> q = {"spec": {"hard": {"pods": "2", "requests.cpu": "1", "count/deployments.apps": "1"}}}
>>> sorted(kinds_of(q))
['Deployment', 'Pod']
>>> pod = {"kind": "Pod", "metadata": {}, "spec": {"containers": [{"name": "a"}]}, "status": {}}
>>> matches_scopes({"spec": {"scopes": ["BestEffort"]}}, pod)
True
>>> used = calculate_used(q, lambda kind: [pod] if kind == "Pod" else [], now=0.0)
>>> {k: str(used[k]) for k in sorted(used)}
{'count/deployments.apps': '0', 'pods': '1', 'requests.cpu': '0'}
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from kubelab.api import kinds
from kubelab.api.meta import parse_time
from kubelab.api.resourcelist import Qty, object_usage, qty_map

__all__ = [
    "POD_RESOURCES",
    "VALIDATION_SET",
    "calculate_used",
    "hard_of",
    "kind_of_resource",
    "kinds_of",
    "matches_scopes",
    "matching_resources",
    "quota_scopes",
    "used_of",
]

POD_RESOURCES = (
    "count/pods",
    "cpu",
    "memory",
    "ephemeral-storage",
    "requests.cpu",
    "requests.memory",
    "requests.ephemeral-storage",
    "limits.cpu",
    "limits.memory",
    "limits.ephemeral-storage",
    "pods",
)
# If a quota tracks one of these, every container must state it ("this was a mistake", upstream).
VALIDATION_SET = (
    "cpu",
    "memory",
    "requests.cpu",
    "requests.memory",
    "limits.cpu",
    "limits.memory",
)
_SERVICE = ("services", "services.nodeports", "services.loadbalancers", "count/services")
_CLAIM = ("persistentvolumeclaims", "requests.storage", "count/persistentvolumeclaims")
_LEGACY = {
    "configmaps": "ConfigMap",
    "secrets": "Secret",
    "replicationcontrollers": "ReplicationController",
    "resourcequotas": "ResourceQuota",
}
_STORAGE_CLASS = ".storageclass.storage.k8s.io/"


def kind_of_resource(name: str) -> str | None:
    """The kind whose objects a hard resource name counts (None: unknown name)."""
    if name in POD_RESOURCES or name.startswith(("hugepages-", "requests.hugepages-")):
        return "Pod"
    if name.startswith("requests.") and "/" in name and _STORAGE_CLASS not in name:
        return "Pod"  # extended resources: requests.nvidia.com/gpu
    if name in _SERVICE:
        return "Service"
    if name in _CLAIM or _STORAGE_CLASS in name:
        return "PersistentVolumeClaim"
    if name in _LEGACY:
        return _LEGACY[name]
    if name.startswith("count/"):
        rt = kinds.lookup(name[len("count/") :])
        return rt.kind if rt is not None and rt.namespaced else None
    return None


def hard_of(quota: dict) -> dict[str, Qty]:
    """``spec.hard`` as quantities (unparseable values were refused by validation)."""
    return qty_map((quota.get("spec") or {}).get("hard"))


def used_of(quota: dict) -> dict[str, Qty] | None:
    """``status.used`` as quantities, or None while the controller has not synced this ``hard``."""
    status = quota.get("status") or {}
    spec_hard = (quota.get("spec") or {}).get("hard") or {}
    if status.get("hard") != spec_hard or "used" not in status:
        return None
    return qty_map(status.get("used"))


def kinds_of(quota: dict) -> set[str]:
    """The kinds whose objects this quota counts."""
    return {k for k in map(kind_of_resource, hard_of(quota)) if k is not None}


def matching_resources(quota: dict, kind: str) -> list[str]:
    """``MatchingResources``: the hard names that objects of ``kind`` consume."""
    return sorted(n for n in hard_of(quota) if kind_of_resource(n) == kind)


def quota_scopes(quota: dict) -> list[tuple[str, str, list]]:
    """``(scopeName, operator, values)`` from ``spec.scopes`` and ``spec.scopeSelector``."""
    spec = quota.get("spec") or {}
    out = [(s, "Exists", []) for s in spec.get("scopes") or ()]
    for expr in (spec.get("scopeSelector") or {}).get("matchExpressions") or ():
        out.append((expr.get("scopeName"), expr.get("operator"), list(expr.get("values") or ())))
    return out


def _scope_matches(scope: str, operator: str, values: list, pod: dict) -> bool:
    from kubelab.apiserver.admission import qos_class

    spec = pod.get("spec") or {}
    if scope == "PriorityClass":
        name = spec.get("priorityClassName") or ""
        if operator == "Exists":
            return bool(name)
        if operator == "DoesNotExist":
            return not name
        if operator == "In":
            return bool(name) and name in values
        return not name or name not in values  # NotIn
    deadline = spec.get("activeDeadlineSeconds")
    terminating = deadline is not None and deadline >= 0
    best_effort = qos_class(spec) == "BestEffort"
    result = {
        "Terminating": terminating,
        "NotTerminating": not terminating,
        "BestEffort": best_effort,
        "NotBestEffort": not best_effort,
    }.get(scope, False)
    return result if operator != "DoesNotExist" else not result


def matches_scopes(quota: dict, obj: dict) -> bool:
    """Whether every scope of the quota selects ``obj`` (only pods are in scopes)."""
    scopes = quota_scopes(quota)
    if not scopes:
        return True
    if obj.get("kind", "Pod") != "Pod":
        return False
    return all(_scope_matches(s, op, values, obj) for s, op, values in scopes)


_OBJECT_COUNT_ONLY = {"count/pods": Qty(1)}


def _charged(pod: dict, now: float) -> bool:
    """A pod being deleted stops counting once its grace period is over (``QuotaV1Pod``),
    except in ``count/pods``: the object is still in storage."""
    deleted = (pod.get("metadata") or {}).get("deletionTimestamp")
    return not deleted or parse_time(deleted) > now


def calculate_used(
    quota: dict, list_objects: Callable[[str], Iterable[dict]], *, now: float
) -> dict[str, Qty]:
    """``CalculateUsageStats`` for every hard name: the sum over matching objects (zeros kept)."""
    hard = hard_of(quota)
    used = {name: Qty() for name in hard}
    for kind in sorted(kinds_of(quota)):
        names = matching_resources(quota, kind)
        for obj in list_objects(kind):
            if not matches_scopes(quota, obj):
                continue
            if kind == "Pod" and not _charged(obj, now):
                usage = _OBJECT_COUNT_ONLY  # PodUsageFunc: still stored, so still counted
            else:
                usage = object_usage(dict(obj, kind=kind))
            for name in names:
                if name in usage:
                    used[name] = used[name] + usage[name]
    return used
