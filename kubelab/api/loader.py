"""Manifests → objects: what ``kubectl apply -f`` reads before it talks to the API server.

``load`` accepts a file, a folder of manifests, YAML/JSON text (several documents
separated by ``---``), a dict or a list of dicts, and returns one :class:`Document`
per object, each remembering where it came from. ``kind: List`` documents expand to
their items; empty documents are skipped. Anything unreadable raises
:class:`kubelab.errors.Invalid` worded as kubectl words it, naming the file and the
line, and nothing is returned: a source is loaded whole or not at all.

YAML is read the way kubectl's ``sigs.k8s.io/yaml`` (go-yaml v2) reads it, which differs
from PyYAML's defaults in a few places learners meet: ``y``/``n`` are booleans, dates
stay strings, ``1:30`` is a string, not a base-60 number, and keys become strings.

Examples
--------
>>> docs = load('''
... apiVersion: v1
... kind: Pod
... metadata: {name: web}
... spec: {containers: [{name: app, image: "nginx:1.27"}]}
... ---
... apiVersion: v1
... kind: Service
... metadata: {name: web}
... ''')
>>> [(d.obj["kind"], d.origin, d.index, d.line) for d in docs]
[('Pod', '<string>', 0, 2), ('Service', '<string>', 1, 7)]
>>> load("apiVersion: v1\\nkind: Pod\\nmetadata:\\n  name: x\\n  labels: {app: web\\n")
Traceback (most recent call last):
...
kubelab.errors.Invalid: error: error parsing <string>: error converting YAML to JSON: yaml: line 6: did not find expected ',' or '}'
>>> load({"kind": "Pod", "metadata": {"name": "x"}})
Traceback (most recent call last):
...
kubelab.errors.Invalid: error: error validating "<string>": error validating data: apiVersion not set; if you choose to ignore these errors, turn validation off with --validate=false
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kubelab.errors import Invalid

__all__ = ["MANIFEST_SUFFIXES", "Document", "load"]

MANIFEST_SUFFIXES = (".json", ".yaml", ".yml")  # what `kubectl apply -f DIR` picks up

_STRING_ORIGIN = "<string>"
_OBJECT_ORIGIN = "<string>"  # dicts too: the contract knows files and "<string>"


@dataclass(frozen=True)
class Document:
    """One object read from a manifest source.

    ``origin`` is the file path as given (``"<string>"`` for text, dicts and lists), ``index``
    the document number in that source (0-based; items of a ``List`` share their
    List's index) and ``line`` the 1-based line where the object starts (0 when the
    source was a dict, which has no lines).
    """

    obj: dict
    origin: str
    index: int
    line: int


# --------------------------------------------------------------------------- YAML flavour

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _KubectlLoader(_Base):  # type: ignore[misc, valid-type]
    """Safe loader resolving plain scalars as go-yaml v2 does (kubectl's YAML reader)."""


_KubectlLoader.yaml_implicit_resolvers = {}
for _tag, _regex, _first in (
    (
        "tag:yaml.org,2002:bool",
        r"^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE"
        r"|on|On|ON|off|Off|OFF)$",
        "yYnNtTfFoO",
    ),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    (
        "tag:yaml.org,2002:int",
        r"^[-+]?(?:0b[01_]+|0o[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*)$",
        "-+0123456789",
    ),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
    ("tag:yaml.org,2002:merge", r"^(?:<<)$", "<"),
):
    _KubectlLoader.add_implicit_resolver(_tag, re.compile(_regex), list(_first))


def _construct_int(loader, node):
    text = loader.construct_scalar(node).replace("_", "")
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-")
    if digits.startswith(("0b", "0o", "0x")):
        return sign * int(digits[2:], {"b": 2, "o": 8, "x": 16}[digits[1]])
    if len(digits) > 1 and digits.startswith("0"):
        try:
            return sign * int(digits, 8)  # 0644 is octal, as in Go's ParseInt(s, 0, 64)
        except ValueError:
            return sign * float(digits)  # "08": not octal; go-yaml falls back to a float
    return sign * int(digits)


def _construct_bool(loader, node):
    return loader.construct_scalar(node) in _TRUE


_TRUE = {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"}


def _construct_timestamp(loader, node):
    return loader.construct_scalar(node)  # Kubernetes fields hold timestamps as strings


_KubectlLoader.add_constructor("tag:yaml.org,2002:bool", _construct_bool)
_KubectlLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_KubectlLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def _key(key: Any) -> str:
    """A mapping key as sigs.k8s.io/yaml writes it into JSON."""
    if isinstance(key, str):
        return key
    if key is None:
        return "null"
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(_jsonable(key))


def _jsonable(value: Any) -> Any:
    """A fresh JSON-shaped copy: string keys, integral floats as ints (JSON round trip)."""
    if isinstance(value, dict):
        return {_key(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


# --------------------------------------------------------------------------- errors

# PyYAML's pure-Python scanner words some problems differently from libyaml/go-yaml.
_PURE_TO_LIBYAML = (
    (
        re.compile(r"found character .* that cannot start any token"),
        "found character that cannot start any token",
    ),
    (re.compile(r"found unknown escape character.*"), "found unknown escape character"),
    (
        re.compile(r"mapping values are not allowed here"),
        "mapping values are not allowed in this context",
    ),
    (re.compile(r"expected ',' or '\]', but got.*"), "did not find expected ',' or ']'"),
    (re.compile(r"expected ',' or '\}', but got.*"), "did not find expected ',' or '}'"),
    (re.compile(r"expected the node content, but found.*"), "did not find expected node content"),
    (re.compile(r"expected <block end>, but found '-'"), "did not find expected '-' indicator"),
    (re.compile(r"expected <block end>, but found.*"), "did not find expected key"),
)


def _yaml_error(origin: str, err: yaml.YAMLError) -> Invalid:
    problem = getattr(err, "problem", None) or str(err)
    for pattern, libyaml in _PURE_TO_LIBYAML:
        if pattern.fullmatch(problem):
            problem = libyaml
            break
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    where = f"line {mark.line + 1}: " if mark is not None else ""
    return Invalid(
        message=f"error: error parsing {origin}: error converting YAML to JSON: yaml: {where}{problem}"
    )


_JSON_TYPES = {
    dict: "object",
    list: "array",
    str: "string",
    bool: "bool",
    int: "number",
    float: "number",
}


def _json_type(value: Any) -> str:
    return next((name for t, name in _JSON_TYPES.items() if isinstance(value, t)), "value")


def _check_object(obj: Any, origin: str, line: int) -> None:
    """Refuse what kubectl refuses before sending: non-objects, no apiVersion, no kind."""
    where = f"{origin}" if line <= 0 else f"{origin}: line {line}"
    if not isinstance(obj, dict):
        raise Invalid(
            message=f"error: error parsing {where}: json: cannot unmarshal {_json_type(obj)} into Go "
            'value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; '
            'Kind string "json:\\"kind,omitempty\\"" }'
        )
    for field in ("apiVersion", "kind"):
        value = obj.get(field)
        if value is not None and not isinstance(value, str):
            raise Invalid(
                message=f"error: error parsing {where}: json: cannot unmarshal {_json_type(value)} "
                f"into Go struct field .{field} of type string"
            )
    missing = [f"{field} not set" for field in ("apiVersion", "kind") if not obj.get(field)]
    if missing:
        reason = missing[0] if len(missing) == 1 else "[" + ", ".join(missing) + "]"
        at = f" (line {line})" if line > 0 else ""
        raise Invalid(
            message=f'error: error validating "{origin}"{at}: error validating data: {reason}; '
            "if you choose to ignore these errors, turn validation off with --validate=false"
        )


def _is_list(obj: dict) -> bool:
    return obj["kind"] == "List" or (obj["kind"].endswith("List") and "items" in obj)


def _expand(obj: Any, origin: str, index: int, line: int, item_lines=()) -> list[Document]:
    """Check one document and expand ``kind: List`` into its items."""
    _check_object(obj, origin, line)
    if not _is_list(obj):
        return [Document(obj, origin, index, line)]
    items = obj.get("items") or []
    if not isinstance(items, list):
        raise Invalid(
            message=f"error: error parsing {origin}: json: cannot unmarshal {_json_type(items)} "
            "into Go struct field List.items of type []runtime.RawExtension"
        )
    out: list[Document] = []
    for i, item in enumerate(items):
        item_line = item_lines[i] if i < len(item_lines) else line
        out.extend(_expand(item, origin, index, item_line))
    return out


# --------------------------------------------------------------------------- text


def _item_lines(node) -> list[int]:
    """1-based start lines of a List document's ``items`` (from the YAML node)."""
    if not isinstance(node, yaml.MappingNode):
        return []
    for key, value in node.value:
        if getattr(key, "value", None) == "items" and isinstance(value, yaml.SequenceNode):
            return [child.start_mark.line + 1 for child in value.value]
    return []


def _refuse_empty_flow_values(node, origin: str) -> None:
    """Refuse ``{key: , ...}``: a value left out of a flow mapping.

    YAML reads it as null and a real cluster silently treats the field as unset, so a
    forgotten value (``storageClassName: ,``) would go unnoticed. kubelab is stricter
    here on purpose, and says what to write instead.
    """
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                if (
                    current.flow_style
                    and isinstance(value, yaml.ScalarNode)
                    and value.tag == "tag:yaml.org,2002:null"
                    and value.value == ""
                ):
                    raise Invalid(
                        message=f"error: error parsing {origin}: line {key.start_mark.line + 1}: "
                        f'"{key.value}" has no value (a flow mapping entry ends at the comma); '
                        f'write a value, {key.value}: "" or {key.value}: null, or remove the key'
                    )
                stack.append(value)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)


def _load_json(text: str, origin: str) -> list[Document] | None:
    """Whole-text JSON (kubectl sniffs a leading ``{``); ``None`` to fall back to YAML."""
    try:
        obj = json.loads(text)
    except ValueError:
        return None
    line = text[: len(text) - len(text.lstrip())].count("\n") + 1
    return _expand(_jsonable(obj), origin, 0, line)


def _load_text(text: str, origin: str) -> list[Document]:
    if text.lstrip().startswith(("{", "[")):
        docs = _load_json(text, origin)
        if docs is not None:
            return docs
    loader = _KubectlLoader(text)
    out: list[Document] = []
    index = 0
    try:
        while loader.check_node():
            node = loader.get_node()
            obj = loader.construct_document(node)
            if obj is not None:  # empty documents (`---` twice, comments only) are skipped
                _refuse_empty_flow_values(node, origin)
                line = node.start_mark.line + 1
                out.extend(_expand(_jsonable(obj), origin, index, line, _item_lines(node)))
            index += 1
    except yaml.YAMLError as err:
        raise _yaml_error(origin, err) from None
    finally:
        loader.dispose()
    return out


# --------------------------------------------------------------------------- paths


def _looks_like_path(text: str) -> bool:
    """A one-line string naming a manifest file or folder, rather than YAML text."""
    if "\n" in text or not text.strip():
        return False
    stripped = text.strip()
    if stripped.lower().endswith(MANIFEST_SUFFIXES) or os.path.exists(stripped):
        return True
    # `kind: Pod` or `{...}` is YAML; a bare word like `manifests/` is meant as a path
    return ": " not in stripped and not stripped.startswith(("{", "[", "-", "#"))


def _load_file(path: Path, origin: str) -> list[Document]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise Invalid(message=f"error: error parsing {origin}: {err}") from None
    return _load_text(text, origin)


def _load_path(given: str | os.PathLike, base_dir: str | os.PathLike | None) -> list[Document]:
    shown = os.fspath(given)
    path = Path(shown).expanduser()
    if base_dir is not None and not path.is_absolute():
        path = Path(base_dir) / path
    if not path.exists():
        raise Invalid(message=f'error: the path "{shown}" does not exist')
    if path.is_file():
        return _load_file(path, shown)
    out: list[Document] = []
    for child in sorted(path.iterdir(), key=lambda p: p.name):  # non-recursive, like -f DIR
        if child.is_file() and child.suffix in MANIFEST_SUFFIXES:
            out.extend(_load_file(child, os.path.join(shown, child.name)))
    return out


# --------------------------------------------------------------------------- entry point


def load(source: Any, *, base_dir: str | os.PathLike | None = None) -> list[Document]:
    """Read every object in ``source``; all of them or an error.

    Parameters
    ----------
    source
        A path (``str`` or :class:`pathlib.Path`) to a ``.yaml``/``.yml``/``.json`` file or
        a folder of them (sorted by name, not recursive, like ``kubectl apply -f DIR``);
        YAML or JSON text, several documents allowed; a dict; or a list of any of these.
        A one-line string ending in ``.yaml``/``.yml``/``.json``, naming an existing
        path, or without ``": "`` is taken as a path.
    base_dir
        Folder that relative paths are resolved against (default: the working directory).
        Origins keep the path as given, as kubectl prints it.

    Returns
    -------
    list of Document
        In source order; ``kind: List`` documents replaced by their items.

    Raises
    ------
    kubelab.errors.Invalid
        Missing path, YAML/JSON syntax error, a document that is not a mapping, or one
        without ``apiVersion``/``kind``; the message names the file and the line.

    Examples
    --------
    >>> [d.obj["metadata"]["name"] for d in load([
    ...     {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}},
    ...     {"apiVersion": "v1", "kind": "List", "items": [
    ...         {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b"}}]},
    ... ])]
    ['a', 'b']
    >>> load("missing.yaml")
    Traceback (most recent call last):
    ...
    kubelab.errors.Invalid: error: the path "missing.yaml" does not exist
    """
    if isinstance(source, os.PathLike):
        return _load_path(source, base_dir)
    if isinstance(source, str):
        if _looks_like_path(source):
            return _load_path(source.strip(), base_dir)
        return _load_text(source, _STRING_ORIGIN)
    if isinstance(source, bytes):
        return _load_text(source.decode("utf-8-sig"), _STRING_ORIGIN)
    if isinstance(source, dict):
        return _expand(_jsonable(source), _OBJECT_ORIGIN, 0, 0)
    if isinstance(source, list | tuple):
        out: list[Document] = []
        for i, obj in enumerate(source):
            if isinstance(obj, str | os.PathLike | bytes):  # several files, like -f a -f b
                out.extend(load(obj, base_dir=base_dir))
            else:
                out.extend(_expand(_jsonable(obj), _OBJECT_ORIGIN, i, 0))
        return out
    raise TypeError(
        "source must be a path, YAML/JSON text, a dict or a list of those, "
        f"not {type(source).__name__}"
    )
