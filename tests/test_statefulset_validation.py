"""StatefulSet defaults and validation, with the API server's messages."""

from __future__ import annotations

import copy

import pytest

import kubelab as kl

BASE = {
    "apiVersion": "apps/v1",
    "kind": "StatefulSet",
    "metadata": {"name": "web"},
    "spec": {
        "serviceName": "nginx",
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]},
        },
    },
}


def manifest(**spec):
    obj = copy.deepcopy(BASE)
    obj["spec"].update(spec)
    return obj


@pytest.fixture
def c():
    return kl.Cluster(nodes=1, seed=0)


def refused(c, obj) -> str:
    with pytest.raises(kl.Invalid) as info:
        c.apply(obj)
    return str(info.value)


def test_defaults(c):
    (sts,) = c.apply(manifest(volumeClaimTemplates=[{"metadata": {"name": "www"}, "spec": {}}]))
    spec = sts["spec"]
    assert spec["replicas"] == 1 and spec["revisionHistoryLimit"] == 10
    assert spec["podManagementPolicy"] == "OrderedReady"
    assert spec["updateStrategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"partition": 0, "maxUnavailable": 1},
    }
    assert spec["persistentVolumeClaimRetentionPolicy"] == {
        "whenDeleted": "Retain",
        "whenScaled": "Retain",
    }
    claim = spec["volumeClaimTemplates"][0]
    assert (claim["apiVersion"], claim["kind"]) == ("v1", "PersistentVolumeClaim")
    assert claim["spec"]["volumeMode"] == "Filesystem"
    assert claim["status"] == {"phase": "Pending"}
    assert spec["template"]["spec"]["restartPolicy"] == "Always"


def test_an_explicit_rolling_update_type_gets_no_partition(c):
    (sts,) = c.apply(manifest(updateStrategy={"type": "RollingUpdate"}))
    assert sts["spec"]["updateStrategy"] == {"type": "RollingUpdate"}
    c.run(30)
    assert (
        c.kubectl("rollout status sts web")
        .splitlines()[-1]
        .startswith("statefulset rolling update complete 1 pods at revision web-")
    )


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            {"selector": {"matchLabels": {"app": "db"}}},
            'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: '
            "`selector` does not match template `labels`",
        ),
        (
            {"selector": {}},
            "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), "
            "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid "
            "for statefulset",
        ),
        ({"replicas": -1}, "spec.replicas: Invalid value: -1: must be greater than or equal to 0"),
        (
            {"podManagementPolicy": "Fast"},
            "spec.podManagementPolicy: Invalid value: \"Fast\": must be 'OrderedReady' or "
            "'Parallel'",
        ),
        (
            {"updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0}}},
            "spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: "
            'intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: cannot be 0',
        ),
        (
            {"updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": -2}}},
            "spec.updateStrategy.rollingUpdate.partition: Invalid value: -2: must be greater "
            "than or equal to 0",
        ),
        (
            {"persistentVolumeClaimRetentionPolicy": {"whenScaled": "Keep"}},
            'spec.persistentVolumeClaimRetentionPolicy.whenScaled: Unsupported value: "Keep": '
            'supported values: "Delete", "Retain"',
        ),
        (
            {"ordinals": {"start": -1}},
            "spec.ordinals.start: Invalid value: -1: must be greater than or equal to 0",
        ),
    ],
)
def test_invalid_specs_are_refused_with_upstreams_messages(c, spec, message):
    assert message in refused(c, manifest(**spec))


def test_template_restart_policy_must_be_always(c):
    obj = manifest()
    obj["spec"]["template"]["spec"]["restartPolicy"] = "Never"
    assert (
        'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"'
        in refused(c, obj)
    )


def test_on_delete_refuses_a_rolling_update_block(c):
    text = refused(c, manifest(updateStrategy={"type": "OnDelete", "rollingUpdate": {}}))
    assert "spec.updateStrategy.rollingUpdate: Invalid value" in text
    assert "only allowed for updateStrategy 'RollingUpdate'" in text


def test_only_some_spec_fields_may_change(c):
    c.apply(manifest())
    forbidden = (
        "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', "
        "'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', "
        "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"
    )
    assert forbidden in refused(c, manifest(serviceName="other"))
    claims = [{"metadata": {"name": "www"}, "spec": {}}]
    assert forbidden in refused(c, manifest(volumeClaimTemplates=claims))
    (sts,) = c.apply(manifest(replicas=3, minReadySeconds=5, revisionHistoryLimit=2))
    assert sts["spec"]["replicas"] == 3 and sts["metadata"]["generation"] == 2
