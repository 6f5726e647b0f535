"""Checks for the course's exercises.

A check prints ``✅ ...`` when the answer is right and raises :class:`CheckFailed` (an
``AssertionError``) when it is not. In Jupyter the failure shows as one friendly line
(``❌ ...``) instead of a traceback; to nbval and nbgrader it is still a failing cell.

>>> from kubelab.exercises import check_spec_or_status
>>> check_spec_or_status({"replicas": "spec", "readyReplicas": "status"})
✅ Right: you declare the spec; the controllers and kubelets report the status.
"""

from kubelab.exercises.checks import (
    CheckFailed,
    check_component_order,
    check_failover_time,
    check_fixed_manifest,
    check_pod_count,
    check_pod_manifest,
    check_prediction,
    check_rc_to_replicaset,
    check_reconciled,
    check_replicaset_manifest,
    check_selector,
    check_sidecar_pod,
    check_spec_or_status,
    failover_seconds,
)
from kubelab.exercises.daemonsets import (
    check_daemon_follows_nodes,
    check_daemonset_manifest,
    check_daemonset_prediction,
)
from kubelab.exercises.deployments import (
    check_rollout_prediction,
    check_safe_rollout,
    check_stalled_rollout_fix,
    rollout_steps,
)
from kubelab.exercises.health import (
    check_drain_with_budget,
    check_health_prediction,
    check_startup_probe,
)
from kubelab.exercises.ingress import (
    check_ingress_prediction,
    check_ingress_routes,
    check_tls_ingress,
)
from kubelab.exercises.policies import (
    check_deployment_fits_quota,
    check_policy_prediction,
    check_team_limitrange,
)
from kubelab.exercises.scheduling import (
    check_colocated_pod,
    check_gpu_pod,
    check_redundant_replicas,
    gpu_nodes,
)
from kubelab.exercises.services import (
    check_fixed_service,
    check_service_by_port_name,
    check_service_types,
)
from kubelab.exercises.storage import (
    check_notes_survive,
    check_shared_claim,
    check_storage_predictions,
)
from kubelab.exercises.traffic import (
    check_local_policy_prediction,
    check_nodeport_service,
    check_zero_downtime,
)

__all__ = [
    "CheckFailed",
    "check_colocated_pod",
    "check_component_order",
    "check_daemon_follows_nodes",
    "check_daemonset_manifest",
    "check_daemonset_prediction",
    "check_deployment_fits_quota",
    "check_drain_with_budget",
    "check_failover_time",
    "check_fixed_manifest",
    "check_fixed_service",
    "check_gpu_pod",
    "check_health_prediction",
    "check_ingress_prediction",
    "check_ingress_routes",
    "check_local_policy_prediction",
    "check_nodeport_service",
    "check_notes_survive",
    "check_pod_count",
    "check_pod_manifest",
    "check_policy_prediction",
    "check_prediction",
    "check_rc_to_replicaset",
    "check_reconciled",
    "check_redundant_replicas",
    "check_replicaset_manifest",
    "check_rollout_prediction",
    "check_safe_rollout",
    "check_selector",
    "check_service_by_port_name",
    "check_service_types",
    "check_shared_claim",
    "check_sidecar_pod",
    "check_spec_or_status",
    "check_stalled_rollout_fix",
    "check_startup_probe",
    "check_storage_predictions",
    "check_team_limitrange",
    "check_tls_ingress",
    "check_zero_downtime",
    "failover_seconds",
    "gpu_nodes",
    "rollout_steps",
]
