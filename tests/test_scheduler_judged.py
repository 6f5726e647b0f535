"""Judged scheduling scenarios: what a learner (or the official docs) expect to see.

Redundant replicas with required anti-affinity never share a node and the surplus stays
Pending with upstream's message; tightly coupled pods land together; the official docs'
scheduling examples behave as the docs say; the explanation API and heatmap work.
"""

from __future__ import annotations

import collections
from pathlib import Path

import pytest

import kubelab as kl

CORPUS_DIR = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "k8s-docs-examples"
needs_corpus = pytest.mark.skipif(not CORPUS_DIR.is_dir(), reason="docs corpus not present")
ZONE = "topology.kubernetes.io/zone"
CONTROL_PLANE_TAINT = {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}


def node(name, labels=None, taints=None):
    out = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels or {}}}
    if taints:
        out["spec"] = {"taints": taints}
    return out


def deployment(name, replicas, labels, affinity=None, image="nginx"):
    spec = {"containers": [{"name": "c", "image": image}]}
    if affinity:
        spec["affinity"] = affinity
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": spec},
        },
    }


def anti_affinity(labels, key="kubernetes.io/hostname"):
    return {
        "podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {"labelSelector": {"matchLabels": labels}, "topologyKey": key}
            ]
        }
    }


def pods_by_node(c, selector):
    return collections.Counter(p["spec"].get("nodeName") for p in c.list("Pod", selector=selector))


def test_required_anti_affinity_spreads_replicas_and_leaves_the_surplus_pending():
    nodes = [node("control-plane", taints=[CONTROL_PLANE_TAINT]), node("node-1"), node("node-2")]
    c = kl.Cluster(nodes=nodes, seed=0)
    c.apply(deployment("cache", 4, {"app": "cache"}, anti_affinity({"app": "cache"})))
    c.run(30)
    placed = pods_by_node(c, "app=cache")
    assert placed == {"node-1": 1, "node-2": 1, None: 2}
    message = (
        "0/3 nodes are available: 1 node(s) had untolerated taint "
        "{node-role.kubernetes.io/control-plane: }, 2 node(s) didn't match pod anti-affinity "
        "rules. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, "
        "2 No preemption victims found for incoming pod."
    )
    for pod in c.list("Pod", selector="app=cache"):
        if pod["spec"].get("nodeName"):
            continue
        assert pod["status"]["phase"] == "Pending"
        (condition,) = [x for x in pod["status"]["conditions"] if x["type"] == "PodScheduled"]
        assert (condition["status"], condition["reason"]) == ("False", "Unschedulable")
        assert condition["message"] == message
    events = c.events
    failed = events[(events.reason == "FailedScheduling")]
    assert set(failed.message) == {message}
    assert "Warning" in set(failed.type)


def test_a_new_node_lets_a_pending_anti_affinity_replica_in():
    c = kl.Cluster(nodes=2, seed=0)
    c.apply(deployment("cache", 3, {"app": "cache"}, anti_affinity({"app": "cache"})))
    c.run(20)
    assert pods_by_node(c, "app=cache")[None] == 1
    c.add_node("node-3")
    c.run(20)
    assert pods_by_node(c, "app=cache") == {"node-1": 1, "node-2": 1, "node-3": 1}


def test_tightly_coupled_pods_land_together():
    c = kl.Cluster(nodes=4, seed=0)
    c.apply(
        deployment("cache", 2, {"app": "cache"}, anti_affinity({"app": "cache"}), image="redis")
    )
    web_affinity = {
        "podAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {
                    "labelSelector": {"matchLabels": {"app": "cache"}},
                    "topologyKey": "kubernetes.io/hostname",
                }
            ]
        },
        **anti_affinity({"app": "web"}),
    }
    c.apply(deployment("web", 2, {"app": "web"}, web_affinity))
    c.run(30)
    cache_nodes = set(pods_by_node(c, "app=cache"))
    web_nodes = pods_by_node(c, "app=web")
    assert None not in cache_nodes and len(cache_nodes) == 2
    assert set(web_nodes) == cache_nodes and set(web_nodes.values()) == {1}


