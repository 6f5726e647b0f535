"""Node lifecycle, taint-based eviction, pod GC and namespace deletion, on the simulated clock."""

from __future__ import annotations

import pytest
from test_controllers_harness import Sim, bare_pod, replicaset

from kubelab.api.meta import cow, get_condition
from kubelab.controllers.garbagecollector import GarbageCollector
from kubelab.controllers.namespace import NamespaceController
from kubelab.controllers.nodelifecycle import NodeLifecycleController
from kubelab.controllers.podgc import PodGCController
from kubelab.controllers.replicaset import ReplicaSetController
from kubelab.controllers.tainteviction import TaintEvictionController
from kubelab.errors import NotFound

ALL = [
    ReplicaSetController,
    GarbageCollector,
    NodeLifecycleController,
    TaintEvictionController,
    NamespaceController,
    PodGCController,
]


def taints(sim, node):
    return sorted(
        (t["key"], t["effect"])
        for t in sim.api.get("Node", node).get("spec", {}).get("taints") or ()
    )


def pods_on(sim, node, active=True):
    return [p for p in sim.pods(active=active) if p["spec"].get("nodeName") == node]


@pytest.fixture
def sim():
    s = Sim(ALL)
    s.create(replicaset(replicas=3))
    s.run(20)
    return s


def test_registered_nodes_and_healthy_cluster_stays_untainted(sim):
    assert sorted(e[3] for e in sim.events("RegisteredNode")) == [
        f"Node node-{i} event: Registered Node node-{i} in Controller" for i in (1, 2, 3)
    ]
    sim.run(300)
    assert all(taints(sim, f"node-{i}") == [] for i in (1, 2, 3))
    assert not sim.events("NodeNotReady")


def test_failed_node_unknown_tainted_evicted_replaced_then_restored(sim):
    (victim,) = pods_on(sim, "node-2")
    sim.kubelets["node-2"].stop()  # last lease renewal: t=20
    sim.run(49)  # t=69: within the 50 s grace period
    assert get_condition(sim.api.get("Node", "node-2"), "Ready")["status"] == "True"
    sim.run(11)  # t=80
    node = sim.api.get("Node", "node-2")
    for type_ in ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure"):
        cond = get_condition(node, type_)
        assert cond["status"] == "Unknown", type_
    ready = get_condition(node, "Ready")
    assert (ready["reason"], ready["message"]) == (
        "NodeStatusUnknown",
        "Kubelet stopped posting node status.",
    )
    assert sim.events("NodeNotReady")[0] == (
        "Node",
        "node-2",
        "NodeNotReady",
        "Node node-2 status is now: NodeNotReady",
    )
    assert ("Pod", victim["metadata"]["name"], "NodeNotReady", "Node is not ready") in sim.events(
        "NodeNotReady"
    )
    assert (
        get_condition(sim.api.get("Pod", victim["metadata"]["name"]), "Ready")["status"] == "False"
    )
    assert taints(sim, "node-2") == [
        ("node.kubernetes.io/unreachable", "NoExecute"),
        ("node.kubernetes.io/unreachable", "NoSchedule"),
    ]
    unknown_at = next(e[0] for e in sim.api.events.log if e[5] == "NodeNotReady" and e[2] == "Node")
    tainted_at = unknown_at + 5  # NoExecute: the next monitor pass
    sim.run(tainted_at + 299 - sim.clock.now)
    assert not sim.api.get("Pod", victim["metadata"]["name"])["metadata"].get("deletionTimestamp")
    sim.run(2)
    evicted = sim.api.get("Pod", victim["metadata"]["name"])  # Terminating: its kubelet is gone
    assert evicted["metadata"]["deletionTimestamp"]
    cond = get_condition(evicted, "DisruptionTarget")
    assert (cond["status"], cond["reason"]) == ("True", "DeletionByTaintManager")
    name = victim["metadata"]["name"]
    assert (
        "Pod",
        name,
        "TaintManagerEviction",
        f"Marking for deletion Pod default/{name}",
    ) in sim.events()
    sim.run(3)
    live = sim.pods()
    assert len(live) == 3 and all(p["spec"]["nodeName"] != "node-2" for p in live)
    sim.kubelets["node-2"].start()
    sim.run(6)
    assert taints(sim, "node-2") == []
    assert get_condition(sim.api.get("Node", "node-2"), "Ready")["status"] == "True"


