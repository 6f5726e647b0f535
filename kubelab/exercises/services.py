"""Checks for lesson 9 (Services): a Service that finds its pods by a named port, a broken
Service repaired, and which Service type fits which need.

Every check runs its experiment on a scratch, seeded cluster (the web pods of
``data/services-web.yaml``) and never touches the learner's.

Examples
--------
>>> check_service_types({"inside": "ClusterIP", "every-node": "NodePort",
...                      "cloud": "LoadBalancer", "alias": "ExternalName", "pod-ips": "None"})
✅ Right: ClusterIP for inside, NodePort for a port on every node, LoadBalancer for a cloud address, ExternalName for a DNS alias, clusterIP None (headless) for pod IPs.
"""

from __future__ import annotations

from typing import Any

from kubelab.exercises.checks import _apply, _cluster, _fail, _load, _not_answered, _ok, course_file

__all__ = ["check_fixed_service", "check_service_by_port_name", "check_service_types"]

_ANSWERS = {
    "inside": "ClusterIP",
    "every-node": "NodePort",
    "cloud": "LoadBalancer",
    "alias": "ExternalName",
    "pod-ips": "None",
}
_WHY = {
    "inside": "a stable virtual IP reachable only from inside the cluster is a ClusterIP Service",
    "every-node": "a port opened on every node's IP is what NodePort adds",
    "cloud": "an address from the cloud provider's load balancer is a LoadBalancer Service",
    "alias": "a DNS alias (CNAME) to a name outside the cluster is an ExternalName Service",
    "pod-ips": "DNS answering with the pods' own IPs is a headless Service: clusterIP None",
}


def _web_cluster():
    c = _cluster()
    c.apply(str(course_file("services-web.yaml")))
    c.run(30)
    return c


def _apply_service(c, manifest: Any):
    svc = _load(manifest, "your Service")
    if svc.get("kind") != "Service" or svc.get("apiVersion") != "v1":
        _fail(
            f"that is a {svc.get('kind')!r} ({svc.get('apiVersion')!r}); a Service is kind 'Service', apiVersion 'v1'."
        )
    (stored,) = _apply(c, dict(svc))
    c.run(2)
    return stored


def _ready_endpoints(c, svc: dict) -> list[tuple[str, int]]:
    meta = svc["metadata"]
    slices = c.list(
        "endpointslices",
        namespace=meta.get("namespace", "default"),
        selector=f"kubernetes.io/service-name={meta['name']}",
    )
    found = []
    for s in slices:
        ports = [p["port"] for p in s.get("ports") or ()]
        for e in s.get("endpoints") or ():
            if e["conditions"].get("ready"):
                found += [(a, p) for a in e["addresses"] for p in ports]
    return sorted(found)


def _answers(c, svc: dict) -> int:
    from kubelab.network import failures

    name = svc["metadata"]["name"]
    t = c.traffic(name, rps=10, duration=3)
    return len(t) - failures(t)


def check_service_by_port_name(manifest: Any) -> None:
    """A ClusterIP Service ``web`` on port 80 for the ``app=web`` pods, ``targetPort: http``."""
    c = _web_cluster()
    svc = _apply_service(c, manifest)
    spec = svc["spec"]
    if svc["metadata"]["name"] != "web":
        _fail(f"name the Service 'web', not {svc['metadata']['name']!r}.")
    if spec["type"] != "ClusterIP":
        _fail(f"this one should stay inside the cluster: type ClusterIP, not {spec['type']}.")
    if [p["port"] for p in spec["ports"]] != [80]:
        _fail("the Service should listen on port 80 (one port).")
    target = spec["ports"][0]["targetPort"]
    if target != "http":
        _fail(
            f"targetPort is {target!r}: use the container port's *name*, 'http', so the Service "
            "keeps working if the app moves to another number."
        )
    endpoints = _ready_endpoints(c, svc)
    if len(endpoints) != 3:
        _fail(
            f"the Service has {len(endpoints)} ready endpoints, not 3: does its selector match "
            "the pods' labels (app: web)?"
        )
    if {port for _, port in endpoints} != {8080}:
        _fail(f"the endpoints point at ports {sorted({p for _, p in endpoints})}, not 8080.")
    if _answers(c, svc) == 0:
        _fail("no request got an answer through the Service.")
    _ok(
        "Right: the Service found the 3 web pods and resolved targetPort 'http' to 8080 in each; "
        "requests to web:80 are answered."
    )


def check_fixed_service(manifest: Any) -> None:
    """``data/service-broken.yaml`` repaired: 3 ready endpoints on 8080, every request answered."""
    from kubelab.network import failures

    c = _web_cluster()
    svc = _apply_service(c, manifest)
    endpoints = _ready_endpoints(c, svc)
    if not endpoints:
        _fail(
            "still no endpoints: compare the Service's selector with the pods' labels "
            "(kubectl get pods --show-labels)."
        )
    if len(endpoints) != 3:
        _fail(f"{len(endpoints)} ready endpoints; all 3 web pods should be behind the Service.")
    ports = sorted({p for _, p in endpoints})
    if ports != [8080]:
        _fail(
            f"the endpoints say port {ports}: the pods listen on 8080 (named 'http'). "
            "Fix targetPort."
        )
    t = c.traffic(svc["metadata"]["name"], rps=10, duration=3)
    if failures(t):
        statuses = sorted(set(t["status"].astype(str)))
        _fail(f"{failures(t)} of {len(t)} requests failed ({', '.join(statuses)}).")
    _ok("Fixed: the selector finds the 3 pods, targetPort reaches 8080, every request is answered.")


def check_service_types(answers: Any) -> None:
    """Which Service type (or ``"None"`` for headless) fits each need."""
    _not_answered(answers, "answers")
    if not isinstance(answers, dict):
        _fail("answers should be a dict like {'inside': 'ClusterIP', ...}.")
    missing = [k for k in _ANSWERS if k not in answers]
    if missing:
        _fail(f"answer every need; missing: {', '.join(missing)}.")
    for key, right in _ANSWERS.items():
        given = str(answers[key]).strip()
        if key == "pod-ips" and given.lower() in ("none", "headless"):
            continue
        if given != right:
            _fail(f"{key!r}: not {given!r}. Hint: {_WHY[key]}.")
    _ok(
        "Right: ClusterIP for inside, NodePort for a port on every node, LoadBalancer for a "
        "cloud address, ExternalName for a DNS alias, clusterIP None (headless) for pod IPs."
    )
