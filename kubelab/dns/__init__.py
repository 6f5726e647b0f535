"""Cluster DNS: Service names → ClusterIPs, headless services → pod IPs, ExternalName → CNAME."""

from kubelab.dns.nslookup import nslookup
from kubelab.dns.server import CLUSTER_DOMAIN, DNS_SERVICE_IP, Answer, ClusterDNS, search_path

__all__ = ["CLUSTER_DOMAIN", "DNS_SERVICE_IP", "Answer", "ClusterDNS", "nslookup", "search_path"]
