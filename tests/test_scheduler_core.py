"""The pure scheduling core: requests, tolerations, node affinity, filters, scores, FitError."""

from __future__ import annotations

import random

import numpy as np
import pytest

from kubelab.scheduler.framework import (
    Framework,
    default_normalize_score,
    fit_error_message,
    num_feasible_nodes_to_find,
)
from kubelab.scheduler.nodeselector import compile_term, term_matches
from kubelab.scheduler.nodetable import NodeTable
from kubelab.scheduler.plugins import BalancedAllocation, Fit, NodeAffinity, TaintToleration
from kubelab.scheduler.podinfo import PodInfo
from kubelab.scheduler.requests import pod_requests
from kubelab.scheduler.schedule_one import SchedulingAlgorithm
from kubelab.scheduler.taints import tolerates_taint, toleration_tuple

PREEMPT_NO_VICTIMS = "No preemption victims found for incoming pod"
PREEMPT_NOT_HELPFUL = "Preemption is not helpful for scheduling"


# -- helpers ------------------------------------------------------------------------------------
def node(
    name, cpu="4", memory="8Gi", pods="110", labels=None, taints=None, unschedulable=False, **extra
):
    allocatable = {"cpu": cpu, "memory": memory, "pods": pods, **extra}
    return {
        "metadata": {"name": name, "labels": labels or {}},
        "spec": {"taints": taints or [], "unschedulable": unschedulable},
        "status": {"allocatable": allocatable},
    }


def pod(name="p", *requests, namespace="default", **spec):
    containers = [
        {"name": f"c{i}", "image": "x", **({"resources": {"requests": r}} if r is not None else {})}
        for i, r in enumerate(requests or [None])
    ]
    return PodInfo.from_pod(
        {
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"containers": containers, **spec},
        }
    )


def cluster(*nodes):
    table = NodeTable()
    for n in nodes:
        table.set_node(n)
    return table


def scheduler(table, seed=0, **kw):
    return SchedulingAlgorithm(Framework.default(), table, random.Random(seed), **kw)


def message(table, p):
    result = scheduler(table).schedule(p)
    assert result.node is None
    return result.message


# -- requests -----------------------------------------------------------------------------------
def test_pod_requests_init_containers_sidecars_and_overhead():
    spec = {
        "initContainers": [
            {"name": "init", "resources": {"requests": {"cpu": "3", "memory": "1Gi"}}},
            {
                "name": "sidecar",
                "restartPolicy": "Always",
                "resources": {"requests": {"cpu": "500m", "memory": "64Mi"}},
            },
        ],
        "containers": [{"name": "app", "resources": {"requests": {"cpu": "1", "memory": "1Gi"}}}],
        "overhead": {"cpu": "100m"},
    }
    r = pod_requests({"spec": spec})
    # init 3 cpu (runs before the sidecar); app + sidecar = 1.5 cpu; max = 3; + overhead
    assert r.cpu == 3100
    assert r.memory == 1024**3 + 64 * 1024**2 + 0  # max(1Gi init, 1Gi+64Mi running)
    # A later init container runs next to the sidecar started before it.
    spec["initContainers"].reverse()
    assert pod_requests({"spec": spec}).cpu == 3500 + 100


def test_non_zero_requests_only_fill_missing_values():
    nz = pod_requests(
        {
            "spec": {
                "containers": [
                    {"name": "a", "resources": {"requests": {"cpu": "0"}}},
                    {"name": "b"},
                ]
            }
        },
        non_zero=True,
    )
    assert (nz.cpu, nz.memory) == (100, 2 * 200 * 1024**2)
    assert pod("x").requests.is_zero()


# -- tolerations (TestTolerationToleratesTaint) -------------------------------------------------
@pytest.mark.parametrize(
    ("toleration", "taint", "expected"),
    [
        (
            {"key": "foo", "operator": "Exists", "effect": "NoSchedule"},
            ("foo", "", "NoSchedule"),
            True,
        ),
        (
            {"key": "foo", "operator": "Exists", "effect": "NoSchedule"},
            ("foo", "bar", "NoSchedule"),
            True,
        ),
        ({"operator": "Exists", "effect": "NoSchedule"}, ("foo", "bar", "NoSchedule"), True),
        (
            {"key": "foo", "operator": "Equal", "value": "bar", "effect": "NoSchedule"},
            ("foo", "bar", "NoSchedule"),
            True,
        ),
        (
            {"key": "foo", "operator": "Equal", "value": "bar", "effect": "NoSchedule"},
            ("foo", "baz", "NoSchedule"),
            False,
        ),
        (
            {"key": "foo", "operator": "Equal", "value": "bar", "effect": "NoSchedule"},
            ("foo", "bar", "NoExecute"),
            False,
        ),
        ({"operator": "Exists"}, ("anything", "x", "NoExecute"), True),
        ({"key": "foo", "value": "bar"}, ("foo", "bar", "PreferNoSchedule"), True),
    ],
)
def test_toleration_rows(toleration, taint, expected):
    assert tolerates_taint(toleration_tuple(toleration), taint) is expected


