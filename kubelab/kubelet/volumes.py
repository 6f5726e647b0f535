"""The kubelet's volume manager: mount a pod's volumes before its containers start.

``mount_volumes(worker)`` runs at the start of a pod's sync (as ``WaitForAttachAndMount``
does upstream): every volume of the pod is set up from :mod:`kubelab.storage` — an
``emptyDir`` for the pod, a directory of the node's disk for ``hostPath``/``local``, the
network disk for ``nfs``/``iscsi``/``csi``…, the bound PersistentVolume's source for a
``persistentVolumeClaim``, files from the API for ``configMap``/``secret``/``downwardAPI``/
``projected``. A failure keeps the pod in ``ContainerCreating`` with the kubelet's
``FailedMount`` event and retries with exponential back-off (0.5 s doubling, at most 2m2s),
so creating the missing ConfigMap later lets the pod start. Files from the API are
rewritten every 60 s (the kubelet's sync period), so updates reach running pods late.

When the Pod object is deleted, its emptyDirs, generated volumes and container layers
are deleted with it; node and network disks stay.

Examples
--------
>>> import kubelab as kl
>>> c = kl.Cluster(nodes=1, seed=0)
>>> _ = c.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "app"}, "spec": {
...     "containers": [{"name": "c", "image": "busybox", "command": ["sleep", "3600"],
...                     "volumeMounts": [{"name": "config", "mountPath": "/etc/config"}]}],
...     "volumes": [{"name": "config", "configMap": {"name": "app-config"}}]}})
>>> _ = c.run(5)
>>> print(c.kubectl("get events --field-selector reason=FailedMount"))
LAST SEEN   TYPE      REASON        OBJECT    MESSAGE
2s          Warning   FailedMount   pod/app   MountVolume.SetUp failed for volume "config" : configmap "app-config" not found
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field

from kubelab.api.quantity import memory_bytes
from kubelab.storage.backends import storage_for
from kubelab.storage.disk import Disk, normpath
from kubelab.storage.projection import (
    MountError,
    config_map_files,
    downward_api_files,
    projected_files,
    secret_files,
)
from kubelab.storage.rootfs import BASE_DIRS, ContainerFS, Mount

__all__ = [
    "CONFIG_SYNC_PERIOD",
    "PodVolumes",
    "VolumeMount",
    "charge_memory",
    "container_fs",
    "kill_container",
    "mount_volumes",
    "pin_subpaths",
    "pv_source_disk",
]

CONFIG_SYNC_PERIOD = 60.0  # kubelet --sync-frequency: how often projected files are refreshed
RETRY_INITIAL, RETRY_MAX = 0.5, 122.0  # nestedpendingoperations exponential back-off
MOUNT_TIMEOUT = 123.0  # podAttachAndMountTimeout (2m3s)
_GENERATED = ("configMap", "secret", "downwardAPI", "projected")
_CLEANERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class _Wait(Exception):
    """Not an error yet: e.g. the claim is not bound."""


@dataclass
class VolumeMount:
    """One set-up volume: which disk, which directory of it, read-only at the source?"""

    disk: Disk
    root: str = "/"
    read_only: bool = False
    generated: bool = False


@dataclass
class PodVolumes:
    """A pod's mounted volumes by name."""

    mounts: dict[str, VolumeMount] = field(default_factory=dict)


def _hostpath(disk: Disk, src: dict) -> str:
    path, type_ = normpath(src.get("path", "/")), src.get("type") or ""
    if type_ == "DirectoryOrCreate" or (type_ == "" and not disk.exists(path)):
        disk.makedirs(path)
    elif type_ == "FileOrCreate":
        if not disk.is_file(path):
            disk.write(path, "")
    elif type_ == "Directory" and not disk.is_dir(path):
        raise MountError(f"hostPath type check failed: {path} is not a directory")
    elif type_ == "File" and not disk.is_file(path):
        raise MountError(f"hostPath type check failed: {path} is not a file")
    elif type_ in ("Socket", "CharDevice", "BlockDevice"):
        what = {"Socket": "a socket file", "CharDevice": "a character device"}.get(
            type_, "a block device"
        )
        raise MountError(f"hostPath type check failed: {path} is not {what}")
    return path


