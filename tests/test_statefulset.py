"""StatefulSets as upstream's controller runs them: stable names, ordered and gated creation,
reverse-order scale down, claims from ``volumeClaimTemplates``, rolling updates with a
partition, OnDelete, and identity kept across pod deaths."""

from __future__ import annotations

import pytest

import kubelab as kl

READY_AFTER_20S = ["sh", "-c", "sleep 20; touch /tmp/ready; sleep 3600"]
NEVER_READY = ["sh", "-c", "sleep 3600"]
NAMES = ("web-0", "web-1", "web-2")


def statefulset(name="web", replicas=3, command=None, claims=True, **spec):
    container = {"name": "app", "image": "busybox:1.36", "command": command or READY_AFTER_20S}
    container["readinessProbe"] = {"exec": {"command": ["cat", "/tmp/ready"]}, "periodSeconds": 2}
    if claims:
        container["volumeMounts"] = [{"name": "www", "mountPath": "/data"}]
    body = {
        "replicas": replicas,
        "serviceName": "nginx",
        "selector": {"matchLabels": {"app": name}},
        "template": {
            "metadata": {"labels": {"app": name}},
            # sh ignores SIGTERM: a short grace period keeps the tests' timelines short.
            "spec": {"containers": [container], "terminationGracePeriodSeconds": 2},
        },
        **spec,
    }
    if claims:
        body["volumeClaimTemplates"] = [
            {
                "metadata": {"name": "www"},
                "spec": {
                    "accessModes": ["ReadWriteOnce"],
                    "resources": {"requests": {"storage": "1Gi"}},
                },
            }
        ]
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name},
        "spec": body,
    }


def headless(name="nginx", app="web"):
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {"clusterIP": "None", "selector": {"app": app}, "ports": [{"port": 80}]},
    }


def pods(c, app="web"):
    return {p["metadata"]["name"]: p for p in c.list("pods", selector=f"app={app}")}


def ready(c, app="web"):
    return sorted(n for n, p in pods(c, app).items() if kl.observe.history.is_ready(p))


def first_time(c, name, phase=None, ready_=None):
    h = c.history
    rows = h[(h.kind == "Pod") & (h.name == name)]
    if phase is not None:
        rows = rows[rows.phase == phase]
    if ready_ is not None:
        rows = rows[rows.ready == ready_]
    return rows.time.min()


def events(c, reason=None):
    out = [
        e
        for e in c.list("events")
        if e["involvedObject"]["kind"] == "StatefulSet"
        and (reason is None or e["reason"] == reason)
    ]
    return [
        e["message"]
        for e in sorted(out, key=lambda e: (e["firstTimestamp"], e["metadata"]["name"]))
    ]


@pytest.fixture
def c():
    return kl.Cluster(nodes=3, seed=0)


# -- creation ---------------------------------------------------------------------------------
def test_ordered_ready_creates_one_pod_at_a_time_after_its_predecessor_is_ready(c):
    c.apply(statefulset(claims=False))
    c.run(10)
    assert list(pods(c)) == ["web-0"]  # web-0 is Running but not Ready yet
    c.run(110)
    assert ready(c) == ["web-0", "web-1", "web-2"]
    for prev, nxt in (("web-0", "web-1"), ("web-1", "web-2")):
        assert first_time(c, nxt) >= first_time(c, prev, "Running", 1.0)
    pod = pods(c)["web-1"]
    assert pod["metadata"]["generateName"] == "web-"
    assert (pod["spec"]["hostname"], pod["spec"]["subdomain"]) == ("web-1", "nginx")
    labels = pod["metadata"]["labels"]
    assert labels["statefulset.kubernetes.io/pod-name"] == "web-1"
    assert labels["apps.kubernetes.io/pod-index"] == "1"
    status = c.get("sts", "web")["status"]
    assert labels["controller-revision-hash"] == status["currentRevision"]
    assert {k: status[k] for k in ("replicas", "readyReplicas", "availableReplicas")} == {
        "replicas": 3,
        "readyReplicas": 3,
        "availableReplicas": 3,
    }
    assert events(c, "SuccessfulCreate") == [
        f"create Pod web-{i} in StatefulSet web successful" for i in range(3)
    ]


