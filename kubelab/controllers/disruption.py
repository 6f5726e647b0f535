"""The disruption controller (``pkg/controller/disruption/disruption.go``).

It keeps every PodDisruptionBudget's ``status`` current: how many of its pods are
healthy (Ready, not being deleted, not just evicted), how many must stay healthy, and so
how many voluntary disruptions — evictions through ``pods/eviction`` — are allowed now.
The eviction subresource (``kubelab.apiserver.eviction``) reads that status and
decrements it; this controller recomputes it as pods come and go.

Examples
--------
>>> expected_and_desired({"minAvailable": 2}, pods=3, scale=3)
(3, 2)
>>> expected_and_desired({"minAvailable": "50%"}, pods=3, scale=3)   # ceil(1.5)
(3, 2)
>>> expected_and_desired({"maxUnavailable": "50%"}, pods=3, scale=3)  # 3 - ceil(1.5)
(3, 1)
>>> disruptions_allowed(current_healthy=3, desired_healthy=2, expected=3)
1
"""

from __future__ import annotations

import contextlib

from kubelab.api import kinds, labels
from kubelab.api.meta import controller_ref, cow, parse_time, set_condition
from kubelab.controllers.base import Controller
from kubelab.controllers.daemonset_update import scaled_value
from kubelab.controllers.podcontrol import is_pod_ready
from kubelab.errors import Conflict, KubelabError

__all__ = [
    "DELETION_TIMEOUT",
    "DisruptionController",
    "disruption_allowed_condition",
    "disruptions_allowed",
    "expected_and_desired",
    "pdb_selector",
]

DELETION_TIMEOUT = 120.0  # an evicted pod not deleted within 2 min counts as healthy again
_SCALABLE = ("ReplicaSet", "Deployment", "ReplicationController", "StatefulSet")


def pdb_selector(pdb: dict):
    """The PDB's pod selector, or ``None`` when it is invalid."""
    try:
        return labels.from_label_selector((pdb.get("spec") or {}).get("selector"))
    except ValueError:
        return None


def expected_and_desired(spec: dict, *, pods: int, scale: int | None) -> tuple[int, int]:
    """``getExpectedPodCount`` → ``(expectedCount, desiredHealthy)``.

    ``pods`` is the number of matched pods, ``scale`` the sum of their controllers' scale.

    >>> expected_and_desired({"maxUnavailable": 0}, pods=3, scale=3)
    (3, 3)
    >>> expected_and_desired({"maxUnavailable": 5}, pods=3, scale=3)
    (3, 0)
    """
    if spec.get("maxUnavailable") is not None:
        desired = scale - scaled_value(spec["maxUnavailable"], scale, True)
        return scale, max(desired, 0)
    min_available = spec.get("minAvailable")
    if isinstance(min_available, int):
        return pods, min_available
    if min_available is not None:
        return scale, scaled_value(min_available, scale, True)
    return 0, 0


def disruptions_allowed(*, current_healthy: int, desired_healthy: int, expected: int) -> int:
    """``currentHealthy - desiredHealthy``, never negative, 0 while no pod is expected.

    >>> disruptions_allowed(current_healthy=3, desired_healthy=3, expected=3)
    0
    >>> disruptions_allowed(current_healthy=2, desired_healthy=0, expected=0)
    0
    """
    allowed = current_healthy - desired_healthy
    return allowed if expected > 0 and allowed > 0 else 0


def disruption_allowed_condition(status: dict, now: float) -> list:
    """``UpdateDisruptionAllowedCondition``: the conditions with ``DisruptionAllowed`` set."""
    allowed = status.get("disruptionsAllowed", 0) > 0
    return set_condition(
        status.get("conditions"),
        {
            "type": "DisruptionAllowed",
            "status": "True" if allowed else "False",
            "reason": "SufficientPods" if allowed else "InsufficientPods",
            "message": "",
            "observedGeneration": status.get("observedGeneration", 0),
        },
        now,
    )


