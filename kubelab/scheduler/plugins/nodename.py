"""NodeName: a pod that names its node (``spec.nodeName``) fits only there."""

from __future__ import annotations

import numpy as np

from kubelab.scheduler.framework import CycleState, FilterPlugin

__all__ = ["ERR_REASON_NODE_NAME", "NodeName"]

ERR_REASON_NODE_NAME = "node(s) didn't match the requested node name"


class NodeName(FilterPlugin):
    name = "NodeName"

    def filter(self, state: CycleState):
        wanted = state.pod.node_name
        if not wanted:
            return []
        table = state.table
        mismatch = np.ones(table.size, dtype=bool)
        slot = table.slot_of.get(wanted)
        if slot is not None:
            mismatch[slot] = False
        return [(ERR_REASON_NODE_NAME, mismatch)]
