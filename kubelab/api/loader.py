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
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kubelab.api import limits
from kubelab.api.yamljson import (
    Budget,
    JSONNumberError,
    check_json_depth,
    json_constant,
    json_float,
    json_int,
    to_json,
    yaml_documents,
)
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
    if isinstance(err, yaml.reader.ReaderError):  # NUL and other control characters
        problem = "control characters are not allowed"
        return Invalid(
            message=f"error: error parsing {origin}: error converting YAML to JSON: yaml: {problem}"
        )
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


def _expand(
    obj: Any, origin: str, index: int, line: int, item_lines=(), budget: Budget | None = None
) -> list[Document]:
    """Check one document and expand ``kind: List`` into its items."""
    _check_object(obj, origin, line)
    if not _is_list(obj):
        if budget is not None:
            budget.add_document(origin)
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
        out.extend(_expand(item, origin, index, item_line, budget=budget))
    return out


# --------------------------------------------------------------------------- text


def _load_json(text: str, origin: str, budget: Budget) -> list[Document] | None:
    """Whole-text JSON (kubectl sniffs a leading ``{``); ``None`` to fall back to YAML."""
    check_json_depth(text, origin)
    try:
        obj = json.loads(
            text, parse_int=json_int, parse_float=json_float, parse_constant=json_constant
        )
    except JSONNumberError as err:
        raise Invalid(message=f"error: error parsing {origin}: {err}") from None
    except ValueError:
        return None
    line = text[: len(text) - len(text.lstrip())].count("\n") + 1
    return _expand(to_json(obj, origin, budget), origin, 0, line, budget=budget)


def _load_text(text: str, origin: str, budget: Budget) -> list[Document]:
    _check_room(len(text), origin, budget)  # before encoding a huge string
    try:
        nbytes = len(text.encode("utf-8"))
    except UnicodeEncodeError:  # a lone surrogate: no UTF-8 encodes it
        raise Invalid(
            message=f"error: error parsing {origin}: error converting YAML to JSON: "
            "yaml: invalid Unicode character"
        ) from None
    budget.add_text(nbytes, origin)
    if text.lstrip().startswith(("{", "[")):
        docs = _load_json(text, origin, budget)
        if docs is not None:
            return docs
    out: list[Document] = []
    try:
        for index, parsed in enumerate(yaml_documents(text, origin, budget, _KubectlLoader)):
            if parsed is not None:  # empty documents (`---` twice, comments only) are skipped
                out.extend(
                    _expand(parsed.value, origin, index, parsed.line, parsed.item_lines, budget)
                )
    except yaml.YAMLError as err:
        raise _yaml_error(origin, err) from None
    return out


def _check_room(size: int, origin: str, budget: Budget) -> None:
    """Refuse at once a source that alone is over what the apply may still read."""
    if size > limits.MAX_LOAD_BYTES - budget.text_bytes:
        budget.add_text(size, origin)  # raises


# invalid UTF-8, worded as go-yaml's reader (libyaml's) words it
_UTF8_PROBLEMS = {
    "invalid start byte": "invalid leading UTF-8 octet",
    "invalid continuation byte": "invalid trailing UTF-8 octet",
    "unexpected end of data": "incomplete UTF-8 octet sequence",
}


