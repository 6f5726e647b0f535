"""Errors raised by kubelab, worded as the Kubernetes API server and kubectl word them.

``str(error)`` is exactly what ``kubectl`` would print, so a learner sees the
same message in a notebook as in a terminal.

Examples
--------
>>> err = NotFound("pods", "nginx")
>>> print(err)
Error from server (NotFound): pods "nginx" not found
>>> print(Invalid("ReplicaSet", "web", [FieldError.required("spec.selector")]))
The ReplicaSet "web" is invalid: spec.selector: Required value
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

__all__ = [
    "AlreadyExists",
    "BadRequest",
    "Conflict",
    "FieldError",
    "Forbidden",
    "Invalid",
    "InvalidSelector",
    "KubelabError",
    "NoKindMatch",
    "NotFound",
    "RequestEntityTooLarge",
    "StorageFull",
    "TooManyRequests",
    "UnknownResource",
    "go_value",
]


class KubelabError(Exception):
    """Base class of every error kubelab raises on purpose.

    ``reason`` and ``code`` are the API ``Status`` fields (``NotFound``, 404, ...).
    """

    reason = "InternalError"
    code = 500

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return f"Error from server ({self.reason}): {self.message}"

    def _render_traceback_(self):  # IPython: show the kubectl line, not a Python traceback
        return [str(self)]


class NotFound(KubelabError):
    """The object (or its namespace) does not exist. ``resource`` is the plural, e.g. ``pods``."""

    reason, code = "NotFound", 404

    def __init__(self, resource: str, name: str, message: str | None = None):
        self.resource, self.name = resource, name
        super().__init__(message or f'{resource} "{name}" not found')


class AlreadyExists(KubelabError):
    """``create`` of an object whose name is taken."""

    reason, code = "AlreadyExists", 409

    def __init__(self, resource: str, name: str, message: str | None = None):
        self.resource, self.name = resource, name
        super().__init__(message or f'{resource} "{name}" already exists')


class Conflict(KubelabError):
    """An update carried a stale ``resourceVersion`` (optimistic concurrency)."""

    reason, code = "Conflict", 409

    def __init__(self, resource: str, name: str, message: str | None = None):
        self.resource, self.name = resource, name
        super().__init__(
            message
            or f'Operation cannot be fulfilled on {resource} "{name}": the object has been '
            "modified; please apply your changes to the latest version and try again"
        )


class BadRequest(KubelabError):
    """A request the server cannot understand (unknown kind, malformed document...)."""

    reason, code = "BadRequest", 400


class UnknownResource(NotFound, BadRequest):
    """A kind the API server does not serve (``c.get("foo", ...)``): a 404, like an unknown path.

    Also a :class:`BadRequest`, which older callers caught.

    Examples
    --------
    >>> print(UnknownResource("foo"))
    Error from server (NotFound): the server doesn't have a resource type "foo"
    """

    reason, code = "NotFound", 404

    def __init__(self, kind):
        NotFound.__init__(self, str(kind), "", f'the server doesn\'t have a resource type "{kind}"')


class NoKindMatch(BadRequest):
    """kubectl found no REST mapping for a manifest's kind and apiVersion (nothing was sent).

    Raised for API versions the API server does not serve (removed, alpha/beta off by
    default) and for custom kinds whose CustomResourceDefinition is not installed.
    ``with_origin`` adds the manifest file, as kubectl names it.

    Examples
    --------
    >>> err = NoKindMatch("allow-database", "", "PodPreset", "settings.k8s.io/v1alpha1")
    >>> print(err.with_origin("podpreset/allow-db.yaml"))
    error: resource mapping not found for name: "allow-database" namespace: "" from "podpreset/allow-db.yaml": no matches for kind "PodPreset" in version "settings.k8s.io/v1alpha1"
    ensure CRDs are installed first
    """

    def __init__(self, name: str, namespace: str, kind: str, version: str, origin: str = ""):
        self.name, self.namespace, self.kind, self.version = name, namespace, kind, version
        self.origin = origin
        super().__init__(
            f'resource mapping not found for name: "{name}" namespace: "{namespace}" '
            f'from "{origin}": no matches for kind "{kind}" in version "{version}"\n'
            "ensure CRDs are installed first"
        )

    def with_origin(self, origin: str) -> NoKindMatch:
        """The same error naming the manifest file (``<string>`` sources stay ``""``)."""
        shown = "" if origin.startswith("<") else origin
        return NoKindMatch(self.name, self.namespace, self.kind, self.version, shown)

    def __str__(self) -> str:  # a client-side error: kubectl prints "error: ..."
        return f"error: {self.message}"


class Forbidden(KubelabError):
    """Refused by admission (quota, terminating namespace...)."""

    reason, code = "Forbidden", 403


class TooManyRequests(KubelabError):
    """An eviction refused because of a PodDisruptionBudget."""

    reason, code = "TooManyRequests", 429


class StorageFull(KubelabError):
    """The store is full: kubelab's stand-in for etcd's space quota (``max_objects``)."""

    def __init__(self, limit: int):
        self.limit = limit
        super().__init__(
            f"etcdserver: mvcc: database space exceeded (this cluster stores at most {limit} "
            "objects, Events not counted; delete some, or start a cluster with a higher cap: "
            "kl.Cluster(..., max_objects=N))"
        )


def go_value(value: Any) -> str:
    """Render a value as Go's ``%v``/``%q``/``%#v`` would in an API error.

    Examples
    --------
    >>> go_value("web"), go_value(3), go_value(True), go_value(None)
    ('"web"', '3', 'true', 'null')
    >>> go_value({"app": "nginx"})
    'map[string]string{"app":"nginx"}'
    >>> go_value(["10.96.0.10"])
    '[]string{"10.96.0.10"}'
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        if all(isinstance(v, str) for v in value.values()):
            body = ", ".join(f"{json.dumps(k)}:{json.dumps(v)}" for k, v in sorted(value.items()))
            return "map[string]string{" + body + "}"
        return (
            "map[string]interface {}{"
            + ", ".join(f"{json.dumps(k)}:{go_value(v)}" for k, v in value.items())
            + "}"
        )
    if isinstance(value, list):
        if all(isinstance(v, str) for v in value):
            return "[]string{" + ", ".join(json.dumps(v) for v in value) + "}"
        return "[]interface {}{" + ", ".join(go_value(v) for v in value) + "}"
    return str(value)


