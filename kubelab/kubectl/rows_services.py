"""Table cells for services, networking, configuration, storage and policy objects."""

from __future__ import annotations

from kubelab.kubectl.columns import age as _age
from kubelab.kubectl.columns import format_labels

__all__ = ["access_modes", "format_endpoints", "service_ports"]


def _service_external_ip(spec: dict, status: dict) -> str:
    type_ = spec.get("type", "ClusterIP")
    external = spec.get("externalIPs") or []
    if type_ in ("ClusterIP", "NodePort"):
        return ",".join(external) or "<none>"
    if type_ == "LoadBalancer":
        ingress = (status.get("loadBalancer") or {}).get("ingress") or ()
        lb = sorted(
            {i.get("ip") or i.get("hostname") for i in ingress if i.get("ip") or i.get("hostname")}
        )
        if external:
            return ",".join([*lb, *external])
        return ",".join(lb) or "<pending>"
    if type_ == "ExternalName":
        return spec.get("externalName", "")
    return "<unknown>"


def service_ports(ports) -> str:
    pieces = []
    for p in ports or ():
        proto = p.get("protocol", "TCP")
        pieces.append(
            f"{p['port']}:{p['nodePort']}/{proto}"
            if p.get("nodePort")
            else f"{p.get('port')}/{proto}"
        )
    return ",".join(pieces)


def _service(obj, now):
    spec, st = obj.get("spec") or {}, obj.get("status") or {}
    ips = spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else [])
    return [
        obj["metadata"]["name"],
        spec.get("type", "ClusterIP"),
        ips[0] if ips else "<none>",
        _service_external_ip(spec, st),
        service_ports(spec.get("ports")) or "<none>",
        _age(obj, now),
        format_labels(spec.get("selector")),
    ]


def format_endpoints(endpoints: dict) -> str:
    """``formatEndpoints``: up to three ``ip:port`` entries, then ``+ N more...``."""
    subsets = endpoints.get("subsets") or ()
    if not subsets:
        return "<none>"
    items, count = [], 0
    for ss in subsets:
        addrs = [a.get("ip", "") for a in ss.get("addresses") or ()]
        ports = ss.get("ports") or ()
        if not ports:
            count += len(addrs)
            items.extend(addrs)
            continue
        for port in ports:
            count += len(addrs)
            items.extend(f"{ip}:{port.get('port')}" for ip in addrs)
    text = ",".join(items[:3])
    return f"{text} + {count - 3} more..." if count > 3 else text


def _with_more(items: list[str], total: int) -> str:
    text = ",".join(items[:3])
    if total > 3:
        return f"{text} + {total - 3} more..."
    return text or "<unset>"


def _endpointslice(obj, now):
    ports = obj.get("ports") or ()
    port_cells = [
        str(p["port"]) if p.get("port") is not None else (p.get("name") or "*") for p in ports
    ]
    addresses = [a for e in obj.get("endpoints") or () for a in e.get("addresses") or ()]
    return [
        obj["metadata"]["name"],
        obj.get("addressType", ""),
        _with_more(port_cells, len(port_cells)),
        _with_more(addresses, len(addresses)),
        _age(obj, now),
    ]


def _endpoints(obj, now):
    return [obj["metadata"]["name"], format_endpoints(obj), _age(obj, now)]


def _configmap(obj, now):
    return [
        obj["metadata"]["name"],
        len(obj.get("data") or {}) + len(obj.get("binaryData") or {}),
        _age(obj, now),
    ]


def _secret(obj, now):
    return [
        obj["metadata"]["name"],
        obj.get("type", "Opaque"),
        len(obj.get("data") or {}),
        _age(obj, now),
    ]


def access_modes(modes) -> str:
    """``GetAccessModesAsString``: ``RWO,ROX,RWX,RWOP`` in that order."""
    short = {
        "ReadWriteOnce": "RWO",
        "ReadOnlyMany": "ROX",
        "ReadWriteMany": "RWX",
        "ReadWriteOncePod": "RWOP",
    }
    present = set(modes or ())
    return ",".join(v for k, v in short.items() if k in present)


