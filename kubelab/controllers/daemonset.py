"""The DaemonSet controller (``pkg/controller/daemon/daemon_controller.go``).

For each DaemonSet: make sure its current ControllerRevision exists (``constructHistory``),
then for every node decide with ``NodeShouldRunDaemonPod`` whether a daemon pod belongs
there (``podsShouldBeOnNode``): create the missing ones (pinned to their node by required
node affinity, bound by the default scheduler), delete misplaced, failed, succeeded and
surplus ones, roll out template changes (``RollingUpdate``; ``OnDelete`` waits for the user),
prune old revisions and write ``status``.

Examples
--------
>>> from kubelab.sim import Clock
>>> from kubelab.apiserver import APIServer
>>> from kubelab.client import InformerFactory
>>> from kubelab.controllers.base import Context
>>> clock = Clock(); api = APIServer(clock); api.namespace_checks = False
>>> kubectl = api.client("kubectl")
>>> for n in ("n1", "n2"):
...     _ = kubectl.create({"apiVersion": "v1", "kind": "Node", "metadata": {"name": n}})
>>> dsc = DaemonSetsController(Context(clock, api, InformerFactory(api)))
>>> _ = kubectl.create({
...     "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
...     "spec": {"selector": {"matchLabels": {"app": "agent"}},
...              "template": {"metadata": {"labels": {"app": "agent"}},
...                           "spec": {"containers": [{"name": "c", "image": "agent"}]}}}})
>>> _ = clock.run_until(1)
>>> sorted(get_target_node_name(p) for p in api.list("Pod"))
['n1', 'n2']
>>> api.get("DaemonSet", "agent")["status"]["desiredNumberScheduled"]
2
"""

from __future__ import annotations

import contextlib

from kubelab.api import labels
from kubelab.api.meta import controller_ref, cow, owner_reference
from kubelab.controllers.base import Controller
from kubelab.controllers.daemonset_update import (
    CONTROLLER_REVISION_HASH,
    TEMPLATE_GENERATION_ANNOTATION,
    DaemonPredicate,
    compute_hash,
    create_pod_template,
    get_patch,
    get_target_node_name,
    is_pod_updated,
    plan_rolling_update,
    pod_sort_key,
    replace_daemon_set_pod_node_name_node_affinity,
)
from kubelab.controllers.podcontrol import (
    SLOW_START_INITIAL_BATCH,
    claim_objects,
    is_pod_available,
    is_pod_ready,
    pod_from_template,
    pod_ready_time,
    slow_start_batch,
)
from kubelab.controllers.podowner import PodOwnerHandlers
from kubelab.errors import AlreadyExists, KubelabError, NotFound

__all__ = ["DaemonSetsController"]

BURST_REPLICAS = 250  # daemon_controller.go
_BACKOFF_INITIAL, _BACKOFF_MAX = 1.0, 900.0  # failedPodsBackoff: 1 s doubling up to 15 min


