"""kubectl cordon / uncordon / drain, with PodDisruptionBudgets, on the simulated clock."""

from __future__ import annotations

import itertools

import pytest

import kubelab as kl
from kubelab.kubectl.commands.drain import format_duration, parse_duration

VIOLATION = "Cannot evict pod as it would violate the pod's disruption budget."


def replicaset(replicas=3, volumes=None):
    spec = {"containers": [{"name": "c", "image": "nginx"}]}
    if volumes:
        spec["volumes"] = volumes
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": spec},
        },
    }


def pdb(**spec):
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "web"},
        "spec": {"selector": {"matchLabels": {"app": "web"}}, **spec},
    }


BARE = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "bare"},
    "spec": {"nodeName": "node-1", "containers": [{"name": "c", "image": "nginx"}]},
}


def on_node_1(c, rs=None):
    """Everything on node-1: node-2 cordoned while the workload starts, then uncordoned."""
    c.kubectl("cordon node-2")
    c.apply(rs or replicaset())
    c.run(20)
    c.kubectl("uncordon node-2")
    return c


def test_cordon_and_uncordon_messages():
    c = kl.Cluster(nodes=2, seed=0)
    assert c.kubectl("cordon node-1") == "node/node-1 cordoned"
    assert c.get("node", "node-1")["spec"]["unschedulable"] is True
    assert c.kubectl("cordon node-1") == "node/node-1 already cordoned"
    assert "Ready,SchedulingDisabled" in c.kubectl("get node node-1")
    assert c.kubectl("uncordon node-1") == "node/node-1 uncordoned"
    assert "unschedulable" not in c.get("node", "node-1")["spec"]
    assert c.kubectl("uncordon node-1") == "node/node-1 already uncordoned"
    assert c.kubectl("cordon nope") == 'Error from server (NotFound): nodes "nope" not found'
    assert c.kubectl("cordon") == (
        "error: USAGE: cordon NODE [flags]\nSee 'kubectl cordon -h' for help and examples"
    )


def test_cordoned_node_gets_no_new_pods():
    c = kl.Cluster(nodes=2, seed=0)
    c.kubectl("cordon node-1")
    c.apply(replicaset(4))
    c.run(20)
    assert {p["spec"]["nodeName"] for p in c.list("pods")} == {"node-2"}


def test_drain_refuses_bare_pods_and_daemonset_pods(corpus):
    c = kl.Cluster(nodes=2, seed=0)
    c.apply(f"{corpus}/controllers/daemonset.yaml")
    c.apply(BARE)
    c.run(20)
    ds_pod = next(
        p["metadata"]["name"]
        for p in c.list("pods", "kube-system")
        if p["spec"]["nodeName"] == "node-1"
    )
    out = c.kubectl("drain node-1")
    assert out == (
        "node/node-1 cordoned\n"
        'error: unable to drain node "node-1" due to error: [cannot delete Pods that declare no '
        "controller (use --force to override): default/bare, cannot delete DaemonSet-managed Pods "
        f"(use --ignore-daemonsets to ignore): kube-system/{ds_pod}], continuing command...\n"
        "There are pending nodes to be drained:\n"
        " node-1\n"
        "cannot delete Pods that declare no controller (use --force to override): default/bare\n"
        f"cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): kube-system/{ds_pod}"
    )
    assert c.get("pod", "bare")["status"]["phase"] == "Running"  # nothing evicted
    out = c.kubectl("drain node-1 --ignore-daemonsets")
    assert out == (
        "node/node-1 already cordoned\n"
        'error: unable to drain node "node-1" due to error: cannot delete Pods that declare no '
        "controller (use --force to override): default/bare, continuing command...\n"
        "There are pending nodes to be drained:\n"
        " node-1\n"
        "cannot delete Pods that declare no controller (use --force to override): default/bare"
    )
    out = c.kubectl("drain node-1 --ignore-daemonsets --force")
    assert out.splitlines() == [
        "node/node-1 already cordoned",
        "Warning: deleting Pods that declare no controller: default/bare; "
        f"ignoring DaemonSet-managed Pods: kube-system/{ds_pod}",
        "evicting pod default/bare",
        "pod/bare evicted",
        "node/node-1 drained",
    ]
    with pytest.raises(kl.NotFound):
        c.get("pod", "bare")
    # The DaemonSet pod stays: its controller would put it right back.
    assert c.get("pod", ds_pod, "kube-system")["spec"]["nodeName"] == "node-1"


