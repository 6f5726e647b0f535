"""The labs: their methods change the cluster; their widgets call them (headless, DummyComm)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest

import kubelab as kl
from kubelab.exercises.checks import course_file
from kubelab.observe.history import is_ready
from kubelab.viz import ClusterLab, SelectorSeries, cluster_lab, selector_lab
from kubelab.viz.maintenance import ready_nodes
from kubelab.viz.probe_lab import ProbeLab, probe_lab

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


# -- node maintenance and DaemonSets -------------------------------------------------------------


@pytest.fixture
def daemon_lab():
    return cluster_lab(str(course_file("daemonset.yaml")), owner="ds/log-collector")


def test_daemonset_owner_has_no_slider_and_plots_nodes(daemon_lab):
    lab = daemon_lab
    assert lab.owner == ("DaemonSet", "log-collector") and lab.show_nodes
    assert lab.replicas() is None
    assert ClusterLab(lab.cluster, owner="log-collector").owner == ("DaemonSet", "log-collector")
    _ = lab.widget
    assert "replicas" not in lab.controls
    lower = lab.figure().axes[1]
    gids = {ln.get_gid() for ln in lower.get_lines()}
    assert "nodes" in gids
    labels = [ln.get_label() for ln in lower.get_lines()]
    assert "ready nodes" in labels and any("log-collector" in x for x in labels)


def test_add_and_remove_nodes_the_daemon_follows(daemon_lab):
    lab = daemon_lab
    c = lab.cluster
    lab.add_node().step(10)
    assert lab.message == "node-4 joined"
    assert sorted(p["spec"]["nodeName"] for p in lab.pods()) == [
        "node-1",
        "node-2",
        "node-3",
        "node-4",
    ]
    lab.remove_node("node-1").step(90)
    assert lab.message == "node-1 removed"
    assert lab.node_names() == ["node-2", "node-3", "node-4"]
    assert sorted(p["spec"]["nodeName"] for p in lab.pods()) == ["node-2", "node-3", "node-4"]
    assert [m[1] for m in lab.marks] == ["add node-4", "remove node-1"]
    nodes = ready_nodes(c)
    assert nodes.iloc[0] == 3 and nodes.loc[: lab.marks[1][0] - 1].iloc[-1] == 4
    assert nodes.iloc[-1] == 3
    assert c.get("DaemonSet", "log-collector")["status"]["desiredNumberScheduled"] == 3


def test_cordon_uncordon_and_drain_go_through_kubectl(cluster):
    lab = ClusterLab(cluster)
    lab.cordon("node-1")
    assert lab.message == "node/node-1 cordoned"
    assert cluster.get("Node", "node-1", namespace="")["spec"]["unschedulable"] is True
    lab.uncordon("node-1")
    assert lab.message == "node/node-1 uncordoned"
    busy = next(p["spec"]["nodeName"] for p in lab.pods())
    t = cluster.now
    lab.drain(busy)
    assert lab.message == f"node/{busy} drained"
    assert lab.drain_output.startswith(f"node/{busy} cordoned")
    assert "evicted" in lab.drain_output
    assert cluster.now > t  # kubectl waited on the simulated clock
    lab.step(20)
    assert all(p["spec"]["nodeName"] != busy for p in lab.pods() if is_ready(p))
    assert lab.marks[-1][1] == f"drain {busy}"
    audit = cluster.audit
    assert ((audit.verb == "create/eviction") & (audit.user == "kubectl")).any()


def test_drain_with_a_budget_keeps_it(cluster):
    cluster.apply(
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": "fe"},
            "spec": {"maxUnavailable": 0, "selector": {"matchLabels": {"tier": "frontend"}}},
        }
    )
    cluster.run(1)
    lab = ClusterLab(cluster, series=FRONTEND)
    lab.drain("node-1", flags="--timeout=12s")
    assert lab.message.endswith("global timeout reached: 12s")
    assert "Cannot evict pod as it would violate the pod's disruption budget." in lab.drain_output
    assert len(ready(cluster, "tier=frontend")) == 3


def test_maintenance_buttons_drive_the_lab(cluster):
    lab = ClusterLab(cluster)
    _ = lab.widget
    c = lab.controls
    c["add"].click()
    assert lab.message == "node-4 joined"
    assert list(c["node"].options) == ["node-1", "node-2", "node-3", "node-4"]
    c["node"].value = "node-4"
    c["cordon"].click()
    assert lab.message == "node/node-4 cordoned"
    c["uncordon"].click()
    assert lab.message == "node/node-4 uncordoned"
    c["drain"].click()
    assert lab.message == "node/node-4 drained"
    c["remove"].click()
    assert lab.message == "node-4 removed"
    assert list(c["node"].options) == ["node-1", "node-2", "node-3"]
    assert c["node"].value == "node-1"
    c["node"].options = ["node-1", "nope"]
    c["node"].value = "nope"
    c["cordon"].click()
    assert "NotFound" in c["status"].value or "not found" in c["status"].value


# -- the probe lab ---------------------------------------------------------------------------------


def test_probe_lab_timeline_follows_the_probe_settings():
    lab = ProbeLab("kubelab/slow-start:v1", "liveness", seconds=150).run()
    assert lab.ready_at() is None and lab.restarts() >= 3
    events = lab.events()
    assert (
        events[events.reason == "Killing"].message.iloc[0]
        == "Container app failed liveness probe, will be restarted"
    )
    frame = lab.timeline()
    assert list(frame.columns) == ["time", "ready", "restarts", "status"]
    assert frame.restarts.is_monotonic_increasing
    assert "CrashLoopBackOff" in set(frame.status)
    lab.set(initial_delay=30).run()
    assert lab.restarts() == 0 and lab.ready_at() == pytest.approx(33.5)
    lab.set(probe="startup", initial_delay=0, failure_threshold=2).run()
    assert lab.restarts() >= 1
    assert lab.pod()["spec"]["containers"][0]["startupProbe"]["failureThreshold"] == 2
    lab.set(failure_threshold=6).run()
    assert lab.restarts() == 0 and lab.ready_at() == pytest.approx(33.5)
    readiness = ProbeLab("kubelab/web:v3-broken", "readiness", seconds=120).run()
    assert (readiness.ready_at(), readiness.restarts()) == (None, 0)
    with pytest.raises(TypeError, match="no setting 'nope'"):
        lab.set(nope=1)
    with pytest.raises(ValueError, match="probe should be one of"):
        ProbeLab(probe="sideways").pod()


def test_probe_lab_is_deterministic_and_draws():
    a = ProbeLab("kubelab/leaky:v1", "readiness", seconds=200).run()
    b = ProbeLab("kubelab/leaky:v1", "readiness", seconds=200).run()
    assert a.rows == b.rows
    last = a.cluster.get("Pod", "probed")["status"]["containerStatuses"][0]["lastState"]
    assert last["terminated"]["reason"] == "OOMKilled"
    fig = a.figure()
    upper, lower = fig.axes
    assert {ln.get_gid() for ln in upper.get_lines()} >= {"ready"}
    assert "restarts" in {ln.get_gid() for ln in lower.get_lines()}
    assert a.png().startswith(b"\x89PNG")


def test_probe_lab_widget_reruns_on_every_change():
    lab = probe_lab("kubelab/slow-start:v1", "liveness", seconds=120)
    _ = lab.widget
    c = lab.controls
    assert "never Ready" in c["status"].value
    c["initial_delay"].value = 30
    assert lab.initial_delay == 30 and "Ready at 33.5 s, 0 restarts" in c["status"].value
    c["image"].value = "kubelab/web:v3-broken"
    c["probe"].value = "readiness"
    assert "never Ready, 0 restarts" in c["status"].value
    assert bytes(c["view"].value).startswith(b"\x89PNG")
