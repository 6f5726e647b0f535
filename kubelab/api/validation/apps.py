"""apps/v1 validation: ReplicaSet, Deployment, DaemonSet, StatefulSet (``pkg/apis/apps/validation``).

Plus the apps registry rule that ``spec.selector`` is immutable in apps/v1.
Some upstream quirks are kept on purpose because learners see them verbatim:
the empty-selector message says "deployment" for ReplicaSets too, and a
Deployment's ``activeDeadlineSeconds`` error says "in ReplicaSet".
"""

from __future__ import annotations

import re

from kubelab.api.validation._util import (
    NEGATIVE,
    d,
    go_intstr,
    go_label_selector,
    go_map,
    go_str,
    integer,
    nonnegative,
)
from kubelab.api.validation.meta import IMMUTABLE, validate_object_meta
from kubelab.api.validation.pods import (
    selector_matches,
    validate_pod_template_spec,
    validate_replicated_template,
)
from kubelab.errors import FieldError

__all__ = [
    "int_or_percent",
    "not_more_than_100_percent",
    "percent_value",
    "validate_daemon_set",
    "validate_deployment",
    "validate_replica_set",
    "validate_selector_update",
    "validate_stateful_set",
    "validate_stateful_set_update",
]

_PERCENT_RE = re.compile(r"[0-9]+%\Z")
_PERCENT_MSG = (
    "a valid percent string must be a numeric string followed by an ending '%' "
    "(e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"
)


def _invalid_intstr(path: str, value, detail: str) -> FieldError:
    return FieldError(path, "Invalid value", value, detail, raw_value=go_intstr(value))


def percent_value(value) -> int | None:
    """``getPercentValue``: 25 for ``"25%"``; ``None`` for ints and malformed strings."""
    if isinstance(value, str) and _PERCENT_RE.match(value):
        return int(value[:-1])
    return None


def _int_value(value) -> int:
    """``getIntOrPercentValue``: the percent number, the int, or 0."""
    pct = percent_value(value)
    if pct is not None:
        return pct
    if isinstance(value, str):
        try:
            return int(value)  # IntOrString.IntValue() parses strings with Atoi
        except ValueError:
            return 0
    return integer(value) or 0


def int_or_percent(value, path: str) -> list[FieldError]:
    """``ValidatePositiveIntOrPercent``."""
    if isinstance(value, str):
        return [] if _PERCENT_RE.match(value) else [_invalid_intstr(path, value, _PERCENT_MSG)]
    if integer(value) is not None:
        return [FieldError.invalid(path, value, NEGATIVE)] if value < 0 else []
    return [_invalid_intstr(path, value, "must be an integer or percentage (e.g '5%')")]


def not_more_than_100_percent(value, path: str) -> list[FieldError]:
    """``IsNotMoreThan100Percent``."""
    pct = percent_value(value)
    if pct is None or pct <= 100:
        return []
    return [_invalid_intstr(path, value, "must not be greater than 100%")]


# --------------------------------------------------------------------------- selector + template


def _selector(spec: dict, kind_word: str, required: bool = True) -> tuple[list[FieldError], object]:
    """Selector checks; returns the compiled selector (or ``None`` when it cannot be built)."""
    from kubelab.api.labels import SelectorError, from_label_selector, validate_label_selector

    errs: list[FieldError] = []
    ls = spec.get("selector")
    if ls is None:
        if required:
            errs.append(FieldError.required("spec.selector"))
    elif not isinstance(ls, dict):
        return [FieldError.invalid("spec.selector", ls, "invalid label selector")], None
    else:
        errs.extend(validate_label_selector(ls, "spec.selector"))
        if not ls.get("matchLabels") and not ls.get("matchExpressions"):
            errs.append(
                FieldError(
                    "spec.selector",
                    "Invalid value",
                    detail=f"empty selector is invalid for {kind_word}",
                    raw_value=go_label_selector(ls),
                )
            )
    try:
        return errs, from_label_selector(ls)
    except (SelectorError, TypeError, AttributeError, ValueError):
        if required:
            errs.append(
                FieldError(
                    "spec.selector",
                    "Invalid value",
                    detail="invalid label selector",
                    raw_value=go_label_selector(ls),
                )
            )
        return errs, None


# --------------------------------------------------------------------------- kinds


