"""Which Ingresses the simulated ingress-nginx serves (``internal/ingress/controller/store``).

ingress-nginx watches only the IngressClasses whose ``spec.controller`` is
``k8s.io/ingress-nginx``. An Ingress is served when

* ``spec.ingressClassName`` names one of those classes, or
* it has no class name and the legacy annotation ``kubernetes.io/ingress.class`` is
  ``nginx`` (the controller's ``--ingress-class``), or
* it has neither (the controller runs without ``--watch-ingress-without-class``, so such
  an Ingress is ignored: ``ingress does not contain a valid IngressClass``).

The third case is rare in practice: the API server's ``DefaultIngressClass`` admission
plugin (:mod:`kubelab.ingress.admission`) fills in ``spec.ingressClassName`` at creation
when one IngressClass carries ``ingressclass.kubernetes.io/is-default-class: "true"``, as
minikube's ingress addon marks its ``nginx`` class.

Examples
--------
>>> nginx = {"metadata": {"name": "nginx"}, "spec": {"controller": CONTROLLER}}
>>> served({"metadata": {}, "spec": {"ingressClassName": "nginx"}}, {"nginx"})
True
>>> served({"metadata": {"annotations": {INGRESS_CLASS_ANNOTATION: "traefik"}}, "spec": {}}, {"nginx"})
False
>>> is_default_class({"metadata": {"annotations": {DEFAULT_CLASS_ANNOTATION: "true"}}})
True
"""

from __future__ import annotations

__all__ = [
    "ANNOTATION_VALUE",
    "CLASS_NAME",
    "CONTROLLER",
    "DEFAULT_CLASS_ANNOTATION",
    "INGRESS_CLASS_ANNOTATION",
    "default_ingress_class",
    "is_default_class",
    "nginx_class_manifest",
    "our_classes",
    "served",
]

CONTROLLER = "k8s.io/ingress-nginx"
CLASS_NAME = "nginx"
ANNOTATION_VALUE = "nginx"
DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class"
INGRESS_CLASS_ANNOTATION = "kubernetes.io/ingress.class"


def is_default_class(ingress_class: dict) -> bool:
    """``IsDefaultAnnotation``: the annotation value is exactly ``"true"``."""
    annotations = (ingress_class.get("metadata") or {}).get("annotations") or {}
    return annotations.get(DEFAULT_CLASS_ANNOTATION) == "true"


def default_ingress_class(classes) -> dict | None:
    """The default IngressClass, or None (``getDefaultClass`` in the admission plugin).

    When several classes claim to be default, upstream picks the newest (ties: the first
    name in alphabetical order).
    """
    defaults = sorted(
        (c for c in classes if is_default_class(c)), key=lambda c: c["metadata"]["name"]
    )
    if not defaults:
        return None
    return max(defaults, key=lambda c: c["metadata"].get("creationTimestamp") or "")


def our_classes(classes) -> set[str]:
    """Names of the IngressClasses handled by ingress-nginx."""
    return {
        c["metadata"]["name"]
        for c in classes
        if (c.get("spec") or {}).get("controller") == CONTROLLER
    }


def served(ingress: dict, classes: set[str]) -> bool:
    """``GetIngressClass``: does ingress-nginx serve this Ingress?"""
    name = (ingress.get("spec") or {}).get("ingressClassName")
    if name is not None:
        return name in classes
    annotations = (ingress.get("metadata") or {}).get("annotations") or {}
    if INGRESS_CLASS_ANNOTATION in annotations:
        return annotations[INGRESS_CLASS_ANNOTATION] == ANNOTATION_VALUE
    return False


def nginx_class_manifest() -> dict:
    """The IngressClass minikube's ingress addon installs: ``nginx``, marked default."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "IngressClass",
        "metadata": {
            "name": CLASS_NAME,
            "labels": {
                "app.kubernetes.io/component": "controller",
                "app.kubernetes.io/instance": "ingress-nginx",
                "app.kubernetes.io/name": "ingress-nginx",
            },
            "annotations": {DEFAULT_CLASS_ANNOTATION: "true"},
        },
        "spec": {"controller": CONTROLLER},
    }
