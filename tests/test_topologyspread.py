"""PodTopologySpread: the filter (skew, minDomains, policies, missing labels), the score rows of
upstream's ``podtopologyspread/scoring_test.go`` (TestPodTopologySpreadScore) and the
system-default constraints in a running cluster.
"""

from __future__ import annotations

import collections

import numpy as np
import pytest

import kubelab as kl
from kubelab.scheduler.framework import CycleState
from kubelab.scheduler.handle import Handle
from kubelab.scheduler.nodetable import NodeTable
from kubelab.scheduler.plugins.podtopologyspread import (
    ERR_REASON_CONSTRAINTS_NOT_MATCH,
    ERR_REASON_NODE_LABEL_NOT_MATCH,
    PodTopologySpread,
)
from kubelab.scheduler.podinfo import PodInfo

HOST = "kubernetes.io/hostname"
FOO = {"matchExpressions": [{"key": "foo", "operator": "Exists"}]}
BAR = {"matchExpressions": [{"key": "bar", "operator": "Exists"}]}


def constraint(skew, key, when="DoNotSchedule", selector=FOO, **extra):
    return {
        "maxSkew": skew,
        "topologyKey": key,
        "whenUnsatisfiable": when,
        "labelSelector": selector,
        **extra,
    }


def pod(name, labels=None, constraints=(), namespace="default", spec=None):
    spec = dict(spec or {})
    if constraints:
        spec["topologySpreadConstraints"] = list(constraints)
    return PodInfo.from_pod(
        {"metadata": {"name": name, "namespace": namespace, "labels": labels or {}}, "spec": spec}
    )


def table_of(nodes, placed):
    """``nodes``: name → labels; ``placed``: node → number of ``foo`` pods (or label dicts)."""
    table = NodeTable()
    for name, labels in nodes.items():
        table.set_node({"metadata": {"name": name, "labels": labels}})
    for node, pods in placed.items():
        if isinstance(pods, int):
            pods = [{"foo": ""}] * pods
        for i, labels in enumerate(pods):
            table.add_pod(pod(f"p-{node}-{i}", labels), node)
    return table


def filter_verdicts(table, incoming, handle=None):
    plugin = PodTopologySpread()
    state = CycleState(incoming, table, handle=handle)
    plugin.pre_filter(state)
    out = {table.names[s]: "" for s in table.order()}
    for reason, mask in plugin.filter(state):
        for s in np.flatnonzero(mask):
            out[table.names[s]] = reason
    return out


def fits(table, incoming):
    return sorted(n for n, r in filter_verdicts(table, incoming).items() if not r)


ZONES = {
    "node-a": {"zone": "zone1", "node": "node-a"},
    "node-b": {"zone": "zone1", "node": "node-b"},
    "node-x": {"zone": "zone2", "node": "node-x"},
    "node-y": {"zone": "zone2", "node": "node-y"},
}
FOO_POD = {"foo": ""}


