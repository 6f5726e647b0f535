"""Semantic validation per kind, with the API server's exact field paths and messages.

The API server defaults an object, runs admission, then calls :func:`validate`
(create) or :func:`validate_update` (update). Each returns a list of
:class:`~kubelab.errors.FieldError`; an empty list means the object is accepted.
Upstream sources: ``pkg/apis/core/validation``, ``pkg/apis/apps/validation``,
``pkg/apis/networking/validation``, ``pkg/apis/policy/validation``,
``pkg/apis/storage/validation``, ``pkg/apis/rbac/validation``, ``pkg/apis/scheduling/validation``,
``pkg/apis/admissionregistration/validation``, ``apiextensions-apiserver``'s validation and
``apimachinery/pkg/api/validation/objectmeta.go``.

Neither function raises: structural problems are the schema module's job, and a
value of the wrong type is treated as missing (or reported) rather than crashing.

Examples
--------
>>> deploy = {"apiVersion": "apps/v1", "kind": "Deployment",
...           "metadata": {"name": "web", "namespace": "default"},
...           "spec": {"selector": {"matchLabels": {"app": "web"}},
...                    "template": {"metadata": {"labels": {"app": "nginx"}},
...                                 "spec": {"containers": [{"name": "nginx"}]}}}}
>>> for err in validate(deploy):
...     print(err)
spec.template.metadata.labels: Invalid value: map[string]string{"app":"nginx"}: `selector` does not match template `labels`
spec.template.spec.containers[0].image: Required value
>>> svc = {"kind": "Service", "metadata": {"name": "1web", "namespace": "default"},
...        "spec": {"ports": [{"port": 80}]}}
>>> print(validate(svc)[0])  # doctest: +ELLIPSIS
metadata.name: Invalid value: "1web": a DNS-1035 label must consist of lower case ...
>>> old = dict(deploy, spec=dict(deploy["spec"], template={"metadata": {"labels": {"app": "web"}},
...            "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}))
>>> new = dict(old, spec=dict(old["spec"], selector={"matchLabels": {"app": "web2"}}))
>>> print(validate_update(new, old)[-1])
spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web2"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable
"""

from __future__ import annotations

from collections.abc import Callable

from kubelab.api import kinds
from kubelab.api.validation import (
    admission,
    apiextensions,
    apps,
    batch,
    classes,
    core,
    networking,
    policy,
    rbac,
    services,
    storage,
    volumes,
)
from kubelab.api.validation.meta import validate_object_meta, validate_object_meta_update
from kubelab.api.validation.pod_update import validate_pod_update
from kubelab.api.validation.pods import validate_pod, validate_pod_template
from kubelab.errors import FieldError

__all__ = ["validate", "validate_update"]

Validator = Callable[[dict], list[FieldError]]
UpdateValidator = Callable[[dict, dict], list[FieldError]]

_CREATE: dict[str, Validator] = {
    "Pod": validate_pod,
    "PodTemplate": validate_pod_template,
    "ReplicationController": core.validate_replication_controller,
    "ReplicaSet": apps.validate_replica_set,
    "Deployment": apps.validate_deployment,
    "DaemonSet": apps.validate_daemon_set,
    "StatefulSet": apps.validate_stateful_set,
    "Job": batch.validate_job,
    "CronJob": batch.validate_cron_job,
    "Service": services.validate_service,
    "Endpoints": services.validate_endpoints,
    "Namespace": core.validate_namespace,
    "Node": core.validate_node,
    "ConfigMap": core.validate_config_map,
    "Secret": core.validate_secret,
    "ResourceQuota": core.validate_resource_quota,
    "LimitRange": core.validate_limit_range,
    "Event": core.validate_event,
    "PersistentVolume": volumes.validate_persistent_volume,
    "PersistentVolumeClaim": volumes.validate_persistent_volume_claim,
    "StorageClass": storage.validate_storage_class,
    "Ingress": networking.validate_ingress,
    "IngressClass": networking.validate_ingress_class,
    "PodDisruptionBudget": policy.validate_pod_disruption_budget,
    "ServiceAccount": classes.validate_service_account,
    "Role": rbac.validate_role,
    "ClusterRole": rbac.validate_cluster_role,
    "RoleBinding": rbac.validate_role_binding,
    "ClusterRoleBinding": rbac.validate_cluster_role_binding,
    "NetworkPolicy": classes.validate_network_policy,
    "PriorityClass": classes.validate_priority_class,
    "RuntimeClass": classes.validate_runtime_class,
    "ServiceCIDR": classes.validate_service_cidr,
    "HorizontalPodAutoscaler": classes.validate_horizontal_pod_autoscaler,
    "ValidatingAdmissionPolicy": admission.validate_policy,
    "ValidatingAdmissionPolicyBinding": admission.validate_policy_binding,
    "CustomResourceDefinition": apiextensions.validate_crd,
}

