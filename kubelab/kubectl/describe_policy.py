"""Namespace policies in kubectl: ``get``/``describe`` of ResourceQuota and LimitRange, and the
quota and limit sections of ``describe namespace`` (``pkg/describe/describe.go``,
``pkg/printers/internalversion/printers.go``).

Examples
--------
>>> q = {"kind": "ResourceQuota", "metadata": {"name": "compute", "namespace": "team",
...      "creationTimestamp": "2025-01-01T00:00:00Z"},
...      "spec": {"hard": {"requests.cpu": "2", "limits.cpu": "4", "pods": "10"}},
...      "status": {"hard": {"requests.cpu": "2", "limits.cpu": "4", "pods": "10"},
...                 "used": {"requests.cpu": "500m", "limits.cpu": "1", "pods": "1"}}}
>>> quota_row(q, now=60.0)
['compute', '60s', 'pods: 1/10, requests.cpu: 500m/2', 'limits.cpu: 1/4']
>>> print(describe_quota(q, None), end="")
Name:         compute
Namespace:    team
Resource      Used  Hard
--------      ----  ----
limits.cpu    1     4
pods          1     10
requests.cpu  500m  2
"""

from __future__ import annotations

import math

from kubelab.api.resourcelist import Qty
from kubelab.kubectl.columns import age
from kubelab.kubectl.describe_common import (
    Related,
    Writer,
    annotations_multiline,
    labels_multiline,
)

__all__ = [
    "describe_limitrange",
    "describe_namespace",
    "describe_quota",
    "limitrange_row",
    "quota_row",
]

_SCOPE_HELP = {
    "Terminating": "Matches all pods that have an active deadline. These pods have a limited "
    "lifespan on a node before being actively terminated by the system.",
    "NotTerminating": "Matches all pods that do not have an active deadline. These pods usually "
    "include long running pods whose container command is not expected to terminate.",
    "BestEffort": "Matches all pods that do not have resource requirements set. These pods have "
    "a best effort quality of service.",
    "NotBestEffort": "Matches all pods that have at least one resource requirement set. These "
    "pods have a burstable or guaranteed quality of service.",
}


def _q(text) -> Qty:
    try:
        return Qty.parse(text)
    except ValueError:
        return Qty()


def _status(quota: dict) -> tuple[dict, dict]:
    status = quota.get("status") or {}
    return status.get("hard") or {}, status.get("used") or {}


def quota_row(quota: dict, now: float) -> list:
    """``printResourceQuota``: NAME, AGE, REQUEST (``name: used/hard, ...``), LIMIT (limits.*)."""
    hard, used = _status(quota)
    request, limit = [], []
    for name in sorted(hard):
        column = limit if name.split(".", 1)[0] == "limits" and "." in name else request
        column.append(f"{name}: {_q(used.get(name, 0))}/{_q(hard[name])}")
    return [quota["metadata"]["name"], age(quota, now), ", ".join(request), ", ".join(limit)]


def limitrange_row(lr: dict, now: float) -> list:
    """``printLimitRange``: NAME, CREATED AT (RFC 3339)."""
    return [lr["metadata"]["name"], lr["metadata"].get("creationTimestamp", "")]


def _scopes(w: Writer, level: int, quota: dict, bullet: str) -> None:
    scopes = sorted((quota.get("spec") or {}).get("scopes") or ())
    if scopes:
        w.write(level, f"Scopes:\t{', '.join(scopes)}\n")
        for scope in scopes:
            if scope in _SCOPE_HELP:
                w.write(level, f"{bullet}{_SCOPE_HELP[scope]}\n")


def describe_quota(quota: dict, rel: Related | None) -> str:
    """``kubectl describe quota``: the scopes and a Resource/Used/Hard table."""
    w, meta = Writer(), quota["metadata"]
    w.write(0, f"Name:\t{meta['name']}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    _scopes(w, 0, quota, " * ")
    w.write(0, "Resource\tUsed\tHard\n")
    w.write(0, "--------\t----\t----\n")
    hard, used = _status(quota)
    for name in sorted(hard):
        h, u = _q(hard[name]), _q(used.get(name, 0))
        if h.binary != u.binary:  # describe re-formats used in hard's format
            u = Qty(math.ceil(u.value), h.binary)
        w.write(0, f"{name}\t{u}\t{h}\n")
    return w.text()


def _limit_lines(w: Writer, spec: dict, prefix: str) -> None:
    for item in spec.get("limits") or ():
        sections = ("min", "max", "defaultRequest", "default", "maxLimitRequestRatio")
        names = sorted({n for key in sections for n in (item.get(key) or {})})
        for name in names:
            cells = [
                str(_q(item[key][name])) if name in (item.get(key) or {}) else "-"
                for key in sections
            ]
            w.write(0, f"{prefix}{item.get('type', '')}\t{name}\t" + "\t".join(cells) + "\n")


_LIMIT_HEADER = (
    "Type\tResource\tMin\tMax\tDefault Request\tDefault Limit\tMax Limit/Request Ratio\n"
)
_LIMIT_RULE = "----\t--------\t---\t---\t---------------\t-------------\t-----------------------\n"


def describe_limitrange(lr: dict, rel: Related | None) -> str:
    """``kubectl describe limitrange``: one line per (type, resource)."""
    w, meta = Writer(), lr["metadata"]
    w.write(0, f"Name:\t{meta['name']}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    w.write(0, _LIMIT_HEADER)
    w.write(0, _LIMIT_RULE)
    _limit_lines(w, lr.get("spec") or {}, "")
    return w.text()


def describe_namespace(ns: dict, rel: Related) -> str:
    """``kubectl describe namespace``: status, then its quotas and limit ranges."""
    w, meta = Writer(), ns["metadata"]
    w.write(0, f"Name:\t{meta['name']}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"Status:\t{(ns.get('status') or {}).get('phase', '')}\n")
    quotas = sorted(rel.objects.get("ResourceQuota") or (), key=lambda q: q["metadata"]["name"])
    ranges = rel.objects.get("LimitRange") or ()
    w.write(0, "\n")
    if not quotas:
        w.write(0, "No resource quota.\n")
    else:
        w.write(0, "Resource Quotas\n")
        for quota in quotas:
            w.write(1, f"Name:\t{quota['metadata']['name']}\n")
            _scopes(w, 1, quota, "* ")
            w.write(1, "Resource\tUsed\tHard\n")
            w.write(1, "--------\t---\t---\n")
            hard, used = _status(quota)
            for name in sorted(hard):
                w.write(1, f"{name}\t{_q(used.get(name, 0))}\t{_q(hard[name])}\n")
    w.write(0, "\n")
    if not ranges:
        w.write(0, "No LimitRange resource.\n")
    else:
        w.write(0, "Resource Limits\n " + _LIMIT_HEADER)
        w.write(0, " " + _LIMIT_RULE)
        for lr in ranges:
            _limit_lines(w, lr.get("spec") or {}, " ")
    return w.text()
