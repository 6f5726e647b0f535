"""Ingress as ingress-nginx serves it: path and host matching, default backends, TLS, status.

The path table and the host-wildcard table are the Kubernetes documentation's own
("Examples" under *Path types*, and *Hostname wildcards* in
content/en/docs/concepts/services-networking/ingress.md); the docs' example manifests are
routed exactly as the page that shows them says.
"""

from __future__ import annotations

import pytest
from conftest import CORPUS_DIR  # not test_docs_corpus: that would skip the whole module
from hypothesis import given
from hypothesis import strategies as st

import kubelab as kl
from kubelab.ingress import Router, route_request
from kubelab.ingress.classes import nginx_class_manifest
from kubelab.ingress.explain import explain, parse_url, response, routing_table

NGINX = nginx_class_manifest()


def backend(name: str, port=80) -> dict:
    key = "number" if isinstance(port, int) else "name"
    return {"service": {"name": name, "port": {key: port}}}


def ingress(name="ing", *, rules=None, default=None, tls=None, annotations=None, ts="", **spec):
    meta = {"name": name, "namespace": "default", "creationTimestamp": ts}
    if annotations:
        meta["annotations"] = annotations
    spec = {"ingressClassName": "nginx", **spec}
    if rules is not None:
        spec["rules"] = rules
    if default is not None:
        spec["defaultBackend"] = default
    if tls is not None:
        spec["tls"] = tls
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta, "spec": spec}


def paths(*items, host=None) -> dict:
    rule = {
        "http": {"paths": [{"path": p, "pathType": t, "backend": backend(s)} for p, t, s in items]}
    }
    if host:
        rule["host"] = host
    return rule


def router(*ingresses, secrets=()) -> Router:
    return Router.from_objects(list(ingresses), [NGINX], list(secrets))


def target(r: Router, path: str, host: str = "example.com", scheme="http") -> str | int:
    route = r.route(host=host, path=path, scheme=scheme)
    return route.service if route.status is None else route.status


# -- the documentation's path-matching table -------------------------------------------------
# (kind, rule paths, request path, matches?) — "matches" means served by a rule; the rule it
# picks is named by the last column (the backend is the rule path, or 404 for no match).
DOCS_TABLE = [
    ("Prefix", ["/"], "/anything/at/all", "/"),
    ("Exact", ["/foo"], "/foo", "/foo"),
    ("Exact", ["/foo"], "/bar", None),
    ("Exact", ["/foo"], "/foo/", None),
    ("Exact", ["/foo/"], "/foo", None),
    ("Prefix", ["/foo"], "/foo", "/foo"),
    ("Prefix", ["/foo"], "/foo/", "/foo"),
    ("Prefix", ["/foo/"], "/foo", "/foo/"),
    ("Prefix", ["/foo/"], "/foo/", "/foo/"),
    ("Prefix", ["/aaa/bb"], "/aaa/bbb", None),
    ("Prefix", ["/aaa/bbb"], "/aaa/bbb", "/aaa/bbb"),
    ("Prefix", ["/aaa/bbb/"], "/aaa/bbb", "/aaa/bbb/"),  # ignores trailing slash
    ("Prefix", ["/aaa/bbb"], "/aaa/bbb/", "/aaa/bbb"),  # matches trailing slash
    ("Prefix", ["/aaa/bbb"], "/aaa/bbb/ccc", "/aaa/bbb"),  # matches subpath
    ("Prefix", ["/aaa/bbb"], "/aaa/bbbxyz", None),  # does not match string prefix
    ("Prefix", ["/", "/aaa"], "/aaa/ccc", "/aaa"),
    ("Prefix", ["/", "/aaa", "/aaa/bbb"], "/aaa/bbb", "/aaa/bbb"),
    ("Prefix", ["/", "/aaa", "/aaa/bbb"], "/ccc", "/"),
    ("Prefix", ["/aaa"], "/ccc", None),  # uses default backend
]


def _svc(path: str, kind: str = "") -> str:
    return f"svc{kind}{path.replace('/', '-')}"


@pytest.mark.parametrize(("kind", "rule_paths", "request_path", "winner"), DOCS_TABLE)
def test_docs_path_matching_table(kind, rule_paths, request_path, winner):
    r = router(ingress(rules=[paths(*[(p, kind, _svc(p)) for p in rule_paths], host="a.com")]))
    expected = 404 if winner is None else _svc(winner)
    assert target(r, request_path, "a.com") == expected


