"""RBAC objects: Role, ClusterRole, RoleBinding, ClusterRoleBinding (``pkg/apis/rbac/validation``).

RBAC names are path segments (``system:kube-scheduler`` is fine), not DNS names.

Examples
--------
>>> binding = {"kind": "RoleBinding", "metadata": {"name": "read", "namespace": "default"},
...            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Secret", "name": "x"},
...            "subjects": [{"kind": "ServiceAccount", "name": "sa"}]}
>>> print(validate_role_binding(binding)[0])
roleRef.kind: Unsupported value: "Secret": supported values: "Role", "ClusterRole"
>>> old = dict(binding, roleRef=dict(binding["roleRef"], kind="Role"))
>>> new = dict(binding, roleRef=dict(binding["roleRef"], kind="ClusterRole"))
>>> print(validate_role_binding_update(new, old)[-1])
roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", Name:"x"}: cannot change roleRef
"""

from __future__ import annotations

from kubelab.api.validation._util import d, go_str, lst
from kubelab.api.validation.meta import validate_object_meta
from kubelab.errors import FieldError

__all__ = [
    "path_segment_name",
    "validate_cluster_role",
    "validate_cluster_role_binding",
    "validate_role",
    "validate_role_binding",
    "validate_role_binding_update",
]

GROUP = "rbac.authorization.k8s.io"


def path_segment_name(name: str, prefix: bool = False) -> tuple[str, ...]:
    """``path.IsValidPathSegmentName`` (``ValidateRBACName``): no ``/``, ``%``, ``.`` or ``..``.

    Examples
    --------
    >>> path_segment_name("system:kube-scheduler"), path_segment_name("a/b")
    ((), ("may not contain '/'",))
    """
    if name in (".", "..") and not prefix:
        return (f"may not be '{name}'",)
    return tuple(f"may not contain '{ch}'" for ch in ("/", "%") if ch in name)


def _rule(rule, namespaced: bool, path: str) -> list[FieldError]:
    """``ValidatePolicyRule``."""
    rule = d(rule)
    errs: list[FieldError] = []
    if not lst(rule.get("verbs")):
        errs.append(FieldError.required(f"{path}.verbs", "verbs must contain at least one value"))
    urls = lst(rule.get("nonResourceURLs"))
    if urls:
        raw = "[]string{" + ", ".join(go_str(u) for u in urls) + "}"
        if namespaced:
            errs.append(
                FieldError(
                    f"{path}.nonResourceURLs",
                    "Invalid value",
                    detail="namespaced rules cannot apply to non-resource URLs",
                    raw_value=raw,
                )
            )
        if any(lst(rule.get(k)) for k in ("apiGroups", "resources", "resourceNames")):
            errs.append(
                FieldError(
                    f"{path}.nonResourceURLs",
                    "Invalid value",
                    detail="rules cannot apply to both regular resources and non-resource URLs",
                    raw_value=raw,
                )
            )
        return errs
    if not lst(rule.get("apiGroups")):
        errs.append(
            FieldError.required(
                f"{path}.apiGroups", "resource rules must supply at least one api group"
            )
        )
    if not lst(rule.get("resources")):
        errs.append(
            FieldError.required(
                f"{path}.resources", "resource rules must supply at least one resource"
            )
        )
    return errs


def validate_role(obj: dict) -> list[FieldError]:
    """``ValidateRole``."""
    errs = validate_object_meta(obj.get("metadata"), True, path_segment_name)
    for i, rule in enumerate(lst(obj.get("rules"))):
        errs.extend(_rule(rule, True, f"rules[{i}]"))
    return errs


