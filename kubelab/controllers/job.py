"""The Job controller (``pkg/controller/job/job_controller.go``).

For each Job: claim its pods, count the ones that finished since the last sync (those
still carrying the ``batch.kubernetes.io/job-tracking`` finalizer; the finalizer comes
off once they are counted), decide whether the Job failed (pod failure policy,
``backoffLimit``, ``activeDeadlineSeconds``, failed indexes) or succeeded (completions,
success policy), otherwise create or delete pods to keep ``parallelism`` running, with
the pod re-creation back-off (10 s doubling to 6 min) after failures.

Like upstream since 1.31, a Job first gets ``FailureTarget`` / ``SuccessCriteriaMet`` and
its remaining pods are terminated; ``Failed`` / ``Complete`` follow once no pod of it is
still terminating. Simplification: counting and finalizer removal happen in one sync, so
``status.uncountedTerminatedPods`` stays empty.

Examples
--------
>>> from kubelab.sim import Clock
>>> from kubelab.apiserver import APIServer
>>> from kubelab.client import InformerFactory
>>> from kubelab.controllers.base import Context
>>> clock = Clock(); api = APIServer(clock); api.namespace_checks = False
>>> jc = JobController(Context(clock, api, InformerFactory(api)))
>>> _ = api.client("kubectl").create({"apiVersion": "batch/v1", "kind": "Job",
...     "metadata": {"name": "pi"}, "spec": {"completions": 3, "parallelism": 2,
...     "template": {"spec": {"restartPolicy": "Never",
...                           "containers": [{"name": "pi", "image": "perl"}]}}}})
>>> _ = clock.run_until(1)
>>> sorted(p["metadata"]["generateName"] for p in api.list("Pod"))
['pi-', 'pi-']
>>> st = api.get("Job", "pi")["status"]; st["active"], st["ready"], st["startTime"]
(2, 0, '2025-01-01T00:00:00Z')
"""

from __future__ import annotations

import contextlib

from kubelab.api.indexes import format_indexes, indexes_set
from kubelab.api.meta import controller_ref, get_condition, owner_reference, parse_time, timestamp
from kubelab.controllers.base import Controller, only_status_changed
from kubelab.controllers.job_policy import (
    COMPLETION_INDEX,
    FAILURE_COUNT,
    IGNORED_FAILURE_COUNT,
    TRACKING_FINALIZER,
    BackoffRecord,
    completion_index,
    finished_time,
    is_pod_failed,
    match_pod_failure_policy,
    matched_success_policy,
    only_replace_failed_pods,
    remaining_backoff,
)
from kubelab.controllers.podcontrol import (
    SLOW_START_INITIAL_BATCH,
    claim_objects,
    create_pod,
    is_pod_active,
    is_pod_ready,
    owner_selector,
    pod_from_template,
    pods_to_delete,
    recheck_owner,
    resolve_controller,
    slow_start_batch,
)
from kubelab.errors import KubelabError, NotFound

__all__ = ["JobController", "is_job_finished", "job_condition"]

MAX_POD_CREATE_DELETE = 500  # MaxPodCreateDeletePerSync
SYNC_BATCH_PERIOD = 1.0  # syncJobBatchPeriod: pod changes are batched into one sync a second
_TERMINAL = ("Succeeded", "Failed")
_BACKOFF_MSG = "Job has reached the specified backoff limit"
_DEADLINE_MSG = "Job was active longer than specified deadline"
_COMPLETIONS_MSG = "Reached expected number of succeeded pods"


def job_condition(job: dict, type_: str) -> dict | None:
    """The condition ``type_`` when its status is True."""
    cond = get_condition(job, type_)
    return cond if cond is not None and cond.get("status") == "True" else None


def is_job_finished(job: dict) -> tuple[str, float | None] | None:
    """``("Complete"|"Failed", when)`` for a finished Job, else ``None``."""
    for type_ in ("Complete", "Failed"):
        cond = job_condition(job, type_)
        if cond is not None:
            return type_, parse_time(cond.get("lastTransitionTime"))
    return None


