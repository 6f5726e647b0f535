"""Container validation (``validateContainers`` and ``validateContainerCommon`` upstream).

Name, image, ports, env, volumeMounts; resources are checked in :mod:`.resources`,
probes and lifecycle hooks in :mod:`.probes`. Everything here runs for every Pod a controller creates, so the
common case (a valid container) touches each field once and allocates little.
"""

from __future__ import annotations

from kubelab.api.naming import (
    is_config_map_key,
    is_env_var_name,
    is_qualified_name,
    is_valid_port_name,
)
from kubelab.api.validation._util import (
    PORT_RANGE,
    d,
    integer,
    lst,
    name_is_dns1123_label,
    name_is_dns1123_subdomain,
)
from kubelab.api.validation.probes import validate_lifecycle, validate_probe
from kubelab.api.validation.resources import validate_resources
from kubelab.errors import FieldError

__all__ = ["validate_containers", "validate_init_containers"]

_PROTOCOLS = ("SCTP", "TCP", "UDP")
_PULL_POLICIES = ("Always", "IfNotPresent", "Never")
_TERMINATION_POLICIES = ("File", "FallbackToLogsOnError")
# Downward API fields an env var may reference (ConvertDownwardAPIFieldLabel, then the env subset).
_FIELD_LABELS = frozenset(
    {
        "metadata.annotations",
        "metadata.labels",
        "metadata.name",
        "metadata.namespace",
        "metadata.uid",
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.serviceAccountName",
        "spec.schedulerName",
        "status.phase",
        "status.hostIP",
        "status.hostIPs",
        "status.podIP",
        "status.podIPs",
    }
)
_ENV_FIELD_PATHS = (
    "metadata.annotations",
    "metadata.labels",
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "spec.nodeName",
    "spec.serviceAccountName",
    "status.hostIP",
    "status.hostIPs",
    "status.podIP",
    "status.podIPs",
)
_RESOURCE_FIELDS = (
    "limits.cpu",
    "limits.ephemeral-storage",
    "limits.memory",
    "requests.cpu",
    "requests.ephemeral-storage",
    "requests.memory",
)


# --------------------------------------------------------------------------- ports and env


