"""Server-side Tables (``meta.k8s.io/v1 Table``), built like the API server builds them.

For ``kubectl get``, the API server converts objects into a Table: column
definitions (``priority: 1`` columns are shown only with ``-o wide``) and one
row of cells per object. The columns and cell formulas are those of upstream
``pkg/printers/internalversion/printers.go``; like the real server, every row is
generated in *wide* mode and kubectl drops the priority-1 columns itself. Ages
come from the simulated clock ``now``.

Examples
--------
>>> rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
...       "metadata": {"name": "frontend", "namespace": "default",
...                    "creationTimestamp": "2025-01-01T00:00:00Z"},
...       "spec": {"replicas": 3, "selector": {"matchLabels": {"tier": "frontend"}},
...                "template": {"spec": {"containers": [{"name": "php", "image": "php:8"}]}}},
...       "status": {"replicas": 3, "readyReplicas": 2}}
>>> table = table_for([rs], "ReplicaSet", now=65.0)
>>> [c["name"] for c in table["columnDefinitions"]]
['Name', 'Desired', 'Current', 'Ready', 'Age', 'Containers', 'Images', 'Selector']
>>> table["rows"][0]["cells"]
['frontend', 3, 3, 2, '65s', 'php', 'php:8', 'tier=frontend']
"""

from __future__ import annotations

from collections.abc import Callable

from kubelab.kubectl.columns import COLUMNS, DEFAULT_COLUMNS, format_labels
from kubelab.kubectl.columns import age as _age
from kubelab.kubectl.describe_policy import limitrange_row, quota_row
from kubelab.kubectl.rows_access import COLUMNS as ACCESS_COLUMNS
from kubelab.kubectl.rows_access import ROWS as ACCESS_ROWS
from kubelab.kubectl.rows_access import custom_columns, custom_row
from kubelab.kubectl.rows_services import (
    _configmap,
    _controllerrevision,
    _endpoints,
    _endpointslice,
    _ingress,
    _ingressclass,
    _lease,
    _pdb,
    _pv,
    _pvc,
    _secret,
    _service,
    _storageclass,
)
from kubelab.kubectl.rows_workloads import (
    _cronjob,
    _daemonset,
    _deployment,
    _event,
    _job,
    _namespace,
    _node,
    _pod,
    _replicaset,
    _statefulset,
    node_roles,
    node_status,
)

__all__ = ["COLUMNS", "format_labels", "node_roles", "node_status", "table_for"]


def _default(obj, now):
    return [obj["metadata"]["name"], _age(obj, now)]


_ROWS: dict[str, Callable[[dict, float], list]] = {
    "Pod": _pod,
    "ReplicaSet": _replicaset,
    "ReplicationController": _replicaset,
    "Deployment": _deployment,
    "DaemonSet": _daemonset,
    "StatefulSet": _statefulset,
    "Job": _job,
    "CronJob": _cronjob,
    "Node": _node,
    "Namespace": _namespace,
    "Event": _event,
    "Service": _service,
    "Endpoints": _endpoints,
    "EndpointSlice": _endpointslice,
    "ConfigMap": _configmap,
    "Secret": _secret,
    "PersistentVolume": _pv,
    "PersistentVolumeClaim": _pvc,
    "StorageClass": _storageclass,
    "Ingress": _ingress,
    "IngressClass": _ingressclass,
    "PodDisruptionBudget": _pdb,
    "Lease": _lease,
    "ControllerRevision": _controllerrevision,
    "ResourceQuota": quota_row,
    "LimitRange": limitrange_row,
    **ACCESS_ROWS,
}


def table_for(
    objects: list[dict], kind: str, now: float, printer_columns: list[dict] | None = None
) -> dict:
    """A ``meta.k8s.io/v1`` Table of ``objects`` (all of ``kind``) at simulated time ``now``.

    Each row carries the object itself (``row["object"]``), which kubectl needs for
    ``--show-labels``, ``-L`` and the NAMESPACE column. ``printer_columns``: a custom
    kind's ``additionalPrinterColumns`` (from its CRD).
    """
    if printer_columns is not None:
        columns = custom_columns(printer_columns)
        rows = [{"cells": custom_row(o, printer_columns, now), "object": o} for o in objects]
        return _table(columns, rows)
    columns = COLUMNS.get(kind) or ACCESS_COLUMNS.get(kind, DEFAULT_COLUMNS)
    row_fn = _ROWS.get(kind, _default)
    rows = [{"cells": row_fn(obj, now), "object": obj} for obj in objects]
    return _table(columns, rows)


def _table(columns: list[dict], rows: list[dict]) -> dict:
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": ""},
        "columnDefinitions": [dict(c) for c in columns],
        "rows": rows,
    }