# -- filter (filtering_test.go TestSingleConstraint / TestMultipleConstraints) -----------------
@pytest.mark.parametrize(
    ("name", "constraints", "labels", "placed", "want"),
    [
        (
            "no existing pods",
            [constraint(1, "zone")],
            FOO_POD,
            {},
            ["node-a", "node-b", "node-x", "node-y"],
        ),
        (
            "no existing pods, incoming pod doesn't match itself",
            [constraint(1, "zone")],
            {},
            {},
            ["node-a", "node-b", "node-x", "node-y"],
        ),
        (
            "existing pods in a different namespace do not count",
            [constraint(1, "zone")],
            FOO_POD,
            "other-namespace",
            ["node-a", "node-b", "node-x", "node-y"],
        ),
        (
            "pods spread across zones as 3/3, all nodes fit",
            [constraint(1, "zone")],
            FOO_POD,
            {"node-a": 2, "node-b": 1, "node-x": 1, "node-y": 2},
            ["node-a", "node-b", "node-x", "node-y"],
        ),
        (
            "pods spread across zones as 1/2, only zone1 fits",
            [constraint(1, "zone")],
            FOO_POD,
            {"node-a": 1, "node-x": 1, "node-y": 1},
            ["node-a", "node-b"],
        ),
        (
            "pods spread across nodes as 2/1/0/3, only node-x fits",
            [constraint(1, "node")],
            FOO_POD,
            {"node-a": 2, "node-b": 1, "node-y": 3},
            ["node-x"],
        ),
        (
            "pods spread across nodes as 2/1/0/3, maxSkew is 2, node-b and node-x fit",
            [constraint(2, "node")],
            FOO_POD,
            {"node-a": 2, "node-b": 1, "node-y": 3},
            ["node-b", "node-x"],
        ),
        (
            "pods spread across nodes as 2/1/0/3, but pod doesn't match itself",
            [constraint(1, "node")],
            {"bar": ""},
            {"node-a": 2, "node-b": 1, "node-y": 3},
            ["node-b", "node-x"],
        ),
        (
            "two constraints on zone and node, spreads = [3/3, 2/1/0/3]",
            [constraint(1, "zone"), constraint(1, "node")],
            FOO_POD,
            {"node-a": 2, "node-b": 1, "node-y": 3},
            ["node-x"],
        ),
        (
            "two constraints on zone and node, spreads = [3/4, 2/1/0/4]",
            [constraint(1, "zone"), constraint(1, "node")],
            FOO_POD,
            {"node-a": 2, "node-b": 1, "node-y": 4},
            [],
        ),
        (
            "minDomains 3 over 2 zones: the global minimum counts as 0",
            [constraint(2, "zone", minDomains=3)],
            FOO_POD,
            {"node-a": 2, "node-x": 1},
            ["node-x", "node-y"],
        ),
    ],
)
def test_filter_rows(name, constraints, labels, placed, want):
    if placed == "other-namespace":
        table = table_of(ZONES, {})
        for node in ("node-a", "node-b", "node-x"):
            table.add_pod(pod(f"o-{node}", FOO_POD, namespace="ns2"), node)
    else:
        table = table_of(ZONES, placed)
    assert fits(table, pod("p", labels, constraints)) == want, name


def test_missing_topology_label_is_its_own_reason():
    nodes = dict(ZONES, **{"node-z": {"node": "node-z"}})
    table = table_of(nodes, {"node-a": 1})
    got = filter_verdicts(table, pod("p", FOO_POD, [constraint(1, "zone")]))
    assert got["node-z"] == ERR_REASON_NODE_LABEL_NOT_MATCH
    assert got["node-a"] == got["node-b"] == ERR_REASON_CONSTRAINTS_NOT_MATCH
    assert got["node-x"] == got["node-y"] == ""


def test_node_affinity_policy_honor_and_ignore():
    # docs one-constraint-with-nodeaffinity: zoneC is excluded by nodeAffinity, so its empty
    # domain does not hold the minimum at 0 (Honor); with Ignore it does.
    nodes = dict(ZONES, **{"node-c": {"zone": "zone3", "node": "node-c"}})
    placed = {"node-a": 1, "node-b": 1, "node-x": 1}
    affinity = {
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {
                            "matchExpressions": [
                                {"key": "zone", "operator": "NotIn", "values": ["zone3"]}
                            ]
                        }
                    ]
                }
            }
        }
    }
    honor = pod("p", FOO_POD, [constraint(1, "zone")], spec=affinity)
    assert fits(table_of(nodes, placed), honor) == ["node-c", "node-x", "node-y"]
    ignore = pod("p", FOO_POD, [constraint(1, "zone", nodeAffinityPolicy="Ignore")], spec=affinity)
    assert fits(table_of(nodes, placed), ignore) == ["node-c"]


