"""networking.k8s.io/v1: Ingress and IngressClass (``pkg/apis/networking/validation``)."""

from __future__ import annotations

import ipaddress

from kubelab.api.naming import is_dns1123_subdomain, is_valid_port_name
from kubelab.api.validation._util import (
    PORT_RANGE,
    d,
    integer,
    lst,
    name_is_dns1035_label,
    name_is_dns1123_subdomain,
)
from kubelab.api.validation.meta import IMMUTABLE, validate_object_meta
from kubelab.errors import FieldError

__all__ = ["validate_ingress", "validate_ingress_class", "validate_ingress_class_update"]

_PATH_TYPES = ("Exact", "ImplementationSpecific", "Prefix")
_BAD_SEQUENCES = ("//", "/./", "/../", "%2f", "%2F")
_BAD_SUFFIXES = ("/..", "/.")


def _backend(backend: dict, path: str) -> list[FieldError]:
    """``validateIngressBackend``: exactly one of a Service (name + port) or a resource."""
    service, resource = backend.get("service"), backend.get("resource")
    if service is not None and resource is not None:
        return [FieldError.invalid(path, "", "cannot set both resource and service backends")]
    if resource is not None:
        resource, errs = d(resource), []
        for key in ("kind", "name"):
            if not resource.get(key):
                errs.append(FieldError.required(f"{path}.resource.{key}"))
        return errs
    if service is None:
        return [FieldError.invalid(path, "", "resource or service backend is required")]
    service, errs = d(service), []
    name = service.get("name")
    if not name:
        errs.append(FieldError.required(f"{path}.service.name"))
    else:
        errs.extend(
            FieldError.invalid(f"{path}.service.name", name, m)
            for m in name_is_dns1035_label(str(name))
        )
    port = d(service.get("port"))
    port_name, number = port.get("name"), port.get("number")
    if port_name and number:
        errs.append(FieldError.invalid(path, "", "cannot set both port name & port number"))
    elif port_name:
        errs.extend(
            FieldError.invalid(f"{path}.service.port.name", port_name, m)
            for m in is_valid_port_name(str(port_name))
        )
    elif number:
        if integer(number) is None or not 1 <= number <= 65535:
            errs.append(FieldError.invalid(f"{path}.service.port.number", number, PORT_RANGE))
    else:
        errs.append(FieldError.required(path, "port name or number is required"))
    return errs


def _http_path(p: dict, path: str) -> list[FieldError]:
    """``validateHTTPIngressPath``."""
    kind = p.get("pathType")
    if kind is None:
        return [FieldError.required(f"{path}.pathType", "pathType must be specified")]
    errs: list[FieldError] = []
    value = p.get("path") or ""
    value = value if isinstance(value, str) else str(value)
    if kind in ("Exact", "Prefix"):
        if not value.startswith("/"):
            errs.append(FieldError.invalid(f"{path}.path", value, "must be an absolute path"))
        if value:
            errs.extend(
                FieldError.invalid(f"{path}.path", value, f"must not contain '{s}'")
                for s in _BAD_SEQUENCES
                if s in value
            )
            errs.extend(
                FieldError.invalid(f"{path}.path", value, f"cannot end with '{s}'")
                for s in _BAD_SUFFIXES
                if value.endswith(s)
            )
    elif kind == "ImplementationSpecific":
        if value and not value.startswith("/"):
            errs.append(FieldError.invalid(f"{path}.path", value, "must be an absolute path"))
    else:
        errs.append(FieldError.not_supported(f"{path}.pathType", kind, _PATH_TYPES))
    errs.extend(_backend(d(p.get("backend")), f"{path}.backend"))
    return errs


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _host(host: str, path: str, *, allow_ip: bool = False) -> list[FieldError]:
    if not allow_ip and _is_ip(host):
        return [FieldError.invalid(path, host, "must be a DNS name, not an IP address")]
    if "*" in host:
        if host.startswith("*.") and not is_dns1123_subdomain(host[2:]):
            return []
        return [
            FieldError.invalid(
                path,
                host,
                "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, "
                "which must consist of lower case alphanumeric characters, '-' or '.' and end with an "
                "alphanumeric character (e.g. '*.example.com', regex used for validation is "
                r"'\*\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
            )
        ]
    return [FieldError.invalid(path, host, m) for m in is_dns1123_subdomain(host)]


