"""The StatefulSet controller (``pkg/controller/statefulset``: ``stateful_set.go``,
``stateful_set_control.go``, ``stateful_pod_control.go``).

For each StatefulSet: claim its pods (named ``<set>-<ordinal>``), work out the current and
update ControllerRevisions, then walk the ordinals in order (``updateStatefulSet``):

* a missing pod is created (its PersistentVolumeClaims first, ``<template>-<set>-<ordinal>``);
  under ``OrderedReady`` one at a time, each waiting for its predecessors to be Running,
  Ready and available, under ``Parallel`` all at once;
* a failed or succeeded pod is deleted, and recreated with the same name once it is gone;
* pods beyond the replica count are deleted from the highest ordinal down;
* ``RollingUpdate`` then deletes the highest-ordinal pod of an old revision at or above the
  ``partition`` (``maxUnavailable`` at a time), which comes back at the update revision;
  ``OnDelete`` waits for the user to delete pods;
* claims get the owner references ``persistentVolumeClaimRetentionPolicy`` asks for, so the
  garbage collector deletes them with the set or with a scaled-away pod;
* old revisions beyond ``revisionHistoryLimit`` are pruned and ``status`` written.

Examples
--------
>>> from kubelab.sim import Clock
>>> from kubelab.apiserver import APIServer
>>> from kubelab.client import InformerFactory
>>> from kubelab.controllers.base import Context
>>> clock = Clock(); api = APIServer(clock); api.namespace_checks = False
>>> ssc = StatefulSetController(Context(clock, api, InformerFactory(api)))
>>> _ = api.client("kubectl").create({
...     "apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "web"},
...     "spec": {"replicas": 3, "serviceName": "nginx",
...              "selector": {"matchLabels": {"app": "web"}},
...              "template": {"metadata": {"labels": {"app": "web"}},
...                           "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}})
>>> _ = clock.run_until(1)
>>> [p["metadata"]["name"] for p in api.list("Pod")]   # OrderedReady: web-1 waits for web-0
['web-0']
"""

from __future__ import annotations

import contextlib
import copy

from kubelab.api.meta import owner_reference
from kubelab.controllers.base import Controller
from kubelab.controllers.podcontrol import claim_objects, slow_start_batch
from kubelab.controllers.podowner import PodOwnerHandlers, workload_selector
from kubelab.controllers.statefulset_util import (
    apply_revision,
    claim_name,
    complete_rolling_update,
    end_ordinal,
    has_stale_owner_ref,
    identity_matches,
    is_claim_owner_up_to_date,
    is_running_and_ready,
    is_unavailable,
    max_unavailable,
    new_revision,
    new_versioned_pod,
    parent_and_ordinal,
    persistent_volume_claims,
    pod_revision,
    replica_status,
    retention_policy,
    revision_sort_key,
    start_ordinal,
    storage_matches,
    update_claim_owner_refs,
    update_identity,
    update_storage,
)
from kubelab.errors import AlreadyExists, KubelabError, NotFound

__all__ = ["StatefulSetController"]

MAX_BATCH_SIZE = 500  # stateful_set_control.go


class _Blocked(Exception):
    """An error that ends this sync (upstream returns it and the key is requeued)."""


