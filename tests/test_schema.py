"""kubelab.api.schema: unknown fields and wrong types, worded as the API server's decoder."""

from __future__ import annotations

import copy
import re

import pytest

from kubelab.api import schema
from kubelab.api.schema import REQUIRED, UNKNOWN_FIELD, WRONG_TYPE, check, raise_for_schema
from kubelab.errors import BadRequest

POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "web", "labels": {"app": "web"}, "annotations": {"a": "b"}},
    "spec": {
        "containers": [
            {
                "name": "app",
                "image": "nginx:1.27",
                "ports": [{"containerPort": 80}],
                "env": [{"name": "MODE", "value": "prod"}],
                "resources": {"limits": {"cpu": "500m", "memory": "128Mi"}},
                "readinessProbe": {"httpGet": {"path": "/", "port": 80}, "periodSeconds": 5},
            }
        ],
        "tolerations": [{"key": "k", "operator": "Exists", "effect": "NoSchedule"}],
    },
}

DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web"},
    "spec": {
        "replicas": 3,
        "selector": {"matchLabels": {"app": "web"}},
        "strategy": {"rollingUpdate": {"maxSurge": 1, "maxUnavailable": "25%"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "app", "image": "nginx"}]},
        },
    },
}


def changed(obj: dict, path: tuple, value) -> dict:
    out = copy.deepcopy(obj)
    target = out
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return out


def test_valid_objects_have_no_problems():
    assert check(POD) == []
    assert check(DEPLOYMENT) == []


def test_unknown_field_with_full_path():
    deploy = changed(DEPLOYMENT, ("spec", "template", "spec", "containers", 0, "imagee"), "x")
    (problem,) = check(deploy)
    assert problem.reason == UNKNOWN_FIELD
    assert problem.path == "spec.template.spec.containers[0].imagee"
    assert problem.location == ("spec", "template", "spec", "containers", 0, "imagee")
    with pytest.raises(BadRequest) as err:
        raise_for_schema(deploy, "x.yaml")
    assert str(err.value) == (
        'Error from server (BadRequest): error when creating "x.yaml": Deployment in version "v1" '
        "cannot be handled as a Deployment: strict decoding error: unknown field "
        '"spec.template.spec.containers[0].imagee"'
    )


def test_several_unknown_fields_joined_in_document_order():
    pod = changed(POD, ("spec", "containers", 0, "Image"), "x")
    pod = changed(pod, ("metadata", "nmae"), "x")
    pod = changed(pod, ("spec", "contianers"), [])
    with pytest.raises(BadRequest) as err:
        raise_for_schema(pod)
    assert err.value.message == (
        'Pod in version "v1" cannot be handled as a Pod: strict decoding error: '
        'unknown field "metadata.nmae", unknown field "spec.containers[0].Image", '
        'unknown field "spec.contianers"'
    )


@pytest.mark.parametrize(
    ("obj", "path", "value", "message"),
    [
        (
            DEPLOYMENT,
            ("spec", "template", "spec", "containers", 0, "ports"),
            "80",
            "json: cannot unmarshal string into Go struct field Container.spec.template.spec."
            "containers.ports of type []v1.ContainerPort",
        ),
        (
            POD,
            ("metadata", "labels", "version"),
            2,
            "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels "
            "of type string",
        ),
        (
            POD,
            ("metadata", "annotations"),
            [{"a": "b"}],
            "json: cannot unmarshal array into Go struct field ObjectMeta.metadata.annotations "
            "of type map[string]string",
        ),
        (
            POD,
            ("spec", "containers", 0, "env", 0, "value"),
            True,
            "json: cannot unmarshal bool into Go struct field EnvVar.spec.containers.env.value "
            "of type string",
        ),
        (
            DEPLOYMENT,
            ("spec", "replicas"),
            1.5,
            "json: cannot unmarshal number 1.5 into Go struct field DeploymentSpec.spec.replicas "
            "of type int32",
        ),
        (
            POD,
            ("spec", "containers"),
            {"name": "app"},
            "json: cannot unmarshal object into Go struct field PodSpec.spec.containers "
            "of type []v1.Container",
        ),
        (
            DEPLOYMENT,
            ("spec", "strategy", "rollingUpdate", "maxSurge"),
            [1],
            "json: cannot unmarshal array into Go struct field RollingUpdateDeployment.spec."
            "strategy.rollingUpdate.maxSurge of type intstr.IntOrString",
        ),
    ],
)
def test_wrong_types_name_the_go_field_and_type(obj, path, value, message):
    bad = changed(obj, path, value)
    problems = check(bad)
    assert [p.reason for p in problems] == [WRONG_TYPE]
    assert problems[0].message == message
    with pytest.raises(BadRequest) as err:
        raise_for_schema(bad)
    kind = obj["kind"]
    assert err.value.message == (f'{kind} in version "v1" cannot be handled as a {kind}: {message}')


