"""The ``ResourceQuota`` admission plugin
(``staging/src/k8s.io/apiserver/pkg/admission/plugin/resourcequota/controller.go``).

On every create of an object a quota of its namespace counts (and on updates of Services and
claims, by what grows), the plugin checks the request against each matching quota's
``status.hard`` and ``status.used`` and then *charges* it: it
writes the new ``status.used`` through the API server before the object is stored, so two
pods created back to back cannot both take the last slot. The quota controller
(:mod:`kubelab.controllers.resourcequota`) recomputes ``used`` as objects go away.

Refusals, in upstream's words::

    pods "web-3" is forbidden: exceeded quota: compute-quota, requested: requests.cpu=600m,
    used: requests.cpu=1500m, limited: requests.cpu=2
    pods "web" is forbidden: failed quota: compute-quota: must specify limits.cpu for: nginx;
    limits.memory for: nginx

Simplification: upstream refuses with ``status unknown for quota`` until the controller has
synced a new quota (milliseconds on a real cluster); here the plugin computes that first
``used`` itself, so ``c.apply`` of a quota and a pod in one go behaves as it does in practice.
"""

from __future__ import annotations

from kubelab.api import kinds
from kubelab.api.quota import (
    VALIDATION_SET,
    calculate_used,
    hard_of,
    matches_scopes,
    matching_resources,
    used_of,
)
from kubelab.api.resourcelist import Qty, compute_usage, object_usage, pretty, qty_map
from kubelab.apiserver.admission import AdmissionPlugin
from kubelab.apiserver.limitranger import forbidden

__all__ = ["ResourceQuota", "missing_requirements"]

# Evaluators that also handle updates: a Service's type and ports, a claim's storage request.
_CHARGED_ON_UPDATE = ("Service", "PersistentVolumeClaim")


def _container_lists(container: dict) -> tuple[dict, dict]:
    res = container.get("resources") or {}
    return qty_map(res.get("requests")), qty_map(res.get("limits"))


def missing_requirements(required: list[str], pod: dict) -> str | None:
    """``podEvaluator.Constraints``: ``must specify limits.cpu for: a,b; requests.memory for: a``.

    >>> pod = {"spec": {"containers": [{"name": "nginx"}]}}
    >>> missing_requirements(["limits.cpu", "limits.memory", "pods"], pod)
    'must specify limits.cpu for: nginx; limits.memory for: nginx'
    """
    needed = [r for r in required if r in VALIDATION_SET]
    if not needed:
        return None
    missing: dict[str, set] = {}
    spec = pod.get("spec") or {}
    for c in list(spec.get("containers") or ()) + list(spec.get("initContainers") or ()):
        have = compute_usage(*_container_lists(c))
        for name in needed:
            if name not in have:
                missing.setdefault(name, set()).add(c.get("name", ""))
    if not missing:
        return None
    parts = [f"{r} for: {','.join(sorted(missing[r]))}" for r in sorted(missing)]
    return "must specify " + "; ".join(parts)


class ResourceQuota(AdmissionPlugin):
    """Refuses creations that would exceed a quota of the namespace, and charges the rest."""

    kinds = tuple(rt.kind for rt in kinds.KINDS if rt.namespaced and rt.kind != "Event")

    def validate(self, api, obj: dict, old: dict | None, *, dry_run: bool) -> None:
        kind = obj["kind"]
        if old is not None and kind not in _CHARGED_ON_UPDATE:
            return  # pods are charged on create only (in-place resize is not simulated)
        ns = obj["metadata"].get("namespace") or "default"
        quotas = sorted(api.store.list("ResourceQuota", ns), key=lambda q: q["metadata"]["name"])
        if not quotas:
            return
        resource = kinds.lookup(kind).qualified
        interesting = []
        for quota in quotas:
            names = matching_resources(quota, kind)
            if not names or not matches_scopes(quota, obj):
                continue
            if kind == "Pod":
                message = missing_requirements(names, obj)
                if message:
                    name = quota["metadata"]["name"]
                    raise forbidden(resource, obj, f"failed quota: {name}: {message}")
            interesting.append((quota, names))
        if not interesting:
            return
        usage = object_usage(obj)
        if old is not None:  # charge only what grows (a ClusterIP Service becoming a NodePort)
            before = object_usage(old)
            usage = {k: v - before[k] if k in before else v for k, v in usage.items()}
        usage = {k: v for k, v in usage.items() if v.value > 0}
        charges = []
        for quota, names in interesting:
            requested = {k: usage[k] for k in names if k in usage}
            if not requested:
                continue
            hard = hard_of(quota)
            used = used_of(quota)
            if used is None:  # not synced yet: what the controller would have written
                used = calculate_used(
                    quota, lambda k, ns=ns: api.store.list(k, ns), now=api.clock.now
                )
            new_used = dict(used)
            for k, q in requested.items():
                new_used[k] = used.get(k, Qty()) + q
            exceeded = sorted(k for k in requested if hard[k] < new_used[k])
            if exceeded:
                raise forbidden(
                    resource,
                    obj,
                    f"exceeded quota: {quota['metadata']['name']}, "
                    f"requested: {pretty({k: requested[k] for k in exceeded})}, "
                    f"used: {pretty({k: used.get(k, Qty()) for k in exceeded})}, "
                    f"limited: {pretty({k: hard[k] for k in exceeded})}",
                )
            charges.append((quota, new_used))
        if dry_run:
            return
        for quota, new_used in charges:
            status = {
                "hard": dict((quota.get("spec") or {}).get("hard") or {}),
                "used": {k: str(v) for k, v in sorted(new_used.items())},
            }
            api.update(dict(quota, status=status), user="kube-apiserver", subresource="status")