class DisruptionController(Controller):
    """Keeps every PodDisruptionBudget's status (and so its allowed disruptions) current."""

    name = "disruption-controller"

    def setup(self) -> None:
        self.pdbs = self.informers.get("PodDisruptionBudget")
        self.pods = self.informers.get("Pod")
        self.owners = {k: self.informers.get(k) for k in _SCALABLE if kinds.lookup(k) is not None}
        self.pdbs.add_handler(on_add=self.enqueue_object, on_update=self._pdb_updated)
        self.pods.add_handler(
            on_add=self._pod_changed, on_update=self._pod_updated, on_delete=self._pod_changed
        )

    def _pdb_updated(self, old: dict, new: dict) -> None:
        if old.get("spec") != new.get("spec") or old["metadata"].get("generation") != new[
            "metadata"
        ].get("generation"):
            self.enqueue_object(new)
        elif (new.get("status") or {}).get("disruptedPods") != (old.get("status") or {}).get(
            "disruptedPods"
        ):
            self.enqueue_object(new)  # an eviction recorded a disrupted pod: recheck its expiry

    def _pod_changed(self, pod: dict) -> None:
        """``getPdbForPod``: the first PDB of the pod's namespace selecting it."""
        pod_labels = pod["metadata"].get("labels")
        if not pod_labels:
            return
        for pdb in self.pdbs.list(pod["metadata"].get("namespace", "")):
            sel = pdb_selector(pdb)
            if sel is not None and not sel.empty and sel.matches(pod_labels):
                self.enqueue_object(pdb)
                return

    def _pod_updated(self, old: dict, new: dict) -> None:
        if old["metadata"].get("labels") != new["metadata"].get("labels"):
            self._pod_changed(old)
        self._pod_changed(new)

    # -- the reconcile loop ----------------------------------------------------------------
    def sync(self, key) -> None:
        pdb = self.pdbs.get(*key)
        if pdb is None:
            return
        try:
            self.try_sync(pdb)
        except Conflict:
            self.enqueue(key, delay=1.0)
        except _SyncError as error:
            self.fail_safe(pdb, str(error))

    def try_sync(self, pdb: dict) -> None:
        ns = pdb["metadata"].get("namespace", "")
        sel = pdb_selector(pdb)
        if sel is None:
            raise _SyncError("invalid selector")
        pods = self.pods.list(ns, sel)
        pods.sort(key=lambda p: p["metadata"]["name"])
        if not pods:
            self.client.event(pdb, "Normal", "NoPods", "No matching pods found")
        spec = pdb.get("spec") or {}
        needs_scale = spec.get("maxUnavailable") is not None or isinstance(
            spec.get("minAvailable"), str
        )
        scale, unmanaged = self.expected_scale(pods) if needs_scale else (0, [])
        if unmanaged:
            self.client.event(
                pdb,
                "Warning",
                "UnmanagedPods",
                f"Pods selected by this PodDisruptionBudget (selector: {_go_selector(sel)}) were "
                "found to be unmanaged. As a result, the status of the PDB cannot be calculated "
                "correctly, which may result in undefined behavior. To account for these pods "
                'please set ".spec.minAvailable" field of the PDB to an integer value.',
            )
        expected, desired = expected_and_desired(spec, pods=len(pods), scale=scale)
        now = self.clock.now
        disrupted, recheck = self.build_disrupted_pod_map(pods, pdb, now)
        current = 0
        for pod in pods:
            if pod["metadata"].get("deletionTimestamp"):
                continue
            if pod["metadata"]["name"] in disrupted:
                continue  # evicted moments ago: about to go
            current += is_pod_ready(pod)
        self.update_pdb_status(pdb, current, desired, expected, disrupted)
        if recheck is not None:
            self.clock.call_at(max(recheck, now) + 0.001, self.enqueue, _key(pdb))

    def expected_scale(self, pods: list[dict]) -> tuple[int, list[str]]:
        """``getExpectedScale``: the sum of the scale of the pods' controllers."""
        scales: dict[str, int] = {}
        unmanaged = []
        for pod in pods:
            ref = controller_ref(pod)
            if ref is None:
                unmanaged.append(pod["metadata"]["name"])
                continue
            if ref.get("uid") in scales:
                continue
            found = self._find_controller(ref, pod["metadata"].get("namespace", ""))
            if found is None:
                raise _SyncError(f'found no controllers for pod "{pod["metadata"]["name"]}"')
            scales[found[0]] = found[1]
        return sum(scales.values()), unmanaged

    def _find_controller(self, ref: dict, ns: str) -> tuple[str, int] | None:
        """The finders: ReplicaSet (unless a Deployment owns it), Deployment, RC, StatefulSet,
        then the generic scale subresource."""
        kind = ref.get("kind")
        if kind == "ReplicaSet":
            rs = self._live("ReplicaSet", ns, ref)
            if rs is None:
                return None
            rs_ref = controller_ref(rs)
            if rs_ref is not None and rs_ref.get("kind") == "Deployment":
                dep = self._live("Deployment", ns, rs_ref)
                return None if dep is None else (rs_ref["uid"], _replicas(dep))
            return ref["uid"], _replicas(rs)
        if kind in self.owners:
            owner = self._live(kind, ns, ref)
            return None if owner is None else (ref["uid"], _replicas(owner))
        rt = kinds.lookup(kind or "")
        if rt is not None:
            resource = rt.plural + (f".{rt.group}" if rt.group else "")
            raise _SyncError(f"{resource} does not implement the scale subresource")
        return None

    def _live(self, kind: str, ns: str, ref: dict) -> dict | None:
        obj = self.owners[kind].get(ns, ref["name"])
        if obj is None or obj["metadata"].get("uid") != ref.get("uid"):
            return None
        return obj

    def build_disrupted_pod_map(self, pods, pdb, now) -> tuple[dict, float | None]:
        """``buildDisruptedPodMap``: evicted pods not deleted yet, within the 2 min timeout."""
        disrupted = (pdb.get("status") or {}).get("disruptedPods")
        result: dict[str, str] = {}
        recheck = None
        if not disrupted:
            return result, recheck
        for pod in pods:
            name = pod["metadata"]["name"]
            if pod["metadata"].get("deletionTimestamp") or name not in disrupted:
                continue
            expected_deletion = parse_time(disrupted[name]) + DELETION_TIMEOUT
            if expected_deletion < now:
                # Upstream prints the PDB's namespace twice here; so does kubelab.
                ns = pdb["metadata"].get("namespace", "")
                self.client.event(
                    pod,
                    "Warning",
                    "NotDeleted",
                    f"Pod was expected by PDB {ns}/{ns} to be deleted but it wasn't",
                )
            else:
                recheck = expected_deletion if recheck is None else min(recheck, expected_deletion)
                result[name] = disrupted[name]
        return result, recheck

    def update_pdb_status(self, pdb, current, desired, expected, disrupted) -> None:
        allowed = disruptions_allowed(
            current_healthy=current, desired_healthy=desired, expected=expected
        )
        old = pdb.get("status") or {}
        generation = pdb["metadata"].get("generation", 0)
        status = {
            "currentHealthy": current,
            "desiredHealthy": desired,
            "disruptionsAllowed": allowed,
            "expectedPods": expected,
        }
        if disrupted:
            status["disruptedPods"] = disrupted
        if generation:
            status["observedGeneration"] = generation
        if old.get("conditions"):
            status["conditions"] = old["conditions"]
        status["conditions"] = disruption_allowed_condition(status, self.clock.now)
        if status == old:
            return
        new, _ = cow(pdb, "status")
        new["status"] = status
        with contextlib.suppress(KubelabError):
            self.client.update_status(new)

    def fail_safe(self, pdb: dict, message: str) -> None:
        """``failSafe``: no disruptions while the status cannot be computed."""
        old = pdb.get("status") or {}
        status = dict(old, disruptionsAllowed=0)
        status.setdefault("currentHealthy", 0)
        status.setdefault("desiredHealthy", 0)
        status.setdefault("expectedPods", 0)
        status["conditions"] = set_condition(
            old.get("conditions"),
            {
                "type": "DisruptionAllowed",
                "status": "False",
                "reason": "SyncFailed",
                "message": message,
                "observedGeneration": old.get("observedGeneration", 0),
            },
            self.clock.now,
        )
        self.client.event(
            pdb,
            "Warning",
            "CalculateExpectedPodCountFailed",
            f"Failed to calculate the number of expected pods: {message}",
        )
        if status != old:
            with contextlib.suppress(KubelabError):
                self.client.update_status(dict(pdb, status=status))


class _SyncError(Exception):
    pass


def _replicas(obj: dict) -> int:
    replicas = (obj.get("spec") or {}).get("replicas")
    return 1 if replicas is None else replicas


def _go_selector(sel) -> str:
    return str(sel) or "<none>"


def _key(obj: dict) -> tuple[str, str]:
    return obj["metadata"].get("namespace", ""), obj["metadata"]["name"]