def test_web_waits_for_its_cache_then_follows_it():
    c = kl.Cluster(nodes=3, seed=0)
    web_affinity = {
        "podAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {
                    "labelSelector": {"matchLabels": {"app": "cache"}},
                    "topologyKey": "kubernetes.io/hostname",
                }
            ]
        }
    }
    c.apply(deployment("web", 1, {"app": "web"}, web_affinity))
    c.run(5)
    (web,) = c.list("Pod", selector="app=web")
    assert not web["spec"].get("nodeName")
    assert "3 node(s) didn't match pod affinity rules" in web["status"]["conditions"][0]["message"]
    c.apply(deployment("cache", 1, {"app": "cache"}, image="redis"))
    c.run(15)
    (cache,) = c.list("Pod", selector="app=cache")
    (web,) = c.list("Pod", selector="app=web")
    assert web["spec"]["nodeName"] == cache["spec"]["nodeName"]


@pytest.mark.parametrize(
    "reach", [{"namespaces": ["data"]}, {"namespaceSelector": {}}], ids=["namespaces", "selector"]
)
def test_web_follows_a_cache_of_another_namespace_at_once(reach):
    # The queueing hint must retry web when a matching pod lands in a namespace its term
    # reaches, not only in web's own namespace (upstream checks every new pod).
    c = kl.Cluster(nodes=3, seed=0)
    c.kubectl("create namespace data")
    term = {
        "labelSelector": {"matchLabels": {"app": "cache"}},
        "topologyKey": "kubernetes.io/hostname",
    }
    web_affinity = {
        "podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term | reach]}
    }
    c.apply(deployment("web", 1, {"app": "web"}, web_affinity))
    c.run(5)
    (web,) = c.list("Pod", selector="app=web")
    assert not web["spec"].get("nodeName")
    cache = deployment("cache", 1, {"app": "cache"}, image="redis")
    cache["metadata"]["namespace"] = "data"
    c.apply(cache)
    c.run(15)
    (cache_pod,) = c.list("Pod", namespace="data", selector="app=cache")
    (web,) = c.list("Pod", selector="app=web")
    assert web["spec"].get("nodeName") == cache_pod["spec"]["nodeName"]


def test_existing_pods_anti_affinity_keeps_newcomers_away():
    c = kl.Cluster(nodes=2, seed=0)
    c.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "loner", "labels": {"app": "loner"}},
            "spec": {
                "nodeName": "node-1",
                "affinity": anti_affinity({"app": "noisy"}),
                "containers": [{"name": "c", "image": "nginx"}],
            },
        }
    )
    c.apply(deployment("noisy", 3, {"app": "noisy"}))
    c.run(20)
    assert pods_by_node(c, "app=noisy") == {"node-2": 3}


# -- the official docs' examples ----------------------------------------------------------------
def zoned(*specs):
    return [node(name, {ZONE: zone, **extra}) for name, zone, extra in specs]


@needs_corpus
def test_docs_pod_with_pod_affinity_goes_to_the_zone_of_s1_pods():
    nodes = zoned(("node-1", "zone-a", {}), ("node-2", "zone-b", {}), ("node-3", "zone-b", {}))
    c = kl.Cluster(nodes=nodes, seed=0)
    c.apply(str(CORPUS_DIR / "pods" / "pod-with-pod-affinity.yaml"))
    c.run(3)
    pod = c.get("Pod", "with-pod-affinity")
    assert not pod["spec"].get("nodeName")  # no S1 pod anywhere, and it is not S1 itself
    assert "3 node(s) didn't match pod affinity rules" in pod["status"]["conditions"][0]["message"]
    c.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "s1", "labels": {"security": "S1"}},
            "spec": {"nodeName": "node-3", "containers": [{"name": "c", "image": "nginx"}]},
        }
    )
    c.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "s2", "labels": {"security": "S2"}},
            "spec": {"nodeName": "node-3", "containers": [{"name": "c", "image": "nginx"}]},
        }
    )
    c.run(15)
    # zone-b holds S1 (required); the preferred anti-affinity to S2 pushes it off node-3's zone
    # only as a preference: zone-b is the only choice, so it lands on node-2 or node-3.
    assert c.get("Pod", "with-pod-affinity")["spec"]["nodeName"] in {"node-2", "node-3"}
    df = c.scheduler.explain("with-pod-affinity")
    assert df.set_index("node").loc["node-1", "InterPodAffinity.filter"] == (
        "node(s) didn't match pod affinity rules"
    )


@needs_corpus
@pytest.mark.parametrize(
    "name", ["pod-with-node-affinity-1.yaml", "assigning-pods-to-nodes-affinity.yaml"]
)
def test_docs_node_affinity_required_zone_preferred_label(name):
    nodes = zoned(
        ("node-1", "antarctica-east1", {}),
        ("node-2", "antarctica-east1", {"another-node-label-key": "another-node-label-value"}),
        ("node-3", "elsewhere", {"another-node-label-key": "another-node-label-value"}),
    )
    c = kl.Cluster(nodes=nodes, seed=0)
    (pod,) = c.apply(str(CORPUS_DIR / "pods" / name))
    c.run(3)
    assert c.get("Pod", pod["metadata"]["name"])["spec"]["nodeName"] == "node-2"


