"""The ``pods/eviction`` subresource (``pkg/registry/core/pod/storage/eviction.go``).

An eviction is a delete that asks first: a pod covered by a PodDisruptionBudget is
deleted only if the budget's ``status.disruptionsAllowed`` is above 0, and the API server
takes one disruption off it (recording the pod in ``status.disruptedPods``) in the same
request. Otherwise the caller gets **429 TooManyRequests** and retries later — that is
how ``kubectl drain`` respects budgets. Plain ``DELETE`` and node failures ignore budgets.

Examples
--------
>>> from kubelab.sim import Clock
>>> from kubelab.apiserver import APIServer
>>> api = APIServer(Clock()); api.namespace_checks = False
>>> k = api.client("kubectl")
>>> pod = k.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "labels": {"app": "web"}},
...                  "spec": {"containers": [{"name": "c", "image": "nginx"}]}})
>>> _ = k.update_status(dict(pod, status={"phase": "Running",
...                                       "conditions": [{"type": "Ready", "status": "True"}]}))
>>> _ = k.create({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "web"},
...               "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}}})
>>> pdb = api.get("PodDisruptionBudget", "web")
>>> _ = k.update_status(dict(pdb, status={"observedGeneration": 1, "disruptionsAllowed": 0,
...     "currentHealthy": 1, "desiredHealthy": 1, "expectedPods": 1}))
>>> k.evict("web")
Traceback (most recent call last):
...
kubelab.errors.TooManyRequests: Error from server (TooManyRequests): Cannot evict pod as it would violate the pod's disruption budget.
"""

from __future__ import annotations

from kubelab.api import labels
from kubelab.api.meta import get_condition, set_condition, timestamp
from kubelab.errors import Forbidden, KubelabError, TooManyRequests

__all__ = ["MAX_DISRUPTED_POD_SIZE", "MULTIPLE_PDBS", "VIOLATES_BUDGET", "evict"]

VIOLATES_BUDGET = "Cannot evict pod as it would violate the pod's disruption budget."
MULTIPLE_PDBS = (
    "This pod has more than one PodDisruptionBudget, which the eviction subresource does not "
    "support."
)
MAX_DISRUPTED_POD_SIZE = 2000


def evict(
    server,
    namespace: str,
    name: str,
    *,
    user: str,
    grace_period: int | None = None,
    dry_run: bool = False,
) -> dict | None:
    """Evict pod ``namespace/name``: delete it unless a disruption budget forbids it.

    Returns the pod as left by the delete (terminating), or ``None`` once gone.
    Raises ``NotFound``, ``TooManyRequests`` (429, the budget forbids it: retry later),
    ``KubelabError`` (500, more than one budget) or ``Forbidden``.
    """
    namespace = namespace or "default"
    try:
        pod = server.get("Pod", name, namespace)
        if not _can_ignore_pdb(pod):
            pdbs = _pod_disruption_budgets(server, pod)
            if len(pdbs) > 1:
                raise KubelabError(MULTIPLE_PDBS)
            if pdbs and not _unhealthy_may_go(pod, pdbs[0]):
                _check_and_decrement(server, pod, pdbs[0], user=user, dry_run=dry_run)
    except KubelabError as error:
        server._record(user, "create/eviction", "Pod", namespace, name, error.code)
        raise
    server._record(user, "create/eviction", "Pod", namespace, name, 201)
    if dry_run:
        return pod
    return _add_condition_and_delete(server, pod, user=user, grace_period=grace_period)


def _can_ignore_pdb(pod: dict) -> bool:
    """Terminal, pending or already terminating pods disrupt nothing more."""
    phase = (pod.get("status") or {}).get("phase")
    return phase in ("Succeeded", "Failed", "Pending") or bool(
        pod["metadata"].get("deletionTimestamp")
    )


def _pod_disruption_budgets(server, pod: dict) -> list[dict]:
    """Budgets of the pod's namespace whose selector matches it (empty or invalid: none)."""
    found = []
    pod_labels = pod["metadata"].get("labels")
    for pdb in server.store.list("PodDisruptionBudget", pod["metadata"]["namespace"]):
        try:
            sel = labels.from_label_selector((pdb.get("spec") or {}).get("selector"))
        except ValueError:
            continue
        if sel.empty or not sel.matches(pod_labels):
            continue
        found.append(pdb)
    return sorted(found, key=lambda p: p["metadata"]["name"])


def _unhealthy_may_go(pod: dict, pdb: dict) -> bool:
    """A not-Ready pod may go without taking a disruption (``unhealthyPodEvictionPolicy``)."""
    ready = get_condition(pod, "Ready")
    if ready is not None and ready.get("status") == "True":
        return False
    if (pdb.get("spec") or {}).get("unhealthyPodEvictionPolicy") == "AlwaysAllow":
        return True
    status = pdb.get("status") or {}
    desired = status.get("desiredHealthy", 0)
    return status.get("currentHealthy", 0) >= desired and desired > 0  # IfHealthyBudget


def _check_and_decrement(server, pod: dict, pdb: dict, *, user: str, dry_run: bool) -> None:
    status = pdb.get("status") or {}
    if status.get("observedGeneration", 0) < pdb["metadata"].get("generation", 0):
        raise TooManyRequests(VIOLATES_BUDGET)  # "still being processed by the server"
    allowed = status.get("disruptionsAllowed", 0)
    pdb_name = pdb["metadata"]["name"]
    if allowed < 0:
        raise Forbidden(
            f'poddisruptionbudgets.policy "{pdb_name}" is forbidden: '
            "pdb disruptions allowed is negative"
        )
    if len(status.get("disruptedPods") or {}) > MAX_DISRUPTED_POD_SIZE:
        raise Forbidden(
            f'poddisruptionbudgets.policy "{pdb_name}" is forbidden: DisruptedPods map too big - '
            "too many evictions not confirmed by PDB controller"
        )
    if allowed == 0:
        raise TooManyRequests(VIOLATES_BUDGET)
    if dry_run:
        return
    now = server.clock.now
    new_status = dict(status, disruptionsAllowed=allowed - 1)
    if allowed - 1 == 0:
        new_status["conditions"] = set_condition(
            status.get("conditions"),
            {
                "type": "DisruptionAllowed",
                "status": "False",
                "reason": "InsufficientPods",
                "message": "",
                "observedGeneration": status.get("observedGeneration", 0),
            },
            now,
        )
    # Tell the disruption controller this pod is on its way out, so that it does not count
    # it as healthy before the deletion shows.
    new_status["disruptedPods"] = {
        **(status.get("disruptedPods") or {}),
        pod["metadata"]["name"]: timestamp(now),
    }
    server.update(dict(pdb, status=new_status), user=user, subresource="status")


def _add_condition_and_delete(server, pod: dict, *, user: str, grace_period) -> dict | None:
    """``addConditionAndDeletePod``: ``DisruptionTarget=True`` first, then a graceful delete."""
    meta = pod["metadata"]
    status = dict(pod.get("status") or {})
    status["conditions"] = set_condition(
        status.get("conditions"),
        {
            "type": "DisruptionTarget",
            "status": "True",
            "reason": "EvictionByEvictionAPI",
            "message": "Eviction API: evicting",
        },
        server.clock.now,
    )
    if status != pod.get("status"):
        server.update(dict(pod, status=status), user=user, subresource="status")
    return server.delete(
        "Pod", meta["name"], meta["namespace"], user=user, grace_period=grace_period
    )
