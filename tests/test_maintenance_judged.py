"""The judged behaviours of issue 3 (DaemonSets, health, node maintenance), end to end.

Each test runs a whole seeded :class:`kubelab.Cluster` and checks what the Kubernetes
documentation and upstream source say should happen:

* a ``kubectl drain`` never takes a PodDisruptionBudget below ``desiredHealthy`` (a Hypothesis
  property over replicas, budgets as int or percent, and nodes; the store is watched at every
  write), and its refusals are kubectl's own retry messages;
* a node that stops posting status turns ``NotReady`` after the monitor grace period, gets the
  ``unreachable`` taints and its pods are evicted 300 s later (from ``c.events``/``c.history``);
* the documentation's DaemonSet examples (``controllers/daemonset.yaml`` and the others) and probe
  examples (``pods/probe/*.yaml``) behave as their pages describe.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kubelab as kl
from kubelab.api.meta import get_condition, parse_time
from kubelab.controllers.nodelifecycle import NODE_MONITOR_GRACE_PERIOD, NODE_MONITOR_PERIOD
from kubelab.errors import BadRequest

VIOLATION = "Cannot evict pod as it would violate the pod's disruption budget."
DEFAULT_TOLERATIONS = [
    ("node.kubernetes.io/not-ready", "Exists", "NoExecute"),
    ("node.kubernetes.io/unreachable", "Exists", "NoExecute"),
    ("node.kubernetes.io/disk-pressure", "Exists", "NoSchedule"),
    ("node.kubernetes.io/memory-pressure", "Exists", "NoSchedule"),
    ("node.kubernetes.io/pid-pressure", "Exists", "NoSchedule"),
    ("node.kubernetes.io/unschedulable", "Exists", "NoSchedule"),
]


# -- helpers ------------------------------------------------------------------------------------
def replicaset(replicas: int) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]},
            },
        },
    }


def pdb(**spec) -> dict:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "web"},
        "spec": {"selector": {"matchLabels": {"app": "web"}}, **spec},
    }


def desired_healthy(spec: dict, expected: int) -> int:
    """``disruption.go`` math, written out independently: percentages round up."""

    def scaled(value):
        if isinstance(value, str):
            return math.ceil(int(value.rstrip("%")) * expected / 100)
        return value

    if "minAvailable" in spec:
        return scaled(spec["minAvailable"])
    return max(0, expected - scaled(spec["maxUnavailable"]))


def healthy(c, selector="app=web") -> int:
    """Ready pods without a deletionTimestamp: what the disruption controller counts."""
    n = 0
    for pod in c.api.store.list("Pod", "default"):
        if (pod["metadata"].get("labels") or {}).get("app") != selector.split("=")[1]:
            continue
        if pod["metadata"].get("deletionTimestamp"):
            continue
        ready = get_condition(pod, "Ready")
        n += bool(ready and ready["status"] == "True")
    return n


def watch_healthy(c) -> list[tuple[float, int]]:
    """``(time, healthy)`` after every write of a Pod (the store's watch: nothing is missed)."""
    seen = [(c.now, healthy(c))]
    c.api.store.watch("Pod", lambda *_: seen.append((c.now, healthy(c))))
    return seen


def all_on_node_1(nodes: int, replicas: int, seed: int = 0):
    """A cluster whose web pods all run on node-1 (the others cordoned while they start)."""
    c = kl.Cluster(nodes=nodes, seed=seed)
    others = [f"node-{i}" for i in range(2, nodes + 1)]
    for name in others:
        c.kubectl(f"cordon {name}")
    c.apply(replicaset(replicas))
    c.run(20)
    for name in others:
        c.kubectl(f"uncordon {name}")
    return c


# -- 1. a drain never violates a PodDisruptionBudget -------------------------------------------
budgets = st.one_of(
    st.builds(lambda n: {"minAvailable": n}, st.integers(0, 7)),
    st.builds(lambda p: {"minAvailable": f"{p}%"}, st.sampled_from([0, 10, 25, 50, 66, 75, 100])),
    st.builds(lambda n: {"maxUnavailable": n}, st.integers(0, 4)),
    st.builds(lambda p: {"maxUnavailable": f"{p}%"}, st.sampled_from([0, 10, 34, 50, 100])),
)


@settings(max_examples=30)
@given(replicas=st.integers(1, 6), budget=budgets, nodes=st.integers(1, 4))
def test_drain_never_takes_a_budget_below_desired_healthy(replicas, budget, nodes):
    c = all_on_node_1(nodes, replicas)
    c.apply(pdb(**budget))
    c.run(1)
    desired = desired_healthy(budget, replicas)
    status = c.get("pdb", "web")["status"]
    assert (status["expectedPods"], status["desiredHealthy"]) == (replicas, desired)
    before = healthy(c)
    assert before == replicas
    seen = watch_healthy(c)
    out = c.kubectl("drain node-1 --timeout=120s")
    # At every write the budget held (a budget already unmet could only be left alone).
    assert min(n for _, n in seen) >= min(desired, before)
    lines = out.splitlines()
    assert lines[0] == "node/node-1 cordoned"
    refusals = [line for line in lines if "(will retry after 5s)" in line]
    assert all(line.endswith(f"(will retry after 5s): {VIOLATION}") for line in refusals)
    audit = c.audit
    granted = audit[(audit.verb == "create/eviction") & (audit.code == 201)]
    if desired >= replicas:  # the budget allows no disruption: nothing goes, the drain gives up
        assert granted.empty and healthy(c) == replicas
        assert lines[-1].endswith('-n "default": global timeout reached: 2m0s')
    elif nodes > 1:  # room to move, one budget's worth at a time: it finishes
        assert lines[-1] == "node/node-1 drained"
        assert len(granted) == replicas
        live = [p for p in c.list("pods") if not p["metadata"].get("deletionTimestamp")]
        assert len(live) == replicas and all(p["spec"]["nodeName"] != "node-1" for p in live)


def test_drain_blocks_with_kubectls_retry_messages_then_completes():
    c = all_on_node_1(2, 2)
    c.apply(pdb(minAvailable=1))
    c.run(1)
    names = sorted(p["metadata"]["name"] for p in c.list("pods"))
    seen = watch_healthy(c)
    out = c.kubectl("drain node-1")
    lines = out.splitlines()
    assert min(n for _, n in seen) >= 1
    # Both evictions are asked at once; one is granted, the other refused and retried every 5 s.
    refused = [line for line in lines if "(will retry after 5s)" in line]
    assert refused
    name = refused[0].split('"')[1]
    assert name in names
    assert refused[0] == (
        f'error when evicting pods/"{name}" -n "default" (will retry after 5s): {VIOLATION}'
    )
    assert lines.count(f"evicting pod default/{name}") == len(refused) + 1
    assert {f"pod/{n} evicted" for n in names} <= set(lines)
    assert lines[0] == "node/node-1 cordoned" and lines[-1] == "node/node-1 drained"
    # The server's answer to a refused eviction is upstream's 429.
    audit = c.audit
    refusals = audit[(audit.verb == "create/eviction") & (audit.code == 429)]
    assert len(refusals) == len(refused)


def test_drain_messages_for_daemonset_and_unmanaged_pods_then_force(corpus):
    c = kl.Cluster(nodes=2, seed=0)
    c.apply(f"{corpus}/controllers/daemonset.yaml")
    c.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "bare"},
            "spec": {"nodeName": "node-1", "containers": [{"name": "c", "image": "nginx"}]},
        }
    )
    c.run(20)
    out = c.kubectl("drain node-1 --ignore-daemonsets")
    assert out.splitlines()[-1] == (
        "cannot delete Pods that declare no controller (use --force to override): default/bare"
    )
    out = c.kubectl("drain node-1 --ignore-daemonsets --force --grace-period=5")
    assert out.splitlines()[1].startswith(
        "Warning: deleting Pods that declare no controller: default/bare; "
        "ignoring DaemonSet-managed Pods: kube-system/fluentd-elasticsearch-"
    )
    assert out.splitlines()[-1] == "node/node-1 drained"
    assert "Ready,SchedulingDisabled" in c.kubectl("get node node-1")


