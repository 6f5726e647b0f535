"""The node lifecycle controller (``pkg/controller/nodelifecycle``).

Every 5 s (``--node-monitor-period``) it checks each node's heartbeats: the kubelet's
Lease in ``kube-node-lease`` and the ``Ready`` condition's ``lastHeartbeatTime``. A
node silent for 50 s (``--node-monitor-grace-period``; 60 s
``--node-startup-grace-period`` for a node that never posted status) gets its
conditions set to ``Unknown`` ("Kubelet stopped posting node status."), its pods
marked not Ready, and taints:

* ``NoSchedule`` taints mirror the conditions at once (``doNoScheduleTaintingPass``):
  Ready=Unknown → ``node.kubernetes.io/unreachable``, Ready=False →
  ``node.kubernetes.io/not-ready``, pressure conditions, ``spec.unschedulable`` →
  ``node.kubernetes.io/unschedulable``;
* ``NoExecute`` taints (which evict, see ``tainteviction.py``) are added from the next
  pass on, rate-limited per zone (``--node-eviction-rate`` 0.1 node/s, burst 1) and not
  at all when every node of the cluster is not Ready ("master disruption mode"); they
  are removed when the node reports Ready again.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from kubelab.api.meta import cow, get_condition, parse_time, timestamp
from kubelab.controllers.base import Controller
from kubelab.errors import KubelabError

__all__ = ["NOT_READY", "UNREACHABLE", "UNSCHEDULABLE", "NodeLifecycleController", "zone_key"]

NODE_MONITOR_PERIOD = 5.0
NODE_MONITOR_GRACE_PERIOD = 50.0  # 40 s before v1.32
NODE_STARTUP_GRACE_PERIOD = 60.0
NODE_EVICTION_RATE = 0.1
SECONDARY_NODE_EVICTION_RATE = 0.01
LARGE_CLUSTER_SIZE_THRESHOLD = 50
UNHEALTHY_ZONE_THRESHOLD = 0.55
NODE_LEASE_NAMESPACE = "kube-node-lease"

UNREACHABLE = "node.kubernetes.io/unreachable"
NOT_READY = "node.kubernetes.io/not-ready"
UNSCHEDULABLE = "node.kubernetes.io/unschedulable"
CONDITION_TAINTS = {
    ("Ready", "False"): NOT_READY,
    ("Ready", "Unknown"): UNREACHABLE,
    ("MemoryPressure", "True"): "node.kubernetes.io/memory-pressure",
    ("DiskPressure", "True"): "node.kubernetes.io/disk-pressure",
    ("NetworkUnavailable", "True"): "node.kubernetes.io/network-unavailable",
    ("PIDPressure", "True"): "node.kubernetes.io/pid-pressure",
}
_NO_SCHEDULE_KEYS = frozenset(CONDITION_TAINTS.values()) | {UNSCHEDULABLE}
_MONITORED_CONDITIONS = ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure")
_EXCLUDE_DISRUPTION = "node.kubernetes.io/exclude-disruption"
NORMAL, PARTIAL, FULL, INITIAL = "Normal", "PartialDisruption", "FullDisruption", "Initial"


def zone_key(node: dict) -> str:
    """``nodetopology.GetZoneKey``: region and zone labels ("" without them).

    >>> zone_key({"metadata": {"labels": {"topology.kubernetes.io/zone": "a"}}})
    ':\\x00:a'
    >>> zone_key({"metadata": {}})
    ''
    """
    node_labels = node["metadata"].get("labels") or {}
    region = node_labels.get("topology.kubernetes.io/region", "")
    zone = node_labels.get("topology.kubernetes.io/zone", "")
    return f"{region}:\x00:{zone}" if region or zone else ""


@dataclass
class _Health:
    probe: float  # when we last saw a sign of life
    transition: float
    ready: dict | None = None  # the Ready condition as last seen
    lease: str | None = None  # the Lease renewTime as last seen


class NodeLifecycleController(Controller):
    """Watches node heartbeats; turns silence into conditions, taints and not-ready pods."""

    name = "node-lifecycle-controller"

    def setup(self) -> None:
        cfg = self.config
        self.monitor_period = cfg.get("node-monitor-period", NODE_MONITOR_PERIOD)
        self.grace_period = cfg.get("node-monitor-grace-period", NODE_MONITOR_GRACE_PERIOD)
        self.startup_grace_period = cfg.get("node-startup-grace-period", NODE_STARTUP_GRACE_PERIOD)
        self.eviction_rate = cfg.get("node-eviction-rate", NODE_EVICTION_RATE)
        self.nodes = self.informers.get("Node")
        self.leases = self.informers.get("Lease")
        self.pods = self.informers.get("Pod")
        self.health: dict[str, _Health] = {}
        self.known: set[str] = set()
        self.zone_states: dict[str, str] = {}
        # NoExecute tainting: per zone a FIFO of nodes and a token bucket (rate, tokens, time).
        self._queues: dict[str, OrderedDict] = {}
        self._buckets: dict[str, list] = {}
        self._wakeups: set[str] = set()
        self.nodes.add_handler(on_add=self.enqueue_object, on_update=self.enqueue_object)
        self.pods.add_handler(on_add=self._pod_added, on_update=self._pod_updated)
        self.clock.call_later(0, self._monitor_loop)

    # -- NoSchedule taints mirror conditions (on every node change) ----------------------------
    def sync(self, key) -> None:
        node = self.nodes.get("", key[1])
        if node is None:
            return
        wanted = []
        for cond in (node.get("status") or {}).get("conditions") or ():
            taint_key = CONDITION_TAINTS.get((cond.get("type"), cond.get("status")))
            if taint_key:
                wanted.append(taint_key)
        if node.get("spec", {}).get("unschedulable"):
            wanted.append(UNSCHEDULABLE)
        have = {
            t["key"]
            for t in node.get("spec", {}).get("taints") or ()
            if t.get("effect") == "NoSchedule" and t.get("key") in _NO_SCHEDULE_KEYS
        }
        add = [k for k in wanted if k not in have]
        remove = [(k, "NoSchedule") for k in have if k not in wanted]
        if add or remove:
            self.swap_taints(node, [(k, "NoSchedule") for k in add], remove)

    def swap_taints(self, node: dict, add: list[tuple], remove: list[tuple]) -> bool:
        """``SwapNodeControllerTaint``: add ``(key, effect)`` taints (with timeAdded), remove others."""
        taints = node.get("spec", {}).get("taints") or []
        gone = set(remove) | set(add)
        kept = [t for t in taints if (t.get("key"), t.get("effect")) not in gone]
        present = {(t.get("key"), t.get("effect")) for t in taints}
        stamp = timestamp(self.clock.now)
        added = [
            {"key": k, "effect": e, "timeAdded": stamp}
            if (k, e) not in present
            else next(t for t in taints if (t.get("key"), t.get("effect")) == (k, e))
            for k, e in add
        ]
        new_taints = kept + added
        if new_taints == taints:
            return True
        new, spec = cow(node, "spec")
        if new_taints:
            spec["taints"] = new_taints
        else:
            spec.pop("taints", None)
        try:
            self.client.update(new)
        except KubelabError:
            return False
        return True

    # -- the monitor loop ------------------------------------------------------------------
    def _monitor_loop(self) -> None:
        self.monitor_node_health()
        self.clock.call_later(self.monitor_period, self._monitor_loop)

    def monitor_node_health(self) -> None:
        """One pass of ``monitorNodeHealth`` over every node."""
        nodes = sorted(self.nodes.list(), key=lambda n: n["metadata"]["name"])
        names = {n["metadata"]["name"] for n in nodes}
        for node in nodes:
            name = node["metadata"]["name"]
            if name not in self.known:
                self.known.add(name)
                self.client.event(
                    node,
                    "Normal",
                    "RegisteredNode",
                    f"Node {name} event: Registered Node {name} in Controller",
                )
                self._zone(node)
                self.mark_node_as_reachable(node)
        for name in sorted(self.known - names):
            self.known.discard(name)
            self.health.pop(name, None)
            ref = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}}
            self.client.event(
                ref,
                "Normal",
                "RemovingNode",
                f"Node {name} event: Removing Node {name} from Controller",
            )
        zone_conditions: dict[str, list] = {}
        for node in nodes:
            observed, current = self.try_update_node_health(node)
            if (node["metadata"].get("labels") or {}).get(_EXCLUDE_DISRUPTION) is None:
                zone_conditions.setdefault(zone_key(node), []).append(current)
            if current is None:
                continue
            node = self.nodes.get("", node["metadata"]["name"]) or node
            self.process_taint_based_eviction(node, observed)
            if current.get("status") != "True" and observed.get("status") == "True":
                name = node["metadata"]["name"]
                self.client.event(
                    node, "Normal", "NodeNotReady", f"Node {name} status is now: NodeNotReady"
                )
                self.mark_pods_not_ready(name)
        self.handle_disruption(zone_conditions, nodes)

    def try_update_node_health(self, node: dict) -> tuple[dict, dict | None]:
        """``tryUpdateNodeHealth``: returns (observed, current) Ready conditions."""
        now = self.clock.now
        meta = node["metadata"]
        name = meta["name"]
        created = parse_time(meta.get("creationTimestamp")) or 0.0
        h = self.health.get(name)
        ready = get_condition(node, "Ready")
        if ready is None:
            observed = {
                "type": "Ready",
                "status": "Unknown",
                "lastHeartbeatTime": meta.get("creationTimestamp"),
                "lastTransitionTime": meta.get("creationTimestamp"),
            }
            grace = self.startup_grace_period
            if h is None:
                h = _Health(probe=created, transition=created)
        else:
            observed, grace = ready, self.grace_period
        saved = h.ready if h is not None else None
        if h is None or (saved is None) != (ready is None):
            h = _Health(probe=now, transition=now, lease=h.lease if h else None)
        elif saved is not None and saved.get("lastHeartbeatTime") != ready.get("lastHeartbeatTime"):
            changed = saved.get("lastTransitionTime") != ready.get("lastTransitionTime")
            h = _Health(probe=now, transition=now if changed else h.transition, lease=h.lease)
        h.ready = ready
        self.health[name] = h
        lease = self.leases.get(NODE_LEASE_NAMESPACE, name)
        if lease is not None:
            renew = (lease.get("spec") or {}).get("renewTime") or lease["metadata"].get(
                "resourceVersion"
            )
            if renew != h.lease:
                h.lease, h.probe = renew, now
        current = ready
        if now > h.probe + grace:
            conditions = list((node.get("status") or {}).get("conditions") or ())
            stamp = timestamp(now)
            for type_ in _MONITORED_CONDITIONS:
                i = next((i for i, c in enumerate(conditions) if c.get("type") == type_), None)
                if i is None:
                    conditions.append(
                        {
                            "type": type_,
                            "status": "Unknown",
                            "reason": "NodeStatusNeverUpdated",
                            "message": "Kubelet never posted node status.",
                            "lastHeartbeatTime": meta.get("creationTimestamp"),
                            "lastTransitionTime": stamp,
                        }
                    )
                elif conditions[i].get("status") != "Unknown":
                    conditions[i] = dict(
                        conditions[i],
                        status="Unknown",
                        reason="NodeStatusUnknown",
                        message="Kubelet stopped posting node status.",
                        lastTransitionTime=stamp,
                    )
            current = next(c for c in conditions if c.get("type") == "Ready")
            if current != observed:
                new, status = cow(node, "status")
                status["conditions"] = conditions
                try:
                    self.client.update_status(new)
                except KubelabError:
                    return observed, ready
                h.ready, h.transition = current, now
        return observed, current

    def mark_pods_not_ready(self, node_name: str, pods=None) -> None:
        """``MarkPodsNotReady``: the Ready condition of the node's pods becomes False."""
        now = self.clock.now
        for pod in pods if pods is not None else self.pods.by_index("nodeName", node_name):
            if pod["spec"].get("nodeName") != node_name:
                continue
            conditions = (pod.get("status") or {}).get("conditions") or []
            i = next((i for i, c in enumerate(conditions) if c.get("type") == "Ready"), None)
            if i is None or conditions[i].get("status") == "False":
                continue
            new, status = cow(pod, "status")
            status["conditions"] = [
                *conditions[:i],
                dict(conditions[i], status="False", lastTransitionTime=timestamp(now)),
                *conditions[i + 1 :],
            ]
            try:
                self.client.update_status(new)
            except KubelabError:
                continue
            self.client.event(pod, "Warning", "NodeNotReady", "Node is not ready")

    def _pod_added(self, pod: dict) -> None:
        if pod["spec"].get("nodeName"):
            self._process_pod(pod)

    def _pod_updated(self, old: dict, new: dict) -> None:
        node = new["spec"].get("nodeName")
        if node and node != old["spec"].get("nodeName"):
            self._process_pod(new)

    def _process_pod(self, pod: dict) -> None:
        """A pod bound to a node we know is not Ready is marked not Ready too."""
        h = self.health.get(pod["spec"]["nodeName"])
        if h is not None and h.ready is not None and h.ready.get("status") != "True":
            self.mark_pods_not_ready(pod["spec"]["nodeName"], [pod])

    # -- NoExecute taints ------------------------------------------------------------------
    def process_taint_based_eviction(self, node: dict, observed: dict) -> None:
        status = observed.get("status")
        taints = {(t.get("key"), t.get("effect")) for t in node.get("spec", {}).get("taints") or ()}
        if status == "False":
            if (UNREACHABLE, "NoExecute") in taints:
                self.swap_taints(node, [(NOT_READY, "NoExecute")], [(UNREACHABLE, "NoExecute")])
            else:
                self._mark_for_tainting(node, (NOT_READY, "NoExecute") in taints)
        elif status == "Unknown":
            if (NOT_READY, "NoExecute") in taints:
                self.swap_taints(node, [(UNREACHABLE, "NoExecute")], [(NOT_READY, "NoExecute")])
            else:
                self._mark_for_tainting(node, (UNREACHABLE, "NoExecute") in taints)
        elif status == "True":
            self.mark_node_as_reachable(node)

    def mark_node_as_reachable(self, node: dict) -> None:
        self.swap_taints(node, [], [(UNREACHABLE, "NoExecute"), (NOT_READY, "NoExecute")])
        self._zone(node).pop(node["metadata"]["name"], None)

    def _zone(self, node: dict) -> OrderedDict:
        zone = zone_key(node)
        if zone not in self._queues:
            self._queues[zone] = OrderedDict()
            self._buckets[zone] = [self.eviction_rate, 1.0, self.clock.now]
            self.zone_states[zone] = INITIAL
        return self._queues[zone]

    def _mark_for_tainting(self, node: dict, already_tainted: bool) -> None:
        queue = self._zone(node)
        name = node["metadata"]["name"]
        if not already_tainted:
            queue.pop(name, None)  # (re)queue: upstream Remove + Add
        if name not in queue and not already_tainted:
            queue[name] = node["metadata"].get("uid")
        self._try_taint(zone_key(node))

    def _try_taint(self, zone: str) -> None:
        """``doNoExecuteTaintingPass`` for one zone: as many nodes as the bucket allows."""
        self._wakeups.discard(zone)
        queue, bucket = self._queues[zone], self._buckets[zone]
        rate, tokens, last = bucket
        now = self.clock.now
        tokens = min(1.0, tokens + (now - last) * rate)
        while queue and tokens >= 1.0 and rate > 0:
            tokens -= 1.0
            name, _ = queue.popitem(last=False)
            node = self.nodes.get("", name)
            ready = get_condition(node, "Ready") if node is not None else None
            if ready is None or ready.get("status") == "True":
                continue
            if ready.get("status") == "False":
                add, opposite = (NOT_READY, "NoExecute"), (UNREACHABLE, "NoExecute")
            else:
                add, opposite = (UNREACHABLE, "NoExecute"), (NOT_READY, "NoExecute")
            if not self.swap_taints(node, [add], [opposite]):
                queue[name] = node["metadata"].get("uid")
        bucket[1], bucket[2] = tokens, now
        if queue and rate > 0 and zone not in self._wakeups:
            self._wakeups.add(zone)
            self.clock.call_later((1.0 - tokens) / rate, self._try_taint, zone)

    # -- zones -----------------------------------------------------------------------------
    def compute_zone_state(self, conditions: list) -> str:
        ready = sum(1 for c in conditions if c is not None and c.get("status") == "True")
        not_ready = len(conditions) - ready
        if ready == 0 and not_ready > 0:
            return FULL
        if not_ready > 2 and not_ready / len(conditions) >= UNHEALTHY_ZONE_THRESHOLD:
            return PARTIAL
        return NORMAL

    def _set_rate(self, zone: str, size: int, state: str) -> None:
        if state == PARTIAL:
            rate = SECONDARY_NODE_EVICTION_RATE if size > LARGE_CLUSTER_SIZE_THRESHOLD else 0.0
        else:
            rate = self.eviction_rate
        self._set_bucket_rate(zone, rate)

    def _set_bucket_rate(self, zone: str, rate: float) -> None:
        bucket = self._buckets[zone]
        if bucket[0] != rate:
            bucket[1] = min(1.0, bucket[1] + (self.clock.now - bucket[2]) * bucket[0])
            bucket[0], bucket[2] = rate, self.clock.now
            self._try_taint(zone)

    def handle_disruption(self, zone_conditions: dict[str, list], nodes: list[dict]) -> None:
        """``handleDisruption``: slow evictions in unhealthy zones, stop them everywhere when
        no node at all is Ready (the control plane is more likely cut off than every node)."""
        new_states = {z: self.compute_zone_state(c) for z, c in zone_conditions.items()}
        for zone in list(self.zone_states):
            if zone not in zone_conditions:
                del self.zone_states[zone]
        all_fully = bool(new_states) and all(s == FULL for s in new_states.values())
        all_was_fully = all(s == FULL for s in self.zone_states.values())
        if all_fully and all_was_fully:
            return
        if all_fully:
            for node in nodes:
                self.mark_node_as_reachable(self.nodes.get("", node["metadata"]["name"]) or node)
            for zone in self.zone_states:
                self._set_bucket_rate(zone, 0.0)
                self.zone_states[zone] = FULL
            return
        if all_was_fully and self.zone_states:
            now = self.clock.now
            for h in self.health.values():
                h.probe = h.transition = now
            for zone in self.zone_states:
                self._set_rate(
                    zone, len(zone_conditions.get(zone, ())), new_states.get(zone, NORMAL)
                )
                self.zone_states[zone] = new_states.get(zone, NORMAL)
            return
        for zone, state in new_states.items():
            if self.zone_states.get(zone) != state:
                self._set_rate(zone, len(zone_conditions[zone]), state)
                self.zone_states[zone] = state
