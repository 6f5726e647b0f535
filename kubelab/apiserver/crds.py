"""CustomResourceDefinitions: new kinds served by one API server (apiextensions-apiserver).

Creating a CRD runs, at once, what the apiextensions controllers do a moment later: the
names are accepted (``NamesAccepted``), the kind is ``Established`` and served in the API
server's own :class:`~kubelab.api.kinds.Registry` (never shared across clusters), in every
version with ``served: true``, namespaced or cluster-scoped per ``spec.scope``.

Custom resources are checked against their version's ``openAPIV3Schema`` the way the
apiextensions-apiserver checks them: unknown fields are pruned (with kubectl's strict field
validation they are refused as ``unknown field``), ``default`` values are filled, and types,
``required``, ``enum``, ``minimum``/``maximum``, lengths, item counts and ``pattern`` are
validated with kube-openapi's messages. ``x-kubernetes-preserve-unknown-fields`` keeps what
it covers. Deleting the CRD deletes its custom resources.

Simplifications: one version's schema for all versions' objects (conversion ``None`` only
rewrites ``apiVersion``, which kubelab leaves as sent); no CEL rules
(``x-kubernetes-validations``); no ``selectableFields`` field selectors; a custom kind whose
kind name is already a built-in kind's is not served (``KindConflict``).

Examples
--------
>>> from kubelab.apiserver import APIServer
>>> from kubelab.sim import Clock
>>> api = APIServer(Clock())
>>> api.namespace_checks = False
>>> crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
...        "metadata": {"name": "shirts.stable.example.com"},
...        "spec": {"group": "stable.example.com", "scope": "Namespaced",
...                 "names": {"plural": "shirts", "kind": "Shirt"},
...                 "versions": [{"name": "v1", "served": True, "storage": True, "schema": {
...                     "openAPIV3Schema": {"type": "object", "properties": {"spec": {
...                         "type": "object", "properties": {"size": {"type": "string",
...                                                          "enum": ["S", "M", "L"]}}}}}}}]}}
>>> stored = api.create(crd, user="kubectl")
>>> [c["type"] for c in stored["status"]["conditions"]]
['NamesAccepted', 'Established']
>>> shirt = {"apiVersion": "stable.example.com/v1", "kind": "Shirt",
...          "metadata": {"name": "s1"}, "spec": {"size": "XL", "colour": "red"}}
>>> api.create(shirt, user="kubectl")
Traceback (most recent call last):
...
kubelab.errors.Invalid: The Shirt "s1" is invalid: spec.size: Unsupported value: "XL": supported values: "S", "M", "L"
>>> api.create(dict(shirt, spec={"size": "M", "colour": "red"}), user="kubectl")["spec"]
{'size': 'M'}
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from kubelab.api.kinds import KINDS, ResourceType
from kubelab.api.meta import set_condition
from kubelab.errors import BadRequest, FieldError

__all__ = [
    "establish",
    "has_status_subresource",
    "prepare_for_create",
    "printer_columns",
    "prune",
    "raise_for_schema",
    "remove_instances",
    "validate",
    "watch",
]

CRD = "CustomResourceDefinition"
_BUILTIN_KINDS = {rt.kind for rt in KINDS}


# --------------------------------------------------------------------------- serving


def _resource_type(crd: dict) -> ResourceType | None:
    """The kind a CRD serves, or ``None`` when no version is served."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    group = spec.get("group") or ""
    versions = [v for v in spec.get("versions") or () if v.get("served")]
    if not versions or not names.get("kind") or not names.get("plural"):
        return None
    preferred = next((v for v in versions if v.get("storage")), versions[0])["name"]
    return ResourceType(
        names["kind"],
        names["plural"],
        group,
        preferred,
        namespaced=spec.get("scope") != "Cluster",
        short_names=tuple(names.get("shortNames") or ()),
        also_versions=tuple(f"{group}/{v['name']}" for v in versions if v["name"] != preferred),
        custom=True,
    )


def _served_by(server, crd_name: str) -> ResourceType | None:
    return next((rt for rt in server.kinds.custom() if rt.qualified == crd_name), None)


def _conflict(server, rt: ResourceType, crd_name: str) -> tuple[str, str] | None:
    """``(reason, message)`` when another kind already uses the names (the naming controller)."""
    others = [o for o in server.kinds.custom() if o.qualified != crd_name]
    if rt.kind in _BUILTIN_KINDS or any(o.kind == rt.kind for o in others):
        return "KindConflict", f'"{rt.kind}" is already in use'
    if any(o.plural == rt.plural and o.group == rt.group for o in others):
        return "PluralConflict", f'"{rt.plural}" is already in use'
    return None


