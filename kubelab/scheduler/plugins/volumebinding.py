"""VolumeBinding (``pkg/scheduler/framework/plugins/volumebinding``): pods and their claims.

* **PreFilter**: a claim that does not exist (``persistentvolumeclaim "data" not found``), is
  being deleted, or is unbound with an ``Immediate`` class (``pod has unbound immediate
  PersistentVolumeClaims``) makes the pod unschedulable everywhere — the PV controller binds
  immediate claims on its own, the pod waits for it.
* **Filter**: a bound claim's volume must admit the node (``node(s) had volume node affinity
  conflict`` — a local volume pins its pods to its node); an unbound ``WaitForFirstConsumer``
  claim needs, on that node, a matching available volume or a class that can provision
  (``node(s) didn't find available persistent volumes to bind``).
* **PreBind** (here: when the scheduler's binding of the pod is seen): for each unbound
  ``WaitForFirstConsumer`` claim, pre-bind the best matching volume for the chosen node
  (its ``claimRef``), or ask for provisioning there with the ``volume.kubernetes.io/selected-node``
  annotation. Upstream waits for the claims to bind before binding the pod; kubelab binds the
  pod at once and its kubelet waits for the claims (the pod stays ``ContainerCreating``).

The plugin needs the cluster's informers: the scheduler calls :meth:`VolumeBinding.attach`.
"""

from __future__ import annotations

import contextlib

import numpy as np

from kubelab.api.meta import cow
from kubelab.controllers.persistentvolume import ANN_BOUND_BY_CONTROLLER, ANN_SELECTED_NODE
from kubelab.controllers.pv_index import (
    claim_class,
    claim_ref,
    find_matching_volume,
    node_affinity_matches,
)
from kubelab.controllers.pvprotection import claims_of
from kubelab.errors import KubelabError
from kubelab.scheduler.framework import CycleState, FilterPlugin, Rejected

__all__ = [
    "ERR_REASON_BIND_CONFLICT",
    "ERR_REASON_NODE_CONFLICT",
    "ERR_REASON_PV_NOT_EXIST",
    "ERR_UNBOUND_IMMEDIATE",
    "VolumeBinding",
]

ERR_REASON_BIND_CONFLICT = "node(s) didn't find available persistent volumes to bind"
ERR_REASON_NODE_CONFLICT = "node(s) had volume node affinity conflict"
ERR_REASON_PV_NOT_EXIST = (
    "node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)"
)
ERR_UNBOUND_IMMEDIATE = "pod has unbound immediate PersistentVolumeClaims"
NO_PROVISIONER = "kubernetes.io/no-provisioner"