def test_an_unhealthy_pod_halts_ordered_creation(c):
    c.apply(statefulset(command=NEVER_READY, claims=False))
    c.run(300)
    assert list(pods(c)) == ["web-0"]
    assert c.kubectl("get sts web").splitlines()[1].split()[:2] == ["web", "0/3"]


def test_parallel_creates_every_pod_at_once(c):
    c.apply(statefulset(command=NEVER_READY, claims=False, podManagementPolicy="Parallel"))
    c.run(5)
    assert sorted(pods(c)) == ["web-0", "web-1", "web-2"]


def test_min_ready_seconds_gates_the_next_pod(c):
    c.apply(statefulset(claims=False, replicas=2, minReadySeconds=30))
    c.run(150)
    assert ready(c) == ["web-0", "web-1"]
    gap = first_time(c, "web-1") - first_time(c, "web-0", "Running", 1.0)
    assert 29 < gap <= 32  # the Ready time is stored in whole seconds
    assert c.get("sts", "web")["status"]["availableReplicas"] == 2


def test_ordinals_start_names_the_pods(c):
    c.apply(statefulset(claims=False, replicas=2, ordinals={"start": 5}))
    c.run(80)
    assert sorted(pods(c)) == ["web-5", "web-6"]
    assert pods(c)["web-6"]["metadata"]["labels"]["apps.kubernetes.io/pod-index"] == "6"


# -- scaling ----------------------------------------------------------------------------------
def test_scale_down_deletes_the_highest_ordinal_first_one_at_a_time(c):
    c.apply(statefulset(claims=False))
    c.run(120)
    assert c.kubectl("scale sts web --replicas=0") == "statefulset.apps/web scaled"
    c.run(200)
    assert pods(c) == {}
    h = c.history
    gone = {n: h[(h.name == n) & (h.phase == "Deleted")].time.min() for n in NAMES}
    terminating = {n: first_time(c, n, "Terminating") for n in NAMES}
    # web-1 is not touched until web-2 is gone, web-0 not until web-1 is.
    assert terminating["web-2"] < gone["web-2"] <= terminating["web-1"]
    assert gone["web-1"] <= terminating["web-0"]
    assert events(c, "SuccessfulDelete") == [
        f"delete Pod web-{i} in StatefulSet web successful" for i in (2, 1, 0)
    ]


def test_a_refused_pod_is_reported_and_retried(c):
    c.apply(
        {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": {"name": "q"},
            "spec": {"hard": {"pods": "2"}},
        }
    )
    c.apply(statefulset(claims=False, podManagementPolicy="Parallel"))
    c.run(30)
    assert sorted(pods(c)) == ["web-0", "web-1"]
    assert events(c, "FailedCreate") == [
        'create Pod web-2 in StatefulSet web failed error: pods "web-2" is forbidden: '
        "exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2"
    ]
    c.kubectl("delete resourcequota q")
    c.run(60)
    assert sorted(pods(c)) == list(NAMES)


def test_history_and_graph_show_the_set(c):
    c.apply(statefulset(claims=False, replicas=2))
    c.run(80)
    h = c.history
    rows = h[(h.kind == "StatefulSet") & (h.name == "web")]
    assert rows.iloc[-1][["replicas", "ready", "available"]].tolist() == [2, 2, 2]
    g = c.graph
    sts = ("StatefulSet", "default", "web")
    assert g.has_edge(("Pod", "default", "web-1"), sts, key="owned-by")
    assert g.has_edge(sts, ("Pod", "default", "web-0"), key="selects")


def test_get_pods_lists_ordinals_as_kubectl_does(c):
    c.apply(statefulset(claims=False, replicas=12, podManagementPolicy="Parallel"))
    c.run(5)
    names = [line.split()[0] for line in c.kubectl("get pods").splitlines()[1:]]
    assert names[:5] == ["web-0", "web-1", "web-10", "web-11", "web-2"]


