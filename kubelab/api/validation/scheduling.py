"""Scheduling fields of a PodSpec: tolerations, node/pod affinity, topology spread constraints."""

from __future__ import annotations

import re

from kubelab.api.labels import operator_values_errors
from kubelab.api.naming import is_valid_label_value
from kubelab.api.validation._util import (
    d,
    go_str,
    integer,
    lst,
    name_is_dns1123_label,
    qualified_name,
)
from kubelab.errors import FieldError

__all__ = ["label_name", "validate_affinity", "validate_spread", "validate_tolerations"]

_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
_INT_RE = re.compile(r"[+-]?[0-9]+\Z")


def label_name(key, path: str) -> list[FieldError]:
    """``ValidateLabelName``: a qualified name."""
    key = key if isinstance(key, str) else ""
    msgs = qualified_name(key)
    return [FieldError.invalid(path, key, m) for m in msgs] if msgs else []


def _go_toleration(t: dict) -> str:
    secs = t.get("tolerationSeconds")
    secs_go = "(*int64)(nil)" if secs is None else f"&{secs}"
    return (
        f"core.Toleration{{Key:{go_str(t.get('key') or '')}, Operator:{go_str(t.get('operator') or '')}, "
        f"Value:{go_str(t.get('value') or '')}, Effect:{go_str(t.get('effect') or '')}, TolerationSeconds:{secs_go}}}"
    )


def validate_tolerations(tolerations, path: str) -> list[FieldError]:
    """``ValidateTolerations``."""
    errs: list[FieldError] = []
    for i, t in enumerate(lst(tolerations)):
        t, p = d(t), f"{path}[{i}]"
        key, op, effect = t.get("key") or "", t.get("operator") or "", t.get("effect") or ""
        if key:
            errs.extend(label_name(key, f"{p}.key"))
        if not key and op != "Exists":
            errs.append(
                FieldError.invalid(
                    f"{p}.operator",
                    op,
                    'operator must be Exists when `key` is empty, which means "match all values and all keys"',
                )
            )
        if t.get("tolerationSeconds") is not None and effect != "NoExecute":
            errs.append(
                FieldError.invalid(
                    f"{p}.effect",
                    effect,
                    "effect must be 'NoExecute' when `tolerationSeconds` is set",
                )
            )
        value = t.get("value") or ""
        if op in ("Equal", ""):
            errs.extend(
                FieldError.invalid(f"{p}.operator", value, m)
                for m in is_valid_label_value(str(value))
            )
        elif op == "Exists":
            if value:
                errs.append(
                    FieldError(
                        f"{p}.operator",
                        "Invalid value",
                        detail="value must be empty when `operator` is 'Exists'",
                        raw_value=_go_toleration(t),
                    )
                )
        elif op in ("Lt", "Gt"):
            # Numeric comparison (TaintTolerationComparisonOperators, alpha in 1.35; the docs use it).
            if not _INT_RE.match(str(value)):
                errs.append(
                    FieldError.invalid(
                        f"{p}.value",
                        value,
                        "value must be a valid integer for numeric comparison operators",
                    )
                )
        else:
            errs.append(
                FieldError.not_supported(f"{p}.operator", op, ["Equal", "Exists", "Lt", "Gt"])
            )
        if effect and effect not in _EFFECTS:
            errs.append(FieldError.not_supported(f"{p}.effect", effect, _EFFECTS))
    return errs


