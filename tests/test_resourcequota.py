"""ResourceQuota: admission refusals in upstream's words, charging, the quota controller keeping
``status.used`` current, scopes, object counts, controllers meeting the quota (FailedCreate),
kubectl get/describe, and the docs' walkthroughs (corpus manifests)."""

from __future__ import annotations

import pytest
from conftest import CORPUS_DIR  # not test_docs_corpus: that would skip the whole module
from hypothesis import given
from hypothesis import strategies as st

import kubelab as kl
from kubelab.api.resourcelist import Qty
from kubelab.errors import Forbidden

RESOURCE = CORPUS_DIR / "admin" / "resource"
needs_corpus = pytest.mark.skipif(not RESOURCE.is_dir(), reason="docs corpus absent")


def _quota(hard, name="compute-quota", ns="default", scopes=None):
    spec = {"hard": dict(hard)}
    if scopes:
        spec["scopes"] = list(scopes)
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": name, "namespace": ns},
        "spec": spec,
    }


def _pod(name, cpu="500m", memory="256Mi", limits=True, ns="default", image="nginx", **spec):
    resources = {"requests": {"cpu": cpu, "memory": memory}}
    if limits:
        resources["limits"] = {"cpu": cpu, "memory": memory}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "containers": [{"name": "nginx", "image": image, "resources": resources}],
            **spec,
        },
    }


def _deployment(name, replicas, cpu=None, ns="default"):
    container = {"name": "nginx", "image": "nginx"}
    if cpu:
        container["resources"] = {"requests": {"cpu": cpu}, "limits": {"cpu": cpu}}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [container]},
            },
        },
    }


@pytest.fixture
def c():
    return kl.Cluster(nodes=2, seed=0)


def used(c, name="compute-quota", ns="default"):
    return c.get("quota", name, ns)["status"]["used"]


def test_controller_fills_status(c):
    c.apply(_quota({"requests.cpu": "2", "pods": "10"}))
    c.run(1)
    assert c.get("quota", "compute-quota")["status"] == {
        "hard": {"requests.cpu": "2", "pods": "10"},
        "used": {"pods": "0", "requests.cpu": "0"},
    }


def test_exceeded_quota_message_verbatim(c):
    c.apply(_quota({"requests.cpu": "2"}))
    c.run(1)
    for i in range(3):
        c.apply(_pod(f"web-{i}"))
    assert used(c)["requests.cpu"] == "1500m"
    with pytest.raises(Forbidden) as err:
        c.apply(_pod("web-3", cpu="600m"))
    assert str(err.value) == (
        'Error from server (Forbidden): pods "web-3" is forbidden: exceeded quota: compute-quota, '
        "requested: requests.cpu=600m, used: requests.cpu=1500m, limited: requests.cpu=2"
    )
    # exactly at the limit is allowed
    c.apply(_pod("web-4", cpu="0.5"))
    assert used(c)["requests.cpu"] == "2"


def test_several_exceeded_resources_sorted(c):
    c.apply(_quota({"requests.memory": "1Gi", "limits.memory": "1Gi", "requests.cpu": "4"}))
    c.apply(_pod("a", memory="768Mi"))
    with pytest.raises(Forbidden) as err:
        c.apply(_pod("b", memory="512Mi"))
    assert err.value.message == (
        'pods "b" is forbidden: exceeded quota: compute-quota, '
        "requested: limits.memory=512Mi,requests.memory=512Mi, "
        "used: limits.memory=768Mi,requests.memory=768Mi, limited: limits.memory=1Gi,requests.memory=1Gi"
    )


def test_must_specify_message_verbatim(c):
    c.apply(_quota({"limits.cpu": "4", "limits.memory": "4Gi", "pods": "5"}))
    pod = _pod("web", limits=False)
    with pytest.raises(Forbidden) as err:
        c.apply(pod)
    assert err.value.message == (
        'pods "web" is forbidden: failed quota: compute-quota: '
        "must specify limits.cpu for: nginx; limits.memory for: nginx"
    )