def test_drain_refuses_emptydir_without_flag():
    c = on_node_1(kl.Cluster(nodes=2, seed=0), replicaset(1, [{"name": "scratch", "emptyDir": {}}]))
    (pod,) = c.list("pods")
    out = c.kubectl("drain node-1")
    assert (
        "cannot delete Pods with local storage (use --delete-emptydir-data to override): "
        f"default/{pod['metadata']['name']}"
    ) in out
    out = c.kubectl("drain node-1 --delete-emptydir-data")
    assert out.endswith("node/node-1 drained")


def test_drain_with_budget_evicts_one_at_a_time_and_never_violates_it():
    c = on_node_1(kl.Cluster(nodes=2, seed=0))
    c.apply(pdb(minAvailable=2))
    c.run(1)
    healthy_log = []

    def healthy(_type, _obj, _old):
        n = 0
        for pod in c.api.store.list("Pod", "default"):
            conds = {
                x["type"]: x["status"] for x in (pod.get("status") or {}).get("conditions") or ()
            }
            n += conds.get("Ready") == "True" and not pod["metadata"].get("deletionTimestamp")
        healthy_log.append((c.now, n))

    c.api.store.watch("Pod", healthy)
    start = c.now
    out = c.kubectl("drain node-1")
    lines = out.splitlines()
    assert lines[0] == "node/node-1 cordoned" and lines[-1] == "node/node-1 drained"
    assert min(n for _, n in healthy_log) >= 2  # the budget held at every instant
    evicted = [line for line in lines if line.endswith(" evicted")]
    assert len(evicted) == 3
    refusals = [line for line in lines if "will retry after 5s" in line]
    assert refusals and all(
        line.endswith(f"(will retry after 5s): {VIOLATION}") for line in refusals
    )
    assert (
        refusals[0].startswith('error when evicting pods/"web-') and ' -n "default" ' in refusals[0]
    )
    # One eviction per budget window: the next only after a replacement turned Ready.
    granted = [
        t
        for t, _user, verb, *_rest, code in c.api.audit
        if verb == "create/eviction" and code == 201
    ]
    assert len(granted) == 3
    assert all(b - a >= 5 for a, b in itertools.pairwise(granted))
    assert c.now - start >= 10
    assert {p["spec"]["nodeName"] for p in c.list("pods")} == {"node-2"}
    assert len(c.list("pods")) == 3


def test_drain_times_out_when_the_budget_allows_nothing():
    c = on_node_1(kl.Cluster(nodes=2, seed=0), replicaset(1))
    c.apply(pdb(maxUnavailable=0))
    c.run(1)
    (pod,) = c.list("pods")
    name = pod["metadata"]["name"]
    start = c.now
    out = c.kubectl("drain node-1 --timeout=12s")
    assert c.now - start == pytest.approx(15)  # attempts at 0, 5, 10; the 4th sees the deadline
    assert out.splitlines() == [
        "node/node-1 cordoned",
        f"evicting pod default/{name}",
        f'error when evicting pods/"{name}" -n "default" (will retry after 5s): {VIOLATION}',
        f"evicting pod default/{name}",
        f'error when evicting pods/"{name}" -n "default" (will retry after 5s): {VIOLATION}',
        f"evicting pod default/{name}",
        f'error when evicting pods/"{name}" -n "default" (will retry after 5s): {VIOLATION}',
        f"evicting pod default/{name}",
        f'There are pending pods in node "node-1" when an error occurred: error when evicting '
        f'pods/"{name}" -n "default": global timeout reached: 12s',
        f"pod/{name}",
        f'error: unable to drain node "node-1" due to error: error when evicting pods/"{name}" -n '
        '"default": global timeout reached: 12s, continuing command...',
        "There are pending nodes to be drained:",
        " node-1",
        f'error when evicting pods/"{name}" -n "default": global timeout reached: 12s',
    ]
    assert c.get("pod", name)["status"]["phase"] == "Running"


def test_drain_without_timeout_gives_up_after_the_default():
    c = on_node_1(kl.Cluster(nodes=2, seed=0), replicaset(1))
    c.apply(pdb(maxUnavailable=0))
    c.run(1)
    start = c.now
    out = c.kubectl("drain node-1")
    assert 300 <= c.now - start <= 305
    assert out.endswith("global timeout reached: 5m0s")


def test_drain_disable_eviction_ignores_the_budget():
    c = on_node_1(kl.Cluster(nodes=2, seed=0), replicaset(2))
    c.apply(pdb(maxUnavailable=0))
    c.run(1)
    out = c.kubectl("drain node-1 --disable-eviction --grace-period=1")
    assert out.endswith("node/node-1 drained")
    assert sum(line.endswith(" deleted") for line in out.splitlines()) == 2


