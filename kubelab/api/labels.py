"""Label selectors: the full upstream grammar, ``metav1.LabelSelector`` → :class:`Selector`.

Mirrors ``k8s.io/apimachinery/pkg/labels`` (``Parse``, ``NewRequirement``,
``SelectorFromSet``), ``meta/v1/helpers.go`` (``LabelSelectorAsSelector``) and
``meta/v1/validation`` (``ValidateLabelSelector``, ``ValidateLabels``), with the
same error messages, so ``kubectl get pods -l '...'`` fails exactly as it does
against a real API server.

Operators (the strings of upstream ``selection.Operator``):

========== =============== ======================================================
operator   written as      matches when
========== =============== ======================================================
``=``      ``k=v``         the label is present and equal to ``v``
``==``     ``k==v``        same as ``=``
``!=``     ``k!=v``        the label is absent, or present with another value
``in``     ``k in (a,b)``  the label is present with one of the values
``notin``  ``k notin (a)`` the label is absent, or its value is none of them
``exists`` ``k``           the label is present (any value)
``!``      ``!k``          the label is absent
``gt``     ``k>3``         the value is an integer greater than 3 (node affinity)
``lt``     ``k<3``         the value is an integer less than 3
========== =============== ======================================================

Examples
--------
>>> sel = parse("tier in (web,cache), app=shop, !canary")
>>> str(sel)
'app=shop,!canary,tier in (cache,web)'
>>> sel.matches({"app": "shop", "tier": "web"})
True
>>> sel.matches({"app": "shop", "tier": "web", "canary": "true"})
False
>>> from_label_selector({"matchLabels": {"app": "web"},
...                      "matchExpressions": [{"key": "tier", "operator": "In", "values": ["b", "a"]}]})
Selector('app=web,tier in (a,b)')
>>> parse("app=web,,x")
Traceback (most recent call last):
...
kubelab.api.labels.SelectorError: found ',', expected: identifier after ','
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from kubelab.api.naming import is_qualified_name, is_valid_label_value
from kubelab.errors import FieldError

__all__ = [
    "OPERATORS",
    "Requirement",
    "Selector",
    "SelectorError",
    "everything",
    "format_label_selector",
    "from_label_selector",
    "from_set",
    "nothing",
    "operator_values_errors",
    "parse",
    "to_string",
    "validate_label_selector",
    "validate_labels",
]

# Upstream order of validRequirementOperators (binary, then unary): it appears in messages.
OPERATORS = ("in", "notin", "=", "==", "!=", "gt", "lt", "exists", "!")
_LS_OPERATORS = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}


class SelectorError(ValueError):
    """A selector string or ``LabelSelector`` that cannot be turned into a :class:`Selector`."""


# --------------------------------------------------------------------------- requirements

_INT_RE = re.compile(r"[+-]?[0-9]+\Z")


def _parse_int(text: str) -> int | None:
    """Go's ``strconv.ParseInt(text, 10, 64)``: no spaces, no underscores, int64 range."""
    if not _INT_RE.match(text):
        return None
    value = int(text)
    return value if -(2**63) <= value < 2**63 else None


def _aggregate(errors: list[FieldError]) -> str:
    """``utilerrors.Aggregate.Error()``: one message alone, several as ``[a, b]``."""
    msgs = list(dict.fromkeys(str(e) for e in errors))
    return msgs[0] if len(msgs) == 1 else "[" + ", ".join(msgs) + "]"


def _child(path: str | None, name: str) -> str:
    return f"{path}.{name}" if path else name


