"""External volume provisioners, as a cluster's storage add-on runs them, and the default class.

Like k3s and Rancher Desktop, every cluster ships the StorageClass ``local-path`` (the default)
served by ``rancher.io/local-path`` (the local-path-provisioner kind uses too) with ``volumeBindingMode:
WaitForFirstConsumer`` and ``reclaimPolicy: Delete``: a claim waits for its first pod, the
scheduler picks the node (``volume.kubernetes.io/selected-node``), and the volume is a
``hostPath`` directory ``/var/local-path-provisioner/pvc-<uid>_<namespace>_<claim>`` on that node,
pinned there by node affinity. Two more provisioners answer classes that name them:
``k8s.io/minikube-hostpath`` (minikube's: ``/tmp/hostpath-provisioner/<namespace>/<claim>``, no
node affinity) and ``nfs.csi.k8s.io`` (csi-driver-nfs: a network volume that outlives nodes).
Any other provisioner name has nobody answering: its claims stay ``Pending``.

Each provisioner watches claims annotated ``volume.kubernetes.io/storage-provisioner: <name>``
(the PV controller puts it there), creates ``pvc-<claim uid>`` pre-bound to the claim
(``Provisioning``, then ``ProvisioningSucceeded``), and deletes released volumes it made
whose reclaim policy is ``Delete`` — with their data.

Examples
--------
>>> import kubelab as kl
>>> c = kl.Cluster(nodes=2, seed=0)
>>> print(c.kubectl("get storageclass"))
NAME                   PROVISIONER             RECLAIMPOLICY   VOLUMEBINDINGMODE      ALLOWVOLUMEEXPANSION   AGE
local-path (default)   rancher.io/local-path   Delete          WaitForFirstConsumer   false                  0s
"""

from __future__ import annotations

import contextlib

from kubelab.apiserver.storage_admission import DEFAULT_CLASS_ANNOTATION
from kubelab.controllers.base import Controller
from kubelab.controllers.persistentvolume import (
    ANN_PROVISIONED_BY,
    ANN_SELECTED_NODE,
    ANN_STORAGE_PROVISIONER,
)
from kubelab.controllers.pv_index import claim_ref
from kubelab.errors import AlreadyExists, KubelabError
from kubelab.storage.backends import storage_for

__all__ = ["DEFAULT_STORAGE_CLASS", "PROVISIONERS", "PROVISION_SECONDS", "ExternalProvisioners"]

PROVISION_SECONDS = 2.0  # the helper pod that creates (or removes) the directory
LOCAL_PATH = "rancher.io/local-path"
MINIKUBE = "k8s.io/minikube-hostpath"
NFS_CSI = "nfs.csi.k8s.io"
PROVISIONERS = {  # provisioner → the component name its events carry
    LOCAL_PATH: "rancher.io/local-path_local-path-provisioner",
    MINIKUBE: "k8s.io/minikube-hostpath_minikube",
    NFS_CSI: "nfs.csi.k8s.io_csi-nfs-controller",
}
DEFAULT_STORAGE_CLASS = {
    "apiVersion": "storage.k8s.io/v1",
    "kind": "StorageClass",
    "metadata": {"name": "local-path", "annotations": {DEFAULT_CLASS_ANNOTATION: "true"}},
    "provisioner": LOCAL_PATH,
    "reclaimPolicy": "Delete",
    "volumeBindingMode": "WaitForFirstConsumer",
}


def _source(provisioner: str, claim: dict, pv_name: str, node: str, params: dict) -> dict:
    ns, name = claim["metadata"]["namespace"], claim["metadata"]["name"]
    if provisioner == LOCAL_PATH:
        return {
            "hostPath": {
                "path": f"/var/local-path-provisioner/{pv_name}_{ns}_{name}",
                "type": "DirectoryOrCreate",
            },
            "nodeAffinity": {
                "required": {
                    "nodeSelectorTerms": [
                        {
                            "matchExpressions": [
                                {
                                    "key": "kubernetes.io/hostname",
                                    "operator": "In",
                                    "values": [node],
                                }
                            ]
                        }
                    ]
                }
            },
        }
    if provisioner == MINIKUBE:
        return {"hostPath": {"path": f"/tmp/hostpath-provisioner/{ns}/{name}", "type": ""}}
    server = params.get("server", "nfs-server.default.svc.cluster.local")
    share = params.get("share", "/")
    return {
        "csi": {
            "driver": NFS_CSI,
            "volumeHandle": f"{server}#{share.strip('/')}#{pv_name}##",
            "volumeAttributes": {"server": server, "share": share, "subdir": pv_name},
        }
    }


