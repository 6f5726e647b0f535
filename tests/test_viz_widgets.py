"""ReplicationLab: its methods change the cluster; its widgets call them (headless, DummyComm)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest

import kubelab as kl
from kubelab.viz import ReplicationLab, replication_lab


def ready(c, selector):
    return [
        p["metadata"]["name"]
        for p in c.list("Pod", selector=selector)
        if not p["metadata"].get("deletionTimestamp")
        and any(
            x["type"] == "Ready" and x["status"] == "True"
            for x in p["status"].get("conditions", ())
        )
    ]


@pytest.fixture
def cluster():
    c = kl.Cluster(nodes=3, seed=0)
    c.apply("data/replicaset.yaml")
    return c.run(20)


def test_owner_is_found_and_scaling_goes_through_kubectl(cluster):
    lab = replication_lab(cluster)
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
    assert ReplicationLab(cluster, owner="rs/frontend").owner == ("ReplicaSet", "frontend")
    assert ReplicationLab(cluster, owner="frontend").owner == ("ReplicaSet", "frontend")
    with pytest.raises(ValueError, match="no Deployment"):
        ReplicationLab(cluster, owner="nope")


def test_kill_pod_is_replaced(cluster):
    lab = ReplicationLab(cluster, selector="tier=frontend")
    before = set(ready(cluster, "tier=frontend"))
    lab.kill_pod()
    victim = lab.message.split()[1]
    assert victim in before
    lab.step(20)
    after = set(ready(cluster, "tier=frontend"))
    assert victim not in after and len(after) == 3


def test_fail_and_restore_node(cluster):
    lab = ReplicationLab(cluster)
    lab.fail_node("node-2")
    assert lab.failed == ["node-2"]
    lab.step(60)
    assert cluster.get("Node", "node-2", namespace="")["status"]["conditions"]
    lab.restore_node()
    assert lab.failed == [] and lab.message == "node-2 restored"
    assert [m[1] for m in lab.marks] == ["fail node-2", "restore node-2"]


def test_figure_has_both_panels(cluster):
    lab = ReplicationLab(cluster)
    fig = lab.figure()
    left, right = fig.axes
    assert any((p.get_gid() or "").startswith("node:") for p in left.patches)
    assert any((ln.get_gid() or "").startswith("count:") for ln in right.get_lines())


def test_widgets_drive_the_lab_headlessly(cluster):
    lab = ReplicationLab(cluster, step_seconds=10)
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
    controls["node"].value = "node-3"
    controls["fail"].click()
    assert lab.failed == ["node-3"]
    controls["restore"].click()
    assert lab.failed == []
    controls["play"].value = 1  # one tick of the play button = one step
    assert cluster.now == pytest.approx(t + 60)
    assert "t = " in controls["status"].value
    assert lab.last_figure is not None


def test_callback_errors_are_shown_not_lost(cluster):
    lab = ReplicationLab(cluster)
    _ = lab.widget
    lab.controls["node"].options = ["node-9"]
    lab.controls["fail"].click()
    assert "NotFound" in lab.controls["status"].value
