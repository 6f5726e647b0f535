"""kube-apiserver: the only door to the cluster's state."""

from kubelab.apiserver.server import APIServer, Client
from kubelab.apiserver.store import Store

__all__ = ["APIServer", "Client", "Store"]