# -- node affinity ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("expr", "labels", "expected"),
    [
        ({"key": "zone", "operator": "In", "values": ["a", "b"]}, {"zone": "b"}, True),
        ({"key": "zone", "operator": "In", "values": ["a"]}, {}, False),
        ({"key": "zone", "operator": "NotIn", "values": ["a"]}, {}, True),
        ({"key": "zone", "operator": "NotIn", "values": ["a"]}, {"zone": "a"}, False),
        ({"key": "gpu", "operator": "Exists"}, {"gpu": ""}, True),
        ({"key": "gpu", "operator": "DoesNotExist"}, {"gpu": ""}, False),
        ({"key": "cores", "operator": "Gt", "values": ["4"]}, {"cores": "8"}, True),
        ({"key": "cores", "operator": "Gt", "values": ["4"]}, {"cores": "4"}, False),
        ({"key": "cores", "operator": "Lt", "values": ["4"]}, {"cores": "3"}, True),
        ({"key": "cores", "operator": "Lt", "values": ["4"]}, {"cores": "three"}, False),
        (
            {"key": "cores", "operator": "Lt", "values": ["four"]},
            {"cores": "3"},
            False,
        ),  # invalid term
    ],
)
def test_node_selector_operators(expr, labels, expected):
    term = compile_term({"matchExpressions": [expr]})
    assert term_matches(term, labels, "n") is expected
    # The vectorised mask agrees with the per-node reference.
    table = cluster(node("n", labels=labels), node("other", labels={"unrelated": "x"}))
    p = pod(
        affinity={
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [{"matchExpressions": [expr]}]
                }
            }
        }
    )
    from kubelab.scheduler.framework import CycleState

    mask = NodeAffinity().matching(CycleState(p, table))
    assert bool(mask[0]) is expected
    assert bool(mask[1]) is term_matches(term, {"unrelated": "x"}, "other")


def test_node_affinity_terms_are_ored_and_node_selector_anded():
    table = cluster(
        node("a", labels={"zone": "a", "disk": "ssd"}),
        node("b", labels={"zone": "b", "disk": "hdd"}),
        node("c", labels={"zone": "c", "disk": "ssd"}),
    )
    terms = [
        {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]},
        {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["b"]}]},
    ]
    p = pod(
        nodeSelector={"disk": "ssd"},
        affinity={
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": terms}
            }
        },
    )
    assert scheduler(table).schedule(p).node == "a"
    assert message(table, pod(nodeSelector={"disk": "nvme"})) == (
        "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. "
        f"preemption: 0/3 nodes are available: 3 {PREEMPT_NOT_HELPFUL}."
    )


def test_empty_term_matches_nothing_and_match_fields():
    table = cluster(node("a"), node("b"))
    empty = pod(
        affinity={
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{}]}
            }
        }
    )
    assert message(table, empty).startswith(
        "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector."
    )
    pinned = pod(
        affinity={
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {
                            "matchFields": [
                                {"key": "metadata.name", "operator": "In", "values": ["b"]}
                            ]
                        }
                    ]
                }
            }
        }
    )
    assert scheduler(table).schedule(pinned).node == "b"


def test_daemonset_style_pin_to_full_node():
    # Like a DaemonSet pod: pinned with matchFields; the other nodes are left out by PreFilter.
    table = cluster(node("a", cpu="1"), node("b"), node("c"), node("d"))
    p = pod(
        "ds",
        {"cpu": "2"},
        affinity={
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {
                            "matchFields": [
                                {"key": "metadata.name", "operator": "In", "values": ["a"]}
                            ]
                        }
                    ]
                }
            }
        },
    )
    table.add_pod(pod("x", {"cpu": "500m"}), "a")
    p2 = pod("ds2", {"cpu": "800m"}, affinity=p.pod["spec"]["affinity"])
    assert message(table, p2) == (
        "0/4 nodes are available: 1 Insufficient cpu, 3 node(s) didn't satisfy plugin(s) "
        f"[NodeAffinity]. preemption: 0/4 nodes are available: 1 {PREEMPT_NO_VICTIMS}, "
        f"3 {PREEMPT_NOT_HELPFUL}."
    )
    gone = pod(
        affinity={
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {
                            "matchFields": [
                                {"key": "metadata.name", "operator": "In", "values": ["zz"]}
                            ]
                        }
                    ]
                }
            }
        }
    )
    assert message(table, gone).startswith(
        "0/4 nodes are available: 4 node(s) didn't satisfy plugin(s) [NodeAffinity]."
    )


