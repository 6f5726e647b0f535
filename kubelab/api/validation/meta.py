"""ObjectMeta validation (``staging/.../apimachinery/pkg/api/validation/objectmeta.go``).

Create: name (or generateName) with the kind's name rule, namespace present only on
namespaced kinds, labels, annotations (keys and total size), ownerReferences,
finalizers. Update: name, namespace, uid and creationTimestamp cannot change.
"""

from __future__ import annotations

from collections.abc import Callable

from kubelab.api.naming import is_dns1123_label, is_qualified_name
from kubelab.api.validation._util import (
    d,
    go_str,
    integer,
    labels_errors,
    lst,
    name_is_dns1123_subdomain,
    nonnegative,
)
from kubelab.errors import FieldError

__all__ = [
    "ANNOTATIONS_LIMIT",
    "IMMUTABLE",
    "immutable",
    "validate_annotations",
    "validate_object_meta",
    "validate_object_meta_update",
]

ANNOTATIONS_LIMIT = 256 * 1024  # TotalAnnotationSizeLimitB
IMMUTABLE = "field is immutable"
# Finalizer names without a domain must be one of these (core validateKubeFinalizerName).
_STANDARD_FINALIZERS = frozenset({"kubernetes", "orphan", "foregroundDeletion"})

NameFn = Callable[[str, bool], tuple[str, ...]]


def validate_annotations(annotations, path: str) -> list[FieldError]:
    """``ValidateAnnotations``: keys are qualified names (case-insensitive), total ≤ 256 KiB."""
    if not annotations or not isinstance(annotations, dict):
        return []
    errs: list[FieldError] = []
    total = 0
    for k, v in annotations.items():
        k = str(k)
        errs.extend(FieldError.invalid(path, k, m) for m in is_qualified_name(k.lower()))
        total += len(k.encode()) + len(str(v if v is not None else "").encode())
    if total > ANNOTATIONS_LIMIT:
        errs.append(FieldError.too_long(path, f"must have at most {ANNOTATIONS_LIMIT} bytes"))
    return errs


def _go_owner_refs(refs: list) -> str:
    items = []
    for r in refs:
        r = d(r)
        items.append(
            f"v1.OwnerReference{{APIVersion:{go_str(r.get('apiVersion') or '')}, "
            f"Kind:{go_str(r.get('kind') or '')}, Name:{go_str(r.get('name') or '')}, "
            f"UID:{go_str(r.get('uid') or '')}, ...}}"
        )
    return "[]v1.OwnerReference{" + ", ".join(items) + "}"


