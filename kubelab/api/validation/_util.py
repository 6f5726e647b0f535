"""Shared helpers for the validators: defensive accessors, Go value rendering, common checks.

Validators receive defaulted objects but must never raise on odd input (a
learner's manifest can hold a string where an object belongs), so every access
goes through :func:`d` / :func:`lst` / :func:`integer`.
"""

from __future__ import annotations

import json
import math
from fractions import Fraction
from functools import lru_cache

from kubelab.api.naming import (
    is_dns1035_label,
    is_dns1123_label,
    is_dns1123_subdomain,
    is_qualified_name,
    is_valid_label_value,
    is_valid_port_name,
)
from kubelab.api.quantity import QuantityError, parse_quantity
from kubelab.errors import FieldError

__all__ = [
    "NEGATIVE",
    "PORT_RANGE",
    "d",
    "go_intstr",
    "go_label_selector",
    "go_map",
    "go_quantity_struct",
    "go_str",
    "integer",
    "labels_errors",
    "lst",
    "name_is_dns1035_label",
    "name_is_dns1123_label",
    "name_is_dns1123_subdomain",
    "nonnegative",
    "parse_qty",
    "port_num_or_name",
    "qty_string",
    "qualified_name",
]

NEGATIVE = "must be greater than or equal to 0"
PORT_RANGE = "must be between 1 and 65535, inclusive"


# --------------------------------------------------------------------------- defensive access


def d(value) -> dict:
    """``value`` if it is a dict, else an empty dict (a Go zero-value struct)."""
    return value if isinstance(value, dict) else {}


def lst(value) -> list:
    """``value`` if it is a list, else an empty list (a nil Go slice)."""
    return value if isinstance(value, list) else []


def integer(value) -> int | None:
    """``value`` if it is an int (not a bool), else ``None``."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


# --------------------------------------------------------------------------- name functions
# Upstream ValidateNameFunc(name, prefix): with prefix (generateName) a trailing '-' is allowed.


def _mask(name: str, prefix: bool) -> str:
    return name[:-1] + "a" if prefix and name.endswith("-") else name


@lru_cache(maxsize=4096)
def name_is_dns1123_subdomain(name: str, prefix: bool = False) -> tuple[str, ...]:
    return tuple(is_dns1123_subdomain(_mask(name, prefix)))


@lru_cache(maxsize=4096)
def name_is_dns1123_label(name: str, prefix: bool = False) -> tuple[str, ...]:
    return tuple(is_dns1123_label(_mask(name, prefix)))


@lru_cache(maxsize=4096)
def name_is_dns1035_label(name: str, prefix: bool = False) -> tuple[str, ...]:
    return tuple(is_dns1035_label(_mask(name, prefix)))


# --------------------------------------------------------------------------- labels


@lru_cache(maxsize=16384)
def _label_ok(key: str, value: str) -> bool:
    return not is_qualified_name(key) and not is_valid_label_value(value)


def labels_errors(labels, path: str) -> list[FieldError]:
    """``ValidateLabels`` with a fast path: label pairs seen before are known to be valid."""
    if not labels or not isinstance(labels, dict):
        return []
    for k, v in labels.items():
        if not (isinstance(k, str) and isinstance(v, str) and _label_ok(k, v)):
            break
    else:
        return []
    from kubelab.api.labels import validate_labels

    safe = {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in labels.items()}
    return validate_labels(safe, path)


# --------------------------------------------------------------------------- common checks


def nonnegative(value, path: str) -> list[FieldError]:
    """``ValidateNonnegativeField``."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
        return [FieldError.invalid(path, value, NEGATIVE)]
    return []


def port_num_or_name(port, path: str) -> list[FieldError]:
    """``ValidatePortNumOrName``: an int port number or an IANA service port name."""
    if isinstance(port, bool):
        return []
    if isinstance(port, int):
        return [] if 1 <= port <= 65535 else [FieldError.invalid(path, port, PORT_RANGE)]
    if isinstance(port, str):
        return [FieldError.invalid(path, port, m) for m in is_valid_port_name(port)]
    return []


# --------------------------------------------------------------------------- quantities

