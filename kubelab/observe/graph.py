"""The cluster's current state as a networkx graph.

Graph nodes are objects keyed ``(kind, namespace, name)``; edges say how they
relate: ``runs-on`` (Pod → Node), ``owned-by`` (→ controller owner), ``selects``
(Service/ReplicaSet/... → Pod), ``routes-to`` (Ingress → Service) and ``endpoint``
(EndpointSlice → Pod, with the endpoint's conditions; see :mod:`kubelab.observe.servicegraph`).
"""

from __future__ import annotations

from kubelab.api.meta import controller_ref
from kubelab.observe.history import summarize
from kubelab.observe.servicegraph import add_endpoint_edges, service_attrs

__all__ = ["GRAPH_KINDS", "cluster_graph"]

GRAPH_KINDS = (
    "Node",
    "Pod",
    "ReplicaSet",
    "ReplicationController",
    "Deployment",
    "DaemonSet",
    "StatefulSet",
    "Service",
    "EndpointSlice",
    "Ingress",
    "PersistentVolumeClaim",
    "PersistentVolume",
)
_SELECTORS = (
    "ReplicaSet",
    "ReplicationController",
    "Deployment",
    "DaemonSet",
    "StatefulSet",
    "Service",
)


def cluster_graph(api):
    """Build a ``networkx.MultiDiGraph`` of the objects the API server holds now."""
    import networkx as nx

    from kubelab.api import labels

    graph = nx.MultiDiGraph()
    store = api.store
    for kind in GRAPH_KINDS:
        for obj in store.list(kind):
            meta = obj["metadata"]
            phase, replicas, ready, available, node, version, _owner = summarize(obj, kind)
            graph.add_node(
                (kind, meta.get("namespace", ""), meta["name"]),
                kind=kind,
                namespace=meta.get("namespace", ""),
                name=meta["name"],
                phase=phase,
                replicas=replicas,
                ready=ready,
                available=available,
                node=node,
                version=version,
                labels=dict(meta.get("labels") or {}),
            )
            if kind == "Service":
                graph.nodes[(kind, meta.get("namespace", ""), meta["name"])].update(
                    service_attrs(obj)
                )
    pods_by_ns: dict[str, list[dict]] = {}
    for pod in store.list("Pod"):
        ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        pods_by_ns.setdefault(ns, []).append(pod)
        node = pod["spec"].get("nodeName")
        if node and graph.has_node(("Node", "", node)):
            graph.add_edge(("Pod", ns, name), ("Node", "", node), key="runs-on", relation="runs-on")
    for kind in GRAPH_KINDS:
        for obj in store.list(kind):
            meta = obj["metadata"]
            src = (kind, meta.get("namespace", ""), meta["name"])
            ref = controller_ref(obj)
            if ref:
                dst = (ref["kind"], meta.get("namespace", ""), ref["name"])
                if graph.has_node(dst):
                    graph.add_edge(src, dst, key="owned-by", relation="owned-by")
            if kind in _SELECTORS:
                sel = _selector(obj, labels)
                if sel is None:
                    continue
                for pod in pods_by_ns.get(meta.get("namespace", ""), ()):
                    if sel.matches(pod["metadata"].get("labels")):
                        dst = ("Pod", pod["metadata"]["namespace"], pod["metadata"]["name"])
                        graph.add_edge(src, dst, key="selects", relation="selects")
            if kind == "Ingress":
                for service in _ingress_services(obj):
                    dst = ("Service", meta.get("namespace", ""), service)
                    if graph.has_node(dst):
                        graph.add_edge(src, dst, key="routes-to", relation="routes-to")
    add_endpoint_edges(graph, store)
    return graph


def _selector(obj: dict, labels):
    selector = (obj.get("spec") or {}).get("selector")
    if obj["kind"] in ("Service", "ReplicationController"):
        return labels.from_set(selector) if selector else None
    try:
        return labels.from_label_selector(selector)
    except ValueError:
        return None


def _ingress_services(ingress: dict):
    spec = ingress.get("spec") or {}
    backends = [spec.get("defaultBackend")]
    for rule in spec.get("rules") or ():
        for path in ((rule or {}).get("http") or {}).get("paths") or ():
            backends.append((path or {}).get("backend"))
    for backend in backends:
        name = ((backend or {}).get("service") or {}).get("name")
        if name:
            yield name
