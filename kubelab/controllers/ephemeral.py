"""The ephemeral volume controller (``pkg/controller/volume/ephemeral``).

A pod volume ``ephemeral: {volumeClaimTemplate: ...}`` is a claim made for that pod alone:
the controller creates the PersistentVolumeClaim ``<pod>-<volume>`` from the template, owned by
the pod (so the garbage collector deletes it with the pod), and the volume is provisioned,
mounted and reclaimed like any claim's.
"""

from __future__ import annotations

from kubelab.controllers.base import Controller
from kubelab.errors import AlreadyExists, KubelabError

__all__ = ["EphemeralVolumeController", "ephemeral_claim_name"]


def ephemeral_claim_name(pod: dict, volume: dict) -> str:
    """``ephemeral.VolumeClaimName``: ``<pod name>-<volume name>``."""
    return f"{pod['metadata']['name']}-{volume.get('name', '')}"


class EphemeralVolumeController(Controller):
    name = "ephemeral-volume-controller"

    def setup(self) -> None:
        self.pods = self.informers.get("Pod")
        self.claims = self.informers.get("PersistentVolumeClaim")
        self.pods.add_handler(on_add=self._pod, on_update=lambda _o, n: self._pod(n))

    def _pod(self, pod: dict) -> None:
        if pod["metadata"].get("deletionTimestamp"):
            return
        if any(v.get("ephemeral") is not None for v in pod["spec"].get("volumes") or ()):
            self.enqueue_object(pod)

    def sync(self, key) -> None:
        pod = self.pods.get(*key)
        if pod is None or pod["metadata"].get("deletionTimestamp"):
            return
        meta = pod["metadata"]
        for volume in pod["spec"].get("volumes") or ():
            template = (volume.get("ephemeral") or {}).get("volumeClaimTemplate")
            if template is None:
                continue
            name = ephemeral_claim_name(pod, volume)
            if self.claims.get(meta["namespace"], name) is not None:
                continue
            tmeta = template.get("metadata") or {}
            claim = {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "metadata": {
                    "name": name,
                    "namespace": meta["namespace"],
                    "ownerReferences": [
                        {
                            "apiVersion": "v1",
                            "kind": "Pod",
                            "name": meta["name"],
                            "uid": meta["uid"],
                            "controller": True,
                            "blockOwnerDeletion": True,
                        }
                    ],
                },
                "spec": dict(template.get("spec") or {}),
            }
            for field in ("labels", "annotations"):
                if tmeta.get(field):
                    claim["metadata"][field] = dict(tmeta[field])
            try:
                self.client.create(claim)
            except AlreadyExists:
                continue
            except KubelabError as error:
                self.client.event(pod, "Warning", "FailedBinding", f"create PVC {name}: {error}")
