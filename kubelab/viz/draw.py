"""``draw_cluster``: a picture of the cluster — nodes as boxes holding their pods.

Every box is a matplotlib patch with a ``gid`` naming what it shows (``"node:node-1"``,
``"pod:default/web-x7k2p"``, ``"service:web"``), so tests can find artists without pixels.
"""

from __future__ import annotations

from kubelab.viz.colors import NO_OWNER, PHASE_COLORS, Palette, first_seen
from kubelab.viz.layout import HEAD, LINE_H, PAD, POD_H, POD_W, layout
from kubelab.viz.routes import draw_routes
from kubelab.viz.scene import Scene, scene

__all__ = ["draw_cluster", "palette_for"]

COLOR_BY = ("owner", "version", "phase")
_KIND_SHORT = {
    "ReplicaSet": "rs",
    "ReplicationController": "rc",
    "DaemonSet": "ds",
    "StatefulSet": "sts",
    "Job": "job",
    "Deployment": "deploy",
}
_NODE_STATUS_COLOR = {"Ready": "#2e7d32", "NotReady": "#c62828", "Unknown": "#c62828"}
_CORDON = "#e65100"


def palette_for(source, color_by: str = "owner") -> Palette:
    """The colours of ``color_by`` values for this cluster (owners in order of first appearance).

    Examples
    --------
    >>> palette_for(None, "phase")["Running"]
    '#2ca02c'
    """
    if color_by == "phase":
        return Palette([], fixed=PHASE_COLORS)
    history = getattr(source, "history", None)
    return Palette(first_seen(history, color_by))


def _value(pod, color_by: str):
    if color_by == "owner":
        return pod.owner
    if color_by == "version":
        return pod.version or "(none)"
    return pod.phase


def _legend_label(value, pod, color_by: str) -> str:
    if color_by == "owner":
        if value == NO_OWNER:
            return "no owner (bare pod)"
        short = _KIND_SHORT.get(pod.owner_kind or "", (pod.owner_kind or "").lower())
        return f"{short}/{value}" if short else str(value)
    if color_by == "version":
        return f"version {value}"
    return str(value)


