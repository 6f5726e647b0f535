"""Structural validation against the official OpenAPI-derived JSON schemas.

Before the API server validates an object's *meaning* it must decode it into Go
structs. Decoding refuses two kinds of mistake, and this module finds both with the
strict JSON schemas of Kubernetes 1.37 shipped by ``kubernetes-validate``:

* **unknown fields** (``imagee``, ``contianers``): the server's strict field
  validation answers ``strict decoding error: unknown field "spec.containers[0].imagee"``;
* **wrong types** (a string where a list belongs, annotations written as a list): Go's
  JSON decoder answers ``json: cannot unmarshal string into Go struct field ...``.

Missing required fields are reported by :func:`check` too, but are not raised here:
the API server reports them in validation (``spec.containers: Required value``).
``null`` is accepted anywhere, as Go's decoder accepts it.

One :class:`jsonschema.Draft202012Validator` is built per kind and cached, with
``$ref`` resolved through a :mod:`referencing` registry, so a check costs a fraction of
a millisecond (``kubernetes_validate.validate`` rebuilds everything on every call).

Examples
--------
>>> pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
...        "spec": {"containers": [{"name": "app", "imagee": "nginx"}]}}
>>> [str(p) for p in check(pod)]
['unknown field "spec.containers[0].imagee"']
>>> raise_for_schema(pod, "pod.yaml")
Traceback (most recent call last):
...
kubelab.errors.BadRequest: Error from server (BadRequest): error when creating "pod.yaml": Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.containers[0].imagee"
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from functools import cache
from typing import Any

# jsonschema imports rfc3987_syntax (when installed) only to check "iri" formats, which
# no Kubernetes schema uses; building its grammars costs ~4 s per process, paid by every
# notebook kernel. jsonschema skips that checker when the import fails.
sys.modules.setdefault("rfc3987_syntax", None)
import jsonschema  # noqa: E402
from referencing import Registry, Resource  # noqa: E402

from kubelab.api.kinds import KINDS  # noqa: E402
from kubelab.api.limits import INT32_RANGE, INT64_RANGE  # noqa: E402
from kubelab.errors import BadRequest  # noqa: E402

__all__ = [
    "KUBERNETES_VERSION",
    "SchemaProblem",
    "check",
    "decode_nulls",
    "has_schema",
    "raise_for_schema",
    "schema_dir",
]

KUBERNETES_VERSION = "1.37"

UNKNOWN_FIELD = "unknown field"
WRONG_TYPE = "wrong type"
REQUIRED = "required"
INVALID = "invalid"


@dataclass(frozen=True)
class SchemaProblem:
    """One structural problem: where (``path`` as a tuple and as text), what, how worded.

    ``reason`` is ``"unknown field"``, ``"wrong type"``, ``"required"`` or ``"invalid"``;
    ``message`` is the upstream wording for that one problem.
    """

    location: tuple[str | int, ...]
    reason: str
    message: str

    @property
    def path(self) -> str:
        """``spec.containers[0].image`` style, as the API server prints field paths."""
        return format_path(self.location)

    def __str__(self) -> str:
        return self.message


def format_path(location: tuple[str | int, ...]) -> str:
    """Join a location as Kubernetes prints it.

    Examples
    --------
    >>> format_path(("spec", "containers", 0, "ports"))
    'spec.containers[0].ports'
    """
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


# --------------------------------------------------------------------------- schemas


def schema_dir() -> str:
    """Folder of the strict schemas for :data:`KUBERNETES_VERSION`."""
    import kubernetes_validate

    root = os.path.join(os.path.dirname(kubernetes_validate.__file__), "kubernetes-json-schema")
    return os.path.join(root, f"v{KUBERNETES_VERSION}.0-local-strict")


@cache
def _definitions() -> dict:
    with open(os.path.join(schema_dir(), "_definitions.json"), encoding="utf-8") as f:
        return json.load(f)


@cache
def _registry() -> Registry:
    return Resource.from_contents(_definitions()) @ Registry()


def _schema_file(kind: str, api_version: str) -> str:
    group, _, version = api_version.rpartition("/")
    prefix = f"-{group.split('.')[0]}" if group else ""
    return f"{kind.lower()}{prefix}-{version}.json"


_SERVED = {
    (rt.kind, api_version) for rt in KINDS for api_version in (rt.api_version, *rt.also_versions)
}


# Go decodes JSON numbers into int32/int64 fields and refuses those out of range
# ("json: cannot unmarshal number 2147483648 into Go struct field ... of type int32"); the
# schemas say which fields those are with `format: int32/int64`.
_INT_RANGES = {"int32": INT32_RANGE, "int64": INT64_RANGE}
_FORMATS = jsonschema.FormatChecker(formats=())


def _in_range(fmt: str):
    low, high = _INT_RANGES[fmt]

    def check(value) -> bool:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return True  # not a number: the `type` keyword reports it
        return low <= value <= high

    return check


_NUMBER_FORMATS = jsonschema.FormatChecker(formats=())  # without "byte": for Secrets
for _fmt in _INT_RANGES:
    _FORMATS.checks(_fmt)(_in_range(_fmt))
    _NUMBER_FORMATS.checks(_fmt)(_in_range(_fmt))


@cache
def has_schema(kind: str, api_version: str) -> bool:
    """Whether Kubernetes serves ``kind`` in ``api_version`` (an official schema exists).

    Examples
    --------
    >>> has_schema("CronJob", "batch/v1"), has_schema("CronJob", "batch/v1beta1")
    (True, False)
    """
    return os.path.exists(os.path.join(schema_dir(), _schema_file(kind, api_version)))


@cache
def _validator(kind: str, api_version: str) -> jsonschema.Draft202012Validator | None:
    path = os.path.join(schema_dir(), _schema_file(kind, api_version))
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        schema = json.load(f)
    registry = Resource.from_contents(schema) @ _registry()
    # Secret data would be refused too (illegal base64), but the docs' placeholder Secrets
    # (secret/tls-auth-secret.yaml) are kept applicable: only other []byte fields are checked.
    formats = _NUMBER_FORMATS if kind == "Secret" else _FORMATS
    return jsonschema.Draft202012Validator(schema, registry=registry, format_checker=formats)


_B64 = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\r\n")


def base64_error(text: str) -> str | None:
    """Go's ``base64.StdEncoding`` complaint about ``text`` (a ``[]byte`` field), or ``None``.

    Examples
    --------
    >>> base64_error("aGVsbG8="), base64_error("<CABundle info>")
    (None, 'illegal base64 data at input byte 0')
    """
    bad = next((i for i, ch in enumerate(text) if ch not in _B64), None)
    if bad is None:
        import base64
        import binascii

        try:
            base64.b64decode(text.replace("\r", "").replace("\n", ""), validate=True)
            return None
        except (binascii.Error, ValueError):
            bad = len(text) - len(text) % 4
    return f"illegal base64 data at input byte {bad}"


_FORMATS.checks("byte")(lambda value: not isinstance(value, str) or base64_error(value) is None)


# --------------------------------------------------------------------------- Go types


def _def_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _resolve(schema: dict) -> tuple[dict, str | None]:
    """Follow ``$ref`` to the definition; also return the definition's name."""
    ref = schema.get("$ref")
    if ref is None:
        return schema, None
    name = _def_name(ref)
    return _definitions()["$defs"][name], name


