"""Checks for lesson 11 (zero-downtime releases): a Deployment that rolls out without failing a
request, a NodePort Service that answers on every node, and a prediction about
``externalTrafficPolicy: Local``.

Every check runs its experiment on a scratch, seeded cluster and never touches the learner's.

Examples
--------
>>> check_local_policy_prediction("timeout")
✅ Right: with externalTrafficPolicy Local a node without a local endpoint drops the packets: the client times out.
"""

from __future__ import annotations

import functools
from typing import Any

from kubelab.exercises.checks import _cluster, _fail, _load, _not_answered, _ok, course_file

__all__ = ["check_local_policy_prediction", "check_nodeport_service", "check_zero_downtime"]


def check_zero_downtime(manifest: Any, *, image: str = "kubelab/web:v2", rps: float = 20):
    """Apply ``manifest`` (a Deployment of ``kubelab/web:v1``) behind a Service, roll out ``image``
    under ``rps`` requests per second, and require that no request fails and v2 serves at the end."""
    import kubelab as kl
    from kubelab.network import failures
    from kubelab.network.releases import rollout_under_traffic

    d = _load(manifest, "your Deployment")
    if d.get("kind") != "Deployment":
        _fail(f"kind should be 'Deployment', not {d.get('kind')!r}.")
    c = _cluster()
    try:
        created = c.apply(dict(d))[0]
    except kl.KubelabError as err:
        _fail(f"The API server refused it: {err}")
    name = created["metadata"]["name"]
    if created["metadata"].get("namespace", "default") != "default":
        _fail("keep the Deployment in the default namespace.")
    if created["spec"]["replicas"] < 2:
        _fail("run at least 2 replicas: with one pod, any restart is an outage.")
    labels = created["spec"]["selector"].get("matchLabels") or {}
    c.apply(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web-check"},
            "spec": {"selector": labels, "ports": [{"port": 80, "targetPort": 8080}]},
        }
    )
    t = rollout_under_traffic(
        c, deployment=name, target="web-check", image=image, rps=rps, seconds=60
    )
    before = t[t["time"] < t.attrs["rollout_at"]]
    if failures(before) or before.empty:
        _fail(
            "even before the rollout requests failed: does the app listen on 8080 (kubelab/web:v1)?"
        )
    failed = failures(t)
    if failed:
        strategy = (created["spec"].get("strategy") or {}).get("type", "RollingUpdate")
        first = t[t["status"] != 200]["status"].iloc[0]
        hint = (
            "Recreate stops every v1 pod before v2 starts"
            if strategy == "Recreate"
            else "a pod got requests before it could answer them (add a readinessProbe) or the "
            "rollout removed pods too early (maxUnavailable)"
        )
        _fail(
            f"{failed} of {len(t)} requests failed during the rollout (first: {first!r}): {hint}."
        )
    tail = t[t["time"] >= t["time"].max() - 5]
    if not (tail["version"] == image.rsplit(":", 1)[-1]).all():
        _fail(
            "no request failed, but the rollout did not finish within 60 s: is maxSurge or maxUnavailable above 0?"
        )
    _ok(f"Zero downtime: {len(t)} requests, none failed, and {image} now answers them all.")


def check_nodeport_service(manifest: Any, *, node_port: int = 30080):
    """Apply ``manifest`` (a Service) next to ``data/deployment.yaml`` and send requests to
    ``NODE_IP:node_port`` on every node of a 3-node cluster: each must answer 200."""
    import kubelab as kl
    from kubelab.network import failures

    svc = _load(manifest, "your Service")
    if svc.get("kind") != "Service":
        _fail(f"kind should be 'Service', not {svc.get('kind')!r}.")
    c = _cluster()
    c.apply(str(course_file("deployment.yaml")))
    try:
        c.apply(dict(svc))
    except kl.KubelabError as err:
        _fail(f"The API server refused it: {err}")
    c.run(30)
    stored = c.get("Service", svc["metadata"]["name"])
    ports = [p.get("nodePort") for p in stored["spec"].get("ports") or ()]
    if stored["spec"].get("type") not in ("NodePort", "LoadBalancer"):
        _fail(
            f"a {stored['spec'].get('type', 'ClusterIP')} Service has no node port: use type: NodePort."
        )
    if node_port not in ports:
        _fail(f"the Service got node port(s) {ports}: ask for nodePort: {node_port}.")
    for node, kubelet in sorted(c.kubelets.items()):
        t = c.traffic(f"{kubelet.node_ip}:{node_port}", rps=5, duration=2)
        if failures(t):
            status = t[t["status"] != 200]["status"].iloc[0]
            _fail(
                f"requests to {node} ({kubelet.node_ip}:{node_port}) got {status!r}: does the selector "
                "match the pods (app: web) and targetPort the port the app listens on (8080)?"
            )
    _ok(f"Every node answers on port {node_port}, whichever node the web pods run on.")


@functools.lru_cache(maxsize=1)
def _local_policy_truth() -> str:
    """What the simulator answers: one web pod, a NodePort Service with
    ``externalTrafficPolicy: Local``, a request to the node port of a node without the pod."""
    c = _cluster()
    d = _load(course_file("deployment.yaml").read_text())
    d["spec"]["replicas"] = 1
    c.apply(d)
    c.apply(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web"},
            "spec": {
                "type": "NodePort",
                "externalTrafficPolicy": "Local",
                "selector": {"app": "web"},
                "ports": [{"port": 80, "targetPort": 8080, "nodePort": 30080}],
            },
        }
    )
    c.run(30)
    (pod,) = c.list("Pod", selector="app=web")
    empty = next(n for n in sorted(c.kubelets) if n != pod["spec"]["nodeName"])
    t = c.traffic(f"{c.kubelets[empty].node_ip}:30080", rps=1, duration=1)
    return str(t["status"].iloc[0])


def _answer_kind(text: str) -> str | None:
    if text in ("timeout", "time out", "timed out", "dropped", "drop"):
        return "timeout"
    if "refused" in text:
        return "connection refused"
    if text.startswith("2") or "ok" in text:
        return "200"
    return None


def check_local_policy_prediction(answer: Any):
    """What a client sending to a node without a local endpoint gets under ``externalTrafficPolicy: Local``."""
    _not_answered(answer, "answer")
    given = _answer_kind(str(answer).strip().lower())
    if given is None:
        _fail('answer "timeout", "connection refused" or "200".')
    truth = _local_policy_truth()
    if given == truth:
        _ok(
            "Right: with externalTrafficPolicy Local a node without a local endpoint drops the "
            "packets: the client times out."
            if truth == "timeout"
            else f"Right: {truth}."
        )
        return
    if given == "connection refused":
        _fail(
            "not refused: the Service has endpoints, just none on that node; kube-proxy drops "
            "(DROP), it does not reject. Try again."
        )
    if given == "200":
        _fail("Local never forwards to another node (that is what keeps the client IP). Try again.")
    _fail(f"the simulator says {truth!r}, not {answer!r}.")
