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

Each API server also holds a :class:`Registry`: the built-in kinds plus the custom kinds its
CustomResourceDefinitions serve, so one cluster's CRDs never leak into another's.

>>> reg = Registry()
>>> reg.add(ResourceType("Shirt", "shirts", "stable.example.com", custom=True))
>>> reg.lookup("shirts").qualified, lookup("shirts") is None, Registry().lookup("shirts") is None
('shirts.stable.example.com', True, True)
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["KINDS", "Registry", "ResourceType", "for_object", "lookup", "resource_for_kind"]


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
    custom: bool = False  # served by a CustomResourceDefinition (see kubelab.apiserver.crds)

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
    ResourceType("PodTemplate", "podtemplates"),
    # Stored, defaulted and validated, but nothing acts on them yet (issues 12 and 15):
    # no token controller or ServiceAccount admission, no RBAC authorizer, no NetworkPolicy
    # enforcement, no priority admission or preemption, no HPA controller, no CEL admission.
    ResourceType("ServiceAccount", "serviceaccounts", short_names=("sa",), simulated=False),
    ResourceType("Role", "roles", "rbac.authorization.k8s.io", simulated=False),
    ResourceType(
        "ClusterRole",
        "clusterroles",
        "rbac.authorization.k8s.io",
        namespaced=False,
        simulated=False,
    ),
    ResourceType("RoleBinding", "rolebindings", "rbac.authorization.k8s.io", simulated=False),
    ResourceType(
        "ClusterRoleBinding",
        "clusterrolebindings",
        "rbac.authorization.k8s.io",
        namespaced=False,
        simulated=False,
    ),
    ResourceType(
        "NetworkPolicy",
        "networkpolicies",
        "networking.k8s.io",
        short_names=("netpol",),
        simulated=False,
    ),
    ResourceType(
        "PriorityClass",
        "priorityclasses",
        "scheduling.k8s.io",
        namespaced=False,
        short_names=("pc",),
        simulated=False,
    ),
    ResourceType(
        "RuntimeClass", "runtimeclasses", "node.k8s.io", namespaced=False, simulated=False
    ),
    ResourceType(
        "ServiceCIDR", "servicecidrs", "networking.k8s.io", namespaced=False, simulated=False
    ),
    ResourceType(
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
        "autoscaling",
        "v2",
        short_names=("hpa",),
        simulated=False,
        also_versions=("autoscaling/v1",),
    ),
    ResourceType(
        "ValidatingAdmissionPolicy",
        "validatingadmissionpolicies",
        "admissionregistration.k8s.io",
        namespaced=False,
        simulated=False,
    ),
    ResourceType(
        "ValidatingAdmissionPolicyBinding",
        "validatingadmissionpolicybindings",
        "admissionregistration.k8s.io",
        namespaced=False,
        simulated=False,
    ),
    ResourceType(
        "CustomResourceDefinition",
        "customresourcedefinitions",
        "apiextensions.k8s.io",
        namespaced=False,
        short_names=("crd", "crds"),
    ),
)


def _index(by_name: dict[str, ResourceType], rt: ResourceType) -> None:
    for name in (rt.kind, rt.kind.lower(), rt.plural, rt.qualified, *rt.short_names):
        by_name.setdefault(name, rt)
    by_name.setdefault(f"{rt.singular}.{rt.group}" if rt.group else rt.singular, rt)


_BY_NAME: dict[str, ResourceType] = {}
for _rt in KINDS:
    _index(_BY_NAME, _rt)


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


class Registry:
    """The kinds one API server serves: :data:`KINDS` plus its CRDs' custom kinds.

    Built-in names win: a custom kind whose kind or names clash with a built-in one is
    reachable only by its ``plural.group`` name (kubectl resolves the same way).
    """

    def __init__(self) -> None:
        self._custom: dict[str, ResourceType] = {}
        self._by_name: dict[str, ResourceType] = dict(_BY_NAME)

    def all(self) -> tuple[ResourceType, ...]:
        """Every kind served now: built-ins first, then custom kinds in creation order."""
        return (*KINDS, *self._custom.values())

    def custom(self) -> tuple[ResourceType, ...]:
        return tuple(self._custom.values())

    def add(self, rt: ResourceType) -> None:
        """Serve (or re-serve with new names/versions) a custom kind."""
        self._custom[rt.kind] = rt
        self._reindex()

    def remove(self, kind: str) -> None:
        if self._custom.pop(kind, None) is not None:
            self._reindex()

    def _reindex(self) -> None:
        self._by_name = dict(_BY_NAME)
        for rt in self._custom.values():
            _index(self._by_name, rt)

    def lookup(self, name: str) -> ResourceType | None:
        """As the module's :func:`lookup`, custom kinds included."""
        return self._by_name.get(name) or self._by_name.get(name.lower())

    def resource_for_kind(self, kind: str) -> ResourceType:
        rt = self._by_name.get(kind)
        if rt is None or rt.kind != kind:
            raise KeyError(kind)
        return rt

    def for_object(self, obj: dict) -> ResourceType | None:
        """The served type of an object by ``kind`` and API group (``None`` if not served)."""
        kind = obj.get("kind") or ""
        group = str(obj.get("apiVersion") or "").rpartition("/")[0]
        custom = self._custom.get(kind)
        if custom is not None and custom.group == group:
            return custom
        rt = _BY_NAME.get(kind)
        return rt if rt is not None and rt.kind == kind else custom
