"""Lesson 13's checks accept right answers and reject wrong ones with one clear line."""

from __future__ import annotations

import copy

import pytest

from kubelab.exercises import (
    CheckFailed,
    check_deployment_fits_quota,
    check_policy_prediction,
    check_team_limitrange,
)

LIMITRANGE = {
    "apiVersion": "v1",
    "kind": "LimitRange",
    "metadata": {"name": "team-defaults", "namespace": "team-a"},
    "spec": {
        "limits": [
            {
                "type": "Container",
                "default": {"cpu": "500m", "memory": "256Mi"},
                "defaultRequest": {"cpu": "100m", "memory": "128Mi"},
                "max": {"memory": "1Gi"},
            }
        ]
    },
}

DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "team-a"},
    "spec": {
        "replicas": 5,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {
                "containers": [
                    {
                        "name": "web",
                        "image": "kubelab/web:v1",
                        "resources": {
                            "requests": {"cpu": "200m", "memory": "200Mi"},
                            "limits": {"cpu": "200m", "memory": "200Mi"},
                        },
                    }
                ]
            },
        },
    },
}


def test_limitrange_right(capsys):
    check_team_limitrange(LIMITRANGE)
    assert capsys.readouterr().out.startswith("✅")


def test_limitrange_as_yaml_without_namespace(capsys):
    import yaml

    lr = copy.deepcopy(LIMITRANGE)
    del lr["metadata"]["namespace"]
    check_team_limitrange(yaml.safe_dump(lr))
    assert "✅" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (lambda lr: lr["spec"]["limits"][0].pop("defaultRequest"), "got requests"),
        (lambda lr: lr["spec"]["limits"][0].pop("max"), "2Gi memory limit was accepted"),
        (lambda lr: lr["spec"]["limits"][0].update(max={"memory": "512Mi"}), "1Gi memory limit"),
        (lambda lr: lr["spec"]["limits"][0].update(default={"cpu": "1"}), "got limits"),
        (lambda lr: lr["metadata"].update(namespace="default"), "put it in 'team-a'"),
        (lambda lr: lr.update(kind="ResourceQuota"), "kind should be 'LimitRange'"),
        (
            lambda lr: lr["spec"]["limits"][0].update(max={"memory": "100Mi"}),
            "refuses your LimitRange",
        ),
    ],
)
def test_limitrange_wrong(change, fragment):
    lr = copy.deepcopy(LIMITRANGE)
    change(lr)
    with pytest.raises(CheckFailed, match=fragment):
        check_team_limitrange(lr)


def test_limitrange_not_answered():
    with pytest.raises(CheckFailed, match="replace it with your answer"):
        check_team_limitrange(...)


def test_deployment_right(capsys):
    check_deployment_fits_quota(DEPLOYMENT)
    assert capsys.readouterr().out.startswith("✅ All 5 pods run, Guaranteed")


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (  # 5 × 300m > 1 CPU: the 4th pod is refused
            lambda d: d["spec"]["template"]["spec"]["containers"][0]["resources"].update(
                requests={"cpu": "300m", "memory": "200Mi"},
                limits={"cpu": "300m", "memory": "200Mi"},
            ),
            "only 3 of 5 pods are ready after 60 s: .*exceeded quota: compute",
        ),
        (  # no resources: the quota needs them stated
            lambda d: d["spec"]["template"]["spec"]["containers"][0].pop("resources"),
            "must specify limits.cpu for: web",
        ),
        (  # fits, but Burstable
            lambda d: d["spec"]["template"]["spec"]["containers"][0]["resources"].update(
                limits={"cpu": "400m", "memory": "400Mi"}
            ),
            "QoS class is Burstable",
        ),
        (lambda d: d["spec"].update(replicas=3), "spec.replicas is 3"),
        (
            lambda d: d["spec"]["template"]["spec"]["containers"][0].update(image="nginx"),
            "keep the kubelab/web:v1 container",
        ),
    ],
)
def test_deployment_wrong(change, fragment):
    d = copy.deepcopy(DEPLOYMENT)
    change(d)
    with pytest.raises(CheckFailed, match=fragment):
        check_deployment_fits_quota(d)


def test_predictions_right(capsys):
    check_policy_prediction("quota-pods", 3)
    check_policy_prediction("oom-seconds", 15)
    out = capsys.readouterr().out
    assert out.count("✅") == 2 and "15 s" in out


@pytest.mark.parametrize(
    ("question", "answer", "fragment"),
    [
        ("quota-pods", 6, "not 6"),
        ("quota-pods", 4, "not 4"),
        ("oom-seconds", 25, "not 25"),
        ("oom-seconds", "soon", "answer with a number"),
        ("nonsense", 1, "unknown question"),
        ("quota-pods", ..., "replace it with your answer"),
    ],
)
def test_predictions_wrong(question, answer, fragment):
    with pytest.raises(CheckFailed, match=fragment):
        check_policy_prediction(question, answer)