def _requirement_errors(key, operator, values, path=None) -> list[FieldError]:
    """``NewRequirement``'s checks, in upstream order; ``values`` may be None (Go's nil)."""
    errs: list[FieldError] = []
    vals, vpath = list(values or ()), _child(path, "values")
    shown = "[]string(nil)" if values is None else None  # Go prints nil and empty slices apart

    def bad(field: str, value, detail: str, raw: str | None = None) -> None:
        errs.append(FieldError(field, "Invalid value", value, detail, raw))

    if key_msgs := is_qualified_name(key):
        bad(_child(path, "key"), key, "; ".join(key_msgs))
    if operator in ("in", "notin"):
        if not vals:
            bad(vpath, vals, "for 'in', 'notin' operators, values set can't be empty", shown)
    elif operator in ("=", "==", "!="):
        if len(vals) != 1:
            bad(vpath, vals, "exact-match compatibility requires one single value", shown)
    elif operator in ("exists", "!"):
        if vals:
            bad(vpath, vals, "values set must be empty for exists and does not exist")
    elif operator in ("gt", "lt"):
        if len(vals) != 1:
            bad(vpath, vals, "for 'Gt', 'Lt' operators, exactly one value is required", shown)
        for i, v in enumerate(vals):
            if _parse_int(v) is None:
                bad(f"{vpath}[{i}]", v, "for 'Gt', 'Lt' operators, the value must be an integer")
    else:
        errs.append(FieldError.not_supported(_child(path, "operator"), operator, OPERATORS))
    for i, v in enumerate(vals):
        if msgs := is_valid_label_value(v):
            bad(f"{vpath}[{i}][{key}]", v, "; ".join(msgs))
    return errs


@dataclass(frozen=True, slots=True)
class Requirement:
    """One ``key operator values`` term of a selector (upstream ``labels.Requirement``).

    Construction validates like ``NewRequirement`` and raises :class:`SelectorError`
    with the upstream message; ``values`` are stored sorted and de-duplicated.

    Examples
    --------
    >>> r = Requirement("tier", "notin", ["web", "db"])
    >>> str(r), r.values
    ('tier notin (db,web)', ('db', 'web'))
    >>> r.matches({}), r.matches({"tier": "web"})
    (True, False)
    >>> Requirement("x", "in", [])
    Traceback (most recent call last):
    ...
    kubelab.api.labels.SelectorError: values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty
    """

    key: str
    operator: str
    values: tuple[str, ...] = ()

    def __post_init__(self):
        if isinstance(self.values, str):  # "a" would silently become ("a",) per character
            raise TypeError("Requirement values must be a list of strings, not a string")
        errs = _requirement_errors(self.key, self.operator, self.values)
        if errs:
            raise SelectorError(_aggregate(errs))
        object.__setattr__(self, "values", tuple(sorted(set(self.values or ()))))

    @classmethod
    def trusted(cls, key: str, operator: str, values: Iterable[str] = ()) -> Requirement:
        """Build without validation, like upstream's struct literal (``SelectorFromValidatedSet``)."""
        req = object.__new__(cls)
        object.__setattr__(req, "key", key)
        object.__setattr__(req, "operator", operator)
        object.__setattr__(req, "values", tuple(sorted(set(values))))
        return req

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        """Whether a label set satisfies this requirement (upstream ``Requirement.Matches``)."""
        return _match_one(_compile(self), labels or {})

    def __str__(self) -> str:
        op, key, vals = self.operator, self.key, ",".join(self.values)
        if op == "exists":
            return key
        if op == "!":
            return "!" + key
        if op in ("in", "notin"):
            return f"{key} {op} ({vals})"
        return key + {"gt": ">", "lt": "<"}.get(op, op) + vals


# Compiled form of a requirement, so Selector.matches is a tight loop without method calls.
_EQ, _IN, _NE, _NOTIN, _EXISTS, _ABSENT, _GT, _LT, _NEVER = range(9)
_MISSING = object()


def _compile(r: Requirement) -> tuple:
    op, vals = r.operator, r.values
    if op in ("=", "==", "in"):
        return (_EQ, r.key, vals[0]) if len(vals) == 1 else (_IN, r.key, frozenset(vals))
    if op in ("!=", "notin"):
        return (_NE, r.key, vals[0]) if len(vals) == 1 else (_NOTIN, r.key, frozenset(vals))
    if op == "exists":
        return (_EXISTS, r.key, None)
    if op == "!":
        return (_ABSENT, r.key, None)
    if op in ("gt", "lt") and len(vals) == 1 and _parse_int(vals[0]) is not None:
        return (_GT if op == "gt" else _LT, r.key, _parse_int(vals[0]))
    return (_NEVER, r.key, None)  # the zero Requirement and broken Gt/Lt match nothing


