"""The default plugins (``pkg/scheduler/framework/plugins``), vectorised over the node table.

Order and weights follow ``pkg/scheduler/apis/config/v1/default_plugins.go``. Plugins
kubelab does not simulate yet (volumes, InterPodAffinity, PodTopologySpread,
ImageLocality) slot into these lists when they arrive.

Examples
--------
>>> filters, scores = default_plugins()
>>> [p.name for p in filters]
['NodeUnschedulable', 'NodeName', 'TaintToleration', 'NodeAffinity', 'NodePorts', 'NodeResourcesFit']
>>> [(p.name, w) for p, w in scores]
[('TaintToleration', 3), ('NodeAffinity', 2), ('NodeResourcesFit', 1), ('NodeResourcesBalancedAllocation', 1)]
"""

from __future__ import annotations

from kubelab.scheduler.plugins.nodeaffinity import NodeAffinity
from kubelab.scheduler.plugins.nodename import NodeName
from kubelab.scheduler.plugins.nodeports import NodePorts
from kubelab.scheduler.plugins.noderesources import BalancedAllocation, Fit
from kubelab.scheduler.plugins.nodeunschedulable import NodeUnschedulable
from kubelab.scheduler.plugins.tainttoleration import TaintToleration

__all__ = [
    "BalancedAllocation",
    "Fit",
    "NodeAffinity",
    "NodeName",
    "NodePorts",
    "NodeUnschedulable",
    "TaintToleration",
    "default_plugins",
]


def default_plugins():
    """Fresh ``(filters, [(score plugin, weight), ...])`` in upstream's order."""
    taints, affinity, fit = TaintToleration(), NodeAffinity(), Fit()
    filters = [NodeUnschedulable(), NodeName(), taints, affinity, NodePorts(), fit]
    scores = [(taints, 3), (affinity, 2), (fit, 1), (BalancedAllocation(), 1)]
    return filters, scores