class JobController(Controller):
    """Runs every Job's pods to completion."""

    name = "job-controller"

    def setup(self) -> None:
        self.jobs = self.informers.get("Job")
        self.pods = self.informers.get("Pod")
        self._backoff: dict[str, BackoffRecord] = {}  # job uid → backoffRecord
        self._batched: set = set()
        self.jobs.add_handler(
            on_add=self.enqueue_object, on_update=self._job_updated, on_delete=self._job_deleted
        )
        self.pods.add_handler(
            on_add=self._pod_changed, on_update=self._pod_updated, on_delete=self._pod_changed
        )

    # -- events ------------------------------------------------------------------------------
    def _job_updated(self, old: dict, new: dict) -> None:
        if only_status_changed(old, new, ("labels", "deletionTimestamp", "finalizers")):
            return  # our own status write
        self.enqueue_object(new)

    def _job_deleted(self, job: dict) -> None:
        self._backoff.pop(job["metadata"].get("uid"), None)
        # Its pods' tracking finalizers must go, or they would never be deleted.
        for pod in self.pods.by_index("controllerUID", job["metadata"].get("uid")):
            self._remove_finalizer(pod)

    def _owner(self, pod: dict) -> dict | None:
        return resolve_controller(self.jobs, "Job", pod)

    def _pod_changed(self, pod: dict) -> None:
        job = self._owner(pod)
        if job is not None:
            self._enqueue_batched(job)
        elif TRACKING_FINALIZER in (pod["metadata"].get("finalizers") or ()):
            ref = controller_ref(pod)
            if ref is None or ref.get("kind") == "Job":
                self._remove_finalizer(pod)  # an orphan: nobody will count it
        elif controller_ref(pod) is None:
            self._enqueue_matching(pod)

    def _pod_updated(self, old: dict, new: dict) -> None:
        if controller_ref(old) != controller_ref(new):
            owner = self._owner(old)
            if owner is not None:
                self._enqueue_batched(owner)
        self._pod_changed(new)

    def _enqueue_matching(self, pod: dict) -> None:
        """An orphan pod: a Job with a manual selector matching it may adopt it."""
        meta = pod["metadata"]
        for job in self.jobs.list(meta.get("namespace", "")):
            if job["spec"].get("manualSelector"):
                sel = owner_selector(job)
                if sel is not None and sel.matches(meta.get("labels")):
                    self._enqueue_batched(job)

    def _enqueue_batched(self, job: dict) -> None:
        key = _key(job)
        if key in self._batched:
            return
        self._batched.add(key)
        self.clock.call_later(SYNC_BATCH_PERIOD, self._flush_batched, key)

    def _flush_batched(self, key) -> None:
        self._batched.discard(key)
        self.enqueue(key)

    # -- the reconcile loop ------------------------------------------------------------------
    def sync(self, key) -> None:
        namespace, name = key
        job = self.jobs.get(namespace, name)
        if job is None:
            return
        pods = self._claim(job)
        if is_job_finished(job):
            for pod in pods:
                self._remove_finalizer(pod)
            return
        _JobSync(self, job, pods).run()

    def _claim(self, job: dict) -> list[dict]:
        selector = owner_selector(job)
        if selector is None:
            return []
        uid = job["metadata"]["uid"]
        namespace = job["metadata"].get("namespace", "")
        candidates = self.pods.by_index("controllerUID", uid)
        candidates += self.pods.by_index("orphans", namespace)
        return claim_objects(
            self.client,
            job,
            owner_reference(job),
            selector,
            candidates,
            lambda: self._can_adopt(job),
        )

    def _can_adopt(self, job: dict) -> str | None:
        return recheck_owner(self.client, job)

    # -- writes ------------------------------------------------------------------------------
    def _remove_finalizer(self, pod: dict) -> None:
        meta = pod["metadata"]
        finalizers = meta.get("finalizers") or []
        if TRACKING_FINALIZER not in finalizers:
            return
        rest = [f for f in finalizers if f != TRACKING_FINALIZER]
        with contextlib.suppress(KubelabError):  # gone meanwhile: nothing to release
            self.client.patch(
                "Pod",
                meta["name"],
                meta.get("namespace", ""),
                {"metadata": {"finalizers": rest or None}},
                "merge",
            )

    def delete_pod(self, job: dict, pod: dict, *, release: bool = False) -> bool:
        """Delete one pod (``SuccessfulDelete``). ``release``: remove the tracking finalizer
        first (``deleteJobPods``: pods removed by suspension or scale-down never count);
        without it (``deleteActivePods``, a failed Job) the pod is counted as it ends."""
        meta = pod["metadata"]
        if release:
            self._remove_finalizer(pod)
        try:
            self.client.delete("Pod", meta["name"], meta.get("namespace", ""))
        except NotFound:
            return True
        except KubelabError as error:
            self.client.event(job, "Warning", "FailedDelete", f"Error deleting: {error.message}")
            return False
        self.client.event(job, "Normal", "SuccessfulDelete", f"Deleted pod: {meta['name']}")
        return True

    def create_pod(self, job: dict, index: int | None, replaced: dict | None) -> object:
        template = job["spec"].get("template") or {}
        pod = pod_from_template(template, job, owner_reference(job))
        meta = pod["metadata"]
        meta["finalizers"] = [*(meta.get("finalizers") or ()), TRACKING_FINALIZER]
        if index is not None:
            _add_index(job, pod, index, replaced)
        return create_pod(self.client, job, pod)


