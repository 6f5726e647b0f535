"""Shared informers: a local cache of one kind, kept current by the API server's watch.

Like client-go, one informer per kind is shared by every component in the process
(:class:`InformerFactory`). Components read from the cache and subscribe handlers;
the cached objects are the API server's own, read-only dicts, so reading is free.
Indexes (pods by node, objects by controller UID, ...) make the common lookups O(1).

Examples
--------
>>> from kubelab.sim import Clock
>>> from kubelab.apiserver import APIServer
>>> api = APIServer(Clock())
>>> api.namespace_checks = False
>>> factory = InformerFactory(api)
>>> cms = factory.get("ConfigMap")
>>> added = []
>>> cms.add_handler(on_add=lambda obj: added.append(obj["metadata"]["name"]))
>>> _ = api.client("demo").create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}})
>>> added, cms.get("default", "a")["metadata"]["name"]
(['a'], 'a')
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from kubelab.api.meta import controller_ref

__all__ = ["InformerFactory", "SharedInformer"]

IndexFunc = Callable[[dict], Iterable]


def _node_name(obj: dict):
    node = obj.get("spec", {}).get("nodeName")
    return (node,) if node else ()


def _controller_uid(obj: dict):
    ref = controller_ref(obj)
    return (ref["uid"],) if ref else ()


def _orphan_namespace(obj: dict):
    return () if controller_ref(obj) else (obj["metadata"].get("namespace", ""),)


def _owner_uids(obj: dict):
    return tuple(ref["uid"] for ref in obj["metadata"].get("ownerReferences") or ())


# Indexes every informer keeps: cheap, and what controllers need to avoid scanning all pods.
DEFAULT_INDEXES: dict[str, IndexFunc] = {
    "controllerUID": _controller_uid,
    "orphans": _orphan_namespace,
    "ownerUID": _owner_uids,
}
KIND_INDEXES: dict[str, dict[str, IndexFunc]] = {"Pod": {"nodeName": _node_name}}


class SharedInformer:
    """The cache of one kind, with handlers and indexes."""

    def __init__(self, server, kind: str):
        self.kind = kind
        self._by_ns: dict[str, dict[str, dict]] = {}
        self._handlers: list[tuple] = []
        self._index_funcs = dict(DEFAULT_INDEXES, **KIND_INDEXES.get(kind, {}))
        self._indexes: dict[str, dict] = {name: {} for name in self._index_funcs}
        # list, then watch: the informer's view starts complete.
        for obj in server.list(kind):
            self._add(obj)
        server.store.watch(kind, self._on_event)

    # -- reading ----------------------------------------------------------------------------
    def get(self, namespace: str, name: str) -> dict | None:
        return self._by_ns.get(namespace or "", {}).get(name)

    def list(self, namespace: str | None = None, selector=None) -> list[dict]:
        """Cached objects, optionally in one namespace and matching a parsed label selector."""
        if namespace is None:
            objs = [o for bucket in self._by_ns.values() for o in bucket.values()]
        else:
            objs = list(self._by_ns.get(namespace, {}).values())
        if selector is not None:
            objs = [o for o in objs if selector.matches(o["metadata"].get("labels"))]
        return objs

    def by_index(self, index: str, value) -> list[dict]:
        """Objects whose index function yields ``value`` (e.g. ``by_index("nodeName", "node-1")``)."""
        return list(self._indexes[index].get(value, {}).values())

    def count(self, namespace: str | None = None) -> int:
        if namespace is None:
            return sum(len(b) for b in self._by_ns.values())
        return len(self._by_ns.get(namespace, {}))

    def add_index(self, name: str, func: IndexFunc) -> None:
        if name in self._index_funcs:
            return
        self._index_funcs[name] = func
        index = self._indexes[name] = {}
        for bucket in self._by_ns.values():
            for obj in bucket.values():
                for value in func(obj):
                    index.setdefault(value, {})[_key(obj)] = obj

    def add_handler(self, on_add=None, on_update=None, on_delete=None) -> None:
        """Subscribe; ``on_update(old, new)``. Handlers registered late get no replay."""
        self._handlers.append((on_add, on_update, on_delete))

    # -- keeping current ---------------------------------------------------------------------
    def _add(self, obj: dict) -> None:
        meta = obj["metadata"]
        self._by_ns.setdefault(meta.get("namespace", ""), {})[meta["name"]] = obj
        key = _key(obj)
        for name, func in self._index_funcs.items():
            index = self._indexes[name]
            for value in func(obj):
                index.setdefault(value, {})[key] = obj

    def _remove(self, obj: dict) -> None:
        meta = obj["metadata"]
        bucket = self._by_ns.get(meta.get("namespace", ""))
        if bucket is not None:
            bucket.pop(meta["name"], None)
        key = _key(obj)
        for name, func in self._index_funcs.items():
            index = self._indexes[name]
            for value in func(obj):
                entries = index.get(value)
                if entries is not None:
                    entries.pop(key, None)
                    if not entries:
                        del index[value]

    def _on_event(self, event: str, obj: dict, old: dict | None) -> None:
        if event == "ADDED":
            self._add(obj)
            for on_add, _, _ in self._handlers:
                if on_add:
                    on_add(obj)
        elif event == "MODIFIED":
            self._remove(old)
            self._add(obj)
            for _, on_update, _ in self._handlers:
                if on_update:
                    on_update(old, obj)
        else:
            self._remove(obj)
            for _, _, on_delete in self._handlers:
                if on_delete:
                    on_delete(obj)


def _key(obj: dict) -> tuple[str, str]:
    meta = obj["metadata"]
    return meta.get("namespace", ""), meta["name"]


class InformerFactory:
    """One :class:`SharedInformer` per kind, created on first use."""

    def __init__(self, server):
        self._server = server
        self._informers: dict[str, SharedInformer] = {}

    def get(self, kind: str) -> SharedInformer:
        informer = self._informers.get(kind)
        if informer is None:
            informer = self._informers[kind] = SharedInformer(self._server, kind)
        return informer