def test_drain_empty_node_and_unknown_node():
    c = kl.Cluster(nodes=2, seed=0)
    assert c.kubectl("drain node-2") == "node/node-2 cordoned\nnode/node-2 drained"
    assert c.kubectl("drain nope") == 'Error from server (NotFound): nodes "nope" not found'
    assert "invalid duration" in c.kubectl("drain node-2 --timeout=soon")


def test_durations():
    assert parse_duration("1h2m3s") == 3723
    assert format_duration(3723) == "1h2m3s"
    with pytest.raises(ValueError):
        parse_duration("5")


# -- kubectl taint ---------------------------------------------------------------------------------
def _taints(c, node):
    return [
        (t["key"], t.get("value"), t["effect"])
        for t in c.get("node", node, "")["spec"].get("taints") or ()
    ]


def test_taint_add_overwrite_and_remove_with_upstream_words():
    c = kl.Cluster(nodes=2, seed=0)
    assert c.kubectl("taint nodes node-1 dedicated=gpu:NoSchedule") == "node/node-1 tainted"
    assert _taints(c, "node-1") == [("dedicated", "gpu", "NoSchedule")]
    assert c.kubectl("taint nodes node-1 dedicated=ml:NoSchedule") == (
        "error: node node-1 already has dedicated taint(s) with same effect(s) and "
        "--overwrite is false"
    )
    assert c.kubectl("taint nodes node-1 dedicated=ml:NoSchedule --overwrite") == (
        "node/node-1 modified"
    )
    assert _taints(c, "node-1") == [("dedicated", "ml", "NoSchedule")]
    assert c.kubectl("taint node node-1 dedicated=ml:NoExecute") == "node/node-1 tainted"
    assert c.kubectl("taint node node-1 dedicated:NoSchedule-") == "node/node-1 untainted"
    assert _taints(c, "node-1") == [("dedicated", "ml", "NoExecute")]
    assert c.kubectl("taint node node-1 dedicated:NoSchedule-") == (
        'error: taint "dedicated:NoSchedule" not found'
    )
    assert c.kubectl("taint node/node-1 dedicated-") == "node/node-1 untainted"
    assert "taints" not in c.get("node", "node-1", "")["spec"]
    assert c.kubectl("taint nodes --all a=b:PreferNoSchedule") == (
        "node/node-1 tainted\nnode/node-2 tainted"
    )


def test_taint_refuses_bad_input_clearly():
    c = kl.Cluster(nodes=1, seed=0)
    assert c.kubectl("taint nodes node-1 a=b:Sometimes") == (
        "error: invalid taint effect: Sometimes, unsupported taint effect"
    )
    # without ":Effect" the whole word is the key, and "a=b" is no qualified name
    assert c.kubectl("taint nodes node-1 a=b").startswith(
        "error: invalid taint spec: a=b, name part must consist of"
    )
    assert c.kubectl("taint nodes node-1 a=b=c:NoSchedule") == (
        "error: invalid taint spec: a=b=c:NoSchedule"
    )
    assert c.kubectl("taint nodes node-1 bad_key!:NoSchedule").startswith(
        "error: invalid taint spec: bad_key!:NoSchedule, name part must consist of"
    )
    assert c.kubectl("taint nodes node-1").startswith(
        "error: at least one taint update is required"
    )
    assert c.kubectl("taint pods web a=b:NoSchedule") == (
        'error: resource type "pods" is not supported by taint, only nodes'
    )
    assert c.kubectl("taint nodes nope a=b:NoSchedule") == (
        'Error from server (NotFound): nodes "nope" not found'
    )
    assert c.kubectl("taint nodes node-1 a=b:NoSchedule a=c:NoSchedule").startswith(
        "error: duplicated taints with the same key and effect"
    )
    assert "taints" not in c.get("node", "node-1", "")["spec"]  # nothing half-applied


def test_noexecute_taint_evicts_untolerating_pods_but_not_daemons(corpus):
    c = kl.Cluster(nodes=2, seed=0)
    c.apply(f"{corpus}/controllers/daemonset.yaml")
    c.apply(replicaset(2))
    c.run(20)
    c.kubectl("taint nodes node-1 maintenance=now:NoExecute")
    c.run(40)
    web = [p for p in c.list("pods") if not p["metadata"].get("deletionTimestamp")]
    assert {p["spec"]["nodeName"] for p in web} == {"node-2"}
    daemons = c.list("pods", "kube-system")
    assert {p["spec"]["nodeName"] for p in daemons} == {"node-2"}  # not tolerated: evicted too
    events = c.events
    assert (events.reason == "TaintManagerEviction").sum() >= 2
