"""PersistentVolume and PersistentVolumeClaim validation (create and update).

``storageClassName: ""`` is meaningful (bind only to class-less volumes) and valid;
an absent/null class is just as valid (the DefaultStorageClass admission may fill it).
"""

from __future__ import annotations

from kubelab.api.validation._util import (
    d,
    go_map,
    lst,
    name_is_dns1123_subdomain,
    parse_qty,
    qty_string,
)
from kubelab.api.validation.meta import IMMUTABLE, validate_object_meta
from kubelab.api.validation.pod_update import spec_diff
from kubelab.errors import FieldError

__all__ = [
    "validate_persistent_volume",
    "validate_persistent_volume_claim",
    "validate_persistent_volume_claim_update",
    "validate_persistent_volume_update",
]

_ACCESS_MODES = ("ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod")
_RECLAIM = ("Delete", "Recycle", "Retain")
_VOLUME_MODES = ("Block", "Filesystem")
_POSITIVE = "must be greater than zero"
# PersistentVolumeSource members (a PV must have exactly one).
_PV_SOURCES = (
    "hostPath",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "glusterfs",
    "nfs",
    "rbd",
    "quobyte",
    "cinder",
    "cephfs",
    "iscsi",
    "flexVolume",
    "fc",
    "flocker",
    "azureFile",
    "vsphereVolume",
    "azureDisk",
    "photonPersistentDisk",
    "portworxVolume",
    "scaleIO",
    "local",
    "storageos",
    "csi",
)


def _access_modes(modes, path: str, required_detail: str) -> list[FieldError]:
    modes = lst(modes)
    if not modes:
        return [FieldError.required(path, required_detail)]
    errs = [
        FieldError.not_supported(path, m, _ACCESS_MODES) for m in modes if m not in _ACCESS_MODES
    ]
    if "ReadWriteOncePod" in modes and len(modes) > 1:
        errs.append(
            FieldError.forbidden(path, "may not use ReadWriteOncePod with other access modes")
        )
    return errs


def _class_name(name, path: str) -> list[FieldError]:
    if not name or not isinstance(name, str):
        return []
    return [FieldError.invalid(path, name, m) for m in name_is_dns1123_subdomain(name)]


def _volume_mode(mode, path: str) -> list[FieldError]:
    if mode is not None and mode not in _VOLUME_MODES:
        return [FieldError.not_supported(path, mode, _VOLUME_MODES)]
    return []


def validate_persistent_volume(obj: dict) -> list[FieldError]:
    """``ValidatePersistentVolume``: access modes, a ``storage`` capacity > 0, one volume source."""
    errs = validate_object_meta(obj.get("metadata"), False)
    spec = d(obj.get("spec"))
    errs.extend(_access_modes(spec.get("accessModes"), "spec.accessModes", ""))
    capacity = d(spec.get("capacity"))
    if not capacity:
        errs.append(FieldError.required("spec.capacity"))
    if "storage" not in capacity or len(capacity) > 1:
        errs.append(
            FieldError(
                "spec.capacity",
                "Unsupported value",
                detail='supported values: "storage"',
                raw_value=go_map(
                    {k: str(v) for k, v in capacity.items()}, "core.ResourceList(nil)"
                ).replace("map[string]string", "core.ResourceList"),
            )
        )
    for name, raw in capacity.items():
        q = parse_qty(raw)
        if q is not None and q <= 0:
            errs.append(FieldError.invalid(f"spec.capacity[{name}]", qty_string(raw), _POSITIVE))
    errs.extend(_class_name(spec.get("storageClassName"), "spec.storageClassName"))
    errs.extend(_volume_mode(spec.get("volumeMode"), "spec.volumeMode"))
    policy = spec.get("persistentVolumeReclaimPolicy")
    if policy and policy not in _RECLAIM:
        errs.append(
            FieldError.not_supported("spec.persistentVolumeReclaimPolicy", policy, _RECLAIM)
        )
    count = 0
    for kind in _PV_SOURCES:
        if spec.get(kind) is None:
            continue
        if count:
            errs.append(
                FieldError.forbidden(f"spec.{kind}", "may not specify more than 1 volume type")
            )
            continue
        count += 1
        src = d(spec[kind])
        if kind in ("hostPath", "local") and not src.get("path"):
            errs.append(FieldError.required(f"spec.{kind}.path"))
        if kind == "nfs":
            if not src.get("server"):
                errs.append(FieldError.required("spec.nfs.server"))
            if not src.get("path"):
                errs.append(FieldError.required("spec.nfs.path"))
        if kind == "csi":
            if not src.get("driver"):
                errs.append(FieldError.required("spec.csi.driver"))
            if not src.get("volumeHandle"):
                errs.append(FieldError.required("spec.csi.volumeHandle"))
    if count == 0:
        errs.append(FieldError.required("spec", "must specify a volume type"))
    host_path = d(spec.get("hostPath")).get("path")
    if host_path and str(host_path).rstrip("/") == "" and policy == "Recycle":
        errs.append(
            FieldError.forbidden(
                "spec.persistentVolumeReclaimPolicy",
                "may not be 'recycle' for a hostPath mount of '/'",
            )
        )
    return errs


