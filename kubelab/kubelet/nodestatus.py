"""The Node object a kubelet registers and the status it reports (``pkg/kubelet/nodestatus``).

Capacity comes from the node manifest's ``status.capacity`` (defaults: 2 CPUs, 4Gi of
memory, 20Gi of ephemeral storage, 110 pods); allocatable subtracts what the kubelet
keeps back by default (the 100Mi ``memory.available`` and 10% ``nodefs.available``
hard-eviction thresholds). Conditions carry upstream's reasons and messages.

Examples
--------
>>> node = initial_node({"metadata": {"name": "node-1", "labels": {"zone": "a"}}}, number=1,
...                     seed=0, now=0.0)
>>> node["spec"]["podCIDR"], node["status"]["addresses"][0]
('10.244.0.0/24', {'type': 'InternalIP', 'address': '192.168.0.2'})
>>> node["status"]["capacity"], node["status"]["allocatable"]["memory"]
({'cpu': '2', 'ephemeral-storage': '20971520Ki', 'hugepages-1Gi': '0', 'hugepages-2Mi': '0', 'memory': '4194304Ki', 'pods': '110'}, '4091904Ki')
>>> [(c["type"], c["status"], c["reason"]) for c in node["status"]["conditions"]]
... # doctest: +NORMALIZE_WHITESPACE
[('MemoryPressure', 'False', 'KubeletHasSufficientMemory'),
 ('DiskPressure', 'False', 'KubeletHasNoDiskPressure'),
 ('PIDPressure', 'False', 'KubeletHasSufficientPID'), ('Ready', 'True', 'KubeletReady')]
"""

from __future__ import annotations

import copy
import uuid

from kubelab.api.meta import timestamp
from kubelab.api.quantity import cpu_millis, format_cpu, memory_bytes
from kubelab.kubelet.ipam import node_addresses
from kubelab.sim import rng

__all__ = [
    "KUBELET_VERSION",
    "RUNTIME_VERSION",
    "conditions",
    "image_list",
    "initial_node",
    "lease",
]

KUBELET_VERSION = "v1.34.1"
RUNTIME_VERSION = "containerd://2.1.4"
OS_IMAGE = "Ubuntu 24.04.3 LTS"
KERNEL_VERSION = "6.8.0-79-generic"
DEFAULT_CAPACITY = {"cpu": "2", "memory": "4Gi", "ephemeral-storage": "20Gi", "pods": "110"}
EVICTION_MEMORY = 100 * 2**20  # evictionHard memory.available: 100Mi
EVICTION_NODEFS = 0.10  # evictionHard nodefs.available: 10%
MAX_IMAGES = 50  # nodeStatusMaxImages

