"""draw_cluster: what is drawn (found by the patches' gids), from hand-built graphs."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import networkx as nx
import pytest
from matplotlib.figure import Figure

from kubelab.viz import draw_cluster, scene
from kubelab.viz.layout import layout


def graph(nodes=("node-1", "node-2"), pods=(), down=(), cordoned=(), services=(), ingresses=()):
    """pods: (name, node or None, owner or None, phase, ready)."""
    g = nx.MultiDiGraph()
    for n in nodes:
        g.add_node(
            ("Node", "", n),
            kind="Node",
            name=n,
            phase="NotReady" if n in down else "Ready",
            unschedulable=n in cordoned,
        )
    for name, node, owner, phase, ready in pods:
        key = ("Pod", "default", name)
        g.add_node(
            key,
            kind="Pod",
            name=name,
            namespace="default",
            phase=phase,
            ready=ready,
            node=node,
            version="1.0" if owner != "v2" else "2.0",
            labels={"app": "web"},
        )
        if node in nodes:
            g.add_edge(key, ("Node", "", node), key="runs-on")
        if owner:
            g.add_node(("ReplicaSet", "default", owner), kind="ReplicaSet", name=owner)
            g.add_edge(key, ("ReplicaSet", "default", owner), key="owned-by")
    for svc, selected in services:
        g.add_node(("Service", "default", svc), kind="Service", name=svc, namespace="default")
        for p in selected:
            g.add_edge(("Service", "default", svc), ("Pod", "default", p), key="selects")
    for ing, backends in ingresses:
        g.add_node(("Ingress", "default", ing), kind="Ingress", name=ing, namespace="default")
        for b in backends:
            g.add_edge(("Ingress", "default", ing), ("Service", "default", b), key="routes-to")
    return g


PODS = [
    ("web-aaaaa", "node-1", "web", "Running", 1),
    ("web-bbbbb", "node-2", "web", "Terminating", 1),
    ("web-ccccc", None, "web", "Pending", 0),
    ("solo", "node-1", None, "Running", 1),
]


def gids(ax, prefix):
    return sorted(p.get_gid() for p in ax.patches if (p.get_gid() or "").startswith(prefix))


def texts(ax):
    return [t.get_text() for t in ax.texts]


def new_ax():
    return Figure(figsize=(10, 6)).subplots()


def test_scene_sorts_pods_into_nodes_and_pending():
    s = scene(graph(nodes=("node-10", "node-2", "node-1"), pods=PODS))
    assert [n.name for n in s.nodes] == ["node-1", "node-2", "node-10"]  # natural order
    assert [p.label for p in s.nodes[0].pods] == ["solo", "aaaaa"]
    assert [p.name for p in s.pending] == ["web-ccccc"]
    assert s.nodes[1].pods[0].terminating


def test_scene_namespace_filter_hides_system_pods():
    g = graph(pods=PODS)
    g.add_node(
        ("Pod", "kube-system", "coredns"),
        kind="Pod",
        name="coredns",
        phase="Running",
        ready=1,
        node="node-1",
    )
    assert "coredns" not in [p.name for p in scene(g).pods]
    assert "coredns" in [p.name for p in scene(g, system=True).pods]
    assert [p.name for p in scene(g, namespace="kube-system").pods] == ["coredns"]


def test_one_box_per_node_and_pod_with_labels():
    ax = new_ax()
    out = draw_cluster(graph(pods=PODS), ax=ax)
    assert out is ax
    assert gids(ax, "node:") == ["node:node-1", "node:node-2"]
    assert gids(ax, "pod:") == [
        "pod:default/solo",
        "pod:default/web-aaaaa",
        "pod:default/web-bbbbb",
        "pod:default/web-ccccc",
    ]
    assert gids(ax, "pending") == ["pending"]
    shown = texts(ax)
    for label in ("node-1", "node-2", "aaaaa", "bbbbb", "ccccc", "solo", "✓ Ready"):
        assert label in shown
    assert any(t.startswith("Pending (unscheduled): 1 pod") for t in shown)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert (
        "rs/web" in legend and "no owner (bare pod)" in legend and "terminating (hatched)" in legend
    )


def test_failed_and_cordoned_nodes_are_marked():
    ax = draw_cluster(graph(pods=PODS, down=("node-2",), cordoned=("node-1",)), ax=new_ax())
    shown = texts(ax)
    assert "✗ NotReady" in shown
    assert "✓ Ready,SchedulingDisabled" in shown
    node2 = next(p for p in ax.patches if p.get_gid() == "node:node-2")
    assert node2.get_hatch()
    terminating = next(p for p in ax.patches if p.get_gid() == "pod:default/web-bbbbb")
    assert terminating.get_hatch() == "////"


@pytest.mark.parametrize("color_by", ["owner", "version", "phase"])
def test_color_by(color_by):
    g = graph(pods=[("a-1", "node-1", "v1", "Running", 1), ("b-1", "node-1", "v2", "Running", 1)])
    ax = draw_cluster(g, ax=new_ax(), color_by=color_by)
    colors = {
        p.get_gid(): p.get_facecolor() for p in ax.patches if (p.get_gid() or "").startswith("pod:")
    }
    same = colors["pod:default/a-1"] == colors["pod:default/b-1"]
    assert same == (color_by == "phase")


def test_bad_color_by():
    with pytest.raises(ValueError, match="color_by"):
        draw_cluster(graph(), ax=new_ax(), color_by="mood")


def test_services_and_ingress_are_connected():
    g = graph(
        pods=PODS,
        services=[("web", ["web-aaaaa", "web-bbbbb", "web-ccccc"])],
        ingresses=[("main", ["web"])],
    )
    ax = draw_cluster(g, ax=new_ax())
    assert gids(ax, "service:") == ["service:web"]
    assert gids(ax, "ingress:") == ["ingress:main"]
    assert gids(ax, "routes-to:") == ["routes-to:main"]
    lines = [ln for ln in ax.get_lines() if ln.get_gid() == "selects:web"]
    assert len(lines) == 2  # the pending pod gets no line: nothing routes to it
    assert sorted(ln.get_linestyle() for ln in lines) == ["-", ":"]  # terminating: dotted
    assert draw_cluster(g, ax=new_ax(), show_services=False).get_lines() == []


def test_crowded_nodes_show_counts():
    pods = [(f"web-{i:05d}", "node-1", "web", "Running", 1) for i in range(30)]
    ax = draw_cluster(graph(pods=pods), ax=new_ax(), max_pods_per_node=24)
    assert gids(ax, "pod:") == []
    assert "rs/web: 30 pods (30 ready)" in texts(ax)


def test_layout_is_deterministic_and_grid_shaped():
    g = graph(nodes=[f"node-{i}" for i in range(1, 11)], pods=PODS)
    first, second = layout(scene(g)), layout(scene(g))
    assert first == second
    rows = {y + h for _, y, _, h in first.nodes.values()}
    assert len(rows) == 2  # 10 nodes: two rows of five


def test_empty_cluster_and_new_figure():
    ax = draw_cluster(nx.MultiDiGraph())
    assert ax.figure is not None and len(ax.patches) == 0
    import matplotlib.pyplot as plt

    plt.close(ax.figure)


def test_real_cluster_picture_and_cordoned_node_from_the_store():
    import kubelab as kl

    c = kl.Cluster(nodes=2, seed=0)
    c.apply("data/replicaset.yaml")
    c.run(20)
    c.api.client("kubectl").patch(
        "Node", "node-1", "", {"spec": {"unschedulable": True}}, patch_type="merge"
    )
    ax = draw_cluster(c, ax=new_ax())
    assert len(gids(ax, "pod:")) == 3
    assert "✓ Ready,SchedulingDisabled" in texts(ax)
    assert ax.get_title(loc="left").startswith("t = 20 s — 2 nodes, 3 pods")
