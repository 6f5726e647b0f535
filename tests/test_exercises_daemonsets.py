"""Lesson 7's checks accept right answers and reject plausible wrong ones, with a message."""

from __future__ import annotations

import copy

import pytest
import yaml

import kubelab as kl
from kubelab.exercises import (
    CheckFailed,
    check_daemon_follows_nodes,
    check_daemonset_manifest,
    check_daemonset_prediction,
)
from kubelab.exercises.checks import course_file

IMAGE = "quay.io/fluentd_elasticsearch/fluentd:v2.5.2"


def fails(fn, *args, match, **kwargs):
    with pytest.raises(CheckFailed, match=match):
        fn(*args, **kwargs)


@pytest.fixture
def agent():
    ds = yaml.safe_load(course_file("daemonset.yaml").read_text())
    ds["metadata"]["name"] = "log-agent"
    ds["spec"]["template"]["spec"]["nodeSelector"] = {"logging": "on"}
    return ds


# -- 7.1 a DaemonSet on labelled nodes -------------------------------------------------------
def test_manifest_accepts_a_node_selected_daemonset(agent, capsys):
    check_daemonset_manifest(agent, name="log-agent", node_selector={"logging": "on"}, image=IMAGE)
    assert capsys.readouterr().out.startswith("✅ DaemonSet 'log-agent': one pod on the nodes")
    check_daemonset_manifest(
        yaml.safe_dump(agent), name="log-agent", node_selector={"logging": "on"}
    )


def test_manifest_accepts_the_course_daemonset_on_every_node(capsys):
    check_daemonset_manifest(str(course_file("daemonset.yaml").read_text()), name="log-collector")
    assert "one pod on every node" in capsys.readouterr().out


def test_manifest_rejects_wrong_answers(agent):
    fails(check_daemonset_manifest, ..., name="log-agent", match="replace it with your answer")
    wrong = dict(agent, kind="Deployment")
    fails(check_daemonset_manifest, wrong, name="log-agent", match="kind should be 'DaemonSet'")
    fails(check_daemonset_manifest, agent, name="logger", match="metadata.name should be 'logger'")
    no_selector = copy.deepcopy(agent)
    del no_selector["spec"]["template"]["spec"]["nodeSelector"]
    fails(
        check_daemonset_manifest,
        no_selector,
        name="log-agent",
        node_selector={"logging": "on"},
        match="nodeSelector should be",
    )
    replicas = copy.deepcopy(agent)
    replicas["spec"]["replicas"] = 3
    fails(check_daemonset_manifest, replicas, name="log-agent", match="has no spec.replicas")
    mismatched = copy.deepcopy(agent)
    mismatched["spec"]["selector"] = {"matchLabels": {"app": "other"}}
    fails(check_daemonset_manifest, mismatched, name="log-agent", match="does not match")
    fails(
        check_daemonset_manifest,
        agent,
        name="log-agent",
        node_selector={"logging": "on"},
        image="fluentd:v1",
        match="should run image",
    )


def test_manifest_rejects_a_daemonset_that_cannot_land_on_the_labelled_nodes(agent):
    bad_image = copy.deepcopy(agent)
    bad_image["spec"]["template"]["spec"]["containers"][0]["image"] = "ngnix:1.25"
    fails(
        check_daemonset_manifest,
        bad_image,
        name="log-agent",
        node_selector={"logging": "on"},
        match="not ready",
    )
    refused = copy.deepcopy(agent)
    refused["spec"]["template"]["spec"]["containers"][0]["name"] = "Bad_Name"
    fails(check_daemonset_manifest, refused, name="log-agent", match="refuses it")


# -- 7.2 follow nodes --------------------------------------------------------------------------
@pytest.fixture
def c7():
    c = kl.Cluster(nodes=3, seed=0)
    c.apply(str(course_file("daemonset.yaml")))
    c.run(30)
    return c


def test_follows_nodes_accepts_a_healed_cluster(c7, capsys):
    c7.add_node("node-4")
    c7.add_node("node-5")
    c7.remove_node("node-1")
    c7.run(120)
    check_daemon_follows_nodes(c7)
    out = capsys.readouterr().out
    assert out.startswith("✅ 2 node(s) joined (node-4, node-5), 1 left (node-1)")


def test_follows_nodes_rejects_unfinished_work(c7):
    fails(check_daemon_follows_nodes, ..., match="replace it with your answer")
    fails(check_daemon_follows_nodes, c7, match="no node has joined yet")
    c7.add_node("node-4")
    fails(check_daemon_follows_nodes, c7, match="no node has left yet")
    c7.remove_node("node-1")
    fails(check_daemon_follows_nodes, c7, match="have no log-collector pod yet")
    c7.run(5)
    fails(check_daemon_follows_nodes, c7, match=r"not ready yet|removed nodes")
    c7.run(120)
    check_daemon_follows_nodes(c7)
    fails(check_daemon_follows_nodes, c7, "nope", match='daemonsets.apps "nope" not found')


# -- 7.3 predictions ---------------------------------------------------------------------------
def test_predictions_accept_the_truth_and_reject_the_rest(capsys):
    check_daemonset_prediction("cordoned", 3)
    check_daemonset_prediction("tainted", 2)
    out = capsys.readouterr().out
    assert "✅ 3: cordoning only stops the scheduler" in out
    assert "✅ 2: a NoSchedule taint" in out
    fails(check_daemonset_prediction, "cordoned", 2, match="disagrees with 2")
    fails(check_daemonset_prediction, "tainted", 3, match="automatic tolerations")
    fails(check_daemonset_prediction, "tainted", ..., match="replace it with your answer")
    fails(check_daemonset_prediction, "nope", 1, match="unknown question 'nope'")