def test_docs_mixed_row_prefers_exact():
    r = router(
        ingress(rules=[paths(("/foo", "Prefix", "prefix"), ("/foo", "Exact", "exact"), host="a")])
    )
    assert target(r, "/foo", "a") == "exact"
    assert target(r, "/foo/", "a") == "prefix"
    assert target(r, "/foo/x", "a") == "prefix"


def test_longest_match_wins_whatever_the_order():
    rules = [("/", "Prefix", "root"), ("/api/v1", "Prefix", "v1"), ("/api", "Prefix", "api")]
    r = router(ingress(rules=[paths(*rules, host="a")]))
    assert [target(r, p, "a") for p in ("/api/v1/x", "/api/v2", "/apix", "/")] == [
        "v1",
        "api",
        "root",
        "root",
    ]


def test_implementation_specific_is_an_nginx_string_prefix():
    r = router(ingress(rules=[paths(("/foo", "ImplementationSpecific", "impl"), host="a")]))
    assert [target(r, p, "a") for p in ("/foo", "/foo/bar", "/foobar", "/fo")] == [
        "impl",
        "impl",
        "impl",
        404,
    ]


@given(
    rule=st.lists(st.sampled_from(["a", "b", "bb"]), min_size=1, max_size=3),
    extra=st.lists(st.sampled_from(["a", "b", "bb", ""]), max_size=3),
)
def test_prefix_matches_exactly_the_element_wise_extensions(rule, extra):
    rule_path = "/" + "/".join(rule)
    request = "/" + "/".join(rule + extra)
    r = router(ingress(rules=[paths((rule_path, "Prefix", "p"), host="a")]))
    request_elems = [e for e in request.split("/") if e]
    expected = "p" if request_elems[: len(rule)] == rule else 404
    assert target(r, request, "a") == expected


# -- hosts -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("host_header", "expected"),
    [
        ("bar.foo.com", "wild"),  # matches based on shared suffix
        ("baz.bar.foo.com", 404),  # wildcard only covers a single DNS label
        ("foo.com", 404),  # wildcard only covers a single DNS label
        ("FOO.com", 404),
        ("Bar.Foo.com:80", "wild"),  # case and port do not matter
        ("exact.foo.com", "exact"),  # an exact host beats the wildcard
    ],
)
def test_docs_hostname_wildcards(host_header, expected):
    r = router(
        ingress(
            rules=[
                paths(("/", "Prefix", "wild"), host="*.foo.com"),
                paths(("/", "Prefix", "exact"), host="exact.foo.com"),
            ]
        )
    )
    assert target(r, "/", host_header) == expected


def test_rules_without_host_serve_unknown_hosts_and_ip_addresses():
    r = router(
        ingress(
            rules=[paths(("/", "Prefix", "named"), host="a.com"), paths(("/", "Prefix", "any"))]
        )
    )
    assert [target(r, "/", h) for h in ("a.com", "b.com", "192.168.0.2", "")] == [
        "named",
        "any",
        "any",
        "any",
    ]


# -- default backends --------------------------------------------------------------------------
def test_default_backend_without_rules_catches_everything():
    r = router(ingress(default=backend("fallback", 8080)))
    route = r.route(host="whatever.example", path="/x")
    assert (route.service, route.port, route.default_backend) == ("fallback", 8080, True)


def test_default_backend_with_rules_serves_the_unmatched_paths_of_its_hosts():
    r = router(
        ingress(default=backend("fallback"), rules=[paths(("/api", "Prefix", "api"), host="a")])
    )
    assert [target(r, p, "a") for p in ("/api/x", "/other")] == ["api", "fallback"]
    assert target(r, "/other", "unknown-host") == 404  # the catch-all server is not its own


def test_no_rule_and_no_default_backend_is_404():
    route = router().route(host="a", path="/")
    assert (route.status, route.service, route.ingress) == (404, None, None)


