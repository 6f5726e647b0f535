"""LimitRanger admission: defaults injected into pods, min/max/ratio refusals in upstream's words,
Pod and PersistentVolumeClaim limit types, and the docs' walkthroughs (corpus manifests)."""

from __future__ import annotations

import pytest
from conftest import CORPUS_DIR  # not test_docs_corpus: that would skip the whole module

import kubelab as kl
from kubelab.apiserver.limitranger import aggregate_message, claim_violations, pod_violations
from kubelab.errors import Forbidden

RESOURCE = CORPUS_DIR / "admin" / "resource"
needs_corpus = pytest.mark.skipif(not RESOURCE.is_dir(), reason="docs corpus absent")


def _pod(name="web", containers=None, ns="default"):
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"containers": containers or [{"name": "nginx", "image": "nginx"}]},
    }


def _lr(*items, name="limits", ns="default"):
    return {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"limits": list(items)},
    }


@pytest.fixture
def c():
    return kl.Cluster(nodes=1, seed=0)


def _resources(c, name="web", i=0, ns="default"):
    return c.get("pod", name, ns)["spec"]["containers"][i]["resources"]


def test_defaults_injected_with_annotation(c):
    c.apply(
        _lr(
            {
                "type": "Container",
                "default": {"cpu": "500m", "memory": "256Mi"},
                "defaultRequest": {"cpu": "0.25"},
            }
        )
    )
    c.apply(_pod())
    pod = c.get("pod", "web")
    assert pod["spec"]["containers"][0]["resources"] == {
        "limits": {"cpu": "500m", "memory": "256Mi"},
        "requests": {"cpu": "250m", "memory": "256Mi"},  # memory: defaultRequest ← default
    }
    assert pod["metadata"]["annotations"]["kubernetes.io/limit-ranger"] == (
        "LimitRanger plugin set: cpu, memory request for container nginx; "
        "cpu, memory limit for container nginx"
    )
    assert pod["status"]["qosClass"] == "Burstable"


def test_only_missing_values_are_defaulted(c):
    c.apply(_lr({"type": "Container", "default": {"cpu": "1"}, "defaultRequest": {"cpu": "500m"}}))
    c.apply(
        _pod(
            containers=[{"name": "a", "image": "nginx", "resources": {"requests": {"cpu": "100m"}}}]
        )
    )
    assert _resources(c) == {"limits": {"cpu": "1"}, "requests": {"cpu": "100m"}}
    annotation = c.get("pod", "web")["metadata"]["annotations"]["kubernetes.io/limit-ranger"]
    assert annotation == "LimitRanger plugin set: cpu limit for container a"


def test_init_containers_are_defaulted_too(c):
    c.apply(_lr({"type": "Container", "default": {"memory": "128Mi"}}))
    pod = _pod()
    pod["spec"]["initContainers"] = [{"name": "setup", "image": "busybox"}]
    c.apply(pod)
    annotation = c.get("pod", "web")["metadata"]["annotations"]["kubernetes.io/limit-ranger"]
    assert annotation == (
        "LimitRanger plugin set: memory request for container nginx; memory limit for container "
        "nginx; memory request for init container setup; memory limit for init container setup"
    )


def test_no_limitrange_no_change(c):
    c.apply(_pod())
    pod = c.get("pod", "web")
    assert "annotations" not in pod["metadata"] or "kubernetes.io/limit-ranger" not in pod[
        "metadata"
    ].get("annotations", {})
    assert pod["status"]["qosClass"] == "BestEffort"


def test_other_namespaces_are_not_affected(c):
    c.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}})
    c.apply(_lr({"type": "Container", "default": {"cpu": "1"}}, ns="team"))
    c.apply(_pod())
    c.apply(_pod(ns="team"))
    assert _resources(c, ns="team")["limits"] == {"cpu": "1"}
    assert "resources" not in c.get("pod", "web")["spec"]["containers"][0]


def test_min_and_max_refusal_lists_every_violation(c):
    c.apply(_lr({"type": "Container", "min": {"cpu": "100m"}, "max": {"memory": "1Gi"}}))
    bad = _pod(
        "x",
        [
            {
                "name": "nginx",
                "image": "nginx",
                "resources": {"requests": {"cpu": "50m"}, "limits": {"cpu": "1", "memory": "2Gi"}},
            }
        ],
    )
    with pytest.raises(Forbidden) as err:
        c.apply(bad)
    assert str(err.value) == (
        'Error from server (Forbidden): pods "x" is forbidden: [minimum cpu usage per Container '
        "is 100m, but request is 50m, maximum memory usage per Container is 1Gi, but limit is 2Gi]"
    )
    assert c.list("pods") == []


