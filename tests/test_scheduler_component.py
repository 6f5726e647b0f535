"""The Scheduler component through the API server: binding, events, conditions, retries."""

from __future__ import annotations

import pytest

from kubelab.apiserver import APIServer
from kubelab.client import InformerFactory
from kubelab.controllers import Context
from kubelab.scheduler import Scheduler
from kubelab.sim import Clock

NOT_HELPFUL = "Preemption is not helpful for scheduling"


class Harness:
    def __init__(self, nodes=(), seed=0):
        self.clock = Clock()
        self.api = APIServer(self.clock, seed=seed)
        try:
            self.api.create(
                {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}},
                user="test",
            )
        except AttributeError as error:  # the API server's pipeline is still being written
            pytest.skip(f"API server pipeline not ready: {error}")
        self.scheduler = Scheduler(Context(self.clock, self.api, InformerFactory(self.api), seed))
        self.kubectl = self.api.client("kubectl")
        for name, cpu in nodes:
            self.add_node(name, cpu)

    def add_node(self, name, cpu="1", **spec):
        resources = {"cpu": cpu, "memory": "4Gi", "pods": "110"}
        return self.kubectl.create(
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {"name": name},
                "spec": spec,
                "status": {"capacity": resources, "allocatable": resources},
            }
        )

    def add_pod(self, name, cpu=None, **spec):
        container = {"name": "c", "image": "nginx"}
        if cpu:
            container["resources"] = {"requests": {"cpu": cpu}}
        return self.kubectl.create(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": name},
                "spec": {"containers": [container], **spec},
            }
        )

    def run(self, until):
        self.clock.run_until(until)
        return self

    def node_of(self, name):
        return self.api.store.get("Pod", "default", name)["spec"].get("nodeName")

    def condition(self, name):
        pod = self.api.store.get("Pod", "default", name)
        return next(c for c in pod["status"]["conditions"] if c["type"] == "PodScheduled")

    def events(self, name, reason=None):
        return [
            (t, r, m)
            for (t, _ns, _k, n, _ty, r, m, _src) in self.api.events.log
            if n == name and (reason is None or r == reason)
        ]


def test_bind_and_fail_with_events_and_condition():
    h = Harness([("n1", "1"), ("n2", "1"), ("n3", "1")])
    h.add_pod("big", cpu="2")
    h.add_pod("ok", cpu="500m")
    h.run(1)
    message = (
        "0/3 nodes are available: 3 Insufficient cpu. "
        f"preemption: 0/3 nodes are available: 3 {NOT_HELPFUL}."
    )
    cond = h.condition("big")
    assert (cond["status"], cond["reason"], cond["message"]) == ("False", "Unschedulable", message)
    assert h.events("big") == [(0.0, "FailedScheduling", message)]
    node = h.node_of("ok")
    assert h.events("ok") == [(0.0, "Scheduled", f"Successfully assigned default/ok to {node}")]
    assert h.condition("ok")["status"] == "True"
    sources = {e[-1] for e in h.api.events.log}
    assert sources == {"default-scheduler"}


def test_node_added_retries_after_backoff():
    h = Harness([("n1", "1")])
    h.add_pod("big", cpu="2")
    h.run(0.5)
    h.add_node("n2", cpu="4")  # at t=0.5: still backing off (1 s from t=0)
    h.run(0.9)
    assert h.node_of("big") is None
    h.run(1.0)
    assert h.node_of("big") == "n2"
    assert [r for _, r, _ in h.events("big")] == ["FailedScheduling", "Scheduled"]


def test_pod_deletion_frees_room():
    h = Harness([("n1", "1")])
    h.add_pod("a", cpu="800m")
    h.run(0)
    h.add_pod("b", cpu="500m")
    h.run(20)
    assert h.node_of("a") == "n1" and h.node_of("b") is None
    h.kubectl.delete("Pod", "a", "default", grace_period=0)
    h.run(30)
    assert h.node_of("b") == "n1"


def test_unschedulable_pods_are_retried_after_five_minutes():
    h = Harness([("n1", "1")])
    h.add_pod("big", cpu="2")
    h.run(400)
    times = [t for t, _, _ in h.events("big", "FailedScheduling")]
    assert times[0] == 0.0 and len(times) == 2 and 300 < times[1] <= 330
    # The condition is not rewritten when nothing changed.
    writes = [a for a in h.api.audit if a[1] == "default-scheduler" and a[2].startswith("update")]
    assert len(writes) == 1


def test_heartbeats_do_not_wake_unschedulable_pods():
    h = Harness([("n1", "1")])
    h.add_pod("big", cpu="2")
    h.run(20)
    node = h.api.store.get("Node", "", "n1")
    status = dict(
        node["status"],
        conditions=[
            {"type": "Ready", "status": "True", "lastHeartbeatTime": "2025-01-01T00:00:20Z"}
        ],
    )
    h.kubectl.update_status(dict(node, status=status))
    h.run(40)
    assert len(h.events("big", "FailedScheduling")) == 2  # the Ready condition is news: one retry
    node = h.api.store.get("Node", "", "n1")
    status = dict(
        node["status"],
        conditions=[
            {"type": "Ready", "status": "True", "lastHeartbeatTime": "2025-01-01T00:00:40Z"}
        ],
    )
    h.kubectl.update_status(dict(node, status=status))
    h.run(60)
    assert len(h.events("big", "FailedScheduling")) == 2


def test_priority_then_arrival():
    h = Harness()
    h.add_pod("first", cpu="600m")
    h.add_pod("urgent", cpu="600m", priority=1000)
    h.add_pod("second", cpu="600m")
    h.run(0)
    assert h.events("first")[0][2] == "no nodes available to schedule pods"
    h.add_node("n1", cpu="1")
    h.run(2)
    assert h.node_of("urgent") == "n1"
    assert h.node_of("first") is None and h.node_of("second") is None


def test_other_schedulers_pods_are_left_alone_but_counted():
    h = Harness([("n1", "1")])
    h.add_pod("mine", cpu="500m", schedulerName="my-scheduler")
    h.add_pod("pinned", cpu="800m", nodeName="n1")
    h.add_pod("p", cpu="500m")
    h.run(5)
    assert h.node_of("mine") is None and h.events("mine") == []
    assert h.node_of("p") is None  # the pinned pod's 800m counts on n1


def test_same_seed_same_history():
    def placements(seed):
        h = Harness([(f"n{i}", "2") for i in range(4)], seed=seed)
        for i in range(12):
            h.add_pod(f"p{i}", cpu="100m")
        h.run(5)
        return [h.node_of(f"p{i}") for i in range(12)]

    assert placements(3) == placements(3)
    counts = placements(3)
    assert sorted(counts.count(f"n{i}") for i in range(4)) == [3, 3, 3, 3]


def test_explain_a_pending_and_a_bound_pod():
    h = Harness([("n1", "1"), ("n2", "2")])
    h.add_pod("big", cpu="1500m")
    h.add_pod("huge", cpu="4")
    h.run(1)
    assert h.node_of("big") == "n2"
    df = h.scheduler.explain("big")
    assert df.set_index("node").loc["n1", "reasons"] == "Insufficient cpu"
    assert bool(df.set_index("node").loc["n2", "feasible"])  # its own request is left out
    df = h.scheduler.explain("huge")
    assert not df["feasible"].any()
    assert h.scheduler.last_results[("default", "huge")][1] is None
