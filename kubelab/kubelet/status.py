"""Pod phase and conditions from container statuses: pure functions, as the kubelet computes them.

:func:`get_phase` is upstream's ``getPhase`` (``pkg/kubelet/kubelet_pods.go``, with the
``ContainerRestartRules`` gate off, its default); the condition generators are
``pkg/kubelet/status/generate.go``. Both take and return plain API dicts, so they are
table-tested against upstream's own test rows.

Examples
--------
>>> spec = {"restartPolicy": "Always", "containers": [{"name": "a"}, {"name": "b"}]}
>>> running = {"name": "a", "state": {"running": {}}}
>>> crashloop = {"name": "b", "state": {"waiting": {"reason": "CrashLoopBackOff"}},
...              "lastState": {"terminated": {"exitCode": 1}}}
>>> get_phase(spec, [running, crashloop])
'Running'
>>> get_phase(spec, [running, {"name": "b", "state": {"waiting": {}}}])
'Pending'
>>> ready = containers_ready_condition(spec, [dict(running, ready=True), crashloop], "Running")
>>> ready["reason"], ready["message"]
('ContainersNotReady', 'containers with unready status: [b]')
"""

from __future__ import annotations

from kubelab.api.meta import timestamp

__all__ = [
    "KUBELET_CONDITIONS",
    "containers_ready_condition",
    "get_phase",
    "initialized_condition",
    "pod_conditions",
    "ready_condition",
]

# Conditions the kubelet owns (``kubetypes.PodConditionsByKubelet``); others are kept as they are.
KUBELET_CONDITIONS = (
    "PodReadyToStartContainers",
    "Initialized",
    "Ready",
    "ContainersReady",
    "PodScheduled",
)


def _restartable(container: dict) -> bool:
    # A sidecar: an init container with restartPolicy Always.
    return container.get("restartPolicy") == "Always"


def _index(statuses) -> dict:
    return {s["name"]: s for s in statuses or ()}


def _names(names: list[str]) -> str:
    # Go's %s of a []string: [a b]
    return "[" + " ".join(names) + "]"


def get_phase(
    spec: dict, statuses: list[dict], pod_is_terminal: bool = False, has_initialized: bool = False
) -> str:
    """The pod phase from its container and init container statuses (upstream ``getPhase``).

    ``statuses`` holds both regular and init container statuses; a container without a
    status counts as unknown (regular) or pending (init).
    """
    by_name = _index(statuses)
    pending_init = pending_sidecar = failed_init = 0
    for c in spec.get("initContainers") or ():
        if _restartable(c):
            continue
        s = by_name.get(c["name"])
        state = (s or {}).get("state") or {}
        if s is None or "running" in state:
            pending_init += 1
        elif "terminated" in state:
            if state["terminated"].get("exitCode", 0) != 0:
                failed_init += 1
        elif "waiting" in state:
            last = (s.get("lastState") or {}).get("terminated")
            if last is not None:
                if last.get("exitCode", 0) != 0:
                    failed_init += 1
            else:
                pending_init += 1
        else:
            pending_init += 1

    unknown = running = waiting = stopped = succeeded = 0
    for c in spec.get("initContainers") or ():
        if not _restartable(c):
            continue
        s = by_name.get(c["name"])
        if s is None:
            unknown += 1
            continue
        state = s.get("state") or {}
        if "running" in state:
            if not s.get("started"):
                pending_sidecar += 1
            running += 1
        elif "terminated" in state:
            pass
        elif "waiting" in state:
            if (s.get("lastState") or {}).get("terminated") is None:
                pending_sidecar += 1
                waiting += 1
        else:
            pending_sidecar += 1
            unknown += 1

    for c in spec.get("containers") or ():
        s = by_name.get(c["name"])
        if s is None:
            unknown += 1
            continue
        state = s.get("state") or {}
        if "running" in state:
            running += 1
        elif "terminated" in state:
            stopped += 1
            if state["terminated"].get("exitCode", 0) == 0:
                succeeded += 1
        elif "waiting" in state:
            if (s.get("lastState") or {}).get("terminated") is not None:
                stopped += 1
            else:
                waiting += 1
        else:
            unknown += 1

    policy = spec.get("restartPolicy", "Always")
    if failed_init > 0 and policy == "Never":
        return "Failed"
    if pending_init > 0 or (pending_sidecar > 0 and not has_initialized) or waiting > 0:
        return "Pending"
    if running > 0 and unknown == 0:
        return "Running"
    if running == 0 and stopped > 0 and unknown == 0:
        if pod_is_terminal:
            return "Succeeded" if stopped == succeeded else "Failed"
        if policy == "Always":
            return "Running"
        if stopped == succeeded:
            return "Succeeded"
        if policy == "Never":
            return "Failed"
        return "Running"
    return "Pending"


def _terminal_reason(phase: str) -> str | None:
    return {"Failed": "PodFailed", "Succeeded": "PodCompleted"}.get(phase)


