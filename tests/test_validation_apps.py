"""apps/v1 validation (§9.2 of the semantics reference): one test per row, exact strings."""

from __future__ import annotations

import copy

import pytest

from kubelab.api.defaults import apply_defaults
from kubelab.api.validation import validate, validate_update

RDNS = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation "
    r"is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)


def deployment(**spec):
    obj = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "nginx-deployment",
            "namespace": "default",
            "labels": {"app": "nginx"},
        },
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "nginx"}},
            "template": {
                "metadata": {"labels": {"app": "nginx"}},
                "spec": {
                    "containers": [
                        {"name": "nginx", "image": "nginx:1.14.2", "ports": [{"containerPort": 80}]}
                    ]
                },
            },
        },
    }
    obj["spec"].update(spec)
    return obj


def frontend_rs():
    """The ReplicaSet of https://kubernetes.io/docs/concepts/workloads/controllers/replicaset/."""
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": "frontend",
            "namespace": "default",
            "labels": {"app": "guestbook", "tier": "frontend"},
        },
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"tier": "frontend"}},
            "template": {
                "metadata": {"labels": {"tier": "frontend"}},
                "spec": {
                    "containers": [
                        {
                            "name": "php-redis",
                            "image": "us-docker.pkg.dev/google-samples/containers/gke/gb-frontend:v5",
                        }
                    ]
                },
            },
        },
    }


def daemon_set():
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "fluentd-elasticsearch", "namespace": "kube-system"},
        "spec": {
            "selector": {"matchLabels": {"name": "fluentd-elasticsearch"}},
            "template": {
                "metadata": {"labels": {"name": "fluentd-elasticsearch"}},
                "spec": {
                    "tolerations": [
                        {
                            "key": "node-role.kubernetes.io/control-plane",
                            "operator": "Exists",
                            "effect": "NoSchedule",
                        }
                    ],
                    "containers": [
                        {
                            "name": "fluentd-elasticsearch",
                            "image": "quay.io/fluentd_elasticsearch/fluentd:v2.5.2",
                            "resources": {
                                "limits": {"memory": "200Mi"},
                                "requests": {"cpu": "100m", "memory": "200Mi"},
                            },
                        }
                    ],
                    "terminationGracePeriodSeconds": 30,
                },
            },
        },
    }


def errors(obj):
    return [str(e) for e in validate(apply_defaults(obj))]


# --------------------------------------------------------------------------- valid manifests


@pytest.mark.parametrize("make", [deployment, frontend_rs, daemon_set])
def test_typical_manifests_are_valid(make):
    assert errors(make()) == []


def test_deployment_with_probes_resources_and_recreate_is_valid():
    obj = deployment(strategy={"type": "Recreate"}, minReadySeconds=5, progressDeadlineSeconds=60)
    c = obj["spec"]["template"]["spec"]["containers"][0]
    c["readinessProbe"] = {"httpGet": {"path": "/", "port": 80}, "periodSeconds": 5}
    c["livenessProbe"] = {"tcpSocket": {"port": "http"}}
    c["ports"][0]["name"] = "http"
    c["resources"] = {
        "requests": {"cpu": "250m", "memory": "64Mi"},
        "limits": {"cpu": "500m", "memory": "128Mi"},
    }
    c["env"] = [{"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]
    assert errors(obj) == []


# --------------------------------------------------------------------------- §9.2 rows


def test_selector_missing():
    obj = deployment()
    del obj["spec"]["selector"]
    errs = errors(obj)
    assert errs[0] == "spec.selector: Required value"


def test_selector_empty():
    assert errors(deployment(selector={})) == [
        "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), "
        "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment"
    ]


def test_selector_does_not_match_template_labels():
    assert errors(deployment(selector={"matchLabels": {"app": "web"}})) == [
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"nginx"}: '
        "`selector` does not match template `labels`"
    ]


def test_selector_with_expressions_not_matching():
    sel = {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["web"]}]}
    assert errors(deployment(selector=sel)) == [
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"nginx"}: '
        "`selector` does not match template `labels`"
    ]


def test_invalid_selector_expression():
    sel = {
        "matchLabels": {"app": "nginx"},
        "matchExpressions": [{"key": "tier", "operator": "Foo"}],
    }
    errs = errors(deployment(selector=sel))
    assert (
        errs[0]
        == 'spec.selector.matchExpressions[0].operator: Invalid value: "Foo": not a valid selector operator'
    )
    assert errs[1] == (
        'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"nginx"}, '
        'MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:"tier", Operator:"Foo", '
        "Values:[]string(nil)}}}: invalid label selector"
    )


