"""Releases under traffic: roll a Deployment to a new image while clients keep sending requests.

The scenario of the zero-downtime lesson, as plain functions (the lesson, its widget lab and
its exercise checks all use them):

* :func:`web_release` writes the manifests: a ``kubelab/web`` Deployment with a chosen
  strategy, optional readiness probe, and a Service ``web`` in front of it;
* :func:`rollout_under_traffic` waits for the first release, sends steady traffic, runs
  ``kubectl set image`` and keeps sending until the rollout is over (or time is up).

Examples
--------
>>> import kubelab as kl
>>> c = kl.Cluster(nodes=3, seed=0)
>>> _ = c.apply(web_release(strategy="RollingUpdate", readiness=True, max_unavailable=0))
>>> t = rollout_under_traffic(c, seconds=40)
>>> int((t["status"] != 200).sum()), sorted(t["version"].dropna().unique())
(0, ['v1', 'v2'])
"""

from __future__ import annotations

__all__ = ["rollout_under_traffic", "web_release"]

READINESS = {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 2}


def web_release(
    *,
    strategy: str = "RollingUpdate",
    readiness: bool = True,
    max_unavailable: int | str = 0,
    max_surge: int | str = 1,
    replicas: int = 3,
    image: str = "kubelab/web:v1",
    name: str = "web",
) -> list[dict]:
    """A Deployment of ``image`` (with or without a readiness probe) and its Service ``name``."""
    container = {"name": "web", "image": image, "ports": [{"containerPort": 8080}]}
    if readiness:
        container["readinessProbe"] = dict(READINESS)
    spec_strategy: dict = {"type": strategy}
    if strategy == "RollingUpdate":
        spec_strategy["rollingUpdate"] = {"maxUnavailable": max_unavailable, "maxSurge": max_surge}
    labels = {"app": name}
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "strategy": spec_strategy,
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {"selector": labels, "ports": [{"port": 80, "targetPort": 8080}]},
    }
    return [deployment, service]


def rollout_under_traffic(
    c,
    *,
    deployment: str = "web",
    target: str = "web",
    image: str = "kubelab/web:v2",
    rps: float = 20,
    warmup: float = 30,
    before: float = 5,
    seconds: float = 60,
    namespace: str = "default",
):
    """Run ``warmup`` seconds, send traffic ``before`` the rollout and ``seconds`` after
    ``kubectl set image``; returns the whole traffic frame (the rollout starts at its
    ``attrs["rollout_at"]``)."""
    import pandas as pd

    c.run(warmup)
    first = c.traffic(target, rps=rps, duration=before, namespace=namespace)
    d = c.get("Deployment", deployment, namespace)
    container = d["spec"]["template"]["spec"]["containers"][0]["name"]
    at = c.now
    c.kubectl(f"set image deployment/{deployment} {container}={image} -n {namespace}")
    rest = c.traffic(target, rps=rps, duration=seconds, namespace=namespace)
    frame = pd.concat([first, rest], ignore_index=True)
    frame.attrs["rollout_at"] = at
    return frame
