"""``plot_history``: the cluster's state over simulated time, as step lines.

The numbers come from :mod:`kubelab.viz.series` (``pod_counts``, ``workload_series``,
``traffic_counts``); this module only draws them. Colours match
:func:`~kubelab.viz.draw_cluster` for the same cluster.
"""

from __future__ import annotations

from collections.abc import Iterable

from kubelab.viz.colors import PHASE_COLORS, Palette, first_seen
from kubelab.viz.series import (
    WORKLOAD_KINDS,
    _history,
    node_transitions,
    pod_counts,
    traffic_counts,
    workload_series,
)

__all__ = ["history_marks", "plot_history"]

TRAFFIC_COLUMNS = {"time", "status", "latency"}
_MARK_COLOR = "#c62828"
_TRAFFIC_LABELS = {
    "rate": "requests / s",
    "errors": "failed requests / s",
    "latency": "mean latency (s)",
    "success": "share of requests answered 2xx",
    "share": "share of answers",
}


def _is_traffic(frame) -> bool:
    return hasattr(frame, "columns") and set(frame.columns) >= TRAFFIC_COLUMNS


def history_marks(source, *, events: Iterable[str] | None = None) -> list[tuple[float, str]]:
    """Moments worth a vertical line: node failures/recoveries, and Events with these reasons.

    Parameters
    ----------
    source : Cluster or pandas.DataFrame
        A cluster, or its ``history`` frame (Events then need a cluster).
    events : iterable of str, optional
        Event reasons to mark, e.g. ``["Killing", "NodeNotReady"]``.

    Examples
    --------
    >>> import pandas as pd
    >>> from kubelab.observe import HISTORY_COLUMNS
    >>> rows = [
    ...     (0.0, "Node", "", "node-2", "Ready", None, None, None, "node-2", None, None),
    ...     (45.0, "Node", "", "node-2", "Unknown", None, None, None, "node-2", None, None),
    ... ]
    >>> history_marks(pd.DataFrame(rows, columns=HISTORY_COLUMNS))
    [(45.0, 'node-2 NotReady')]
    """
    history, _ = _history(source)
    # Worded as kubectl get nodes words it: a Ready condition False or Unknown is "NotReady".
    word = {"Unknown": "NotReady", "Deleted": "removed"}
    marks = [
        (t, f"{node} {word.get(phase, phase)}")
        for t, node, phase in node_transitions(history).values
    ]
    if events and hasattr(source, "events"):
        frame = source.events
        frame = frame[frame["reason"].isin(list(events))]
        marks += [(float(t), f"{r} {n}") for t, r, n in frame[["time", "reason", "name"]].values]
    return sorted(marks, key=lambda m: m[0])


def _draw_marks(ax, marks) -> None:
    merged: dict[float, list[str]] = {}
    for t, label in marks:
        merged.setdefault(round(float(t), 3), []).append(str(label))
    for t, labels in merged.items():
        ax.axvline(t, color=_MARK_COLOR, alpha=0.5, linewidth=1, linestyle="--", gid="mark")
        text = ", ".join(labels[:2]) + (f" +{len(labels) - 2}" if len(labels) > 2 else "")
        ax.annotate(
            text,
            (t, 0.98),
            xycoords=("data", "axes fraction"),
            rotation=90,
            fontsize=7,
            va="top",
            ha="right",
            color=_MARK_COLOR,
        )


def _new_axes(ax):
    if ax is not None:
        return ax
    # pyplot only when no Axes is given, so that a notebook shows the new figure.
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=(8, 3.6), layout="constrained")
    return ax


def _palette(history, by: str | None) -> Palette:
    if by == "phase":
        return Palette([], fixed=PHASE_COLORS)
    return Palette(first_seen(history, by) if by else [])


