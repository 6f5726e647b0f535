"""Resource usage over time, from metrics-server's samples (``c.metrics.frame()``).

:func:`plot_usage` draws one line per pod (memory in MiB or CPU in millicores) with the
container limits dashed: an OOM-killed container's sawtooth climbs to its limit and drops to
its start value; a throttled one stays flat on its limit (marked ``throttled``).

Examples
--------
>>> import kubelab as kl
>>> c = kl.Cluster(nodes=1, seed=0)
>>> _ = c.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "leaky"},
...     "spec": {"containers": [{"name": "app", "image": "kubelab/leaky",
...              "resources": {"limits": {"memory": "64Mi"}}}]}})
>>> ax = plot_usage(c.run(120), "memory")
>>> [line.get_label() for line in ax.get_lines()]
['leaky', 'leaky limit']
"""

from __future__ import annotations

__all__ = ["plot_usage", "usage_series"]

_UNITS = {"memory": (2**20, "memory (MiB)"), "cpu": (0.001, "CPU (millicores)")}


def usage_series(source, resource: str = "memory", *, namespace: str | None = "default"):
    """Per-pod usage over time: a DataFrame indexed by time, one column per pod (MiB or m)."""
    frame = source.metrics.frame() if hasattr(source, "metrics") else source
    scale, _ = _UNITS[resource]
    pods = frame[frame.kind == "Pod"]
    if namespace is not None:
        pods = pods[pods.namespace == namespace]
    table = pods.pivot_table(index="time", columns="name", values=resource, aggfunc="sum")
    return table / scale


def plot_usage(
    source,
    resource: str = "memory",
    *,
    namespace: str | None = "default",
    names=None,
    ax=None,
    title: str | None = None,
):
    """Usage per pod over time (``resource``: ``"memory"`` or ``"cpu"``), limits dashed.

    ``source`` is a Cluster (its metrics-server samples) or a frame from ``c.metrics.frame()``.
    Returns the Axes.
    """
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(9, 3.2))
    frame = source.metrics.frame() if hasattr(source, "metrics") else source
    scale, label = _UNITS[resource]
    series = usage_series(frame, resource, namespace=namespace)
    containers = frame[frame.kind == "Container"]
    if namespace is not None:
        containers = containers[containers.namespace == namespace]
    columns = [n for n in series.columns if names is None or n in names]
    colors = {}
    for name in columns:
        (line,) = ax.plot(series.index, series[name], marker=".", linewidth=1.6, label=name)
        colors[name] = line.get_color()
    for name in columns:
        rows = containers[containers.name == name]
        limits = rows.groupby("time")[f"{resource}_limit"].sum(min_count=1).dropna()
        if len(limits):
            ax.plot(
                limits.index,
                limits / scale,
                linestyle="--",
                linewidth=1,
                color=colors[name],
                label=f"{name} limit",
            )
        throttled = rows[rows.throttled.astype(bool)]
        if resource == "cpu" and len(throttled):
            first = throttled.iloc[0]
            ax.annotate(
                "throttled",
                (first.time, first.cpu / scale),
                textcoords="offset points",
                xytext=(4, 6),
                fontsize=8,
                color=colors[name],
            )
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel(label)
    ax.set_ylim(bottom=0)
    every = f", every {source.metrics.resolution:g} s" if hasattr(source, "metrics") else ""
    ax.set_title(title or f"{resource} per pod (metrics-server{every})")
    if columns:
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return ax
