"""Pure helpers of the Deployment controller (``pkg/controller/deployment/util/deployment_util.go``).

Fenceposts (how many pods may be missing or extra during a rollout), the pod-template
hash, which ReplicaSet is "new", revisions and their annotations. Nothing here talks to
the API server: every function takes and returns plain dicts and numbers.

Examples
--------
>>> resolve_fenceposts("25%", "25%", 10)      # surge rounds up, unavailable down
(3, 2)
>>> d = deployment(replicas=3)
>>> max_surge(d), max_unavailable(d), min_available(d)
(1, 0, 3)
"""

from __future__ import annotations

import json
import math

from kubelab.api.meta import cow, parse_time

__all__ = [
    "DESIRED_REPLICAS",
    "MAX_REPLICAS",
    "POD_TEMPLATE_HASH",
    "REVISION",
    "REVISION_HISTORY",
    "compute_hash",
    "deployment",
    "equal_ignore_hash",
    "filter_active",
    "find_new_replica_set",
    "find_old_replica_sets",
    "is_rolling_update",
    "max_revision",
    "max_surge",
    "max_unavailable",
    "min_available",
    "new_rs_new_replicas",
    "replicas",
    "resolve_fenceposts",
    "revision",
    "scaled_value",
    "set_new_replica_set_annotations",
    "set_replicas_annotations",
    "sort_by_creation",
    "sort_by_revision",
]

POD_TEMPLATE_HASH = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
ROLLBACK_TO = "deprecated.deployment.rollback.to"
# Deployment annotations never copied to its ReplicaSets (and kept on rollback).
ANNOTATIONS_TO_SKIP = frozenset(
    {LAST_APPLIED, REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS, ROLLBACK_TO}
)
MAX_REV_HISTORY_CHARS = 2000
MAX_INT32 = 2**31 - 1
_SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def deployment(
    replicas: int = 1,
    max_surge: object = "25%",
    max_unavailable: object = "25%",
    strategy: str = "RollingUpdate",
    **spec,
) -> dict:
    """A minimal Deployment dict (for examples and tests)."""
    body = {"replicas": replicas, "strategy": {"type": strategy}, **spec}
    if strategy == "RollingUpdate":
        body["strategy"]["rollingUpdate"] = {
            "maxSurge": max_surge,
            "maxUnavailable": max_unavailable,
        }
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": body}


def replicas(rs: dict | None) -> int:
    """``*rs.Spec.Replicas`` (0 for a missing set)."""
    if rs is None:
        return 0
    value = (rs.get("spec") or {}).get("replicas")
    return 1 if value is None else value


def _status(rs: dict | None, field: str) -> int:
    return ((rs or {}).get("status") or {}).get(field) or 0


# -- fenceposts ---------------------------------------------------------------------------------
def scaled_value(value, total: int, round_up: bool) -> int:
    """``intstr.GetScaledValueFromIntOrPercent``.

    >>> scaled_value("39%", 10, True), scaled_value("39%", 10, False), scaled_value(2, 10, True)
    (4, 3, 2)
    >>> scaled_value("oops", 10, True)
    Traceback (most recent call last):
    ...
    ValueError: invalid value for IntOrString: invalid type: string is not a percentage
    """
    if value is None:
        raise ValueError("nil value for IntOrString")
    if isinstance(value, int):
        return value
    if not isinstance(value, str) or not value.endswith("%"):
        raise ValueError("invalid value for IntOrString: invalid type: string is not a percentage")
    try:
        percent = int(value[:-1])
    except ValueError:
        raise ValueError(f"invalid value for IntOrString: {value}") from None
    exact = percent * total / 100
    return math.ceil(exact) if round_up else math.floor(exact)


def resolve_fenceposts(surge, unavailable, desired: int) -> tuple[int, int]:
    """``ResolveFenceposts``: (maxSurge, maxUnavailable) as numbers; both 0 → unavailable 1.

    ``None`` stands for an unset field (0). Raises ``ValueError`` for a bad value.

    >>> resolve_fenceposts("0%", "0%", 0), resolve_fenceposts(None, None, 10)
    ((0, 1), (0, 1))
    """
    s = scaled_value(0 if surge is None else surge, desired, True)
    u = scaled_value(0 if unavailable is None else unavailable, desired, False)
    if s == 0 and u == 0:
        u = 1  # rounding down may give 0 + 0: allow one unavailable pod (surge may be out of quota)
    return s, u


def is_rolling_update(d: dict) -> bool:
    return ((d.get("spec") or {}).get("strategy") or {}).get("type") == "RollingUpdate"


