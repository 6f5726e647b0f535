"""Conversion to the storage version: what the API server writes for an older apiVersion.

The API server decodes a request in the version it was sent in (and defaults it there),
converts it to the kind's storage version and stores that; reads return the stored
version. kubelab serves one older input version: ``autoscaling/v1`` HorizontalPodAutoscalers,
stored as ``autoscaling/v2`` (upstream ``pkg/apis/autoscaling/v1/conversion.go``):
``targetCPUUtilizationPercentage`` becomes a ``Resource`` metric on ``cpu``.

Examples
--------
>>> hpa = {"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler",
...        "metadata": {"name": "web"},
...        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
...                 "maxReplicas": 5, "targetCPUUtilizationPercentage": 50}}
>>> v2 = to_storage_version(hpa)
>>> v2["apiVersion"], v2["spec"]["metrics"][0]["resource"]["target"]
('autoscaling/v2', {'type': 'Utilization', 'averageUtilization': 50})
>>> to_storage_version({"apiVersion": "v1", "kind": "Pod"}) == {"apiVersion": "v1", "kind": "Pod"}
True
"""

from __future__ import annotations

__all__ = ["to_storage_version"]


def _hpa_v1_to_v2(obj: dict) -> dict:
    from kubelab.api.defaults import apply_defaults

    spec = dict(obj.get("spec") or {})
    target = spec.pop("targetCPUUtilizationPercentage", None)
    if target is not None:
        spec["metrics"] = [
            {
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "target": {"type": "Utilization", "averageUtilization": target},
                },
            }
        ]
    status = obj.get("status")
    out = dict(obj, apiVersion="autoscaling/v2", spec=spec)
    if isinstance(status, dict):
        status = dict(status)
        current = status.pop("currentCPUUtilizationPercentage", None)
        if current is not None:
            status["currentMetrics"] = [
                {
                    "type": "Resource",
                    "resource": {"name": "cpu", "current": {"averageUtilization": current}},
                }
            ]
        out["status"] = status
    return apply_defaults(out)  # read back from storage, the v2 defaults apply


_CONVERTERS = {("HorizontalPodAutoscaler", "autoscaling/v1"): _hpa_v1_to_v2}


def to_storage_version(obj: dict) -> dict:
    """``obj`` in its kind's storage version (the object itself when it already is)."""
    if not isinstance(obj, dict):
        return obj
    convert = _CONVERTERS.get((obj.get("kind"), obj.get("apiVersion")))
    return obj if convert is None else convert(obj)
