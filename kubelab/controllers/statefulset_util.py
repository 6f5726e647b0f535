"""StatefulSet helpers (``pkg/controller/statefulset/stateful_set_utils.go``): pure functions.

* a pod's identity: parent and ordinal from its name, ``<set>-<ordinal>``
  (:func:`parent_and_ordinal`), the ordinal range ``spec.ordinals.start`` ..
  ``start + replicas - 1`` (:func:`in_ordinal_range`);
* the pod the controller stamps (:func:`new_versioned_pod`: name, ``hostname`` and
  ``subdomain``, the ``statefulset.kubernetes.io/pod-name``, ``apps.kubernetes.io/pod-index``
  and ``controller-revision-hash`` labels, one PVC volume per claim template);
* the claims (:func:`persistent_volume_claims`: ``<template>-<set>-<ordinal>``) and their owner
  references under ``persistentVolumeClaimRetentionPolicy`` (:func:`is_claim_owner_up_to_date`,
  :func:`update_claim_owner_refs`);
* ControllerRevisions (:func:`new_revision`, :func:`apply_revision`) and the status
  (:func:`replica_status`, :func:`complete_rolling_update`).

Examples
--------
>>> sts = {"apiVersion": "apps/v1", "kind": "StatefulSet",
...        "metadata": {"name": "web", "namespace": "default", "uid": "u1"},
...        "spec": {"replicas": 2, "serviceName": "nginx",
...                 "selector": {"matchLabels": {"app": "nginx"}},
...                 "template": {"metadata": {"labels": {"app": "nginx"}},
...                              "spec": {"containers": [{"name": "c", "image": "nginx"}]}},
...                 "volumeClaimTemplates": [{"metadata": {"name": "www"}, "spec": {}}]}}
>>> pod = new_stateful_set_pod(sts, 1)
>>> pod["metadata"]["name"], pod["spec"]["hostname"], pod["spec"]["subdomain"]
('web-1', 'web-1', 'nginx')
>>> pod["spec"]["volumes"]
[{'name': 'www', 'persistentVolumeClaim': {'claimName': 'www-web-1'}}]
>>> parent_and_ordinal(pod), in_ordinal_range(pod, sts), identity_matches(sts, pod)
(('web', 1), True, True)
"""

from __future__ import annotations

import copy
import re

from kubelab.api.meta import owner_reference
from kubelab.apiserver.patch import strategic_merge
from kubelab.controllers.daemonset_update import compute_hash, get_patch
from kubelab.controllers.podcontrol import is_pod_available, is_pod_ready, pod_from_template

__all__ = [
    "CONTROLLER_REVISION_HASH",
    "POD_INDEX_LABEL",
    "POD_NAME_LABEL",
    "REVISION_HASH_LABEL",
    "apply_revision",
    "claim_name",
    "complete_rolling_update",
    "end_ordinal",
    "has_stale_owner_ref",
    "identity_matches",
    "in_ordinal_range",
    "is_claim_owner_up_to_date",
    "is_running_and_ready",
    "is_unavailable",
    "max_unavailable",
    "new_revision",
    "new_stateful_set_pod",
    "new_versioned_pod",
    "parent_and_ordinal",
    "persistent_volume_claims",
    "pod_revision",
    "replica_status",
    "retention_policy",
    "start_ordinal",
    "storage_matches",
    "update_claim_owner_refs",
    "update_identity",
    "update_storage",
]

CONTROLLER_REVISION_HASH = "controller-revision-hash"  # apps.StatefulSetRevisionLabel
POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"
REVISION_HASH_LABEL = "controller.kubernetes.io/hash"  # history.ControllerRevisionHashLabel
_STATEFUL_POD = re.compile(r"(.*)-([0-9]+)\Z", re.S)


# -- identity --------------------------------------------------------------------------------
def parent_and_ordinal(pod: dict) -> tuple[str, int]:
    """``getParentNameAndOrdinal``: ``("", -1)`` for a name that is not ``<parent>-<n>``.

    >>> parent_and_ordinal({"metadata": {"name": "my-db-12"}})
    ('my-db', 12)
    >>> parent_and_ordinal({"metadata": {"name": "web-abc"}})
    ('', -1)
    """
    match = _STATEFUL_POD.match(pod["metadata"].get("name") or "")
    if match is None:
        return "", -1
    ordinal = int(match.group(2))
    return match.group(1), ordinal if ordinal < 2**31 else -1


def ordinal(pod: dict) -> int:
    return parent_and_ordinal(pod)[1]


