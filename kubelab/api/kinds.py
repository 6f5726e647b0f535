"""The resource registry: every kind kubelab serves, with the names kubectl uses for it.

One table drives the API server (which kinds exist, which are namespaced), kubectl
(``po``, ``deploy``, plural names) and error messages (``deployments.apps "web" not found``).

Examples
--------
>>> lookup("po").kind, lookup("deployments.apps").kind, lookup("Deployment").plural
('Pod', 'Deployment', 'deployments')
>>> lookup("deploy").qualified
'deployments.apps'
>>> lookup("node").namespaced
False
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["KINDS", "ResourceType", "for_object", "lookup", "resource_for_kind"]


@dataclass(frozen=True)
class ResourceType:
    """One kind of object the API server stores."""

    kind: str
    plural: str
    group: str = ""
    version: str = "v1"
    namespaced: bool = True
    short_names: tuple[str, ...] = ()
    simulated: bool = True  # False: stored and validated, but no controller acts on it yet
    also_versions: tuple[str, ...] = field(default=())  # other apiVersions accepted on input

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def qualified(self) -> str:
        """``deployments.apps`` for grouped kinds, ``pods`` for the core group (as in messages)."""
        return f"{self.plural}.{self.group}" if self.group else self.plural


KINDS: tuple[ResourceType, ...] = (
    ResourceType("Namespace", "namespaces", namespaced=False, short_names=("ns",)),
    ResourceType("Node", "nodes", namespaced=False, short_names=("no",)),
    ResourceType("Pod", "pods", short_names=("po",)),
    ResourceType("ReplicationController", "replicationcontrollers", short_names=("rc",)),
    ResourceType("ReplicaSet", "replicasets", "apps", short_names=("rs",)),
    ResourceType("Deployment", "deployments", "apps", short_names=("deploy",)),
    ResourceType("DaemonSet", "daemonsets", "apps", short_names=("ds",)),
    ResourceType("StatefulSet", "statefulsets", "apps", short_names=("sts",)),
    ResourceType("ControllerRevision", "controllerrevisions", "apps"),
    ResourceType("Job", "jobs", "batch"),
    ResourceType("CronJob", "cronjobs", "batch", short_names=("cj",)),
    ResourceType("Service", "services", short_names=("svc",)),
    ResourceType("Endpoints", "endpoints", short_names=("ep",)),
    ResourceType("EndpointSlice", "endpointslices", "discovery.k8s.io"),
    ResourceType("Ingress", "ingresses", "networking.k8s.io", short_names=("ing",)),
    ResourceType("IngressClass", "ingressclasses", "networking.k8s.io", namespaced=False),
    ResourceType("ConfigMap", "configmaps", short_names=("cm",)),
    ResourceType("Secret", "secrets"),
    ResourceType("ResourceQuota", "resourcequotas", short_names=("quota",)),
    ResourceType("LimitRange", "limitranges", short_names=("limits",)),
    ResourceType("PersistentVolume", "persistentvolumes", namespaced=False, short_names=("pv",)),
    ResourceType("PersistentVolumeClaim", "persistentvolumeclaims", short_names=("pvc",)),
    ResourceType(
        "StorageClass", "storageclasses", "storage.k8s.io", namespaced=False, short_names=("sc",)
    ),
    ResourceType("PodDisruptionBudget", "poddisruptionbudgets", "policy", short_names=("pdb",)),
    ResourceType("Event", "events", short_names=("ev",)),
    ResourceType("Lease", "leases", "coordination.k8s.io"),
)

_BY_NAME: dict[str, ResourceType] = {}
for _rt in KINDS:
    for _name in (_rt.kind, _rt.kind.lower(), _rt.plural, _rt.qualified, *_rt.short_names):
        _BY_NAME.setdefault(_name, _rt)
    _BY_NAME.setdefault(f"{_rt.singular}.{_rt.group}" if _rt.group else _rt.singular, _rt)


def lookup(name: str) -> ResourceType | None:
    """Find a resource type by kind, plural, singular, short name or ``plural.group``."""
    return _BY_NAME.get(name) or _BY_NAME.get(name.lower())


def resource_for_kind(kind: str) -> ResourceType:
    """The registered type of ``kind`` (exact kind name); ``KeyError`` if unknown."""
    rt = _BY_NAME.get(kind)
    if rt is None or rt.kind != kind:
        raise KeyError(kind)
    return rt


def for_object(obj: dict) -> ResourceType | None:
    """The resource type of an object by its ``kind`` (``None`` if kubelab has no such kind)."""
    rt = _BY_NAME.get(obj.get("kind") or "")
    return rt if rt is not None and rt.kind == obj.get("kind") else None