def test_quota_created_in_the_same_apply_is_enforced(c):
    docs = [_quota({"pods": "1"}), _pod("a"), _pod("b")]
    with pytest.raises(
        Forbidden,
        match="exceeded quota: compute-quota, requested: pods=1, used: pods=1, limited: pods=1",
    ):
        c.apply({"apiVersion": "v1", "kind": "List", "items": docs})
    # all or nothing: pod "a" and the quota that refused "b" are gone with it
    assert c.list("pods") == [] and c.list("resourcequotas") == []


def test_usage_given_back_when_pods_go(c):
    c.apply(_quota({"pods": "2", "requests.cpu": "1"}))
    c.apply(_pod("a"))
    c.apply(_pod("b"))
    c.run(10)
    c.delete("pod", "a")
    c.run(60)
    assert used(c) == {"pods": "1", "requests.cpu": "500m"}
    c.apply(_pod("c"))
    assert used(c) == {"pods": "2", "requests.cpu": "1"}


def test_terminal_pods_do_not_count_but_count_pods_does(c):
    c.apply(_quota({"pods": "3", "count/pods": "10", "requests.cpu": "2"}))
    c.apply(_pod("job", image="kubelab/job", restartPolicy="Never"))
    c.apply(_pod("web"))
    c.run(5)
    assert used(c) == {"count/pods": "2", "pods": "2", "requests.cpu": "1"}
    c.run(30)
    assert c.get("pod", "job")["status"]["phase"] == "Succeeded"
    assert used(c) == {"count/pods": "2", "pods": "1", "requests.cpu": "500m"}


def test_a_pod_past_its_grace_period_counts_only_in_count_pods():
    from kubelab.api.meta import timestamp
    from kubelab.api.quota import calculate_used

    quota = {"spec": {"hard": {"pods": "3", "count/pods": "3", "requests.cpu": "2"}}}
    pod = _pod("gone")
    pod["metadata"]["deletionTimestamp"] = timestamp(10)
    used = calculate_used(quota, lambda kind: [pod] if kind == "Pod" else [], now=40.0)
    # QuotaV1Pod is false, but PodUsageFunc still charges the stored object's count
    assert {k: str(v) for k, v in used.items()} == {
        "pods": "0",
        "count/pods": "1",
        "requests.cpu": "0",
    }
    used = calculate_used(quota, lambda kind: [pod] if kind == "Pod" else [], now=5.0)
    assert str(used["pods"]) == "1" and str(used["requests.cpu"]) == "500m"


def test_hard_change_recomputes(c):
    c.apply(_quota({"pods": "5"}))
    c.apply(_pod("a"))
    c.run(1)
    c.apply(_quota({"pods": "5", "requests.memory": "1Gi"}))
    c.run(1)
    status = c.get("quota", "compute-quota")["status"]
    assert status["hard"] == {"pods": "5", "requests.memory": "1Gi"}
    assert status["used"] == {"pods": "1", "requests.memory": "256Mi"}


def test_scopes_best_effort(c):
    c.apply(_quota({"pods": "1"}, name="besteffort", scopes=["BestEffort"]))
    c.apply(_quota({"pods": "1"}, name="notbesteffort", scopes=["NotBestEffort"]))
    best = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "be"},
            "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}  # fmt: skip
    c.apply(best)
    c.apply(_pod("burst"))
    c.run(1)
    assert used(c, "besteffort") == {"pods": "1"}
    assert used(c, "notbesteffort") == {"pods": "1"}
    with pytest.raises(Forbidden, match='pods "be2" is forbidden: exceeded quota: besteffort'):
        c.apply(dict(best, metadata={"name": "be2"}))
    with pytest.raises(Forbidden, match="exceeded quota: notbesteffort"):
        c.apply(_pod("burst2"))


