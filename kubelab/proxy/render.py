"""A node's kube-proxy rules as the tools on the node print them (``iptables-save``, ``ipvsadm -Ln``).

Chain names are upstream's (``pkg/proxy/iptables/proxier.go``): ``KUBE-SVC-`` / ``KUBE-SEP-`` plus
the first 16 characters of the base32 SHA-256 of the service port name and protocol (and, for an
endpoint chain, the endpoint). Only the rules that decide where a connection goes are shown (no
masquerade marks, no filter table).

Examples
--------
>>> service_chain("default/web", "TCP")
'KUBE-SVC-LOLE4ISW44XBNF3G'
"""

from __future__ import annotations

import base64
import hashlib

from kubelab.proxy.rules import probabilities

__all__ = ["endpoint_chain", "iptables_save", "ipvsadm", "service_chain"]


def _hash(text: str) -> str:
    return base64.b32encode(hashlib.sha256(text.encode()).digest()).decode()[:16]


def service_chain(port_name: str, protocol: str) -> str:
    """``servicePortChainName``: ``KUBE-SVC-<hash>``."""
    return "KUBE-SVC-" + _hash(port_name + protocol.lower())


def endpoint_chain(port_name: str, protocol: str, endpoint: str) -> str:
    """``servicePortEndpointChainName``: ``KUBE-SEP-<hash>``."""
    return "KUBE-SEP-" + _hash(port_name + protocol.lower() + endpoint)


def _port_name(r) -> str:
    return f"{r.namespace}/{r.service}" + (f":{r.port_name}" if r.port_name else "")


def iptables_save(proxy, service: str | None = None, namespace: str = "default") -> str:
    """The nat-table rules of ``proxy``'s node (for one Service, or all)."""
    rules = proxy.table()
    if service is not None:
        rules = [r for r in rules if (r.namespace, r.service) == (namespace, service)]
    lines = ["*filter"]
    for r in rules:  # a service without endpoints is rejected in the filter table
        targets, verdict = r.targets(external=False)
        name, proto = _port_name(r), r.protocol.lower()
        for ip in r.cluster_ips if verdict else ():
            what = "has no endpoints" if verdict == "REJECT" else "has no local endpoints"
            action = "REJECT --reject-with icmp-port-unreachable" if verdict == "REJECT" else "DROP"
            lines.append(
                f'-A KUBE-SERVICES -d {ip}/32 -p {proto} -m comment --comment "{name} {what}" '
                f"-m {proto} --dport {r.port} -j {action}"
            )
    lines += ["COMMIT", "*nat"]
    for r in rules:
        name, proto = _port_name(r), r.protocol.lower()
        svc = service_chain(name, r.protocol)
        targets, verdict = r.targets(external=False)
        for ip in r.cluster_ips if not verdict else ():
            jump = svc
            lines.append(
                f'-A KUBE-SERVICES -d {ip}/32 -p {proto} -m comment --comment "{name} cluster IP" '
                f"-m {proto} --dport {r.port} -j {jump}"
            )
        if r.node_port:
            lines.append(
                f'-A KUBE-NODEPORTS -p {proto} -m comment --comment "{name}" -m {proto} '
                f"--dport {r.node_port} -j {'KUBE-EXT-' + svc[9:]}"
            )
        chances = probabilities(len(targets))
        for ep, chance in zip(targets, chances, strict=True):
            rule = f'-A {svc} -m comment --comment "{name} -> {ep.address}"'
            if r.affinity_seconds:
                sep = endpoint_chain(name, r.protocol, ep.address)
                rule_aff = (
                    f'-A {svc} -m comment --comment "{name} -> {ep.address}" -m recent --name {sep} '
                    f"--rcheck --seconds {r.affinity_seconds} --reap -j {sep}"
                )
                lines.append(rule_aff)
            if chance is not None:
                rule += f" -m statistic --mode random --probability {chance}"
            lines.append(f"{rule} -j {endpoint_chain(name, r.protocol, ep.address)}")
        for ep in targets:
            sep = endpoint_chain(name, r.protocol, ep.address)
            lines.append(
                f'-A {sep} -p {proto} -m comment --comment "{name}" -m {proto} -j DNAT --to-destination {ep.address}'
            )
    lines.append("COMMIT")
    return "\n".join(lines)


def ipvsadm(proxy, service: str | None = None, namespace: str = "default") -> str:
    """``ipvsadm -Ln``: one virtual server per ClusterIP port, its real servers (weight 0 while
    terminating)."""
    rules = proxy.table()
    if service is not None:
        rules = [r for r in rules if (r.namespace, r.service) == (namespace, service)]
    lines = [
        "IP Virtual Server version 1.2.1 (size=4096)",
        "Prot LocalAddress:Port Scheduler Flags",
        "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn",
    ]
    for r in rules:
        targets, _verdict = r.targets(external=False)
        for ip in r.cluster_ips:
            flags = f" persistent {r.affinity_seconds}" if r.affinity_seconds else ""
            lines.append(f"{r.protocol}  {ip}:{r.port} rr{flags}")
            for ep in targets:
                weight = 0 if ep.terminating else 1
                lines.append(f"  -> {ep.address:<29}Masq    {weight:<6} 0          0")
    return "\n".join(lines)
