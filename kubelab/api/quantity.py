"""Kubernetes resource quantities: ``500m`` CPU, ``128Mi`` memory, ``1e3``, ``2``.

Mirrors ``k8s.io/apimachinery/pkg/api/resource.Quantity`` closely enough for
requests, limits and capacities. Values are exact (``fractions.Fraction``).

Examples
--------
>>> parse_quantity("500m")
Fraction(1, 2)
>>> cpu_millis("250m"), cpu_millis(2), cpu_millis("0.1")
(250, 2000, 100)
>>> memory_bytes("128Mi"), memory_bytes("1G"), memory_bytes("1e3")
(134217728, 1000000000, 1000)
>>> format_cpu(1500), format_memory(134217728)
('1500m', '128Mi')
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

from kubelab.api.limits import MAX_QUANTITY, MAX_QUANTITY_EXPONENT

__all__ = [
    "QuantityError",
    "cpu_millis",
    "format_cpu",
    "format_memory",
    "is_quantity",
    "memory_bytes",
    "parse_quantity",
]

_SUFFIXES = {
    "": Fraction(1),
    "n": Fraction(1, 10**9),
    "u": Fraction(1, 10**6),
    "m": Fraction(1, 1000),
    "k": Fraction(10**3),
    "M": Fraction(10**6),
    "G": Fraction(10**9),
    "T": Fraction(10**12),
    "P": Fraction(10**15),
    "E": Fraction(10**18),
    "Ki": Fraction(2**10),
    "Mi": Fraction(2**20),
    "Gi": Fraction(2**30),
    "Ti": Fraction(2**40),
    "Pi": Fraction(2**50),
    "Ei": Fraction(2**60),
}
_PATTERN = re.compile(
    r"^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$"
)


_MAX_VALUE = Fraction(MAX_QUANTITY)  # the bounds and why: kubelab.api.limits
_NUMERIC = "unable to parse quantity's numeric part"


class QuantityError(ValueError):
    """Raised for strings that are not quantities; the message is the API server's."""


def parse_quantity(value: str | int | float) -> Fraction:
    """Parse a quantity into an exact number of base units (cores, bytes)."""
    if isinstance(value, bool):
        raise QuantityError(
            "quantities must match the regular expression "
            "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
        )
    if isinstance(value, int):
        return _bounded(Fraction(value))
    if isinstance(value, float):
        if not math.isfinite(value):
            raise QuantityError(_NUMERIC)
        return _bounded(Fraction(value).limit_denominator(10**9))
    text = str(value).strip()
    if len(text) > 64:  # no quantity within bounds is written with this many characters
        raise QuantityError(_NUMERIC)
    match = _PATTERN.match(text)
    if not match:
        raise QuantityError(
            "quantities must match the regular expression "
            "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
        )
    number, exponent, suffix = match.groups()
    amount = Fraction(number)
    if exponent:
        power = int(exponent[1:])
        if abs(power) > MAX_QUANTITY_EXPONENT:
            raise QuantityError(_NUMERIC)
        amount *= Fraction(10) ** power
    return _bounded(amount * _SUFFIXES[suffix or ""])


def _bounded(amount: Fraction) -> Fraction:
    """The amount, or ``QuantityError`` past kubelab's bound (``1e400``, ``99999999999999999999999Ei``)."""
    if abs(amount) > _MAX_VALUE:
        raise QuantityError(_NUMERIC)
    return amount


def is_quantity(value) -> bool:
    """True if ``value`` parses as a quantity."""
    try:
        parse_quantity(value)
    except QuantityError:
        return False
    return True


def cpu_millis(value) -> int:
    """CPU in millicores, rounded up as the API server rounds sub-milli CPU."""
    return math.ceil(parse_quantity(value) * 1000)


def memory_bytes(value) -> int:
    """Memory (or storage) in bytes, rounded up."""
    return math.ceil(parse_quantity(value))


def format_cpu(millis: int) -> str:
    """Canonical CPU text: whole cores as ``2``, otherwise ``1500m``."""
    return str(millis // 1000) if millis % 1000 == 0 else f"{millis}m"


def format_memory(nbytes: int) -> str:
    """Canonical memory text: the largest binary suffix that divides exactly (``128Mi``)."""
    for suffix in ("Ei", "Pi", "Ti", "Gi", "Mi", "Ki"):
        unit = int(_SUFFIXES[suffix])
        if nbytes and nbytes % unit == 0:
            return f"{nbytes // unit}{suffix}"
    return str(nbytes)