def _match_one(test: tuple, labels: Mapping[str, str]) -> bool:
    code, key, arg = test
    v = labels.get(key, _MISSING)
    if code == _EQ:
        return v == arg
    if code == _IN:
        return v in arg
    if code == _NE:
        return v != arg
    if code == _NOTIN:
        return v not in arg
    if code == _EXISTS:
        return v is not _MISSING
    if code == _ABSENT:
        return v is _MISSING
    if code in (_GT, _LT) and v is not _MISSING:
        n = _parse_int(v)
        return n is not None and (n > arg if code == _GT else n < arg)
    return False


# --------------------------------------------------------------------------- selectors


class Selector:
    """An immutable AND of :class:`Requirement` s, sorted by key (upstream ``internalSelector``).

    Build one with :func:`parse`, :func:`from_set`, :func:`from_label_selector`,
    :func:`everything` or :func:`nothing`.

    Examples
    --------
    >>> s = parse("x=a,a=x")
    >>> s, s == parse("a=x, x=a"), s.empty
    (Selector('a=x,x=a'), True, False)
    >>> s.equality_pairs()
    (('a', 'x'), ('x', 'a'))
    >>> everything().matches(None), nothing().matches({"a": "x"})
    (True, False)
    """

    __slots__ = ("_canon", "_nothing", "_reqs", "_tests")

    def __init__(self, requirements: Iterable[Requirement] = (), *, _nothing: bool = False):
        reqs = tuple(sorted(requirements, key=lambda r: r.key))  # stable, as Go's small sorts
        self._reqs = reqs
        self._nothing = _nothing
        self._tests = tuple(_compile(r) for r in reqs)
        # Equality ignores the order of requirements sharing a key.
        self._canon = tuple(sorted((r.key, r.operator, r.values) for r in reqs))

    @property
    def requirements(self) -> tuple[Requirement, ...]:
        """The requirements, sorted by key."""
        return self._reqs

    @property
    def empty(self) -> bool:
        """True when the selector does not restrict anything (``everything()``)."""
        return not self._reqs and not self._nothing

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        """Whether a label set (``None`` = no labels) satisfies every requirement."""
        if self._nothing:
            return False
        if labels is None:
            labels = _NO_LABELS
        get = labels.get
        for code, key, arg in self._tests:  # inlined _match_one: this runs for every pod × owner
            v = get(key, _MISSING)
            if code == _EQ:
                if v != arg:
                    return False
            elif code == _IN:
                if v not in arg:
                    return False
            elif code == _NE:
                if v == arg:
                    return False
            elif code == _NOTIN:
                if v in arg:
                    return False
            elif code == _EXISTS:
                if v is _MISSING:
                    return False
            elif code == _ABSENT:
                if v is not _MISSING:
                    return False
            elif not _match_one((code, key, arg), labels):
                return False
        return True

    def add(self, *requirements: Requirement) -> Selector:
        """A new selector with more requirements (``nothing()`` stays nothing)."""
        if self._nothing:
            return self
        return Selector(self._reqs + requirements)

    def equality_pairs(self) -> tuple[tuple[str, str], ...]:
        """``(key, value)`` pairs every matching label set must contain (``=``, ``==``,
        single-value ``in``), for indexed lookups by informers."""
        return tuple(
            (r.key, r.values[0])
            for r in self._reqs
            if r.operator in ("=", "==", "in") and len(r.values) == 1
        )

    def requires_exact_match(self, key: str) -> str | None:
        """The value ``key`` must have, if the selector pins it (upstream ``RequiresExactMatch``)."""
        for r in self._reqs:
            if r.key == key:
                if r.operator in ("=", "==", "in") and len(r.values) == 1:
                    return r.values[0]
                return None
        return None

    def __str__(self) -> str:
        return ",".join(str(r) for r in self._reqs)

    def __repr__(self) -> str:
        return "labels.nothing()" if self._nothing else f"Selector({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Selector):
            return NotImplemented
        return self._nothing == other._nothing and self._canon == other._canon

    def __hash__(self) -> int:
        return hash((self._nothing, self._canon))


_NO_LABELS: dict[str, str] = {}
_EVERYTHING = Selector()
_NOTHING = Selector(_nothing=True)


def everything() -> Selector:
    """The selector that matches every label set (an empty selector)."""
    return _EVERYTHING


def nothing() -> Selector:
    """The selector that matches no object: what a nil ``metav1.LabelSelector`` means."""
    return _NOTHING


