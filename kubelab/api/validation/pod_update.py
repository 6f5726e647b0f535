"""Pod update rules (``ValidatePodUpdate``): a running Pod's spec is almost frozen.

Only container images, ``activeDeadlineSeconds`` (set or shortened), added
tolerations (or changed ``tolerationSeconds``) and ``terminationGracePeriodSeconds``
(negative → 1) may change; anything else is refused with upstream's message
followed by a short diff in the spirit of ``cmp.Diff``.
"""

from __future__ import annotations

from kubelab.api.validation._util import d, go_map, integer, lst
from kubelab.api.validation.pods import validate_tolerations
from kubelab.errors import FieldError, go_value

__all__ = ["POD_UPDATE_MESSAGE", "spec_diff", "validate_pod_update"]

POD_UPDATE_MESSAGE = (
    "pod updates may not change fields other than `spec.containers[*].image`,"
    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,"
    "`spec.tolerations` (only additions to existing tolerations),"
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"
)
_MAX_INT32 = 2**31 - 1
# Go field names that are not the JSON name with a capital first letter.
_GO_NAMES = {
    "dnsPolicy": "DNSPolicy",
    "dnsConfig": "DNSConfig",
    "hostPID": "HostPID",
    "hostIPC": "HostIPC",
    "os": "OS",
    "hostNetwork": "HostNetwork",
}


def _go_name(key: str) -> str:
    return _GO_NAMES.get(key) or key[:1].upper() + key[1:]


def _render(value) -> str:
    if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
        return go_map(value)
    return go_value(value)


def spec_diff(old: dict, new: dict, type_name: str) -> str:
    """A ``cmp.Diff``-like rendering of the top-level fields that differ (``-`` old, ``+`` new)."""
    lines = [f"  {type_name}{{"]
    same = 0
    for key in list(old) + [k for k in new if k not in old]:
        if old.get(key) == new.get(key):
            same += 1
            continue
        if key in old:
            lines.append(f"- \t{_go_name(key)}: {_render(old[key])},")
        if key in new:
            lines.append(f"+ \t{_go_name(key)}: {_render(new[key])},")
    if same:
        lines.insert(1, f"  \t... // {same} identical fields")
    lines.append("  }")
    return "\n".join(lines)


def _container_updates(new, old, path: str) -> tuple[list[FieldError], bool]:
    new, old = lst(new), lst(old)
    if len(new) != len(old):
        return [FieldError.forbidden(path, "pod updates may not add or remove containers")], True
    errs: list[FieldError] = []
    for i, c in enumerate(new):
        image = d(c).get("image")
        if not image:
            errs.append(FieldError.required(f"{path}[{i}].image"))
        elif isinstance(image, str) and image.strip() != image:
            errs.append(
                FieldError.invalid(
                    f"{path}[{i}].image", image, "must not have leading or trailing whitespace"
                )
            )
    return errs, False


def _tolerations_only_added(new, old, path: str) -> list[FieldError]:
    new = [d(t) for t in lst(new)]
    for o in lst(old):
        o = d(o)
        base = {k: v for k, v in o.items() if k != "tolerationSeconds"}
        if not any({k: v for k, v in n.items() if k != "tolerationSeconds"} == base for n in new):
            return [
                FieldError.forbidden(
                    path, "existing toleration can not be modified except its tolerationSeconds"
                )
            ]
    return validate_tolerations(new, path)


def _munged(new: dict, old: dict) -> dict:
    """The new spec with the updatable fields copied from the old one."""
    munged = dict(new)
    for key in ("containers", "initContainers"):
        news, olds = lst(new.get(key)), lst(old.get(key))
        if news and len(news) == len(olds):
            munged[key] = [
                dict(d(n), image=d(o).get("image")) if d(n).get("image") != d(o).get("image") else n
                for n, o in zip(news, olds, strict=True)
            ]
    for key in ("activeDeadlineSeconds", "tolerations"):
        if key in old:
            munged[key] = old[key]
        else:
            munged.pop(key, None)
    grace_old, grace_new = (
        integer(old.get("terminationGracePeriodSeconds")),
        new.get("terminationGracePeriodSeconds"),
    )
    if grace_old is not None and grace_old < 0 and grace_new == 1:
        munged["terminationGracePeriodSeconds"] = grace_old
    return munged


def validate_pod_update(new_pod: dict, old_pod: dict) -> list[FieldError]:
    """Spec changes a Pod update may make (metadata rules are checked by the caller)."""
    new, old = d(new_pod.get("spec")), d(old_pod.get("spec"))
    if new == old:
        return []
    errs: list[FieldError] = []
    for key in ("containers", "initContainers"):
        e, stop = _container_updates(new.get(key), old.get(key), f"spec.{key}")
        errs.extend(e)
        if stop:
            return errs
    ads, old_ads = new.get("activeDeadlineSeconds"), old.get("activeDeadlineSeconds")
    if ads is not None:
        if integer(ads) is None or not 0 <= ads <= _MAX_INT32:
            return [
                *errs,
                FieldError.invalid(
                    "spec.activeDeadlineSeconds",
                    ads,
                    f"must be between 0 and {_MAX_INT32}, inclusive",
                ),
            ]
        if integer(old_ads) is not None and old_ads < ads:
            return [
                *errs,
                FieldError.invalid(
                    "spec.activeDeadlineSeconds",
                    ads,
                    "must be less than or equal to previous value",
                ),
            ]
    elif old_ads is not None:
        errs.append(
            FieldError.invalid(
                "spec.activeDeadlineSeconds",
                None,
                "must not update from a positive integer to nil value",
            )
        )
    if new.get("tolerations") != old.get("tolerations"):
        errs.extend(
            _tolerations_only_added(
                new.get("tolerations"), old.get("tolerations"), "spec.tolerations"
            )
        )
    munged = _munged(new, old)
    if munged != old:
        errs.append(
            FieldError.forbidden(
                "spec", POD_UPDATE_MESSAGE + "\n" + spec_diff(old, munged, "core.PodSpec")
            )
        )
    return errs
