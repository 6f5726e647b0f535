"""The exit code of a short ``python3 -c`` script, as the documentation's Job examples use them.

Jobs in the docs branch on ``JOB_COMPLETION_INDEX`` and leave with ``sys.exit(N)``. This
walks the script's syntax tree (never executing it) over a small, safe subset: imports,
assignments, ``print``, ``if``/``elif``/``else``, ``sys.exit``/``exit``, ``os.environ``
look-ups, ``int``/``str``, arithmetic and comparisons. Anything else makes the result
unknown (``None``), and the image's default behaviour applies.

Examples
--------
>>> script = '''import os, sys
... if int(os.environ.get("JOB_COMPLETION_INDEX")) % 2 == 0:
...   sys.exit(1)'''
>>> exit_code(script, {"JOB_COMPLETION_INDEX": "4"}), exit_code(script, {"JOB_COMPLETION_INDEX": "3"})
(1, 0)
>>> exit_code("while True: pass", {}) is None
True
>>> exit_code("x = 'a' * 1000000000", {}) is None   # never evaluated
True
"""

from __future__ import annotations

import ast
import operator

__all__ = ["exit_code"]

_BINOPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Mod: operator.mod,
    ast.FloorDiv: operator.floordiv,
}
_CMPOPS = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}


class _Unknown(Exception):
    pass


class _Exit(Exception):
    def __init__(self, code: int):
        self.code = code


MAX_SCRIPT = 100_000  # characters of a python3 -c script kubelab reads; longer: cannot tell


def exit_code(script: str, env: dict) -> int | None:
    """The code the script exits with (0 when it runs off the end); None: cannot tell."""
    if len(script) > MAX_SCRIPT:
        return None
    try:
        tree = ast.parse(script)
    except SyntaxError:
        return 1  # python3 reports the SyntaxError and exits 1
    except (RecursionError, MemoryError):  # nested too deeply for this reading: cannot tell
        return None
    names: dict = {}
    try:
        _run(tree.body, names, env)
    except _Exit as done:
        return done.code & 0xFF  # what the kernel keeps of an exit status
    except (_Unknown, TypeError, ValueError, ZeroDivisionError, KeyError, IndexError):
        return None
    except (RecursionError, MemoryError, OverflowError):
        return None
    return 0


def _run(body: list, names: dict, env: dict) -> None:
    for stmt in body:
        if isinstance(stmt, ast.Import | ast.ImportFrom | ast.Pass):
            continue
        if isinstance(stmt, ast.Assign) and all(isinstance(t, ast.Name) for t in stmt.targets):
            value = _eval(stmt.value, names, env)
            for target in stmt.targets:
                names[target.id] = value
        elif isinstance(stmt, ast.Expr):
            _eval(stmt.value, names, env)
        elif isinstance(stmt, ast.If):
            _run(stmt.body if _eval(stmt.test, names, env) else stmt.orelse, names, env)
        else:
            raise _Unknown(type(stmt).__name__)


def _eval(node, names: dict, env: dict):
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in names:
            return names[node.id]
        raise _Unknown(node.id)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        left, right = _eval(node.left, names, env), _eval(node.right, names, env)
        if isinstance(node.op, ast.Mult) and isinstance(left, str | list) | isinstance(
            right, str | list
        ):
            raise _Unknown("sequence repetition")  # "a" * 10**9 would exhaust memory
        if (
            isinstance(left, int)
            and isinstance(right, int)
            and (left.bit_length() + right.bit_length() > 4096)
        ):
            raise _Unknown("huge number")  # x = x * x, repeated, would never end
        return _BINOPS[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return not _eval(node.operand, names, env)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_eval(node.operand, names, env)
    if isinstance(node, ast.BoolOp):
        values = (_eval(v, names, env) for v in node.values)
        return all(values) if isinstance(node.op, ast.And) else any(values)
    if isinstance(node, ast.Compare):
        left = _eval(node.left, names, env)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = _eval(right_node, names, env)
            if type(op) not in _CMPOPS or not _CMPOPS[type(op)](left, right):
                return False
            left = right
        return True
    if isinstance(node, ast.Subscript) and _dotted(node.value) == "os.environ":
        return env[_eval(node.slice, names, env)]
    if isinstance(node, ast.Call):
        return _call(node, names, env)
    raise _Unknown(type(node).__name__)


def _call(node: ast.Call, names: dict, env: dict):
    func = _dotted(node.func)
    args = [_eval(a, names, env) for a in node.args]
    if func in ("sys.exit", "exit", "quit"):
        value = args[0] if args else 0
        code = int(value) if isinstance(value, int) else (0 if value is None else 1)
        raise _Exit(code)  # sys.exit(True) is 1; a message exits 1
    if func in ("os.environ.get", "os.getenv"):
        return env.get(args[0], args[1] if len(args) > 1 else None)
    if func == "print":
        return None
    if func == "int":
        return int(*args)
    if func == "str":
        return str(*args)
    raise _Unknown(func)


def _dotted(node) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""
