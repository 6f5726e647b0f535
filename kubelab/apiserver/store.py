"""An etcd-like versioned store with watches and transactions.

Objects are keyed by kind, namespace and name. Every write bumps one global
``resourceVersion`` and is fanned out to the watchers of that kind, in order.
Stored objects are never mutated: a write replaces the dict.

A transaction (:meth:`Store.begin`, :meth:`Store.commit`, :meth:`Store.rollback`) stages
writes: reads see them at once, ordinary watchers only at commit, and a rollback puts every
object and the revision back as they were, so nobody outside the API server ever sees a
rolled-back write. Watchers registered with ``staged=True`` (the API server's own
allocators) see staged writes as they happen and their undoing on rollback, as inverse events.

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
>>> savepoint = store.begin()
>>> _ = store.put({"kind": "ConfigMap", "metadata": {"name": "b", "namespace": "default"}})
>>> store.count("ConfigMap"), events[-1]
(1, ('DELETED', 'a'))
>>> store.rollback(savepoint)
>>> store.count("ConfigMap"), store.revision, len(events)
(0, 2, 2)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

__all__ = ["Store", "WatchHandler"]

WatchHandler = Callable[[str, dict, dict | None], None]


class _Transaction:
    """Staged writes: what to undo, and the notifications held back until commit."""

    def __init__(self) -> None:
        self.depth = 0
        # (kind, namespace, name, object before or None, 1/2 if the write made the
        # namespace's/kind's bucket)
        self.undo: list[tuple] = []
        self.deferred: list[tuple] = []  # (kind, event, obj, old) for ordinary watchers


class Store:
    """The cluster's state: ``kind → namespace → name → object``."""

    def __init__(self) -> None:
        self._data: dict[str, dict[str, dict[str, dict]]] = {}
        self._watchers: dict[str, list[WatchHandler]] = {}
        self._staged_watchers: dict[str, list[WatchHandler]] = {}
        self._tx: _Transaction | None = None
        self.revision = 0

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
        if self._tx is not None:
            by_ns = self._data.get(kind)
            fresh = 2 if by_ns is None else int(ns not in by_ns)  # empty dicts made for it
        bucket = self._data.setdefault(kind, {}).setdefault(ns, {})
        old = bucket.get(name)
        bucket[name] = obj
        if self._tx is not None:
            self._tx.undo.append((kind, ns, name, old, fresh))
        self._notify(kind, "MODIFIED" if old is not None else "ADDED", obj, old)
        return obj

    def remove(self, kind: str, namespace: str, name: str) -> dict | None:
        bucket = self._data.get(kind, {}).get(namespace)
        if not bucket or name not in bucket:
            return None
        old = bucket.pop(name)
        self.revision += 1
        if self._tx is not None:
            self._tx.undo.append((kind, namespace, name, old, 0))
        self._notify(kind, "DELETED", old, None)
        return old

    def watch(
        self, kind: str, handler: WatchHandler, *, staged: bool = False
    ) -> Callable[[], None]:
        """Call ``handler(event_type, obj, old)`` for every later write of ``kind``.

        ``staged``: also during a transaction, as each write is staged, and again (inverted)
        when a rollback undoes it; for the API server's own bookkeeping, never for components.
        """
        watchers = self._staged_watchers if staged else self._watchers
        handlers = watchers.setdefault(kind, [])
        handlers.append(handler)
        return lambda: handlers.remove(handler)

    def _notify(self, kind: str, event: str, obj: dict, old: dict | None) -> None:
        for handler in self._staged_watchers.get(kind, ()):
            handler(event, obj, old)
        if self._tx is not None:
            self._tx.deferred.append((kind, event, obj, old))
            return
        for handler in self._watchers.get(kind, ()):
            handler(event, obj, old)

    # -- transactions ------------------------------------------------------------------------
    @property
    def in_transaction(self) -> bool:
        return self._tx is not None

    def begin(self) -> tuple[int, int, int]:
        """Open a transaction, or a savepoint inside the open one; returns it for :meth:`rollback`."""
        if self._tx is None:
            self._tx = _Transaction()
        self._tx.depth += 1
        return len(self._tx.undo), len(self._tx.deferred), self.revision

    def commit(self) -> None:
        """Close the innermost level; the outermost commit tells the watchers, in order."""
        tx = self._require_tx()
        tx.depth -= 1
        if tx.depth:
            return
        self._tx = None
        for kind, event, obj, old in tx.deferred:
            for handler in self._watchers.get(kind, ()):
                handler(event, obj, old)

    def rollback(self, savepoint: tuple[int, int, int]) -> None:
        """Undo every write since ``savepoint`` (newest first) and close that level."""
        tx = self._require_tx()
        undo_len, deferred_len, revision = savepoint
        while len(tx.undo) > undo_len:
            kind, ns, name, before, fresh = tx.undo.pop()
            bucket = self._data[kind][ns]
            staged = bucket.pop(name, None)
            if before is not None:
                bucket[name] = before
            if fresh == 2:
                del self._data[kind]
            elif fresh:
                del self._data[kind][ns]
            if staged is None:  # a removal undone
                event, obj, old = "ADDED", before, None
            elif before is None:  # a creation undone
                event, obj, old = "DELETED", staged, None
            else:
                event, obj, old = "MODIFIED", before, staged
            for handler in self._staged_watchers.get(kind, ()):
                handler(event, obj, old)
        del tx.deferred[deferred_len:]
        self.revision = revision
        tx.depth -= 1
        if not tx.depth:
            self._tx = None

    def _require_tx(self) -> _Transaction:
        if self._tx is None:
            raise RuntimeError("no transaction is open")
        return self._tx

    def kinds(self) -> list[str]:
        return sorted(self._data)
