"""Stuck clusters cost little: controllers requeue with client-go's rate-limited back-off
instead of re-arming themselves on a tiny fixed delay. Work is counted (syncs, clock
callbacks), never timed."""

from __future__ import annotations

import collections
import itertools

import pytest

import kubelab as kl
from kubelab.client.flowcontrol import ControllerRateLimiter, TokenBucket
from kubelab.controllers.base import Controller
from kubelab.controllers.deployment import DeploymentController
from kubelab.controllers.replicaset import ReplicaSetController
from kubelab.sim import Clock


# -- the rate limiter ----------------------------------------------------------------------
def test_per_key_back_off_doubles_from_5ms_to_1000s_and_forget_resets_it():
    limiter = ControllerRateLimiter(Clock())
    delays = [limiter.when("web") for _ in range(22)]
    assert delays[:4] == [0.005, 0.01, 0.02, 0.04]
    assert all(b == min(2 * a, 1000.0) for a, b in itertools.pairwise(delays))
    assert delays[-3:] == [1000.0] * 3
    assert limiter.num_requeues("web") == 22
    assert limiter.when("other") == 0.005  # per key
    limiter.forget("web")
    assert limiter.num_requeues("web") == 0
    assert limiter.when("web") == 0.005


def test_the_overall_bucket_limits_requeues_to_10_a_second_after_a_burst_of_100():
    clock = Clock()
    limiter = ControllerRateLimiter(clock)
    delays = [limiter.when(i) for i in range(102)]  # 102 fresh keys: back-off is 5 ms
    assert delays[:100] == [0.005] * 100
    assert delays[100:] == pytest.approx([0.1, 0.2])


def test_a_token_bucket_refills_at_qps_up_to_its_burst():
    clock = Clock()
    bucket = TokenBucket(clock, qps=20, burst=30)
    assert [bucket.reserve() for _ in range(30)] == [0.0] * 30
    assert bucket.reserve() == pytest.approx(0.05)
    assert bucket.delay() == pytest.approx(0.05)
    clock.run_until(0.05)
    assert bucket.delay() == 0.0
    clock.run_until(100)
    assert [bucket.reserve() for _ in range(30)] == [0.0] * 30  # never more than the burst
    assert bucket.reserve() > 0


# -- the work queue ------------------------------------------------------------------------
class _Failing(Controller):
    """Fails every sync until told otherwise."""

    name = "failing-controller"

    def setup(self):
        self.syncs, self.fail = [], True

    def sync(self, key):
        self.syncs.append(self.clock.now)
        if self.fail:
            raise kl.Conflict("configmaps", key, "changed under us")


def _controller(cls):
    from kubelab.apiserver import APIServer
    from kubelab.client import InformerFactory
    from kubelab.controllers.base import Context

    clock = Clock()
    api = APIServer(clock)
    return cls(Context(clock, api, InformerFactory(api)))


def test_a_failing_sync_is_retried_with_back_off_and_a_success_forgets_it():
    ctl = _controller(_Failing)
    ctl.enqueue("k")
    ctl.clock.run_until(10)
    gaps = [round(b - a, 3) for a, b in itertools.pairwise(ctl.syncs)]
    assert gaps[:5] == [0.005, 0.01, 0.02, 0.04, 0.08]
    assert len(ctl.syncs) == 11  # retries after 5 ms ... 2.56 s: 11 tries in 10 s, not 2,000
    ctl.fail = False
    ctl.clock.run_until(30)
    assert ctl.num_requeues("k") == 0  # the successful sync forgot the key
    done = len(ctl.syncs)
    ctl.clock.run_until(3600)
    assert len(ctl.syncs) == done


def test_a_delayed_add_keeps_the_earliest_time():
    ctl = _controller(_Failing)
    ctl.fail = False
    ctl.enqueue("k", delay=5)
    ctl.enqueue("k", delay=9)  # later: the earlier wake-up stays
    ctl.enqueue("k", delay=2)  # earlier: replaces it
    ctl.clock.run_until(20)
    assert ctl.syncs == [2.0]


def test_the_deployment_controller_gives_up_after_15_failed_syncs(monkeypatch):
    c = kl.Cluster(1, seed=0)
    failures = []

    def broken(self, d):
        failures.append(self.clock.now)
        raise kl.Conflict("deployments", d["metadata"]["name"], "the object has been modified")

    monkeypatch.setattr(DeploymentController, "sync_deployment", broken)
    c.apply("data/deployment.yaml")
    c.run(3 * 3600)
    assert len(failures) == 16  # the first try and maxRetries (15) retries, then dropped


# -- stuck clusters ------------------------------------------------------------------------
QUOTA_ONE_POD = {
    "apiVersion": "v1",
    "kind": "ResourceQuota",
    "metadata": {"name": "pods"},
    "spec": {"hard": {"pods": "1"}},
}


@pytest.fixture
def deployment_syncs(monkeypatch):
    calls: collections.Counter = collections.Counter()
    sync = DeploymentController.sync

    def counting(self, key):
        calls[key] += 1
        return sync(self, key)

    monkeypatch.setattr(DeploymentController, "sync", counting)
    return calls


