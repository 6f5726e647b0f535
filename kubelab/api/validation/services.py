"""Service and Endpoints validation (``ValidateService``, ``ValidateServiceUpdate``, ``ValidateEndpoints``).

Node-port range and cluster-IP allocation errors (``provided port is already
allocated``...) come from the Service registry's allocators, not from here.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from kubelab.api.validation._util import (
    PORT_RANGE,
    d,
    go_intstr,
    go_str,
    integer,
    labels_errors,
    lst,
    name_is_dns1035_label,
    name_is_dns1123_label,
    name_is_dns1123_subdomain,
    port_num_or_name,
)
from kubelab.api.validation.meta import validate_object_meta
from kubelab.errors import FieldError

__all__ = ["validate_endpoints", "validate_service", "validate_service_update"]

_TYPES = ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort")
_AFFINITY = ("ClientIP", "None")
_PROTOCOLS = ("SCTP", "TCP", "UDP")
_POLICIES = ("Cluster", "Local")
_IP_MSG = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"


@lru_cache(maxsize=4096)
def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _ip_errors(value, path: str) -> list[FieldError]:
    return (
        []
        if isinstance(value, str) and _is_ip(value)
        else [FieldError.invalid(path, value, _IP_MSG)]
    )


def _go_service_port(protocol, port) -> str:
    return (
        f'core.ServicePort{{Name:"", Protocol:{go_str(protocol or "")}, AppProtocol:(*string)(nil), '
        f"Port:{port}, TargetPort:{go_intstr(0)}, NodePort:0}}"
    )


def _port(sp: dict, require_name: bool, names: set, path: str) -> list[FieldError]:
    """``validateServicePort``."""
    errs: list[FieldError] = []
    name = sp.get("name")
    if require_name and not name:
        errs.append(FieldError.required(f"{path}.name"))
    elif name:
        errs.extend(
            FieldError.invalid(f"{path}.name", name, m) for m in name_is_dns1123_label(str(name))
        )
        if name in names:
            errs.append(FieldError.duplicate(f"{path}.name", name))
        else:
            names.add(name)
    port = sp.get("port", 0)
    if integer(port) is None or not 1 <= port <= 65535:
        errs.append(FieldError.invalid(f"{path}.port", port, PORT_RANGE))
    protocol = sp.get("protocol")
    if protocol is not None:
        if not protocol:
            errs.append(FieldError.required(f"{path}.protocol"))
        elif protocol not in _PROTOCOLS:
            errs.append(FieldError.not_supported(f"{path}.protocol", protocol, _PROTOCOLS))
    if sp.get("targetPort") is not None:
        errs.extend(port_num_or_name(sp["targetPort"], f"{path}.targetPort"))
    return errs


def _cluster_ips(spec: dict) -> list:
    """The Service's cluster IPs as the registry normalises them (``clusterIPs`` from ``clusterIP``)."""
    ips = [ip for ip in lst(spec.get("clusterIPs")) if isinstance(ip, str)]
    primary = spec.get("clusterIP")
    if primary and isinstance(primary, str) and (not ips or ips[0] != primary):
        ips = [primary, *ips[1:]]
    return ips


