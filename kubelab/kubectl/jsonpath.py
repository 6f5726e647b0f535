"""kubectl's JSONPath templates (``-o jsonpath=...``), parsed and run as client-go does.

A port of ``k8s.io/client-go/util/jsonpath`` (``parser.go`` and ``jsonpath.go``): literal
text with ``{...}`` actions made of fields (``.a.b``, ``['a.b']``), array indexes and slices
(``[0]``, ``[-1]``, ``[1:3]``, ``[*]``), ``*``, recursive descent (``..name``), unions
(``[0,2]``), filters (``[?(@.status.phase=="Running")]``), quoted text (``{"\\n"}``) and
``{range ...}...{end}``. Results of one action are joined by a space; strings print raw,
maps and lists as compact JSON; missing keys print nothing (kubectl's
``--allow-missing-template-keys``). Parse and execution errors carry upstream's messages.

Examples
--------
>>> pods = {"items": [{"metadata": {"name": "a"}, "status": {"podIP": "10.0.0.1"}},
...                   {"metadata": {"name": "b"}, "status": {}}]}
>>> render("{.items[*].metadata.name}", pods)
'a b'
>>> render("{.items[0].status.podIP}", pods)
'10.0.0.1'
>>> render('{range .items[*]}{.metadata.name}{"\\\\n"}{end}', pods)
'a\\nb\\n'
>>> render("{.items[0].metadata}", pods)
'{"name":"a"}'
>>> render("{.items[?(@.metadata.name=='b')].metadata.name}", pods)
'b'
>>> parse("{.items[*]")
Traceback (most recent call last):
...
kubelab.kubectl.jsonpath.JSONPathError: unclosed action
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field

__all__ = ["JSONPathError", "JSONPathExecutionError", "parse", "render", "render_results"]


class JSONPathError(ValueError):
    """A template client-go's parser refuses (kubectl: ``error parsing jsonpath ...``)."""


class JSONPathExecutionError(ValueError):
    """A template that parses but fails on the data (kubectl: ``error executing jsonpath``)."""


# -- nodes (parser.go's node types) -----------------------------------------------------------


@dataclass
class Node:
    type: str  # list, text, field, identifier, array, wildcard, recursive, union, filter, ...
    value: object = None
    nodes: list = field(default_factory=list)  # a list node's children
    left: Node | None = None  # filter
    right: Node | None = None
    op: str = ""


def _list() -> Node:
    return Node("list")


# -- the parser -------------------------------------------------------------------------------

_DICT_KEY = re.compile(r"^'([^']*)'$")
_SLICE = re.compile(r"^(-?[0-9]*)(:-?[0-9]*)?(:-?[0-9]*)?$")
_FILTER = re.compile(r"^([^!<>=]+)([!<>=]+)(.+?)$", re.S)
_TERMINATORS = set(" \t\r\n.,[]$@{}")
_MAX_DEPTH = 200  # nested unions and filters parse recursively, as upstream does


def _alnum(ch: str) -> bool:
    return ch == "_" or ch.isalpha() or unicodedata.category(ch) == "Nd" if ch else False


def _go_rune(ch: str) -> str:
    """Go's ``%#U``: ``U+0021 '!'``."""
    code = f"U+{ord(ch):04X}"
    return f"{code} '{ch}'" if ch.isprintable() else code


