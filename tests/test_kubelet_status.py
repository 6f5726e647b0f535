"""Pod phase and conditions: upstream's getPhase test rows (§8.2) and generate.go's conditions."""

from __future__ import annotations

import pytest

from kubelab.kubelet.backoff import Backoff, go_duration
from kubelab.kubelet.status import (
    containers_ready_condition,
    get_phase,
    initialized_condition,
    pod_conditions,
    ready_condition,
)


def running(name):
    return {"name": name, "state": {"running": {}}}


def succeeded(name):
    return {"name": name, "state": {"terminated": {"exitCode": 0}}}


def failed(name):
    return {"name": name, "state": {"terminated": {"exitCode": 1}}}


def waiting(name):
    return {"name": name, "state": {"waiting": {}}}


def crashloop(name, exit_code=1):
    return {
        "name": name,
        "state": {"waiting": {"reason": "CrashLoopBackOff"}},
        "lastState": {"terminated": {"exitCode": exit_code}},
    }


def spec(policy, init=()):
    out = {"restartPolicy": policy, "containers": [{"name": "A"}, {"name": "B"}]}
    if init:
        out["initContainers"] = [{"name": n} for n in init]
    return out


# (restartPolicy, statuses, phase): TestPodPhaseWithRestartAlways / Never / OnFailure
ROWS = [
    ("Always", [], "Pending"),
    ("Always", [running("A"), running("B")], "Running"),
    ("Always", [succeeded("A"), succeeded("B")], "Running"),
    ("Always", [failed("A"), succeeded("B")], "Running"),
    ("Always", [running("A"), succeeded("B")], "Running"),
    ("Always", [running("A")], "Pending"),
    ("Always", [running("A"), waiting("B")], "Pending"),
    ("Always", [running("A"), crashloop("B")], "Running"),
    ("Never", [running("A"), running("B")], "Running"),
    ("Never", [succeeded("A"), succeeded("B")], "Succeeded"),
    ("Never", [failed("A"), failed("B")], "Failed"),
    ("Never", [running("A"), succeeded("B")], "Running"),
    ("Never", [running("A")], "Pending"),
    ("Never", [running("A"), waiting("B")], "Pending"),
    ("OnFailure", [succeeded("A"), succeeded("B")], "Succeeded"),
    ("OnFailure", [failed("A"), failed("B")], "Running"),
    ("OnFailure", [running("A"), succeeded("B")], "Running"),
    ("OnFailure", [running("A"), crashloop("B")], "Running"),
    ("OnFailure", [running("A")], "Pending"),
    ("OnFailure", [running("A"), waiting("B")], "Pending"),
]


@pytest.mark.parametrize(("policy", "statuses", "phase"), ROWS)
def test_get_phase_rows(policy, statuses, phase):
    assert get_phase(spec(policy), statuses) == phase


# Init container X: TestPodPhaseWithRestartAlwaysInitContainers / ...NeverInitContainers
INIT_ROWS = [
    ("Always", [running("X")], "Pending"),
    ("Always", [failed("X")], "Pending"),
    ("Always", [crashloop("X", exit_code=0)], "Pending"),
    ("Always", [succeeded("X"), running("A"), running("B")], "Running"),
    ("Never", [failed("X")], "Failed"),
    ("Never", [crashloop("X", exit_code=1)], "Failed"),
    ("Never", [running("X")], "Pending"),
    ("Never", [succeeded("X"), running("A"), running("B")], "Running"),
    ("OnFailure", [failed("X")], "Pending"),
]


@pytest.mark.parametrize(("policy", "statuses", "phase"), INIT_ROWS)
def test_get_phase_with_init_containers(policy, statuses, phase):
    assert get_phase(spec(policy, init=["X"]), statuses) == phase


def test_terminal_pods_take_succeeded_or_failed_whatever_the_policy():
    statuses = [succeeded("A"), failed("B")]
    assert get_phase(spec("Always"), statuses, pod_is_terminal=True) == "Failed"
    assert get_phase(spec("Always"), [succeeded("A"), succeeded("B")], True) == "Succeeded"


def test_sidecar_keeps_a_started_pod_running_while_it_restarts():
    s = {
        "restartPolicy": "Always",
        "initContainers": [{"name": "proxy", "restartPolicy": "Always"}],
        "containers": [{"name": "A"}],
    }
    assert get_phase(s, [waiting("proxy")]) == "Pending"
    assert get_phase(s, [dict(running("proxy"), started=True), running("A")]) == "Running"
    assert get_phase(s, [crashloop("proxy"), running("A")], has_initialized=True) == "Running"


def test_conditions_messages_are_upstreams():
    s = spec("Always", init=["X"])
    cond = initialized_condition(s, [running("X")], "Pending")
    assert cond == {
        "type": "Initialized",
        "status": "False",
        "reason": "ContainersNotInitialized",
        "message": "containers with incomplete status: [X]",
    }
    cond = containers_ready_condition(s, [dict(running("A"), ready=True)], "Pending")
    assert cond["message"] == "containers with unknown status: [B]"
    cond = containers_ready_condition(s, [running("A"), running("B")], "Running")
    assert cond["message"] == "containers with unready status: [A B]"
    assert containers_ready_condition(s, [succeeded("A"), succeeded("B")], "Succeeded") == {
        "type": "ContainersReady",
        "status": "False",
        "reason": "PodCompleted",
    }
    gates = dict(s, readinessGates=[{"conditionType": "example.com/lb"}])
    ready = [dict(running("A"), ready=True), dict(running("B"), ready=True)]
    cond = ready_condition(gates, [], ready, "Running")
    assert cond["reason"] == "ReadinessGatesNotReady"
    assert (
        cond["message"]
        == 'corresponding condition of pod readiness gate "example.com/lb" does not exist.'
    )


def test_pod_conditions_keep_other_conditions_and_transition_times():
    s = {"containers": [{"name": "a"}]}
    old = [
        {"type": "DisruptionTarget", "status": "True", "reason": "DeletionByTaintManager"},
        {"type": "Ready", "status": "False", "lastTransitionTime": "2025-01-01T00:00:01Z"},
        {"type": "PodScheduled", "status": "True", "lastTransitionTime": "2025-01-01T00:00:00Z"},
    ]
    conds = pod_conditions(s, old, [dict(running("a"), ready=True)], "Running", True, 30.0)
    by_type = {c["type"]: c for c in conds}
    assert conds[0]["type"] == "DisruptionTarget"
    assert [c["type"] for c in conds[1:]] == [
        "PodReadyToStartContainers",
        "Initialized",
        "Ready",
        "ContainersReady",
        "PodScheduled",
    ]
    assert by_type["Ready"]["lastTransitionTime"] == "2025-01-01T00:00:30Z"
    assert by_type["PodScheduled"]["lastTransitionTime"] == "2025-01-01T00:00:00Z"


def test_backoff_resets_after_ten_minutes_without_a_crash():
    b = Backoff()
    b.next("c", 0.0)
    b.next("c", 20.0)
    assert b.get("c") == 20.0
    assert b.in_backoff_since("c", 25.0, 30.0)
    # the container ran for more than 2 × 300 s since the last restart: start over
    assert not b.in_backoff_since("c", 700.0, 700.0)
    assert b.next("c", 700.0) == 10.0


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(10, "10s"), (300, "5m0s"), (160, "2m40s"), (1.2, "1.2s"), (0.3, "300ms"), (3725, "1h2m5s")],
)
def test_go_duration(seconds, text):
    assert go_duration(seconds) == text
