"""What ingress-nginx does with one HTTP request: :func:`route_request`.

Who decides what:

* **Here (the ingress controller's configuration)**: which server answers the ``Host``
  (exact name, then a ``*.example.com`` wildcard covering one DNS label, then the catch-all
  server ``_``), which location matches the path (``Exact`` by equality, otherwise the
  longest prefix), the ``308`` redirect to https (``ssl-redirect``, on by default for a host
  with a certificate; ``force-ssl-redirect`` for any host) and the ``404`` of the
  controller's default backend.
* **The proxy side** (``kubelab.network``): whether the chosen Service exists and has ready
  endpoints for the port (``503 Service Temporarily Unavailable`` when it has none), and
  which endpoint gets the request. A route always names the Service and port exactly as the
  Ingress backend writes them (a port number, or a port name to resolve on the Service).

The compiled table is cached until an Ingress, IngressClass or Secret is written, so routing
many requests is cheap.

Examples
--------
>>> import kubelab as kl
>>> c = kl.Cluster(nodes=1, seed=0)
>>> _ = c.apply('''
... apiVersion: networking.k8s.io/v1
... kind: Ingress
... metadata: {name: shop}
... spec:
...   rules:
...   - host: shop.example.com
...     http:
...       paths:
...       - {path: /api, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}
... ''')
>>> route_request(c, host="shop.example.com", path="/api/cart")
Route(status=None, namespace='default', service='api', port=80, ingress='shop', location=None, tls=False)
>>> route_request(c, host="shop.example.com", path="/apis").status
404
"""

from __future__ import annotations

import functools
import posixpath
import re
from dataclasses import dataclass, field

from kubelab.ingress.classes import our_classes, served
from kubelab.ingress.nginx import CATCH_ALL, FAKE_CERTIFICATE, Location, Server, build_servers

__all__ = ["Route", "Router", "route_request", "router_for"]


@dataclass(frozen=True)
class Route:
    """The decision for one request.

    ``status`` is None when the request is proxied to ``namespace/service:port``; otherwise
    the status ingress-nginx answers itself: ``404`` (default backend) or ``308`` (redirect to
    ``location``). ``tls`` says whether the host has a certificate from an Ingress TLS
    section (then plain http is redirected unless ``ssl-redirect: "false"``).
    """

    status: int | None
    namespace: str | None = None
    service: str | None = None
    port: int | str | None = None
    ingress: str | None = None
    location: str | None = None
    tls: bool = False
    server: str = field(default=CATCH_ALL, repr=False, compare=False)
    path: str | None = field(default=None, repr=False, compare=False)
    path_type: str | None = field(default=None, repr=False, compare=False)
    certificate: str | None = field(default=None, repr=False, compare=False)
    default_backend: bool = field(default=False, repr=False, compare=False)

    @property
    def backend(self) -> str | None:
        """``service:port`` as kubectl writes a backend, or None."""
        return None if self.service is None else f"{self.service}:{self.port}"


def _normalize_host(host: str) -> str:
    host = str(host or "").strip().lower()
    if host.startswith("[") and "]" in host:  # IPv6 literal
        return host[: host.index("]") + 1]
    host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    return host.rstrip(".")


def _normalize_path(path: str) -> tuple[str, str]:
    """nginx's ``$uri`` (merged slashes, resolved dot segments) and ``$request_uri``."""
    request_uri = str(path) if path else "/"
    if not request_uri.startswith("/"):
        request_uri = "/" + request_uri
    uri = request_uri.split("?", 1)[0].split("#", 1)[0]
    trailing = uri.endswith("/") or uri.endswith("/.") or uri.endswith("/..")
    uri = posixpath.normpath(uri)
    uri = "/" + uri.lstrip("/")
    if trailing and uri != "/":
        uri += "/"
    return uri, request_uri


@functools.lru_cache(maxsize=4096)
def _compiled(path: str):
    try:
        return re.compile("^" + path, re.IGNORECASE)
    except re.error:  # nginx would refuse to reload; such a location never matches here
        return None


def _regex_match(path: str, uri: str) -> bool:
    pattern = _compiled(path)
    return pattern is not None and pattern.search(uri) is not None


def _wildcard(host: str) -> str | None:
    head, dot, rest = host.partition(".")
    return f"*.{rest}" if dot and head and rest else None


