"""``kubectl describe endpoints`` and ``kubectl describe endpointslice``, as upstream's
``describeEndpoints`` and ``describeEndpointSliceV1`` (``staging/src/k8s.io/kubectl/pkg/describe``).

Examples
--------
>>> from kubelab.kubectl.describe_common import Related
>>> ep = {"kind": "Endpoints", "metadata": {"name": "web", "namespace": "default"},
...       "subsets": [{"addresses": [{"ip": "10.244.0.2"}], "ports": [{"port": 8080, "protocol": "TCP"}]}]}
>>> print(describe_endpoints(ep, Related(now=0.0)), end="")
Name:         web
Namespace:    default
Labels:       <none>
Annotations:  <none>
Subsets:
  Addresses:          10.244.0.2
  NotReadyAddresses:  <none>
  Ports:
    Name     Port  Protocol
    ----     ----  --------
    <unset>  8080  TCP
<BLANKLINE>
Events:  <none>
"""

from __future__ import annotations

from kubelab.kubectl.describe_common import (
    Related,
    Writer,
    annotations_multiline,
    describe_events,
    labels_multiline,
)

__all__ = ["describe_endpoints", "describe_endpointslice", "load_balancer_ingress"]


def load_balancer_ingress(ingress) -> str:
    """``buildIngressString``: ``IP (ipMode)`` or hostname, joined by ``", "``.

    >>> load_balancer_ingress([{"ip": "203.0.113.10", "ipMode": "VIP"}])
    '203.0.113.10 (VIP)'
    """
    parts = []
    for item in ingress or ():
        if item.get("ip"):
            mode = f" ({item['ipMode']})" if item.get("ipMode") else ""
            parts.append(item["ip"] + mode)
        else:
            parts.append(item.get("hostname", ""))
    return ", ".join(parts)


def describe_endpoints(ep: dict, rel: Related) -> str:
    w, meta = Writer(), ep["metadata"]
    w.write(0, f"Name:\t{meta['name']}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, "Subsets:\n")
    for subset in ep.get("subsets") or ():
        ready = ",".join(a.get("ip", "") for a in subset.get("addresses") or ())
        not_ready = ",".join(a.get("ip", "") for a in subset.get("notReadyAddresses") or ())
        w.write(1, f"Addresses:\t{ready or '<none>'}\n")
        w.write(1, f"NotReadyAddresses:\t{not_ready or '<none>'}\n")
        if subset.get("ports"):
            w.write(1, "Ports:\n")
            w.write(2, "Name\tPort\tProtocol\n")
            w.write(2, "----\t----\t--------\n")
            for port in subset["ports"]:
                w.write(
                    2,
                    f"{port.get('name') or '<unset>'}\t{port.get('port')}\t"
                    f"{port.get('protocol', 'TCP')}\n",
                )
        w.write(0, "\n")
    describe_events(w, rel.events, rel.now)
    return w.text()


def describe_endpointslice(eps: dict, rel: Related) -> str:
    w, meta = Writer(), eps["metadata"]
    w.write(0, f"Name:\t{meta['name']}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"AddressType:\t{eps.get('addressType', '')}\n")
    ports = eps.get("ports") or ()
    if not ports:
        w.write(0, "Ports: <unset>\n")
    else:
        w.write(0, "Ports:\n")
        w.write(1, "Name\tPort\tProtocol\n")
        w.write(1, "----\t----\t--------\n")
        for port in ports:
            number = "<unset>" if port.get("port") is None else str(port["port"])
            w.write(
                1, f"{port.get('name') or '<unset>'}\t{number}\t{port.get('protocol', 'TCP')}\n"
            )
    endpoints = eps.get("endpoints") or ()
    if not endpoints:
        w.write(0, "Endpoints: <none>\n")
    else:
        w.write(0, "Endpoints:\n")
        for ep in endpoints:
            w.write(1, f"- Addresses:\t{', '.join(ep.get('addresses') or ()) or '<none>'}\n")
            w.write(2, "Conditions:\n")
            ready = (ep.get("conditions") or {}).get("ready")
            w.write(3, f"Ready:\t{'<unset>' if ready is None else str(ready).lower()}\n")
            w.write(2, f"Hostname:\t{ep.get('hostname', '<unset>')}\n")
            ref = ep.get("targetRef")
            if ref:
                w.write(2, f"TargetRef:\t{ref.get('kind', '')}/{ref.get('name', '')}\n")
            w.write(2, f"NodeName:\t{ep.get('nodeName', '<unset>')}\n")
            w.write(2, f"Zone:\t{ep.get('zone', '<unset>')}\n")
    describe_events(w, rel.events, rel.now)
    return w.text()
