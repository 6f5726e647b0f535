"""Column definitions of the API server's Tables, per kind (upstream ``printers.go``).

``priority: 1`` columns are the ones ``kubectl get -o wide`` adds.

>>> [c["name"] for c in COLUMNS["Pod"] if c["priority"] == 0]
['Name', 'Ready', 'Status', 'Restarts', 'Age']
"""

from __future__ import annotations

from kubelab.kubectl.duration import since

__all__ = ["COLUMNS", "DEFAULT_COLUMNS", "age", "format_labels"]


def _col(name: str, type_: str = "string", priority: int = 0, fmt: str = "") -> dict:
    return {"name": name, "type": type_, "format": fmt, "description": "", "priority": priority}


NAME = _col("Name", fmt="name")
AGE = _col("Age")
_TEMPLATE_WIDE = [
    _col("Containers", priority=1),
    _col("Images", priority=1),
    _col("Selector", priority=1),
]

COLUMNS: dict[str, list[dict]] = {
    "Pod": [
        NAME,
        _col("Ready"),
        _col("Status"),
        _col("Restarts", "integer"),
        AGE,
        _col("IP", priority=1),
        _col("Node", priority=1),
        _col("Nominated Node", priority=1),
        _col("Readiness Gates", priority=1),
    ],
    "ReplicaSet": [
        NAME,
        _col("Desired", "integer"),
        _col("Current", "integer"),
        _col("Ready", "integer"),
        AGE,
        *_TEMPLATE_WIDE,
    ],
    "ReplicationController": [
        NAME,
        _col("Desired", "integer"),
        _col("Current", "integer"),
        _col("Ready", "integer"),
        AGE,
        *_TEMPLATE_WIDE,
    ],
    "Deployment": [
        NAME,
        _col("Ready"),
        _col("Up-to-date"),
        _col("Available"),
        AGE,
        *_TEMPLATE_WIDE,
    ],
    "DaemonSet": [
        NAME,
        _col("Desired", "integer"),
        _col("Current", "integer"),
        _col("Ready", "integer"),
        _col("Up-to-date", "integer"),
        _col("Available", "integer"),
        _col("Node Selector"),
        AGE,
        *_TEMPLATE_WIDE,
    ],
    "StatefulSet": [
        NAME,
        _col("Ready"),
        AGE,
        _col("Containers", priority=1),
        _col("Images", priority=1),
    ],
    "Node": [
        NAME,
        _col("Status"),
        _col("Roles"),
        AGE,
        _col("Version"),
        _col("Internal-IP", priority=1),
        _col("External-IP", priority=1),
        _col("OS-Image", priority=1),
        _col("Kernel-Version", priority=1),
        _col("Container-Runtime", priority=1),
    ],
    "Namespace": [NAME, _col("Status"), AGE],
    "Event": [
        _col("Last Seen"),
        _col("Type"),
        _col("Reason"),
        _col("Object"),
        _col("Subobject", priority=1),
        _col("Source", priority=1),
        _col("Message"),
        _col("First Seen", priority=1),
        _col("Count", priority=1),
        _col("Name", priority=1, fmt="name"),
    ],
    "Service": [
        NAME,
        _col("Type"),
        _col("Cluster-IP"),
        _col("External-IP"),
        _col("Port(s)"),
        AGE,
        _col("Selector", priority=1),
    ],
    "Endpoints": [NAME, _col("Endpoints"), AGE],
    "EndpointSlice": [NAME, _col("AddressType"), _col("Ports"), _col("Endpoints"), AGE],
    "ConfigMap": [NAME, _col("Data"), AGE],
    "Secret": [NAME, _col("Type"), _col("Data"), AGE],
    "PersistentVolume": [
        NAME,
        _col("Capacity"),
        _col("Access Modes"),
        _col("Reclaim Policy"),
        _col("Status"),
        _col("Claim"),
        _col("StorageClass"),
        _col("VolumeAttributesClass"),
        _col("Reason"),
        AGE,
        _col("VolumeMode", priority=1),
    ],
    "PersistentVolumeClaim": [
        NAME,
        _col("Status"),
        _col("Volume"),
        _col("Capacity"),
        _col("Access Modes"),
        _col("StorageClass"),
        _col("VolumeAttributesClass"),
        AGE,
        _col("VolumeMode", priority=1),
    ],
    "StorageClass": [
        NAME,
        _col("Provisioner"),
        _col("ReclaimPolicy"),
        _col("VolumeBindingMode"),
        _col("AllowVolumeExpansion"),
        AGE,
    ],
    "Ingress": [NAME, _col("Class"), _col("Hosts"), _col("Address"), _col("Ports"), AGE],
    "IngressClass": [NAME, _col("Controller"), _col("Parameters"), AGE],
    "PodDisruptionBudget": [
        NAME,
        _col("Min Available"),
        _col("Max Unavailable"),
        _col("Allowed Disruptions", "integer"),
        AGE,
    ],
    "Lease": [NAME, _col("Holder"), AGE],
    "ControllerRevision": [NAME, _col("Controller"), _col("Revision"), AGE],
    "ResourceQuota": [NAME, AGE, _col("Request"), _col("Limit")],
    "LimitRange": [NAME, _col("Created At", "date")],
}
DEFAULT_COLUMNS = [NAME, AGE]


def format_labels(labels: dict | None) -> str:
    """``labels.FormatLabels``: ``k=v`` sorted by key, comma-separated, or ``<none>``.

    >>> format_labels({"tier": "web", "app": "shop"}), format_labels({})
    ('app=shop,tier=web', '<none>')
    """
    if not labels:
        return "<none>"
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def age(obj: dict, now: float) -> str:
    return since(obj["metadata"].get("creationTimestamp"), now)


def containers(template: dict | None) -> tuple[str, str]:
    containers = ((template or {}).get("spec") or {}).get("containers") or ()
    return ",".join(c.get("name", "") for c in containers), ",".join(
        c.get("image", "") for c in containers
    )
