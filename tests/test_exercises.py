"""Every exercise check accepts a right answer and rejects plausible wrong ones, with a message."""

import copy

import pytest
import yaml

from kubelab.exercises import (
    CheckFailed,
    check_component_order,
    check_failover_time,
    check_fixed_manifest,
    check_pod_count,
    check_pod_manifest,
    check_prediction,
    check_rc_to_replicaset,
    check_reconciled,
    check_replicaset_manifest,
    check_selector,
    check_sidecar_pod,
    check_spec_or_status,
    failover_seconds,
)
from kubelab.exercises.checks import course_file


def fails(fn, *args, match, **kwargs):
    with pytest.raises(CheckFailed, match=match) as info:
        fn(*args, **kwargs)
    return info.value


def load(name):
    return yaml.safe_load(course_file(name).read_text())


POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "web"},
    "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]},
}


def test_check_failed_renders_one_line():
    err = CheckFailed("expected 3 replicas")
    assert isinstance(err, AssertionError)
    assert err._render_traceback_() == ["❌ expected 3 replicas"]


# -- manifests ---------------------------------------------------------------------------------


def test_pod_manifest_accepts_dict_and_yaml(capsys):
    check_pod_manifest(POD, name="web", images=["nginx:1.25"])
    check_pod_manifest(yaml.safe_dump(POD), name="web", images=["nginx:1.25"])
    assert capsys.readouterr().out.count("✅") == 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p: p.update(kind="Deployment"), "kind should be 'Pod'"),
        (lambda p: p.update(apiVersion="apps/v1"), "apiVersion 'v1'"),
        (lambda p: p["metadata"].update(name="hello"), "metadata.name should be 'web'"),
        (lambda p: p["spec"]["containers"][0].update(image="nginx"), r"expected \['nginx:1.25'\]"),
        (lambda p: p["spec"]["containers"][0].pop("name"), "needs a name"),
    ],
)
def test_pod_manifest_rejects(change, message):
    pod = copy.deepcopy(POD)
    change(pod)
    fails(check_pod_manifest, pod, name="web", images=["nginx:1.25"], match=message)


def test_unanswered_and_bad_yaml():
    fails(check_pod_manifest, ..., name="web", images=[], match="still `Ellipsis`")
    fails(check_pod_manifest, "kind: Pod\n  bad: [", name="web", images=[], match="not valid YAML")


LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi", strict=True)
)


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        (LAUGHS, "excessive aliasing"),
        ("x: &a [*a]", "contains itself"),
        ("x: " + "[" * 100_000, "exceeded max depth"),
    ],
)
def test_hostile_answers_fail_the_check_cleanly(answer, match):
    """An exercise check reads YAML as the API server does: bounded, never a hang or a crash."""
    fails(check_pod_manifest, answer, name="web", images=[], match=match)


def test_replicaset_manifest():
    rs = load("replicaset.yaml")
    check_replicaset_manifest(rs, name="frontend", replicas=3)
    wrong = copy.deepcopy(rs)
    wrong["spec"]["template"]["metadata"]["labels"] = {"tier": "front-end"}
    fails(check_replicaset_manifest, wrong, name="frontend", replicas=3, match="does not match")
    fails(check_replicaset_manifest, rs, name="frontend", replicas=5, match="should be 5")


def test_sidecar_pod():
    check_sidecar_pod(load("pod-sidecar.yaml"), name="web")
    fails(check_sidecar_pod, POD, match="at least two containers")
    no_share = load("pod-sidecar.yaml")
    no_share["spec"]["containers"][1]["volumeMounts"] = []
    fails(check_sidecar_pod, no_share, match="no volume is mounted by two containers")


def test_fixed_manifest():
    fixed = course_file("replicaset-invalid.yaml").read_text()
    fixed = fixed.replace("front-end", "frontend").replace("php_redis", "php-redis")
    check_fixed_manifest(fixed)
    half = course_file("replicaset-invalid.yaml").read_text().replace("php_redis", "php-redis")
    fails(check_fixed_manifest, half, match="refuses it")
    cheat = fixed.replace("tier: frontend", "tier: web")
    fails(check_fixed_manifest, cheat, match="keep the selector")


