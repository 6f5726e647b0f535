"""The DaemonSet controller on a whole simulated cluster (``pkg/controller/daemon``)."""

from __future__ import annotations

import copy

import pytest

import kubelab as kl
from kubelab.api.meta import cow
from kubelab.controllers.daemonset_update import (
    CONTROLLER_REVISION_HASH,
    get_target_node_name,
    plan_rolling_update,
)


def daemonset(name="agent", image="agent:1", **spec):
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": name},
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "c", "image": image}]},
            },
            **spec,
        },
    }


def pods_by_node(c, app="agent", namespace="default", active=True):
    out = {}
    for pod in c.list("pods", namespace, selector=f"app={app}"):
        if active and pod["metadata"].get("deletionTimestamp"):
            continue
        out.setdefault(get_target_node_name(pod), []).append(pod)
    return out


def status(c, name="agent", namespace="default"):
    return c.get("daemonset", name, namespace)["status"]


@pytest.fixture
def cluster():
    c = kl.Cluster(nodes=3, seed=0)
    c.apply(daemonset())
    c.run(20)
    return c


def test_one_pod_per_node_with_tolerations_affinity_and_labels(cluster):
    by_node = pods_by_node(cluster)
    assert sorted(by_node) == ["node-1", "node-2", "node-3"]
    assert all(len(p) == 1 for p in by_node.values())
    pod = by_node["node-2"][0]
    assert pod["spec"]["nodeName"] == "node-2"  # bound by the default scheduler
    assert pod["spec"]["affinity"]["nodeAffinity"] == {
        "requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [
                {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["node-2"]}]}
            ]
        }
    }
    tolerations = [
        (t["key"], t["effect"], t.get("tolerationSeconds")) for t in pod["spec"]["tolerations"]
    ]
    assert tolerations == [
        ("node.kubernetes.io/not-ready", "NoExecute", None),
        ("node.kubernetes.io/unreachable", "NoExecute", None),
        ("node.kubernetes.io/disk-pressure", "NoSchedule", None),
        ("node.kubernetes.io/memory-pressure", "NoSchedule", None),
        ("node.kubernetes.io/pid-pressure", "NoSchedule", None),
        ("node.kubernetes.io/unschedulable", "NoSchedule", None),
    ]
    (rev,) = cluster.list("controllerrevisions")
    hash_ = rev["metadata"]["labels"][CONTROLLER_REVISION_HASH]
    assert rev["metadata"]["name"] == f"agent-{hash_}" and rev["revision"] == 1
    assert pod["metadata"]["labels"] == {
        "app": "agent",
        CONTROLLER_REVISION_HASH: hash_,
        "pod-template-generation": "1",
    }
    assert status(cluster) == {
        "currentNumberScheduled": 3,
        "numberMisscheduled": 0,
        "desiredNumberScheduled": 3,
        "numberReady": 3,
        "observedGeneration": 1,
        "updatedNumberScheduled": 3,
        "numberAvailable": 3,
    }
    events = cluster.events
    created = events[(events.reason == "SuccessfulCreate") & (events.name == "agent")]
    assert len(created) == 3
    assert created.message.str.startswith("Created pod: agent-").all()
    table = cluster.kubectl("get ds")
    assert table.splitlines()[1].split()[:6] == ["agent", "3", "3", "3", "3", "3"]


def test_follows_nodes_joining_and_leaving(cluster):
    cluster.add_node("node-4")
    cluster.run(10)
    assert sorted(pods_by_node(cluster)) == ["node-1", "node-2", "node-3", "node-4"]
    assert status(cluster)["desiredNumberScheduled"] == 4
    cluster.remove_node("node-1")
    cluster.run(120)  # pod GC removes pods bound to deleted nodes
    assert sorted(pods_by_node(cluster)) == ["node-2", "node-3", "node-4"]
    assert status(cluster)["desiredNumberScheduled"] == 3
    assert status(cluster)["numberAvailable"] == 3


