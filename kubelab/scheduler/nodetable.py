"""The scheduler's cache of nodes as numpy columns: one slot per node.

Upstream keeps a ``NodeInfo`` per node (allocatable, requested, pods, ports,
taints) and a snapshot of them for each cycle. kubelab keeps the same facts as
columns, so a filter is a handful of array comparisons over every node at once:
``requested_cpu + pod.cpu <= allocatable_cpu`` is one expression, not a loop.

Pods are accounted as upstream's cache does: :meth:`NodeTable.add_pod` when a
pod is assumed (bound by the scheduler) or seen assigned, :meth:`remove_pod`
when it is deleted, finishes or its binding is forgotten. Pods on a node the
table does not know yet wait and are counted when the node appears.

Examples
--------
>>> table = NodeTable()
>>> slot = table.set_node({"metadata": {"name": "node-1", "labels": {"zone": "a"}},
...                        "status": {"allocatable": {"cpu": "2", "memory": "4Gi", "pods": "110"}}})
>>> from kubelab.scheduler.podinfo import PodInfo
>>> pod = PodInfo.from_pod({"metadata": {"name": "p", "namespace": "default"},
...     "spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": "500m"}}}]}})
>>> table.add_pod(pod, "node-1")
>>> int(table.requested_cpu[slot]), int(table.pod_count[slot]), table.label_mask("zone", "a").tolist()
(500, 1, [True])
>>> table.remove_pod(pod.key); int(table.requested_cpu[slot])
0
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np

from kubelab.scheduler.podgroups import PodGroups
from kubelab.scheduler.requests import _amount
from kubelab.scheduler.taints import Taint, taint_tuple

__all__ = ["NodeTable", "PodRecord"]

_RESOURCE_COLUMNS = (
    "allocatable_cpu",
    "allocatable_memory",
    "allocatable_ephemeral",
    "allocatable_pods",
    "requested_cpu",
    "requested_memory",
    "requested_ephemeral",
    "non_zero_cpu",
    "non_zero_memory",
    "pod_count",
    # allocatable − requested, kept current so the fit filter is one comparison per resource
    "free_cpu",
    "free_memory",
    "free_ephemeral",
    "free_pods",
)


@dataclass(eq=False)
class PodRecord:
    """One pod counted on a node (``slot`` -1 while its node is unknown)."""

    node: str
    slot: int
    info: object  # PodInfo


class NodeTable:
    """Nodes as numpy columns, updated incrementally from informer events."""

    def __init__(self, capacity: int = 16):
        self._capacity = capacity
        self.size = 0  # slots ever used; columns are valid on [0, size)
        self.names: list[str | None] = []
        self.nodes: list[dict | None] = []
        self.slot_of: dict[str, int] = {}
        self._free: list[int] = []
        self.active = np.zeros(capacity, dtype=bool)
        self.unschedulable = np.zeros(capacity, dtype=bool)
        for column in _RESOURCE_COLUMNS:
            setattr(self, column, np.zeros(capacity, dtype=np.int64))
        self.taint_signature = np.zeros(capacity, dtype=np.int32)
        self.scalar_allocatable: dict[str, np.ndarray] = {}
        self.scalar_requested: dict[str, np.ndarray] = {}
        self.labels: list[dict] = []
        self.taints: list[tuple[Taint, ...]] = []
        # (key → value → slots): the label index NodeAffinity's masks are built from.
        self.label_index: dict[str, dict[str, set[int]]] = {}
        # Distinct taint lists: nodes usually share a handful, so per-pod work is per signature.
        self.signatures: list[tuple[Taint, ...]] = [()]
        self._signature_ids: dict[tuple[Taint, ...], int] = {(): 0}
        # (protocol, port) → hostIP → slot → count of pods using it.
        self.ports: dict[tuple[str, int], dict[str, dict[int, int]]] = {}
        self.pods: dict[tuple[str, str], PodRecord] = {}
        self.pods_on: list[set[tuple[str, str]]] = []  # slot → keys of the pods counted there
        self._waiting: dict[str, set[tuple[str, str]]] = {}
        # Pods grouped by namespace and labels, counted per slot (InterPodAffinity, spread).
        self.groups = PodGroups()
        # image name → slot → size (ImageLocality); names as the kubelet reports them.
        self.image_index: dict[str, dict[int, int]] = {}
        self._images_raw: list = []
        self.image_version = 0  # bumped when a node's image list changes
        self.version = 0  # bumped when nodes, labels, taints or cordons change (cache key)
        self._order: np.ndarray | None = None
        self._mask_cache: dict[tuple, np.ndarray] = {}

    # -- nodes -------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.slot_of)

    def order(self) -> np.ndarray:
        """Slots of the current nodes, in slot order: the list a cycle scans round-robin."""
        if self._order is None:
            self._order = np.flatnonzero(self.active[: self.size])
        return self._order

    def _grow(self) -> None:
        new = self._capacity * 2
        for column in ("active", "unschedulable", "taint_signature", *_RESOURCE_COLUMNS):
            old = getattr(self, column)
            grown = np.zeros(new, dtype=old.dtype)
            grown[: self._capacity] = old
            setattr(self, column, grown)
        for columns in (self.scalar_allocatable, self.scalar_requested):
            for name, old in columns.items():
                grown = np.zeros(new, dtype=np.int64)
                grown[: self._capacity] = old
                columns[name] = grown
        self._capacity = new

    def _changed(self) -> None:
        self.version += 1
        self._order = None
        self._mask_cache.clear()

    def _scalar(self, columns: dict, name: str) -> np.ndarray:
        column = columns.get(name)
        if column is None:
            column = columns[name] = np.zeros(self._capacity, dtype=np.int64)
        return column

    def set_node(self, node: dict) -> int:
        """Add or update a node from its object; returns its slot."""
        name = node["metadata"]["name"]
        slot = self.slot_of.get(name)
        new = slot is None
        if new:
            if self._free:
                slot = heapq.heappop(self._free)  # reuse the lowest slot: deterministic order
            else:
                if self.size == self._capacity:
                    self._grow()
                slot = self.size
                self.size += 1
                self.names.append(None)
                self.nodes.append(None)
                self.labels.append({})
                self.taints.append(())
                self.pods_on.append(set())
                self._images_raw.append(None)
            self.slot_of[name] = slot
            self.names[slot] = name
            self.active[slot] = True
        self.nodes[slot] = node
        spec, status = node.get("spec") or {}, node.get("status") or {}
        allocatable = status.get("allocatable") or status.get("capacity") or {}
        self.allocatable_cpu[slot] = _amount("cpu", allocatable.get("cpu", 0))
        self.allocatable_memory[slot] = _amount("memory", allocatable.get("memory", 0))
        self.allocatable_ephemeral[slot] = _amount(
            "memory", allocatable.get("ephemeral-storage", 0)
        )
        self.allocatable_pods[slot] = _amount("memory", allocatable.get("pods", 0))
        self._refresh_free(slot)
        for column in self.scalar_allocatable.values():
            column[slot] = 0
        for res, value in allocatable.items():
            if res not in ("cpu", "memory", "ephemeral-storage", "pods"):
                self._scalar(self.scalar_allocatable, res)[slot] = _amount("memory", value)
        changed = new
        unschedulable = bool(spec.get("unschedulable"))
        if unschedulable != self.unschedulable[slot]:
            self.unschedulable[slot] = unschedulable
            changed = True
        labels = node["metadata"].get("labels") or {}
        if labels != self.labels[slot]:
            self._index_labels(slot, self.labels[slot], labels)
            self.labels[slot] = dict(labels)
            changed = True
        taints = tuple(taint_tuple(t) for t in spec.get("taints") or ())
        if new or taints != self.taints[slot]:
            self.taints[slot] = taints
            self.taint_signature[slot] = self._signature(taints)
            changed = True
        images = status.get("images")
        if images != self._images_raw[slot]:
            self._index_images(slot, self._images_raw[slot], images)
            self._images_raw[slot] = images
        if changed:
            self._changed()
        if new:
            for key in sorted(self._waiting.pop(name, ())):
                record = self.pods[key]
                record.slot = slot
                self.pods_on[slot].add(key)
                self._account(record.info, slot, +1)
        return slot

    def _signature(self, taints: tuple[Taint, ...]) -> int:
        sig = self._signature_ids.get(taints)
        if sig is None:
            sig = self._signature_ids[taints] = len(self.signatures)
            self.signatures.append(taints)
        return sig

    def _index_labels(self, slot: int, old: dict, new: dict) -> None:
        for key, value in old.items():
            if new.get(key) != value:
                values = self.label_index[key]
                values[value].discard(slot)
                if not values[value]:
                    del values[value]
                    if not values:
                        del self.label_index[key]
        for key, value in new.items():
            if old.get(key) != value:
                self.label_index.setdefault(key, {}).setdefault(value, set()).add(slot)

    def _index_images(self, slot: int, old, new) -> None:
        self.image_version += 1
        for entry in old or ():
            for image in entry.get("names") or ():
                holders = self.image_index.get(image)
                if holders is not None:
                    holders.pop(slot, None)
                    if not holders:
                        del self.image_index[image]
        for entry in new or ():
            size = int(entry.get("sizeBytes") or 0)
            for image in entry.get("names") or ():
                self.image_index.setdefault(image, {})[slot] = size

    def remove_node(self, name: str) -> None:
        """Forget a node; its pods wait (as upstream's ghost NodeInfo) until they go too."""
        slot = self.slot_of.pop(name, None)
        if slot is None:
            return
        for key in self.pods_on[slot]:
            record = self.pods[key]
            self._account(record.info, slot, -1)
            record.slot = -1
            self._waiting.setdefault(name, set()).add(key)
        self.pods_on[slot] = set()
        self._index_labels(slot, self.labels[slot], {})
        self.labels[slot] = {}
        self.taints[slot] = ()
        self._index_images(slot, self._images_raw[slot], None)
        self._images_raw[slot] = None
        self.names[slot] = None
        self.nodes[slot] = None
        self.active[slot] = False
        self.unschedulable[slot] = False
        self.taint_signature[slot] = 0
        for column in _RESOURCE_COLUMNS:
            getattr(self, column)[slot] = 0
        for columns in (self.scalar_allocatable, self.scalar_requested):
            for column in columns.values():
                column[slot] = 0
        heapq.heappush(self._free, slot)
        self._changed()

    # -- pods --------------------------------------------------------------------------------
    def add_pod(self, info, node_name: str) -> None:
        """Count a pod on a node (assumed or confirmed); re-adding replaces the old record."""
        if info.key in self.pods:
            self.remove_pod(info.key)
        slot = self.slot_of.get(node_name, -1)
        self.pods[info.key] = PodRecord(node_name, slot, info)
        if slot < 0:
            self._waiting.setdefault(node_name, set()).add(info.key)
        else:
            self.pods_on[slot].add(info.key)
            self._account(info, slot, +1)

    def remove_pod(self, key: tuple[str, str]) -> None:
        """Stop counting a pod (deleted, finished, or its assumed binding forgotten)."""
        record = self.pods.pop(key, None)
        if record is None:
            return
        if record.slot < 0:
            waiting = self._waiting.get(record.node)
            if waiting is not None:
                waiting.discard(key)
                if not waiting:
                    del self._waiting[record.node]
        else:
            self.pods_on[record.slot].discard(key)
            self._account(record.info, record.slot, -1)

    def _refresh_free(self, slot: int) -> None:
        self.free_cpu[slot] = self.allocatable_cpu[slot] - self.requested_cpu[slot]
        self.free_memory[slot] = self.allocatable_memory[slot] - self.requested_memory[slot]
        self.free_ephemeral[slot] = (
            self.allocatable_ephemeral[slot] - self.requested_ephemeral[slot]
        )
        self.free_pods[slot] = self.allocatable_pods[slot] - self.pod_count[slot]

    def _account(self, info, slot: int, sign: int) -> None:
        req = info.requests
        self.requested_cpu[slot] += sign * req.cpu
        self.requested_memory[slot] += sign * req.memory
        self.requested_ephemeral[slot] += sign * req.ephemeral
        self.non_zero_cpu[slot] += sign * info.non_zero_cpu
        self.non_zero_memory[slot] += sign * info.non_zero_memory
        self.pod_count[slot] += sign
        self.free_cpu[slot] -= sign * req.cpu
        self.free_memory[slot] -= sign * req.memory
        self.free_ephemeral[slot] -= sign * req.ephemeral
        self.free_pods[slot] -= sign
        for name, amount in req.scalar.items():
            self._scalar(self.scalar_requested, name)[slot] += sign * amount
        self.groups.account(info, slot, sign, self._capacity)
        for ip, protocol, port in info.ports:
            by_slot = self.ports.setdefault((protocol, port), {}).setdefault(ip, {})
            count = by_slot.get(slot, 0) + sign
            if count > 0:
                by_slot[slot] = count
            else:
                by_slot.pop(slot, None)

    # -- masks -------------------------------------------------------------------------------
    def slots_mask(self, slots) -> np.ndarray:
        mask = np.zeros(self.size, dtype=bool)
        if slots:
            mask[np.fromiter(slots, dtype=np.int64, count=len(slots))] = True
        return mask

    def label_mask(self, key: str, value: str) -> np.ndarray:
        """Nodes whose label ``key`` equals ``value`` (cached until nodes change)."""
        cache_key = ("label", key, value)
        mask = self._mask_cache.get(cache_key)
        if mask is None:
            mask = self._mask_cache[cache_key] = self.slots_mask(
                self.label_index.get(key, {}).get(value, ())
            )
        return mask

    def key_mask(self, key: str) -> np.ndarray:
        """Nodes that have label ``key`` at all."""
        cache_key = ("key", key)
        mask = self._mask_cache.get(cache_key)
        if mask is None:
            mask = np.zeros(self.size, dtype=bool)
            for slots in self.label_index.get(key, {}).values():
                mask |= self.slots_mask(slots)
            self._mask_cache[cache_key] = mask
        return mask

    def cached(self, key: tuple, build):
        """A per-version cache for derived masks (e.g. one pod template's affinity mask)."""
        value = self._mask_cache.get(key)
        if value is None:
            value = self._mask_cache[key] = build()
        return value