def pv_source_disk(
    storage, spec: dict, node: str, node_obj: dict | None = None
) -> tuple[Disk, str]:
    """The disk and directory behind a PersistentVolume (or inline) source, seen from ``node``."""
    if spec.get("hostPath") is not None:
        disk = storage.node_disk(node, node_obj)
        return disk, _hostpath(disk, spec["hostPath"])
    if spec.get("local") is not None:
        disk, path = storage.node_disk(node, node_obj), normpath(spec["local"].get("path", "/"))
        if not disk.exists(path):
            raise MountError(f'path "{path}" does not exist', "NewMounter")
        return disk, path
    key = storage.network_key(spec)
    if key is not None:
        return storage.disk(key), "/"
    raise MountError("no volume plugin matched")


class _Cleaner:
    """Deletes a pod's local volumes when its Pod object is gone (orphaned pod dirs cleanup)."""

    def __init__(self, informer, storage):
        self.storage = storage
        informer.add_handler(on_delete=self._deleted)

    def _deleted(self, pod: dict) -> None:
        self.storage.drop_pod(pod["metadata"].get("uid", ""))


def _lookup(kubelet, namespace: str):
    informers = kubelet.ctx.informers

    def lookup(kind: str, name: str):
        return informers.get(kind).get(namespace, name)

    return lookup


def _generate(worker, volume: dict) -> dict:
    kubelet, pod = worker.kubelet, worker.pod
    lookup = _lookup(kubelet, worker.namespace)
    node = kubelet.ctx.informers.get("Node").get("", kubelet.name) or {}
    allocatable = (node.get("status") or {}).get("allocatable") or {}
    if volume.get("configMap") is not None:
        return config_map_files(volume["configMap"], lookup)
    if volume.get("secret") is not None:
        return secret_files(volume["secret"], lookup)
    if volume.get("downwardAPI") is not None:
        return downward_api_files(volume["downwardAPI"], pod, allocatable)
    return projected_files(volume["projected"], pod, lookup, allocatable, kubelet.clock.now)


def _setup(worker, volume: dict) -> VolumeMount:
    kubelet = worker.kubelet
    storage = storage_for(kubelet.ctx.api)
    node = kubelet.ctx.informers.get("Node").get("", kubelet.name)
    name = volume.get("name", "")
    if any(volume.get(k) is not None for k in _GENERATED):
        files = _generate(worker, volume)
        tmpfs = volume.get("secret") is not None or volume.get("projected") is not None
        disk = storage.disk(("generated", worker.uid, name), tmpfs=tmpfs)
        disk.replace_all(files, kubelet.clock.now)
        return VolumeMount(disk, "/", read_only=True, generated=True)
    if volume.get("emptyDir") is not None:
        return VolumeMount(_empty_dir(storage, worker, name, volume["emptyDir"] or {}, node))
    if volume.get("persistentVolumeClaim") is not None or volume.get("ephemeral") is not None:
        source = volume.get("persistentVolumeClaim") or {
            "claimName": f"{worker.name}-{name}",  # the ephemeral volume controller's claim
            "readOnly": bool((volume.get("ephemeral") or {}).get("readOnly")),
        }
        informers = kubelet.ctx.informers
        claim = informers.get("PersistentVolumeClaim").get(
            worker.namespace, source.get("claimName", "")
        )
        if claim is None or not (claim.get("spec") or {}).get("volumeName"):
            raise _Wait(name)
        if (claim.get("status") or {}).get("phase") != "Bound":
            raise _Wait(name)
        pv = informers.get("PersistentVolume").get("", claim["spec"]["volumeName"])
        if pv is None:
            raise _Wait(name)
        disk, root = pv_source_disk(storage, pv.get("spec") or {}, kubelet.name, node)
        if disk.capacity is None and disk.pool is None:  # a network volume holds its size
            disk.capacity = _quantity(((pv.get("spec") or {}).get("capacity") or {}).get("storage"))
        return VolumeMount(disk, root, read_only=bool(source.get("readOnly")))
    disk, root = pv_source_disk(storage, volume, kubelet.name, node)
    return VolumeMount(disk, root)


def _quantity(value) -> int | None:
    try:
        return memory_bytes(value) if value is not None else None
    except (ValueError, TypeError, ArithmeticError):
        return None


