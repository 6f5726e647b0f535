"""Garbage collector: Background, Foreground (recursive) and Orphan deletion; dangling refs."""

from __future__ import annotations

import pytest
from test_controllers_harness import Sim, bare_pod, replicaset

from kubelab.api.meta import owner_reference
from kubelab.controllers.garbagecollector import GarbageCollector
from kubelab.controllers.replicaset import ReplicaSetController
from kubelab.errors import NotFound


@pytest.fixture
def sim():
    s = Sim([ReplicaSetController, GarbageCollector])
    s.create(replicaset(replicas=3))
    s.run(5)
    return s


def gone(sim, kind, name):
    try:
        sim.api.get(kind, name)
    except NotFound:
        return True
    return False


def test_background_deletes_pods_after_owner(sim):
    assert sim.client.delete("ReplicaSet", "web", propagation="Background") is None
    sim.run(0.1)
    assert all(p["metadata"].get("deletionTimestamp") for p in sim.pods(active=False))
    sim.run(2)  # the kubelets finish the graceful deletions
    assert sim.pods(active=False) == []
    deleters = [a[1] for a in sim.api.audit if a[3] == "Pod" and a[2] == "delete"]
    assert deleters[:3] == ["garbage-collector-controller"] * 3  # then the kubelets finish


def test_foreground_keeps_owner_until_pods_are_gone(sim):
    rs = sim.client.delete("ReplicaSet", "web", propagation="Foreground")
    assert rs["metadata"]["finalizers"] == ["foregroundDeletion"]
    sim.run(0.5)
    rs = sim.api.get("ReplicaSet", "web")  # still there, pods terminating
    assert rs["metadata"]["deletionTimestamp"]
    assert len(sim.pods(active=False)) == 3 and sim.pods() == []
    assert not sim.events("SuccessfulCreate")[3:]  # a terminating RS does not replace pods
    sim.run(2)
    assert sim.pods(active=False) == [] and gone(sim, "ReplicaSet", "web")


def test_orphan_leaves_pods_without_owner(sim):
    sim.client.delete("ReplicaSet", "web", propagation="Orphan")
    sim.run(1)
    assert gone(sim, "ReplicaSet", "web")
    pods = sim.pods()
    assert len(pods) == 3
    assert all("ownerReferences" not in p["metadata"] for p in pods)
    # A new ReplicaSet with the same selector adopts them instead of creating new pods.
    sim.create(replicaset(replicas=3))
    sim.run(1)
    assert len(sim.pods()) == 3 and len(sim.events("SuccessfulCreate")) == 3


def test_foreground_is_recursive_deployment_rs_pods():
    sim = Sim([ReplicaSetController, GarbageCollector])
    deploy = sim.create(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "c", "image": "nginx:1.25"}]},
                },
            },
        }
    )
    rs = replicaset("web-abc", replicas=2, labels={"app": "web"})
    rs["metadata"]["ownerReferences"] = [owner_reference(deploy)]
    sim.create(rs)
    sim.run(5)
    assert len(sim.pods()) == 2
    sim.client.delete("Deployment", "web", propagation="Foreground")
    sim.run(0.5)
    rs = sim.api.get("ReplicaSet", "web-abc")
    assert rs["metadata"]["finalizers"] == ["foregroundDeletion"]  # cascaded in the foreground
    assert sim.api.get("Deployment", "web")["metadata"]["finalizers"] == ["foregroundDeletion"]
    sim.run(2)
    assert gone(sim, "Deployment", "web") and gone(sim, "ReplicaSet", "web-abc")
    assert sim.pods(active=False) == []


def test_dependent_with_a_remaining_owner_only_loses_the_dead_reference(sim):
    keeper = sim.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "keeper"}})
    pod = sim.pods()[0]
    refs = [*pod["metadata"]["ownerReferences"], owner_reference(keeper, controller=False)]
    sim.client.patch(
        "Pod", pod["metadata"]["name"], "default", {"metadata": {"ownerReferences": refs}}, "merge"
    )
    sim.client.delete("ReplicaSet", "web")
    sim.run(3)
    survivors = sim.pods()
    assert names(survivors) == [pod["metadata"]["name"]]
    assert [r["name"] for r in survivors[0]["metadata"]["ownerReferences"]] == ["keeper"]


def test_dangling_owner_reference_is_collected():
    sim = Sim([GarbageCollector])
    orphan = bare_pod("lost", {"app": "x"})
    orphan["metadata"]["ownerReferences"] = [
        {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "name": "never",
            "uid": "0000",
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    sim.create(orphan)
    sim.run(3)
    assert gone(sim, "Pod", "lost")


def names(pods):
    return [p["metadata"]["name"] for p in pods]
