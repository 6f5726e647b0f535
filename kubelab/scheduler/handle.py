"""What plugins may ask the cluster besides the node table (upstream ``framework.Handle``).

Two questions need listers: namespace labels (for ``namespaceSelector`` in pod
affinity terms) and the selector of the Services and controller that select a pod
(``helper.DefaultSelector``, for the system-default topology spread constraints).
Without a handle (a bare :class:`~kubelab.scheduler.NodeTable` in a unit test)
namespaces have no labels and no pod gets default constraints.

Examples
--------
>>> handle = Handle()
>>> handle.namespace_labels("default"), handle.default_selector({"metadata": {}}) is None
({}, True)
"""

from __future__ import annotations

import contextlib

from kubelab.api import labels as labelsel

__all__ = ["Handle", "InformerHandle"]

# Controller kinds whose selector joins the default spreading selector (DefaultSelector).
_OWNER_KINDS = ("ReplicationController", "ReplicaSet", "StatefulSet")


class Handle:
    """The no-cluster handle: nothing to look up."""

    namespace_version = 0

    def namespace_labels(self, namespace: str) -> dict:
        return {}

    def default_selector(self, pod: dict) -> labelsel.Selector | None:
        return None


class InformerHandle(Handle):
    """Answers from the scheduler's shared informers."""

    def __init__(self, informers):
        self.informers = informers
        self.namespace_version = 0
        self._namespaces = informers.get("Namespace")
        self._namespaces.add_handler(
            on_add=self._bump, on_update=self._bump_labels, on_delete=self._bump
        )
        # Default selectors are cached until a Service or controller changes.
        self._selectors: dict[tuple, labelsel.Selector | None] = {}
        for kind in ("Service", *_OWNER_KINDS):
            informer = self._informer(kind)
            if informer is not None:
                informer.add_handler(
                    on_add=self._forget_selectors,
                    on_update=self._forget_selectors_if_changed,
                    on_delete=self._forget_selectors,
                )

    def _forget_selectors(self, *_):
        self._selectors.clear()

    def _forget_selectors_if_changed(self, old, new):
        a, b = old.get("spec") or {}, new.get("spec") or {}
        if a.get("selector") != b.get("selector"):
            self._selectors.clear()

    def _bump(self, *_):
        self.namespace_version += 1

    def _bump_labels(self, old, new):
        if old["metadata"].get("labels") != new["metadata"].get("labels"):
            self.namespace_version += 1

    def namespace_labels(self, namespace: str) -> dict:
        ns = self._namespaces.get("", namespace)
        return (ns or {}).get("metadata", {}).get("labels") or {}

    def _informer(self, kind):
        try:
            return self.informers.get(kind)
        except Exception:  # a kind this cluster does not serve
            return None

    def default_selector(self, pod: dict) -> labelsel.Selector | None:
        """``helper.DefaultSelector``: the Services selecting the pod, plus its controller's
        selector; None when that is empty (then the pod is not spread by default)."""
        meta = pod.get("metadata") or {}
        namespace, pod_labels = meta.get("namespace") or "default", meta.get("labels") or {}
        owner = next((r for r in meta.get("ownerReferences") or () if r.get("controller")), None)
        key = (
            namespace,
            tuple(sorted(pod_labels.items())),
            (owner.get("kind"), owner.get("name")) if owner else None,
        )
        if key in self._selectors:
            return self._selectors[key]
        if len(self._selectors) > 4096:
            self._selectors.clear()
        selector = self._selectors[key] = self._default_selector(namespace, pod_labels, owner)
        return selector

    def _default_selector(self, namespace, pod_labels, owner):
        merged: dict[str, str] = {}
        services = self._informer("Service")
        for svc in sorted(
            services.list(namespace) if services else (), key=lambda s: s["metadata"]["name"]
        ):
            selector = (svc.get("spec") or {}).get("selector")
            if selector and all(pod_labels.get(k) == v for k, v in selector.items()):
                merged.update(selector)
        requirements = list(labelsel.from_set(merged).requirements) if merged else []
        if owner is not None and owner.get("kind") in _OWNER_KINDS:
            informer = self._informer(owner["kind"])
            controller = informer.get(namespace, owner.get("name")) if informer else None
            if controller is not None:
                raw = (controller.get("spec") or {}).get("selector")
                if owner["kind"] == "ReplicationController":
                    merged.update(raw or {})
                    requirements = list(labelsel.from_set(merged).requirements)
                else:
                    with contextlib.suppress(labelsel.SelectorError, ValueError):
                        requirements += labelsel.from_label_selector(raw).requirements
        if not requirements:
            return None
        return labelsel.Selector(requirements)
