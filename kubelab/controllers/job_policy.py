"""The Job controller's pure rules: which pods count, pod failure and success policies, back-off.

Upstream ``pkg/controller/job``: ``pod_failure_policy.go`` (:func:`match_pod_failure_policy`),
``success_policy.go`` (:func:`matched_success_policy`), ``backoff_utils.go``
(:class:`BackoffRecord`, :func:`remaining_backoff`) and the pod predicates of
``job_controller.go`` / ``indexed_job_utils.go``.

Examples
--------
>>> pod = {"metadata": {"name": "p", "namespace": "default"}, "status": {"phase": "Failed",
...        "containerStatuses": [{"name": "main", "state": {"terminated": {"exitCode": 42}}}]}}
>>> policy = {"rules": [{"action": "FailJob",
...            "onExitCodes": {"containerName": "main", "operator": "In", "values": [42]}}]}
>>> match_pod_failure_policy(policy, pod)
('FailJob', 'Container main for pod default/p failed with exit code 42 matching FailJob rule at index 0')
>>> remaining_backoff(3, 100.0, 120.0)    # 10 s doubled twice = 40 s, 20 s of it gone
20.0
"""

from __future__ import annotations

from dataclasses import dataclass

from kubelab.api.indexes import indexes_set
from kubelab.api.meta import parse_time

__all__ = [
    "COMPLETION_INDEX",
    "DEFAULT_BACKOFF",
    "FAILURE_COUNT",
    "IGNORED_FAILURE_COUNT",
    "MAX_BACKOFF",
    "TRACKING_FINALIZER",
    "BackoffRecord",
    "completion_index",
    "finished_time",
    "is_pod_failed",
    "match_pod_failure_policy",
    "matched_success_policy",
    "remaining_backoff",
]

TRACKING_FINALIZER = "batch.kubernetes.io/job-tracking"
COMPLETION_INDEX = "batch.kubernetes.io/job-completion-index"
FAILURE_COUNT = "batch.kubernetes.io/job-index-failure-count"
IGNORED_FAILURE_COUNT = "batch.kubernetes.io/job-index-ignored-failure-count"
DEFAULT_BACKOFF = 10.0  # DefaultJobPodFailureBackOff
MAX_BACKOFF = 360.0  # MaxJobPodFailureBackOff: 6 minutes


def only_replace_failed_pods(job: dict) -> bool:
    """``podReplacementPolicy: Failed`` (the default with a podFailurePolicy)."""
    spec = job["spec"]
    return spec.get("podReplacementPolicy") == "Failed" or spec.get("podFailurePolicy") is not None


def is_pod_failed(pod: dict, job: dict) -> bool:
    """``isPodFailed``: Failed, or (unless only failed pods are replaced) deleted before it
    succeeded: an orphan that never reaches Failed still counts."""
    phase = (pod.get("status") or {}).get("phase")
    if phase == "Failed":
        return True
    if only_replace_failed_pods(job):
        return False
    return bool(pod["metadata"].get("deletionTimestamp")) and phase != "Succeeded"


def completion_index(pod: dict, completions: int) -> int | None:
    """The pod's index from its annotation (``None``: missing or out of range)."""
    value = (pod["metadata"].get("annotations") or {}).get(COMPLETION_INDEX)
    try:
        index = int(value)
    except (TypeError, ValueError):
        return None
    return index if 0 <= index < completions else None


def finished_time(pod: dict, now: float) -> float:
    """``getFinishedTime``: the last container finish, else the deletion time, else now."""
    status = pod.get("status") or {}
    finished = [
        t
        for cs in (status.get("containerStatuses") or [])
        + (status.get("initContainerStatuses") or [])
        if (t := parse_time(((cs.get("state") or {}).get("terminated") or {}).get("finishedAt")))
        is not None
    ]
    if finished:
        return max(finished)
    deleted = parse_time(pod["metadata"].get("deletionTimestamp"))
    return deleted if deleted is not None else now


