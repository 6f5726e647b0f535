"""The namespace controller (``pkg/controller/namespace``): deleting a namespace empties it.

``kubectl delete namespace shop`` only marks the namespace (``deletionTimestamp``,
phase ``Terminating``; new objects are refused). This controller then deletes
everything in it, kind by kind, waits until the last object (say a pod in its grace
period) is gone, and finalizes the namespace, which disappears.
"""

from __future__ import annotations

import contextlib

from kubelab.api.meta import cow
from kubelab.controllers.base import Controller
from kubelab.errors import KubelabError, NotFound

__all__ = ["NamespaceController"]

# While content remains, look again at least this often (upstream estimates from grace periods).
_RECHECK_SECONDS = 5.0


class NamespaceController(Controller):
    """Deletes the content of terminating namespaces, then the namespaces."""

    name = "namespace-controller"

    def setup(self) -> None:
        self.namespaces = self.informers.get("Namespace")
        self.namespaces.add_handler(on_add=self._changed, on_update=self._changed)
        self._rechecks: set[str] = set()

    def _changed(self, *args) -> None:
        ns = args[-1]
        if ns["metadata"].get("deletionTimestamp"):
            self.enqueue(("", ns["metadata"]["name"]))

    def _content_kinds(self):
        return [rt for rt in self.client.server.kinds.all() if rt.namespaced]

    def sync(self, key) -> None:
        name = key[1]
        self._rechecks.discard(name)
        ns = self.namespaces.get("", name)
        if ns is None or not ns["metadata"].get("deletionTimestamp"):
            return
        remaining: dict[str, int] = {}
        for rt in self._content_kinds():
            for obj in sorted(
                self.client.list(rt.kind, namespace=name), key=lambda o: o["metadata"]["name"]
            ):
                left = obj
                if not obj["metadata"].get("deletionTimestamp"):
                    try:
                        left = self.client.delete(rt.kind, obj["metadata"]["name"], name)
                    except NotFound:
                        left = None
                    except KubelabError:
                        pass
                if left is not None:
                    remaining[rt.qualified] = remaining.get(rt.qualified, 0) + 1
        ns = self.namespaces.get("", name)
        if ns is None:
            return
        if remaining:
            if name not in self._rechecks:
                self._rechecks.add(name)
                self.enqueue(("", name), delay=_RECHECK_SECONDS)
            return
        # Empty: finalize. The API server removes a terminating namespace with no finalizers.
        new, spec = cow(ns, "spec")
        spec["finalizers"] = [f for f in spec.get("finalizers") or () if f != "kubernetes"]
        with contextlib.suppress(NotFound):
            self.client.update(new)