def _empty_dir(storage, worker, name: str, spec: dict, node: dict | None) -> Disk:
    """On the node's disk; ``medium: Memory`` is a tmpfs sized ``sizeLimit`` (else the node's
    allocatable memory), as the kubelet mounts it (SizeMemoryBackedVolumes)."""
    key = ("emptyDir", worker.uid, name)
    if spec.get("medium") != "Memory":
        return storage.disk(key, pool=storage.node_pool(worker.kubelet.name, node))
    allocatable = ((node or {}).get("status") or {}).get("allocatable") or {}
    size = _quantity(spec.get("sizeLimit")) or _quantity(allocatable.get("memory"))
    return storage.disk(key, tmpfs=True, capacity=size)


def mount_volumes(worker):
    """Generator step of ``SyncPod``: the pod's :class:`PodVolumes`, or ``None`` (retry later)."""
    if False:  # a generator, for ``yield from`` in the pod worker's sync
        yield 0.0
    kubelet, now = worker.kubelet, worker.clock.now
    pods = kubelet.ctx.informers.get("Pod")
    if pods not in _CLEANERS:
        _CLEANERS[pods] = _Cleaner(pods, storage_for(kubelet.ctx.api))
    volumes, failed, waiting = PodVolumes(), [], []
    for volume in worker.pod["spec"].get("volumes") or ():
        name = volume.get("name", "")
        try:
            volumes.mounts[name] = _setup(worker, volume)
        except MountError as error:
            op = error.args[1] if len(error.args) > 1 else "SetUp"
            failed.append((name, op, error.args[0]))
        except _Wait:
            waiting.append(name)
    if not failed and not waiting:
        worker._volume_attempts = 0
        if any(m.generated for m in volumes.mounts.values()):
            kubelet.clock.call_later(CONFIG_SYNC_PERIOD, _refresh, worker, kubelet.boots)
        return volumes
    attempts = getattr(worker, "_volume_attempts", 0)
    first = getattr(worker, "_volume_first_failure", None)
    if not attempts or first is None:
        first = worker._volume_first_failure = now
    for name, op, message in failed:
        prefix = (
            "MountVolume.SetUp failed"
            if op == "SetUp"
            else "MountVolume.NewMounter initialization failed"
        )
        worker.event("Warning", "FailedMount", f'{prefix} for volume "{name}" : {message}')
    timed_out = getattr(worker, "_volume_timeout_at", first + MOUNT_TIMEOUT)
    if now >= timed_out:
        names = " ".join(sorted(n for n, *_ in failed) + sorted(waiting))
        worker.event(
            "Warning",
            "FailedMount",
            f"Unable to attach or mount volumes: unmounted volumes=[{names}], unattached "
            f"volumes=[{names}]: timed out waiting for the condition",
        )
        timed_out = now + MOUNT_TIMEOUT
    worker._volume_timeout_at = timed_out
    worker._volume_attempts = attempts + 1
    delay = min(RETRY_INITIAL * 2**attempts, RETRY_MAX)
    if not failed:
        delay = min(delay, 2.0)  # waiting for a claim to bind: the populator checks often
    worker.resync_at(now + delay)
    return None


def _refresh(worker, boot: int) -> None:
    """Rewrite configMap/secret/downwardAPI/projected files from the API (kubelet sync)."""
    kubelet = worker.kubelet
    if (
        boot != kubelet.boots
        or kubelet.workers.get(worker.uid) is not worker
        or worker.done
        or worker.terminating
    ):
        return
    storage = storage_for(kubelet.ctx.api)
    for volume in worker.pod["spec"].get("volumes") or ():
        if not any(volume.get(k) is not None for k in _GENERATED):
            continue
        try:
            files = _generate(worker, volume)
        except MountError:
            continue  # upstream keeps the last good content
        disk = storage.disk(("generated", worker.uid, volume.get("name", "")))
        current = {p: (f.content, f.mode) for p, f in disk.files.items()}
        wanted = {normpath(p): v for p, v in files.items()}
        if current != wanted:
            disk.replace_all(files, kubelet.clock.now)
    kubelet.clock.call_later(CONFIG_SYNC_PERIOD, _refresh, worker, boot)