def plot_history(
    source,
    *,
    kind: str = "Pod",
    by: str | None = "owner",
    value: str = "ready",
    ax=None,
    namespace: str | None = None,
    names: Iterable[str] | None = None,
    desired: bool | str = "auto",
    marks: str | Iterable[tuple[float, str]] | None = "auto",
    events: Iterable[str] | None = None,
    freq: float | None = None,
    title: str | bool = True,
    legend: bool = True,
):
    """Plot the cluster's history over simulated time.

    Parameters
    ----------
    source : Cluster or pandas.DataFrame
        A cluster, ``c.history``, or a traffic frame from ``c.traffic(...)`` (then requests
        per second by ``by``, default ``"version"``; ``value`` ``"rate"``/``"errors"``/``"latency"``).
    kind : str
        ``"Pod"``: how many pods are in a state, per ``by``. A workload kind (``"ReplicaSet"``,
        ``"ReplicationController"``, ``"Deployment"``, ``"DaemonSet"``, ``"StatefulSet"``): desired replicas
        (dashed), ready (solid) and available (dotted) per object.
    by : {"owner", "node", "version", "phase"} or None
        One line per value (pods only).
    value : str
        Which pods count: ``"ready"`` (default), ``"count"``, ``"running"``, ``"pending"``,
        ``"terminating"``... (see :func:`~kubelab.viz.pod_counts`).
    ax : matplotlib.axes.Axes, optional
    namespace : str, optional
    names : iterable of str, optional
        Only these owners (``by="owner"``) or workload objects.
    desired : bool or "auto"
        With ``by="owner"``, also draw each owner's ``spec.replicas`` as a dashed line.
    marks : "auto", list of (time, label), or None
        Vertical lines: ``"auto"`` marks node failures and recoveries found in the history.
    events : iterable of str, optional
        Also mark Events with these reasons (needs a cluster).
    freq : float, optional
        Sample the counts every ``freq`` seconds (default: at each change).
    title : bool or str
    legend : bool

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> from kubelab.observe import HISTORY_COLUMNS
    >>> rows = [
    ...     (0.0, "ReplicaSet", "default", "web", "Active", 2, 0, 0, None, "1.0", None),
    ...     (1.0, "Pod", "default", "web-a", "Running", None, 1, None, "node-1", "1.0", "web"),
    ...     (2.0, "Pod", "default", "web-b", "Running", None, 1, None, "node-2", "1.0", "web"),
    ... ]
    >>> ax = plot_history(pd.DataFrame(rows, columns=HISTORY_COLUMNS))
    >>> [line.get_label() for line in ax.get_lines()]
    ['web', 'web desired']
    """
    if _is_traffic(source):
        return _plot_traffic(source, by=by, value=value, ax=ax, freq=freq, marks=marks, title=title)
    history, now = _history(source)
    ax = _new_axes(ax)
    palette = _palette(history, by if kind == "Pod" else "owner")
    if kind == "Pod":
        counts = pod_counts(history, by=by, value=value, namespace=namespace, freq=freq, until=now)
        columns = [c for c in counts.columns if names is None or c in set(names)]
        for col in columns:
            ax.step(
                counts.index,
                counts[col],
                where="post",
                color=palette[col],
                linewidth=2,
                label=str(col),
                gid=f"count:{col}",
            )
        if by == "owner" and desired:
            series = workload_series(
                history, kind=WORKLOAD_KINDS, fields=("replicas",), namespace=namespace, until=now
            )
            for col in columns:
                if col in series.columns.get_level_values(0):
                    ax.step(
                        series.index,
                        series[(col, "replicas")],
                        where="post",
                        color=palette[col],
                        linestyle="--",
                        linewidth=1.2,
                        alpha=0.8,
                        label=f"{col} desired",
                        gid=f"desired:{col}",
                    )
        what = f"{value} pods" if value != "count" else "pods"
        ylabel = f"{what}" + (f" per {by}" if by else "")
        default_title = f"{what.capitalize()} over time" + (f", per {by}" if by else "")
    else:
        series = workload_series(history, kind=kind, names=names, namespace=namespace, until=now)
        styles = {
            "replicas": ("--", "desired"),
            "ready": ("-", "ready"),
            "available": (":", "available"),
        }
        for name in dict.fromkeys(series.columns.get_level_values(0)):
            palette[name]
            for field, (style, word) in styles.items():
                ax.step(
                    series.index,
                    series[(name, field)],
                    where="post",
                    linestyle=style,
                    color=palette[name],
                    linewidth=2 if field == "ready" else 1.3,
                    label=f"{name} {word}",
                    gid=f"{field}:{name}",
                )
        ylabel = "replicas"
        default_title = f"{kind}s: desired (dashed), ready (solid), available (dotted)"
    _finish(
        ax,
        history,
        source,
        marks,
        events,
        ylabel,
        default_title if title is True else title,
        legend,
    )
    return ax


def _finish(ax, history, source, marks, events, ylabel, title, legend) -> None:
    from matplotlib.ticker import MaxNLocator

    if marks == "auto":
        marks = history_marks(source if events else history, events=events)
    if marks:
        _draw_marks(ax, marks)
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0, top=max(1.0, ax.get_ylim()[1]) * 1.08)
    ax.set_xlim(left=0)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.25)
    if title:
        ax.set_title(title, fontsize=11, loc="left")
    if legend and ax.get_lines():
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)


def _plot_traffic(traffic, *, by, value, ax, freq, marks, title):
    """Requests per second (or errors, or mean latency) per ``by`` from a ``c.traffic`` frame."""
    ax = _new_axes(ax)
    by = by if by in traffic.columns else "version"
    value = value if value in _TRAFFIC_LABELS else "rate"
    counts = traffic_counts(traffic, by=by, value=value, freq=freq or 1.0)
    palette = Palette(first_seen(traffic.assign(kind="Pod"), by))
    for col in counts.columns:
        ax.step(
            counts.index,
            counts[col],
            where="post",
            color="#2e7d32" if value == "success" else palette[col],
            linewidth=2,
            label="success rate" if value == "success" else f"{by} {col}",
            gid=f"traffic:{col}",
        )
    if marks and marks != "auto":
        _draw_marks(ax, marks)
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel(_TRAFFIC_LABELS[value])
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.25)
    if title:
        ax.set_title(
            title if isinstance(title, str) else f"Traffic per {by}", fontsize=11, loc="left"
        )
    if any(not line.get_label().startswith("_") for line in ax.get_lines()):
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return ax
