"""The rollout lab driven without a browser: deploy v2, a broken v3, roll back; its plot
shows exactly what ``c.history`` holds."""

from __future__ import annotations

import pytest

import kubelab as kl
from kubelab.viz import RolloutLab, plot_rollout, rollout_lab, rollout_series
from kubelab.viz.series import pod_counts, workload_series


def sizes(lab: RolloutLab) -> list[tuple[str, int]]:
    return [
        (rs["spec"]["template"]["spec"]["containers"][0]["image"], rs["spec"]["replicas"])
        for rs in lab.replica_sets()
    ]


def test_deploy_v2_makes_a_second_replica_set():
    lab = rollout_lab(replicas=4, max_surge=1, max_unavailable=0)
    assert sizes(lab) == [("kubelab/web:v1", 4)]
    lab.deploy_v2().step(60)
    assert sizes(lab) == [("kubelab/web:v1", 0), ("kubelab/web:v2", 4)]
    assert lab.rollout_status() == 'deployment "web" successfully rolled out'
    frame = lab.timeline()
    v1, v2 = (rs["metadata"]["name"] for rs in lab.replica_sets())
    assert list(frame.columns) == [v1, v2, "desired", "ready", "available"]
    assert frame[v1].iloc[-1] == 0 and frame[v2].iloc[-1] == 4
    # maxSurge 1, maxUnavailable 0: never more than 5 pods, never fewer than 4 available
    during = frame[frame.index >= lab.marks[0][0]]
    assert (during[[v1, v2]].sum(axis=1) <= 5).all()
    assert (during["available"] >= 4).all()


def test_broken_v3_stalls_then_roll_back_recovers():
    lab = rollout_lab(replicas=4, max_surge=1, max_unavailable=1, progress_deadline=30)
    lab.deploy_v2().step(60)
    lab.deploy_broken().step(60)
    # the broken set got its surge pods and never more: the v2 pods stay
    assert sizes(lab) == [
        ("kubelab/web:v1", 0),
        ("kubelab/web:v2", 3),
        ("kubelab/web:v3-broken", 2),
    ]
    status = lab.rollout_status()
    assert status == 'error: deployment "web" exceeded its progress deadline'
    d = lab.cluster.get("Deployment", "web")
    assert d["status"]["availableReplicas"] == 3
    before = {rs["metadata"]["name"] for rs in lab.replica_sets()}
    lab.roll_back().step(60)
    assert lab.message == "deployment.apps/web rolled back"
    assert {rs["metadata"]["name"] for rs in lab.replica_sets()} == before  # none created
    assert dict(sizes(lab)) == {
        "kubelab/web:v1": 0,
        "kubelab/web:v2": 4,
        "kubelab/web:v3-broken": 0,
    }
    assert lab.image == "kubelab/web:v2"
    assert lab.rollout_status() == 'deployment "web" successfully rolled out'
    assert [label for _, label in lab.marks] == ["deploy v2", "deploy v3-broken", "roll back"]


def test_recreate_leaves_a_gap_rolling_update_does_not():
    gaps = {}
    for strategy in ("Recreate", "RollingUpdate"):
        lab = rollout_lab(replicas=3, strategy=strategy, readiness_delay=3)
        lab.deploy_v2().step(60)
        frame = lab.timeline()
        live = frame.iloc[:, :-3].sum(axis=1)
        after = live[live.index >= lab.marks[0][0]]
        gaps[strategy] = (after == 0).any()
        assert live.iloc[-1] == 3
    assert gaps == {"Recreate": True, "RollingUpdate": False}


def test_set_strategy_and_replicas_change_the_deployment_without_a_rollout():
    lab = RolloutLab(replicas=2)
    lab.set_strategy("RollingUpdate", max_surge="50%", max_unavailable=0).set_replicas(4).step(30)
    d = lab.cluster.get("Deployment", "web")
    assert d["spec"]["strategy"]["rollingUpdate"] == {"maxSurge": "50%", "maxUnavailable": 0}
    assert d["spec"]["replicas"] == 4 and len(lab.replica_sets()) == 1
    lab.set_strategy("Recreate")
    assert lab.cluster.get("Deployment", "web")["spec"]["strategy"] == {"type": "Recreate"}
    with pytest.raises(kl.Invalid, match="may not be 0 when `maxSurge` is 0"):
        lab.set_strategy("RollingUpdate", max_surge=0, max_unavailable=0)
    assert lab.strategy == {"type": "Recreate"}  # a refused change changes nothing


