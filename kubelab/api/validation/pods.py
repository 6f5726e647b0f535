"""PodSpec, Pod and PodTemplate validation (``ValidatePodSpec``, ``ValidatePodCreate``).

Volumes are validated first and only well-formed ones can be mounted, as upstream:
a mount naming a broken volume also reports ``Not found``.
"""

from __future__ import annotations

from kubelab.api.validation._util import (
    d,
    go_map,
    integer,
    labels_errors,
    lst,
    name_is_dns1123_label,
    name_is_dns1123_subdomain,
)
from kubelab.api.validation.containers import validate_containers, validate_init_containers
from kubelab.api.validation.meta import validate_annotations, validate_object_meta
from kubelab.api.validation.scheduling import (
    label_name,
    validate_affinity,
    validate_spread,
    validate_tolerations,
)
from kubelab.errors import FieldError

__all__ = [
    "label_name",
    "validate_pod",
    "validate_pod_spec",
    "validate_pod_template",
    "validate_pod_template_spec",
    "validate_tolerations",
]

_RESTART = ("Always", "OnFailure", "Never")
_DNS = ("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None")
_MAX_INT32 = 2**31 - 1
# VolumeSource members in the order validateVolumeSource visits them.
_VOLUME_SOURCES = (
    "hostPath",
    "emptyDir",
    "gitRepo",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "secret",
    "nfs",
    "iscsi",
    "glusterfs",
    "flexVolume",
    "persistentVolumeClaim",
    "rbd",
    "cinder",
    "cephfs",
    "flocker",
    "downwardAPI",
    "fc",
    "azureFile",
    "vsphereVolume",
    "photonPersistentDisk",
    "portworxVolume",
    "azureDisk",
    "csi",
    "quobyte",
    "configMap",
    "projected",
    "scaleIO",
    "storageos",
    "ephemeral",
    "image",
)
_HOST_PATH_TYPES = (
    "",
    "BlockDevice",
    "CharDevice",
    "Directory",
    "DirectoryOrCreate",
    "File",
    "FileOrCreate",
    "Socket",
)
_MODE_MSG = "must be a number between 0 and 0777 (octal), both inclusive"


# --------------------------------------------------------------------------- volumes


def _mode(value, path: str) -> list[FieldError]:
    if value is not None and (integer(value) is None or not 0 <= value <= 0o777):
        return [FieldError.invalid(path, value, _MODE_MSG)]
    return []