_DEC_SUFFIX = {-9: "n", -6: "u", -3: "m", 0: "", 3: "k", 6: "M", 9: "G", 12: "T", 15: "P", 18: "E"}
_BIN_SUFFIX = ("", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei")


def parse_qty(value) -> Fraction | None:
    """The quantity's exact value, or ``None`` when it does not parse (cached: pods repeat them)."""
    if isinstance(value, str | int) and not isinstance(value, bool):
        return _parse_cached(value)
    try:
        return parse_quantity(value)
    except (QuantityError, TypeError, ValueError, ZeroDivisionError):
        return None


@lru_cache(maxsize=4096)
def _parse_cached(value: str | int) -> Fraction | None:
    try:
        return parse_quantity(value)
    except (QuantityError, TypeError, ValueError, ZeroDivisionError):
        return None


@lru_cache(maxsize=4096)
def qualified_name(value: str) -> tuple[str, ...]:
    """``IsQualifiedName`` messages, cached (label keys and resource names repeat a lot)."""
    return tuple(is_qualified_name(value))


@lru_cache(maxsize=4096)
def _qty_string(text: str) -> str:
    value = parse_quantity(text)
    stripped = text.strip()
    if stripped[-2:] in _BIN_SUFFIX[1:]:
        fmt = "bin"
    elif "e" in stripped.lower():
        fmt = "exp"
    else:
        fmt = "dec"
    sign = "-" if value < 0 else ""
    value = abs(value)
    if fmt == "bin" and (value < 1024 or value.denominator != 1):
        fmt = "dec"  # upstream shows small or fractional binary quantities as DecimalSI
    if fmt == "bin":
        n, k = int(value), 0
        while n and n % 1024 == 0 and k < 6:
            n //= 1024
            k += 1
        return f"{sign}{n}{_BIN_SUFFIX[k]}"
    nanos = math.ceil(value * 10**9)  # Quantity keeps at most nano precision, rounding up
    if nanos == 0:
        return "0"
    exp = -9
    while nanos % 1000 == 0 and exp < 18:
        nanos //= 1000
        exp += 3
    if fmt == "exp":
        return f"{sign}{nanos}" + (f"e{exp}" if exp else "")
    return f"{sign}{nanos}{_DEC_SUFFIX[exp]}"


def qty_string(value) -> str:
    """``Quantity.String()``: the canonical form (``2000m`` → ``2``, ``1024Mi`` → ``1Gi``)."""
    if isinstance(value, bool):
        return str(value)
    try:
        return _qty_string(str(value))
    except (QuantityError, ValueError, ZeroDivisionError):
        return str(value)


def go_quantity_struct(value) -> str:
    """``%#v`` of a ``resource.Quantity`` (what errors print when a Quantity struct is the value)."""
    text = qty_string(value)
    q = parse_qty(value) or Fraction(0)
    scale, n = 0, q
    while n.denominator != 1 and scale > -9:
        n *= 1000
        scale -= 3
    n = math.ceil(n)
    while n and n % 10 == 0:
        n //= 10
        scale += 1
    fmt = "BinarySI" if text[-2:] in _BIN_SUFFIX[1:] else "DecimalSI"
    return (
        f"resource.Quantity{{i:resource.int64Amount{{value:{n}, scale:{scale}}}, "
        f"d:resource.infDecAmount{{Dec:(*inf.Dec)(nil)}}, s:{json.dumps(text)}, Format:{json.dumps(fmt)}}}"
    )


# --------------------------------------------------------------------------- Go %#v renderings


def go_str(value) -> str:
    """Go ``%q`` of a string (JSON escaping is close enough for label-ish text)."""
    return json.dumps(value if isinstance(value, str) else str(value), ensure_ascii=False)


def go_map(value, nil: str = "map[string]string(nil)") -> str:
    """``%#v`` of a ``map[string]string``; ``None`` is a nil map."""
    if not isinstance(value, dict):
        return nil
    body = ", ".join(
        f"{go_str(k)}:{go_str(v)}" for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))
    )
    return "map[string]string{" + body + "}"


def _go_strings(values) -> str:
    if not isinstance(values, list):
        return "[]string(nil)"
    return "[]string{" + ", ".join(go_str(v) for v in values) + "}"


def go_label_selector(ls) -> str:
    """``%#v`` of a ``metav1.LabelSelector``, as clusters print it in validation errors.

    Examples
    --------
    >>> go_label_selector({"matchLabels": {"app": "web"}})
    'v1.LabelSelector{MatchLabels:map[string]string{"app":"web"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}'
    """
    ls = d(ls)
    exprs = ls.get("matchExpressions")
    if isinstance(exprs, list):
        items = []
        for e in exprs:
            e = d(e)
            items.append(
                f"v1.LabelSelectorRequirement{{Key:{go_str(e.get('key') or '')}, "
                f"Operator:{go_str(e.get('operator') or '')}, Values:{_go_strings(e.get('values'))}}}"
            )
        rendered = "[]v1.LabelSelectorRequirement{" + ", ".join(items) + "}"
    else:
        rendered = "[]v1.LabelSelectorRequirement(nil)"
    return f"v1.LabelSelector{{MatchLabels:{go_map(ls.get('matchLabels'))}, MatchExpressions:{rendered}}}"


def go_intstr(value) -> str:
    """``%#v`` of an ``intstr.IntOrString`` (its ``String()`` has a pointer receiver).

    Examples
    --------
    >>> go_intstr(0), go_intstr("120%")
    ('intstr.IntOrString{Type:0, IntVal:0, StrVal:""}', 'intstr.IntOrString{Type:1, IntVal:0, StrVal:"120%"}')
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return f'intstr.IntOrString{{Type:0, IntVal:{value}, StrVal:""}}'
    return f"intstr.IntOrString{{Type:1, IntVal:0, StrVal:{go_str(value if value is not None else '')}}}"
