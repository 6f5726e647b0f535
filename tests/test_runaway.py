"""Runaway workloads stay bounded: controllers write at kube-controller-manager's client
rate (QPS 20, burst 30), the API server stores at most ``max_objects`` objects, and time
only runs for a finite number of seconds. Work is counted (API writes, objects), never timed."""

from __future__ import annotations

import collections
import math

import pytest

import kubelab as kl
from kubelab.errors import StorageFull


def runaway(replicas: int = 1_000_000_000) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "runaway"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "runaway"}},
            "template": {
                "metadata": {"labels": {"app": "runaway"}},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.25"}]},
            },
        },
    }


def pod_creates(c: kl.Cluster) -> list[float]:
    """When the ReplicaSet controller created pods (the API server's request log)."""
    return [
        a[0]
        for a in c.api.audit
        if a[1] == "replicaset-controller" and a[2] == "create" and a[3] == "Pod"
    ]


def test_a_billion_replicas_are_created_at_the_controller_managers_pace():
    c = kl.Cluster(3, seed=0)
    c.apply(runaway())
    c.run(60)
    creates = pod_creates(c)
    # QPS 20 after a burst of 30; a sync's writes (slow start, at most 500) land together
    # and the next sync waits for the bucket to pay them back
    assert 30 + 20 * 60 - 500 <= len(creates) <= 30 + 20 * 60 + 500
    c.run(240)
    creates = pod_creates(c)
    assert 30 + 20 * 300 - 500 <= len(creates) <= 30 + 20 * 300 + 500
    # no more than 500 + 20 per second over any window (the slow start's burstReplicas)
    per_window = collections.Counter(math.floor(t / 25) for t in creates)
    assert max(per_window.values()) <= 500 + 25 * 20


def test_pods_beyond_the_nodes_capacity_stay_pending_with_too_many_pods():
    c = kl.Cluster(3, seed=0)
    c.apply(runaway())
    c.run(60)
    pods = c.list("pods")
    phases = collections.Counter(p["status"]["phase"] for p in pods)
    assert phases["Running"] == 3 * 110  # every node full (110 pods each)
    assert phases["Pending"] == len(pods) - 330 > 500
    pending = next(p for p in pods if p["status"]["phase"] == "Pending")
    cond = next(x for x in pending["status"]["conditions"] if x["type"] == "PodScheduled")
    assert cond["reason"] == "Unschedulable"
    assert cond["message"].startswith("0/3 nodes are available: 3 Too many pods.")


def test_small_workloads_are_never_throttled():
    # burst 30 covers a lesson's scale-up: all pods come in the first instant, as before
    c = kl.Cluster(3, seed=0)
    c.apply(runaway(12))
    c.run(1)
    assert len(pod_creates(c)) == 12
    assert all(t == 0 for t in pod_creates(c))
    assert c.controllers["replicaset-controller"].client.throttle_delay() == 0


def test_a_write_past_the_burst_makes_the_next_sync_wait():
    c = kl.Cluster(3, seed=0)
    c.apply(runaway(100))  # slow start: 1+2+4+8+16+32+37 creates in one sync, then status
    c.run(0.001)
    assert len(pod_creates(c)) == 100
    client = c.controllers["replicaset-controller"].client
    assert client.throttle_delay() == pytest.approx((101 - 30) / 20, abs=0.01)
    writes_before = sum(1 for a in c.api.audit if a[1] == "replicaset-controller")
    c.kubectl("scale deployment runaway --replicas=150")
    c.run(1)
    assert len(pod_creates(c)) == 100  # queued behind the bucket, not dropped ...
    c.run(4)
    assert len(pod_creates(c)) == 150  # ... and done once it has paid back
    assert sum(1 for a in c.api.audit if a[1] == "replicaset-controller") > writes_before + 50


def test_the_object_cap_refuses_creates_with_a_clear_error():
    c = kl.Cluster(3, seed=0, max_objects=1500)
    c.apply(runaway())
    c.run(300)
    store = c.api.store
    stored = store.size - store.count("Event")
    assert stored == 1500  # full, and no further
    with pytest.raises(StorageFull) as refused:
        c.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}})
    assert isinstance(refused.value, kl.KubelabError)
    assert "database space exceeded" in str(refused.value)
    assert "kl.Cluster(..., max_objects=N)" in str(refused.value)
    # the controller reports it like any failed create (once per create of the failing
    # slow-start batch), and backs off: a few tries in 250 s, not thousands
    events = c.events
    failed = events[events.reason == "FailedCreate"]
    assert failed.message.str.contains("database space exceeded").all()
    assert 2 <= failed.time.nunique() < 25  # 5 ms doubling: ~16 tries in 190 s
    assert "ReplicaFailure" in c.kubectl("describe deployment runaway")
    # deleting frees room
    c.delete("deployment", "runaway")
    c.run(300)
    assert store.size - store.count("Event") < 100
    c.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}})


def test_the_store_counts_what_it_holds():
    c = kl.Cluster(2, seed=0)
    store = c.api.store
    assert store.size == sum(store.count(kind) for kind in store.kinds())
    c.apply(runaway(5))
    c.run(30)
    c.delete("deployment", "runaway")
    c.run(60)
    assert store.size == sum(store.count(kind) for kind in store.kinds())


def test_the_default_cap_is_above_kubernetes_own_limit_of_150000_pods():
    assert kl.Cluster(0).api.max_objects > 150_000
    with pytest.raises(TypeError, match="max_objects must be an int"):
        kl.Cluster(0, max_objects="many")


@pytest.mark.parametrize("bad", [float("inf"), float("nan"), -float("inf")])
def test_time_cannot_run_for_ever(bad):
    c = kl.Cluster(1, seed=0)
    with pytest.raises(ValueError, match="finite number of simulated seconds"):
        c.run(bad)
    with pytest.raises(ValueError, match="timeout must be a finite number"):
        c.run_until(lambda c: False, timeout=bad)
    assert c.now == 0


@pytest.mark.parametrize("huge", [1e300, 10**400, 30 * 24 * 3600 + 1])
def test_one_call_runs_at_most_thirty_days(huge):
    """Finite but absurd spans would cost hours of CPU: refused with the way out."""
    c = kl.Cluster(1, seed=0)
    with pytest.raises(ValueError, match=r"at most 2\.592e\+06 simulated seconds"):
        c.run(huge)
    with pytest.raises(ValueError, match="per call"):
        c.run_until(lambda c: False, timeout=huge)
    assert c.now == 0


@pytest.mark.parametrize("bad", ["60", None, True, [1], 1j])
def test_durations_must_be_numbers(bad):
    c = kl.Cluster(1, seed=0)
    with pytest.raises(TypeError, match="seconds must be a number of simulated seconds"):
        c.run(bad)
    with pytest.raises(TypeError, match="timeout must be a number of simulated seconds"):
        c.run_until(lambda c: True, timeout=bad)


def test_numbers_of_any_numeric_type_still_run():
    import numpy as np

    c = kl.Cluster(1, seed=0)
    c.run(np.float64(1.5)).run(np.int64(2)).run(1)
    assert c.now == 4.5
    with pytest.raises(ValueError, match=">= 0"):
        c.run(-1)
