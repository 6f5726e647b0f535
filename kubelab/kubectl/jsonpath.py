"""A small JSONPath for ``-o jsonpath=...``: kubectl's template subset learners use.

Supported: literal text with ``{...}`` expressions made of ``.field``,
``['field']``, ``[n]``, ``[-n]``, ``[*]`` and ``..`` is not. Several results are
joined by a space, as kubectl does; strings print raw, maps and lists as compact
JSON; missing keys print nothing (kubectl's ``--allow-missing-template-keys``).
``{range ...}{end}`` is supported for one level.

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
"""

from __future__ import annotations

import json
import re

__all__ = ["JSONPathError", "render"]


class JSONPathError(ValueError):
    """A template kubelab cannot parse."""


_STEP = re.compile(
    r"\.([A-Za-z0-9_\-/]+)|\[\s*'([^']*)'\s*\]|\[\s*\"([^\"]*)\"\s*\]|\[\s*(-?\d+)\s*\]|\[\s*\*\s*\]|\.\*"
)


def _steps(path: str) -> list:
    path = path.strip()
    if path in ("", ".", "$", "@"):
        return []
    if path[0] in "$@":
        path = path[1:]
    steps, pos = [], 0
    while pos < len(path):
        m = _STEP.match(path, pos)
        if not m:
            raise JSONPathError(f"unrecognized character in action: {path[pos:]!r}")
        if m.group(1) is not None:
            steps.append(m.group(1))
        elif m.group(2) is not None or m.group(3) is not None:
            steps.append(m.group(2) if m.group(2) is not None else m.group(3))
        elif m.group(4) is not None:
            steps.append(int(m.group(4)))
        else:
            steps.append("*")
        pos = m.end()
    return steps


def _walk(values: list, steps: list) -> list:
    for step in steps:
        nxt = []
        for v in values:
            if step == "*":
                if isinstance(v, list):
                    nxt.extend(v)
                elif isinstance(v, dict):
                    nxt.extend(v[k] for k in sorted(v))
            elif isinstance(step, int):
                if isinstance(v, list) and -len(v) <= step < len(v):
                    nxt.append(v[step])
            elif isinstance(v, dict) and step in v:
                nxt.append(v[step])
        values = nxt
    return values


def _text(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"), sort_keys=True)
    return str(value)


_TOKEN = re.compile(r"\{([^{}]*)\}")


def _tokens(template: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    for m in _TOKEN.finditer(template):
        if m.start() > pos:
            out.append(("text", template[pos : m.start()]))
        out.append(("expr", m.group(1).strip()))
        pos = m.end()
    if pos < len(template):
        out.append(("text", template[pos:]))
    return out


def _eval(tokens, data) -> str:
    out, i = [], 0
    while i < len(tokens):
        kind, value = tokens[i]
        if kind == "text":
            out.append(value)
        elif value.startswith("range "):
            depth, j = 1, i + 1
            while j < len(tokens) and depth:
                if tokens[j][0] == "expr" and tokens[j][1].startswith("range "):
                    depth += 1
                elif tokens[j] == ("expr", "end"):
                    depth -= 1
                j += 1
            body = tokens[i + 1 : j - 1]
            for item in _walk([data], _steps(value[len("range ") :])):
                out.append(_eval(body, item))
            i = j
            continue
        elif value.startswith(('"', "'")):
            out.append(json.loads(value) if value[0] == '"' else value[1:-1])
        else:
            out.append(" ".join(_text(v) for v in _walk([data], _steps(value))))
        i += 1
    return "".join(out)


def render(template: str, data) -> str:
    """Evaluate a kubectl JSONPath template against ``data`` (an object or a ``List``)."""
    return _eval(_tokens(template), data)