def test_node_taints_policy_honor_skips_tainted_domains():
    table = NodeTable()
    for name, zone, taints in [
        ("n1", "a", []),
        ("n2", "b", []),
        ("n3", "c", [{"key": "k", "effect": "NoSchedule"}]),
    ]:
        table.set_node(
            {"metadata": {"name": name, "labels": {"zone": zone}}, "spec": {"taints": taints}}
        )
    table.add_pod(pod("e1", FOO_POD), "n1")
    table.add_pod(pod("e2", FOO_POD), "n2")
    ignore = pod("p", FOO_POD, [constraint(1, "zone")])
    honor = pod("p", FOO_POD, [constraint(1, "zone", nodeTaintsPolicy="Honor")])
    assert fits(table, ignore) == ["n3"]  # zone c (0 pods) holds the minimum at 0
    assert fits(table, honor) == ["n1", "n2", "n3"]  # the filter itself doesn't check taints


def test_match_label_keys_narrow_the_selector_to_the_pods_revision():
    table = table_of(ZONES, {})
    for node in ("node-a", "node-b"):
        table.add_pod(pod(f"old-{node}", {"foo": "", "rev": "1"}), node)
    c = constraint(1, "zone", matchLabelKeys=["rev"])
    assert fits(table, pod("p", {"foo": "", "rev": "2"}, [c])) == [
        "node-a",
        "node-b",
        "node-x",
        "node-y",
    ]
    assert fits(table, pod("p", {"foo": "", "rev": "1"}, [c])) == ["node-x", "node-y"]


def test_terminating_pods_do_not_count():
    table = table_of(ZONES, {})
    for i in range(2):
        info = PodInfo.from_pod(
            {
                "metadata": {
                    "name": f"t{i}",
                    "namespace": "default",
                    "labels": FOO_POD,
                    "deletionTimestamp": "2025-01-01T00:00:00Z",
                },
                "spec": {},
            }
        )
        table.add_pod(info, "node-a")
    assert fits(table, pod("p", FOO_POD, [constraint(1, "node")])) == [
        "node-a",
        "node-b",
        "node-x",
        "node-y",
    ]


# -- score (scoring_test.go TestPodTopologySpreadScore) -----------------------------------------
def spread_scores(nodes, failed, placed, constraints, labels=FOO_POD, handle=None):
    table = table_of({**nodes, **failed}, placed)
    plugin = PodTopologySpread()
    state = CycleState(pod("p", labels, constraints), table, handle=handle)
    slots = np.array([table.slot_of[n] for n in nodes], dtype=np.int64)
    raw = plugin.score(state, slots)
    return dict(zip(nodes, plugin.normalize(state, raw).tolist(), strict=True))


def hosts(*names, **labels):
    return {n: {HOST: n, **labels.get(n, {})} for n in names}


ABCD = hosts("node-a", "node-b", "node-c", "node-d")


