"""batch/v1 validation: Job and CronJob (``pkg/apis/batch/validation/validation.go``).

Examples
--------
>>> job = {"kind": "Job", "metadata": {"name": "pi", "namespace": "default"},
...        "spec": {"template": {"spec": {"restartPolicy": "Always",
...                 "containers": [{"name": "pi", "image": "perl"}]}}}}
>>> for err in validate_job(job):
...     print(err)
spec.selector: Required value
spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"
>>> cj = {"kind": "CronJob", "metadata": {"name": "hello", "namespace": "default"},
...       "spec": {"schedule": "*/1 * * *", "concurrencyPolicy": "Allow",
...                "jobTemplate": {"spec": {"template": {"spec": {"restartPolicy": "OnFailure",
...                "containers": [{"name": "c", "image": "busybox"}]}}}}}}
>>> print(validate_cron_job(cj)[0])
spec.schedule: Invalid value: "*/1 * * *": expected exactly 5 fields, found 4: [*/1 * * *]
"""

from __future__ import annotations

import re

from kubelab.api import cron
from kubelab.api.indexes import parse_indexes
from kubelab.api.validation._util import (
    d,
    go_label_selector,
    go_map,
    go_str,
    integer,
    lst,
    nonnegative,
    qualified_name,
)
from kubelab.api.validation.meta import IMMUTABLE, validate_object_meta
from kubelab.api.validation.pods import selector_matches, validate_pod_template_spec
from kubelab.errors import FieldError

__all__ = [
    "validate_cron_job",
    "validate_cron_job_update",
    "validate_job",
    "validate_job_update",
]

_MAX_INDEXED_PARALLELISM = 100_000
_MAX_INDEXED_COMPLETIONS_PER_INDEX = 100_000
_MAX_RULES = 20
_ACTIONS = ["Count", "FailIndex", "FailJob", "Ignore"]
_OPERATORS = ["In", "NotIn"]
_CRONJOB_NAME_MAX = 52  # 63 minus the 11-character "-<minutes>" suffix of its Jobs
_TZ_CHARS = re.compile(r"^[A-Za-z.\-_0-9+]{1,14}$")


def _omit(path: str, detail: str) -> FieldError:
    """``field.Invalid(path, field.OmitValueType{}, detail)``: no value in the message."""
    return FieldError(path, "Invalid value", raw_value=detail)


# --------------------------------------------------------------------------- JobSpec


