"""Core-group kinds other than Pods and Services: ReplicationController, Namespace, Node,
ConfigMap, Secret, ResourceQuota, LimitRange, Event (``pkg/apis/core/validation``)."""

from __future__ import annotations

from kubelab.api.labels import from_set
from kubelab.api.naming import is_config_map_key, is_qualified_name, is_valid_label_value
from kubelab.api.validation._util import (
    NEGATIVE,
    d,
    go_quantity_struct,
    go_str,
    labels_errors,
    lst,
    name_is_dns1123_label,
    nonnegative,
    parse_qty,
    qty_string,
)
from kubelab.api.validation.meta import IMMUTABLE, validate_object_meta
from kubelab.api.validation.pods import (
    label_name,
    validate_replicated_template,
)
from kubelab.errors import FieldError

__all__ = [
    "validate_config_map",
    "validate_config_map_update",
    "validate_event",
    "validate_limit_range",
    "validate_namespace",
    "validate_node",
    "validate_replication_controller",
    "validate_resource_quota",
    "validate_secret",
    "validate_secret_update",
]

MAX_DATA_SIZE = 1024 * 1024  # core.MaxSecretSize, also the ConfigMap limit
_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
_QUOTA_SCOPES = (
    "Terminating",
    "NotTerminating",
    "BestEffort",
    "NotBestEffort",
    "PriorityClass",
    "CrossNamespacePodAffinity",
)
_LIMIT_TYPES = ("Pod", "Container", "PersistentVolumeClaim")


def validate_replication_controller(obj: dict) -> list[FieldError]:
    """``ValidateReplicationController``: a non-empty map selector matching the template."""
    errs = validate_object_meta(obj.get("metadata"), True)
    spec = d(obj.get("spec"))
    errs.extend(nonnegative(spec.get("minReadySeconds"), "spec.minReadySeconds"))
    selector = spec.get("selector")
    if not selector or not isinstance(selector, dict):
        errs.append(FieldError.required("spec.selector"))
        selector = {}
    else:
        errs.extend(labels_errors(selector, "spec.selector"))
    errs.extend(nonnegative(spec.get("replicas"), "spec.replicas"))
    template = spec.get("template")
    if not isinstance(template, dict):
        errs.append(FieldError.required("spec.template"))
        return errs
    parsed = (
        from_set({k: v for k, v in selector.items() if isinstance(v, str)}) if selector else None
    )
    errs.extend(validate_replicated_template(spec, parsed, "ReplicationController"))
    return errs


def validate_namespace(obj: dict) -> list[FieldError]:
    """``ValidateNamespace``: the name is a DNS-1123 label; spec.finalizers are qualified names."""
    errs = validate_object_meta(obj.get("metadata"), False, name_is_dns1123_label)
    for f in lst(d(obj.get("spec")).get("finalizers")):
        f = str(f)
        msgs = is_qualified_name(f)
        errs.extend(FieldError.invalid("spec.finalizers", f, m) for m in msgs)
        if not msgs and "/" not in f and f not in ("kubernetes", "orphan", "foregroundDeletion"):
            errs.append(
                FieldError.invalid(
                    "spec.finalizers",
                    f,
                    "name is neither a standard finalizer name nor is it fully qualified",
                )
            )
    return errs


def validate_node(obj: dict) -> list[FieldError]:
    """``ValidateNode``: taints (key, value, effect, unique key+effect) and capacities."""
    errs = validate_object_meta(obj.get("metadata"), False)
    spec = d(obj.get("spec"))
    seen: set = set()
    for i, taint in enumerate(lst(spec.get("taints"))):
        taint, p = d(taint), f"spec.taints[{i}]"
        errs.extend(label_name(taint.get("key") or "", f"{p}.key"))
        value = taint.get("value") or ""
        errs.extend(
            FieldError.invalid(f"{p}.value", value, m) for m in is_valid_label_value(str(value))
        )
        effect = taint.get("effect") or ""
        if not effect:
            errs.append(FieldError.required(f"{p}.effect"))
        elif effect not in _EFFECTS:
            errs.append(FieldError.not_supported(f"{p}.effect", effect, _EFFECTS))
        key = (taint.get("key"), effect)
        if key in seen:
            errs.append(
                FieldError(
                    p,
                    "Duplicate value",
                    detail="taints must be unique by key and effect pair",
                    raw_value=f"core.Taint{{Key:{go_str(key[0] or '')}, Value:{go_str(value)}, "
                    f"Effect:{go_str(effect)}, TimeAdded:<nil>}}",
                )
            )
        seen.add(key)
    status = d(obj.get("status"))
    for section in ("capacity", "allocatable"):  # a malformed quantity never reaches the scheduler
        errs.extend(_resource_list(status.get(section), f"status.{section}"))
    return errs


