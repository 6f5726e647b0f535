"""API defaults: the fields the API server fills in when an object is decoded.

Mirrors upstream's ``SetDefaults_*`` functions and the generated defaulters that call
them on nested types (``pkg/apis/core/v1/defaults.go``, ``zz_generated.defaults.go``,
``pkg/apis/apps/v1/defaults.go``, ``networking/v1``, ``storage/v1``, ``discovery/v1``).
Defaults fill only what is unset, so defaulting twice changes nothing.

What is *not* here because upstream does it elsewhere: ``clusterIP``/``nodePort``
allocation and ``ipFamilies`` (the Service registry), tolerations added by the
``DefaultTolerationSeconds`` admission plugin, ``serviceAccountName`` (the
``ServiceAccount`` admission plugin), and the Namespace's ``kubernetes`` finalizer, which
the registry adds on create only (see :func:`prepare_for_create`). Pods get
``priority: 0`` / ``preemptionPolicy`` as the ``Priority`` admission plugin gives them
when there is no PriorityClass.

Examples
--------
>>> pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
...        "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}}
>>> out = apply_defaults(pod)
>>> out["spec"]["restartPolicy"], out["spec"]["containers"][0]["imagePullPolicy"]
('Always', 'IfNotPresent')
>>> "restartPolicy" in pod["spec"]          # the input is never touched
False
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kubelab.api.yamljson import json_copy as _copy

__all__ = [
    "apply_defaults",
    "default_pod_spec",
    "image_tag",
    "prepare_for_create",
    "prepare_job_for_create",
]

_MAX_INT32 = 2**31 - 1


def _set(obj: dict, key: str, value: Any) -> None:
    """Set ``key`` when unset (missing or null): a nil Go pointer / empty Go string."""
    if obj.get(key) is None:
        obj[key] = value


def _unset_or(obj: dict, key: str, *zero: Any) -> bool:
    return obj.get(key) is None or any(obj.get(key) == z for z in zero)


def _child(obj: dict, key: str) -> dict:
    """``obj[key]`` as a dict, created when missing: a Go struct field that is not a pointer."""
    if not isinstance(obj.get(key), dict):
        obj[key] = {}
    return obj[key]


def _dicts(obj: dict, key: str) -> list[dict]:
    value = obj.get(key)
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _sub(obj: dict, key: str) -> dict | None:
    """``obj[key]`` when it is a dict (a non-nil Go pointer), else ``None``."""
    value = obj.get(key)
    return value if isinstance(value, dict) else None


# --------------------------------------------------------------------------- containers


def image_tag(image: str) -> str:
    """The tag ``parsers.ParseImageName`` finds: ``latest`` when neither tag nor digest.

    Examples
    --------
    >>> image_tag("nginx"), image_tag("nginx:1.27"), image_tag("localhost:5000/app")
    ('latest', '1.27', 'latest')
    >>> image_tag("nginx@sha256:abc"), image_tag("")
    ('', '')
    """
    if not image:
        return ""  # unparsable: upstream ignores the error and sees no tag
    name, at, _digest = image.partition("@")
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        return last.rsplit(":", 1)[1]
    return "" if at else "latest"


def _default_http_get(action: dict | None) -> None:
    if action is None:
        return
    if _unset_or(action, "path", ""):
        action["path"] = "/"
    if _unset_or(action, "scheme", ""):
        action["scheme"] = "HTTP"


def _default_probe(probe: dict | None) -> None:
    if probe is None:
        return
    for key, value in (
        ("timeoutSeconds", 1),
        ("periodSeconds", 10),
        ("successThreshold", 1),
        ("failureThreshold", 3),
    ):
        if _unset_or(probe, key, 0):  # upstream: `if obj.X == 0`
            probe[key] = value
    _default_http_get(_sub(probe, "httpGet"))
    grpc = _sub(probe, "grpc")
    if grpc is not None:
        _set(grpc, "service", "")


def _default_field_ref(holder: dict | None) -> None:
    ref = _sub(holder, "fieldRef") if holder is not None else None
    if ref is not None and _unset_or(ref, "apiVersion", ""):
        ref["apiVersion"] = "v1"


def _default_container(c: dict) -> None:
    """``SetDefaults_Container`` plus the nested defaulters the generator calls."""
    if _unset_or(c, "imagePullPolicy", ""):
        c["imagePullPolicy"] = (
            "Always" if image_tag(c.get("image") or "") == "latest" else "IfNotPresent"
        )
    if _unset_or(c, "terminationMessagePath", ""):
        c["terminationMessagePath"] = "/dev/termination-log"
    if _unset_or(c, "terminationMessagePolicy", ""):
        c["terminationMessagePolicy"] = "File"
    for port in _dicts(c, "ports"):
        if _unset_or(port, "protocol", ""):
            port["protocol"] = "TCP"
    for env in _dicts(c, "env"):
        _default_field_ref(_sub(env, "valueFrom"))
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        _default_probe(_sub(c, probe))
    lifecycle = _sub(c, "lifecycle")
    if lifecycle is not None:
        for hook in ("postStart", "preStop"):
            handler = _sub(lifecycle, hook)
            if handler is not None:
                _default_http_get(_sub(handler, "httpGet"))


# --------------------------------------------------------------------------- volumes

_VOLUME_SOURCE_DEFAULTS: dict[str, tuple[tuple[str, Any], ...]] = {
    "hostPath": (("type", ""),),  # HostPathUnset
    "secret": (("defaultMode", 420),),  # 0644
    "configMap": (("defaultMode", 420),),
    "downwardAPI": (("defaultMode", 420),),
    "projected": (("defaultMode", 420),),
    "iscsi": (("iscsiInterface", "default"),),
    "rbd": (("pool", "rbd"), ("user", "admin"), ("keyring", "/etc/ceph/keyring")),
    "azureDisk": (
        ("cachingMode", "ReadWrite"),
        ("kind", "Shared"),
        ("fsType", "ext4"),
        ("readOnly", False),
    ),
    "scaleIO": (("storageMode", "ThinProvisioned"), ("fsType", "xfs")),
}


def _default_volume_sources(holder: dict, sources: tuple[str, ...]) -> None:
    for source in sources:
        spec = _sub(holder, source)
        if spec is None:
            continue
        for key, value in _VOLUME_SOURCE_DEFAULTS[source]:
            if _unset_or(spec, key, "") if isinstance(value, str) else spec.get(key) is None:
                spec[key] = value


def _default_volume(volume: dict) -> None:
    if all(v is None for k, v in volume.items() if k != "name"):
        volume["emptyDir"] = {}  # a volume with no source is an emptyDir
    _default_volume_sources(volume, tuple(_VOLUME_SOURCE_DEFAULTS))
    downward = _sub(volume, "downwardAPI")
    if downward is not None:
        for item in _dicts(downward, "items"):
            _default_field_ref(item)
    projected = _sub(volume, "projected")
    if projected is not None:
        for source in _dicts(projected, "sources"):
            for item in _dicts(_sub(source, "downwardAPI") or {}, "items"):
                _default_field_ref(item)
            token = _sub(source, "serviceAccountToken")
            if token is not None:
                _set(token, "expirationSeconds", 3600)
    ephemeral = _sub(volume, "ephemeral")
    template = _sub(ephemeral, "volumeClaimTemplate") if ephemeral is not None else None
    if template is not None:
        _set(_child(template, "spec"), "volumeMode", "Filesystem")


# --------------------------------------------------------------------------- pods


def _default_pod_spec(spec: dict) -> None:
    """In place: ``SetDefaults_PodSpec`` and what the generator calls for a PodSpec."""
    for key, value in (
        ("dnsPolicy", "ClusterFirst"),
        ("restartPolicy", "Always"),
        ("schedulerName", "default-scheduler"),
    ):
        if _unset_or(spec, key, ""):
            spec[key] = value
    _set(spec, "securityContext", {})
    _set(spec, "terminationGracePeriodSeconds", 30)
    for volume in _dicts(spec, "volumes"):
        _default_volume(volume)
    for key in ("initContainers", "containers", "ephemeralContainers"):
        for container in _dicts(spec, key):
            _default_container(container)


def default_pod_spec(spec: dict) -> dict:
    """A defaulted copy of a PodSpec, as in pod templates (Deployment, ReplicaSet, ...).

    Pod-only defaults (requests from limits, ``enableServiceLinks``, host ports) are
    not applied: upstream applies them to Pods, not templates.

    Examples
    --------
    >>> spec = default_pod_spec({"containers": [{"name": "a", "image": "busybox",
    ...                                         "ports": [{"containerPort": 80}]}]})
    >>> spec["terminationGracePeriodSeconds"], spec["containers"][0]["ports"][0]["protocol"]
    (30, 'TCP')
    >>> spec["containers"][0]["imagePullPolicy"], "enableServiceLinks" in spec
    ('Always', False)
    """
    out = _copy(spec)
    _default_pod_spec(out)
    return out


def _pod(obj: dict) -> None:
    spec = _child(obj, "spec")
    # SetDefaults_Pod: requests default to limits (Pods only, not templates)
    for key in ("containers", "initContainers"):
        for container in _dicts(spec, key):
            resources = _sub(container, "resources")
            limits = _sub(resources, "limits") if resources is not None else None
            if limits is None:
                continue
            missing = {
                k: v for k, v in limits.items() if k not in (resources.get("requests") or {})
            }
            if missing:
                requests = _child(resources, "requests")
                requests.update(missing)
    _set(spec, "enableServiceLinks", True)
    if spec.get("hostNetwork"):
        for key in ("containers", "initContainers"):
            for container in _dicts(spec, key):
                for port in _dicts(container, "ports"):
                    if _unset_or(port, "hostPort", 0):
                        port["hostPort"] = port.get("containerPort")
    _default_pod_spec(spec)
    if not spec.get("priorityClassName"):  # Priority admission, no default PriorityClass
        _set(spec, "priority", 0)
        _set(spec, "preemptionPolicy", "PreemptLowerPriority")


def _template_spec(spec: dict) -> None:
    """Pod template of an apps/v1 workload (a struct: always present after decoding)."""
    _default_pod_spec(_child(_child(spec, "template"), "spec"))


# --------------------------------------------------------------------------- workloads


def _replication_controller(obj: dict) -> None:
    spec = _child(obj, "spec")
    template = _sub(spec, "template")  # a pointer in the core API
    labels = (template.get("metadata") or {}).get("labels") if template is not None else None
    if labels is not None:
        if not spec.get("selector"):
            spec["selector"] = dict(labels)
        metadata = _child(obj, "metadata")
        if not metadata.get("labels"):
            metadata["labels"] = dict(labels)
    _set(spec, "replicas", 1)
    if template is not None:
        _default_pod_spec(_child(template, "spec"))


def _replica_set(obj: dict) -> None:
    spec = _child(obj, "spec")
    _set(spec, "replicas", 1)
    _template_spec(spec)


def _deployment(obj: dict) -> None:
    spec = _child(obj, "spec")
    _set(spec, "replicas", 1)
    strategy = _child(spec, "strategy")
    if _unset_or(strategy, "type", ""):
        strategy["type"] = "RollingUpdate"
    if strategy["type"] == "RollingUpdate":
        rolling = _child(strategy, "rollingUpdate")
        _set(rolling, "maxUnavailable", "25%")
        _set(rolling, "maxSurge", "25%")
    _set(spec, "revisionHistoryLimit", 10)
    _set(spec, "progressDeadlineSeconds", 600)
    _template_spec(spec)


def _daemon_set(obj: dict) -> None:
    spec = _child(obj, "spec")
    strategy = _child(spec, "updateStrategy")
    if _unset_or(strategy, "type", ""):
        strategy["type"] = "RollingUpdate"
    if strategy["type"] == "RollingUpdate":
        rolling = _child(strategy, "rollingUpdate")
        _set(rolling, "maxUnavailable", 1)
        _set(rolling, "maxSurge", 0)
    _set(spec, "revisionHistoryLimit", 10)
    _template_spec(spec)


def _stateful_set(obj: dict) -> None:
    """``SetDefaults_StatefulSet`` (MaxUnavailableStatefulSet is beta, on, since 1.35).

    An explicit ``type: RollingUpdate`` without ``rollingUpdate`` keeps it unset (no partition).
    """
    spec = _child(obj, "spec")
    if _unset_or(spec, "podManagementPolicy", ""):
        spec["podManagementPolicy"] = "OrderedReady"
    strategy = _child(spec, "updateStrategy")
    if _unset_or(strategy, "type", ""):
        strategy["type"] = "RollingUpdate"
        _child(strategy, "rollingUpdate")
    rolling = _sub(strategy, "rollingUpdate")
    if strategy["type"] == "RollingUpdate" and rolling is not None:
        _set(rolling, "partition", 0)
        _set(rolling, "maxUnavailable", 1)
    policy = _child(spec, "persistentVolumeClaimRetentionPolicy")
    for key in ("whenDeleted", "whenScaled"):
        if _unset_or(policy, key, ""):
            policy[key] = "Retain"
    _set(spec, "replicas", 1)
    _set(spec, "revisionHistoryLimit", 10)
    _template_spec(spec)
    for claim in _dicts(spec, "volumeClaimTemplates"):
        # The apps/v1 conversion stamps each template's TypeMeta.
        claim.setdefault("apiVersion", "v1")
        claim.setdefault("kind", "PersistentVolumeClaim")
        _persistent_volume_claim(claim)


def _job_spec(spec: dict, metadata: dict | None) -> None:
    """``SetDefaults_Job`` on a JobSpec (``metadata``: the Job's, None inside a jobTemplate)."""
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
    _set(spec, "parallelism", 1)
    if spec.get("backoffLimit") is None:
        spec["backoffLimit"] = _MAX_INT32 if spec.get("backoffLimitPerIndex") is not None else 6
    if _unset_or(spec, "completionMode", ""):
        spec["completionMode"] = "NonIndexed"
    _set(spec, "suspend", False)
    policy = _sub(spec, "podFailurePolicy")
    for rule in _dicts(policy or {}, "rules"):
        for pattern in _dicts(rule, "onPodConditions"):
            if _unset_or(pattern, "status", ""):
                pattern["status"] = "True"
    if _unset_or(spec, "podReplacementPolicy", ""):
        spec["podReplacementPolicy"] = "Failed" if policy is not None else "TerminatingOrFailed"
    template = _child(spec, "template")
    labels = (template.get("metadata") or {}).get("labels")
    if metadata is not None and labels and not metadata.get("labels"):
        metadata["labels"] = dict(labels)
    _default_pod_spec(_child(template, "spec"))


def _job(obj: dict) -> None:
    _job_spec(_child(obj, "spec"), _child(obj, "metadata"))


def _cron_job(obj: dict) -> None:
    spec = _child(obj, "spec")
    if _unset_or(spec, "concurrencyPolicy", ""):
        spec["concurrencyPolicy"] = "Allow"
    _set(spec, "suspend", False)
    _set(spec, "successfulJobsHistoryLimit", 3)
    _set(spec, "failedJobsHistoryLimit", 1)
    job_template = _child(spec, "jobTemplate")
    # The generated defaulter only reaches the pod template inside a jobTemplate.
    _default_pod_spec(_child(_child(_child(job_template, "spec"), "template"), "spec"))


def prepare_job_for_create(job: dict, uid: str) -> None:
    """The Job registry's ``PrepareForCreate``: generate the selector and the pod labels.

    Unless ``manualSelector`` is true, the template gets ``batch.kubernetes.io/job-name``,
    ``job-name``, ``batch.kubernetes.io/controller-uid`` and ``controller-uid`` (what the
    user set wins, and validation reports the conflict), and a missing selector becomes
    ``batch.kubernetes.io/controller-uid=<uid>``. Edits ``job`` in place.

    Examples
    --------
    >>> job = {"metadata": {"name": "pi"}, "spec": {"template": {"spec": {}}}}
    >>> prepare_job_for_create(job, "u1")
    >>> job["spec"]["selector"], sorted(job["spec"]["template"]["metadata"]["labels"])
    ({'matchLabels': {'batch.kubernetes.io/controller-uid': 'u1'}}, ['batch.kubernetes.io/controller-uid', 'batch.kubernetes.io/job-name', 'controller-uid', 'job-name'])
    >>> job["spec"]["manualSelector"], job["metadata"]["labels"]["job-name"]
    (False, 'pi')
    """
    spec = _child(job, "spec")
    metadata = _child(job, "metadata")
    if spec.get("manualSelector"):
        return
    spec["manualSelector"] = False
    template_meta = _child(_child(spec, "template"), "metadata")
    labels = dict(template_meta.get("labels") or {})
    name = metadata.get("name") or ""
    for key, value in (
        ("batch.kubernetes.io/controller-uid", uid),
        ("batch.kubernetes.io/job-name", name),
        ("controller-uid", uid),
        ("job-name", name),
    ):
        labels.setdefault(key, value)
    template_meta["labels"] = labels
    if spec.get("selector") is None:
        spec["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
    if not metadata.get("labels"):
        metadata["labels"] = dict(labels)


# --------------------------------------------------------------------------- networking


def _service(obj: dict) -> None:
    spec = _child(obj, "spec")
    if _unset_or(spec, "sessionAffinity", ""):
        spec["sessionAffinity"] = "None"
    if spec["sessionAffinity"] == "None":
        spec.pop("sessionAffinityConfig", None)
    elif spec["sessionAffinity"] == "ClientIP":
        client_ip = _sub(_sub(spec, "sessionAffinityConfig") or {}, "clientIP")
        if client_ip is None or client_ip.get("timeoutSeconds") is None:
            spec["sessionAffinityConfig"] = {"clientIP": {"timeoutSeconds": 10800}}
    if _unset_or(spec, "type", ""):
        spec["type"] = "ClusterIP"
    for port in _dicts(spec, "ports"):
        if _unset_or(port, "protocol", ""):
            port["protocol"] = "TCP"
        if _unset_or(port, "targetPort", 0, "") and port.get("port") is not None:
            port["targetPort"] = port["port"]
    kind = spec["type"]
    externally_accessible = kind in ("LoadBalancer", "NodePort") or (
        kind == "ClusterIP" and bool(spec.get("externalIPs"))
    )
    if externally_accessible and _unset_or(spec, "externalTrafficPolicy", ""):
        spec["externalTrafficPolicy"] = "Cluster"
    if kind in ("ClusterIP", "NodePort", "LoadBalancer"):
        _set(spec, "internalTrafficPolicy", "Cluster")
    if kind == "LoadBalancer":
        _set(spec, "allocateLoadBalancerNodePorts", True)
        for ingress in _dicts(_sub(_sub(obj, "status") or {}, "loadBalancer") or {}, "ingress"):
            if ingress.get("ip") and ingress.get("ipMode") is None:
                ingress["ipMode"] = "VIP"


def _endpoints(obj: dict) -> None:
    for subset in _dicts(obj, "subsets"):
        for port in _dicts(subset, "ports"):
            if _unset_or(port, "protocol", ""):
                port["protocol"] = "TCP"


def _endpoint_slice(obj: dict) -> None:
    for port in _dicts(obj, "ports"):
        _set(port, "name", "")
        _set(port, "protocol", "TCP")


def _ingress_class(obj: dict) -> None:
    parameters = _sub(_child(obj, "spec"), "parameters")
    if parameters is not None:
        _set(parameters, "scope", "Cluster")


# --------------------------------------------------------------------------- config, storage, cluster


def _secret(obj: dict) -> None:
    if _unset_or(obj, "type", ""):
        obj["type"] = "Opaque"


def _limit_range(obj: dict) -> None:
    for item in _dicts(_child(obj, "spec"), "limits"):
        if item.get("type") != "Container":
            continue
        default = dict(item.get("default") or {})
        request = dict(item.get("defaultRequest") or {})
        for key, value in (item.get("max") or {}).items():
            default.setdefault(key, value)  # no default limit: the max
        for key, value in default.items():
            request.setdefault(key, value)  # no default request: the default limit
        for key, value in (item.get("min") or {}).items():
            request.setdefault(key, value)  # still none: the min
        if default:  # empty maps are omitted from JSON
            item["default"] = default
        if request:
            item["defaultRequest"] = request


def _persistent_volume(obj: dict) -> None:
    spec = _child(obj, "spec")
    if _unset_or(spec, "persistentVolumeReclaimPolicy", ""):
        spec["persistentVolumeReclaimPolicy"] = "Retain"
    _set(spec, "volumeMode", "Filesystem")
    _default_volume_sources(spec, ("hostPath", "rbd", "iscsi", "azureDisk", "scaleIO"))
    status = _child(obj, "status")
    if _unset_or(status, "phase", ""):
        status["phase"] = "Pending"


def _persistent_volume_claim(obj: dict) -> None:
    _set(_child(obj, "spec"), "volumeMode", "Filesystem")
    status = _child(obj, "status")
    if _unset_or(status, "phase", ""):
        status["phase"] = "Pending"


def _storage_class(obj: dict) -> None:
    _set(obj, "reclaimPolicy", "Delete")
    _set(obj, "volumeBindingMode", "Immediate")


def _namespace(obj: dict) -> None:
    metadata = _child(obj, "metadata")
    if metadata.get("name"):  # nameless (generateName) namespaces cannot be labelled yet
        labels = metadata.get("labels") or {}
        metadata["labels"] = {**labels, "kubernetes.io/metadata.name": metadata["name"]}
    status = _child(obj, "status")
    if _unset_or(status, "phase", ""):
        status["phase"] = "Active"


def _node(obj: dict) -> None:
    status = _sub(obj, "status")
    if (
        status is not None
        and status.get("allocatable") is None
        and status.get("capacity") is not None
    ):
        status["allocatable"] = dict(status["capacity"])


def _pod_template(obj: dict) -> None:
    template = _sub(obj, "template")
    if template is not None and isinstance(template.get("spec"), dict):
        _default_pod_spec(template["spec"])


def _role_binding(obj: dict) -> None:
    """rbac/v1 ``SetDefaults_(Cluster)RoleBinding`` and ``SetDefaults_Subject``."""
    role_ref = _child(obj, "roleRef")
    if not role_ref.get("apiGroup"):
        role_ref["apiGroup"] = "rbac.authorization.k8s.io"
    for subject in _dicts(obj, "subjects"):
        if not subject.get("apiGroup") and subject.get("kind") in ("User", "Group"):
            subject["apiGroup"] = "rbac.authorization.k8s.io"


def _network_policy(obj: dict) -> None:
    spec = _child(obj, "spec")
    for direction in ("ingress", "egress"):
        for rule in _dicts(spec, direction):
            for port in _dicts(rule, "ports"):
                _set(port, "protocol", "TCP")
    if not spec.get("policyTypes"):
        spec["policyTypes"] = ["Ingress", "Egress"] if spec.get("egress") else ["Ingress"]


def _priority_class(obj: dict) -> None:
    _set(obj, "preemptionPolicy", "PreemptLowerPriority")


_SCALE_UP = {
    "stabilizationWindowSeconds": 0,
    "selectPolicy": "Max",
    "policies": [
        {"type": "Pods", "value": 4, "periodSeconds": 15},
        {"type": "Percent", "value": 100, "periodSeconds": 15},
    ],
}
_SCALE_DOWN = {
    "stabilizationWindowSeconds": 300,
    "selectPolicy": "Max",
    "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}],
}


def _horizontal_pod_autoscaler(obj: dict) -> None:
    """autoscaling/v1 and v2 ``SetDefaults_HorizontalPodAutoscaler`` (v2: metrics, behavior)."""
    spec = _child(obj, "spec")
    _set(spec, "minReplicas", 1)
    if obj.get("apiVersion") != "autoscaling/v2":
        return
    if not spec.get("metrics"):
        spec["metrics"] = [
            {
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "target": {"type": "Utilization", "averageUtilization": 80},
                },
            }
        ]
    behavior = _sub(spec, "behavior")
    if behavior is not None:  # GenerateHPAScale{Up,Down}Rules: fill what is unset
        for key, rules in (("scaleUp", _SCALE_UP), ("scaleDown", _SCALE_DOWN)):
            given = _child(behavior, key)
            for field, value in rules.items():
                _set(given, field, _copy(value))


def _match_resources(match: dict | None) -> None:
    if match is None:
        return
    _set(match, "namespaceSelector", {})
    _set(match, "objectSelector", {})
    _set(match, "matchPolicy", "Equivalent")
    for key in ("resourceRules", "excludeResourceRules"):
        for rule in _dicts(match, key):
            _set(rule, "scope", "*")


def _validating_admission_policy(obj: dict) -> None:
    spec = _child(obj, "spec")
    _set(spec, "failurePolicy", "Fail")
    _match_resources(_sub(spec, "matchConstraints"))


def _validating_admission_policy_binding(obj: dict) -> None:
    _match_resources(_sub(_child(obj, "spec"), "matchResources"))


def _custom_resource_definition(obj: dict) -> None:
    """apiextensions/v1 ``SetDefaults_CustomResourceDefinition(Spec)``."""
    spec = _child(obj, "spec")
    names = _child(spec, "names")
    kind = names.get("kind")
    if isinstance(kind, str) and kind:
        _set(names, "listKind", kind + "List")
        if not names.get("singular"):
            names["singular"] = kind.lower()
    conversion = _child(spec, "conversion")
    _set(conversion, "strategy", "None")
    webhook = _sub(conversion, "webhook")
    service = _sub(_sub(webhook or {}, "clientConfig") or {}, "service")
    if service is not None:
        _set(service, "port", 443)


_DEFAULTERS: dict[str, Callable[[dict], None]] = {
    "Pod": _pod,
    "ReplicationController": _replication_controller,
    "ReplicaSet": _replica_set,
    "Deployment": _deployment,
    "DaemonSet": _daemon_set,
    "StatefulSet": _stateful_set,
    "Job": _job,
    "CronJob": _cron_job,
    "Service": _service,
    "Endpoints": _endpoints,
    "EndpointSlice": _endpoint_slice,
    "IngressClass": _ingress_class,
    "Secret": _secret,
    "LimitRange": _limit_range,
    "PersistentVolume": _persistent_volume,
    "PersistentVolumeClaim": _persistent_volume_claim,
    "StorageClass": _storage_class,
    "Namespace": _namespace,
    "Node": _node,
    "PodTemplate": _pod_template,
    "RoleBinding": _role_binding,
    "ClusterRoleBinding": _role_binding,
    "NetworkPolicy": _network_policy,
    "PriorityClass": _priority_class,
    "HorizontalPodAutoscaler": _horizontal_pod_autoscaler,
    "ValidatingAdmissionPolicy": _validating_admission_policy,
    "ValidatingAdmissionPolicyBinding": _validating_admission_policy_binding,
    "CustomResourceDefinition": _custom_resource_definition,
}
# No upstream defaults: Ingress (pathType is required), ConfigMap (its empty `data` map is
# omitted from JSON), ResourceQuota, PodDisruptionBudget, ControllerRevision, Event, Lease,
# ServiceAccount, Role, ClusterRole, RuntimeClass, ServiceCIDR.


def apply_defaults(obj: dict) -> dict:
    """A new, defaulted copy of ``obj`` (any kind; kinds without defaults are copied).

    Examples
    --------
    >>> d = apply_defaults({"apiVersion": "apps/v1", "kind": "Deployment",
    ...                     "metadata": {"name": "web"}, "spec": {"strategy": {"type": "Recreate"}}})
    >>> d["spec"]["replicas"], d["spec"]["strategy"], d["spec"]["progressDeadlineSeconds"]
    (1, {'type': 'Recreate'}, 600)
    >>> apply_defaults({"apiVersion": "v1", "kind": "Service", "spec": {"ports": [{"port": 80}]}})["spec"]
    {'ports': [{'port': 80, 'protocol': 'TCP', 'targetPort': 80}], 'sessionAffinity': 'None', 'type': 'ClusterIP', 'internalTrafficPolicy': 'Cluster'}
    """
    out = _copy(obj)
    defaulter = _DEFAULTERS.get(out.get("kind") or "")
    if defaulter is not None:
        defaulter(out)
    return out


def prepare_for_create(obj: dict) -> dict:
    """A copy with what the registry sets on *create* only (``PrepareForCreate``).

    A Namespace gets the ``kubernetes`` finalizer. This must not run on updates: the
    namespace controller removes that finalizer to finish deleting the namespace.

    Examples
    --------
    >>> prepare_for_create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "dev"}})["spec"]
    {'finalizers': ['kubernetes']}
    """
    out = _copy(obj)
    if out.get("kind") == "Namespace":
        spec = _child(out, "spec")
        finalizers = list(spec.get("finalizers") or [])
        if "kubernetes" not in finalizers:
            finalizers.append("kubernetes")
        spec["finalizers"] = finalizers
        _child(out, "status")["phase"] = "Active"
    return out