def _text_color(hex_color: str) -> str:
    r, g, b = (int(hex_color[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return "white" if 0.299 * r + 0.587 * g + 0.114 * b < 0.6 else "black"


def _fontsize(ax, bounds, factor: float, lo: float, hi: float) -> float:
    """A font size in points for text ``factor`` data units tall, given the axes' size."""
    fig = ax.figure
    pos = ax.get_position()
    w_in, h_in = fig.get_size_inches()
    xmin, xmax, ymin, ymax = bounds
    per_unit = min(w_in * pos.width * 72 / (xmax - xmin), h_in * pos.height * 72 / (ymax - ymin))
    return max(lo, min(hi, factor * per_unit)), per_unit


def draw_cluster(
    c,
    ax=None,
    *,
    namespace: str | None = None,
    show_services: bool = True,
    color_by: str = "owner",
    system: bool = False,
    max_pods_per_node: int = 24,
    legend: bool = True,
    title: str | bool = True,
):
    """Draw the cluster: nodes as boxes holding their pods, pending pods, services, ingresses.

    Parameters
    ----------
    c : Cluster or networkx.MultiDiGraph
        The cluster (``c.graph`` is read, colours follow ``c.history``) or a graph like it.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure sized to the cluster when omitted.
    namespace : str, optional
        Only pods/services of this namespace; ``None``: all but the system namespaces.
    show_services : bool
        Draw services (lines to the pods they select) and ingresses (arrows to services).
    color_by : {"owner", "version", "phase"}
        What the pods' colours mean. Pale pods are not ready; hatched pods are terminating.
    system : bool
        With ``namespace=None``, show the system namespaces' pods too.
    max_pods_per_node : int
        Above this, a node shows counts per owner instead of one box per pod.
    legend : bool
    title : bool or str
        ``True``: the simulated time; a string: that title.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import networkx as nx
    >>> g = nx.MultiDiGraph()
    >>> g.add_node(("Node", "", "node-1"), kind="Node", phase="NotReady")
    >>> ax = draw_cluster(g)
    >>> [p.get_gid() for p in ax.patches]
    ['node:node-1']
    """
    if color_by not in COLOR_BY:
        raise ValueError(f"color_by must be one of {COLOR_BY}, not {color_by!r}")
    s = scene(c, namespace=namespace, system=system)
    out = layout(s, max_pods_per_node=max_pods_per_node, show_services=show_services)
    xmin, xmax, ymin, ymax = out.bounds
    if ax is None:
        # pyplot only here, so that a notebook shows the new figure; an ``ax`` draws nowhere else.
        import matplotlib.pyplot as plt

        width = min(16.0, max(6.0, (xmax - xmin) * 0.62))
        height = min(14.0, max(2.5, (ymax - ymin) * 0.62 + (1.0 if legend else 0)))
        _, ax = plt.subplots(figsize=(width, height), layout="constrained")
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_aspect("equal", adjustable="box")
    ax.set_axis_off()
    palette = palette_for(c, color_by)
    seen: dict = {}  # legend entries: colour values, then styles
    styles: dict[str, dict] = {}
    pod_font, per_unit = _fontsize(ax, out.bounds, 0.3, 4.0, 10.0)
    big_font, _ = _fontsize(ax, out.bounds, 0.4, 6.0, 12.0)
    _draw_nodes(ax, s, out, palette, color_by, seen, styles, big_font, pod_font)
    _draw_pending(ax, s, out, palette, color_by, seen, big_font, pod_font)
    for pod in s.pods:
        if (pod.namespace, pod.name) in out.pods:
            _draw_pod(
                ax,
                pod,
                out.pods[(pod.namespace, pod.name)],
                palette,
                color_by,
                seen,
                styles,
                per_unit,
                pod_font,
            )
    if show_services:
        draw_routes(ax, s, out, styles, big_font)
    if title:
        text = title if isinstance(title, str) else _title(s, namespace)
        ax.set_title(text, fontsize=11, loc="left")
    if legend:
        _legend(ax, seen, styles, palette, color_by)
    return ax


def _title(s: Scene, namespace) -> str:
    ready = sum(p.ready and not p.terminating for p in s.pods)
    when = f"t = {s.now:g} s — " if s.now is not None else ""
    where = f" in namespace {namespace}" if namespace else ""
    return f"{when}{_n(len(s.nodes), 'node')}, {_n(len(s.pods), 'pod')}{where} ({ready} ready)"


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' * (count != 1)}"


def _draw_nodes(ax, s, out, palette, color_by, seen, styles, big_font, pod_font):
    from matplotlib.patches import Rectangle

    for node in s.nodes:
        x, y, w, h = out.nodes[node.name]
        down = node.status != "Ready"
        ax.add_patch(
            Rectangle(
                (x, y),
                w,
                h,
                facecolor="#e0e0e0" if down else "#f7f9fc",
                edgecolor=_CORDON if node.unschedulable else ("#b0b0b0" if down else "#546e7a"),
                hatch="x" if down else None,
                linewidth=1.6,
                linestyle="--" if node.unschedulable else "-",
                zorder=1,
                gid=f"node:{node.name}",
            )
        )
        if down:
            styles["node NotReady (kubelet silent)"] = {
                "facecolor": "#e0e0e0",
                "edgecolor": "#b0b0b0",
                "hatch": "x",
            }
        if node.unschedulable:
            styles["node cordoned (no new pods)"] = {
                "facecolor": "#f7f9fc",
                "edgecolor": _CORDON,
                "linestyle": "--",
            }
        top = y + h
        ax.text(
            x + PAD, top - 0.33, node.name, fontsize=big_font, weight="bold", va="center", zorder=5
        )
        ax.text(
            x + w - PAD,
            top - 0.33,
            _n(len(node.pods), "pod"),
            fontsize=pod_font,
            ha="right",
            va="center",
            color="#546e7a",
            zorder=5,
        )
        mark = "✓" if node.status == "Ready" else "✗"
        # kubectl prints NotReady for a Ready condition that is False or Unknown.
        status = ("Ready" if node.status == "Ready" else "NotReady") + (
            ",SchedulingDisabled" if node.unschedulable else ""
        )
        ax.text(
            x + PAD,
            top - 0.72,
            f"{mark} {status}",
            fontsize=pod_font * 1.05,
            va="center",
            color=_CORDON
            if node.unschedulable and not down
            else _NODE_STATUS_COLOR.get(node.status, "#c62828"),
            weight="bold" if down or node.unschedulable else "normal",
            zorder=5,
        )
        if node.name in out.summarized:
            _summary(ax, node.pods, x + PAD, top - HEAD, palette, color_by, seen, pod_font)
        elif not node.pods:
            ax.text(
                x + w / 2,
                top - HEAD - POD_H / 2,
                "no pods",
                fontsize=pod_font,
                ha="center",
                va="center",
                color="#9e9e9e",
                style="italic",
                zorder=5,
            )


def _draw_pending(ax, s, out, palette, color_by, seen, big_font, pod_font):
    from matplotlib.patches import Rectangle

    if out.pending is None:
        return
    x, y, w, h = out.pending
    ax.add_patch(
        Rectangle(
            (x, y),
            w,
            h,
            facecolor="#fff8e1",
            edgecolor="#ffa000",
            linestyle="--",
            linewidth=1.4,
            zorder=1,
            gid="pending",
        )
    )
    ax.text(
        x + PAD,
        y + h - 0.33,
        f"Pending (unscheduled): {_n(len(s.pending), 'pod')}",
        fontsize=big_font,
        weight="bold",
        va="center",
        color="#e65100",
        zorder=5,
    )
    ax.text(
        x + PAD,
        y + h - 0.72,
        "no node chosen yet (or its node is gone)",
        fontsize=pod_font,
        va="center",
        color="#8d6e63",
        style="italic",
        zorder=5,
    )
    if out.pending_summarized:
        _summary(ax, s.pending, x + PAD, y + h - HEAD, palette, color_by, seen, pod_font)


def _pod_style(pod, color: str) -> dict:
    style = {"facecolor": color, "edgecolor": "#37474f", "linewidth": 0.8, "alpha": 1.0}
    if pod.terminating:
        style.update(alpha=0.45, hatch="////", linestyle="--", edgecolor="#424242")
    elif pod.phase == "Failed":
        style.update(alpha=0.6, edgecolor="#c62828", linewidth=2.0)
    elif not pod.ready and pod.phase != "Succeeded":
        style.update(alpha=0.35, linestyle=":", edgecolor="#546e7a")
    return style


def _draw_pod(ax, pod, xy, palette, color_by, seen, styles, per_unit, pod_font):
    from matplotlib.patches import FancyBboxPatch

    value = _value(pod, color_by)
    color = palette[value]
    seen.setdefault(value, _legend_label(value, pod, color_by))
    style = _pod_style(pod, color)
    if pod.terminating:
        styles["terminating (hatched)"] = {
            "facecolor": "white",
            "edgecolor": "#424242",
            "hatch": "////",
            "linestyle": "--",
        }
    elif pod.phase == "Failed":
        styles["failed"] = {"facecolor": "white", "edgecolor": "#c62828", "linewidth": 2.0}
    elif not pod.ready and pod.phase != "Succeeded":
        styles["not ready yet (pale)"] = {
            "facecolor": "#455a64",
            "alpha": 0.3,
            "edgecolor": "#546e7a",
            "linestyle": ":",
        }
    else:
        styles.setdefault("ready (solid)", {"facecolor": "#455a64", "edgecolor": "#37474f"})
    x, y = xy
    box = {"boxstyle": "round,pad=0,rounding_size=0.18"}
    # A white underlay keeps pale pods pale on a hatched (failed) node.
    ax.add_patch(
        FancyBboxPatch((x, y), POD_W, POD_H, facecolor="white", edgecolor="none", zorder=2.5, **box)
    )
    ax.add_patch(
        FancyBboxPatch(
            (x, y), POD_W, POD_H, zorder=3, gid=f"pod:{pod.namespace}/{pod.name}", **box, **style
        )
    )
    # Shrink long labels so they stay inside the box.
    size = min(pod_font, POD_W * per_unit / (0.62 * len(pod.label) + 0.8))
    text_color = _text_color(color) if style["alpha"] == 1.0 else "black"
    ax.text(
        x + POD_W / 2,
        y + POD_H / 2,
        pod.label,
        fontsize=max(size, 3.5),
        ha="center",
        va="center",
        color=text_color,
        zorder=4,
        clip_on=True,
    )


def _summary(ax, pods, x, top, palette, color_by, seen, font):
    """Counts per colour value instead of one box per pod (nodes with many pods)."""
    from matplotlib.patches import Rectangle

    groups: dict = {}
    for pod in pods:
        value = _value(pod, color_by)
        seen.setdefault(value, _legend_label(value, pod, color_by))
        total, ready = groups.get(value, (0, 0))
        groups[value] = (total + 1, ready + (pod.ready and not pod.terminating))
    items = list(groups.items())
    for i, (value, (total, ready)) in enumerate(items[:6]):
        yy = top - (i + 0.5) * LINE_H
        ax.add_patch(Rectangle((x, yy - 0.15), 0.3, 0.3, facecolor=palette[value], zorder=3))
        label = _legend_label(
            value, next(p for p in pods if _value(p, color_by) == value), color_by
        )
        ax.text(
            x + 0.45,
            yy,
            f"{label}: {total} pods ({ready} ready)",
            fontsize=font,
            va="center",
            zorder=4,
        )
    if len(items) > 6:
        rest = sum(t for _, (t, _) in items[6:])
        ax.text(
            x, top - 6.5 * LINE_H, f"… and {rest} more pods", fontsize=font, va="center", zorder=4
        )


def _legend(ax, seen, styles, palette, color_by):
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [
        Patch(facecolor=palette[v], edgecolor="#37474f", label=label) for v, label in seen.items()
    ]
    for label, style in styles.items():
        if "line" in style:
            handles.append(Line2D([], [], color=style["line"], label=label))
        else:
            handles.append(Patch(label=label, **style))
    if not handles:
        return
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        ncol=min(4, len(handles)),
        fontsize=8,
        frameon=False,
        title=f"pod colour = {color_by}" if seen else None,
        title_fontsize=8,
    )
