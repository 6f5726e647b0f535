"""YAML text, JSON text and Python values → JSON-shaped values, every limit enforced while reading.

kubectl turns each YAML document into JSON (``sigs.k8s.io/yaml`` over go-yaml v2) before it
sends anything. This module does the same conversion straight from the parser's event
stream, without building PyYAML's node graph or recursing, so nothing a learner types can
hang, crash or bloat the kernel:

* aliases are expanded under go-yaml's own guard (``document contains excessive aliasing``)
  and an anchor used inside itself is refused (``anchor 'a' value contains itself``);
* nesting stops at :data:`~kubelab.api.limits.MAX_DEPTH` as soon as it is reached;
* each object's JSON stops at the API server's request limit, and one apply stops at
  kubelab's node and byte budgets (:mod:`kubelab.api.limits`);
* scalars resolve as go-yaml v2 resolves them: integers beyond uint64, and floats beyond
  float64 (``1e400``), stay strings; ``.inf``/``.nan`` cannot become JSON; dates stay strings;
  unknown tags (``!foo``, ``!!python/object``) are ignored; keys become strings as
  ``sigs.k8s.io/yaml`` writes them, and duplicate keys are refused as kubectl refuses them.

Examples
--------
>>> docs = list(yaml_documents("a: &x {b: 1}\\nc: *x\\n", "<string>", Budget()))
>>> docs[0].value, docs[0].line
({'a': {'b': 1}, 'c': {'b': 1}}, 1)
>>> list(yaml_documents("x: &a [*a]\\n", "<string>", Budget()))
Traceback (most recent call last):
...
kubelab.errors.Invalid: error: error parsing <string>: error converting YAML to JSON: yaml: anchor 'a' value contains itself
>>> to_json({"replicas": 3.0, 1: True}, "<string>", Budget())
{'replicas': 3, '1': True}
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

from kubelab.api import limits
from kubelab.errors import Invalid, RequestEntityTooLarge

__all__ = ["Budget", "Parsed", "check_json_depth", "json_copy", "to_json", "yaml_documents"]

_STR = "tag:yaml.org,2002:str"
_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_MERGE = "tag:yaml.org,2002:merge"
_BINARY = "tag:yaml.org,2002:binary"
_TRUE = frozenset({"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"})
_FLOAT_TEXT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_GO_E_FORMAT = 1e21  # Go's json.Marshal writes floats this large in exponent form


# --------------------------------------------------------------------------- budget


@dataclass
class Budget:
    """What one apply has read so far; every counter stops at its limit with a clear error."""

    text_bytes: int = 0
    json_bytes: int = 0
    nodes: int = 0
    documents: int = 0

    def add_text(self, nbytes: int, origin: str) -> None:
        self.text_bytes += nbytes
        if self.text_bytes > limits.MAX_LOAD_BYTES:
            raise Invalid(
                message=_over_budget(origin, f"{limits.MAX_LOAD_BYTES} bytes of manifests")
            )

    def add_nodes(self, count: int, nbytes: int, origin: str) -> None:
        self.nodes += count
        self.json_bytes += nbytes
        if self.nodes > limits.MAX_NODES:
            raise Invalid(message=_over_budget(origin, f"{limits.MAX_NODES} values"))
        if self.json_bytes > limits.MAX_LOAD_BYTES:
            raise Invalid(message=_over_budget(origin, f"{limits.MAX_LOAD_BYTES} bytes of JSON"))

    def add_document(self, origin: str) -> None:
        self.documents += 1
        if self.documents > limits.MAX_DOCUMENTS:
            raise Invalid(message=_over_budget(origin, f"{limits.MAX_DOCUMENTS} objects"))


def _over_budget(origin: str, what: str) -> str:
    return (
        f"error: error reading {origin}: more than {what} in one apply "
        "(kubelab's limit, see kubelab.api.limits); apply them in several steps"
    )


def _too_large(origin: str) -> RequestEntityTooLarge:
    return RequestEntityTooLarge(origin, limits.MAX_REQUEST_BYTES)


def _converting(origin: str, problem: str) -> Invalid:
    return Invalid(
        message=f"error: error parsing {origin}: error converting YAML to JSON: {problem}"
    )


def _yaml(origin: str, problem: str, line: int | None = None) -> Invalid:
    where = f"line {line}: " if line else ""
    return _converting(origin, f"yaml: {where}{problem}")


def _too_deep(origin: str, line: int | None = None) -> Invalid:
    return _yaml(origin, f"exceeded max depth of {limits.MAX_DEPTH}", line)


# --------------------------------------------------------------------------- Go renderings


def _go_sharp(value: Any, top: bool = True) -> str:
    """Go's ``%#v`` of a decoded YAML value (``[]interface {}{"a"}``), for error messages."""
    if value is None:
        return "<nil>" if top else "interface {}(nil)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[]interface {}{" + ", ".join(_go_sharp(v, False) for v in value) + "}"
    if isinstance(value, dict):
        items = (f"{_go_sharp(k, False)}:{_go_sharp(v, False)}" for k, v in value.items())
        return "map[interface {}]interface {}{" + ", ".join(items) + "}"
    return str(value)