@pytest.mark.parametrize(
    ("name", "nodes", "failed", "placed", "constraints", "want"),
    [
        (
            "one constraint on node, no existing pods",
            hosts("node-a", "node-b"),
            {},
            {},
            [constraint(1, HOST, "ScheduleAnyway")],
            {"node-a": 100, "node-b": 100},
        ),
        (
            "one constraint on node, only one node is candidate",
            hosts("node-a"),
            hosts("node-b"),
            {"node-a": 1, "node-b": 1},
            [constraint(1, HOST, "ScheduleAnyway")],
            {"node-a": 100},
        ),
        (
            "one constraint on node, all 4 nodes are candidates",
            ABCD,
            {},
            {"node-a": 2, "node-b": 1, "node-d": 3},
            [constraint(1, HOST, "ScheduleAnyway")],
            {"node-a": 20, "node-b": 60, "node-c": 100, "node-d": 0},
        ),
        (
            "one constraint on node, all 4 nodes are candidates, maxSkew=2",
            ABCD,
            {},
            {"node-a": 2, "node-b": 1, "node-d": 3},
            [constraint(2, HOST, "ScheduleAnyway")],
            {"node-a": 33, "node-b": 66, "node-c": 100, "node-d": 16},
        ),
        (
            "one constraint on node, all 4 nodes are candidates, maxSkew=3",
            ABCD,
            {},
            {"node-a": 4, "node-b": 3, "node-c": 2, "node-d": 1},
            [constraint(3, HOST, "ScheduleAnyway")],
            {"node-a": 44, "node-b": 66, "node-c": 77, "node-d": 100},
        ),
        (
            "one constraint on node, 3 out of 4 nodes are candidates",
            hosts("node-a", "node-b", "node-x"),
            hosts("node-y"),
            {"node-a": 4, "node-b": 2, "node-x": 1, "node-y": 3},
            [constraint(1, HOST, "ScheduleAnyway")],
            {"node-a": 33, "node-b": 83, "node-x": 100},
        ),
        (
            "one constraint on node, 3 out of 4 nodes are candidates, one node doesn't match "
            "topology key",
            {"node-a": {HOST: "node-a"}, "node-b": {"n": "node-b"}, "node-x": {HOST: "node-x"}},
            hosts("node-y"),
            {"node-a": 4, "node-b": 2, "node-x": 1, "node-y": 3},
            [constraint(1, HOST, "ScheduleAnyway")],
            {"node-a": 16, "node-b": 0, "node-x": 100},
        ),
        (
            "one constraint on zone, 3 out of 4 nodes are candidates",
            hosts(
                "node-a",
                "node-b",
                "node-x",
                **{
                    "node-a": {"zone": "zone1"},
                    "node-b": {"zone": "zone1"},
                    "node-x": {"zone": "zone2"},
                },
            ),
            hosts("node-y", **{"node-y": {"zone": "zone2"}}),
            {"node-a": 4, "node-b": 2, "node-x": 1, "node-y": 3},
            [constraint(1, "zone", "ScheduleAnyway")],
            {"node-a": 75, "node-b": 75, "node-x": 100},
        ),
        (
            "two Constraints on zone and node, 2 out of 4 nodes are candidates",
            hosts("node-a", "node-x", **{"node-a": {"zone": "zone1"}, "node-x": {"zone": "zone2"}}),
            hosts("node-b", "node-y", **{"node-b": {"zone": "zone1"}, "node-y": {"zone": "zone2"}}),
            {"node-a": 2, "node-b": 1, "node-x": 2, "node-y": 4},
            [constraint(1, "zone", "ScheduleAnyway"), constraint(1, HOST, "ScheduleAnyway")],
            {"node-a": 100, "node-x": 63},
        ),
        (
            "two Constraints on zone and node, with different labelSelectors",
            hosts(
                "node-a",
                "node-b",
                "node-x",
                "node-y",
                **{
                    "node-a": {"zone": "zone1"},
                    "node-b": {"zone": "zone1"},
                    "node-x": {"zone": "zone2"},
                    "node-y": {"zone": "zone2"},
                },
            ),
            {},
            {
                "node-a": [{"foo": ""}],
                "node-b": [{"foo": "", "bar": ""}],
                "node-y": [{"foo": ""}, {"bar": ""}],
            },
            [constraint(1, "zone", "ScheduleAnyway"), constraint(1, HOST, "ScheduleAnyway", BAR)],
            {"node-a": 60, "node-b": 20, "node-x": 100, "node-y": 60},
        ),
    ],
)
def test_score_rows(name, nodes, failed, placed, constraints, want):
    labels = {"foo": "", "bar": ""} if "labelSelectors" in name else FOO_POD
    assert spread_scores(nodes, failed, placed, constraints, labels) == want, name


class ServiceFoo(Handle):
    def default_selector(self, pod):
        from kubelab.api.labels import parse

        return parse("foo")


def test_system_defaulting_nodes_without_zone_pods_match_service():
    # "system defaulting, nodes don't have zone, pods match service": same as one constraint.
    got = spread_scores(
        ABCD, {}, {"node-a": 4, "node-b": 3, "node-c": 2, "node-d": 1}, [], handle=ServiceFoo()
    )
    assert got == {"node-a": 44, "node-b": 66, "node-c": 77, "node-d": 100}


