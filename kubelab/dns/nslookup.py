"""``nslookup`` as busybox prints it inside a pod (``kubectl exec <pod> -- nslookup web``).

Examples
--------
>>> import kubelab as kl
>>> c = kl.Cluster(nodes=1, seed=0)
>>> print(nslookup(c.api, "nosuch", namespace="default"))
Server:		10.96.0.10
Address:	10.96.0.10:53
<BLANKLINE>
** server can't find nosuch.default.svc.cluster.local: NXDOMAIN
<BLANKLINE>
** server can't find nosuch.svc.cluster.local: NXDOMAIN
<BLANKLINE>
** server can't find nosuch.cluster.local: NXDOMAIN
<BLANKLINE>
** server can't find nosuch: NXDOMAIN
<BLANKLINE>
"""

from __future__ import annotations

from kubelab.dns.server import ClusterDNS

__all__ = ["nslookup"]


def nslookup(api, name: str, *, namespace: str = "default") -> str:
    """What ``nslookup <name>`` prints in a pod of ``namespace`` (busybox's format).

    Parameters
    ----------
    api : APIServer
        The cluster's API server (its DNS server answers).
    name : str
        A service name (``web``), partly (``web.shop``) or fully qualified.
    namespace : str
        The pod's namespace: its resolv.conf search path starts with ``<namespace>.svc.cluster.local``.
    """
    dns = ClusterDNS.for_api(api)
    answer = dns.resolve(name, namespace)
    lines = [f"Server:\t\t{dns.ip}", f"Address:\t{dns.ip}:53", ""]
    if not answer.found:
        for fqdn in answer.tried:
            lines += [f"** server can't find {fqdn}: NXDOMAIN", ""]
        return "\n".join(lines)
    if answer.cname:
        lines += [f"{answer.name}\tcanonical name = {answer.cname}", ""]
        return "\n".join(lines)
    for address in answer.addresses:
        lines += [f"Name:\t{answer.name}", f"Address: {address}"]
    lines.append("")
    return "\n".join(lines)
