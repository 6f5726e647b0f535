"""Checks for lesson 13 (namespaces and policies: LimitRange, ResourceQuota, QoS, OOM kills).

Each check prints one ``✅`` line or raises :class:`~kubelab.exercises.CheckFailed` with one
``❌`` line. Answers are tried on a scratch cluster (seeded: the same feedback every run); the
truth of a prediction comes from running the experiment.

>>> check_policy_prediction("quota-pods", 3)
✅ 3 pods: each requests 300m, so a 4th would make requests.cpu 1200m > 1; the rest are refused (FailedCreate).
"""

from __future__ import annotations

import functools
from typing import Any

from kubelab.exercises.checks import (
    _apply,
    _cluster,
    _containers,
    _expect_kind,
    _fail,
    _load,
    _not_answered,
    _ok,
    _path,
    is_ready,
)

__all__ = [
    "TEAM_NAMESPACE",
    "TEAM_QUOTA",
    "check_deployment_fits_quota",
    "check_policy_prediction",
    "check_team_limitrange",
]

TEAM_NAMESPACE = "team-a"
TEAM_QUOTA = {
    "requests.cpu": "1",
    "requests.memory": "1Gi",
    "limits.cpu": "2",
    "limits.memory": "2Gi",
    "pods": "6",
}
_DEFAULT_REQUESTS = {"cpu": "100m", "memory": "128Mi"}
_DEFAULT_LIMITS = {"cpu": "500m", "memory": "256Mi"}


def _team_cluster():
    c = _cluster(nodes=3)
    c.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": TEAM_NAMESPACE}})
    return c


def _in_team(obj: dict, what: str) -> dict:
    ns = _path(obj, "metadata.namespace")
    if ns not in (None, TEAM_NAMESPACE):
        _fail(f"{what} is in namespace {ns!r}: put it in {TEAM_NAMESPACE!r}.")
    obj = dict(obj)
    obj["metadata"] = dict(obj.get("metadata") or {}, namespace=TEAM_NAMESPACE)
    return obj


def _pod(name: str, resources: dict | None = None) -> dict:
    container = {"name": "app", "image": "nginx"}
    if resources:
        container["resources"] = resources
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": TEAM_NAMESPACE},
        "spec": {"containers": [container]},
    }


def _same(a: dict, b: dict) -> bool:
    from kubelab.api.resourcelist import Qty

    try:
        return set(a) == set(b) and all(Qty.parse(a[k]) == Qty.parse(b[k]) for k in a)
    except ValueError:
        return False


# ---------------------------------------------------------------------------------------------
# 13.1 A LimitRange for the team


def check_team_limitrange(lr: Any) -> None:
    """A LimitRange for ``team-a``: containers without resources get requests cpu 100m / memory
    128Mi and limits cpu 500m / memory 256Mi; a memory limit above 1Gi is refused, 1Gi is fine."""
    import kubelab as kl

    lr = _in_team(_load(lr, "your LimitRange"), "your LimitRange")
    _expect_kind(lr, "LimitRange", "v1")
    c = _team_cluster()
    _apply(c, lr, "your LimitRange")
    c.apply(_pod("bare"))
    got = c.get("Pod", "bare", TEAM_NAMESPACE)["spec"]["containers"][0].get("resources") or {}
    requests, limits = got.get("requests") or {}, got.get("limits") or {}
    if not _same(requests, _DEFAULT_REQUESTS):
        _fail(
            f"a container without resources got requests {requests or 'none'}; expected "
            f"{_DEFAULT_REQUESTS}. Those come from the Container item's defaultRequest."
        )
    if not _same(limits, _DEFAULT_LIMITS):
        _fail(
            f"a container without resources got limits {limits or 'none'}; expected "
            f"{_DEFAULT_LIMITS}. Those come from the Container item's default."
        )
    try:
        c.apply(_pod("big", {"limits": {"memory": "2Gi"}, "requests": {"memory": "256Mi"}}))
    except kl.KubelabError:
        pass
    else:
        _fail("a pod with a 2Gi memory limit was accepted: give the Container item a max.")
    try:
        c.apply(_pod("fits", {"limits": {"memory": "1Gi"}, "requests": {"memory": "256Mi"}}))
    except kl.KubelabError as err:
        _fail(f"a pod with a 1Gi memory limit should still fit, but: {err.message}")
    _ok(
        "Defaults injected (see the kubernetes.io/limit-ranger annotation), and a 2Gi memory "
        "limit is refused with the upstream message."
    )


# ---------------------------------------------------------------------------------------------
# 13.2 A Deployment that fits the quota