def test_scopes_terminating(c):
    c.apply(_quota({"pods": "1"}, name="terminating", scopes=["Terminating"]))
    c.apply(_pod("a"))
    c.apply(_pod("b"))  # not terminating: not counted
    c.apply(_pod("t1", activeDeadlineSeconds=600))
    with pytest.raises(Forbidden, match="exceeded quota: terminating"):
        c.apply(_pod("t2", activeDeadlineSeconds=600))


def test_object_counts(c):
    c.kubectl("create namespace team")  # default holds the kubernetes Service already
    hard = {"services": "1", "count/deployments.apps": "1", "configmaps": "1"}
    c.apply(_quota(hard, name="objects", ns="team"))
    c.apply(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "one", "namespace": "team"}}
    )
    with pytest.raises(Forbidden) as err:
        c.apply(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "two", "namespace": "team"},
            }
        )
    assert err.value.message == (
        'configmaps "two" is forbidden: exceeded quota: objects, requested: configmaps=1, '
        "used: configmaps=1, limited: configmaps=1"
    )
    c.apply(_deployment("web", 1, ns="team"))
    with pytest.raises(Forbidden) as err:
        c.apply(_deployment("api", 1, ns="team"))
    assert err.value.message == (
        'deployments.apps "api" is forbidden: exceeded quota: objects, '
        "requested: count/deployments.apps=1, used: count/deployments.apps=1, "
        "limited: count/deployments.apps=1"
    )
    c.run(1)
    assert used(c, "objects", "team") == {
        "configmaps": "1",
        "count/deployments.apps": "1",
        "services": "0",
    }


def test_service_types(c):
    c.apply(_quota({"services.nodeports": "0", "services.loadbalancers": "1"}, name="svc"))
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
           "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}  # fmt: skip
    c.apply(svc)  # ClusterIP: fine
    nodeport = dict(svc, metadata={"name": "np"}, spec=dict(svc["spec"], type="NodePort"))
    with pytest.raises(Forbidden) as err:
        c.apply(nodeport)
    assert err.value.message.endswith(
        "exceeded quota: svc, requested: services.nodeports=1, used: services.nodeports=0, "
        "limited: services.nodeports=0"
    )


def test_other_namespaces_unaffected(c):
    c.kubectl("create namespace team")
    c.apply(_quota({"pods": "0"}, ns="team"))
    c.apply(_pod("free"))
    with pytest.raises(Forbidden):
        c.apply(_pod("blocked", ns="team"))


def test_deployment_past_the_quota_stalls_with_failed_create(c):
    c.apply(_quota({"pods": "2"}, name="pod-demo"))
    c.apply(_deployment("web", 4))
    c.run(30)
    assert len(c.list("pods")) == 2
    rs = c.list("replicasets")[0]
    condition = next(x for x in rs["status"]["conditions"] if x["type"] == "ReplicaFailure")
    assert condition["reason"] == "FailedCreate"
    assert condition["message"].endswith(
        "is forbidden: exceeded quota: pod-demo, requested: pods=1, used: pods=2, limited: pods=2"
    )
    events = c.events
    failed = events[events.reason == "FailedCreate"]
    assert len(failed) >= 1
    assert failed.message.iloc[0].startswith(f'Error creating: pods "{rs["metadata"]["name"]}-')
    deploy = c.get("deployment", "web")
    assert any(x["type"] == "ReplicaFailure" for x in deploy["status"]["conditions"])
    # more room: the ReplicaSet creates the rest and the condition goes away
    c.apply(_quota({"pods": "4"}, name="pod-demo"))
    c.run(60)
    assert len(c.list("pods")) == 4
    rs = c.list("replicasets")[0]
    assert not any(x["type"] == "ReplicaFailure" for x in rs["status"].get("conditions") or ())


def test_dry_run_does_not_charge(c):
    c.apply(_quota({"pods": "1"}))
    c.run(1)
    c.api.create(_pod("a"), user="kubectl", dry_run=True)
    assert used(c) == {"pods": "0"}


