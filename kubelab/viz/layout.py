"""Where each box of a cluster picture goes: a deterministic grid, no random positions.

Nodes are boxes in a grid (up to 4 per row, 5 from 9 nodes on), pods sit in rows of three
inside their node, unscheduled pods in a "Pending" area underneath, services in a row
above the nodes and ingresses above the services. Coordinates are data units with y up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from kubelab.viz.scene import Scene

__all__ = ["Layout", "layout"]

POD_W, POD_H = 1.6, 0.62  # one pod box
GAP = 0.2  # between pod boxes
PAD = 0.3  # inside a node box
HEAD = 1.0  # node name + status lines
COLS = 3  # pods per row inside a node
NODE_W = COLS * POD_W + (COLS - 1) * GAP + 2 * PAD
NODE_GAP = 0.6
LINE_H = 0.5  # one line of a node's summary
SVC_W, SVC_H = 2.8, 0.7


@dataclass
class Layout:
    """Positions of everything in a :class:`~kubelab.viz.scene.Scene` (lower-left corners)."""

    nodes: dict[str, tuple[float, float, float, float]] = field(default_factory=dict)
    pods: dict[tuple[str, str], tuple[float, float]] = field(default_factory=dict)
    summarized: set[str] = field(default_factory=set)  # nodes drawn as counts, not pod boxes
    pending: tuple[float, float, float, float] | None = None
    pending_summarized: bool = False
    services: dict[str, tuple[float, float]] = field(default_factory=dict)  # box centres
    ingresses: dict[str, tuple[float, float]] = field(default_factory=dict)
    bounds: tuple[float, float, float, float] = (0.0, 1.0, 0.0, 1.0)  # xmin, xmax, ymin, ymax


def _summary_lines(pods) -> int:
    return min(len({p.owner for p in pods}), 6) + 1


def _place_pods(out: Layout, pods, x0: float, top: float, cols: int) -> None:
    for i, pod in enumerate(pods):
        row, col = divmod(i, cols)
        out.pods[(pod.namespace, pod.name)] = (
            x0 + col * (POD_W + GAP),
            top - row * (POD_H + GAP) - POD_H,
        )


def _content_height(pods, summarized: bool, cols: int) -> float:
    if summarized:
        return _summary_lines(pods) * LINE_H
    rows = max(1, math.ceil(len(pods) / cols))
    return rows * (POD_H + GAP) - GAP


def layout(s: Scene, *, max_pods_per_node: int = 24, show_services: bool = True) -> Layout:
    """Place nodes, pods, the pending area, services and ingresses.

    A node with more than ``max_pods_per_node`` pods is drawn as counts per owner instead
    of one box per pod, so big clusters stay readable.

    Examples
    --------
    >>> from kubelab.viz.scene import NodeBox, Scene
    >>> out = layout(Scene([NodeBox("node-1", "Ready"), NodeBox("node-2", "Ready")], [], [], []))
    >>> sorted(out.nodes), out.pending is None
    (['node-1', 'node-2'], True)
    """
    out = Layout()
    n = len(s.nodes)
    ncols = max(1, n if n <= 4 else (4 if n <= 8 else 5))
    width = ncols * NODE_W + (ncols - 1) * NODE_GAP
    top = 0.0
    # Rows above the nodes: ingresses, then services (their lines run down to the pods).
    if show_services:
        if s.ingresses:
            for i, (name, _) in enumerate(s.ingresses):
                out.ingresses[name] = (width * (i + 0.5) / len(s.ingresses), top - SVC_H / 2)
            top -= SVC_H + 1.0
        if s.services:
            for i, (name, _) in enumerate(s.services):
                out.services[name] = (width * (i + 0.5) / len(s.services), top - SVC_H / 2)
            top -= SVC_H + 1.4
    y = top
    for r in range(math.ceil(n / ncols)):
        row = s.nodes[r * ncols : (r + 1) * ncols]
        for node in row:
            if len(node.pods) > max_pods_per_node:
                out.summarized.add(node.name)
        height = (
            HEAD
            + PAD
            + max(_content_height(nd.pods, nd.name in out.summarized, COLS) for nd in row)
        )
        for c, node in enumerate(row):
            x = c * (NODE_W + NODE_GAP)
            out.nodes[node.name] = (x, y - height, NODE_W, height)
            if node.name not in out.summarized:
                _place_pods(out, node.pods, x + PAD, y - HEAD, COLS)
        y -= height + NODE_GAP
    if s.pending:
        cols = max(1, int((width - 2 * PAD + GAP) // (POD_W + GAP)))
        out.pending_summarized = len(s.pending) > max(max_pods_per_node, 4 * cols)
        height = HEAD + PAD + _content_height(s.pending, out.pending_summarized, cols)
        y -= 0.2
        out.pending = (0.0, y - height, width, height)
        if not out.pending_summarized:
            _place_pods(out, s.pending, PAD, y - HEAD, cols)
        y -= height
    out.bounds = (-0.2, width + 0.2, y - 0.2, 0.2)
    return out
