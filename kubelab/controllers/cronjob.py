"""The CronJob controller (``pkg/controller/cronjob/cronjob_controllerv2.go``, ``utils.go``).

For each CronJob: reconcile ``status.active`` with its Jobs (``SawCompletedJob``,
``MissingJob``), note ``lastSuccessfulTime``, then find the most recent unmet schedule
time (at most one Job per sync, however many were missed; more than 100 missed is
``TooManyMissedTimes``). Unless it is too late (``startingDeadlineSeconds``), already
done, or forbidden by ``concurrencyPolicy``, create the Job ``<cronjob>-<scheduled time in
minutes since the Unix epoch>``. Old finished Jobs beyond the history limits are
deleted. The CronJob is re-synced 100 ms after its next schedule time: nothing polls.

Examples
--------
>>> from kubelab.sim import Clock
>>> from kubelab.apiserver import APIServer
>>> from kubelab.client import InformerFactory
>>> from kubelab.controllers.base import Context
>>> clock = Clock(); api = APIServer(clock); api.namespace_checks = False
>>> cjc = CronJobController(Context(clock, api, InformerFactory(api)))
>>> _ = api.client("kubectl").create({"apiVersion": "batch/v1", "kind": "CronJob",
...     "metadata": {"name": "hello"}, "spec": {"schedule": "*/5 * * * *",
...     "jobTemplate": {"spec": {"template": {"spec": {"restartPolicy": "OnFailure",
...                   "containers": [{"name": "c", "image": "busybox"}]}}}}}})
>>> _ = clock.run_until(601)
>>> sorted(j["metadata"]["name"] for j in api.list("Job"))
['hello-28928165', 'hello-28928170']
>>> api.get("CronJob", "hello")["status"]["lastScheduleTime"]
'2025-01-01T00:10:00Z'
"""

from __future__ import annotations

import contextlib
from datetime import timedelta
from zoneinfo import ZoneInfo

from kubelab.api import cron
from kubelab.api.meta import EPOCH, controller_ref, owner_reference, parse_time, timestamp
from kubelab.controllers.base import Controller, only_status_changed
from kubelab.controllers.job import is_job_finished
from kubelab.errors import AlreadyExists, KubelabError, NotFound

__all__ = ["SCHEDULED_TIMESTAMP", "CronJobController", "job_name", "most_recent_schedule_time"]

SCHEDULED_TIMESTAMP = "batch.kubernetes.io/cronjob-scheduled-timestamp"
NEXT_SCHEDULE_DELTA = 0.1  # nextScheduleDelta: wake up just after the schedule time
_UNIX_EPOCH_MINUTES = int(EPOCH.timestamp()) // 60
_MANY_MISSED = 100


def job_name(cronjob_name: str, scheduled: float) -> str:
    """``getJobName``: ``<cronjob>-<scheduled time in minutes since 1970>``.

    >>> job_name("hello", 60)
    'hello-28928161'
    """
    return f"{cronjob_name}-{_UNIX_EPOCH_MINUTES + int(scheduled) // 60}"


def most_recent_schedule_time(
    schedule: cron.Schedule,
    zone: str | None,
    earliest: float,
    now: float,
) -> tuple[float | None, int]:
    """``mostRecentScheduleTime``: the latest schedule time in ``(earliest, now]`` and how
    many were missed (an estimate, as upstream: elapsed time over one interval).

    >>> s = cron.parse("*/1 * * * *")
    >>> most_recent_schedule_time(s, None, 0, 30), most_recent_schedule_time(s, None, 0, 185)
    ((None, 0), (180.0, 3))
    """
    t1 = schedule.next(earliest, zone)
    if t1 is None or now < t1:
        return None, 0
    t2 = schedule.next(t1, zone)
    if t2 is None or now < t2:
        return t1, 1
    interval = round(t2 - t1)
    if interval < 1:
        raise ValueError("time difference between two schedules is less than 1 second")
    missed = int(now - t1) // interval + 1
    t = schedule.next(t1 + (missed - 2) * interval, zone)
    recent = None
    while t is not None and t <= now:
        recent = t
        t = schedule.next(t, zone)
    return recent, missed


