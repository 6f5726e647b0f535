"""The cluster's history: one row each time a workload object's state changes.

The :class:`Recorder` watches pods, workload controllers and nodes (through the
API server's watch, like any component) and appends a row whenever an object's
summary changes, so ``c.history`` is a tidy, change-driven time series: plot it
with ``drawstyle="steps-post"``.

It keeps the last hour (:data:`~kubelab.sim.RETENTION`) and at most :data:`MAX_ROWS` rows,
plus, for each object still there whose rows all went, its last row before the window, so
every live object's state is known from the window's start (``keep_all=True``, or
``kl.Cluster(..., keep_history=True)``, keeps every row).
"""

from __future__ import annotations

from kubelab.api.meta import controller_ref, get_condition
from kubelab.sim import RETENTION, RingLog

__all__ = ["HISTORY_COLUMNS", "MAX_ROWS", "Recorder", "is_ready", "summarize"]

MAX_ROWS = 200_000  # history rows kept at most (the last hour otherwise)

HISTORY_COLUMNS = [
    "time",
    "kind",
    "namespace",
    "name",
    "phase",
    "replicas",
    "ready",
    "available",
    "node",
    "version",
    "owner",
]
WATCHED = (
    "Pod",
    "ReplicaSet",
    "ReplicationController",
    "Deployment",
    "DaemonSet",
    "StatefulSet",
    "Job",
    "CronJob",
    "Node",
)


def is_ready(pod: dict) -> bool:
    """Whether a pod counts as ready: Running, its Ready condition True, and not being deleted.

    The same pods the ``"ready"`` counts of ``c.history`` plots count.

    >>> is_ready({"metadata": {}, "status": {"phase": "Running",
    ...           "conditions": [{"type": "Ready", "status": "True"}]}})
    True
    >>> is_ready({"metadata": {"deletionTimestamp": "t"}, "status": {"phase": "Running",
    ...           "conditions": [{"type": "Ready", "status": "True"}]}})
    False
    """
    if pod["metadata"].get("deletionTimestamp"):
        return False
    if (pod.get("status") or {}).get("phase") != "Running":
        return False
    cond = get_condition(pod, "Ready")
    return cond is not None and cond.get("status") == "True"


def _version(template_spec: dict | None) -> str | None:
    """The tag of the first container's image: what the course calls a version."""
    containers = (template_spec or {}).get("containers") or ()
    if not containers:
        return None
    image = containers[0].get("image") or ""
    name = image.rsplit("/", 1)[-1]
    return name.split(":", 1)[1] if ":" in name else "latest"


def summarize(obj: dict | None, kind: str) -> tuple:
    """``(phase, replicas, ready, available, node, version, owner)`` of an object (None: deleted)."""
    if obj is None:
        return ("Deleted", None, None, None, None, None, None)
    status = obj.get("status") or {}
    spec = obj.get("spec") or {}
    ref = controller_ref(obj)
    owner = ref["name"] if ref else None
    if kind == "Pod":
        ready_cond = get_condition(obj, "Ready")
        ready = 1 if ready_cond and ready_cond.get("status") == "True" else 0
        phase = "Terminating" if obj["metadata"].get("deletionTimestamp") else status.get("phase")
        return (phase, None, ready, None, spec.get("nodeName"), _version(spec), owner)
    if kind == "Node":
        cond = get_condition(obj, "Ready")
        state = {"True": "Ready", "False": "NotReady"}.get((cond or {}).get("status"), "Unknown")
        return (state, None, None, None, obj["metadata"]["name"], None, None)
    template = (spec.get("template") or {}).get("spec")
    if kind == "Job":
        # replicas: the completions wanted; ready: ready pods; available: pods that succeeded
        from kubelab.kubectl.rows_workloads import job_status

        return (
            job_status(obj),
            spec.get("completions"),
            status.get("ready", 0),
            status.get("succeeded", 0),
            None,
            _version(template),
            owner,
        )
    if kind == "CronJob":
        job_template = ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}
        return (
            "Suspended" if spec.get("suspend") else "Active",
            len(status.get("active") or ()),
            None,
            None,
            None,
            _version(job_template.get("spec")),
            owner,
        )
    if kind == "DaemonSet":
        return (
            "Active",
            status.get("desiredNumberScheduled", 0),
            status.get("numberReady", 0),
            status.get("numberAvailable", 0),
            None,
            _version(template),
            owner,
        )
    return (
        "Active",
        spec.get("replicas"),
        status.get("readyReplicas", 0),
        status.get("availableReplicas", 0),
        None,
        _version(template),
        owner,
    )


class Recorder:
    """Appends a history row whenever a watched object's summary changes."""

    def __init__(self, ctx, *, keep_all: bool = False):
        self.clock = ctx.clock
        self.rows = RingLog(ctx.clock, RETENTION, MAX_ROWS, on_drop=self._dropped)
        if keep_all:
            self.rows.keep_all()
        self._last: dict[tuple, tuple] = {}
        # key -> its newest row that left the window, while the object lives
        self._before: dict[tuple, tuple] = {}
        for kind in WATCHED:
            ctx.api.store.watch(kind, self._handler(kind))

    def _dropped(self, row: tuple) -> None:
        key = row[1:4]
        if key in self._last:
            self._before[key] = row
        else:
            self._before.pop(key, None)

    def _handler(self, kind):
        def on_event(event: str, obj: dict, old: dict | None) -> None:
            meta = obj["metadata"]
            key = (kind, meta.get("namespace", ""), meta["name"])
            summary = summarize(None if event == "DELETED" else obj, kind)
            if self._last.get(key) == summary:
                return
            if event == "DELETED":
                self._last.pop(key, None)
                self._before.pop(key, None)
            else:
                self._last[key] = summary
            self.rows.append((self.clock.now, *key, *summary))

        return on_event

    def frame(self):
        """The rows as a pandas DataFrame with :data:`HISTORY_COLUMNS`."""
        import pandas as pd

        self.rows.trim()
        before = sorted(
            (row for key, row in self._before.items() if key in self._last),
            key=lambda row: row[0],
        )
        return pd.DataFrame([*before, *self.rows], columns=HISTORY_COLUMNS)