def test_rc_to_replicaset():
    rs = load("replicationcontroller.yaml")
    rs.update(apiVersion="apps/v1", kind="ReplicaSet")
    rs["spec"]["selector"] = {"matchLabels": rs["spec"]["selector"]}
    check_rc_to_replicaset(rs)
    plain = load("replicationcontroller.yaml")
    plain.update(apiVersion="apps/v1", kind="ReplicaSet")
    fails(check_rc_to_replicaset, plain, match="LabelSelector")
    fails(check_rc_to_replicaset, load("replicationcontroller.yaml"), match="kind should be")


# -- concepts ----------------------------------------------------------------------------------


def test_spec_or_status():
    check_spec_or_status({"replicas": "spec", "readyReplicas": "status"}, fields=["replicas"])
    fails(check_spec_or_status, {"readyReplicas": "spec"}, match="readyReplicas is in .status")
    fails(
        check_spec_or_status,
        {"replicas": "spec"},
        fields=["selector"],
        match="not classified selector",
    )
    fails(check_spec_or_status, ..., match="still")


def test_component_order():
    check_component_order(["kubectl", "replicaset-controller", "kube-scheduler", "kubelet"])
    check_component_order(["kubectl", "controller manager", "scheduler", "kubelet"])
    fails(
        check_component_order,
        ["kubectl", "kube-scheduler", "replicaset-controller", "kubelet"],
        match="replicaset-controller comes before kube-scheduler",
    )
    fails(check_component_order, ["kubectl", "etcd"], match="unknown component 'etcd'")
    fails(check_component_order, ["kubectl", "kubelet"], match="exactly once")


# -- selectors ---------------------------------------------------------------------------------

PROD = [{"app": "web", "env": "prod"}, {"app": "web", "env": "prod", "tier": "frontend"}]
OTHERS = [
    {"app": "web", "env": "prod", "track": "canary"},
    {"app": "web", "env": "staging"},
    {"app": "db"},
]


def test_selector_accepts_equivalent_answers():
    check_selector("app=web,env=prod,!track", PROD, OTHERS)
    check_selector("app=web,env in (prod),track notin (canary)", PROD, OTHERS)


def test_selector_rejects():
    fails(
        check_selector,
        "app=web,env=prod",
        PROD,
        OTHERS,
        match="also selects {app=web, env=prod, track=canary}",
    )
    fails(check_selector, "env=prod,tier=frontend", PROD, OTHERS, match="misses a pod")
    fails(check_selector, "app in (web", PROD, OTHERS, match="not a valid label selector")
    fails(check_selector, "", PROD, OTHERS, match="empty selector")


# -- cluster state (these run the simulator) ---------------------------------------------------


@pytest.fixture(scope="module")
def frontend():
    import kubelab as kl

    c = kl.Cluster(nodes=3, seed=0)
    c.apply(str(course_file("replicaset.yaml")))
    c.run(30)
    return c


def test_pod_count(frontend):
    check_pod_count(frontend, "tier=frontend", 3)
    fails(check_pod_count, frontend, "tier=frontend", 5, match="expected 5 ready pods .* found 3")
    fails(check_pod_count, frontend, "tier=frontend", 3, namespace="staging", match="found 0")


def test_reconciled(frontend):
    check_reconciled(frontend, "ReplicaSet", "frontend", 3)
    fails(check_reconciled, frontend, "ReplicaSet", "frontend", 4, match="should say 4")
    fails(check_reconciled, frontend, "ReplicaSet", "backend", 3, match="not found")


def test_reconciled_rejects_unfinished_work():
    import kubelab as kl

    c = kl.Cluster(nodes=3, seed=0)
    c.apply(str(course_file("replicaset.yaml")))
    fails(check_reconciled, c, "ReplicaSet", "frontend", 3, match="still working")


def test_failover_time():
    truth = failover_seconds()
    assert 340 <= truth <= 420, truth  # 50 s grace + 300 s toleration + start-up
    check_failover_time(truth)
    fails(check_failover_time, 5, match="too fast")
    fails(check_failover_time, truth + 200, match="too late")
    fails(check_failover_time, "soon", match="number of seconds")


def test_predictions():
    check_prediction("adoption", 1)
    fails(check_prediction, "adoption", 3, match="Hint: what does a ReplicaSet do")
    check_prediction("bare-pod", 0)
    fails(check_prediction, "bare-pod", 1, match="disagrees")
    fails(check_prediction, "nope", 1, match="unknown question")
