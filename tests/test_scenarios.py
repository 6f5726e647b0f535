"""End-to-end: manifests in, a healing cluster out — the way a learner meets kubelab."""

from __future__ import annotations

import pytest

import kubelab as kl

FRONTEND = """
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: frontend
  labels: {app: guestbook, tier: frontend}
spec:
  replicas: 3
  selector:
    matchLabels: {tier: frontend}
  template:
    metadata:
      labels: {tier: frontend}
    spec:
      containers:
      - name: php-redis
        image: us-docker.pkg.dev/google-samples/containers/gke/gb-frontend:v5
"""


def running_pods(c, selector="tier=frontend"):
    """Running and not terminating (an evicted pod on a dead node stays Terminating, as upstream)."""
    return [
        p
        for p in c.list("pods", selector=selector)
        if p["status"].get("phase") == "Running" and not p["metadata"].get("deletionTimestamp")
    ]


@pytest.fixture
def frontend():
    c = kl.Cluster(nodes=3, seed=0)
    c.apply(FRONTEND)
    c.run_until(lambda c: len(running_pods(c)) == 3, timeout=120)
    return c


def test_replicaset_brings_three_pods_to_running(frontend):
    pods = running_pods(frontend)
    assert len(pods) == 3
    for pod in pods:
        assert pod["metadata"]["name"].startswith("frontend-")
        assert pod["metadata"]["ownerReferences"][0]["kind"] == "ReplicaSet"
        assert pod["status"]["podIP"].startswith("10.244.")
    # LeastAllocated spreads equal pods over equal nodes
    assert len({p["spec"]["nodeName"] for p in pods}) == 3
    rs = frontend.get("rs", "frontend")
    assert rs["status"]["readyReplicas"] == 3 and rs["status"]["availableReplicas"] == 3


def test_kubectl_get_pods_wide_looks_like_kubectl(frontend):
    out = frontend.kubectl("get pods -o wide")
    lines = out.splitlines()
    assert lines[0].split() == [
        "NAME",
        "READY",
        "STATUS",
        "RESTARTS",
        "AGE",
        "IP",
        "NODE",
        "NOMINATED",
        "NODE",
        "READINESS",
        "GATES",
    ]
    assert len(lines) == 4
    for line in lines[1:]:
        cells = line.split()
        assert cells[1:4] == ["1/1", "Running", "0"]
        assert cells[6].startswith("node-") and cells[7:] == ["<none>", "<none>"]


def test_failed_node_pods_are_replaced_after_the_eviction_timeout(frontend):
    victim = running_pods(frontend)[0]
    node = victim["spec"]["nodeName"]
    frontend.fail_node(node)
    frontend.run(60)
    ready = [c for c in frontend.get("node", node)["status"]["conditions"] if c["type"] == "Ready"]
    assert ready[0]["status"] == "Unknown" and ready[0]["reason"] == "NodeStatusUnknown"
    assert "NotReady" in frontend.kubectl("get nodes")
    # Before the 300 s toleration runs out, the pod is still counted (no replacement yet).
    assert victim["metadata"]["name"] in {p["metadata"]["name"] for p in frontend.list("pods")}
    frontend.run(400)
    pods = running_pods(frontend)
    assert len(pods) == 3
    assert victim["metadata"]["name"] not in {p["metadata"]["name"] for p in pods}
    assert node not in {p["spec"]["nodeName"] for p in pods}
    # The evicted pod waits in Terminating for its node to come back, as on a real cluster.
    assert "Terminating" in frontend.kubectl(f"get pod {victim['metadata']['name']}")
    frontend.restore_node(node)
    frontend.run(60)
    assert victim["metadata"]["name"] not in {p["metadata"]["name"] for p in frontend.list("pods")}
    reasons = set(frontend.events["reason"])
    assert {"TaintManagerEviction", "SuccessfulCreate", "Scheduled"} <= reasons


def test_killed_pod_is_replaced_with_a_new_identity(frontend):
    victim = running_pods(frontend)[0]
    frontend.kill_pod(victim["metadata"]["name"])
    frontend.run(30)
    pods = running_pods(frontend)
    assert len(pods) == 3
    names = {p["metadata"]["name"] for p in pods}
    uids = {p["metadata"]["uid"] for p in pods}
    assert victim["metadata"]["name"] not in names and victim["metadata"]["uid"] not in uids


def test_same_seed_same_history():
    def story(seed):
        c = kl.Cluster(nodes=3, seed=seed)
        c.apply(FRONTEND)
        c.run(20)
        c.fail_node("node-1")
        c.run(420)
        return c.history, c.events

    (h1, e1), (h2, e2) = story(7), story(7)
    assert h1.equals(h2) and e1.equals(e2)
    h3, _ = story(8)
    assert not h1[["name"]].equals(h3[["name"]])  # other seed: other pod names


def test_invalid_document_in_a_batch_changes_nothing():
    c = kl.Cluster(nodes=1, seed=0)
    bad = FRONTEND + "\n---\n" + FRONTEND.replace("name: frontend", "name: Front_End", 1)
    before = c.api.store.revision
    with pytest.raises(kl.Invalid, match=r'The ReplicaSet "Front_End" is invalid: metadata\.name'):
        c.apply(bad)
    assert c.api.store.revision == before
    assert c.list("rs") == []