def _pv(obj, now):
    spec, st = obj.get("spec") or {}, obj.get("status") or {}
    claim = spec.get("claimRef")
    phase = "Terminating" if obj["metadata"].get("deletionTimestamp") else st.get("phase", "")
    return [
        obj["metadata"]["name"],
        str((spec.get("capacity") or {}).get("storage", "0")),
        access_modes(spec.get("accessModes")),
        spec.get("persistentVolumeReclaimPolicy", ""),
        phase,
        f"{claim.get('namespace', '')}/{claim.get('name', '')}" if claim else "",
        spec.get("storageClassName", ""),
        spec.get("volumeAttributesClassName") or "<unset>",
        st.get("reason", ""),
        _age(obj, now),
        spec.get("volumeMode") or "<unset>",
    ]


def _pvc(obj, now):
    spec, st = obj.get("spec") or {}, obj.get("status") or {}
    phase = "Terminating" if obj["metadata"].get("deletionTimestamp") else st.get("phase", "")
    capacity = modes = ""
    if spec.get("volumeName"):
        modes = access_modes(st.get("accessModes"))
        capacity = str((st.get("capacity") or {}).get("storage", "0"))
    return [
        obj["metadata"]["name"],
        phase,
        spec.get("volumeName", ""),
        capacity,
        modes,
        spec.get("storageClassName", ""),
        spec.get("volumeAttributesClassName") or "<unset>",
        _age(obj, now),
        spec.get("volumeMode") or "<unset>",
    ]


def _storageclass(obj, now):
    annotations = obj["metadata"].get("annotations") or {}
    default = "true" in (
        annotations.get("storageclass.kubernetes.io/is-default-class"),
        annotations.get("storageclass.beta.kubernetes.io/is-default-class"),
    )
    name = obj["metadata"]["name"] + (" (default)" if default else "")
    return [
        name,
        obj.get("provisioner", ""),
        obj.get("reclaimPolicy") or "Delete",
        obj.get("volumeBindingMode") or "Immediate",
        bool(obj.get("allowVolumeExpansion")),
        _age(obj, now),
    ]


def _ingress(obj, now):
    spec, st = obj.get("spec") or {}, obj.get("status") or {}
    rules = spec.get("rules") or ()
    hosts, more = [], False  # formatHosts: three hosts, then "+ N more..." (N counts rules)
    for r in rules:
        more = more or len(hosts) == 3
        if not more and (r or {}).get("host"):
            hosts.append(r["host"])
    hosts_cell = ",".join(hosts) or "*"
    if more and hosts:
        hosts_cell += f" + {len(rules) - 3} more..."
    ingress = (st.get("loadBalancer") or {}).get("ingress") or ()
    address = ",".join(
        sorted(
            {i.get("ip") or i.get("hostname") for i in ingress if i.get("ip") or i.get("hostname")}
        )
    )
    if len(address) > 16:  # ingressLoadBalancerStatusStringer: loadBalancerWidth (not -o wide)
        address = address[:13] + "..."
    return [
        obj["metadata"]["name"],
        spec.get("ingressClassName") or "<none>",
        hosts_cell,
        address,
        "80, 443" if spec.get("tls") else "80",
        _age(obj, now),
    ]


def _ingressclass(obj, now):
    spec = obj.get("spec") or {}
    params = spec.get("parameters")
    cell = "<none>"
    if params:
        cell = params.get("kind", "") + (f".{params['apiGroup']}" if params.get("apiGroup") else "")
        cell += "/" + params.get("name", "")
    return [obj["metadata"]["name"], spec.get("controller", ""), cell, _age(obj, now)]


def _pdb(obj, now):
    spec = obj.get("spec") or {}
    min_a, max_u = spec.get("minAvailable"), spec.get("maxUnavailable")
    return [
        obj["metadata"]["name"],
        "N/A" if min_a is None else str(min_a),
        "N/A" if max_u is None else str(max_u),
        (obj.get("status") or {}).get("disruptionsAllowed", 0),
        _age(obj, now),
    ]


def _lease(obj, now):
    return [
        obj["metadata"]["name"],
        (obj.get("spec") or {}).get("holderIdentity") or "",
        _age(obj, now),
    ]


def _controllerrevision(obj, now):
    ref = next(
        (r for r in obj["metadata"].get("ownerReferences") or () if r.get("controller")), None
    )
    controller = "<none>"
    if ref:
        group = ref.get("apiVersion", "").rpartition("/")[0]
        kind = ref.get("kind", "").lower() + (f".{group}" if group else "")
        controller = f"{kind}/{ref.get('name', '')}"
    return [obj["metadata"]["name"], controller, obj.get("revision", 0), _age(obj, now)]


def _default(obj, now):
    return [obj["metadata"]["name"], _age(obj, now)]
