"""PodDisruptionBudget status (disruption controller) and the pods/eviction subresource."""

from __future__ import annotations

import pytest

import kubelab as kl
from kubelab.api.meta import get_condition
from kubelab.errors import KubelabError, TooManyRequests

VIOLATION = "Cannot evict pod as it would violate the pod's disruption budget."


def replicaset(name="web", replicas=3, labels=None):
    labels = labels or {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]},
            },
        },
    }


def pdb(name="web", selector=None, **spec):
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": name},
        "spec": {"selector": {"matchLabels": selector or {"app": "web"}}, **spec},
    }


def budget(c, name="web"):
    st = c.get("pdb", name)["status"]
    return st["expectedPods"], st["desiredHealthy"], st["currentHealthy"], st["disruptionsAllowed"]


@pytest.fixture
def cluster():
    c = kl.Cluster(nodes=3, seed=0)
    c.apply(replicaset())
    c.run(20)
    return c


# §7.6 rows: (spec, expectedPods, desiredHealthy, currentHealthy, disruptionsAllowed)
ROWS = [
    ({"minAvailable": 2}, (3, 2, 3, 1)),
    ({"minAvailable": "50%"}, (3, 2, 3, 1)),
    ({"maxUnavailable": "50%"}, (3, 1, 3, 2)),
    ({"maxUnavailable": 1}, (3, 2, 3, 1)),
    ({"maxUnavailable": 0}, (3, 3, 3, 0)),
    ({"minAvailable": 3}, (3, 3, 3, 0)),
    ({"minAvailable": "100%"}, (3, 3, 3, 0)),
    ({"minAvailable": 0}, (3, 0, 3, 3)),
]


@pytest.mark.parametrize(("spec", "expected"), ROWS)
def test_pdb_math_rows(cluster, spec, expected):
    cluster.apply(pdb(**spec))
    cluster.run(1)
    assert budget(cluster) == expected
    st = cluster.get("pdb", "web")["status"]
    assert st["observedGeneration"] == 1
    cond = get_condition(cluster.get("pdb", "web"), "DisruptionAllowed")
    assert (cond["status"], cond["reason"]) == (
        ("True", "SufficientPods") if expected[3] else ("False", "InsufficientPods")
    )
    assert cond["message"] == ""


def test_status_follows_pods_and_scale(cluster):
    cluster.apply(pdb(maxUnavailable="50%"))
    cluster.run(1)
    cluster.kubectl("scale rs web --replicas=5")
    cluster.run(20)
    assert budget(cluster) == (5, 2, 5, 3)  # 5 - ceil(2.5)
    assert cluster.kubectl("get pdb").splitlines()[1].split()[:4] == ["web", "N/A", "50%", "3"]


def test_no_pods_event_and_safe_zero(cluster):
    cluster.apply(pdb(name="nothing", selector={"app": "none"}, minAvailable=1))
    cluster.run(1)
    assert budget(cluster, "nothing") == (0, 1, 0, 0)
    events = cluster.events
    assert "No matching pods found" in events[events.reason == "NoPods"].message.tolist()


def test_docs_zookeeper_budgets(corpus):
    c = kl.Cluster(nodes=3, seed=0)
    c.apply(replicaset("zk", 3, {"app.kubernetes.io/name": "zookeeper"}))
    c.apply(f"{corpus}/policy/zookeeper-pod-disruption-budget-minavailable.yaml")
    c.run(20)
    assert budget(c, "zk-pdb") == (3, 2, 3, 1)
    c.delete("pdb", "zk-pdb")
    c.apply(f"{corpus}/policy/zookeeper-pod-disruption-budget-maxunavailable.yaml")
    c.run(1)
    assert budget(c, "zk-pdb") == (3, 2, 3, 1)
    line = c.kubectl("get pdb zk-pdb").splitlines()[1].split()
    assert line[:4] == ["zk-pdb", "N/A", "1", "1"]


def test_unmanaged_pods_with_max_unavailable_warn():
    c = kl.Cluster(nodes=1, seed=0)
    c.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "bare", "labels": {"app": "web"}},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]},
        }
    )
    c.apply(pdb(maxUnavailable=1))
    c.run(10)
    events = c.events
    assert (events.reason == "UnmanagedPods").any()
    assert budget(c) == (0, 0, 1, 0)  # nothing expected: no disruption allowed