def start_ordinal(sts: dict) -> int:
    """``getStartOrdinal``: ``spec.ordinals.start`` (0 when unset)."""
    return int(((sts["spec"].get("ordinals") or {}).get("start")) or 0)


def end_ordinal(sts: dict) -> int:
    """``getEndOrdinal`` (inclusive)."""
    return start_ordinal(sts) + int(sts["spec"].get("replicas", 1)) - 1


def in_ordinal_range(pod: dict, sts: dict) -> bool:
    """``podInOrdinalRange``."""
    return start_ordinal(sts) <= ordinal(pod) <= end_ordinal(sts)


def pod_name(sts: dict, n: int) -> str:
    return f"{sts['metadata']['name']}-{n}"


def identity_matches(sts: dict, pod: dict) -> bool:
    """``identityMatches``: name, namespace and pod-name label fit the set."""
    parent, n = parent_and_ordinal(pod)
    meta = pod["metadata"]
    return (
        n >= 0
        and parent == sts["metadata"]["name"]
        and meta["name"] == pod_name(sts, n)
        and meta.get("namespace") == sts["metadata"].get("namespace")
        and (meta.get("labels") or {}).get(POD_NAME_LABEL) == meta["name"]
    )


def update_identity(sts: dict, pod: dict) -> None:
    """``updateIdentity``, in place on a pod the caller owns: name, namespace, the labels."""
    n = ordinal(pod)
    meta = pod["metadata"]
    meta["name"] = pod_name(sts, n)
    meta["namespace"] = sts["metadata"].get("namespace", "default")
    meta["labels"] = {
        **(meta.get("labels") or {}),
        POD_NAME_LABEL: meta["name"],
        POD_INDEX_LABEL: str(n),
    }


# -- storage ---------------------------------------------------------------------------------
def claim_name(sts: dict, template: dict, n: int) -> str:
    """``getPersistentVolumeClaimName``: ``<template>-<set>-<ordinal>``."""
    return f"{template_name(template)}-{sts['metadata']['name']}-{n}"


def template_name(template: dict) -> str:
    """A claim template's name (defensive: a template is not validated beyond the schema)."""
    return (template.get("metadata") or {}).get("name") or ""


def persistent_volume_claims(sts: dict, n: int) -> dict[str, dict]:
    """``getPersistentVolumeClaims``: template name → the claim for ordinal ``n`` (labels:
    the template's plus the selector's ``matchLabels``)."""
    match_labels = (sts["spec"].get("selector") or {}).get("matchLabels") or {}
    claims: dict[str, dict] = {}
    for template in sts["spec"].get("volumeClaimTemplates") or ():
        claim = copy.deepcopy({k: v for k, v in template.items() if k != "status"})
        claim["apiVersion"], claim["kind"] = "v1", "PersistentVolumeClaim"
        meta = claim.setdefault("metadata", {})
        meta["name"] = claim_name(sts, template, n)
        meta["namespace"] = sts["metadata"].get("namespace", "default")
        meta["labels"] = {**(meta.get("labels") or {}), **match_labels}
        claims[template_name(template)] = claim
    return claims


def storage_matches(sts: dict, pod: dict) -> bool:
    """``storageMatches``: every claim template is mounted from this ordinal's claim."""
    n = ordinal(pod)
    if n < 0:
        return False
    volumes = {v.get("name"): v for v in pod["spec"].get("volumes") or ()}
    for template in sts["spec"].get("volumeClaimTemplates") or ():
        volume = volumes.get(template_name(template))
        source = (volume or {}).get("persistentVolumeClaim")
        if not source or source.get("claimName") != claim_name(sts, template, n):
            return False
    return True


def update_storage(sts: dict, pod: dict) -> None:
    """``updateStorage``, in place: claim volumes first (template order), then the others."""
    claims = persistent_volume_claims(sts, ordinal(pod))
    volumes = [
        {"name": name, "persistentVolumeClaim": {"claimName": claim["metadata"]["name"]}}
        for name, claim in claims.items()
    ]
    volumes += [v for v in pod["spec"].get("volumes") or () if v.get("name") not in claims]
    if volumes:
        pod["spec"]["volumes"] = volumes


# -- new pods --------------------------------------------------------------------------------
def new_stateful_set_pod(sts: dict, n: int) -> dict:
    """``newStatefulSetPod``: the template's pod with the identity of ordinal ``n``."""
    pod = pod_from_template(sts["spec"].get("template") or {}, sts, owner_reference(sts))
    pod["metadata"]["name"] = pod_name(sts, n)
    update_identity(sts, pod)
    pod["spec"]["hostname"] = pod["metadata"]["name"]  # initIdentity: set on creation only
    if sts["spec"].get("serviceName"):
        pod["spec"]["subdomain"] = sts["spec"]["serviceName"]
    update_storage(sts, pod)
    return pod