def test_readiness_delay_applies_from_the_next_deploy():
    lab = RolloutLab(replicas=2)
    lab.set_readiness_delay(10)
    probe = lab.cluster.get("Deployment", "web")["spec"]["template"]["spec"]["containers"][0]
    assert "initialDelaySeconds" not in probe["readinessProbe"]
    lab.deploy_v2()
    lab.step(60)
    template = lab.cluster.get("Deployment", "web")["spec"]["template"]["spec"]["containers"][0]
    assert template["readinessProbe"]["initialDelaySeconds"] == 10
    h = lab.cluster.history
    v2 = lab.replica_sets()[-1]["metadata"]["name"]
    pods = h[(h.kind == "Pod") & (h.owner == v2)]
    for _, rows in pods.groupby("name"):
        started = rows[rows.phase == "Running"].time.min()
        ready = rows[rows.ready == 1].time.min()
        assert ready - started >= 10  # each new pod waited for its readinessProbe
    assert lab.timeline()["available"].iloc[-1] == 2


def test_plotted_series_match_the_history():
    lab = rollout_lab(replicas=3)
    lab.deploy_v2().step(40).deploy_broken().step(30).roll_back().step(40)
    c = lab.cluster
    ax = plot_rollout(c, "web")
    lines = {line.get_gid(): line for line in ax.get_lines()}
    count = pod_counts(c, value="count", until=c.now)
    terminating = pod_counts(c, value="terminating", until=c.now)
    for rs in lab.replica_sets():
        name = rs["metadata"]["name"]
        x, y = lines[f"rs:{name}"].get_data()
        for t, value in zip(x, y, strict=True):
            at = count.index[count.index <= t][-1]
            leaving = terminating[name].loc[at] if name in terminating else 0
            assert value == count[name].loc[at] - leaving, (name, t)
    d = workload_series(c, kind="Deployment", names=["web"], until=c.now)
    for field, gid in (("replicas", "desired"), ("ready", "ready"), ("available", "available")):
        x, y = lines[gid].get_data()
        for t, value in zip(x, y, strict=True):
            at = d.index[d.index <= t][-1]
            assert value == d[("web", field)].loc[at], (field, t)
    assert lab.figure().axes[0].get_title(loc="left") == "Deployment web: pods per ReplicaSet"
    assert rollout_series(c).equals(lab.timeline())


def test_lab_on_an_existing_cluster_and_its_widget():
    pytest.importorskip("ipywidgets")
    c = kl.Cluster(nodes=2, seed=0)
    c.apply("data/deployment.yaml")
    c.run(30)
    lab = RolloutLab(c)
    assert lab.image == "kubelab/web:v1" and lab.replicas_wanted == 3
    box = lab.widget
    controls = lab.controls
    assert {"replicas", "strategy", "surge", "unavailable", "delay", "v2", "v3", "undo"} <= set(
        controls
    )
    controls["v2"].click()
    controls["step"].click()
    assert lab.image == "kubelab/web:v2" and len(lab.replica_sets()) == 2
    # the lab changed the image only: the manifest's probe and strategy are kept
    d = c.get("Deployment", "web")
    assert d["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["periodSeconds"] == 2
    assert d["spec"]["strategy"]["rollingUpdate"] == {"maxSurge": 1, "maxUnavailable": 0}
    assert controls["view"].value[:4] == b"\x89PNG"
    controls["surge"].value, controls["unavailable"].value = "0", "0"
    controls["apply"].click()  # refused: shown in the status line, no exception escapes
    assert "may not be 0" in controls["status"].value
    assert box is lab.widget