class CronJobController(Controller):
    """Creates a Job for every scheduled time of every CronJob."""

    name = "cronjob-controller"

    def setup(self) -> None:
        self.cronjobs = self.informers.get("CronJob")
        self.jobs = self.informers.get("Job")
        self._timers: dict = {}
        self.cronjobs.add_handler(on_add=self.enqueue_object, on_update=self._cronjob_updated)
        self.jobs.add_handler(
            on_add=self._job_changed, on_update=self._job_updated, on_delete=self._job_changed
        )

    def _cronjob_updated(self, old: dict, new: dict) -> None:
        if only_status_changed(old, new, ("labels",)):
            return  # our own status write
        self.enqueue_object(new)

    def _job_changed(self, job: dict) -> None:
        ref = controller_ref(job)
        if ref is not None and ref.get("kind") == "CronJob":
            self.enqueue((job["metadata"].get("namespace", ""), ref["name"]))

    def _job_updated(self, old: dict, new: dict) -> None:
        if controller_ref(old) != controller_ref(new):
            self._job_changed(old)
        self._job_changed(new)

    def _requeue_at(self, key, when: float) -> None:
        """One wake-up per CronJob: the earliest one asked for."""
        timer = self._timers.get(key)
        if timer is not None and not timer.cancelled and timer.when <= when:
            return
        if timer is not None:
            timer.cancel()
        self._timers[key] = self.clock.call_at(when, self._wake, key)

    def _wake(self, key) -> None:
        self._timers.pop(key, None)
        self.enqueue(key)

    # -- the reconcile loop ------------------------------------------------------------------
    def sync(self, key) -> None:
        namespace, name = key
        cj = self.cronjobs.get(namespace, name)
        if cj is None:
            timer = self._timers.pop(key, None)
            if timer is not None:
                timer.cancel()
            return
        uid = cj["metadata"]["uid"]
        jobs = [j for j in self.jobs.by_index("controllerUID", uid)]
        old_status = cj.get("status") or {}
        status = dict(old_status)
        status["active"] = list(old_status.get("active") or ())
        self._reconcile_active(cj, status, jobs)
        requeue = self._schedule(cj, status)
        self._cleanup(cj, status, jobs)
        out = {k: v for k, v in status.items() if v or k not in ("active",)}
        if out != old_status:
            with contextlib.suppress(NotFound):
                self.client.update_status(dict(cj, status=out))
        if requeue is not None:
            self._requeue_at(key, requeue)

    def _reconcile_active(self, cj: dict, status: dict, jobs: list[dict]) -> None:
        active_uids = {ref.get("uid") for ref in status["active"]}
        children = set()
        for job in jobs:
            uid = job["metadata"]["uid"]
            children.add(uid)
            finished = is_job_finished(job)
            if uid not in active_uids and finished is None:
                self.client.event(
                    cj,
                    "Warning",
                    "UnexpectedJob",
                    f"Saw a job that the controller did not create or forgot: {job['metadata']['name']}",
                )
            elif uid in active_uids and finished is not None:
                status["active"] = [r for r in status["active"] if r.get("uid") != uid]
                self.client.event(
                    cj,
                    "Normal",
                    "SawCompletedJob",
                    f"Saw completed job: {job['metadata']['name']}, condition: {finished[0]}",
                )
            if finished is not None and finished[0] == "Complete":
                done = (job.get("status") or {}).get("completionTime")
                last = status.get("lastSuccessfulTime")
                if done and (last is None or parse_time(done) > parse_time(last)):
                    status["lastSuccessfulTime"] = done
        for ref in list(status["active"]):
            if ref.get("uid") in children:
                continue
            try:
                self.client.get("Job", ref.get("name", ""), ref.get("namespace", ""))
            except NotFound:
                self.client.event(
                    cj, "Normal", "MissingJob", f"Active job went missing: {ref.get('name')}"
                )
                status["active"] = [r for r in status["active"] if r.get("uid") != ref.get("uid")]

    def _schedule(self, cj: dict, status: dict) -> float | None:
        """Start the Job of the most recent unmet schedule time; when to look again."""
        spec, now = cj["spec"], self.clock.now
        if cj["metadata"].get("deletionTimestamp"):
            return None
        zone = spec.get("timeZone")
        if zone is not None and not cron.valid_time_zone(zone):
            self.client.event(
                cj,
                "Warning",
                "UnknownTimeZone",
                f'invalid timeZone: "{zone}": unknown time zone {zone}',
            )
            return None
        if spec.get("suspend"):
            return None
        try:
            schedule = cron.parse(spec.get("schedule") or "")
        except cron.CronError as error:
            self.client.event(
                cj,
                "Warning",
                "UnparseableSchedule",
                f'unparseable schedule: "{spec.get("schedule")}" : {error}',
            )
            return None
        created = parse_time(cj["metadata"].get("creationTimestamp")) or 0.0
        last = parse_time(status.get("lastScheduleTime"))
        earliest = last if last is not None else created
        deadline = spec.get("startingDeadlineSeconds")
        if deadline is not None:
            earliest = max(earliest, now - deadline)
        try:
            scheduled, missed = most_recent_schedule_time(schedule, zone, earliest, now)
        except ValueError as error:
            self.client.event(
                cj,
                "Warning",
                "InvalidSchedule",
                f"invalid schedule: {spec.get('schedule')} : {error}",
            )
            return None
        if scheduled is not None and missed > _MANY_MISSED:
            self.client.event(
                cj,
                "Warning",
                "TooManyMissedTimes",
                "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or "
                "check clock skew",
            )
        next_wake = self._next_wake(schedule, zone, created, status, now)
        if scheduled is None:
            return next_wake
        if deadline is not None and scheduled + deadline < now:
            self.client.event(
                cj,
                "Warning",
                "MissSchedule",
                f"Missed scheduled time to start a job: {_rfc1123z(scheduled)}",
            )
            return next_wake
        name = job_name(cj["metadata"]["name"], scheduled)
        if any(r.get("name") == name for r in status["active"]) or last == scheduled:
            return next_wake
        policy = spec.get("concurrencyPolicy", "Allow")
        if policy == "Forbid" and status["active"]:
            self.client.event(
                cj,
                "Normal",
                "JobAlreadyActive",
                "Not starting job because prior execution is running and concurrency policy is "
                "Forbid",
            )
            return next_wake
        if policy == "Replace":
            for ref in list(status["active"]):
                self._delete_job(cj, status, ref.get("name", ""))
        job = self._job_from_template(cj, scheduled, zone)
        try:
            created_job = self.client.create(job)
        except AlreadyExists:
            existing = self.jobs.get(cj["metadata"].get("namespace", ""), name)
            ref = controller_ref(existing) if existing else None
            if existing is None or ref is None or ref.get("uid") != cj["metadata"]["uid"]:
                return next_wake
            if any(r.get("uid") == existing["metadata"]["uid"] for r in status["active"]):
                return next_wake
            created_job = existing
        except KubelabError as error:
            self.client.event(cj, "Warning", "FailedCreate", f"Error creating job: {error.message}")
            return None
        else:
            self.client.event(cj, "Normal", "SuccessfulCreate", f"Created job {name}")
        meta = created_job["metadata"]
        status["active"] = [
            *status["active"],
            {
                "apiVersion": "batch/v1",
                "kind": "Job",
                "name": meta["name"],
                "namespace": meta.get("namespace", ""),
                "resourceVersion": meta.get("resourceVersion", ""),
                "uid": meta["uid"],
            },
        ]
        status["lastScheduleTime"] = timestamp(scheduled)
        return self._next_wake(schedule, zone, created, status, now)

    @staticmethod
    def _next_wake(schedule, zone, created: float, status: dict, now: float) -> float | None:
        """``nextScheduleTimeDuration``: 100 ms after the next schedule time."""
        last = parse_time(status.get("lastScheduleTime"))
        earliest = last if last is not None else created
        try:
            recent, _ = most_recent_schedule_time(schedule, zone, earliest, now)
        except ValueError:
            return None
        after = schedule.next(recent if recent is not None else earliest, zone)
        return None if after is None else after + NEXT_SCHEDULE_DELTA

    def _job_from_template(self, cj: dict, scheduled: float, zone: str | None) -> dict:
        """``getJobFromTemplate2``: the template's labels and annotations, the scheduled time."""
        template = cj["spec"].get("jobTemplate") or {}
        tmeta = template.get("metadata") or {}
        when = (EPOCH + timedelta(seconds=int(scheduled))).astimezone(ZoneInfo(zone or "UTC"))
        stamp = when.isoformat().replace("+00:00", "Z")
        meta = {
            "name": job_name(cj["metadata"]["name"], scheduled),
            "namespace": cj["metadata"].get("namespace", "default"),
            "labels": dict(tmeta.get("labels") or {}),
            "annotations": {**(tmeta.get("annotations") or {}), SCHEDULED_TIMESTAMP: stamp},
            "ownerReferences": [owner_reference(cj)],
        }
        if not meta["labels"]:
            del meta["labels"]
        return {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": meta,
            "spec": dict(template.get("spec") or {}),
        }

    def _delete_job(self, cj: dict, status: dict, name: str) -> bool:
        """``deleteJob``: delete (background), drop it from ``active``, ``SuccessfulDelete``."""
        namespace = cj["metadata"].get("namespace", "")
        try:
            self.client.delete("Job", name, namespace, propagation="Background")
        except NotFound:
            pass
        except KubelabError as error:
            self.client.event(cj, "Warning", "FailedDelete", f"Deleted job: {error.message}")
            return False
        status["active"] = [r for r in status["active"] if r.get("name") != name]
        self.client.event(cj, "Normal", "SuccessfulDelete", f"Deleted job {name}")
        return True

    def _cleanup(self, cj: dict, status: dict, jobs: list[dict]) -> None:
        """``cleanupFinishedJobs``: keep the newest successful and failed Jobs."""
        spec = cj["spec"]
        if cj["metadata"].get("deletionTimestamp"):
            return
        for kind, key in (
            ("Complete", "successfulJobsHistoryLimit"),
            ("Failed", "failedJobsHistoryLimit"),
        ):
            limit = spec.get(key)
            if limit is None:
                continue
            finished = [j for j in jobs if (is_job_finished(j) or ("",))[0] == kind]
            if len(finished) <= limit:
                continue
            finished.sort(key=_start_key)
            for job in finished[: len(finished) - limit]:
                self._delete_job(cj, status, job["metadata"]["name"])


def _start_key(job: dict) -> tuple:
    """``byJobStartTime``: by start time (jobs that never started last), then name."""
    start = parse_time((job.get("status") or {}).get("startTime"))
    return (start is None, start or 0.0, job["metadata"]["name"])


def _rfc1123z(when: float) -> str:
    """Go's ``time.RFC1123Z`` in UTC: ``Wed, 01 Jan 2025 00:01:00 +0000``."""
    return (EPOCH + timedelta(seconds=int(when))).strftime("%a, %d %b %Y %H:%M:%S +0000")
