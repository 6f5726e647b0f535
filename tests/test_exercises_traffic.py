"""Lesson 11's checks accept right answers and reject wrong ones."""

from __future__ import annotations

import copy

import pytest
import yaml

from kubelab.exercises import (
    CheckFailed,
    check_local_policy_prediction,
    check_nodeport_service,
    check_zero_downtime,
)
from kubelab.exercises.checks import course_file


@pytest.fixture
def deployment():
    return yaml.safe_load(course_file("deployment.yaml").read_text())


def test_zero_downtime_accepts_probe_and_max_unavailable_0(deployment, capsys):
    check_zero_downtime(deployment)
    assert "✅" in capsys.readouterr().out


def test_zero_downtime_rejects_recreate(deployment):
    bad = copy.deepcopy(deployment)
    bad["spec"]["strategy"] = {"type": "Recreate"}
    with pytest.raises(CheckFailed, match="Recreate"):
        check_zero_downtime(bad)


def test_zero_downtime_rejects_missing_readiness_probe(deployment):
    bad = copy.deepcopy(deployment)
    del bad["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]
    with pytest.raises(CheckFailed, match="readinessProbe"):
        check_zero_downtime(bad)


@pytest.mark.parametrize("answer", [None, ..., "kind: Service\nmetadata: {name: x}\n", "a: [1"])
def test_zero_downtime_rejects_non_answers(answer):
    with pytest.raises(CheckFailed):
        check_zero_downtime(answer)


def test_zero_downtime_rejects_one_replica(deployment):
    bad = copy.deepcopy(deployment)
    bad["spec"]["replicas"] = 1
    with pytest.raises(CheckFailed, match="2 replicas"):
        check_zero_downtime(bad)


NODEPORT = """
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080, nodePort: 30080}]
"""


def test_nodeport_accepts_right_service(capsys):
    check_nodeport_service(NODEPORT)
    assert "✅" in capsys.readouterr().out


@pytest.mark.parametrize(
    "change, message",
    [
        (("type: NodePort", "type: ClusterIP"), "ClusterIP"),
        (("nodePort: 30080", "nodePort: 30081"), "30080"),
        (("targetPort: 8080", "targetPort: 80"), "connection refused"),
        (("app: web}", "app: api}"), "selector"),
        (("nodePort: 30080", "nodePort: 80"), "refused it"),
    ],
)
def test_nodeport_rejects_wrong_services(change, message):
    with pytest.raises(CheckFailed, match=message):
        check_nodeport_service(NODEPORT.replace(*change))


def test_nodeport_rejects_cluster_ip_service():
    plain = NODEPORT.replace("type: NodePort", "type: ClusterIP").replace(", nodePort: 30080", "")
    with pytest.raises(CheckFailed, match="use type: NodePort"):
        check_nodeport_service(plain)


def test_local_policy_prediction(capsys):
    check_local_policy_prediction("Timeout")
    assert "✅" in capsys.readouterr().out
    for wrong in ("connection refused", "200", "maybe"):
        with pytest.raises(CheckFailed):
            check_local_policy_prediction(wrong)
    with pytest.raises(CheckFailed):
        check_local_policy_prediction(...)
