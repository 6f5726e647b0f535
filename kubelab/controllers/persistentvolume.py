"""The PersistentVolume binder (``pkg/controller/volume/persistentvolume/pv_controller.go``).

``syncClaim`` binds each unbound claim to the best matching volume (:mod:`pv_index`):
``spec.claimRef`` on the volume, then volume phase ``Bound``, then ``spec.volumeName`` and the
``pv.kubernetes.io/bind-completed`` annotation on the claim, then claim phase ``Bound`` with the
volume's whole capacity. No match: the claim stays ``Pending`` — with a class, its provisioner is
asked for a volume (``ExternalProvisioning``); with ``WaitForFirstConsumer`` the controller waits
for the scheduler to pick a node (``WaitForFirstConsumer``); without a class it says
``FailedBinding``. Every 15 s (``--pvclaimbinder-sync-period``) pending claims are retried.

``syncVolume`` keeps volumes honest: ``Available`` when free, ``Released`` when their claim is
gone (the old ``claimRef`` stays: a released volume never binds again until an administrator
clears it), then the reclaim policy: ``Retain`` keeps volume and data, ``Delete`` hands a
provisioned volume back to its provisioner (which deletes it) and fails for static volumes
no plugin can delete, ``Recycle`` scrubs the data and makes the volume ``Available`` again.
A claim whose volume disappeared is ``Lost``.

Examples
--------
>>> from kubelab.sim import Clock
>>> from kubelab.apiserver import APIServer
>>> from kubelab.client import InformerFactory
>>> from kubelab.controllers.base import Context
>>> clock = Clock(); api = APIServer(clock); api.namespace_checks = False
>>> pvc = PersistentVolumeController(Context(clock, api, InformerFactory(api)))
>>> kubectl = api.client("kubectl")
>>> for name, size in [("big", "10Gi"), ("small", "2Gi")]:
...     _ = kubectl.create({"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": name},
...         "spec": {"capacity": {"storage": size}, "accessModes": ["ReadWriteOnce"],
...                  "hostPath": {"path": "/srv/" + name}}})
>>> _ = clock.run_until(1)
>>> _ = kubectl.create({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"},
...     "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "",
...              "resources": {"requests": {"storage": "1Gi"}}}})
>>> _ = clock.run_until(2)
>>> claim = api.get("PersistentVolumeClaim", "data")
>>> claim["spec"]["volumeName"], claim["status"]["phase"], claim["status"]["capacity"]
('small', 'Bound', {'storage': '2Gi'})
"""

from __future__ import annotations

import contextlib

from kubelab.api.meta import cow, timestamp
from kubelab.controllers.base import Controller
from kubelab.controllers.pv_index import claim_class, claim_ref, find_best_match_for_claim
from kubelab.controllers.pv_reclaim import ReclaimMixin
from kubelab.errors import KubelabError

__all__ = [
    "ANN_BIND_COMPLETED",
    "ANN_BOUND_BY_CONTROLLER",
    "ANN_PROVISIONED_BY",
    "ANN_SELECTED_NODE",
    "ANN_STORAGE_PROVISIONER",
    "SYNC_PERIOD",
    "PersistentVolumeController",
]

SYNC_PERIOD = 15.0
ANN_BIND_COMPLETED = "pv.kubernetes.io/bind-completed"
ANN_BOUND_BY_CONTROLLER = "pv.kubernetes.io/bound-by-controller"
ANN_PROVISIONED_BY = "pv.kubernetes.io/provisioned-by"
ANN_SELECTED_NODE = "volume.kubernetes.io/selected-node"
ANN_STORAGE_PROVISIONER = "volume.kubernetes.io/storage-provisioner"
ANN_BETA_STORAGE_PROVISIONER = "volume.beta.kubernetes.io/storage-provisioner"


def _key(obj: dict) -> tuple[str, str]:
    return obj["metadata"].get("namespace", ""), obj["metadata"]["name"]