def _go_float32(value: float) -> str:
    """``strconv.FormatFloat(v, 'g', -1, 32)``: how sigs.k8s.io/yaml writes a float key."""
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    if math.isnan(value):
        return ".nan"
    single = struct.unpack("f", struct.pack("f", value))[0]
    for digits in range(1, 10):
        text = f"{single:.{digits}g}"
        if struct.unpack("f", struct.pack("f", float(text)))[0] == single:
            break
    mantissa, _, exponent = text.partition("e")
    if exponent:
        sign, number = exponent[0], exponent[1:].lstrip("0")
        text = f"{mantissa}e{sign}{number.zfill(2)}"
    return text


def _unsupported_float(value: float) -> str:
    return "json: unsupported value: " + (
        "NaN" if math.isnan(value) else "+Inf" if value > 0 else "-Inf"
    )


def json_number(value: float) -> int | float:
    """A finite float as it reaches the API server: whole numbers below 1e21 as integers.

    kubectl re-encodes numbers with Go's ``json.Marshal``, which writes ``3.0`` as ``3`` and
    only numbers from 1e21 up in exponent form.

    Examples
    --------
    >>> json_number(3.0), json_number(1.5), json_number(1e23)
    (3, 1.5, 1e+23)
    """
    if value.is_integer() and abs(value) < _GO_E_FORMAT:
        return int(value)
    return value


# --------------------------------------------------------------------------- scalars


def _go_int(plain: str) -> int | None:
    """``strconv.ParseInt(s, 0, 64)`` then ``ParseUint``: an int64/uint64, else ``None``."""
    sign = -1 if plain.startswith("-") else 1
    digits = plain.lstrip("+-")
    base, body = 10, digits
    if digits[:2] in ("0b", "0o", "0x"):
        base, body = {"b": 2, "o": 8, "x": 16}[digits[1]], digits[2:]
    elif len(digits) > 1 and digits.startswith("0"):
        base = 8  # 0644 is octal, as in Go's ParseInt(s, 0, 64)
    if not body or len(body) > 64:  # beyond 64 binary digits no base fits in 64 bits
        return None
    try:
        value = sign * int(body, base)
    except ValueError:
        return None
    if limits.INT64_RANGE[0] <= value <= limits.UINT64_MAX:
        return value
    return None


def _resolve_number(text: str) -> Any:
    """A plain scalar that looks numeric, as go-yaml v2's ``resolve`` decodes it."""
    plain = text.replace("_", "")
    value = _go_int(plain)
    if value is not None:
        return value
    if _FLOAT_TEXT.fullmatch(plain):
        number = float(plain)  # float() of a long digit string is linear and never raises
        if math.isfinite(number):
            return json_number(number)
    return text  # out of every Go numeric range: go-yaml keeps the text as a string