def establish(server, crd: dict) -> None:
    """Accept the names and write the status into ``crd`` (about to be stored).

    Upstream's naming controller and establishing controller, run at once; the kind is served
    from the moment the CRD is stored (see :func:`watch`).
    """
    now = server.clock.now
    rt = _resource_type(crd)
    conflict = _conflict(server, rt, crd["metadata"]["name"]) if rt is not None else None
    status = dict(crd.get("status") or {})
    conditions = status.get("conditions")
    if conflict is None:
        status["acceptedNames"] = dict((crd.get("spec") or {}).get("names") or {})
        accepted = ("True", "NoConflicts", "no conflicts found")
        established = ("True", "InitialNamesAccepted", "the initial names have been accepted")
    else:
        status.setdefault("acceptedNames", {"plural": "", "kind": ""})
        accepted = ("False", *conflict)
        established = ("False", "NotAccepted", "not all names are accepted")
    for type_, (state, reason, message) in (
        ("NamesAccepted", accepted),
        ("Established", established),
    ):
        conditions = set_condition(
            conditions,
            {"type": type_, "status": state, "reason": reason, "message": message},
            now,
        )
    status["conditions"] = conditions
    storage = [v["name"] for v in (crd.get("spec") or {}).get("versions") or () if v.get("storage")]
    status["storedVersions"] = sorted(set(status.get("storedVersions") or ()) | set(storage))
    crd["status"] = status


def _established(crd: dict) -> bool:
    return any(
        c.get("type") == "Established" and c.get("status") == "True"
        for c in (crd.get("status") or {}).get("conditions") or ()
    )


def watch(server) -> None:
    """Serve what the stored CRDs define: the registry follows the store, rollbacks included.

    A staged watch sees each write as it is staged and its undoing when a transaction
    (an all-or-nothing ``c.apply``) rolls back, so a refused apply leaves no kind behind.
    """

    def on_event(event: str, crd: dict, old: dict | None) -> None:
        name = crd["metadata"]["name"]
        served = _served_by(server, name)
        rt = _resource_type(crd) if event != "DELETED" and _established(crd) else None
        if served is not None and (rt is None or served.kind != rt.kind):
            server.kinds.remove(served.kind)
        if rt is not None:
            server.kinds.add(rt)

    server.store.watch(CRD, on_event, staged=True)


def remove_instances(server, crd: dict, *, user: str) -> None:
    """Delete every custom resource of the CRD's kind (the cleanup finalizer's work)."""
    rt = _served_by(server, crd["metadata"]["name"])
    if rt is None:
        return
    for obj in list(server.store.list(rt.kind, None)):
        meta = obj["metadata"]
        server.delete(rt.kind, meta["name"], meta.get("namespace", ""), user=user)


# --------------------------------------------------------------------------- schemas


def _crd_of(server, rt: ResourceType) -> dict | None:
    return server.store.get(CRD, "", rt.qualified)


def _schema(server, rt: ResourceType, api_version: str) -> dict | None:
    crd = _crd_of(server, rt)
    if crd is None:
        return None
    version = api_version.rpartition("/")[2]
    for v in crd["spec"].get("versions") or ():
        if v.get("name") == version:
            return ((v.get("schema") or {}).get("openAPIV3Schema")) or None
    return None


def has_status_subresource(server, rt: ResourceType, api_version: str) -> bool:
    """Whether the version declares ``subresources.status`` (status then has its own endpoint)."""
    crd = _crd_of(server, rt)
    version = api_version.rpartition("/")[2]
    for v in (crd or {}).get("spec", {}).get("versions") or ():
        if v.get("name") == version:
            return "status" in (v.get("subresources") or {})
    return False


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    return {str: "string", list: "array", dict: "object"}.get(type(value), "unknown")


def _path(parts: tuple) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _walk(value: Any, schema: dict, at: tuple, unknown: list, root: bool = False) -> Any:
    """A pruned, defaulted copy of ``value``; unknown field paths appended to ``unknown``."""
    if isinstance(value, dict) and (schema.get("type") in ("object", None)):
        preserve = schema.get("x-kubernetes-preserve-unknown-fields") is True
        props = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        out = {}
        for key, item in value.items():
            if root and key in ("apiVersion", "kind", "metadata"):
                out[key] = item
            elif key in props:
                if item is None and not props[key].get("nullable"):
                    continue  # null in a non-nullable field is pruned, as upstream does
                out[key] = _walk(item, props[key], (*at, key), unknown)
            elif isinstance(extra, dict):
                out[key] = _walk(item, extra, (*at, key), unknown)
            elif preserve or extra is True:
                out[key] = item
            else:
                unknown.append(_path((*at, key)))
        for key, prop in props.items():
            if key not in out and "default" in prop:
                out[key] = json.loads(json.dumps(prop["default"]))
        return out
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [_walk(v, schema["items"], (*at, i), unknown) for i, v in enumerate(value)]
    return value


def prune(server, rt: ResourceType, obj: dict) -> dict:
    """``obj`` with fields its schema does not know removed and ``default`` values filled."""
    schema = _schema(server, rt, obj.get("apiVersion", ""))
    if schema is None:
        return obj
    return _walk(obj, schema, (), [], root=True)