# Update checks that upstream reports before re-validating the new object ...
_UPDATE_BEFORE: dict[str, UpdateValidator] = {
    "Service": services.validate_service_update,
    "ConfigMap": core.validate_config_map_update,
    "Secret": core.validate_secret_update,
    "IngressClass": networking.validate_ingress_class_update,
}
# ... and those it reports after.
_UPDATE_AFTER: dict[str, UpdateValidator] = {
    "Pod": validate_pod_update,
    "ReplicaSet": apps.validate_selector_update,
    "Deployment": apps.validate_selector_update,
    "DaemonSet": apps.validate_selector_update,
    "StatefulSet": apps.validate_stateful_set_update,
    "Job": batch.validate_job_update,
    "PersistentVolume": volumes.validate_persistent_volume_update,
    "PersistentVolumeClaim": volumes.validate_persistent_volume_claim_update,
    "StorageClass": storage.validate_storage_class_update,
    "RoleBinding": rbac.validate_role_binding_update,
    "ClusterRoleBinding": rbac.validate_role_binding_update,
    "PriorityClass": classes.validate_priority_class_update,
    "CustomResourceDefinition": apiextensions.validate_crd_update,
}


def _generic(obj: dict) -> list[FieldError]:
    """Kinds without their own rules (Lease, EndpointSlice, ControllerRevision...): metadata only."""
    rt = kinds.for_object(obj)
    return validate_object_meta(obj.get("metadata"), rt.namespaced if rt else True)


def _internal(exc: Exception) -> list[FieldError]:
    # A validator bug must not crash the API server; upstream would answer "Internal error".
    return [FieldError("", "Internal error", detail=f"{type(exc).__name__}: {exc}")]


def validate(obj: dict) -> list[FieldError]:
    """Create-time validation of a defaulted object; ``[]`` when it is valid."""
    if not isinstance(obj, dict):
        return [FieldError.invalid("", str(obj), "must be an object")]
    try:
        return _CREATE.get(obj.get("kind"), _generic)(obj)
    except Exception as exc:
        return _internal(exc)


def validate_update(new: dict, old: dict) -> list[FieldError]:
    """Update-time validation: metadata identity, kind-specific immutability, then the new object.

    The result includes everything :func:`validate` reports for ``new`` (as upstream's
    ``Validate*Update`` functions do), so callers need not run both.
    """
    if not isinstance(new, dict) or not isinstance(old, dict):
        return validate(new)
    try:
        kind = new.get("kind")
        errs = validate_object_meta_update(new.get("metadata"), old.get("metadata"))
        before = _UPDATE_BEFORE.get(kind)
        if before is not None:
            errs.extend(before(new, old))
        errs.extend(_CREATE.get(kind, _generic)(new))
        after = _UPDATE_AFTER.get(kind)
        if after is not None:
            errs.extend(after(new, old))
        return errs
    except Exception as exc:
        return _internal(exc)
