"""The kubelet's eviction manager, for local storage: emptyDir ``sizeLimit`` and
``ephemeral-storage`` limits (``localStorageEviction`` in
``pkg/kubelet/eviction/eviction_manager.go``).

Every monitoring period the kubelet measures each pod's local storage (its container
layers and disk-backed emptyDirs) and evicts a pod that uses more than it may: the
containers are killed at once, the pod ends ``Failed`` with reason ``Evicted`` and the
message upstream writes. Memory-backed emptyDirs are tmpfs mounts sized by their
``sizeLimit``: a write past it fails with ``No space left on device`` instead.

Examples
--------
>>> import kubelab as kl
>>> c = kl.Cluster(nodes=1, seed=0)
>>> _ = c.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "filler"}, "spec": {
...     "containers": [{"name": "c", "image": "busybox", "command": ["sleep", "3600"],
...                     "volumeMounts": [{"name": "cache", "mountPath": "/cache"}]}],
...     "volumes": [{"name": "cache", "emptyDir": {"sizeLimit": "10Mi"}}]}})
>>> _ = c.run(10)
>>> _ = c.kubectl("exec filler -- dd if=/dev/zero of=/cache/big bs=1M count=20")
>>> status = c.run(15).get("pod", "filler")["status"]
>>> status["phase"], status["reason"], status["message"]
('Failed', 'Evicted', 'Usage of EmptyDir volume "cache" exceeds the limit "10Mi". ')
"""

from __future__ import annotations

from kubelab.api.quantity import memory_bytes

__all__ = ["has_local_limits", "local_storage_violation"]


# pkg/kubelet/eviction/helpers.go
_EMPTY_DIR = 'Usage of EmptyDir volume "{}" exceeds the limit "{}". '
_POD = "Pod ephemeral local storage usage exceeds the total limit of containers {}. "
_CONTAINER = 'Container {} exceeded its local ephemeral storage limit "{}". '


def _limit(value) -> int | None:
    try:
        size = memory_bytes(value) if value is not None else None
    except (ValueError, TypeError, ArithmeticError):
        return None
    return size if size and size > 0 else None


def _ephemeral_limit(spec: dict):
    return ((spec.get("resources") or {}).get("limits") or {}).get("ephemeral-storage")


def has_local_limits(pod: dict) -> bool:
    """Whether the eviction manager has anything to measure for ``pod`` (most pods: no)."""
    spec = pod.get("spec") or {}
    if any((v.get("emptyDir") or {}).get("sizeLimit") for v in spec.get("volumes") or ()):
        return True
    return any(_ephemeral_limit(c) for c in spec.get("containers") or ())


def local_storage_violation(worker, storage) -> str | None:
    """The eviction message for ``worker``'s pod, or ``None`` while it stays within its limits.

    Checked in upstream's order: emptyDir limits, then the pod's total, then each container.
    """
    spec = worker.pod.get("spec") or {}
    mounts = worker.volumes.mounts if worker.volumes is not None else {}
    empty_dirs = 0
    for volume in spec.get("volumes") or ():
        source, mounted = volume.get("emptyDir"), mounts.get(volume.get("name", ""))
        if source is None or mounted is None or mounted.disk.tmpfs:
            continue
        empty_dirs += mounted.disk.used
        limit = _limit(source.get("sizeLimit"))
        if limit is not None and mounted.disk.used > limit:
            return _EMPTY_DIR.format(volume["name"], source["sizeLimit"])
    layers = {}
    for c in worker.containers:
        disk = storage.disks.get(("layer", worker.uid, c.name, c.container_id))
        layers[c.name] = disk.used if disk is not None else 0
    limits = [_limit(_ephemeral_limit(c.spec)) for c in worker.containers]
    if limits and all(limit is not None for limit in limits):
        total = sum(limits)
        if empty_dirs + sum(layers.values()) > total:
            from kubelab.api.quantity import format_memory

            return _POD.format(format_memory(total))
    for c, limit in zip(worker.containers, limits, strict=True):
        if limit is not None and layers[c.name] > limit:
            return _CONTAINER.format(c.name, _ephemeral_limit(c.spec))
    return None
