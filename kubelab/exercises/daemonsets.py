"""Checks for lesson 7 (DaemonSets).

Each check prints one ``✅`` line or raises :class:`~kubelab.exercises.CheckFailed` with one
``❌`` line. Manifests are tried on a scratch cluster (seeded, so the feedback is the same on
every run); the truth of a prediction comes from running the experiment.

>>> check_daemonset_prediction("cordoned", 3)
✅ 3: cordoning only stops the scheduler; DaemonSet pods tolerate node.kubernetes.io/unschedulable.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from kubelab.exercises.checks import (
    Prediction,
    _apply,
    _check_prediction,
    _cluster,
    _containers,
    _expect_kind,
    _fail,
    _load,
    _not_answered,
    _ok,
    _path,
    _selector_matches,
    course_file,
    is_ready,
)

__all__ = ["check_daemon_follows_nodes", "check_daemonset_manifest", "check_daemonset_prediction"]


def _daemon_pods(cluster, name: str, namespace: str) -> list[dict]:
    """The DaemonSet's live pods (controlled by it, not being deleted)."""
    out = []
    for pod in cluster.list("Pod", namespace=namespace):
        refs = pod["metadata"].get("ownerReferences") or ()
        if pod["metadata"].get("deletionTimestamp"):
            continue
        if any(r.get("kind") == "DaemonSet" and r.get("name") == name for r in refs):
            out.append(pod)
    return out


def check_daemonset_manifest(
    ds: Any, *, name: str, node_selector: Mapping[str, str] | None = None, image: str | None = None
) -> None:
    """An apps/v1 DaemonSet ``name`` whose pods run on exactly the nodes ``node_selector`` picks.

    It is applied to a scratch cluster of four nodes, two of them labelled with
    ``node_selector``; then a fifth, labelled node joins and must get a pod too.
    """

    ds = _load(ds, "your DaemonSet")
    _expect_kind(ds, "DaemonSet", "apps/v1", name)
    if "replicas" in (ds.get("spec") or {}):
        _fail("a DaemonSet has no spec.replicas: it runs one pod per eligible node.")
    selector = _path(ds, "spec.selector")
    labels = _path(ds, "spec.template.metadata.labels") or {}
    if not selector:
        _fail("spec.selector is required: which pods belong to this DaemonSet?")
    if not _selector_matches(selector, labels):
        _fail(f"the selector {selector} does not match the template's labels {labels}.")
    containers = _containers(ds, "spec.template.spec")
    if image is not None and image not in [c.get("image") for c in containers]:
        _fail(f"the pod template should run image {image!r}.")
    wanted = dict(node_selector or {})
    got = _path(ds, "spec.template.spec.nodeSelector") or {}
    if wanted and got != wanted:
        _fail(f"spec.template.spec.nodeSelector should be {wanted}, not {got or None}.")

    c = _cluster(nodes=4)
    chosen = ["node-2", "node-4"] if wanted else ["node-1", "node-2", "node-3", "node-4"]
    for node in ["node-2", "node-4"] if wanted else []:
        for key, value in wanted.items():
            c.kubectl(f"label node {node} {key}={value}")
    namespace = _path(ds, "metadata.namespace") or "default"
    _apply(c, dict(ds))
    c.run(30)
    c.add_node({"kind": "Node", "metadata": {"name": "node-5", "labels": wanted}})
    chosen.append("node-5")
    c.run(30)
    pods = _daemon_pods(c, name, namespace)
    nodes = sorted(p["spec"].get("nodeName") or "?" for p in pods)
    if nodes != chosen:
        _fail(f"on a test cluster its pods run on {nodes or 'no node'}; expected {chosen}.")
    not_ready = [p["metadata"]["name"] for p in pods if not is_ready(p)]
    if not_ready:
        _fail(f"pods {not_ready} are not ready after 30 s: is the image right?")
    where = f"the nodes labelled {wanted}" if wanted else "every node"
    _ok(f"DaemonSet {name!r}: one pod on {where}, a new node included.")


def check_daemon_follows_nodes(
    cluster: Any, name: str = "log-collector", *, namespace: str = "default"
) -> None:
    """After nodes joined and left, every node runs exactly one ready pod of the DaemonSet."""
    import kubelab as kl

    _not_answered(cluster, "the cluster")
    try:
        ds = cluster.get("DaemonSet", name, namespace)
    except kl.NotFound as err:
        _fail(str(err))
    history = cluster.history
    nodes = history[history.kind == "Node"]
    first = nodes.groupby("name").time.min()
    joined = sorted(first[first > 0].index)
    removed = sorted(nodes[nodes.phase == "Deleted"].name.unique())
    if not joined:
        _fail("no node has joined yet: add one with c7.add_node('node-4').")
    if not removed:
        _fail("no node has left yet: remove one with c7.remove_node('node-1').")
    pods = _daemon_pods(cluster, name, namespace)
    live_nodes = sorted(n["metadata"]["name"] for n in cluster.list("Node"))
    by_node: dict[str, list[str]] = {}
    for pod in pods:
        by_node.setdefault(pod["spec"].get("nodeName") or "?", []).append(pod["metadata"]["name"])
    missing = [n for n in live_nodes if n not in by_node]
    stale = [n for n in by_node if n not in live_nodes]
    if missing:
        _fail(f"nodes {missing} have no {name} pod yet: run the cluster a little longer.")
    if stale:
        _fail(
            f"pods still run on removed nodes {stale}: the pod garbage collector needs about a "
            "minute. Run the cluster a little longer."
        )
    unready = [p["metadata"]["name"] for p in pods if not is_ready(p)]
    if unready:
        _fail(f"pods {unready} are not ready yet: run the cluster a little longer.")
    desired = _path(ds, "status.desiredNumberScheduled")
    if desired != len(live_nodes):
        _fail(
            f"status.desiredNumberScheduled is {desired}, not {len(live_nodes)}: run a little longer."
        )
    _ok(
        f"{len(joined)} node(s) joined ({', '.join(joined)}), {len(removed)} left "
        f"({', '.join(removed)}); {name} runs one ready pod on each of the {len(live_nodes)} nodes."
    )


# ---------------------------------------------------------------------------------------------
# Predictions: the truth is an experiment on a scratch cluster


def _daemon_count(setup: Callable[[Any], None]) -> int:
    c = _cluster(nodes=3)
    setup(c)
    c.apply(str(course_file("daemonset.yaml")))
    c.run(30)
    return len([p for p in _daemon_pods(c, "log-collector", "default") if is_ready(p)])


def _cordoned_truth() -> int:
    return _daemon_count(lambda c: c.kubectl("cordon node-2"))


def _tainted_truth() -> int:
    return _daemon_count(lambda c: c.kubectl("taint node node-3 dedicated=gpu:NoSchedule"))


_PREDICTIONS: dict[str, Prediction] = {
    "cordoned": (
        _cordoned_truth,
        ": cordoning only stops the scheduler; DaemonSet pods tolerate node.kubernetes.io/unschedulable",
        "which tolerations does the DaemonSet controller add to its pods?",
    ),
    "tainted": (
        _tainted_truth,
        ": a NoSchedule taint the template does not tolerate keeps the daemon off that node",
        "the automatic tolerations cover the node.kubernetes.io/... taints only; is dedicated=gpu one?",
    ),
}


def check_daemonset_prediction(question: str, answer: Any) -> None:
    """How many ready log-collector pods on 3 nodes (``"cordoned"``: node-2 cordoned;
    ``"tainted"``: node-3 tainted ``dedicated=gpu:NoSchedule``)."""
    _check_prediction(_PREDICTIONS, question, answer)