def test_no_default_constraints_without_a_selecting_owner_or_service():
    plugin = PodTopologySpread()
    table = table_of(ABCD, {"node-a": 1})
    assert not plugin.pre_score(CycleState(pod("p", FOO_POD), table))


# -- in a cluster ---------------------------------------------------------------------------
RS = """
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: web}
spec:
  replicas: %d
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: c, image: nginx}]
"""


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_replicaset_replicas_spread_evenly_over_nodes(seed):
    c = kl.Cluster(nodes=3, seed=seed)
    c.apply(RS % 6)
    c.run(20)
    counts = collections.Counter(p["spec"].get("nodeName") for p in c.list("Pod"))
    assert sorted(counts.values()) == [2, 2, 2]
    assert None not in counts


def zoned_nodes(per_zone=2, zones=("a", "b", "c")):
    return [
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": f"node-{z}{i}",
                "labels": {"topology.kubernetes.io/zone": f"zone-{z}"},
            },
        }
        for z in zones
        for i in range(1, per_zone + 1)
    ]


def test_user_constraint_do_not_schedule_spreads_over_zones_and_leaves_surplus_pending():
    c = kl.Cluster(nodes=zoned_nodes(), seed=0)
    c.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "pinned", "labels": {"app": "web"}},
            "spec": {"nodeName": "node-a1", "containers": [{"name": "c", "image": "nginx"}]},
        }
    )
    for i in range(5):
        c.apply(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": f"web-{i}", "labels": {"app": "web"}},
                "spec": {
                    "topologySpreadConstraints": [
                        {
                            "maxSkew": 1,
                            "topologyKey": "topology.kubernetes.io/zone",
                            "whenUnsatisfiable": "DoNotSchedule",
                            "labelSelector": {"matchLabels": {"app": "web"}},
                        }
                    ],
                    "containers": [{"name": "c", "image": "nginx"}],
                },
            }
        )
    c.run(10)
    zones = collections.Counter(
        c.get("Node", p["spec"]["nodeName"])["metadata"]["labels"]["topology.kubernetes.io/zone"]
        for p in c.list("Pod")
        if p["spec"].get("nodeName")
    )
    assert sorted(zones.values()) == [2, 2, 2]


def test_default_selector_merges_services_and_the_controller():
    c = kl.Cluster(nodes=2, seed=0)
    c.apply(RS % 3)
    c.apply(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web"},
            "spec": {"selector": {"app": "web", "tier": "front"}, "ports": [{"port": 80}]},
        }
    )
    c.run(10)
    handle = c.scheduler.algorithm.framework.handle
    (pod, *_) = c.list("Pod")
    assert str(handle.default_selector(pod)) == "app=web"  # the Service doesn't select it
    bare = {
        "metadata": {"name": "x", "namespace": "default", "labels": {"app": "web", "tier": "front"}}
    }
    assert str(handle.default_selector(bare)) == "app=web,tier=front"
    assert handle.default_selector({"metadata": {"name": "y", "namespace": "default"}}) is None


def test_system_default_spreading_scores_nodes_by_replicas_already_there():
    import math

    c = kl.Cluster(nodes=2, seed=0)
    c.apply(RS % 3)
    c.run(10)
    counts = collections.Counter(p["spec"]["nodeName"] for p in c.list("Pod"))
    name = c.list("Pod")[0]["metadata"]["name"]
    df = c.scheduler.explain(name).set_index("node")
    mine = c.get("Pod", name)["spec"]["nodeName"]
    counts[mine] -= 1  # explained as when it was placed: without itself
    for node in ("node-1", "node-2"):
        # hostname maxSkew 3 over 2 nodes: count × log(2 + 2) + (3 − 1), rounded; no zone labels.
        assert df.loc[node, "PodTopologySpread.raw"] == round(counts[node] * math.log(4) + 2)
