"""Checks for lesson 8 (health and maintenance: probes, restarts, drains with budgets).

Each check prints one ``✅`` line or raises :class:`~kubelab.exercises.CheckFailed` with one
``❌`` line. Pods are tried on a scratch cluster (seeded: the same feedback every run); the
truth of a prediction comes from running the experiment.

>>> check_health_prediction("exec-liveness-kill", 45)
✅ 45 s: /tmp/healthy goes at 30 s; probes at 35, 40 and 45 s fail; the third failure kills it.
"""

from __future__ import annotations

import re
from typing import Any

from kubelab.exercises.checks import (
    Prediction,
    _apply,
    _check_prediction,
    _cluster,
    _containers,
    _expect_kind,
    _fail,
    _load,
    _not_answered,
    _ok,
    _path,
    _selector_matches,
    course_file,
    is_ready,
)

__all__ = ["check_drain_with_budget", "check_health_prediction", "check_startup_probe"]

SLOW_START = "kubelab/slow-start"


# ---------------------------------------------------------------------------------------------
# Probes


def check_startup_probe(pod: Any, *, seconds: float = 300.0) -> None:
    """A pod running kubelab/slow-start that keeps its livenessProbe, adds a startupProbe, and
    runs ``seconds`` on a scratch cluster without a restart, Ready once the app answers."""

    pod = _load(pod, "your Pod")
    _expect_kind(pod, "Pod", "v1")
    containers = _containers(pod)
    app = next((c for c in containers if str(c.get("image", "")).startswith(SLOW_START)), None)
    if app is None:
        _fail(f"no container runs {SLOW_START}:v1 any more: keep the app, fix its probes.")
    if not app.get("livenessProbe"):
        _fail(
            "keep the livenessProbe: it is what restarts the app if it ever hangs. Give the "
            "app time to start with a startupProbe instead."
        )
    startup = app.get("startupProbe")
    if not startup:
        _fail("add a startupProbe: it holds the liveness probe back until the app has started.")
    budget = startup.get("failureThreshold", 3) * startup.get("periodSeconds", 10)
    c = _cluster(nodes=1)
    (created,) = _apply(c, dict(pod))
    name = created["metadata"]["name"]
    c.run(seconds)
    live = c.get("Pod", name)
    statuses = _path(live, "status.containerStatuses") or []
    status = next((s for s in statuses if s.get("name") == app.get("name")), {})
    restarts = status.get("restartCount", 0)
    if restarts:
        killed = c.events[(c.events.name == name) & (c.events.reason == "Killing")]
        why = killed.message.iloc[0] if len(killed) else "it was restarted"
        _fail(
            f"after {seconds:g} s it has restarted {restarts} times ({why}). The startup probe "
            f"allows failureThreshold × periodSeconds = {budget:g} s: is that more than the 30 s "
            "the app needs?"
        )
    if not is_ready(live):
        _fail(f"after {seconds:g} s the pod is not Ready: does its probe ask port 8080?")
    _ok(
        f"No restart in {seconds:g} s and Ready: the startup probe gave the app up to "
        f"{budget:g} s, then the liveness probe took over."
    )


# ---------------------------------------------------------------------------------------------
# Drain with a PodDisruptionBudget


def _ready_web(history, selector_owner: str | None) -> list[tuple[float, int]]:
    """(time, ready pods) after every history row of the owner's pods."""
    rows = history[history.kind == "Pod"]
    if selector_owner:  # a deletion row names no owner: keep the owner's pods' rows by name
        names = set(rows[rows.owner == selector_owner].name)
        rows = rows[rows.name.isin(names)]
    state: dict[str, bool] = {}
    out = []
    for t, name, phase, ready in rows[["time", "name", "phase", "ready"]].itertuples(index=False):
        state[name] = phase == "Running" and ready == 1
        out.append((float(t), sum(state.values())))
    return out


