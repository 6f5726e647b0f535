"""The kubelet running Job commands to completion: exit codes, reasons, scripts, sidecars."""

from __future__ import annotations

import pytest

import kubelab as kl
from kubelab.api.meta import parse_time
from kubelab.kubelet.pyscript import exit_code


def pod(name, containers, restart="Never", init=None):
    spec = {"restartPolicy": restart, "containers": containers}
    if init:
        spec["initContainers"] = init
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


def terminated(c, name, index=0):
    return c.get("Pod", name)["status"]["containerStatuses"][index]["state"].get("terminated")


def test_pi_runs_a_few_seconds_and_completes():
    c = kl.Cluster(nodes=1, seed=0)
    c.apply(pod("pi", [{"name": "pi", "image": "perl",
                        "command": ["perl", "-Mbignum=bpi", "-wle", "print bpi(2000)"]}]))  # fmt: skip
    c.run(60)
    state = terminated(c, "pi")
    assert (state["reason"], state["exitCode"]) == ("Completed", 0)
    took = parse_time(state["finishedAt"]) - parse_time(state["startedAt"])
    assert 3 <= took <= 8
    assert c.get("Pod", "pi")["status"]["phase"] == "Succeeded"


@pytest.mark.parametrize(
    ("command", "reason", "code"),
    [
        (["sh", "-c", "exit 42"], "Error", 42),
        (["bash", "-c", 'echo "Hello world!" && sleep 5 && exit 42'], "Error", 42),
        (["sh", "-c", "echo done; sleep 2"], "Completed", 0),
    ],
)
def test_exit_codes(command, reason, code):
    c = kl.Cluster(nodes=1, seed=0)
    c.apply(pod("p", [{"name": "main", "image": "bash:5", "command": command}]))
    c.run(30)
    state = terminated(c, "p")
    assert (state["reason"], state["exitCode"]) == (reason, code)
    assert c.get("Pod", "p")["status"]["phase"] == ("Succeeded" if code == 0 else "Failed")


def test_python_script_sees_its_environment():
    script = "import os, sys\nif os.environ['WHO'] == 'me':\n  sys.exit(3)\n"
    c = kl.Cluster(nodes=1, seed=0)
    for name, who in (("mine", "me"), ("other", "you")):
        c.apply(pod(name, [{"name": "main", "image": "python:3", "command": ["python3", "-c", script],
                            "env": [{"name": "WHO", "value": who}]}]))  # fmt: skip
    c.run(60)
    assert terminated(c, "mine")["exitCode"] == 3
    assert terminated(c, "other")["exitCode"] == 0


def test_script_evaluator_refuses_what_it_cannot_read():
    assert exit_code("import time\ntime.sleep(1)\n", {}) is None
    assert exit_code("exit(", {}) == 1  # a SyntaxError exits 1
    assert exit_code("x = 2\nif x * 3 > 5 and not False:\n  sys.exit(x)", {}) == 2


def test_never_ending_command_keeps_running():
    c = kl.Cluster(nodes=1, seed=0)
    c.apply(pod("tail", [{"name": "t", "image": "alpine", "command": ["sh", "-c", "tail -F /x"]}]))
    c.run(600)
    assert c.get("Pod", "tail")["status"]["phase"] == "Running"


def test_sidecars_stop_once_the_main_containers_finished():
    sidecar = {"name": "log", "image": "alpine", "restartPolicy": "Always",
               "command": ["sh", "-c", "tail -F /x"]}  # fmt: skip
    main = {"name": "main", "image": "alpine", "command": ["sh", "-c", "sleep 3"]}
    c = kl.Cluster(nodes=1, seed=0)
    c.apply(pod("p", [main], init=[sidecar]))
    c.run(60)
    status = c.get("Pod", "p")["status"]
    assert status["phase"] == "Succeeded"
    side = status["initContainerStatuses"][0]["state"]["terminated"]
    assert side["exitCode"] == 137  # tail as PID 1 ignores SIGTERM: killed after the grace period
    assert "Stopping container log" in c.kubectl("get events")


def test_restart_always_pods_restart_their_sidecars_as_before():
    sidecar = {"name": "log", "image": "alpine", "restartPolicy": "Always",
               "command": ["sh", "-c", "tail -F /x"]}  # fmt: skip
    main = {"name": "main", "image": "alpine", "command": ["sh", "-c", "sleep 3600"]}
    c = kl.Cluster(nodes=1, seed=0)
    c.apply(pod("p", [main], restart="Always", init=[sidecar]))
    c.run(30)
    assert c.get("Pod", "p")["status"]["phase"] == "Running"
