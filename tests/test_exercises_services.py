"""Lesson 9's checks accept right answers and reject wrong ones with a useful message."""

from __future__ import annotations

import pytest
import yaml

from kubelab.exercises import (
    CheckFailed,
    check_fixed_service,
    check_service_by_port_name,
    check_service_types,
)
from kubelab.exercises.checks import course_file

GOOD = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "web"},
    "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": "http"}]},
}


def variant(**spec):
    return {**GOOD, "spec": {**GOOD["spec"], **spec}}


def test_port_name_service_accepted(capsys):
    check_service_by_port_name(GOOD)
    assert capsys.readouterr().out.startswith("✅")
    check_service_by_port_name(yaml.safe_dump(GOOD))  # YAML text works too


@pytest.mark.parametrize(
    ("answer", "fragment"),
    [
        (variant(ports=[{"port": 80, "targetPort": 8080}]), "use the container port's *name*"),
        (variant(selector={"app": "wbe"}), "0 ready endpoints, not 3"),
        (variant(type="NodePort"), "type ClusterIP, not NodePort"),
        (variant(ports=[{"port": 8080, "targetPort": "http"}]), "port 80"),
        ({**GOOD, "metadata": {"name": "api"}}, "name the Service 'web'"),
        ({**GOOD, "kind": "Pod"}, "a Service is kind 'Service'"),
        (variant(ports=[{"port": 0, "targetPort": "http"}]), "The API server refuses it"),
        (..., "still `Ellipsis`"),
        ("kind: [", "not valid YAML"),
    ],
)
def test_port_name_service_rejected(answer, fragment):
    with pytest.raises(CheckFailed) as err:
        check_service_by_port_name(answer)
    assert fragment in str(err.value)


def test_fixed_service_accepted(capsys):
    broken = yaml.safe_load(course_file("service-broken.yaml").read_text())
    broken["spec"]["selector"] = {"app": "web"}
    broken["spec"]["ports"][0]["targetPort"] = 8080
    check_fixed_service(broken)
    assert capsys.readouterr().out.startswith("✅")
    check_fixed_service(GOOD)  # by name is right too


def test_fixed_service_rejected():
    broken = yaml.safe_load(course_file("service-broken.yaml").read_text())
    with pytest.raises(CheckFailed) as err:
        check_fixed_service(broken)
    assert "still no endpoints" in str(err.value)
    broken["spec"]["selector"] = {"app": "web"}
    with pytest.raises(CheckFailed) as err:
        check_fixed_service(broken)
    assert "Fix targetPort" in str(err.value)
    half = yaml.safe_load(course_file("service-broken.yaml").read_text())
    half["spec"]["ports"][0]["targetPort"] = 8080
    with pytest.raises(CheckFailed) as err:
        check_fixed_service(half)
    assert "still no endpoints" in str(err.value)


def test_service_types_accepted(capsys):
    answers = {
        "inside": "ClusterIP",
        "every-node": "NodePort",
        "cloud": "LoadBalancer",
        "alias": "ExternalName",
        "pod-ips": "headless",
    }
    check_service_types(answers)
    assert capsys.readouterr().out.startswith("✅")


@pytest.mark.parametrize(
    ("answers", "fragment"),
    [
        (
            {
                "inside": "NodePort",
                "every-node": "NodePort",
                "cloud": "LoadBalancer",
                "alias": "ExternalName",
                "pod-ips": "None",
            },
            "'inside': not 'NodePort'",
        ),
        (
            {
                "inside": "ClusterIP",
                "every-node": "NodePort",
                "cloud": "LoadBalancer",
                "alias": "ClusterIP",
                "pod-ips": "None",
            },
            "ExternalName Service",
        ),
        (
            {
                "inside": "ClusterIP",
                "every-node": "NodePort",
                "cloud": "LoadBalancer",
                "alias": "ExternalName",
                "pod-ips": "ClusterIP",
            },
            "clusterIP None",
        ),
        ({"inside": "ClusterIP"}, "missing: every-node"),
        (["ClusterIP"], "should be a dict"),
        (None, "still `None`"),
    ],
)
def test_service_types_rejected(answers, fragment):
    with pytest.raises(CheckFailed) as err:
        check_service_types(answers)
    assert fragment in str(err.value)