def test_template_restart_policy_must_be_always():
    obj = deployment()
    obj["spec"]["template"]["spec"]["restartPolicy"] = "OnFailure"
    assert errors(obj) == [
        'spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported values: "Always"'
    ]


def test_active_deadline_seconds_forbidden():
    obj = frontend_rs()
    obj["spec"]["template"]["spec"]["activeDeadlineSeconds"] = 30
    assert errors(obj) == [
        "spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported"
    ]


def test_active_deadline_seconds_in_deployment_says_replicaset():
    obj = deployment()
    obj["spec"]["template"]["spec"]["activeDeadlineSeconds"] = 30
    assert errors(obj) == [
        "spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported"
    ]


def test_replicas_negative():
    assert errors(deployment(replicas=-1)) == [
        "spec.replicas: Invalid value: -1: must be greater than or equal to 0"
    ]


@pytest.mark.parametrize("field", ["minReadySeconds", "revisionHistoryLimit"])
def test_negative_counters(field):
    assert errors(deployment(**{field: -1})) == [
        f"spec.{field}: Invalid value: -1: must be greater than or equal to 0"
    ]


def test_progress_deadline_negative():
    assert errors(deployment(progressDeadlineSeconds=-1)) == [
        "spec.progressDeadlineSeconds: Invalid value: -1: must be greater than or equal to 0",
        "spec.progressDeadlineSeconds: Invalid value: -1: must be greater than minReadySeconds",
    ]


def test_progress_deadline_not_greater_than_min_ready():
    assert errors(deployment(minReadySeconds=10, progressDeadlineSeconds=10)) == [
        "spec.progressDeadlineSeconds: Invalid value: 10: must be greater than minReadySeconds"
    ]


def test_max_unavailable_and_max_surge_zero():
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 0}}
    assert errors(deployment(strategy=strategy)) == [
        'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: '
        "may not be 0 when `maxSurge` is 0"
    ]


def test_max_unavailable_and_max_surge_zero_percent():
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "0%", "maxSurge": 0}}
    assert errors(deployment(strategy=strategy)) == [
        'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"0%"}: '
        "may not be 0 when `maxSurge` is 0"
    ]


def test_max_unavailable_over_100_percent():
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "120%", "maxSurge": 1}}
    assert errors(deployment(strategy=strategy)) == [
        'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"120%"}: '
        "must not be greater than 100%"
    ]


def test_max_surge_over_100_percent_is_fine():
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": "200%"}}
    assert errors(deployment(strategy=strategy)) == []


def test_bad_percent_string():
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": "abc"}}
    assert errors(deployment(strategy=strategy)) == [
        'spec.strategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"abc"}: '
        "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', "
        "regex used for validation is '[0-9]+%')"
    ]


def test_negative_max_surge():
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": -1}}
    assert errors(deployment(strategy=strategy)) == [
        "spec.strategy.rollingUpdate.maxSurge: Invalid value: -1: must be greater than or equal to 0"
    ]


def test_rolling_update_with_recreate():
    strategy = {"type": "Recreate", "rollingUpdate": {"maxSurge": 1}}
    assert errors(deployment(strategy=strategy)) == [
        "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"
    ]


def test_unknown_strategy_type():
    assert errors(deployment(strategy={"type": "BlueGreen"})) == [
        'spec.strategy: Unsupported value: apps.DeploymentStrategy{Type:"BlueGreen", '
        "RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}: "
        'supported values: "Recreate", "RollingUpdate"'
    ]


def test_selector_immutable_on_update():
    old = apply_defaults(deployment())
    new = copy.deepcopy(old)
    new["spec"]["selector"] = {"matchLabels": {"app": "web"}}
    new["spec"]["template"]["metadata"]["labels"] = {"app": "web"}
    assert [str(e) for e in validate_update(new, old)] == [
        'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web"}, '
        "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"
    ]


@pytest.mark.parametrize("make", [frontend_rs, daemon_set])
def test_selector_immutable_for_replica_sets_and_daemon_sets(make):
    old = apply_defaults(make())
    new = copy.deepcopy(old)
    new["spec"]["selector"]["matchLabels"]["extra"] = "x"
    errs = [str(e) for e in validate_update(new, old)]
    assert errs[-1].startswith(
        "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"
    )
    assert errs[-1].endswith("field is immutable")