def _add_index(job: dict, pod: dict, index: int, replaced: dict | None) -> None:
    """An Indexed Job's pod: annotation and label, ``JOB_COMPLETION_INDEX``, hostname
    ``<job>-<index>``, generateName ``<job>-<index>-``, per-index failure counts."""
    meta, spec = pod["metadata"], pod["spec"]
    name = job["metadata"]["name"]
    meta["annotations"] = {**(meta.get("annotations") or {}), COMPLETION_INDEX: str(index)}
    meta["labels"] = {**(meta.get("labels") or {}), COMPLETION_INDEX: str(index)}
    prefix = f"{name}-{index}-"
    if len(prefix) <= 58:  # podGenerateNameWithIndex: keep room for the random suffix
        meta["generateName"] = prefix
    spec["hostname"] = f"{name}-{index}"
    env_var = {
        "name": "JOB_COMPLETION_INDEX",
        "valueFrom": {"fieldRef": {"fieldPath": f"metadata.annotations['{COMPLETION_INDEX}']"}},
    }
    for key in ("initContainers", "containers"):
        if spec.get(key):
            spec[key] = [
                c
                if any(e.get("name") == "JOB_COMPLETION_INDEX" for e in c.get("env") or ())
                else dict(c, env=[*(c.get("env") or ()), env_var])
                for c in spec[key]
            ]
    if job["spec"].get("backoffLimitPerIndex") is not None:
        failures, ignored = _index_failure_counts(job, replaced)
        meta["annotations"][FAILURE_COUNT] = str(failures)
        if ignored:
            meta["annotations"][IGNORED_FAILURE_COUNT] = str(ignored)


def _index_failure_counts(job: dict, replaced: dict | None) -> tuple[int, int]:
    """``getNewIndexFailureCounts``: the failed pod's counts, plus its own failure."""
    if replaced is None:
        return 0, 0
    annotations = replaced["metadata"].get("annotations") or {}
    failures = _int(annotations.get(FAILURE_COUNT))
    ignored = _int(annotations.get(IGNORED_FAILURE_COUNT))
    if is_pod_failed(replaced, job):
        action, _ = match_pod_failure_policy(job["spec"].get("podFailurePolicy"), replaced)
        if action == "Ignore":
            ignored += 1
        else:
            failures += 1
    return failures, ignored


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


