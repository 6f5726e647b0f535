"""Where volume data lives, and how to look at it from Python.

A cluster's data sits on :class:`Disk` objects kept by :class:`Storage` (one per cluster):
per pod (``emptyDir``, container layers, files projected from the API), per node (``hostPath``,
``local`` and local-path volumes: directories of the node's disk) and per network volume
identity (``nfs``, ``iscsi``, ``fc``, ``csi`` … : they outlive pods and nodes).

For tests and lessons, three views (the same files ``kubectl exec`` sees):

* ``files(c, "web")`` — what a running container sees (its layer plus its mounts);
* ``node_files(c, "node-1")`` — a node's disk (where hostPath data lives);
* ``volume_files(c, "task-pv-volume")`` — a PersistentVolume's data (network and local ones);
* ``record_phases(c)`` — PV and PVC phases over time (``.frame()``).

Examples
--------
>>> import kubelab as kl
>>> c = kl.Cluster(nodes=1, seed=0)
>>> _ = c.apply('''
... apiVersion: v1
... kind: Pod
... metadata: {name: web}
... spec:
...   containers: [{name: c, image: nginx, volumeMounts: [{name: scratch, mountPath: /data}]}]
...   volumes: [{name: scratch, emptyDir: {}}]
... ''')
>>> _ = c.run(20)
>>> files(c, "web").write("/data/greeting", "hello\\n")
>>> print(c.kubectl("exec web -- cat /data/greeting"))
hello
"""

from __future__ import annotations

from kubelab.errors import NotFound
from kubelab.storage.backends import NETWORK_SOURCES, Storage, storage_for
from kubelab.storage.disk import Disk, File, normpath
from kubelab.storage.phases import PhaseRecorder, record_phases
from kubelab.storage.rootfs import ContainerFS, FSError, Mount

__all__ = [
    "NETWORK_SOURCES",
    "ContainerFS",
    "Disk",
    "FSError",
    "File",
    "Mount",
    "PhaseRecorder",
    "Storage",
    "files",
    "node_files",
    "normpath",
    "record_phases",
    "storage_for",
    "volume_files",
]


def files(cluster, pod: str, container: str | None = None, namespace: str = "default"):
    """The :class:`ContainerFS` of a running container (default: the pod's first container).

    ``read(path)``, ``write(path, text, append=False)``, ``listdir(path)``, ``exists(path)``,
    ``remove(path, recursive=False)``, ``mkdir(path, parents=False)``; errors are
    :class:`FSError` (``errno`` ``ENOENT``, ``EROFS`` …).
    """
    from kubelab.kubelet.volumes import container_fs

    obj = cluster.api.get("Pod", pod, namespace)
    node = (obj.get("spec") or {}).get("nodeName") or ""
    kubelet = cluster.kubelets.get(node)
    worker = kubelet.workers.get(obj["metadata"]["uid"]) if kubelet is not None else None
    if worker is None or worker.volumes is None:
        raise NotFound("pods", pod, f'pod "{pod}" is not running on a node')
    names = [c.name for c in worker.containers]
    name = container or names[0]
    found = next((c for c in worker._all() if c.name == name), None)
    if found is None:
        raise NotFound("pods", pod, f"container {name} not found in pod {pod}")
    return container_fs(worker, found)


def node_files(cluster, node: str) -> Disk:
    """The disk of a node (hostPath and local volumes are directories on it)."""
    obj = cluster.api.store.get("Node", "", node)
    return storage_for(cluster.api).node_disk(node, obj)


def volume_files(cluster, name: str) -> Disk:
    """The disk behind a PersistentVolume: a network volume's own disk, or its node's disk.

    For ``hostPath``/``local`` volumes the data is under ``spec.hostPath.path`` /
    ``spec.local.path`` of the node the volume's affinity names (or ``node-1``).
    """
    pv = cluster.api.get("PersistentVolume", name, "")
    spec = pv.get("spec") or {}
    storage = storage_for(cluster.api)
    key = storage.network_key(spec)
    if key is not None:
        return storage.disk(key)
    terms = (
        ((spec.get("nodeAffinity") or {}).get("required") or {}).get("nodeSelectorTerms")
    ) or ()
    for term in terms:
        for expr in term.get("matchExpressions") or ():
            if expr.get("key") == "kubernetes.io/hostname" and expr.get("values"):
                return node_files(cluster, expr["values"][0])
    return node_files(cluster, sorted(cluster.kubelets)[0] if cluster.kubelets else "node-1")
