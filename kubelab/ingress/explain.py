"""Explain ingress routing in words and tables: what a learner would otherwise ``curl``.

* :func:`parse_url` splits ``"https://shop.example.com/api?x=1"`` (scheme optional);
* :func:`response` is the status a client would see: ``200`` when the backend Service has
  ready endpoints, ``503`` when it has none (or does not exist), ``404`` from the default
  backend, ``308`` for the https redirect;
* :func:`explain` says why, step by step; :func:`routing_table` lists every server and
  location of the simulated nginx configuration.

Examples
--------
>>> parse_url("shop.example.com/api?x=1")
('http', 'shop.example.com', '/api?x=1')
>>> parse_url("https://blog.example.com")
('https', 'blog.example.com', '/')
"""

from __future__ import annotations

from kubelab.errors import KubelabError
from kubelab.ingress.nginx import CATCH_ALL, FAKE_CERTIFICATE
from kubelab.ingress.routing import Route, _server_of, route_request, router_for

__all__ = ["explain", "parse_url", "ready_endpoints", "response", "routing_table"]

REASONS = {
    200: "OK",
    308: "Permanent Redirect",
    404: "Not Found",
    503: "Service Temporarily Unavailable",
}


def parse_url(url: str) -> tuple[str, str, str]:
    """``(scheme, host, path)`` of ``url``; the scheme defaults to http, the path to ``/``."""
    text = str(url).strip()
    scheme = "http"
    if "://" in text:
        scheme, text = text.split("://", 1)
        scheme = scheme.lower()
    host, slash, rest = text.partition("/")
    query = ""
    if "?" in host:
        host, query = host.split("?", 1)
        query = "?" + query
    path = "/" + rest if slash else "/"
    return scheme, host, path if not query else path + query


def ready_endpoints(api, namespace: str, service: str, port) -> list[str]:
    """``ip:port`` of the ready endpoints behind ``service`` for the Ingress backend ``port``."""
    server = _server_of(api)
    try:
        svc = server.get("Service", service, namespace)
    except KubelabError:  # a missing Service has no endpoints
        return []
    port_name = None
    for sp in (svc.get("spec") or {}).get("ports") or ():
        if port in (sp.get("port"), sp.get("name")):
            port_name = sp.get("name") or ""
            break
    if port_name is None:
        return []
    found = []
    for s in server.list("EndpointSlice", namespace):
        if (s["metadata"].get("labels") or {}).get("kubernetes.io/service-name") != service:
            continue
        for p in s.get("ports") or ():
            if (p.get("name") or "") != port_name:
                continue
            for ep in s.get("endpoints") or ():
                if (ep.get("conditions") or {}).get("ready") is False:
                    continue
                found += [f"{a}:{p.get('port')}" for a in ep.get("addresses") or ()]
    return sorted(found)


def _route(api, url: str) -> tuple[Route, str, str, str]:
    scheme, host, path = parse_url(url)
    return route_request(api, host=host, path=path, scheme=scheme), scheme, host, path


def response(api, url: str) -> int:
    """The HTTP status a client gets for ``url`` (redirects are not followed)."""
    route, *_ = _route(api, url)
    if route.status is not None:
        return route.status
    return 200 if ready_endpoints(api, route.namespace, route.service, route.port) else 503


def explain(api, url: str) -> str:
    """Step by step: which server, which location, and what ingress-nginx answers."""
    route, scheme, host, path = _route(api, url)
    lines = [f"GET {scheme}://{host}{path}"]
    server = route.server
    if server == CATCH_ALL:
        lines.append(f"  server:   _ (catch-all: no rule names the host {host!r})")
    else:
        lines.append(f"  server:   {server}")
    if scheme == "https":
        cert = route.certificate
        what = "the controller's default fake certificate" if cert == FAKE_CERTIFICATE else cert
        lines.append(f"  TLS:      certificate {what}")
    if route.default_backend:
        owner = f" of Ingress {route.ingress}" if route.ingress else " of the controller"
        lines.append(f"  location: / (no rule path matches: the default backend{owner})")
    else:
        lines.append(f"  location: {route.path_type} {route.path} (Ingress {route.ingress})")
    if route.status == 308:
        lines.append(f"  → 308 Permanent Redirect to {route.location} (ssl-redirect)")
    elif route.status == 404:
        lines.append("  → 404 Not Found (ingress-nginx's default backend)")
    else:
        target = f"{route.namespace}/{route.service}:{route.port}"
        endpoints = ready_endpoints(api, route.namespace, route.service, route.port)
        if endpoints:
            shown = ", ".join(endpoints[:3]) + (" ..." if len(endpoints) > 3 else "")
            lines.append(f"  → proxied to service {target}: endpoints {shown}")
        else:
            lines.append(
                f"  → 503 Service Temporarily Unavailable ({target} has no ready endpoints)"
            )
    return "\n".join(lines)


def routing_table(api):
    """Every (server, location) of the simulated nginx configuration as a DataFrame."""
    import pandas as pd

    rows = []
    router = router_for(_server_of(api))
    for host in sorted(router.servers, key=lambda h: (h == CATCH_ALL, h)):
        server = router.servers[host]
        for loc in server.locations:
            rows.append(
                {
                    "server": host,
                    "location": ("= " if loc.kind == "exact" else "") + loc.path,
                    "rule": f"{loc.path_type} {loc.rule_path}" if loc.rule_path else "(default)",
                    "ingress": loc.ingress or "",
                    "backend": f"{loc.service}:{loc.port}" if loc.service else "404",
                    "tls": host in router.cert_hosts,
                }
            )
    return pd.DataFrame(rows, columns=["server", "location", "rule", "ingress", "backend", "tls"])
