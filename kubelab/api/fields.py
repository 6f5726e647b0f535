"""Field selectors (``kubectl get pods --field-selector spec.nodeName=node-1``).

Mirrors ``k8s.io/apimachinery/pkg/fields`` (``ParseSelector``: ``=``, ``==``, ``!=``,
terms ANDed by ``,``, ``\\``-escapes in values) and the per-kind field label
conversions of ``pkg/apis/*/v1/conversion.go``: every kind supports
``metadata.name`` and ``metadata.namespace``; a few kinds add their own fields
(:data:`SUPPORTED_FIELDS`). Anything else is refused with the API server's
``field label not supported: <field>``.

Examples
--------
>>> sel = parse_field_selector("status.phase!=Running,spec.nodeName=node-1", kind="Pod")
>>> str(sel)
'spec.nodeName=node-1,status.phase!=Running'
>>> pod = {"metadata": {"name": "web-1"}, "spec": {"nodeName": "node-1"}, "status": {"phase": "Pending"}}
>>> sel.matches(pod)
True
>>> parse_field_selector("spec.replicas=3", kind="Deployment")
Traceback (most recent call last):
...
kubelab.api.fields.FieldSelectorError: field label not supported: spec.replicas
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "SUPPORTED_FIELDS",
    "FieldRequirement",
    "FieldSelector",
    "FieldSelectorError",
    "escape_value",
    "field_value",
    "parse_field_selector",
]

_COMMON = ("metadata.name", "metadata.namespace")

#: Field labels each kind accepts beyond ``metadata.name`` / ``metadata.namespace``.
SUPPORTED_FIELDS: dict[str, tuple[str, ...]] = {
    "Pod": (
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.schedulerName",
        "spec.serviceAccountName",
        "spec.hostNetwork",
        "status.phase",
        "status.podIP",
        "status.nominatedNodeName",
    ),
    "Event": (
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
    ),
    "Node": ("spec.unschedulable",),
    "Namespace": ("status.phase",),
    "Secret": ("type",),
    "ReplicaSet": ("status.replicas",),
    "ReplicationController": ("status.replicas",),
    "Job": ("status.successful",),
}
_ANY_KIND = frozenset(_COMMON).union(*SUPPORTED_FIELDS.values())
# Fields whose value lives under another path in the object.
_PATHS = {"source": ("source", "component"), "status.successful": ("status", "succeeded")}


class FieldSelectorError(ValueError):
    """A field selector the API server would refuse (HTTP 400)."""


def field_value(obj: Mapping, field: str) -> str:
    """The string a field selector compares for ``field``, as the API server's field sets do.

    Missing fields are ``""`` (Go's zero value), booleans ``true``/``false``, numbers decimal.

    Examples
    --------
    >>> field_value({"spec": {"hostNetwork": True}}, "spec.hostNetwork")
    'true'
    >>> field_value({"spec": {}}, "spec.nodeName")
    ''
    >>> field_value({"source": {"component": "kubelet"}}, "source")
    'kubelet'
    """
    value = obj
    for part in _PATHS.get(field) or field.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
        if value is None:
            break
    if value is None:
        # Go's zero values: a bool field reads "false", an int field "0".
        return {
            "spec.hostNetwork": "false",
            "spec.unschedulable": "false",
            "status.replicas": "0",
            "status.successful": "0",
        }.get(field, "")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def escape_value(value: str) -> str:
    r"""Escape ``\``, ``,`` and ``=`` in a value (upstream ``EscapeValue``).

    Examples
    --------
    >>> escape_value("a=b,c")
    'a\\=b\\,c'
    """
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")


def _unescape(value: str) -> str:
    """Upstream ``UnescapeValue``: ``\\`` escapes only ``\\ , =``, which must be escaped."""
    out, in_slash = [], False
    for ch in value:
        if in_slash:
            if ch not in "\\,=":
                raise FieldSelectorError(f"invalid field selector: invalid escape sequence: \\{ch}")
            out.append(ch)
            in_slash = False
        elif ch == "\\":
            in_slash = True
        elif ch in ",=":
            # Go prints the rune with %v: its code point.
            raise FieldSelectorError(
                f"invalid field selector: unescaped character in value: {ord(ch)}"
            )
        else:
            out.append(ch)
    if in_slash:
        raise FieldSelectorError("invalid field selector: invalid escape sequence: \\")
    return "".join(out)


def _split_terms(text: str) -> list[str]:
    """Split on commas not escaped by a backslash (the backslash stays in the term)."""
    terms, start, in_slash = [], 0, False
    for i, ch in enumerate(text):
        if in_slash:
            in_slash = False
        elif ch == "\\":
            in_slash = True
        elif ch == ",":
            terms.append(text[start:i])
            start = i + 1
    terms.append(text[start:])
    return terms


def _split_term(term: str) -> tuple[str, str, str] | None:
    """First operator occurrence wins; ``!=`` and ``==`` before ``=``."""
    for i in range(len(term)):
        for op in ("!=", "==", "="):
            if term.startswith(op, i):
                return term[:i], op, term[i + len(op) :]
    return None


@dataclass(frozen=True, slots=True)
class FieldRequirement:
    """``field = value`` (``operator`` ``"="``) or ``field != value`` (``"!="``)."""

    field: str
    operator: str
    value: str

    def matches(self, obj: Mapping) -> bool:
        """Whether ``obj`` satisfies this term."""
        return (field_value(obj, self.field) == self.value) == (self.operator == "=")

    def __str__(self) -> str:
        return f"{self.field}{self.operator}{escape_value(self.value)}"


class FieldSelector:
    """An immutable AND of :class:`FieldRequirement` s.

    Examples
    --------
    >>> sel = parse_field_selector("spec.nodeName=node-2")
    >>> sel.requires_exact_match("spec.nodeName"), sel.empty
    ('node-2', False)
    >>> parse_field_selector("").matches({})
    True
    """

    __slots__ = ("_reqs",)

    def __init__(self, requirements: tuple[FieldRequirement, ...] = ()):
        self._reqs = tuple(requirements)

    @property
    def requirements(self) -> tuple[FieldRequirement, ...]:
        """The terms, in upstream order (sorted by their text)."""
        return self._reqs

    @property
    def empty(self) -> bool:
        """True when nothing is filtered."""
        return not self._reqs

    def matches(self, obj: Mapping) -> bool:
        """Whether ``obj`` satisfies every term."""
        for r in self._reqs:
            if (field_value(obj, r.field) == r.value) != (r.operator == "="):
                return False
        return True

    def requires_exact_match(self, field: str) -> str | None:
        """The value ``field`` must equal, if a term pins it (for indexed lookups)."""
        for r in self._reqs:
            if r.field == field and r.operator == "=":
                return r.value
        return None

    def equality_pairs(self) -> tuple[tuple[str, str], ...]:
        """``(field, value)`` pairs every matching object must have."""
        return tuple((r.field, r.value) for r in self._reqs if r.operator == "=")

    def __str__(self) -> str:
        return ",".join(str(r) for r in self._reqs)

    def __repr__(self) -> str:
        return f"FieldSelector({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FieldSelector):
            return NotImplemented
        return sorted(self._reqs, key=str) == sorted(other._reqs, key=str)

    def __hash__(self) -> int:
        return hash(tuple(sorted(str(r) for r in self._reqs)))


def parse_field_selector(text: str, kind: str | None = None) -> FieldSelector:
    """Parse a field selector; check its fields against ``kind`` (any known field if None).

    Raises :class:`FieldSelectorError` with upstream's messages.

    Examples
    --------
    >>> parse_field_selector("metadata.name==web,metadata.namespace!=kube-system")
    FieldSelector('metadata.name=web,metadata.namespace!=kube-system')
    >>> parse_field_selector("spec.nodeName")
    Traceback (most recent call last):
    ...
    kubelab.api.fields.FieldSelectorError: invalid selector: 'spec.nodeName'; can't understand 'spec.nodeName'
    """
    allowed = _ANY_KIND if kind is None else frozenset(_COMMON + SUPPORTED_FIELDS.get(kind, ()))
    reqs = []
    for part in sorted(_split_terms(text)) if text else ():
        if not part:
            continue
        split = _split_term(part)
        if split is None:
            raise FieldSelectorError(f"invalid selector: '{text}'; can't understand '{part}'")
        field, op, raw = split
        reqs.append(FieldRequirement(field, "!=" if op == "!=" else "=", _unescape(raw)))
    for r in reqs:  # the API server converts field labels after parsing the whole string
        if r.field not in allowed:
            raise FieldSelectorError(f"field label not supported: {r.field}")
    return FieldSelector(tuple(reqs))
