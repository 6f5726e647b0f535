"""InterPodAffinity: filter reasons, symmetry, namespaces, first-pod exception, scoring.

Rows follow upstream's ``interpodaffinity/filtering_test.go`` (TestRequiredAffinitySingleNode,
TestRequiredAffinityMultipleNodes) and ``scoring_test.go`` (TestPreferredAffinity), on
kubelab's vectorised table.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from kubelab.scheduler.framework import CycleState, Framework
from kubelab.scheduler.handle import Handle
from kubelab.scheduler.nodetable import NodeTable
from kubelab.scheduler.plugins.interpodaffinity import (
    ERR_REASON_AFFINITY,
    ERR_REASON_ANTI_AFFINITY,
    ERR_REASON_EXISTING_ANTI_AFFINITY,
    InterPodAffinity,
)
from kubelab.scheduler.podinfo import PodInfo
from kubelab.scheduler.schedule_one import SchedulingAlgorithm

HOST, ZONE, REGION = "kubernetes.io/hostname", "topology.kubernetes.io/zone", "region"


def term(key=HOST, namespaces=None, namespace_selector=None, **match):
    out = {"labelSelector": {"matchLabels": match}, "topologyKey": key}
    if namespaces is not None:
        out["namespaces"] = namespaces
    if namespace_selector is not None:
        out["namespaceSelector"] = namespace_selector
    return out


def expr_term(key, op, values, topology=HOST):
    return {
        "labelSelector": {"matchExpressions": [{"key": key, "operator": op, "values": values}]},
        "topologyKey": topology,
    }


def pod(
    name, labels=None, namespace="default", affinity=None, anti=None, pref=None, pref_anti=None
):
    aff = {}
    if affinity or pref:
        aff["podAffinity"] = {}
        if affinity:
            aff["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] = affinity
        if pref:
            aff["podAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"] = [
                {"weight": w, "podAffinityTerm": t} for w, t in pref
            ]
    if anti or pref_anti:
        aff["podAntiAffinity"] = {}
        if anti:
            aff["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] = anti
        if pref_anti:
            aff["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"] = [
                {"weight": w, "podAffinityTerm": t} for w, t in pref_anti
            ]
    spec = {"containers": [{"name": "c", "image": "pause"}]}
    if aff:
        spec["affinity"] = aff
    meta = {"name": name, "namespace": namespace, "labels": labels or {}}
    return PodInfo.from_pod({"metadata": meta, "spec": spec})


def table_of(nodes, placed=()):
    """``nodes``: name → labels (hostname added); ``placed``: (PodInfo, node name)."""
    table = NodeTable()
    for name, labels in nodes.items():
        table.set_node(
            {
                "metadata": {"name": name, "labels": {HOST: name, **labels}},
                "status": {"allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"}},
            }
        )
    for info, node in placed:
        table.add_pod(info, node)
    return table


def verdicts(table, incoming, handle=None):
    """node name → reason ('' when it passes)."""
    plugin = InterPodAffinity()
    state = CycleState(incoming, table, handle=handle)
    plugin.pre_filter(state)
    out = {table.names[s]: "" for s in table.order()}
    for reason, mask in plugin.filter(state):
        for s in np.flatnonzero(mask):
            out[table.names[s]] = reason
    return out


ONE_NODE = {"machine1": {"region": "r1", "zone": "z11"}}
SEC_S1 = {"service": "securityscan", "security": "S1"}


@pytest.mark.parametrize(
    ("name", "incoming", "placed", "want"),
    [
        (
            "A pod that has no required pod affinity scheduling rules can schedule onto a node "
            "with no existing pods",
            pod("p"),
            [],
            "",
        ),
        (
            "satisfies with requiredDuringSchedulingIgnoredDuringExecution in PodAffinity using "
            "In operator that matches the existing pod",
            pod("p", affinity=[expr_term("service", "In", ["securityscan", "value2"], REGION)]),
            [(pod("e", SEC_S1), "machine1")],
            "",
        ),
        (
            "satisfies the pod with requiredDuringSchedulingIgnoredDuringExecution in PodAffinity "
            "using not in operator in labelSelector that matches the existing pod",
            pod("p", affinity=[expr_term("service", "NotIn", ["securityscan3", "value3"], REGION)]),
            [(pod("e", SEC_S1), "machine1")],
            "",
        ),
        (
            "Does not satisfy the PodAffinity with labelSelector because of diff Namespace",
            pod("p", affinity=[term(REGION, namespaces=["DiffNameSpace"], service="securityscan")]),
            [(pod("e", SEC_S1, namespace="ns"), "machine1")],
            ERR_REASON_AFFINITY,
        ),
        (
            "Doesn't satisfy the PodAffinity because of unmatching labelSelector with the "
            "existing pod",
            pod("p", affinity=[expr_term("service", "In", ["antivirusscan", "value2"], REGION)]),
            [(pod("e", SEC_S1), "machine1")],
            ERR_REASON_AFFINITY,
        ),
        (
            "satisfies the PodAffinity but doesn't satisfy the PodAntiAffinity with the existing "
            "pod",
            pod(
                "p",
                affinity=[term(REGION, service="securityscan")],
                anti=[term("zone", service="securityscan")],
            ),
            [(pod("e", SEC_S1), "machine1")],
            ERR_REASON_ANTI_AFFINITY,
        ),
        (
            "satisfies the PodAffinity and PodAntiAffinity but doesn't satisfy PodAntiAffinity "
            "symmetry with the existing pod",
            pod("p", {"service": "securityscan"}, affinity=[term(REGION, service="securityscan")]),
            [(pod("e", SEC_S1, anti=[term("zone", service="securityscan")]), "machine1")],
            ERR_REASON_EXISTING_ANTI_AFFINITY,
        ),
        (
            "verify that PodAntiAffinity from existing pod is respected when pod has no "
            "AntiAffinity constraints. doesn't satisfy PodAntiAffinity symmetry with the "
            "existing pod",
            pod("p", {"service": "securityscan"}),
            [(pod("e", {"abc": "x"}, anti=[term("zone", service="securityscan")]), "machine1")],
            ERR_REASON_EXISTING_ANTI_AFFINITY,
        ),
        (
            "verify that PodAntiAffinity from existing pod is respected when pod has no "
            "AntiAffinity constraints. satisfy PodAntiAffinity symmetry with the existing pod",
            pod("p", {"service": "securityscan"}),
            [(pod("e", {"abc": "x"}, anti=[term("zone", service="notsecurityscan")]), "machine1")],
            "",
        ),
        (
            "PodAffinity fails because the topology key is missing on the node",
            pod("p", affinity=[term("nonexistent-key", service="securityscan")]),
            [(pod("e", SEC_S1), "machine1")],
            ERR_REASON_AFFINITY,
        ),
        (
            "satisfies the PodAffinity with an affinity to itself: the first pod of a group",
            pod("p", {"service": "securityscan"}, affinity=[term(REGION, service="securityscan")]),
            [],
            "",
        ),
        (
            "the first-pod exception needs the pod to match its own terms",
            pod("p", {"service": "other"}, affinity=[term(REGION, service="securityscan")]),
            [],
            ERR_REASON_AFFINITY,
        ),
        (
            "empty namespaceSelector matches every namespace",
            pod(
                "p",
                affinity=[term(REGION, namespace_selector={}, service="securityscan")],
            ),
            [(pod("e", SEC_S1, namespace="other"), "machine1")],
            "",
        ),
    ],
)
def test_required_affinity_single_node(name, incoming, placed, want):
    assert verdicts(table_of(ONE_NODE, placed), incoming)["machine1"] == want, name


def test_first_pod_exception_still_needs_the_topology_key():
    table = table_of({"n1": {"zone": "a"}, "n2": {}})
    incoming = pod("p", {"app": "db"}, affinity=[term("zone", app="db")])
    assert verdicts(table, incoming) == {"n1": "", "n2": ERR_REASON_AFFINITY}


def test_affinity_needs_a_pod_matching_all_terms_in_each_domain():
    nodes = {"n1": {"zone": "a"}, "n2": {"zone": "a"}, "n3": {"zone": "b"}}
    placed = [(pod("db", {"app": "db", "tier": "x"}), "n1"), (pod("cache", {"app": "c"}), "n3")]
    incoming = pod("web", affinity=[term("zone", app="db"), term(HOST, tier="x")])
    # zone a holds db, but only n1 holds a pod with tier=x: n2 fails the hostname term.
    assert verdicts(table_of(nodes, placed), incoming) == {
        "n1": "",
        "n2": ERR_REASON_AFFINITY,
        "n3": ERR_REASON_AFFINITY,
    }


def test_anti_affinity_zone_blocks_every_node_of_the_zone():
    nodes = {"n1": {ZONE: "a"}, "n2": {ZONE: "a"}, "n3": {ZONE: "b"}, "n4": {}}
    placed = [(pod("web-1", {"app": "web"}), "n1")]
    incoming = pod("web-2", {"app": "web"}, anti=[term(ZONE, app="web")])
    assert verdicts(table_of(nodes, placed), incoming) == {
        "n1": ERR_REASON_ANTI_AFFINITY,
        "n2": ERR_REASON_ANTI_AFFINITY,
        "n3": "",
        "n4": "",  # no zone label: the term can't apply
    }


def test_symmetry_uses_the_existing_pods_namespace():
    nodes = {"n1": {}, "n2": {}}
    guard = pod("guard", {"x": "y"}, namespace="team-a", anti=[term(HOST, app="web")])
    table = table_of(nodes, [(guard, "n1")])
    assert verdicts(table, pod("w", {"app": "web"}, namespace="team-a"))["n1"] == (
        ERR_REASON_EXISTING_ANTI_AFFINITY
    )
    # The guard's term defaults to its own namespace: a web pod elsewhere is not repelled.
    assert verdicts(table, pod("w", {"app": "web"}, namespace="team-b"))["n1"] == ""


class LabelledNamespaces(Handle):
    namespace_version = 1

    def namespace_labels(self, namespace):
        return {"team-a": {"team": "a"}, "team-b": {"team": "b"}}.get(namespace, {})


def test_namespace_selector_uses_namespace_labels():
    table = table_of({"n1": {}, "n2": {}}, [(pod("db", {"app": "db"}, namespace="team-a"), "n1")])
    selector = {"matchLabels": {"team": "a"}}
    incoming = pod("w", affinity=[term(HOST, namespace_selector=selector, app="db")])
    got = verdicts(table, incoming, LabelledNamespaces())
    assert got == {"n1": "", "n2": ERR_REASON_AFFINITY}
    other = pod(
        "w", affinity=[term(HOST, namespace_selector={"matchLabels": {"team": "b"}}, app="db")]
    )
    assert verdicts(table, other, LabelledNamespaces()) == {
        "n1": ERR_REASON_AFFINITY,
        "n2": ERR_REASON_AFFINITY,
    }


def test_counts_follow_pods_being_removed_and_nodes_relabelled():
    nodes = {"n1": {ZONE: "a"}, "n2": {ZONE: "b"}}
    web = pod("web-1", {"app": "web"})
    table = table_of(nodes, [(web, "n1")])
    incoming = pod("web-2", {"app": "web"}, anti=[term(ZONE, app="web")])
    assert verdicts(table, incoming)["n1"] == ERR_REASON_ANTI_AFFINITY
    table.remove_pod(web.key)
    assert verdicts(table, incoming)["n1"] == ""
    table.add_pod(pod("web-1", {"app": "web"}), "n1")
    table.set_node({"metadata": {"name": "n2", "labels": {HOST: "n2", ZONE: "a"}}})
    assert verdicts(table, incoming) == {
        "n1": ERR_REASON_ANTI_AFFINITY,
        "n2": ERR_REASON_ANTI_AFFINITY,
    }


def test_fit_error_lists_reasons_and_preemption_codes():
    nodes = {"n1": {ZONE: "a"}, "n2": {ZONE: "b"}, "n3": {}}
    placed = [(pod("web-1", {"app": "web"}), "n1"), (pod("web-2", {"app": "web"}), "n2")]
    table = table_of(nodes, placed)
    algorithm = SchedulingAlgorithm(Framework.default(), table, random.Random(0))
    incoming = pod(
        "x", {"app": "web"}, anti=[term(ZONE, app="web")], affinity=[term(ZONE, app="web")]
    )
    result = algorithm.schedule(incoming)
    assert result.node is None
    # n3 lacks the zone: affinity fails (UnschedulableAndUnresolvable → not helpful);
    # n1, n2 fail anti-affinity (Unschedulable → no victims among equal-priority pods).
    assert result.message == (
        "0/3 nodes are available: 1 node(s) didn't match pod affinity rules, "
        "2 node(s) didn't match pod anti-affinity rules. preemption: 0/3 nodes are available: "
        "1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod."
    )


# -- scoring (scoring_test.go TestPreferredAffinity) --------------------------------------------
def scores(table, incoming):
    plugin = InterPodAffinity()
    state = CycleState(incoming, table)
    slots = table.order()
    if not plugin.pre_score(state):
        return None
    raw = plugin.score(state, slots)
    return dict(
        zip([table.names[s] for s in slots], plugin.normalize(state, raw).tolist(), strict=True)
    )


NODES3 = {
    "machine1": {"region": "China"},
    "machine2": {"region": "India"},
    "machine3": {"az": "az1"},
}


def test_all_nodes_score_zero_without_existing_pods_or_terms():
    assert scores(table_of(NODES3), pod("p", {"foo": "bar"})) is None


def test_preferred_affinity_prefers_the_region_of_matching_pods():
    placed = [(pod("e", SEC_S1), "machine1")]
    incoming = pod("p", pref=[(5, expr_term("security", "In", ["S1"], "region"))])
    assert scores(table_of(NODES3, placed), incoming) == {
        "machine1": 100,
        "machine2": 0,
        "machine3": 0,
    }


def test_preferred_anti_affinity_pushes_away_and_normalises_between_min_and_max():
    placed = [
        (pod("e1", {"security": "S1"}), "machine1"),
        (pod("e2", {"security": "S2"}), "machine2"),
    ]
    incoming = pod(
        "p",
        pref=[(8, term("region", security="S2"))],
        pref_anti=[(5, term("region", security="S1"))],
    )
    # region China: −5, India: +8, machine3 (no region): 0 → (s − min) / (max − min).
    assert scores(table_of(NODES3, placed), incoming) == {
        "machine1": 0,
        "machine2": 100,
        "machine3": 38,
    }


def test_existing_pods_hard_affinity_attracts_with_weight_one():
    existing = pod("e", {"app": "db"}, affinity=[term("region", app="web")])
    table = table_of(NODES3, [(existing, "machine1")])
    assert scores(table, pod("w", {"app": "web"})) == {
        "machine1": 100,
        "machine2": 0,
        "machine3": 0,
    }


def test_existing_pods_preferred_anti_affinity_repels_symmetrically():
    existing = pod("e", {"app": "db"}, pref_anti=[(10, term("region", app="web"))])
    table = table_of(NODES3, [(existing, "machine2")])
    assert scores(table, pod("w", {"app": "web"})) == {
        "machine1": 100,
        "machine2": 0,
        "machine3": 100,
    }
