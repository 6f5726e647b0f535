"""Probes and lifecycle hooks: exactly one handler, ``successThreshold`` 1 for liveness/startup."""

from __future__ import annotations

from kubelab.api.validation._util import PORT_RANGE, d, integer, lst, nonnegative, port_num_or_name
from kubelab.errors import FieldError

__all__ = ["validate_lifecycle", "validate_probe"]

_SCHEMES = ("HTTP", "HTTPS")


def _handler(h: dict, path: str, kinds: tuple[str, ...]) -> list[FieldError]:
    """``validateHandler``: exactly one action among ``kinds`` (in upstream order)."""
    errs: list[FieldError] = []
    count = 0
    for kind in kinds:
        action = h.get(kind)
        if action is None:
            continue
        if count:
            errs.append(
                FieldError.forbidden(f"{path}.{kind}", "may not specify more than 1 handler type")
            )
            continue
        count += 1
        action, ap = d(action), f"{path}.{kind}"
        if kind == "exec":
            if not lst(action.get("command")):
                errs.append(FieldError.required(f"{ap}.command"))
        elif kind == "httpGet":
            if not action.get("path", "/"):
                errs.append(FieldError.required(f"{ap}.path"))
            errs.extend(port_num_or_name(action.get("port", 0), f"{ap}.port"))
            scheme = action.get("scheme", "HTTP")
            if scheme not in _SCHEMES:
                errs.append(FieldError.not_supported(f"{ap}.scheme", scheme, _SCHEMES))
        elif kind == "tcpSocket":
            errs.extend(port_num_or_name(action.get("port", 0), f"{ap}.port"))
        elif kind == "grpc":
            port = action.get("port", 0)
            if integer(port) is None or not 1 <= port <= 65535:
                errs.append(FieldError.invalid(f"{ap}.port", port, PORT_RANGE))
        elif kind == "sleep":
            secs = action.get("seconds", 0)
            if integer(secs) is None or secs < 0:
                errs.append(FieldError.invalid(f"{ap}.seconds", secs, "must be non-negative"))
    if count == 0:
        errs.append(FieldError.required(path, "must specify a handler type"))
    return errs


_PROBE_HANDLERS = ("exec", "httpGet", "tcpSocket", "grpc")
_HOOK_HANDLERS = ("exec", "httpGet", "tcpSocket", "sleep")


def validate_probe(probe, path: str, kind: str) -> list[FieldError]:
    probe = d(probe)
    errs = _handler(probe, path, _PROBE_HANDLERS)
    for key in (
        "initialDelaySeconds",
        "timeoutSeconds",
        "periodSeconds",
        "successThreshold",
        "failureThreshold",
    ):
        if key in probe:
            errs.extend(nonnegative(probe[key], f"{path}.{key}"))
    grace = probe.get("terminationGracePeriodSeconds")
    if grace is not None:
        if kind == "readiness":
            errs.append(
                FieldError.invalid(
                    f"{path}.terminationGracePeriodSeconds",
                    grace,
                    "must not be set for readinessProbes",
                )
            )
        elif integer(grace) is not None and grace <= 0:
            errs.append(
                FieldError.invalid(
                    f"{path}.terminationGracePeriodSeconds", grace, "must be greater than 0"
                )
            )
    if kind != "readiness":
        st = probe.get("successThreshold", 1)
        if st != 1:
            errs.append(FieldError.invalid(f"{path}.successThreshold", st, "must be 1"))
    return errs


def validate_lifecycle(lifecycle, path: str) -> list[FieldError]:
    lifecycle = d(lifecycle)
    errs: list[FieldError] = []
    for hook in ("postStart", "preStop"):
        if lifecycle.get(hook) is not None:
            errs.extend(_handler(d(lifecycle[hook]), f"{path}.{hook}", _HOOK_HANDLERS))
    return errs