def container_fs(worker, container) -> ContainerFS:
    """The files ``container`` (a kubelet Container) sees: its layer plus its volume mounts."""
    storage = storage_for(worker.kubelet.ctx.api)
    layer_key = ("layer", worker.uid, container.name, container.container_id)
    fresh = layer_key not in storage.disks
    node = worker.kubelet.ctx.informers.get("Node").get("", worker.kubelet.name)
    layer = storage.disk(layer_key, pool=storage.node_pool(worker.kubelet.name, node))
    if fresh:
        storage.drop_layers(worker.uid, container.name, keep=layer_key)  # the dead container's
        for d in BASE_DIRS:
            layer.makedirs(d)
        web_root = _web_root(container)
        if web_root:
            layer.write(f"{web_root}/index.html", _NGINX_INDEX)
    mounts = []
    volumes = getattr(worker, "volumes", None)
    table = volumes.mounts if volumes is not None else {}
    for vm in container.spec.get("volumeMounts") or ():
        mounted = table.get(vm.get("name", ""))
        if mounted is None:
            continue
        root, disk = mounted.root, mounted.disk
        if vm.get("subPath"):
            root = normpath(f"{root}/{vm['subPath']}")
            if mounted.generated:
                disk = _pinned(storage, worker, container, vm, mounted.disk, root)
            elif not disk.exists(root):
                disk.makedirs(root)
        read_only = mounted.read_only or bool(vm.get("readOnly"))
        mounts.append(Mount(vm.get("mountPath", "/"), disk, root, read_only, vm["name"]))
    return ContainerFS(layer, mounts)


def _pinned(storage, worker, container, vm: dict, source: Disk, root: str) -> Disk:
    """A subPath of a configMap/secret volume is bind-mounted once: later updates never reach
    it (upstream's documented caveat). The copy is taken when the container starts."""
    key = ("subpath", worker.uid, container.name, container.container_id, vm.get("name"), root)
    fresh = key not in storage.disks
    disk = storage.disk(key, tmpfs=source.tmpfs)
    if fresh:
        for path in source.walk(root):
            f = source.stat(path)
            disk.write(path, f.content, now=f.mtime, mode=f.mode, size=f.size)
        if not source.is_file(root):
            disk.makedirs(root)
    return disk


def pin_subpaths(worker, container) -> None:
    """At container start: take the copies of configMap/secret subPath mounts (see ``_pinned``)."""
    if any(vm.get("subPath") for vm in container.spec.get("volumeMounts") or ()):
        container_fs(worker, container)


def _web_root(container) -> str | None:
    image = container.spec.get("image", "")
    return "/usr/share/nginx/html" if "nginx" in image.split("/")[-1] else None


_NGINX_INDEX = (
    "<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n</head>\n<body>\n"
    "<h1>Welcome to nginx!</h1>\n</body>\n</html>\n"
)


def kill_container(worker, container, signal: str) -> None:
    """A process killed PID 1 of ``container``: it exits (then restarts per restartPolicy)."""
    if container.state != "running":
        return
    for timer in container.timers:
        timer.cancel()
    container.timers.clear()
    code = 137 if signal == "KILL" else 128 + {"TERM": 15, "INT": 2, "HUP": 1}.get(signal, 15)
    if signal != "KILL" and container.image is not None:
        code = container.image.term_exit_code
    worker._exited(container, code)


def charge_memory(worker, container) -> bool:
    """Files in memory-backed volumes (``emptyDir.medium: Memory``) count as the container's
    memory: over its limit, the kernel OOM-kills it (exit 137, ``OOMKilled``). True if killed."""
    from kubelab.kubelet.containers import OOM_EXIT_CODE, memory_limit

    limit = memory_limit(container.spec)
    if limit is None or container.state != "running" or worker.volumes is None:
        return False
    used = container.image.memory if container.image is not None else 0
    for vm in container.spec.get("volumeMounts") or ():
        mounted = worker.volumes.mounts.get(vm.get("name", ""))
        if mounted is not None and mounted.disk.tmpfs and not mounted.generated:
            used += mounted.disk.size()
    if used < limit:
        return False
    for timer in container.timers:
        timer.cancel()
    container.timers.clear()
    worker._exited(container, OOM_EXIT_CODE, True)
    return True
