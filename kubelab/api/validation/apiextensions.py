"""CustomResourceDefinition (``apiextensions-apiserver/pkg/apis/apiextensions/validation``).

Examples
--------
>>> crd = {"kind": "CustomResourceDefinition",
...        "metadata": {"name": "selfierequests.stable.example.com"},
...        "spec": {"group": "stable.example.com", "scope": "Namespaced",
...                 "names": {"plural": "SelfieRequests", "singular": "selfierequest",
...                           "kind": "SelfieRequest", "listKind": "SelfieRequestList"},
...                 "versions": [{"name": "v1", "served": True, "storage": True,
...                               "schema": {"openAPIV3Schema": {"type": "object"}}}]}}
>>> for err in validate_crd(crd):
...     print(err)  # doctest: +ELLIPSIS
metadata.name: Invalid value: "selfierequests.stable.example.com": must be spec.names.plural+"."+spec.group
spec.names.plural: Invalid value: "SelfieRequests": a DNS-1035 label must consist of lower case ...
"""

from __future__ import annotations

from kubelab.api.naming import is_dns1035_label
from kubelab.api.validation._util import d, lst, name_is_dns1123_subdomain
from kubelab.api.validation.meta import immutable, validate_object_meta
from kubelab.errors import FieldError

__all__ = ["validate_crd", "validate_crd_update"]


def _names(names: dict, path: str) -> list[FieldError]:
    """``ValidateCustomResourceDefinitionNames``."""
    errs: list[FieldError] = []
    for field in ("plural", "singular"):
        value = names.get(field) or ""
        problems = is_dns1035_label(value) if value else []
        if problems:
            errs.append(FieldError.invalid(f"{path}.{field}", value, ",".join(problems)))
    for i, short in enumerate(lst(names.get("shortNames"))):
        problems = is_dns1035_label(short) if isinstance(short, str) else []
        if problems:
            errs.append(FieldError.invalid(f"{path}.shortNames[{i}]", short, ",".join(problems)))
    for field in ("kind", "listKind"):
        value = names.get(field) or ""
        problems = is_dns1035_label(value.lower()) if value else []
        if problems:
            errs.append(
                FieldError.invalid(
                    f"{path}.{field}",
                    value,
                    "may have mixed case, but should otherwise match: " + ",".join(problems),
                )
            )
    if names.get("kind") and names.get("kind") == names.get("listKind"):
        errs.append(
            FieldError.invalid(
                f"{path}.listKind", names["listKind"], "kind and listKind may not be the same"
            )
        )
    for field in ("plural", "kind", "listKind"):
        if not names.get(field):
            errs.append(FieldError.required(f"{path}.{field}"))
    return errs


def _versions(spec: dict) -> list[FieldError]:
    errs: list[FieldError] = []
    versions = lst(spec.get("versions"))
    seen: set[str] = set()
    for i, version in enumerate(versions):
        version, at = d(version), f"spec.versions[{i}]"
        name = version.get("name") or ""
        if not name:
            errs.append(FieldError.required(f"{at}.name"))
        else:
            errs.extend(FieldError.invalid(f"{at}.name", name, m) for m in is_dns1035_label(name))
            if name in seen:
                errs.append(FieldError.duplicate(f"{at}.name", name))
            seen.add(name)
        schema = d(version.get("schema")).get("openAPIV3Schema")
        if not isinstance(schema, dict):
            errs.append(FieldError.required(f"{at}.schema.openAPIV3Schema", "schemas are required"))
        elif schema.get("type") != "object" and not schema.get(
            "x-kubernetes-preserve-unknown-fields"
        ):
            errs.append(
                FieldError.invalid(
                    f"{at}.schema.openAPIV3Schema.type",
                    schema.get("type") or "",
                    "must be object at the root",
                )
            )
    if sum(1 for v in versions if d(v).get("storage")) != 1:
        errs.append(
            FieldError(
                "spec.versions",
                "Invalid value",
                detail="must have exactly one version marked as storage version",
                raw_value="[]apiextensions.CustomResourceDefinitionVersion{...}",
            )
        )
    if versions and not any(d(v).get("served") for v in versions):
        errs.append(
            FieldError(
                "spec.versions",
                "Invalid value",
                detail="must have at least one version marked as served",
                raw_value="[]apiextensions.CustomResourceDefinitionVersion{...}",
            )
        )
    return errs


def _conversion(conversion: dict) -> list[FieldError]:
    errs: list[FieldError] = []
    strategy = conversion.get("strategy")
    if strategy not in ("None", "Webhook"):
        errs.append(
            FieldError.not_supported(
                "spec.conversion.strategy", strategy or "", ["None", "Webhook"]
            )
        )
    webhook = conversion.get("webhook")
    if strategy == "Webhook" and not isinstance(webhook, dict):
        errs.append(
            FieldError.required(
                "spec.conversion.webhook", "required when strategy is set to Webhook"
            )
        )
    elif strategy == "None" and webhook is not None:
        errs.append(
            FieldError.forbidden(
                "spec.conversion.webhook", "should not be set when strategy is not set to Webhook"
            )
        )
    if isinstance(webhook, dict):
        config = d(webhook.get("clientConfig"))
        if bool(config.get("url")) == bool(config.get("service")):
            errs.append(
                FieldError.required(
                    "spec.conversion.webhook.clientConfig",
                    "exactly one of url or service is required",
                )
            )
        reviews = lst(webhook.get("conversionReviewVersions"))
        if not reviews:
            errs.append(
                FieldError.required(
                    "spec.conversion.webhook.conversionReviewVersions",
                    "must include at least one of v1, v1beta1",
                )
            )
    return errs


def validate_crd(obj: dict) -> list[FieldError]:
    """``ValidateCustomResourceDefinition``: names, group, scope, versions, conversion."""
    spec = d(obj.get("spec"))
    names = d(spec.get("names"))
    group = spec.get("group") or ""
    required_name = f"{names.get('plural') or ''}.{group}"

    def name_fn(name: str, prefix: bool) -> tuple[str, ...]:
        found = name_is_dns1123_subdomain(name, prefix)
        if name != required_name:
            found = (*found, 'must be spec.names.plural+"."+spec.group')
        return found

    errs = validate_object_meta(obj.get("metadata"), False, name_fn)
    if not group:
        errs.append(FieldError.required("spec.group"))
    else:
        errs.extend(
            FieldError.invalid("spec.group", group, m) for m in name_is_dns1123_subdomain(group)
        )
        if "." not in group:
            errs.append(
                FieldError.invalid("spec.group", group, "should be a domain with at least one dot")
            )
    scope = spec.get("scope")
    if not scope:
        errs.append(FieldError.required("spec.scope"))
    elif scope not in ("Cluster", "Namespaced"):
        errs.append(FieldError.not_supported("spec.scope", scope, ["Cluster", "Namespaced"]))
    errs.extend(_names(names, "spec.names"))
    errs.extend(_versions(spec))
    errs.extend(_conversion(d(spec.get("conversion"))))
    return errs


def validate_crd_update(new: dict, old: dict) -> list[FieldError]:
    """``spec.scope`` and (once established) ``spec.group`` cannot change."""
    spec, old_spec = d(new.get("spec")), d(old.get("spec"))
    errs = immutable(spec.get("group"), old_spec.get("group"), "spec.group")
    errs.extend(immutable(spec.get("scope"), old_spec.get("scope"), "spec.scope"))
    return errs
