"""The nginx configuration ingress-nginx builds from Ingress objects: servers and locations.

A faithful, small model of ``getBackendServers`` / ``createServers`` /
``updateServerLocations`` (``internal/ingress/controller/controller.go`` and
``location.go`` in kubernetes/ingress-nginx):

* Ingresses are taken oldest first (``sortIngressSlice``: creationTimestamp, ties by
  ``namespace/name`` descending); the first Ingress to define a host or a path wins.
* One **server** per host; rules without a host go to the catch-all server ``_``.
  Every server starts with a root location ``/`` on the default backend: the controller's
  own (which answers 404) or, for hosts first defined by an Ingress that has
  ``spec.defaultBackend``, that Service. An Ingress with a default backend and *no* rules
  takes over the catch-all server's root.
* **Locations**: ``Exact /p`` is ``location = /p``; ``Prefix /p`` is ``location /p/`` plus
  ``location = /p`` (unless an Exact ``/p`` exists); ``ImplementationSpecific /p`` is
  ``location /p``, a plain string prefix (regex only with ``use-regex``, not simulated).
* **Regular expressions**: when any location of a server has ``use-regex: "true"`` or a
  ``rewrite-target`` other than its path, *every* location of that server becomes
  ``location ~* "^path"``: a case-insensitive regex prefix, tried longest first (so then
  ``Prefix /api`` also matches ``/APIs``, and ``Exact`` is a prefix too).
* **Certificates**: the first Ingress whose TLS section covers a host gives its server the
  Secret's certificate; a missing or malformed Secret, or a host of an Ingress with a TLS
  section that does not list it, gets the controller's default fake certificate.

Simplifications (documented): nginx's automatic ``301`` for ``/p`` when only ``/p/`` is
configured is not simulated: ``Prefix /p/`` also matches ``/p`` as the Ingress
specification's table says; certificates are not parsed, so a certificate is never chosen
by its SAN; canary Ingresses are ignored; resource backends fall back to the default backend.

Examples
--------
>>> ing = {"metadata": {"name": "web", "namespace": "default", "creationTimestamp": "t"},
...        "spec": {"rules": [{"host": "a.com", "http": {"paths": [
...            {"path": "/api", "pathType": "Prefix",
...             "backend": {"service": {"name": "api", "port": {"number": 80}}}}]}}]}}
>>> servers = build_servers([ing], secrets={})
>>> [(loc.kind, loc.path, loc.service) for loc in servers["a.com"].locations]
[('prefix', '/api/', 'api'), ('exact', '/api', 'api'), ('prefix', '/', None)]
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "CATCH_ALL",
    "FAKE_CERTIFICATE",
    "Location",
    "Server",
    "build_servers",
    "sort_ingresses",
]

CATCH_ALL = "_"
FAKE_CERTIFICATE = "default-fake-certificate"
_TRUE = ("true", "True", "TRUE", "1", "t", "T")
_FALSE = ("false", "False", "FALSE", "0", "f", "F")


@dataclass
class Location:
    """One nginx ``location``: how a request path matches and where it goes."""

    kind: str  # "exact" (location = path) or "prefix" (location path)
    path: str  # the nginx location path
    namespace: str = ""
    service: str | None = None  # None: the controller's default backend (404)
    port: int | str | None = None
    ingress: str | None = None  # the Ingress that defined it
    rule_path: str | None = None  # the path as written in the Ingress
    path_type: str | None = None
    default: bool = True  # a root location on a default backend
    ssl_redirect: bool = True
    force_ssl_redirect: bool = False
    rewrite_target: str = ""  # nginx.ingress.kubernetes.io/rewrite-target
    use_regex: bool = False  # nginx.ingress.kubernetes.io/use-regex

    @property
    def needs_rewrite(self) -> bool:
        """``needsRewrite``: a rewrite target other than the path itself."""
        return bool(self.rewrite_target) and self.rewrite_target != self.path


@dataclass
class Server:
    """One nginx ``server``: a host name, its locations and its certificate."""

    host: str
    locations: list[Location] = field(default_factory=list)
    certificate: str | None = None  # "namespace/secret", FAKE_CERTIFICATE or None
    regex: bool = False  # enforceRegexModifier: every location is ~* "^path"


def sort_ingresses(ingresses) -> list[dict]:
    """``sortIngressSlice``: oldest first; equal timestamps by ``namespace/name`` descending."""
    by_key = sorted(
        ingresses,
        key=lambda i: f"{i['metadata'].get('namespace', '')}/{i['metadata']['name']}",
        reverse=True,
    )
    return sorted(by_key, key=lambda i: i["metadata"].get("creationTimestamp") or "")


def _bool_annotation(annotations: dict, name: str, default: bool) -> bool:
    value = annotations.get(f"nginx.ingress.kubernetes.io/{name}")
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    return default


def _service_backend(backend) -> tuple[str, int | str] | None:
    service = (backend or {}).get("service") if isinstance(backend, dict) else None
    if not isinstance(service, dict) or not service.get("name"):
        return None
    port = service.get("port") or {}
    return service["name"], port.get("number") or port.get("name")


def _annotated(loc: Location, annotations: dict) -> Location:
    loc.ssl_redirect = _bool_annotation(annotations, "ssl-redirect", True)
    loc.force_ssl_redirect = _bool_annotation(annotations, "force-ssl-redirect", False)
    loc.rewrite_target = annotations.get("nginx.ingress.kubernetes.io/rewrite-target") or ""
    loc.use_regex = _bool_annotation(annotations, "use-regex", False)
    return loc


def _root(ns: str, backend, name: str | None, annotations: dict) -> Location:
    target = _service_backend(backend)
    loc = Location("prefix", "/", ns, ingress=name, default=True)
    if target is not None:
        loc.service, loc.port = target
    return _annotated(loc, annotations)


def _is_canary(annotations: dict) -> bool:
    return _bool_annotation(annotations, "canary", False)


def _tls_secret(host: str, ingress: dict) -> str:
    """``extractTLSSecretName``: the secretName of the TLS entry listing ``host`` (or "")."""
    lowered = host.lower()
    for tls in ingress["spec"].get("tls") or []:
        for tls_host in (tls or {}).get("hosts") or []:
            if isinstance(tls_host, str) and tls_host.lower() == lowered:
                return (tls or {}).get("secretName") or ""
    return ""


def _certificate(ns: str, secret_name: str, secrets: dict) -> str:
    secret = secrets.get((ns, secret_name)) if secret_name else None
    data = (secret or {}).get("data") or {}
    if secret is None or not data.get("tls.crt") or not data.get("tls.key"):
        return FAKE_CERTIFICATE
    return f"{ns}/{secret_name}"


def build_servers(ingresses, secrets: dict, *, presorted: bool = False) -> dict[str, Server]:
    """nginx servers by host name for the served ``ingresses``.

    ``secrets`` maps ``(namespace, name)`` to Secret objects (only TLS lookups use it).
    ``presorted`` keeps the given order (the admission webhook appends the new Ingress last).
    """
    ordered = list(ingresses) if presorted else sort_ingresses(ingresses)
    data = [i for i in ordered if not _is_canary(_annotations(i))]
    servers: dict[str, Server] = {CATCH_ALL: Server(CATCH_ALL, [_root("", None, None, {})])}
    servers[CATCH_ALL].certificate = FAKE_CERTIFICATE
    for ing in data:  # createServers: one server per new host
        ns, name, spec, ann = _ns(ing), ing["metadata"]["name"], ing["spec"], _annotations(ing)
        default_backend = spec.get("defaultBackend")
        rules = spec.get("rules") or []
        catch_all_free = servers[CATCH_ALL].locations[0].default
        if _service_backend(default_backend) is not None and not rules and catch_all_free:
            servers[CATCH_ALL].locations[0] = _root(ns, default_backend, name, ann)
            servers[CATCH_ALL].locations[0].default = False
        for rule in rules:
            host = (rule or {}).get("host") or CATCH_ALL
            if host not in servers:
                servers[host] = Server(host, [_root(ns, default_backend, name, ann)])
    for ing in data:  # certificates: the first Ingress covering a host wins
        ns, spec = _ns(ing), ing["spec"]
        for rule in spec.get("rules") or []:
            server = servers[(rule or {}).get("host") or CATCH_ALL]
            if server.certificate is not None or not spec.get("tls"):
                continue
            server.certificate = _certificate(ns, _tls_secret(server.host, ing), secrets)
    for ing in data:  # getBackendServers: the locations
        ns, name, ann = _ns(ing), ing["metadata"]["name"], _annotations(ing)
        for rule in ing["spec"].get("rules") or []:
            server = servers[(rule or {}).get("host") or CATCH_ALL]
            for p in ((rule or {}).get("http") or {}).get("paths") or []:
                _add_location(server, ns, name, ann, p or {})
    for server in servers.values():
        server.locations = _update_locations(server.locations)
        server.regex = any(loc.needs_rewrite or loc.use_regex for loc in server.locations)
    return servers


def _ns(ing: dict) -> str:
    return ing["metadata"].get("namespace") or "default"


def _annotations(ing: dict) -> dict:
    return ing["metadata"].get("annotations") or {}


def _add_location(server: Server, ns: str, name: str, ann: dict, p: dict) -> None:
    target = _service_backend(p.get("backend"))
    if target is None:  # resource backends: "using default backend"
        return
    path = p.get("path") or "/"
    path_type = p.get("pathType") or "ImplementationSpecific"
    for loc in server.locations:
        if loc.path != path:
            continue
        if loc.default and path_type != "Exact":
            # a "/" rule replaces the root location that points at the default backend
            loc.namespace, (loc.service, loc.port) = ns, target
            loc.ingress, loc.rule_path, loc.path_type, loc.default = name, path, path_type, False
            _annotated(loc, ann)
            return
        if loc.path_type == path_type:
            return  # "Location already configured": the older Ingress keeps it
        break  # same path, another type: both locations exist
    kind = "exact" if path_type == "Exact" else "prefix"
    loc = Location(kind, path, ns, target[0], target[1], name, path, path_type, default=False)
    server.locations.append(_annotated(loc, ann))


def _update_locations(locations: list[Location]) -> list[Location]:
    """``updateServerLocations``: ``Prefix /p`` becomes ``location /p/`` and ``location = /p``.

    Locations that rewrite or use regular expressions stay as they are. The result is in
    nginx's order: by path, then longest first (exact matches go by equality anyway).
    """
    exact = {loc.path for loc in locations if loc.kind == "exact"}
    result: list[Location] = []
    for loc in locations:
        if loc.path == "/" or loc.path_type != "Prefix" or loc.needs_rewrite or loc.use_regex:
            result.append(loc)
            continue
        bare = loc.path.rstrip("/") or "/"
        prefix = Location(**{**loc.__dict__, "path": bare + "/"})
        result.append(prefix)
        if bare not in exact:  # kubelab: the Exact twin is the path without its slash
            exact.add(bare)
            result.append(Location(**{**loc.__dict__, "kind": "exact", "path": bare}))
    result.sort(key=lambda loc: loc.path, reverse=True)
    result.sort(key=lambda loc: len(loc.path), reverse=True)
    return result