def new_versioned_pod(current_set, update_set, current_rev: str, update_rev: str, n: int) -> dict:
    """``newVersionedStatefulSetPod``: ordinals below the partition (or, without a
    ``rollingUpdate``, below ``currentReplicas``) get the current revision, the rest the update."""
    strategy = current_set["spec"].get("updateStrategy") or {}
    rolling = strategy.get("rollingUpdate")
    start = start_ordinal(current_set)
    if rolling is None:
        current = strategy.get("type") == "RollingUpdate" and n < start + int(
            (current_set.get("status") or {}).get("currentReplicas") or 0
        )
    else:
        current = n < start + int(rolling.get("partition") or 0)
    pod = new_stateful_set_pod(current_set if current else update_set, n)
    pod["metadata"]["labels"][CONTROLLER_REVISION_HASH] = current_rev if current else update_rev
    return pod


def pod_revision(pod: dict) -> str:
    return (pod["metadata"].get("labels") or {}).get(CONTROLLER_REVISION_HASH, "")


# -- health ----------------------------------------------------------------------------------
def is_running_and_ready(pod: dict) -> bool:
    """``isRunningAndReady``."""
    return (pod.get("status") or {}).get("phase") == "Running" and is_pod_ready(pod)


def is_unavailable(pod: dict, min_ready: int, now: float) -> bool:
    """``isUnavailable``: not healthy (running, ready, not terminating) or not yet available."""
    return (
        not is_running_and_ready(pod)
        or bool(pod["metadata"].get("deletionTimestamp"))
        or not is_pod_available(pod, min_ready, now)
    )


def max_unavailable(sts: dict, replicas: int) -> int:
    """``getStatefulSetMaxUnavailable``: rounded down, at least 1.

    >>> max_unavailable({"spec": {"updateStrategy": {"rollingUpdate": {"maxUnavailable": "10%"}}}}, 5)
    1
    """
    from kubelab.controllers.daemonset_update import scaled_value

    rolling = (sts["spec"].get("updateStrategy") or {}).get("rollingUpdate") or {}
    value = rolling.get("maxUnavailable")
    return max(1, scaled_value(1 if value is None else value, replicas, False))


# -- claims and the retention policy ---------------------------------------------------------
def retention_policy(sts: dict) -> tuple[str, str]:
    """``(whenDeleted, whenScaled)``, ``Retain`` when unset."""
    policy = sts["spec"].get("persistentVolumeClaimRetentionPolicy") or {}
    return policy.get("whenDeleted") or "Retain", policy.get("whenScaled") or "Retain"


def _matches_ref(ref: dict, obj: dict) -> bool:
    return (
        ref.get("apiVersion") == obj.get("apiVersion", "v1")
        and ref.get("kind") == obj.get("kind", "Pod")
        and ref.get("name") == obj["metadata"]["name"]
    )


def _has_owner_ref(claim: dict, owner: dict) -> bool:
    uid = owner["metadata"].get("uid")
    return any(r.get("uid") == uid for r in claim["metadata"].get("ownerReferences") or ())


def has_stale_owner_ref(claim: dict, obj: dict) -> bool:
    """``hasStaleOwnerRef``: a reference with ``obj``'s kind and name but another UID."""
    for ref in claim["metadata"].get("ownerReferences") or ():
        if _matches_ref(ref, obj):
            return ref.get("uid") != obj["metadata"].get("uid")
    return False


def _has_unexpected_controller(claim: dict, sts: dict, pod: dict) -> bool:
    if retention_policy(sts) == ("Retain", "Retain"):
        return False
    for ref in claim["metadata"].get("ownerReferences") or ():
        for owner in (sts, pod):
            if _matches_ref(ref, owner):
                if ref.get("uid") != owner["metadata"].get("uid"):
                    return True
                break
        else:
            if ref.get("controller"):
                return True
    return False


def _has_non_controller_owner(claim: dict, sts: dict, pod: dict) -> bool:
    uids = {sts["metadata"].get("uid"), pod["metadata"].get("uid")}
    return any(
        r.get("uid") in uids and not r.get("controller")
        for r in claim["metadata"].get("ownerReferences") or ()
    )


