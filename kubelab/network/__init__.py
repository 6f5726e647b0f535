"""The traffic engine: simulated clients, requests through DNS, kube-proxy, ingress, to pods."""

from kubelab.network.releases import rollout_under_traffic, web_release
from kubelab.network.runtime import Listener, listener
from kubelab.network.summary import (
    failed,
    failures,
    pod_spread,
    success_rate,
    summary,
    version_share,
)
from kubelab.network.traffic import COLUMNS, Client, TrafficEngine

__all__ = [
    "COLUMNS",
    "Client",
    "Listener",
    "TrafficEngine",
    "failed",
    "failures",
    "listener",
    "pod_spread",
    "rollout_under_traffic",
    "success_rate",
    "summary",
    "version_share",
    "web_release",
]
