"""Helpers on object dicts: keys, timestamps, owner references, conditions, copy-on-write.

Objects held by the API server are shared and read-only; :func:`cow` gives a
copy whose changed levels are fresh dicts, so a component can edit and send it.

Examples
--------
>>> pod = {"kind": "Pod", "metadata": {"name": "web", "namespace": "default", "labels": {"a": "1"}}}
>>> new, labels = cow(pod, "metadata", "labels")
>>> labels["b"] = "2"
>>> pod["metadata"]["labels"], new["metadata"]["labels"]
({'a': '1'}, {'a': '1', 'b': '2'})
>>> timestamp(65.7), parse_time("2025-01-01T00:01:05Z")
('2025-01-01T00:01:05Z', 65.0)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache

__all__ = [
    "EPOCH",
    "controller_ref",
    "cow",
    "get_condition",
    "is_controlled_by",
    "name",
    "namespace",
    "owner_reference",
    "parse_time",
    "set_condition",
    "timestamp",
]

# Simulated time 0 is this instant, so timestamps are the same on every run.
EPOCH = datetime(2025, 1, 1, tzinfo=UTC)


# RFC 3339 has four-digit years: instants past them (a huge grace period) are written at the edge.
_FIRST = (datetime(1, 1, 1, tzinfo=UTC) - EPOCH).total_seconds()
_LAST = (datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC) - EPOCH).total_seconds()


def timestamp(now: float) -> str:
    """RFC 3339 with whole seconds, as the API server writes creationTimestamp.

    Examples
    --------
    >>> timestamp(61), timestamp(1e30)
    ('2025-01-01T00:01:01Z', '9999-12-31T23:59:59Z')
    """
    return _timestamp(int(min(max(now, _FIRST), _LAST)))


# Both caches hold recent instants; bounded small so a long session's memory stays flat.
@lru_cache(maxsize=4096)
def _timestamp(seconds: int) -> str:
    return (EPOCH + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


@lru_cache(maxsize=4096)
def parse_time(ts: str | None) -> float | None:
    """Seconds since the cluster started for an RFC 3339 timestamp (None stays None)."""
    if not ts:
        return None
    moment = datetime.strptime(ts[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    return (moment - EPOCH).total_seconds()


def name(obj: dict) -> str:
    return obj["metadata"]["name"]


def namespace(obj: dict) -> str:
    return obj["metadata"].get("namespace", "")


def cow(obj: dict, *path: str) -> tuple[dict, dict]:
    """Copy ``obj`` so that every dict along ``path`` is a fresh copy (missing ones are created).

    Returns the new object and the innermost dict, ready to be edited.
    """
    new = dict(obj)
    current = new
    for key in path:
        child = current.get(key)
        child = dict(child) if isinstance(child, dict) else {}
        current[key] = child
        current = child
    return new, current


def owner_reference(owner: dict, *, controller: bool = True) -> dict:
    """The ownerReference a controller puts on what it creates."""
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": controller,
        "blockOwnerDeletion": True,
    }


def controller_ref(obj: dict) -> dict | None:
    """The ownerReference with ``controller: true``, if any."""
    for ref in obj["metadata"].get("ownerReferences") or ():
        if ref.get("controller"):
            return ref
    return None


def is_controlled_by(obj: dict, owner: dict) -> bool:
    ref = controller_ref(obj)
    return ref is not None and ref.get("uid") == owner["metadata"].get("uid")


def get_condition(obj: dict, type_: str) -> dict | None:
    for cond in (obj.get("status") or {}).get("conditions") or ():
        if cond.get("type") == type_:
            return cond
    return None


def set_condition(conditions: list | None, new: dict, now: float) -> list:
    """A new conditions list with ``new`` in place; lastTransitionTime kept if status is unchanged."""
    out, found = [], False
    for cond in conditions or ():
        if cond.get("type") == new["type"]:
            found = True
            merged = dict(new)
            if cond.get("status") == new.get("status") and "lastTransitionTime" in cond:
                merged["lastTransitionTime"] = cond["lastTransitionTime"]
            else:
                merged.setdefault("lastTransitionTime", timestamp(now))
            out.append(merged)
        else:
            out.append(cond)
    if not found:
        merged = dict(new)
        merged.setdefault("lastTransitionTime", timestamp(now))
        out.append(merged)
    return out