def from_set(labels: Mapping[str, str] | None) -> Selector:
    """Equality selector for a plain map (RC and Service selectors); empty → :func:`everything`.

    Like upstream ``SelectorFromSet`` this does not validate.

    Examples
    --------
    >>> from_set({"tier": "web", "app": "shop"})
    Selector('app=shop,tier=web')
    >>> from_set({}).empty
    True
    """
    if not labels:
        return _EVERYTHING
    return Selector(Requirement.trusted(k, "=", (v,)) for k, v in labels.items())


def from_label_selector(ls: Mapping | None) -> Selector:
    """``metav1.LabelSelector`` (``matchLabels`` + ``matchExpressions``) → :class:`Selector`.

    ``None`` → :func:`nothing`; ``{}`` → :func:`everything` (``LabelSelectorAsSelector``).

    Examples
    --------
    >>> from_label_selector(None).matches({"app": "web"})
    False
    >>> from_label_selector({}).matches({"app": "web"})
    True
    >>> from_label_selector({"matchExpressions": [{"key": "a", "operator": "Foo"}]})
    Traceback (most recent call last):
    ...
    kubelab.api.labels.SelectorError: "Foo" is not a valid pod selector operator
    """
    if ls is None:
        return _NOTHING
    match_labels = ls.get("matchLabels") or {}
    exprs = ls.get("matchExpressions") or []
    if not match_labels and not exprs:
        return _EVERYTHING
    reqs = [Requirement(k, "=", (v,)) for k, v in sorted(match_labels.items())]
    for expr in exprs:
        op = _LS_OPERATORS.get(expr.get("operator"))
        if op is None:
            raise SelectorError(
                f"{json.dumps(expr.get('operator') or '')} is not a valid pod selector operator"
            )
        # Go copies Values with append([]string(nil), ...): empty values are nil.
        reqs.append(Requirement(expr.get("key") or "", op, expr.get("values") or None))
    return Selector(reqs)


def to_string(ls: Mapping | None) -> str:
    """The selector string of a ``LabelSelector`` (``""`` for ``{}`` and ``None``).

    Examples
    --------
    >>> to_string({"matchLabels": {"app": "web"},
    ...            "matchExpressions": [{"key": "tier", "operator": "In", "values": ["b", "a"]}]})
    'app=web,tier in (a,b)'
    """
    return str(from_label_selector(ls))


def format_label_selector(ls: Mapping | None) -> str:
    """kubectl's SELECTOR column (``metav1.FormatLabelSelector``): ``<none>`` / ``<error>``.

    Examples
    --------
    >>> format_label_selector({}), format_label_selector({"matchLabels": {"app": "web"}})
    ('<none>', 'app=web')
    """
    try:
        text = str(from_label_selector(ls))
    except SelectorError:
        return "<error>"
    return text or "<none>"


# --------------------------------------------------------------------------- parser

# Token kinds of the upstream lexer.
_ERR, _EOS, _CLOSE, _COMMA, _NOT, _DEQ, _EQ_T, _GT_T, _ID, _IN_T, _LT_T, _NEQ, _NOTIN_T, _OPEN = (
    range(14)
)
_TOKENS = {
    ")": _CLOSE,
    ",": _COMMA,
    "!": _NOT,
    "==": _DEQ,
    "=": _EQ_T,
    ">": _GT_T,
    "in": _IN_T,
    "<": _LT_T,
    "!=": _NEQ,
    "notin": _NOTIN_T,
    "(": _OPEN,
}
_SPECIAL = frozenset("=!(),><")
_SPACE = frozenset(" \t\r\n")
_OP_OF_TOKEN = {
    _IN_T: "in",
    _NOTIN_T: "notin",
    _EQ_T: "=",
    _DEQ: "==",
    _NEQ: "!=",
    _GT_T: "gt",
    _LT_T: "lt",
}


def _lex(text: str) -> list[tuple[int, str]]:
    """Upstream ``Lexer``: identifiers end at whitespace or a special symbol; the longest
    special-symbol token wins (``!=`` is one token); ``in``/``notin`` are keywords."""
    items, pos, n = [], 0, len(text)
    while True:
        while pos < n and text[pos] in _SPACE:
            pos += 1
        if pos >= n:
            items.append((_EOS, ""))
            return items
        if text[pos] in _SPECIAL:
            buf, last = "", None
            while pos < n and text[pos] in _SPECIAL:
                buf += text[pos]
                if buf in _TOKENS:
                    last = (_TOKENS[buf], buf)
                elif last is not None:
                    break
                pos += 1
            items.append(last or (_ERR, f"error expected: keyword found '{buf}'"))
        else:
            start = pos
            while pos < n and text[pos] not in _SPECIAL and text[pos] not in _SPACE:
                pos += 1
            word = text[start:pos]
            items.append((_TOKENS.get(word, _ID), word))


