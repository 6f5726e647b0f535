"""The Deployment controller inside a whole ``kl.Cluster``: rollout step sequences (§1.11),
the availability invariant at every instant, Recreate, rollback, a stalled rollout."""

from __future__ import annotations

import re

import pytest

import kubelab as kl
from kubelab.api.meta import get_condition


def manifest(
    replicas=3, surge="25%", unavailable="25%", strategy="RollingUpdate", image="nginx:1.25", **spec
):
    strat = {"type": strategy}
    if strategy == "RollingUpdate":
        strat["rollingUpdate"] = {"maxSurge": surge, "maxUnavailable": unavailable}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": replicas,
            "strategy": strat,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": image}]},
            },
            **spec,
        },
    }


def started(d: dict, run: float = 30) -> kl.Cluster:
    c = kl.Cluster(nodes=3, seed=0)
    c.apply(d)
    c.run(run)
    return c


def set_image(c: kl.Cluster, image: str) -> None:
    assert c.kubectl(f"set image deployment/web web={image}") == "deployment.apps/web image updated"


def steps(c: kl.Cluster, since: float) -> list[str]:
    """ScalingReplicaSet events after ``since`` as 'new 0→1' / 'old 3→2'."""
    new_rs = max(
        c.list("ReplicaSet"),
        key=lambda r: r["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
    )
    ev = c.events
    out = []
    for msg in ev[(ev.reason == "ScalingReplicaSet") & (ev.time >= since)].message:
        m = re.match(r"Scaled (up|down) replica set (\S+) from (\d+) to (\d+)", msg)
        which = "new" if m.group(2) == new_rs["metadata"]["name"] else "old"
        out.append(f"{which} {m.group(3)}→{m.group(4)}")
    return out


@pytest.mark.parametrize(
    "replicas, expected",
    [
        (3, ["new 0→1", "old 3→2", "new 1→2", "old 2→1", "new 2→3", "old 1→0"]),
        (2, ["new 0→1", "old 2→1", "new 1→2", "old 1→0"]),
        (1, ["new 0→1", "old 1→0"]),
    ],
)
def test_rolling_update_step_sequences(replicas, expected):
    c = started(manifest(replicas))
    t = c.now
    set_image(c, "nginx:1.26")
    c.run(60)
    assert steps(c, t) == expected
    d = c.get("Deployment", "web")
    assert d["status"]["updatedReplicas"] == replicas == d["status"]["availableReplicas"]
    assert get_condition(d, "Progressing")["reason"] == "NewReplicaSetAvailable"


def test_first_event_wording_and_names():
    c = started(manifest(3))
    rs = c.list("ReplicaSet")[0]
    pod_hash = rs["metadata"]["labels"]["pod-template-hash"]
    assert rs["metadata"]["name"] == f"web-{pod_hash}"
    assert rs["spec"]["selector"]["matchLabels"]["pod-template-hash"] == pod_hash
    assert all(p["metadata"]["labels"]["pod-template-hash"] == pod_hash for p in c.list("Pod"))
    assert list(c.events[c.events.reason == "ScalingReplicaSet"].message) == [
        f"Scaled up replica set web-{pod_hash} from 0 to 3"
    ]
    assert rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"
    assert rs["metadata"]["annotations"]["deployment.kubernetes.io/max-replicas"] == "4"


def _sampler(c: kl.Cluster):
    samples = []

    def sample():
        pods = [
            p
            for p in c.api.store.list("Pod", "default")
            if not p["metadata"].get("deletionTimestamp")
        ]
        ready = [p for p in pods if (get_condition(p, "Ready") or {}).get("status") == "True"]
        samples.append((c.now, len(pods), len(ready)))
        return False

    return samples, sample


@pytest.mark.parametrize(
    "replicas, surge, unavailable", [(10, "25%", "25%"), (4, "25%", "25%"), (5, 0, 1), (3, 2, 0)]
)
def test_rolling_update_invariant_at_every_instant(replicas, surge, unavailable):
    c = started(manifest(replicas, surge, unavailable))
    d = c.get("Deployment", "web")
    from kubelab.controllers.deployment_util import max_surge, max_unavailable

    hi, lo = replicas + max_surge(d), replicas - max_unavailable(d)
    set_image(c, "nginx:1.26")
    samples, sample = _sampler(c)
    c.clock.run_until(c.now + 120, sample)
    assert samples
    assert all(total <= hi for _, total, _ in samples), max(s[1] for s in samples)
    assert all(ready >= lo for _, _, ready in samples), min(s[2] for s in samples)
    assert c.get("Deployment", "web")["status"]["updatedReplicas"] == replicas


def test_recreate_has_an_instant_without_pods_rolling_update_never():
    for strategy, expect_gap in (("Recreate", True), ("RollingUpdate", False)):
        c = started(manifest(3, strategy=strategy))
        set_image(c, "nginx:1.26")
        samples, sample = _sampler(c)
        c.clock.run_until(c.now + 90, sample)
        assert any(total == 0 for _, total, _ in samples) is expect_gap, strategy
        assert len(c.list("Pod")) == 3


def test_recreate_creates_the_new_set_only_after_old_pods_are_gone():
    c = started(manifest(3, strategy="Recreate"))
    t = c.now
    set_image(c, "nginx:1.26")
    c.run(60)
    assert steps(c, t) == ["old 3→0", "new 0→3"]
    ev = c.events
    times = list(ev[(ev.reason == "ScalingReplicaSet") & (ev.time >= t)].time)
    assert times[1] > times[0]  # waited for the graceful terminations


def test_rollback_scales_the_old_set_back_and_creates_none():
    c = started(manifest(3))
    set_image(c, "nginx:1.26")
    c.run(60)
    names = {r["metadata"]["name"] for r in c.list("ReplicaSet")}
    first = min(c.list("ReplicaSet"), key=lambda r: r["metadata"]["creationTimestamp"])
    assert c.kubectl("rollout undo deployment/web") == "deployment.apps/web rolled back"
    c.run(60)
    assert {r["metadata"]["name"] for r in c.list("ReplicaSet")} == names
    back = c.get("ReplicaSet", first["metadata"]["name"])
    assert back["spec"]["replicas"] == 3
    ann = back["metadata"]["annotations"]
    assert (
        ann["deployment.kubernetes.io/revision"],
        ann["deployment.kubernetes.io/revision-history"],
    ) == ("3", "1")
    assert (
        c.get("Deployment", "web")["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
        == "3"
    )


def test_broken_release_stalls_and_exceeds_progress_deadline():
    d = manifest(3, image="kubelab/web:v1", progressDeadlineSeconds=30)
    d["spec"]["template"]["spec"]["containers"][0]["readinessProbe"] = {
        "httpGet": {"path": "/healthz", "port": 8080},
        "periodSeconds": 2,
    }
    c = started(d, run=40)
    assert c.get("Deployment", "web")["status"]["availableReplicas"] == 3
    set_image(c, "kubelab/web:v3-broken")
    t = c.now
    c.run(25)
    cond = get_condition(c.get("Deployment", "web"), "Progressing")
    assert cond["status"] == "True"
    c.run(20)
    dep = c.get("Deployment", "web")
    cond = get_condition(dep, "Progressing")
    assert (cond["status"], cond["reason"]) == ("False", "ProgressDeadlineExceeded")
    assert re.fullmatch(r'ReplicaSet "web-\w+" has timed out progressing\.', cond["message"])
    assert dep["status"]["availableReplicas"] == 3 and dep["status"]["updatedReplicas"] == 1
    from kubelab.api.meta import parse_time

    assert t + 30 < parse_time(cond["lastTransitionTime"]) <= t + 45
    out = c.kubectl("rollout status deployment/web")
    assert out.endswith('error: deployment "web" exceeded its progress deadline')


def test_proportional_scaling_during_a_stalled_rollout():
    d = manifest(10, 3, 2, image="kubelab/web:v1")
    d["spec"]["template"]["spec"]["containers"][0]["readinessProbe"] = {
        "httpGet": {"path": "/healthz", "port": 8080}
    }
    c = started(d, run=40)
    set_image(c, "kubelab/web:v3-broken")
    c.run(30)
    sizes = sorted(r["spec"]["replicas"] for r in c.list("ReplicaSet"))
    assert sizes == [5, 8]  # 13 pods: 8 old (minAvailable), 5 new that never get ready
    c.kubectl("scale deployment web --replicas=20")
    c.run(5)
    sizes = sorted(r["spec"]["replicas"] for r in c.list("ReplicaSet"))
    # 20 + maxSurge 3 = 23 pods, shared as the sets were (5:8 of max-replicas 13): 9 and 14
    assert sizes == [9, 14]


def test_pause_holds_template_changes_until_resume():
    c = started(manifest(3))
    assert c.kubectl("rollout pause deployment/web") == "deployment.apps/web paused"
    c.run(2)
    cond = get_condition(c.get("Deployment", "web"), "Progressing")
    assert (cond["status"], cond["reason"]) == ("Unknown", "DeploymentPaused")
    set_image(c, "nginx:1.26")
    c.run(30)
    assert len(c.list("ReplicaSet")) == 1
    assert c.kubectl("rollout resume deployment/web") == "deployment.apps/web resumed"
    c.run(60)
    assert len(c.list("ReplicaSet")) == 2
    assert (
        get_condition(c.get("Deployment", "web"), "Progressing")["reason"]
        == "NewReplicaSetAvailable"
    )


def test_revision_history_limit_deletes_the_oldest_sets():
    c = started(manifest(1, revisionHistoryLimit=1))
    for tag in ("1.26", "1.27", "1.28"):
        set_image(c, f"nginx:{tag}")
        c.run(30)
    revs = sorted(
        int(r["metadata"]["annotations"]["deployment.kubernetes.io/revision"])
        for r in c.list("ReplicaSet")
    )
    assert revs == [3, 4]


def test_adopts_an_orphan_replica_set_with_the_same_template():
    c = started(manifest(2))
    rs = c.list("ReplicaSet")[0]
    c.delete("Deployment", "web", propagation="Orphan")
    c.run(5)
    assert "ownerReferences" not in c.get("ReplicaSet", rs["metadata"]["name"])["metadata"]
    c.apply(manifest(2))
    c.run(5)
    sets = c.list("ReplicaSet")
    assert [r["metadata"]["name"] for r in sets] == [rs["metadata"]["name"]]
    assert sets[0]["metadata"]["ownerReferences"][0]["kind"] == "Deployment"


def test_deleting_a_deployment_cascades():
    c = started(manifest(3))
    c.delete("Deployment", "web")
    c.run(40)
    assert c.list("ReplicaSet") == [] and c.list("Pod") == []
