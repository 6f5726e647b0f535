"""DaemonSet helpers (``pkg/controller/daemon/util``, ``update.go``): pure functions.

* which nodes a daemon pod belongs on (:func:`node_should_run_daemon_pod`);
* the pod template the controller stamps (:func:`create_pod_template`: the automatic
  tolerations of :func:`add_or_update_daemon_pod_tolerations`, ``controller-revision-hash``
  and ``pod-template-generation`` labels) and the node pinning
  (:func:`replace_daemon_set_pod_node_name_node_affinity`);
* ControllerRevisions (:func:`compute_hash`, :func:`get_patch`);
* the rolling update plan (:func:`plan_rolling_update`, upstream ``rollingUpdate``).

Examples
--------
>>> ds = {"metadata": {"name": "agent"}, "spec": {"template": {"spec": {
...     "nodeSelector": {"disk": "ssd"}, "containers": [{"name": "c", "image": "agent"}]}}}}
>>> ssd = {"metadata": {"name": "n1", "labels": {"disk": "ssd"}}, "spec": {}}
>>> node_should_run_daemon_pod(ssd, ds), node_should_run_daemon_pod(
...     {"metadata": {"name": "n2"}, "spec": {}}, ds)
((True, True), (False, False))
>>> tainted = {"metadata": {"name": "n3", "labels": {"disk": "ssd"}},
...            "spec": {"taints": [{"key": "gpu", "effect": "NoSchedule"}]}}
>>> node_should_run_daemon_pod(tainted, ds)   # not placed, but a running pod may stay
(False, True)
"""

from __future__ import annotations

import json
import math

from kubelab.controllers.podcontrol import is_pod_available
from kubelab.scheduler.nodeselector import compile_terms, term_matches
from kubelab.scheduler.taints import (
    DO_NOT_SCHEDULE,
    NO_EXECUTE,
    find_untolerated_taint,
    taint_tuple,
    toleration_tuple,
)

__all__ = [
    "CONTROLLER_REVISION_HASH",
    "POD_TEMPLATE_GENERATION",
    "TEMPLATE_GENERATION_ANNOTATION",
    "add_or_update_daemon_pod_tolerations",
    "compute_hash",
    "create_pod_template",
    "find_updated_pods_on_node",
    "get_patch",
    "get_target_node_name",
    "is_pod_updated",
    "node_should_run_daemon_pod",
    "plan_rolling_update",
    "pod_sort_key",
    "replace_daemon_set_pod_node_name_node_affinity",
    "scaled_value",
]

CONTROLLER_REVISION_HASH = "controller-revision-hash"
POD_TEMPLATE_GENERATION = "pod-template-generation"
TEMPLATE_GENERATION_ANNOTATION = "deprecated.daemonset.template.generation"
_SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # rand.SafeEncodeString
_NO_EXECUTE = frozenset({NO_EXECUTE})

# AddOrUpdateDaemonPodTolerations, in upstream's order (network-unavailable: hostNetwork only).
_DAEMON_TOLERATIONS = [
    ("node.kubernetes.io/not-ready", "NoExecute"),
    ("node.kubernetes.io/unreachable", "NoExecute"),
    ("node.kubernetes.io/disk-pressure", "NoSchedule"),
    ("node.kubernetes.io/memory-pressure", "NoSchedule"),
    ("node.kubernetes.io/pid-pressure", "NoSchedule"),
    ("node.kubernetes.io/unschedulable", "NoSchedule"),
]
_NETWORK_UNAVAILABLE = ("node.kubernetes.io/network-unavailable", "NoSchedule")


# -- tolerations and the pod template ---------------------------------------------------------
def add_or_update_daemon_pod_tolerations(spec: dict) -> list[dict]:
    """The template's tolerations plus the daemon ones (``AddOrUpdateTolerationInPodSpec``:
    a toleration with the same key, operator, value and effect is replaced in place).

    >>> [t["key"].split("/")[1] for t in add_or_update_daemon_pod_tolerations({})]
    ['not-ready', 'unreachable', 'disk-pressure', 'memory-pressure', 'pid-pressure', 'unschedulable']
    """
    tolerations = [dict(t) for t in spec.get("tolerations") or ()]
    wanted = list(_DAEMON_TOLERATIONS)
    if spec.get("hostNetwork"):
        wanted.append(_NETWORK_UNAVAILABLE)
    for key, effect in wanted:
        new = {"key": key, "operator": "Exists", "effect": effect}
        match = toleration_tuple(new)
        for i, old in enumerate(tolerations):
            if toleration_tuple(old) == match:
                tolerations[i] = new
                break
        else:
            tolerations.append(new)
    return tolerations


def create_pod_template(template: dict, generation: int | None, hash_: str) -> dict:
    """``CreatePodTemplate``: tolerations added, generation and hash labels set."""
    meta = dict(template.get("metadata") or {})
    labels = dict(meta.get("labels") or {})
    if generation is not None:
        labels[POD_TEMPLATE_GENERATION] = str(generation)
    if hash_:
        labels[CONTROLLER_REVISION_HASH] = hash_
    meta["labels"] = labels
    spec = dict(template.get("spec") or {})
    spec["tolerations"] = add_or_update_daemon_pod_tolerations(spec)
    return {"metadata": meta, "spec": spec}