def test_single_violation_has_no_brackets():
    lr = _lr({"type": "Container", "max": {"cpu": "800m"}})
    pod = _pod(containers=[{"name": "a", "resources": {"limits": {"cpu": "1.5"}}}])
    assert aggregate_message(pod_violations(lr, pod)) == (
        "maximum cpu usage per Container is 800m, but limit is 1500m"
    )
    no_limit = _pod(containers=[{"name": "a"}])
    assert pod_violations(lr, no_limit) == [
        "maximum cpu usage per Container is 800m.  No limit is specified"
    ]


def test_min_without_request():
    lr = _lr({"type": "Container", "min": {"memory": "500Mi"}})
    assert pod_violations(lr, _pod(containers=[{"name": "a"}])) == [
        "minimum memory usage per Container is 500Mi.  No request is specified"
    ]


def test_max_limit_request_ratio(c):
    c.apply(_lr({"type": "Container", "maxLimitRequestRatio": {"memory": "2"}}))
    ok = {"requests": {"memory": "100Mi"}, "limits": {"memory": "200Mi"}}
    c.apply(_pod("ok", [{"name": "a", "image": "nginx", "resources": ok}]))
    bad = {"requests": {"memory": "100Mi"}, "limits": {"memory": "300Mi"}}
    with pytest.raises(
        Forbidden,
        match=r"memory max limit to request ratio per Container is 2, "
        r"but provided ratio is 3\.000000$",
    ):
        c.apply(_pod("bad", [{"name": "a", "image": "nginx", "resources": bad}]))


def test_pod_type_sums_containers():
    lr = _lr({"type": "Pod", "max": {"cpu": "2", "memory": "2Gi"}})
    containers = [
        {"name": f"c{i}", "resources": {"limits": {"cpu": "700m", "memory": "900Mi"}}}
        for i in range(3)
    ]
    assert aggregate_message(pod_violations(lr, _pod(containers=containers))) == (
        "[maximum cpu usage per Pod is 2, but limit is 2100m, "
        "maximum memory usage per Pod is 2Gi, but limit is 2700Mi]"
    )


def test_claims_min_and_max():
    lr = _lr(
        {"type": "PersistentVolumeClaim", "min": {"storage": "1Gi"}, "max": {"storage": "2Gi"}}
    )

    def claim(size):
        return {
            "kind": "PersistentVolumeClaim",
            "spec": {"resources": {"requests": {"storage": size}}},
        }

    assert claim_violations(lr, claim("5Gi")) == [
        "maximum storage usage per PersistentVolumeClaim is 2Gi, but request is 5Gi"
    ]
    assert claim_violations(lr, claim("500Mi")) == [
        "minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi"
    ]
    assert claim_violations(lr, claim("1536Mi")) == []


def test_dry_run_of_a_refused_pod_changes_nothing(c):
    c.apply(_lr({"type": "Container", "max": {"cpu": "1"}}))
    bad = _pod(containers=[{"name": "a", "image": "nginx", "resources": {"limits": {"cpu": "2"}}}])
    with pytest.raises(Forbidden):
        c.api.create(bad, user="kubectl", dry_run=True)
    assert c.list("pods") == []


def test_deployment_pods_get_defaults(c):
    c.apply(_lr({"type": "Container", "default": {"cpu": "200m", "memory": "64Mi"}}))
    c.apply(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "nginx", "image": "nginx"}]},
                },
            },
        }
    )
    c.run(10)
    pods = c.list("pods")
    assert len(pods) == 2
    for pod in pods:
        res = pod["spec"]["containers"][0]["resources"]
        assert res == {
            "limits": {"cpu": "200m", "memory": "64Mi"},
            "requests": {"cpu": "200m", "memory": "64Mi"},
        }
        assert pod["status"]["qosClass"] == "Guaranteed"
    # the template itself is untouched: defaults belong to pods
    template = c.get("deployment", "web")["spec"]["template"]["spec"]["containers"][0]
    assert "resources" not in template or not template["resources"]