def test_wrong_type_wins_over_unknown_fields():
    pod = changed(POD, ("spec", "containers", 0, "imagee"), "x")
    pod = changed(pod, ("spec", "containers", 0, "ports"), "80")
    with pytest.raises(BadRequest, match="cannot unmarshal string") as err:
        raise_for_schema(pod)
    assert "unknown field" not in str(err.value)


def test_null_is_accepted_anywhere_as_go_decodes_it():
    pod = changed(POD, ("spec", "containers", 0, "ports", 0, "containerPort"), None)
    pod = changed(pod, ("spec", "containers", 0, "readinessProbe", "httpGet", "port"), None)
    pod = changed(pod, ("metadata", "labels"), None)
    assert check(pod) == []


def test_required_fields_are_reported_but_left_to_validation():
    pod = copy.deepcopy(POD)
    del pod["spec"]["containers"]
    (problem,) = check(pod)
    assert (problem.reason, str(problem)) == (REQUIRED, "spec.containers: Required value")
    raise_for_schema(pod)  # the API server reports it in validation, not while decoding


def test_kinds_not_served_are_not_checked():
    assert check({"apiVersion": "example.com/v1", "kind": "Widget", "spec": {"x": 1}}) == []
    assert check({"apiVersion": "v1", "kind": "Deployment", "spec": {"x": 1}}) == []
    csr = {"apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest", "x": 1}
    assert check(csr) == []  # served by Kubernetes, not by kubelab
    assert check(["not", "a", "dict"]) == []


def test_batch_kinds_are_checked():
    problems = [str(p) for p in check({"apiVersion": "batch/v1", "kind": "Job", "spec": {"x": 1}})]
    assert problems == ["spec.template: Required value", 'unknown field "spec.x"']


@pytest.mark.parametrize(
    "obj",
    [
        {"apiVersion": "v1", "kind": "Service", "spec": {"portz": []}},
        {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "spec": {"rulez": []}},
        {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "provisioner": "x", "spec": {}},
        {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "spec": {"minAvaliable": 1}},
        {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "addressType": "IPv4",
            "endpoints": [],
            "extra": 1,
        },
        {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "spec": {"holder": "x"}},
    ],
)
def test_every_group_finds_its_schema(obj):
    assert [p.reason for p in check(obj)] == [UNKNOWN_FIELD]


def test_pseudo_origins_are_not_printed():
    pod = changed(POD, ("spec", "x"), 1)
    with pytest.raises(BadRequest) as err:
        raise_for_schema(pod, "<string>", verb="patching")
    assert err.value.message.startswith('Pod in version "v1"')
    with pytest.raises(BadRequest, match=r'error when patching "p\.yaml": Pod'):
        raise_for_schema(pod, "p.yaml", verb="patching")


def test_validators_are_cached_per_kind():
    check(POD)
    assert schema._validator("Pod", "v1") is schema._validator("Pod", "v1")


def test_validators_are_built_once_per_kind():
    """Speed comes from caching one validator per kind (measured in benchmarks/schema_check.py)."""
    from kubelab.api import schema as module

    check(POD)
    assert module._validator("Pod", "v1") is module._validator("Pod", "v1")
    assert module._validator("Pod", "v1") is not module._validator("ConfigMap", "v1")


NULLS = [
    ("spec:\n  tolerations: [null]", "Invalid", "operator must be Exists when `key` is empty"),
    ("metadata:\n  labels: {app: null}", None, ""),
    ("spec:\n  nodeName: null", None, ""),
    ("spec:\n  volumes: [null]", "Invalid", "spec.volumes[0].name: Required value"),
    ("spec:\n  securityContext: null\n  affinity: {nodeAffinity: null}", None, ""),
]


@pytest.mark.parametrize(("patch", "error", "fragment"), NULLS)
def test_nulls_decode_as_go_zero_values(patch, error, fragment):
    """``null`` in a manifest is what Go's decoder makes of it: an unset field, or a zero
    element in a list or map; validation then judges the zero value, nothing crashes."""
    import yaml

    import kubelab as kl

    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "c", "image": "nginx"}]},
    }
    for section, values in yaml.safe_load(patch).items():
        pod[section].update(values)
    c = kl.Cluster(nodes=1, seed=0)
    if error is None:
        (stored,) = c.apply(pod)
        assert None not in stored["metadata"].get("labels", {}).values()
        assert "nodeName" not in stored["spec"] or stored["spec"]["nodeName"]
        c.run(10)
        assert c.get("pod", "p")["status"]["phase"] == "Running"
    else:
        with pytest.raises(getattr(kl, error), match=re.escape(fragment)):
            c.apply(pod)