def test_kubectl_get_and_describe_quota(c):
    c.apply(_quota({"requests.cpu": "1", "requests.memory": "1Gi", "limits.cpu": "2",
                    "limits.memory": "2Gi", "pods": "4"}))  # fmt: skip
    c.apply(_pod("web", cpu="400m", memory="600Mi"))
    c.run(60)
    assert c.kubectl("get quota").splitlines() == [
        "NAME            AGE   REQUEST                                                       LIMIT",
        "compute-quota   60s   pods: 1/4, requests.cpu: 400m/1, requests.memory: 600Mi/1Gi   "
        "limits.cpu: 400m/2, limits.memory: 600Mi/2Gi",
    ]
    assert c.kubectl("describe quota compute-quota").splitlines() == [
        "Name:            compute-quota",
        "Namespace:       default",
        "Resource         Used   Hard",
        "--------         ----   ----",
        "limits.cpu       400m   2",
        "limits.memory    600Mi  2Gi",
        "pods             1      4",
        "requests.cpu     400m   1",
        "requests.memory  600Mi  1Gi",
    ]
    ns = c.kubectl("describe namespace default")
    assert (
        "Resource Quotas\n  Name:            compute-quota\n  Resource         Used   Hard\n" in ns
    )
    assert "  --------         ---    ---\n" in ns


def test_describe_quota_scopes_help(c):
    c.apply(_quota({"pods": "3"}, name="be", scopes=["BestEffort"]))
    c.run(1)
    text = c.kubectl("describe quota be")
    assert text.splitlines()[2:4] == [
        "Scopes:     BestEffort",
        " * Matches all pods that do not have resource requirements set. "
        "These pods have a best effort quality of service.",
    ]


def test_qty_formats_like_go():
    assert [str(Qty.parse(x)) for x in ("1.5Gi", "0.5", "1000", "2", "100m", "1G", "1536Mi")] == [
        "1536Mi", "500m", "1k", "2", "100m", "1G", "1536Mi"
    ]  # fmt: skip
    assert str(Qty() + Qty.parse("512Mi") + Qty.parse("512Mi")) == "1Gi"


# -- the documentation's walkthroughs --------------------------------------------------------
@needs_corpus
def test_docs_memory_and_cpu_quota(c):
    """Configure Memory and CPU Quotas for a Namespace: the second pod is refused."""
    c.apply(str(RESOURCE / "quota-mem-cpu.yaml"))
    c.apply(str(RESOURCE / "quota-mem-cpu-pod.yaml"))
    c.run(5)
    assert used(c, "mem-cpu-demo") == {
        "limits.cpu": "800m",
        "limits.memory": "800Mi",
        "requests.cpu": "400m",
        "requests.memory": "600Mi",
    }
    with pytest.raises(Forbidden) as err:
        c.apply(str(RESOURCE / "quota-mem-cpu-pod-2.yaml"))
    assert err.value.message == (
        f'error when creating "{RESOURCE / "quota-mem-cpu-pod-2.yaml"}": pods '
        '"quota-mem-cpu-demo-2" is forbidden: exceeded quota: mem-cpu-demo, '
        "requested: requests.memory=700Mi, used: requests.memory=600Mi, limited: requests.memory=1Gi"
    )


@needs_corpus
def test_docs_pod_quota_deployment(c):
    """Configure a Pod Quota for a Namespace: a 3-replica Deployment gets 2 pods."""
    c.apply(str(RESOURCE / "quota-pod.yaml"))
    c.apply(str(RESOURCE / "quota-pod-deployment.yaml"))
    c.run(30)
    deploy = c.get("deployment", "pod-quota-demo")
    assert deploy["status"]["availableReplicas"] == 2
    failure = next(x for x in deploy["status"]["conditions"] if x["type"] == "ReplicaFailure")
    assert failure["reason"] == "FailedCreate"
    assert failure["message"].endswith(
        "is forbidden: exceeded quota: pod-demo, requested: pods=1, used: pods=2, limited: pods=2"
    )