def validate_cluster_role(obj: dict) -> list[FieldError]:
    """``ValidateClusterRole``: rules, and an ``aggregationRule`` with selectors."""
    from kubelab.api.labels import validate_label_selector

    errs = validate_object_meta(obj.get("metadata"), False, path_segment_name)
    for i, rule in enumerate(lst(obj.get("rules"))):
        errs.extend(_rule(rule, False, f"rules[{i}]"))
    aggregation = obj.get("aggregationRule")
    if isinstance(aggregation, dict):
        selectors = lst(aggregation.get("clusterRoleSelectors"))
        if not selectors:
            errs.append(
                FieldError.required(
                    "aggregationRule.clusterRoleSelectors",
                    "at least one clusterRoleSelector required if aggregationRule is non-nil",
                )
            )
        for i, selector in enumerate(selectors):
            errs.extend(
                validate_label_selector(selector, f"aggregationRule.clusterRoleSelectors[{i}]")
            )
    return errs


def _subject(subject, namespaced: bool, path: str) -> list[FieldError]:
    """``ValidateRoleBindingSubject``."""
    from kubelab.api.validation._util import name_is_dns1123_subdomain

    subject = d(subject)
    errs: list[FieldError] = []
    name, kind, group = (
        subject.get("name") or "",
        subject.get("kind"),
        subject.get("apiGroup") or "",
    )
    if not name:
        errs.append(FieldError.required(f"{path}.name"))
    if kind == "ServiceAccount":
        if name:
            errs.extend(
                FieldError.invalid(f"{path}.name", name, m) for m in name_is_dns1123_subdomain(name)
            )
        if group:
            errs.append(FieldError.not_supported(f"{path}.apiGroup", group, [""]))
        if not namespaced and not subject.get("namespace"):
            errs.append(FieldError.required(f"{path}.namespace"))
    elif kind in ("User", "Group"):
        if group != GROUP:
            errs.append(FieldError.not_supported(f"{path}.apiGroup", group, [GROUP]))
    else:
        errs.append(
            FieldError.not_supported(
                f"{path}.kind", kind or "", ["ServiceAccount", "User", "Group"]
            )
        )
    return errs


def _binding(obj: dict, namespaced: bool) -> list[FieldError]:
    errs = validate_object_meta(obj.get("metadata"), namespaced, path_segment_name)
    ref = d(obj.get("roleRef"))
    if (ref.get("apiGroup") or "") != GROUP:
        errs.append(
            FieldError.not_supported("roleRef.apiGroup", ref.get("apiGroup") or "", [GROUP])
        )
    allowed = ["Role", "ClusterRole"] if namespaced else ["ClusterRole"]
    if ref.get("kind") not in allowed:
        errs.append(FieldError.not_supported("roleRef.kind", ref.get("kind") or "", allowed))
    name = ref.get("name") or ""
    if not name:
        errs.append(FieldError.required("roleRef.name"))
    else:
        errs.extend(FieldError.invalid("roleRef.name", name, m) for m in path_segment_name(name))
    for i, subject in enumerate(lst(obj.get("subjects"))):
        errs.extend(_subject(subject, namespaced, f"subjects[{i}]"))
    return errs


def validate_role_binding(obj: dict) -> list[FieldError]:
    """``ValidateRoleBinding``."""
    return _binding(obj, True)


def validate_cluster_role_binding(obj: dict) -> list[FieldError]:
    """``ValidateClusterRoleBinding``: only a ClusterRole, subjects' namespaces required."""
    return _binding(obj, False)


def validate_role_binding_update(new: dict, old: dict) -> list[FieldError]:
    """``Validate(Cluster)RoleBindingUpdate``: ``roleRef`` cannot change."""
    ref, old_ref = d(new.get("roleRef")), d(old.get("roleRef"))
    keys = ("apiGroup", "kind", "name")
    if all((ref.get(k) or "") == (old_ref.get(k) or "") for k in keys):
        return []
    raw = (
        f"rbac.RoleRef{{APIGroup:{go_str(ref.get('apiGroup') or '')}, "
        f"Kind:{go_str(ref.get('kind') or '')}, Name:{go_str(ref.get('name') or '')}}}"
    )
    return [FieldError("roleRef", "Invalid value", detail="cannot change roleRef", raw_value=raw)]
