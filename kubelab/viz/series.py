"""Time series computed from ``c.history``: the numbers behind every kubelab plot.

``c.history`` is change-driven: an object gets a row only when its summary changes, and a
row's state holds until the object's next row; a ``"Deleted"`` row ends it. These functions
replay the rows in order and return wide DataFrames indexed by simulated time (one row per
moment something changed), ready for ``drawstyle="steps-post"`` plots and for asserting on
numbers in tests and exercises.

Examples
--------
>>> import pandas as pd
>>> rows = [
...     (0.0, "Pod", "default", "web-a", "Pending", None, 0, None, None, "1.0", "web"),
...     (2.0, "Pod", "default", "web-a", "Running", None, 1, None, "node-1", "1.0", "web"),
...     (5.0, "Pod", "default", "web-a", "Deleted", None, None, None, None, None, None),
... ]
>>> from kubelab.observe import HISTORY_COLUMNS
>>> h = pd.DataFrame(rows, columns=HISTORY_COLUMNS)
>>> pod_counts(h)["web"].tolist()
[0, 1, 0]
"""

from __future__ import annotations

from collections.abc import Iterable

from kubelab.viz.colors import NO_OWNER

__all__ = [
    "POD_VALUES",
    "node_transitions",
    "pod_counts",
    "traffic_counts",
    "workload_series",
]

WORKLOAD_KINDS = ("ReplicaSet", "ReplicationController", "Deployment", "DaemonSet")

# value= choices of pod_counts: which pods count in a row's state.
POD_VALUES = {
    "count": lambda phase, ready: phase != "Deleted",
    "ready": lambda phase, ready: phase not in ("Deleted", "Terminating") and ready == 1,
    "running": lambda phase, ready: phase == "Running",
    "pending": lambda phase, ready: phase == "Pending",
    "terminating": lambda phase, ready: phase == "Terminating",
    "succeeded": lambda phase, ready: phase == "Succeeded",
    "failed": lambda phase, ready: phase == "Failed",
    "unknown": lambda phase, ready: phase == "Unknown",
}
_MISSING = {"owner": NO_OWNER, "node": "(unscheduled)", "version": "(none)"}


def _history(source):
    """A history DataFrame from a Cluster (``.history``) or a DataFrame; plus the cluster's now."""
    if hasattr(source, "history") and hasattr(source, "now"):
        return source.history, float(source.now)
    return source, None


def _rows(history, kinds, namespace):
    rows = history[history["kind"].isin(list(kinds))]
    if namespace is not None:
        rows = rows[rows["namespace"] == namespace]
    # A stable sort keeps the recorder's order between rows written at the same instant.
    return rows.sort_values("time", kind="stable")


def _label(value, by: str):
    if value is None or value != value:  # None or NaN
        return _MISSING.get(by, "(none)")
    return value


