"""NodeUnschedulable: cordoned nodes (``spec.unschedulable``) take no new pods.

A pod that tolerates ``node.kubernetes.io/unschedulable:NoSchedule`` (DaemonSet
pods do) may still land there.
"""

from __future__ import annotations

from kubelab.scheduler.framework import CycleState, FilterPlugin
from kubelab.scheduler.taints import tolerations_tolerate_taint

__all__ = ["ERR_REASON_UNSCHEDULABLE", "NodeUnschedulable"]

ERR_REASON_UNSCHEDULABLE = "node(s) were unschedulable"
_UNSCHEDULABLE_TAINT = ("node.kubernetes.io/unschedulable", "", "NoSchedule")


class NodeUnschedulable(FilterPlugin):
    name = "NodeUnschedulable"

    def filter(self, state: CycleState):
        table = state.table
        cordoned = table.unschedulable[: table.size]
        if not cordoned.any() or tolerations_tolerate_taint(
            state.pod.tolerations, _UNSCHEDULABLE_TAINT
        ):
            return []
        return [(ERR_REASON_UNSCHEDULABLE, cordoned)]
