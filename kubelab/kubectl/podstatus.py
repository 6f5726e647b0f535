"""The READY, STATUS and RESTARTS cells of ``kubectl get pods`` (upstream ``printPod``).

STATUS is not a field of the pod: it is derived from the phase, the init
containers, the containers (walked from last to first) and the deletion
timestamp, exactly as the API server's table printer derives it.

Examples
--------
>>> pod = {"metadata": {"name": "web"}, "spec": {"containers": [{"name": "app"}]},
...        "status": {"phase": "Running", "containerStatuses": [
...            {"name": "app", "ready": True, "restartCount": 0, "state": {"running": {}}}]}}
>>> pod_summary(pod, now=0.0)
('1/1', 'Running', '0')
>>> crashing = {"metadata": {"name": "web"}, "spec": {"containers": [{"name": "app"}]},
...     "status": {"phase": "Running", "containerStatuses": [{"name": "app", "ready": False,
...         "restartCount": 3, "state": {"waiting": {"reason": "CrashLoopBackOff"}},
...         "lastState": {"terminated": {"exitCode": 1, "finishedAt": "2025-01-01T00:01:00Z"}}}]}}
>>> pod_summary(crashing, now=180.0)
('0/1', 'CrashLoopBackOff', '3 (2m ago)')
"""

from __future__ import annotations

from kubelab.api.meta import parse_time
from kubelab.kubectl.duration import human_duration

__all__ = ["pod_summary"]

_NODE_UNREACHABLE = "NodeLost"


def _restartable(container: dict | None) -> bool:
    # Sidecar containers: init containers with restartPolicy Always.
    return bool(container) and container.get("restartPolicy") == "Always"


def _condition_true(status: dict, type_: str) -> bool:
    return any(
        c.get("type") == type_ and c.get("status") == "True" for c in status.get("conditions") or ()
    )


def _last_termination(cs: dict) -> float | None:
    terminated = (cs.get("lastState") or {}).get("terminated")
    return parse_time(terminated.get("finishedAt")) if terminated else None


def pod_summary(pod: dict, now: float) -> tuple[str, str, str]:
    """``(READY, STATUS, RESTARTS)`` for a pod at simulated time ``now``."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    meta = pod.get("metadata") or {}
    restarts = sidecar_restarts = 0
    total = len(spec.get("containers") or ())
    ready = 0
    last_restart = sidecar_last_restart = None
    phase = status.get("phase") or ""
    reason = status.get("reason") or phase
    for cond in status.get("conditions") or ():
        if cond.get("type") == "PodScheduled" and cond.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"

    init_specs = {c.get("name"): c for c in spec.get("initContainers") or ()}
    total += sum(1 for c in init_specs.values() if _restartable(c))
    init_statuses = status.get("initContainerStatuses") or ()
    n_init = len(spec.get("initContainers") or ())
    initializing = False
    for i, cs in enumerate(init_statuses):
        restarts += cs.get("restartCount", 0)
        finished = _last_termination(cs)
        if finished is not None and (last_restart is None or finished > last_restart):
            last_restart = finished
        sidecar = _restartable(init_specs.get(cs.get("name")))
        if sidecar:
            sidecar_restarts += cs.get("restartCount", 0)
            if finished is not None and (
                sidecar_last_restart is None or finished > sidecar_last_restart
            ):
                sidecar_last_restart = finished
        state = cs.get("state") or {}
        terminated, waiting = state.get("terminated"), state.get("waiting")
        if terminated and terminated.get("exitCode", 0) == 0:
            continue
        if sidecar and cs.get("started"):
            if cs.get("ready"):
                ready += 1
            continue
        if terminated:
            if terminated.get("reason"):
                reason = "Init:" + terminated["reason"]
            elif terminated.get("signal"):
                reason = f"Init:Signal:{terminated['signal']}"
            else:
                reason = f"Init:ExitCode:{terminated.get('exitCode', 0)}"
        elif waiting and waiting.get("reason") and waiting["reason"] != "PodInitializing":
            reason = "Init:" + waiting["reason"]
        else:
            reason = f"Init:{i}/{n_init}"
        initializing = True
        break

    if not initializing or _condition_true(status, "Initialized"):
        restarts, last_restart = sidecar_restarts, sidecar_last_restart
        has_running = False
        for cs in reversed(status.get("containerStatuses") or ()):
            restarts += cs.get("restartCount", 0)
            finished = _last_termination(cs)
            if finished is not None and (last_restart is None or finished > last_restart):
                last_restart = finished
            state = cs.get("state") or {}
            waiting, terminated = state.get("waiting"), state.get("terminated")
            if waiting and waiting.get("reason"):
                reason = waiting["reason"]
            elif terminated and terminated.get("reason"):
                reason = terminated["reason"]
            elif terminated:
                if terminated.get("signal"):
                    reason = f"Signal:{terminated['signal']}"
                else:
                    reason = f"ExitCode:{terminated.get('exitCode', 0)}"
            elif cs.get("ready") and state.get("running") is not None:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            reason = "Running" if _condition_true(status, "Ready") else "NotReady"

    if meta.get("deletionTimestamp"):
        if status.get("reason") == _NODE_UNREACHABLE:
            reason = "Unknown"
        elif phase not in ("Succeeded", "Failed"):
            reason = "Terminating"

    restarts_cell = str(restarts)
    if restarts and last_restart is not None:
        restarts_cell = f"{restarts} ({human_duration(now - last_restart)} ago)"
    return f"{ready}/{total}", reason, restarts_cell
