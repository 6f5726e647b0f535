"""Checks for lesson 12 (scheduling: resources, node and pod affinity, taints and tolerations).

Each check prints one ``✅`` line or raises :class:`~kubelab.exercises.CheckFailed` with one
``❌`` line. The learner's manifest is tried on a scratch cluster (seeded: the same feedback
every run), and the scheduler's own explanation (``c.scheduler.explain``) tells whether a
placement was *required* or just lucky.

>>> check_colocated_pod({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
...     "spec": {"containers": [{"name": "web", "image": "nginx"}],
...              "affinity": {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
...                  {"labelSelector": {"matchLabels": {"app": "cache"}},
...                   "topologyKey": "kubernetes.io/hostname"}]}}}})
✅ web can only run next to the cache: the scheduler rejects every other node.
"""

from __future__ import annotations

from typing import Any

from kubelab.exercises.checks import (
    _apply,
    _cluster,
    _containers,
    _expect_kind,
    _fail,
    _load,
    _ok,
    _path,
)

__all__ = ["check_colocated_pod", "check_gpu_pod", "check_redundant_replicas", "gpu_nodes"]

ANTI_AFFINITY_REASON = "didn't match pod anti-affinity rules"
GPU_TAINT = {"key": "gpu", "value": "true", "effect": "NoSchedule"}


def _feasible(c, name) -> set[str]:
    frame = c.scheduler.explain(name)
    return set(frame.loc[frame["feasible"], "node"])


def check_redundant_replicas(deploy: Any, *, name: str = "cache", replicas: int = 3) -> None:
    """A Deployment ``name`` with ``replicas`` replicas, no two of which ever share a node."""
    deploy = _load(deploy, "your Deployment")
    _expect_kind(deploy, "Deployment", "apps/v1", name)
    if _path(deploy, "spec.replicas") != replicas:
        _fail(f"spec.replicas should be {replicas}, not {_path(deploy, 'spec.replicas')!r}.")
    _containers(deploy, "spec.template.spec")
    labels = _path(deploy, "spec.template.metadata.labels") or {}
    selector = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
    # Enough nodes: one replica per node.
    c = _cluster(replicas)
    _apply(c, deploy, "your Deployment")
    c.run(20)
    pods = c.list("Pod", selector=selector)
    nodes = [p["spec"].get("nodeName") for p in pods]
    if len(pods) != replicas or None in nodes:
        _fail(f"on {replicas} nodes all {replicas} replicas should run; found nodes {nodes}.")
    if len(set(nodes)) != replicas:
        _fail(f"two replicas share a node: {sorted(nodes)}.")
    # Too few nodes: the spare replica must wait, not double up.
    c = _cluster(replicas - 1)
    _apply(c, deploy, "your Deployment")
    c.run(20)
    pods = c.list("Pod", selector=selector)
    placed = [p["spec"]["nodeName"] for p in pods if p["spec"].get("nodeName")]
    if len(placed) != len(set(placed)):
        _fail(
            f"with only {replicas - 1} nodes two replicas ended up on one node: spreading "
            "by preference is not enough. Add a *required* pod anti-affinity on "
            "kubernetes.io/hostname that matches the Deployment's own pod labels."
        )
    pending = [p for p in pods if not p["spec"].get("nodeName")]
    messages = [
        cond.get("message", "")
        for p in pending
        for cond in p.get("status", {}).get("conditions") or ()
        if cond.get("type") == "PodScheduled"
    ]
    if len(pending) != 1 or not any(ANTI_AFFINITY_REASON in m for m in messages):
        _fail(
            f"with {replicas - 1} nodes exactly one replica should stay Pending because of "
            f"pod anti-affinity; got {len(pending)} Pending ({messages or 'no message'})."
        )
    _ok(
        f"{replicas} replicas on {replicas} nodes; with {replicas - 1} nodes the spare waits: "
        f"{messages[0].split('. preemption')[0]}."
    )


def check_colocated_pod(pod: Any, *, name: str = "web", target: str = "app=cache") -> None:
    """A Pod ``name`` that can only run on the node of a pod selected by ``target``."""
    pod = _load(pod, "your Pod")
    _expect_kind(pod, "Pod", "v1", name)
    _containers(pod)
    if _path(pod, "spec.nodeName"):
        _fail("no spec.nodeName: let the scheduler find the cache's node through pod affinity.")
    key, _, value = target.partition("=")
    for where in ("node-2", "node-3"):
        c = _cluster(3)
        cache = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "cache", "labels": {key: value}},
            "spec": {"nodeName": where, "containers": [{"name": "redis", "image": "redis"}]},
        }
        _apply(c, cache, "the cache pod")
        _apply(c, pod, "your Pod")
        c.run(10)
        landed = c.get("Pod", name)["spec"].get("nodeName")
        if landed != where:
            _fail(f"with the cache on {where}, {name} went to {landed or 'no node (Pending)'}.")
        feasible = _feasible(c, name)
        if feasible != {where}:
            _fail(
                f"{name} landed next to the cache, but the scheduler would also accept "
                f"{sorted(feasible - {where})}: a preference is not a rule. Use "
                "requiredDuringSchedulingIgnoredDuringExecution with topologyKey "
                "kubernetes.io/hostname."
            )
    _ok(f"{name} can only run next to the cache: the scheduler rejects every other node.")


def gpu_nodes() -> list[dict]:
    """The exercise's cluster: node-1 has a GPU (labelled and tainted), node-2 and node-3 don't."""
    nodes = []
    for i in (1, 2, 3):
        node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": f"node-{i}"}}
        if i == 1:
            node["metadata"]["labels"] = {"accelerator": "gpu"}
            node["spec"] = {"taints": [dict(GPU_TAINT)]}
        nodes.append(node)
    return nodes


def check_gpu_pod(pod: Any, *, name: str = "trainer") -> None:
    """A Pod ``name`` that runs on the GPU node (``accelerator=gpu``, tainted ``gpu=true``) and
    could run nowhere else."""
    pod = _load(pod, "your Pod")
    _expect_kind(pod, "Pod", "v1", name)
    _containers(pod)
    if _path(pod, "spec.nodeName"):
        _fail("no spec.nodeName: describe what the pod needs and let the scheduler choose.")
    c = _cluster(gpu_nodes())
    _apply(c, pod, "your Pod")
    c.run(10)
    obj = c.get("Pod", name)
    if not obj["spec"].get("nodeName"):
        message = next(
            (x.get("message", "") for x in obj.get("status", {}).get("conditions") or ()),
            "",
        )
        hint = ""
        if "untolerated taint" in message:
            hint = " The GPU node repels it: add a toleration for gpu=true:NoSchedule."
        _fail(f"{name} stays Pending: {message.split('. preemption')[0]}.{hint}")
    if obj["spec"]["nodeName"] != "node-1":
        why = (
            " a toleration only *allows* the GPU node, it does not attract the pod:"
            if _path(pod, "spec.tolerations")
            else ""
        )
        _fail(
            f"{name} went to {obj['spec']['nodeName']}, not the GPU node:{why} select it "
            "(nodeSelector or required node affinity on accelerator=gpu) and tolerate its taint."
        )
    feasible = _feasible(c, name)
    if feasible != {"node-1"}:
        _fail(
            f"{name} may also go to {sorted(feasible - {'node-1'})}: a toleration only *allows* "
            "the GPU node, it does not attract the pod. Also select it (nodeSelector or "
            "required node affinity on accelerator=gpu)."
        )
    _ok(f"{name} tolerates the GPU taint and selects accelerator=gpu: only node-1 will do.")
