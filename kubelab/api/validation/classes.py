"""Cluster-wide classes and ranges: PriorityClass, RuntimeClass, ServiceCIDR, ServiceAccount.

Upstream: ``pkg/apis/scheduling/validation``, ``pkg/apis/node/validation``,
``pkg/apis/networking/validation`` (ServiceCIDR) and ``pkg/apis/core/validation``.

Examples
--------
>>> pc = {"kind": "PriorityClass", "metadata": {"name": "high"}, "value": 2000000000,
...       "preemptionPolicy": "PreemptLowerPriority"}
>>> print(validate_priority_class(pc)[0])
value: Forbidden: maximum allowed value of a user defined priority is 1000000000
>>> print(validate_priority_class_update(dict(pc, value=5), pc)[0])
value: Forbidden: may not be changed in an update.
"""

from __future__ import annotations

import ipaddress

from kubelab.api.naming import is_dns1123_label
from kubelab.api.validation._util import d, integer, lst
from kubelab.api.validation.meta import immutable, validate_object_meta
from kubelab.errors import FieldError

__all__ = [
    "HIGHEST_USER_DEFINABLE_PRIORITY",
    "validate_priority_class",
    "validate_priority_class_update",
    "validate_runtime_class",
    "validate_service_account",
    "validate_service_cidr",
]

HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000
_SYSTEM = {"system-node-critical": 2_000_001_000, "system-cluster-critical": 2_000_000_000}


_CIDR = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"


def _cidr(value, path: str, errs: list[FieldError], *, strict: bool = False):
    """``value`` as a network, or ``None`` with ``IsValidCIDR``'s error appended to ``errs``."""
    try:
        return ipaddress.ip_network(str(value), strict=strict)
    except ValueError:
        errs.append(FieldError.invalid(path, value, _CIDR))
        return None


def validate_priority_class(obj: dict) -> list[FieldError]:
    """``ValidatePriorityClass``: the value range, reserved ``system-`` names, the policy."""
    errs = validate_object_meta(obj.get("metadata"), False)
    name = d(obj.get("metadata")).get("name") or ""
    value = integer(obj.get("value"))
    if value is None:
        value = 0
    if name.startswith("system-"):
        if name not in _SYSTEM:
            problem = f"{name!r} is not a known system priority class".replace("'", '"')
        elif _SYSTEM[name] != value:
            problem = f"value of {name} PriorityClass must be {_SYSTEM[name]}"
        elif obj.get("globalDefault"):
            problem = f"globalDefault must be false for {name} PriorityClass"
        else:
            problem = ""
        if problem:
            errs.append(
                FieldError.forbidden(
                    "metadata.name",
                    "priority class names with 'system-' prefix are reserved for system use "
                    f"only. error: {problem}",
                )
            )
    elif value > HIGHEST_USER_DEFINABLE_PRIORITY:
        errs.append(
            FieldError.forbidden(
                "value",
                f"maximum allowed value of a user defined priority is {HIGHEST_USER_DEFINABLE_PRIORITY}",
            )
        )
    policy = obj.get("preemptionPolicy")
    if policy is not None and policy not in ("Never", "PreemptLowerPriority"):
        errs.append(
            FieldError.not_supported("preemptionPolicy", policy, ["Never", "PreemptLowerPriority"])
        )
    return errs


def validate_priority_class_update(new: dict, old: dict) -> list[FieldError]:
    """``ValidatePriorityClassUpdate``: the value and the preemption policy are fixed."""
    errs: list[FieldError] = []
    if new.get("value") != old.get("value"):
        errs.append(FieldError.forbidden("value", "may not be changed in an update."))
    errs.extend(
        immutable(new.get("preemptionPolicy"), old.get("preemptionPolicy"), "preemptionPolicy")
    )
    return errs


def validate_runtime_class(obj: dict) -> list[FieldError]:
    """``ValidateRuntimeClass``: ``handler`` is a DNS-1123 label."""
    errs = validate_object_meta(obj.get("metadata"), False)
    handler = obj.get("handler") or ""
    if not handler:
        errs.append(FieldError.required("handler"))
    else:
        errs.extend(FieldError.invalid("handler", handler, m) for m in is_dns1123_label(handler))
    return errs


def validate_service_account(obj: dict) -> list[FieldError]:
    """``ValidateServiceAccount``: metadata (a DNS-1123 subdomain name)."""
    return validate_object_meta(obj.get("metadata"), True)


def validate_service_cidr(obj: dict) -> list[FieldError]:
    """``ValidateServiceCIDR``: one or two CIDRs, one per IP family, in canonical form."""
    errs = validate_object_meta(obj.get("metadata"), False)
    cidrs = lst(d(obj.get("spec")).get("cidrs"))
    if not cidrs:
        errs.append(FieldError.required("spec.cidrs"))
        return errs
    if len(cidrs) > 2:
        errs.append(FieldError("spec.cidrs", "Too many", len(cidrs), "must have at most 2 items"))
        return errs
    families = []
    for i, cidr in enumerate(cidrs):
        net = _cidr(cidr, f"spec.cidrs[{i}]", errs, strict=True)
        if net is not None:
            families.append(net.version)
    if len(families) == 2 and families[0] == families[1]:
        errs.append(
            FieldError.invalid(
                "spec.cidrs",
                None,
                "may specify no more than one IP for each IP family, i.e 192.168.0.0/24 and 2001:db8::/64",
            )
        )
    return errs