class _Parser:
    """Upstream ``Parser``: recursive descent over the scanned tokens. In the *values*
    context the keywords ``in``/``notin`` are plain identifiers (``notin=in`` is valid)."""

    def __init__(self, text: str):
        self.items, self.pos = _lex(text), 0

    def peek(self, values: bool = True) -> tuple[int, str]:
        tok, lit = self.items[self.pos]
        return (_ID if values and tok in (_IN_T, _NOTIN_T) else tok), lit

    def take(self, values: bool = True) -> tuple[int, str]:
        item = self.peek(values)
        self.pos += 1
        return item

    def parse(self) -> list[Requirement]:
        reqs: list[Requirement] = []
        while True:
            tok, lit = self.peek()
            if tok == _EOS:
                return reqs
            if tok not in (_ID, _NOT):
                raise SelectorError(f"found '{lit}', expected: !, identifier, or 'end of string'")
            try:
                reqs.append(self.requirement())
            except SelectorError as err:
                raise SelectorError(f"unable to parse requirement: {err}") from None
            tok, lit = self.take()
            if tok == _EOS:
                return reqs
            if tok != _COMMA:
                raise SelectorError(f"found '{lit}', expected: ',' or 'end of string'")
            tok, lit = self.peek()
            if tok not in (_ID, _NOT):
                raise SelectorError(f"found '{lit}', expected: identifier after ','")

    def requirement(self) -> Requirement:
        operator = None
        tok, lit = self.take()
        if tok == _NOT:
            operator = "!"
            tok, lit = self.take()
        if tok != _ID:
            raise SelectorError(f"found '{lit}', expected: identifier")
        key = lit
        key_msgs = is_qualified_name(key)
        if key_msgs:  # validated with the parser's nil path, hence "<nil>"
            raise SelectorError(str(FieldError.invalid("<nil>", key, "; ".join(key_msgs))))
        if operator is None and self.peek()[0] in (_EOS, _COMMA):
            operator = "exists"
        if operator is not None:
            return Requirement(key, operator, [])
        tok, lit = self.take(values=False)
        operator = _OP_OF_TOKEN.get(tok)
        if operator is None:
            raise SelectorError(f"found '{lit}', expected: " + ", ".join(OPERATORS[:7]))
        vals = self.value_set() if operator in ("in", "notin") else self.exact_value()
        return Requirement(key, operator, sorted(vals))

    def value_set(self) -> set[str]:
        tok, lit = self.take()
        if tok != _OPEN:
            raise SelectorError(f"found '{lit}' expected: '('")
        tok, lit = self.peek()
        if tok == _CLOSE:  # "()" is the set {""}
            self.take()
            return {""}
        if tok not in (_ID, _COMMA):
            raise SelectorError(f"found '{lit}', expected: ',', ')' or identifier")
        vals = self.identifiers()
        if self.take()[0] != _CLOSE:
            raise SelectorError(f"found '{lit}', expected: ')'")  # sic: upstream reports `lit`
        return vals

    def identifiers(self) -> set[str]:
        vals: set[str] = set()
        while True:
            tok, lit = self.take()
            if tok == _ID:
                vals.add(lit)
                tok2, lit2 = self.peek()
                if tok2 == _CLOSE:
                    return vals
                if tok2 != _COMMA:
                    raise SelectorError(f"found '{lit2}', expected: ',' or ')'")
            elif tok == _COMMA:  # empty values: "(,a)", "(a,)", "(a,,b)"
                if not vals:
                    vals.add("")
                tok2 = self.peek()[0]
                if tok2 == _CLOSE:
                    vals.add("")
                    return vals
                if tok2 == _COMMA:
                    vals.add("")
            else:
                raise SelectorError(f"found '{lit}', expected: ',', or identifier")

    def exact_value(self) -> set[str]:
        if self.peek()[0] in (_EOS, _COMMA):
            return {""}
        tok, lit = self.take()
        if tok == _ID:
            return {lit}
        raise SelectorError(f"found '{lit}', expected: identifier")