@needs_corpus
@pytest.mark.parametrize(
    "name", ["pod-with-node-affinity-2.yaml", "pod-with-affinity-preferred-weight.yaml"]
)
def test_docs_preferred_weights_pick_the_heavier_preference(name):
    linux = {"kubernetes.io/os": "linux"}
    nodes = [
        node("node-1", {**linux, "label-1": "key-1"}),
        node("node-2", {**linux, "label-2": "key-2"}),
        node("node-3", {"kubernetes.io/os": "windows", "label-2": "key-2"}),
    ]
    c = kl.Cluster(nodes=nodes, seed=0)
    (pod,) = c.apply(str(CORPUS_DIR / "pods" / name))
    c.run(3)
    assert c.get("Pod", pod["metadata"]["name"])["spec"]["nodeName"] == "node-2"
    df = c.scheduler.explain(pod["metadata"]["name"]).set_index("node")
    assert df.loc["node-3", "filter"] == "NodeAffinity"
    assert (df.loc["node-1", "NodeAffinity.raw"], df.loc["node-2", "NodeAffinity.raw"]) == (1, 50)


@needs_corpus
@pytest.mark.parametrize(
    ("name", "landed"),
    [
        ("pod-nginx-required-affinity.yaml", {"node-2"}),
        ("pod-nginx-preferred-affinity.yaml", {"node-2"}),
    ],
)
def test_docs_disktype_ssd(name, landed):
    c = kl.Cluster(
        nodes=[node("node-1"), node("node-2", {"disktype": "ssd"}), node("node-3")], seed=0
    )
    c.apply(str(CORPUS_DIR / "pods" / name))
    c.run(3)
    assert c.get("Pod", "nginx")["spec"]["nodeName"] in landed


@needs_corpus
def test_docs_required_disktype_without_ssd_nodes_stays_pending():
    c = kl.Cluster(nodes=2, seed=0)
    c.apply(str(CORPUS_DIR / "pods" / "pod-nginx-required-affinity.yaml"))
    c.run(3)
    condition = c.get("Pod", "nginx")["status"]["conditions"][0]
    assert condition["message"] == (
        "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector. "
        "preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling."
    )


@needs_corpus
def test_docs_toleration_lets_the_pod_onto_the_tainted_node():
    taint = [{"key": "example-key", "value": "", "effect": "NoSchedule"}]
    c = kl.Cluster(nodes=[node("node-1", taints=taint)], seed=0)
    c.apply(str(CORPUS_DIR / "pods" / "pod-with-toleration.yaml"))
    c.run(3)
    assert c.get("Pod", "nginx")["spec"]["nodeName"] == "node-1"


def docs_spread_cluster(extra_nodes=()):
    """The docs' cluster: node1, node2 in zoneA, node3, node4 in zoneB; foo=bar pods on 1, 2, 3."""
    nodes = [
        node(n, {"zone": z, "node": n})
        for n, z in [("node1", "zoneA"), ("node2", "zoneA"), ("node3", "zoneB"), ("node4", "zoneB")]
    ]
    nodes += list(extra_nodes)
    c = kl.Cluster(nodes=nodes, seed=0)
    for i, n in enumerate(["node1", "node2", "node3"]):
        c.apply(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": f"existing-{i}", "labels": {"foo": "bar"}},
                "spec": {"nodeName": n, "containers": [{"name": "c", "image": "nginx"}]},
            }
        )
    return c


@needs_corpus
def test_docs_topology_spread_one_constraint_goes_to_zone_b():
    c = docs_spread_cluster()
    c.apply(str(CORPUS_DIR / "pods" / "topology-spread-constraints" / "one-constraint.yaml"))
    c.run(3)
    assert c.get("Pod", "mypod")["spec"]["nodeName"] in {"node3", "node4"}


@needs_corpus
def test_docs_topology_spread_two_constraints_only_node4():
    c = docs_spread_cluster()
    c.apply(str(CORPUS_DIR / "pods" / "topology-spread-constraints" / "two-constraints.yaml"))
    c.run(3)
    assert c.get("Pod", "mypod")["spec"]["nodeName"] == "node4"