def test_the_oldest_ingress_wins_a_host_and_path_both_define():
    young = ingress(
        "young", rules=[paths(("/", "Prefix", "young"), host="a")], ts="2025-01-01T00:00:09Z"
    )
    old = ingress("old", rules=[paths(("/", "Prefix", "old"), host="a")], ts="2025-01-01T00:00:01Z")
    assert target(router(young, old), "/", "a") == "old"
    # created in the same second: namespace/name in descending order (sortIngressSlice)
    b = ingress("b", rules=[paths(("/", "Prefix", "b"), host="a")])
    a = ingress("a", rules=[paths(("/", "Prefix", "a"), host="a")])
    assert target(router(a, b), "/", "a") == "b"


def test_two_ingresses_merge_their_paths_for_one_host():
    one = ingress("one", rules=[paths(("/api", "Prefix", "api"), host="shop")])
    two = ingress("two", rules=[paths(("/", "Prefix", "web"), host="shop")])
    r = router(one, two)
    assert [target(r, p, "shop") for p in ("/api/cart", "/")] == ["api", "web"]
    assert r.route(host="shop", path="/").ingress == "two"


def test_ingresses_of_other_classes_are_ignored():
    other = ingress("other", rules=[paths(("/", "Prefix", "x"))], ingressClassName="traefik")
    legacy = ingress("legacy", rules=[paths(("/", "Prefix", "y"), host="l")])
    del legacy["spec"]["ingressClassName"]
    legacy["metadata"]["annotations"] = {"kubernetes.io/ingress.class": "nginx"}
    unclassed = ingress("none", rules=[paths(("/", "Prefix", "z"), host="n")])
    del unclassed["spec"]["ingressClassName"]
    r = router(other, legacy, unclassed)
    assert [target(r, "/", h) for h in ("x", "l", "n")] == [404, "y", 404]


# -- TLS ---------------------------------------------------------------------------------------
def tls_secret(name="shop-tls") -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "kubernetes.io/tls",
        "metadata": {"name": name, "namespace": "default"},
        "data": {"tls.crt": "Y2VydA==", "tls.key": "a2V5"},
    }


def test_tls_host_redirects_http_with_308_and_serves_https():
    ing = ingress(
        rules=[paths(("/", "Prefix", "web"), host="shop")],
        tls=[{"hosts": ["shop"], "secretName": "shop-tls"}],
    )
    r = router(ing, secrets=[tls_secret()])
    redirect = r.route(host="shop", path="/cart/?id=1")
    assert (redirect.status, redirect.location, redirect.tls) == (
        308,
        "https://shop/cart/?id=1",
        True,
    )
    assert r.route(host="shop", path="/cart/").location == "https://shop/cart"  # slash dropped
    secure = r.route(host="shop", path="/cart", scheme="https")
    assert (secure.status, secure.service, secure.certificate) == (None, "web", "default/shop-tls")


def test_missing_tls_secret_uses_the_fake_certificate_and_still_redirects():
    ing = ingress(
        rules=[paths(("/", "Prefix", "web"), host="shop")],
        tls=[{"hosts": ["shop"], "secretName": "absent"}],
    )
    r = router(ing)
    assert r.route(host="shop", path="/").status == 308
    assert r.route(host="shop", path="/", scheme="https").certificate == "default-fake-certificate"


def test_ssl_redirect_false_and_force_ssl_redirect():
    off = ingress(
        "off",
        rules=[paths(("/", "Prefix", "web"), host="shop")],
        tls=[{"hosts": ["shop"], "secretName": "shop-tls"}],
        annotations={"nginx.ingress.kubernetes.io/ssl-redirect": "false"},
    )
    forced = ingress(
        "forced",
        rules=[paths(("/", "Prefix", "blog"), host="blog")],
        annotations={"nginx.ingress.kubernetes.io/force-ssl-redirect": "true"},
    )
    r = router(off, forced, secrets=[tls_secret()])
    assert target(r, "/", "shop") == "web"
    assert r.route(host="blog", path="/x").status == 308  # no certificate, forced anyway
    plain = router(ingress(rules=[paths(("/", "Prefix", "web"), host="plain")]))
    assert target(plain, "/", "plain") == "web"  # no TLS: no redirect
    https = plain.route(host="plain", path="/", scheme="https")
    assert (https.service, https.certificate, https.tls) == (
        "web",
        "default-fake-certificate",
        False,
    )


