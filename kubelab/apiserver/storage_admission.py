"""Storage admission plugins: ``DefaultStorageClass`` and ``StorageObjectInUseProtection``.

* ``DefaultStorageClass`` (``plugin/pkg/admission/storage/storageclass/setdefault``): a new
  claim that does not name a class (``storageClassName`` absent — an empty string is a choice:
  "no class") gets the default class, the one annotated
  ``storageclass.kubernetes.io/is-default-class: "true"`` (the newest if several are).
* ``StorageObjectInUseProtection``: new claims get the ``kubernetes.io/pvc-protection`` finalizer
  and new volumes ``kubernetes.io/pv-protection``, so deleting one in use leaves it
  ``Terminating`` until the protection controllers let go.

Examples
--------
>>> mark = {"storageclass.kubernetes.io/is-default-class": "true"}
>>> classes = [{"metadata": {"name": "fast", "creationTimestamp": "2025-01-01T00:00:00Z"}},
...            {"metadata": {"name": "standard", "annotations": mark,
...                          "creationTimestamp": "2025-01-01T00:00:00Z"}}]
>>> default_class(classes)["metadata"]["name"]
'standard'
>>> claim = {"kind": "PersistentVolumeClaim", "metadata": {"name": "data"}, "spec": {}}
>>> class FakeAPI:
...     def list(self, kind): return classes
>>> DefaultStorageClass().mutate(FakeAPI(), claim, None, dry_run=False)
>>> claim["spec"]["storageClassName"]
'standard'
"""

from __future__ import annotations

from kubelab.apiserver.admission import AdmissionPlugin

__all__ = [
    "DEFAULT_CLASS_ANNOTATION",
    "PVC_PROTECTION",
    "PV_PROTECTION",
    "DefaultStorageClass",
    "StorageObjectInUseProtection",
    "default_class",
]

DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"
_BETA_DEFAULT = "storageclass.beta.kubernetes.io/is-default-class"
PVC_PROTECTION = "kubernetes.io/pvc-protection"
PV_PROTECTION = "kubernetes.io/pv-protection"


def default_class(classes) -> dict | None:
    """``GetDefaultClass``: the newest class marked default (ties: the name sorting first)."""
    marked = [
        c
        for c in classes
        if "true"
        in (
            (c["metadata"].get("annotations") or {}).get(DEFAULT_CLASS_ANNOTATION),
            (c["metadata"].get("annotations") or {}).get(_BETA_DEFAULT),
        )
    ]
    if not marked:
        return None
    marked.sort(key=lambda c: c["metadata"]["name"])
    return max(marked, key=lambda c: c["metadata"].get("creationTimestamp") or "")


class DefaultStorageClass(AdmissionPlugin):
    kinds = ("PersistentVolumeClaim",)

    def mutate(self, api, obj: dict, old: dict | None, *, dry_run: bool) -> None:
        if old is not None:
            return
        spec = obj.setdefault("spec", {})
        annotations = obj.get("metadata", {}).get("annotations") or {}
        if "storageClassName" in spec or "volume.beta.kubernetes.io/storage-class" in annotations:
            return
        cls = default_class(api.list("StorageClass"))
        if cls is not None:
            spec["storageClassName"] = cls["metadata"]["name"]


class StorageObjectInUseProtection(AdmissionPlugin):
    kinds = ("PersistentVolumeClaim", "PersistentVolume")

    def mutate(self, api, obj: dict, old: dict | None, *, dry_run: bool) -> None:
        if old is not None:
            return
        finalizer = PVC_PROTECTION if obj["kind"] == "PersistentVolumeClaim" else PV_PROTECTION
        meta = obj.setdefault("metadata", {})
        finalizers = list(meta.get("finalizers") or [])
        if finalizer not in finalizers:
            meta["finalizers"] = [*finalizers, finalizer]