def test_node_selector_and_relabelling():
    c = kl.Cluster(nodes=3, seed=1)
    c.kubectl("label node node-1 disk=ssd")
    ds = daemonset()
    ds["spec"]["template"]["spec"]["nodeSelector"] = {"disk": "ssd"}
    c.apply(ds)
    c.run(10)
    assert sorted(pods_by_node(c)) == ["node-1"]
    c.kubectl("label node node-3 disk=ssd")
    c.run(10)
    assert sorted(pods_by_node(c)) == ["node-1", "node-3"]
    c.kubectl("label node node-1 disk-")
    c.run(40)
    assert sorted(pods_by_node(c)) == ["node-3"]
    assert status(c)["desiredNumberScheduled"] == 1
    assert "disk=ssd" in c.kubectl("get ds agent")


def _taint(c, node, key, effect):
    live = c.api.get("Node", node)
    new, spec = cow(live, "spec")
    spec["taints"] = [*(spec.get("taints") or []), {"key": key, "effect": effect}]
    c.api.update(new, user="test")


def test_taints_noschedule_noexecute_prefernoschedule():
    nodes = [
        {"kind": "Node", "metadata": {"name": "plain"}},
        {
            "kind": "Node",
            "metadata": {"name": "soft"},
            "spec": {"taints": [{"key": "x", "effect": "PreferNoSchedule"}]},
        },
        {
            "kind": "Node",
            "metadata": {"name": "hard"},
            "spec": {"taints": [{"key": "x", "effect": "NoSchedule"}]},
        },
    ]
    c = kl.Cluster(nodes=nodes, seed=0)
    c.apply(daemonset())
    c.run(15)
    assert sorted(pods_by_node(c)) == ["plain", "soft"]  # PreferNoSchedule ignored
    _taint(c, "plain", "y", "NoSchedule")
    c.run(15)
    assert sorted(pods_by_node(c)) == ["plain", "soft"]  # keeps running
    assert status(c)["desiredNumberScheduled"] == 1
    assert status(c)["numberMisscheduled"] == 1
    _taint(c, "soft", "z", "NoExecute")
    c.run(40)
    assert sorted(pods_by_node(c)) == ["plain"]


def test_template_tolerations_let_pods_onto_tainted_nodes(corpus):
    nodes = [
        {
            "kind": "Node",
            "metadata": {"name": "cp"},
            "spec": {"taints": [{"key": "node-role.kubernetes.io/master", "effect": "NoSchedule"}]},
        },
        {"kind": "Node", "metadata": {"name": "w"}},
    ]
    c = kl.Cluster(nodes=nodes, seed=0)
    c.apply(f"{corpus}/controllers/daemonset.yaml")
    c.run(20)
    by_node = pods_by_node(c, "fluentd-elasticsearch", "kube-system")
    by_node = {}
    for pod in c.list("pods", "kube-system"):
        by_node[pod["spec"]["nodeName"]] = pod
    assert sorted(by_node) == ["cp", "w"]
    assert by_node["cp"]["status"]["phase"] == "Running"
    assert by_node["cp"]["spec"]["tolerations"][0] == {
        "key": "node-role.kubernetes.io/master",
        "effect": "NoSchedule",
    }


def test_cordoned_nodes_still_get_daemon_pods():
    c = kl.Cluster(nodes=2, seed=0)
    assert c.kubectl("cordon node-2") == "node/node-2 cordoned"
    c.apply(daemonset())
    c.run(20)
    by_node = pods_by_node(c)
    assert sorted(by_node) == ["node-1", "node-2"]
    assert by_node["node-2"][0]["status"]["phase"] == "Running"


def test_docs_example_fluentd_in_kube_system(corpus):
    c = kl.Cluster(nodes=3, seed=0)
    c.apply(f"{corpus}/controllers/daemonset.yaml")
    c.run(30)
    out = c.kubectl("get ds -n kube-system").splitlines()
    assert out[1].split()[:7] == ["fluentd-elasticsearch", "3", "3", "3", "3", "3", "<none>"]
    pods = c.list("pods", "kube-system")
    assert len(pods) == 3 and {p["spec"]["nodeName"] for p in pods} == {
        "node-1",
        "node-2",
        "node-3",
    }
    assert all(p["metadata"]["generateName"] == "fluentd-elasticsearch-" for p in pods)
    # The documented update: apply the new manifest, the pods roll one node at a time.
    c.apply(f"{corpus}/controllers/fluentd-daemonset-update.yaml")
    c.run(200)
    pods = [p for p in c.list("pods", "kube-system") if not p["metadata"].get("deletionTimestamp")]
    assert {p["spec"]["containers"][0]["image"] for p in pods} == {
        "quay.io/fluentd_elasticsearch/fluentd:v2.5.2"
    }
    assert len(pods) == 3
    assert len(c.list("controllerrevisions", "kube-system")) == 2
    assert status(c, "fluentd-elasticsearch", "kube-system")["updatedNumberScheduled"] == 3


