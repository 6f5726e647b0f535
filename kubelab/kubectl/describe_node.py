"""``kubectl describe node``: conditions, addresses, capacity, system info, pods and their requests."""

from __future__ import annotations

from kubelab.api.quantity import cpu_millis, format_cpu, format_memory, memory_bytes
from kubelab.api.resourcelist import pod_limits, pod_requests
from kubelab.kubectl.describe_common import (
    Related,
    Writer,
    annotations_multiline,
    describe_events,
    labels_multiline,
    taints_multiline,
)
from kubelab.kubectl.duration import rfc1123z, since
from kubelab.kubectl.tables import node_roles

__all__ = ["describe_node"]


def describe_node(node: dict, rel: Related) -> str:
    w, meta, spec, st = Writer(), node["metadata"], node.get("spec") or {}, node.get("status") or {}
    w.write(0, f"Name:\t{meta['name']}\n")
    w.write(0, f"Roles:\t{node_roles(node)}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"CreationTimestamp:\t{rfc1123z(meta.get('creationTimestamp'))}\n")
    taints_multiline(w, "Taints", spec.get("taints"))
    w.write(0, f"Unschedulable:\t{'true' if spec.get('unschedulable') else 'false'}\n")
    if rel.lease is not None:
        lease = rel.lease.get("spec") or {}
        w.write(0, "Lease:\n")
        w.write(1, f"HolderIdentity:\t{lease.get('holderIdentity') or '<unset>'}\n")
        w.write(
            1,
            f"AcquireTime:\t{rfc1123z(lease['acquireTime']) if lease.get('acquireTime') else '<unset>'}\n",
        )
        w.write(
            1,
            f"RenewTime:\t{rfc1123z(lease['renewTime']) if lease.get('renewTime') else '<unset>'}\n",
        )
    if st.get("conditions"):
        w.write(
            0,
            "Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n",
        )
        w.write(1, "----\t------\t-----------------\t------------------\t------\t-------\n")
        for c in st["conditions"]:
            w.write(
                1,
                f"{c.get('type')} \t{c.get('status')} \t{rfc1123z(c.get('lastHeartbeatTime'))} \t"
                f"{rfc1123z(c.get('lastTransitionTime'))} \t{c.get('reason', '')} \t{c.get('message', '')}\n",
            )
    w.write(0, "Addresses:\n")
    for a in st.get("addresses") or ():
        w.write(1, f"{a.get('type')}:\t{a.get('address')}\n")
    for title, key in (("Capacity", "capacity"), ("Allocatable", "allocatable")):
        if st.get(key):
            w.write(0, f"{title}:\n")
            for name in sorted(st[key]):
                w.write(0, f"  {name}:\t{st[key][name]}\n")
    info = st.get("nodeInfo") or {}
    w.write(0, "System Info:\n")
    for title, key in (
        ("Machine ID", "machineID"),
        ("System UUID", "systemUUID"),
        ("Boot ID", "bootID"),
        ("Kernel Version", "kernelVersion"),
        ("OS Image", "osImage"),
        ("Operating System", "operatingSystem"),
        ("Architecture", "architecture"),
        ("Container Runtime Version", "containerRuntimeVersion"),
        ("Kubelet Version", "kubeletVersion"),
        ("Kube-Proxy Version", "kubeProxyVersion"),
    ):
        w.write(0, f"  {title}:\t{info.get(key, '')}\n")
    if spec.get("podCIDR"):
        w.write(0, f"PodCIDR:\t{spec['podCIDR']}\n")
    if spec.get("podCIDRs"):
        w.write(0, f"PodCIDRs:\t{','.join(spec['podCIDRs'])}\n")
    if spec.get("providerID"):
        w.write(0, f"ProviderID:\t{spec['providerID']}\n")
    _node_resources(w, node, rel)
    describe_events(w, rel.events, rel.now)
    return w.text()


def _requests_limits(pod: dict) -> tuple[dict, dict]:
    """``PodRequestsAndLimits``: containers summed, at least the largest init container."""
    spec = pod.get("spec") or {}
    out = []
    for totals in (pod_requests(spec), pod_limits(spec)):
        values = {name: q.value for name, q in totals.items()}
        values["cpu"] = totals["cpu"].milli() if "cpu" in totals else 0
        values["memory"] = int(values.get("memory", 0))
        out.append(values)
    return out[0], out[1]


def _pct(value: int, total: int) -> int:
    return int(value / total * 100) if total else 0


def _node_resources(w: Writer, node: dict, rel: Related) -> None:
    st = node.get("status") or {}
    alloc = st.get("allocatable") or st.get("capacity") or {}
    cpu_total = cpu_millis(alloc["cpu"]) if "cpu" in alloc else 0
    mem_total = memory_bytes(alloc["memory"]) if "memory" in alloc else 0
    pods = [
        p for p in rel.pods if (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
    ]
    w.write(0, f"Non-terminated Pods:\t({len(pods)} in total)\n")
    w.write(1, "Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n")
    w.write(1, "---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n")
    sums = {"cpu_r": 0, "cpu_l": 0, "mem_r": 0, "mem_l": 0}
    for pod in pods:
        req, lim = _requests_limits(pod)
        sums["cpu_r"] += req["cpu"]
        sums["cpu_l"] += lim["cpu"]
        sums["mem_r"] += req["memory"]
        sums["mem_l"] += lim["memory"]
        w.write(
            1,
            f"{pod['metadata'].get('namespace', '')}\t{pod['metadata']['name']}\t\t"
            f"{_cpu(req['cpu'])} ({_pct(req['cpu'], cpu_total)}%)\t"
            f"{_cpu(lim['cpu'])} ({_pct(lim['cpu'], cpu_total)}%)\t"
            f"{_mem(req['memory'])} ({_pct(req['memory'], mem_total)}%)\t"
            f"{_mem(lim['memory'])} ({_pct(lim['memory'], mem_total)}%)\t"
            f"{since(pod['metadata'].get('creationTimestamp'), rel.now)}\n",
        )
    w.write(
        0, "Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n"
    )
    w.write(1, "Resource\tRequests\tLimits\n")
    w.write(1, "--------\t--------\t------\n")
    w.write(
        1,
        f"cpu\t{_cpu(sums['cpu_r'])} ({_pct(sums['cpu_r'], cpu_total)}%)\t"
        f"{_cpu(sums['cpu_l'])} ({_pct(sums['cpu_l'], cpu_total)}%)\n",
    )
    w.write(
        1,
        f"memory\t{_mem(sums['mem_r'])} ({_pct(sums['mem_r'], mem_total)}%)\t"
        f"{_mem(sums['mem_l'])} ({_pct(sums['mem_l'], mem_total)}%)\n",
    )
    w.write(1, "ephemeral-storage\t0 (0%)\t0 (0%)\n")
    for name in sorted(n for n in alloc if n.startswith("hugepages-")):
        w.write(1, f"{name}\t0 (0%)\t0 (0%)\n")
    for name in sorted(n for n in alloc if "/" in n):  # extended resources: no percentages
        requested = sum(_requests_limits(p)[0].get(name, 0) for p in pods)
        limited = sum(_requests_limits(p)[1].get(name, 0) for p in pods)
        w.write(1, f"{name}\t{int(requested)}\t{int(limited)}\n")


def _cpu(millis: int) -> str:
    return format_cpu(millis) if millis else "0"


def _mem(nbytes: int) -> str:
    return format_memory(nbytes) if nbytes else "0"
