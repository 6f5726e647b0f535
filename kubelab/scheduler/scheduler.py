"""kube-scheduler as a cluster component: watches Nodes and Pods, binds pending pods.

The scheduler keeps its own cache of nodes (a :class:`NodeTable`) current from
informer events and queues every pending pod it is responsible for
(``spec.schedulerName: default-scheduler``, no ``nodeName``, not being deleted).
Each drain takes pods from the active queue one by one, runs a scheduling cycle,
*assumes* the chosen node (the pod's requests count there at once) and binds
through the API server. A pod that fits nowhere gets ``PodScheduled=False``
(reason ``Unschedulable``), a ``FailedScheduling`` event, and waits for a node or
pod change that could help (with backoff), or five minutes.

Examples
--------
>>> from kubelab.apiserver import APIServer
>>> from kubelab.client import InformerFactory
>>> from kubelab.controllers import Context
>>> from kubelab.sim import Clock
>>> clock = Clock(); api = APIServer(clock); api.namespace_checks = False
>>> scheduler = Scheduler(Context(clock, api, InformerFactory(api), seed=0))
>>> kubectl = api.client("kubectl")
>>> for i in (1, 2, 3):
...     _ = kubectl.create({"apiVersion": "v1", "kind": "Node", "metadata": {"name": f"n{i}"},
...                         "status": {"allocatable": {"cpu": "1", "memory": "1Gi", "pods": "110"}}})
>>> _ = kubectl.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "big"},
...     "spec": {"containers": [{"name": "c", "image": "nginx",
...                              "resources": {"requests": {"cpu": "2"}}}]}})
>>> _ = clock.run_until(1)
>>> pod = api.store.get("Pod", "default", "big")
>>> [(c["reason"], c["message"]) for c in pod["status"]["conditions"]]  # doctest: +NORMALIZE_WHITESPACE
[('Unschedulable', '0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are
  available: 3 Preemption is not helpful for scheduling.')]
"""

from __future__ import annotations

import contextlib
import math

from kubelab.api.meta import cow, get_condition, set_condition
from kubelab.controllers.base import Controller
from kubelab.errors import KubelabError
from kubelab.scheduler.framework import Framework, truncate_message
from kubelab.scheduler.handle import InformerHandle
from kubelab.scheduler.nodetable import NodeTable
from kubelab.scheduler.podinfo import PodInfo
from kubelab.scheduler.queue import FLUSH_UNSCHEDULABLE_PERIOD, SchedulingQueue
from kubelab.scheduler.schedule_one import ScheduleResult, SchedulingAlgorithm

__all__ = ["DEFAULT_SCHEDULER_NAME", "Scheduler"]

DEFAULT_SCHEDULER_NAME = "default-scheduler"
_TERMINAL = ("Succeeded", "Failed")


def _terminal(pod: dict) -> bool:
    # The scheduler's pod informer excludes finished pods (status.phase!=Succeeded,Failed).
    return (pod.get("status") or {}).get("phase") in _TERMINAL


def _node_properties(node: dict):
    """What a node update must change to possibly help a pending pod (heartbeats don't)."""
    spec, status = node.get("spec") or {}, node.get("status") or {}
    conditions = tuple((c.get("type"), c.get("status")) for c in status.get("conditions") or ())
    return (
        bool(spec.get("unschedulable")),
        spec.get("taints"),
        node["metadata"].get("labels"),
        status.get("allocatable") or status.get("capacity"),
        conditions,
    )