def _stubborn_on_node_1():
    c = kl.Cluster(nodes=2, seed=0)
    c.kubectl("cordon node-2")
    rs = replicaset(1)
    rs["spec"]["template"]["spec"]["containers"][0]["image"] = "kubelab/stubborn:v1"
    c.apply(rs)
    c.run(20)
    c.kubectl("uncordon node-2")
    return c


@pytest.mark.parametrize(("flags", "seconds"), [("", 30), ("--grace-period=1", 1)])
def test_drain_waits_for_the_grace_period(flags, seconds):
    # kubelab/stubborn ignores SIGTERM: the pod is gone only when the grace period ends.
    c = _stubborn_on_node_1()
    start = c.now
    out = c.kubectl(f"drain node-1 {flags}".strip())
    assert out.splitlines()[-1] == "node/node-1 drained"
    assert c.now - start == pytest.approx(seconds)  # kubectl waited for the pod to be deleted
    (pod,) = c.list("pods")
    assert pod["spec"]["nodeName"] == "node-2"


# -- 2. node failure: NotReady, taints, eviction at +300 s ------------------------------------
def test_node_failure_timeline_from_events_and_history():
    c = kl.Cluster(nodes=3, seed=0)
    c.apply(replicaset(3))
    c.run(30)
    victim = next(p for p in c.list("pods") if p["spec"]["nodeName"] == "node-2")
    name = victim["metadata"]["name"]
    tolerations = {
        (t["key"], t.get("tolerationSeconds")) for t in victim["spec"]["tolerations"]
    }  # DefaultTolerationSeconds admission
    assert tolerations == {
        ("node.kubernetes.io/not-ready", 300),
        ("node.kubernetes.io/unreachable", 300),
    }
    c.fail_node("node-2")
    lease = c.get("lease", "node-2", "kube-node-lease")
    last_heartbeat = parse_time(lease["spec"]["renewTime"])
    c.run(420)

    events = c.events
    not_ready = events[(events.reason == "NodeNotReady") & (events.kind == "Node")]
    assert not_ready.message.tolist() == ["Node node-2 status is now: NodeNotReady"]
    t_not_ready = not_ready.time.iloc[0]
    # Unknown after --node-monitor-grace-period (50 s since v1.32, 40 s before), seen at the
    # next --node-monitor-period pass.
    assert (
        NODE_MONITOR_GRACE_PERIOD
        < t_not_ready - last_heartbeat
        <= NODE_MONITOR_GRACE_PERIOD + NODE_MONITOR_PERIOD
    )
    pod_not_ready = events[(events.reason == "NodeNotReady") & (events.name == name)]
    assert pod_not_ready.message.tolist() == ["Node is not ready"]

    history = c.history
    node_rows = history[(history.kind == "Node") & (history.name == "node-2")]
    assert node_rows.phase.tolist() == ["Ready", "Unknown"]
    assert node_rows.time.iloc[-1] == t_not_ready
    assert "NotReady" in c.kubectl("get node node-2")

    node = c.get("node", "node-2", "")
    taints = {(t["key"], t["effect"]): t for t in node["spec"]["taints"]}
    assert sorted(taints) == [
        ("node.kubernetes.io/unreachable", "NoExecute"),
        ("node.kubernetes.io/unreachable", "NoSchedule"),
    ]
    tainted = parse_time(taints[("node.kubernetes.io/unreachable", "NoExecute")]["timeAdded"])
    assert t_not_ready <= tainted <= t_not_ready + NODE_MONITOR_PERIOD

    evicted = events[events.reason == "TaintManagerEviction"]
    assert evicted.message.tolist() == [f"Marking for deletion Pod default/{name}"]
    assert evicted.time.iloc[0] == pytest.approx(tainted + 300)  # tolerationSeconds: 300
    replacement = events[(events.reason == "SuccessfulCreate") & (events.time >= tainted + 300)]
    assert len(replacement) == 1  # the ReplicaSet replaces it at once, on a healthy node
    live = [p for p in c.list("pods") if not p["metadata"].get("deletionTimestamp")]
    assert len(live) == 3 and all(p["spec"]["nodeName"] != "node-2" for p in live)
    pod_rows = history[(history.kind == "Pod") & (history.name == name)]
    assert pod_rows[pod_rows.time < t_not_ready].ready.iloc[-1] == 1  # ready until then
    assert pod_rows[pod_rows.time >= t_not_ready].ready.eq(0).all()  # not ready from then on


