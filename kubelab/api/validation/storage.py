"""storage.k8s.io/v1 StorageClass (``pkg/apis/storage/validation``)."""

from __future__ import annotations

from kubelab.api.naming import is_qualified_name
from kubelab.api.validation._util import d
from kubelab.api.validation.meta import IMMUTABLE, validate_object_meta
from kubelab.errors import FieldError

__all__ = ["validate_storage_class", "validate_storage_class_update"]

_RECLAIM = ("Delete", "Retain")
_BINDING = ("Immediate", "WaitForFirstConsumer")
_MAX_PARAMETERS = 512


def validate_storage_class(obj: dict) -> list[FieldError]:
    """``ValidateStorageClass``: provisioner, parameters, reclaimPolicy, volumeBindingMode."""
    errs = validate_object_meta(obj.get("metadata"), False)
    provisioner = obj.get("provisioner")
    if not provisioner:
        errs.append(FieldError.required("provisioner"))
    else:
        errs.extend(
            FieldError.invalid("provisioner", str(provisioner).lower(), m)
            for m in is_qualified_name(str(provisioner).lower())
        )
    params = d(obj.get("parameters"))
    if len(params) > _MAX_PARAMETERS:
        errs.append(FieldError.too_long("parameters", f"must have at most {_MAX_PARAMETERS} bytes"))
    for key in params:
        if not key:
            errs.append(FieldError.invalid("parameters", key, "field can not be empty."))
    policy = obj.get("reclaimPolicy")
    if policy and policy not in _RECLAIM:
        errs.append(FieldError.not_supported("reclaimPolicy", policy, _RECLAIM))
    mode = obj.get("volumeBindingMode")
    if mode is not None and mode not in _BINDING:
        errs.append(FieldError.not_supported("volumeBindingMode", mode, _BINDING))
    return errs


def validate_storage_class_update(new: dict, old: dict) -> list[FieldError]:
    """``ValidateStorageClassUpdate``: everything but metadata and allowVolumeExpansion is frozen."""
    errs: list[FieldError] = []
    if (new.get("parameters") or {}) != (old.get("parameters") or {}):
        errs.append(FieldError.forbidden("parameters", "updates to parameters are forbidden."))
    if new.get("provisioner") != old.get("provisioner"):
        errs.append(FieldError.forbidden("provisioner", "updates to provisioner are forbidden."))
    if (new.get("reclaimPolicy") or "Delete") != (old.get("reclaimPolicy") or "Delete"):
        errs.append(
            FieldError.forbidden("reclaimPolicy", "updates to reclaimPolicy are forbidden.")
        )
    if new.get("volumeBindingMode") != old.get("volumeBindingMode"):
        errs.append(
            FieldError.invalid("volumeBindingMode", new.get("volumeBindingMode"), IMMUTABLE)
        )
    return errs