def _go_type(schema: dict) -> str:
    """How Go prints the type a schema stands for: ``[]v1.ContainerPort``, ``map[string]string``."""
    if "$ref" in schema:
        *_, package, name = _def_name(schema["$ref"]).split(".")
        return f"{package}.{name}"
    kind = _schema_type(schema)
    if kind == "array":
        return "[]" + _go_type(schema.get("items", {}))
    if kind == "object":
        values = schema.get("additionalProperties")
        return "map[string]" + (_go_type(values) if isinstance(values, dict) else "interface {}")
    if kind == "integer":
        return {"int32": "int32", "int64": "int64"}.get(schema.get("format", ""), "int")
    return {"string": "string", "boolean": "bool", "number": "float64"}.get(kind, "interface {}")


def _json_type(value: Any, target: str) -> str:
    """Go's name for the JSON value (``number 1.5`` when it cannot become an integer)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        if isinstance(value, float) and not value.is_integer() and target.startswith("int"):
            return f"number {value!r}"
        low, high = _INT_RANGES.get(target, (value, value))
        if not low <= value <= high:  # Go names the number it cannot fit
            return f"number {value!r}"
        return "number"
    return {dict: "object", list: "array", str: "string"}.get(type(value), "value")


def _type_message(kind: str, root: dict, location: tuple, value: Any) -> str:
    """``json: cannot unmarshal <value> into Go struct field <Struct>.<path> of type <T>``."""
    schema, owner, struct, fields = root, kind, kind, []
    for part in location:
        schema, name = _resolve(schema)
        if name is not None:
            owner = name.rsplit(".", 1)[-1]
        if isinstance(part, int):
            schema = schema.get("items", {})
        elif part in schema.get("properties", {}):
            fields.append(part)
            schema = schema["properties"][part]
            struct = owner
        else:  # a map value: Go names the map field, not the key
            extra = schema.get("additionalProperties")
            schema = extra if isinstance(extra, dict) else {}
    target = _go_type(schema)
    field = ".".join(fields)
    return (
        f"json: cannot unmarshal {_json_type(value, target)} into Go struct field "
        f"{struct}.{field} of type {target}"
    )


# --------------------------------------------------------------------------- checking


def _problems(kind: str, root: dict, error: jsonschema.ValidationError) -> list[SchemaProblem]:
    location = tuple(error.absolute_path)
    keyword = error.validator
    if keyword == "additionalProperties" and isinstance(error.instance, dict):
        known = error.schema.get("properties", {})
        return [
            SchemaProblem(
                (*location, key),
                UNKNOWN_FIELD,
                f'unknown field "{format_path((*location, key))}"',
            )
            for key in error.instance
            if key not in known
        ]
    if keyword == "format" and error.validator_value == "byte":
        return [SchemaProblem(location, WRONG_TYPE, base64_error(error.instance) or "")]
    if keyword in ("type", "oneOf", "format"):
        if error.instance is None:  # Go decodes null into the zero value
            return []
        return [
            SchemaProblem(location, WRONG_TYPE, _type_message(kind, root, location, error.instance))
        ]
    if keyword == "required":
        return [
            SchemaProblem(
                (*location, key), REQUIRED, f"{format_path((*location, key))}: Required value"
            )
            for key in error.validator_value
            if key not in error.instance
        ]
    if keyword == "enum" and location in (("apiVersion",), ("kind",)):
        return []  # which kinds exist is the API server's business
    return [SchemaProblem(location, INVALID, f"{format_path(location)}: {error.message}")]


def check(obj: dict) -> list[SchemaProblem]:
    """Every structural problem of ``obj``, in document order (keys sorted, as JSON is sent).

    Kinds kubelab does not serve, and objects without ``apiVersion``/``kind``, give ``[]``.

    Examples
    --------
    >>> svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
    ...        "spec": {"ports": "80", "selector": {"app": "web"}}}
    >>> print(check(svc)[0])
    json: cannot unmarshal string into Go struct field ServiceSpec.spec.ports of type []v1.ServicePort
    >>> check({"apiVersion": "example.com/v1", "kind": "Widget"})
    []
    """
    if not isinstance(obj, dict):
        return []
    kind, api_version = obj.get("kind"), obj.get("apiVersion")
    if (kind, api_version) not in _SERVED:
        return []
    validator = _validator(kind, api_version)
    if validator is None:
        return []
    root = validator.schema
    found = [p for e in validator.iter_errors(obj) for p in _problems(kind, root, e)]
    return sorted(found, key=lambda p: (p.location, p.reason))


def _schema_type(schema: dict) -> str:
    """The JSON type a schema names, ``null`` aside (``""``: none named)."""
    types = schema.get("type", [])
    return next((t for t in ([types] if isinstance(types, str) else types) if t != "null"), "")


_ZEROS = {"object": dict, "array": list, "string": str, "integer": int, "number": int}


def _zero(schema: dict):
    schema, _ = _resolve(schema)
    if schema.get("x-kubernetes-int-or-string") or "oneOf" in schema:
        return 0
    kind = _schema_type(schema)
    return False if kind == "boolean" else _ZEROS[kind]() if kind in _ZEROS else None


def _decoded(value, schema: dict | None):
    if schema is None or not isinstance(value, dict | list):
        return value
    schema, _ = _resolve(schema)
    if isinstance(value, list):
        items = schema.get("items")
        if not isinstance(items, dict):
            return value
        return [_zero(items) if v is None else _decoded(v, items) for v in value]
    fields = schema.get("properties") or {}
    values = schema.get("additionalProperties")
    out = {}
    for key, v in value.items():
        if key in fields:
            if v is not None:  # a field set to null is left unset
                out[key] = _decoded(v, fields[key])
        elif isinstance(values, dict):
            out[key] = _zero(values) if v is None else _decoded(v, values)
        else:
            out[key] = v
    return out


def decode_nulls(obj: dict) -> dict:
    """``obj`` as Go's decoder leaves it: a field set to ``null`` is unset, a ``null`` in a
    list or a map is the element type's zero value (``{}``, ``""``, ``0``, ``false``).

    Examples
    --------
    >>> pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a", "labels": {"x": None}},
    ...        "spec": {"tolerations": [None], "nodeName": None, "containers": []}}
    >>> decode_nulls(pod)["metadata"], decode_nulls(pod)["spec"]
    ({'name': 'a', 'labels': {'x': ''}}, {'tolerations': [{}], 'containers': []})
    """
    validator = _validator(obj.get("kind"), obj.get("apiVersion"))
    if (obj.get("kind"), obj.get("apiVersion")) not in _SERVED or validator is None:
        return obj
    return _decoded(obj, validator.schema)


def raise_for_schema(obj: dict, origin: str | None = None, *, verb: str = "creating") -> None:
    """Raise :class:`~kubelab.errors.BadRequest` as the API server's decoder would.

    A wrong type wins (Go's decoder stops at the first one); otherwise every unknown
    field is listed, joined with ``", "``. Missing required fields are left to
    semantic validation. ``origin`` is the manifest file (``<...>`` pseudo-origins are
    not printed); ``verb`` is kubectl's ``creating``/``patching``/``replacing``.

    Examples
    --------
    >>> deploy = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
    ...           "spec": {"replica": 3, "selector": {"matchLabels": {"app": "web"}},
    ...                    "template": {"metadata": {"labels": {"app": "web"}},
    ...                                 "spec": {"containers": [{"name": "a", "image": "x",
    ...                                                          "port": 80}]}}}}
    >>> raise_for_schema(deploy)
    Traceback (most recent call last):
    ...
    kubelab.errors.BadRequest: Error from server (BadRequest): Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.replica", unknown field "spec.template.spec.containers[0].port"
    """
    problems = check(obj)
    wrong = [p for p in problems if p.reason in (WRONG_TYPE, INVALID)]
    unknown = [p for p in problems if p.reason == UNKNOWN_FIELD]
    if not wrong and not unknown:
        return
    kind = obj["kind"]
    version = obj["apiVersion"].rpartition("/")[2]
    detail = (
        wrong[0].message
        if wrong
        else "strict decoding error: " + ", ".join(p.message for p in unknown)
    )
    prefix = f'error when {verb} "{origin}": ' if origin and not origin.startswith("<") else ""
    raise BadRequest(
        f'{prefix}{kind} in version "{version}" cannot be handled as a {kind}: {detail}'
    )