def validate_replica_set(obj: dict) -> list[FieldError]:
    """``ValidateReplicaSet``."""
    errs = validate_object_meta(obj.get("metadata"), True)
    spec = d(obj.get("spec"))
    errs.extend(nonnegative(spec.get("replicas"), "spec.replicas"))
    errs.extend(nonnegative(spec.get("minReadySeconds"), "spec.minReadySeconds"))
    sel_errs, selector = _selector(spec, "deployment")
    errs.extend(sel_errs)
    if selector is not None:
        errs.extend(validate_replicated_template(spec, selector, "ReplicaSet"))
    return errs


def _rolling_update_deployment(ru: dict, path: str) -> list[FieldError]:
    mu, ms = ru.get("maxUnavailable", 0), ru.get("maxSurge", 0)
    errs = int_or_percent(mu, f"{path}.maxUnavailable")
    errs.extend(int_or_percent(ms, f"{path}.maxSurge"))
    if _int_value(mu) == 0 and _int_value(ms) == 0:
        errs.append(
            _invalid_intstr(f"{path}.maxUnavailable", mu, "may not be 0 when `maxSurge` is 0")
        )
    errs.extend(not_more_than_100_percent(mu, f"{path}.maxUnavailable"))
    return errs


def _deployment_strategy(strategy: dict) -> list[FieldError]:
    kind = strategy.get("type")
    if kind == "Recreate":
        if strategy.get("rollingUpdate") is not None:
            return [
                FieldError.forbidden(
                    "spec.strategy.rollingUpdate",
                    "may not be specified when strategy `type` is 'Recreate'",
                )
            ]
        return []
    if kind == "RollingUpdate":
        ru = strategy.get("rollingUpdate")
        if ru is None:
            return [
                FieldError.required(
                    "spec.strategy.rollingUpdate", "this should be defaulted and never be nil"
                )
            ]
        return _rolling_update_deployment(d(ru), "spec.strategy.rollingUpdate")
    raw = f"apps.DeploymentStrategy{{Type:{_q(kind)}, RollingUpdate:{_ptr(strategy, 'RollingUpdateDeployment')}}}"
    return [
        FieldError(
            "spec.strategy",
            "Unsupported value",
            kind,
            'supported values: "Recreate", "RollingUpdate"',
            raw_value=raw,
        )
    ]


def _ptr(strategy: dict, type_name: str) -> str:
    """A nested pointer as ``%#v`` prints it (Go shows an address for non-nil pointers)."""
    if strategy.get("rollingUpdate") is None:
        return f"(*apps.{type_name})(nil)"
    return f"(*apps.{type_name})(0xc000010000)"


def _q(value) -> str:
    return go_str(value if value is not None else "")


def validate_deployment(obj: dict) -> list[FieldError]:
    """``ValidateDeployment``."""
    errs = validate_object_meta(obj.get("metadata"), True)
    spec = d(obj.get("spec"))
    errs.extend(nonnegative(spec.get("replicas"), "spec.replicas"))
    sel_errs, selector = _selector(spec, "deployment")
    errs.extend(sel_errs)
    if selector is not None:
        errs.extend(validate_replicated_template(spec, selector, "ReplicaSet"))
    if "strategy" in spec:
        errs.extend(_deployment_strategy(d(spec.get("strategy"))))
    min_ready = spec.get("minReadySeconds", 0)
    errs.extend(nonnegative(min_ready, "spec.minReadySeconds"))
    if spec.get("revisionHistoryLimit") is not None:
        errs.extend(nonnegative(spec["revisionHistoryLimit"], "spec.revisionHistoryLimit"))
    pds = spec.get("progressDeadlineSeconds")
    if integer(pds) is not None:
        errs.extend(nonnegative(pds, "spec.progressDeadlineSeconds"))
        if integer(min_ready) is not None and pds <= min_ready:
            errs.append(
                FieldError.invalid(
                    "spec.progressDeadlineSeconds", pds, "must be greater than minReadySeconds"
                )
            )
    return errs


def _daemon_set_strategy(strategy: dict) -> list[FieldError]:
    kind = strategy.get("type")
    path = "spec.updateStrategy"
    if kind == "OnDelete":
        return []
    if kind == "RollingUpdate":
        ru = strategy.get("rollingUpdate")
        if ru is None:
            return [FieldError.required(f"{path}.rollingUpdate")]
        ru, rp = d(ru), f"{path}.rollingUpdate"
        mu, ms = ru.get("maxUnavailable", 0), ru.get("maxSurge", 0)
        errs = int_or_percent(mu, f"{rp}.maxUnavailable")
        errs.extend(int_or_percent(ms, f"{rp}.maxSurge"))
        errs.extend(not_more_than_100_percent(mu, f"{rp}.maxUnavailable"))
        errs.extend(not_more_than_100_percent(ms, f"{rp}.maxSurge"))
        has_unavailable, has_surge = _int_value(mu) != 0, _int_value(ms) != 0
        if has_unavailable and has_surge:
            errs.append(
                _invalid_intstr(
                    f"{rp}.maxSurge", ms, "may not be set when maxUnavailable is non-zero"
                )
            )
        elif not has_unavailable and not has_surge:
            errs.append(
                FieldError.required(f"{rp}.maxUnavailable", "cannot be 0 when maxSurge is 0")
            )
        return errs
    raw = f"apps.DaemonSetUpdateStrategy{{Type:{_q(kind)}, RollingUpdate:{_ptr(strategy, 'RollingUpdateDaemonSet')}}}"
    return [
        FieldError(
            path,
            "Unsupported value",
            kind,
            'supported values: "RollingUpdate", "OnDelete"',
            raw_value=raw,
        )
    ]


