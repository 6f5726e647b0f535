"""Where volume data lives: per pod, per node, or per network volume identity.

:class:`Storage` is the physical world of one cluster (its machines' disks and the storage
systems outside it), shared by the kubelets and the volume provisioners. It is keyed
so iteration order never depends on hashing:

* ``("emptyDir", pod_uid, volume)`` — a pod's scratch space, gone with the pod;
* ``("node", node_name)`` — a machine's root filesystem: ``hostPath`` and ``local`` volumes
  are directories on it, so a pod on another node does not see them;
* ``("nfs", server, path)``, ``("iscsi", portal, iqn, lun)``, ``("csi", driver, handle)`` …
  — network storage, identified by its address: it outlives pods and nodes, and two
  PersistentVolumes naming the same export share the data.

Examples
--------
>>> s = Storage()
>>> s.network_key({"nfs": {"server": "nfs.example", "path": "/exports/a"}})
('nfs', 'nfs.example', '/exports/a')
>>> s.disk(("nfs", "nfs.example", "/exports/a")) is s.disk(("nfs", "nfs.example", "/exports/a"))
True
"""

from __future__ import annotations

import weakref

from kubelab.api.quantity import memory_bytes
from kubelab.storage.disk import Disk, Pool

__all__ = ["NETWORK_SOURCES", "NODE_SOURCES", "Storage", "storage_for"]

# Volume sources whose data sits on the node the pod runs on.
NODE_SOURCES = ("hostPath", "local")
# Network / cloud sources: identity fields that name the same backing storage.
NETWORK_SOURCES: dict[str, tuple[str, ...]] = {
    "nfs": ("server", "path"),
    "iscsi": ("targetPortal", "iqn", "lun"),
    "fc": ("targetWWNs", "lun", "wwids"),
    "csi": ("driver", "volumeHandle"),
    "rbd": ("monitors", "pool", "image"),
    "cephfs": ("monitors", "path"),
    "glusterfs": ("endpoints", "path"),
    "gcePersistentDisk": ("pdName",),
    "awsElasticBlockStore": ("volumeID",),
    "azureDisk": ("diskURI",),
    "azureFile": ("shareName",),
    "cinder": ("volumeID",),
    "portworxVolume": ("volumeID",),
    "vsphereVolume": ("volumePath",),
    "flexVolume": ("driver", "options"),
    "flocker": ("datasetName", "datasetUUID"),
    "quobyte": ("registry", "volume"),
    "photonPersistentDisk": ("pdID",),
    "scaleIO": ("system", "volumeName"),
    "storageos": ("volumeName",),
}

_STORAGE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_POD_KINDS = ("emptyDir", "generated", "layer", "subpath")


def _frozen(value):
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    return value


class Storage:
    """Every disk of one cluster, created on first use."""

    def __init__(self):
        self.disks: dict[tuple, Disk] = {}
        self.pools: dict[str, Pool] = {}  # node name → its filesystem's bytes
        self._by_pod: dict[str, list[tuple]] = {}  # pod uid → its disks' keys (O(1) cleanup)

    def disk(
        self, key: tuple, *, tmpfs: bool = False, capacity: int | None = None, pool=None
    ) -> Disk:
        """The disk called ``key``, made on first use with ``capacity`` bytes or on ``pool``."""
        disk = self.disks.get(key)
        if disk is None:
            disk = self.disks[key] = Disk(tmpfs=tmpfs, capacity=capacity, pool=pool)
            if key[0] in _POD_KINDS:
                self._by_pod.setdefault(key[1], []).append(key)
        return disk

    def node_pool(self, node: str, obj: dict | None = None) -> Pool:
        """The bytes of a node's filesystem (its ``ephemeral-storage`` capacity), shared by
        its hostPath directories, the emptyDirs and the container layers of its pods."""
        pool = self.pools.get(node)
        if pool is None:
            capacity = ((obj or {}).get("status") or {}).get("capacity") or {}
            size = capacity.get("ephemeral-storage")
            pool = self.pools[node] = Pool(memory_bytes(size) if size else None)
        return pool

    def node_disk(self, node: str, obj: dict | None = None) -> Disk:
        """The root filesystem of a node (hostPath, local and local-path volumes live here).

        ``obj`` (the Node) seeds a new disk with what every node has: ``/etc/machine-id``,
        ``/etc/hostname``, ``/etc/os-release`` and the usual directories.
        """
        fresh = ("node", node) not in self.disks
        disk = self.disk(("node", node), pool=self.node_pool(node, obj))
        if fresh and obj is not None:
            _seed_node_disk(disk, obj)
        return disk

    def drop(self, key: tuple) -> None:
        disk = self.disks.pop(key, None)
        if disk is not None:
            disk.clear()  # gives its bytes back to the node's pool

    def drop_layers(self, uid: str, container: str, *, keep: tuple) -> None:
        """A restarted container's earlier writable layers go (the runtime removes them)."""
        keys = self._by_pod.get(uid, [])
        gone = [k for k in keys if k[0] == "layer" and k[2] == container and k != keep]
        for key in gone:
            keys.remove(key)
            self.drop(key)

    def drop_pod(self, uid: str) -> None:
        """A pod left its node: its emptyDirs, generated volumes and container layers go."""
        for key in self._by_pod.pop(uid, ()):
            self.drop(key)

    @staticmethod
    def network_key(source: dict) -> tuple | None:
        """The identity of a network volume source (``None``: not a network source)."""
        for kind, fields in NETWORK_SOURCES.items():
            spec = source.get(kind)
            if spec is not None:
                return (kind, *(_frozen(spec.get(f)) for f in fields))
        return None


def storage_for(api) -> Storage:
    """The :class:`Storage` of the cluster whose API server is ``api`` (one per cluster)."""
    storage = _STORAGE.get(api)
    if storage is None:
        storage = _STORAGE[api] = Storage()
    return storage


_NODE_DIRS = (
    "/dev", "/etc/kubernetes/manifests", "/home", "/mnt", "/opt", "/proc", "/root", "/run",
    "/srv", "/sys", "/tmp", "/usr/bin", "/var/lib/kubelet", "/var/lib/containerd",
    "/var/log/pods", "/var/log/containers",
)  # fmt: skip


def _seed_node_disk(disk: Disk, node: dict) -> None:
    info = (node.get("status") or {}).get("nodeInfo") or {}
    for d in _NODE_DIRS:
        disk.makedirs(d)
    name = node["metadata"]["name"]
    disk.write("/etc/hostname", f"{name}\n")
    if info.get("machineID"):
        disk.write("/etc/machine-id", f"{info['machineID']}\n", mode=0o444)
    if info.get("osImage"):
        disk.write("/etc/os-release", f'PRETTY_NAME="{info["osImage"]}"\n')
