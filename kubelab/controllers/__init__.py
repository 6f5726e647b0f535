"""kube-controller-manager: each controller is a reconcile loop in its own module."""

from kubelab.controllers.base import Context, Controller

__all__ = ["Context", "Controller"]