def _fenceposts(d: dict) -> tuple[int, int]:
    rolling = d["spec"]["strategy"].get("rollingUpdate") or {}
    try:
        return resolve_fenceposts(
            rolling.get("maxSurge"), rolling.get("maxUnavailable"), replicas(d)
        )
    except ValueError:  # validation rejects these; never crash the controller on them
        return 0, 1


def max_unavailable(d: dict) -> int:
    """``MaxUnavailable``: capped at replicas; 0 for Recreate or 0 replicas.

    >>> max_unavailable(deployment(5, 1, 10)), max_unavailable(deployment(0, 1, 10))
    (5, 0)
    """
    if not is_rolling_update(d) or replicas(d) == 0:
        return 0
    return min(_fenceposts(d)[1], replicas(d))


def min_available(d: dict) -> int:
    """``MinAvailable``: replicas - MaxUnavailable (0 for Recreate).

    >>> min_available(deployment(10, 1, "60%")), min_available(deployment(10, strategy="Recreate"))
    (4, 0)
    """
    if not is_rolling_update(d):
        return 0
    return replicas(d) - max_unavailable(d)


def max_surge(d: dict) -> int:
    """``MaxSurge`` (0 for Recreate)."""
    if not is_rolling_update(d):
        return 0
    return _fenceposts(d)[0]


def new_rs_new_replicas(d: dict, all_rss: list[dict], new_rs: dict) -> int:
    """``NewRSNewReplicas``: the size the new ReplicaSet may grow to in this step.

    >>> rs5 = {"spec": {"replicas": 5}}
    >>> new_rs_new_replicas(deployment(6, 10, 1), [rs5], {"spec": {"replicas": 2}})
    6
    """
    if not is_rolling_update(d):
        return replicas(d)
    rolling = d["spec"]["strategy"].get("rollingUpdate") or {}
    try:
        surge = scaled_value(rolling.get("maxSurge", 0), replicas(d), True)
    except ValueError:
        surge = 0
    current = sum(replicas(rs) for rs in all_rss if rs is not None)  # spec, not status
    max_total = replicas(d) + surge
    if current >= max_total:
        return replicas(new_rs)  # cannot scale up
    return replicas(new_rs) + min(max_total - current, replicas(d) - replicas(new_rs))


# -- the pod template hash ------------------------------------------------------------------------
def _normalise(value):
    """Semantic equality as ``apiequality.Semantic.DeepEqual`` sees it: nil, empty maps and
    empty lists are all "unset" (kubectl sends ``creationTimestamp: null``, ``resources: {}``)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            item = _normalise(item)
            if item is not None:
                out[key] = item
        return out or None
    if isinstance(value, list):
        items = [_normalise(item) for item in value]
        return [{} if item is None else item for item in items] or None
    return value


def _without_hash(template: dict | None) -> dict:
    template = template or {}
    labels = (template.get("metadata") or {}).get("labels") or {}
    if POD_TEMPLATE_HASH in labels:
        template, meta_labels = cow(template, "metadata", "labels")
        del meta_labels[POD_TEMPLATE_HASH]
    return _normalise(template) or {}


def equal_ignore_hash(t1: dict | None, t2: dict | None) -> bool:
    """``EqualIgnoreHash``: the same template, whatever the pod-template-hash label says.

    >>> a = {"metadata": {"labels": {"app": "web", "pod-template-hash": "abc"}}, "spec": {}}
    >>> b = {"metadata": {"labels": {"app": "web"}, "creationTimestamp": None}}
    >>> equal_ignore_hash(a, b), equal_ignore_hash(a, {"metadata": {"labels": {"app": "db"}}})
    (True, False)
    """
    return _without_hash(t1) == _without_hash(t2)


def _fnv32a(data: bytes) -> int:
    h = 2166136261
    for byte in data:
        h = ((h ^ byte) * 16777619) & 0xFFFFFFFF
    return h


def compute_hash(template: dict | None, collision_count: int | None = None) -> str:
    """``controller.ComputeHash``: FNV-32a of the template (+ collisionCount), safely encoded.

    kubelab hashes a canonical JSON of the normalised template, not Go's ``%#v`` print,
    so values differ from a real cluster's; they are stable and change with the template.

    >>> h = compute_hash({"spec": {"containers": [{"name": "c", "image": "nginx"}]}})
    >>> h == compute_hash({"metadata": {"labels": {"pod-template-hash": h}},
    ...                    "spec": {"containers": [{"name": "c", "image": "nginx"}]}})
    True
    >>> set(h) <= set("bcdfghjklmnpqrstvwxz2456789"), h != compute_hash(None, 1)
    (True, True)
    """
    data = json.dumps(_without_hash(template), sort_keys=True, separators=(",", ":")).encode()
    if collision_count is not None:
        data += int(collision_count).to_bytes(4, "little")
    return "".join(_SAFE_ALPHABET[ord(ch) % len(_SAFE_ALPHABET)] for ch in str(_fnv32a(data)))


# -- which ReplicaSet is new ---------------------------------------------------------------------
def _created(rs: dict) -> tuple:
    meta = rs["metadata"]
    return (parse_time(meta.get("creationTimestamp")) or 0.0, meta.get("name", ""))


def sort_by_creation(rss: list[dict]) -> list[dict]:
    """``ReplicaSetsByCreationTimestamp``: oldest first, ties by name."""
    return sorted(rss, key=_created)


def find_new_replica_set(d: dict, rss: list[dict]) -> dict | None:
    """``FindNewReplicaSet``: the oldest set whose template equals the Deployment's."""
    template = d["spec"].get("template")
    for rs in sort_by_creation(rss):
        if equal_ignore_hash(rs["spec"].get("template"), template):
            return rs
    return None