# -- storage ----------------------------------------------------------------------------------
def test_claims_are_created_before_their_pod_and_bound(c):
    c.apply(headless())
    c.apply(statefulset())
    c.run(120)
    claims = {p["metadata"]["name"]: p for p in c.list("pvc")}
    assert sorted(claims) == ["www-web-0", "www-web-1", "www-web-2"]
    for i in range(3):
        claim = claims[f"www-web-{i}"]
        assert claim["status"]["phase"] == "Bound"
        assert claim["metadata"]["labels"] == {"app": "web"}
        assert "ownerReferences" not in claim["metadata"]  # Retain / Retain
        volume = pods(c)[f"web-{i}"]["spec"]["volumes"][0]
        assert volume == {"name": "www", "persistentVolumeClaim": {"claimName": f"www-web-{i}"}}
    created = events(c, "SuccessfulCreate")
    assert created[:2] == [
        "create Claim www-web-0 Pod web-0 in StatefulSet web success",
        "create Pod web-0 in StatefulSet web successful",
    ]
    # Scaled down and up again: the same claim (and so the same volume) comes back.
    uid = claims["www-web-2"]["metadata"]["uid"]
    c.kubectl("scale sts web --replicas=2")
    c.run(60)
    assert c.get("pvc", "www-web-2")["metadata"]["uid"] == uid
    c.kubectl("scale sts web --replicas=3")
    c.run(60)
    assert pods(c)["web-2"]["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"] == (
        "www-web-2"
    )
    assert c.get("pvc", "www-web-2")["metadata"]["uid"] == uid


def test_retention_policy_delete_removes_claims_on_scale_down_and_set_deletion(c):
    policy = {"whenDeleted": "Delete", "whenScaled": "Delete"}
    c.apply(statefulset(persistentVolumeClaimRetentionPolicy=policy))
    c.run(120)
    ref = c.get("pvc", "www-web-2")["metadata"]["ownerReferences"]
    assert [(r["kind"], r["name"], r["controller"]) for r in ref] == [("StatefulSet", "web", True)]
    uid = c.get("pvc", "www-web-1")["metadata"]["uid"]
    c.kubectl("scale sts web --replicas=1")
    c.run(120)
    assert sorted(p["metadata"]["name"] for p in c.list("pvc")) == ["www-web-0"]
    c.kubectl("scale sts web --replicas=2")
    c.run(60)
    assert c.get("pvc", "www-web-1")["metadata"]["uid"] != uid  # a fresh, empty claim
    c.kubectl("delete sts web")
    c.run(120)
    assert c.list("pvc") == [] and pods(c) == {}


def test_retention_policy_retain_keeps_claims_after_set_deletion(c):
    c.apply(statefulset(replicas=1))
    c.run(60)
    c.kubectl("delete sts web")
    c.run(60)
    assert pods(c) == {}
    assert [p["metadata"]["name"] for p in c.list("pvc")] == ["www-web-0"]


# -- identity ---------------------------------------------------------------------------------
def test_a_killed_pod_comes_back_with_the_same_name_claim_and_dns_name(c):
    c.apply(headless())
    c.apply(statefulset())
    c.run(120)
    old = pods(c)["web-1"]
    assert c.dns.resolve("web-1.nginx").addresses == [old["status"]["podIP"]]
    c.kill_pod("web-1")
    c.run(60)
    new = pods(c)["web-1"]
    assert new["metadata"]["uid"] != old["metadata"]["uid"]
    assert new["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"] == "www-web-1"
    assert new["spec"]["nodeName"] == old["spec"]["nodeName"]  # its local volume lives there
    assert kl.observe.history.is_ready(new)
    answer = c.dns.resolve("web-1.nginx.default.svc.cluster.local")
    assert answer.addresses == [new["status"]["podIP"]]


def test_a_pod_on_a_failed_node_is_not_replaced_until_the_old_one_is_gone(c):
    c.apply(statefulset(claims=False))
    c.run(120)
    node = pods(c)["web-0"]["spec"]["nodeName"]
    uid = pods(c)["web-0"]["metadata"]["uid"]
    c.fail_node(node)
    c.run(600)
    stuck = pods(c)["web-0"]
    assert stuck["metadata"]["uid"] == uid and stuck["metadata"].get("deletionTimestamp")
    assert c.get("sts", "web")["status"]["readyReplicas"] == 2
    c.restore_node(node)
    c.run(120)
    back = pods(c)["web-0"]
    assert back["metadata"]["uid"] != uid
    assert ready(c) == ["web-0", "web-1", "web-2"]