class Scheduler(Controller):
    """The default scheduler, wired into a cluster's clock, API server and informers.

    Built like every component from the cluster's ``Context``: ``Scheduler(ctx)``.
    ``ctx.config["percentageOfNodesToScore"]`` sets the profile's percentage (0:
    upstream's adaptive default).

    Attributes
    ----------
    table : NodeTable
        The scheduler's node cache.
    queue : SchedulingQueue
        Pending pods (active, backoff, unschedulable).
    algorithm : SchedulingAlgorithm
        Filters and scores; its ``framework`` holds the plugins and weights.
    last_results : dict
        ``(namespace, name) → (time, node or None, message)`` of each pod's latest cycle
        (arrays are not kept: 150,000 diagnoses would not fit in memory; use
        :func:`kubelab.scheduler.explain` to recompute one).
    """

    name = DEFAULT_SCHEDULER_NAME
    qps = None  # kube-scheduler's own client limits (50/100) are not modelled

    def setup(self) -> None:
        self.table = NodeTable()
        self.queue = SchedulingQueue()
        framework = Framework.default()
        framework.percentage_of_nodes_to_score = int(self.config.get("percentageOfNodesToScore", 0))
        framework.handle = InformerHandle(self.informers)
        for plugin in framework.filters:  # plugins that watch more of the cluster (VolumeBinding)
            if hasattr(plugin, "attach"):
                plugin.attach(self)
        self.algorithm = SchedulingAlgorithm(framework, self.table, self.rng)
        self.last_results: dict[tuple[str, str], tuple[float, str | None, str]] = {}
        self._drain_timer = None
        self._backoff_timer = None
        self._backoff_at = math.inf
        self._flush_timer = None
        nodes, pods = self.informers.get("Node"), self.informers.get("Pod")
        for node in sorted(nodes.list(), key=lambda n: n["metadata"]["name"]):
            self.table.set_node(node)
        for pod in sorted(
            pods.list(), key=lambda p: (p["metadata"].get("namespace", ""), p["metadata"]["name"])
        ):
            self._on_pod_add(pod)
        nodes.add_handler(
            on_add=self._on_node_add, on_update=self._on_node_update, on_delete=self._on_node_delete
        )
        pods.add_handler(
            on_add=self._on_pod_add, on_update=self._on_pod_update, on_delete=self._on_pod_delete
        )

    def explain(self, name: str, namespace: str = "default"):
        """What the scheduler "thought" of every node for a pod, as a DataFrame.

        One row per node: each filter's verdict (``<Filter>.filter``: ``"pass"`` or the
        reason), the first failing filter (``filter``, ``reasons``), each score plugin's
        raw, normalised and weighted score (``<Score>.raw``, ``<Score>.normalized``,
        ``<Score>``) and ``total``; see :mod:`kubelab.scheduler.explain`. Works for
        pending pods and for pods already on a node (then judged without themselves, as
        when they were placed, and the ``assigned`` column marks their node).
        Learners call it as ``c.scheduler.explain("web-abc12")``.

        Examples
        --------
        >>> import kubelab as kl
        >>> c = kl.Cluster(nodes=2, seed=0)
        >>> _ = c.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
        ...              "spec": {"containers": [{"name": "c", "image": "nginx"}]}})
        >>> df = c.run(1).scheduler.explain("p")
        >>> df[["node", "feasible", "assigned"]].values.tolist()
        [['node-1', True, True], ['node-2', True, False]]
        """
        from kubelab.errors import NotFound
        from kubelab.scheduler.explain import explain

        pod = self.informers.get("Pod").get(namespace, name)
        if pod is None:
            raise NotFound("pods", name)
        info = PodInfo.from_pod(pod)
        info.node_name = ""  # judge it as the pending pod it was
        record = self.table.pods.get(info.key)
        if record is not None:
            self.table.remove_pod(info.key)
        assigned = (pod.get("spec") or {}).get("nodeName") or None
        try:
            return explain(self.algorithm, info, assigned=assigned)
        finally:
            if record is not None:
                self.table.add_pod(record.info, record.node)

    # -- informer events -------------------------------------------------------------------
    def _responsible(self, pod: dict) -> bool:
        spec = pod.get("spec") or {}
        return (
            not spec.get("nodeName")
            and not pod["metadata"].get("deletionTimestamp")
            and (spec.get("schedulerName") or DEFAULT_SCHEDULER_NAME) == self.name
            and not _terminal(pod)
        )

    def _on_node_add(self, node: dict) -> None:
        self.table.set_node(node)
        self._cluster_event()

    def _on_node_update(self, old: dict, new: dict) -> None:
        self.table.set_node(new)
        if _node_properties(old) != _node_properties(new):
            self._cluster_event()

    def _on_node_delete(self, node: dict) -> None:
        self.table.remove_node(node["metadata"]["name"])

    def _on_pod_add(self, pod: dict) -> None:
        node = (pod.get("spec") or {}).get("nodeName")
        if node:
            if not _terminal(pod):
                self.table.add_pod(PodInfo.from_pod(pod), node)
                self._assigned_pod_added(pod)
        elif self._responsible(pod):
            info = PodInfo.from_pod(pod)
            self.queue.add(info.key, info, priority=info.priority, now=self.clock.now)
            self._schedule_drain()

    def _on_pod_update(self, old: dict, new: dict) -> None:
        meta = new["metadata"]
        key = (meta.get("namespace", ""), meta["name"])
        node = (new.get("spec") or {}).get("nodeName")
        if node:
            self.queue.delete(key)
            if _terminal(new):
                self._forget(key)
                return
            record = self.table.pods.get(key)
            same_selectable = _same_selectable(old, new)
            if (
                record is not None
                and record.node == node
                and same_selectable
                and _same_requests(record.info.pod, new)
            ):
                record.info.pod = new  # the assumed pod is confirmed by the informer
                return
            self.table.add_pod(PodInfo.from_pod(new), node)
            if record is None:
                self._assigned_pod_added(new)
            else:
                # Its requests changed (a resize may free room), or its labels or termination
                # did (pod affinity and spreading count it differently now).
                self._cluster_event()
        elif not self._responsible(new):
            self.queue.delete(key)
        elif key not in self.queue:
            self._on_pod_add(new)
        elif _spec_or_labels_changed(old, new):
            # A status write (our own Unschedulable condition) is no reason to retry.
            info = PodInfo.from_pod(new)
            self.queue.update(key, info, priority=info.priority, now=self.clock.now)
            self._schedule_drain()

    def _on_pod_delete(self, pod: dict) -> None:
        meta = pod["metadata"]
        key = (meta.get("namespace", ""), meta["name"])
        self.queue.delete(key)
        self.last_results.pop(key, None)
        self._forget(key)

    def _forget(self, key) -> None:
        if key in self.table.pods:
            self.table.remove_pod(key)
            self._cluster_event()

    def _assigned_pod_added(self, pod: dict) -> None:
        """``AssignedPodAdd``: retry pods that pod affinity or spreading rejected in its
        namespace (queueing hints; other rejections can't be helped by a new pod)."""
        namespace = pod["metadata"].get("namespace", "")
        if self.queue.move_for_pod_add(namespace, self.clock.now):
            self._schedule_drain()
            self._schedule_backoff_flush()

    def _cluster_event(self) -> None:
        """Something changed that could help unschedulable pods: retry them (after backoff)."""
        if self.queue.move_all_to_active_or_backoff(self.clock.now):
            self._schedule_drain()
            self._schedule_backoff_flush()

    # -- timers ----------------------------------------------------------------------------
    def _schedule_drain(self) -> None:
        if self._drain_timer is None:
            self._drain_timer = self.clock.call_later(0, self._drain, priority=self.priority)

    def _schedule_backoff_flush(self) -> None:
        expiry = self.queue.next_backoff_expiry()
        if expiry is None or expiry >= self._backoff_at:
            return
        if self._backoff_timer is not None:
            self._backoff_timer.cancel()
        self._backoff_at = expiry
        self._backoff_timer = self.clock.call_at(
            expiry, self._flush_backoff, priority=self.priority
        )

    def _flush_backoff(self) -> None:
        self._backoff_timer, self._backoff_at = None, math.inf
        self.queue.flush_backoff_completed(self.clock.now)
        self._schedule_drain()
        self._schedule_backoff_flush()

    def _schedule_leftover_flush(self) -> None:
        if self._flush_timer is None:
            # Upstream checks every 30 s from start; align to that grid.
            period = FLUSH_UNSCHEDULABLE_PERIOD
            when = (math.floor(self.clock.now / period) + 1) * period
            self._flush_timer = self.clock.call_at(
                when, self._flush_leftover, priority=self.priority
            )

    def _flush_leftover(self) -> None:
        self._flush_timer = None
        self.queue.flush_unschedulable_leftover(self.clock.now)
        self._schedule_drain()
        self._schedule_backoff_flush()
        if self.queue.has_unschedulable():
            self._schedule_leftover_flush()

    # -- the scheduling loop ---------------------------------------------------------------
    def _drain(self) -> None:
        """Schedule every pod in the active queue, highest priority first."""
        self._drain_timer = None
        now = self.clock.now
        while (queued := self.queue.pop(now)) is not None:
            self.schedule_one(queued)
        self._schedule_backoff_flush()
        if self.queue.has_unschedulable():
            self._schedule_leftover_flush()

    def schedule_one(self, queued) -> ScheduleResult:
        """One scheduling cycle plus the binding cycle for a queued pod."""
        info = queued.info
        result = self.algorithm.schedule(info)
        self.last_results[info.key] = (self.clock.now, result.node, result.message)
        pod = self.informers.get("Pod").get(*info.key) or info.pod
        if result.node is None:
            self._unschedulable(pod, result.message)
            queued.pod_add_helps = result.pod_add_helps()
            self.queue.requeue_unschedulable(queued, self.clock.now)
            return result
        self.table.add_pod(info, result.node)  # assume: its requests count from now on
        self._assigned_pod_added(info.pod)
        try:
            self.client.bind(pod, result.node)
        except KubelabError as error:
            self.table.remove_pod(info.key)  # forget the assumed pod
            live = self.informers.get("Pod").get(*info.key)
            if live is not None and self._responsible(live):
                self.client.event(
                    pod,
                    "Warning",
                    "FailedScheduling",
                    truncate_message(f"Binding rejected: {error}"),
                )
                self.queue.requeue_backoff(queued, self.clock.now)
            else:
                self.queue.done(info.key)
            return result
        self.queue.done(info.key)
        ns, name = info.key
        self.client.event(
            pod, "Normal", "Scheduled", f"Successfully assigned {ns}/{name} to {result.node}"
        )
        return result

    def _unschedulable(self, pod: dict, message: str) -> None:
        condition = {
            "type": "PodScheduled",
            "status": "False",
            "lastProbeTime": None,
            "reason": "Unschedulable",
            "message": message,
        }
        old = get_condition(pod, "PodScheduled")
        if old is None or (old.get("status"), old.get("reason"), old.get("message")) != (
            "False",
            "Unschedulable",
            message,
        ):
            new, status = cow(pod, "status")
            status["conditions"] = set_condition(
                status.get("conditions"), condition, self.clock.now
            )
            with contextlib.suppress(KubelabError):  # gone or changed: the informer will tell
                self.client.update_status(new)
        self.client.event(pod, "Warning", "FailedScheduling", truncate_message(message))


def _spec_or_labels_changed(old: dict, new: dict) -> bool:
    a, b = old.get("spec"), new.get("spec")
    return (a is not b and a != b) or old["metadata"].get("labels") != new["metadata"].get("labels")


def _same_selectable(old: dict, new: dict) -> bool:
    """Labels and termination: what pod affinity and topology spreading look at."""
    a, b = old["metadata"], new["metadata"]
    return a.get("labels") == b.get("labels") and bool(a.get("deletionTimestamp")) == bool(
        b.get("deletionTimestamp")
    )


def _same_requests(old: dict, new: dict) -> bool:
    """Did anything the node accounting depends on stay the same? (cheap identity checks first)"""
    a, b = old.get("spec") or {}, new.get("spec") or {}
    if a is b:
        return True
    return all(
        a.get(f) is b.get(f) or a.get(f) == b.get(f)
        for f in ("containers", "initContainers", "overhead")
    )