def test_daemon_pods_stay_on_a_failed_node(corpus):
    c = kl.Cluster(nodes=2, seed=0)
    c.apply(f"{corpus}/controllers/daemonset.yaml")
    c.run(20)
    c.fail_node("node-2")
    c.run(600)
    events = c.events
    assert not (events.reason == "TaintManagerEviction").any()  # tolerated forever
    pods = c.list("pods", "kube-system")
    assert {p["spec"]["nodeName"] for p in pods} == {"node-1", "node-2"}
    assert not any(p["metadata"].get("deletionTimestamp") for p in pods)


# -- 3. the documentation's DaemonSet examples --------------------------------------------------
def _tainted(name: str, key: str) -> dict:
    return {
        "kind": "Node",
        "metadata": {"name": name, "labels": {key: ""}},
        "spec": {"taints": [{"key": key, "effect": "NoSchedule"}]},
    }


def _daemon_pods(c, namespace="kube-system") -> dict[str, dict]:
    out = {}
    for pod in c.list("pods", namespace):
        if not pod["metadata"].get("deletionTimestamp"):
            assert pod["spec"]["nodeName"] not in out, "two daemon pods on one node"
            out[pod["spec"]["nodeName"]] = pod
    return out


def _tolerations(pod) -> list[tuple]:
    return [(t.get("key"), t.get("operator"), t.get("effect")) for t in pod["spec"]["tolerations"]]