def prepare_for_create(server, rt: ResourceType, obj: dict) -> None:
    """With a status subresource, a create's ``status`` is dropped (``PrepareForCreate``)."""
    if has_status_subresource(server, rt, obj.get("apiVersion", "")):
        obj.pop("status", None)


def raise_for_schema(server, rt: ResourceType, obj: dict) -> None:
    """Strict field validation (kubectl's default): unknown fields are a ``BadRequest``."""
    schema = _schema(server, rt, obj.get("apiVersion", ""))
    if schema is None:
        return
    unknown: list[str] = []
    _walk(obj, schema, (), unknown, root=True)
    if unknown:
        version = obj["apiVersion"].rpartition("/")[2]
        raise BadRequest(
            f'{rt.kind} in version "{version}" cannot be handled as a {rt.kind}: strict decoding '
            "error: " + ", ".join(f'unknown field "{p}"' for p in unknown)
        )


@lru_cache(maxsize=256)
def _regex(pattern: str):
    """The compiled ``pattern`` (``None``: not a valid expression). Go's ``regexp`` is RE2:
    matching takes linear time, so a pattern like ``^(a+)+$`` cannot hang the kernel as
    Python's backtracking ``re`` would."""
    import re2

    try:
        return re2.compile(pattern)
    except re2.error:
        return None


def _check(value: Any, schema: dict, at: tuple, errs: list[FieldError]) -> None:
    """kube-openapi's validation of one value (upstream messages), recursing into children."""
    where = _path(at)
    if value is None:
        return
    expected = schema.get("type")
    actual = _json_type(value)
    int_or_string = schema.get("x-kubernetes-int-or-string") is True
    if int_or_string:
        if actual not in ("integer", "string"):
            errs.append(
                FieldError(
                    where,
                    "Invalid value",
                    actual,
                    f'{where} in body must be of type integer,string: "{actual}"',
                )
            )
            return
    elif expected and actual != expected and not (expected == "number" and actual == "integer"):
        errs.append(
            FieldError.invalid(
                where, actual, f'{where} in body must be of type {expected}: "{actual}"'
            )
        )
        return
    if "enum" in schema and value not in schema["enum"]:
        errs.append(FieldError.not_supported(where, value, schema["enum"]))
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            errs.append(
                FieldError.invalid(
                    where,
                    value,
                    f"{where} in body should be greater than or equal to {schema['minimum']}",
                )
            )
        if "maximum" in schema and value > schema["maximum"]:
            errs.append(
                FieldError.invalid(
                    where,
                    value,
                    f"{where} in body should be less than or equal to {schema['maximum']}",
                )
            )
    if isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            errs.append(
                FieldError.invalid(
                    where,
                    value,
                    f"{where} in body should be at least {schema['minLength']} chars long",
                )
            )
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            errs.append(
                FieldError.too_long(where, f"may not be more than {schema['maxLength']} bytes")
            )
        pattern = schema.get("pattern")
        regex = _regex(pattern) if isinstance(pattern, str) else None
        if regex is not None and not regex.search(value):
            errs.append(
                FieldError.invalid(where, value, f"{where} in body should match '{pattern}'")
            )
    if isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            errs.append(
                FieldError.invalid(
                    where,
                    len(value),
                    f"{where} in body should have at least {schema['minItems']} items",
                )
            )
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            errs.append(
                FieldError(
                    where, "Too many", len(value), f"must have at most {schema['maxItems']} items"
                )
            )
        if isinstance(schema.get("items"), dict):
            for i, item in enumerate(value):
                _check(item, schema["items"], (*at, i), errs)
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        for key in schema.get("required") or ():
            if key not in value:
                errs.append(FieldError.required(_path((*at, key))))
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if not at and key in ("apiVersion", "kind", "metadata"):
                continue
            sub = props.get(key) if key in props else (extra if isinstance(extra, dict) else None)
            if sub is not None:
                _check(item, sub, (*at, key), errs)


def validate(server, rt: ResourceType, obj: dict) -> list[FieldError]:
    """Metadata (DNS-1123 subdomain names) and the version's ``openAPIV3Schema``."""
    from kubelab.api.validation.meta import validate_object_meta

    errs = validate_object_meta(obj.get("metadata"), rt.namespaced)
    schema = _schema(server, rt, obj.get("apiVersion", ""))
    if schema is not None:
        _check(obj, schema, (), errs)
    return errs


# --------------------------------------------------------------------------- printing


def printer_columns(server, rt: ResourceType) -> list[dict]:
    """The version's ``additionalPrinterColumns``; ``Age`` alone when it declares none."""
    crd = _crd_of(server, rt)
    for v in (crd or {}).get("spec", {}).get("versions") or ():
        if v.get("name") == rt.version:
            columns = v.get("additionalPrinterColumns") or []
            if columns:
                return [dict(c) for c in columns]
    return [{"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}]