def check_drain_with_budget(
    cluster: Any,
    *,
    node: str = "node-1",
    pdb: str = "web-pdb",
    selector: str = "app=web",
    owner: str = "web",
    min_healthy: int = 2,
) -> None:
    """``pdb`` protects ``min_healthy`` pods of ``selector``; ``node`` was drained with it in
    place; the ready pods never dropped below ``min_healthy``; all of them now run elsewhere."""
    import kubelab as kl

    _not_answered(cluster, "the cluster")
    try:
        budget = cluster.get("PodDisruptionBudget", pdb)
    except kl.NotFound:
        _fail(f"no PodDisruptionBudget {pdb!r} in namespace default: apply yours first.")
    key, _, value = selector.partition("=")
    if not _selector_matches(_path(budget, "spec.selector"), {key: value}):
        _fail(f"the budget's selector {_path(budget, 'spec.selector')} does not select {selector}.")
    desired = _path(budget, "status.desiredHealthy")
    if desired is None:
        _fail("the budget has no status yet: run the cluster a second so the controller sees it.")
    if desired < min_healthy:
        _fail(
            f"the budget only protects {desired} pods (status.desiredHealthy); it should keep "
            f"at least {min_healthy} available."
        )
    n = cluster.get("Node", node, "")
    if not _path(n, "spec.unschedulable"):
        _fail(f"{node} is not cordoned: drain it with c8.kubectl('drain {node} ...').")
    audit = cluster.audit
    created = audit[(audit.verb == "create") & (audit.kind == "PodDisruptionBudget")]
    if created.empty:
        _fail("the budget was not created through the API server (use c8.apply or kubectl).")
    since = float(created.time.iloc[0])
    evictions = audit[(audit.verb == "create/eviction") & (audit.time >= since)]
    if evictions.empty:
        _fail(
            f"no pod was evicted after the budget existed: drain {node} after applying it "
            "(a plain delete ignores budgets)."
        )
    pods = [p for p in cluster.list("Pod", selector=selector) if is_ready(p)]
    left = [p["metadata"]["name"] for p in pods if p["spec"].get("nodeName") == node]
    if left:
        _fail(f"pods {left} still run on {node}: the drain did not finish. Run it again.")
    low = [(t, k) for t, k in _ready_web(cluster.history, owner) if t >= since and k < min_healthy]
    if low:
        t, k = low[0]
        _fail(f"at t = {t:g} s only {k} pods were ready: something took them down past the budget.")
    refused = int((evictions.code == 429).sum())
    _ok(
        f"{node} drained with the budget in place: {len(evictions) - refused} evictions granted, "
        f"{refused} refused (429) and retried, never fewer than {min_healthy} ready pods."
    )


# ---------------------------------------------------------------------------------------------
# Predictions: the truth is an experiment on a scratch cluster


def _exec_liveness_kill() -> int:
    """Seconds from liveness-exec's start until the kubelet kills it (the docs' example)."""
    c = _cluster(nodes=1)
    c.apply(str(course_file("exec-liveness.yaml")))
    c.run(60)
    ev = c.events[c.events.name == "liveness-exec"]
    started = ev[ev.reason == "Started"].time.iloc[0]
    killed = ev[ev.reason == "Killing"].time.iloc[0]
    return round(killed - started)


_BACK_OFF = re.compile(r"^back-off (\d+)s restarting failed container")


def _crashloop_waits() -> list[int]:
    """The kubelet's wait before each restart of kubelab/crashy (0 for the first)."""
    c = _cluster(nodes=1)
    waits = [0]

    def on_pod(_type, pod, _old):
        for s in _path(pod, "status.containerStatuses") or ():
            match = _BACK_OFF.match(_path(s, "state.waiting.message") or "")
            if match and (len(waits) == 1 or waits[-1] != int(match.group(1))):
                waits.append(int(match.group(1)))

    c.api.store.watch("Pod", on_pod)
    c.apply(str(course_file("pod-crashy.yaml")))
    c.run(200)
    return waits


def _crashloop_fourth() -> int:
    return _crashloop_waits()[3]


def _readiness_restarts() -> int:
    """Restarts of kubelab/web:v3-broken in 5 minutes with only a readinessProbe."""
    c = _cluster(nodes=1)
    c.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "broken"},
            "spec": {
                "containers": [
                    {
                        "name": "web",
                        "image": "kubelab/web:v3-broken",
                        "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080}},
                    }
                ]
            },
        }
    )
    c.run(300)
    return c.get("Pod", "broken")["status"]["containerStatuses"][0]["restartCount"]


_PREDICTIONS: dict[str, Prediction] = {
    "exec-liveness-kill": (
        _exec_liveness_kill,
        " s: /tmp/healthy goes at 30 s; probes at 35, 40 and 45 s fail; the third failure kills it",
        "probes run every periodSeconds (5 s) from initialDelaySeconds (5 s); the file goes at "
        "30 s; how many failures does failureThreshold (default 3) allow?",
    ),
    "crashloop-4th": (
        _crashloop_fourth,
        " s: the back-off starts at 10 s and doubles (0, 10, 20, 40, ... up to 300 s)",
        "the first restart is immediate; after that the kubelet waits 10 s and doubles the wait.",
    ),
    "readiness-restarts": (
        _readiness_restarts,
        ": a failing readiness probe only takes the pod out of service; it never restarts it",
        "what does the kubelet do when a readiness probe fails: restart, or mark not Ready?",
    ),
}


def check_health_prediction(question: str, answer: Any) -> None:
    """A numeric prediction about probes and restarts, checked against the simulator."""
    _check_prediction(_PREDICTIONS, question, answer)