def _node_selector_term(term: dict, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    for j, req in enumerate(lst(term.get("matchExpressions"))):
        req, p = d(req), f"{path}.matchExpressions[{j}]"
        op, values = req.get("operator") or "", lst(req.get("values"))
        errs.extend(operator_values_errors(op, values, p, numeric=True))
        errs.extend(label_name(req.get("key") or "", f"{p}.key"))
    for j, req in enumerate(lst(term.get("matchFields"))):
        req, p = d(req), f"{path}.matchFields[{j}]"
        op = req.get("operator") or ""
        if op in ("In", "NotIn"):
            if len(lst(req.get("values"))) != 1:
                errs.append(
                    FieldError.required(
                        f"{p}.values",
                        "must be only one value when `operator` is 'In' or 'NotIn' for node field selector",
                    )
                )
        else:
            errs.append(FieldError.invalid(f"{p}.operator", op, "not a valid selector operator"))
        if req.get("key") != "metadata.name":
            errs.append(
                FieldError.invalid(
                    f"{p}.key", req.get("key") or "", "not a valid field selector key"
                )
            )
    return errs


def _weight(term: dict, path: str) -> list[FieldError]:
    w = term.get("weight", 0)
    if integer(w) is None or not 1 <= w <= 100:
        return [FieldError.invalid(f"{path}.weight", w, "must be in the range 1-100")]
    return []


def _pod_affinity_term(term: dict, path: str) -> list[FieldError]:
    from kubelab.api.labels import validate_label_selector

    errs: list[FieldError] = []
    for key in ("labelSelector", "namespaceSelector"):
        if term.get(key) is not None:
            errs.extend(validate_label_selector(d(term[key]), f"{path}.{key}"))
    for ns in lst(term.get("namespaces")):
        errs.extend(
            FieldError.invalid(f"{path}.namespace", ns, m) for m in name_is_dns1123_label(str(ns))
        )
    topology = term.get("topologyKey") or ""
    if not topology:
        errs.append(FieldError.required(f"{path}.topologyKey", "can not be empty"))
    errs.extend(label_name(topology, f"{path}.topologyKey"))
    return errs


def validate_affinity(affinity: dict, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    node = affinity.get("nodeAffinity")
    if node is not None:
        node, np = d(node), f"{path}.nodeAffinity"
        required = node.get("requiredDuringSchedulingIgnoredDuringExecution")
        if required is not None:
            terms = lst(d(required).get("nodeSelectorTerms"))
            tp = f"{np}.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms"
            if not terms:
                errs.append(FieldError.required(tp, "must have at least one node selector term"))
            for i, term in enumerate(terms):
                errs.extend(_node_selector_term(d(term), f"{tp}[{i}]"))
        pp = f"{np}.preferredDuringSchedulingIgnoredDuringExecution"
        for i, term in enumerate(lst(node.get("preferredDuringSchedulingIgnoredDuringExecution"))):
            term = d(term)
            errs.extend(_weight(term, f"{pp}[{i}]"))
            errs.extend(_node_selector_term(d(term.get("preference")), f"{pp}[{i}].preference"))
    for kind in ("podAffinity", "podAntiAffinity"):
        pa = affinity.get(kind)
        if pa is None:
            continue
        pa, kp = d(pa), f"{path}.{kind}"
        rp = f"{kp}.requiredDuringSchedulingIgnoredDuringExecution"
        for i, term in enumerate(lst(pa.get("requiredDuringSchedulingIgnoredDuringExecution"))):
            errs.extend(_pod_affinity_term(d(term), f"{rp}[{i}]"))
        wp = f"{kp}.preferredDuringSchedulingIgnoredDuringExecution"
        for i, term in enumerate(lst(pa.get("preferredDuringSchedulingIgnoredDuringExecution"))):
            term = d(term)
            errs.extend(_weight(term, f"{wp}[{i}]"))
            errs.extend(
                _pod_affinity_term(d(term.get("podAffinityTerm")), f"{wp}[{i}].podAffinityTerm")
            )
    return errs


def validate_spread(constraints, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    seen: set = set()
    for i, c in enumerate(lst(constraints)):
        c, p = d(c), f"{path}[{i}]"
        skew = c.get("maxSkew", 0)
        if integer(skew) is None or skew <= 0:
            errs.append(FieldError.invalid(f"{p}.maxSkew", skew, "must be greater than zero"))
        key = c.get("topologyKey") or ""
        if not key:
            errs.append(FieldError.required(f"{p}.topologyKey", "can not be empty"))
        else:
            errs.extend(label_name(key, f"{p}.topologyKey"))
        when = c.get("whenUnsatisfiable") or ""
        if when not in ("DoNotSchedule", "ScheduleAnyway"):
            errs.append(
                FieldError.not_supported(
                    f"{p}.whenUnsatisfiable", when, ["DoNotSchedule", "ScheduleAnyway"]
                )
            )
        pair = (key, when)
        if pair in seen:
            errs.append(FieldError.duplicate(p, f"{{{key}, {when}}}"))
        seen.add(pair)
    return errs
