"""The ``DefaultIngressClass`` admission plugin (``plugin/pkg/admission/network/defaultingressclass``).

On create, an Ingress with neither ``spec.ingressClassName`` nor the legacy
``kubernetes.io/ingress.class`` annotation gets the name of the IngressClass annotated
``ingressclass.kubernetes.io/is-default-class: "true"`` (the newest one when several are).
That is why ``kubectl get ingress`` shows ``nginx`` in the CLASS column on minikube even
though the manifest names no class.

Examples
--------
>>> import kubelab as kl
>>> c = kl.Cluster(nodes=1, seed=0)
>>> ing = c.apply({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
...                "metadata": {"name": "web"},
...                "spec": {"defaultBackend": {"service": {"name": "web", "port": {"number": 80}}}}})
>>> ing[0]["spec"]["ingressClassName"]
'nginx'
"""

from __future__ import annotations

from kubelab.apiserver.admission import AdmissionPlugin
from kubelab.ingress.classes import INGRESS_CLASS_ANNOTATION, default_ingress_class

__all__ = ["DefaultIngressClass"]


class DefaultIngressClass(AdmissionPlugin):
    """Mutating: default ``spec.ingressClassName`` of new Ingresses."""

    kinds = ("Ingress",)

    def mutate(self, api, obj: dict, old: dict | None, *, dry_run: bool) -> None:
        if old is not None:
            return
        spec = obj.get("spec")
        if not isinstance(spec, dict) or spec.get("ingressClassName") is not None:
            return
        annotations = (obj.get("metadata") or {}).get("annotations") or {}
        if isinstance(annotations, dict) and INGRESS_CLASS_ANNOTATION in annotations:
            return
        default = default_ingress_class(api.list("IngressClass"))
        if default is not None:
            obj["spec"] = {**spec, "ingressClassName": default["metadata"]["name"]}