def test_all_nodes_down_is_master_disruption_no_eviction():
    sim = Sim(ALL, nodes=1)
    sim.create(replicaset(replicas=1))
    sim.run(20)
    sim.kubelets["node-1"].stop()
    sim.run(600)
    assert taints(sim, "node-1") == [("node.kubernetes.io/unreachable", "NoSchedule")]
    assert len(sim.pods()) == 1


def test_unschedulable_node_gets_noschedule_taint(sim):
    node = sim.api.get("Node", "node-1")
    new, spec = cow(node, "spec")
    spec["unschedulable"] = True
    sim.client.update(new)
    sim.run(0.1)
    assert taints(sim, "node-1") == [("node.kubernetes.io/unschedulable", "NoSchedule")]
    assert len(sim.pods()) == 3  # NoSchedule evicts nothing


def add_taint(sim, node_name, taint):
    node = sim.api.get("Node", node_name)
    new, spec = cow(node, "spec")
    spec["taints"] = [*(spec.get("taints") or ()), taint]
    sim.client.update(new)


def test_untolerated_noexecute_taint_evicts_now(sim):
    (pod,) = pods_on(sim, "node-1")
    add_taint(sim, "node-1", {"key": "maintenance", "effect": "NoExecute"})
    sim.run(0.1)
    assert sim.api.get("Pod", pod["metadata"]["name"])["metadata"]["deletionTimestamp"]


def test_toleration_seconds_then_cancel_when_taint_goes():
    sim = Sim(ALL, nodes=1)
    tolerant = bare_pod("tolerant", {"app": "x"})
    tolerant["spec"]["tolerations"] = [
        {"key": "maintenance", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 30}
    ]
    forever = bare_pod("forever", {"app": "x"})
    forever["spec"]["tolerations"] = [
        {"key": "maintenance", "operator": "Exists", "effect": "NoExecute"}
    ]
    sim.create(tolerant)
    sim.create(forever)
    sim.run(5)
    add_taint(sim, "node-1", {"key": "maintenance", "effect": "NoExecute"})
    sim.run(20)
    node = sim.api.get("Node", "node-1")
    new, spec = cow(node, "spec")
    spec["taints"] = []
    sim.client.update(new)
    sim.run(60)
    assert [p["metadata"]["name"] for p in sim.pods()] == ["forever", "tolerant"]
    assert sim.events("TaintManagerEviction") == [
        ("Pod", "tolerant", "TaintManagerEviction", "Cancelling deletion of Pod default/tolerant")
    ]
    add_taint(sim, "node-1", {"key": "maintenance", "effect": "NoExecute"})
    sim.run(29.9)
    assert not sim.api.get("Pod", "tolerant")["metadata"].get("deletionTimestamp")
    sim.run(0.2)
    assert sim.api.get("Pod", "tolerant")["metadata"]["deletionTimestamp"]
    assert not sim.api.get("Pod", "forever")["metadata"].get("deletionTimestamp")


def test_pod_gc_deletes_pods_of_a_deleted_node(sim):
    (pod,) = pods_on(sim, "node-3")
    sim.kubelets["node-3"].stop()
    sim.client.delete("Node", "node-3")
    sim.run(39)
    assert sim.api.get("Pod", pod["metadata"]["name"])
    sim.run(25)  # 40 s quarantine, then the next 20 s pass
    with pytest.raises(NotFound):
        sim.api.get("Pod", pod["metadata"]["name"])
    assert len(sim.pods()) == 3  # replaced


def test_namespace_deletion_empties_then_removes_it():
    sim = Sim(ALL)
    sim.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})
    rs = replicaset(replicas=2)
    rs["metadata"]["namespace"] = "shop"
    sim.create(rs)
    sim.create(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "shop"}}
    )
    sim.run(5)
    assert len(sim.pods("shop")) == 2
    ns = sim.client.delete("Namespace", "shop")
    assert ns["status"]["phase"] == "Terminating"
    sim.run(0.1)
    assert sim.api.list("ReplicaSet", "shop") == [] and sim.api.list("ConfigMap", "shop") == []
    assert sim.api.get("Namespace", "shop")  # pods still terminating
    sim.run(10)
    assert sim.api.list("Pod", "shop") == []
    with pytest.raises(NotFound):
        sim.api.get("Namespace", "shop")
