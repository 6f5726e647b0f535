"""ReplicaSet / ReplicationController: ranking and slow start against the upstream tables,
then scenarios through a real API server, informers and clock."""

from __future__ import annotations

import pytest
from test_controllers_harness import Sim, bare_pod, replicaset

from kubelab.api.meta import timestamp
from kubelab.controllers.garbagecollector import GarbageCollector
from kubelab.controllers.podcontrol import (
    POD_DELETION_COST,
    _features,
    _less,
    pods_to_delete,
    slow_start_batch,
)
from kubelab.controllers.replicaset import ReplicaSetController
from kubelab.controllers.replication import ReplicationManager

HOUR, MONTH = 3600.0, 30 * 86400.0
NOW = 2 * MONTH  # keep "a month ago" after the epoch


def pod(
    name,
    node="",
    phase="Pending",
    ready=False,
    restarts=0,
    ready_since=None,
    created=None,
    annotations=None,
):
    """Upstream's test ``pod(...)`` helper: container statuses only on ready pods."""
    status = {"phase": phase}
    if ready:
        cond = {"type": "Ready", "status": "True"}
        if ready_since is not None:
            cond["lastTransitionTime"] = timestamp(ready_since)
        status["conditions"] = [cond]
        status["containerStatuses"] = [{"name": "c", "restartCount": restarts}]
    meta = {"name": name}
    if created is not None:
        meta["creationTimestamp"] = timestamp(created)
    if annotations:
        meta["annotations"] = annotations
    return {"metadata": meta, "spec": {"nodeName": node}, "status": status}


unscheduled = pod("unscheduled")
scheduled_pending = pod("pending", "node")
unknown_phase = pod("unknown-phase", "node", "Unknown")
running_not_ready = pod("not-ready", "node", "Running")
ready_no_ltt = pod("ready-no-last-transition-time", "node", "Running", True)
ready_now = pod("ready-now", "node", "Running", True, 0, NOW, NOW)
ready_then = pod("ready-then", "node", "Running", True, 0, NOW - MONTH, NOW - MONTH)
ready_now_high_restarts = pod("ready-high-restarts", "node", "Running", True, 9001, NOW, NOW)
ready_now_created_then = pod("ready-now-created-then", "node", "Running", True, 0, NOW, NOW - MONTH)
low_cost = pod(
    "low-deletion-cost", "node", "Running", True, 0, NOW, NOW - MONTH, {POD_DELETION_COST: "10"}
)
high_cost = pod(
    "high-deletion-cost", "node", "Running", True, 0, NOW, NOW - MONTH, {POD_DELETION_COST: "100"}
)
unscheduled_5h = pod("unscheduled-5-hours", "", "Pending", False, 0, NOW - 5 * HOUR, NOW - 5 * HOUR)
unscheduled_8h = pod("unscheduled-8-hours", "", "Pending", False, 0, NOW - 8 * HOUR, NOW - 8 * HOUR)
ready_2h = pod("ready-2-hours", "", "Running", True, 0, NOW - 2 * HOUR, NOW - MONTH)
ready_5h = pod("ready-5-hours", "", "Running", True, 0, NOW - 5 * HOUR, NOW - MONTH)
ready_8h = pod("ready-8-hours", "", "Running", True, 0, NOW - 8 * HOUR, NOW - MONTH)


def less(a, rank_a, b, rank_b):
    return _less(_features(a, rank_a), _features(b, rank_b), NOW)


# TestSortingActivePodsWithRanks: (lesser, rank, greater, rank); lesser is deleted first.
INEQUALITY = [
    (unscheduled, 1, scheduled_pending, 2),
    (unscheduled, 2, scheduled_pending, 1),
    (scheduled_pending, 1, unknown_phase, 2),
    (unknown_phase, 1, running_not_ready, 2),
    (running_not_ready, 1, ready_no_ltt, 1),
    (ready_no_ltt, 1, ready_now, 1),
    (ready_now, 2, ready_no_ltt, 1),
    (ready_now, 1, ready_then, 1),
    (ready_now, 2, ready_then, 1),
    (ready_now_high_restarts, 1, ready_now, 1),
    (ready_now, 2, ready_now_high_restarts, 1),
    (ready_now, 1, ready_now_created_then, 1),
    (ready_now_created_then, 2, ready_now, 1),
    (low_cost, 2, high_cost, 1),
    (ready_2h, 1, ready_5h, 1),
]


@pytest.mark.parametrize(("lesser", "r1", "greater", "r2"), INEQUALITY)
def test_sorting_active_pods_with_ranks(lesser, r1, greater, r2):
    assert less(lesser, r1, greater, r2)
    assert not less(greater, r2, lesser, r1)