def is_claim_owner_up_to_date(claim: dict, sts: dict, pod: dict) -> bool:
    """``isClaimOwnerUpToDate``: the claim's owners fit the retention policy.

    Retain/Retain: no reference; whenDeleted=Delete: the set (while the pod is in range);
    whenScaled=Delete: the pod once it is scaled away.
    """
    if has_stale_owner_ref(claim, sts) or has_stale_owner_ref(claim, pod):
        return True  # a previous owner's: leave it to the garbage collector
    if _has_unexpected_controller(claim, sts, pod):
        return not (_has_owner_ref(claim, sts) or _has_owner_ref(claim, pod))
    if _has_non_controller_owner(claim, sts, pod):
        return False
    when_deleted, when_scaled = retention_policy(sts)
    has_set, has_pod = _has_owner_ref(claim, sts), _has_owner_ref(claim, pod)
    scaled_down = not in_ordinal_range(pod, sts)
    if when_scaled == "Delete":
        if has_pod != scaled_down:
            return False
        return has_set == (when_deleted == "Delete" and not scaled_down)
    return has_set == (when_deleted == "Delete") and not has_pod


def update_claim_owner_refs(claim: dict, sts: dict, pod: dict) -> list[dict]:
    """``updateClaimOwnerRefForSetAndPod``: the claim's new ``ownerReferences``."""
    unexpected = _has_unexpected_controller(claim, sts, pod)
    refs = [
        r
        for r in claim["metadata"].get("ownerReferences") or ()
        if not (_matches_ref(r, sts) or _matches_ref(r, pod))
    ]
    if unexpected:
        return refs
    when_deleted, when_scaled = retention_policy(sts)
    scaled_down = not in_ordinal_range(pod, sts)
    if when_scaled == "Delete" and scaled_down:
        refs.append(owner_reference(pod))
    elif when_deleted == "Delete" and (when_scaled == "Retain" or not scaled_down):
        refs.append(owner_reference(sts))
    return refs


# -- revisions -------------------------------------------------------------------------------
def new_revision(sts: dict, revision: int, collision_count: int) -> dict:
    """``newRevision`` (``history.NewControllerRevision``): the template as a patch, named
    ``<set>-<hash>``, labelled like the template plus ``controller.kubernetes.io/hash``."""
    patch = get_patch(sts)
    hash_ = compute_hash(patch, collision_count)
    meta = sts["metadata"]
    template_labels = ((sts["spec"].get("template") or {}).get("metadata") or {}).get("labels")
    rev_meta = {
        "name": f"{meta['name'][:223]}-{hash_}",
        "namespace": meta.get("namespace", "default"),
        "labels": {**(template_labels or {}), REVISION_HASH_LABEL: hash_},
        "ownerReferences": [owner_reference(sts)],
    }
    if meta.get("annotations"):
        rev_meta["annotations"] = dict(meta["annotations"])
    return {
        "apiVersion": "apps/v1",
        "kind": "ControllerRevision",
        "metadata": rev_meta,
        "data": patch,
        "revision": revision,
    }


def apply_revision(sts: dict, revision: dict) -> dict:
    """``ApplyRevision``: ``sts`` with the revision's template (a deep copy)."""
    return strategic_merge(copy.deepcopy(sts), copy.deepcopy(revision.get("data") or {}))


def revision_sort_key(rev: dict) -> tuple:
    """``history.SortControllerRevisions``: by revision, then creation, then name."""
    meta = rev["metadata"]
    return rev.get("revision", 0), meta.get("creationTimestamp") or "", meta["name"]


# -- status ----------------------------------------------------------------------------------
def replica_status(pods, min_ready: int, now: float, current_rev: str, update_rev: str) -> dict:
    """``computeReplicaStatus`` over created pods (``status.phase`` set)."""
    counts = dict.fromkeys(
        ("replicas", "readyReplicas", "availableReplicas", "currentReplicas", "updatedReplicas"),
        0,
    )
    for pod in pods:
        created = bool((pod.get("status") or {}).get("phase"))
        counts["replicas"] += created
        if is_running_and_ready(pod):
            counts["readyReplicas"] += 1
            counts["availableReplicas"] += is_pod_available(pod, min_ready, now)
        if created and not pod["metadata"].get("deletionTimestamp"):
            revision = pod_revision(pod)
            counts["currentReplicas"] += revision == current_rev
            counts["updatedReplicas"] += revision == update_rev
    return counts


def complete_rolling_update(sts: dict, status: dict) -> None:
    """``completeRollingUpdate``, in place: every replica updated and ready → current = update."""
    replicas = sts["spec"].get("replicas", 1)
    if (sts["spec"].get("updateStrategy") or {}).get("type") == "RollingUpdate" and (
        status["updatedReplicas"] == status["readyReplicas"] == status["replicas"] == replicas
    ):
        status["currentReplicas"] = status["updatedReplicas"]
        status["currentRevision"] = status["updateRevision"]
