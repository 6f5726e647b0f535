"""The cluster's history: one row each time a workload object's state changes.

The :class:`Recorder` watches pods, workload controllers and nodes (through the
API server's watch, like any component) and appends a row whenever an object's
summary changes, so ``c.history`` is a tidy, change-driven time series: plot it
with ``drawstyle="steps-post"``.
"""

from __future__ import annotations

from kubelab.api.meta import controller_ref, get_condition

__all__ = ["HISTORY_COLUMNS", "Recorder", "is_ready", "summarize"]

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
    "Node",
    "StatefulSet",
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

    def __init__(self, ctx):
        self.clock = ctx.clock
        self.rows: list[tuple] = []
        self._last: dict[tuple, tuple] = {}
        for kind in WATCHED:
            ctx.api.store.watch(kind, self._handler(kind))

    def _handler(self, kind):
        def on_event(event: str, obj: dict, old: dict | None) -> None:
            meta = obj["metadata"]
            key = (kind, meta.get("namespace", ""), meta["name"])
            summary = summarize(None if event == "DELETED" else obj, kind)
            if self._last.get(key) == summary:
                return
            if event == "DELETED":
                self._last.pop(key, None)
            else:
                self._last[key] = summary
            self.rows.append((self.clock.now, *key, *summary))

        return on_event

    def frame(self):
        """The rows as a pandas DataFrame with :data:`HISTORY_COLUMNS`."""
        import pandas as pd

        return pd.DataFrame(self.rows, columns=HISTORY_COLUMNS)