# -- pod failure policy ----------------------------------------------------------------------
def _exit_code_match(pod: dict, req: dict):
    status = pod.get("status") or {}
    name = req.get("containerName")
    values = req.get("values") or ()
    for cs in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or []):
        terminated = (cs.get("state") or {}).get("terminated")
        if terminated is None or (name is not None and cs.get("name") != name):
            continue
        code = terminated.get("exitCode", 0)
        if code == 0:
            continue  # a container that succeeded never matches
        if (code in values) == (req.get("operator") == "In"):
            return cs["name"], code
    return None


def _condition_match(pod: dict, patterns: list) -> str | None:
    conditions = (pod.get("status") or {}).get("conditions") or ()
    for pattern in patterns:
        for cond in conditions:
            if cond.get("type") == pattern.get("type") and cond.get("status") == pattern.get(
                "status", "True"
            ):
                return cond["type"]
    return None


def match_pod_failure_policy(policy: dict | None, pod: dict) -> tuple[str | None, str | None]:
    """``matchPodFailurePolicy`` for a failed pod: ``(action, FailJob message)``;
    ``(None, None)`` when no rule matches (the default: count the failure)."""
    meta = pod["metadata"]
    where = f"{meta.get('namespace', '')}/{meta['name']}"
    for index, rule in enumerate((policy or {}).get("rules") or ()):
        action = rule.get("action")
        if rule.get("onExitCodes") is not None:
            match = _exit_code_match(pod, rule["onExitCodes"])
            if match is not None:
                if action == "FailJob":
                    return action, (
                        f"Container {match[0]} for pod {where} failed with exit code {match[1]} "
                        f"matching FailJob rule at index {index}"
                    )
                if action in ("Ignore", "FailIndex", "Count"):
                    return action, None
        elif rule.get("onPodConditions") is not None:
            cond = _condition_match(pod, rule["onPodConditions"])
            if cond is not None:
                if action == "FailJob":
                    return action, (
                        f"Pod {where} has condition {cond} matching FailJob rule at index {index}"
                    )
                if action in ("Ignore", "FailIndex", "Count"):
                    return action, None
    return None, None


# -- success policy --------------------------------------------------------------------------
def matched_success_policy(policy: dict | None, succeeded: set[int], completions: int):
    """``matchSuccessPolicy``: the message of the first satisfied rule, or ``None``.

    >>> matched_success_policy({"rules": [{"succeededIndexes": "0,2-3", "succeededCount": 1}]},
    ...                        {2}, 10)
    'Matched rules at index 0'
    """
    for i, rule in enumerate((policy or {}).get("rules") or ()):
        count = rule.get("succeededCount")
        if rule.get("succeededIndexes") is not None:
            wanted = indexes_set(rule["succeededIndexes"], completions)
            got = len(wanted & succeeded)
            if (count is None and got == len(wanted)) or (count is not None and got >= count):
                return f"Matched rules at index {i}"
        elif count is not None and len(succeeded) >= count:
            return f"Matched rules at index {i}"
    return None


# -- back-off ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class BackoffRecord:
    """``backoffRecord``: failures since the last success, and when the last one was."""

    failures: int = 0
    last_failure: float | None = None

    def updated(self, succeeded_times: list[float], failed_times: list[float]) -> BackoffRecord:
        """``newBackoffRecord`` after newly finished pods (their finish times)."""
        failed_times = sorted(failed_times)
        if not succeeded_times:
            if not failed_times:
                return self
            return BackoffRecord(self.failures + len(failed_times), failed_times[-1])
        last_success = max(succeeded_times)
        after = [t for t in failed_times if t > last_success]
        return BackoffRecord(len(after), after[-1] if after else None)

    def remaining(self, now: float) -> float:
        return remaining_backoff(self.failures, self.last_failure, now)


def remaining_backoff(failures: int, last_failure: float | None, now: float) -> float:
    """``getRemainingTimeForFailuresCount``: 10 s doubling per failure, at most 6 min."""
    if failures == 0 or last_failure is None:
        return 0.0
    delay = DEFAULT_BACKOFF
    for _ in range(1, failures):
        delay *= 2
        if delay >= MAX_BACKOFF:
            delay = MAX_BACKOFF
            break
    elapsed = now - last_failure
    return 0.0 if delay < elapsed else delay - elapsed
