"""Taints and tolerations (``staging/src/k8s.io/api/core/v1/toleration.go``, ``taint.go``).

Taints and tolerations are kept as plain tuples so they hash and compare cheaply:
a taint is ``(key, value, effect)`` and a toleration ``(key, operator, value, effect)``.

Examples
--------
>>> t = taint_tuple({"key": "gpu", "value": "yes", "effect": "NoSchedule"})
>>> tolerates_taint(toleration_tuple({"key": "gpu", "operator": "Exists"}), t)
True
>>> tolerates_taint(toleration_tuple({"key": "gpu", "value": "no", "effect": "NoSchedule"}), t)
False
>>> tolerates_taint(toleration_tuple({"operator": "Exists"}), t)   # empty key + Exists: everything
True
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "DO_NOT_SCHEDULE",
    "NO_EXECUTE",
    "NO_SCHEDULE",
    "PREFER_NO_SCHEDULE",
    "find_untolerated_taint",
    "taint_tuple",
    "tolerates_taint",
    "toleration_tuple",
    "tolerations_tolerate_taint",
]

NO_SCHEDULE, PREFER_NO_SCHEDULE, NO_EXECUTE = "NoSchedule", "PreferNoSchedule", "NoExecute"
# helper.DoNotScheduleTaintsFilterFunc: the effects the TaintToleration filter enforces.
DO_NOT_SCHEDULE = frozenset({NO_SCHEDULE, NO_EXECUTE})

Taint = tuple[str, str, str]
Toleration = tuple[str, str, str, str]


def taint_tuple(taint: dict) -> Taint:
    """``(key, value, effect)`` of a taint dict."""
    return taint.get("key") or "", taint.get("value") or "", taint.get("effect") or ""


def toleration_tuple(toleration: dict) -> Toleration:
    """``(key, operator, value, effect)`` of a toleration dict."""
    return (
        toleration.get("key") or "",
        toleration.get("operator") or "",
        toleration.get("value") or "",
        toleration.get("effect") or "",
    )


def tolerates_taint(toleration: Toleration, taint: Taint) -> bool:
    """``Toleration.ToleratesTaint``: effect and key must match unless empty, then the operator.

    >>> tolerates_taint(("k", "Equal", "v", "NoSchedule"), ("k", "v", "NoExecute"))
    False
    >>> tolerates_taint(("k", "", "v", ""), ("k", "v", "NoExecute"))   # "" operator means Equal
    True
    """
    key, operator, value, effect = toleration
    if effect and effect != taint[2]:
        return False
    if key and key != taint[0]:
        return False
    if operator in ("", "Equal"):
        return value == taint[1]
    return operator == "Exists"


def tolerations_tolerate_taint(tolerations: Iterable[Toleration], taint: Taint) -> bool:
    return any(tolerates_taint(t, taint) for t in tolerations)


def find_untolerated_taint(
    taints: Iterable[Taint], tolerations: Iterable[Toleration], effects: frozenset = DO_NOT_SCHEDULE
) -> Taint | None:
    """The first taint (in the node's order) with one of ``effects`` that no toleration tolerates.

    >>> find_untolerated_taint([("a", "", "PreferNoSchedule"), ("b", "1", "NoSchedule")], [])
    ('b', '1', 'NoSchedule')
    """
    tolerations = tuple(tolerations)
    for taint in taints:
        if taint[2] in effects and not tolerations_tolerate_taint(tolerations, taint):
            return taint
    return None