# -- the documentation's walkthroughs --------------------------------------------------------
def _file(name):
    return str(RESOURCE / name)


@needs_corpus
def test_docs_default_memory_requests_and_limits(c):
    """Configure Default Memory Requests and Limits for a Namespace."""
    ns = "default-mem-example"  # the LimitRange's manifest names it; the pods go there with -n
    c.kubectl(f"create namespace {ns}")
    c.apply(_file("memory-defaults.yaml"))
    for name in (
        "memory-defaults-pod.yaml",
        "memory-defaults-pod-2.yaml",
        "memory-defaults-pod-3.yaml",
    ):
        assert "created" in c.kubectl(f"apply -f {_file(name)} -n {ns}")
    assert _resources(c, "default-mem-demo", ns=ns) == {
        "limits": {"memory": "512Mi"},
        "requests": {"memory": "256Mi"},
    }
    assert _resources(c, "default-mem-demo-2", ns=ns) == {  # a limit only: request = limit
        "limits": {"memory": "1Gi"},
        "requests": {"memory": "1Gi"},
    }
    assert _resources(c, "default-mem-demo-3", ns=ns) == {  # a request only: the default limit
        "limits": {"memory": "512Mi"},
        "requests": {"memory": "128Mi"},
    }


@needs_corpus
def test_docs_default_cpu_requests_and_limits(c):
    """Configure Default CPU Requests and Limits for a Namespace."""
    c.apply(_file("cpu-defaults.yaml"))
    c.apply(_file("cpu-defaults-pod.yaml"))
    assert _resources(c, "default-cpu-demo") == {
        "limits": {"cpu": "1"},
        "requests": {"cpu": "500m"},
    }


@needs_corpus
def test_docs_memory_constraints(c):
    """Configure Minimum and Maximum Memory Constraints for a Namespace."""
    c.apply(_file("memory-constraints.yaml"))
    lr = c.get("limitrange", "mem-min-max-demo-lr")["spec"]["limits"][0]
    assert lr["default"] == {"memory": "1Gi"} and lr["defaultRequest"] == {"memory": "1Gi"}
    c.apply(_file("memory-constraints-pod.yaml"))
    with pytest.raises(Forbidden) as err:
        c.apply(_file("memory-constraints-pod-2.yaml"))
    assert err.value.message.endswith(
        'pods "constraints-mem-demo-2" is forbidden: '
        "maximum memory usage per Container is 1Gi, but limit is 1536Mi"
    )
    assert "error when creating" in err.value.message
    with pytest.raises(Forbidden) as err:
        c.apply(_file("memory-constraints-pod-3.yaml"))
    assert err.value.message.endswith(
        'pods "constraints-mem-demo-3" is forbidden: '
        "minimum memory usage per Container is 500Mi, but request is 100Mi"
    )
    c.apply(_file("memory-constraints-pod-4.yaml"))  # no resources: gets the LimitRange's
    assert _resources(c, "constraints-mem-demo-4") == {
        "limits": {"memory": "1Gi"},
        "requests": {"memory": "1Gi"},
    }


@needs_corpus
def test_docs_cpu_constraints(c):
    """Configure Minimum and Maximum CPU Constraints for a Namespace."""
    c.apply(_file("cpu-constraints.yaml"))
    c.apply(_file("cpu-constraints-pod.yaml"))
    with pytest.raises(Forbidden) as err:
        c.apply(_file("cpu-constraints-pod-2.yaml"))
    assert err.value.message.endswith(
        'pods "constraints-cpu-demo-2" is forbidden: '
        "maximum cpu usage per Container is 800m, but limit is 1500m"
    )
    with pytest.raises(Forbidden) as err:
        c.apply(_file("cpu-constraints-pod-3.yaml"))
    assert err.value.message.endswith(
        'pods "constraints-cpu-demo-3" is forbidden: '
        "minimum cpu usage per Container is 200m, but request is 100m"
    )


