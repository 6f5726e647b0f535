"""ImageLocality (``pkg/scheduler/framework/plugins/imagelocality``): prefer nodes that
already hold the pod's images.

For each init and app container image found on a node, the node scores the image's
size scaled by the fraction of nodes holding it (``scaledImageScore``: spreading
beats "node heating"); the sum is clamped to ``[23 MiB, 1000 MiB × containers]`` and
scaled to 0–100 (``calculatePriority``). Image sizes come from the nodes'
``status.images``, which the kubelets fill from kubelab's image catalogue.

kubelab compares *normalised* references (``nginx`` is
``docker.io/library/nginx:latest``) on both sides; upstream appends ``:latest`` to the
pod's string and looks it up among the node's names as reported by the runtime.

Examples
--------
>>> calculate_priority(0, 1), calculate_priority(1000 * MB, 1), calculate_priority(500 * MB, 1)
(0, 100, 48)
"""

from __future__ import annotations

import numpy as np

from kubelab.scheduler.framework import MAX_NODE_SCORE, CycleState, ScorePlugin

__all__ = ["ImageLocality", "calculate_priority"]

MB = 1024 * 1024
MIN_THRESHOLD = 23 * MB
MAX_CONTAINER_THRESHOLD = 1000 * MB


def calculate_priority(sum_scores, num_containers: int):
    """``calculatePriority`` (works elementwise on arrays)."""
    max_threshold = MAX_CONTAINER_THRESHOLD * max(num_containers, 1)
    clamped = np.clip(sum_scores, MIN_THRESHOLD, max_threshold)
    out = MAX_NODE_SCORE * (clamped - MIN_THRESHOLD) // (max_threshold - MIN_THRESHOLD)
    return int(out) if np.ndim(out) == 0 else out.astype(np.int64)


class ImageLocality(ScorePlugin):
    name = "ImageLocality"
    weight = 1

    def __init__(self):
        # images tuple → (table, image version, node count, per-slot sums): replicas share it.
        self._sums: dict[tuple, tuple] = {}

    def _node_sums(self, table, images) -> np.ndarray:
        key = (id(table), table.image_version, len(table), table.size)
        cached = self._sums.get(images)
        if cached is not None and cached[0] == key:
            return cached[1]
        total_nodes = max(len(table), 1)
        sums = np.zeros(table.size, dtype=np.int64)
        for image in images:
            holders = table.image_index.get(image)
            if not holders:
                continue
            slots = np.fromiter(holders, dtype=np.int64, count=len(holders))
            slots = slots[slots < table.size]
            slots = slots[table.active[slots]]
            if len(slots) == 0:
                continue
            size = holders[int(slots[0])]  # ImageStateSummary.Size: one node's report
            sums[slots] += int(size * (len(slots) / total_nodes))
        if len(self._sums) > 256:
            self._sums.clear()
        self._sums[images] = (key, sums)
        return sums

    def score(self, state: CycleState, slots: np.ndarray) -> np.ndarray:
        images = state.pod.images
        sums = self._node_sums(state.table, images)
        return calculate_priority(sums[slots], len(images))