class _Scalars:
    """Turns scalar events into values; ``problem`` names what cannot become JSON."""

    def __init__(self, resolver):
        self.resolve = resolver
        self._plain: dict[str, Any] = {}  # short plain scalars repeat: `name`, `80`, `true`

    def plain(self, text: str) -> Any:
        """An untagged, unquoted scalar's value (resolved from its text alone)."""
        try:
            return self._plain[text]
        except KeyError:
            pass
        value = self._resolved(self.resolve(yaml.ScalarNode, text, (True, False)), text)
        if len(text) <= 64 and len(self._plain) < 4096:
            self._plain[text] = value
        return value

    def value(self, event) -> Any:
        tag, text = event.tag, event.value
        if tag is None or tag == "!":
            tag = self.resolve(yaml.ScalarNode, text, event.implicit)
        elif tag in (_INT, _FLOAT, _BOOL, _NULL):
            implicit = self.resolve(yaml.ScalarNode, text, (True, False))
            if implicit != tag and not (tag == _FLOAT and implicit == _INT):
                raise _CannotDecode(
                    f"cannot decode !!{implicit.rsplit(':', 1)[-1]} `{text}` "
                    f"as a !!{tag.rsplit(':', 1)[-1]}"
                )
        return self._resolved(tag, text)

    def _resolved(self, tag: str, text: str) -> Any:
        if tag in (_STR, _MERGE):
            return text
        if tag == _NULL:
            return None
        if tag == _BOOL:
            return text in _TRUE
        if tag == _INT:
            return _resolve_number(text)
        if tag == _FLOAT:
            lowered = text.lower()
            if lowered.lstrip("+-") == ".inf":
                return -math.inf if lowered.startswith("-") else math.inf
            if lowered == ".nan":
                return math.nan
            return _resolve_number(text)
        if tag == _BINARY:
            try:
                data = base64.b64decode("".join(text.split()), validate=True)
            except (binascii.Error, ValueError):
                raise _CannotDecode("!!binary value contains invalid base64 data") from None
            return data.decode("utf-8", "replace")
        return text  # go-yaml ignores tags it does not know: the value stays a string


class _CannotDecode(Exception):
    """A scalar go-yaml refuses (the loader adds ``yaml: `` and the origin)."""


# --------------------------------------------------------------------------- YAML events


@dataclass
class Parsed:
    """One YAML document: its JSON value, the line it starts on, its List items' lines."""

    value: Any
    line: int
    item_lines: list[int] = field(default_factory=list)


_OPEN = object()  # an anchor whose node is still being read
_NULL_KEY = object()  # a `null:` key, refused once its value is known


@dataclass
class _Node:
    """A finished value and what decoding it costs (go-yaml's decode count), for aliases."""

    value: Any
    decodes: int
    nbytes: int
    height: int


class _Frame:
    """An open mapping or sequence."""

    __slots__ = (
        "anchor",
        "container",
        "decodes",
        "explicit",
        "flow",
        "has_key",
        "height",
        "is_map",
        "item_lines",
        "key",
        "key_line",
        "key_raw",
        "line",
        "merge",
        "nbytes",
    )

    def __init__(self, is_map: bool, anchor, line: int, flow: bool):
        self.container = {} if is_map else []
        self.is_map, self.anchor, self.line, self.flow = is_map, anchor, line, flow
        self.decodes, self.nbytes, self.height = 1, 2, 1
        self.key = self.key_raw = None
        self.key_line = 0
        self.has_key = self.merge = False
        self.explicit: set[str] = set()
        self.item_lines: list[int] | None = None


