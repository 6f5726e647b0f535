"""Command-line flags the way kubectl (cobra + pflag) reads them.

``--name=value``, ``--name value``, ``-n value``, ``-nvalue``, boolean flags
with or without ``=true``, repeated list flags, and ``--`` ending the flags.
Mistakes raise :class:`UsageError` worded as kubectl words them.

Examples
--------
>>> spec = [Flag("namespace", "n"), Flag("all-namespaces", "A", bool), Flag("output", "o")]
>>> values, args = parse(["pods", "-n", "shop", "-A", "--output=wide"], spec)
>>> values["namespace"], values["all-namespaces"], values["output"], args
('shop', True, 'wide', ['pods'])
>>> parse(["--foo"], spec)
Traceback (most recent call last):
...
kubelab.kubectl.flags.UsageError: unknown flag: --foo
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = ["Flag", "UsageError", "parse"]


class UsageError(Exception):
    """A command line kubectl would refuse before talking to the API server."""


@dataclass(frozen=True)
class Flag:
    """One flag: long ``name``, optional one-letter ``short``, a type and a default."""

    name: str
    short: str = ""
    type: Any = str  # str, bool, int or list (repeatable)
    default: Any = None


_TRUE = {"1", "t", "T", "true", "TRUE", "True"}
_FALSE = {"0", "f", "F", "false", "FALSE", "False"}


def _convert(flag: Flag, raw: str, shown: str):
    if flag.type is bool:
        if raw in _TRUE:
            return True
        if raw in _FALSE:
            return False
        raise UsageError(
            f'invalid argument "{raw}" for "{shown}" flag: strconv.ParseBool: parsing "{raw}": invalid syntax'
        )
    if flag.type is int:
        value = parse_go_int(raw)
        if isinstance(value, str):
            raise UsageError(
                f'invalid argument "{raw}" for "{shown}" flag: strconv.ParseInt: parsing "{raw}": {value}'
            )
        return value
    return raw


_GO_INT = re.compile(r"[+-]?(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|0[0-7_]*|[1-9][0-9_]*)\Z")


def parse_go_int(raw: str) -> int | str:
    """pflag's ``strconv.ParseInt(raw, 0, 64)``: the value, or Go's reason it is not one.

    Examples
    --------
    >>> parse_go_int("3"), parse_go_int("0x10"), parse_go_int("010"), parse_go_int("-1_000")
    (3, 16, 8, -1000)
    >>> parse_go_int("99999999999999999999"), parse_go_int(" 2"), parse_go_int("1.5")
    ('value out of range', 'invalid syntax', 'invalid syntax')
    """
    text = raw.lstrip("+-")
    if not _GO_INT.match(raw) or text.startswith("_") or text.endswith("_") or "__" in text:
        return "invalid syntax"
    digits = text.replace("_", "")
    if len(digits) > 1 and digits[0] == "0" and digits[1] not in "xXbBoO":
        digits = "0o" + digits[1:]  # Go's base 0: a leading 0 means octal
    value = int(digits, 0) * (-1 if raw.startswith("-") else 1)
    return value if -(2**63) <= value < 2**63 else "value out of range"


def parse(argv: list[str], spec: list[Flag]) -> tuple[dict, list[str]]:
    """Split ``argv`` into flag values (by long name) and positional arguments."""
    by_long = {f.name: f for f in spec}
    by_short = {f.short: f for f in spec if f.short}
    values: dict[str, Any] = {f.name: ([] if f.type is list else f.default) for f in spec}
    if any(f.type is bool for f in spec):
        for f in spec:
            if f.type is bool and f.default is None:
                values[f.name] = False
    args: list[str] = []
    i = 0
    while i < len(argv):
        token = argv[i]
        i += 1
        if token == "--":
            args.extend(argv[i:])
            break
        if token.startswith("--") and len(token) > 2:
            name, eq, raw = token[2:].partition("=")
            flag = by_long.get(name)
            shown = f"--{name}"
            if flag is None:
                raise UsageError(f"unknown flag: {shown}")
        elif token.startswith("-") and len(token) > 1:
            letter, rest = token[1], token[2:]
            flag = by_short.get(letter)
            shown = f"-{letter}, --{flag.name}" if flag else ""
            if flag is None:
                raise UsageError(f"unknown shorthand flag: '{letter}' in {token}")
            eq, raw = (
                ("=", rest[1:]) if rest.startswith("=") else (("=", rest) if rest else ("", ""))
            )
            if flag.type is bool and rest and not rest.startswith("="):
                raise UsageError(f"unknown shorthand flag: '{rest[0]}' in {token}")
        else:
            args.append(token)
            continue
        if not eq:
            if flag.type is bool:
                raw = "true"
            elif i < len(argv):
                raw = argv[i]
                i += 1
            else:
                where = shown if token.startswith("--") else f"'{token[1]}' in {token}"
                raise UsageError(f"flag needs an argument: {where}")
        value = _convert(flag, raw, shown)
        if flag.type is list:
            values[flag.name].append(raw)
        else:
            values[flag.name] = value
    return values, args
