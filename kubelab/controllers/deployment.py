"""The Deployment controller (``pkg/controller/deployment``).

A Deployment never touches pods: it owns ReplicaSets, one per pod template, and moves
replicas between them. The new set is named ``<deployment>-<pod-template-hash>``; its
revision is one more than the old sets'. Each sync does one step, by strategy:

* **RollingUpdate**: grow the new set while ``replicas + maxSurge`` allows, else shrink
  old sets while ``replicas - maxUnavailable`` pods stay available (``deployment_rolling``);
* **Recreate**: scale every old set to 0, wait until their pods are gone, then create the
  new set at full size;
* a **scaling event** (``spec.replicas`` changed) or a **paused** Deployment: resize the
  sets proportionally, without rolling out.

Status and conditions (Available, Progressing with its deadline) come from ``deployment_sync``.

Examples
--------
>>> import kubelab as kl
>>> c = kl.Cluster(nodes=2, seed=0)
>>> _ = c.apply({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
...              "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
...                       "template": {"metadata": {"labels": {"app": "web"}},
...                                    "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}})
>>> _ = c.run(20)
>>> rs = c.list("ReplicaSet")[0]
>>> rs["metadata"]["name"] == "web-" + rs["metadata"]["labels"]["pod-template-hash"]
True
>>> c.get("Deployment", "web")["status"]["availableReplicas"]
2
"""

from __future__ import annotations

import copy

from kubelab.api.meta import controller_ref, cow, owner_reference
from kubelab.controllers.base import Controller
from kubelab.controllers.deployment_rolling import (
    Resize,
    reconcile_new_replica_set,
    reconcile_old_replica_sets,
    scale,
)
from kubelab.controllers.deployment_sync import (
    FAILED_RS_CREATE,
    FOUND_NEW_RS,
    NEW_RS_CREATED,
    calculate_status,
    check_paused_conditions,
    cleanup_deployment,
    deployment_complete,
    get_condition,
    has_progress_deadline,
    new_condition,
    progress_check_delay,
    rollout_status,
    set_condition,
)
from kubelab.controllers.deployment_util import (
    DESIRED_REPLICAS,
    POD_TEMPLATE_HASH,
    REVISION,
    compute_hash,
    equal_ignore_hash,
    filter_active,
    find_new_replica_set,
    find_old_replica_sets,
    max_revision,
    max_surge,
    new_rs_new_replicas,
    replicas,
    set_new_replica_set_annotations,
    set_replicas_annotations,
)
from kubelab.controllers.podcontrol import claim_objects
from kubelab.controllers.podowner import workload_selector
from kubelab.errors import AlreadyExists, KubelabError, NotFound

__all__ = ["DeploymentController"]

_MAX_RETRIES = 15  # as upstream's maxRetries: then the key is dropped until the next change