class StatefulSetController(PodOwnerHandlers, Controller):
    """Stable, ordered pods (and their claims) for every StatefulSet."""

    name = "statefulset-controller"
    owner_kind = "StatefulSet"
    min_ready_extra = 1.0  # updatePod: minReadySeconds + 1 s

    def setup(self) -> None:
        self.sets = self.owners = self.informers.get("StatefulSet")
        self.pods = self.informers.get("Pod")
        self.claims = self.informers.get("PersistentVolumeClaim")
        self.history = self.informers.get("ControllerRevision")
        self._failures: dict = {}
        self.sets.add_handler(on_add=self.enqueue_object, on_update=self.owner_updated)
        self.pods.add_handler(
            on_add=self.pod_changed, on_update=self.pod_updated, on_delete=self.pod_changed
        )
        # A stale claim blocks its pod until the garbage collector deletes it.
        self.claims.add_handler(on_delete=self._claim_deleted)

    # -- event handlers --------------------------------------------------------------------
    def _claim_deleted(self, claim: dict) -> None:
        meta = claim["metadata"]
        for sts in self.sets.list(meta.get("namespace", "")):
            for template in sts["spec"].get("volumeClaimTemplates") or ():
                prefix = claim_name(sts, template, 0)[:-1]
                if meta["name"].startswith(prefix) and meta["name"][len(prefix) :].isdigit():
                    self.enqueue_object(sts)

    # -- the reconcile loop ----------------------------------------------------------------
    def sync(self, key) -> None:
        sts = self.sets.get(*key)
        if sts is None:
            self._failures.pop(key, None)
            return
        selector = workload_selector(sts)
        if selector is None:
            return
        try:
            revisions = self.list_revisions(sts, selector)
            pods = self.pods_for_set(sts, selector)
            status = self.update_stateful_set(sts, pods, revisions)
        except _Blocked:
            failures = self._failures.get(key, 0)  # AddRateLimited: 5 ms doubling to 1000 s
            self._failures[key] = failures + 1
            self.enqueue(key, delay=min(0.005 * 2**failures, 1000.0))
            return
        self._failures.pop(key, None)
        min_ready = sts["spec"].get("minReadySeconds") or 0
        if (
            min_ready
            and status is not None
            and status["availableReplicas"] != sts["spec"].get("replicas", 1)
        ):
            self.enqueue(key, delay=min_ready)

    def _can_adopt(self, sts: dict) -> str | None:
        meta = sts["metadata"]
        gone = f"original StatefulSet {meta.get('namespace')}/{meta['name']} is gone"
        try:
            fresh = self.client.get("StatefulSet", meta["name"], meta.get("namespace", ""))
        except NotFound:
            return gone
        if fresh["metadata"].get("uid") != meta["uid"] or fresh["metadata"].get(
            "deletionTimestamp"
        ):
            return gone
        return None

    def _claim(self, informer, sts: dict, selector, member=None) -> list[dict]:
        """``ClaimObject`` over the set's own objects and its namespace's orphans."""
        meta = sts["metadata"]
        candidates = informer.by_index("controllerUID", meta["uid"])
        candidates += informer.by_index("orphans", meta.get("namespace", ""))
        if member is not None:
            candidates = [obj for obj in candidates if member(obj)]
        return claim_objects(
            self.client,
            sts,
            owner_reference(sts),
            selector,
            candidates,
            lambda: self._can_adopt(sts),
        )

    def pods_for_set(self, sts: dict, selector) -> list[dict]:
        """``getPodsForStatefulSet``: claimed pods whose name says they belong (``isMemberOf``)."""
        name = sts["metadata"]["name"]
        return self._claim(self.pods, sts, selector, lambda p: parent_and_ordinal(p)[0] == name)

    def list_revisions(self, sts: dict, selector) -> list[dict]:
        """``ListRevisions`` + ``AdoptOrphanRevisions``, sorted."""
        return sorted(self._claim(self.history, sts, selector), key=revision_sort_key)

    # -- UpdateStatefulSet -------------------------------------------------------------------
    def update_stateful_set(self, sts: dict, pods: list[dict], revisions: list[dict]):
        """``UpdateStatefulSet``: revisions, the ordinal walk, the status, then history."""
        current, update, collisions = self.get_revisions(sts, revisions)
        status, error = self.update_pods(sts, current, update, collisions, pods)
        self.update_status(sts, status)
        self.truncate_history(sts, pods, revisions, current, update)
        if error is not None:
            raise error
        return status

    def get_revisions(self, sts: dict, revisions: list[dict]) -> tuple[dict, dict, int]:
        """``getStatefulSetRevisions``: (current, update, collisionCount); creates the update
        revision, or renumbers an equal older one (a rollback)."""
        collisions = int((sts.get("status") or {}).get("collisionCount") or 0)
        next_number = (revisions[-1].get("revision", 0) if revisions else 0) + 1
        wanted = new_revision(sts, next_number, collisions)
        equal = [r for r in revisions if r.get("data") == wanted["data"]]
        if equal and revisions[-1] is equal[-1]:
            update = revisions[-1]
        elif equal:
            try:
                update = self.client.update(dict(equal[-1], revision=next_number))
            except KubelabError as error:
                raise _Blocked(error.message) from None
        else:
            update, collisions = self.create_revision(sts, next_number, collisions)
        name = (sts.get("status") or {}).get("currentRevision")
        current = next((r for r in revisions if r["metadata"]["name"] == name), None) or update
        return current, update, collisions

    def create_revision(self, sts: dict, number: int, collisions: int) -> tuple[dict, int]:
        """``CreateControllerRevision``: a name collision with other data bumps the count."""
        while True:
            rev = new_revision(sts, number, collisions)
            try:
                return self.client.create(rev), collisions
            except AlreadyExists:
                meta = rev["metadata"]
                try:
                    existing = self.client.get(
                        "ControllerRevision", meta["name"], meta["namespace"]
                    )
                except KubelabError as error:
                    raise _Blocked(error.message) from None
                if existing.get("data") == rev["data"]:
                    return existing, collisions
                collisions += 1
            except KubelabError as error:
                raise _Blocked(error.message) from None

    def truncate_history(self, sts, pods, revisions, current, update) -> None:
        """``truncateHistory``: delete the oldest revisions no pod nor the status uses."""
        live = {current["metadata"]["name"], update["metadata"]["name"]}
        live |= {pod_revision(p) for p in pods}
        old = [r for r in revisions if r["metadata"]["name"] not in live]
        limit = sts["spec"].get("revisionHistoryLimit", 10)
        if limit < 0 or len(old) <= limit:
            return
        for rev in old[: len(old) - limit]:
            with contextlib.suppress(NotFound):
                self.client.delete(
                    "ControllerRevision", rev["metadata"]["name"], rev["metadata"]["namespace"]
                )

    # -- updateStatefulSet: the ordinal walk ------------------------------------------------
    def update_pods(self, sts, current, update, collisions, pods) -> tuple[dict, _Blocked | None]:
        """``updateStatefulSet``: the status to record, and the error that stopped the walk."""
        now, min_ready = self.clock.now, sts["spec"].get("minReadySeconds") or 0
        current_set, update_set = apply_revision(sts, current), apply_revision(sts, update)
        cur_name, upd_name = current["metadata"]["name"], update["metadata"]["name"]
        status = {
            "observedGeneration": sts["metadata"].get("generation"),
            "currentRevision": cur_name,
            "updateRevision": upd_name,
            "collisionCount": collisions,
        }
        status.update(replica_status(pods, min_ready, now, cur_name, upd_name))
        start, end = start_ordinal(sts), end_ordinal(sts)
        replicas: list[dict | None] = [None] * max(0, end - start + 1)
        condemned = []
        for pod in pods:
            n = parent_and_ordinal(pod)[1]
            if start <= n <= end:
                replicas[n - start] = pod
            elif n >= 0:
                condemned.append(pod)
        for i, pod in enumerate(replicas):
            if pod is None:
                replicas[i] = new_versioned_pod(
                    current_set, update_set, cur_name, upd_name, start + i
                )
        condemned.sort(key=lambda p: -parent_and_ordinal(p)[1])
        first_unavailable = next(
            (p for p in replicas if is_unavailable(p, min_ready, now)), None
        ) or next((p for p in reversed(condemned) if is_unavailable(p, min_ready, now)), None)
        if sts["metadata"].get("deletionTimestamp"):
            return status, None

        monotonic = sts["spec"].get("podManagementPolicy") != "Parallel"

        def recount() -> None:
            status.update(replica_status(replicas + condemned, min_ready, now, cur_name, upd_name))

        try:
            stop = (
                self._run_for_all(
                    len(replicas),
                    lambda i: self.process_replica(sts, update_set, monotonic, replicas, i),
                    monotonic,
                )
                or self._run_for_all(
                    len(condemned),
                    lambda i: self.fix_pod_claims(update_set, condemned[i]),
                    monotonic,
                )
                or self._run_for_all(
                    len(condemned),
                    lambda i: self.process_condemned(
                        sts, first_unavailable, monotonic, condemned, i
                    ),
                    monotonic,
                )
            )
        except _Blocked as error:
            recount()
            return status, error
        recount()
        if stop or (sts["spec"].get("updateStrategy") or {}).get("type") == "OnDelete":
            return status, None
        try:
            self.rolling_update(sts, replicas, upd_name, status)
        except _Blocked as error:
            return status, error
        return status, None

    def _run_for_all(self, count: int, fn, monotonic: bool) -> bool:
        """``runForAll``: True when the walk must stop here (upstream ``shouldExit``)."""
        if monotonic:
            return any(fn(i) for i in range(count))
        indices = iter(range(count))
        errors: list[str] = []

        def one():
            try:
                fn(next(indices))
            except _Blocked as error:
                errors.append(str(error))
                return str(error)
            return True

        slow_start_batch(count, 1, one)
        if errors:
            raise _Blocked(errors[0])
        return False

    def process_replica(self, sts, update_set, monotonic: bool, replicas: list, i: int) -> bool:
        """``processReplica``: True to stop the walk (monotonic waits)."""
        pod = replicas[i]
        meta = pod["metadata"]
        phase = (pod.get("status") or {}).get("phase")
        if phase in ("Failed", "Succeeded"):
            if not meta.get("deletionTimestamp"):
                self.delete_pod(sts, pod)
            return True  # recreated on a later sync, once the old pod is gone
        if not phase:  # not created yet
            if self.pod_claim_is_stale(sts, pod):
                return True
            replicas[i] = self.create_pod(sts, pod)
            if monotonic:
                return True
            pod = replicas[i]
            phase = (pod.get("status") or {}).get("phase")
        if phase == "Pending":
            self.create_missing_claims(sts, pod)
        if monotonic:
            if meta.get("deletionTimestamp") or not is_running_and_ready(pod):
                return True
            if is_unavailable(pod, sts["spec"].get("minReadySeconds") or 0, self.clock.now):
                return True
        if (
            identity_matches(sts, pod)
            and storage_matches(sts, pod)
            and self.claims_match_retention_policy(update_set, pod)
        ):
            return False
        self.update_pod(update_set, pod)
        return False

    def process_condemned(self, sts, first_unavailable, monotonic, condemned, i) -> bool:
        """``processCondemned``: delete a pod beyond the replica count (highest ordinal first)."""
        pod = condemned[i]
        if pod["metadata"].get("deletionTimestamp"):
            return monotonic  # wait for it to go before the next
        min_ready = sts["spec"].get("minReadySeconds") or 0
        if (
            monotonic
            and pod is not first_unavailable
            and is_unavailable(pod, min_ready, self.clock.now)  # includes not running and ready
        ):
            return True
        self.delete_pod(sts, pod)
        return True

    def rolling_update(self, sts, replicas: list, update_name: str, status: dict) -> None:
        """``updateStatefulSetAfterInvariantEstablished`` (MaxUnavailableStatefulSet, beta since
        1.35): delete up to ``maxUnavailable`` old-revision pods, highest ordinal first, down
        to the partition."""
        now, min_ready = self.clock.now, sts["spec"].get("minReadySeconds") or 0
        rolling = (sts["spec"].get("updateStrategy") or {}).get("rollingUpdate") or {}
        update_min = int(rolling.get("partition") or 0)
        allowed = max_unavailable(sts, len(replicas))
        unavailable = sum(is_unavailable(p, min_ready, now) for p in replicas)
        if unavailable > allowed:
            return
        budget = allowed - unavailable
        for target in range(len(replicas) - 1, update_min - 1, -1):
            if budget <= 0:
                break
            pod = replicas[target]
            if pod_revision(pod) != update_name and not pod["metadata"].get("deletionTimestamp"):
                self.delete_pod(sts, pod)
                budget -= 1
                status["currentReplicas"] -= 1

    # -- StatefulPodControl ----------------------------------------------------------------
    def _event(self, sts: dict, verb: str, error: str | None, success: str, failure: str):
        """``recordPodEvent``/``recordClaimEvent``: Successful<Verb> or Failed<Verb>."""
        if error is None:
            self.client.event(sts, "Normal", f"Successful{verb.title()}", success)
        else:
            self.client.event(
                sts, "Warning", f"Failed{verb.title()}", f"{failure} failed error: {error}"
            )

    @contextlib.contextmanager
    def _reported(self, verb: str, sts: dict, pod: dict):
        """Record Failed<Verb> for the pod when the block is stopped, and stop the sync."""
        try:
            yield
        except _Blocked as error:
            self._pod_event(verb, sts, pod, str(error))
            raise

    def _pod_event(self, verb: str, sts: dict, pod: dict, error: str | None) -> None:
        subject = f"{verb} Pod {pod['metadata']['name']} in StatefulSet {sts['metadata']['name']}"
        self._event(sts, verb, error, f"{subject} successful", subject)

    def _claim_event(self, verb: str, sts, pod, claim, error: str | None) -> None:
        claim_, pod_ = claim["metadata"]["name"], pod["metadata"]["name"]
        where = f"Pod {pod_} in StatefulSet {sts['metadata']['name']}"
        self._event(
            sts,
            verb,
            error,
            f"{verb} Claim {claim_} {where} success",
            f"{verb} Claim {claim_} for {where}",
        )

    def create_claims(self, sts: dict, pod: dict) -> None:
        """``createPersistentVolumeClaims``: the pod's missing claims; raises if one cannot be."""
        errors = []
        n = parent_and_ordinal(pod)[1]
        for claim in persistent_volume_claims(sts, n).values():
            meta = claim["metadata"]
            existing = self.claims.get(meta["namespace"], meta["name"])
            if existing is not None:
                if existing["metadata"].get("deletionTimestamp"):
                    errors.append(f"pvc {meta['name']} is being deleted")
                continue
            try:
                self.client.create(claim)
            except AlreadyExists:
                continue
            except KubelabError as error:
                errors.append(f"failed to create PVC {meta['name']}: {error.message}")
                self._claim_event("create", sts, pod, claim, error.message)
                continue
            self._claim_event("create", sts, pod, claim, None)
        if errors:
            raise _Blocked(errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]")

    def create_missing_claims(self, sts: dict, pod: dict) -> None:
        """``createMissingPersistentVolumeClaims``: a pending pod whose claim was deleted."""
        with self._reported("update", sts, pod):
            self.create_claims(sts, pod)

    def create_pod(self, sts: dict, pod: dict) -> dict:
        """``CreateStatefulPod``: claims first, then the pod, then the claims' owners."""
        with self._reported("create", sts, pod):
            self.create_claims(sts, pod)
        try:
            created = self.client.create(pod)
        except AlreadyExists as error:
            raise _Blocked(error.message) from None
        except KubelabError as error:
            self._pod_event("create", sts, pod, error.message)
            raise _Blocked(error.message) from None
        with self._reported("update", sts, created):
            self.update_claims_for_retention_policy(sts, created)
        self._pod_event("create", sts, created, None)
        return created

    def update_pod(self, update_set: dict, pod: dict) -> None:
        """``UpdateStatefulPod``: restore identity and storage, fix the claims' owners."""
        pod = copy.deepcopy(pod)
        consistent = True
        if not identity_matches(update_set, pod):
            update_identity(update_set, pod)
            consistent = False
        if not storage_matches(update_set, pod):
            update_storage(update_set, pod)
            consistent = False
            with self._reported("update", update_set, pod):
                self.create_claims(update_set, pod)
        if not self.claims_match_retention_policy(update_set, pod):
            with self._reported("update", update_set, pod):
                self.update_claims_for_retention_policy(update_set, pod)
            consistent = False
        if consistent:
            return
        try:
            self.client.update(pod)
        except KubelabError as error:
            self._pod_event("update", update_set, pod, error.message)
            raise _Blocked(error.message) from None
        self._pod_event("update", update_set, pod, None)

    def delete_pod(self, sts: dict, pod: dict) -> None:
        """``DeleteStatefulPod``."""
        meta = pod["metadata"]
        try:
            self.client.delete("Pod", meta["name"], meta.get("namespace", ""))
        except NotFound:
            self._pod_event("delete", sts, pod, f'pods "{meta["name"]}" not found')
            return
        except KubelabError as error:
            self._pod_event("delete", sts, pod, error.message)
            raise _Blocked(error.message) from None
        self._pod_event("delete", sts, pod, None)

    def _pod_claims(self, sts: dict, pod: dict) -> list[dict]:
        n = parent_and_ordinal(pod)[1]
        found = []
        for claim in persistent_volume_claims(sts, n).values():
            existing = self.claims.get(claim["metadata"]["namespace"], claim["metadata"]["name"])
            if existing is not None:  # missing: picked up on a later sync
                found.append(existing)
        return found

    def claims_match_retention_policy(self, sts: dict, pod: dict) -> bool:
        """``ClaimsMatchRetentionPolicy``."""
        return all(is_claim_owner_up_to_date(c, sts, pod) for c in self._pod_claims(sts, pod))

    def update_claims_for_retention_policy(self, sts: dict, pod: dict) -> None:
        """``UpdatePodClaimForRetentionPolicy``: set the claims' owner references."""
        for claim in self._pod_claims(sts, pod):
            if is_claim_owner_up_to_date(claim, sts, pod):
                continue
            refs = update_claim_owner_refs(claim, sts, pod)
            meta = claim["metadata"]
            try:
                self.client.patch(
                    "PersistentVolumeClaim",
                    meta["name"],
                    meta["namespace"],
                    {"metadata": {"ownerReferences": refs or None}},
                    "merge",
                )
            except KubelabError as error:
                raise _Blocked(
                    f"could not update claim {meta['name']} for delete policy ownerRefs: "
                    f"{error.message}"
                ) from None

    def fix_pod_claims(self, update_set: dict, pod: dict) -> bool:
        """The condemned pods' claims: a pod reference when ``whenScaled: Delete``."""
        if not self.claims_match_retention_policy(update_set, pod):
            self.update_claims_for_retention_policy(update_set, pod)
        return False

    def pod_claim_is_stale(self, sts: dict, pod: dict) -> bool:
        """``PodClaimIsStale``: under ``whenScaled: Delete``, a claim still owned by an
        earlier pod of this name blocks the new pod until the collector deletes it."""
        if retention_policy(sts)[1] == "Retain":
            return False
        return any(has_stale_owner_ref(c, pod) for c in self._pod_claims(sts, pod))

    # -- status ----------------------------------------------------------------------------
    def update_status(self, sts: dict, status: dict) -> None:
        """``updateStatefulSetStatus``: written only when it differs (``inconsistentStatus``)."""
        complete_rolling_update(sts, status)
        old = sts.get("status") or {}
        new_status = {k: v for k, v in old.items() if k == "conditions"}
        for key in (
            "observedGeneration",
            "replicas",
            "readyReplicas",
            "currentReplicas",
            "updatedReplicas",
            "currentRevision",
            "updateRevision",
            "collisionCount",
            "availableReplicas",
        ):
            value = status.get(key)
            if value or key in _REQUIRED_STATUS:  # omitempty, as the Go struct
                new_status[key] = value
        if new_status == old:
            return
        with contextlib.suppress(KubelabError):
            self.client.update_status(dict(sts, status=new_status))


_REQUIRED_STATUS = frozenset({"replicas", "availableReplicas", "collisionCount"})


def _key(obj: dict) -> tuple[str, str]:
    return obj["metadata"].get("namespace", ""), obj["metadata"]["name"]