def test_a_node_failure_long_after_the_rollout_costs_a_few_deployment_syncs(deployment_syncs):
    c = kl.Cluster(3, seed=0)
    c.apply("data/deployment.yaml")
    c.run(700)  # the rollout finished long before its 60 s progress deadline ran out
    deployment_syncs.clear()
    c.fail_node("node-2")
    c.run(600)
    assert 0 < deployment_syncs[("default", "web")] < 50  # was ~300,000 (every 1 ms)
    # ... and the Deployment still recovers: its pods were replaced on the healthy nodes
    status = c.get("deployment", "web")["status"]
    assert status["availableReplicas"] == 3
    progressing = next(x for x in status["conditions"] if x["type"] == "Progressing")
    assert progressing["reason"] == "NewReplicaSetAvailable"


def test_a_crash_looping_deployment_costs_a_bounded_number_of_syncs_per_hour(deployment_syncs):
    c = kl.Cluster(3, seed=0)
    d = kl.api.loader.load("data/deployment.yaml")[0].obj
    d["spec"]["template"]["spec"]["containers"][0]["image"] = "kubelab/crashy:v1"
    d["spec"]["template"]["spec"]["containers"][0].pop("readinessProbe")
    c.apply(d)
    c.run(3600)
    assert "CrashLoopBackOff" in c.kubectl("get pods")
    for _hour in range(2):
        deployment_syncs.clear()
        c.run(3600)
        # each restart changes availability (a status write, then a few back-off checks);
        # before, the progress check re-armed every 1 ms: 3,600,000 syncs an hour
        assert 0 < deployment_syncs[("default", "web")] < 1000


def _callbacks(c: kl.Cluster, seconds: float) -> collections.Counter:
    """Clock callbacks scheduled while ``seconds`` of simulated time run, by qualified name."""
    scheduled: collections.Counter = collections.Counter()
    call_at = c.clock.call_at

    def counting(when, fn, *args, **kw):
        scheduled[fn.__qualname__] += 1
        return call_at(when, fn, *args, **kw)

    c.clock.call_at = counting
    try:
        c.run(seconds)
    finally:
        del c.clock.call_at
    return scheduled


def test_a_daemonset_cluster_losing_nodes_stays_quiet():
    c = kl.Cluster(4, seed=0)
    c.apply("data/daemonset.yaml")
    c.apply("data/deployment.yaml")
    c.run(30)
    c.fail_node("node-1")
    c.kubectl("cordon node-2")
    c.run(60)
    c.fail_node("node-3")
    scheduled = _callbacks(c, 400)
    # heartbeats, the node monitor (every 5 s), metrics ...: a few hundred, not 400,000
    assert sum(scheduled.values()) < 2000, scheduled.most_common(3)
    pods = c.list("pods", selector="app=log-collector")
    assert {p["spec"]["nodeName"] for p in pods} == {"node-1", "node-2", "node-3", "node-4"}


@pytest.mark.parametrize(
    "scenario",
    ["quota-blocked", "unschedulable", "pvc-waiting", "failing-readiness", "load-balancer"],
)
def test_clusters_waiting_on_something_that_never_comes_stay_quiet(scenario):
    c = kl.Cluster(3, seed=0)
    d = kl.api.loader.load("data/deployment.yaml")[0].obj
    container = d["spec"]["template"]["spec"]["containers"][0]
    if scenario == "quota-blocked":
        c.apply(QUOTA_ONE_POD)
    elif scenario == "unschedulable":
        container["resources"] = {"requests": {"cpu": "64"}}
    elif scenario == "pvc-waiting":
        c.apply(
            {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "metadata": {"name": "data"},
                "spec": {
                    "storageClassName": "",
                    "accessModes": ["ReadWriteOnce"],
                    "resources": {"requests": {"storage": "1Gi"}},
                },
            }
        )
        d["spec"]["template"]["spec"]["volumes"] = [
            {"name": "data", "persistentVolumeClaim": {"claimName": "data"}}
        ]
    elif scenario == "failing-readiness":
        # Ready for 10 s, then /healthz answers 500 for ever
        container["image"] = "registry.k8s.io/liveness"
        d["spec"]["progressDeadlineSeconds"] = 5
    elif scenario == "load-balancer":
        c.apply(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": "web"},
                "spec": {
                    "type": "LoadBalancer",
                    "selector": {"app": "web"},
                    "ports": [{"port": 80}],
                },
            }
        )
    c.apply(d)
    c.run(120)
    scheduled = _callbacks(c, 3600)
    # a 3-node cluster doing nothing schedules ~1,500 callbacks an hour (heartbeats, node
    # monitor, metrics) and 1,800 per pod probed every 2 s; a busy loop adds hundreds of
    # thousands
    assert sum(scheduled.values()) < 10_000, scheduled.most_common(3)


def test_a_quota_blocked_replicaset_retries_with_growing_back_off(monkeypatch):
    syncs = []
    sync = ReplicaSetController.sync

    def counting(self, key):
        if key == ("default", "blocked"):
            syncs.append(self.clock.now)
        return sync(self, key)

    monkeypatch.setattr(ReplicaSetController, "sync", counting)
    c = kl.Cluster(1, seed=0)
    c.apply(QUOTA_ONE_POD)
    rs = kl.api.loader.load("data/replicaset.yaml")[0].obj
    rs["metadata"]["name"] = "blocked"
    c.apply(rs)
    c.run(3600)
    assert 10 < len(syncs) < 40
    assert syncs[-1] - syncs[-2] == pytest.approx(1000.0, abs=1)  # the cap
    assert len(c.list("pods")) == 1
    events = c.events
    failed = events[(events.reason == "FailedCreate") & (events.name == "blocked")]
    assert "exceeded quota: pods" in failed.message.iloc[0]