class DaemonSetsController(PodOwnerHandlers, Controller):
    """One daemon pod on every eligible node, for every DaemonSet."""

    name = "daemonset-controller"
    owner_kind = "DaemonSet"

    def setup(self) -> None:
        self.dsets = self.owners = self.informers.get("DaemonSet")
        self.pods = self.informers.get("Pod")
        self.nodes = self.informers.get("Node")
        self.history = self.informers.get("ControllerRevision")
        self._backoff: dict[tuple, tuple[float, float]] = {}  # (ds uid, node) → (delay, since)
        self.dsets.add_handler(on_add=self.enqueue_object, on_update=self.owner_updated)
        self.pods.add_handler(
            on_add=self.pod_changed, on_update=self.pod_updated, on_delete=self.pod_changed
        )
        self.nodes.add_handler(
            on_add=self._node_added, on_update=self._node_updated, on_delete=self._node_deleted
        )
        self.history.add_handler(on_delete=self._history_deleted)

    # -- event handlers --------------------------------------------------------------------
    def _node_added(self, node: dict) -> None:
        for ds in self.dsets.list():
            if DaemonPredicate(ds)(node)[0]:
                self.enqueue_object(ds)

    def _node_updated(self, old: dict, new: dict) -> None:
        # Heartbeats change only status: nothing the predicates look at.
        if old["metadata"].get("labels") == new["metadata"].get("labels") and (
            old.get("spec") or {}
        ).get("taints") == (new.get("spec") or {}).get("taints"):
            return
        for ds in self.dsets.list():
            predicate = DaemonPredicate(ds)
            if predicate(old) != predicate(new):
                self.enqueue_object(ds)

    def _node_deleted(self, node: dict) -> None:
        for ds in self.dsets.list():
            self.enqueue_object(ds)

    def _history_deleted(self, rev: dict) -> None:
        ref = controller_ref(rev)
        if ref is not None and ref.get("kind") == "DaemonSet":
            self.enqueue((rev["metadata"].get("namespace", ""), ref["name"]))

    def owner_selector(self, ds: dict):
        return _selector(ds)

    # -- the reconcile loop ----------------------------------------------------------------
    def sync(self, key) -> None:
        ds = self.dsets.get(*key)
        if ds is None or ds["metadata"].get("deletionTimestamp"):
            return
        selector = _selector(ds)
        if selector is None:
            return
        nodes = sorted(self.nodes.list(), key=lambda n: n["metadata"]["name"])
        cur, old = self.construct_history(ds, selector)
        if cur is None:
            return  # hash collision: the collisionCount bump brings us back
        hash_ = cur["metadata"]["labels"][CONTROLLER_REVISION_HASH]
        generation = _template_generation(ds, cur)
        predicate = DaemonPredicate(ds)
        verdicts = {n["metadata"]["name"]: predicate(n) for n in nodes}
        pods_by_node = self.nodes_to_daemon_pods(ds, selector)
        wrote = self.manage(ds, verdicts, pods_by_node, hash_, generation)
        strategy = (ds["spec"].get("updateStrategy") or {}).get("type", "RollingUpdate")
        if not wrote and strategy == "RollingUpdate":
            # Upstream waits for its expectations (the informer seeing manage's writes)
            # before rolling: kubelab's writes are seen at once, so "nothing written" it is.
            should_run = {n: v[0] for n, v in verdicts.items()}
            to_delete, to_create = plan_rolling_update(
                ds, pods_by_node, should_run, hash_, generation, self.clock.now
            )
            self.sync_nodes(ds, to_delete, to_create, hash_, generation)
        self.cleanup_history(ds, old, pods_by_node)
        self.update_status(ds, verdicts, pods_by_node, hash_, generation)

    def nodes_to_daemon_pods(self, ds: dict, selector) -> dict[str, list[dict]]:
        """``getNodesToDaemonPods``: claimed pods by target node (minus deleted terminal ones)."""
        meta = ds["metadata"]
        candidates = self.pods.by_index("controllerUID", meta["uid"])
        candidates += self.pods.by_index("orphans", meta.get("namespace", ""))
        pods = claim_objects(
            self.client, ds, owner_reference(ds), selector, candidates, lambda: self._can_adopt(ds)
        )
        by_node: dict[str, list[dict]] = {}
        for pod in pods:
            phase = (pod.get("status") or {}).get("phase")
            if pod["metadata"].get("deletionTimestamp") and phase in ("Succeeded", "Failed"):
                continue
            node = get_target_node_name(pod)
            if node is not None:
                by_node.setdefault(node, []).append(pod)
        return by_node

    def _can_adopt(self, ds: dict) -> str | None:
        meta = ds["metadata"]
        try:
            fresh = self.client.get("DaemonSet", meta["name"], meta.get("namespace", ""))
        except NotFound:
            return f"original DaemonSet {meta.get('namespace')}/{meta['name']} is gone"
        if fresh["metadata"].get("uid") != meta["uid"] or fresh["metadata"].get(
            "deletionTimestamp"
        ):
            return f"original DaemonSet {meta.get('namespace')}/{meta['name']} is gone"
        return None

    # -- manage: which pods go where -------------------------------------------------------
    def manage(self, ds, verdicts, pods_by_node, hash_, generation) -> bool:
        """Create and delete daemon pods node by node. Returns whether it wrote anything."""
        to_create: list[str] = []
        to_delete: list[str] = []
        for node, (should_run, should_continue) in verdicts.items():
            need, delete = self.pods_should_be_on_node(
                ds, node, should_run, should_continue, pods_by_node.get(node), hash_
            )
            to_create += need
            to_delete += delete
        # Pods pinned to nodes that no longer exist, never scheduled: nobody else cleans them.
        for node, pods in pods_by_node.items():
            if node not in verdicts:
                to_delete += [p["metadata"]["name"] for p in pods if not p["spec"].get("nodeName")]
        return self.sync_nodes(ds, to_delete, to_create, hash_, generation)

    def pods_should_be_on_node(self, ds, node, should_run, should_continue, pods, hash_):
        """``podsShouldBeOnNode`` → ``(nodes needing a pod, pod names to delete)``."""
        if should_run and not pods:
            return [node], []
        delete: list[str] = []
        if should_continue and pods:
            running = []
            for pod in pods:
                meta = pod["metadata"]
                if meta.get("deletionTimestamp"):
                    continue
                phase = (pod.get("status") or {}).get("phase")
                if phase == "Failed":
                    # The kubelet may keep rejecting the pod: back off before killing it again.
                    wait = self._in_backoff(ds, node)
                    if wait:
                        self.enqueue(_key(ds), delay=wait)
                        continue
                    self.client.event(
                        ds,
                        "Warning",
                        "FailedDaemonPod",
                        f"Found failed daemon pod {meta['namespace']}/{meta['name']} on node "
                        f"{node}, will try to kill it",
                    )
                    delete.append(meta["name"])
                elif phase == "Succeeded":
                    self.client.event(
                        ds,
                        "Normal",
                        "SucceededDaemonPod",
                        f"Found succeeded daemon pod {meta['namespace']}/{meta['name']} on node "
                        f"{node}, will try to delete it",
                    )
                    delete.append(meta["name"])
                else:
                    running.append(pod)
            if len(running) <= 1:
                return [], delete
            running.sort(key=pod_sort_key)
            if not _allows_surge(ds):
                return [], delete + [p["metadata"]["name"] for p in running[1:]]
            # Surge: keep the oldest new pod, and the oldest old one while the new one is not
            # available yet.
            oldest_new = oldest_old = None
            for pod in running:
                if (pod["metadata"].get("labels") or {}).get(CONTROLLER_REVISION_HASH) == hash_:
                    if oldest_new is None:
                        oldest_new = pod
                        continue
                elif oldest_old is None:
                    oldest_old = pod
                    continue
                delete.append(pod["metadata"]["name"])
            if oldest_new is not None and oldest_old is not None:
                min_ready = ds["spec"].get("minReadySeconds") or 0
                if not is_pod_ready(oldest_old) or is_pod_available(
                    oldest_new, min_ready, self.clock.now
                ):
                    delete.append(oldest_old["metadata"]["name"])
            return [], delete
        if not should_continue and pods:
            delete = [
                p["metadata"]["name"] for p in pods if not p["metadata"].get("deletionTimestamp")
            ]
        return [], delete

    def _in_backoff(self, ds: dict, node: str) -> float:
        """``failedPodsBackoff``: 0 if a failed pod may be killed now (and start the next
        back-off), else the seconds left."""
        key = (ds["metadata"]["uid"], node)
        now = self.clock.now
        delay, since = self._backoff.get(key, (0.0, -1e18))
        if delay and now - since < delay:
            return delay - (now - since)
        if not delay or now - since > 2 * _BACKOFF_MAX:
            delay = _BACKOFF_INITIAL
        else:
            delay = min(2 * delay, _BACKOFF_MAX)
        self._backoff[key] = (delay, now)
        return 0.0

    def sync_nodes(self, ds, to_delete, to_create, hash_, generation) -> bool:
        """``syncNodes``: create pods for ``to_create`` nodes, delete ``to_delete`` pods."""
        to_create, to_delete = to_create[:BURST_REPLICAS], to_delete[:BURST_REPLICAS]
        if not to_create and not to_delete:
            return False
        ref = owner_reference(ds)
        template = create_pod_template(ds["spec"].get("template") or {}, generation, hash_)
        targets = iter(to_create)

        def create():
            pod = pod_from_template(template, ds, ref)
            spec = pod["spec"]
            spec["affinity"] = replace_daemon_set_pod_node_name_node_affinity(
                spec.get("affinity"), next(targets)
            )
            try:
                created = self.client.create(pod)
            except KubelabError as error:
                self.client.event(ds, "Warning", "FailedCreate", f"Error creating: {error.message}")
                return error.message
            self.client.event(
                ds, "Normal", "SuccessfulCreate", f"Created pod: {created['metadata']['name']}"
            )
            return True

        if to_create:
            slow_start_batch(len(to_create), SLOW_START_INITIAL_BATCH, create)
        namespace = ds["metadata"].get("namespace", "")
        for name in to_delete:
            try:
                self.client.delete("Pod", name, namespace)
            except NotFound:
                continue
            except KubelabError as error:
                self.client.event(ds, "Warning", "FailedDelete", f"Error deleting: {error.message}")
                continue
            self.client.event(ds, "Normal", "SuccessfulDelete", f"Deleted pod: {name}")
        return True

    # -- history ---------------------------------------------------------------------------
    def construct_history(self, ds: dict, selector) -> tuple[dict | None, list[dict]]:
        """``constructHistory``: the current ControllerRevision (created if missing) and the old ones."""
        meta = ds["metadata"]
        ns = meta.get("namespace", "")
        candidates = self.history.by_index("controllerUID", meta["uid"])
        candidates += self.history.by_index("orphans", ns)
        revisions = claim_objects(
            self.client, ds, owner_reference(ds), selector, candidates, lambda: self._can_adopt(ds)
        )
        patch = get_patch(ds)
        current, old = [], []
        for rev in revisions:
            if CONTROLLER_REVISION_HASH not in (rev["metadata"].get("labels") or {}):
                new, rev_labels = cow(rev, "metadata", "labels")
                rev_labels[CONTROLLER_REVISION_HASH] = rev["metadata"]["name"]
                with contextlib.suppress(KubelabError):
                    rev = self.client.update(new)
            (current if rev.get("data") == patch else old).append(rev)
        next_revision = max((r.get("revision", 0) for r in old), default=0) + 1
        if not current:
            return self.snapshot(ds, patch, next_revision), old
        current.sort(key=lambda r: r.get("revision", 0))
        cur = current[-1]
        for dup in current[:-1]:  # dedupCurHistories
            with contextlib.suppress(NotFound):
                self.client.delete("ControllerRevision", dup["metadata"]["name"], ns)
        if cur.get("revision", 0) < next_revision:
            with contextlib.suppress(KubelabError):
                cur = self.client.update(dict(cur, revision=next_revision))
        return cur, old

    def snapshot(self, ds: dict, patch: dict, revision: int) -> dict | None:
        meta = ds["metadata"]
        template = ds["spec"].get("template") or {}
        collision = (ds.get("status") or {}).get("collisionCount")
        hash_ = compute_hash(template, collision)
        rev_meta = {
            "name": f"{meta['name']}-{hash_}",
            "namespace": meta.get("namespace", ""),
            "labels": {
                **((template.get("metadata") or {}).get("labels") or {}),
                CONTROLLER_REVISION_HASH: hash_,
            },
            "ownerReferences": [owner_reference(ds)],
        }
        if meta.get("annotations"):
            rev_meta["annotations"] = dict(meta["annotations"])
        rev = {
            "apiVersion": "apps/v1",
            "kind": "ControllerRevision",
            "metadata": rev_meta,
            "data": patch,
            "revision": revision,
        }
        try:
            return self.client.create(rev)
        except AlreadyExists:
            existing = self.history.get(rev_meta["namespace"], rev_meta["name"])
            if existing is not None and existing.get("data") == patch:
                return existing
            new, status = cow(ds, "status")
            status["collisionCount"] = (collision or 0) + 1
            with contextlib.suppress(KubelabError):
                self.client.update_status(new)
            return None

    def cleanup_history(self, ds: dict, old: list[dict], pods_by_node) -> None:
        """``cleanupHistory``: keep ``revisionHistoryLimit`` old revisions (and any still in use)."""
        kill = len(old) - ds["spec"].get("revisionHistoryLimit", 10)
        if kill <= 0:
            return
        live = {
            (p["metadata"].get("labels") or {}).get(CONTROLLER_REVISION_HASH)
            for pods in pods_by_node.values()
            for p in pods
        }
        for rev in sorted(old, key=lambda r: r.get("revision", 0)):
            if kill <= 0:
                break
            if rev["metadata"]["labels"].get(CONTROLLER_REVISION_HASH) in live:
                continue
            with contextlib.suppress(NotFound):
                self.client.delete(
                    "ControllerRevision", rev["metadata"]["name"], rev["metadata"]["namespace"]
                )
            kill -= 1

    # -- status ----------------------------------------------------------------------------
    def update_status(self, ds, verdicts, pods_by_node, hash_, generation) -> None:
        """``updateDaemonSetStatus``: counted on the oldest daemon pod of every node."""
        now, min_ready = self.clock.now, ds["spec"].get("minReadySeconds") or 0
        desired = current = misscheduled = ready = updated = available = 0
        next_available = None
        for node, (should_run, _) in verdicts.items():
            pods = pods_by_node.get(node)
            if not should_run:
                misscheduled += bool(pods)
                continue
            desired += 1
            if not pods:
                continue
            current += 1
            pod = min(pods, key=pod_sort_key)
            if is_pod_ready(pod):
                ready += 1
                if is_pod_available(pod, min_ready, now):
                    available += 1
                elif (since := pod_ready_time(pod)) is not None:
                    at = since + min_ready
                    next_available = at if next_available is None else min(next_available, at)
            updated += is_pod_updated(pod, hash_, generation)
        counts = {
            "currentNumberScheduled": current,
            "numberMisscheduled": misscheduled,
            "desiredNumberScheduled": desired,
            "numberReady": ready,
            "observedGeneration": ds["metadata"].get("generation"),
            "updatedNumberScheduled": updated,
            "numberAvailable": available,
            "numberUnavailable": desired - available,
        }
        old = ds.get("status") or {}
        status = {k: v for k, v in old.items() if k in ("collisionCount", "conditions")}
        for key, value in counts.items():
            if value or key in _REQUIRED_STATUS:  # omitempty, as the Go struct
                status[key] = value
        if status != old:
            new = dict(ds, status=status)
            with contextlib.suppress(KubelabError):
                self.client.update_status(new)
        if next_available is not None:
            # Whole-second timestamps: wake just after the pod turns available.
            self.clock.call_at(max(next_available, now) + 0.001, self.enqueue, _key(ds))


