"""The labs: their methods change the cluster; their widgets call them (headless, DummyComm)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest

import kubelab as kl
from kubelab.exercises.checks import course_file
from kubelab.observe.history import is_ready
from kubelab.viz import ClusterLab, SelectorSeries, cluster_lab, selector_lab

FRONTEND = {"frontend": "tier=frontend"}


def ready(c, selector):
    return [p["metadata"]["name"] for p in c.list("Pod", selector=selector) if is_ready(p)]


@pytest.fixture
def cluster():
    c = kl.Cluster(nodes=3, seed=0)
    c.apply("data/replicaset.yaml")
    return c.run(20)


@pytest.fixture
def lab():
    """A lab built from manifests, counting ready pods per selector."""
    return cluster_lab(
        [str(course_file("replicaset.yaml")), str(course_file("pod.yaml"))],
        series={"frontend": "tier=frontend", "hello": "app=hello"},
        owner="rs/frontend",
    )


# -- the model: methods --------------------------------------------------------------------------


def test_owner_is_found_and_scaling_goes_through_kubectl(cluster):
    lab = cluster_lab(cluster)
    assert lab.cluster is cluster
    assert lab.owner == ("ReplicaSet", "frontend")
    assert lab.replicas() == 3
    lab.scale(5).step(20)
    assert cluster.get("ReplicaSet", "frontend")["spec"]["replicas"] == 5
    assert len(ready(cluster, "tier=frontend")) == 5
    assert "scaled" in lab.message
    assert lab.marks[-1][1] == "scale to 5"
    audit = cluster.audit
    assert ((audit["verb"].isin(["patch", "update"])) & (audit["kind"] == "ReplicaSet")).any()


def test_owner_spellings(cluster):
    assert ClusterLab(cluster, owner="rs/frontend").owner == ("ReplicaSet", "frontend")
    assert ClusterLab(cluster, owner="frontend").owner == ("ReplicaSet", "frontend")
    assert ClusterLab(cluster, owner=("ReplicaSet", "frontend")).owner == ("ReplicaSet", "frontend")
    with pytest.raises(ValueError, match="no Deployment"):
        ClusterLab(cluster, owner="nope")


def test_a_lab_from_manifests_owns_a_seeded_warmed_up_cluster(lab):
    assert lab.cluster.now == pytest.approx(30)
    assert lab.owner == ("ReplicaSet", "frontend")
    assert lab.counts().iloc[-1].to_dict() == {"frontend": 3, "hello": 1}
    sources = [str(course_file("replicaset.yaml")), str(course_file("pod.yaml"))]
    again = cluster_lab(sources, series=FRONTEND)  # same seed, same pods
    assert ready(again.cluster, "tier=frontend") == ready(lab.cluster, "tier=frontend")


def test_kill_pod_is_replaced(cluster):
    lab = ClusterLab(cluster, selector="tier=frontend")
    before = set(ready(cluster, "tier=frontend"))
    lab.kill_pod()
    victim = lab.message.split()[1]
    assert victim in before
    lab.step(20)
    after = set(ready(cluster, "tier=frontend"))
    assert victim not in after and len(after) == 3


def test_kill_a_named_bare_pod_is_not_replaced(lab):
    lab.kill_pod("hello").step(30)
    assert lab.counts().iloc[-1].to_dict() == {"frontend": 3, "hello": 0}


def test_fail_node_is_not_ready_after_the_grace_period_and_restores(cluster):
    lab = ClusterLab(cluster)

    def node_ready():
        conds = cluster.get("Node", "node-2", namespace="")["status"]["conditions"]
        return next(x["status"] for x in conds if x["type"] == "Ready")

    lab.fail_node("node-2")
    assert lab.failed == ["node-2"]
    lab.step(30)
    assert node_ready() == "True"  # the control plane has not noticed yet
    lab.step(40)
    assert node_ready() != "True"
    lab.restore_node()
    assert lab.failed == [] and lab.message == "node-2 restored"
    assert [m[1] for m in lab.marks] == ["fail node-2", "restore node-2"]
    lab.step(20)
    assert node_ready() == "True"


# -- the numbers: series from c.history -----------------------------------------------------------


def test_series_per_selector_follow_scaling_and_killing(lab):
    lab.scale(5).step(30)
    counts = lab.counts()
    assert list(counts.columns) == ["frontend", "hello"]
    assert counts["frontend"].iloc[-1] == 5
    assert counts.loc[:30.0, "frontend"].iloc[-1] == 3  # the past is unchanged
    t = lab.cluster.now
    lab.kill_pod()
    lab.step(0.1)
    assert lab.counts()["frontend"].iloc[-1] == 4
    lab.step(20)
    counts = lab.counts()
    assert counts["frontend"].iloc[-1] == 5
    assert counts.index.max() == pytest.approx(lab.cluster.now)
    assert counts.loc[: t - 1, "frontend"].iloc[-1] == 5


def test_series_count_what_the_cluster_shows(lab):
    lab.fail_node("node-2").step(70)
    c = lab.cluster
    live = {"frontend": len(ready(c, "tier=frontend")), "hello": len(ready(c, "app=hello"))}
    assert lab.counts().iloc[-1].to_dict() == live
    assert live["frontend"] < 3  # the pods of node-2 are no longer ready


def test_a_relabelled_pod_leaves_its_series_from_then_on(cluster):
    lab = ClusterLab(cluster, series=FRONTEND)
    assert lab.counts().iloc[-1].to_dict() == {"frontend": 3}
    name = ready(cluster, "tier=frontend")[0]
    t = cluster.now
    cluster.kubectl(f"label pod {name} tier=debug --overwrite")
    counts = lab.counts()
    assert counts.loc[: t - 1, "frontend"].iloc[-1] == 3  # the past is not rewritten
    assert counts.loc[t, "frontend"] == 2
    lab.step(20)  # the ReplicaSet has made a replacement
    assert lab.counts()["frontend"].iloc[-1] == 3
    assert len(cluster.list("Pod")) == 4


def test_series_without_selectors_are_per_owner(cluster):
    lab = ClusterLab(cluster)
    counts = lab.counts()
    assert list(counts.columns) == ["frontend"] and counts["frontend"].iloc[-1] == 3


def test_selector_series_on_its_own(cluster):
    s = SelectorSeries(cluster, {"all": "tier", "none": "tier=nope"})
    cluster.run(5)
    assert s.counts().iloc[-1].to_dict() == {"all": 3, "none": 0}
    assert s.owners("all") == {"frontend"}


# -- the view ------------------------------------------------------------------------------------


def test_figure_has_both_panels(cluster):
    lab = ClusterLab(cluster)
    fig = lab.figure()
    upper, lower = fig.axes
    assert any((p.get_gid() or "").startswith("node:") for p in upper.patches)
    assert any((ln.get_gid() or "").startswith("count:") for ln in lower.get_lines())


def test_figure_of_selector_series_with_desired_and_marks(lab):
    lab.scale(4).fail_node("node-1").step(60)
    fig = lab.figure()
    assert type(fig).__module__ == "matplotlib.figure"  # no pyplot figure manager
    lower = fig.axes[1]
    gids = {ln.get_gid() for ln in lower.get_lines()}
    assert {"count:frontend", "count:hello", "desired:frontend", "mark"} <= gids
    assert lab.png().startswith(b"\x89PNG")


def test_widgets_drive_the_lab_headlessly(cluster):
    lab = ClusterLab(cluster, step_seconds=10)
    box = lab.widget
    assert box is lab.widget  # built once
    controls = lab.controls
    assert controls["replicas"].continuous_update is False
    controls["replicas"].value = 4
    assert cluster.get("ReplicaSet", "frontend")["spec"]["replicas"] == 4
    t = cluster.now
    controls["seconds"].value = 30
    controls["step"].click()
    assert cluster.now == pytest.approx(t + 30)
    controls["kill"].click()
    assert "killed" in lab.message
    names = [v for _, v in controls["pod"].options if v]
    controls["pod"].value = names[-1]
    controls["kill"].click()
    assert lab.message == f"pod {names[-1]} killed"
    controls["node"].value = "node-3"
    controls["fail"].click()
    assert lab.failed == ["node-3"]
    controls["restore"].click()
    assert lab.failed == []
    controls["play"].value = 1  # one tick of the play button = one step
    assert cluster.now == pytest.approx(t + 60)
    assert "t = " in controls["status"].value
    assert bytes(controls["view"].value).startswith(b"\x89PNG")
    assert lab.last_figure is not None


def test_series_lab_widget_status(lab):
    _ = lab.widget
    lab.controls["replicas"].value = 5
    lab.controls["seconds"].value = 60
    lab.controls["step"].click()
    status = lab.controls["status"].value
    assert "frontend: 5 ready" in status and "hello: 1 ready" in status


def test_callback_errors_are_shown_not_lost(cluster):
    lab = ClusterLab(cluster)
    _ = lab.widget
    lab.controls["node"].options = ["node-9"]
    lab.controls["fail"].click()
    assert "NotFound" in lab.controls["status"].value


# -- the selector lab ----------------------------------------------------------------------------


def test_selector_lab_lists_selected_pods_and_errors():
    lab = selector_lab(str(course_file("pods-labelled.yaml")), selector="app=web,env=prod")
    assert lab.selected("app=web,env=prod") == ["web-canary", "web-prod-1", "web-prod-2"]
    assert lab.selected("env in (prod),track notin (canary)") == [
        "db-prod",
        "web-prod-1",
        "web-prod-2",
    ]
    assert "3 of 6 pods selected" in lab.table.value
    lab.text.value = "env in (prod"
    assert "❌" in lab.table.value
    assert lab.text.continuous_update is False


def test_selector_lab_on_an_existing_cluster(cluster):
    lab = selector_lab(cluster, selector="tier=frontend")
    assert lab.cluster is cluster
    assert lab.selected("tier=frontend") == sorted(ready(cluster, "tier=frontend"))
    assert "3 of 3 pods selected" in lab.table.value