def validate_service(obj: dict) -> list[FieldError]:
    """``ValidateService``."""
    errs = validate_object_meta(obj.get("metadata"), True, name_is_dns1035_label)
    spec = d(obj.get("spec"))
    kind = spec.get("type", "ClusterIP")
    ips = _cluster_ips(spec)
    headless = bool(ips) and ips[0] == "None"
    ports = lst(spec.get("ports"))
    if not ports and not headless and kind != "ExternalName":
        errs.append(FieldError.required("spec.ports"))
    if kind in ("LoadBalancer", "NodePort") and headless:
        errs.append(
            FieldError.invalid(
                "spec.clusterIPs[0]", "None", f"may not be set to 'None' for {kind} services"
            )
        )
    elif kind == "ExternalName":
        if ips:
            errs.append(
                FieldError.forbidden("spec.clusterIPs", "may not be set for ExternalName services")
            )
        cname = spec.get("externalName") or ""
        cname = cname.removesuffix(".") if isinstance(cname, str) else ""
        if cname:
            errs.extend(
                FieldError.invalid("spec.externalName", cname, m)
                for m in name_is_dns1123_subdomain(cname)
            )
        else:
            errs.append(FieldError.required("spec.externalName"))
    names: set = set()
    for i, sp in enumerate(ports):
        errs.extend(_port(d(sp), len(ports) > 1, names, f"spec.ports[{i}]"))
    if spec.get("selector"):
        errs.extend(labels_errors(spec["selector"], "spec.selector"))
    affinity = spec.get("sessionAffinity")
    if affinity is not None:
        if not affinity:
            errs.append(FieldError.required("spec.sessionAffinity"))
        elif affinity not in _AFFINITY:
            errs.append(FieldError.not_supported("spec.sessionAffinity", affinity, _AFFINITY))
    config = spec.get("sessionAffinityConfig")
    if affinity == "ClientIP":
        timeout = d(d(config).get("clientIP")).get("timeoutSeconds")
        if timeout is not None and (integer(timeout) is None or not 0 < timeout <= 86400):
            errs.append(
                FieldError.invalid(
                    "spec.sessionAffinityConfig.clientIP.timeoutSeconds",
                    timeout,
                    "must be greater than 0 and less than 86400",
                )
            )
    elif affinity == "None" and config:
        errs.append(
            FieldError.forbidden(
                "spec.sessionAffinityConfig", "must not be set when session affinity is None"
            )
        )
    for i, ip in enumerate(ips):
        if ip != "None":
            errs.extend(_ip_errors(ip, f"spec.clusterIPs[{i}]"))
    for i, ip in enumerate(lst(spec.get("externalIPs"))):
        errs.extend(_ip_errors(ip, f"spec.externalIPs[{i}]"))
    if not kind:
        errs.append(FieldError.required("spec.type"))
    elif kind not in _TYPES:
        errs.append(FieldError.not_supported("spec.type", kind, _TYPES))
    node_ports: set = set()
    pairs: set = set()
    for i, sp in enumerate(ports):
        sp = d(sp)
        node_port = sp.get("nodePort")
        if node_port:
            if kind == "ClusterIP":
                errs.append(
                    FieldError.forbidden(
                        f"spec.ports[{i}].nodePort", "may not be used when `type` is 'ClusterIP'"
                    )
                )
            key = (sp.get("protocol"), node_port)
            if key in node_ports:
                errs.append(FieldError.duplicate(f"spec.ports[{i}].nodePort", node_port))
            node_ports.add(key)
    for i, sp in enumerate(ports):
        sp = d(sp)
        key = (sp.get("protocol"), sp.get("port"))
        if key in pairs:
            errs.append(
                FieldError(f"spec.ports[{i}]", "Duplicate value", raw_value=_go_service_port(*key))
            )
        pairs.add(key)
    etp = spec.get("externalTrafficPolicy")
    if etp:
        accessible = kind in ("LoadBalancer", "NodePort") or (
            kind == "ClusterIP" and spec.get("externalIPs")
        )
        if not accessible:
            errs.append(
                FieldError.invalid(
                    "spec.externalTrafficPolicy",
                    etp,
                    "may only be set for externally-accessible services",
                )
            )
        elif etp not in _POLICIES:
            errs.append(FieldError.not_supported("spec.externalTrafficPolicy", etp, _POLICIES))
    itp = spec.get("internalTrafficPolicy")
    if itp and kind != "ExternalName" and itp not in _POLICIES:
        errs.append(FieldError.not_supported("spec.internalTrafficPolicy", itp, _POLICIES))
    return errs


def _go_strings(values: list) -> str:
    return "[]string{" + ", ".join(go_str(v) for v in values) + "}"


def validate_service_update(new: dict, old: dict) -> list[FieldError]:
    """``validateUpgradeDowngradeClusterIPs``: allocated cluster IPs may not change.

    A new object that carries no cluster IP at all is treated as unchanged (the registry
    copies allocated values onto such updates).
    """
    new_spec, old_spec = d(new.get("spec")), d(old.get("spec"))
    if "ExternalName" in (new_spec.get("type"), old_spec.get("type")):
        return []
    new_ips, old_ips = _cluster_ips(new_spec), _cluster_ips(old_spec)
    if not new_ips or not old_ips or (new_ips[0] == "None" and old_ips[0] == "None"):
        return []
    errs: list[FieldError] = []
    raw = _go_strings(new_ips)
    for i, ip in enumerate(old_ips[: len(new_ips)]):
        if ip != new_ips[i]:
            errs.append(
                FieldError(
                    f"spec.clusterIPs[{i}]",
                    "Invalid value",
                    detail="may not change once set",
                    raw_value=raw,
                )
            )
    return errs


def validate_endpoints(obj: dict) -> list[FieldError]:
    """``ValidateEndpoints`` (addresses are IPs, ports valid and named when several)."""
    errs = validate_object_meta(obj.get("metadata"), True)
    for i, subset in enumerate(lst(obj.get("subsets"))):
        subset, sp = d(subset), f"subsets[{i}]"
        for key in ("addresses", "notReadyAddresses"):
            for j, addr in enumerate(lst(subset.get(key))):
                errs.extend(_ip_errors(d(addr).get("ip"), f"{sp}.{key}[{j}].ip"))
        ports = lst(subset.get("ports"))
        for j, port in enumerate(ports):
            port, pp = d(port), f"{sp}.ports[{j}]"
            name = port.get("name")
            if len(ports) > 1 and not name:
                errs.append(FieldError.required(f"{pp}.name"))
            elif name:
                errs.extend(
                    FieldError.invalid(f"{pp}.name", name, m)
                    for m in name_is_dns1123_label(str(name))
                )
            number = port.get("port", 0)
            if integer(number) is None or not 1 <= number <= 65535:
                errs.append(FieldError.invalid(f"{pp}.port", number, PORT_RANGE))
            protocol = port.get("protocol")
            if protocol is not None and protocol not in _PROTOCOLS:
                errs.append(FieldError.not_supported(f"{pp}.protocol", protocol, _PROTOCOLS))
    return errs
