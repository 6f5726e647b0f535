"""How a Deployment moves its ReplicaSets, as plans (``rolling.go`` and ``sync.go`` ``scale()``).

Each function decides, from the ReplicaSets' ``spec.replicas`` and ``status`` only, which
sets to resize; it returns the resizes as a list of :class:`Resize` and never writes. The
controller (``deployment.py``) carries them out in order, as upstream does inline.

Examples
--------
A rolling update of 3 replicas (25% / 25%: one surge pod, none unavailable) starts by
adding one new pod, then removes an old one once the new one is available:

>>> from kubelab.controllers.deployment_util import deployment
>>> d = deployment(3)
>>> old, new = rs("old", 3, available=3), rs("new", 0)
>>> reconcile_new_replica_set([old, new], new, d)
1
>>> new = rs("new", 1, available=1)
>>> [(r.rs["metadata"]["name"], r.size) for r in reconcile_old_replica_sets([old, new], [old], new, d)]
[('old', 2)]
"""

from __future__ import annotations

from dataclasses import dataclass

from kubelab.api.meta import cow, parse_time, timestamp
from kubelab.controllers.deployment_util import (
    DESIRED_REPLICAS,
    MAX_REPLICAS,
    filter_active,
    is_rolling_update,
    max_surge,
    max_unavailable,
    new_rs_new_replicas,
    replicas,
    sort_by_creation,
)

__all__ = [
    "Resize",
    "cleanup_unhealthy_replicas",
    "find_active_or_latest",
    "get_proportion",
    "is_saturated",
    "reconcile_new_replica_set",
    "reconcile_old_replica_sets",
    "rs",
    "scale",
    "scale_down_old_replica_sets_for_rolling_update",
]


@dataclass(frozen=True)
class Resize:
    """Resize ``rs`` to ``size``. ``operation`` ``None``: skip if already that size
    (``scaleReplicaSetAndRecordEvent``); ``"up"``/``"down"``/``""``: write the replica
    annotations even if the size is unchanged (``scaleReplicaSet``, proportional scaling)."""

    rs: dict
    size: int
    operation: str | None = None


def rs(name: str, size: int, *, available: int = 0, created: float = 0.0, annotations=None) -> dict:
    """A minimal ReplicaSet dict (for examples and tests)."""
    meta = {"name": name, "uid": name, "creationTimestamp": timestamp(created)}
    if annotations:
        meta["annotations"] = dict(annotations)
    return {
        "metadata": meta,
        "spec": {"replicas": size},
        "status": {"replicas": size, "availableReplicas": available},
    }


def _available(rs_: dict | None) -> int:
    return ((rs_ or {}).get("status") or {}).get("availableReplicas") or 0


def _resized(rs_: dict, size: int) -> dict:
    new, spec = cow(rs_, "spec")
    spec["replicas"] = size
    return new


# -- rolling update (rolling.go) ---------------------------------------------------------------
def reconcile_new_replica_set(all_rss: list[dict], new_rs: dict, d: dict) -> int | None:
    """``reconcileNewReplicaSet``: the new set's next size, or ``None`` (no scaling)."""
    want = replicas(d)
    if replicas(new_rs) == want:
        return None
    if replicas(new_rs) > want:
        return want  # scale down to the Deployment's size
    size = new_rs_new_replicas(d, all_rss, new_rs)
    return None if size == replicas(new_rs) else size


def cleanup_unhealthy_replicas(
    old_rss: list[dict], max_cleanup: int
) -> tuple[list[Resize], list[dict], int]:
    """``cleanupUnhealthyReplicas``: shrink old sets by their unavailable pods, oldest first.

    Returns the resizes, the old sets as resized, and how many replicas went.

    >>> plans, _, n = cleanup_unhealthy_replicas([rs("a", 10, available=8)], 1)
    >>> [(p.size) for p in plans], n
    ([9], 1)
    """
    plans, updated, total = [], [], 0
    for target in sort_by_creation(old_rss):
        size = replicas(target)
        if total >= max_cleanup or size == 0 or size == _available(target):
            updated.append(target)
            continue
        down = min(max_cleanup - total, size - _available(target))
        plans.append(Resize(target, size - down))
        updated.append(_resized(target, size - down))
        total += down
    return plans, updated, total


def scale_down_old_replica_sets_for_rolling_update(
    all_rss: list[dict], old_rss: list[dict], d: dict
) -> tuple[list[Resize], int]:
    """``scaleDownOldReplicaSetsForRollingUpdate``: remove available old pods beyond
    ``minAvailable``, oldest sets first."""
    min_avail = replicas(d) - max_unavailable(d)
    available = sum(_available(r) for r in all_rss if r is not None)
    if available <= min_avail:
        return [], 0
    plans, total, wanted = [], 0, available - min_avail
    for target in sort_by_creation(old_rss):
        if total >= wanted:
            break
        if replicas(target) == 0:
            continue
        down = min(replicas(target), wanted - total)
        plans.append(Resize(target, replicas(target) - down))
        total += down
    return plans, total