# -- FitError messages --------------------------------------------------------------------------
def test_insufficient_cpu_everywhere():
    table = cluster(*(node(f"n{i}", cpu="1") for i in range(3)))
    # v1.34+: a request bigger than the whole node: preemption can't help.
    assert message(table, pod("big", {"cpu": "2"})) == (
        "0/3 nodes are available: 3 Insufficient cpu. "
        f"preemption: 0/3 nodes are available: 3 {PREEMPT_NOT_HELPFUL}."
    )
    for i in range(3):
        table.add_pod(pod(f"used{i}", {"cpu": "800m"}), f"n{i}")
    assert message(table, pod("mid", {"cpu": "500m"})) == (
        "0/3 nodes are available: 3 Insufficient cpu. "
        f"preemption: 0/3 nodes are available: 3 {PREEMPT_NO_VICTIMS}."
    )


def test_histogram_is_sorted_like_go_and_lists_every_resource():
    nodes = [node(f"n{i:02}", cpu="1", memory="1Gi") for i in range(10)]
    nodes += [
        node("cordoned", unschedulable=True),
        node(
            "cp", taints=[{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]
        ),
        node("full", pods="0"),
    ]
    table = cluster(*nodes)
    msg = message(table, pod("p", {"cpu": "2", "memory": "2Gi"}))
    assert msg == (
        "0/13 nodes are available: 1 Too many pods, 1 node(s) had untolerated taint "
        "{node-role.kubernetes.io/control-plane: }, 1 node(s) were unschedulable, "
        "10 Insufficient cpu, 10 Insufficient memory. preemption: 0/13 nodes are available: "
        f"1 {PREEMPT_NO_VICTIMS}, 12 {PREEMPT_NOT_HELPFUL}."
    )
    assert fit_error_message(12, {"b": 2, "a": 10}) == "0/12 nodes are available: 10 a, 2 b."


def test_first_failing_plugin_wins():
    # A cordoned node that is also too small reports only "were unschedulable".
    table = cluster(node("a", cpu="1", unschedulable=True), node("b", cpu="1"))
    assert message(table, pod("p", {"cpu": "2"})).startswith(
        "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) were unschedulable."
    )


def test_tolerating_unschedulable_taint_passes_cordon():
    table = cluster(node("a", unschedulable=True))
    p = pod(
        tolerations=[
            {
                "key": "node.kubernetes.io/unschedulable",
                "operator": "Exists",
                "effect": "NoSchedule",
            }
        ]
    )
    assert scheduler(table).schedule(p).node == "a"


def test_no_nodes_and_preemption_policy_never():
    assert scheduler(NodeTable()).schedule(pod()).message == "no nodes available to schedule pods"
    table = cluster(node("a", cpu="1"))
    p = pod("p", {"cpu": "2"}, preemptionPolicy="Never")
    assert message(table, p) == (
        "0/1 nodes are available: 1 Insufficient cpu. "
        "preemption: not eligible due to preemptionPolicy=Never."
    )


def test_taint_reason_names_the_first_untolerated_taint():
    taints = [
        {"key": "a", "value": "1", "effect": "PreferNoSchedule"},
        {"key": "b", "value": "2", "effect": "NoExecute"},
        {"key": "c", "effect": "NoSchedule"},
    ]
    table = cluster(node("n", taints=taints))
    assert message(table, pod()).startswith(
        "0/1 nodes are available: 1 node(s) had untolerated taint {b: 2}."
    )
    tolerant = pod(tolerations=[{"key": "b", "operator": "Exists"}])
    assert message(table, tolerant).startswith(
        "0/1 nodes are available: 1 node(s) had untolerated taint {c: }."
    )


def test_host_ports_and_extended_resources():
    table = cluster(node("a"), node("b", **{"example.com/gpu": "1"}))
    web = PodInfo.from_pod(
        {
            "metadata": {"name": "w", "namespace": "default"},
            "spec": {
                "containers": [{"name": "c", "ports": [{"containerPort": 80, "hostPort": 80}]}]
            },
        }
    )
    table.add_pod(web, "a")
    table.add_pod(PodInfo.from_pod(dict(web.pod, metadata={"name": "w2", "namespace": "d"})), "b")
    assert message(table, web).startswith(
        "0/2 nodes are available: 2 node(s) didn't have free ports for the requested pod ports. "
        f"preemption: 0/2 nodes are available: 2 {PREEMPT_NO_VICTIMS}."
    )
    udp = PodInfo.from_pod(
        {
            "metadata": {"name": "u", "namespace": "default"},
            "spec": {
                "containers": [
                    {
                        "name": "c",
                        "ports": [{"containerPort": 80, "hostPort": 80, "protocol": "UDP"}],
                    }
                ]
            },
        }
    )
    assert scheduler(table).schedule(udp).node is not None
    gpu = pod("g", {"example.com/gpu": "2"})
    assert message(table, gpu) == (
        "0/2 nodes are available: 2 Insufficient example.com/gpu. "
        f"preemption: 0/2 nodes are available: 2 {PREEMPT_NOT_HELPFUL}."
    )
    assert scheduler(table).schedule(pod("g1", {"example.com/gpu": "1"})).node == "b"


def test_too_many_pods_and_zero_request_pods():
    table = cluster(node("a", cpu="1", pods="2"))
    table.add_pod(pod("x", {"cpu": "1"}), "a")
    assert scheduler(table).schedule(pod("free")).node == "a"  # requests nothing: a slot suffices
    table.add_pod(pod("y"), "a")
    assert message(table, pod("z")).startswith("0/1 nodes are available: 1 Too many pods.")


# -- scores -------------------------------------------------------------------------------------
def _fit_scores(nodes, existing, incoming, resources=(("cpu", 1), ("memory", 1))):
    from kubelab.scheduler.framework import CycleState

    table = cluster(*(node(name, cpu=f"{c}m", memory=str(m)) for name, c, m in nodes))
    for i, (where, req) in enumerate(existing):
        table.add_pod(pod(f"e{i}", req), where)
    state = CycleState(incoming, table)
    return Fit(resources).score(state, table.order()).tolist()


def _reqs(cpu, mem):
    return {"cpu": f"{cpu}m", "memory": str(mem)}


def test_least_allocated_rows():
    nothing = PodInfo.from_pod(
        {"metadata": {"name": "p", "namespace": "d"}, "spec": {"containers": []}}
    )
    two = pod("p", _reqs(1000, 2000), _reqs(2000, 3000))
    small = [("n1", 4000, 10000), ("n2", 4000, 10000)]
    big = [("n1", 10000, 20000), ("n2", 10000, 20000)]
    assert _fit_scores(small, [], nothing) == [100, 100]
    assert _fit_scores([("n1", 4000, 10000), ("n2", 6000, 10000)], [], two) == [37, 50]
    existing = [
        ("n1", _reqs(3000, 0)),
        ("n1", _reqs(3000, 0)),
        ("n2", _reqs(3000, 0)),
        ("n2", _reqs(3000, 5000)),
    ]
    assert _fit_scores(big, existing, nothing) == [70, 57]
    one_each = [("n1", _reqs(3000, 0)), ("n2", _reqs(3000, 5000))]
    assert _fit_scores(big, one_each, two) == [57, 45]
    assert _fit_scores([("n1", 10000, 20000), ("n2", 10000, 50000)], one_each, two) == [57, 60]
    assert _fit_scores(small, one_each, pod("p", _reqs(3000, 0))) == [50, 25]
    assert _fit_scores([("n1", 0, 0), ("n2", 0, 0)], one_each, nothing) == [0, 0]
    weighted = (("memory", 2), ("cpu", 1))
    assert _fit_scores([("n1", 4000, 10000), ("n2", 6000, 10000)], [], two, weighted) == [41, 50]


def test_balanced_allocation():
    from kubelab.scheduler.framework import CycleState

    table = cluster(
        node("n1", cpu="4000m", memory="10000"), node("n2", cpu="6000m", memory="10000")
    )
    p = pod("p", _reqs(3000, 5000))
    state = CycleState(p, table)
    # n1: cpu 0.75, mem 0.5 → std 0.125 → 87; n2: 0.5, 0.5 → 100
    assert BalancedAllocation().score(state, table.order()).tolist() == [87, 100]
    assert not BalancedAllocation().pre_score(CycleState(pod("empty"), table))


def test_taint_and_affinity_score_normalisation():
    from kubelab.scheduler.framework import CycleState

    prefer = [{"key": "k", "value": "v", "effect": "PreferNoSchedule"}]
    table = cluster(
        node("clean", labels={"ssd": "1"}),
        node("tainted", taints=prefer),
        node("twice", taints=[*prefer, {"key": "j", "effect": "PreferNoSchedule"}]),
    )
    plugin = TaintToleration()
    state = CycleState(pod(), table)
    raw = plugin.score(state, table.order())
    assert raw.tolist() == [0, 1, 2]
    assert plugin.normalize(state, raw).tolist() == [100, 50, 0]
    tolerant = CycleState(pod(tolerations=[{"key": "k", "operator": "Exists"}]), table)
    assert plugin.score(tolerant, table.order()).tolist() == [0, 0, 1]
    preferred = pod(
        affinity={
            "nodeAffinity": {
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    {
                        "weight": 30,
                        "preference": {"matchExpressions": [{"key": "ssd", "operator": "Exists"}]},
                    },
                    {
                        "weight": 10,
                        "preference": {
                            "matchExpressions": [{"key": "ssd", "operator": "DoesNotExist"}]
                        },
                    },
                ]
            }
        }
    )
    affinity = NodeAffinity()
    state = CycleState(preferred, table)
    assert affinity.normalize(state, affinity.score(state, table.order())).tolist() == [100, 33, 33]
    assert scheduler(table).schedule(preferred).node == "clean"
    assert default_normalize_score(np.array([0, 0])).tolist() == [0, 0]