# -- in a cluster: class, admission, controller, kubectl ----------------------------------------
@pytest.fixture
def shop():
    c = kl.Cluster(nodes=2, seed=0)
    c.apply(
        """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx, ports: [{containerPort: 80}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{name: http, port: 80, targetPort: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: api}
spec: {selector: {app: api}, ports: [{port: 8080}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop}
spec:
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {name: http}}}}
      - {path: /api, pathType: Prefix, backend: {service: {name: api, port: {number: 8080}}}}
"""
    )
    c.run(30)
    return c


def test_cluster_ships_the_default_nginx_class_and_defaults_new_ingresses(shop):
    ic = shop.get("IngressClass", "nginx")
    assert ic["spec"]["controller"] == "k8s.io/ingress-nginx"
    assert ic["metadata"]["annotations"]["ingressclass.kubernetes.io/is-default-class"] == "true"
    assert shop.get("Ingress", "shop")["spec"]["ingressClassName"] == "nginx"
    table = shop.kubectl("get ingressclass")
    assert table.splitlines()[0].split() == ["NAME", "CONTROLLER", "PARAMETERS", "AGE"]
    assert table.splitlines()[1].split()[:3] == ["nginx", "k8s.io/ingress-nginx", "<none>"]


def test_the_newest_default_class_wins_and_annotated_ingresses_keep_theirs(shop):
    shop.apply(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "IngressClass",
            "metadata": {
                "name": "other",
                "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"},
            },
            "spec": {"controller": "example.com/other"},
        }
    )
    shop.run(1)
    new = ingress("new", default=backend("web"))
    del new["spec"]["ingressClassName"]
    legacy = ingress(
        "legacy", default=backend("web"), annotations={"kubernetes.io/ingress.class": "nginx"}
    )
    del legacy["spec"]["ingressClassName"]
    shop.apply(new)
    shop.apply(legacy)
    assert shop.get("Ingress", "new")["spec"]["ingressClassName"] == "other"
    assert "ingressClassName" not in shop.get("Ingress", "legacy")["spec"]


def test_controller_sets_the_address_at_its_next_status_sync_and_records_sync_events(shop):
    # the status loop runs at start and every 60 s: an Ingress created at t=30 waits for t=60
    shop.apply(ingress("late", default=backend("web")))
    assert not (shop.get("Ingress", "late").get("status") or {}).get("loadBalancer")
    row = shop.kubectl("get ingress late").splitlines()[1].split()
    assert row == ["late", "nginx", "*", "80", "0s"]  # ADDRESS still empty
    shop.run(29)
    assert not (shop.get("Ingress", "late").get("status") or {}).get("loadBalancer")
    shop.run(1)
    node_ip = next(
        a["address"]
        for a in shop.get("Node", "node-1")["status"]["addresses"]
        if a["type"] == "InternalIP"
    )
    assert shop.get("Ingress", "late")["status"] == {"loadBalancer": {"ingress": [{"ip": node_ip}]}}
    assert shop.kubectl("get ingress late").splitlines()[1].split()[3] == node_ip
    events = [e for e in shop.events.itertuples() if e.reason == "Sync"]
    assert events and {e.message for e in events} == {"Scheduled for sync"}
    text = shop.kubectl("describe ingress late")
    assert "(x2 over 30s)  nginx-ingress-controller  Scheduled for sync" in text


def test_describe_ingress_rules_table_with_endpoints(shop):
    shop.run(30)
    text = shop.kubectl("describe ingress shop")
    lines = text.splitlines()
    assert lines[0] == "Name:             shop"
    assert "Ingress Class:    nginx" in lines
    assert "Default backend:  <default>" in lines
    rules = lines[lines.index("Rules:") + 1 :]
    assert rules[0].split() == ["Host", "Path", "Backends"]
    assert rules[2].strip() == "shop.example.com"
    pod_ips = sorted(p["status"]["podIP"] for p in shop.list("Pod"))
    web = next(line for line in rules if line.strip().startswith("/ "))
    assert web.split() == ["/", "web:http", "(" + ",".join(f"{ip}:80" for ip in pod_ips) + ")"]
    # the api Service has an EndpointSlice without endpoints: formatEndpointSlices gives ""
    api = next(line for line in rules if line.strip().startswith("/api"))
    assert api.split() == ["/api", "api:8080", "()"]
    assert "api:8080 (<error" not in text