class _Document:
    """Builds one document's value from events; go-yaml's counters decide about aliases."""

    def __init__(self, origin: str, budget: Budget, scalars: _Scalars):
        self.origin, self.budget, self.scalars = origin, budget, scalars
        self.anchors: dict[str, Any] = {}
        self.stack: list[_Frame] = []
        self.decode_count = self.alias_count = 0
        self.doc_bytes = 0
        self.pending_nodes = self.pending_bytes = 0
        self.duplicates: list[str] = []
        self.root: _Node | None = None
        self.root_line = 0
        self.item_lines: list[int] = []

    # -- accounting ----------------------------------------------------------------------
    def _count(self, decodes: int, aliased: int, nbytes: int) -> None:
        self.decode_count += decodes
        self.alias_count += aliased
        if (
            self.alias_count > 100
            and self.decode_count > 1000
            and self.alias_count / self.decode_count > limits.allowed_alias_ratio(self.decode_count)
        ):
            raise _yaml(self.origin, "document contains excessive aliasing")
        self.doc_bytes += nbytes
        if self.doc_bytes > limits.MAX_REQUEST_BYTES:
            raise _too_large(self.origin)
        self.pending_nodes += decodes
        self.pending_bytes += nbytes
        self.flush()

    # -- events --------------------------------------------------------------------------
    def start(self, event, is_map: bool) -> None:
        line = event.start_mark.line + 1
        if len(self.stack) >= limits.MAX_DEPTH:
            raise _too_deep(self.origin, line)
        self._count(1, 0, 2)
        frame = _Frame(is_map, event.anchor, line, bool(event.flow_style))
        parent = self.stack[-1] if self.stack else None
        if (
            not is_map
            and parent is not None
            and len(self.stack) == 1
            and parent.is_map
            and parent.has_key
            and parent.key == "items"
        ):
            frame.item_lines = []
        if event.anchor is not None:
            self.anchors[event.anchor] = _OPEN
        self.stack.append(frame)

    def end(self) -> None:
        frame = self.stack.pop()
        node = _Node(frame.container, frame.decodes, frame.nbytes, frame.height)
        if frame.anchor is not None:
            self.anchors[frame.anchor] = node
        if frame.item_lines is not None:
            self.item_lines = frame.item_lines
        self._attach(node, frame.line, None)

    def scalar(self, event) -> None:
        text = event.value
        if event.tag is None:  # the common case, kept fast: most documents are all scalars
            value = self.scalars.plain(text) if event.implicit[0] else text  # quoted: a string
        else:
            try:
                value = self.scalars.value(event)
            except _CannotDecode as problem:
                raise _yaml(self.origin, str(problem)) from None
        if value.__class__ is float and not math.isfinite(value):
            raise _converting(self.origin, _unsupported_float(value))
        nbytes = len(text) + 2  # its JSON, give or take quotes and escapes
        self.decode_count += 1
        self.doc_bytes += nbytes
        if self.doc_bytes > limits.MAX_REQUEST_BYTES:
            raise _too_large(self.origin)
        self.pending_nodes += 1
        self.pending_bytes += nbytes
        if self.pending_nodes >= 1024:
            self.flush()
        anchor = event.anchor
        stack = self.stack
        if stack and anchor is None:
            frame = stack[-1]
            if not frame.is_map:
                frame.container.append(value)
                frame.decodes += 1
                frame.nbytes += nbytes + 1
                if frame.item_lines is not None:
                    frame.item_lines.append(event.start_mark.line + 1)
                return
        node = _Node(value, 1, nbytes, 0)
        if anchor is not None:
            self.anchors[anchor] = node
        plain = event.tag is None and event.implicit[0]
        self._attach(
            node,
            event.start_mark.line + 1,
            event,
            empty_null=plain and value is None and text == "",
            is_merge=plain and text == "<<",
        )

    def flush(self) -> None:
        """Charge the nodes read since the last flush to the apply's budget."""
        self.budget.add_nodes(self.pending_nodes, self.pending_bytes, self.origin)
        self.pending_nodes = self.pending_bytes = 0

    def alias(self, event) -> None:
        name = event.anchor
        target = self.anchors.get(name)
        if target is None:
            raise _yaml(self.origin, f"unknown anchor '{name}' referenced")
        if target is _OPEN:
            raise _yaml(self.origin, f"anchor '{name}' value contains itself")
        line = event.start_mark.line + 1
        if len(self.stack) + target.height > limits.MAX_DEPTH:
            raise _too_deep(self.origin, line)
        # the alias node itself, then every node of the anchored value again, as aliased
        self._count(1, 0, 0)
        self._count(target.decodes, target.decodes, target.nbytes)
        node = _Node(json_copy(target.value), 1 + target.decodes, target.nbytes, target.height)
        self._attach(node, line, None, alias_of_map=isinstance(target.value, dict))

    # -- building ------------------------------------------------------------------------
    def _attach(
        self, node: _Node, line: int, event, *, empty_null=False, is_merge=False, alias_of_map=False
    ):
        if not self.stack:
            self.root, self.root_line = node, line
            return
        frame = self.stack[-1]
        frame.decodes += node.decodes
        frame.height = max(frame.height, node.height + 1)
        if not frame.is_map:
            frame.container.append(node.value)
            frame.nbytes += node.nbytes + 1
            if frame.item_lines is not None:
                frame.item_lines.append(line)
            return
        if not frame.has_key:
            frame.key_raw = node.value
            frame.key = self._key(node.value)
            frame.key_line = line
            frame.merge = is_merge
            frame.has_key = True
            return
        frame.has_key = False
        if frame.merge:
            self._merge(frame, node.value)
            return
        if frame.flow and empty_null:
            raise Invalid(
                message=f"error: error parsing {self.origin}: line {frame.key_line}: "
                f'"{frame.key_raw}" has no value (a flow mapping entry ends at the comma); '
                f'write a value, {frame.key_raw}: "" or {frame.key_raw}: null, or remove the key'
            )
        key = frame.key
        if key is _NULL_KEY:  # sigs.k8s.io/yaml cannot write a null key into JSON
            raise _converting(
                self.origin,
                "unsupported map key of type: %!s(<nil>), key: <nil>, "
                f"value: {_go_sharp(node.value)}",
            )
        if key in frame.explicit:
            self.duplicates.append(
                f"line {line}: key {_go_sharp(frame.key_raw)} already set in map"
            )
        frame.explicit.add(key)
        frame.container[key] = node.value
        frame.nbytes += node.nbytes + len(key) + 4

    def _key(self, value: Any) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, list | dict):
            raise _yaml(self.origin, f"invalid map key: {_go_sharp(value)}")
        if value is None:
            return _NULL_KEY
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, float):
            return _go_float32(value)
        return str(value)

    def _merge(self, frame: _Frame, value: Any) -> None:
        """``<<: *base`` (or a list of maps): keys the mapping does not set itself."""
        sources = value if isinstance(value, list) else [value]
        if not sources or not all(isinstance(s, dict) for s in sources):
            raise _yaml(self.origin, "map merge requires map or sequence of maps as the value")
        for source in sources:  # earlier maps take precedence
            for key, item in source.items():
                if key not in frame.container:
                    frame.container[key] = item
                    frame.nbytes += _json_bytes_estimate(item) + len(key) + 4

    def finish(self) -> Parsed | None:
        self.flush()
        if self.duplicates:
            raise _converting(
                self.origin, "yaml: unmarshal errors:\n  " + "\n  ".join(self.duplicates)
            )
        if self.root is None or self.root.value is None:
            return None
        return Parsed(self.root.value, self.root_line, self.item_lines)