_REQUIRED_STATUS = frozenset(
    {"currentNumberScheduled", "numberMisscheduled", "desiredNumberScheduled", "numberReady"}
)


def _selector(ds: dict):
    ls = (ds.get("spec") or {}).get("selector")
    if not ls or not (ls.get("matchLabels") or ls.get("matchExpressions")):
        return None  # "This daemon set is selecting all pods": refused, as upstream
    try:
        return labels.from_label_selector(ls)
    except ValueError:
        return None


def _allows_surge(ds: dict) -> bool:
    strategy = ds["spec"].get("updateStrategy") or {}
    if strategy.get("type", "RollingUpdate") != "RollingUpdate":
        return False
    surge = (strategy.get("rollingUpdate") or {}).get("maxSurge") or 0
    return surge not in (0, "0%")


def _template_generation(ds: dict, cur: dict) -> int | None:
    """The deprecated template-generation annotation; kubelab's API server does not write it,
    so the current revision number stands in (equal until a rollback)."""
    value = (ds["metadata"].get("annotations") or {}).get(TEMPLATE_GENERATION_ANNOTATION)
    if value is not None:
        try:
            return int(value)
        except ValueError:
            return None
    return cur.get("revision")


def _key(obj: dict) -> tuple[str, str]:
    return obj["metadata"].get("namespace", ""), obj["metadata"]["name"]