@needs_corpus
def test_docs_topology_spread_with_node_affinity_ignores_zone_c():
    zone_c = [node("node5", {"zone": "zoneC", "node": "node5"})]
    c = docs_spread_cluster(zone_c)
    c.apply(
        str(
            CORPUS_DIR
            / "pods"
            / "topology-spread-constraints"
            / "one-constraint-with-nodeaffinity.yaml"
        )
    )
    c.run(3)
    assert c.get("Pod", "mypod")["spec"]["nodeName"] in {"node3", "node4"}


# -- the explanation API and the heatmap --------------------------------------------------------
def test_explain_every_filter_and_every_score_for_pending_and_scheduled_pods():
    nodes = [node("control-plane", taints=[CONTROL_PLANE_TAINT]), node("node-1"), node("node-2")]
    c = kl.Cluster(nodes=nodes, seed=0)
    c.apply(deployment("cache", 3, {"app": "cache"}, anti_affinity({"app": "cache"})))
    c.run(10)
    pods = sorted(
        c.list("Pod", selector="app=cache"), key=lambda p: bool(p["spec"].get("nodeName"))
    )
    pending, scheduled = pods[0], pods[-1]
    df = c.scheduler.explain(pending["metadata"]["name"]).set_index("node")
    assert not df.feasible.any()
    assert df.loc["control-plane", "filter"] == "TaintToleration"
    assert df.loc["control-plane", "TaintToleration.filter"].startswith("node(s) had untolerated")
    assert set(df.loc[["node-1", "node-2"], "InterPodAffinity.filter"]) == {
        "node(s) didn't match pod anti-affinity rules"
    }
    df = c.scheduler.explain(scheduled["metadata"]["name"]).set_index("node")
    where = scheduled["spec"]["nodeName"]
    assert bool(df.loc[where, "assigned"]) and bool(df.loc[where, "feasible"])
    weights = {
        "TaintToleration": 3,
        "NodeAffinity": 2,
        "NodeResourcesFit": 1,
        "PodTopologySpread": 2,
        "InterPodAffinity": 2,
        "NodeResourcesBalancedAllocation": 1,
        "ImageLocality": 1,
    }
    row = df.loc[where]
    for plugin, weight in weights.items():
        assert row[plugin] == row[f"{plugin}.normalized"] * weight
    assert row["total"] == sum(row[p] for p in weights)
    with pytest.raises(kl.NotFound):
        c.scheduler.explain("nope")


def test_plot_scheduling_draws_a_heatmap_from_a_cluster_or_a_frame():
    import matplotlib

    matplotlib.use("Agg")
    c = kl.Cluster(nodes=3, seed=0)
    c.apply(deployment("web", 2, {"app": "web"}))
    c.run(5)
    name = c.list("Pod")[0]["metadata"]["name"]
    ax = kl.viz.plot_scheduling(c, name)
    assert name in ax.get_title()
    assert [t.get_text() for t in ax.get_yticklabels()] == ["node-1", "node-2", "node-3"]
    frame = c.scheduler.explain(name)
    ax2 = kl.viz.plot_scheduling(frame)
    assert len(ax2.get_xticklabels()) == len(ax.get_xticklabels())


# -- ImageLocality and the queueing hints -------------------------------------------------------
def test_image_locality_scores_nodes_holding_the_image_by_size_and_spread():
    import numpy as np

    from kubelab.scheduler.framework import CycleState
    from kubelab.scheduler.nodetable import NodeTable
    from kubelab.scheduler.plugins.imagelocality import MB, ImageLocality
    from kubelab.scheduler.podinfo import PodInfo

    table = NodeTable()
    big = {"names": ["docker.io/library/postgres:16"], "sizeBytes": 600 * MB}
    for name, images in [("n1", [big]), ("n2", []), ("n3", []), ("n4", [])]:
        table.set_node({"metadata": {"name": name}, "status": {"images": images}})
    pod = PodInfo.from_pod(
        {
            "metadata": {"name": "db"},
            "spec": {"containers": [{"name": "c", "image": "postgres:16"}]},
        }
    )
    scores = ImageLocality().score(CycleState(pod, table), np.arange(4))
    # 600 MiB held by 1 of 4 nodes: scaled to 150 MiB → 100 × (150 − 23) / (1000 − 23) = 12.
    assert scores.tolist() == [12, 0, 0, 0]
    table.set_node({"metadata": {"name": "n2"}, "status": {"images": [big]}})
    assert ImageLocality().score(CycleState(pod, table), np.arange(4)).tolist() == [28, 28, 0, 0]