def containers_ready_condition(spec: dict, statuses: list[dict], phase: str) -> dict:
    """``ContainersReady``: True when every container (and sidecar) is ready."""
    if statuses is None:
        return {"type": "ContainersReady", "status": "False", "reason": "UnknownContainerStatuses"}
    by_name = _index(statuses)
    unknown, unready = [], []
    sidecars = [c for c in spec.get("initContainers") or () if _restartable(c)]
    for c in sidecars + list(spec.get("containers") or ()):
        s = by_name.get(c["name"])
        if s is None:
            unknown.append(c["name"])
        elif not s.get("ready"):
            unready.append(c["name"])
    if (phase == "Succeeded" and not unknown) or phase == "Failed":
        return {"type": "ContainersReady", "status": "False", "reason": _terminal_reason(phase)}
    messages = []
    if unknown:
        messages.append(f"containers with unknown status: {_names(unknown)}")
    if unready:
        messages.append(f"containers with unready status: {_names(unready)}")
    if messages:
        return {
            "type": "ContainersReady",
            "status": "False",
            "reason": "ContainersNotReady",
            "message": ", ".join(messages),
        }
    return {"type": "ContainersReady", "status": "True"}


def ready_condition(spec: dict, conditions: list, statuses: list[dict], phase: str) -> dict:
    """``Ready``: ContainersReady and every readiness gate's condition True."""
    containers = containers_ready_condition(spec, statuses, phase)
    if containers["status"] != "True":
        return dict(containers, type="Ready")
    by_type = {c.get("type"): c for c in conditions or ()}
    messages = []
    for gate in spec.get("readinessGates") or ():
        kind = gate.get("conditionType")
        cond = by_type.get(kind)
        if cond is None:
            messages.append(
                f'corresponding condition of pod readiness gate "{kind}" does not exist.'
            )
        elif cond.get("status") != "True":
            messages.append(
                f'the status of pod readiness gate "{kind}" is not "True", but {cond.get("status")}'
            )
    if messages:
        return {
            "type": "Ready",
            "status": "False",
            "reason": "ReadinessGatesNotReady",
            "message": ", ".join(messages),
        }
    return {"type": "Ready", "status": "True"}


def _any_regular_started(spec: dict, statuses) -> bool:
    by_name = _index(statuses)
    for c in spec.get("containers") or ():
        state = (by_name.get(c["name"]) or {}).get("state") or {}
        if "running" in state or "terminated" in state:
            return True
    return False


def initialized_condition(spec: dict, statuses: list[dict], phase: str) -> dict:
    """``Initialized``: every init container completed (sidecars: started)."""
    inits = list(spec.get("initContainers") or ())
    if statuses is None and inits:
        return {"type": "Initialized", "status": "False", "reason": "UnknownContainerStatuses"}
    by_name = _index(statuses)
    unknown, incomplete = [], []
    for c in inits:
        s = by_name.get(c["name"])
        if s is None:
            unknown.append(c["name"])
        elif not (s.get("started") if _restartable(c) else s.get("ready")):
            incomplete.append(c["name"])
    if phase == "Succeeded" and not unknown:
        return {"type": "Initialized", "status": "True", "reason": "PodCompleted"}
    if _any_regular_started(spec, statuses):
        return {"type": "Initialized", "status": "True"}
    messages = []
    if unknown:
        messages.append(f"containers with unknown status: {_names(unknown)}")
    if incomplete:
        messages.append(f"containers with incomplete status: {_names(incomplete)}")
    if messages:
        return {
            "type": "Initialized",
            "status": "False",
            "reason": "ContainersNotInitialized",
            "message": ", ".join(messages),
        }
    return {"type": "Initialized", "status": "True"}


def pod_conditions(
    spec: dict,
    old_conditions: list | None,
    statuses: list[dict],
    phase: str,
    sandbox_ready: bool,
    now: float,
) -> list[dict]:
    """The pod's conditions in upstream's order, keeping other components' conditions and each
    condition's ``lastTransitionTime`` while its status does not change.

    Examples
    --------
    >>> spec = {"containers": [{"name": "a"}]}
    >>> conds = pod_conditions(spec, [], [{"name": "a", "ready": True, "state": {"running": {}}}],
    ...                        "Running", True, 5.0)
    >>> [(c["type"], c["status"]) for c in conds]  # doctest: +NORMALIZE_WHITESPACE
    [('PodReadyToStartContainers', 'True'), ('Initialized', 'True'), ('Ready', 'True'),
     ('ContainersReady', 'True'), ('PodScheduled', 'True')]
    """
    old = {c.get("type"): c for c in old_conditions or ()}
    kept = [c for c in old_conditions or () if c.get("type") not in KUBELET_CONDITIONS]
    generated = [
        {"type": "PodReadyToStartContainers", "status": "True" if sandbox_ready else "False"},
        initialized_condition(spec, statuses, phase),
        ready_condition(spec, kept, statuses, phase),
        containers_ready_condition(spec, statuses, phase),
        {"type": "PodScheduled", "status": "True"},
    ]
    stamp = None
    out = list(kept)
    for cond in generated:
        previous = old.get(cond["type"])
        full = {"type": cond["type"], "status": cond["status"], "lastProbeTime": None}
        if previous is not None and previous.get("status") == cond["status"]:
            full["lastTransitionTime"] = previous.get("lastTransitionTime")
        else:
            stamp = stamp or timestamp(now)
            full["lastTransitionTime"] = stamp
        for key in ("reason", "message"):
            if cond.get(key):
                full[key] = cond[key]
        out.append(full)
    return out