def validate_persistent_volume_update(new: dict, old: dict) -> list[FieldError]:
    """``ValidatePersistentVolumeUpdate``: the volume source and volumeMode are immutable."""
    new_spec, old_spec = d(new.get("spec")), d(old.get("spec"))
    new_src = {k: new_spec[k] for k in _PV_SOURCES if k in new_spec}
    old_src = {k: old_spec[k] for k in _PV_SOURCES if k in old_spec}
    errs: list[FieldError] = []
    if new_src != old_src:
        errs.append(
            FieldError.forbidden(
                "spec.persistentvolumesource",
                "spec.persistentvolumesource is immutable after creation\n"
                + spec_diff(old_src, new_src, "core.PersistentVolumeSource"),
            )
        )
    if new_spec.get("volumeMode") != old_spec.get("volumeMode"):
        errs.append(FieldError.invalid("volumeMode", new_spec.get("volumeMode"), IMMUTABLE))
    return errs


def validate_persistent_volume_claim(obj: dict) -> list[FieldError]:
    """``ValidatePersistentVolumeClaim``: access modes and a positive storage request."""
    from kubelab.api.labels import validate_label_selector

    errs = validate_object_meta(obj.get("metadata"), True)
    spec = d(obj.get("spec"))
    errs.extend(
        _access_modes(
            spec.get("accessModes"), "spec.accessModes", "at least 1 access mode is required"
        )
    )
    if spec.get("selector") is not None:
        errs.extend(validate_label_selector(d(spec["selector"]), "spec.selector"))
    requests = d(d(spec.get("resources")).get("requests"))
    if "storage" not in requests:
        errs.append(FieldError.required("spec.resources[storage]"))
    else:
        q = parse_qty(requests["storage"])
        if q is None or q <= 0:
            errs.append(
                FieldError.invalid(
                    "spec.resources[storage]", qty_string(requests["storage"]), _POSITIVE
                )
            )
    errs.extend(_class_name(spec.get("storageClassName"), "spec.storageClassName"))
    errs.extend(_volume_mode(spec.get("volumeMode"), "spec.volumeMode"))
    return errs


def validate_persistent_volume_claim_update(new: dict, old: dict) -> list[FieldError]:
    """``ValidatePersistentVolumeClaimUpdate``: the spec is frozen except a bound claim's
    storage request (growing it), and ``volumeName`` may be set once."""
    new_spec, old_spec = d(new.get("spec")), d(old.get("spec"))
    errs: list[FieldError] = []
    new_cmp, old_cmp = dict(new_spec), dict(old_spec)
    if not old_spec.get("volumeName"):
        if "volumeName" in new_cmp:
            old_cmp["volumeName"] = new_cmp["volumeName"]
        else:
            old_cmp.pop("volumeName", None)
    new_req = d(d(new_spec.get("resources")).get("requests"))
    old_req = d(d(old_spec.get("resources")).get("requests"))
    if d(new.get("status")).get("phase") == "Bound" and new_req:
        resources = dict(d(new_spec.get("resources")))
        resources["requests"] = dict(new_req, storage=old_req.get("storage"))
        new_cmp["resources"] = resources
    if new_cmp != old_cmp:
        errs.append(
            FieldError.forbidden(
                "spec",
                "spec is immutable after creation except resources.requests and volumeAttributesClassName "
                "for bound claims\n"
                + spec_diff(old_cmp, new_cmp, "core.PersistentVolumeClaimSpec"),
            )
        )
    new_size, old_size = parse_qty(new_req.get("storage", 0)), parse_qty(old_req.get("storage", 0))
    status_size = parse_qty(d(d(old.get("status")).get("capacity")).get("storage", 0))
    if (
        new_size is not None
        and old_size is not None
        and new_size < old_size
        and status_size is not None
        and new_size <= status_size
    ):
        errs.append(
            FieldError.forbidden(
                "spec.resources.requests.storage", "field can not be less than status.capacity"
            )
        )
    return errs
