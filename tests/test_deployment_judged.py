"""The Deployment behaviours issue 3 is judged on, proven on a whole ``kl.Cluster``.

Already proven elsewhere (not repeated here):

* rollback re-uses the old ReplicaSet and creates none, revision → revision-history
  (``test_deployment_scenarios.test_rollback_scales_the_old_set_back_and_creates_none``);
* a broken release (``kubelab/web:v3-broken`` with a readinessProbe) stalls and reports
  ``ProgressDeadlineExceeded`` (``test_broken_release_stalls_and_exceeds_progress_deadline``);
* proportional scaling, pause/resume, revisionHistoryLimit, adoption (same module);
* the "Deployments" page walkthrough: create, set image, history, undo, scale, pause/resume
  messages (``test_kubectl_rollout``).

Proven here:

* the invariant at **every store write** (a watch on Pods and ReplicaSets): live pods
  ≤ replicas + maxSurge and available pods ≥ replicas − maxUnavailable, resolved as upstream,
  over fixed and hypothesis-generated (replicas, maxSurge, maxUnavailable), with percentages;
* with pods that become available before the controller's next step, the ReplicaSet size
  sequences of reference §1.11 (rows 3, 1, 2 and 10 with 0 / 1 exactly; rows 4 and 10 with
  25% as rolling.go computes them, see the comment on the parameters);
* Recreate has a store write after which no pod of the Deployment is alive; RollingUpdate never;
* the event wording of the current controller, pod names ``<set>-<5 characters>``, the default
  ``revisionHistoryLimit`` of 10, and ``rollout undo --to-revision=N`` re-using that set;
* the docs' remaining Deployment scenarios: the ``nginx:1.161`` typo stalls with
  ImagePullBackOff, the proportional-scaling example (10 → 15 during a stalled rollout gives
  11 old + 7 new), pause holds a template change, and the "Run a stateless application" and
  "Declarative management" manifests roll out when a changed file is applied.
"""

from __future__ import annotations

import re

import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import kubelab as kl
from kubelab.api.meta import get_condition, parse_time
from kubelab.controllers.deployment import DeploymentController
from kubelab.controllers.deployment_util import resolve_fenceposts


def manifest(replicas=3, surge="25%", unavailable="25%", strategy="RollingUpdate", **spec):
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
                "spec": {"containers": [{"name": "web", "image": "kubelab/web:v1"}]},
            },
            **spec,
        },
    }


def set_image(c: kl.Cluster, image: str, name: str = "web", container: str = "web") -> None:
    out = c.kubectl(f"set image deployment/{name} {container}={image}")
    assert out == f"deployment.apps/{name} image updated"


# -- the invariant at every store write -----------------------------------------------------------
def _available(pod: dict, min_ready: int, now: float) -> bool:
    """``podutil.IsPodAvailable``: Ready, for longer than minReadySeconds."""
    ready = get_condition(pod, "Ready") or {}
    if ready.get("status") != "True":
        return False
    if not min_ready:
        return True
    since = parse_time(ready.get("lastTransitionTime"))
    return since is not None and since + min_ready < now


class Invariant:
    """Watches Pods and ReplicaSets through the store; after every write, counts the
    Deployment's live pods (not terminating, not finished) and its available ones."""

    def __init__(self, c: kl.Cluster, *, min_ready: int = 0, selector=("app", "web")):
        self.c, self.min_ready, self.selector = c, min_ready, selector
        self.samples: list[tuple[float, int, int]] = []  # (time, live, available)
        self._stop = [c.api.store.watch(kind, self._on_write) for kind in ("Pod", "ReplicaSet")]

    def _on_write(self, _event, _obj, _old) -> None:
        key, value = self.selector
        live = available = 0
        now = self.c.now
        for pod in self.c.api.store.list("Pod", "default"):
            if (pod["metadata"].get("labels") or {}).get(key) != value:
                continue
            if pod["metadata"].get("deletionTimestamp"):
                continue
            if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
                continue
            live += 1
            available += _available(pod, self.min_ready, now)
        self.samples.append((now, live, available))

    def stop(self) -> None:
        for stop in self._stop:
            stop()


def _roll_and_watch(replicas, surge, unavailable, *, min_ready=0, seconds=240):
    spec = {"minReadySeconds": min_ready} if min_ready else {}
    c = kl.Cluster(nodes=3, seed=0)
    c.apply(manifest(replicas, surge, unavailable, **spec))
    c.run(30 + 2 * min_ready)
    assert c.get("Deployment", "web")["status"].get("availableReplicas") == replicas
    inv = Invariant(c, min_ready=min_ready)
    set_image(c, "kubelab/web:v2")
    c.run(seconds)
    inv.stop()
    return c, inv