class PersistentVolumeController(ReclaimMixin, Controller):
    """Binds claims to volumes and reclaims released volumes."""

    name = "persistentvolume-controller"

    def setup(self) -> None:
        self.volumes = self.informers.get("PersistentVolume")
        self.claims = self.informers.get("PersistentVolumeClaim")
        self.classes = self.informers.get("StorageClass")
        self.volumes.add_handler(
            on_add=self._volume_event,
            on_update=lambda _o, n: self._volume_event(n),
            on_delete=self._volume_deleted,
        )
        self.claims.add_handler(
            on_add=self._claim_event,
            on_update=lambda _o, n: self._claim_event(n),
            on_delete=self._claim_deleted,
        )
        self._resync_timer = None

    # -- events ------------------------------------------------------------------------------
    def _volume_event(self, volume: dict) -> None:
        self.enqueue(("PersistentVolume", "", volume["metadata"]["name"]))
        self._arm_resync()

    def _claim_event(self, claim: dict) -> None:
        self.enqueue(("PersistentVolumeClaim", *_key(claim)))
        self._arm_resync()

    def _volume_deleted(self, volume: dict) -> None:
        ref = (volume.get("spec") or {}).get("claimRef")
        if ref:
            self.enqueue(("PersistentVolumeClaim", ref.get("namespace", ""), ref.get("name", "")))

    def _claim_deleted(self, claim: dict) -> None:
        name = (claim.get("spec") or {}).get("volumeName")
        if name:
            self.enqueue(("PersistentVolume", "", name))
        for volume in self.volumes.list():  # a volume pre-bound to it may now be released
            ref = (volume.get("spec") or {}).get("claimRef") or {}
            if (ref.get("namespace"), ref.get("name")) == _key(claim):
                self.enqueue(("PersistentVolume", "", volume["metadata"]["name"]))

    def _arm_resync(self) -> None:
        if self._resync_timer is None:
            self._resync_timer = self.clock.call_later(SYNC_PERIOD, self._resync)

    def _resync(self) -> None:
        """The periodic resync: retry what is not settled (pending claims, unbound volumes)."""
        self._resync_timer = None
        unsettled = False
        for claim in self.claims.list():
            if (claim.get("status") or {}).get("phase") != "Bound":
                self.enqueue(("PersistentVolumeClaim", *_key(claim)))
                unsettled = True
        for volume in self.volumes.list():
            if (volume.get("status") or {}).get("phase") not in ("Bound", "Available"):
                self.enqueue(("PersistentVolume", "", volume["metadata"]["name"]))
                unsettled = True
        if unsettled:
            self._arm_resync()

    def sync(self, key) -> None:
        kind, namespace, name = key
        if kind == "PersistentVolume":
            volume = self.volumes.get("", name)
            if volume is not None:
                self.sync_volume(volume)
        else:
            claim = self.claims.get(namespace, name)
            if claim is not None:
                self.sync_claim(claim)

    # -- claims ------------------------------------------------------------------------------
    def sync_claim(self, claim: dict) -> None:
        annotations = claim["metadata"].get("annotations") or {}
        if annotations.get(ANN_BIND_COMPLETED) != "yes":
            self._sync_unbound_claim(claim)
        else:
            self._sync_bound_claim(claim)

    def _delay_binding(self, claim: dict) -> bool:
        """``IsDelayBindingMode`` and no node picked yet."""
        if ANN_SELECTED_NODE in (claim["metadata"].get("annotations") or {}):
            return False
        cls = self.classes.get("", claim_class(claim)) if claim_class(claim) else None
        return cls is not None and cls.get("volumeBindingMode") == "WaitForFirstConsumer"

    def _delay_binding_event(self, claim: dict) -> tuple[str, str]:
        """``emitEventForUnboundDelayBindingClaim``: name the pods not scheduled yet, if any."""
        from kubelab.controllers.pvprotection import claims_of

        ns, name = _key(claim)
        waiting = sorted(
            p["metadata"]["name"]
            for p in self.informers.get("Pod").list(ns)
            if not (p.get("spec") or {}).get("nodeName") and name in claims_of(p)
        )
        if not waiting:
            return "WaitForFirstConsumer", "waiting for first consumer to be created before binding"
        if len(waiting) == 1:
            return "WaitForPodScheduled", f"waiting for pod {waiting[0]} to be scheduled"
        return "WaitForPodScheduled", f"waiting for pods {','.join(waiting)} to be scheduled"

    def _sync_unbound_claim(self, claim: dict) -> None:
        spec = claim.get("spec") or {}
        if not spec.get("volumeName"):
            delay = self._delay_binding(claim)
            volume = find_best_match_for_claim(self.volumes.list(), claim, delay_binding=delay)
            if volume is not None:
                self._bind(volume, claim)
                return
            if delay:
                self._event(claim, "Normal", *self._delay_binding_event(claim))
            elif claim_class(claim):
                self._provision(claim)
            else:
                self._event(
                    claim,
                    "Normal",
                    "FailedBinding",
                    "no persistent volumes available for this claim and no storage class is set",
                )
            self._claim_phase(claim, "Pending")
            return
        volume = self.volumes.get("", spec["volumeName"])
        if volume is None:
            self._claim_phase(claim, "Pending")  # pre-bound to a volume that does not exist yet
            return
        ref = (volume.get("spec") or {}).get("claimRef")
        if ref is None or (
            (ref.get("namespace"), ref.get("name")) == _key(claim)
            and ref.get("uid") in (None, "", claim["metadata"].get("uid"))
        ):
            self._bind(volume, claim)
            return
        self._event(
            claim,
            "Warning",
            "FailedBinding",
            f'volume "{volume["metadata"]["name"]}" already bound to a different claim.',
        )
        self._claim_phase(claim, "Pending")

    def _sync_bound_claim(self, claim: dict) -> None:
        name = (claim.get("spec") or {}).get("volumeName") or ""
        volume = self.volumes.get("", name) if name else None
        if volume is None:
            if self._claim_phase(claim, "Lost"):
                self._event(
                    claim,
                    "Warning",
                    "ClaimLost",
                    "Bound claim has lost reference to PersistentVolume. Data on the volume is lost!",
                )
            return
        ref = (volume.get("spec") or {}).get("claimRef") or {}
        if not ref.get("uid"):
            self._bind(volume, claim)  # finish an interrupted binding
        elif ref.get("uid") == claim["metadata"].get("uid"):
            self._claim_phase(claim, "Bound", volume)
        elif self._claim_phase(claim, "Lost"):
            self._event(
                claim,
                "Warning",
                "ClaimMisbound",
                "Two claims are bound to the same volume, this one is bound incorrectly",
            )

    def _provision(self, claim: dict) -> None:
        """``provisionClaim``: ask the class's provisioner (an external one) for a volume."""
        class_name = claim_class(claim)
        cls = self.classes.get("", class_name)
        if cls is None:
            self._event(
                claim,
                "Warning",
                "ProvisioningFailed",
                f'storageclass.storage.k8s.io "{class_name}" not found',
            )
            return
        if (claim.get("spec") or {}).get("selector"):
            self._event(
                claim,
                "Warning",
                "ProvisioningFailed",
                "Failed to provision volume with StorageClass "
                f'"{class_name}": claim.Spec.Selector is not supported for dynamic provisioning',
            )
            return
        provisioner = cls.get("provisioner", "")
        annotations = claim["metadata"].get("annotations") or {}
        if annotations.get(ANN_STORAGE_PROVISIONER) != provisioner:
            new, meta = cow(claim, "metadata")
            meta["annotations"] = {
                **annotations,
                ANN_BETA_STORAGE_PROVISIONER: provisioner,
                ANN_STORAGE_PROVISIONER: provisioner,
            }
            with contextlib.suppress(KubelabError):
                self.client.update(new)
        self._event(
            claim,
            "Normal",
            "ExternalProvisioning",
            f"Waiting for a volume to be created either by the external provisioner '{provisioner}' "
            "or manually by the system administrator. If volume creation is delayed, please "
            "verify that the provisioner is running and correctly registered.",
        )

    # -- binding -----------------------------------------------------------------------------
    def _bind(self, volume: dict, claim: dict) -> None:
        """``bind``: volume → claim, volume Bound, claim → volume, claim Bound (four writes)."""
        meta = claim["metadata"]
        ref = claim_ref(claim)
        try:
            vspec = volume.get("spec") or {}
            if (vspec.get("claimRef") or {}).get("uid") != ref["uid"]:
                new, spec = cow(volume, "spec")
                if vspec.get("claimRef") is None:
                    new["metadata"] = dict(volume["metadata"])
                    new["metadata"]["annotations"] = {
                        **(volume["metadata"].get("annotations") or {}),
                        ANN_BOUND_BY_CONTROLLER: "yes",
                    }
                spec["claimRef"] = ref
                volume = self.client.update(new)
            volume = self._volume_phase(volume, "Bound") or volume
            annotations = meta.get("annotations") or {}
            if (claim.get("spec") or {}).get("volumeName") != volume["metadata"][
                "name"
            ] or annotations.get(ANN_BIND_COMPLETED) != "yes":
                new, spec = cow(claim, "spec")
                extra = {ANN_BIND_COMPLETED: "yes"}
                if not spec.get("volumeName"):
                    extra[ANN_BOUND_BY_CONTROLLER] = "yes"
                spec["volumeName"] = volume["metadata"]["name"]
                new["metadata"] = dict(meta, annotations={**annotations, **extra})
                claim = self.client.update(new)
            self._claim_phase(claim, "Bound", volume)
        except KubelabError:
            return  # a conflict: the next event or resync tries again

    def _claim_phase(self, claim: dict, phase: str, volume: dict | None = None) -> bool:
        """``updateClaimStatus``: phase, and the bound volume's access modes and capacity."""
        status = claim.get("status") or {}
        wanted = {k: v for k, v in status.items() if k not in ("accessModes", "capacity")}
        wanted["phase"] = phase
        if volume is not None:
            vspec = volume.get("spec") or {}
            wanted["accessModes"] = list(vspec.get("accessModes") or [])
            wanted["capacity"] = dict(vspec.get("capacity") or {})
        if wanted == status:
            return False
        try:
            self.client.update_status(dict(claim, status=wanted))
        except KubelabError:
            return False
        return True

    def _volume_phase(self, volume: dict, phase: str, message: str = "") -> dict | None:
        status = volume.get("status") or {}
        if status.get("phase") == phase and (status.get("message") or "") == message:
            return None
        new_status = {"phase": phase, "lastPhaseTransitionTime": timestamp(self.clock.now)}
        if message:
            new_status["message"] = message
        try:
            return self.client.update_status(dict(volume, status=new_status))
        except KubelabError:
            return None

    def _event(self, obj: dict, type_: str, reason: str, message: str) -> None:
        self.client.event(obj, type_, reason, message)

    # -- volumes -----------------------------------------------------------------------------
    def sync_volume(self, volume: dict) -> None:
        spec, status = volume.get("spec") or {}, volume.get("status") or {}
        ref = spec.get("claimRef")
        if ref is None:
            if status.get("phase") != "Available":
                self._volume_phase(volume, "Available")
            return
        if not ref.get("uid"):
            if status.get("phase") not in ("Available",):
                self._volume_phase(volume, "Available")  # pre-bound, waiting for its claim
            claim = self.claims.get(ref.get("namespace", ""), ref.get("name", ""))
            if claim is not None:
                self.enqueue(("PersistentVolumeClaim", *_key(claim)))
            return
        claim = self.claims.get(ref.get("namespace", ""), ref.get("name", ""))
        if claim is not None and claim["metadata"].get("uid") != ref.get("uid"):
            claim = None  # a new claim with the old name: ours is gone
        if claim is None:
            if status.get("phase") not in ("Released", "Failed"):
                volume = self._volume_phase(volume, "Released") or volume
            self._reclaim(volume)
            return
        claim_volume = (claim.get("spec") or {}).get("volumeName")
        if not claim_volume:
            self.enqueue(("PersistentVolumeClaim", *_key(claim)))  # syncClaim finishes binding
        elif claim_volume == volume["metadata"]["name"]:
            if status.get("phase") != "Bound":
                self._volume_phase(volume, "Bound")
        elif (volume["metadata"].get("annotations") or {}).get(ANN_BOUND_BY_CONTROLLER) == "yes":
            self._unbind(volume)  # we bound it in a race the claim lost: free it again
        else:
            self._volume_phase(volume, "Released")