def _volume_source(vol: dict, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    count = 0
    for kind in _VOLUME_SOURCES:
        src = vol.get(kind)
        if src is None:
            continue
        if count:
            errs.append(
                FieldError.forbidden(f"{path}.{kind}", "may not specify more than 1 volume type")
            )
            continue
        count += 1
        src, p = d(src), f"{path}.{kind}"
        if kind == "hostPath":
            if not src.get("path"):
                errs.append(FieldError.required(f"{p}.path"))
            t = src.get("type")
            if t is not None and t not in _HOST_PATH_TYPES:
                errs.append(FieldError.not_supported(f"{p}.type", t, _HOST_PATH_TYPES))
        elif kind == "secret":
            if not src.get("secretName"):
                errs.append(FieldError.required(f"{p}.secretName"))
            errs.extend(_mode(src.get("defaultMode"), f"{p}.defaultMode"))
        elif kind == "configMap":
            if not src.get("name"):
                errs.append(FieldError.required(f"{p}.name"))
            errs.extend(_mode(src.get("defaultMode"), f"{p}.defaultMode"))
        elif kind == "persistentVolumeClaim":
            if not src.get("claimName"):
                errs.append(FieldError.required(f"{p}.claimName"))
        elif kind == "nfs":
            if not src.get("server"):
                errs.append(FieldError.required(f"{p}.server"))
            if not src.get("path"):
                errs.append(FieldError.required(f"{p}.path"))
            elif not str(src["path"]).startswith("/"):
                errs.append(
                    FieldError.invalid(f"{p}.path", src["path"], "must be an absolute path")
                )
        elif kind == "emptyDir":
            medium = src.get("medium")
            if medium not in (None, "", "Memory", "HugePages") and not str(medium).startswith(
                "HugePages-"
            ):
                errs.append(
                    FieldError.not_supported(f"{p}.medium", medium, ["", "Memory", "HugePages"])
                )
    if count == 0:
        errs.append(FieldError.required(path, "must specify a volume type"))
    return errs


def _volumes(volumes, path: str) -> tuple[set[str], list[FieldError]]:
    """``ValidateVolumes``: the names of the well-formed volumes, and the errors."""
    names: set[str] = set()
    errs: list[FieldError] = []
    for i, vol in enumerate(lst(volumes)):
        vol, p = d(vol), f"{path}[{i}]"
        el = _volume_source(vol, p)
        name = vol.get("name")
        if not name:
            el.append(FieldError.required(f"{p}.name"))
        else:
            el.extend(
                FieldError.invalid(f"{p}.name", name, m) for m in name_is_dns1123_label(str(name))
            )
        if name in names:
            el.append(FieldError.duplicate(f"{p}.name", name))
        if el:
            errs.extend(el)
        else:
            names.add(name)
    return names, errs


# --------------------------------------------------------------------------- PodSpec


def validate_pod_spec(spec, path: str) -> list[FieldError]:
    """``ValidatePodSpec``, field by field in upstream order."""
    spec = d(spec)
    volumes, errs = _volumes(spec.get("volumes"), f"{path}.volumes")
    errs.extend(validate_containers(spec.get("containers"), volumes, f"{path}.containers"))
    if spec.get("initContainers"):
        errs.extend(
            validate_init_containers(
                spec["initContainers"], spec.get("containers"), volumes, f"{path}.initContainers"
            )
        )
    restart = spec.get("restartPolicy")
    if restart is not None and restart not in _RESTART:
        errs.append(
            FieldError.required(f"{path}.restartPolicy")
            if restart == ""
            else FieldError.not_supported(f"{path}.restartPolicy", restart, _RESTART)
        )
    dns = spec.get("dnsPolicy")
    if dns is not None and dns not in _DNS:
        errs.append(
            FieldError.required(f"{path}.dnsPolicy")
            if dns == ""
            else FieldError.not_supported(f"{path}.dnsPolicy", dns, _DNS)
        )
    if spec.get("nodeSelector"):
        errs.extend(labels_errors(spec["nodeSelector"], f"{path}.nodeSelector"))
    if spec.get("affinity"):
        errs.extend(validate_affinity(d(spec["affinity"]), f"{path}.affinity"))
    if spec.get("topologySpreadConstraints"):
        errs.extend(
            validate_spread(spec["topologySpreadConstraints"], f"{path}.topologySpreadConstraints")
        )
    for key in ("serviceAccountName", "nodeName"):
        value = spec.get(key)
        if value and isinstance(value, str):
            errs.extend(
                FieldError.invalid(f"{path}.{key}", value, m)
                for m in name_is_dns1123_subdomain(value)
            )
    ads = spec.get("activeDeadlineSeconds")
    if ads is not None and (integer(ads) is None or not 1 <= ads <= _MAX_INT32):
        errs.append(
            FieldError.invalid(
                f"{path}.activeDeadlineSeconds",
                ads,
                f"must be between 1 and {_MAX_INT32}, inclusive",
            )
        )
    for key in ("hostname", "subdomain"):
        value = spec.get(key)
        if value and isinstance(value, str):
            errs.extend(
                FieldError.invalid(f"{path}.{key}", value, m) for m in name_is_dns1123_label(value)
            )
    if spec.get("tolerations"):
        errs.extend(validate_tolerations(spec["tolerations"], f"{path}.tolerations"))
    return errs


def validate_pod(pod: dict) -> list[FieldError]:
    """``ValidatePodCreate``: metadata (DNS-1123 subdomain name) and spec."""
    errs = validate_object_meta(pod.get("metadata"), True)
    spec = d(pod.get("spec"))
    errs.extend(validate_pod_spec(spec, "spec"))
    if spec.get("ephemeralContainers"):
        errs.append(FieldError.forbidden("spec.ephemeralContainers", "cannot be set on create"))
    return errs


def validate_pod_template_spec(template, path: str) -> list[FieldError]:
    """``ValidatePodTemplateSpec``: note upstream reports template labels at ``<path>.labels``."""
    template = d(template)
    meta = d(template.get("metadata"))
    errs = labels_errors(meta.get("labels"), f"{path}.labels")
    errs.extend(validate_annotations(meta.get("annotations"), f"{path}.annotations"))
    spec = d(template.get("spec"))
    errs.extend(validate_pod_spec(spec, f"{path}.spec"))
    if spec.get("ephemeralContainers"):
        errs.append(
            FieldError.forbidden(
                f"{path}.spec.ephemeralContainers",
                "ephemeral containers not allowed in pod template",
            )
        )
    return errs


def validate_pod_template(obj: dict) -> list[FieldError]:
    """``ValidatePodTemplate`` (the PodTemplate kind)."""
    errs = validate_object_meta(obj.get("metadata"), True)
    errs.extend(validate_pod_template_spec(obj.get("template"), "template"))
    return errs


def selector_matches(selector, labels) -> bool:
    try:
        return selector.matches(labels if isinstance(labels, dict) else {})
    except (TypeError, AttributeError):
        return False


def validate_replicated_template(
    spec: dict, selector, kind: str, pod_spec: bool = True
) -> list[FieldError]:
    """``ValidatePodTemplateSpecForReplicaSet``/``...ForRC``/``...ForStatefulSet``: the
    template of a replicated set.

    ``selector`` is a parsed selector (``None`` to skip the match check). ``pod_spec=False``
    checks only the template's labels and annotations, as upstream does for StatefulSets
    (their volumes come from ``volumeClaimTemplates``; pods are validated when created).
    """
    errs: list[FieldError] = []
    template = d(spec.get("template"))
    labels = d(template.get("metadata")).get("labels")
    if selector is not None and not selector.empty and not selector_matches(selector, labels):
        errs.append(
            FieldError(
                "spec.template.metadata.labels",
                "Invalid value",
                detail="`selector` does not match template `labels`",
                raw_value=go_map(labels),
            )
        )
    if pod_spec:
        errs.extend(validate_pod_template_spec(template, "spec.template"))
    else:
        meta = d(template.get("metadata"))
        errs.extend(labels_errors(meta.get("labels"), "spec.template.labels"))
        errs.extend(validate_annotations(meta.get("annotations"), "spec.template.annotations"))
    tspec = d(template.get("spec"))
    policy = tspec.get("restartPolicy", "Always")
    if policy != "Always":
        errs.append(
            FieldError.not_supported("spec.template.spec.restartPolicy", policy, ["Always"])
        )
    if tspec.get("activeDeadlineSeconds") is not None:
        errs.append(
            FieldError.forbidden(
                "spec.template.spec.activeDeadlineSeconds",
                f"activeDeadlineSeconds in {kind} is not Supported",
            )
        )
    return errs
