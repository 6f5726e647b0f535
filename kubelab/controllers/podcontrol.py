"""What every pod-owning controller shares (``pkg/controller/controller_utils.go``).

* which pods count (:func:`is_pod_active`, :func:`is_pod_ready`, :func:`is_pod_available`);
* a pod from a template (:func:`pod_from_template`, generateName ``<owner>-``);
* creating in slow-start batches 1, 2, 4, ... (:func:`slow_start_batch`);
* which pods to delete first (:func:`pods_to_delete`, upstream ``getPodsToDelete`` with
  ``ActivePodsWithRanks.Less``, pod-deletion-cost and logarithmic scale-down);
* adoption and release (:func:`claim_objects`, upstream ``ClaimObject``).

Examples
--------
>>> calls = []
>>> slow_start_batch(10, 1, lambda: calls.append(1) or len(calls) <= 5 or "quota exceeded")
(5, 'quota exceeded')
>>> len(calls)   # batches 1 + 2 + 4, then stop: the point of slow start
7
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterable
from functools import cmp_to_key

from kubelab.api.meta import controller_ref, get_condition, parse_time
from kubelab.errors import KubelabError, NotFound

__all__ = [
    "BURST_REPLICAS",
    "POD_DELETION_COST",
    "SLOW_START_INITIAL_BATCH",
    "claim_objects",
    "create_pod",
    "is_pod_active",
    "is_pod_available",
    "is_pod_ready",
    "owner_selector",
    "pod_from_template",
    "pod_ready_time",
    "pods_to_delete",
    "rank_by_related_pods_on_same_node",
    "recheck_owner",
    "resolve_controller",
    "slow_start_batch",
    "sort_pods_for_deletion",
]

BURST_REPLICAS = 500  # at most this many creations/deletions per sync (replica_set.go)
SLOW_START_INITIAL_BATCH = 1
POD_DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"
_PHASE_ORDINAL = {"Pending": 0, "Unknown": 1, "Running": 2}


# -- which pods count -----------------------------------------------------------------------
def is_pod_active(pod: dict) -> bool:
    """Not Succeeded/Failed and not being deleted (``IsPodActive``)."""
    return (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed") and not pod[
        "metadata"
    ].get("deletionTimestamp")


def is_pod_ready(pod: dict) -> bool:
    cond = get_condition(pod, "Ready")
    return cond is not None and cond.get("status") == "True"


def pod_ready_time(pod: dict) -> float | None:
    """When the pod became Ready (``None``: not ready, or no transition time)."""
    cond = get_condition(pod, "Ready")
    if cond is None or cond.get("status") != "True":
        return None
    return parse_time(cond.get("lastTransitionTime"))


def is_pod_available(pod: dict, min_ready_seconds: int, now: float) -> bool:
    """Ready for at least ``minReadySeconds`` (``podutil.IsPodAvailable``: strictly after).

    >>> pod = {"status": {"conditions": [{"type": "Ready", "status": "True",
    ...                                   "lastTransitionTime": "2025-01-01T00:00:10Z"}]}}
    >>> is_pod_available(pod, 5, 15.0), is_pod_available(pod, 5, 15.5), is_pod_available(pod, 0, 0)
    (False, True, True)
    """
    if not is_pod_ready(pod):
        return False
    if not min_ready_seconds:
        return True
    since = pod_ready_time(pod)
    return since is not None and since + min_ready_seconds < now


# -- creating ----------------------------------------------------------------------------------
def pod_from_template(template: dict, owner: dict, controller_ref_: dict | None) -> dict:
    """A new pod for ``owner`` (``GetPodFromTemplate``): generateName ``<owner>-``, the
    template's labels, annotations, finalizers and spec, and the controller reference.

    The spec is copied one level down (spec, containers): the API server fills defaults
    into what it is given, and the owner's template must stay untouched.

    >>> rs = {"metadata": {"name": "web", "namespace": "shop"}}
    >>> pod = pod_from_template({"metadata": {"labels": {"app": "web"}},
    ...                          "spec": {"containers": [{"name": "c", "image": "nginx"}]}}, rs, None)
    >>> pod["metadata"]
    {'generateName': 'web-', 'namespace': 'shop', 'labels': {'app': 'web'}}
    """
    tmeta = template.get("metadata") or {}
    meta: dict = {
        "generateName": owner["metadata"]["name"] + "-",
        "namespace": owner["metadata"].get("namespace", "default"),
    }
    for key in ("labels", "annotations"):
        if tmeta.get(key):
            meta[key] = dict(tmeta[key])
    if tmeta.get("finalizers"):
        meta["finalizers"] = list(tmeta["finalizers"])
    if controller_ref_ is not None:
        meta["ownerReferences"] = [dict(controller_ref_)]
    spec = dict(template.get("spec") or {})
    for key in ("containers", "initContainers"):
        if spec.get(key):
            spec[key] = [dict(c) for c in spec[key]]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


def create_pod(client, owner: dict, pod: dict) -> bool | str:
    """``RealPodControl.CreatePods``: create ``pod`` for ``owner`` and record the event
    (``SuccessfulCreate`` ``Created pod: NAME`` or ``FailedCreate`` ``Error creating: ...``).

    Returns True, or the API server's message (what :func:`slow_start_batch` counts as an error).
    """
    try:
        created = client.create(pod)
    except KubelabError as error:
        client.event(owner, "Warning", "FailedCreate", f"Error creating: {error.message}")
        return error.message
    client.event(owner, "Normal", "SuccessfulCreate", f"Created pod: {created['metadata']['name']}")
    return True


def slow_start_batch(
    count: int, initial_batch: int, fn: Callable[[], object]
) -> tuple[int, object]:
    """Call ``fn`` ``count`` times in batches 1, 2, 4, ...; stop after a batch with a failure.

    ``fn`` returns ``True`` (or ``None``) on success, anything else is the error.
    Returns ``(successes, first error or None)`` (upstream ``slowStartBatch``).

    >>> slow_start_batch(10, 1, lambda: "boom")
    (0, 'boom')
    >>> slow_start_batch(10, 1, lambda: True)
    (10, None)
    """
    remaining, successes, batch = count, 0, min(count, initial_batch)
    while batch > 0:
        error = None
        for _ in range(batch):
            result = fn()
            if result is True or result is None:
                successes += 1
            elif error is None:
                error = result
        if error is not None:
            return successes, error
        remaining -= batch
        batch = min(2 * batch, remaining)
    return successes, None


# -- which pods go first -----------------------------------------------------------------------
def _max_restarts(pod: dict) -> tuple[int, int]:
    """(regular containers, restartable init containers) max restartCount."""
    status = pod.get("status") or {}
    regular = max(
        (c.get("restartCount", 0) for c in status.get("containerStatuses") or ()), default=0
    )
    init = pod.get("spec", {}).get("initContainers")
    if not init:
        return regular, 0
    sidecars = {c["name"] for c in init if c.get("restartPolicy") == "Always"}
    sidecar = max(
        (
            c.get("restartCount", 0)
            for c in status.get("initContainerStatuses") or ()
            if c.get("name") in sidecars
        ),
        default=0,
    )
    return regular, sidecar


def _deletion_cost(pod: dict) -> int:
    value = (pod["metadata"].get("annotations") or {}).get(POD_DELETION_COST)
    try:
        cost = int(value) if value is not None else 0
    except ValueError:
        return 0
    return cost if -(2**31) <= cost < 2**31 else 0


def _features(pod: dict, rank: int) -> tuple:
    meta = pod["metadata"]
    ready_cond = get_condition(pod, "Ready")
    ready = ready_cond is not None and ready_cond.get("status") == "True"
    return (
        bool(pod.get("spec", {}).get("nodeName")),
        _PHASE_ORDINAL.get((pod.get("status") or {}).get("phase"), 0),
        ready,
        _deletion_cost(pod) if meta.get("annotations") else 0,
        rank,
        parse_time(ready_cond.get("lastTransitionTime")) if ready else None,
        _max_restarts(pod),
        parse_time(meta.get("creationTimestamp")),
        meta.get("uid") or "",
    )


def _log_rank(t: float, now: float) -> int:
    d = (now - t) * 1e9  # upstream compares durations in nanoseconds
    return int(math.log2(d)) if d > 0 else -1


def _time_less(t1, t2, uid1, uid2, now) -> bool:
    """Newer (or zero) time first, compared on a log2 scale; same bucket → smaller UID."""
    if now is None or t1 is None or t2 is None:  # afterOrZero
        if t1 is None or t2 is None:
            return t1 is None
        return t1 > t2
    diff = _log_rank(t1, now) - _log_rank(t2, now)
    if diff == 0:
        return uid1 < uid2
    return diff < 0


def _less(a: tuple, b: tuple, now: float | None) -> bool:
    """``ActivePodsWithRanks.Less`` on precomputed features: True when ``a`` goes first."""
    assigned_a, phase_a, ready_a, cost_a, rank_a, rtime_a, restarts_a, created_a, uid_a = a
    assigned_b, phase_b, ready_b, cost_b, rank_b, rtime_b, restarts_b, created_b, uid_b = b
    if assigned_a != assigned_b:  # 1. unassigned < assigned
        return not assigned_a
    if phase_a != phase_b:  # 2. Pending < Unknown < Running
        return phase_a < phase_b
    if ready_a != ready_b:  # 3. not ready < ready
        return not ready_a
    if cost_a != cost_b:  # 4. lower pod-deletion-cost first
        return cost_a < cost_b
    if rank_a != rank_b:  # 5. more related pods on the same node first
        return rank_a > rank_b
    if ready_a and ready_b and rtime_a != rtime_b:  # 6. ready for a shorter time first
        return _time_less(rtime_a, rtime_b, uid_a, uid_b, now)
    if restarts_a != restarts_b:  # 7. more restarts first (regular, then sidecars)
        if restarts_a[0] != restarts_b[0]:
            return restarts_a[0] > restarts_b[0]
        return restarts_a[1] > restarts_b[1]
    if created_a != created_b:  # 8. newer first
        return _time_less(created_a, created_b, uid_a, uid_b, now)
    return False


def sort_pods_for_deletion(pods: list[dict], ranks: list[int], now: float | None) -> list[dict]:
    """Pods sorted so that the ones to delete first come first (stable for equal pods)."""
    feats = [(_features(p, r), i) for i, (p, r) in enumerate(zip(pods, ranks, strict=True))]

    def cmp(x, y):
        if _less(x[0], y[0], now):
            return -1
        if _less(y[0], x[0], now):
            return 1
        return 0

    feats.sort(key=cmp_to_key(cmp))
    return [pods[i] for _, i in feats]


def rank_by_related_pods_on_same_node(pods: list[dict], related: Iterable[dict]) -> list[int]:
    """For each pod: how many *active* related pods share its node (``""`` counts as a node)."""
    on_node: dict[str, int] = {}
    for pod in related:
        if is_pod_active(pod):
            node = pod.get("spec", {}).get("nodeName") or ""
            on_node[node] = on_node.get(node, 0) + 1
    return [on_node.get(p.get("spec", {}).get("nodeName") or "", 0) for p in pods]


def pods_to_delete(
    pods: list[dict], related: Iterable[dict], diff: int, now: float | None
) -> list[dict]:
    """The ``diff`` pods to delete (``getPodsToDelete``): all of them without sorting if
    ``diff >= len(pods)``, else the first ``diff`` by rank."""
    if diff < len(pods):
        pods = sort_pods_for_deletion(pods, rank_by_related_pods_on_same_node(pods, related), now)
    return pods[:diff]


# -- adoption and release ----------------------------------------------------------------------
def resolve_controller(informer, kind: str, obj: dict) -> dict | None:
    """The live ``kind`` object that controls ``obj`` (``resolveControllerRef``): same name
    in the same namespace *and* same UID, else ``None``."""
    ref = controller_ref(obj)
    if ref is None or ref.get("kind") != kind:
        return None
    owner = informer.get(obj["metadata"].get("namespace", ""), ref["name"])
    if owner is None or owner["metadata"].get("uid") != ref.get("uid"):
        return None
    return owner


def recheck_owner(client, owner: dict) -> str | None:
    """``RecheckDeletionTimestamp``: look the owner up live before adopting; the reason not
    to adopt (gone, replaced, being deleted) or ``None``."""
    meta, kind = owner["metadata"], owner["kind"]
    try:
        fresh = client.get(kind, meta["name"], meta.get("namespace", ""))
    except NotFound:
        fresh = None
    if fresh is None or fresh["metadata"].get("uid") != meta["uid"]:
        got = fresh["metadata"].get("uid") if fresh else ""
        return (
            f"original {kind} {meta.get('namespace')}/{meta['name']} is gone: "
            f"got uid {got}, wanted {meta['uid']}"
        )
    if fresh["metadata"].get("deletionTimestamp"):
        return f"{meta.get('namespace')}/{meta['name']} has just been deleted"
    return None


def owner_selector(owner: dict):
    """The parsed ``spec.selector`` LabelSelector of ``owner`` (None: missing or invalid)."""
    from kubelab.api import labels

    ls = (owner.get("spec") or {}).get("selector")
    if not ls:
        return None
    try:
        return labels.from_label_selector(ls)
    except ValueError:
        return None


def claim_objects(
    client,
    owner: dict,
    ref: dict,
    selector,
    candidates: Iterable[dict],
    can_adopt: Callable[[], str | None],
) -> list[dict]:
    """Upstream ``ClaimObject`` over ``candidates``: keep what ``owner`` controls and still
    matches, release what no longer matches, adopt matching orphans.

    ``ref`` is the controller ownerReference to ``owner``; ``can_adopt()`` rechecks the owner
    live and returns an error message when it must not adopt (asked at most once).
    Returns the claimed objects (as the API server returned them after patches).
    """
    uid = owner["metadata"]["uid"]
    owner_deleting = bool(owner["metadata"].get("deletionTimestamp"))
    claimed: list[dict] = []
    adopt_error: list = []
    for obj in candidates:
        meta = obj["metadata"]
        cref = controller_ref(obj)
        matches = selector.matches(meta.get("labels"))
        if cref is not None:
            if cref.get("uid") != uid:
                continue  # someone else's
            if matches:
                claimed.append(obj)
            elif not owner_deleting and not meta.get("deletionTimestamp"):
                _release(client, obj, uid)
            continue
        if not matches or owner_deleting or meta.get("deletionTimestamp"):
            continue
        if not adopt_error:
            adopt_error.append(can_adopt() or "")
        if adopt_error[0]:
            continue
        refs = [*(meta.get("ownerReferences") or ()), dict(ref)]
        with contextlib.suppress(NotFound):  # gone meanwhile: nothing to adopt
            claimed.append(
                client.patch(
                    obj["kind"],
                    meta["name"],
                    meta.get("namespace", ""),
                    {"metadata": {"ownerReferences": refs}},
                    "merge",
                )
            )
    return claimed


def _release(client, obj: dict, uid: str) -> None:
    meta = obj["metadata"]
    refs = [r for r in meta.get("ownerReferences") or () if r.get("uid") != uid]
    with contextlib.suppress(KubelabError):  # gone or changed: the next sync sees the truth
        client.patch(
            obj["kind"],
            meta["name"],
            meta.get("namespace", ""),
            {"metadata": {"ownerReferences": refs or None}},
            "merge",
        )