def _owner_references(refs, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    first_controller = ""
    for ref in lst(refs):
        ref = d(ref)
        api_version = ref.get("apiVersion") or ""
        version = api_version.rsplit("/", 1)[-1] if isinstance(api_version, str) else ""
        if not version:
            errs.append(
                FieldError.invalid(f"{path}.apiVersion", api_version, "version must not be empty")
            )
        for key in ("kind", "name", "uid"):
            if not ref.get(key):
                errs.append(
                    FieldError.invalid(f"{path}.{key}", ref.get(key) or "", "must not be empty")
                )
        if ref.get("kind") == "Event" and api_version == "v1":
            errs.append(
                FieldError(
                    path,
                    "Invalid value",
                    detail="/v1, Kind=Event is disallowed from being an owner",
                    raw_value="v1.OwnerReference{...}",
                )
            )
        if ref.get("controller") is True:
            current = f"{ref.get('kind') or ''}/{ref.get('name') or ''}"
            if first_controller:
                errs.append(
                    FieldError(
                        path,
                        "Invalid value",
                        detail='Only one reference can have Controller set to true. Found "true" in '
                        f"references for {first_controller} and {current}",
                        raw_value=_go_owner_refs(lst(refs)),
                    )
                )
            else:
                first_controller = current
    return errs


def _finalizers(finalizers, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    names = [f for f in lst(finalizers) if isinstance(f, str)]
    for name in names:
        msgs = is_qualified_name(name)
        errs.extend(FieldError.invalid(path, name, m) for m in msgs)
        if not msgs and "/" not in name and name not in _STANDARD_FINALIZERS:
            errs.append(
                FieldError.invalid(
                    path,
                    name,
                    "name is neither a standard finalizer name nor is it fully qualified",
                )
            )
    if "orphan" in names and "foregroundDeletion" in names:
        errs.append(
            FieldError(
                path,
                "Invalid value",
                detail="finalizer orphan and foregroundDeletion cannot be both set",
                raw_value="[]string{" + ", ".join(go_str(n) for n in names) + "}",
            )
        )
    return errs


def validate_object_meta(
    meta, namespaced: bool, name_fn: NameFn = name_is_dns1123_subdomain, path: str = "metadata"
) -> list[FieldError]:
    """``ValidateObjectMeta`` (+ core's finalizer-name rule)."""
    meta = d(meta)
    errs: list[FieldError] = []
    generate = meta.get("generateName")
    if generate and isinstance(generate, str):
        errs.extend(
            FieldError.invalid(f"{path}.generateName", generate, m) for m in name_fn(generate, True)
        )
    name = meta.get("name")
    if not name:
        errs.append(FieldError.required(f"{path}.name", "name or generateName is required"))
    elif isinstance(name, str):
        errs.extend(FieldError.invalid(f"{path}.name", name, m) for m in name_fn(name, False))
    else:
        errs.append(FieldError.invalid(f"{path}.name", name, "must be a string"))
    ns = meta.get("namespace")
    if namespaced:
        if not ns:
            errs.append(FieldError.required(f"{path}.namespace"))
        elif isinstance(ns, str):
            errs.extend(
                FieldError.invalid(f"{path}.namespace", ns, m) for m in is_dns1123_label(ns)
            )
    elif ns:
        errs.append(FieldError.forbidden(f"{path}.namespace", "not allowed on this type"))
    if (generation := integer(meta.get("generation"))) is not None:
        errs.extend(nonnegative(generation, f"{path}.generation"))
    if meta.get("labels"):
        errs.extend(labels_errors(meta["labels"], f"{path}.labels"))
    if meta.get("annotations"):
        errs.extend(validate_annotations(meta["annotations"], f"{path}.annotations"))
    if meta.get("ownerReferences"):
        errs.extend(_owner_references(meta["ownerReferences"], f"{path}.ownerReferences"))
    if meta.get("finalizers"):
        errs.extend(_finalizers(meta["finalizers"], f"{path}.finalizers"))
    return errs


def immutable(new, old, path: str, raw: str | None = None) -> list[FieldError]:
    """``ValidateImmutableField``: ``<path>: Invalid value: <new>: field is immutable``."""
    if new == old:
        return []
    return [FieldError(path, "Invalid value", new, IMMUTABLE, raw_value=raw)]


def validate_object_meta_update(new_meta, old_meta, path: str = "metadata") -> list[FieldError]:
    """``ValidateObjectMetaUpdate``: identity fields are immutable, generation never decreases.

    ``resourceVersion`` is not required here: kubelab's API server treats it as optional.
    """
    new, old = d(new_meta), d(old_meta)
    errs: list[FieldError] = []
    if old.get("deletionTimestamp"):
        extra = sorted(set(lst(new.get("finalizers"))) - set(lst(old.get("finalizers"))), key=str)
        if extra:
            errs.append(
                FieldError.forbidden(
                    f"{path}.finalizers",
                    "no new finalizers can be added if the object is being deleted, found new "
                    "finalizers []string{" + ", ".join(go_str(f) for f in extra) + "}",
                )
            )
    new_gen, old_gen = integer(new.get("generation")), integer(old.get("generation"))
    if new_gen is not None and old_gen is not None and new_gen < old_gen:
        errs.append(FieldError.invalid(f"{path}.generation", new_gen, "must not be decremented"))
    for key in ("name", "namespace", "uid", "creationTimestamp"):
        errs.extend(immutable(new.get(key) or "", old.get(key) or "", f"{path}.{key}"))
    return errs
