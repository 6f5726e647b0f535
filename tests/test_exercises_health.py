"""Lesson 8's checks accept right answers and reject plausible wrong ones, with a message."""

from __future__ import annotations

import copy

import pytest
import yaml

import kubelab as kl
from kubelab.exercises import (
    CheckFailed,
    check_drain_with_budget,
    check_health_prediction,
    check_startup_probe,
)
from kubelab.exercises.checks import course_file


def fails(fn, *args, match, **kwargs):
    with pytest.raises(CheckFailed, match=match):
        fn(*args, **kwargs)


@pytest.fixture
def slow():
    return yaml.safe_load(course_file("pod-slow-start.yaml").read_text())


def with_startup(pod, **probe):
    pod = copy.deepcopy(pod)
    app = pod["spec"]["containers"][0]
    app["startupProbe"] = {"httpGet": {"path": "/healthz", "port": 8080}, **probe}
    return pod


# -- 8.1 a startup probe for a slow starter ---------------------------------------------------
def test_startup_probe_accepts_a_generous_startup_probe(slow, capsys):
    check_startup_probe(with_startup(slow, periodSeconds=10, failureThreshold=30))
    out = capsys.readouterr().out
    assert out.startswith(
        "✅ No restart in 300 s and Ready: the startup probe gave the app up to 300 s"
    )
    check_startup_probe(yaml.safe_dump(with_startup(slow, periodSeconds=5, failureThreshold=12)))


def test_startup_probe_rejects_wrong_fixes(slow):
    fails(check_startup_probe, ..., match="replace it with your answer")
    fails(check_startup_probe, slow, match="add a startupProbe")
    no_liveness = with_startup(slow, failureThreshold=30)
    del no_liveness["spec"]["containers"][0]["livenessProbe"]
    fails(check_startup_probe, no_liveness, match="keep the livenessProbe")
    other = copy.deepcopy(slow)
    other["spec"]["containers"][0]["image"] = "kubelab/web:v1"
    fails(check_startup_probe, other, match="keep the app")
    # the defaults allow 3 failures 10 s apart: killed at 20 s, before the app answers at 30 s
    fails(check_startup_probe, with_startup(slow), match=r"restarted \d+ times .*30 s")
    wrong_port = with_startup(slow, failureThreshold=30)
    wrong_port["spec"]["containers"][0]["startupProbe"]["httpGet"]["port"] = 9090
    fails(check_startup_probe, wrong_port, match="restarted")
    refused = with_startup(slow, failureThreshold=30)
    refused["spec"]["containers"][0]["startupProbe"]["successThreshold"] = 2
    fails(check_startup_probe, refused, match="refuses it")


# -- 8.2 predictions ---------------------------------------------------------------------------
def test_predictions_accept_the_truth_and_reject_the_rest(capsys):
    check_health_prediction("exec-liveness-kill", 45)
    check_health_prediction("crashloop-4th", 40)
    check_health_prediction("readiness-restarts", 0)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("✅ 45 s: /tmp/healthy goes at 30 s")
    assert out[1].startswith("✅ 40 s: the back-off starts at 10 s")
    assert out[2].startswith("✅ 0: a failing readiness probe")
    fails(check_health_prediction, "exec-liveness-kill", 35, match="failureThreshold")
    fails(check_health_prediction, "exec-liveness-kill", 30, match="disagrees with 30")
    fails(check_health_prediction, "crashloop-4th", 30, match="doubles")
    fails(check_health_prediction, "readiness-restarts", 5, match="restart, or mark not Ready")
    fails(check_health_prediction, "crashloop-4th", "forty", match="disagrees")
    fails(check_health_prediction, "crashloop-4th", ..., match="replace it with your answer")
    fails(check_health_prediction, "nope", 1, match="unknown question 'nope'")


# -- 8.3 drain with a budget -------------------------------------------------------------------
PDB = {
    "apiVersion": "policy/v1",
    "kind": "PodDisruptionBudget",
    "metadata": {"name": "web-pdb"},
    "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "web"}}},
}


@pytest.fixture
def c8():
    c = kl.Cluster(nodes=3, seed=0)
    c.kubectl("cordon node-2")
    c.kubectl("cordon node-3")
    c.apply(str(course_file("web-probes.yaml")))
    c.run(30)
    c.kubectl("uncordon node-2")
    c.kubectl("uncordon node-3")
    return c


def test_drain_with_budget_accepts_a_drain_that_kept_the_budget(c8, capsys):
    c8.apply(PDB)
    c8.run(1)
    assert c8.kubectl("drain node-1 --ignore-daemonsets").endswith("node/node-1 drained")
    check_drain_with_budget(c8)
    out = capsys.readouterr().out
    assert out.startswith("✅ node-1 drained with the budget in place: 3 evictions granted")


def test_drain_with_max_unavailable_budget_is_accepted(c8):
    c8.apply(dict(PDB, spec={"maxUnavailable": 1, "selector": {"matchLabels": {"app": "web"}}}))
    c8.run(1)
    c8.kubectl("drain node-1")
    check_drain_with_budget(c8)


def test_drain_with_budget_rejects_wrong_answers(c8):
    fails(check_drain_with_budget, ..., match="replace it with your answer")
    fails(check_drain_with_budget, c8, match="no PodDisruptionBudget 'web-pdb'")
    c8.apply(dict(PDB, spec={"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}}))
    c8.run(1)
    fails(check_drain_with_budget, c8, match="only protects 1 pods")
    c8.delete("pdb", "web-pdb")
    c8.apply(dict(PDB, spec={"minAvailable": 2, "selector": {"matchLabels": {"app": "api"}}}))
    fails(check_drain_with_budget, c8, match="does not select app=web")
    c8.delete("pdb", "web-pdb")
    c8.apply(PDB)
    fails(check_drain_with_budget, c8, match="no status yet")
    c8.run(1)
    fails(check_drain_with_budget, c8, match="node-1 is not cordoned")
    c8.kubectl("cordon node-1")
    fails(check_drain_with_budget, c8, match="no pod was evicted")


def test_drain_with_budget_rejects_a_delete_that_bypassed_the_budget(c8):
    c8.apply(PDB)
    c8.run(1)
    c8.kubectl("drain node-1 --disable-eviction --grace-period=1")  # deletes: ignores budgets
    fails(check_drain_with_budget, c8, match="no pod was evicted")


def test_drain_with_budget_rejects_a_drain_before_the_budget(c8):
    c8.kubectl("drain node-1")
    c8.apply(PDB)
    c8.run(1)
    fails(check_drain_with_budget, c8, match="no pod was evicted after the budget existed")


def test_drain_with_budget_rejects_a_budget_broken_by_hand(c8):
    c8.apply(PDB)
    c8.run(1)
    for pod in c8.list("pods")[:2]:
        c8.kill_pod(pod["metadata"]["name"])
    c8.run(1)
    c8.kubectl("drain node-1")
    fails(check_drain_with_budget, c8, match="only 1 pods were ready|only 0 pods were ready")