_CONDITIONS = (
    ("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
    ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
)  # fmt: skip


def _ki(nbytes: int) -> str:
    return f"{nbytes // 1024}Ki"


def capacity_and_allocatable(manifest_status: dict | None) -> tuple[dict, dict]:
    given = dict(DEFAULT_CAPACITY)
    given.update((manifest_status or {}).get("capacity") or {})
    cpu = cpu_millis(given["cpu"])
    memory = memory_bytes(given["memory"])
    storage = memory_bytes(given["ephemeral-storage"])
    capacity = {
        "cpu": format_cpu(cpu),
        "ephemeral-storage": _ki(storage),
        "hugepages-1Gi": "0",
        "hugepages-2Mi": "0",
        "memory": _ki(memory),
        "pods": str(given["pods"]),
    }
    for key, value in given.items():  # extended resources (nvidia.com/gpu, ...) pass through
        capacity.setdefault(key, str(value))
    allocatable = dict(capacity)
    allocatable["memory"] = _ki(max(0, memory - EVICTION_MEMORY))
    allocatable["ephemeral-storage"] = str(int(storage * (1 - EVICTION_NODEFS)))
    allocatable.update((manifest_status or {}).get("allocatable") or {})
    return capacity, allocatable


def conditions(now: float, since: float, previous: list | None = None) -> list[dict]:
    """The four node conditions, heartbeat ``now``; transition times kept while unchanged."""
    old = {c.get("type"): c for c in previous or ()}
    out = []
    for type_, status, reason, message in _CONDITIONS:
        before = old.get(type_)
        changed = before is None or before.get("status") != status
        out.append(
            {
                "type": type_,
                "status": status,
                "lastHeartbeatTime": timestamp(now),
                "lastTransitionTime": timestamp(since)
                if changed
                else before.get("lastTransitionTime"),
                "reason": reason,
                "message": message,
            }
        )
    return out


def image_list(images: dict) -> list[dict]:
    """``status.images``: the node's images, biggest first (at most 50), as the kubelet lists them."""
    entries = sorted(images.values(), key=lambda spec: (-spec.size_bytes, spec.normalized))
    return [
        {"names": [spec.image_id, spec.normalized], "sizeBytes": spec.size_bytes}
        for spec in entries[:MAX_IMAGES]
    ]


def _uid(stream) -> str:
    return str(uuid.UUID(int=stream.getrandbits(128), version=4))


def initial_node(manifest: dict, *, number: int, seed: int, now: float, boot: int = 0) -> dict:
    """The Node the kubelet registers (``initialNode`` + the status setters)."""
    name = manifest["metadata"]["name"]
    stream = rng(seed, f"kubelet/{name}")
    machine_id = stream.getrandbits(128)
    system_uuid = _uid(stream)
    for _ in range(boot):  # each boot gets its own bootID
        stream.getrandbits(128)
    boot_id = _uid(stream)
    node_ip, pod_cidr = node_addresses(number)
    meta = copy.deepcopy(manifest.get("metadata") or {})
    labels = {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
    }
    labels.update(meta.get("labels") or {})
    meta["labels"] = labels
    annotations = {
        "node.alpha.kubernetes.io/ttl": "0",
        "volumes.kubernetes.io/controller-managed-attach-detach": "true",
    }
    annotations.update(meta.get("annotations") or {})
    meta["annotations"] = annotations
    spec = copy.deepcopy(manifest.get("spec") or {})
    spec.setdefault("podCIDR", pod_cidr)
    spec.setdefault("podCIDRs", [spec["podCIDR"]])
    capacity, allocatable = capacity_and_allocatable(manifest.get("status"))
    addresses = (manifest.get("status") or {}).get("addresses") or [
        {"type": "InternalIP", "address": node_ip},
        {"type": "Hostname", "address": name},
    ]
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": meta,
        "spec": spec,
        "status": {
            "capacity": capacity,
            "allocatable": allocatable,
            "conditions": conditions(now, now),
            "addresses": addresses,
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "architecture": "amd64",
                "bootID": boot_id,
                "containerRuntimeVersion": RUNTIME_VERSION,
                "kernelVersion": KERNEL_VERSION,
                "kubeProxyVersion": "",
                "kubeletVersion": KUBELET_VERSION,
                "machineID": f"{machine_id:032x}",
                "operatingSystem": "linux",
                "osImage": OS_IMAGE,
                "systemUUID": system_uuid,
            },
            "images": [],
        },
    }


def lease(node: dict, now: float) -> dict:
    """The node's Lease in ``kube-node-lease`` (renewTime is a MicroTime)."""
    name = node["metadata"]["name"]
    return {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {
            "name": name,
            "namespace": "kube-node-lease",
            "ownerReferences": [
                {
                    "apiVersion": "v1",
                    "kind": "Node",
                    "name": name,
                    "uid": node["metadata"].get("uid", ""),
                }
            ],
        },
        "spec": {
            "holderIdentity": name,
            "leaseDurationSeconds": 40,
            "renewTime": micro_time(now),
        },
    }


def micro_time(now: float) -> str:
    """A ``metav1.MicroTime``: ``2025-01-01T00:00:10.000000Z``."""
    micros = round((now - int(now)) * 1e6)
    if micros >= 1_000_000:
        now, micros = int(now) + 1, 0
    return f"{timestamp(now)[:-1]}.{micros:06d}Z"
