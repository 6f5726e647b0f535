"""What the PV controller does with a released volume: ``reclaimVolume`` (pv_controller.go).

``Retain`` keeps volume and data; ``Delete`` leaves a provisioned volume to its provisioner and
fails for a static one no plugin can delete (``VolumeFailedDelete``: only ``/tmp`` hostPaths are
deletable in-tree); ``Recycle`` (deprecated, NFS and hostPath only) scrubs the data and makes
the volume ``Available`` again.
"""

from __future__ import annotations

import contextlib

from kubelab.api.meta import cow
from kubelab.errors import KubelabError

__all__ = ["ReclaimMixin"]

ANN_BOUND_BY_CONTROLLER = "pv.kubernetes.io/bound-by-controller"
ANN_PROVISIONED_BY = "pv.kubernetes.io/provisioned-by"
_RECYCLABLE = ("nfs", "hostPath")


class ReclaimMixin:
    """Unbinding and reclaiming, for :class:`PersistentVolumeController`."""

    def _unbind(self, volume: dict) -> None:
        new, spec = cow(volume, "spec")
        spec.pop("claimRef", None)
        new["metadata"] = dict(volume["metadata"])
        annotations = dict(volume["metadata"].get("annotations") or {})
        annotations.pop(ANN_BOUND_BY_CONTROLLER, None)
        new["metadata"]["annotations"] = annotations
        with contextlib.suppress(KubelabError):
            volume = self.client.update(new)
            self._volume_phase(volume, "Available")

    def _reclaim(self, volume: dict) -> None:
        """``reclaimVolume``: what the volume's ``persistentVolumeReclaimPolicy`` says."""
        spec = volume.get("spec") or {}
        policy = spec.get("persistentVolumeReclaimPolicy") or "Retain"
        if policy == "Retain" or (volume.get("status") or {}).get("phase") == "Failed":
            return
        annotations = volume["metadata"].get("annotations") or {}
        if policy == "Delete":
            if annotations.get(ANN_PROVISIONED_BY):
                return  # its external provisioner deletes it (and its data)
            if spec.get("hostPath") is not None:
                message = (
                    "host_path deleter only supports /tmp/.+ but received provided "
                    f"{spec['hostPath'].get('path', '')}"
                )
            else:
                message = (
                    f'error getting deleter volume plugin for volume "{volume["metadata"]["name"]}"'
                    ": no deletable volume plugin matched"
                )
            self._volume_phase(volume, "Failed", message)
            self._event(volume, "Warning", "VolumeFailedDelete", message)
            return
        if policy == "Recycle":
            self._recycle(volume)

    def _recycle(self, volume: dict) -> None:
        from kubelab.kubelet.volumes import pv_source_disk
        from kubelab.storage.backends import storage_for

        spec = volume.get("spec") or {}
        if not any(spec.get(k) is not None for k in _RECYCLABLE):
            message = f'No recycler plugin found for the volume "{volume["metadata"]["name"]}"'
            self._volume_phase(volume, "Failed", message)
            self._event(volume, "Warning", "VolumeFailedRecycle", message)
            return
        if spec.get("nfs") is not None:  # the recycler pod runs `rm -rf` on the export
            disk, root = pv_source_disk(storage_for(self.ctx.api), spec, "")
            for name in disk.listdir(root):
                disk.remove(f"{root.rstrip('/')}/{name}", recursive=True)
        self._event(volume, "Normal", "RecyclerPod", "Recycler pod: Successfully assigned recycler")
        self._unbind(volume)
        self._event(volume, "Normal", "VolumeRecycled", "Volume recycled")
