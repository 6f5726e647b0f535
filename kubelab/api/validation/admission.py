"""ValidatingAdmissionPolicy and its binding (``pkg/apis/admissionregistration/validation``).

CEL expressions are stored, not compiled or run (kubelab has no CEL admission yet).

Examples
--------
>>> binding = {"kind": "ValidatingAdmissionPolicyBinding", "metadata": {"name": "b"},
...            "spec": {"policyName": "p", "validationActions": ["Deny"],
...                     "paramRef": {"name": "limits", "namespace": "default"}}}
>>> print(validate_policy_binding(binding)[0])
spec.paramRef.parameterNotFoundAction: Required value
"""

from __future__ import annotations

from kubelab.api.validation._util import d, go_str, lst, name_is_dns1123_subdomain
from kubelab.api.validation.meta import validate_object_meta
from kubelab.errors import FieldError

__all__ = ["validate_policy", "validate_policy_binding"]

_FAILURE_POLICIES = ["Fail", "Ignore"]
_ACTIONS = ["Audit", "Deny", "Warn"]
_OPERATIONS = ["*", "CONNECT", "CREATE", "DELETE", "UPDATE"]
_SCOPES = ["*", "Cluster", "Namespaced"]


def _selector(value, path: str) -> list[FieldError]:
    from kubelab.api.labels import validate_label_selector

    return validate_label_selector(value, path) if isinstance(value, dict) else []


def _match_resources(match, path: str) -> list[FieldError]:
    """``validateMatchResources``: selectors, policy and each rule's operations and scope."""
    if not isinstance(match, dict):
        return []
    errs = _selector(match.get("namespaceSelector"), f"{path}.namespaceSelector")
    errs.extend(_selector(match.get("objectSelector"), f"{path}.objectSelector"))
    policy = match.get("matchPolicy")
    if policy is not None and policy not in ("Equivalent", "Exact"):
        errs.append(
            FieldError.not_supported(f"{path}.matchPolicy", policy, ["Equivalent", "Exact"])
        )
    for key in ("resourceRules", "excludeResourceRules"):
        for i, rule in enumerate(lst(match.get(key))):
            rule, at = d(rule), f"{path}.{key}[{i}]"
            for field in ("apiGroups", "apiVersions", "resources", "operations"):
                if not lst(rule.get(field)):
                    errs.append(FieldError.required(f"{at}.{field}"))
            for j, op in enumerate(lst(rule.get("operations"))):
                if op not in _OPERATIONS:
                    errs.append(FieldError.not_supported(f"{at}.operations[{j}]", op, _OPERATIONS))
            scope = rule.get("scope")
            if scope is not None and scope not in _SCOPES:
                errs.append(FieldError.not_supported(f"{at}.scope", scope, _SCOPES))
    return errs


def validate_policy(obj: dict) -> list[FieldError]:
    """``ValidateValidatingAdmissionPolicy`` (CEL left uncompiled)."""
    errs = validate_object_meta(obj.get("metadata"), False)
    spec, path = d(obj.get("spec")), "spec"
    policy = spec.get("failurePolicy")
    if policy is None:
        errs.append(FieldError.required(f"{path}.failurePolicy"))
    elif policy not in _FAILURE_POLICIES:
        errs.append(FieldError.not_supported(f"{path}.failurePolicy", policy, _FAILURE_POLICIES))
    param_kind = spec.get("paramKind")
    if isinstance(param_kind, dict):
        for field in ("apiVersion", "kind"):
            if not param_kind.get(field):
                errs.append(FieldError.required(f"{path}.paramKind.{field}"))
    match = spec.get("matchConstraints")
    if match is None:
        errs.append(FieldError.required(f"{path}.matchConstraints"))
    else:
        errs.extend(_match_resources(match, f"{path}.matchConstraints"))
        if not lst(d(match).get("resourceRules")):
            errs.append(FieldError.required(f"{path}.matchConstraints.resourceRules"))
    if not lst(spec.get("validations")) and not lst(spec.get("auditAnnotations")):
        errs.append(
            FieldError.required(
                f"{path}.validations",
                "validations or auditAnnotations must contain at least one item",
            )
        )
    for i, check in enumerate(lst(spec.get("validations"))):
        if not d(check).get("expression"):
            errs.append(
                FieldError.required(
                    f"{path}.validations[{i}].expression", "expression is not specified"
                )
            )
    return errs


def _param_ref(ref, path: str) -> list[FieldError]:
    """``validateParamRef``: a name or a selector, and what to do when none is found."""
    if not isinstance(ref, dict):
        return []
    errs: list[FieldError] = []
    name = ref.get("name") or ""
    if name and ref.get("selector") is not None:
        errs.append(
            FieldError.forbidden(f"{path}.name", "name and selector are mutually exclusive")
        )
    errs.extend(_selector(ref.get("selector"), f"{path}.selector"))
    if not name and ref.get("selector") is None:
        errs.append(FieldError.required(path, "one of name or selector must be specified"))
    action = ref.get("parameterNotFoundAction")
    if not action:
        errs.append(FieldError.required(f"{path}.parameterNotFoundAction"))
    elif action not in ("Deny", "Allow"):
        errs.append(
            FieldError.not_supported(f"{path}.parameterNotFoundAction", action, ["Deny", "Allow"])
        )
    return errs


def _actions(actions, path: str) -> list[FieldError]:
    """``validateValidationActions``."""
    errs: list[FieldError] = []
    seen: set[str] = set()
    for i, action in enumerate(lst(actions)):
        if action not in _ACTIONS:
            errs.append(FieldError.not_supported(f"{path}[{i}]", action, _ACTIONS))
        if action in seen:
            errs.append(FieldError.duplicate(f"{path}[{i}]", action))
        seen.add(action)
    if {"Deny", "Warn"} <= seen:
        raw = (
            "[]admissionregistration.ValidationAction{"
            + ", ".join(go_str(a) for a in lst(actions))
            + "}"
        )
        errs.append(
            FieldError(
                path,
                "Invalid value",
                detail="must not contain both Deny and Warn (repeating the same validation failure "
                "information in the API response and headers serves no purpose)",
                raw_value=raw,
            )
        )
    if not seen:
        errs.append(FieldError.required(path, "at least one validation action is required"))
    return errs


def validate_policy_binding(obj: dict) -> list[FieldError]:
    """``ValidateValidatingAdmissionPolicyBinding``."""
    errs = validate_object_meta(obj.get("metadata"), False)
    spec = d(obj.get("spec"))
    name = spec.get("policyName") or ""
    if not name:
        errs.append(FieldError.required("spec.policyName"))
    else:
        errs.extend(
            FieldError.invalid("spec.policyName", name, m) for m in name_is_dns1123_subdomain(name)
        )
    errs.extend(_param_ref(spec.get("paramRef"), "spec.paramRef"))
    # upstream's path really is spelled "matchResouces"
    errs.extend(_match_resources(spec.get("matchResources"), "spec.matchResouces"))
    errs.extend(_actions(spec.get("validationActions"), "spec.validationActions"))
    return errs