def _decode(data: bytes, origin: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        problem = _UTF8_PROBLEMS.get(err.reason, "invalid UTF-8 octet")
        raise Invalid(
            message=f"error: error parsing {origin}: error converting YAML to JSON: yaml: {problem}"
        ) from None


# --------------------------------------------------------------------------- paths


def _looks_like_path(text: str) -> bool:
    """A one-line string naming a manifest file or folder, rather than YAML text."""
    if "\n" in text or not text.strip() or len(text) > 4096:
        return False
    stripped = text.strip()
    if stripped.lower().endswith(MANIFEST_SUFFIXES) or os.path.exists(stripped):
        return True
    # `kind: Pod` or `{...}` is YAML; a bare word like `manifests/` is meant as a path
    return ": " not in stripped and not stripped.startswith(("{", "[", "-", "#"))


def _os_error(err: OSError, shown: str) -> Invalid:
    """Go's ``*PathError`` text: ``open x.yaml: permission denied``."""
    reason = (err.strerror or str(err)).lower()
    return Invalid(message=f"error: open {shown}: {reason}")


def _read_capped(path: Path, shown: str, budget: Budget) -> bytes:
    """The file's bytes, never more than the apply's budget (``/dev/zero`` ends, too)."""
    room = limits.MAX_LOAD_BYTES - budget.text_bytes
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as err:
        raise _os_error(err, shown) from None
    chunks, total = [], 0
    try:
        while total <= room:
            try:
                chunk = os.read(fd, min(1 << 20, room + 1 - total))
            except BlockingIOError:  # a character device with nothing to read now
                break
            except OSError as err:
                raise _os_error(err, shown) from None
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    finally:
        os.close(fd)
    _check_room(total, shown, budget)
    return b"".join(chunks)


def _load_file(path: Path, origin: str, budget: Budget) -> list[Document]:
    text = _decode(_read_capped(path, origin, budget), origin)
    return _load_text(text, origin, budget)


def _load_path(
    given: str | os.PathLike, base_dir: str | os.PathLike | None, budget: Budget
) -> list[Document]:
    shown = os.fspath(given)
    if isinstance(shown, bytes):
        shown = os.fsdecode(shown)
    path = Path(shown).expanduser()
    if base_dir is not None and not path.is_absolute():
        path = Path(base_dir) / path
    try:
        mode = path.stat().st_mode
    except (OSError, ValueError):
        raise Invalid(message=f'error: the path "{shown}" does not exist') from None
    if stat.S_ISREG(mode) or stat.S_ISCHR(mode):  # /dev/null reads as empty, /dev/zero is capped
        return _load_file(path, shown, budget)
    if not stat.S_ISDIR(mode):  # a FIFO or socket would block until someone writes to it
        raise Invalid(
            message=f'error: error reading "{shown}": not a regular file or directory '
            "(kubelab reads manifests from files and folders only)"
        )
    try:
        children = sorted(os.scandir(path), key=lambda e: e.name)
    except OSError as err:
        raise _os_error(err, shown) from None
    manifests = [c for c in children if c.name.endswith(MANIFEST_SUFFIXES) and _is_file(c)]
    if len(manifests) > limits.MAX_DIRECTORY_FILES:
        raise Invalid(
            message=f'error: error reading "{shown}": {len(manifests)} manifest files, more than '
            f"{limits.MAX_DIRECTORY_FILES} in one folder (kubelab's limit, see kubelab.api.limits)"
        )
    out: list[Document] = []
    for child in manifests:  # non-recursive, like -f DIR
        out.extend(_load_file(Path(child.path), os.path.join(shown, child.name), budget))
    return out


def _is_file(entry: os.DirEntry) -> bool:
    try:
        return entry.is_file()
    except OSError:
        return False


# --------------------------------------------------------------------------- entry point


def load(
    source: Any, *, base_dir: str | os.PathLike | None = None, budget: Budget | None = None
) -> list[Document]:
    """Read every object in ``source``; all of them or an error.

    Parameters
    ----------
    source
        A path (``str`` or :class:`pathlib.Path`) to a ``.yaml``/``.yml``/``.json`` file or
        a folder of them (sorted by name, not recursive, like ``kubectl apply -f DIR``);
        YAML or JSON text (``str`` or UTF-8 ``bytes``), several documents allowed; a dict;
        or a list of any of these. A one-line string ending in ``.yaml``/``.yml``/``.json``,
        naming an existing path, or without ``": "`` is taken as a path.
    base_dir
        Folder that relative paths are resolved against (default: the working directory).
        Origins keep the path as given, as kubectl prints it.
    budget
        What this apply has read already (:class:`~kubelab.api.yamljson.Budget`); a new
        one by default. Every limit of :mod:`kubelab.api.limits` is checked while reading.

    Returns
    -------
    list of Document
        In source order; ``kind: List`` documents replaced by their items.

    Raises
    ------
    kubelab.errors.Invalid
        Missing or unreadable path, YAML/JSON syntax error, a document that is not a mapping,
        or one without ``apiVersion``/``kind``, a value JSON cannot carry, or input over a
        limit of :mod:`kubelab.api.limits`; the message names the file and the line.

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
    >>> load("x: &a [*a]")
    Traceback (most recent call last):
    ...
    kubelab.errors.Invalid: error: error parsing <string>: error converting YAML to JSON: yaml: anchor 'a' value contains itself
    """
    budget = budget if budget is not None else Budget()
    if isinstance(source, os.PathLike):
        return _load_path(source, base_dir, budget)
    if isinstance(source, str):
        if _looks_like_path(source):
            return _load_path(source.strip(), base_dir, budget)
        return _load_text(source, _STRING_ORIGIN, budget)
    if isinstance(source, bytes | bytearray):
        _check_room(len(source), _STRING_ORIGIN, budget)
        return _load_text(_decode(bytes(source), _STRING_ORIGIN), _STRING_ORIGIN, budget)
    if isinstance(source, dict):
        return _expand(to_json(source, _OBJECT_ORIGIN, budget), _OBJECT_ORIGIN, 0, 0, budget=budget)
    if isinstance(source, list | tuple):
        out: list[Document] = []
        for i, obj in enumerate(source):
            if isinstance(obj, str | os.PathLike | bytes):  # several files, like -f a -f b
                out.extend(load(obj, base_dir=base_dir, budget=budget))
            else:
                out.extend(
                    _expand(
                        to_json(obj, _OBJECT_ORIGIN, budget), _OBJECT_ORIGIN, i, 0, budget=budget
                    )
                )
        return out
    raise Invalid(
        message="error: source must be a path, YAML/JSON text, a dict or a list of those, "
        f"not {type(source).__name__}"
    )
