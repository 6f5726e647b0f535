"""The ``pvc-protection`` and ``pv-protection`` controllers (``pkg/controller/volume/*protection``).

A claim being deleted keeps its ``kubernetes.io/pvc-protection`` finalizer while a pod that is
not finished still uses it (it shows ``Terminating``); a volume being deleted keeps
``kubernetes.io/pv-protection`` while it is ``Bound``. When nothing uses them any more the
finalizer goes and the API server removes the object.
"""

from __future__ import annotations

import contextlib

from kubelab.apiserver.storage_admission import PV_PROTECTION, PVC_PROTECTION
from kubelab.controllers.base import Controller
from kubelab.errors import KubelabError

__all__ = ["PVCProtectionController", "PVProtectionController", "claims_of"]

POD_CLAIM_INDEX = "pvc-protection:claim"


def claims_of(pod: dict) -> list[str]:
    """Names of the claims a pod's volumes use (generic ephemeral volumes included)."""
    names = []
    for volume in (pod.get("spec") or {}).get("volumes") or ():
        if volume.get("persistentVolumeClaim"):
            names.append(volume["persistentVolumeClaim"].get("claimName", ""))
        elif volume.get("ephemeral") is not None:
            names.append(f"{pod['metadata']['name']}-{volume.get('name', '')}")
    return names


def _pod_claims(pod: dict) -> tuple:
    ns = pod["metadata"].get("namespace", "")
    return tuple((ns, name) for name in claims_of(pod))


def _without(obj: dict, finalizer: str) -> dict:
    new = dict(obj)
    new["metadata"] = dict(obj["metadata"])
    new["metadata"]["finalizers"] = [
        f for f in obj["metadata"].get("finalizers") or () if f != finalizer
    ]
    return new


class PVCProtectionController(Controller):
    name = "pvc-protection-controller"

    def setup(self) -> None:
        self.claims = self.informers.get("PersistentVolumeClaim")
        self.pods = self.informers.get("Pod")
        # upstream's podPVCIndex: a deleted claim looks at its own pods, not the namespace's
        self.pods.add_index(POD_CLAIM_INDEX, _pod_claims)
        self.claims.add_handler(on_add=self._claim, on_update=lambda _o, n: self._claim(n))
        self.pods.add_handler(on_update=self._pod_updated, on_delete=self._pod_gone)

    def _claim(self, claim: dict) -> None:
        if claim["metadata"].get("deletionTimestamp"):
            self.enqueue_object(claim)

    def _pod_gone(self, pod: dict) -> None:
        ns = pod["metadata"].get("namespace", "")
        for name in claims_of(pod):
            claim = self.claims.get(ns, name)
            if claim is not None:
                self._claim(claim)

    def _pod_updated(self, _old: dict, new: dict) -> None:
        if (new.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            self._pod_gone(new)

    def in_use(self, claim: dict) -> bool:
        key = (claim["metadata"].get("namespace", ""), claim["metadata"]["name"])
        return any(
            (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
            for pod in self.pods.by_index(POD_CLAIM_INDEX, key)
        )

    def sync(self, key) -> None:
        claim = self.claims.get(*key)
        if claim is None or not claim["metadata"].get("deletionTimestamp"):
            return
        if PVC_PROTECTION not in (claim["metadata"].get("finalizers") or ()):
            return
        if not self.in_use(claim):
            with contextlib.suppress(KubelabError):
                self.client.update(_without(claim, PVC_PROTECTION))


class PVProtectionController(Controller):
    name = "pv-protection-controller"

    def setup(self) -> None:
        self.volumes = self.informers.get("PersistentVolume")
        self.volumes.add_handler(on_add=self._volume, on_update=lambda _o, n: self._volume(n))

    def _volume(self, volume: dict) -> None:
        if volume["metadata"].get("deletionTimestamp"):
            self.enqueue_object(volume)

    def sync(self, key) -> None:
        volume = self.volumes.get("", key[1])
        if volume is None or not volume["metadata"].get("deletionTimestamp"):
            return
        if PV_PROTECTION not in (volume["metadata"].get("finalizers") or ()):
            return
        if (volume.get("status") or {}).get("phase") != "Bound":
            with contextlib.suppress(KubelabError):
                self.client.update(_without(volume, PV_PROTECTION))