def test_eviction_decrements_and_records_the_pod(cluster):
    cluster.apply(pdb(minAvailable=2))
    cluster.run(1)
    victim = cluster.list("pods")[0]["metadata"]["name"]
    cluster.api.client("kubectl").evict(victim)
    st = cluster.get("pdb", "web")["status"]
    assert st["disruptionsAllowed"] == 0
    assert list(st["disruptedPods"]) == [victim]
    assert (
        get_condition(cluster.get("pdb", "web"), "DisruptionAllowed")["reason"]
        == "InsufficientPods"
    )
    pod = cluster.get("pod", victim)
    assert pod["metadata"]["deletionTimestamp"]
    cond = get_condition(pod, "DisruptionTarget")
    assert (cond["status"], cond["reason"], cond["message"]) == (
        "True",
        "EvictionByEvictionAPI",
        "Eviction API: evicting",
    )
    # The next healthy pod is refused until the replacement is Ready.
    other = next(
        p["metadata"]["name"] for p in cluster.list("pods") if p["metadata"]["name"] != victim
    )
    with pytest.raises(TooManyRequests) as refused:
        cluster.api.client("kubectl").evict(other)
    assert refused.value.code == 429
    assert str(refused.value) == f"Error from server (TooManyRequests): {VIOLATION}"
    cluster.run(30)
    assert budget(cluster)[3] == 1
    assert "disruptedPods" not in cluster.get("pdb", "web")["status"]
    cluster.api.client("kubectl").evict(other)


def test_eviction_refused_when_no_disruption_allowed(cluster):
    cluster.apply(pdb(minAvailable=3))
    cluster.run(1)
    name = cluster.list("pods")[0]["metadata"]["name"]
    with pytest.raises(TooManyRequests, match="violate the pod's disruption budget"):
        cluster.api.client("kubectl").evict(name)
    assert not cluster.get("pod", name)["metadata"].get("deletionTimestamp")


def test_eviction_before_the_controller_saw_the_budget_is_refused(cluster):
    cluster.apply(pdb(minAvailable=1))  # no run: status not written yet
    name = cluster.list("pods")[0]["metadata"]["name"]
    with pytest.raises(TooManyRequests):
        cluster.api.client("kubectl").evict(name)


def test_more_than_one_budget_is_an_internal_error(cluster):
    cluster.apply(pdb("a", minAvailable=1))
    cluster.apply(pdb("b", maxUnavailable=1))
    cluster.run(1)
    name = cluster.list("pods")[0]["metadata"]["name"]
    with pytest.raises(KubelabError) as error:
        cluster.api.client("kubectl").evict(name)
    assert error.value.code == 500
    assert error.value.message == (
        "This pod has more than one PodDisruptionBudget, which the eviction subresource does "
        "not support."
    )


def _make_unready(c, name):
    live = c.api.get("Pod", name)
    conds = [
        dict(x, status="False") if x["type"] == "Ready" else x for x in live["status"]["conditions"]
    ]
    c.api.update(
        dict(live, status=dict(live["status"], conditions=conds)), user="test", subresource="status"
    )


def test_unhealthy_pods_if_healthy_budget_and_always_allow(cluster):
    cluster.apply(pdb(minAvailable=3))
    cluster.run(1)
    names = [p["metadata"]["name"] for p in cluster.list("pods")]
    _make_unready(cluster, names[0])
    cluster.run(0.01)  # the disruption controller sees 2 healthy of 3
    assert budget(cluster)[2] == 2
    # IfHealthyBudget: budget not healthy (2 < 3) → the unready pod is protected too.
    with pytest.raises(TooManyRequests):
        cluster.api.client("kubectl").evict(names[0])
    cluster.apply(pdb(minAvailable=3, unhealthyPodEvictionPolicy="AlwaysAllow"))
    cluster.api.client("kubectl").evict(names[0])
    assert cluster.get("pod", names[0])["metadata"]["deletionTimestamp"]


def test_unready_pod_goes_when_budget_is_healthy(cluster):
    cluster.apply(pdb(minAvailable=1))
    cluster.run(1)
    name = cluster.list("pods")[0]["metadata"]["name"]
    _make_unready(cluster, name)
    cluster.api.client("kubectl").evict(name)
    st = cluster.get("pdb", "web")["status"]
    assert "disruptedPods" not in st  # no disruption taken from the budget


def test_plain_delete_ignores_the_budget(cluster):
    cluster.apply(pdb(maxUnavailable=0))
    cluster.run(1)
    name = cluster.list("pods")[0]["metadata"]["name"]
    cluster.delete("pod", name)
    assert cluster.get("pod", name)["metadata"]["deletionTimestamp"]


def test_daemonset_pods_with_percent_budget_fail_safe():
    c = kl.Cluster(nodes=2, seed=0)
    c.apply(
        {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": {"name": "agent"},
            "spec": {
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "c", "image": "agent"}]},
                },
            },
        }
    )
    c.apply(pdb(maxUnavailable="50%"))
    c.run(20)
    cond = get_condition(c.get("pdb", "web"), "DisruptionAllowed")
    assert (cond["status"], cond["reason"]) == ("False", "SyncFailed")
    assert cond["message"] == "daemonsets.apps does not implement the scale subresource"
    assert c.get("pdb", "web")["status"]["disruptionsAllowed"] == 0
