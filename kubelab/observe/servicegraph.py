"""Services and EndpointSlices in ``c.graph``: what a Service looks like from outside, and
which pods its EndpointSlices list.

:func:`service_attrs` adds ``type``, ``cluster_ip``, ``external_ip`` and ``ports`` (as
``kubectl get svc`` prints them) to a Service's graph node; :func:`add_endpoint_edges` adds
``endpoint`` edges EndpointSlice → Pod carrying the endpoint's ``ready``/``serving``/
``terminating`` conditions (the Service → Pod ``selects`` edges say who is *selected*;
these say who actually receives traffic).

Examples
--------
>>> svc = {"kind": "Service", "metadata": {"name": "web"},
...        "spec": {"type": "NodePort", "clusterIP": "10.96.0.10",
...                 "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"}]}}
>>> service_attrs(svc)
{'service_type': 'NodePort', 'cluster_ip': '10.96.0.10', 'external_ip': '<none>', 'ports': '80:30080/TCP'}
"""

from __future__ import annotations

__all__ = ["add_endpoint_edges", "service_attrs"]


def service_attrs(obj: dict) -> dict:
    """The columns of ``kubectl get svc`` that say how to reach a Service."""
    from kubelab.kubectl.rows_services import _service_external_ip, service_ports

    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    return {
        "service_type": spec.get("type", "ClusterIP"),
        "cluster_ip": spec.get("clusterIP") or "<none>",
        "external_ip": _service_external_ip(spec, status),
        "ports": service_ports(spec.get("ports")) or "<none>",
    }


def add_endpoint_edges(graph, store) -> None:
    """``endpoint`` edges EndpointSlice → Pod, with the endpoint's conditions as attributes."""
    for slice_ in store.list("EndpointSlice"):
        meta = slice_["metadata"]
        src = ("EndpointSlice", meta.get("namespace", ""), meta["name"])
        for ep in slice_.get("endpoints") or ():
            ref = ep.get("targetRef") or {}
            if ref.get("kind") != "Pod":
                continue
            dst = ("Pod", ref.get("namespace", meta.get("namespace", "")), ref.get("name"))
            if graph.has_node(src) and graph.has_node(dst):
                cond = ep.get("conditions") or {}
                graph.add_edge(
                    src,
                    dst,
                    key="endpoint",
                    relation="endpoint",
                    ready=cond.get("ready") is not False,
                    serving=cond.get("serving") is not False,
                    terminating=bool(cond.get("terminating")),
                )