@needs_corpus
def test_docs_storage_limits(c):
    """Limit Storage Consumption: claims outside [1Gi, 2Gi] are refused."""
    c.apply(_file("storagelimits.yaml"))
    with pytest.raises(Forbidden) as err:
        c.apply(_file("pvc-limit-greater.yaml"))
    assert err.value.message.endswith(
        'persistentvolumeclaims "pvc-limit-greater" is forbidden: '
        "maximum storage usage per PersistentVolumeClaim is 2Gi, but request is 5Gi"
    )
    with pytest.raises(Forbidden) as err:
        c.apply(_file("pvc-limit-lower.yaml"))
    assert err.value.message.endswith(
        "minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi"
    )


@needs_corpus
def test_docs_limit_range_concept_pod_limits(c):
    """Limit Ranges concept page: container defaults, then the per-Pod maximum refuses busybox2."""
    c.apply(_file("limit-mem-cpu-container.yaml"))
    c.apply(_file("limit-range-pod-1.yaml"))
    containers = c.get("pod", "busybox1")["spec"]["containers"]
    assert containers[1]["resources"]["limits"] == {"cpu": "700m", "memory": "900Mi"}
    assert containers[2]["resources"]["requests"] == {"cpu": "500m", "memory": "200Mi"}
    assert containers[3]["resources"] == {
        "limits": {"cpu": "700m", "memory": "900Mi"},
        "requests": {"cpu": "110m", "memory": "111Mi"},
    }
    c.apply(_file("limit-mem-cpu-pod.yaml"))
    with pytest.raises(Forbidden) as err:
        c.apply(_file("limit-range-pod-2.yaml"))
    assert err.value.message.endswith(
        'pods "busybox2" is forbidden: [maximum cpu usage per Pod is 2, but limit is 2400m, '
        "maximum memory usage per Pod is 2Gi, but limit is 2200Mi]"
    )
    c.apply(_file("limit-memory-ratio-pod.yaml"))
    with pytest.raises(Forbidden) as err:
        c.apply(_file("limit-range-pod-3.yaml"))
    assert err.value.message.endswith(
        'pods "busybox3" is forbidden: memory max limit to request ratio per Pod is 2, '
        "but provided ratio is 3.000000"
    )


def test_describe_limitrange_table(c):
    c.apply(
        _lr(
            {
                "type": "Container",
                "min": {"cpu": "100m"},
                "max": {"cpu": "1", "memory": "1Gi"},
                "default": {"cpu": "500m"},
                "defaultRequest": {"cpu": "200m"},
                "maxLimitRequestRatio": {"cpu": "4"},
            }
        )
    )
    text = c.kubectl("describe limitrange limits")
    assert text.splitlines() == [
        "Name:       limits",
        "Namespace:  default",
        "Type        Resource  Min   Max  Default Request  Default Limit  Max Limit/Request Ratio",
        "----        --------  ---   ---  ---------------  -------------  -----------------------",
        "Container   cpu       100m  1    200m             500m           4",
        "Container   memory    -     1Gi  1Gi              1Gi            -",
    ]
    ns = c.kubectl("describe namespace default")
    assert "Resource Limits\n Type       Resource" in ns
    assert " Container  memory    -     1Gi" in ns
    assert "No resource quota." in ns
    got = c.kubectl("get limitrange")
    assert got.splitlines() == ["NAME     CREATED AT", "limits   2025-01-01T00:00:00Z"]


@needs_corpus
def test_docs_default_limit_below_the_request_is_invalid(c):
    """Limit Ranges concept page: a default limit of 500m conflicts with a 700m request."""
    import yaml

    from kubelab.errors import Invalid

    folder = CORPUS_DIR / "concepts" / "policy" / "limit-range"
    lr = yaml.safe_load((folder / "problematic-limit-range.yaml").read_text())
    lr["spec"]["limits"][0]["type"] = "Container"  # the docs' file omits it (see test_docs_corpus)
    c.apply(lr)
    with pytest.raises(Invalid) as err:
        c.apply(str(folder / "example-conflict-with-limitrange-cpu.yaml"))
    assert str(err.value) == (
        'The Pod "example-conflict-with-limitrange-cpu" is invalid: spec.containers[0].resources.'
        'requests: Invalid value: "700m": must be less than or equal to cpu limit of 500m'
    )
    c.apply(str(folder / "example-no-conflict-with-limitrange-cpu.yaml"))
    assert _resources(c, "example-no-conflict-with-limitrange-cpu") == {
        "requests": {"cpu": "700m"},
        "limits": {"cpu": "700m"},
    }