def test_docs_daemonset_runs_on_every_node_including_the_tolerated_control_plane(corpus):
    nodes = [_tainted("master", "node-role.kubernetes.io/master"), "node-1", "node-2"]
    c = kl.Cluster(nodes=nodes, seed=0)
    c.apply(f"{corpus}/controllers/daemonset.yaml")
    c.run(30)
    pods = _daemon_pods(c)
    assert sorted(pods) == ["master", "node-1", "node-2"]
    assert all(p["status"]["phase"] == "Running" for p in pods.values())
    # the template's toleration first, then the ones the controller adds
    assert _tolerations(pods["master"]) == [
        ("node-role.kubernetes.io/master", None, "NoSchedule"),
        *DEFAULT_TOLERATIONS,
    ]
    row = c.kubectl("get ds -n kube-system").splitlines()[1].split()
    assert row[:6] == ["fluentd-elasticsearch", "3", "3", "3", "3", "3"]


def test_docs_control_plane_toleration_decides_where_daemons_run(corpus):
    nodes = [_tainted("cp", "node-role.kubernetes.io/control-plane"), "node-1", "node-2"]
    old = kl.Cluster(nodes=nodes, seed=0)
    old.apply(f"{corpus}/controllers/daemonset.yaml")  # tolerates only the old master taint
    old.run(30)
    assert sorted(_daemon_pods(old)) == ["node-1", "node-2"]
    assert old.get("ds", "fluentd-elasticsearch", "kube-system")["status"][
        "desiredNumberScheduled"
    ] == (2)
    new = kl.Cluster(nodes=nodes, seed=0)
    new.apply(f"{corpus}/controllers/fluentd-daemonset.yaml")  # tolerates control-plane too
    new.run(30)
    pods = _daemon_pods(new)
    assert sorted(pods) == ["cp", "node-1", "node-2"]
    assert _tolerations(pods["cp"])[:2] == [
        ("node-role.kubernetes.io/control-plane", "Exists", "NoSchedule"),
        ("node-role.kubernetes.io/master", "Exists", "NoSchedule"),
    ]


def test_docs_rolling_update_one_node_at_a_time(corpus):
    c = kl.Cluster(nodes=3, seed=0)
    c.apply(f"{corpus}/controllers/daemonset.yaml")
    c.run(30)
    unavailable = []

    def on_write(*_):
        ready = set()
        for pod in c.api.store.list("Pod", "kube-system"):
            cond = get_condition(pod, "Ready")
            if cond and cond["status"] == "True" and not pod["metadata"].get("deletionTimestamp"):
                ready.add(pod["spec"]["nodeName"])
        unavailable.append(3 - len(ready))

    c.api.store.watch("Pod", on_write)
    c.apply(f"{corpus}/controllers/fluentd-daemonset-update.yaml")
    c.run(1)
    assert c.kubectl("rollout status ds/fluentd-elasticsearch -n kube-system").endswith(
        'daemon set "fluentd-elasticsearch" successfully rolled out'
    )
    assert max(unavailable) == 1  # maxUnavailable: 1
    pods = _daemon_pods(c)
    assert {p["spec"]["containers"][0]["image"] for p in pods.values()} == {
        "quay.io/fluentd_elasticsearch/fluentd:v2.5.2"
    }
    assert len(pods) == 3
    ds = c.get("ds", "fluentd-elasticsearch", "kube-system")
    assert ds["spec"]["updateStrategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0},
    }
    assert ds["status"]["updatedNumberScheduled"] == 3