class VolumeBinding(FilterPlugin):
    name = "VolumeBinding"

    def __init__(self):
        self.informers = None
        self.client = None

    def attach(self, scheduler) -> None:
        """Give the plugin the scheduler's informers and client; retry pods when storage changes."""
        self.informers, self.client = scheduler.informers, scheduler.client
        retry = getattr(scheduler, "_cluster_event", None)
        for kind in ("PersistentVolumeClaim", "PersistentVolume", "StorageClass"):
            if retry is not None:
                self.informers.get(kind).add_handler(
                    on_add=lambda _obj: retry(), on_update=lambda _o, _n: retry()
                )
        self.informers.get("Pod").add_handler(on_update=self._pod_updated)

    # -- the scheduling cycle ----------------------------------------------------------------
    def _classify(self, pod: dict):
        ns = pod["metadata"].get("namespace", "")
        claims, volumes = (
            self.informers.get("PersistentVolumeClaim"),
            self.informers.get("PersistentVolume"),
        )
        classes = self.informers.get("StorageClass")
        bound, delayed, immediate = [], [], False
        ephemeral = {
            f"{pod['metadata']['name']}-{v.get('name', '')}"
            for v in (pod.get("spec") or {}).get("volumes") or ()
            if v.get("ephemeral") is not None
        }
        for name in claims_of(pod):
            claim = claims.get(ns, name)
            if claim is None and name in ephemeral:
                raise Rejected(
                    "waiting for ephemeral volume controller to create the persistentvolumeclaim "
                    f'"{name}"'
                )
            if claim is None:
                raise Rejected(f'persistentvolumeclaim "{name}" not found')
            if claim["metadata"].get("deletionTimestamp"):
                raise Rejected(f'persistentvolumeclaim "{name}" is being deleted')
            volume_name = (claim.get("spec") or {}).get("volumeName")
            if volume_name:
                bound.append(volumes.get("", volume_name))
                continue
            cls = classes.get("", claim_class(claim)) if claim_class(claim) else None
            if cls is not None and cls.get("volumeBindingMode") == "WaitForFirstConsumer":
                delayed.append((claim, cls))
            else:
                immediate = True
        return bound, delayed, immediate

    def pre_filter(self, state: CycleState):
        if self.informers is None:
            return None
        pod = state.pod.pod
        if not claims_of(pod):
            state.data[self.name] = None
            return None
        bound, delayed, immediate = self._classify(pod)
        if immediate:
            raise Rejected(ERR_UNBOUND_IMMEDIATE)
        state.data[self.name] = (bound, delayed)
        return None

    def filter(self, state: CycleState):
        data = state.data.get(self.name)
        if not data:
            return []
        bound, delayed = data
        table = state.table
        conflict = np.zeros(table.size, dtype=bool)
        missing = np.zeros(table.size, dtype=bool)
        nobind = np.zeros(table.size, dtype=bool)
        volumes = self.informers.get("PersistentVolume").list() if delayed else []
        for slot in table.order():
            node = table.nodes[slot]
            if node is None:
                continue
            for volume in bound:
                if volume is None:
                    missing[slot] = True
                elif not node_affinity_matches(volume, node):
                    conflict[slot] = True
            taken: set[str] = set()
            for claim, cls in delayed:
                match = find_matching_volume(claim, volumes, node=node, excluded=frozenset(taken))
                if match is not None:
                    taken.add(match["metadata"]["name"])
                elif cls.get("provisioner") == NO_PROVISIONER:
                    nobind[slot] = True
        result = []
        for reason, mask in (
            (ERR_REASON_PV_NOT_EXIST, missing),
            (ERR_REASON_NODE_CONFLICT, conflict),
            (ERR_REASON_BIND_CONFLICT, nobind),
        ):
            if mask.any():
                result.append((reason, mask))
        return result

    # -- binding ------------------------------------------------------------------------------
    def _pod_updated(self, old: dict, new: dict) -> None:
        node = (new.get("spec") or {}).get("nodeName")
        if not node or (old.get("spec") or {}).get("nodeName") == node:
            return
        if not claims_of(new):
            return
        with contextlib.suppress(Rejected):
            _bound, delayed, _immediate = self._classify(new)
            if delayed:
                self.pre_bind(delayed, node)

    def pre_bind(self, delayed, node_name: str) -> None:
        """``BindPodVolumes``: static matches get a claimRef, the rest the selected-node annotation."""
        node = self.informers.get("Node").get("", node_name)
        if node is None:
            return
        volumes = self.informers.get("PersistentVolume").list()
        taken: set[str] = set()
        for claim, _cls in delayed:
            match = find_matching_volume(claim, volumes, node=node, excluded=frozenset(taken))
            try:
                if match is not None:
                    taken.add(match["metadata"]["name"])
                    new, spec = cow(match, "spec")
                    spec["claimRef"] = claim_ref(claim)
                    new["metadata"] = dict(match["metadata"])
                    new["metadata"]["annotations"] = {
                        **(match["metadata"].get("annotations") or {}),
                        ANN_BOUND_BY_CONTROLLER: "yes",
                    }
                    self.client.update(new)
                else:
                    new, meta = cow(claim, "metadata")
                    meta["annotations"] = {
                        **(claim["metadata"].get("annotations") or {}),
                        ANN_SELECTED_NODE: node_name,
                    }
                    self.client.update(new)
            except KubelabError:
                continue
