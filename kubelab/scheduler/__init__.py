"""kube-scheduler: filter and score plugins over a vectorised node table.

* :mod:`~kubelab.scheduler.nodetable` — the node cache as numpy columns.
* :mod:`~kubelab.scheduler.plugins` — NodeUnschedulable, NodeName, TaintToleration,
  NodeAffinity, NodePorts, NodeResourcesFit, PodTopologySpread, InterPodAffinity,
  NodeResourcesBalancedAllocation, ImageLocality (upstream's order and weights).
* :mod:`~kubelab.scheduler.podgroups` — pods grouped by labels and counted per node and
  topology domain, kept incrementally (what pod affinity and spreading count).
* :mod:`~kubelab.scheduler.explain` — what the scheduler "thought" of every node for a pod:
  ``c.scheduler.explain("web-abc12")`` (a DataFrame; ``kl.viz.plot_scheduling`` draws it).
* :mod:`~kubelab.scheduler.schedule_one` — one cycle: filter, score, select host, FitError.
* :mod:`~kubelab.scheduler.queue` — activeQ / backoffQ / unschedulable pods.
* :mod:`~kubelab.scheduler.scheduler` — the component wired into a cluster.
"""

from kubelab.scheduler.explain import explain
from kubelab.scheduler.framework import CycleState, FilterPlugin, Framework, ScorePlugin
from kubelab.scheduler.nodetable import NodeTable
from kubelab.scheduler.podinfo import PodInfo
from kubelab.scheduler.queue import SchedulingQueue
from kubelab.scheduler.schedule_one import Diagnosis, ScheduleResult, SchedulingAlgorithm
from kubelab.scheduler.scheduler import DEFAULT_SCHEDULER_NAME, Scheduler

__all__ = [
    "DEFAULT_SCHEDULER_NAME",
    "CycleState",
    "Diagnosis",
    "FilterPlugin",
    "Framework",
    "NodeTable",
    "PodInfo",
    "ScheduleResult",
    "Scheduler",
    "SchedulingAlgorithm",
    "SchedulingQueue",
    "ScorePlugin",
    "explain",
]