class Router:
    """The compiled nginx configuration: servers by host, the hosts with certificates."""

    def __init__(self, servers: dict[str, Server]):
        self.servers = servers
        self.cert_hosts = {
            s.host for s in servers.values() if s.certificate and s.host != CATCH_ALL
        }

    @classmethod
    def from_objects(cls, ingresses, ingress_classes, secrets) -> Router:
        classes = our_classes(ingress_classes)
        mine = [i for i in ingresses if served(i, classes)]
        # like ingress-nginx, any Secret with tls.crt and tls.key will do (type kubernetes.io/tls
        # is the convention the API server checks for those keys)
        by_key = {
            (s["metadata"].get("namespace") or "default", s["metadata"]["name"]): s for s in secrets
        }
        return cls(build_servers(mine, by_key))

    def server_for(self, host: str) -> Server:
        """nginx ``server_name`` matching: exact, then the one-label wildcard, then ``_``."""
        host = _normalize_host(host)
        if host in self.servers:
            return self.servers[host]
        wildcard = _wildcard(host)
        if wildcard and wildcard in self.servers:
            return self.servers[wildcard]
        return self.servers[CATCH_ALL]

    @staticmethod
    def location_for(server: Server, uri: str) -> Location:
        """``location = p`` by equality first, else the longest matching prefix location.

        In a regex server, the first ``~* "^path"`` that matches (longest paths first).
        """
        if server.regex:
            for loc in server.locations:
                if _regex_match(loc.path, uri):
                    return loc
            return server.locations[-1]
        for loc in server.locations:
            if loc.kind == "exact" and loc.path == uri:
                return loc
        for loc in server.locations:  # longest first
            if loc.kind == "prefix" and uri.startswith(loc.path):
                return loc
        return server.locations[-1]  # unreachable: every server has "/"

    def has_certificate(self, host: str) -> bool:
        """``certificate.configured_for_current_request``: the host or its wildcard has one."""
        host = _normalize_host(host)
        return host in self.cert_hosts or (_wildcard(host) or "") in self.cert_hosts

    def route(self, *, host: str, path: str = "/", scheme: str = "http") -> Route:
        server = self.server_for(host)
        uri, request_uri = _normalize_path(path)
        loc = self.location_for(server, uri)
        tls = self.has_certificate(host)
        common = {
            "ingress": loc.ingress,
            "tls": tls,
            "server": server.host,
            "path": loc.rule_path,
            "path_type": loc.path_type,
            "default_backend": loc.rule_path is None,
        }
        if scheme == "http" and (loc.force_ssl_redirect or (loc.ssl_redirect and tls)):
            target = request_uri[:-1] if request_uri.endswith("/") else request_uri
            where = f"https://{_normalize_host(host)}{target}"
            return Route(308, location=where, **common)
        certificate = None
        if scheme == "https":
            certificate = server.certificate if tls else FAKE_CERTIFICATE
        if loc.service is None:
            return Route(404, certificate=certificate, **common)
        return Route(
            None,
            namespace=loc.namespace,
            service=loc.service,
            port=loc.port,
            certificate=certificate,
            **common,
        )


def _server_of(api):
    """An APIServer from a Cluster, an APIServer or a component Client."""
    inner = getattr(api, "api", None)
    if inner is not None and hasattr(inner, "store"):
        return inner
    if hasattr(api, "store"):
        return api
    server = getattr(api, "server", None)
    if server is not None and hasattr(server, "store"):
        return server
    raise TypeError("route_request needs a kl.Cluster, an APIServer or an API client")


_ROUTER_KINDS = ("Ingress", "IngressClass", "Secret")  # what the compiled table reads


class _RouterCache:
    """The compiled table of one API server, dropped when one of :data:`_ROUTER_KINDS` is
    written (a pod or node write, many a second, leaves it alone)."""

    def __init__(self, server):
        self.router: Router | None = None
        for kind in _ROUTER_KINDS:
            server.store.watch(kind, self._changed)

    def _changed(self, *_event) -> None:
        self.router = None


def router_for(api) -> Router:
    """The compiled :class:`Router` for the cluster's current Ingresses (cached until an
    Ingress, IngressClass or Secret changes)."""
    server = _server_of(api)
    cache = getattr(server, "_kubelab_ingress_router", None)
    if cache is None:
        cache = server._kubelab_ingress_router = _RouterCache(server)
    if cache.router is None:
        cache.router = Router.from_objects(*(server.list(kind) for kind in _ROUTER_KINDS))
    return cache.router


def route_request(api, *, host: str, path: str = "/", scheme: str = "http") -> Route:
    """What ingress-nginx does with ``scheme://host/path``.

    ``api`` is a ``kl.Cluster``, its ``APIServer`` or a component's client. The result is a
    frozen :class:`Route`; see the module docstring for who decides 404, 308 and 503.
    """
    if scheme not in ("http", "https"):
        raise ValueError(f'scheme must be "http" or "https", not {scheme!r}')
    return router_for(api).route(host=host, path=path, scheme=scheme)
