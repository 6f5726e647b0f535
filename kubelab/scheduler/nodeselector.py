"""Node selector terms (``component-helpers/scheduling/corev1/nodeaffinity``), compiled.

A ``nodeSelectorTerm`` compiles to a tuple of requirements
``(source, key, operator, values)`` with ``source`` ``"label"`` or ``"field"``.
Within a term everything is ANDed; the terms of a selector are ORed. A term that is
empty or invalid (for example ``Gt`` with a non-integer value) matches no node,
as upstream's lazy-error node selector skips it.

Examples
--------
>>> term = compile_term({"matchExpressions": [
...     {"key": "zone", "operator": "In", "values": ["a", "b"]},
...     {"key": "cores", "operator": "Gt", "values": ["4"]}]})
>>> term_matches(term, {"zone": "a", "cores": "8"}, "node-1")
True
>>> term_matches(term, {"zone": "a", "cores": "2"}, "node-1")
False
>>> by_name = compile_term({"matchFields": [
...     {"key": "metadata.name", "operator": "In", "values": ["node-2"]}]})
>>> term_matches(by_name, {}, "node-2"), term_matches(by_name, {}, "node-1")
(True, False)
>>> compile_term({}) is None
True
"""

from __future__ import annotations

__all__ = ["Requirement", "Term", "compile_term", "compile_terms", "term_matches"]

Requirement = tuple[str, str, str, tuple[str, ...]]
Term = tuple[Requirement, ...]

_OPERATORS = {"In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"}


def _int(text: str) -> int | None:
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


def _compile_requirement(source: str, expr: dict) -> Requirement | None:
    key, op = expr.get("key") or "", expr.get("operator") or ""
    values = tuple(expr.get("values") or ())
    if source == "field":
        # Only metadata.name is a supported field, with exactly one value for In/NotIn.
        if key != "metadata.name" or op not in ("In", "NotIn") or len(values) != 1:
            return None
        return (source, key, op, values)
    if op not in _OPERATORS:
        return None
    if op in ("In", "NotIn") and not values:
        return None
    if op in ("Exists", "DoesNotExist") and values:
        return None
    if op in ("Gt", "Lt") and (len(values) != 1 or _int(values[0]) is None):
        return None
    return (source, key, op, values)


def compile_term(term: dict | None) -> Term | None:
    """A compiled term, or None for a term that can never match (empty or invalid)."""
    term = term or {}
    exprs = [("label", e) for e in term.get("matchExpressions") or ()]
    exprs += [("field", e) for e in term.get("matchFields") or ()]
    if not exprs:
        return None
    out = []
    for source, expr in exprs:
        req = _compile_requirement(source, expr)
        if req is None:
            return None
        out.append(req)
    return tuple(out)


def compile_terms(terms) -> tuple[Term, ...]:
    """The matchable terms of a ``nodeSelectorTerms`` list (never-matching ones dropped)."""
    return tuple(t for t in (compile_term(term) for term in terms or ()) if t is not None)


def requirement_matches(req: Requirement, labels: dict, name: str) -> bool:
    source, key, op, values = req
    if source == "field":
        return (name == values[0]) == (op == "In")
    present = key in labels
    if op == "Exists":
        return present
    if op == "DoesNotExist":
        return not present
    if op == "In":
        return present and labels[key] in values
    if op == "NotIn":
        return not present or labels[key] not in values
    number = _int(labels.get(key)) if present else None
    if number is None:
        return False
    bound = int(values[0])
    return number > bound if op == "Gt" else number < bound


def term_matches(term: Term | None, labels: dict | None, name: str) -> bool:
    """Does one compiled term match a node with these labels and this name?"""
    if term is None:
        return False
    labels = labels or {}
    return all(requirement_matches(req, labels, name) for req in term)
