"""The kubelet: one per node. Registers the Node, heartbeats, and runs the pods bound to it.

It talks to the rest of the cluster only through the API server: it reads pods from
the shared Pod informer (through one router per informer that hands each pod event to
the kubelet of its ``spec.nodeName``, so 5,000 kubelets do not each look at every pod),
and writes the Node, its Lease, pod statuses, Events and the final pod deletion.

Examples
--------
>>> from kubelab.sim import Clock
>>> from kubelab.apiserver import APIServer
>>> from kubelab.client import InformerFactory
>>> from kubelab.controllers import Context
>>> clock = Clock(); api = APIServer(clock); api.namespace_checks = False
>>> ctx = Context(clock, api, InformerFactory(api), seed=0)
>>> kubelet = Kubelet(ctx, {"metadata": {"name": "node-1"}}); kubelet.start()
>>> pod = api.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
...     "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]}}, user="kubectl")
>>> _ = api.bind(pod, "node-1", user="default-scheduler")
>>> _ = clock.run_until(10)
>>> status = api.get("Pod", "web")["status"]
>>> status["phase"], status["podIP"], status["containerStatuses"][0]["ready"]
('Running', '10.244.0.2', True)
>>> [e[5] for e in api.events.log if e[3] == "web"]
['Pulling', 'Pulled', 'Created', 'Started']
>>> api.get("Lease", "node-1", "kube-node-lease")["spec"]["renewTime"]
'2025-01-01T00:00:10.000000Z'
"""

from __future__ import annotations

import contextlib
import weakref

from kubelab.errors import AlreadyExists, Conflict, NotFound
from kubelab.kubelet import nodestatus
from kubelab.kubelet.backoff import Backoff
from kubelab.kubelet.eviction import local_storage_violation
from kubelab.kubelet.heartbeat import Heartbeats
from kubelab.kubelet.ipam import NodeNumbers, PodCIDR, node_addresses
from kubelab.kubelet.podworker import MIN_KILL_GRACE, PodWorker
from kubelab.kubelet.pulls import ALWAYS_PULL_SECONDS, PULL_FAIL_SECONDS
from kubelab.sim import LATE, rng
from kubelab.storage.backends import storage_for

__all__ = ["NODE_STATUS_REPORT_FREQUENCY", "Kubelet"]

NODE_STATUS_REPORT_FREQUENCY = 300.0  # post node status at least every 5 min, even unchanged
_ROUTERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_NUMBERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class _PodRouter:
    """One handler on the shared Pod informer; hands each pod to its node's kubelet."""

    def __init__(self, informer):
        self.kubelets: dict[str, Kubelet] = {}
        informer.add_handler(on_add=self._changed, on_update=self._updated, on_delete=self._deleted)

    @classmethod
    def for_informer(cls, informer) -> _PodRouter:
        router = _ROUTERS.get(informer)
        if router is None:
            router = _ROUTERS[informer] = cls(informer)
        return router

    def _changed(self, pod: dict) -> None:
        kubelet = self.kubelets.get(pod["spec"].get("nodeName") or "")
        if kubelet is not None:
            kubelet.on_pod(pod)

    def _updated(self, _old: dict, new: dict) -> None:
        self._changed(new)

    def _deleted(self, pod: dict) -> None:
        kubelet = self.kubelets.get(pod["spec"].get("nodeName") or "")
        if kubelet is not None:
            kubelet.on_pod_deleted(pod)