def test_kubelets_report_image_sizes_the_scheduler_uses():
    c = kl.Cluster(nodes=2, seed=0)
    c.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "p"},
            "spec": {"nodeName": "node-2", "containers": [{"name": "c", "image": "nginx:1.25"}]},
        }
    )
    c.run(30)
    images = c.get("Node", "node-2")["status"]["images"]
    assert any("docker.io/library/nginx:1.25" in i["names"] and i["sizeBytes"] > 0 for i in images)
    c.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "q"},
            "spec": {"containers": [{"name": "c", "image": "nginx:1.25"}]},
        }
    )
    df = c.run(1).scheduler.explain("q").set_index("node")
    assert df.loc["node-2", "ImageLocality.raw"] > df.loc["node-1", "ImageLocality.raw"] == 0


def test_queueing_hint_moves_only_pods_a_new_pod_could_help():
    from kubelab.scheduler.queue import SchedulingQueue

    q = SchedulingQueue()
    for name, helps in [("affinity", True), ("anti", False)]:
        q.add(("default", name), None, priority=0, now=0.0)
        qp = q.pop(0.0)
        qp.pod_add_helps = helps
        q.requeue_unschedulable(qp, 0.0)
    assert q.move_for_pod_add("other", 5.0) == 0
    assert q.move_for_pod_add("default", 5.0) == 1
    assert q.pop(5.0).key == ("default", "affinity")
    assert q.pop(5.0) is None and q.has_unschedulable()


def test_scheduling_lab_lists_pods_pending_first_and_explains_each():
    import matplotlib

    matplotlib.use("Agg")
    c = kl.Cluster(nodes=2, seed=0)
    c.apply(deployment("cache", 3, {"app": "cache"}, anti_affinity({"app": "cache"})))
    c.run(10)
    lab = kl.viz.scheduling_lab(c)
    names = lab.pods()
    pending = [p["metadata"]["name"] for p in c.list("Pod") if not p["spec"].get("nodeName")]
    assert names[0] == pending[0] and len(names) == 3
    assert lab.summary().startswith(f"{names[0]} is Pending: 0/2 nodes are available: 2 node(s)")
    assert lab.summary(names[1]).startswith(f"{names[1]} runs on node-")
    lab.dropdown.value = names[1]
    assert "runs on" in lab.summary_html.value
    table = kl.viz.scheduling_table(lab.explain())
    assert table["InterPodAffinity"].str.startswith("✗").sum() == 1
    ax = lab.draw()
    assert names[1] in ax.get_title()


_PLACEMENT_SCRIPT = """
import yaml, kubelab as kl
nodes = list(yaml.safe_load_all(open("data/scheduling-nodes.yaml")))
c = kl.Cluster(nodes=nodes, seed=3)
for f in ("cache-deployment", "web-deployment", "pod-ssd", "pod-requests"):
    c.apply(f"data/{f}.yaml")
c.run(30)
print(sorted((p["metadata"]["name"], p["spec"].get("nodeName")) for p in c.list("Pod")))
"""


def test_placements_do_not_depend_on_hash_seeds():
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    outputs = []
    for hash_seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=hash_seed)
        run = subprocess.run(
            [sys.executable, "-c", _PLACEMENT_SCRIPT],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        outputs.append(run.stdout)
    assert outputs[0] == outputs[1]
    assert "cache-" in outputs[0] and "None)" in outputs[0]  # the 4th cache replica waits


def test_relabelled_and_deleted_pods_stop_counting_for_affinity():
    c = kl.Cluster(nodes=3, seed=0)
    c.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "cache", "labels": {"app": "cache"}},
            "spec": {"nodeName": "node-3", "containers": [{"name": "c", "image": "redis"}]},
        }
    )
    c.run(5)

    def web(name):
        affinity = {
            "podAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": [
                    {
                        "labelSelector": {"matchLabels": {"app": "cache"}},
                        "topologyKey": "kubernetes.io/hostname",
                    }
                ]
            }
        }
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name},
            "spec": {"affinity": affinity, "containers": [{"name": "c", "image": "nginx"}]},
        }

    c.apply(web("web-1"))
    c.run(5)
    assert c.get("Pod", "web-1")["spec"]["nodeName"] == "node-3"
    c.kubectl("label pod cache app=retired --overwrite")
    c.apply(web("web-2"))
    c.run(5)
    assert not c.get("Pod", "web-2")["spec"].get("nodeName")
    c.kubectl("label pod cache app=cache --overwrite")
    c.run(15)  # the label change is a cluster event: web-2 is retried and follows the cache
    assert c.get("Pod", "web-2")["spec"]["nodeName"] == "node-3"
