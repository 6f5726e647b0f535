"""Which PersistentVolume a claim binds: ``findBestMatchForClaim`` and ``FindMatchingVolume``.

Upstream ``pkg/controller/volume/persistentvolume/index.go`` and
``component-helpers/storage/volume/pv_helpers.go``: volumes are grouped by their exact
access-mode set; the sets that contain every mode the claim asks for are tried from the
fewest modes up, and within one set the *smallest* volume that is big enough wins. A
volume pre-bound to the claim (``spec.claimRef``) wins whatever its class or labels.

Examples
--------
>>> def pv(name, size, modes, **spec):
...     return {"metadata": {"name": name}, "status": {"phase": "Available"},
...             "spec": {"capacity": {"storage": size}, "accessModes": modes, **spec}}
>>> volumes = [pv("big", "10Gi", ["ReadWriteOnce"]), pv("small", "2Gi", ["ReadWriteOnce"]),
...            pv("shared", "1Gi", ["ReadWriteOnce", "ReadWriteMany"])]
>>> claim = {"metadata": {"name": "c", "namespace": "default"},
...          "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}
>>> find_best_match_for_claim(volumes, claim)["metadata"]["name"]
'small'
"""

from __future__ import annotations

from kubelab.api import labels
from kubelab.api.quantity import QuantityError, parse_quantity
from kubelab.scheduler.nodeselector import compile_terms, term_matches

__all__ = [
    "BETA_CLASS_ANNOTATION",
    "claim_class",
    "claim_ref",
    "find_best_match_for_claim",
    "find_matching_volume",
    "is_volume_bound_to_claim",
    "node_affinity_matches",
    "storage_of",
    "volume_class",
]

BETA_CLASS_ANNOTATION = "volume.beta.kubernetes.io/storage-class"


def storage_of(resources: dict | None, key: str = "storage") -> int:
    try:
        return parse_quantity((resources or {}).get(key, 0))
    except QuantityError:
        return 0


def claim_class(claim: dict) -> str:
    """``GetPersistentVolumeClaimClass``: the beta annotation, else ``spec.storageClassName``."""
    annotations = claim["metadata"].get("annotations") or {}
    if BETA_CLASS_ANNOTATION in annotations:
        return annotations[BETA_CLASS_ANNOTATION]
    return (claim.get("spec") or {}).get("storageClassName") or ""


def claim_ref(claim: dict) -> dict:
    """The ``spec.claimRef`` a volume bound (or pre-bound, or provisioned) for ``claim`` gets."""
    meta = claim["metadata"]
    return {
        "kind": "PersistentVolumeClaim",
        "namespace": meta.get("namespace", ""),
        "name": meta["name"],
        "uid": meta.get("uid", ""),
        "apiVersion": "v1",
        "resourceVersion": meta.get("resourceVersion", ""),
    }


def volume_class(volume: dict) -> str:
    """``GetPersistentVolumeClass``: the beta annotation, else ``spec.storageClassName``."""
    annotations = volume["metadata"].get("annotations") or {}
    if BETA_CLASS_ANNOTATION in annotations:
        return annotations[BETA_CLASS_ANNOTATION]
    return (volume.get("spec") or {}).get("storageClassName") or ""


def is_volume_bound_to_claim(volume: dict, claim: dict) -> bool:
    ref = (volume.get("spec") or {}).get("claimRef")
    meta = claim["metadata"]
    if not ref or ref.get("name") != meta.get("name"):
        return False
    if (ref.get("namespace") or "") != (meta.get("namespace") or ""):
        return False
    return not ref.get("uid") or ref.get("uid") == meta.get("uid")


def node_affinity_matches(volume: dict, node: dict) -> bool:
    """``CheckNodeAffinity``: does the volume's required node affinity admit ``node``?

    The terms match as a pod's required node affinity does (``MatchNodeSelectorTerms``).
    """
    required = ((volume.get("spec") or {}).get("nodeAffinity") or {}).get("required")
    if not required:
        return True
    meta = node["metadata"]
    node_labels, name = meta.get("labels") or {}, meta["name"]
    terms = compile_terms(required.get("nodeSelectorTerms"))
    return any(term_matches(term, node_labels, name) for term in terms)


def _selector(claim: dict):
    ls = (claim.get("spec") or {}).get("selector")
    if not ls:
        return None
    try:
        return labels.from_label_selector(ls)
    except (ValueError, labels.SelectorError):
        return labels.nothing()


def find_matching_volume(
    claim: dict,
    volumes: list[dict],
    node: dict | None = None,
    excluded: frozenset = frozenset(),
    delay_binding: bool = False,
) -> dict | None:
    """``FindMatchingVolume``: the pre-bound volume, else the smallest available fit."""
    spec = claim.get("spec") or {}
    requested = storage_of((spec.get("resources") or {}).get("requests"))
    requested_class = claim_class(claim)
    selector = _selector(claim)
    claim_mode = spec.get("volumeMode") or "Filesystem"
    wanted_modes = set(spec.get("accessModes") or ())
    smallest, smallest_size = None, None
    for volume in volumes:
        vspec, meta = volume.get("spec") or {}, volume["metadata"]
        if meta.get("name") in excluded or meta.get("deletionTimestamp"):
            continue
        size = storage_of(vspec.get("capacity"))
        if (vspec.get("volumeMode") or "Filesystem") != claim_mode:
            continue
        if vspec.get("claimRef") is not None and is_volume_bound_to_claim(volume, claim):
            if size < requested:
                continue
            if node is not None and not node_affinity_matches(volume, node):
                return None  # the claim is pre-bound to a volume this node cannot reach
            return volume  # pre-bound: class, selector and phase do not matter
        if node is None and delay_binding:
            continue  # the scheduler binds it once a pod picked a node
        if (volume.get("status") or {}).get("phase") != "Available":
            continue
        if vspec.get("claimRef") is not None:
            continue
        if selector is not None and not selector.matches(meta.get("labels") or {}):
            continue
        if volume_class(volume) != requested_class:
            continue
        if node is not None:
            if not node_affinity_matches(volume, node):
                continue
            if not wanted_modes <= set(vspec.get("accessModes") or ()):
                continue
        if size >= requested and (smallest is None or size < smallest_size):
            smallest, smallest_size = volume, size
    return smallest


def find_best_match_for_claim(
    volumes: list[dict], claim: dict, delay_binding: bool = False
) -> dict | None:
    """``findBestMatchForClaim``: try the access-mode sets with the fewest extra modes first."""
    wanted = set((claim.get("spec") or {}).get("accessModes") or ())
    by_modes: dict[tuple, list[dict]] = {}
    for volume in volumes:
        modes = tuple(sorted(set((volume.get("spec") or {}).get("accessModes") or ())))
        by_modes.setdefault(modes, []).append(volume)
    possible = sorted((m for m in by_modes if wanted <= set(m)), key=lambda m: (len(m), m))
    for modes in possible:
        found = find_matching_volume(claim, by_modes[modes], delay_binding=delay_binding)
        if found is not None:
            return found
    return None