def _scalar_bytes(value: Any) -> int:
    if isinstance(value, str):
        return len(value) + 2
    if value is None or value is True:
        return 4
    if value is False:
        return 5
    return len(str(value)) if not isinstance(value, int) or abs(value) < 10**30 else 32


def _json_bytes_estimate(value: Any) -> int:
    """Rough JSON size of an already-built value (merged maps are small and already counted)."""
    if isinstance(value, dict):
        return 2 + sum(len(k) + 4 + _json_bytes_estimate(v) for k, v in value.items())
    if isinstance(value, list):
        return 2 + sum(1 + _json_bytes_estimate(v) for v in value)
    return _scalar_bytes(value)


def json_copy(value: Any) -> Any:
    """Deep copy of a JSON-shaped value (faster than ``copy.deepcopy``).

    Recursive: kubelab's values nest at most ``MAX_DEPTH`` levels.

    Examples
    --------
    >>> a = {"k": [1, {"x": 2}]}
    >>> b = json_copy(a)
    >>> b == a, b["k"] is a["k"]
    (True, False)
    """
    if isinstance(value, dict):
        return {k: json_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_copy(v) for v in value]
    return value


def yaml_documents(text: str, origin: str, budget: Budget, loader_class=None) -> Iterator[Parsed]:
    """Every non-empty document of ``text`` as a :class:`Parsed` (``None`` documents skipped).

    Syntax errors surface as :class:`yaml.YAMLError` (the loader words them as kubectl does);
    everything else as :class:`kubelab.errors.Invalid`.
    """
    loader = (loader_class or yaml.SafeLoader)(text)
    scalars = _Scalars(loader.resolve)
    try:
        loader.get_event()  # StreamStart
        while not loader.check_event(yaml.StreamEndEvent):
            loader.get_event()  # DocumentStart
            doc = _Document(origin, budget, scalars)
            while True:
                event = loader.get_event()
                kind = type(event)
                if kind is yaml.ScalarEvent:
                    doc.scalar(event)
                elif kind is yaml.MappingStartEvent:
                    doc.start(event, True)
                elif kind is yaml.SequenceStartEvent:
                    doc.start(event, False)
                elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                    doc.end()
                elif kind is yaml.AliasEvent:
                    doc.alias(event)
                else:  # DocumentEnd
                    break
            parsed = doc.finish()
            yield parsed
    finally:
        loader.dispose()


# --------------------------------------------------------------------------- JSON text

_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


def check_json_depth(text: str, origin: str) -> None:
    """Refuse JSON (or flow YAML) nested deeper than ``MAX_DEPTH``, before any parser runs.

    Examples
    --------
    >>> check_json_depth('{"a": "[[[[", "b": [[1]]}', "<string>")
    >>> check_json_depth("[" * 200, "x.json")
    Traceback (most recent call last):
    ...
    kubelab.errors.Invalid: error: error parsing x.json: json: exceeded max depth of 100
    """
    depth = 0
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > limits.MAX_DEPTH:
                raise Invalid(
                    message=f"error: error parsing {origin}: json: exceeded max depth of {limits.MAX_DEPTH}"
                )
        elif token in "]}":
            depth -= 1