@pytest.mark.parametrize(
    ("p1", "p2"),
    [(p, p) for p in (unscheduled, scheduled_pending, unknown_phase, running_not_ready, ready_now)]
    + [(unscheduled_5h, unscheduled_8h), (ready_5h, ready_8h)],
)
def test_sorting_equal_pods(p1, p2):
    assert not less(p1, 1, p2, 1) and not less(p2, 1, p1, 1)


def test_sorting_active_pods_order():
    """TestSortingActivePods: the expected deletion order, from any starting order."""
    expected = [
        pod("unscheduled"),
        pod("scheduled-but-pending", "node"),
        pod("unknown-phase", "node", "Unknown"),
        pod("running-not-ready", "node", "Running"),
        pod("running-no-ltt", "node", "Running", True, 3),
        pod("running-ltt-now", "node", "Running", True, 3, NOW),
        pod("running-longer", "node", "Running", True, 3, NOW - MONTH),
        pod("lower-restarts", "node", "Running", True, 2, NOW - MONTH, NOW),
        pod("oldest", "node", "Running", True, 2, NOW - MONTH, NOW - MONTH),
    ]
    for shift in range(len(expected)):
        pods = expected[shift:] + expected[:shift]
        got = pods_to_delete(list(reversed(pods)), [], len(pods) - 1, NOW)
        assert [p["metadata"]["name"] for p in got] == [
            p["metadata"]["name"] for p in expected[:-1]
        ]


def on(node, name):
    return pod(name, node, "Running", True, 0, NOW - HOUR, NOW - HOUR)


ready_node1, ready_node2 = on("node-1", "ready-node-1"), on("node-2", "ready-node-2")
not_ready = pod("not-ready", "node-1", "Running")


@pytest.mark.parametrize(
    ("pods", "related", "diff", "expected"),
    [
        ([], None, 0, []),
        ([not_ready, ready_node1], None, 2, ["not-ready", "ready-node-1"]),
        ([ready_node1, not_ready], None, 1, ["not-ready"]),
        ([scheduled_pending, unscheduled], None, 1, ["unscheduled"]),
        ([ready_node1, not_ready, not_ready], None, 2, ["not-ready", "not-ready"]),
        (
            [ready_node1, ready_node2],
            [ready_node1, ready_node2, on("node-2", "x")],
            1,
            ["ready-node-2"],
        ),
        ([scheduled_pending, not_ready], None, 1, ["pending"]),
        (
            [ready_node1, ready_node2, not_ready, scheduled_pending, unscheduled],
            None,
            3,
            ["unscheduled", "pending", "not-ready"],
        ),
    ],
    ids=[
        "none",
        "diff=len",
        "diff<len",
        "scheduled-vs-unscheduled",
        "ready-vs-not-ready",
        "colocated",
        "pending-vs-running",
        "various-phases",
    ],
)
def test_get_pods_to_delete(pods, related, diff, expected):
    related = pods if related is None else related
    assert [p["metadata"]["name"] for p in pods_to_delete(pods, related, diff, NOW)] == expected


@pytest.mark.parametrize(
    ("limit", "successes", "calls", "failed"),
    [(0, 0, 1, True), (10, 10, 10, False), (5, 5, 7, True)],
)
def test_slow_start_batch(limit, successes, calls, failed):
    """TestSlowStartBatch: count 10, the call limit decides."""
    made = []

    def fn():
        made.append(1)
        return True if len(made) <= limit else "fake error"

    got, error = slow_start_batch(10, 1, fn)
    assert (got, len(made), error is not None) == (successes, calls, failed)


# -- scenarios ---------------------------------------------------------------------------------
@pytest.fixture
def sim():
    return Sim([ReplicaSetController, ReplicationManager, GarbageCollector])


def names(pods):
    return [p["metadata"]["name"] for p in pods]


