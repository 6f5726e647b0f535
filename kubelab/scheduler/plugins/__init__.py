"""The default plugins (``pkg/scheduler/framework/plugins``), vectorised over the node table.

:func:`default_plugins` lists them in upstream's MultiPoint order
(``pkg/scheduler/apis/config/v1/default_plugins.go``): every :class:`FilterPlugin`
filters in that order, every :class:`ScorePlugin` with a ``weight`` scores with it.
To add a plugin, add one line to the list in :func:`default_plugins`.

Examples
--------
>>> filters, scores = default_plugins()
>>> [p.name for p in filters]  # doctest: +NORMALIZE_WHITESPACE
['NodeUnschedulable', 'NodeName', 'TaintToleration', 'NodeAffinity', 'NodePorts',
 'NodeResourcesFit', 'VolumeBinding', 'PodTopologySpread', 'InterPodAffinity']
>>> [(p.name, w) for p, w in scores]  # doctest: +NORMALIZE_WHITESPACE
[('TaintToleration', 3), ('NodeAffinity', 2), ('NodeResourcesFit', 1), ('PodTopologySpread', 2),
 ('InterPodAffinity', 2), ('NodeResourcesBalancedAllocation', 1), ('ImageLocality', 1)]
"""

from __future__ import annotations

from kubelab.scheduler.framework import FilterPlugin, ScorePlugin
from kubelab.scheduler.plugins.imagelocality import ImageLocality
from kubelab.scheduler.plugins.interpodaffinity import InterPodAffinity
from kubelab.scheduler.plugins.nodeaffinity import NodeAffinity
from kubelab.scheduler.plugins.nodename import NodeName
from kubelab.scheduler.plugins.nodeports import NodePorts
from kubelab.scheduler.plugins.noderesources import BalancedAllocation, Fit
from kubelab.scheduler.plugins.nodeunschedulable import NodeUnschedulable
from kubelab.scheduler.plugins.podtopologyspread import PodTopologySpread
from kubelab.scheduler.plugins.tainttoleration import TaintToleration
from kubelab.scheduler.plugins.volumebinding import VolumeBinding

__all__ = [
    "BalancedAllocation",
    "Fit",
    "ImageLocality",
    "InterPodAffinity",
    "NodeAffinity",
    "NodeName",
    "NodePorts",
    "NodeUnschedulable",
    "PodTopologySpread",
    "TaintToleration",
    "default_plugins",
]


def default_plugins():
    """Fresh ``(filters, [(score plugin, weight), ...])`` in upstream's order."""
    plugins = [
        NodeUnschedulable(),
        NodeName(),
        TaintToleration(),
        NodeAffinity(),
        NodePorts(),
        Fit(),
        VolumeBinding(),
        PodTopologySpread(),
        InterPodAffinity(),
        BalancedAllocation(),
        ImageLocality(),
    ]
    filters = [p for p in plugins if isinstance(p, FilterPlugin)]
    scores = [(p, p.weight) for p in plugins if isinstance(p, ScorePlugin) and p.weight]
    return filters, scores