def _assert_invariant(replicas, surge, unavailable, **kwargs):
    max_surge, max_unavailable = resolve_fenceposts(surge, unavailable, replicas)
    max_unavailable = min(max_unavailable, replicas)  # MaxUnavailable caps it at replicas
    c, inv = _roll_and_watch(replicas, surge, unavailable, **kwargs)
    assert len(inv.samples) > 4 * replicas  # every write was seen, not a few clock ticks
    top = max(live for _, live, _ in inv.samples)
    low = min(avail for _, _, avail in inv.samples)
    assert top <= replicas + max_surge, (top, replicas + max_surge)
    assert low >= replicas - max_unavailable, (low, replicas - max_unavailable)
    d = c.get("Deployment", "web")
    assert d["status"]["updatedReplicas"] == replicas == d["status"]["availableReplicas"]
    assert get_condition(d, "Progressing")["reason"] == "NewReplicaSetAvailable"
    return inv


@pytest.mark.parametrize(
    "replicas, surge, unavailable",
    [
        (3, "25%", "25%"),  # (1, 0): the docs' example, never below 3
        (4, "25%", "25%"),  # (1, 1)
        (10, "25%", "25%"),  # (3, 2): surge rounds up, unavailable down
        (10, 3, 2),
        (10, 0, 1),
        (3, "0%", "25%"),  # 0.75 rounds down to 0: both zero → unavailable 1
        (6, "50%", 0),
        (7, 0, "30%"),  # (0, 2)
        (4, "100%", "100%"),  # (4, 4): everything at once
    ],
)
def test_invariant_holds_at_every_store_write(replicas, surge, unavailable):
    _assert_invariant(replicas, surge, unavailable)


def test_invariant_counts_available_after_min_ready_seconds():
    inv = _assert_invariant(4, 1, 0, min_ready=5, seconds=300)
    # minReadySeconds makes the rollout slower: each step waits 5 s after readiness.
    changes = [
        t
        for (t, live, _), (_, prev, _) in zip(inv.samples[1:], inv.samples[:-1], strict=True)
        if live != prev
    ]
    assert changes[-1] - changes[0] >= 4 * 5


@pytest.mark.parametrize(
    "replicas, surge, unavailable", [(3, "25%", "25%"), (10, 3, 2), (4, 1, 1), (5, "50%", "20%")]
)
def test_invariant_holds_through_a_broken_release_and_its_rollback(replicas, surge, unavailable):
    max_surge, max_unavailable = resolve_fenceposts(surge, unavailable, replicas)
    d = manifest(replicas, surge, unavailable, progressDeadlineSeconds=30)
    d["spec"]["template"]["spec"]["containers"][0]["readinessProbe"] = {
        "httpGet": {"path": "/healthz", "port": 8080},
        "periodSeconds": 1,
    }
    c = kl.Cluster(nodes=3, seed=0)
    c.apply(d)
    c.run(30)
    inv = Invariant(c)
    set_image(c, "kubelab/web:v3-broken")
    c.run(60)
    reason = get_condition(c.get("Deployment", "web"), "Progressing")["reason"]
    assert reason == "ProgressDeadlineExceeded"
    assert c.kubectl("rollout undo deployment/web") == "deployment.apps/web rolled back"
    c.run(90)
    inv.stop()
    assert max(live for _, live, _ in inv.samples) <= replicas + max_surge
    assert min(avail for _, _, avail in inv.samples) >= replicas - max_unavailable
    assert c.get("Deployment", "web")["status"]["availableReplicas"] == replicas


_PERCENT = st.sampled_from(["0%", "10%", "25%", "34%", "50%", "100%"])


@settings(max_examples=12)
@given(
    replicas=st.integers(1, 8),
    surge=st.one_of(st.integers(0, 3), _PERCENT),
    unavailable=st.one_of(st.integers(0, 3), _PERCENT),
)
def test_invariant_holds_for_generated_strategies(replicas, surge, unavailable):
    assume(str(surge).rstrip("%") != "0" or str(unavailable).rstrip("%") != "0")  # Invalid
    _assert_invariant(replicas, surge, unavailable)


