"""Table cells for workloads, nodes, namespaces and events (upstream ``printPod``, ``printNode``...)."""

from __future__ import annotations

from kubelab.api import labels as _labels
from kubelab.kubectl.columns import age as _age
from kubelab.kubectl.columns import containers as _containers
from kubelab.kubectl.columns import format_labels
from kubelab.kubectl.duration import since
from kubelab.kubectl.podstatus import pod_summary

__all__ = ["event_object", "node_roles", "node_status"]


def _pod(obj, now):
    ready, status, restarts = pod_summary(obj, now)
    spec, st = obj.get("spec") or {}, obj.get("status") or {}
    ips = st.get("podIPs") or ()
    gates = spec.get("readinessGates") or ()
    gates_cell = "<none>"
    if gates:
        conds = {c.get("type"): c.get("status") for c in st.get("conditions") or ()}
        true = sum(1 for g in gates if conds.get(g.get("conditionType")) == "True")
        gates_cell = f"{true}/{len(gates)}"
    return [
        obj["metadata"]["name"],
        ready,
        status,
        restarts,
        _age(obj, now),
        (ips[0].get("ip") if ips else "") or "<none>",
        spec.get("nodeName") or "<none>",
        st.get("nominatedNodeName") or "<none>",
        gates_cell,
    ]


def _replicaset(obj, now):
    spec, st = obj.get("spec") or {}, obj.get("status") or {}
    names, images = _containers(spec.get("template"))
    if obj["kind"] == "ReplicationController":
        selector = format_labels(spec.get("selector"))
    else:
        selector = _labels.format_label_selector(spec.get("selector"))
    return [
        obj["metadata"]["name"],
        spec.get("replicas", 1),
        st.get("replicas", 0),
        st.get("readyReplicas", 0),
        _age(obj, now),
        names,
        images,
        selector,
    ]


def _deployment(obj, now):
    spec, st = obj.get("spec") or {}, obj.get("status") or {}
    names, images = _containers(spec.get("template"))
    try:
        selector = _labels.to_string(spec.get("selector"))
    except _labels.SelectorError:
        selector = "<invalid>"
    return [
        obj["metadata"]["name"],
        f"{st.get('readyReplicas', 0)}/{spec.get('replicas', 1)}",
        st.get("updatedReplicas", 0),
        st.get("availableReplicas", 0),
        _age(obj, now),
        names,
        images,
        selector,
    ]


def _daemonset(obj, now):
    spec, st = obj.get("spec") or {}, obj.get("status") or {}
    template = spec.get("template") or {}
    names, images = _containers(template)
    return [
        obj["metadata"]["name"],
        st.get("desiredNumberScheduled", 0),
        st.get("currentNumberScheduled", 0),
        st.get("numberReady", 0),
        st.get("updatedNumberScheduled", 0),
        st.get("numberAvailable", 0),
        format_labels((template.get("spec") or {}).get("nodeSelector")),
        _age(obj, now),
        names,
        images,
        _labels.format_label_selector(spec.get("selector")),
    ]


def _statefulset(obj, now):
    """``printStatefulSet``: READY is ready replicas over desired."""
    spec, st = obj.get("spec") or {}, obj.get("status") or {}
    names, images = _containers(spec.get("template") or {})
    ready = f"{st.get('readyReplicas', 0)}/{spec.get('replicas', 1)}"
    return [obj["metadata"]["name"], ready, _age(obj, now), names, images]


def node_status(node: dict) -> str:
    """``Ready`` / ``NotReady`` / ``Unknown``, plus ``,SchedulingDisabled`` when cordoned."""
    status = []
    for cond in (node.get("status") or {}).get("conditions") or ():
        if cond.get("type") == "Ready":
            status = ["Ready" if cond.get("status") == "True" else "NotReady"]
    status = status or ["Unknown"]
    if (node.get("spec") or {}).get("unschedulable"):
        status.append("SchedulingDisabled")
    return ",".join(status)


def node_roles(node: dict) -> str:
    roles = set()
    for key, value in (node["metadata"].get("labels") or {}).items():
        if key.startswith("node-role.kubernetes.io/") and key[len("node-role.kubernetes.io/") :]:
            roles.add(key[len("node-role.kubernetes.io/") :])
        elif key == "kubernetes.io/role" and value:
            roles.add(value)
    return ",".join(sorted(roles)) or "<none>"


def _address(node: dict, type_: str) -> str:
    for addr in (node.get("status") or {}).get("addresses") or ():
        if addr.get("type") == type_:
            return addr.get("address", "")
    return "<none>"


def _node(obj, now):
    info = (obj.get("status") or {}).get("nodeInfo") or {}
    return [
        obj["metadata"]["name"],
        node_status(obj),
        node_roles(obj),
        _age(obj, now),
        info.get("kubeletVersion", ""),
        _address(obj, "InternalIP"),
        _address(obj, "ExternalIP"),
        info.get("osImage") or "<unknown>",
        info.get("kernelVersion") or "<unknown>",
        info.get("containerRuntimeVersion") or "<unknown>",
    ]


def _namespace(obj, now):
    return [obj["metadata"]["name"], (obj.get("status") or {}).get("phase", ""), _age(obj, now)]


def event_object(event: dict) -> str:
    involved = event.get("involvedObject") or {}
    kind = (involved.get("kind") or "").lower()
    return f"{kind}/{involved['name']}" if involved.get("name") else kind


def _event(obj, now):
    first = (
        since(obj.get("firstTimestamp"), now)
        if obj.get("firstTimestamp")
        else since(obj.get("eventTime"), now)
    )
    last = since(obj.get("lastTimestamp"), now) if obj.get("lastTimestamp") else first
    source = obj.get("source") or {}
    component = source.get("component") or obj.get("reportingComponent") or ""
    host = source.get("host") or obj.get("reportingInstance") or ""
    return [
        last,
        obj.get("type", ""),
        obj.get("reason", ""),
        event_object(obj),
        (obj.get("involvedObject") or {}).get("fieldPath", ""),
        f"{component}, {host}" if host else component,
        (obj.get("message") or "").strip(),
        first,
        obj.get("count") or 1,
        obj["metadata"]["name"],
    ]
