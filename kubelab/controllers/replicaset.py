"""The ReplicaSet controller (``pkg/controller/replicaset/replica_set.go``).

For each ReplicaSet: find its pods (the ``controllerUID`` index, plus orphans of its
namespace it may adopt), count the active ones, create or delete the difference, then
write ``status`` if it changed. :class:`ReplicaSetController` is also the engine of the
ReplicationController manager (``replication.py``), as upstream.

Examples
--------
>>> from kubelab.sim import Clock
>>> from kubelab.apiserver import APIServer
>>> from kubelab.client import InformerFactory
>>> from kubelab.controllers.base import Context
>>> clock = Clock(); api = APIServer(clock); api.namespace_checks = False
>>> rsc = ReplicaSetController(Context(clock, api, InformerFactory(api)))
>>> _ = api.client("kubectl").create({
...     "apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web"},
...     "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
...              "template": {"metadata": {"labels": {"app": "web"}},
...                           "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}})
>>> _ = clock.run_until(1)
>>> pods = api.list("Pod")
>>> [(p["metadata"]["generateName"], p["metadata"]["ownerReferences"][0]["name"]) for p in pods]
[('web-', 'web'), ('web-', 'web')]
>>> api.get("ReplicaSet", "web")["status"]["replicas"]
2
"""

from __future__ import annotations

from kubelab.api import labels
from kubelab.api.meta import controller_ref, owner_reference, set_condition
from kubelab.controllers.base import Controller, only_status_changed
from kubelab.controllers.podcontrol import (
    BURST_REPLICAS,
    SLOW_START_INITIAL_BATCH,
    claim_objects,
    create_pod,
    is_pod_active,
    is_pod_available,
    is_pod_ready,
    pod_from_template,
    pod_ready_time,
    pods_to_delete,
    recheck_owner,
    slow_start_batch,
)
from kubelab.errors import KubelabError, NotFound

__all__ = ["ReplicaSetController"]

# Readiness changes of sets above 50 pods are batched into one status sync per half second,
# so 10,000 pods turning Ready one by one do not cost 10,000 full syncs. Teaching-sized
# sets update at once, like upstream.
_BIG_SET, _STATUS_BATCH_SECONDS = 50, 0.5