def test_docs_rolling_update_defaults_when_the_manifest_says_nothing(corpus):
    c = kl.Cluster(nodes=2, seed=0)
    c.apply(f"{corpus}/application/basic-daemonset.yaml")
    c.run(30)
    ds = c.get("ds", "example-daemonset")
    assert ds["spec"]["updateStrategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0},
    }
    assert ds["spec"]["revisionHistoryLimit"] == 10
    assert sorted(_daemon_pods(c, "default")) == ["node-1", "node-2"]


def test_docs_basic_daemonset_logs_the_machine_id_on_every_node(corpus):
    # "Building a Basic DaemonSet": the init container reads the node's /etc/machine-id
    # (hostPath type: File, which every systemd node has), then the pause container runs.
    c = kl.Cluster(nodes=2, seed=0)
    c.apply(f"{corpus}/application/basic-daemonset.yaml")
    c.run(30)
    pods = _daemon_pods(c, "default")
    assert sorted(pods) == ["node-1", "node-2"]
    assert all(p["status"]["phase"] == "Running" for p in pods.values())
    # the init container ran to completion before the pause container started
    init = pods["node-1"]["status"]["initContainerStatuses"][0]
    assert init["state"]["terminated"]["reason"] == "Completed"


def test_docs_node_selector_examples(corpus):
    c = kl.Cluster(nodes=3, seed=0)
    c.apply(f"{corpus}/controllers/daemonset-label-selector.yaml")
    c.apply(f"{corpus}/windows/daemonset.yaml")
    c.run(20)
    assert c.list("pods") == []  # no node has ssd=true; every node is linux
    c.kubectl("label node node-2 ssd=true")
    c.run(20)
    pods = _daemon_pods(c, "default")
    assert sorted(pods) == ["node-2"]
    assert pods["node-2"]["metadata"]["generateName"] == "nginx-ssd-"
    lines = c.kubectl("get ds").splitlines()
    assert lines[1].split()[:7] == [
        "my-daemonset",
        "0",
        "0",
        "0",
        "0",
        "0",
        "kubernetes.io/os=windows",
    ]
    assert lines[2].split()[:7] == ["nginx-ssd", "1", "1", "1", "1", "1", "ssd=true"]


def test_docs_host_network_daemon_also_tolerates_network_unavailable(corpus):
    c = kl.Cluster(nodes=2, seed=0)
    c.apply(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "node-problem-detector-config", "namespace": "kube-system"},
            "data": {"kernel-monitor.json": "{}"},
        }
    )
    c.apply(f"{corpus}/debug/node-problem-detector-configmap.yaml")
    c.run(30)
    pods = _daemon_pods(c)
    assert sorted(pods) == ["node-1", "node-2"]
    assert _tolerations(pods["node-1"]) == [
        *DEFAULT_TOLERATIONS,
        ("node.kubernetes.io/network-unavailable", "Exists", "NoSchedule"),
    ]
    assert pods["node-1"]["status"]["podIP"] == pods["node-1"]["status"]["hostIP"]


# -- 4. the documentation's probe examples ------------------------------------------------------
def _pod_events(c, name):
    events = c.events
    return events[events.name == name]


def _started(c, name) -> list[float]:
    ev = _pod_events(c, name)
    return ev[ev.reason == "Started"].time.tolist()


