"""policy/v1 PodDisruptionBudget (``pkg/apis/policy/validation``)."""

from __future__ import annotations

from kubelab.api.validation._util import d, go_intstr
from kubelab.api.validation.apps import int_or_percent, not_more_than_100_percent
from kubelab.api.validation.meta import validate_object_meta
from kubelab.errors import FieldError

__all__ = ["validate_pod_disruption_budget"]

_EVICTION_POLICIES = ("AlwaysAllow", "IfHealthyBudget")


def _go_pdb_spec(spec: dict) -> str:
    def ptr(key):
        return "(*intstr.IntOrString)(nil)" if spec.get(key) is None else "&" + go_intstr(spec[key])

    return (
        f"policy.PodDisruptionBudgetSpec{{MinAvailable:{ptr('minAvailable')}, Selector:..., "
        f"MaxUnavailable:{ptr('maxUnavailable')}, UnhealthyPodEvictionPolicy:...}}"
    )


def validate_pod_disruption_budget(obj: dict) -> list[FieldError]:
    """``ValidatePodDisruptionBudget``: ``minAvailable`` xor ``maxUnavailable``, a valid selector."""
    from kubelab.api.labels import validate_label_selector

    errs = validate_object_meta(obj.get("metadata"), True)
    spec = d(obj.get("spec"))
    if spec.get("minAvailable") is not None and spec.get("maxUnavailable") is not None:
        errs.append(
            FieldError(
                "spec",
                "Invalid value",
                detail="minAvailable and maxUnavailable cannot be both set",
                raw_value=_go_pdb_spec(spec),
            )
        )
    for key in ("minAvailable", "maxUnavailable"):
        if spec.get(key) is not None:
            errs.extend(int_or_percent(spec[key], f"spec.{key}"))
            errs.extend(not_more_than_100_percent(spec[key], f"spec.{key}"))
    if spec.get("selector") is not None:
        errs.extend(validate_label_selector(d(spec["selector"]), "spec.selector"))
    policy = spec.get("unhealthyPodEvictionPolicy")
    if policy is not None and policy not in _EVICTION_POLICIES:
        errs.append(
            FieldError.not_supported("spec.unhealthyPodEvictionPolicy", policy, _EVICTION_POLICIES)
        )
    return errs