class ReplicaSetController(Controller):
    """Keeps ``spec.replicas`` active pods for every ReplicaSet."""

    name = "replicaset-controller"
    kind = "ReplicaSet"

    # -- the flavour (RS: LabelSelector; RC: plain map) -------------------------------------
    def selector(self, owner: dict):
        """The owner's pod selector (``None``: refuse to sync, as for an empty selector)."""
        ls = owner.get("spec", {}).get("selector")
        if not ls or not (ls.get("matchLabels") or ls.get("matchExpressions")):
            return None
        try:
            return labels.from_label_selector(ls)
        except ValueError:
            return None

    # -- wiring ----------------------------------------------------------------------------
    def setup(self) -> None:
        self.owners = self.informers.get(self.kind)
        self.pods = self.informers.get("Pod")
        self._selectors: dict[str, tuple] = {}  # uid → (selector source, parsed)
        self._status_pending: set = set()
        self.owners.add_handler(
            on_add=self.enqueue_object, on_update=self._owner_updated, on_delete=self._owner_deleted
        )
        self.pods.add_handler(
            on_add=self._pod_added, on_update=self._pod_updated, on_delete=self._pod_deleted
        )

    def _owner_updated(self, old: dict, new: dict) -> None:
        meta = ("labels", "deletionTimestamp", "ownerReferences", "finalizers")
        if only_status_changed(old, new, meta):
            return  # our own status write: nothing to do
        self.enqueue_object(new)

    def _owner_deleted(self, obj: dict) -> None:
        self._selectors.pop(obj["metadata"].get("uid"), None)

    def _resolve(self, pod: dict, ref: dict | None) -> dict | None:
        if ref is None or ref.get("kind") != self.kind:
            return None
        owner = self.owners.get(pod["metadata"].get("namespace", ""), ref["name"])
        if owner is None or owner["metadata"].get("uid") != ref.get("uid"):
            return None
        return owner

    def _enqueue_matching(self, pod: dict) -> None:
        """An orphan changed: every owner in its namespace whose selector matches may adopt it."""
        meta = pod["metadata"]
        pod_labels = meta.get("labels")
        if not pod_labels:
            return
        for owner in self.owners.list(meta.get("namespace", "")):
            sel = self._selector_of(owner)
            if sel is not None and sel.matches(pod_labels):
                self.enqueue_object(owner)

    def _pod_added(self, pod: dict) -> None:
        owner = self._resolve(pod, controller_ref(pod))
        if owner is not None:
            self.enqueue_object(owner)
        elif controller_ref(pod) is None:
            self._enqueue_matching(pod)

    def _pod_updated(self, old: dict, new: dict) -> None:
        old_ref, new_ref = controller_ref(old), controller_ref(new)
        labels_changed = old["metadata"].get("labels") != new["metadata"].get("labels")
        if old_ref != new_ref:
            old_owner = self._resolve(old, old_ref)
            if old_owner is not None:
                self.enqueue_object(old_owner)
        owner = self._resolve(new, new_ref)
        if owner is not None:
            structural = (
                old_ref != new_ref or labels_changed or is_pod_active(old) != is_pod_active(new)
            )
            if structural:
                self.enqueue_object(owner)
            elif is_pod_ready(old) != is_pod_ready(new):
                # Other status changes (binding, ContainerCreating...) cannot change the
                # set's counts: skipping them saves a sync per pod transition.
                self._enqueue_status(owner)
            min_ready = owner["spec"].get("minReadySeconds") or 0
            if min_ready and not is_pod_ready(old) and is_pod_ready(new):
                self.enqueue(_key(owner), delay=min_ready + 0.001)
        elif new_ref is None and (labels_changed or old_ref != new_ref):
            self._enqueue_matching(new)

    def _pod_deleted(self, pod: dict) -> None:
        owner = self._resolve(pod, controller_ref(pod))
        if owner is not None:
            self.enqueue_object(owner)

    def _enqueue_status(self, owner: dict) -> None:
        key = _key(owner)
        if (owner.get("status") or {}).get("replicas", 0) <= _BIG_SET:
            self.enqueue(key)
        elif key not in self._status_pending:
            self._status_pending.add(key)
            self.clock.call_later(_STATUS_BATCH_SECONDS, self._flush_status, key)

    def _flush_status(self, key) -> None:
        self._status_pending.discard(key)
        self.enqueue(key)

    def _selector_of(self, owner: dict):
        meta = owner["metadata"]
        source = owner.get("spec", {}).get("selector")
        cached = self._selectors.get(meta.get("uid"))
        if cached is not None and cached[0] is source:
            return cached[1]
        sel = self.selector(owner)
        self._selectors[meta.get("uid")] = (source, sel)
        return sel

    # -- the reconcile loop ----------------------------------------------------------------
    def sync(self, key) -> None:
        namespace, name = key
        owner = self.owners.get(namespace, name)
        if owner is None:
            return
        selector = self._selector_of(owner)
        if selector is None:
            return
        uid = owner["metadata"]["uid"]
        candidates = self.pods.by_index("controllerUID", uid)
        candidates += self.pods.by_index("orphans", namespace)
        active = [p for p in candidates if is_pod_active(p)]
        ref = owner_reference(owner)
        pods = claim_objects(
            self.client, owner, ref, selector, active, lambda: self._can_adopt(owner)
        )
        error = None
        if not owner["metadata"].get("deletionTimestamp"):
            error = self.manage_replicas(pods, owner, ref)
        # As upstream, status counts the pods seen before acting; the pod events our own
        # creations and deletions cause bring the next sync, which counts them.
        self.update_status(owner, pods, error)
        if error is not None:  # upstream handleErr: retry in 5 ms, doubling to 1000 s
            self.add_rate_limited(key)

    def _can_adopt(self, owner: dict) -> str | None:
        return recheck_owner(self.client, owner)

    def manage_replicas(self, pods: list[dict], owner: dict, ref: dict) -> tuple | None:
        """Create or delete pods so that ``len(pods) == spec.replicas``.

        Returns ``None`` or ``(reason, message)`` for the ReplicaFailure condition.
        """
        diff = len(pods) - owner["spec"].get("replicas", 1)
        if diff < 0:
            count = min(-diff, BURST_REPLICAS)
            template = owner["spec"].get("template") or {}

            def create():
                return create_pod(self.client, owner, pod_from_template(template, owner, ref))

            _, error = slow_start_batch(count, SLOW_START_INITIAL_BATCH, create)
            return ("FailedCreate", error) if error is not None else None
        if diff > 0:
            count = min(diff, BURST_REPLICAS)
            victims = pods_to_delete(pods, self.related_pods(owner), count, self.clock.now)
            failure = None
            for pod in victims:
                meta = pod["metadata"]
                try:
                    self.client.delete("Pod", meta["name"], meta["namespace"])
                except NotFound:
                    continue  # already gone: what we wanted
                except KubelabError as error:
                    self.client.event(
                        owner, "Warning", "FailedDelete", f"Error deleting: {error.message}"
                    )
                    failure = failure or ("FailedDelete", error.message)
                    continue
                self.client.event(
                    owner, "Normal", "SuccessfulDelete", f"Deleted pod: {meta['name']}"
                )
            return failure
        return None

    def related_pods(self, owner: dict) -> list[dict]:
        """Pods of every set with the same controller (``getIndirectlyRelatedPods``);
        none for a set without a controller, as upstream."""
        cref = controller_ref(owner)
        if cref is None:
            return []
        related, seen = [], set()
        for sibling in self.owners.by_index("controllerUID", cref["uid"]):
            for pod in self.pods.by_index("controllerUID", sibling["metadata"]["uid"]):
                uid = pod["metadata"].get("uid")
                if uid not in seen:
                    seen.add(uid)
                    related.append(pod)
        return related

    def calculate_status(self, owner: dict, pods: list[dict], error: tuple | None) -> dict:
        """The new ``status`` (``calculateStatus``)."""
        spec = owner["spec"]
        template_labels = (spec.get("template") or {}).get("metadata", {}).get("labels") or {}
        min_ready = spec.get("minReadySeconds") or 0
        now = self.clock.now
        fully = ready = available = 0
        for pod in pods:
            pod_labels = pod["metadata"].get("labels") or {}
            if all(pod_labels.get(k) == v for k, v in template_labels.items()):
                fully += 1
            if is_pod_ready(pod):
                ready += 1
                if is_pod_available(pod, min_ready, now):
                    available += 1
        old = owner.get("status") or {}
        status = dict(old)
        status.update(
            replicas=len(pods),
            fullyLabeledReplicas=fully,
            readyReplicas=ready,
            availableReplicas=available,
            observedGeneration=owner["metadata"].get("generation", 1),
        )
        conditions = old.get("conditions") or []
        failing = any(c.get("type") == "ReplicaFailure" for c in conditions)
        if error is not None and not failing:
            conditions = set_condition(
                conditions,
                {
                    "type": "ReplicaFailure",
                    "status": "True",
                    "reason": error[0],
                    "message": error[1],
                },
                now,
            )
        elif error is None and failing:
            conditions = [c for c in conditions if c.get("type") != "ReplicaFailure"]
        if conditions:
            status["conditions"] = conditions
        else:
            status.pop("conditions", None)
        for key in ("fullyLabeledReplicas", "readyReplicas", "availableReplicas"):
            if not status[key]:
                del status[key]  # omitempty, as the API serializes zero counts
        return status

    def update_status(self, owner: dict, pods: list[dict], error: tuple | None) -> None:
        status = self.calculate_status(owner, pods, error)
        if status != (owner.get("status") or {}):
            new = dict(owner, status=status)
            try:
                self.client.update_status(new)
            except NotFound:
                return
        spec = owner["spec"]
        min_ready = spec.get("minReadySeconds") or 0
        replicas = spec.get("replicas", 1)
        if (
            error is None
            and min_ready
            and status.get("readyReplicas", 0) == replicas
            and status.get("availableReplicas", 0) != replicas
        ):
            self._requeue_for_availability(owner, pods, min_ready)

    def _requeue_for_availability(self, owner: dict, pods: list[dict], min_ready: int) -> None:
        """Sync again just after the next pod becomes available (timestamps are whole
        seconds, so upstream's ``AddAfter(minReadySeconds)`` is made exact here)."""
        now = self.clock.now
        times = [
            t + min_ready
            for p in pods
            if (t := pod_ready_time(p)) is not None and t + min_ready >= now
        ]
        if times:
            self.enqueue(_key(owner), delay=max(min(times) - now, 0.0) + 0.001)


def _key(obj: dict) -> tuple[str, str]:
    return obj["metadata"].get("namespace", ""), obj["metadata"]["name"]