class _Parser:
    def __init__(self, text: str, depth: int = 0):
        if depth > _MAX_DEPTH:
            raise JSONPathError("template nested too deeply")
        self.input, self.pos, self.start, self.depth = text, 0, 0, depth
        self.root = _list()

    # parser.go's scanner: next/peek/backup over runes (Python str indexes are runes)
    def next(self) -> str:
        if self.pos >= len(self.input):
            return ""
        self.pos += 1
        return self.input[self.pos - 1]

    def peek(self) -> str:
        return self.input[self.pos] if self.pos < len(self.input) else ""

    def backup(self, ch: str) -> None:
        if ch:
            self.pos -= 1

    def consume(self) -> str:
        value = self.input[self.start : self.pos]
        self.start = self.pos
        return value

    def parse(self) -> Node:
        # parser.go recurses from one action to the next; a loop does the same here.
        cur = None
        while True:
            if cur is None:  # parseText
                at = self.input.find("{", self.pos)
                if at < 0:
                    self.pos = len(self.input)
                    if self.pos > self.start:
                        self.root.nodes.append(Node("text", self.consume()))
                    return self.root
                self.pos = at
                if self.pos > self.start:
                    self.root.nodes.append(Node("text", self.consume()))
                self.pos += 1  # parseLeftDelim
                self.consume()
                cur = _list()
                self.root.nodes.append(cur)
            if self.inside_action(cur):
                cur = None

    def inside_action(self, cur: Node) -> bool:
        """One step of ``parseInsideAction``; True when the action's ``}`` was reached."""
        rest = self.input[self.pos :]
        if rest.startswith("}"):
            self.pos += 1
            self.consume()
            return True
        if rest.startswith("[?("):
            self.filter(cur)
            return False
        if rest.startswith(".."):
            if cur.nodes and cur.nodes[-1].type == "recursive":
                raise JSONPathError("invalid multiple recursive descent")
            self.pos += 2
            self.consume()
            cur.nodes.append(Node("recursive"))
            if _alnum(self.peek()):
                self.field(cur)
            return False
        ch = self.next()
        if ch in ("", "\r", "\n"):
            raise JSONPathError("unclosed action")
        if ch in (" ", "@", "$"):
            self.consume()
        elif ch == "[":
            self.array(cur)
        elif ch in ('"', "'"):
            self.quote(cur, ch)
        elif ch == ".":
            self.field(cur)
        elif ch in "+-" or unicodedata.category(ch) == "Nd":
            self.backup(ch)
            self.number(cur)
        elif _alnum(ch):
            self.backup(ch)
            self.identifier(cur)
        else:
            raise JSONPathError(f"unrecognized character in action: {_go_rune(ch)}")
        return False

    def identifier(self, cur: Node) -> None:
        while True:
            ch = self.next()
            if ch == "" or ch in _TERMINATORS:
                self.backup(ch)
                break
        value = self.consume()
        if value in ("true", "false"):
            cur.nodes.append(Node("bool", value == "true"))
        else:
            cur.nodes.append(Node("identifier", value))

    def number(self, cur: Node) -> None:
        if self.peek() in ("+", "-") and self.peek():
            self.next()
        while True:
            ch = self.next()
            if ch != "." and not (ch and unicodedata.category(ch) == "Nd"):
                self.backup(ch)
                break
        value = self.consume()
        if re.fullmatch(r"[+-]?[0-9]+", value) and -(2**63) <= int(value) < 2**63:
            cur.nodes.append(Node("int", int(value)))
        elif re.fullmatch(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)", value):
            cur.nodes.append(Node("float", float(value)))
        else:
            raise JSONPathError(f"cannot parse number {value}")

    def array(self, cur: Node) -> None:
        while True:
            ch = self.next()
            if ch in ("", "\n"):
                raise JSONPathError("unterminated array")
            if ch == "]":
                break
        text = self.consume()[1:-1]
        if text == "*":
            text = ":"
        parts = text.split(",")
        if len(parts) > 1:
            union = [_action(f"[{p.strip(' ')}]", self.depth + 1) for p in parts]
            cur.nodes.append(Node("union", union))
            return
        key = _DICT_KEY.match(text)
        if key:
            cur.nodes.extend(_action(f".{key.group(1)}", self.depth + 1).nodes)
            return
        m = _SLICE.match(text)
        if not m:
            raise JSONPathError(f"invalid array index {text}")
        params = []  # (known, value, derived) like upstream ParamsEntry
        for i, raw in enumerate(m.groups()):
            if raw:
                digits = raw[1:] if i > 0 else raw
                if i > 0 and digits == "":
                    params.append((False, 0, False))
                elif digits in ("", "-") or not -(2**63) <= int(digits) < 2**63:
                    raise JSONPathError(f"array index {digits} is not a number")
                else:
                    params.append((True, int(digits), False))
            elif i == 1:
                params.append((True, params[0][1] + 1, True))
            else:
                params.append((False, 0, False))
        cur.nodes.append(Node("array", params))

    def filter(self, cur: Node) -> None:
        self.pos += 3
        self.consume()
        begin = end = False
        pair = ""
        while True:
            ch = self.next()
            if ch in ("", "\n"):
                raise JSONPathError("unterminated filter")
            if ch in ('"', "'"):
                if not begin:
                    begin, pair = True, ch
                    continue
                if self.input[self.pos - 2] != "\\" and ch == pair:
                    end = True
            elif ch == ")" and begin == end:
                break
        if self.next() != "]":
            raise JSONPathError("unclosed array expect ]")
        text = self.consume()[:-2]
        m = _FILTER.match(text)
        if m is None:
            cur.nodes.append(Node("filter", left=_action(text, self.depth + 1), op="exists"))
        else:
            left = _action(m.group(1), self.depth + 1)
            right = _action(m.group(3), self.depth + 1)
            cur.nodes.append(Node("filter", left=left, right=right, op=m.group(2)))

    def quote(self, cur: Node, end: str) -> None:
        while True:
            ch = self.next()
            if ch in ("", "\n"):
                raise JSONPathError("unterminated quoted string")
            if ch == end and self.input[self.pos - 2] != "\\":
                break
        value = self.consume()
        try:
            text = _unquote(value)
        except ValueError:
            raise JSONPathError(f"unquote string {value} error invalid syntax") from None
        cur.nodes.append(Node("text", text))

    def field(self, cur: Node) -> None:
        self.consume()
        while True:  # advance(): up to the next terminator not escaped by a backslash
            ch = self.next()
            if ch == "\\":
                self.next()
            elif ch == "" or ch in _TERMINATORS:
                self.backup(ch)
                break
        value = self.consume()
        cur.nodes.append(
            Node("wildcard") if value == "*" else Node("field", value.replace("\\", ""))
        )