def _ports(ports, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    names: set[str] = set()
    for i, port in enumerate(ports):
        port, p = d(port), f"{path}[{i}]"
        name = port.get("name")
        if name:
            msgs = is_valid_port_name(str(name))
            if msgs:
                errs.extend(FieldError.invalid(f"{p}.name", name, m) for m in msgs)
            elif name in names:
                errs.append(FieldError.duplicate(f"{p}.name", name))
            else:
                names.add(name)
        cp = port.get("containerPort")
        if not cp:
            errs.append(FieldError.required(f"{p}.containerPort"))
        elif integer(cp) is None or not 1 <= cp <= 65535:
            errs.append(FieldError.invalid(f"{p}.containerPort", cp, PORT_RANGE))
        hp = port.get("hostPort")
        if hp and (integer(hp) is None or not 1 <= hp <= 65535):
            errs.append(FieldError.invalid(f"{p}.hostPort", hp, PORT_RANGE))
        proto = port.get("protocol")
        if proto is not None:
            if not proto:
                errs.append(FieldError.required(f"{p}.protocol"))
            elif proto not in _PROTOCOLS:
                errs.append(FieldError.not_supported(f"{p}.protocol", proto, _PROTOCOLS))
    return errs


def _key_selector(ref: dict, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    name = ref.get("name") or ""
    errs.extend(
        FieldError.invalid(f"{path}.name", name, m) for m in name_is_dns1123_subdomain(str(name))
    )
    key = ref.get("key")
    if not key:
        errs.append(FieldError.required(f"{path}.key"))
    else:
        errs.extend(FieldError.invalid(f"{path}.key", key, m) for m in is_config_map_key(str(key)))
    return errs


def _field_ref(ref: dict, path: str) -> list[FieldError]:
    if not ref.get("apiVersion", "v1"):
        return [FieldError.required(f"{path}.apiVersion")]
    fp = ref.get("fieldPath")
    if not fp:
        return [FieldError.required(f"{path}.fieldPath")]
    fp = str(fp)
    base, _, subscript = fp.partition("[")
    if base not in _FIELD_LABELS:
        return [
            FieldError.invalid(
                f"{path}.fieldPath",
                fp,
                f"error converting fieldPath: field label not supported: {fp}",
            )
        ]
    if subscript:
        if base not in ("metadata.annotations", "metadata.labels"):
            return [FieldError.invalid(path, base, "does not support subscript")]
        key = subscript.rstrip("]").strip("'")
        key = key.lower() if base == "metadata.annotations" else key
        return [FieldError.invalid(path, key, m) for m in is_qualified_name(key)]
    if base not in _ENV_FIELD_PATHS or base in ("metadata.annotations", "metadata.labels"):
        return [FieldError.not_supported(f"{path}.fieldPath", base, _ENV_FIELD_PATHS)]
    return []


def _env(env, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    for i, ev in enumerate(env):
        ev, p = d(ev), f"{path}[{i}]"
        name = ev.get("name")
        if not name:
            errs.append(FieldError.required(f"{p}.name"))
        name = name if isinstance(name, str) else ""
        errs.extend(FieldError.invalid(f"{p}.name", name, m) for m in is_env_var_name(name))
        value_from = ev.get("valueFrom")
        if value_from is None:
            continue
        value_from, vp = d(value_from), f"{p}.valueFrom"
        sources = 0
        if value_from.get("fieldRef") is not None:
            sources += 1
            errs.extend(_field_ref(d(value_from["fieldRef"]), f"{vp}.fieldRef"))
        if value_from.get("resourceFieldRef") is not None:
            sources += 1
            res = d(value_from["resourceFieldRef"]).get("resource")
            if not res:
                errs.append(FieldError.required(f"{vp}.resourceFieldRef.resource"))
            elif res not in _RESOURCE_FIELDS:
                errs.append(
                    FieldError.not_supported(
                        f"{vp}.resourceFieldRef.resource", res, _RESOURCE_FIELDS
                    )
                )
        for key in ("configMapKeyRef", "secretKeyRef"):
            if value_from.get(key) is not None:
                sources += 1
                errs.extend(_key_selector(d(value_from[key]), f"{vp}.{key}"))
        if sources == 0:
            errs.append(
                FieldError.invalid(
                    vp,
                    "",
                    "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`",
                )
            )
        elif ev.get("value"):
            errs.append(
                FieldError.invalid(vp, "", "may not be specified when `value` is not empty")
            )
        elif sources > 1:
            errs.append(
                FieldError.invalid(vp, "", "may not have more than one field specified at a time")
            )
    return errs


def _env_from(env_from, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    for i, src in enumerate(env_from):
        src, p = d(src), f"{path}[{i}]"
        prefix = src.get("prefix")
        if prefix:
            errs.extend(
                FieldError.invalid(f"{p}.prefix", prefix, m) for m in is_env_var_name(str(prefix))
            )
        count = 0
        for key in ("configMapRef", "secretRef"):
            if src.get(key) is not None:
                count += 1
                name = d(src[key]).get("name") or ""
                errs.extend(
                    FieldError.invalid(f"{p}.{key}.name", name, m)
                    for m in name_is_dns1123_subdomain(str(name))
                )
        if count == 0:
            errs.append(
                FieldError.invalid(p, "", "must specify one of: `configMapRef` or `secretRef`")
            )
        elif count > 1:
            errs.append(
                FieldError.invalid(p, "", "may not have more than one field specified at a time")
            )
    return errs


def _volume_mounts(mounts, volumes: set[str], path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    seen: set = set()
    for i, m in enumerate(mounts):
        m, p = d(m), f"{path}[{i}]"
        name = m.get("name") or ""
        if not name:
            errs.append(FieldError.required(f"{p}.name"))
        if name not in volumes:
            errs.append(FieldError.not_found(f"{p}.name", name))
        mount_path = m.get("mountPath") or ""
        if not mount_path:
            errs.append(FieldError.required(f"{p}.mountPath"))
        if mount_path in seen:
            errs.append(FieldError.invalid(f"{p}.mountPath", mount_path, "must be unique"))
        seen.add(mount_path)
        sub = m.get("subPath")
        if sub and isinstance(sub, str):
            if sub.startswith("/"):
                errs.append(FieldError.invalid(f"{path}.subPath", sub, "must be a relative path"))
            if ".." in sub.split("/"):
                errs.append(FieldError.invalid(f"{path}.subPath", sub, "must not contain '..'"))
    return errs


# --------------------------------------------------------------------------- containers


def _common(c: dict, p: str, volumes: set[str]) -> list[FieldError]:
    """``validateContainerCommon``."""
    errs: list[FieldError] = []
    name = c.get("name")
    if not name:
        errs.append(FieldError.required(f"{p}.name"))
    elif isinstance(name, str):
        msgs = name_is_dns1123_label(name)
        if msgs:
            errs.extend(FieldError.invalid(f"{p}.name", name, m) for m in msgs)
    if not c.get("image"):
        errs.append(FieldError.required(f"{p}.image"))
    tmp = c.get("terminationMessagePolicy")
    if tmp is not None and tmp not in _TERMINATION_POLICIES:
        if tmp == "":
            errs.append(
                FieldError.required(
                    f"{p}.terminationMessagePolicy", "must be 'File' or 'FallbackToLogsOnError'"
                )
            )
        else:
            errs.append(
                FieldError.not_supported(
                    f"{p}.terminationMessagePolicy", tmp, _TERMINATION_POLICIES
                )
            )
    if c.get("ports"):
        errs.extend(_ports(lst(c["ports"]), f"{p}.ports"))
    if c.get("env"):
        errs.extend(_env(lst(c["env"]), f"{p}.env"))
    if c.get("envFrom"):
        errs.extend(_env_from(lst(c["envFrom"]), f"{p}.envFrom"))
    if c.get("volumeMounts"):
        errs.extend(_volume_mounts(lst(c["volumeMounts"]), volumes, f"{p}.volumeMounts"))
    pull = c.get("imagePullPolicy")
    if pull is not None and pull not in _PULL_POLICIES:
        if pull == "":
            errs.append(FieldError.required(f"{p}.imagePullPolicy"))
        else:
            errs.append(FieldError.not_supported(f"{p}.imagePullPolicy", pull, _PULL_POLICIES))
    if c.get("resources"):
        errs.extend(validate_resources(c["resources"], f"{p}.resources"))
    return errs


def validate_containers(containers, volumes: set[str], path: str) -> list[FieldError]:
    """``validateContainers``: at least one, unique names, probes, host ports unique."""
    containers = lst(containers)
    if not containers:
        return [FieldError.required(path)]
    errs: list[FieldError] = []
    names: set = set()
    host_ports: set[str] = set()
    for i, c in enumerate(containers):
        c, p = d(c), f"{path}[{i}]"
        errs.extend(_common(c, p, volumes))
        name = c.get("name") or ""
        if name in names:
            errs.append(FieldError.duplicate(f"{p}.name", name))
        else:
            names.add(name)
        if c.get("lifecycle") is not None:
            errs.extend(validate_lifecycle(c["lifecycle"], f"{p}.lifecycle"))
        for key, kind in (
            ("livenessProbe", "liveness"),
            ("readinessProbe", "readiness"),
            ("startupProbe", "startup"),
        ):
            if c.get(key) is not None:
                errs.extend(validate_probe(c[key], f"{p}.{key}", kind))
        if c.get("restartPolicy") is not None:
            errs.append(
                FieldError.forbidden(f"{p}.restartPolicy", "may not be set for non-init containers")
            )
        for j, port in enumerate(lst(c.get("ports"))):
            port = d(port)
            if port.get("hostPort"):
                key = (
                    f"{port.get('protocol') or 'TCP'}/{port.get('hostIP') or ''}/{port['hostPort']}"
                )
                if key in host_ports:
                    errs.append(FieldError.duplicate(f"{p}.ports[{j}].hostPort", key))
                host_ports.add(key)
    return errs


def validate_init_containers(init, containers, volumes: set[str], path: str) -> list[FieldError]:
    """``validateInitContainers``: names unique across all containers; probes only on sidecars."""
    errs: list[FieldError] = []
    names = {d(c).get("name") or "" for c in lst(containers)}
    for i, c in enumerate(lst(init)):
        c, p = d(c), f"{path}[{i}]"
        errs.extend(_common(c, p, volumes))
        name = c.get("name") or ""
        if name in names:
            errs.append(FieldError.duplicate(f"{p}.name", name))
        else:
            names.add(name)
        policy = c.get("restartPolicy")
        sidecar = policy == "Always"
        if policy is not None and not sidecar:
            errs.append(FieldError.not_supported(f"{p}.restartPolicy", policy, ["Always"]))
        for key, kind in (
            ("lifecycle", ""),
            ("livenessProbe", "liveness"),
            ("readinessProbe", "readiness"),
            ("startupProbe", "startup"),
        ):
            if c.get(key) is None:
                continue
            if not sidecar:
                errs.append(
                    FieldError.forbidden(
                        f"{p}.{key}",
                        "may not be set for init containers without restartPolicy=Always",
                    )
                )
            elif kind:
                errs.extend(validate_probe(c[key], f"{p}.{key}", kind))
            else:
                errs.extend(validate_lifecycle(c[key], f"{p}.{key}"))
    return errs