def _daemon_set_selector(spec: dict) -> list[FieldError]:
    from kubelab.api.labels import SelectorError, from_label_selector, validate_label_selector

    ls = spec.get("selector")
    if ls is not None and not isinstance(ls, dict):
        return [FieldError.invalid("spec.selector", ls, "invalid label selector")]
    errs = validate_label_selector(ls, "spec.selector")
    try:
        selector = from_label_selector(ls)
    except (SelectorError, TypeError, AttributeError, ValueError):
        selector = None
    labels = d(d(spec.get("template")).get("metadata")).get("labels")
    if selector is not None and not selector_matches(selector, labels):
        errs.append(
            FieldError(
                "spec.template.metadata.labels",
                "Invalid value",
                detail="`selector` does not match template `labels`",
                raw_value=go_map(labels),
            )
        )
    if ls is not None and not ls.get("matchLabels") and not ls.get("matchExpressions"):
        errs.append(
            FieldError(
                "spec.selector",
                "Invalid value",
                detail="empty selector is invalid for daemonset",
                raw_value=go_label_selector(ls),
            )
        )
    return errs


def validate_daemon_set(obj: dict) -> list[FieldError]:
    """``ValidateDaemonSet``: a nil selector is not "required" here, it just matches nothing."""
    errs = validate_object_meta(obj.get("metadata"), True)
    spec = d(obj.get("spec"))
    errs.extend(_daemon_set_selector(spec))
    template = d(spec.get("template"))
    errs.extend(validate_pod_template_spec(template, "spec.template"))
    tspec = d(template.get("spec"))
    policy = tspec.get("restartPolicy", "Always")
    if policy != "Always":
        errs.append(
            FieldError.not_supported("spec.template.spec.restartPolicy", policy, ["Always"])
        )
    if tspec.get("activeDeadlineSeconds") is not None:
        errs.append(
            FieldError.forbidden(
                "spec.template.spec.activeDeadlineSeconds",
                "activeDeadlineSeconds in DaemonSet is not Supported",
            )
        )
    errs.extend(nonnegative(spec.get("minReadySeconds"), "spec.minReadySeconds"))
    if "updateStrategy" in spec:
        errs.extend(_daemon_set_strategy(d(spec.get("updateStrategy"))))
    if spec.get("revisionHistoryLimit") is not None:
        errs.extend(nonnegative(spec["revisionHistoryLimit"], "spec.revisionHistoryLimit"))
    return errs


def _stateful_set_strategy(strategy: dict) -> list[FieldError]:
    path = "spec.updateStrategy"
    kind = strategy.get("type")
    rolling = strategy.get("rollingUpdate")
    if kind in (None, ""):
        return [FieldError.required(path)]
    if kind == "OnDelete":
        if rolling is None:
            return []
        return [
            FieldError(
                f"{path}.rollingUpdate",
                "Invalid value",
                rolling,
                "only allowed for updateStrategy 'RollingUpdate'",
                raw_value="(*apps.RollingUpdateStatefulSetStrategy)(0xc000010000)",
            )
        ]
    if kind != "RollingUpdate":
        raw = f"apps.StatefulSetUpdateStrategy{{Type:{_q(kind)}, RollingUpdate:{_ptr(strategy, 'RollingUpdateStatefulSetStrategy')}}}"
        return [
            FieldError(
                path,
                "Invalid value",
                strategy,
                "must be 'RollingUpdate' or 'OnDelete'",
                raw_value=raw,
            )
        ]
    if rolling is None:
        return []
    rolling, rp = d(rolling), f"{path}.rollingUpdate"
    errs = nonnegative(rolling.get("partition", 0), f"{rp}.partition")
    mu = rolling.get("maxUnavailable")
    if mu is not None:
        errs.extend(int_or_percent(mu, f"{rp}.maxUnavailable"))
        if _int_value(mu) == 0:
            errs.append(_invalid_intstr(f"{rp}.maxUnavailable", mu, "cannot be 0"))
        errs.extend(not_more_than_100_percent(mu, f"{rp}.maxUnavailable"))
    return errs


