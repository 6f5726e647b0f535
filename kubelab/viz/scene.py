"""What a cluster picture shows, as plain data: nodes with their pods, pending pods, services.

:func:`scene` reads ``c.graph`` (see :mod:`kubelab.observe.graph`) and sorts its objects into
the boxes :func:`~kubelab.viz.draw_cluster` draws. Keeping this step free of matplotlib lets
tests and exercises check *what* is drawn without looking at pixels.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kubelab.viz.colors import NO_OWNER

__all__ = ["NodeBox", "PodBox", "Scene", "scene", "short_name"]

SYSTEM_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease")
_SERVICE_ATTRS = ("service_type", "cluster_ip", "external_ip", "ports")


@dataclass
class PodBox:
    """One pod as drawn: its name, the label shown in its box, and what colours it."""

    namespace: str
    name: str
    label: str
    owner: str
    owner_kind: str | None
    version: str | None
    phase: str
    ready: bool
    node: str | None

    @property
    def terminating(self) -> bool:
        return self.phase == "Terminating"


@dataclass
class NodeBox:
    """One node: its status, whether it is cordoned, and the pods bound to it."""

    name: str
    status: str  # Ready | NotReady | Unknown
    unschedulable: bool = False
    pods: list[PodBox] = field(default_factory=list)


@dataclass
class Scene:
    """Everything :func:`~kubelab.viz.draw_cluster` draws."""

    nodes: list[NodeBox]
    pending: list[PodBox]  # not bound to any node yet (or bound to a node that is gone)
    services: list[tuple[str, list[tuple[str, str]]]]  # (name, selected pods (ns, name))
    ingresses: list[tuple[str, list[str]]]  # (name, services it routes to)
    now: float | None = None
    # service name -> how it is reached: service_type, cluster_ip, external_ip, ports
    service_info: dict[str, dict] = field(default_factory=dict)

    @property
    def pods(self) -> list[PodBox]:
        return [p for n in self.nodes for p in n.pods] + self.pending


def short_name(pod: str, owner: str | None) -> str:
    """The part of a pod's name worth printing in a small box.

    Examples
    --------
    >>> short_name("frontend-x7k2p", "frontend")
    'x7k2p'
    >>> short_name("web", None)
    'web'
    >>> short_name("a-very-long-pod-name", None)
    'a-very-lo…'
    """
    if owner and pod.startswith(owner + "-") and len(pod) > len(owner) + 1:
        pod = pod[len(owner) + 1 :]
    return pod if len(pod) <= 10 else pod[:9] + "…"


def _natural(key) -> tuple:
    """Sort ``node-2`` before ``node-10``."""
    return tuple(
        tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", str(k)))
        for k in key
    )


def _wanted(namespace_of_obj: str, namespace: str | None, system: bool) -> bool:
    if namespace is not None:
        return namespace_of_obj == namespace
    return system or namespace_of_obj not in SYSTEM_NAMESPACES


def _unschedulable(source, attrs: dict) -> bool:
    if "unschedulable" in attrs:
        return bool(attrs["unschedulable"])
    store = getattr(getattr(source, "api", None), "store", None)
    if store is None:
        return False
    # Read the store directly: going through the API server would log a request per picture.
    node = store.get("Node", "", attrs["name"]) or {}
    return bool((node.get("spec") or {}).get("unschedulable"))


def scene(source, *, namespace: str | None = None, system: bool = False) -> Scene:
    """Sort a cluster's objects into node boxes, the pending area, services and ingresses.

    Parameters
    ----------
    source : Cluster or networkx.MultiDiGraph
        A cluster (its ``.graph`` is read) or a graph shaped like ``c.graph``.
    namespace : str, optional
        Only pods, services and ingresses of this namespace. ``None``: every namespace except
        the system ones (``kube-system``, ...), unless ``system=True``.
    system : bool
        With ``namespace=None``, include the system namespaces too.

    Examples
    --------
    >>> import networkx as nx
    >>> g = nx.MultiDiGraph()
    >>> g.add_node(("Node", "", "node-1"), kind="Node", name="node-1", namespace="", phase="Ready")
    >>> g.add_node(("Pod", "default", "web-abc12"), kind="Pod", name="web-abc12",
    ...            namespace="default", phase="Running", ready=1, node="node-1", version="1.0")
    >>> g.add_node(("ReplicaSet", "default", "web"), kind="ReplicaSet", name="web",
    ...            namespace="default")
    >>> _ = g.add_edge(("Pod", "default", "web-abc12"), ("Node", "", "node-1"), key="runs-on")
    >>> _ = g.add_edge(("Pod", "default", "web-abc12"), ("ReplicaSet", "default", "web"),
    ...                key="owned-by")
    >>> s = scene(g)
    >>> [(n.name, [p.label for p in n.pods]) for n in s.nodes], s.pending
    ([('node-1', ['abc12'])], [])
    """
    graph = source if hasattr(source, "out_edges") else source.graph  # nx graphs have .graph too
    nodes: dict[str, NodeBox] = {}
    for key, attrs in sorted(graph.nodes(data=True), key=lambda item: _natural(item[0])):
        if key[0] == "Node":
            attrs = {"name": key[2], **attrs}
            nodes[key[2]] = NodeBox(
                key[2], attrs.get("phase") or "Unknown", _unschedulable(source, attrs)
            )
    pending: list[PodBox] = []
    services, ingresses = [], []
    service_info: dict[str, dict] = {}
    for key, attrs in sorted(graph.nodes(data=True), key=lambda item: _natural(item[0])):
        kind, ns, name = key
        if kind not in ("Pod", "Service", "Ingress") or not _wanted(ns, namespace, system):
            continue
        if kind == "Service":
            if (ns, name) == ("default", "kubernetes") and not system:
                continue  # the API server's own Service: in every cluster, selects no pod
            pods = sorted(v[1:] for _, v, k in graph.out_edges(key, keys=True) if k == "selects")
            services.append((name, pods))
            service_info[name] = {k: attrs.get(k) for k in _SERVICE_ATTRS}
            continue
        if kind == "Ingress":
            backends = sorted(
                v[2] for _, v, k in graph.out_edges(key, keys=True) if k == "routes-to"
            )
            ingresses.append((name, backends))
            continue
        owner = next((v for _, v, k in graph.out_edges(key, keys=True) if k == "owned-by"), None)
        node = attrs.get("node")
        pod = PodBox(
            namespace=ns,
            name=name,
            label=short_name(name, owner[2] if owner else None),
            owner=owner[2] if owner else NO_OWNER,
            owner_kind=owner[0] if owner else None,
            version=attrs.get("version"),
            phase=attrs.get("phase") or "Pending",
            ready=bool(attrs.get("ready")),
            node=node,
        )
        if node in nodes:
            nodes[node].pods.append(pod)
        else:
            pending.append(pod)
    return Scene(
        list(nodes.values()),
        pending,
        services,
        ingresses,
        getattr(source, "now", None),
        service_info,
    )
