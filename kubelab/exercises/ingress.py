"""Checks for lesson 10 (Ingress: host and path routing, default backends, TLS).

Each check prints one ``✅`` line or raises :class:`~kubelab.exercises.CheckFailed` with one
``❌`` line. An Ingress is tried on a scratch seeded cluster running the lesson's apps
(``data/ingress-apps.yaml``: web, api, blog); the truth of a prediction comes from routing the
request there, exactly as :func:`kubelab.ingress.route_request` does.

>>> check_ingress_prediction({"http://shop.example.com/apis": "web"})
✅ All 1 predictions right: ingress-nginx answers exactly that.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any

from kubelab.exercises.checks import (
    _cluster,
    _expect_kind,
    _fail,
    _load,
    _not_answered,
    _ok,
    course_file,
    yaml_documents,
)

__all__ = [
    "ROUTING_TASK",
    "TLS_TASK",
    "check_ingress_prediction",
    "check_ingress_routes",
    "check_tls_ingress",
    "outcome",
]

# Exercise 10.1: what the learner's Ingress must do (URL → Service, or the status).
ROUTING_TASK: dict[str, str | int] = {
    "http://shop.example.com/": "web",
    "http://shop.example.com/cart/42": "web",
    "http://shop.example.com/api": "api",
    "http://shop.example.com/api/items?page=2": "api",
    "http://shop.example.com/apis": "web",
    "http://blog.example.com/": "blog",
    "http://blog.example.com/2025/hello": "blog",
    "http://www.example.com/": 404,
    "http://203.0.113.7/": 404,
}

# Exercise 10.3: https for shop.example.com only; blog stays plain http.
TLS_TASK: dict[str, str | int] = {
    "http://shop.example.com/api/items": 308,
    "https://shop.example.com/api/items": "api",
    "https://shop.example.com/": "web",
    "http://blog.example.com/": "blog",
    "http://www.example.com/": 404,
}


@functools.lru_cache(maxsize=1)
def _apps_documents() -> tuple:
    from kubelab.api.loader import load

    return tuple(d.obj for d in load(course_file("ingress-apps.yaml").read_text()))


def _scratch(*manifests) -> Any:
    """A seeded cluster running the lesson's apps, then ``manifests`` applied (in order)."""
    import copy

    c = _cluster()
    for doc in _apps_documents():
        c.apply(copy.deepcopy(doc))
    for m in manifests:
        c.apply(m)
    c.run(30)
    return c


def outcome(c, url: str) -> str | int:
    """The Service name a request reaches, or the status ingress-nginx answers itself."""
    from kubelab.ingress import parse_url, route_request

    scheme, host, path = parse_url(url)
    route = route_request(c, host=host, path=path, scheme=scheme)
    return route.service if route.status is None else route.status


def _describe(value) -> str:
    return {308: "a 308 redirect to https", 404: "404 (the default backend)"}.get(
        value, f"Service {value!r}" if isinstance(value, str) else str(value)
    )


def _try_table(c, table: Mapping[str, str | int]) -> None:
    from kubelab.ingress import explain

    for url, expected in table.items():
        got = outcome(c, url)
        if got != expected:
            why = explain(c, url).splitlines()[1:]
            _fail(
                f"{url} reaches {_describe(got)}, expected {_describe(expected)}. "
                f"Here is why: {'; '.join(line.strip() for line in why)}."
            )


def _apply_ingress(ingress: Any, what: str):
    import kubelab as kl

    ing = _load(ingress, what)
    _expect_kind(ing, "Ingress", "networking.k8s.io/v1")
    try:
        c = _scratch()
        c.apply(ing)
        c.run(1)
    except kl.KubelabError as err:
        _fail(f"the API server refuses it: {err}")
    return c, ing


def check_ingress_routes(ingress: Any, table: Mapping[str, str | int] | None = None) -> None:
    """An Ingress that routes every URL of ``table`` (default :data:`ROUTING_TASK`) as asked."""
    table = ROUTING_TASK if table is None else table
    c, ing = _apply_ingress(ingress, "your Ingress")
    _try_table(c, table)
    _ok(f'Ingress "{ing["metadata"].get("name")}" routes all {len(table)} URLs as asked.')


def check_tls_ingress(manifests: Any, table: Mapping[str, str | int] | None = None) -> None:
    """A TLS Secret plus an Ingress (a list, or YAML with two documents) that serve
    shop.example.com over https, redirect its http, and leave blog.example.com on http."""

    import kubelab as kl

    _not_answered(manifests, "your manifests")
    docs = manifests
    if isinstance(manifests, str):
        docs = yaml_documents(manifests)
    if isinstance(docs, Mapping):
        docs = [docs]
    docs = [_load(d, "each manifest") for d in docs]
    kinds = sorted(d.get("kind") for d in docs)
    if "Secret" not in kinds or "Ingress" not in kinds:
        _fail(f"give a Secret (type kubernetes.io/tls) and an Ingress, not {kinds}.")
    secret = next(d for d in docs if d.get("kind") == "Secret")
    if secret.get("type") != "kubernetes.io/tls":
        _fail(f'the Secret\'s type should be "kubernetes.io/tls", not {secret.get("type")!r}.')
    try:
        c = _scratch(*docs)
    except kl.KubelabError as err:
        _fail(f"the API server refuses it: {err}")
    name = secret["metadata"].get("name")
    https = outcome(c, "https://shop.example.com/")
    from kubelab.ingress import route_request

    cert = route_request(c, host="shop.example.com", path="/", scheme="https").certificate
    if https == "web" and cert != f"default/{name}":
        _fail(
            f"https://shop.example.com/ is served with {cert}, not your Secret {name!r}: list "
            "shop.example.com under spec.tls[].hosts with secretName: " + str(name) + "."
        )
    _try_table(c, TLS_TASK if table is None else table)
    _ok(
        f"shop.example.com is served over https with {name}; http is redirected; blog stays on http."
    )


def check_ingress_prediction(
    answers: Any, *, manifests: tuple[str, ...] | None = None, urls: Iterable[str] = ()
) -> None:
    """Predicted outcomes (``{url: service name or status}``) for the lesson's Ingresses.

    ``manifests`` are course files applied after the apps (default: the shop and blog
    Ingresses and the fallback default backend). ``urls``: the questions every answer must
    cover (so that deleting the hard ones is not a way to pass).
    """
    _not_answered(answers, "your predictions")
    if not isinstance(answers, Mapping) or not answers:
        _fail("give a dict {url: 'service name' or status code}, e.g. {'http://a/': 404}.")
    missing = [url for url in urls if url not in answers]
    if missing:
        _fail(f"predict every URL of the exercise; missing: {', '.join(missing)}.")
    files = manifests or ("ingress-shop.yaml", "ingress-blog.yaml")
    c = _scratch(*(str(course_file(f)) for f in files))
    for url, guess in answers.items():
        _not_answered(guess, f"your prediction for {url}")
        if isinstance(guess, str) and guess.isdigit():
            guess = int(guess)
        truth = outcome(c, url)
        if guess != truth:
            from kubelab.ingress import explain

            why = "; ".join(line.strip() for line in explain(c, url).splitlines()[1:])
            _fail(f"{url}: you said {_describe(guess)}, but it reaches {_describe(truth)} ({why}).")
    _ok(f"All {len(answers)} predictions right: ingress-nginx answers exactly that.")
