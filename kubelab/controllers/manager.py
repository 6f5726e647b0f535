"""kube-controller-manager: the controllers a cluster runs, in start order.

``kl.Cluster`` instantiates every class in :data:`CONTROLLERS` with its
:class:`~kubelab.controllers.base.Context`. Order matters only for ties at the same
simulated instant (earlier controllers subscribe to informers first).

Examples
--------
>>> [cls.name for cls in CONTROLLERS][:2]
['replicaset-controller', 'replication-controller']
"""

from __future__ import annotations

from kubelab.controllers.base import Controller
from kubelab.controllers.daemonset import DaemonSetsController
from kubelab.controllers.deployment import DeploymentController
from kubelab.controllers.disruption import DisruptionController
from kubelab.controllers.endpoints import EndpointsController
from kubelab.controllers.endpointslice import EndpointSliceController
from kubelab.controllers.ephemeral import EphemeralVolumeController
from kubelab.controllers.garbagecollector import GarbageCollector
from kubelab.controllers.namespace import NamespaceController
from kubelab.controllers.nodelifecycle import NodeLifecycleController
from kubelab.controllers.persistentvolume import PersistentVolumeController
from kubelab.controllers.podgc import PodGCController
from kubelab.controllers.provisioner import ExternalProvisioners
from kubelab.controllers.pvprotection import PVCProtectionController, PVProtectionController
from kubelab.controllers.replicaset import ReplicaSetController
from kubelab.controllers.replication import ReplicationManager
from kubelab.controllers.resourcequota import ResourceQuotaController
from kubelab.controllers.service import ServiceController
from kubelab.controllers.statefulset import StatefulSetController
from kubelab.controllers.tainteviction import TaintEvictionController
from kubelab.ingress.controller import IngressNginxController

__all__ = ["CONTROLLERS"]

CONTROLLERS: list[type[Controller]] = [
    ReplicaSetController,
    ReplicationManager,
    GarbageCollector,
    NodeLifecycleController,
    TaintEvictionController,
    NamespaceController,
    PodGCController,
    DeploymentController,
    DaemonSetsController,
    StatefulSetController,
    DisruptionController,
    EndpointSliceController,
    EndpointsController,
    ServiceController,
    ResourceQuotaController,
    IngressNginxController,
    PersistentVolumeController,
    EphemeralVolumeController,
    PVCProtectionController,
    PVProtectionController,
    ExternalProvisioners,
]