def test_responses_in_a_cluster(shop):
    assert response(shop, "shop.example.com/") == 200
    assert response(shop, "shop.example.com/api/items") == 503  # no ready endpoints
    assert response(shop, "other.example.com/") == 404
    assert "503 Service Temporarily Unavailable" in explain(shop, "shop.example.com/api")
    assert "server:   _ (catch-all" in explain(shop, "nope.example.com/")
    table = routing_table(shop)
    assert ("shop.example.com", "/api/", "api:8080") in set(
        zip(table.server, table.location, table.backend, strict=True)
    )


def test_route_request_takes_a_cluster_an_apiserver_or_a_client_and_refuses_bad_input(shop):
    via = [
        route_request(x, host="shop.example.com", path="/api")
        for x in (shop, shop.api, shop.api.client("someone"))
    ]
    assert via[0] == via[1] == via[2] and via[0].service == "api"
    with pytest.raises(ValueError, match="scheme"):
        route_request(shop, host="a", path="/", scheme="ftp")
    with pytest.raises(TypeError, match="route_request needs"):
        route_request(object(), host="a")


def test_parse_url():
    assert parse_url("HTTPS://a.com") == ("https", "a.com", "/")
    assert parse_url("a.com?x=1") == ("http", "a.com", "/?x=1")
    assert parse_url("a.com/p/q") == ("http", "a.com", "/p/q")


def test_routing_follows_changes_to_ingresses(shop):
    assert route_request(shop, host="shop.example.com", path="/api").service == "api"
    shop.delete("Ingress", "shop")
    assert route_request(shop, host="shop.example.com", path="/api").status == 404


# -- the documentation's example manifests -----------------------------------------------------
needs_corpus = pytest.mark.skipif(not CORPUS_DIR.is_dir(), reason="docs corpus absent")


def _corpus_cluster(*names):
    c = kl.Cluster(nodes=1, seed=0)
    for name in names:
        c.apply(str(CORPUS_DIR / "service" / "networking" / name))
    return c


def _to(c, url):
    scheme, host, path = parse_url(url)
    route = route_request(c, host=host, path=path, scheme=scheme)
    return route.service if route.status is None else route.status


@needs_corpus
def test_docs_name_virtual_hosting():
    c = _corpus_cluster("name-virtual-host-ingress.yaml")
    assert [_to(c, u) for u in ("foo.bar.com/", "bar.foo.com/x", "other.com/")] == [
        "service1",
        "service2",
        404,
    ]
    c = _corpus_cluster("name-virtual-host-ingress-no-third-host.yaml")
    # "any traffic to the IP address without a hostname defined in request ... to service3"
    assert [_to(c, u) for u in ("first.bar.com/", "second.bar.com/", "192.168.0.2/", "x.com/")] == [
        "service1",
        "service2",
        "service3",
        "service3",
    ]


@needs_corpus
def test_docs_wildcard_host_example():
    c = _corpus_cluster("ingress-wildcard-host.yaml")
    assert _to(c, "foo.bar.com/bar") == "service1"
    assert _to(c, "bar.foo.com/foo") == "service2"
    assert _to(c, "baz.bar.foo.com/foo") == 404
    assert _to(c, "foo.com/foo") == 404
    assert _to(c, "foo.bar.com/foo") == 404


@needs_corpus
def test_docs_single_service_ingress_and_tls_example():
    c = _corpus_cluster("test-ingress.yaml")
    assert {_to(c, u) for u in ("a.com/", "b.org/x/y", "10.0.0.1/")} == {"test"}
    c = _corpus_cluster("tls-example-ingress.yaml")
    assert _to(c, "https-example.foo.com/") == 308
    assert _to(c, "https://https-example.foo.com/") == "service1"


@needs_corpus
def test_docs_minikube_example_and_minimal_ingress():
    c = _corpus_cluster("example-ingress.yaml")
    route = route_request(c, host="hello-world.example", path="/")
    assert (route.service, route.port) == ("web", 8080)
    c = _corpus_cluster("minimal-ingress.yaml")
    assert _to(c, "any.host/testpath") == 404  # class nginx-example is nobody's
    c.apply(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "IngressClass",
            "metadata": {"name": "nginx-example"},
            "spec": {"controller": "k8s.io/ingress-nginx"},
        }
    )
    assert _to(c, "any.host/testpath/x") == "test"
    assert _to(c, "any.host/other") == 404