def _unavailable_watch(c, app="agent"):
    """Record, after every pod write, how many nodes lack a ready daemon pod."""
    seen = []
    nodes = [n["metadata"]["name"] for n in c.list("nodes")]

    def on_event(_type, _obj, _old):
        ready_nodes = set()
        for pod in c.api.store.list("Pod", "default"):
            if (pod["metadata"].get("labels") or {}).get("app") != app:
                continue
            conds = {
                x["type"]: x["status"] for x in (pod.get("status") or {}).get("conditions") or ()
            }
            if conds.get("Ready") == "True" and not pod["metadata"].get("deletionTimestamp"):
                ready_nodes.add(pod["spec"].get("nodeName"))
        seen.append((c.now, len(set(nodes) - ready_nodes)))

    c.api.store.watch("Pod", on_event)
    return seen


def test_rolling_update_replaces_one_node_at_a_time(cluster):
    seen = _unavailable_watch(cluster)
    old_hash = pods_by_node(cluster)["node-1"][0]["metadata"]["labels"][CONTROLLER_REVISION_HASH]
    cluster.apply(daemonset(image="agent:2"))
    cluster.run(300)
    assert max(n for _, n in seen) == 1  # maxUnavailable 1: never two nodes without a pod
    by_node = pods_by_node(cluster)
    assert all(len(p) == 1 for p in by_node.values()) and len(by_node) == 3
    new_hashes = {p[0]["metadata"]["labels"][CONTROLLER_REVISION_HASH] for p in by_node.values()}
    assert len(new_hashes) == 1 and old_hash not in new_hashes
    assert {p[0]["metadata"]["labels"]["pod-template-generation"] for p in by_node.values()} == {
        "2"
    }
    assert status(cluster)["updatedNumberScheduled"] == 3
    assert status(cluster)["observedGeneration"] == 2
    revs = sorted(r["revision"] for r in cluster.list("controllerrevisions"))
    assert revs == [1, 2]
    # Times when some node was unavailable come in three separate stretches, one per node.
    stretches, previous = 0, 0
    for _, n in seen:
        stretches += n == 1 and previous == 0
        previous = n
    assert stretches == 3


def test_rolling_update_max_unavailable_two():
    c = kl.Cluster(nodes=4, seed=0)
    c.apply(
        daemonset(updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 2}})
    )
    c.run(20)
    seen = _unavailable_watch(c)
    c.apply(
        daemonset(
            image="agent:2",
            updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 2}},
        )
    )
    c.run(200)
    assert max(n for _, n in seen) == 2
    assert status(c)["updatedNumberScheduled"] == 4


def test_on_delete_waits_for_the_user():
    c = kl.Cluster(nodes=2, seed=0)
    c.apply(daemonset(updateStrategy={"type": "OnDelete"}))
    c.run(20)
    c.apply(daemonset(image="agent:2", updateStrategy={"type": "OnDelete"}))
    c.run(60)
    images = {n: p[0]["spec"]["containers"][0]["image"] for n, p in pods_by_node(c).items()}
    assert images == {"node-1": "agent:1", "node-2": "agent:1"}
    assert status(c).get("updatedNumberScheduled", 0) == 0
    victim = pods_by_node(c)["node-1"][0]["metadata"]["name"]
    c.delete("pod", victim)
    c.run(60)
    images = {n: p[0]["spec"]["containers"][0]["image"] for n, p in pods_by_node(c).items()}
    assert images == {"node-1": "agent:2", "node-2": "agent:1"}
    assert status(c)["updatedNumberScheduled"] == 1


