"""``kubectl describe`` for Jobs and CronJobs (upstream ``JobDescriber``, ``CronJobDescriber``)."""

from __future__ import annotations

from kubelab.api import labels as _labels
from kubelab.api.meta import parse_time
from kubelab.kubectl.describe_common import (
    Related,
    Writer,
    annotations_multiline,
    describe_events,
    describe_pod_template,
    labels_multiline,
)
from kubelab.kubectl.duration import human_duration, rfc1123z

__all__ = ["describe_cronjob", "describe_job"]


def _selector(ls) -> str:
    try:
        return _labels.to_string(ls)
    except _labels.SelectorError as error:
        return f"Failed to get selector: {error}"


def _cap_indexes(indexes: str | None, limit: int = 50) -> str:
    """``capIndexesListOrNone``: ``<none>``, or the list cut at the comma after ``limit``."""
    if not indexes:
        return "<none>"
    if len(indexes) <= limit:
        return indexes
    cut = indexes.find(",", limit)
    return indexes if cut < 0 else indexes[:cut] + ",..."


def describe_job(job: dict, rel: Related) -> str:
    """``describeJob``.

    >>> job = {"kind": "Job", "metadata": {"name": "pi", "namespace": "default"},
    ...        "spec": {"parallelism": 1, "completions": 1, "completionMode": "NonIndexed",
    ...                 "suspend": False, "backoffLimit": 4,
    ...                 "selector": {"matchLabels": {"job-name": "pi"}},
    ...                 "template": {"spec": {"containers": [{"name": "pi", "image": "perl"}]}}},
    ...        "status": {"startTime": "2025-01-01T00:00:00Z", "completionTime":
    ...                   "2025-01-01T00:00:15Z", "succeeded": 1, "ready": 0}}
    >>> print(describe_job(job, Related(now=20.0)).split("Pod Template")[0], end="")
    Name:             pi
    Namespace:        default
    Selector:         job-name=pi
    Labels:           <none>
    Annotations:      <none>
    Parallelism:      1
    Completions:      1
    Completion Mode:  NonIndexed
    Suspend:          false
    Backoff Limit:    4
    Start Time:       Wed, 01 Jan 2025 00:00:00 +0000
    Completed At:     Wed, 01 Jan 2025 00:00:15 +0000
    Duration:         15s
    Pods Statuses:    0 Active (0 Ready) / 1 Succeeded / 0 Failed
    """
    w, meta = Writer(), job["metadata"]
    spec, st = job.get("spec") or {}, job.get("status") or {}
    w.write(0, f"Name:\t{meta['name']}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    w.write(0, f"Selector:\t{_selector(spec.get('selector'))}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    if spec.get("parallelism") is not None:
        w.write(0, f"Parallelism:\t{spec['parallelism']}\n")
    completions = spec.get("completions")
    w.write(0, f"Completions:\t{'<unset>' if completions is None else completions}\n")
    if spec.get("completionMode") is not None:
        w.write(0, f"Completion Mode:\t{spec['completionMode']}\n")
    if spec.get("suspend") is not None:
        w.write(0, f"Suspend:\t{str(bool(spec['suspend'])).lower()}\n")
    if spec.get("backoffLimit") is not None:
        w.write(0, f"Backoff Limit:\t{spec['backoffLimit']}\n")
    if spec.get("ttlSecondsAfterFinished") is not None:
        w.write(0, f"TTL Seconds After Finished:\t{spec['ttlSecondsAfterFinished']}\n")
    if st.get("startTime"):
        w.write(0, f"Start Time:\t{rfc1123z(st['startTime'])}\n")
    if st.get("completionTime"):
        w.write(0, f"Completed At:\t{rfc1123z(st['completionTime'])}\n")
    if st.get("startTime") and st.get("completionTime"):
        took = parse_time(st["completionTime"]) - parse_time(st["startTime"])
        w.write(0, f"Duration:\t{human_duration(took)}\n")
    if spec.get("activeDeadlineSeconds") is not None:
        w.write(0, f"Active Deadline Seconds:\t{spec['activeDeadlineSeconds']}s\n")
    counts = f"{st.get('succeeded', 0)} Succeeded / {st.get('failed', 0)} Failed"
    if st.get("ready") is None:
        w.write(0, f"Pods Statuses:\t{st.get('active', 0)} Active / {counts}\n")
    else:
        w.write(
            0, f"Pods Statuses:\t{st.get('active', 0)} Active ({st['ready']} Ready) / {counts}\n"
        )
    if spec.get("completionMode") == "Indexed":
        w.write(0, f"Completed Indexes:\t{_cap_indexes(st.get('completedIndexes'))}\n")
    describe_pod_template(w, spec.get("template"))
    describe_events(w, rel.events, rel.now)
    return w.text()


def describe_cronjob(cj: dict, rel: Related) -> str:
    """``describeCronJob``: the schedule, limits, the job template, the active Jobs."""
    w, meta = Writer(), cj["metadata"]
    spec, st = cj.get("spec") or {}, cj.get("status") or {}
    w.write(0, f"Name:\t{meta['name']}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"Schedule:\t{spec.get('schedule', '')}\n")
    w.write(0, f"Concurrency Policy:\t{spec.get('concurrencyPolicy', '')}\n")
    suspend = spec.get("suspend")
    w.write(0, f"Suspend:\t{'<unset>' if suspend is None else str(bool(suspend))}\n")
    for title, key in (
        ("Successful Job History Limit", "successfulJobsHistoryLimit"),
        ("Failed Job History Limit", "failedJobsHistoryLimit"),
    ):
        value = spec.get(key)
        w.write(0, f"{title}:\t{'<unset>' if value is None else value}\n")
    deadline = spec.get("startingDeadlineSeconds")
    w.write(0, f"Starting Deadline Seconds:\t{'<unset>' if deadline is None else f'{deadline}s'}\n")
    job_spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    selector = job_spec.get("selector")
    w.write(0, f"Selector:\t{'<unset>' if selector is None else _selector(selector)}\n")
    for title, key in (("Parallelism", "parallelism"), ("Completions", "completions")):
        value = job_spec.get(key)
        w.write(0, f"{title}:\t{'<unset>' if value is None else value}\n")
    if job_spec.get("activeDeadlineSeconds") is not None:
        w.write(0, f"Active Deadline Seconds:\t{job_spec['activeDeadlineSeconds']}s\n")
    describe_pod_template(w, job_spec.get("template"))
    last = st.get("lastScheduleTime")
    w.write(0, f"Last Schedule Time:\t{rfc1123z(last) if last else '<unset>'}\n")
    active = ", ".join(ref.get("name", "") for ref in st.get("active") or ())
    w.write(0, f"Active Jobs:\t{active or '<none>'}\n")
    describe_events(w, rel.events, rel.now)
    return w.text()