def pod_counts(
    history,
    *,
    by: str | None = "owner",
    value: str = "ready",
    namespace: str | None = None,
    freq: float | None = None,
    until: float | None = None,
):
    """How many pods are in a state, per group, over simulated time.

    Parameters
    ----------
    history : pandas.DataFrame or Cluster
        ``c.history`` (or the cluster itself; then the series runs until ``c.now``).
    by : {"owner", "node", "version", "phase", "namespace"} or None
        One column per value of this history column (``None``: a single ``"pods"`` column).
        Pods without an owner count under ``"(no owner)"``, unscheduled ones under
        ``"(unscheduled)"``.
    value : str
        Which pods count: ``"ready"`` (Ready and not terminating, the default), ``"count"``
        (every pod that exists), ``"running"``, ``"pending"``, ``"terminating"``,
        ``"succeeded"``, ``"failed"``.
    namespace : str, optional
        Only pods of this namespace.
    freq : float, optional
        Sample on a regular grid ``0, freq, 2*freq, ...`` instead of at each change.
    until : float, optional
        Extend the series to this time (the state of the last change holds until then).

    Returns
    -------
    pandas.DataFrame
        Integers; index ``time`` (seconds), one column per group in order of first appearance.

    Examples
    --------
    >>> import pandas as pd
    >>> from kubelab.observe import HISTORY_COLUMNS
    >>> rows = [
    ...     (0.0, "Pod", "default", "a", "Running", None, 1, None, "node-1", "1.0", "web"),
    ...     (0.0, "Pod", "default", "b", "Pending", None, 0, None, None, "1.0", "web"),
    ...     (3.0, "Pod", "default", "b", "Running", None, 1, None, "node-2", "1.0", "web"),
    ...     (4.0, "Pod", "default", "a", "Terminating", None, 1, None, "node-1", "1.0", "web"),
    ... ]
    >>> h = pd.DataFrame(rows, columns=HISTORY_COLUMNS)
    >>> pod_counts(h, until=6)
    owner  web
    time
    0.0      1
    3.0      2
    4.0      1
    6.0      1
    >>> pod_counts(h, by="node", value="count", freq=2.0)  # doctest: +NORMALIZE_WHITESPACE
    node  node-1  (unscheduled)  node-2
    time
    0.0        1              1       0
    2.0        1              1       0
    4.0        1              0       1
    """
    import pandas as pd

    history, now = _history(history)
    if until is None:
        until = now
    if value not in POD_VALUES:
        raise ValueError(f"value must be one of {sorted(POD_VALUES)}, not {value!r}")
    counts_pod = POD_VALUES[value]
    rows = _rows(history, ("Pod",), namespace) if len(history) else history
    column = by or "pods"
    groups: dict = {}  # group -> current count, in order of first appearance
    state: dict = {}  # pod -> (group, counted)
    times: list[float] = []
    records: list[dict] = []
    for row in rows.itertuples(index=False):
        key = (row.namespace, row.name)
        old_group, old_counted = state.pop(key, (None, False))
        if old_counted:
            groups[old_group] -= 1
        counted = bool(counts_pod(row.phase, row.ready))
        if row.phase != "Deleted":
            group = _label(getattr(row, by), by) if by else "pods"
            groups.setdefault(group, 0)
            groups[group] += counted
            state[key] = (group, counted)
        if times and times[-1] == row.time:
            records[-1] = dict(groups)  # several rows at one instant: keep the final state
        else:
            times.append(float(row.time))
            records.append(dict(groups))
    frame = pd.DataFrame(records, index=pd.Index(times, name="time"), columns=list(groups))
    frame = frame.fillna(0).astype(int)
    frame.columns.name = column
    return _extend(frame, freq, until)


def _extend(frame, freq, until):
    """Resample a change-indexed frame on a grid (``freq``) and/or carry it on to ``until``."""
    import numpy as np
    import pandas as pd

    last = frame.index.max() if len(frame) else 0.0
    end = max(last, until) if until is not None else last
    if freq:
        grid = pd.Index(np.round(np.arange(0.0, end + freq / 2, freq), 9), name="time")
        return frame.reindex(grid, method="ffill").fillna(0).astype(int)
    if until is not None and until > last and len(frame):
        extra = frame.iloc[[-1]].copy()
        extra.index = pd.Index([float(until)], name="time")
        frame = pd.concat([frame, extra])
    return frame


def workload_series(
    history,
    *,
    kind: str | Iterable[str] = ("ReplicaSet", "ReplicationController"),
    names: Iterable[str] | None = None,
    fields: Iterable[str] = ("replicas", "ready", "available"),
    namespace: str | None = None,
    until: float | None = None,
):
    """``spec.replicas`` and ready/available counts of workload objects over time.

    Parameters
    ----------
    history : pandas.DataFrame or Cluster
    kind : str or iterable of str
        Workload kinds to include (ReplicaSet and ReplicationController by default).
    names : iterable of str, optional
        Only these objects.
    fields : iterable of str
        History columns to return for each object.
    namespace : str, optional
    until : float, optional
        Carry the last state on to this time.

    Returns
    -------
    pandas.DataFrame
        Index ``time``; columns a MultiIndex ``(name, field)``. Values are NaN before an object
        exists and after it is deleted.

    Examples
    --------
    >>> import pandas as pd
    >>> from kubelab.observe import HISTORY_COLUMNS
    >>> rows = [
    ...     (0.0, "ReplicaSet", "default", "web", "Active", 3, 0, 0, None, "1.0", None),
    ...     (4.0, "ReplicaSet", "default", "web", "Active", 3, 3, 3, None, "1.0", None),
    ...     (9.0, "ReplicaSet", "default", "web", "Deleted", None, None, None, None, None, None),
    ... ]
    >>> s = workload_series(pd.DataFrame(rows, columns=HISTORY_COLUMNS))
    >>> s[("web", "ready")].tolist()
    [0.0, 3.0, nan]
    """
    import pandas as pd

    history, now = _history(history)
    if until is None:
        until = now
    kinds = (kind,) if isinstance(kind, str) else tuple(kind)
    fields = list(fields)
    rows = _rows(history, kinds, namespace) if len(history) else history
    if names is not None:
        rows = rows[rows["name"].isin(list(names))]
    parts, keys = [], []
    for name, obj_rows in rows.groupby("name", sort=False):
        obj_rows = obj_rows.drop_duplicates("time", keep="last").set_index("time")
        obj = obj_rows[fields].astype(float)
        obj.loc[obj_rows["phase"] == "Deleted"] = float("nan")
        parts.append(obj)
        keys.append(name)
    if not parts:
        empty = pd.DataFrame(index=pd.Index([], name="time", dtype=float))
        empty.columns = pd.MultiIndex.from_tuples([], names=["name", "field"])
        return empty
    times = pd.Index(sorted(set().union(*(p.index for p in parts))), name="time")
    # reindex(method="ffill") pads by position, so a Deleted row's NaN is carried on too.
    frame = pd.concat(
        [p.reindex(times, method="ffill") for p in parts],
        axis=1,
        keys=keys,
        names=["name", "field"],
    )
    return _extend(frame, None, until)