_VALUE_TYPES = {"Invalid value", "Unsupported value", "Duplicate value", "Not found", "Too many"}


@dataclass(frozen=True)
class FieldError:
    """One cause of an ``Invalid`` error: a field path, an error type, the bad value, a detail.

    Mirrors ``k8s.io/apimachinery/pkg/util/validation/field.Error``.

    Examples
    --------
    >>> str(FieldError.invalid("spec.replicas", -1, "must be greater than or equal to 0"))
    'spec.replicas: Invalid value: -1: must be greater than or equal to 0'
    >>> str(FieldError.not_supported("spec.restartPolicy", "Sometimes", ["Always", "OnFailure", "Never"]))
    'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"'
    """

    field: str
    type: str
    value: Any = None
    detail: str = ""
    raw_value: str | None = None  # pre-rendered value, when Go prints a struct we cannot mimic

    @classmethod
    def required(cls, field, detail=""):
        return cls(field, "Required value", detail=detail)

    @classmethod
    def invalid(cls, field, value, detail=""):
        return cls(field, "Invalid value", value, detail)

    @classmethod
    def not_supported(cls, field, value, supported):
        detail = "supported values: " + ", ".join(json.dumps(s) for s in supported)
        return cls(field, "Unsupported value", value, detail)

    @classmethod
    def duplicate(cls, field, value):
        return cls(field, "Duplicate value", value)

    @classmethod
    def forbidden(cls, field, detail=""):
        return cls(field, "Forbidden", detail=detail)

    @classmethod
    def too_long(cls, field, detail=""):
        return cls(field, "Too long", detail=detail)

    @classmethod
    def not_found(cls, field, value):
        return cls(field, "Not found", value)

    def body(self) -> str:
        """The part after ``<field>: ``."""
        text = self.type
        if self.type in _VALUE_TYPES:
            text += ": " + (self.raw_value if self.raw_value is not None else go_value(self.value))
        if self.detail:
            text += ": " + self.detail
        return text

    def __str__(self) -> str:
        return f"{self.field}: {self.body()}"


class Invalid(KubelabError):
    """The API server refused an object (HTTP 422), or its document could not be read.

    ``causes`` lists the :class:`FieldError` s; ``str()`` is kubectl's wording.
    Pass ``message`` alone for documents that are not objects at all (YAML errors).
    """

    reason, code = "Invalid", 422

    def __init__(
        self,
        kind: str = "",
        name: str = "",
        causes: list[FieldError] | None = None,
        *,
        message: str | None = None,
    ):
        self.kind, self.name = kind, name
        seen, unique = set(), []
        for cause in causes or []:
            if str(cause) not in seen:
                seen.add(str(cause))
                unique.append(cause)
        self.causes = unique
        if message is None:
            if len(unique) == 1:
                message = f'The {kind} "{name}" is invalid: {unique[0]}'
            else:
                message = f'The {kind} "{name}" is invalid: \n' + "\n".join(
                    f"* {c}" for c in unique
                )
        super().__init__(message)

    def __str__(self) -> str:
        return self.message


class InvalidSelector(Invalid, BadRequest):
    """A label or field selector the API server cannot parse: its HTTP 400 ``BadRequest``.

    An :class:`Invalid` too, so ``c.list(kind, selector=bad)`` callers catch ``kl.Invalid``.

    Examples
    --------
    >>> err = InvalidSelector("unable to parse requirement: found '', expected: '('")
    >>> print(err)
    Error from server (BadRequest): unable to parse requirement: found '', expected: '('
    >>> isinstance(err, Invalid), err.code
    (True, 400)
    """

    reason, code = "BadRequest", 400

    def __init__(self, message: str):
        Invalid.__init__(self, message=message)

    __str__ = KubelabError.__str__


class RequestEntityTooLarge(Invalid):
    """A request body over kube-apiserver's limit (HTTP 413), refused before anything is read.

    An :class:`Invalid` too: the document is refused like any other unreadable one.

    Examples
    --------
    >>> print(RequestEntityTooLarge("big.yaml", 3145728))
    Error from server (RequestEntityTooLarge): error when creating "big.yaml": Request entity too large: limit is 3145728
    """

    reason, code = "RequestEntityTooLarge", 413

    def __init__(self, origin: str, limit: int):
        where = f'error when creating "{origin}": ' if not origin.startswith("<") else ""
        super().__init__(message=f"{where}Request entity too large: limit is {limit}")

    def __str__(self) -> str:
        return f"Error from server ({self.reason}): {self.message}"