def _data_keys(obj: dict, errs: list[FieldError]) -> int:
    """Keys of ``data`` and ``binaryData``; returns the total size in bytes."""
    total = 0
    data = d(obj.get("data"))
    for key, value in data.items():
        errs.extend(FieldError.invalid(f"data[{key}]", key, m) for m in is_config_map_key(str(key)))
        total += len(str(value or ""))
    for key, value in d(obj.get("binaryData")).items():
        errs.extend(
            FieldError.invalid(f"binaryData[{key}]", key, m) for m in is_config_map_key(str(key))
        )
        if key in data:
            errs.append(
                FieldError.invalid(f"binaryData[{key}]", key, "duplicate of key present in data")
            )
        total += len(str(value or ""))
    return total


def validate_config_map(obj: dict) -> list[FieldError]:
    """``ValidateConfigMap``: valid keys, no key in both maps, at most 1 MiB."""
    errs = validate_object_meta(obj.get("metadata"), True)
    if _data_keys(obj, errs) > MAX_DATA_SIZE:
        errs.append(FieldError.too_long("", f"must have at most {MAX_DATA_SIZE} bytes"))
    return errs


def _immutable_data(new: dict, old: dict) -> list[FieldError]:
    if old.get("immutable") is not True:
        return []
    errs: list[FieldError] = []
    if new.get("immutable") is not True:
        errs.append(FieldError.forbidden("immutable", "field is immutable when `immutable` is set"))
    for key in ("data", "binaryData", "stringData"):
        if (new.get(key) or {}) != (old.get(key) or {}):
            errs.append(FieldError.forbidden(key, "field is immutable when `immutable` is set"))
    return errs


def validate_config_map_update(new: dict, old: dict) -> list[FieldError]:
    """``ValidateConfigMapUpdate``: an ``immutable: true`` ConfigMap keeps its data."""
    return _immutable_data(new, old)


def validate_secret(obj: dict) -> list[FieldError]:
    """``ValidateSecret``: keys, size and the per-type required keys."""
    errs = validate_object_meta(obj.get("metadata"), True)
    string_data = d(obj.get("stringData"))
    if string_data:  # the API server merges stringData into data before validating
        obj = dict(obj, data={**d(obj.get("data")), **string_data})
    total = _data_keys(obj, errs)
    data = d(obj.get("data"))
    kind = obj.get("type") or "Opaque"
    if kind == "kubernetes.io/service-account-token":
        if not d(d(obj.get("metadata")).get("annotations")).get(
            "kubernetes.io/service-account.name"
        ):
            errs.append(
                FieldError.required("metadata.annotations[kubernetes.io/service-account.name]")
            )
    elif kind == "kubernetes.io/dockerconfigjson":
        if ".dockerconfigjson" not in data:
            errs.append(FieldError.required("data[.dockerconfigjson]"))
    elif kind == "kubernetes.io/dockercfg":
        if ".dockercfg" not in data:
            errs.append(FieldError.required("data[.dockercfg]"))
    elif kind == "kubernetes.io/basic-auth":
        if "username" not in data and "password" not in data:
            errs.append(FieldError.required("data[username]"))
            errs.append(FieldError.required("data[password]"))
    elif kind == "kubernetes.io/ssh-auth":
        if "ssh-privatekey" not in data:
            errs.append(FieldError.required("data[ssh-privatekey]"))
    elif kind == "kubernetes.io/tls":
        for key in ("tls.crt", "tls.key"):
            if key not in data:
                errs.append(FieldError.required(f"data[{key}]"))
    if total > MAX_DATA_SIZE:
        errs.append(FieldError.too_long("data", f"must have at most {MAX_DATA_SIZE} bytes"))
    return errs


def validate_secret_update(new: dict, old: dict) -> list[FieldError]:
    """``ValidateSecretUpdate``: ``type`` is immutable, and so is data of an immutable Secret."""
    errs: list[FieldError] = []
    new_type, old_type = new.get("type") or "Opaque", old.get("type") or "Opaque"
    if new_type != old_type:
        errs.append(FieldError.invalid("type", new_type, IMMUTABLE))
    errs.extend(_immutable_data(new, old))
    return errs