def _action(text: str, depth: int) -> Node:
    """``parseAction``: parse ``{text}`` and return its one action's list."""
    return _Parser("{" + text + "}", depth).parse().nodes[0]


_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}


def _unquote(s: str) -> str:
    """``UnquoteExtend``: Go's ``strconv.Unquote`` that also takes single quotes."""
    quote, body = s[0], s[1:-1]
    if len(s) < 2 or s[-1] != quote:
        raise ValueError(s)
    out, i = [], 0
    while i < len(body):
        ch = body[i]
        if ch == quote:
            raise ValueError(s)
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        esc = body[i + 1 : i + 2]
        if esc in _ESCAPES:
            out.append(_ESCAPES[esc])
            i += 2
        elif esc == quote:
            out.append(quote)
            i += 2
        elif esc in ("x", "u", "U"):
            width = {"x": 2, "u": 4, "U": 8}[esc]
            digits = body[i + 2 : i + 2 + width]
            if len(digits) != width or not all(c in "0123456789abcdefABCDEF" for c in digits):
                raise ValueError(s)
            code = int(digits, 16)
            if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                raise ValueError(s)
            out.append(chr(code))
            i += 2 + width
        elif esc and esc in "01234567":
            digits = body[i + 1 : i + 4]
            if len(digits) != 3 or not all(c in "01234567" for c in digits) or int(digits, 8) > 255:
                raise ValueError(s)
            out.append(chr(int(digits, 8)))
            i += 4
        else:
            raise ValueError(s)
    return "".join(out)


def parse(template: str) -> Node:
    """Parse a template as client-go's ``Parser.Parse``; :class:`JSONPathError` if it cannot."""
    return _Parser(template).parse()


# -- execution (jsonpath.go) ------------------------------------------------------------------


def _go_type(value) -> str:
    if isinstance(value, dict):
        return "map[string]interface {}"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int64"
    if isinstance(value, float):
        return "float64"
    return "interface {}"


def _compare(left, right, op: str) -> bool:
    """``template.Equal``/``Less``...: same basic kinds only, as Go's text/template compares."""
    numbers = (int, float)
    same = (
        (isinstance(left, str) and isinstance(right, str))
        or (isinstance(left, bool) and isinstance(right, bool))
        or (
            isinstance(left, numbers)
            and isinstance(right, numbers)
            and not isinstance(left, bool)
            and not isinstance(right, bool)
        )
    )
    if op in ("==", "!="):
        if not same:
            raise JSONPathExecutionError("incompatible types for comparison")
        return (left == right) == (op == "==")
    if op not in ("<", ">", "<=", ">="):
        raise JSONPathExecutionError(f"unrecognized filter operator {op}")
    if not same or isinstance(left, bool):
        raise JSONPathExecutionError(
            "incompatible types for comparison" if not same else "invalid type for comparison"
        )
    return {"<": left < right, ">": left > right, "<=": left <= right, ">=": left >= right}[op]