def parse(text: str) -> Selector:
    """Parse a selector string in the full Kubernetes grammar (upstream ``labels.Parse``).

    ``""`` parses to :func:`everything`. Errors raise :class:`SelectorError` worded as upstream.

    Examples
    --------
    >>> parse("x in (foo,,baz),y,z notin ()")
    Selector('x in (,baz,foo),y,z notin ()')
    >>> parse("x>1").matches({"x": "2"})
    True
    >>> parse("x<a")
    Traceback (most recent call last):
    ...
    kubelab.api.labels.SelectorError: unable to parse requirement: values[0]: Invalid value: "a": for 'Gt', 'Lt' operators, the value must be an integer
    """
    if not text:
        return _EVERYTHING
    return Selector(_Parser(text).parse())


# --------------------------------------------------------------------------- validation


def validate_labels(labels: Mapping[str, str] | None, path: str) -> list[FieldError]:
    """``ValidateLabels``: every key a qualified name, every value a label value.

    Both keys and values are reported at ``path`` itself (upstream does not add the key).

    Examples
    --------
    >>> print(*validate_labels({"app": "-bad"}, "metadata.labels"))
    metadata.labels: Invalid value: "-bad": a valid label must be an empty string or consist of ...
    """
    errs: list[FieldError] = []
    for key, value in sorted(
        (labels or {}).items()
    ):  # Go's map order is random; sort for repeatability
        errs.extend(FieldError.invalid(path, key, msg) for msg in is_qualified_name(key))
        errs.extend(FieldError.invalid(path, value, msg) for msg in is_valid_label_value(value))
    return errs


def operator_values_errors(
    op: str, values: list, path: str, *, numeric: bool = False
) -> list[FieldError]:
    """Values a selector requirement's operator needs (shared with node selector terms).

    ``numeric`` also admits ``Gt``/``Lt`` with one value, as node affinity does.
    """
    if op in ("In", "NotIn"):
        if not values:
            return [
                FieldError.required(
                    f"{path}.values", "must be specified when `operator` is 'In' or 'NotIn'"
                )
            ]
    elif op in ("Exists", "DoesNotExist"):
        if values:
            return [
                FieldError.forbidden(
                    f"{path}.values",
                    "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                )
            ]
    elif numeric and op in ("Gt", "Lt"):
        if len(values) != 1:
            return [
                FieldError.required(
                    f"{path}.values",
                    "must be specified single value when `operator` is 'Lt' or 'Gt'",
                )
            ]
    else:
        return [FieldError.invalid(f"{path}.operator", op, "not a valid selector operator")]
    return []


def validate_label_selector(
    ls: Mapping | None, path: str, *, allow_invalid_label_value: bool = False
) -> list[FieldError]:
    """``ValidateLabelSelector``: ``matchLabels`` as labels, each ``matchExpressions`` term checked.

    ``allow_invalid_label_value`` mirrors upstream's option used on updates of old objects.

    Examples
    --------
    >>> ls = {"matchExpressions": [{"key": "tier", "operator": "In", "values": []},
    ...                            {"key": "env", "operator": "Foo"}]}
    >>> for e in validate_label_selector(ls, "spec.selector"):
    ...     print(e)
    spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'
    spec.selector.matchExpressions[1].operator: Invalid value: "Foo": not a valid selector operator
    """
    if ls is None:
        return []
    errs = validate_labels(ls.get("matchLabels"), f"{path}.matchLabels")
    for i, expr in enumerate(ls.get("matchExpressions") or []):
        p = f"{path}.matchExpressions[{i}]"
        op, values = expr.get("operator") or "", expr.get("values") or []
        errs.extend(operator_values_errors(op, values, p))
        key = expr.get("key") or ""
        errs.extend(FieldError.invalid(f"{p}.key", key, msg) for msg in is_qualified_name(key))
        if not allow_invalid_label_value:
            for j, value in enumerate(values):
                errs.extend(
                    FieldError.invalid(f"{p}.values[{j}]", value, msg)
                    for msg in is_valid_label_value(value)
                )
    return errs