def test_failed_daemon_pod_is_replaced_with_an_event(cluster):
    pod = pods_by_node(cluster)["node-1"][0]
    live = cluster.api.get("Pod", pod["metadata"]["name"])
    cluster.api.update(
        dict(live, status=dict(live["status"], phase="Failed")), user="test", subresource="status"
    )
    cluster.run(20)
    events = cluster.events
    failed = events[events.reason == "FailedDaemonPod"]
    assert failed.message.tolist() == [
        f"Found failed daemon pod default/{pod['metadata']['name']} on node node-1, will try to kill it"
    ]
    (replacement,) = pods_by_node(cluster)["node-1"]
    assert replacement["metadata"]["name"] != pod["metadata"]["name"]
    assert replacement["status"]["phase"] == "Running"
    deleted = events[(events.reason == "SuccessfulDelete") & (events.name == "agent")]
    assert deleted.message.tolist() == [f"Deleted pod: {pod['metadata']['name']}"]


def test_extra_pod_on_a_node_is_removed_keeping_the_oldest(cluster):
    (oldest,) = pods_by_node(cluster)["node-1"]
    cluster.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "intruder", "labels": {"app": "agent"}},
            "spec": {"nodeName": "node-1", "containers": [{"name": "c", "image": "agent:1"}]},
        }
    )
    cluster.run(40)
    (kept,) = pods_by_node(cluster)["node-1"]
    assert kept["metadata"]["name"] == oldest["metadata"]["name"]
    with pytest.raises(kl.NotFound):
        cluster.get("pod", "intruder")


def test_status_and_history_after_delete_of_daemonset(cluster):
    cluster.delete("daemonset", "agent")
    cluster.run(60)
    assert cluster.list("pods") == []
    assert cluster.list("controllerrevisions") == []


def _pod(name, node, hash_, ready=True):
    conds = [
        {
            "type": "Ready",
            "status": "True" if ready else "False",
            "lastTransitionTime": "2025-01-01T00:00:00Z",
        }
    ]
    return {
        "metadata": {
            "name": name,
            "labels": {CONTROLLER_REVISION_HASH: hash_},
            "creationTimestamp": "2025-01-01T00:00:00Z",
        },
        "spec": {"nodeName": node},
        "status": {"phase": "Running", "conditions": conds},
    }


@pytest.mark.parametrize(
    ("max_unavailable", "expected"),
    [(1, 1), ("10%", 1), ("40%", 2), ("100%", 5), (0, 1)],
)
def test_plan_rolling_update_percent_rounds_up(max_unavailable, expected):
    ds = {
        "spec": {
            "updateStrategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": max_unavailable, "maxSurge": 0},
            }
        }
    }
    nodes = [f"n{i}" for i in range(5)]
    pods = {n: [_pod(f"p{n}", n, "old")] for n in nodes}
    delete, create = plan_rolling_update(
        copy.deepcopy(ds), pods, dict.fromkeys(nodes, True), "new", None, 100.0
    )
    assert len(delete) == expected and create == []


def test_plan_rolling_update_replaces_unavailable_old_pods_first():
    ds = {
        "spec": {
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}}
        }
    }
    pods = {
        "a": [_pod("pa", "a", "new", ready=False)],  # new, not yet available: uses the budget
        "b": [_pod("pb", "b", "old", ready=False)],  # old and broken: always replaced
        "c": [_pod("pc", "c", "old")],
    }
    delete, _ = plan_rolling_update(ds, pods, dict.fromkeys("abc", True), "new", None, 100.0)
    assert delete == ["pb"]


def test_plan_rolling_update_surge_creates_next_to_old_pods():
    ds = {
        "spec": {
            "updateStrategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1},
            }
        }
    }
    pods = {"a": [_pod("pa", "a", "old")], "b": [_pod("pb", "b", "old")]}
    assert plan_rolling_update(ds, pods, {"a": True, "b": True}, "new", None, 100.0) == ([], ["a"])
    pods["a"].append(_pod("pa2", "a", "new"))
    assert plan_rolling_update(ds, pods, {"a": True, "b": True}, "new", None, 100.0) == (
        ["pa"],
        ["b"],
    )
