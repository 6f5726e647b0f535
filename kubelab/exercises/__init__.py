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

__all__ = [
    "CheckFailed",
    "check_component_order",
    "check_failover_time",
    "check_fixed_manifest",
    "check_pod_count",
    "check_pod_manifest",
    "check_prediction",
    "check_rc_to_replicaset",
    "check_reconciled",
    "check_replicaset_manifest",
    "check_selector",
    "check_sidecar_pod",
    "check_spec_or_status",
    "failover_seconds",
]