def _pod_failure_policy(spec: dict, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    tspec = d(d(spec.get("template")).get("spec"))
    names = {c.get("name") for c in lst(tspec.get("containers")) + lst(tspec.get("initContainers"))}
    rules = lst(d(spec.get("podFailurePolicy")).get("rules"))
    for i, rule in enumerate(rules):
        rule, rpath = d(rule), f"{path}.rules[{i}]"
        action = rule.get("action")
        if not action:
            errs.append(
                FieldError.required(f"{rpath}.action", f"valid values: {_go_list(_ACTIONS)}")
            )
        elif action == "FailIndex":
            if spec.get("backoffLimitPerIndex") is None:
                errs.append(
                    FieldError.invalid(
                        f"{rpath}.action", action, "requires the backoffLimitPerIndex to be set"
                    )
                )
        elif action not in _ACTIONS:
            errs.append(FieldError.not_supported(f"{rpath}.action", action, _ACTIONS))
        on_exit = rule.get("onExitCodes")
        if isinstance(on_exit, dict):
            errs.extend(_on_exit_codes(on_exit, names, f"{rpath}.onExitCodes"))
        conditions = lst(rule.get("onPodConditions"))
        for j, pattern in enumerate(conditions):
            pattern, ppath = d(pattern), f"{rpath}.onPodConditions[{j}]"
            status = pattern.get("status")
            if status not in ("True", "False", "Unknown"):
                errs.append(
                    FieldError.not_supported(
                        f"{ppath}.status", status, ["True", "False", "Unknown"]
                    )
                )
            type_ = pattern.get("type")
            if not type_:
                errs.append(FieldError.required(f"{ppath}.type"))
            else:
                errs.extend(
                    FieldError.invalid(f"{ppath}.type", type_, m) for m in qualified_name(type_)
                )
        if on_exit is not None and conditions:
            errs.append(
                _omit(rpath, "specifying both OnExitCodes and OnPodConditions is not supported")
            )
        if on_exit is None and not conditions:
            errs.append(
                _omit(rpath, "specifying one of OnExitCodes and OnPodConditions is required")
            )
    if len(rules) > _MAX_RULES:
        errs.append(
            FieldError(
                f"{path}.rules", "Too many", len(rules), f"must have at most {_MAX_RULES} items"
            )
        )
    return errs


def _on_exit_codes(req: dict, names: set, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    operator = req.get("operator")
    if not operator:
        errs.append(
            FieldError.required(f"{path}.operator", f"valid values: {_go_list(_OPERATORS)}")
        )
    elif operator not in _OPERATORS:
        errs.append(FieldError.not_supported(f"{path}.operator", operator, _OPERATORS))
    container = req.get("containerName")
    if container is not None and container not in names:
        errs.append(
            FieldError.invalid(
                f"{path}.containerName",
                container,
                "must be one of the container or initContainer names in the pod template",
            )
        )
    values = [v for v in lst(req.get("values")) if integer(v) is not None]
    if not values:
        errs.append(
            FieldError(
                f"{path}.values",
                "Invalid value",
                detail="at least one value is required",
                raw_value="[]int32{" + ", ".join(map(str, values)) + "}",
            )
        )
    previous, seen = None, set()
    for i, value in enumerate(values):
        vpath = f"{path}.values[{i}]"
        if operator == "In" and value == 0:
            errs.append(FieldError.invalid(vpath, value, "must not be 0 for the In operator"))
        if value in seen:
            errs.append(FieldError.duplicate(vpath, value))
        elif previous is not None and previous > value:
            errs.append(FieldError.invalid(vpath, value, "must be ordered"))
        seen.add(value)
        previous = value
    return errs


def _success_policy(spec: dict, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    if spec.get("completionMode") != "Indexed":
        spec_path = path.rsplit(".", 1)[0]
        return [
            FieldError.invalid(
                f"{spec_path}.completionMode",
                spec.get("completionMode"),
                "requires indexed completion mode",
            )
        ]
    rules = lst(d(spec.get("successPolicy")).get("rules"))
    if not rules:
        errs.append(
            FieldError.required(
                f"{path}.rules",
                "at least one rules must be specified when the successPolicy is specified",
            )
        )
    completions = integer(spec.get("completions")) or 0
    for i, rule in enumerate(rules):
        rule, rpath = d(rule), f"{path}.rules[{i}]"
        indexes, count = rule.get("succeededIndexes"), rule.get("succeededCount")
        if indexes is None and count is None:
            errs.append(
                _omit(rpath, "at least one of succeededCount or succeededIndexes must be specified")
            )
        total = None
        if isinstance(indexes, str):
            try:
                total = sum(b - a + 1 for a, b in parse_indexes(indexes, completions))
            except ValueError as error:
                errs.append(
                    FieldError.invalid(
                        f"{rpath}.succeededIndexes",
                        indexes,
                        f"error parsing succeededIndexes: {error}",
                    )
                )
        if count is not None:
            errs.extend(nonnegative(count, f"{rpath}.succeededCount"))
            if integer(count) is not None and count > completions:
                errs.append(
                    FieldError.invalid(
                        f"{rpath}.succeededCount",
                        count,
                        f"must be less than or equal to {completions} (the number of specified completions)",
                    )
                )
            if total is not None and integer(count) is not None and count > total:
                errs.append(
                    FieldError.invalid(
                        f"{rpath}.succeededCount",
                        count,
                        f"must be less than or equal to {total} (the number of indexes in the specified succeededIndexes field)",
                    )
                )
    return errs


def validate_job_spec(spec: dict, path: str) -> list[FieldError]:
    """``validateJobSpec``: counts, completion mode, policies, the pod template."""
    errs: list[FieldError] = []
    for key in ("parallelism", "completions", "activeDeadlineSeconds", "backoffLimit",
                "ttlSecondsAfterFinished", "backoffLimitPerIndex", "maxFailedIndexes"):  # fmt: skip
        errs.extend(nonnegative(spec.get(key), f"{path}.{key}"))
    if spec.get("maxFailedIndexes") is not None and spec.get("backoffLimitPerIndex") is None:
        errs.append(
            FieldError.required(
                f"{path}.backoffLimitPerIndex", "when maxFailedIndexes is specified"
            )
        )
    mode = spec.get("completionMode")
    if mode is not None and mode not in ("NonIndexed", "Indexed"):
        errs.append(
            FieldError.not_supported(f"{path}.completionMode", mode, ["NonIndexed", "Indexed"])
        )
    if mode == "Indexed":
        completions, parallelism = spec.get("completions"), spec.get("parallelism")
        if completions is None:
            errs.append(
                FieldError.required(f"{path}.completions", "when completion mode is Indexed")
            )
        if integer(parallelism) is not None and parallelism > _MAX_INDEXED_PARALLELISM:
            errs.append(
                FieldError.invalid(
                    f"{path}.parallelism",
                    parallelism,
                    f"must be less than or equal to {_MAX_INDEXED_PARALLELISM} when completion mode is Indexed",
                )
            )
        max_failed = spec.get("maxFailedIndexes")
        if (
            integer(completions) is not None
            and integer(max_failed) is not None
            and max_failed > completions
        ):
            errs.append(
                FieldError.invalid(
                    f"{path}.maxFailedIndexes",
                    max_failed,
                    "must be less than or equal to completions",
                )
            )
        if (
            integer(completions) is not None
            and completions > _MAX_INDEXED_COMPLETIONS_PER_INDEX
            and spec.get("backoffLimitPerIndex") is not None
        ):
            errs.append(
                FieldError.invalid(
                    f"{path}.completions",
                    completions,
                    f"must be less than or equal to {_MAX_INDEXED_COMPLETIONS_PER_INDEX} when backoffLimitPerIndex is specified",
                )
            )
    else:
        for key in ("backoffLimitPerIndex", "maxFailedIndexes"):
            if spec.get(key) is not None:
                errs.append(
                    FieldError.invalid(
                        f"{path}.{key}", spec[key], "requires indexed completion mode"
                    )
                )
    if spec.get("podFailurePolicy") is not None:
        errs.extend(_pod_failure_policy(spec, f"{path}.podFailurePolicy"))
    replacement = spec.get("podReplacementPolicy")
    if replacement is not None:
        allowed = (
            ["Failed"]
            if spec.get("podFailurePolicy") is not None
            else ["Failed", "TerminatingOrFailed"]
        )
        if replacement not in allowed:
            errs.append(
                FieldError.not_supported(f"{path}.podReplacementPolicy", replacement, allowed)
            )
    if spec.get("successPolicy") is not None:
        errs.extend(_success_policy(spec, f"{path}.successPolicy"))
    template = d(spec.get("template"))
    errs.extend(validate_pod_template_spec(template, f"{path}.template"))
    restart = d(template.get("spec")).get("restartPolicy")
    rpath = f"{path}.template.spec.restartPolicy"
    # SetDefaults_PodSpec makes a missing restartPolicy "Always": both mean "not chosen".
    if restart in (None, "", "Always"):
        errs.append(FieldError.required(rpath, 'valid values: "OnFailure", "Never"'))
    elif restart not in ("OnFailure", "Never"):
        errs.append(FieldError.not_supported(rpath, restart, ["OnFailure", "Never"]))
    elif spec.get("podFailurePolicy") is not None and restart != "Never":
        errs.append(
            FieldError.invalid(
                rpath, restart, 'only "Never" is supported when podFailurePolicy is specified'
            )
        )
    elif spec.get("backoffLimitPerIndex") is not None and restart != "Never":
        errs.append(
            FieldError.invalid(
                rpath, restart, 'only "Never" is supported when backoffLimitPerIndex is specified'
            )
        )
    return errs


# --------------------------------------------------------------------------- Job


def _generated_selector(job: dict) -> list[FieldError]:
    """``ValidateGeneratedSelector``: the labels the API server generated are in place."""
    spec, meta = d(job.get("spec")), d(job.get("metadata"))
    if spec.get("manualSelector") or spec.get("selector") is None:
        return []
    errs: list[FieldError] = []
    uid, name = meta.get("uid") or "", meta.get("name") or ""
    if not uid:
        errs.append(FieldError.required("metadata.uid"))
    labels = d(d(d(spec.get("template")).get("metadata")).get("labels"))
    expected = {}
    for key, value in (
        ("batch.kubernetes.io/controller-uid", uid),
        ("batch.kubernetes.io/job-name", name),
        ("controller-uid", uid),
        ("job-name", name),
    ):
        if key not in labels:
            errs.append(FieldError.required(f"spec.template.metadata.labels[{key}]"))
        elif labels[key] != value:
            errs.append(
                FieldError.invalid(
                    f"spec.template.metadata.labels[{key}]", labels[key], f"must be '{value}'"
                )
            )
        expected[key] = value
    selector = _parsed(spec.get("selector"))
    if selector is not None and not selector_matches(selector, expected):
        errs.append(
            FieldError(
                "spec.selector",
                "Invalid value",
                detail="`selector` not auto-generated",
                raw_value=go_label_selector(spec["selector"]),
            )
        )
    return errs


def _parsed(ls):
    from kubelab.api.labels import SelectorError, from_label_selector

    try:
        return from_label_selector(ls)
    except (SelectorError, TypeError, AttributeError, ValueError):
        return None


def validate_job(job: dict) -> list[FieldError]:
    """``ValidateJob``: metadata, the generated selector, the spec."""
    from kubelab.api.labels import validate_label_selector

    errs = validate_object_meta(job.get("metadata"), True)
    errs.extend(_generated_selector(job))
    spec = d(job.get("spec"))
    errs.extend(validate_job_spec_with_selector(spec, "spec", validate_label_selector))
    return errs


def validate_job_spec_with_selector(
    spec: dict, path: str, validate_label_selector
) -> list[FieldError]:
    errs: list[FieldError] = []
    if spec.get("selector") is None:
        errs.append(FieldError.required(f"{path}.selector"))
    else:
        errs.extend(validate_label_selector(d(spec["selector"]), f"{path}.selector"))
    errs.extend(validate_job_spec(spec, path))
    selector = _parsed(spec.get("selector")) if spec.get("selector") is not None else None
    labels = d(d(spec.get("template")).get("metadata")).get("labels")
    if selector is not None and not selector_matches(selector, labels):
        errs.append(
            FieldError(
                f"{path}.template.metadata.labels",
                "Invalid value",
                detail="`selector` does not match template `labels`",
                raw_value=go_map(labels),
            )
        )
    return errs


def validate_job_update(new: dict, old: dict) -> list[FieldError]:
    """``ValidateJobSpecUpdate``'s immutability rules (the new object is validated too)."""
    spec, old_spec = d(new.get("spec")), d(old.get("spec"))
    errs: list[FieldError] = []
    indexed_elastic = (
        spec.get("completionMode") == "Indexed"
        and spec.get("completions") == spec.get("parallelism")
        and old_spec.get("completions") == old_spec.get("parallelism")
    )
    if spec.get("completions") != old_spec.get("completions") and not indexed_elastic:
        errs.append(FieldError.invalid("spec.completions", spec.get("completions"), IMMUTABLE))
    if spec.get("selector") != old_spec.get("selector"):
        raw = "null" if spec.get("selector") is None else go_label_selector(spec.get("selector"))
        errs.append(FieldError("spec.selector", "Invalid value", detail=IMMUTABLE, raw_value=raw))
    template, old_template = spec.get("template"), old_spec.get("template")
    if template != old_template and not _only_scheduling_changed(spec, template, old_template, new):
        errs.append(
            FieldError(
                "spec.template",
                "Invalid value",
                detail=IMMUTABLE,
                raw_value="core.PodTemplateSpec{...}",
            )
        )
    for key in ("completionMode", "podFailurePolicy", "backoffLimitPerIndex"):
        if spec.get(key) != old_spec.get(key):
            value = spec.get(key)
            errs.append(
                FieldError(
                    "spec." + key,
                    "Invalid value",
                    detail=IMMUTABLE,
                    raw_value=go_str(value) if isinstance(value, str) else None,
                    value=value,
                )
            )
    return errs


def _only_scheduling_changed(spec: dict, template, old_template, job: dict) -> bool:
    """A suspended Job that never started may change its pods' scheduling directives."""
    if not spec.get("suspend") or d(job.get("status")).get("startTime"):
        return False
    strip = ("nodeSelector", "affinity", "tolerations", "schedulingGates")

    def rest(t):
        t = d(t)
        tspec = {k: v for k, v in d(t.get("spec")).items() if k not in strip}
        meta = {k: v for k, v in d(t.get("metadata")).items() if k not in ("labels", "annotations")}
        return meta, tspec

    return rest(template) == rest(old_template)


# --------------------------------------------------------------------------- CronJob


def _time_zone(zone, path: str) -> list[FieldError]:
    if zone is None:
        return []
    if not zone:
        return [FieldError.invalid(path, zone, "timeZone must be nil or non-empty string")]
    for part in zone.split("/"):
        if part in (".", "..") or part.startswith("-") or not _TZ_CHARS.match(part):
            return [FieldError.invalid(path, zone, f"unknown time zone {zone}")]
    if zone.lower() == "local":
        return [
            FieldError.invalid(
                path,
                zone,
                "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones",
            )
        ]
    if not cron.valid_time_zone(zone):
        return [FieldError.invalid(path, zone, f"unknown time zone {zone}")]
    return []


def validate_cron_job_spec(spec: dict, old_spec: dict | None, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    schedule = spec.get("schedule")
    if not schedule:
        errs.append(FieldError.required(f"{path}.schedule"))
    elif isinstance(schedule, str):
        try:
            cron.parse(schedule)
        except cron.CronError as error:
            errs.append(FieldError.invalid(f"{path}.schedule", schedule, str(error)))
        allow_tz = old_spec is not None and "TZ" in (old_spec.get("schedule") or "")
        if allow_tz and "TZ" in schedule and spec.get("timeZone") is not None:
            errs.append(
                FieldError.invalid(
                    f"{path}.schedule",
                    schedule,
                    "cannot use both timeZone field and TZ or CRON_TZ in schedule",
                )
            )
        elif not allow_tz and "TZ" in schedule:
            errs.append(
                FieldError.invalid(
                    f"{path}.schedule",
                    schedule,
                    "cannot use TZ or CRON_TZ in schedule, use timeZone field instead",
                )
            )
    errs.extend(nonnegative(spec.get("startingDeadlineSeconds"), f"{path}.startingDeadlineSeconds"))
    if old_spec is None or old_spec.get("timeZone") != spec.get("timeZone"):
        errs.extend(_time_zone(spec.get("timeZone"), f"{path}.timeZone"))
    policy = spec.get("concurrencyPolicy")
    if not policy:
        errs.append(FieldError.required(f"{path}.concurrencyPolicy"))
    elif policy not in ("Allow", "Forbid", "Replace"):
        errs.append(
            FieldError.not_supported(
                f"{path}.concurrencyPolicy", policy, ["Allow", "Forbid", "Replace"]
            )
        )
    jpath = f"{path}.jobTemplate.spec"
    job_spec = d(d(spec.get("jobTemplate")).get("spec"))
    errs.extend(validate_job_spec(job_spec, jpath))
    if job_spec.get("selector") is not None:
        errs.append(
            FieldError(
                f"{jpath}.selector",
                "Invalid value",
                detail="`selector` will be auto-generated",
                raw_value=go_label_selector(job_spec["selector"]),
            )
        )
    if job_spec.get("manualSelector"):
        errs.append(FieldError.not_supported(f"{jpath}.manualSelector", True, ["nil", "false"]))
    for key in ("successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
        errs.extend(nonnegative(spec.get(key), f"{path}.{key}"))
    return errs


def validate_cron_job(obj: dict) -> list[FieldError]:
    """``ValidateCronJobCreate``: metadata, the spec, and a name short enough for its Jobs."""
    meta = d(obj.get("metadata"))
    errs = validate_object_meta(meta, True)
    errs.extend(validate_cron_job_spec(d(obj.get("spec")), None, "spec"))
    name = meta.get("name")
    if isinstance(name, str) and len(name) > _CRONJOB_NAME_MAX:
        errs.append(
            FieldError.invalid(
                "metadata.name", name, f"must be no more than {_CRONJOB_NAME_MAX} characters"
            )
        )
    return errs


def validate_cron_job_update(new: dict, old: dict) -> list[FieldError]:
    """``ValidateCronJobUpdate``: the spec against the old one (TZ in schedule stays allowed)."""
    errs = validate_object_meta(new.get("metadata"), True)
    errs.extend(validate_cron_job_spec(d(new.get("spec")), d(old.get("spec")), "spec"))
    return errs


def _go_list(values: list[str]) -> str:
    """Go's ``%q`` of a string slice: ``["Count" "FailJob"]``."""
    return "[" + " ".join(f'"{v}"' for v in values) + "]"