def node_transitions(history):
    """When nodes changed state after they first became Ready: failures, recoveries, removals.

    Returns
    -------
    pandas.DataFrame
        Columns ``time, node, phase`` (``"NotReady"``, ``"Unknown"``, ``"Ready"``, ``"Deleted"``).

    Examples
    --------
    >>> import pandas as pd
    >>> from kubelab.observe import HISTORY_COLUMNS
    >>> rows = [
    ...     (0.0, "Node", "", "node-1", "Ready", None, None, None, "node-1", None, None),
    ...     (50.0, "Node", "", "node-1", "Unknown", None, None, None, "node-1", None, None),
    ... ]
    >>> node_transitions(pd.DataFrame(rows, columns=HISTORY_COLUMNS)).values.tolist()
    [[50.0, 'node-1', 'Unknown']]
    """
    import pandas as pd

    history, _ = _history(history)
    out, last, seen_ready = [], {}, set()
    rows = _rows(history, ("Node",), None) if len(history) else history
    for row in rows.itertuples(index=False):
        before = last.get(row.name)
        if row.name in seen_ready and row.phase != before:
            out.append((float(row.time), row.name, row.phase))
        if row.phase == "Ready":
            seen_ready.add(row.name)
        last[row.name] = row.phase
    return pd.DataFrame(out, columns=["time", "node", "phase"])


def traffic_counts(traffic, *, by: str | None = "version", value: str = "rate", freq: float = 1.0):
    """Requests per time bin from a ``c.traffic(...)`` frame: the extension point for traffic plots.

    Parameters
    ----------
    traffic : pandas.DataFrame
        One row per request: ``time, client, target, pod, node, version, status, latency``.
    by : str or None
        One column per value of this column (``"version"``, ``"pod"``, ``"node"``, ``"status"``).
    value : {"rate", "errors", "latency", "success", "share"}
        Requests per second, failed requests (status not 2xx) per second, mean latency, the
        share of requests answered 2xx (one column, ``by`` ignored) or the share of the 2xx
        answers per ``by`` value (e.g. per version) in each bin.
    freq : float
        Bin width in seconds.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"time": [0.1, 0.5, 1.2], "version": ["1.0", "1.0", "2.0"],
    ...                   "status": [200, 200, 503], "latency": [0.01, 0.02, 0.03]})
    >>> traffic_counts(t).values.tolist()
    [[2.0, 0.0], [0.0, 1.0]]
    """
    import numpy as np
    import pandas as pd

    frame = traffic.copy()
    frame["time"] = np.floor(frame["time"] / freq) * freq
    bins = pd.Index(
        np.arange(0.0, frame["time"].max() + freq / 2, freq) if len(frame) else [], name="time"
    )
    frame["_group"] = frame[by].fillna("(none)") if by else "requests"
    ok = frame["status"].astype(str).str.match(r"^2\d\d$")
    if value == "success":
        out = ok.astype(float).groupby(frame["time"]).mean().reindex(bins).to_frame("success")
        out.columns.name = "requests"
        return out
    if value == "share":
        good = frame[ok]
        out = good.pivot_table(index="time", columns="_group", aggfunc="size", fill_value=0)
        out = out.div(out.sum(axis=1), axis=0).reindex(bins)
        out.columns.name = by or "requests"
        out.index.name = "time"
        return out
    if value == "latency":
        out = frame.pivot_table(index="time", columns="_group", values="latency", aggfunc="mean")
    else:
        if value == "errors":
            status = frame["status"].astype(str)
            frame = frame[~status.str.startswith("2")]
        elif value != "rate":
            raise ValueError("value must be 'rate', 'errors', 'latency', 'success' or 'share'")
        out = frame.pivot_table(index="time", columns="_group", aggfunc="size", fill_value=0)
        out = out.reindex(bins, fill_value=0).astype(float) / freq
    out.columns.name = by or "requests"
    out.index.name = "time"
    return out