def test_docs_exec_liveness_restarts_after_about_35_seconds(corpus):
    c = kl.Cluster(nodes=1, seed=0)
    c.apply(f"{corpus}/pods/probe/exec-liveness.yaml")
    c.run(30)
    ev = _pod_events(c, "liveness-exec")
    assert not (ev.reason == "Unhealthy").any()  # "within 30 seconds": no failed probe yet
    t0 = _started(c, "liveness-exec")[0]
    c.run(t0 + 35 - c.now + 0.01)  # "after 35 seconds"
    ev = _pod_events(c, "liveness-exec")
    unhealthy = ev[ev.reason == "Unhealthy"]
    assert unhealthy.message.tolist() == [
        "Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory"
    ]
    assert unhealthy.type.tolist() == ["Warning"]
    c.run(t0 + 45 - c.now + 0.01)
    ev = _pod_events(c, "liveness-exec")
    assert (ev.reason == "Unhealthy").sum() == 3  # "x3 over 20s" in the docs' describe
    killing = ev[ev.reason == "Killing"]
    assert killing.message.tolist() == [
        "Container liveness failed liveness probe, will be restarted"
    ]
    assert killing.time.iloc[0] - t0 == pytest.approx(45)
    described = c.kubectl("describe pod liveness-exec")
    assert "Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory" in (
        described
    )
    assert "(x3 over 10s)" in described
    # "Wait another 30 seconds, and verify that the container has been restarted"
    c.run(40)
    row = c.kubectl("get pod liveness-exec").splitlines()[1].split()
    assert row[:4] == ["liveness-exec", "1/1", "Running", "1"]


def test_docs_http_liveness_fails_after_10_seconds_of_health(corpus):
    c = kl.Cluster(nodes=1, seed=0)
    c.apply(f"{corpus}/pods/probe/http-liveness.yaml")
    c.run(40)
    t0 = _started(c, "liveness-http")[0]
    ev = _pod_events(c, "liveness-http")
    unhealthy = ev[ev.reason == "Unhealthy"]
    # probes every 3 s from 3 s: 3, 6, 9 pass (200 for the first 10 s), 12, 15, 18 fail
    assert [t - t0 for t in unhealthy.time[:3]] == pytest.approx([12, 15, 18])
    assert set(unhealthy.message) == {
        "Liveness probe failed: HTTP probe failed with statuscode: 500"
    }
    killing = ev[ev.reason == "Killing"]
    assert killing.message.iloc[0] == "Container liveness failed liveness probe, will be restarted"
    assert killing.time.iloc[0] - t0 == pytest.approx(18)
    status = c.get("pod", "liveness-http")["status"]["containerStatuses"][0]
    assert status["restartCount"] >= 1


def test_docs_tcp_liveness_readiness_ready_after_15_seconds(corpus):
    c = kl.Cluster(nodes=1, seed=0)
    c.apply(f"{corpus}/pods/probe/tcp-liveness-readiness.yaml")
    c.run(10)
    t0 = _started(c, "goproxy")[0]
    assert c.kubectl("get pod goproxy").splitlines()[1].split()[1] == "0/1"
    c.run(t0 + 15 - c.now + 0.01)
    assert c.kubectl("get pod goproxy").splitlines()[1].split()[1] == "1/1"
    c.run(300)
    ev = _pod_events(c, "goproxy")
    assert not (ev.reason.isin(["Unhealthy", "Killing"])).any()


@pytest.mark.parametrize(
    ("manifest", "name"),
    [
        ("pod-with-http-healthcheck.yaml", "pod-with-http-healthcheck"),
        ("pod-with-tcp-socket-healthcheck.yaml", "pod-with-tcp-socket-healthcheck"),
    ],
)
def test_docs_healthy_probe_examples_never_restart(manifest, name, corpus):
    c = kl.Cluster(nodes=1, seed=0)
    c.apply(f"{corpus}/pods/probe/{manifest}")
    c.run(300)
    row = c.kubectl(f"get pod {name}").splitlines()[1].split()
    assert row[1:4] == ["1/1", "Running", "0"]


def test_docs_grpc_example_with_the_old_field_spelling_is_refused(corpus):
    # The stored revision spells the field ``gRPC``; the API server's strict decoding refuses it.
    c = kl.Cluster(nodes=1, seed=0)
    with pytest.raises(
        BadRequest, match=r'unknown field "spec\.containers\[0\]\.livenessProbe\.gRPC"'
    ):
        c.apply(f"{corpus}/pods/probe/grpc-liveness.yaml")
    assert c.list("pods") == []
