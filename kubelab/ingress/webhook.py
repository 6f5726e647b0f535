"""ingress-nginx's validating admission webhook (``validate.nginx.ingress.kubernetes.io``).

minikube's ingress addon installs it, so the API server asks ingress-nginx about every Ingress
of its class before storing it (``CheckIngress`` in ``internal/ingress/controller``):

* **strict path types** (``strict-validate-path-type``, on by default): an ``Exact`` or
  ``Prefix`` path may only hold letters, digits, ``.``, ``_``, ``-`` and ``/``; regular
  expressions need ``ImplementationSpecific``::

    admission webhook "validate.nginx.ingress.kubernetes.io" denied the request: ingress
    contains invalid paths: path /api(/|$)(.*) cannot be used with pathType Prefix

* **no overlap**: a host and path another Ingress already routes is refused (unless one of
  them is a canary)::

    admission webhook "validate.nginx.ingress.kubernetes.io" denied the request: host
    "shop.example.com" and path "/" is already defined in ingress default/shop

Ingresses of other classes pass untouched.

Examples
--------
>>> invalid_paths({"spec": {"rules": [{"http": {"paths": [
...     {"path": "/api(/|$)(.*)", "pathType": "Prefix"}, {"path": "/v1.2/x_y", "pathType": "Exact"},
...     {"path": "/(.*)", "pathType": "ImplementationSpecific"}]}}]}})
['path /api(/|$)(.*) cannot be used with pathType Prefix']
"""

from __future__ import annotations

import re

from kubelab.apiserver.admission import AdmissionPlugin
from kubelab.errors import BadRequest
from kubelab.ingress.classes import our_classes, served
from kubelab.ingress.nginx import CATCH_ALL, build_servers, sort_ingresses

__all__ = ["WEBHOOK", "IngressNginxAdmission", "invalid_paths", "overlap"]

WEBHOOK = "validate.nginx.ingress.kubernetes.io"
_VALID_PATH = re.compile(r"^/[A-Za-z0-9._\-/]*$")  # inspector.validPathType


def invalid_paths(ingress: dict) -> list[str]:
    """``inspector.ValidatePathType``: Exact and Prefix paths without regex characters."""
    errors = []
    for rule in (ingress.get("spec") or {}).get("rules") or ():
        for p in ((rule or {}).get("http") or {}).get("paths") or ():
            path, kind = (p or {}).get("path") or "", (p or {}).get("pathType")
            if path and kind != "ImplementationSpecific" and not _VALID_PATH.match(path):
                errors.append(f"path {path} cannot be used with pathType {kind}")
    return errors


def _canary(ingress: dict) -> str | None:
    annotations = ingress["metadata"].get("annotations") or {}
    return annotations.get("nginx.ingress.kubernetes.io/canary")


def overlap(ingress: dict, others: list[dict]) -> str | None:
    """``checkOverlap``: the message when another Ingress already routes one of its paths."""
    meta = ingress["metadata"]
    key = (meta.get("namespace") or "default", meta["name"])
    servers = build_servers([*others, ingress], {}, presorted=True)
    by_key = {
        (o["metadata"].get("namespace") or "default", o["metadata"]["name"]): o for o in others
    }
    for rule in (ingress.get("spec") or {}).get("rules") or ():
        host = (rule or {}).get("host") or CATCH_ALL
        for p in ((rule or {}).get("http") or {}).get("paths") or ():
            if not ((p or {}).get("backend") or {}).get("service"):
                continue
            path = (p or {}).get("path") or "/"
            owners = [
                (loc.namespace, loc.ingress)
                for loc in servers[host].locations
                if loc.rule_path is not None and path in (loc.path, loc.rule_path)
            ]
            if not owners:
                continue
            if key in owners:
                return None  # upstream stops at the first path it finds defined
            for owner in owners:
                mine, theirs = _canary(ingress), _canary(by_key.get(owner) or {"metadata": {}})
                if (mine is None and theirs is None) or (mine == theirs == "true"):
                    return (
                        f'host "{host}" and path "{path}" is already defined in ingress '
                        f"{owner[0]}/{owner[1]}"
                    )
            return None
    return None


class IngressNginxAdmission(AdmissionPlugin):
    """Validating: ingress-nginx's ``CheckIngress`` for the Ingresses of its class."""

    kinds = ("Ingress",)

    def validate(self, api, obj: dict, old: dict | None, *, dry_run: bool) -> None:
        if obj["metadata"].get("deletionTimestamp"):
            return
        classes = our_classes(api.list("IngressClass"))
        if not served(obj, classes):
            return
        bad = invalid_paths(obj)
        if bad:
            raise BadRequest(_denied("ingress contains invalid paths: " + "\n".join(bad)))
        meta = obj["metadata"]
        key = (meta.get("namespace") or "default", meta["name"])
        others = [
            i
            for i in sort_ingresses(api.list("Ingress"))
            if served(i, classes)
            and (i["metadata"].get("namespace") or "default", i["metadata"]["name"]) != key
        ]
        message = overlap(obj, others)
        if message:
            raise BadRequest(_denied(message))


def _denied(message: str) -> str:
    return f'admission webhook "{WEBHOOK}" denied the request: {message}'
