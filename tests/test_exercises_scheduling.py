"""Lesson 12's checks accept right answers and reject wrong ones (with a helpful line)."""

from __future__ import annotations

import copy

import pytest

from kubelab.exercises import (
    CheckFailed,
    check_colocated_pod,
    check_gpu_pod,
    check_redundant_replicas,
)

HOST = "kubernetes.io/hostname"


def cache_deployment(anti="required", replicas=3):
    spec = {"containers": [{"name": "redis", "image": "redis"}]}
    term = {"labelSelector": {"matchLabels": {"app": "cache"}}, "topologyKey": HOST}
    if anti == "required":
        spec["affinity"] = {
            "podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term]}
        }
    elif anti == "preferred":
        spec["affinity"] = {
            "podAntiAffinity": {
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    {"weight": 100, "podAffinityTerm": term}
                ]
            }
        }
    elif anti == "wrong-selector":
        term = copy.deepcopy(term)
        term["labelSelector"]["matchLabels"] = {"app": "web"}
        spec["affinity"] = {
            "podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term]}
        }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "cache"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "cache"}},
            "template": {"metadata": {"labels": {"app": "cache"}}, "spec": spec},
        },
    }


def test_redundant_replicas_accepts_required_anti_affinity(capsys):
    check_redundant_replicas(cache_deployment())
    out = capsys.readouterr().out
    assert out.startswith("✅") and "didn't match pod anti-affinity rules" in out


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (cache_deployment("none"), "two replicas ended up on one node"),
        (cache_deployment("preferred"), "two replicas ended up on one node"),
        (cache_deployment("wrong-selector"), "two replicas ended up on one node"),
        (cache_deployment(replicas=2), "spec.replicas should be 3"),
        (..., "still `Ellipsis`"),
        ({"apiVersion": "v1", "kind": "Pod"}, "kind should be 'Deployment'"),
    ],
)
def test_redundant_replicas_rejects(answer, says):
    with pytest.raises(CheckFailed, match=None) as err:
        check_redundant_replicas(answer)
    assert says in str(err.value)


def web_pod(kind="required", key=HOST, name="web"):
    term = {"labelSelector": {"matchLabels": {"app": "cache"}}, "topologyKey": key}
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": [{"name": "web", "image": "nginx"}]},
    }
    if kind == "required":
        pod["spec"]["affinity"] = {
            "podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term]}
        }
    elif kind == "preferred":
        pod["spec"]["affinity"] = {
            "podAffinity": {
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    {"weight": 100, "podAffinityTerm": term}
                ]
            }
        }
    return pod


def test_colocated_pod_accepts_required_affinity(capsys):
    check_colocated_pod(web_pod())
    assert capsys.readouterr().out.startswith("✅")


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (web_pod("none"), "with the cache on"),
        (web_pod("preferred"), "a preference is not a rule"),
        (web_pod(name="frontend"), "metadata.name should be 'web'"),
        (dict(web_pod(), spec={**web_pod()["spec"], "nodeName": "node-2"}), "no spec.nodeName"),
        ("kind: Pod\n  bad: [", "not valid YAML"),
    ],
)
def test_colocated_pod_rejects(answer, says):
    with pytest.raises(CheckFailed) as err:
        check_colocated_pod(answer)
    assert says in str(err.value)


def trainer(toleration=True, selector=True):
    spec = {"containers": [{"name": "train", "image": "busybox", "command": ["sleep", "3600"]}]}
    if toleration:
        spec["tolerations"] = [
            {"key": "gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"}
        ]
    if selector:
        spec["nodeSelector"] = {"accelerator": "gpu"}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "trainer"}, "spec": spec}


def test_gpu_pod_accepts_toleration_plus_selector(capsys):
    check_gpu_pod(trainer())
    assert capsys.readouterr().out.startswith("✅")


def test_gpu_pod_accepts_required_node_affinity_and_exists_toleration(capsys):
    pod = trainer(selector=False)
    pod["spec"]["tolerations"] = [{"key": "gpu", "operator": "Exists"}]
    pod["spec"]["affinity"] = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {
                        "matchExpressions": [
                            {"key": "accelerator", "operator": "In", "values": ["gpu"]}
                        ]
                    }
                ]
            }
        }
    }
    check_gpu_pod(pod)
    assert capsys.readouterr().out.startswith("✅")


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (trainer(toleration=False), "add a toleration for gpu=true:NoSchedule"),
        (trainer(selector=False), "a toleration only *allows* the GPU node"),
        (trainer(toleration=False, selector=False), "not the GPU node"),
    ],
)
def test_gpu_pod_rejects(answer, says):
    with pytest.raises(CheckFailed) as err:
        check_gpu_pod(answer)
    assert says in str(err.value)
