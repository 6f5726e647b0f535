"""Container resources: resource names, quantities, and request ≤ limit (``ValidateResourceRequirements``).

Every Pod of a ReplicaSet repeats its template's resources, so the verdict is cached
on the (immutable) limits/requests items.
"""

from __future__ import annotations

from functools import lru_cache

from kubelab.api.validation._util import (
    NEGATIVE,
    d,
    go_quantity_struct,
    parse_qty,
    qty_string,
    qualified_name,
)
from kubelab.errors import FieldError

__all__ = ["validate_resources"]

_STANDARD_RESOURCES = frozenset({"cpu", "memory", "ephemeral-storage"})


def _native(name: str) -> bool:
    return "/" not in name or "kubernetes.io/" in name


def _overcommit_allowed(name: str) -> bool:
    return _native(name) and not name.startswith("hugepages-")


def _resource_name(name, path: str) -> list[FieldError]:
    name = str(name)
    errs = [FieldError.invalid(path, name, m) for m in qualified_name(name)]
    if "/" not in name:
        if name not in _STANDARD_RESOURCES and not name.startswith("hugepages-"):
            errs.append(
                FieldError.invalid(path, name, "must be a standard resource for containers")
            )
    elif not _native(name) and qualified_name("requests." + name):
        errs.append(
            FieldError.invalid(path, name, "doesn't follow extended resource name standard")
        )
    return errs


def _quantity_value(name: str, raw, path: str) -> tuple[list[FieldError], object]:
    q = parse_qty(raw)
    if q is None:
        return [
            FieldError.invalid(
                path,
                raw,
                "quantities must match the regular expression "
                "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
            )
        ], None
    if q < 0:
        return [FieldError.invalid(path, qty_string(raw), NEGATIVE)], q
    if not _native(name) and q.denominator != 1:
        return [
            FieldError(
                path, "Invalid value", raw, "must be an integer", raw_value=go_quantity_struct(raw)
            )
        ], q
    return [], q


def validate_resources(resources, path: str) -> list[FieldError]:
    """``ValidateContainerResourceRequirements``: names, non-negative values, request ≤ limit."""
    resources = d(resources)
    limits, requests = d(resources.get("limits")), d(resources.get("requests"))
    if not limits and not requests:
        return []
    try:  # every Pod of a ReplicaSet repeats its template's resources: cache the verdict
        return list(_resources_cached(path, tuple(limits.items()), tuple(requests.items())))
    except TypeError:  # unhashable (malformed) values
        return _resources(limits, requests, path)


@lru_cache(maxsize=1024)
def _resources_cached(path: str, limits: tuple, requests: tuple) -> tuple[FieldError, ...]:
    return tuple(_resources(dict(limits), dict(requests), path))


def _resources(limits: dict, requests: dict, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    limit_values = {}
    for name, raw in limits.items():
        p = f"{path}.limits[{name}]"
        errs.extend(_resource_name(name, p))
        e, limit_values[name] = _quantity_value(str(name), raw, p)
        errs.extend(e)
    req_path = f"{path}.requests"
    for name, raw in requests.items():
        p = f"{req_path}[{name}]"
        errs.extend(_resource_name(name, p))
        e, q = _quantity_value(str(name), raw, p)
        errs.extend(e)
        if name in limits:
            lim = limit_values.get(name)
            if q is None or lim is None:
                continue
            if q != lim and not _overcommit_allowed(str(name)):
                errs.append(
                    FieldError.invalid(
                        req_path,
                        qty_string(raw),
                        f"must be equal to {name} limit of {qty_string(limits[name])}",
                    )
                )
            elif q > lim:
                errs.append(
                    FieldError.invalid(
                        req_path,
                        qty_string(raw),
                        f"must be less than or equal to {name} limit of {qty_string(limits[name])}",
                    )
                )
        elif not _overcommit_allowed(str(name)):
            errs.append(
                FieldError.required(
                    f"{path}.limits", "Limit must be set for non overcommitable resources"
                )
            )
    return errs