def test_scaling_and_image_change_are_allowed_updates():
    old = apply_defaults(deployment())
    new = copy.deepcopy(old)
    new["spec"]["replicas"] = 10
    new["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.16.1"
    assert validate_update(new, old) == []


def test_daemon_set_bad_update_strategy():
    obj = daemon_set()
    obj["spec"]["updateStrategy"] = {"type": "Sometimes"}
    assert errors(obj) == [
        'spec.updateStrategy: Unsupported value: apps.DaemonSetUpdateStrategy{Type:"Sometimes", '
        "RollingUpdate:(*apps.RollingUpdateDaemonSet)(nil)}: "
        'supported values: "RollingUpdate", "OnDelete"'
    ]


def test_daemon_set_surge_and_unavailable_both_set():
    obj = daemon_set()
    obj["spec"]["updateStrategy"] = {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 1},
    }
    assert errors(obj) == [
        'spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:0, IntVal:1, StrVal:""}: '
        "may not be set when maxUnavailable is non-zero"
    ]


def test_daemon_set_selector_mismatch_and_empty():
    obj = daemon_set()
    obj["spec"]["selector"] = {"matchLabels": {"name": "other"}}
    assert errors(obj) == [
        'spec.template.metadata.labels: Invalid value: map[string]string{"name":"fluentd-elasticsearch"}: '
        "`selector` does not match template `labels`"
    ]
    obj["spec"]["selector"] = {}
    assert errors(obj) == [
        "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), "
        "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for daemonset"
    ]


def test_daemon_set_restart_policy_and_deadline():
    obj = daemon_set()
    obj["spec"]["template"]["spec"]["restartPolicy"] = "Never"
    obj["spec"]["template"]["spec"]["activeDeadlineSeconds"] = 5
    assert errors(obj) == [
        'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
        "spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in DaemonSet is not Supported",
    ]


@pytest.mark.parametrize("make", [deployment, frontend_rs, daemon_set])
def test_names_are_dns1123_subdomains(make):
    obj = make()
    obj["metadata"]["name"] = "Web_App"
    assert errors(obj) == [f'metadata.name: Invalid value: "Web_App": {RDNS}']


def test_missing_image_in_template():
    obj = deployment()
    del obj["spec"]["template"]["spec"]["containers"][0]["image"]
    assert errors(obj) == ["spec.template.spec.containers[0].image: Required value"]


def test_empty_template_reports_labels_and_containers():
    obj = frontend_rs()
    obj["spec"]["template"] = {}
    assert errors(obj) == [
        "spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template `labels`",
        "spec.template.spec.containers: Required value",
    ]


def test_bad_template_label_uses_upstream_path():
    obj = frontend_rs()
    obj["spec"]["template"]["metadata"]["labels"]["bad"] = "-x"
    errs = errors(obj)
    assert errs[0].startswith(
        'spec.template.labels: Invalid value: "-x": a valid label must be an empty string'
    )


# --------------------------------------------------------------------------- ReplicationController


def rc():
    return {
        "apiVersion": "v1",
        "kind": "ReplicationController",
        "metadata": {"name": "nginx", "namespace": "default"},
        "spec": {
            "replicas": 3,
            "selector": {"app": "nginx"},
            "template": {
                "metadata": {"labels": {"app": "nginx"}},
                "spec": {"containers": [{"name": "nginx", "image": "nginx"}]},
            },
        },
    }


def test_replication_controller_valid_and_defaulted_selector():
    assert errors(rc()) == []
    obj = rc()
    del obj["spec"]["selector"]
    assert errors(obj) == []  # defaults copy the template labels into the selector


def test_replication_controller_mismatch():
    obj = rc()
    obj["spec"]["selector"] = {"app": "web"}
    assert errors(obj) == [
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"nginx"}: '
        "`selector` does not match template `labels`"
    ]


def test_replication_controller_restart_policy_and_deadline():
    obj = rc()
    obj["spec"]["template"]["spec"]["restartPolicy"] = "OnFailure"
    obj["spec"]["template"]["spec"]["activeDeadlineSeconds"] = 5
    assert errors(obj) == [
        'spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported values: "Always"',
        "spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicationController is not Supported",
    ]
