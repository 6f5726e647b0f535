"""Table columns and cells for access, policy, autoscaling and extension kinds (``printers.go``).

PodTemplates, ServiceAccounts, RBAC roles and bindings, NetworkPolicies, PriorityClasses, RuntimeClasses,
ServiceCIDRs, HorizontalPodAutoscalers, admission policies and CustomResourceDefinitions;
custom resources print their CRD's ``additionalPrinterColumns``.

Examples
--------
>>> hpa = {"metadata": {"name": "web", "creationTimestamp": "2025-01-01T00:00:00Z"},
...        "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"},
...                 "minReplicas": 1, "maxReplicas": 10, "metrics": [{"type": "Resource",
...                 "resource": {"name": "cpu",
...                              "target": {"type": "Utilization", "averageUtilization": 50}}}]}}
>>> ROWS["HorizontalPodAutoscaler"](hpa, 30.0)
['web', 'Deployment/web', 'cpu: <unknown>/50%', 1, 10, 0, '30s']
"""

from __future__ import annotations

from kubelab.kubectl.columns import AGE, NAME, _col, containers, format_labels
from kubelab.kubectl.columns import age as _age

__all__ = ["COLUMNS", "ROWS", "custom_columns", "custom_row"]

_CREATED_AT = _col("Created At", "date")
_BINDING = [
    NAME,
    _col("Role"),
    AGE,
    _col("Users", priority=1),
    _col("Groups", priority=1),
    _col("ServiceAccounts", priority=1),
]

COLUMNS: dict[str, list[dict]] = {
    "PodTemplate": [NAME, _col("Containers"), _col("Images"), _col("Pod Labels")],
    "ServiceAccount": [NAME, _col("Secrets", "integer"), AGE],
    "Role": [NAME, _CREATED_AT],
    "ClusterRole": [NAME, _CREATED_AT],
    "RoleBinding": _BINDING,
    "ClusterRoleBinding": _BINDING,
    "NetworkPolicy": [NAME, _col("Pod-Selector"), AGE],
    "PriorityClass": [
        NAME,
        _col("Value", "integer"),
        _col("Global-Default", "boolean"),
        AGE,
        _col("PreemptionPolicy"),
    ],
    "RuntimeClass": [NAME, _col("Handler"), AGE],
    "ServiceCIDR": [NAME, _col("CIDRs"), AGE],
    "HorizontalPodAutoscaler": [
        NAME,
        _col("Reference"),
        _col("Targets"),
        _col("MinPods", "integer"),
        _col("MaxPods", "integer"),
        _col("Replicas", "integer"),
        AGE,
    ],
    "ValidatingAdmissionPolicy": [
        NAME,
        _col("Validations", "integer"),
        _col("ParamKind"),
        AGE,
    ],
    "ValidatingAdmissionPolicyBinding": [NAME, _col("PolicyName"), _col("ParamRef"), AGE],
    "CustomResourceDefinition": [NAME, _CREATED_AT],
}


def _name(obj: dict) -> str:
    return obj["metadata"]["name"]


def _created_at(obj, now):
    return [_name(obj), obj["metadata"].get("creationTimestamp", "")]


def _subjects(obj: dict, kind: str) -> str:
    names = []
    for s in obj.get("subjects") or ():
        if s.get("kind") == kind:
            ns = s.get("namespace")
            names.append(
                f"{ns}/{s.get('name', '')}" if kind == "ServiceAccount" else s.get("name", "")
            )
    return ", ".join(names)


def _binding(obj, now):
    ref = obj.get("roleRef") or {}
    return [
        _name(obj),
        f"{ref.get('kind', '')}/{ref.get('name', '')}",
        _age(obj, now),
        _subjects(obj, "User"),
        _subjects(obj, "Group"),
        _subjects(obj, "ServiceAccount"),
    ]


def _selector(selector: dict | None) -> str:
    """``metav1.FormatLabelSelector``: ``<none>`` for an empty selector."""
    selector = selector or {}
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or ():
        key, op, values = expr.get("key", ""), expr.get("operator", ""), expr.get("values") or ()
        if op == "In":
            parts.append(f"{key} in ({','.join(values)})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({','.join(values)})")
        elif op == "Exists":
            parts.append(key)
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts) or "<none>"