def replace_daemon_set_pod_node_name_node_affinity(affinity: dict | None, node: str) -> dict:
    """Pin a pod to ``node`` for the default scheduler: required node affinity
    ``matchFields metadata.name In [node]`` replaces any required terms.

    >>> replace_daemon_set_pod_node_name_node_affinity(None, "n1")["nodeAffinity"]
    {'requiredDuringSchedulingIgnoredDuringExecution': {'nodeSelectorTerms': [{'matchFields': [{'key': 'metadata.name', 'operator': 'In', 'values': ['n1']}]}]}}
    """
    required = {
        "nodeSelectorTerms": [
            {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]}
        ]
    }
    affinity = dict(affinity or {})
    node_affinity = dict(affinity.get("nodeAffinity") or {})
    node_affinity["requiredDuringSchedulingIgnoredDuringExecution"] = required
    affinity["nodeAffinity"] = node_affinity
    return affinity


def get_target_node_name(pod: dict) -> str | None:
    """``GetTargetNodeName``: ``spec.nodeName``, else the node pinned by the affinity."""
    spec = pod.get("spec") or {}
    if spec.get("nodeName"):
        return spec["nodeName"]
    required = (
        ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
            "requiredDuringSchedulingIgnoredDuringExecution"
        )
        or {}
    ).get("nodeSelectorTerms") or []
    if len(required) != 1:
        return None
    fields = required[0].get("matchFields") or []
    if len(fields) != 1:
        return None
    req = fields[0]
    values = req.get("values") or []
    if req.get("key") != "metadata.name" or req.get("operator") != "In" or len(values) != 1:
        return None
    return values[0]


# -- which nodes --------------------------------------------------------------------------------
class DaemonPredicate:
    """``NodeShouldRunDaemonPod`` for one DaemonSet, compiled once per sync."""

    def __init__(self, ds: dict):
        spec = ((ds.get("spec") or {}).get("template") or {}).get("spec") or {}
        self.node_name = spec.get("nodeName") or ""
        self.selector = dict(spec.get("nodeSelector") or {})
        required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
            "requiredDuringSchedulingIgnoredDuringExecution"
        )
        self.terms = None if required is None else compile_terms(required.get("nodeSelectorTerms"))
        self.tolerations = tuple(
            toleration_tuple(t) for t in add_or_update_daemon_pod_tolerations(spec)
        )

    def __call__(self, node: dict) -> tuple[bool, bool]:
        """``(shouldRun, shouldContinueRunning)``."""
        name = node["metadata"]["name"]
        if self.node_name and self.node_name != name:
            return False, False
        node_labels = node["metadata"].get("labels") or {}
        if any(node_labels.get(k) != v for k, v in self.selector.items()):
            return False, False
        if self.terms is not None and not any(
            term_matches(t, node_labels, name) for t in self.terms
        ):
            return False, False
        taints = [taint_tuple(t) for t in (node.get("spec") or {}).get("taints") or ()]
        if not taints or find_untolerated_taint(taints, self.tolerations, DO_NOT_SCHEDULE) is None:
            return True, True
        # Not placed; a pod already there keeps running unless a NoExecute taint is untolerated.
        return False, find_untolerated_taint(taints, self.tolerations, _NO_EXECUTE) is None


def node_should_run_daemon_pod(node: dict, ds: dict) -> tuple[bool, bool]:
    """``NodeShouldRunDaemonPod(node, ds)`` → ``(shouldRun, shouldContinueRunning)``."""
    return DaemonPredicate(ds)(node)


# -- revisions ----------------------------------------------------------------------------------
def compute_hash(template: dict, collision_count: int | None = None) -> str:
    """``controller.ComputeHash``: FNV-32a of the template (+ collision count), safe-encoded.

    kubelab hashes canonical JSON where Go hashes a ``spew`` dump, so values differ from a
    real cluster's; equal templates still give equal hashes.

    >>> compute_hash({"spec": {"containers": [{"name": "c", "image": "a"}]}}) == compute_hash(
    ...     {"spec": {"containers": [{"image": "a", "name": "c"}]}})
    True
    >>> compute_hash({}) != compute_hash({}, 1)
    True
    """
    data = json.dumps(template, sort_keys=True, separators=(",", ":")).encode()
    if collision_count is not None:
        data += (collision_count & 0xFFFFFFFF).to_bytes(4, "little") + bytes(4)
    h = 0x811C9DC5
    for byte in data:
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return "".join(_SAFE_ALPHABET[b % len(_SAFE_ALPHABET)] for b in str(h).encode())


def get_patch(ds: dict) -> dict:
    """``getPatch``: what a ControllerRevision stores, a patch replacing ``spec.template``."""
    template = dict((ds.get("spec") or {}).get("template") or {})
    template["$patch"] = "replace"
    return {"spec": {"template": template}}