def validate_horizontal_pod_autoscaler(obj: dict) -> list[FieldError]:
    """``ValidateHorizontalPodAutoscaler``: replica bounds and the scale target reference."""
    from kubelab.api.validation.rbac import path_segment_name

    errs = validate_object_meta(obj.get("metadata"), True)
    spec = d(obj.get("spec"))
    low, high = integer(spec.get("minReplicas")), integer(spec.get("maxReplicas")) or 0
    if low is not None and low < 1:
        errs.append(
            FieldError.invalid("spec.minReplicas", low, "must be greater than or equal to 1")
        )
    if high < 1:
        errs.append(FieldError.invalid("spec.maxReplicas", high, "must be greater than 0"))
    if low is not None and high < low:
        errs.append(
            FieldError.invalid(
                "spec.maxReplicas", high, "must be greater than or equal to `minReplicas`"
            )
        )
    ref = d(spec.get("scaleTargetRef"))
    for field in ("kind", "name"):
        value = ref.get(field) or ""
        if not value:
            errs.append(FieldError.required(f"spec.scaleTargetRef.{field}"))
        else:
            errs.extend(
                FieldError.invalid(f"spec.scaleTargetRef.{field}", value, m)
                for m in path_segment_name(value)
            )
    return errs


def _network_policy_peer(peer, path: str) -> list[FieldError]:
    from kubelab.api.labels import validate_label_selector

    peer = d(peer)
    errs: list[FieldError] = []
    kinds = [k for k in ("podSelector", "namespaceSelector", "ipBlock") if peer.get(k) is not None]
    if not kinds:
        errs.append(FieldError.required(path, "must specify a peer"))
    elif "ipBlock" in kinds and len(kinds) > 1:
        errs.append(FieldError.forbidden(path, "may not specify more than 1 peer type"))
    for key in ("podSelector", "namespaceSelector"):
        if isinstance(peer.get(key), dict):
            errs.extend(validate_label_selector(peer[key], f"{path}.{key}"))
    block = peer.get("ipBlock")
    if isinstance(block, dict):
        cidr = block.get("cidr") or ""
        net = _cidr(cidr, f"{path}.ipBlock.cidr", errs) if cidr else None
        if not cidr:
            errs.append(FieldError.required(f"{path}.ipBlock.cidr"))
        for i, except_ in enumerate(lst(block.get("except"))):
            at = f"{path}.ipBlock.except[{i}]"
            inner = _cidr(except_, at, errs)
            if (
                inner is not None
                and net is not None
                and (inner.version != net.version or not inner.subnet_of(net) or inner == net)
            ):
                errs.append(FieldError.invalid(at, except_, "must be a strict subset of `cidr`"))
    return errs


def _network_policy_port(port, path: str) -> list[FieldError]:
    from kubelab.api.validation._util import port_num_or_name

    port = d(port)
    errs: list[FieldError] = []
    protocol = port.get("protocol")
    if protocol is not None and protocol not in ("TCP", "UDP", "SCTP"):
        errs.append(FieldError.not_supported(f"{path}.protocol", protocol, ["TCP", "UDP", "SCTP"]))
    number = port.get("port")
    if number is not None:
        errs.extend(port_num_or_name(number, f"{path}.port"))
    end = integer(port.get("endPort"))
    if end is not None:
        if integer(number) is None:
            errs.append(
                FieldError.required(
                    f"{path}.port", "must specify a numerical port when endPort is set"
                )
            )
        elif end < number:
            errs.append(
                FieldError.invalid(
                    f"{path}.endPort", end, "must be greater than or equal to `port`"
                )
            )
    return errs


def validate_network_policy(obj: dict) -> list[FieldError]:
    """``ValidateNetworkPolicy``: selectors, ports, peers and policy types."""
    from kubelab.api.labels import validate_label_selector

    errs = validate_object_meta(obj.get("metadata"), True)
    spec = d(obj.get("spec"))
    errs.extend(validate_label_selector(d(spec.get("podSelector")), "spec.podSelector"))
    for direction, peers in (("ingress", "from"), ("egress", "to")):
        for i, rule in enumerate(lst(spec.get(direction))):
            rule = d(rule)
            for j, port in enumerate(lst(rule.get("ports"))):
                errs.extend(_network_policy_port(port, f"spec.{direction}[{i}].ports[{j}]"))
            for j, peer in enumerate(lst(rule.get(peers))):
                errs.extend(_network_policy_peer(peer, f"spec.{direction}[{i}].{peers}[{j}]"))
    types = lst(spec.get("policyTypes"))
    for i, type_ in enumerate(types):
        if type_ not in ("Ingress", "Egress"):
            errs.append(
                FieldError.not_supported(f"spec.policyTypes[{i}]", type_, ["Ingress", "Egress"])
            )
    if len(types) > 2:
        errs.append(
            FieldError.invalid(
                "spec.policyTypes", None, "may not specify more than two policyTypes"
            )
        )
    return errs