# -- the cycle ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("nodes", "percentage", "expected"),
    [
        (10, 0, 10),
        (10, 40, 10),
        (1000, 0, 420),
        (1000, 40, 400),
        (6000, 0, 300),
        (6000, 40, 2400),
        (200, 0, 100),
        (99, 0, 99),
        (100, 0, 100),
    ],
)
def test_num_feasible_nodes_to_find(nodes, percentage, expected):
    assert num_feasible_nodes_to_find(nodes, percentage) == expected


def test_round_robin_start_index():
    table = cluster(*(node(f"n{i:03}") for i in range(200)))
    algorithm = scheduler(table)
    first = algorithm.schedule(pod("a"))
    assert (first.evaluated_nodes, first.feasible_nodes) == (100, 100)
    assert algorithm.next_start_node_index == 100
    second = algorithm.schedule(pod("b"))
    assert set(second.feasible.tolist()) == set(range(100, 200))
    assert algorithm.next_start_node_index == 0
    # Infeasible nodes are skipped but counted as processed.
    table.set_node(node("n005", cpu="0"))
    third = algorithm.schedule(pod("c", {"cpu": "1"}))
    assert (third.evaluated_nodes, third.feasible_nodes) == (101, 100)
    assert 5 not in third.feasible.tolist()


def _placements(seed, n_pods=30, n_nodes=3):
    table = cluster(*(node(f"n{i}") for i in range(n_nodes)))
    algorithm = scheduler(table, seed)
    out = []
    for i in range(n_pods):
        p = pod(f"p{i}", {"cpu": "100m", "memory": "100Mi"})
        result = algorithm.schedule(p)
        table.add_pod(p, result.node)  # assume, as the component does
        out.append(result.node)
    return out


