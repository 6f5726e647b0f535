"""client-go for kubelab components: shared informers over the API server's watches."""

from kubelab.client.informer import InformerFactory, SharedInformer

__all__ = ["InformerFactory", "SharedInformer"]