def test_creates_pods_with_owner_references_and_events(sim):
    rs = sim.create(replicaset(replicas=3))
    sim.run(5)
    pods = sim.pods()
    assert len(pods) == 3
    for p in pods:
        assert p["metadata"]["name"].startswith("web-") and len(p["metadata"]["name"]) == 9
        assert p["metadata"]["ownerReferences"] == [
            {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "name": "web",
                "uid": rs["metadata"]["uid"],
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
    assert sorted(sim.events("SuccessfulCreate")) == sorted(
        ("ReplicaSet", "web", "SuccessfulCreate", f"Created pod: {n}") for n in names(pods)
    )
    status = sim.api.get("ReplicaSet", "web")["status"]
    assert status == {
        "replicas": 3,
        "fullyLabeledReplicas": 3,
        "readyReplicas": 3,
        "availableReplicas": 3,
        "observedGeneration": 1,
    }


def test_scale_down_deletes_not_ready_first(sim):
    sim.create(replicaset(replicas=3))
    sim.run(5)
    for kubelet in sim.kubelets.values():
        kubelet.stop()  # the next pod stays Pending
    rs = sim.api.get("ReplicaSet", "web")
    sim.client.update(dict(rs, spec=dict(rs["spec"], replicas=4)))
    sim.run(5)
    pending = [p for p in sim.pods() if p["status"]["phase"] == "Pending"]
    assert len(pending) == 1
    rs = sim.api.get("ReplicaSet", "web")
    sim.client.update(dict(rs, spec=dict(rs["spec"], replicas=2)))
    sim.run(0.1)
    deleted = [e[3] for e in sim.events("SuccessfulDelete")]
    assert deleted[0] == f"Deleted pod: {pending[0]['metadata']['name']}"
    assert len(deleted) == 2
    assert sim.api.get("ReplicaSet", "web")["status"]["replicas"] == 2


def test_adopts_bare_pods_and_creates_only_the_rest(sim):
    for i in range(2):
        sim.create(bare_pod(f"bare-{i}", {"app": "web"}))
    sim.create(bare_pod("other", {"app": "db"}))
    sim.run(2)
    rs = sim.create(replicaset(replicas=3))
    sim.run(3)
    pods = {p["metadata"]["name"]: p for p in sim.pods()}
    assert len(pods) == 4
    for n in ("bare-0", "bare-1"):
        assert pods[n]["metadata"]["ownerReferences"][0]["uid"] == rs["metadata"]["uid"]
    assert "ownerReferences" not in pods["other"]["metadata"]
    assert len(sim.events("SuccessfulCreate")) == 1


def test_too_many_matching_bare_pods_are_deleted(sim):
    for i in range(4):
        sim.create(bare_pod(f"bare-{i}", {"app": "web"}))
    sim.run(3)
    sim.create(replicaset(replicas=3))
    sim.run(3)
    assert len(sim.pods()) == 3
    assert len(sim.events("SuccessfulDelete")) == 1 and not sim.events("SuccessfulCreate")


def test_relabelled_pod_is_released_and_replaced(sim):
    sim.create(replicaset(replicas=3))
    sim.run(5)
    victim = sim.pods()[0]
    sim.client.patch(
        "Pod",
        victim["metadata"]["name"],
        "default",
        {"metadata": {"labels": {"app": "debug"}}},
        "merge",
    )
    sim.run(5)
    released = sim.api.get("Pod", victim["metadata"]["name"])
    assert "ownerReferences" not in released["metadata"]
    owned = [p for p in sim.pods() if p["metadata"].get("ownerReferences")]
    assert len(owned) == 3 and len(sim.pods()) == 4
    assert len(sim.events("SuccessfulCreate")) == 4


def test_failed_and_terminating_pods_do_not_count(sim):
    sim.create(replicaset(replicas=2))
    sim.run(5)
    first = sim.pods()[0]
    new, status = dict(first), dict(first["status"], phase="Failed")
    new["status"] = status
    sim.client.update_status(new)
    sim.run(0.1)
    assert len(sim.events("SuccessfulCreate")) == 3
    sim.client.delete("Pod", sim.pods()[1]["metadata"]["name"])  # graceful: Terminating ...
    sim.run(0.1)
    assert len(sim.events("SuccessfulCreate")) == 4  # ... and already replaced


def test_min_ready_seconds_available_later(sim):
    sim.create(replicaset(replicas=2, minReadySeconds=10))
    sim.run(5)
    status = sim.api.get("ReplicaSet", "web")["status"]
    assert status["readyReplicas"] == 2 and "availableReplicas" not in status
    sim.run(10)
    assert sim.api.get("ReplicaSet", "web")["status"]["availableReplicas"] == 2


def test_replication_controller_is_the_same_engine(sim):
    rc = sim.create(replicaset("legacy", replicas=2, kind="ReplicationController"))
    sim.run(5)
    pods = sim.pods()
    assert len(pods) == 2
    assert pods[0]["metadata"]["ownerReferences"][0]["kind"] == "ReplicationController"
    assert pods[0]["metadata"]["ownerReferences"][0]["uid"] == rc["metadata"]["uid"]
    assert sim.api.get("ReplicationController", "legacy")["status"]["readyReplicas"] == 2
    assert {e[0] for e in sim.events("SuccessfulCreate")} == {"ReplicationController"}


def test_create_failure_sets_replica_failure(sim):
    sim.create(replicaset(replicas=1))
    sim.run(2)
    ns = sim.api.get("Namespace", "default")
    sim.api.store.put(dict(ns, metadata=dict(ns["metadata"], deletionTimestamp=timestamp(0))))
    rs = sim.api.get("ReplicaSet", "web")
    sim.client.update(dict(rs, spec=dict(rs["spec"], replicas=2)))
    sim.run(1)
    (event,) = {e for e in sim.events("FailedCreate")}
    assert event[3].startswith("Error creating: unable to create new content in namespace default")
    cond = sim.api.get("ReplicaSet", "web")["status"]["conditions"][0]
    assert (cond["type"], cond["status"], cond["reason"]) == (
        "ReplicaFailure",
        "True",
        "FailedCreate",
    )