@needs_corpus
def test_docs_resource_backends_and_a_foreign_default_class():
    c = _corpus_cluster("ingress-resource-backend.yaml")
    assert _to(c, "a.com/icons") == 404  # ingress-nginx: resource backends → default backend
    c = _corpus_cluster("default-ingressclass.yaml", "test-ingress.yaml")
    assert c.get("Ingress", "test-ingress")["spec"]["ingressClassName"] == "example-class"
    assert _to(c, "a.com/") == 404  # served by example-class's controller, not nginx


# -- pictures and the lab ----------------------------------------------------------------------
def test_draw_ingress_routes_draws_hosts_paths_and_backends(shop):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from kubelab.viz import draw_ingress_routes

    ax = draw_ingress_routes(shop)
    texts = {t.get_text() for t in ax.texts}
    assert {"shop.example.com", "any other host", "/ (Prefix)", "/api (Prefix)"} <= texts
    assert "svc/web:http\n2 ready" in texts and "svc/api:8080\n0 ready" in texts
    assert "404 default backend" in texts
    plt.close(ax.figure)


def test_ingress_lab_routes_sends_and_counts(shop):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from kubelab.viz import IngressLab, plot_ingress_traffic

    lab = IngressLab(shop)
    assert lab.hosts() == ["shop.example.com", "unknown.example"]
    assert lab.paths() == ["/", "/api", "/nothing/here"]
    assert lab.answer("shop.example.com", "/") == "200 OK → default/web:http"
    assert (
        lab.answer("shop.example.com", "/api/x")
        == "503 Service Temporarily Unavailable → default/api:8080"
    )
    assert lab.answer("unknown.example", "/") == "404 Not Found"
    assert lab.counts() == {}
    lab.send("shop.example.com", "/", rps=5, duration=2)
    lab.send("unknown.example", "/", rps=5, duration=2)
    lab.send("shop.example.com", "/api", rps=5, duration=2)
    assert lab.counts() == {"404": 10, "default/api": 10, "default/web": 10}
    ax = plot_ingress_traffic(lab.traffic())
    assert [t.get_text() for t in ax.get_xticklabels()] == ["404", "default/api", "default/web"]
    plt.close(ax.figure)
    lab._build()  # the widget, driven without a browser
    lab.host.value, lab.path.value = "shop.example.com", "/apis"
    assert "200 OK → default/web:http" in lab.result.value and "Prefix /" in lab.result.value


# -- ingress-nginx's validating webhook ----------------------------------------------------------
def test_webhook_refuses_a_host_and_path_another_ingress_already_routes(shop):
    dup = ingress("copy", rules=[paths(("/", "Prefix", "web"), host="shop.example.com")])
    with pytest.raises(kl.KubelabError) as err:
        shop.apply(dup)
    assert str(err.value) == (
        'Error from server (BadRequest): admission webhook "validate.nginx.ingress.kubernetes.io" '
        'denied the request: host "shop.example.com" and path "/" is already defined in ingress default/shop'
    )
    assert err.value.code == 400
    # the same Ingress may be re-applied; another path on the same host is fine
    shop.apply(shop.get("Ingress", "shop"))
    shop.apply(ingress("more", rules=[paths(("/cart", "Prefix", "web"), host="shop.example.com")]))
    # another class is not ingress-nginx's business
    shop.apply(
        ingress(
            "elsewhere",
            rules=[paths(("/", "Prefix", "web"), host="shop.example.com")],
            ingressClassName="traefik",
        )
    )
    # canaries may overlap
    shop.apply(
        ingress(
            "canary",
            rules=[paths(("/", "Prefix", "web"), host="shop.example.com")],
            annotations={"nginx.ingress.kubernetes.io/canary": "true"},
        )
    )


def test_webhook_refuses_regex_paths_unless_implementation_specific(shop):
    bad = ingress(
        "rx",
        rules=[paths(("/api(/|$)(.*)", "Prefix", "api"), ("/v1/[a-z]+", "Exact", "api"), host="x")],
    )
    with pytest.raises(kl.KubelabError) as err:
        shop.apply(bad)
    assert str(err.value).endswith(
        "denied the request: ingress contains invalid paths: path /api(/|$)(.*) cannot be used "
        "with pathType Prefix\npath /v1/[a-z]+ cannot be used with pathType Exact"
    )
    with pytest.raises(kl.NotFound):
        shop.get("Ingress", "rx")
    shop.apply(
        ingress("rx", rules=[paths(("/api(/|$)(.*)", "ImplementationSpecific", "api"), host="x")])
    )