def find_old_replica_sets(d: dict, rss: list[dict]) -> tuple[list[dict], list[dict]]:
    """``FindOldReplicaSets``: (old sets with replicas, all old sets)."""
    new = find_new_replica_set(d, rss)
    new_uid = new["metadata"].get("uid") if new is not None else None
    all_old = [rs for rs in rss if new is None or rs["metadata"].get("uid") != new_uid]
    return [rs for rs in all_old if replicas(rs) != 0], all_old


def filter_active(rss: list[dict | None]) -> list[dict]:
    """``FilterActiveReplicaSets``: sets with spec.replicas > 0."""
    return [rs for rs in rss if rs is not None and replicas(rs) > 0]


# -- revisions -----------------------------------------------------------------------------------
def revision(obj: dict | None) -> int | None:
    """The revision annotation as a number (0 when absent, ``None`` when unparsable)."""
    value = (((obj or {}).get("metadata") or {}).get("annotations") or {}).get(REVISION)
    if value is None:
        return 0
    try:
        return int(value)
    except ValueError:
        return None


def max_revision(rss: list[dict]) -> int:
    return max((r for rs in rss if (r := revision(rs)) is not None), default=0)


def sort_by_revision(rss: list[dict]) -> list[dict]:
    """``ReplicaSetsByRevision``: unparsable/missing revisions first (as 0), ties by age."""
    return sorted(rss, key=lambda rs: (revision(rs) or 0, _created(rs)))


def set_replicas_annotations(annotations: dict, desired: int, maximum: int) -> bool:
    """``SetReplicasAnnotations`` (in place on an annotations dict); True if changed."""
    changed = False
    for key, value in ((DESIRED_REPLICAS, str(desired)), (MAX_REPLICAS, str(maximum))):
        if annotations.get(key) != value:
            annotations[key] = value
            changed = True
    return changed


def set_new_replica_set_annotations(
    d: dict, annotations: dict, new_revision: int, exists: bool
) -> bool:
    """``SetNewReplicaSetAnnotations`` on the new set's annotations dict (in place).

    Copies the Deployment's annotations (except :data:`ANNOTATIONS_TO_SKIP`), raises the
    revision to ``new_revision`` (an old set becoming new again keeps its old number in
    ``revision-history``), and for a set about to be created adds desired/max replicas.

    >>> ann = {REVISION: "1"}
    >>> set_new_replica_set_annotations(deployment(3), ann, 3, True), ann[REVISION_HISTORY]
    (True, '1')
    """
    changed = False
    for key, value in ((d.get("metadata") or {}).get("annotations") or {}).items():
        if key not in ANNOTATIONS_TO_SKIP and annotations.get(key) != value:
            annotations[key] = value
            changed = True
    old = annotations.get(REVISION)
    try:
        old_int = int(old) if old else 0
    except ValueError:
        return False
    if old_int < new_revision:
        annotations[REVISION] = str(new_revision)
        changed = True
        if old is not None:  # rolling back to this set: remember the revisions it served
            history = annotations.get(REVISION_HISTORY, "")
            if not history:
                annotations[REVISION_HISTORY] = old
            else:
                parts = history.split(",")
                total = len(history) + len(old) + 1
                start = 0
                while total > MAX_REV_HISTORY_CHARS and start < len(parts):
                    total -= len(parts[start]) + 1
                    start += 1
                if total <= MAX_REV_HISTORY_CHARS:
                    annotations[REVISION_HISTORY] = ",".join([*parts[start:], old])
    if not exists and set_replicas_annotations(
        annotations, replicas(d), replicas(d) + max_surge(d)
    ):
        changed = True
    return changed