class _Runner:
    def __init__(self, root: Node):
        self.nodes = root.nodes
        self.in_range = self.begin_range = self.end_range = 0
        self.last_end: int | None = None

    def find(self, data, start: int) -> list[list]:
        """``FindResults`` over the top-level nodes from ``start``."""
        full: list[list] = []
        i = start
        while i < len(self.nodes):
            results = self.walk([data], self.nodes[i])
            if 0 < self.end_range <= self.in_range:
                self.end_range -= 1
                self.last_end = i
                break
            if self.begin_range > 0:
                self.begin_range -= 1
                self.in_range += 1
                for value in results or [None]:
                    found = self.find(value, i + 1)
                    if results:
                        full.extend(found)
                self.in_range -= 1
                if self.last_end is not None and self.last_end > i:
                    i = self.last_end
                i += 1
                continue
            full.append(results)
            i += 1
        return full

    def walk(self, values: list, node: Node) -> list:
        kind = node.type
        if kind == "list":
            for child in node.nodes:
                values = self.walk(values, child)
            return values
        if kind in ("text", "int", "float", "bool"):
            return [node.value]
        if kind == "field":
            return [v[node.value] for v in values if isinstance(v, dict) and node.value in v]
        if kind == "array":
            return self.array(values, node.value)
        if kind == "wildcard":
            out = []
            for v in values:
                if isinstance(v, dict):
                    out.extend(v[k] for k in sorted(v))
                elif isinstance(v, list):
                    out.extend(v)
            return out
        if kind == "recursive":
            return self.recursive(values)
        if kind == "union":
            return [r for part in node.value for r in self.walk(values, part)]
        if kind == "filter":
            return self.filter(values, node)
        if node.value == "range":
            self.begin_range += 1
            return values
        if node.value == "end":
            if self.in_range <= 0:
                raise JSONPathExecutionError("not in range, nothing to end")
            self.end_range += 1
            return []
        raise JSONPathExecutionError(f"unrecognized identifier {node.value}")

    @staticmethod
    def array(values: list, params) -> list:
        out = []
        for v in values:
            if v is None:
                continue
            if not isinstance(v, list):
                raise JSONPathExecutionError(f"{_go_type(v)} is not array or slice")
            (k0, start, _), (k1, stop, derived), (k2, step, _) = params
            length = len(v)
            start = start if k0 else 0
            if start < 0:
                start += length
            stop = stop if k1 else length
            if stop < 0 or (stop == 0 and derived):
                stop += length
            if stop == start:
                continue
            if start >= length or start < 0:
                raise JSONPathExecutionError(
                    f"array index out of bounds: index {start}, length {length}"
                )
            if stop > length or stop < 0:
                raise JSONPathExecutionError(
                    f"array index out of bounds: index {stop - 1}, length {length}"
                )
            if start > stop:
                raise JSONPathExecutionError(
                    f"starting index {start} is greater than ending index {stop}"
                )
            if k2 and step <= 0:
                raise JSONPathExecutionError("step must be > 0")
            out.extend(v[start : stop : step if k2 else 1])
        return out

    def recursive(self, values: list) -> list:
        out = []
        stack = [(v, False) for v in reversed(values)]
        while stack:  # upstream's pre-order walk, without Python recursion
            v, _ = stack.pop()
            children = (
                [v[k] for k in sorted(v)]
                if isinstance(v, dict)
                else v
                if isinstance(v, list)
                else []
            )
            if children:
                out.append(v)
                stack.extend((c, False) for c in reversed(children))
        return out

    def filter(self, values: list, node: Node) -> list:
        out = []
        for v in values:
            if not isinstance(v, list):
                raise JSONPathExecutionError(
                    f"{_text(v)} is not array or slice and cannot be filtered"
                )
            for item in v:
                lefts = self.walk([item], node.left)
                if node.op == "exists":
                    if lefts:
                        out.append(item)
                    continue
                if not lefts:
                    continue
                rights = self.walk([item], node.right)
                if len(lefts) > 1 or len(rights) > 1:
                    raise JSONPathExecutionError("can only compare one element at a time")
                if rights and _compare(lefts[0], rights[0], node.op):
                    out.append(item)
        return out


def _text(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    return str(value)


def render_results(template: str, data) -> list[list]:
    """Each top-level action's results (``FindResults``), for ``-o jsonpath-as-json``."""
    return _Runner(parse(template)).find(data, 0)


def render(template: str, data) -> str:
    """Evaluate a kubectl JSONPath template against ``data`` (an object or a ``List``)."""
    return "".join(
        " ".join(_text(v) for v in results) for results in render_results(template, data)
    )