def _retention_policy(policy) -> list[FieldError]:
    """``ValidatePersistentVolumeClaimRetentionPolicy``."""
    errs: list[FieldError] = []
    if not isinstance(policy, dict):
        return errs
    for key in ("whenDeleted", "whenScaled"):
        value = policy.get(key, "")
        if value not in ("Retain", "Delete"):
            errs.append(
                FieldError.not_supported(
                    f"spec.persistentVolumeClaimRetentionPolicy.{key}", value, ["Delete", "Retain"]
                )
            )
    return errs


def validate_stateful_set(obj: dict) -> list[FieldError]:
    """``ValidateStatefulSet``: the pod template is checked for labels and annotations only
    (upstream's TODO: its volumes come from ``volumeClaimTemplates``), the pods are
    validated when the controller creates them."""
    errs = validate_object_meta(obj.get("metadata"), True)
    spec = d(obj.get("spec"))
    policy = spec.get("podManagementPolicy", "")
    if policy in (None, ""):
        errs.append(FieldError.required("spec.podManagementPolicy"))
    elif policy not in ("OrderedReady", "Parallel"):
        errs.append(
            FieldError.invalid(
                "spec.podManagementPolicy", policy, "must be 'OrderedReady' or 'Parallel'"
            )
        )
    errs.extend(_stateful_set_strategy(d(spec.get("updateStrategy"))))
    errs.extend(_retention_policy(spec.get("persistentVolumeClaimRetentionPolicy")))
    errs.extend(nonnegative(spec.get("replicas", 0), "spec.replicas"))
    ordinals = spec.get("ordinals")
    if isinstance(ordinals, dict):
        errs.extend(nonnegative(ordinals.get("start", 0), "spec.ordinals.start"))
    errs.extend(nonnegative(spec.get("minReadySeconds", 0), "spec.minReadySeconds"))
    sel_errs, selector = _selector(spec, "statefulset")
    errs.extend(sel_errs)
    errs.extend(validate_replicated_template(spec, selector, "StatefulSet", pod_spec=False))
    return errs


_STS_MUTABLE = (
    "replicas",
    "template",
    "updateStrategy",
    "minReadySeconds",
    "ordinals",
    "revisionHistoryLimit",
    "persistentVolumeClaimRetentionPolicy",
)


def validate_stateful_set_update(new: dict, old: dict) -> list[FieldError]:
    """``ValidateStatefulSetUpdate``: only the listed spec fields may change (the selector
    and ``volumeClaimTemplates`` included in the refusal)."""
    new_spec, old_spec = d(new.get("spec")), d(old.get("spec"))
    rest_new = {k: v for k, v in new_spec.items() if k not in _STS_MUTABLE}
    rest_old = {k: v for k, v in old_spec.items() if k not in _STS_MUTABLE}
    if _semantic(rest_new) == _semantic(rest_old):
        return []
    return [
        FieldError.forbidden(
            "spec",
            "updates to statefulset spec for fields other than 'replicas', 'ordinals', "
            "'template', 'updateStrategy', 'revisionHistoryLimit', "
            "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
        )
    ]


def _semantic(value):
    """``Semantic.DeepEqual`` on JSON: empty maps, lists and strings equal missing ones."""
    if isinstance(value, dict):
        return {k: _semantic(v) for k, v in value.items() if v not in (None, {}, [], "")}
    if isinstance(value, list):
        return [_semantic(v) for v in value]
    return value


def validate_selector_update(new: dict, old: dict) -> list[FieldError]:
    """apps/v1 registry rule: ``spec.selector`` is immutable."""
    new_sel, old_sel = d(new.get("spec")).get("selector"), d(old.get("spec")).get("selector")
    if _normal(new_sel) == _normal(old_sel):
        return []
    raw = "null" if new_sel is None else go_label_selector(new_sel)
    return [FieldError("spec.selector", "Invalid value", detail=IMMUTABLE, raw_value=raw)]


def _normal(ls):
    """Semantic equality: empty and missing lists/maps compare equal, as ``Semantic.DeepEqual``."""
    if not isinstance(ls, dict):
        return ls
    return (
        tuple(sorted(d(ls.get("matchLabels")).items())),
        tuple(repr(e) for e in (ls.get("matchExpressions") or [])),
    )