@needs_corpus
def test_docs_object_quota(c):
    """Configure Quotas for API Objects: the second claim is refused."""
    c.apply(str(RESOURCE / "quota-objects.yaml"))
    c.apply(str(RESOURCE / "quota-objects-pvc.yaml"))
    with pytest.raises(Forbidden) as err:
        c.apply(str(RESOURCE / "quota-objects-pvc-2.yaml"))
    assert err.value.message.endswith(
        'persistentvolumeclaims "pvc-quota-demo-2" is forbidden: exceeded quota: '
        "object-quota-demo, requested: persistentvolumeclaims=1, "
        "used: persistentvolumeclaims=1, limited: persistentvolumeclaims=1"
    )
    c.run(1)
    assert used(c, "object-quota-demo") == {
        "persistentvolumeclaims": "1",
        "services.loadbalancers": "0",
        "services.nodeports": "0",
    }


def test_service_update_to_nodeport_is_charged(c):
    c.apply(_quota({"services.nodeports": "0"}, name="svc"))
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
           "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}  # fmt: skip
    c.apply(svc)
    with pytest.raises(Forbidden) as err:
        c.apply(dict(svc, spec=dict(svc["spec"], type="NodePort")))
    assert err.value.message == (
        'services "web" is forbidden: exceeded quota: svc, requested: services.nodeports=1, '
        "used: services.nodeports=0, limited: services.nodeports=0"
    )
    assert c.get("service", "web")["spec"]["type"] == "ClusterIP"


@needs_corpus
def test_docs_quota_per_priority_class(c):
    """Resource Quotas concept page: a high-priority pod is counted only by the "high" quota."""
    c.apply(str(RESOURCE / "quota-objects-priority.yaml"))
    c.apply(str(CORPUS_DIR / "policy" / "high-priority-pod.yaml"))
    c.run(2)
    assert used(c, "pods-high") == {"cpu": "500m", "memory": "10Gi", "pods": "1"}
    assert used(c, "pods-medium") == {"cpu": "0", "memory": "0", "pods": "0"}
    assert used(c, "pods-low") == {"cpu": "0", "memory": "0", "pods": "0"}


@given(
    st.integers(min_value=0, max_value=10**12),
    st.sampled_from(["", "m", "k", "M", "G", "Ki", "Mi", "Gi"]),
)
def test_qty_text_round_trips(number, suffix):
    q = Qty.parse(f"{number}{suffix}")
    text = str(q)
    assert Qty.parse(text) == q  # the canonical text is the same amount
    assert text == str(Qty.parse(text))  # and canonical text is a fixed point


def test_deployment_refused_a_replicaset_reports_it_without_looping(c):
    c.apply(_quota({"count/replicasets.apps": "0"}, name="rs"))
    c.apply(_deployment("web", 1))
    c.run(10)  # returns: the controller backs off instead of spinning at one instant
    condition = next(
        x for x in c.get("deployment", "web")["status"]["conditions"] if x["type"] == "Progressing"
    )
    assert (condition["status"], condition["reason"]) == ("False", "ReplicaSetCreateError")
    assert condition["message"].startswith('Failed to create new replica set "web-') and condition[
        "message"
    ].endswith(
        "is forbidden: exceeded quota: rs, requested: count/replicasets.apps=1, "
        "used: count/replicasets.apps=0, limited: count/replicasets.apps=0"
    )
    assert "Error from server" not in condition["message"]
    assert c.list("replicasets") == []


def test_pod_level_resources_are_what_quota_counts(c):
    c.apply(_quota({"requests.cpu": "4", "limits.memory": "1Gi"}))
    pod = _pod("p", cpu="250m", memory="64Mi")
    pod["spec"]["resources"] = {"requests": {"cpu": "1"}, "limits": {"memory": "200Mi"}}
    c.apply(pod)
    assert used(c) == {"limits.memory": "200Mi", "requests.cpu": "1"}