def _resource_list(values, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    for name, raw in d(values).items():
        p = f"{path}[{name}]"
        errs.extend(FieldError.invalid(p, name, m) for m in is_qualified_name(str(name)))
        q = parse_qty(raw)
        if q is None:
            errs.append(
                FieldError.invalid(
                    p,
                    raw,
                    "quantities must match the regular expression "
                    "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
                )
            )
        elif q < 0:
            errs.append(FieldError.invalid(p, qty_string(raw), NEGATIVE))
    return errs


def validate_resource_quota(obj: dict) -> list[FieldError]:
    """``ValidateResourceQuota``: non-negative hard limits, known scopes."""
    errs = validate_object_meta(obj.get("metadata"), True)
    spec = d(obj.get("spec"))
    errs.extend(_resource_list(spec.get("hard"), "spec.hard"))
    scopes = lst(spec.get("scopes"))
    for scope in scopes:
        if scope not in _QUOTA_SCOPES:
            errs.append(
                FieldError(
                    "spec.scopes",
                    "Invalid value",
                    detail="unsupported scope",
                    raw_value="[]core.ResourceQuotaScope{"
                    + ", ".join(go_str(s) for s in scopes)
                    + "}",
                )
            )
    return errs


def validate_limit_range(obj: dict) -> list[FieldError]:
    """``ValidateLimitRange``: known types; min ≤ defaultRequest ≤ default ≤ max per resource."""
    errs = validate_object_meta(obj.get("metadata"), True)
    for i, item in enumerate(lst(d(obj.get("spec")).get("limits"))):
        item, p = d(item), f"spec.limits[{i}]"
        kind = item.get("type")
        if kind not in _LIMIT_TYPES:
            errs.append(FieldError.not_supported(f"{p}.type", kind or "", _LIMIT_TYPES))
        sections = {k: d(item.get(k)) for k in ("max", "min", "default", "defaultRequest")}
        for key, values in sections.items():
            errs.extend(_resource_list(values, f"{p}.{key}"))
        names = {n for values in sections.values() for n in values}
        for name in sorted(names, key=str):
            q = {k: parse_qty(v[name]) if name in v else None for k, v in sections.items()}
            s = {k: qty_string(v[name]) if name in v else "" for k, v in sections.items()}
            raw = {k: go_quantity_struct(v[name]) if name in v else "" for k, v in sections.items()}
            mn, mx, df, dr = q["min"], q["max"], q["default"], q["defaultRequest"]
            checks = (
                (
                    mn,
                    mx,
                    "min",
                    "min",
                    f"min value {s['min']} is greater than max value {s['max']}",
                ),
                (
                    mn,
                    dr,
                    "defaultRequest",
                    "defaultRequest",
                    f"min value {s['min']} is greater than default request value {s['defaultRequest']}",
                ),
                (
                    dr,
                    mx,
                    "defaultRequest",
                    "defaultRequest",
                    f"default request value {s['defaultRequest']} is greater than max value {s['max']}",
                ),
                (
                    dr,
                    df,
                    "defaultRequest",
                    "defaultRequest",
                    f"default request value {s['defaultRequest']} is greater than default limit value {s['default']}",
                ),
                (
                    mn,
                    df,
                    "default",
                    "min",
                    f"min value {s['min']} is greater than default value {s['default']}",
                ),
                (
                    df,
                    mx,
                    "default",
                    "max",
                    f"default value {s['default']} is greater than max value {s['max']}",
                ),
            )
            for low, high, field, value_of, msg in checks:
                if low is not None and high is not None and low > high:
                    errs.append(
                        FieldError(
                            f"{p}.{field}[{name}]",
                            "Invalid value",
                            detail=msg,
                            raw_value=raw[value_of],
                        )
                    )
    return errs


def validate_event(obj: dict) -> list[FieldError]:
    """``ValidateEvent`` (core/v1 Events): the involved object's namespace matches the Event's."""
    meta = d(obj.get("metadata"))
    errs = validate_object_meta(meta, True)
    involved = d(obj.get("involvedObject"))
    ns = involved.get("namespace")
    if ns and meta.get("namespace") and ns != meta.get("namespace"):
        errs.append(
            FieldError.invalid("involvedObject.namespace", ns, "does not match event.namespace")
        )
    return errs