class DeploymentController(Controller):
    """Rolls Deployments out through their ReplicaSets."""

    name = "deployment-controller"

    # -- wiring ----------------------------------------------------------------------------
    def setup(self) -> None:
        self.deployments = self.informers.get("Deployment")
        self.rss = self.informers.get("ReplicaSet")
        self.pods = self.informers.get("Pod")
        self._progress_timers: dict = {}
        self._retries: dict = {}
        self.deployments.add_handler(
            on_add=self.enqueue_object, on_update=self.enqueue_object, on_delete=self._d_deleted
        )
        self.rss.add_handler(
            on_add=self._rs_added, on_update=self._rs_updated, on_delete=self._rs_deleted
        )
        self.pods.add_handler(on_delete=self._pod_deleted)

    def _d_deleted(self, d: dict) -> None:
        timer = self._progress_timers.pop(_key(d), None)
        if timer is not None:
            timer[1].cancel()

    def _resolve(self, obj: dict, ref: dict | None) -> dict | None:
        if ref is None or ref.get("kind") != "Deployment":
            return None
        d = self.deployments.get(obj["metadata"].get("namespace", ""), ref["name"])
        if d is None or d["metadata"].get("uid") != ref.get("uid"):
            return None
        return d

    def _enqueue_matching(self, rs: dict) -> None:
        """An orphan set: every Deployment of its namespace that selects it may adopt it."""
        meta = rs["metadata"]
        for d in self.deployments.list(meta.get("namespace", "")):
            sel = workload_selector(d)
            if sel is not None and not sel.empty and sel.matches(meta.get("labels")):
                self.enqueue_object(d)

    def _rs_added(self, rs: dict) -> None:
        ref = controller_ref(rs)
        if ref is not None:
            d = self._resolve(rs, ref)
            if d is not None:
                self.enqueue_object(d)
        elif not rs["metadata"].get("deletionTimestamp"):
            self._enqueue_matching(rs)

    def _rs_updated(self, old: dict, new: dict) -> None:
        old_ref, new_ref = controller_ref(old), controller_ref(new)
        if old_ref != new_ref and old_ref is not None:
            d = self._resolve(old, old_ref)
            if d is not None:
                self.enqueue_object(d)
        if new_ref is not None:
            d = self._resolve(new, new_ref)
            if d is not None:
                self.enqueue_object(d)
        elif old_ref != new_ref or old["metadata"].get("labels") != new["metadata"].get("labels"):
            self._enqueue_matching(new)

    def _rs_deleted(self, rs: dict) -> None:
        d = self._resolve(rs, controller_ref(rs))
        if d is not None:
            self.enqueue_object(d)

    def _pod_deleted(self, pod: dict) -> None:
        """Recreate waits for old pods to be gone: look again when the last one goes."""
        ref = controller_ref(pod)
        if ref is None or ref.get("kind") != "ReplicaSet":
            return
        rs = self.rss.get(pod["metadata"].get("namespace", ""), ref["name"])
        if rs is None or rs["metadata"].get("uid") != ref.get("uid"):
            return
        d = self._resolve(rs, controller_ref(rs))
        if d is None or d["spec"].get("strategy", {}).get("type") != "Recreate":
            return
        for owned in self.rss.by_index("controllerUID", d["metadata"]["uid"]):
            if self.pods.by_index("controllerUID", owned["metadata"]["uid"]):
                return
        self.enqueue_object(d)

    # -- the reconcile loop ----------------------------------------------------------------
    def sync(self, key) -> None:
        d = self.deployments.get(*key)
        if d is None:
            return
        try:
            self.sync_deployment(d)
        except KubelabError:
            # As upstream's work queue: retry with exponential back-off, then give up.
            tries = self._retries.get(key, 0)
            if tries < _MAX_RETRIES:
                self._retries[key] = tries + 1
                self.enqueue(key, delay=min(0.005 * 2**tries, 60.0))
            else:
                self._retries.pop(key, None)
            return
        self._retries.pop(key, None)

    def sync_deployment(self, d: dict) -> None:
        """``syncDeployment``: which of paused / scaling / rollout applies, in that order."""
        selector = workload_selector(d)
        if selector is None or selector.empty:
            self.client.event(
                d,
                "Warning",
                "SelectingAll",
                "This deployment is selecting all pods. A non-empty selector is required.",
            )
            gen = d["metadata"].get("generation", 0)
            if (d.get("status") or {}).get("observedGeneration", 0) < gen:
                self._write_status(d, dict(d.get("status") or {}, observedGeneration=gen))
            return
        rs_list = self.get_replica_sets_for_deployment(d, selector)
        if d["metadata"].get("deletionTimestamp"):
            d, new_rs, old_rss = self.get_all_replica_sets(d, rs_list, create=False)
            self.sync_deployment_status([*old_rss, new_rs], new_rs, d)
            return
        paused_status = check_paused_conditions(d, self.clock.now)
        if paused_status is not None:
            d = self._write_status(d, paused_status)
        if d["spec"].get("paused") or self.is_scaling_event(d, rs_list):
            self.sync_scale(d, rs_list)
        elif d["spec"]["strategy"]["type"] == "Recreate":
            self.rollout_recreate(d, rs_list)
        else:
            self.rollout_rolling(d, rs_list)

    def get_replica_sets_for_deployment(self, d: dict, selector) -> list[dict]:
        """``getReplicaSetsForDeployment``: the sets it controls, after adoption/release."""
        uid, ns = d["metadata"]["uid"], d["metadata"].get("namespace", "")
        candidates = self.rss.by_index("controllerUID", uid) + self.rss.by_index("orphans", ns)
        return claim_objects(
            self.client, d, owner_reference(d), selector, candidates, lambda: self._can_adopt(d)
        )

    def _can_adopt(self, d: dict) -> str | None:
        meta = d["metadata"]
        try:
            fresh = self.client.get("Deployment", meta["name"], meta.get("namespace", ""))
        except NotFound:
            return f"original Deployment {meta.get('namespace')}/{meta['name']} is gone"
        if fresh["metadata"].get("uid") != meta["uid"]:
            return f"original Deployment {meta.get('namespace')}/{meta['name']} is gone"
        if fresh["metadata"].get("deletionTimestamp"):
            return f"{meta.get('namespace')}/{meta['name']} has just been deleted"
        return None

    def is_scaling_event(self, d: dict, rs_list: list[dict]) -> bool:
        """``isScalingEvent``: an active set's desired-replicas annotation is out of date."""
        d, new_rs, old_rss = self.get_all_replica_sets(d, rs_list, create=False)
        for rs in filter_active([*old_rss, new_rs]):
            value = (rs["metadata"].get("annotations") or {}).get(DESIRED_REPLICAS)
            try:
                desired = int(value) if value is not None else None
            except ValueError:
                desired = None
            if desired is not None and desired != replicas(d):
                return True
        return False

    # -- strategies ------------------------------------------------------------------------
    def rollout_rolling(self, d: dict, rs_list: list[dict]) -> None:
        d, new_rs, old_rss = self.get_all_replica_sets(d, rs_list, create=True)
        if new_rs is None:
            return
        all_rss = [*old_rss, new_rs]
        size = reconcile_new_replica_set(all_rss, new_rs, d)
        if size is not None and self.resize(Resize(new_rs, size), d):
            self.sync_rollout_status(all_rss, new_rs, d)
            return
        plans = reconcile_old_replica_sets(all_rss, filter_active(old_rss), new_rs, d)
        scaled = [self.resize(plan, d) for plan in plans]
        if any(scaled):
            self.sync_rollout_status(all_rss, new_rs, d)
            return
        if deployment_complete(d, d.get("status") or {}):
            self.cleanup(old_rss, d)
        self.sync_rollout_status(all_rss, new_rs, d)

    def rollout_recreate(self, d: dict, rs_list: list[dict]) -> None:
        # No new set yet: never scale up before the old pods are gone.
        d, new_rs, old_rss = self.get_all_replica_sets(d, rs_list, create=False)
        all_rss = [*old_rss, new_rs]
        scaled = [self.resize(Resize(rs, 0), d) for rs in filter_active(old_rss)]
        if any(scaled) or self.old_pods_running(new_rs, old_rss):
            self.sync_rollout_status(all_rss, new_rs, d)
            return
        if new_rs is None:
            d, new_rs, old_rss = self.get_all_replica_sets(d, rs_list, create=True)
            if new_rs is None:
                return
            all_rss = [*old_rss, new_rs]
        self.resize(Resize(new_rs, replicas(d)), d)
        if deployment_complete(d, d.get("status") or {}):
            self.cleanup(old_rss, d)
        self.sync_rollout_status(all_rss, new_rs, d)

    def old_pods_running(self, new_rs: dict | None, old_rss: list[dict]) -> bool:
        """``oldPodsRunning``: an old set still counts pods, or an old pod is not finished."""
        if sum(((rs.get("status") or {}).get("replicas") or 0) for rs in old_rss):
            return True
        for rs in old_rss:
            for pod in self.pods.by_index("controllerUID", rs["metadata"]["uid"]):
                if (pod.get("status") or {}).get("phase") not in ("Failed", "Succeeded"):
                    return True  # Unknown counts: it may still run on an unreachable node
        return False

    def sync_scale(self, d: dict, rs_list: list[dict]) -> None:
        """Upstream ``sync()``: proportional scaling (scaling event or paused), no rollout."""
        d, new_rs, old_rss = self.get_all_replica_sets(d, rs_list, create=False)
        for plan in scale(d, new_rs, old_rss):
            self.resize(plan, d)
        if d["spec"].get("paused"):
            self.cleanup(old_rss, d)
        self.sync_deployment_status([*old_rss, new_rs], new_rs, d)

    # -- the new ReplicaSet and revisions --------------------------------------------------
    def get_all_replica_sets(self, d: dict, rs_list: list[dict], *, create: bool):
        """``getAllReplicaSetsAndSyncRevision`` → (deployment as now stored, new set, old sets)."""
        _, all_old = find_old_replica_sets(d, rs_list)
        d, new_rs = self.get_new_replica_set(d, rs_list, all_old, create)
        return d, new_rs, all_old

    def get_new_replica_set(self, d: dict, rs_list, old_rss, create: bool):
        """``getNewReplicaSet``: find (and bring up to date) or create the new set."""
        now = self.clock.now
        existing = find_new_replica_set(d, rs_list)
        new_revision = max_revision(old_rss) + 1
        if existing is not None:
            annotations = dict(existing["metadata"].get("annotations") or {})
            changed = set_new_replica_set_annotations(d, annotations, new_revision, True)
            min_ready = d["spec"].get("minReadySeconds") or 0
            if changed or (existing["spec"].get("minReadySeconds") or 0) != min_ready:
                rs, meta = cow(existing, "metadata")
                meta["annotations"] = annotations
                rs["spec"] = dict(rs["spec"], minReadySeconds=min_ready)
                return d, self.client.update(rs)
            status, update = dict(d.get("status") or {}), False
            if has_progress_deadline(d) and get_condition(status, "Progressing") is None:
                msg = f'Found new replica set "{existing["metadata"]["name"]}"'
                set_condition(status, new_condition("Progressing", "True", FOUND_NEW_RS, msg, now))
                update = True
            d = self._set_revision(d, annotations.get(REVISION))
            if update:
                d = self._write_status(d, status)
            return d, existing
        if not create:
            return d, None
        return self._create_new_replica_set(d, old_rss, new_revision)

    def _create_new_replica_set(self, d: dict, old_rss, new_revision: int):
        now, meta, spec = self.clock.now, d["metadata"], d["spec"]
        template = copy.deepcopy(spec.get("template") or {})
        status = dict(d.get("status") or {})
        pod_hash = compute_hash(template, status.get("collisionCount"))
        template.setdefault("metadata", {}).setdefault("labels", {})[POD_TEMPLATE_HASH] = pod_hash
        selector = copy.deepcopy(spec.get("selector") or {})
        selector.setdefault("matchLabels", {})[POD_TEMPLATE_HASH] = pod_hash
        name = f"{meta['name']}-{pod_hash}"
        new_rs = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": name,
                "namespace": meta.get("namespace", "default"),
                "labels": dict(template["metadata"]["labels"]),
                "ownerReferences": [owner_reference(d)],
            },
            "spec": {
                "replicas": 0,
                "minReadySeconds": spec.get("minReadySeconds") or 0,
                "selector": selector,
                "template": template,
            },
        }
        count = new_rs_new_replicas(d, [*old_rss, new_rs], new_rs)
        new_rs["spec"]["replicas"] = count
        annotations: dict = {}
        set_new_replica_set_annotations(d, annotations, new_revision, False)
        new_rs["metadata"]["annotations"] = annotations
        already_exists = False
        try:
            created = self.client.create(new_rs)
        except AlreadyExists:
            already_exists = True
            found = self.rss.get(meta.get("namespace", ""), name)
            ref = controller_ref(found) if found is not None else None
            if (
                found is not None
                and ref is not None
                and ref.get("uid") == meta["uid"]
                and equal_ignore_hash(spec.get("template"), found["spec"].get("template"))
            ):
                created = found
            else:  # a hash collision: count it so the next hash differs, and retry
                status["collisionCount"] = (status.get("collisionCount") or 0) + 1
                self._write_status(d, status)
                raise
        except KubelabError as error:
            msg = f'Failed to create new replica set "{name}": {error.message}'
            if has_progress_deadline(d):
                set_condition(
                    status, new_condition("Progressing", "False", FAILED_RS_CREATE, msg, now)
                )
                if status != (d.get("status") or {}):  # a no-op write would wake us again
                    self._write_status(d, status)
            self.client.event(d, "Warning", FAILED_RS_CREATE, msg)
            raise
        if not already_exists and count > 0:
            self.client.event(
                d, "Normal", "ScalingReplicaSet", f"Scaled up replica set {name} from 0 to {count}"
            )
        d = self._set_revision(d, str(new_revision))
        if not already_exists and has_progress_deadline(d):
            status = dict(d.get("status") or {})
            msg = f'Created new replica set "{name}"'
            set_condition(status, new_condition("Progressing", "True", NEW_RS_CREATED, msg, now))
            d = self._write_status(d, status)
        return d, created

    def _set_revision(self, d: dict, value: str | None) -> dict:
        """``SetDeploymentRevision``. Upstream sends it with the status update; kubelab's
        status subresource keeps metadata, so the annotation goes in a patch of its own."""
        if value is None or (d["metadata"].get("annotations") or {}).get(REVISION) == value:
            return d
        meta = d["metadata"]
        return self.client.patch(
            "Deployment",
            meta["name"],
            meta.get("namespace", ""),
            {"metadata": {"annotations": {REVISION: value}}},
            "merge",
        )

    # -- writes ----------------------------------------------------------------------------
    def resize(self, plan: Resize, d: dict) -> bool:
        """Carry out one :class:`Resize` (``scaleReplicaSet[AndRecordEvent]``); True if the
        size changed. The set is read again from the cache: an earlier resize in the same
        sync may have written it."""
        meta = plan.rs["metadata"]
        rs = self.rss.get(meta.get("namespace", ""), meta["name"]) or plan.rs
        old = replicas(rs)
        if plan.operation is None and old == plan.size:
            return False
        new, annotations = cow(rs, "metadata", "annotations")
        ann_changed = set_replicas_annotations(annotations, replicas(d), replicas(d) + max_surge(d))
        if old == plan.size and not ann_changed:
            return False
        new["spec"] = dict(new["spec"], replicas=plan.size)
        self.client.update(new)
        if old != plan.size:
            # sync.go scaleReplicaSet words it from the sizes (kubernetes#125118's order)
            word = "up" if old < plan.size else "down"
            self.client.event(
                d,
                "Normal",
                "ScalingReplicaSet",
                f"Scaled {word} replica set {meta['name']} from {old} to {plan.size}",
            )
            return True
        return False

    def cleanup(self, old_rss: list[dict], d: dict) -> None:
        for rs in cleanup_deployment(old_rss, d):
            try:
                self.client.delete(
                    "ReplicaSet", rs["metadata"]["name"], rs["metadata"]["namespace"]
                )
            except NotFound:
                continue

    def _write_status(self, d: dict, status: dict) -> dict:
        return self.client.update_status(dict(d, status=status))

    def sync_deployment_status(self, all_rss, new_rs, d: dict) -> None:
        status = calculate_status(all_rss, new_rs, d, self.clock.now)
        if status != (d.get("status") or {}):
            self._write_status(d, status)

    def sync_rollout_status(self, all_rss, new_rs, d: dict) -> None:
        """``syncRolloutStatus``; when nothing changed, arm the progress-deadline check."""
        now = self.clock.now
        status = rollout_status(all_rss, new_rs, d, now)
        if status != (d.get("status") or {}):
            self._write_status(d, status)
            return
        delay = progress_check_delay(d, status, now)
        if delay is None:
            return
        key, when = _key(d), now + delay
        pending = self._progress_timers.get(key)
        if pending is not None and not pending[1].cancelled and pending[0] == when:
            return
        if pending is not None:
            pending[1].cancel()
        self._progress_timers[key] = (when, self.clock.call_at(when, self._progress_due, key))

    def _progress_due(self, key) -> None:
        self._progress_timers.pop(key, None)
        self.enqueue(key)


def _key(obj: dict) -> tuple[str, str]:
    return obj["metadata"].get("namespace", ""), obj["metadata"]["name"]