def check_deployment_fits_quota(deployment: Any, *, seconds: float = 60.0) -> None:
    """Deployment ``web`` (5 replicas of kubelab/web:v1) in ``team-a``, whose pods all run under
    the quota :data:`TEAM_QUOTA` and are Guaranteed (requests equal to limits)."""

    d = _in_team(_load(deployment, "your Deployment"), "your Deployment")
    _expect_kind(d, "Deployment", "apps/v1")
    replicas = _path(d, "spec.replicas", 1)
    if replicas != 5:
        _fail(f"spec.replicas is {replicas}: the team needs 5 replicas.")
    containers = _containers(d, "spec.template.spec")
    if not any(str(x.get("image", "")).startswith("kubelab/web") for x in containers):
        _fail("keep the kubelab/web:v1 container: change its resources, not the app.")
    c = _team_cluster()
    c.apply(
        {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": {"name": "compute", "namespace": TEAM_NAMESPACE},
            "spec": {"hard": dict(TEAM_QUOTA)},
        }
    )
    (created,) = _apply(c, d, "your Deployment")
    c.run(seconds)
    name = created["metadata"]["name"]
    refused = c.events[(c.events.reason == "FailedCreate") & (c.events.namespace == TEAM_NAMESPACE)]
    pods = [p for p in c.list("Pod", namespace=TEAM_NAMESPACE) if name in p["metadata"]["name"]]
    ready = [p for p in pods if is_ready(p)]
    if len(ready) < 5:
        why = refused.message.iloc[-1] if len(refused) else "they are not ready yet"
        _fail(f"only {len(ready)} of 5 pods are ready after {seconds:g} s: {why}")
    classes = sorted({p["status"].get("qosClass") for p in pods})
    if classes != ["Guaranteed"]:
        _fail(
            f"the pods' QoS class is {', '.join(classes)}: make every container's requests equal "
            "its limits (cpu and memory) for Guaranteed."
        )
    used = c.get("ResourceQuota", "compute", TEAM_NAMESPACE)["status"]["used"]
    _ok(
        f"All 5 pods run, Guaranteed; the quota counts requests.cpu {used['requests.cpu']} of "
        f"{TEAM_QUOTA['requests.cpu']} and requests.memory {used['requests.memory']} of "
        f"{TEAM_QUOTA['requests.memory']}."
    )


# ---------------------------------------------------------------------------------------------
# 13.3 Predictions


@functools.cache
def _quota_pods() -> int:
    from kubelab.viz.quota_lab import QuotaLab

    lab = QuotaLab(replicas=6, cpu="300m", quota_cpu="1", nodes=3, seed=0)
    return int(lab.step(60).series().pods.iloc[-1])


@functools.cache
def _oom_seconds() -> float:
    from kubelab.api.meta import parse_time

    manifest = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "leaky"},
        "spec": {
            "containers": [
                {
                    "name": "app",
                    "image": "kubelab/leaky",
                    "resources": {"limits": {"memory": "50Mi"}},
                }
            ]
        },
    }
    c = _cluster(nodes=1)
    c.apply(manifest)
    c.run_until(
        lambda c: (c.get("Pod", "leaky")["status"].get("containerStatuses") or [{}])[0].get(
            "restartCount", 0
        )
        >= 1,
        timeout=120,
    )
    last = c.get("Pod", "leaky")["status"]["containerStatuses"][0]["lastState"]["terminated"]
    return parse_time(last["finishedAt"]) - parse_time(last["startedAt"])


_PREDICTIONS = {
    "quota-pods": (
        _quota_pods,
        "{truth} pods: each requests 300m, so a 4th would make requests.cpu 1200m > 1; the rest "
        "are refused (FailedCreate).",
        "A pod is admitted only if used + its request ≤ hard for every resource the quota tracks.",
    ),
    "oom-seconds": (
        _oom_seconds,
        "{truth:g} s: 20Mi at start + 2Mi/s reaches the 50Mi limit after 15 s, then OOMKilled (137).",
        "It starts at 20Mi and grows 2Mi per second; when does it reach 50Mi?",
    ),
}


def check_policy_prediction(question: str, answer: Any) -> None:
    """Compare a prediction with the experiment (``"quota-pods"``, ``"oom-seconds"``)."""
    _not_answered(answer, "your prediction")
    if question not in _PREDICTIONS:
        _fail(f"unknown question {question!r}; known: {sorted(_PREDICTIONS)}.")
    truth_fn, right, hint = _PREDICTIONS[question]
    truth = truth_fn()
    try:
        value = float(answer)
    except (TypeError, ValueError):
        _fail(f"answer with a number, not {answer!r}.")
    if abs(value - truth) > 0.5:
        _fail(f"not {answer}: the experiment says otherwise. {hint}")
    _ok(right.format(truth=truth))