# -- rolling update -----------------------------------------------------------------------------
def scaled_value(value, total: int, round_up: bool) -> int:
    """``intstr.GetScaledValueFromIntOrPercent``.

    >>> scaled_value("10%", 5, True), scaled_value("10%", 5, False), scaled_value(2, 5, True)
    (1, 0, 2)
    """
    if isinstance(value, str) and value.endswith("%"):
        exact = int(value[:-1]) * total / 100
        return math.ceil(exact) if round_up else math.floor(exact)
    return int(value or 0)


def is_pod_updated(pod: dict, hash_: str, generation: int | None) -> bool:
    """``IsPodUpdated``: the pod carries the current hash (or template generation)."""
    labels = pod["metadata"].get("labels") or {}
    if generation is not None and labels.get(POD_TEMPLATE_GENERATION) == str(generation):
        return True
    return bool(hash_) and labels.get(CONTROLLER_REVISION_HASH) == hash_


def pod_sort_key(pod: dict) -> tuple:
    """``podByCreationTimestampAndPhase``: scheduled first, then oldest, then name."""
    meta = pod["metadata"]
    return (not pod["spec"].get("nodeName"), meta.get("creationTimestamp") or "", meta["name"])


def find_updated_pods_on_node(pods, hash_: str, generation) -> tuple | None:
    """``findUpdatedPodsOnNode``: ``(new, old)`` non-deleted pods, ``None`` if several of one."""
    new = old = None
    for pod in pods:
        if pod["metadata"].get("deletionTimestamp"):
            continue
        if is_pod_updated(pod, hash_, generation):
            if new is not None:
                return None
            new = pod
        else:
            if old is not None:
                return None
            old = pod
    return new, old


def plan_rolling_update(
    ds: dict,
    pods_by_node: dict[str, list],
    should_run: dict[str, bool],
    hash_: str,
    generation: int | None,
    now: float,
) -> tuple[list[str], list[str]]:
    """``rollingUpdate``: ``(old pods to delete, nodes to create new pods on)``.

    ``should_run`` maps every node name to its ``shouldRun``; ``pods_by_node`` holds the
    daemon pods per target node.
    """
    rolling = ((ds["spec"].get("updateStrategy") or {}).get("rollingUpdate")) or {}
    min_ready = ds["spec"].get("minReadySeconds") or 0
    by_node = dict(pods_by_node)
    desired = 0
    for node, run in should_run.items():
        if run:
            desired += 1
            by_node.setdefault(node, [])
    max_unavailable = scaled_value(rolling.get("maxUnavailable", 1), desired, True)
    max_surge = scaled_value(rolling.get("maxSurge", 0), desired, True)
    if desired > 0 and max_unavailable == 0 and max_surge == 0:
        max_unavailable = 1

    def available(pod):
        return is_pod_available(pod, min_ready, now)

    nodes = sorted(by_node)  # Go ranges over a map; kubelab picks name order to stay deterministic
    if max_surge == 0:
        # Delete just enough old pods to stay within maxUnavailable; the manage loop then
        # creates new pods on the emptied nodes.
        unavailable, replace, candidates = 0, [], []
        for node in nodes:
            found = find_updated_pods_on_node(by_node[node], hash_, generation)
            if found is None:
                unavailable += 1
                continue
            new, old = found
            if (old is None) == (new is None):
                unavailable += 1
            elif new is not None:
                if not available(new):
                    unavailable += 1
            elif not available(old):
                replace.append(old["metadata"]["name"])
            elif unavailable < max_unavailable:
                candidates.append(old["metadata"]["name"])
        remaining = min(max(max_unavailable - unavailable, 0), len(candidates))
        return replace + candidates[:remaining], []

    # Surge: a new pod next to each old one on up to maxSurge nodes; old deleted once new is available.
    to_delete, not_run_delete, candidate_nodes, allowed_nodes = [], [], [], []
    surge = num_available = 0
    for node in nodes:
        found = find_updated_pods_on_node(by_node[node], hash_, generation)
        if found is None:
            surge += 1
            continue
        new, old = found
        if old is not None:
            num_available += available(old)
        elif new is not None:
            num_available += available(new)
        if old is None:
            continue
        if new is None:
            if not available(old):
                if not should_run.get(node, False):
                    to_delete.append(old["metadata"]["name"])
                    continue
                allowed_nodes.append(node)
            else:
                if not should_run.get(node, False):
                    not_run_delete.append(old["metadata"]["name"])
                    continue
                if surge >= max_surge:
                    continue
                candidate_nodes.append(node)
        elif not available(new):
            surge += 1
        else:
            to_delete.append(old["metadata"]["name"])
    deletable = min(num_available - desired, len(not_run_delete))
    if deletable > 0:
        to_delete.extend(not_run_delete[:deletable])
    remaining = min(max(max_surge - surge, 0), len(candidate_nodes))
    return to_delete, allowed_nodes + candidate_nodes[:remaining]