# -- validation details checked against pkg/apis/networking/validation ---------------------------
def test_validation_tls_secret_name_legacy_annotation_and_ip_tls_hosts():
    c = kl.Cluster(nodes=1, seed=0)
    bad_secret = ingress(
        "s", default=backend("web"), tls=[{"hosts": ["1.2.3.4"], "secretName": "Bad_Name"}]
    )
    with pytest.raises(kl.Invalid) as err:
        c.apply(bad_secret)
    assert str(err.value).startswith(
        'The Ingress "s" is invalid: spec.tls[0].secretName: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain'
    )
    assert "hosts[0]" not in str(err.value)  # an IP in tls.hosts is not refused by the API server
    mismatch = ingress(
        "m", default=backend("web"), annotations={"kubernetes.io/ingress.class": "traefik"}
    )
    with pytest.raises(kl.Invalid) as err:
        c.apply(mismatch)
    assert str(err.value) == (
        'The Ingress "m" is invalid: annotations.kubernetes.io/ingress.class: Invalid value: '
        '"traefik": must match `ingressClassName` when both are specified'
    )


def test_graph_has_routes_to_edges_from_ingress_to_its_services(shop):
    g = shop.graph
    edges = {
        (u[2], v[2]) for u, v, k in g.edges(keys=True) if k == "routes-to" and u[0] == "Ingress"
    }
    assert edges == {("shop", "web"), ("shop", "api")}


@given(
    host=st.text(max_size=30), path=st.text(max_size=30), scheme=st.sampled_from(["http", "https"])
)
def test_any_host_and_path_get_an_answer(host, path, scheme):
    r = router(
        ingress(
            rules=[paths(("/", "Prefix", "web"), ("/api", "Exact", "api"), host="a.com")],
            tls=[{"hosts": ["a.com"], "secretName": "x"}],
        )
    )
    route = r.route(host=host, path=path, scheme=scheme)
    assert (route.status is None) == (route.service is not None)
    assert route.status in (None, 308, 404)


def test_rewrite_target_or_use_regex_turns_every_path_of_the_host_into_a_regex_prefix():
    plain = ingress(
        "plain", rules=[paths(("/", "Prefix", "web"), ("/api", "Prefix", "api"), host="a")]
    )
    assert [target(router(plain), p, "a") for p in ("/apis", "/API/x", "/api/x")] == [
        "web",
        "web",
        "api",
    ]
    rewriting = ingress(
        "rw",
        rules=[paths(("/static", "Prefix", "static"), host="a")],
        annotations={"nginx.ingress.kubernetes.io/rewrite-target": "/"},
        ts="2025-01-01T00:00:05Z",
    )
    r = router(plain, rewriting)  # the rewrite in another Ingress changes the whole server
    assert [target(r, p, "a") for p in ("/apis", "/API/x", "/staticfiles", "/x")] == [
        "api",
        "api",
        "static",
        "web",
    ]
    assert target(r, "/apis", "b") == 404  # other hosts are untouched
    regex = ingress(
        "rx",
        rules=[
            paths(
                ("/v[0-9]+/users", "ImplementationSpecific", "users"),
                ("/", "Prefix", "web"),
                host="r",
            )
        ],
        annotations={"nginx.ingress.kubernetes.io/use-regex": "true"},
    )
    assert [target(router(regex), p, "r") for p in ("/v2/users/7", "/V10/USERS", "/vx/users")] == [
        "users",
        "users",
        "web",
    ]


def test_get_ingress_hosts_column_follows_format_hosts():
    c = kl.Cluster(nodes=1, seed=0)

    def rule(host):
        return paths(("/", "Prefix", "web"), host=host)

    c.apply(ingress("four", rules=[rule("a.com"), rule(None), rule("b.com"), rule("c.com")]))
    c.apply(ingress("five", rules=[rule(h) for h in ("a.org", "b.org", "c.org", "d.org", "e.org")]))
    rows = {line.split()[0]: line for line in c.kubectl("get ingress").splitlines()[1:]}
    assert rows["four"].split()[2] == "a.com,b.com,c.com"  # 4 rules, 3 hosts: nothing more
    assert "a.org,b.org,c.org + 2 more..." in rows["five"]
