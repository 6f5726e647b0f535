"""``kubectl describe ingress`` and ``describe ingressclass`` (upstream ``describe.go``).

``IngressDescriber.describeIngressV1``: address, class, default backend, TLS, then the
``Rules`` table where each backend is ``service:port (endpoints)``: the endpoints are the
addresses of the Service's EndpointSlices for that port (``formatEndpointSlices``: three at
most, then ``+ N more...``), ``<none>`` when there are no slices, or the error when the
Service does not exist.

Examples
--------
>>> ing = {"kind": "Ingress", "metadata": {"name": "minimal-ingress", "namespace": "default"},
...        "spec": {"ingressClassName": "nginx", "rules": [{"http": {"paths": [
...            {"path": "/testpath", "pathType": "Prefix",
...             "backend": {"service": {"name": "test", "port": {"number": 80}}}}]}}]}}
>>> print(describe_ingress(ing, Related(now=0.0, events=None)), end="")  # doctest: +NORMALIZE_WHITESPACE
Name:             minimal-ingress
Labels:           <none>
Namespace:        default
Address:
Ingress Class:    nginx
Default backend:  <default>
Rules:
  Host        Path  Backends
  ----        ----  --------
  *
              /testpath   test:80 (<error: services "test" not found>)
Annotations:  <none>
"""

from __future__ import annotations

from kubelab.kubectl.describe_common import (
    Related,
    Writer,
    annotations_multiline,
    describe_events,
    labels_multiline,
)

__all__ = [
    "describe_ingress",
    "describe_ingressclass",
    "format_endpoint_slices",
    "service_backend",
]


def service_backend(backend: dict | None) -> str:
    """``serviceBackendStringer``: ``name:port`` (the number, else the port name)."""
    if not backend:
        return ""
    port = backend.get("port") or {}
    return f"{backend.get('name', '')}:{port.get('number') or port.get('name') or ''}"


def format_endpoint_slices(slices: list[dict], port_name: str | None) -> str:
    """``formatEndpointSlices``: ``ip:port`` of the named port, three at most."""
    if not slices:
        return "<none>"
    items: list[str] = []
    count = 0
    for s in slices:
        endpoints = s.get("endpoints") or ()
        ports = s.get("ports") or ()
        if not ports:
            for ep in endpoints:
                if len(items) < 3:
                    items.append((ep.get("addresses") or [""])[0])
                count += 1
            continue
        for port in ports:
            if port_name is not None and (port.get("name") or "") != port_name:
                continue
            for ep in endpoints:
                if len(items) < 3:
                    addr = (ep.get("addresses") or [""])[0]
                    host = f"[{addr}]" if ":" in addr else addr
                    items.append(f"{host}:{port.get('port')}")
                count += 1
    text = ",".join(items)
    return f"{text} + {count - 3} more..." if count > 3 else text


def _describe_backend(ns: str, backend: dict | None, rel: Related) -> str:
    backend = backend or {}
    service = backend.get("service")
    if service:
        text = service_backend(service)
        objects = getattr(rel, "objects", None) or {}
        svc = next(
            (
                s
                for s in objects.get("Service") or ()
                if s["metadata"]["name"] == service.get("name")
            ),
            None,
        )
        if svc is None:
            return f'{text} (<error: services "{service.get("name", "")}" not found>)'
        slices = [
            s
            for s in objects.get("EndpointSlice") or ()
            if (s["metadata"].get("labels") or {}).get("kubernetes.io/service-name")
            == service.get("name")
        ]
        port = service.get("port") or {}
        port_name = ""
        for sp in (svc.get("spec") or {}).get("ports") or ():
            if (port.get("number") and port.get("number") == sp.get("port")) or (
                port.get("name") and port.get("name") == sp.get("name")
            ):
                port_name = sp.get("name") or ""
        return f"{text} ({format_endpoint_slices(slices, port_name)})"
    resource = backend.get("resource")
    if resource:
        group = resource.get("apiGroup") or "<none>"
        return (
            f"APIGroup: {group}, Kind: {resource.get('kind', '')}, Name: {resource.get('name', '')}"
        )
    return ""


def _address(ingress: dict) -> str:
    """``ingressLoadBalancerStatusStringerV1`` (wide): every IP or hostname."""
    lb = ((ingress.get("status") or {}).get("loadBalancer") or {}).get("ingress") or ()
    return ",".join(sorted({i.get("ip") or i.get("hostname") for i in lb} - {None, ""}))


def describe_ingress(ing: dict, rel: Related) -> str:
    """``describeIngressV1``."""
    w, meta, spec = Writer(), ing["metadata"], ing.get("spec") or {}
    ns = meta.get("namespace", "")
    w.write(0, f"Name:\t{meta['name']}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    w.write(0, f"Namespace:\t{ns}\n")
    w.write(0, f"Address:\t{_address(ing)}\n")
    w.write(0, f"Ingress Class:\t{spec.get('ingressClassName') or '<none>'}\n")
    default = "<default>"
    if spec.get("defaultBackend") is not None:
        default = _describe_backend(ns, spec["defaultBackend"], rel)
    w.write(0, f"Default backend:\t{default}\n")
    if spec.get("tls"):
        w.write(0, "TLS:\n")
        for t in spec["tls"]:
            hosts = ",".join((t or {}).get("hosts") or ())
            if (t or {}).get("secretName"):
                w.write(1, f"{t['secretName']} terminates {hosts}\n")
            else:
                w.write(1, f"SNI routes {hosts}\n")
    w.write(0, "Rules:\n  Host\tPath\tBackends\n")
    w.write(1, "----\t----\t--------\n")
    count = 0
    for rule in spec.get("rules") or ():
        rule = rule or {}
        if rule.get("http") is None:
            continue
        count += 1
        w.write(1, f"{rule.get('host') or '*'}\t\n")
        for p in (rule["http"] or {}).get("paths") or ():
            backend = _describe_backend(ns, (p or {}).get("backend"), rel)
            w.write(2, f"\t{(p or {}).get('path', '')} \t{backend}\n")
    if count == 0:
        w.write(1, f"*\t*\t{default}\n")
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    if rel.events is not None:
        describe_events(w, rel.events, rel.now)
    return w.text()


def describe_ingressclass(ic: dict, rel: Related) -> str:
    """``describeIngressClassV1``."""
    w, meta, spec = Writer(), ic["metadata"], ic.get("spec") or {}
    w.write(0, f"Name:\t{meta['name']}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"Controller:\t{spec.get('controller', '')}\n")
    params = spec.get("parameters")
    if params:
        w.write(0, "Parameters:\n")
        if params.get("apiGroup") is not None:
            w.write(1, f"APIGroup:\t{params['apiGroup']}\n")
        w.write(1, f"Kind:\t{params.get('kind', '')}\n")
        w.write(1, f"Name:\t{params.get('name', '')}\n")
    if rel.events is not None:
        describe_events(w, rel.events, rel.now)
    return w.text()