class JSONNumberError(ValueError):
    """A JSON number Go cannot hold (``1e400``) or a non-JSON constant (``NaN``)."""


def json_int(text: str) -> int | float:
    """k8s.io/apimachinery's util/json number rule: int64 if it fits, else float64, else error."""
    digits = text.lstrip("-")
    if len(digits) <= 19:
        value = int(text)
        if limits.INT64_RANGE[0] <= value <= limits.INT64_RANGE[1]:
            return value
    return json_float(text)


def json_float(text: str) -> int | float:
    value = float(text)
    if not math.isfinite(value):
        raise JSONNumberError(f'strconv.ParseFloat: parsing "{text}": value out of range')
    return json_number(value)


def json_constant(text: str):
    raise JSONNumberError(f"invalid character '{text[0]}' looking for beginning of value")


# --------------------------------------------------------------------------- Python values

_SCALARS = (str, int, float, bool, type(None))
_CYCLE = "json: unsupported value: encountered a cycle via map[string]interface {}"


def to_json(value: Any, origin: str, budget: Budget) -> Any:
    """A fresh JSON-shaped copy of a Python value, as Go's ``json.Marshal`` would send it.

    Keys become strings (``1`` → ``"1"``, ``True`` → ``"true"``, ``None`` → ``"null"``),
    whole floats below 1e21 become ints, ``bytes`` are read as UTF-8 and tuples as lists;
    cycles, non-finite floats, other types and nesting beyond ``MAX_DEPTH`` are refused, and
    the copy counts against ``budget`` (a list shared a million times is not copied a
    million times).

    Examples
    --------
    >>> d = {"a": 1}
    >>> d["self"] = d
    >>> to_json(d, "<string>", Budget())
    Traceback (most recent call last):
    ...
    kubelab.errors.Invalid: error: error parsing <string>: json: unsupported value: encountered a cycle via map[string]interface {}
    """
    active: set[int] = set()
    pending = [0, 0]  # nodes and bytes not yet charged to the budget

    def fail(problem: str) -> Invalid:
        return Invalid(message=f"error: error parsing {origin}: {problem}")

    def convert(item: Any, depth: int) -> Any:
        kind = item.__class__
        if kind is str:
            pending[1] += len(item) + 2
            return item if item.isascii() else _valid_unicode(item)
        if kind is int and item.bit_length() > limits.MAX_INT_BITS:
            raise fail(f"json: unsupported value: an integer of {item.bit_length()} bits")
        if kind is int or kind is bool or item is None:
            pending[1] += 5
            return item
        if isinstance(item, float):
            if not math.isfinite(item):
                raise fail(_unsupported_float(item))
            pending[1] += 8
            return json_number(float(item))
        if isinstance(item, str):  # a str subclass
            return convert(str(item), depth)
        if isinstance(item, int):  # an int subclass (an IntEnum...)
            return convert(int(item), depth)
        if isinstance(item, bytes | bytearray):
            pending[1] += len(item) + 2
            return bytes(item).decode("utf-8", "replace")
        if not isinstance(item, dict | list | tuple):
            raise fail(f"json: unsupported type: {type(item).__name__}")
        if depth >= limits.MAX_DEPTH:
            raise fail(f"json: exceeded max depth of {limits.MAX_DEPTH}")
        ident = id(item)
        if ident in active:
            raise fail(_CYCLE)
        active.add(ident)
        pending[0] += len(item) + 1
        pending[1] += 2
        if pending[0] >= 4096:
            budget.add_nodes(pending[0], pending[1], origin)
            pending[0] = pending[1] = 0
        try:
            if isinstance(item, dict):
                return {_dict_key(k, fail): convert(v, depth + 1) for k, v in item.items()}
            return [convert(child, depth + 1) for child in item]
        finally:
            active.discard(ident)

    result = convert(value, 0)
    budget.add_nodes(pending[0], pending[1], origin)
    return result


def _dict_key(key: Any, fail) -> str:
    if isinstance(key, str):
        return _valid_unicode(key) if not key.isascii() else key
    if key is None:
        return "null"
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, int):
        return str(key)
    if isinstance(key, float):
        return _go_float32(key)
    raise fail(f"json: unsupported type: map key of type {type(key).__name__}")


_SURROGATE = re.compile("[\ud800-\udfff]")


def _valid_unicode(text: str) -> str:
    """Lone surrogates as U+FFFD, as Go's ``json.Marshal`` coerces invalid UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)
    return text