def test_recreate_has_a_write_with_zero_pods_rolling_update_never():
    gaps = {}
    for strategy in ("Recreate", "RollingUpdate"):
        c = kl.Cluster(nodes=3, seed=0)
        c.apply(manifest(3, strategy=strategy))
        c.run(30)
        inv = Invariant(c)
        set_image(c, "kubelab/web:v2")
        c.run(90)
        inv.stop()
        gaps[strategy] = [t for t, live, _ in inv.samples if live == 0]
        assert inv.samples[-1][1:] == (3, 3), strategy
    assert gaps["Recreate"] and not gaps["RollingUpdate"]
    # the gap lasts: the new pods are created only after the old ones are gone
    assert gaps["Recreate"][-1] > gaps["Recreate"][0]


# -- §1.11: the step sequences with pods that become available at once ----------------------------
def _one_step_at_a_time(c: kl.Cluster):
    """Hold the Deployment controller's syncs until every pod it asked for is available and
    every pod it removed is gone; then let one sync run (reference §1.11's assumptions)."""
    dc = c.controllers["deployment-controller"]
    held: dict = {}
    dc.sync = held.setdefault  # an instance attribute: the work queue now only collects keys

    def settled() -> bool:
        for rs in c.api.store.list("ReplicaSet", "default"):
            want, st_ = rs["spec"]["replicas"], rs.get("status") or {}
            if st_.get("observedGeneration") != rs["metadata"].get("generation"):
                return False
            if (st_.get("replicas") or 0) != want or (st_.get("availableReplicas") or 0) != want:
                return False
        return not any(p["metadata"].get("deletionTimestamp") for p in c.list("Pod"))

    def step() -> bool:
        c.run(1)
        c.run_until(lambda _: settled(), timeout=120)
        if not held:
            return False
        keys = list(held)
        held.clear()
        for key in keys:
            DeploymentController.sync(dc, key)
        return True

    return step


def _sizes(c: kl.Cluster, since: float) -> list[str]:
    new = max(
        c.list("ReplicaSet"),
        key=lambda r: int(r["metadata"]["annotations"]["deployment.kubernetes.io/revision"]),
    )["metadata"]["name"]
    ev = c.events
    out = []
    for msg in ev[(ev.reason == "ScalingReplicaSet") & (ev.time >= since)].message:
        m = re.fullmatch(r"Scaled (up|down) replica set (\S+) from (\d+) to (\d+)", msg)
        assert m, msg
        out.append(f"{'new' if m.group(2) == new else 'old'} {m.group(3)}→{m.group(4)}")
    return out


_ALTERNATING = [step for i in range(10) for step in (f"old {10 - i}→{9 - i}", f"new {i}→{i + 1}")]


@pytest.mark.parametrize(
    "replicas, surge, unavailable, expected",
    [
        (3, "25%", "25%", "new 0→1; old 3→2; new 1→2; old 2→1; new 2→3; old 1→0"),
        # §1.11 lists "new 0→1; old 4→2; ..." for the next three rows, derived on the
        # assumption that the sync creating the new set returns. rolling.go's rolloutRolling
        # returns early only when reconcileNewReplicaSet scaled; the set is created (already at
        # its first size) in getAllReplicaSetsAndSyncRevision, so the same sync goes on to
        # reconcileOldReplicaSets with the new pods still unavailable. rolling.go's own comment
        # says so: "newRS created with 3, old scaled to 8, new to 5" (10 replicas, 3 / 2).
        (4, "25%", "25%", "new 0→1; old 4→3; new 1→2; old 3→1; new 2→4; old 1→0"),
        (10, "25%", "25%", "new 0→3; old 10→8; new 3→5; old 8→3; new 5→10; old 3→0"),
        (10, 3, 2, "new 0→3; old 10→8; new 3→5; old 8→3; new 5→10; old 3→0"),
        (10, 0, 1, "; ".join(_ALTERNATING)),
        (1, "25%", "25%", "new 0→1; old 1→0"),
        (2, "25%", "25%", "new 0→1; old 2→1; new 1→2; old 1→0"),
    ],
)
def test_step_sequences_with_pods_available_at_once(replicas, surge, unavailable, expected):
    c = kl.Cluster(nodes=3, seed=0)
    c.apply(manifest(replicas, surge, unavailable))
    step = _one_step_at_a_time(c)
    while step():
        pass
    t = c.now
    set_image(c, "kubelab/web:v2")
    for _ in range(100):
        if not step():
            break
    assert "; ".join(_sizes(c, t)) == expected
    d = c.get("Deployment", "web")
    assert d["status"]["updatedReplicas"] == replicas == d["status"]["availableReplicas"]


