"""The ``default/kubernetes`` Service: how pods reach the API server.

kube-apiserver creates it at start (the first IP of the service CIDR, port 443 → 6443)
and keeps its Endpoints and EndpointSlice pointing at the control plane itself (the
"endpoint reconciler"); it has no selector, so no endpoint controller touches it.

Examples
--------
>>> import kubelab as kl
>>> c = kl.Cluster(nodes=1, seed=0)
>>> print(c.kubectl("get endpoints kubernetes"), end="")
NAME         ENDPOINTS          AGE
kubernetes   192.168.0.1:6443   0s
"""

from __future__ import annotations

__all__ = ["APISERVER_ADDRESS", "create_kubernetes_service"]

APISERVER_ADDRESS = "192.168.0.1"  # the control plane; worker nodes are 192.168.0.2, .3, ...
_PORT = {"name": "https", "port": 6443, "protocol": "TCP"}


def create_kubernetes_service(api, *, seed: int = 0, address: str = APISERVER_ADDRESS) -> None:
    """Create the Service, its Endpoints and its EndpointSlice as kube-apiserver does.

    Their UIDs come from a stream of their own, so bootstrapping them leaves the names and
    UIDs of everything created later as they would be without them.
    """
    from kubelab.sim import rng

    saved, api._rng = api._rng, rng(seed, "kube-apiserver-bootstrap")
    try:
        _create(api, address)
    finally:
        api._rng = saved


def _create(api, address: str) -> None:
    user = "kube-apiserver"
    api.create(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {
                "name": "kubernetes",
                "namespace": "default",
                "labels": {"component": "apiserver", "provider": "kubernetes"},
            },
            "spec": {
                "clusterIP": "10.96.0.1",
                "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}],
                "sessionAffinity": "None",
                "type": "ClusterIP",
            },
        },
        user=user,
    )
    api.create(
        {
            "apiVersion": "v1",
            "kind": "Endpoints",
            "metadata": {
                "name": "kubernetes",
                "namespace": "default",
                "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"},
            },
            "subsets": [{"addresses": [{"ip": address}], "ports": [dict(_PORT)]}],
        },
        user=user,
    )
    api.create(
        {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {
                "name": "kubernetes",
                "namespace": "default",
                "labels": {"kubernetes.io/service-name": "kubernetes"},
            },
            "addressType": "IPv4",
            "endpoints": [{"addresses": [address], "conditions": {"ready": True}}],
            "ports": [dict(_PORT)],
        },
        user=user,
    )