def test_same_seed_same_placements():
    assert _placements(1) == _placements(1)
    assert any(_placements(s) != _placements(1) for s in range(2, 6))


def test_least_allocated_spreads_equal_pods():
    placements = _placements(0)
    assert {n: placements.count(n) for n in set(placements)} == {"n0": 10, "n1": 10, "n2": 10}


def test_node_table_churn():
    table = cluster(node("a", labels={"zone": "x"}), node("b", labels={"zone": "x"}))
    p = pod("p", {"cpu": "1"})
    table.add_pod(p, "a")
    table.remove_node("a")
    assert len(table) == 1 and table.label_mask("zone", "x").tolist() == [False, True]
    table.set_node(node("c"))  # reuses slot 0
    assert table.slot_of["c"] == 0 and int(table.requested_cpu[0]) == 0
    table.set_node(node("a", labels={"zone": "y"}))  # a comes back: its pod counts again
    slot = table.slot_of["a"]
    assert int(table.requested_cpu[slot]) == 1000 and int(table.pod_count[slot]) == 1
    table.remove_pod(p.key)
    assert int(table.requested_cpu[slot]) == 0
    table.add_pod(p, "ghost")  # pods on unknown nodes wait
    table.set_node(node("ghost"))
    assert int(table.requested_cpu[table.slot_of["ghost"]]) == 1000