def test_event_wording_matches_the_current_controller():
    # sync.go: "Scaled up replica set %s from 0 to %d" when the set is created, then
    # "Scaled %s replica set %s from %d to %d" (kubernetes/kubernetes#125118, v1.31+).
    c = kl.Cluster(nodes=3, seed=0)
    c.apply(manifest(2))
    c.run(30)
    set_image(c, "kubelab/web:v2")
    c.run(60)
    names = sorted(r["metadata"]["name"] for r in c.list("ReplicaSet"))
    messages = list(c.events[c.events.reason == "ScalingReplicaSet"].message)
    assert all(
        re.fullmatch(r"Scaled (up|down) replica set web-\w+ from \d+ to \d+", m) for m in messages
    )
    first = c.get("ReplicaSet", names[0]), c.get("ReplicaSet", names[1])
    old = min(
        first, key=lambda r: r["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
    )
    assert messages[0] == f"Scaled up replica set {old['metadata']['name']} from 0 to 2"
    pods = c.list("Pod")
    for pod in pods:
        rs_name = pod["metadata"]["ownerReferences"][0]["name"]
        assert re.fullmatch(
            rf"{rs_name}-[bcdfghjklmnpqrstvwxz2456789]{{5}}", pod["metadata"]["name"]
        )


# -- the documentation's Deployment examples --------------------------------------------------------
@pytest.fixture
def corpus():
    from test_docs_corpus import CORPUS_DIR  # skips this test when the corpus is absent

    return CORPUS_DIR


NAME = "nginx-deployment"


def _docs_cluster(corpus, *files):
    c = kl.Cluster(nodes=3, seed=0)  # the catalogue lacks the docs' typo tags, as a registry does
    for f in files:
        c.kubectl(f"apply -f {corpus / f}")
    return c


def _rs_table(c: kl.Cluster) -> dict[str, tuple[int, int]]:
    return {
        r["spec"]["template"]["spec"]["containers"][0]["image"]: (
            r["spec"]["replicas"],
            (r.get("status") or {}).get("readyReplicas") or 0,
        )
        for r in c.list("ReplicaSet")
    }


def test_docs_typo_image_stalls_with_image_pull_back_off(corpus):
    c = _docs_cluster(corpus, "controllers/nginx-deployment.yaml")
    c.kubectl(f"rollout status deployment/{NAME}")
    set_image(c, "nginx:1.16.1", NAME, "nginx")
    c.kubectl(f"rollout status deployment/{NAME}")
    set_image(c, "nginx:1.161", NAME, "nginx")
    out = c.kubectl(f"rollout status deployment/{NAME} --timeout=60s")
    assert "1 out of 3 new replicas have been updated..." in out
    assert out.endswith("error: timed out waiting for the condition")
    # "kubectl get rs": the old set keeps 3 ready pods, the new one has 1 pod, never ready
    assert _rs_table(c) == {"nginx:1.14.2": (0, 0), "nginx:1.16.1": (3, 3), "nginx:1.161": (1, 0)}
    stuck = [p for p in c.list("Pod") if p["spec"]["containers"][0]["image"] == "nginx:1.161"]
    assert len(stuck) == 1
    waiting = stuck[0]["status"]["containerStatuses"][0]["state"]["waiting"]["reason"]
    assert waiting in ("ErrImagePull", "ImagePullBackOff")
    c.run(30)
    assert "ImagePullBackOff" in c.kubectl("get pods")
    assert c.kubectl(f"rollout history deployment/{NAME}").splitlines()[2:] == [
        "1         <none>",
        "2         <none>",
        "3         <none>",
    ]
    # "Rolling Back to a Previous Revision": back to the 1.16.1 set, no new set
    assert c.kubectl(f"rollout undo deployment/{NAME}") == f"deployment.apps/{NAME} rolled back"
    c.kubectl(f"rollout status deployment/{NAME}")
    assert _rs_table(c) == {"nginx:1.14.2": (0, 0), "nginx:1.16.1": (3, 3), "nginx:1.161": (0, 0)}


def test_docs_proportional_scaling_example(corpus):
    # "Proportional scaling": 10 replicas, maxSurge 3, maxUnavailable 2, a missing image,
    # then scaled to 15: the 5 extra replicas go 3 to the old set and 2 to the new one.
    d = yaml.safe_load((corpus / "controllers/nginx-deployment.yaml").read_text())
    d["spec"]["replicas"] = 10
    d["spec"]["strategy"] = {"rollingUpdate": {"maxSurge": 3, "maxUnavailable": 2}}
    c = _docs_cluster(corpus)
    c.apply(d)
    c.kubectl(f"rollout status deployment/{NAME}")
    set_image(c, "nginx:sometag", NAME, "nginx")
    c.run(30)
    assert _rs_table(c) == {"nginx:1.14.2": (8, 8), "nginx:sometag": (5, 0)}
    c.kubectl(f"scale deployment/{NAME} --replicas=15")
    c.run(20)
    assert _rs_table(c) == {"nginx:1.14.2": (11, 11), "nginx:sometag": (7, 0)}


def test_docs_pause_holds_a_template_change_until_resume(corpus):
    c = _docs_cluster(corpus, "controllers/nginx-deployment.yaml")
    c.kubectl(f"rollout status deployment/{NAME}")
    assert c.kubectl(f"rollout pause deployment/{NAME}") == f"deployment.apps/{NAME} paused"
    set_image(c, "nginx:1.16.1", NAME, "nginx")
    c.run(60)
    assert c.kubectl(f"rollout history deployment/{NAME}").splitlines()[2:] == ["1         <none>"]
    assert _rs_table(c) == {"nginx:1.14.2": (3, 3)}
    assert c.kubectl(f"rollout resume deployment/{NAME}") == f"deployment.apps/{NAME} resumed"
    c.kubectl(f"rollout status deployment/{NAME}")
    assert _rs_table(c) == {"nginx:1.14.2": (0, 0), "nginx:1.16.1": (3, 3)}


@pytest.mark.parametrize(
    "first, changed, replicas, rolls",
    [
        # "Declarative management": a new image in the file is a new ReplicaSet
        ("application/simple_deployment.yaml", "application/update_deployment.yaml", 1, True),
        # "Run a stateless application": more replicas in the file is only a scale
        ("application/deployment-update.yaml", "application/deployment-scale.yaml", 4, False),
    ],
)
def test_docs_applying_a_changed_manifest(corpus, first, changed, replicas, rolls):
    c = _docs_cluster(corpus, first)
    c.kubectl(f"rollout status deployment/{NAME}")
    before = {r["metadata"]["name"] for r in c.list("ReplicaSet")}
    out = c.kubectl(f"apply -f {corpus / changed}")
    assert out == f"deployment.apps/{NAME} configured"
    c.kubectl(f"rollout status deployment/{NAME}")
    d = c.get("Deployment", NAME)
    assert d["status"]["availableReplicas"] == replicas == d["spec"]["replicas"]
    image = d["spec"]["template"]["spec"]["containers"][0]["image"]
    new = [r for r in c.list("ReplicaSet") if r["spec"]["replicas"]]
    assert [r["spec"]["template"]["spec"]["containers"][0]["image"] for r in new] == [image]
    assert image == "nginx:1.16.1"
    assert ({r["metadata"]["name"] for r in c.list("ReplicaSet")} != before) is rolls


# -- revisions: the default history limit, and undo to a chosen revision ------------------------------
def _revisions(c: kl.Cluster) -> dict[str, int]:
    return {
        r["spec"]["template"]["spec"]["containers"][0]["image"]: int(
            r["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
        )
        for r in c.list("ReplicaSet")
    }


def test_default_revision_history_limit_keeps_ten_old_sets():
    c = kl.Cluster(nodes=3, seed=0)
    c.apply(manifest(1))
    c.run(20)
    assert c.get("Deployment", "web")["spec"]["revisionHistoryLimit"] == 10
    for n in range(2, 14):
        set_image(c, f"kubelab/web:v{n}")
        c.run(20)
    revs = _revisions(c)
    assert sorted(revs.values()) == list(range(3, 14))  # 10 old sets + the current one
    assert "kubelab/web:v1" not in revs and "kubelab/web:v2" not in revs


def test_undo_to_a_revision_reuses_that_replica_set():
    c = kl.Cluster(nodes=3, seed=0)
    c.apply(manifest(3))
    c.run(30)
    for image in ("kubelab/web:v2", "kubelab/web:v3"):
        set_image(c, image)
        c.run(40)
    first = min(c.list("ReplicaSet"), key=lambda r: r["metadata"]["creationTimestamp"])
    names = {r["metadata"]["name"] for r in c.list("ReplicaSet")}
    out = c.kubectl("rollout undo deployment/web --to-revision=1")
    assert out == "deployment.apps/web rolled back"
    c.run(40)
    assert {r["metadata"]["name"] for r in c.list("ReplicaSet")} == names
    assert _revisions(c) == {"kubelab/web:v1": 4, "kubelab/web:v2": 2, "kubelab/web:v3": 3}
    back = c.get("ReplicaSet", first["metadata"]["name"])
    assert back["spec"]["replicas"] == 3
    assert back["metadata"]["annotations"]["deployment.kubernetes.io/revision-history"] == "1"
    assert all(
        p["metadata"]["name"].startswith(first["metadata"]["name"] + "-") for p in c.list("Pod")
    )
