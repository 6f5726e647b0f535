"""Event handlers shared by controllers that own pods one by one (DaemonSet, StatefulSet).

:class:`PodOwnerHandlers` maps pod and owner events to owner keys, as upstream's
``addPod``/``updatePod``/``deletePod`` do: a pod's controller is enqueued, an orphan
enqueues every owner whose selector matches it (a candidate for adoption), and a pod that
just turned Ready enqueues its owner again once ``minReadySeconds`` have passed.

Examples
--------
>>> class Fake(PodOwnerHandlers):
...     owner_kind = "StatefulSet"
...     def __init__(self): self.owners, self.seen = {}, []
...     def enqueue(self, key, delay=0.0): self.seen.append((key, delay))
>>> Fake().owner_updated({"spec": {"replicas": 1}, "metadata": {}},
...                      {"spec": {"replicas": 1}, "metadata": {}})   # a status write: ignored
"""

from __future__ import annotations

from kubelab.api.meta import controller_ref
from kubelab.controllers.base import only_status_changed
from kubelab.controllers.podcontrol import is_pod_ready, owner_selector, resolve_controller

__all__ = ["PodOwnerHandlers"]


class PodOwnerHandlers:
    """Mixin for a :class:`~kubelab.controllers.base.Controller`: set ``owner_kind`` and
    ``self.owners`` (the owners' informer); override :meth:`owner_selector` and
    :attr:`min_ready_extra` where the controller differs."""

    owner_kind = ""
    min_ready_extra = 0.001  # after minReadySeconds, when the pod counts as available

    def owner_selector(self, owner: dict):
        return owner_selector(owner)

    def owner_updated(self, old: dict, new: dict) -> None:
        if only_status_changed(old, new, ("labels", "annotations", "deletionTimestamp")):
            return  # our own status write
        self.enqueue_object(new)

    def owner_of(self, pod: dict) -> dict | None:
        return resolve_controller(self.owners, self.owner_kind, pod)

    def pod_changed(self, pod: dict) -> None:
        owner = self.owner_of(pod)
        if owner is not None:
            self.enqueue_object(owner)
        elif controller_ref(pod) is None and pod["metadata"].get("labels"):
            for owner in self.owners.list(pod["metadata"].get("namespace", "")):  # orphans
                selector = self.owner_selector(owner)
                if selector is not None and selector.matches(pod["metadata"]["labels"]):
                    self.enqueue_object(owner)

    def pod_updated(self, old: dict, new: dict) -> None:
        if controller_ref(old) != controller_ref(new):
            self.pod_changed(old)
        self.pod_changed(new)
        owner = self.owner_of(new)
        min_ready = (owner or {}).get("spec", {}).get("minReadySeconds") or 0
        if min_ready and not is_pod_ready(old) and is_pod_ready(new):
            meta = owner["metadata"]
            self.enqueue(
                (meta.get("namespace", ""), meta["name"]), delay=min_ready + self.min_ready_extra
            )
