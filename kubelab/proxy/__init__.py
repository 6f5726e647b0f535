"""kube-proxy: per-node service rules (iptables or IPVS mode) from Services and EndpointSlices."""

from kubelab.proxy.kubeproxy import MODES, KubeProxy, Route, ServiceChangeTracker
from kubelab.proxy.render import endpoint_chain, iptables_save, ipvsadm, service_chain
from kubelab.proxy.rules import (
    DEFAULT_AFFINITY_SECONDS,
    Endpoint,
    Iptables,
    Ipvs,
    ServicePortRules,
    categorize,
    probabilities,
    service_port_rules,
)

__all__ = [
    "DEFAULT_AFFINITY_SECONDS",
    "MODES",
    "Endpoint",
    "Iptables",
    "Ipvs",
    "KubeProxy",
    "Route",
    "ServiceChangeTracker",
    "ServicePortRules",
    "categorize",
    "endpoint_chain",
    "iptables_save",
    "ipvsadm",
    "probabilities",
    "service_chain",
    "service_port_rules",
]
