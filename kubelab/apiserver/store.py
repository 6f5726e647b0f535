"""An etcd-like versioned store with watches.

Objects are keyed by kind, namespace and name. Every write bumps one global
``resourceVersion`` and is fanned out to the watchers of that kind, in order.
Stored objects are never mutated: a write replaces the dict.

Examples
--------
>>> store = Store()
>>> events = []
>>> _ = store.watch("ConfigMap", lambda kind, obj, old: events.append((kind, obj["metadata"]["name"])))
>>> obj = store.put({"kind": "ConfigMap", "metadata": {"name": "a", "namespace": "default"}})
>>> obj["metadata"]["resourceVersion"], store.get("ConfigMap", "default", "a") is obj
('1', True)
>>> _ = store.remove("ConfigMap", "default", "a")
>>> events
[('ADDED', 'a'), ('DELETED', 'a')]

A kind with a time to live (an etcd lease, refreshed by every write) disappears that long after
its last write, with a ``DELETED`` watch event, as etcd's lease expiry deletes the key:

>>> from kubelab.sim import Clock
>>> clock = Clock()
>>> store = Store(clock)
>>> store.ttl["Event"] = 60
>>> _ = store.put({"kind": "Event", "metadata": {"name": "e", "namespace": "default"}})
>>> _ = clock.run_until(59); store.count("Event")
1
>>> _ = clock.run_until(60); store.count("Event")
0
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from kubelab.sim import LATE

__all__ = ["Store", "WatchHandler"]

WatchHandler = Callable[[str, dict, dict | None], None]


class Store:
    """The cluster's state: ``kind → namespace → name → object``."""

    def __init__(self, clock=None) -> None:
        self._data: dict[str, dict[str, dict[str, dict]]] = {}
        self._watchers: dict[str, list[WatchHandler]] = {}
        self.revision = 0
        self.clock = clock
        # kind -> seconds an object lives after its last write (kube-apiserver's --event-ttl)
        self.ttl: dict[str, float] = {}
        self._expiry: dict[tuple[str, str, str], float] = {}  # key -> when its lease runs out

    def get(self, kind: str, namespace: str, name: str) -> dict | None:
        return self._data.get(kind, {}).get(namespace, {}).get(name)

    def list(self, kind: str, namespace: str | None = None) -> Iterator[dict]:
        """Objects of ``kind`` (in ``namespace``, or in all namespaces for ``None``)."""
        by_ns = self._data.get(kind, {})
        if namespace is not None:
            yield from by_ns.get(namespace, {}).values()
            return
        for objs in by_ns.values():
            yield from objs.values()

    def count(self, kind: str, namespace: str | None = None) -> int:
        by_ns = self._data.get(kind, {})
        if namespace is not None:
            return len(by_ns.get(namespace, {}))
        return sum(len(v) for v in by_ns.values())

    def put(self, obj: dict) -> dict:
        """Store ``obj`` (its ``metadata`` dict must be the caller's own fresh copy)."""
        meta = obj["metadata"]
        self.revision += 1
        meta["resourceVersion"] = str(self.revision)
        kind, ns, name = obj["kind"], meta.get("namespace", ""), meta["name"]
        bucket = self._data.setdefault(kind, {}).setdefault(ns, {})
        old = bucket.get(name)
        bucket[name] = obj
        if kind in self.ttl:
            self._lease((kind, ns, name), self.ttl[kind])
        self._notify(kind, "MODIFIED" if old is not None else "ADDED", obj, old)
        return obj

    def remove(self, kind: str, namespace: str, name: str) -> dict | None:
        bucket = self._data.get(kind, {}).get(namespace)
        if not bucket or name not in bucket:
            return None
        old = bucket.pop(name)
        self._expiry.pop((kind, namespace, name), None)
        self.revision += 1
        self._notify(kind, "DELETED", old, None)
        return old

    def _lease(self, key: tuple[str, str, str], ttl: float) -> None:
        # One timer per key: a rewrite only moves the deadline, and the timer re-arms itself.
        pending = key in self._expiry
        self._expiry[key] = self.clock.now + ttl
        if not pending:
            self.clock.call_at(self._expiry[key], self._expire, key, priority=LATE)

    def _expire(self, key: tuple[str, str, str]) -> None:
        due = self._expiry.get(key)
        if due is None:
            return  # deleted before its lease ran out
        if due > self.clock.now:
            self.clock.call_at(due, self._expire, key, priority=LATE)
            return
        self.remove(*key)

    def watch(self, kind: str, handler: WatchHandler) -> Callable[[], None]:
        """Call ``handler(event_type, obj, old)`` for every later write of ``kind``."""
        handlers = self._watchers.setdefault(kind, [])
        handlers.append(handler)
        return lambda: handlers.remove(handler)

    def _notify(self, kind: str, event: str, obj: dict, old: dict | None) -> None:
        for handler in self._watchers.get(kind, ()):
            handler(event, obj, old)

    def kinds(self) -> list[str]:
        return sorted(self._data)