# -- updates ----------------------------------------------------------------------------------
def test_rolling_update_respects_the_partition_then_goes_down_from_the_top(c):
    c.apply(statefulset(claims=False))
    c.run(120)
    old_rev = c.get("sts", "web")["status"]["currentRevision"]
    manifest = statefulset(claims=False, updateStrategy={"rollingUpdate": {"partition": 2}})
    manifest["spec"]["template"]["spec"]["containers"][0]["image"] = "busybox:1.37"
    c.apply(manifest)
    c.run(120)
    images = {n: p["spec"]["containers"][0]["image"] for n, p in pods(c).items()}
    assert images == {"web-0": "busybox:1.36", "web-1": "busybox:1.36", "web-2": "busybox:1.37"}
    status = c.get("sts", "web")["status"]
    assert status["currentRevision"] == old_rev != status["updateRevision"]
    assert (status["updatedReplicas"], status["currentReplicas"]) == (1, 2)
    assert c.kubectl("rollout status sts web") == (
        "partitioned roll out complete: 1 new pods have been updated..."
    )
    manifest["spec"]["updateStrategy"]["rollingUpdate"]["partition"] = 0
    c.apply(manifest)
    c.run(200)
    assert {p["spec"]["containers"][0]["image"] for p in pods(c).values()} == {"busybox:1.37"}
    status = c.get("sts", "web")["status"]
    assert status["currentRevision"] == status["updateRevision"]
    assert status["currentReplicas"] == status["updatedReplicas"] == 3
    deleted = [m.split()[2] for m in events(c, "SuccessfulDelete")]
    assert deleted == ["web-2", "web-1", "web-0"]
    assert c.kubectl("rollout history sts web").splitlines()[1:] == [
        "REVISION  CHANGE-CAUSE",
        "1         <none>",
        "2         <none>",
    ]


def test_rollout_undo_goes_back_to_the_previous_revision(c):
    c.apply(statefulset(claims=False, replicas=2))
    c.run(80)
    c.kubectl("set image sts/web app=busybox:1.37")
    c.run(120)
    assert c.kubectl("rollout undo sts web") == "statefulset.apps/web rolled back"
    c.run(120)
    assert {p["spec"]["containers"][0]["image"] for p in pods(c).values()} == {"busybox:1.36"}
    revisions = sorted(r["revision"] for r in c.list("controllerrevisions"))
    assert revisions == [2, 3]


def test_on_delete_waits_for_the_user_to_delete_pods(c):
    c.apply(statefulset(claims=False, updateStrategy={"type": "OnDelete"}))
    c.run(120)
    c.kubectl("set image sts/web app=busybox:1.37")
    c.run(120)
    assert {p["spec"]["containers"][0]["image"] for p in pods(c).values()} == {"busybox:1.36"}
    c.kubectl("delete pod web-1")
    c.run(120)
    images = {n: p["spec"]["containers"][0]["image"] for n, p in pods(c).items()}
    assert images == {"web-0": "busybox:1.36", "web-1": "busybox:1.37", "web-2": "busybox:1.36"}
    status = c.get("sts", "web")["status"]
    assert status["updatedReplicas"] == 1 and status["currentRevision"] != status["updateRevision"]


def test_rollout_restart_replaces_every_pod(c):
    c.apply(statefulset(claims=False, replicas=2))
    c.run(80)
    uids = {n: p["metadata"]["uid"] for n, p in pods(c).items()}
    assert c.kubectl("rollout restart sts web") == "statefulset.apps/web restarted"
    c.run(150)
    assert all(pods(c)[n]["metadata"]["uid"] != uid for n, uid in uids.items())
    assert ready(c) == ["web-0", "web-1"]


# -- kubectl --------------------------------------------------------------------------------
def test_kubectl_get_and_describe(c):
    c.apply(statefulset(replicas=2))
    c.run(80)
    assert c.kubectl("get sts").splitlines() == ["NAME   READY   AGE", "web    2/2     80s"]
    assert c.kubectl("get statefulsets.apps -o wide").splitlines()[0].split() == [
        "NAME",
        "READY",
        "AGE",
        "CONTAINERS",
        "IMAGES",
    ]
    text = c.kubectl("describe sts web")
    for line in (
        "Replicas:           2 desired | 2 total",
        "Update Strategy:    RollingUpdate",
        "  Partition:        0",
        "Pods Status:        2 Running / 0 Waiting / 0 Succeeded / 0 Failed",
        "Volume Claims:",
        "  Capacity:      1Gi",
        "  Access Modes:  [ReadWriteOnce]",
    ):
        assert line in text.splitlines(), line
    assert "statefulset.apps/web" in c.kubectl("get all")