class ExternalProvisioners(Controller):
    """The storage add-on: the default class and the provisioners above."""

    name = "external-provisioner"

    def setup(self) -> None:
        self.claims = self.informers.get("PersistentVolumeClaim")
        self.volumes = self.informers.get("PersistentVolume")
        self.classes = self.informers.get("StorageClass")
        self.clients = {p: self.ctx.api.client(user) for p, user in PROVISIONERS.items()}
        self._in_flight: set = set()
        if self.config.get("defaultStorageClass", True):
            with contextlib.suppress(AlreadyExists):
                self.ctx.api.client("kubectl").create(dict(DEFAULT_STORAGE_CLASS))
        self.claims.add_handler(on_add=self._claim, on_update=lambda _o, n: self._claim(n))
        self.volumes.add_handler(on_add=self._volume, on_update=lambda _o, n: self._volume(n))

    def _claim(self, claim: dict) -> None:
        provisioner = (claim["metadata"].get("annotations") or {}).get(ANN_STORAGE_PROVISIONER)
        if provisioner in PROVISIONERS and not (claim.get("spec") or {}).get("volumeName"):
            key = ("claim", claim["metadata"]["namespace"], claim["metadata"]["name"])
            if key not in self._in_flight:
                self._in_flight.add(key)
                self.enqueue(key)

    def _volume(self, volume: dict) -> None:
        annotations = volume["metadata"].get("annotations") or {}
        if (
            annotations.get(ANN_PROVISIONED_BY) in PROVISIONERS
            and (volume.get("status") or {}).get("phase") == "Released"
            and (volume.get("spec") or {}).get("persistentVolumeReclaimPolicy") == "Delete"
        ):
            key = ("volume", "", volume["metadata"]["name"])
            if key not in self._in_flight:
                self._in_flight.add(key)
                self.clock.call_later(PROVISION_SECONDS, self._delete, key)

    def sync(self, key) -> None:
        _, ns, name = key
        claim = self.claims.get(ns, name)
        if claim is None or claim["metadata"].get("deletionTimestamp"):
            self._in_flight.discard(key)
            return
        provisioner = (claim["metadata"].get("annotations") or {}).get(ANN_STORAGE_PROVISIONER)
        client = self.clients[provisioner]
        node = (claim["metadata"].get("annotations") or {}).get(ANN_SELECTED_NODE, "")
        if provisioner == LOCAL_PATH and not node:
            client.event(
                claim,
                "Warning",
                "ProvisioningFailed",
                f'failed to provision volume with StorageClass "{claim["spec"].get("storageClassName", "")}": '
                "configuration error, no node was specified",
            )
            self._in_flight.discard(key)
            return
        client.event(
            claim,
            "Normal",
            "Provisioning",
            f'External provisioner is provisioning volume for claim "{ns}/{name}"',
        )
        self.clock.call_later(PROVISION_SECONDS, self._create, key, provisioner, node)

    def _create(self, key, provisioner: str, node: str) -> None:
        self._in_flight.discard(key)
        _, ns, name = key
        claim = self.claims.get(ns, name)
        if claim is None or (claim.get("spec") or {}).get("volumeName"):
            return
        spec = claim.get("spec") or {}
        cls = self.classes.get("", spec.get("storageClassName") or "") or {}
        uid = claim["metadata"]["uid"]
        pv_name = f"pvc-{uid}"
        annotations = {ANN_PROVISIONED_BY: provisioner}
        if provisioner == LOCAL_PATH:
            annotations["local.path.provisioner/selected-node"] = node
        volume = {
            "apiVersion": "v1",
            "kind": "PersistentVolume",
            "metadata": {"name": pv_name, "annotations": annotations},
            "spec": {
                "accessModes": list(spec.get("accessModes") or ["ReadWriteOnce"]),
                "capacity": {
                    "storage": ((spec.get("resources") or {}).get("requests") or {}).get(
                        "storage", "1Gi"
                    )
                },
                "claimRef": claim_ref(claim),
                "persistentVolumeReclaimPolicy": cls.get("reclaimPolicy") or "Delete",
                "storageClassName": spec.get("storageClassName", ""),
                "volumeMode": spec.get("volumeMode") or "Filesystem",
                **_source(provisioner, claim, pv_name, node, cls.get("parameters") or {}),
            },
        }
        client = self.clients[provisioner]
        try:
            client.create(volume)
        except AlreadyExists:
            return
        except KubelabError as error:
            client.event(claim, "Warning", "ProvisioningFailed", str(error))
            return
        client.event(
            claim, "Normal", "ProvisioningSucceeded", f"Successfully provisioned volume {pv_name}"
        )

    def _delete(self, key) -> None:
        """Remove the data (the helper pod's ``rm -rf``), then the PersistentVolume object."""
        self._in_flight.discard(key)
        volume = self.volumes.get("", key[2])
        if volume is None or (volume.get("status") or {}).get("phase") != "Released":
            return
        provisioner = (volume["metadata"].get("annotations") or {})[ANN_PROVISIONED_BY]
        spec = volume.get("spec") or {}
        storage = storage_for(self.ctx.api)
        if spec.get("hostPath") is not None:
            node = (volume["metadata"].get("annotations") or {}).get(
                "local.path.provisioner/selected-node"
            )
            nodes = [node] if node else sorted(k[1] for k in storage.disks if k[0] == "node")
            for n in nodes:
                storage.node_disk(n).remove(spec["hostPath"]["path"], recursive=True)
        else:
            key_ = storage.network_key(spec)
            if key_ is not None:
                storage.drop(key_)
        with contextlib.suppress(KubelabError):
            self.clients[provisioner].delete("PersistentVolume", volume["metadata"]["name"], "")
