"""The admission plugins a kubelab API server runs, in kube-apiserver's order.

Upstream's order (``pkg/kubeapiserver/options/plugins.go``) puts mutating plugins such as
``LimitRanger`` before validating ones, and ``ResourceQuota`` after the webhooks ("webhook,
resourcequota, and deny plugins must go at the end"); registry strategies (Service IP and port
allocation) run inside the storage layer. :class:`~kubelab.cluster.Cluster` appends
one fresh instance of each class here to ``api.admission``.

Examples
--------
>>> from kubelab.apiserver.admission import AdmissionPlugin
>>> all(issubclass(cls, AdmissionPlugin) for cls in ADMISSION_PLUGINS)
True
"""

from __future__ import annotations

from kubelab.apiserver.admission import AdmissionPlugin
from kubelab.apiserver.limitranger import LimitRanger
from kubelab.apiserver.nodeports import NodePortAllocator
from kubelab.apiserver.priority import Priority
from kubelab.apiserver.resourcequota import ResourceQuota
from kubelab.apiserver.serviceips import ClusterIPAllocator
from kubelab.apiserver.storage_admission import DefaultStorageClass, StorageObjectInUseProtection
from kubelab.ingress.admission import DefaultIngressClass
from kubelab.ingress.webhook import IngressNginxAdmission

__all__ = ["ADMISSION_PLUGINS"]

ADMISSION_PLUGINS: list[type[AdmissionPlugin]] = [
    LimitRanger,
    DefaultStorageClass,
    StorageObjectInUseProtection,
    ClusterIPAllocator,
    NodePortAllocator,
    Priority,
    DefaultIngressClass,
    IngressNginxAdmission,
    ResourceQuota,  # last, after the webhooks: it charges usage, nothing may refuse after it
]
