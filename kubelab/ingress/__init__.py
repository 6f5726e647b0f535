"""Ingress: how ingress-nginx routes HTTP requests from Ingress objects.

* :mod:`~kubelab.ingress.classes`: which Ingresses ingress-nginx serves (IngressClass);
* :mod:`~kubelab.ingress.admission`: the API server's ``DefaultIngressClass`` plugin;
* :mod:`~kubelab.ingress.webhook`: ingress-nginx's validating webhook (overlaps, path types);
* :mod:`~kubelab.ingress.nginx`: the nginx servers and locations built from the Ingresses;
* :mod:`~kubelab.ingress.routing`: :func:`route_request`, one request's fate;
* :mod:`~kubelab.ingress.controller`: the controller component (status address, events);
* :mod:`~kubelab.ingress.explain`: :func:`explain`, :func:`response`, :func:`routing_table`.

>>> from kubelab.ingress import route_request, Route
>>> Route(404).status
404
"""

from kubelab.ingress.classes import CONTROLLER, DEFAULT_CLASS_ANNOTATION
from kubelab.ingress.explain import explain, parse_url, ready_endpoints, response, routing_table
from kubelab.ingress.routing import Route, Router, route_request, router_for

__all__ = [
    "CONTROLLER",
    "DEFAULT_CLASS_ANNOTATION",
    "Route",
    "Router",
    "explain",
    "parse_url",
    "ready_endpoints",
    "response",
    "route_request",
    "router_for",
    "routing_table",
]