def validate_ingress(obj: dict) -> list[FieldError]:
    """``ValidateIngressCreate``: rules or a default backend; every path typed and routed."""
    errs = validate_object_meta(obj.get("metadata"), True)
    spec = d(obj.get("spec"))
    rules = lst(spec.get("rules"))
    if not rules and spec.get("defaultBackend") is None:
        errs.append(
            FieldError(
                "spec",
                "Invalid value",
                detail="either `defaultBackend` or `rules` must be specified",
                raw_value="[]networking.IngressRule(nil)"
                if spec.get("rules") is None
                else "[]networking.IngressRule{}",
            )
        )
    if spec.get("defaultBackend") is not None:
        errs.extend(_backend(d(spec["defaultBackend"]), "spec.defaultBackend"))
    for i, rule in enumerate(rules):
        rule, rp = d(rule), f"spec.rules[{i}]"
        host = rule.get("host")
        if host and isinstance(host, str):
            errs.extend(_host(host, f"{rp}.host"))
        if rule.get("http") is not None:
            paths = lst(d(rule["http"]).get("paths"))
            if not paths:
                errs.append(FieldError.required(f"{rp}.http.paths"))
            for j, p in enumerate(paths):
                errs.extend(_http_path(d(p), f"{rp}.http.paths[{j}]"))
    for i, tls in enumerate(lst(spec.get("tls"))):
        for j, host in enumerate(lst(d(tls).get("hosts"))):
            if isinstance(host, str) and host:
                # validateIngressTLS: DNS names (wildcards allowed), an IP address is not refused
                errs.extend(_host(host, f"spec.tls[{i}].hosts[{j}]", allow_ip=True))
        secret = d(tls).get("secretName")
        if secret:  # validateTLSSecretName: a Secret name when set
            errs.extend(
                FieldError.invalid(f"spec.tls[{i}].secretName", secret, m)
                for m in name_is_dns1123_subdomain(str(secret))
            )
    cls = spec.get("ingressClassName")
    if cls is not None:
        errs.extend(
            FieldError.invalid("spec.ingressClassName", cls, m)
            for m in name_is_dns1123_subdomain(str(cls))
        )
    # ValidateIngressCreate: the legacy class annotation must agree with ingressClassName
    legacy = d(d(obj.get("metadata")).get("annotations")).get("kubernetes.io/ingress.class")
    if legacy is not None and cls is not None and legacy != cls:
        errs.append(
            FieldError.invalid(
                "annotations.kubernetes.io/ingress.class",
                legacy,
                "must match `ingressClassName` when both are specified",
            )
        )
    return errs


def _controller(value, path: str) -> list[FieldError]:
    """``IsDomainPrefixedPath``."""
    if not value:
        return [FieldError.required(path)]
    value = str(value)
    if len(value) > 250:
        return [FieldError.too_long(path, "must have at most 250 bytes")]
    host, sep, _rest = value.partition("/")
    if not sep:
        return [
            FieldError.invalid(
                path, value, 'must be a domain-prefixed path (such as "acme.io/foo")'
            )
        ]
    return [FieldError.invalid(path, host, m) for m in is_dns1123_subdomain(host)]


def validate_ingress_class(obj: dict) -> list[FieldError]:
    """``ValidateIngressClass``: ``spec.controller`` is a domain-prefixed path."""
    errs = validate_object_meta(obj.get("metadata"), False)
    errs.extend(_controller(d(obj.get("spec")).get("controller"), "spec.controller"))
    return errs


def validate_ingress_class_update(new: dict, old: dict) -> list[FieldError]:
    """``spec.controller`` is immutable."""
    new_c, old_c = d(new.get("spec")).get("controller"), d(old.get("spec")).get("controller")
    if new_c != old_c:
        return [FieldError.invalid("spec.controller", new_c or "", IMMUTABLE)]
    return []