class _JobSync:
    """One ``syncJob`` of one Job (upstream's ``syncJobCtx``)."""

    def __init__(self, ctl: JobController, job: dict, pods: list[dict]):
        self.ctl, self.job, self.pods = ctl, job, pods
        self.now = ctl.clock.now
        self.spec = job["spec"]
        self.old = job.get("status") or {}
        self.status = dict(self.old)
        self.conditions = list(self.old.get("conditions") or ())
        self.indexed = self.spec.get("completionMode") == "Indexed"
        self.completions = self.spec.get("completions")
        self.events: list[tuple[str, str, str]] = []

    # -- counting ----------------------------------------------------------------------------
    def run(self) -> None:
        ctl, job, spec = self.ctl, self.job, self.spec
        uid = job["metadata"]["uid"]
        suspended = bool(spec.get("suspend"))
        if self.status.get("startTime") is None and not suspended:
            self.status["startTime"] = timestamp(self.now)
        active = [p for p in self.pods if is_pod_active(p)]
        fail_job_message = self._count_finished()
        record = ctl._backoff.get(uid, BackoffRecord()).updated(
            self.new_succeeded_times, self.new_failed_times
        )
        finished = self._finished_condition(active, fail_job_message)
        created = 0
        if finished is not None:
            deleted = sum(1 for p in active if ctl.delete_pod(job, p))
            remaining = len(active) - deleted
            active = []
            if remaining:
                finished = None
        else:
            active, created = self._manage(active, record)
            succeeded = self.status.get("succeeded", 0)
            busy = bool(active) or created > 0
            if self.completions is None:
                complete = succeeded > 0 and not busy
            else:
                complete = succeeded >= self.completions and not busy
            if complete:
                finished = ("SuccessCriteriaMet", "CompletionsReached", _COMPLETIONS_MSG)
            else:
                self._suspend_condition(suspended)
        terminating = sum(
            1
            for p in self.ctl.pods.by_index("controllerUID", uid)
            if p["metadata"].get("deletionTimestamp")
            and (p.get("status") or {}).get("phase") not in _TERMINAL
        )
        self.status["active"] = len(active) + created
        self.status["ready"] = sum(1 for p in active if is_pod_ready(p))
        self.status["terminating"] = terminating
        self._finish(finished, terminating)
        ctl._backoff[uid] = record
        self._write()
        self._requeue(record)

    def _count_finished(self) -> str | None:
        """Count pods that finished since the last sync; remove their finalizers.

        Returns the first FailJob message of the pod failure policy, if any.
        """
        job, spec = self.job, self.spec
        policy = spec.get("podFailurePolicy")
        completions = self.completions or 0
        succeeded_idx = indexes_set(self.old.get("completedIndexes"), completions)
        failed_idx = indexes_set(self.old.get("failedIndexes"), completions)
        succeeded, failed = self.old.get("succeeded", 0), self.old.get("failed", 0)
        per_index = spec.get("backoffLimitPerIndex")
        self.new_succeeded_times: list[float] = []
        self.new_failed_times: list[float] = []
        fail_job_message = None
        for pod in self.pods:
            if TRACKING_FINALIZER not in (pod["metadata"].get("finalizers") or ()):
                continue
            phase = (pod.get("status") or {}).get("phase")
            if phase == "Succeeded":
                index = completion_index(pod, completions) if self.indexed else None
                if not self.indexed:
                    succeeded += 1
                elif index is not None and index not in succeeded_idx and index not in failed_idx:
                    succeeded_idx.add(index)
                    succeeded += 1
                self.new_succeeded_times.append(finished_time(pod, self.now))
            elif is_pod_failed(pod, job):
                action, message = (None, None)
                if policy is not None and phase == "Failed":
                    action, message = match_pod_failure_policy(policy, pod)
                if action == "FailJob" and fail_job_message is None:
                    fail_job_message = message
                if action != "Ignore":
                    failed += 1
                    self.new_failed_times.append(finished_time(pod, self.now))
                if self.indexed and per_index is not None:
                    index = completion_index(pod, completions)
                    counted = action != "Ignore"
                    failures = _int((pod["metadata"].get("annotations") or {}).get(FAILURE_COUNT))
                    if index is not None and (
                        action == "FailIndex" or (counted and failures >= per_index)
                    ):
                        failed_idx.add(index)
            else:
                continue
            self.ctl._remove_finalizer(pod)
        self.status["succeeded"], self.status["failed"] = succeeded, failed
        if self.indexed:
            self.status["completedIndexes"] = format_indexes(succeeded_idx)
            self.succeeded_idx = succeeded_idx
            self.failed_idx = failed_idx
            if per_index is not None:
                self.status["failedIndexes"] = format_indexes(failed_idx)
        return fail_job_message

    # -- deciding ----------------------------------------------------------------------------
    def _finished_condition(self, active: list[dict], fail_job_message: str | None):
        """``(type, reason, message)`` of the interim condition, or None (still running)."""
        spec = self.spec
        target = self._condition("FailureTarget")
        if target is not None:
            return "FailureTarget", target.get("reason", ""), target.get("message", "")
        met = self._condition("SuccessCriteriaMet")
        if met is not None:
            return "SuccessCriteriaMet", met.get("reason", ""), met.get("message", "")
        if fail_job_message is not None:
            return "FailureTarget", "PodFailurePolicy", fail_job_message
        if self.status["failed"] > spec.get("backoffLimit", 6) or _past_backoff_on_failure(
            self.job, active
        ):
            return "FailureTarget", "BackoffLimitExceeded", _BACKOFF_MSG
        if self._deadline_left() == 0:
            return "FailureTarget", "DeadlineExceeded", _DEADLINE_MSG
        if self.indexed:
            failed_idx, succeeded_idx = self.failed_idx, self.succeeded_idx
            if spec.get("backoffLimitPerIndex") is not None:
                max_failed = spec.get("maxFailedIndexes")
                if max_failed is not None and len(failed_idx) > max_failed:
                    return (
                        "FailureTarget",
                        "MaxFailedIndexesExceeded",
                        "Job has exceeded the specified maximal number of failed indexes",
                    )
                if failed_idx and len(failed_idx) + len(succeeded_idx) >= (self.completions or 0):
                    return "FailureTarget", "FailedIndexes", "Job has failed indexes"
            message = matched_success_policy(
                spec.get("successPolicy"), succeeded_idx, self.completions or 0
            )
            if message is not None:
                return "SuccessCriteriaMet", "SuccessPolicy", message
        return None

    def _deadline_left(self) -> float | None:
        """Seconds until ``activeDeadlineSeconds`` passes (0: passed; None: no deadline)."""
        deadline = self.spec.get("activeDeadlineSeconds")
        start = parse_time(self.status.get("startTime"))
        if deadline is None or start is None or self.spec.get("suspend"):
            return None
        return max(0.0, start + deadline - self.now)

    def _condition(self, type_: str) -> dict | None:
        for cond in self.conditions:
            if cond.get("type") == type_ and cond.get("status") == "True":
                return cond
        return None

    # -- manageJob ---------------------------------------------------------------------------
    def _manage(self, active: list[dict], record: BackoffRecord) -> tuple[list[dict], int]:
        """Create or delete pods: the pods that remain active, and how many were created."""
        ctl, job, spec = self.ctl, self.job, self.spec
        if job["metadata"].get("deletionTimestamp"):
            return active, 0
        if spec.get("suspend"):
            for pod in active:
                ctl.delete_pod(job, pod, release=True)
            return [], 0
        parallelism = spec.get("parallelism", 1)
        succeeded = self.status.get("succeeded", 0)
        if self.completions is None:
            want = len(active) if succeeded > 0 else parallelism
        else:
            done = succeeded
            if self.indexed:
                done = len(self.succeeded_idx) + len(self.failed_idx)
            want = max(0, min(self.completions - done, parallelism))
        excess = len(active) - want
        if excess > 0:
            victims = pods_to_delete(active, (), min(excess, MAX_POD_CREATE_DELETE), self.now)
            gone = {v["metadata"]["uid"] for v in victims if ctl.delete_pod(job, v, release=True)}
            active = [p for p in active if p["metadata"]["uid"] not in gone]
        terminating = 0
        if only_replace_failed_pods(job):
            terminating = sum(
                1
                for p in self.pods
                if p["metadata"].get("deletionTimestamp")
                and (p.get("status") or {}).get("phase") not in _TERMINAL
            )
        # The pod events of this batch bring the next sync, which creates the rest.
        missing = min(want - len(active) - terminating, MAX_POD_CREATE_DELETE)
        if missing <= 0:
            return active, 0
        if spec.get("backoffLimitPerIndex") is None and record.remaining(self.now) > 0:
            return active, 0  # the re-sync after the back-off is scheduled by _requeue
        plans = self._pending_indexes(missing) if self.indexed else [(None, None)] * missing
        if not plans:
            return active, 0
        it = iter(plans)
        created: list = []

        def create():
            index, replaced = next(it)
            result = ctl.create_pod(job, index, replaced)
            if result is True:
                created.append(index)
            return result

        slow_start_batch(len(plans), SLOW_START_INITIAL_BATCH, create)
        return active, len(created)  # upstream counts them active at once (`active += diff`)

    def _pending_indexes(self, count: int) -> list[tuple[int, dict | None]]:
        """``firstPendingIndexes``: the lowest indexes with no active pod, not succeeded, not
        failed and out of their per-index back-off."""
        completions = self.completions or 0
        taken = set(self.succeeded_idx) | set(self.failed_idx)
        for pod in self.pods:
            index = completion_index(pod, completions)
            if index is None:
                continue
            if is_pod_active(pod) or (
                only_replace_failed_pods(self.job)
                and pod["metadata"].get("deletionTimestamp")
                and (pod.get("status") or {}).get("phase") not in _TERMINAL
            ):
                taken.add(index)
        last_failed = self._last_failed_by_index(completions)
        out: list[tuple[int, dict | None]] = []
        self.index_delays: list[float] = []
        for index in range(completions):
            if len(out) >= count:
                break
            if index in taken:
                continue
            replaced = last_failed.get(index)
            if replaced is not None and self.spec.get("backoffLimitPerIndex") is not None:
                failures, ignored = _index_failure_counts(self.job, replaced)
                wait = remaining_backoff(
                    failures + ignored, finished_time(replaced, self.now), self.now
                )
                if wait > 0:
                    self.index_delays.append(wait)
                    continue
            out.append((index, replaced))
        return out

    def _last_failed_by_index(self, completions: int) -> dict[int, dict]:
        last: dict[int, tuple[float, dict]] = {}
        for pod in self.pods:
            index = completion_index(pod, completions)
            if index is None or not is_pod_failed(pod, self.job):
                continue
            when = finished_time(pod, self.now)
            if index not in last or when >= last[index][0]:
                last[index] = (when, pod)
        return {i: p for i, (_, p) in last.items()}

    # -- conditions and status ----------------------------------------------------------------
    def _suspend_condition(self, suspended: bool) -> bool:
        cond = get_condition({"status": {"conditions": self.conditions}}, "Suspended")
        if suspended:
            if cond is not None and cond.get("status") == "True":
                return False
            self._set_condition("Suspended", "True", "JobSuspended", "Job suspended")
            self.events.append(("Normal", "Suspended", "Job suspended"))
            return True
        if cond is None or cond.get("status") != "True":
            return False
        self._set_condition("Suspended", "False", "JobResumed", "Job resumed")
        self.events.append(("Normal", "Resumed", "Job resumed"))
        # Resuming restarts the activeDeadlineSeconds clock.
        self.status["startTime"] = timestamp(self.now)
        return True

    def _set_condition(self, type_: str, status: str, reason: str, message: str) -> None:
        """``ensureJobConditionStatus``: lastProbeTime and lastTransitionTime are now."""
        stamp = timestamp(self.now)
        new = {
            "type": type_,
            "status": status,
            "lastProbeTime": stamp,
            "lastTransitionTime": stamp,
            "reason": reason,
            "message": message,
        }
        for i, cond in enumerate(self.conditions):
            if cond.get("type") == type_:
                if cond.get("status") != status or cond.get("reason") != reason:
                    self.conditions[i] = new
                return
        self.conditions.append(new)

    def _finish(self, finished, terminating: int) -> None:
        """Add the interim condition, then the terminal one once no pod is terminating."""
        if finished is None:
            return
        type_, reason, message = finished
        if self._condition(type_) is None:
            self._set_condition(type_, "True", reason, message)
        if terminating:
            return
        final = "Failed" if type_ == "FailureTarget" else "Complete"
        self._set_condition(final, "True", reason, message)
        if final == "Complete":
            self.status["completionTime"] = timestamp(self.now)
            self.events.append(("Normal", "Completed", "Job completed"))
        else:
            self.events.append(("Warning", reason, message))

    def _write(self) -> None:
        status = self.status
        out: dict = {}
        if self.conditions:
            out["conditions"] = self.conditions
        for key in ("startTime", "completionTime"):
            if status.get(key):
                out[key] = status[key]
        for key in ("active", "succeeded", "failed"):
            if status.get(key):
                out[key] = status[key]  # omitempty
        out["terminating"] = status.get("terminating", 0)
        if status.get("completedIndexes"):
            out["completedIndexes"] = status["completedIndexes"]
        if "failedIndexes" in status:
            out["failedIndexes"] = status["failedIndexes"]
        out["uncountedTerminatedPods"] = {}
        out["ready"] = status.get("ready", 0)
        if out != self.old:
            with contextlib.suppress(NotFound):
                self.ctl.client.update_status(dict(self.job, status=out))
        for event in self.events:
            self.ctl.client.event(self.job, *event)

    def _requeue(self, record: BackoffRecord) -> None:
        if is_job_finished({"status": {"conditions": self.conditions}}):
            return
        delays = []
        left = self._deadline_left()
        if left is not None and left > 0:
            delays.append(left)
        wait = record.remaining(self.now)
        if wait > 0:
            delays.append(wait)
        delays.extend(getattr(self, "index_delays", ()))
        if delays:
            self.ctl.enqueue(_key(self.job), delay=min(delays) + 0.001)


def _past_backoff_on_failure(job: dict, active: list[dict]) -> bool:
    """``pastBackoffLimitOnFailure``: with ``OnFailure``, container restarts count too."""
    spec = job["spec"]
    if (spec.get("template") or {}).get("spec", {}).get("restartPolicy") != "OnFailure":
        return False
    restarts = 0
    for pod in active:
        status = pod.get("status") or {}
        if status.get("phase") in ("Running", "Pending"):
            for cs in (status.get("initContainerStatuses") or []) + (
                status.get("containerStatuses") or []
            ):
                restarts += cs.get("restartCount", 0)
    limit = spec.get("backoffLimit", 6)
    return restarts > 0 if limit == 0 else restarts >= limit


def _key(obj: dict) -> tuple[str, str]:
    return obj["metadata"].get("namespace", ""), obj["metadata"]["name"]
