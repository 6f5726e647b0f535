"""Controllers inside a whole ``kl.Cluster`` (real scheduler and kubelets)."""

from __future__ import annotations

import pytest

import kubelab as kl
from kubelab.api.meta import get_condition

RS = """
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: "nginx:1.25"}]}
"""


@pytest.fixture
def cluster():
    try:
        c = kl.Cluster(nodes=3, seed=0)
    except ImportError as error:  # a component still being written
        pytest.skip(f"kl.Cluster not ready: {error}")
    c.apply(RS)
    c.run(30)
    return c


def test_replicaset_runs_three_owned_pods(cluster):
    pods = cluster.list("pods")
    assert len(pods) == 3
    assert all(p["metadata"]["name"].startswith("web-") for p in pods)
    assert all(p["metadata"]["ownerReferences"][0]["kind"] == "ReplicaSet" for p in pods)
    assert cluster.get("rs", "web")["status"].get("readyReplicas") == 3


def test_failed_node_pods_evicted_and_replaced_then_node_restored(cluster):
    victims = [
        p["metadata"]["name"] for p in cluster.list("pods") if p["spec"]["nodeName"] == "node-2"
    ]
    assert victims
    cluster.fail_node("node-2")
    cluster.run(70)
    node = cluster.get("node", "node-2")
    assert get_condition(node, "Ready")["status"] == "Unknown"
    assert {(t["key"], t["effect"]) for t in node["spec"]["taints"]} >= {
        ("node.kubernetes.io/unreachable", "NoSchedule"),
        ("node.kubernetes.io/unreachable", "NoExecute"),
    }
    cluster.run(320)
    events = cluster.events
    for name in victims:
        rows = events[(events.name == name) & (events.reason == "TaintManagerEviction")]
        assert list(rows.message) == [f"Marking for deletion Pod default/{name}"]
    running = [p for p in cluster.list("pods") if not p["metadata"].get("deletionTimestamp")]
    assert len(running) == 3 and all(p["spec"]["nodeName"] != "node-2" for p in running)
    cluster.restore_node("node-2")
    cluster.run(30)
    node = cluster.get("node", "node-2")
    assert get_condition(node, "Ready")["status"] == "True"
    assert not [
        t for t in node["spec"].get("taints") or () if t["key"].startswith("node.kubernetes.io/")
    ]


@pytest.mark.parametrize(
    ("policy", "pods_left"), [("Background", 0), ("Foreground", 0), ("Orphan", 3)]
)
def test_delete_replicaset_propagation(cluster, policy, pods_left):
    cluster.delete("rs", "web", propagation=policy)
    cluster.run(60)
    assert cluster.list("rs") == []
    pods = cluster.list("pods")
    assert len(pods) == pods_left
    assert all("ownerReferences" not in p["metadata"] for p in pods)