def _metric_target(metric: dict) -> str:
    """One metric of ``formatHPAMetrics``: ``cpu: <current>/<target>``."""
    kind = metric.get("type")
    source = metric.get(
        {"Resource": "resource", "ContainerResource": "containerResource"}.get(kind, "")
    )
    if not isinstance(source, dict):
        return "<unknown>/<unknown>"
    target = source.get("target") or {}
    if target.get("averageUtilization") is not None:
        return f"{source.get('name', '')}: <unknown>/{target['averageUtilization']}%"
    value = target.get("averageValue") or target.get("value") or "<unknown>"
    return f"{source.get('name', '')}: <unknown>/{value}"


def _hpa(obj, now):
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    ref = spec.get("scaleTargetRef") or {}
    metrics = [_metric_target(m) for m in spec.get("metrics") or ()]
    targets = ", ".join(metrics[:2]) + (
        f" + {len(metrics) - 2} more..." if len(metrics) > 2 else ""
    )
    return [
        _name(obj),
        f"{ref.get('kind', '')}/{ref.get('name', '')}",
        targets or "<none>",
        spec.get("minReplicas", 1),
        spec.get("maxReplicas", 0),
        status.get("currentReplicas", 0),
        _age(obj, now),
    ]


def _policy(obj, now):
    spec = obj.get("spec") or {}
    param = spec.get("paramKind") or {}
    return [
        _name(obj),
        len(spec.get("validations") or ()),
        f"{param.get('apiVersion', '')}/{param.get('kind', '')}" if param else "<unset>",
        _age(obj, now),
    ]


def _policy_binding(obj, now):
    spec = obj.get("spec") or {}
    ref = spec.get("paramRef") or {}
    if ref.get("name"):  # no namespace: the param is looked up in the request's namespace
        param = f"{ref.get('namespace') or '*'}/{ref['name']}"
    elif ref.get("selector") is not None:
        param = _selector(ref["selector"])
    else:
        param = "<unset>"
    return [_name(obj), spec.get("policyName", ""), param, _age(obj, now)]


def _pod_template(obj, now):
    template = obj.get("template") or {}
    names, images = containers(template)
    return [
        _name(obj),
        names,
        images,
        format_labels((template.get("metadata") or {}).get("labels")),
    ]


ROWS = {
    "PodTemplate": _pod_template,
    "ServiceAccount": lambda o, now: [_name(o), len(o.get("secrets") or ()), _age(o, now)],
    "Role": _created_at,
    "ClusterRole": _created_at,
    "RoleBinding": _binding,
    "ClusterRoleBinding": _binding,
    "NetworkPolicy": lambda o, now: [
        _name(o),
        _selector((o.get("spec") or {}).get("podSelector")),
        _age(o, now),
    ],
    "PriorityClass": lambda o, now: [
        _name(o),
        o.get("value", 0),
        bool(o.get("globalDefault")),
        _age(o, now),
        o.get("preemptionPolicy", ""),
    ],
    "RuntimeClass": lambda o, now: [_name(o), o.get("handler", ""), _age(o, now)],
    "ServiceCIDR": lambda o, now: [
        _name(o),
        ",".join((o.get("spec") or {}).get("cidrs") or ()),
        _age(o, now),
    ],
    "HorizontalPodAutoscaler": _hpa,
    "ValidatingAdmissionPolicy": _policy,
    "ValidatingAdmissionPolicyBinding": _policy_binding,
    "CustomResourceDefinition": _created_at,
}


# --------------------------------------------------------------------------- custom resources


def custom_columns(printer_columns: list[dict]) -> list[dict]:
    """Table columns of a custom kind: Name, then the CRD's printer columns."""
    return [
        NAME,
        *(
            _col(c.get("name", ""), c.get("type", "string"), int(c.get("priority") or 0))
            for c in printer_columns
        ),
    ]


def _json_path(obj, path: str):
    """A simple ``.a.b.c`` JSONPath (what printer columns use); ``None`` when absent."""
    value = obj
    for part in path.strip().lstrip(".").split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def custom_row(obj: dict, printer_columns: list[dict], now: float) -> list:
    """One row: the name, then each column's value (``date`` columns as ages)."""
    cells: list = [_name(obj)]
    for column in printer_columns:
        value = _json_path(obj, column.get("jsonPath", ""))
        if column.get("type") == "date" and isinstance(value, str):
            from kubelab.kubectl.duration import since

            value = since(value, now)
        cells.append("" if value is None else value)
    return cells
