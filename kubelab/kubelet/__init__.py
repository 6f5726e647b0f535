"""kubelet: one per node. Registers the Node, renews its Lease, runs the pods bound to it.

Modules: :mod:`~kubelab.kubelet.kubelet` (the component), :mod:`~kubelab.kubelet.podworker`
(one pod's lifecycle), :mod:`~kubelab.kubelet.containers` (a container's states),
:mod:`~kubelab.kubelet.prober` (probes), :mod:`~kubelab.kubelet.status` (phase and
conditions), :mod:`~kubelab.kubelet.backoff` (CrashLoopBackOff / ImagePullBackOff),
:mod:`~kubelab.kubelet.ipam` (addresses), :mod:`~kubelab.kubelet.nodestatus` (the Node
object and Lease), :mod:`~kubelab.kubelet.heartbeat` (batched Lease renewals).
"""

from kubelab.kubelet.kubelet import Kubelet
from kubelab.kubelet.status import get_phase

__all__ = ["Kubelet", "get_phase"]