class Kubelet:
    """The node agent of one node.

    Parameters
    ----------
    ctx : Context
        Clock, API server, shared informers, seed; ``ctx.config["images"]`` is the image
        catalogue (default: the shared ``kubelab.images.catalog``).
    manifest : dict
        The Node manifest: ``metadata.name`` and optionally labels, annotations, ``spec``
        (taints, unschedulable, podCIDR) and ``status.capacity`` / ``status.allocatable``.
    """

    def __init__(self, ctx, manifest: dict):
        from kubelab.images import catalog

        self.ctx, self.manifest = ctx, manifest
        self.name = manifest["metadata"]["name"]
        self.clock = ctx.clock
        self.client = ctx.api.client(f"kubelet/{self.name}")
        self.images = (ctx.config or {}).get("images") or catalog
        self.rng = rng(ctx.seed, f"kubelet/{self.name}")
        numbers = _NUMBERS.get(ctx.api)
        if numbers is None:
            numbers = _NUMBERS[ctx.api] = NodeNumbers()
        self.number = numbers.claim(self.name)
        node_ip, cidr = node_addresses(self.number)
        self.node_ip = next(
            (
                a["address"]
                for a in (manifest.get("status") or {}).get("addresses") or ()
                if a.get("type") == "InternalIP"
            ),
            node_ip,
        )
        self.pod_cidr = PodCIDR((manifest.get("spec") or {}).get("podCIDR") or cidr)
        self.crash_backoff = Backoff()
        self.pull_backoff = Backoff()
        self.workers: dict[str, PodWorker] = {}
        self._storage_limited: dict[str, PodWorker] = {}  # the few the eviction pass measures
        self.running = False
        self.boots = 0
        self._images: dict = {}  # normalized reference → ImageSpec present on the node
        self._pulling: dict = {}  # normalized reference → (start, finish, ok) in flight
        self._pull_free_at = 0.0  # serializeImagePulls: one pull at a time per node
        self._pending: dict = {}
        self._drain_scheduled = False
        self._dirty: dict = {}
        self._flush_scheduled = False
        self._last_report = -1e18
        self._reported_images: tuple = ()
        self._pods = ctx.informers.get("Pod")
        self._nodes = ctx.informers.get("Node")

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<Kubelet {self.name} {state} pods={len(self.workers)}>"

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        """Boot: register the Node, start heartbeats, run the pods the API server binds here."""
        if self.running:
            return
        self.running = True
        self._register()
        self._renew_lease()
        Heartbeats.for_clock(self.clock).add(self)
        _PodRouter.for_informer(self._pods).kubelets[self.name] = self
        for pod in self._pods.by_index("nodeName", self.name):
            self.on_pod(pod)

    def stop(self) -> None:
        """The machine goes down: no heartbeats, no status updates, its containers are gone."""
        if not self.running:
            return
        self.running = False
        Heartbeats.for_clock(self.clock).remove(self)
        router = _PodRouter.for_informer(self._pods)
        if router.kubelets.get(self.name) is self:
            del router.kubelets[self.name]
        for worker in self.workers.values():
            worker.lose()
        self.workers.clear()
        self._pending.clear()
        self._dirty.clear()
        self._pulling.clear()
        self._pull_free_at = self.clock.now
        self.boots += 1

    def lose_pod(self, pod: dict) -> None:
        """``Cluster.kill_pod``: the pod's containers vanish and its API object is removed."""
        worker = self.workers.pop(pod["metadata"].get("uid"), None)
        if worker is not None:
            worker.lose()
        with contextlib.suppress(NotFound):
            self.client.delete(
                "Pod", pod["metadata"]["name"], pod["metadata"]["namespace"], grace_period=0
            )

    # -- the Node and its heartbeat -------------------------------------------------------------
    def _register(self) -> None:
        now = self.clock.now
        node = nodestatus.initial_node(
            self.manifest, number=self.number, seed=self.ctx.seed, now=now, boot=self.boots
        )
        node["spec"]["podCIDR"] = str(self.pod_cidr.network)
        node["spec"]["podCIDRs"] = [node["spec"]["podCIDR"]]
        for address in node["status"]["addresses"]:
            if address["type"] == "InternalIP":
                address["address"] = self.node_ip
        node["status"]["images"] = nodestatus.image_list(self._images)
        try:
            stored = self.client.create(node)
        except AlreadyExists:
            existing = self.client.get("Node", self.name, "")
            merged = dict(existing)
            meta = merged["metadata"] = dict(existing["metadata"])
            meta["labels"] = {
                **(existing["metadata"].get("labels") or {}),
                **node["metadata"]["labels"],
            }
            merged["spec"] = {**node["spec"], **(existing.get("spec") or {})}
            stored = self.client.update(merged)
            status = dict(node["status"])
            status["conditions"] = nodestatus.conditions(
                now, now, (existing.get("status") or {}).get("conditions")
            )
            stored = self.client.update_status(dict(stored, status=status))
        self._node_uid = stored["metadata"]["uid"]
        self._last_report = now
        self._reported_images = tuple(self._images)

    def _renew_lease(self) -> None:
        now = self.clock.now
        store = self.ctx.api.store
        lease = store.get("Lease", "kube-node-lease", self.name)
        if lease is None:
            fresh = nodestatus.lease({"metadata": {"name": self.name, "uid": self._node_uid}}, now)
            with contextlib.suppress(AlreadyExists):
                self.client.create(fresh)
            return
        new = dict(lease)
        new["metadata"] = dict(lease["metadata"])
        new["spec"] = dict(lease["spec"], renewTime=nodestatus.micro_time(now))
        new["spec"]["holderIdentity"] = self.name
        with contextlib.suppress(Conflict, NotFound):
            self.client.update(new)

    def heartbeat(self) -> None:
        """Every 10 s: renew the Lease; post node status if it changed or 5 min have passed."""
        if not self.running:
            return
        self._renew_lease()
        self._evict_over_local_storage()
        for backoff in (self.crash_backoff, self.pull_backoff):
            backoff.sweep(self.clock.now)  # housekeeping: kl.backOff.GC()
        node = self._nodes.get("", self.name)
        if node is None:  # deleted while we run: register again, as the kubelet does
            self._register()
            return
        now = self.clock.now
        status = node.get("status") or {}
        ready = next((c for c in status.get("conditions") or () if c.get("type") == "Ready"), None)
        changed = (
            ready is None
            or ready.get("status") != "True"
            or tuple(self._images) != self._reported_images
        )
        if changed or now - self._last_report >= NODE_STATUS_REPORT_FREQUENCY:
            new_status = dict(status)
            new_status["conditions"] = nodestatus.conditions(now, now, status.get("conditions"))
            new_status["images"] = nodestatus.image_list(self._images)
            try:
                self.client.update_status(dict(node, status=new_status))
            except (Conflict, NotFound):
                return
            self._last_report = now
            self._reported_images = tuple(self._images)

    def _evict_over_local_storage(self) -> None:
        """The eviction manager's local-storage pass (its period is the heartbeat's, 10 s),
        over the pods that have an emptyDir ``sizeLimit`` or ``ephemeral-storage`` limits."""
        if not self._storage_limited:
            return
        storage = storage_for(self.ctx.api)
        for uid, worker in list(self._storage_limited.items()):
            if self.workers.get(uid) is not worker or worker.phase_terminal:
                del self._storage_limited[uid]  # gone, replaced or finished
            elif worker.evicted is None:
                message = local_storage_violation(worker, storage)
                if message is not None:
                    worker.evict(message)

    # -- pods from the API server -------------------------------------------------------------
    def on_pod(self, pod: dict) -> None:
        """A pod bound to this node was added or changed (called from the watch)."""
        self._pending[pod["metadata"]["uid"]] = (pod, False)
        self._schedule_drain()

    def on_pod_deleted(self, pod: dict) -> None:
        self._pending[pod["metadata"]["uid"]] = (pod, True)
        self._schedule_drain()

    def _schedule_drain(self) -> None:
        if not self._drain_scheduled:
            self._drain_scheduled = True
            self.clock.call_later(0, self._drain)

    def _drain(self) -> None:
        self._drain_scheduled = False
        if not self.running:
            return
        batch, self._pending = self._pending, {}
        for uid, (pod, deleted) in batch.items():
            worker = self.workers.get(uid)
            if deleted:
                if worker is None:
                    continue
                worker.api_gone = True
                if worker.done or worker.phase_terminal:
                    worker.lose()
                    del self.workers[uid]
                else:
                    grace = pod["metadata"].get("deletionGracePeriodSeconds") or MIN_KILL_GRACE
                    worker.terminate(grace)
                continue
            if worker is None:
                status = pod.get("status") or {}
                if status.get("phase") in ("Succeeded", "Failed"):
                    continue
                restored = bool(
                    status.get("containerStatuses") or status.get("initContainerStatuses")
                )
                worker = self.workers[uid] = PodWorker(self, pod, restored=restored)
                if worker.local_limits:
                    self._storage_limited[uid] = worker
                worker.update(pod)
            elif pod["spec"] is not worker.pod["spec"] or (
                pod["metadata"].get("deletionTimestamp")
                != worker.pod["metadata"].get("deletionTimestamp")
            ):
                worker.update(pod)
            else:
                worker.pod = pod  # a status-only change: nothing to do (config "reconcile")

    # -- what pod workers use -------------------------------------------------------------------
    def event(self, pod: dict, type_: str, reason: str, message: str) -> None:
        if self.running:
            self.client.event(pod, type_, reason, message)

    def mark_dirty(self, worker: PodWorker) -> None:
        self._dirty[worker.uid] = worker
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self.clock.call_later(0, self._flush, priority=LATE)

    def _flush(self) -> None:
        """The status manager: post each changed pod status; delete finished terminating pods."""
        self._flush_scheduled = False
        if not self.running:
            return
        dirty, self._dirty = self._dirty, {}
        for uid, worker in dirty.items():
            if self.workers.get(uid) is not worker:
                continue
            if worker.api_gone:
                if worker.done:
                    del self.workers[uid]
                continue
            live = self._pods.get(worker.namespace, worker.name)
            if live is None or live["metadata"].get("uid") != uid:
                continue
            status = worker.api_status()
            if status != live.get("status"):
                try:
                    live = self.client.update_status(dict(live, status=status))
                except (NotFound, Conflict):
                    continue
                worker.pod = live
            if worker.done and live["metadata"].get("deletionTimestamp"):
                del self.workers[uid]
                with contextlib.suppress(NotFound):
                    self.client.delete("Pod", worker.name, worker.namespace, grace_period=0)

    def image_present(self, image) -> bool:
        return image.normalized in self._images

    def pull(self, image, present: bool) -> tuple[float, float, bool]:
        """Start (or join) a pull of ``image``; returns ``(start, finish, ok)``."""
        now, key = self.clock.now, image.normalized
        in_flight = self._pulling.get(key)
        if in_flight is not None and not present:
            return in_flight
        if present:
            duration = ALWAYS_PULL_SECONDS
        elif image.missing:
            duration = PULL_FAIL_SECONDS
        else:
            duration = image.pull_seconds
        start = max(now, self._pull_free_at)
        finish = start + duration
        self._pull_free_at = finish
        result = (start, finish, not image.missing)
        if not image.missing and not present:
            self._pulling[key] = result
            self.clock.call_at(finish, self._pulled, image, self.boots)
        return result

    def _pulled(self, image, boot: int) -> None:
        if boot != self.boots:
            return  # the machine went down during the pull
        self._pulling.pop(image.normalized, None)
        self._images[image.normalized] = image

    def allocate_ip(self, worker: PodWorker) -> str | None:
        if worker.pod["spec"].get("hostNetwork"):
            return self.node_ip
        return self.pod_cidr.allocate()

    def release_ip(self, worker: PodWorker) -> None:
        if not worker.pod["spec"].get("hostNetwork"):
            self.pod_cidr.release(worker.pod_ip)

    def new_container_id(self) -> str:
        return f"containerd://{self.rng.getrandbits(256):064x}"

    # -- for lessons ------------------------------------------------------------------------------
    @property
    def images_present(self) -> list[str]:
        """The images this node has pulled."""
        return sorted(self._images)

    def pod_network(self, namespace: str, name: str) -> dict | None:
        """The pod's IP and which container listens on which port (containers share the IP)."""
        for worker in self.workers.values():
            if worker.key == (namespace, name) and worker.sandbox == "ready":
                return worker.network()
        return None