def reconcile_old_replica_sets(
    all_rss: list[dict], old_rss: list[dict], new_rs: dict, d: dict
) -> list[Resize]:
    """``reconcileOldReplicaSets``: scale old sets down as far as availability allows.

    ``maxScaledDown = allPods - minAvailable - newRSUnavailable``: unavailable new pods
    block the scale-down, so a broken release never eats into the old pods.
    """
    if sum(replicas(r) for r in old_rss) == 0:
        return []
    all_pods = sum(replicas(r) for r in all_rss if r is not None)
    min_avail = replicas(d) - max_unavailable(d)
    new_unavailable = replicas(new_rs) - _available(new_rs)
    max_scaled_down = all_pods - min_avail - new_unavailable
    if max_scaled_down <= 0:
        return []
    # Unhealthy old replicas first: removing them cannot reduce availability.
    cleanup, old_after, _ = cleanup_unhealthy_replicas(old_rss, max_scaled_down)
    scale_down, _ = scale_down_old_replica_sets_for_rolling_update(
        [*old_after, new_rs], old_after, d
    )
    return cleanup + scale_down


# -- proportional scaling (sync.go scale()) ------------------------------------------------------
def find_active_or_latest(new_rs: dict | None, old_rss: list[dict]) -> dict | None:
    """``FindActiveOrLatest``: the only active set, or the newest if none is active;
    ``None`` when several are active (they are scaled proportionally)."""
    if new_rs is None and not old_rss:
        return None
    newest_first = sorted(old_rss, key=_age_key, reverse=True)
    active = filter_active([*newest_first, new_rs])
    if not active:
        return new_rs if new_rs is not None else newest_first[0]
    return active[0] if len(active) == 1 else None


def _age_key(rs_: dict) -> tuple:
    meta = rs_["metadata"]
    return (parse_time(meta.get("creationTimestamp")) or 0.0, meta.get("name", ""))


def is_saturated(d: dict, rs_: dict | None) -> bool:
    """``IsSaturated``: the new set holds every desired replica, all available."""
    if rs_ is None:
        return False
    try:
        desired = int(((rs_["metadata"].get("annotations")) or {}).get(DESIRED_REPLICAS, ""))
    except ValueError:
        return False
    want = replicas(d)
    return replicas(rs_) == want and desired == want and _available(rs_) == want


def _round_half_away(x: float) -> int:
    return int(x + 0.5) if x >= 0 else -int(-x + 0.5)


def _fraction(rs_: dict, d: dict) -> int:
    """``getReplicaSetFraction``."""
    if replicas(d) == 0:
        return -replicas(rs_)
    deployment_replicas = replicas(d) + max_surge(d)
    annotated = None
    value = (rs_["metadata"].get("annotations") or {}).get(MAX_REPLICAS)
    if value is not None:
        try:
            annotated = int(value)
        except ValueError:
            annotated = None
    if annotated is None:  # fall back to the Deployment's current size
        annotated = ((d.get("status") or {}).get("replicas")) or 0
    if annotated == 0:
        return 0
    return _round_half_away(replicas(rs_) * deployment_replicas / annotated) - replicas(rs_)


def get_proportion(rs_: dict | None, d: dict, to_add: int, added: int) -> int:
    """``GetProportion``: this set's share of ``to_add``, never past what is left."""
    if rs_ is None or replicas(rs_) == 0 or to_add == 0 or to_add == added:
        return 0
    fraction, allowed = _fraction(rs_, d), to_add - added
    return min(fraction, allowed) if to_add > 0 else max(fraction, allowed)


def scale(d: dict, new_rs: dict | None, old_rss: list[dict]) -> list[Resize]:
    """``scale()``: resize on a scaling event (or while paused), proportionally to each
    set's size so a half-finished rollout keeps its proportions."""
    want = replicas(d)
    latest = find_active_or_latest(new_rs, old_rss)
    if latest is not None:
        return [] if replicas(latest) == want else [Resize(latest, want)]
    if is_saturated(d, new_rs):
        return [Resize(old, 0) for old in filter_active(old_rss)]
    if not is_rolling_update(d):
        return []
    active = filter_active([*old_rss, new_rs])
    allowed = want + max_surge(d) if want > 0 else 0
    to_add = allowed - sum(replicas(r) for r in active)
    operation = ""
    if to_add != 0:
        # to_add > 0: ReplicaSetsBySizeNewer (biggest first, newer first on ties);
        # to_add < 0: ReplicaSetsBySizeOlder (biggest first, older first on ties).
        active.sort(key=_age_key, reverse=to_add > 0)
        active.sort(key=replicas, reverse=True)  # stable: ties keep the age order
        operation = "up" if to_add > 0 else "down"
    sizes, added = [], 0
    for target in active:
        if to_add != 0:
            proportion = get_proportion(target, d, to_add, added)
            sizes.append(replicas(target) + proportion)
            added += proportion
        else:
            sizes.append(replicas(target))
    if active and to_add != 0:  # leftovers go to the biggest set
        sizes[0] = max(sizes[0] + to_add - added, 0)
    return [Resize(target, size, operation) for target, size in zip(active, sizes, strict=True)]
