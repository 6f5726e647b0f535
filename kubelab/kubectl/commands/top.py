"""``kubectl top pod|node``: resource usage from metrics-server, printed as kubectl's
``metricsutil.TopCmdPrinter`` prints it (every cell tab-terminated, so lines end padded).

Pods: ``NAME  CPU(cores)  MEMORY(bytes)`` (``NAMESPACE`` first with ``-A``; ``POD`` and
container ``NAME`` with ``--containers``). Nodes: ``NAME  CPU(cores)  CPU%  MEMORY(bytes)
MEMORY%``, percentages of the node's allocatable, ``<unknown>`` for nodes without a sample.
"""

from __future__ import annotations

from kubelab.api.quantity import cpu_millis, memory_bytes
from kubelab.kubectl.commands import register
from kubelab.kubectl.commands.common import NAMESPACE_FLAGS, CommandError
from kubelab.kubectl.flags import Flag
from kubelab.kubectl.tabwriter import tabulate

FLAGS = [
    *NAMESPACE_FLAGS,
    Flag("containers", "", bool),
    Flag("no-headers", "", bool),
    Flag("sort-by", ""),
    Flag("selector", "l"),
]
_POD_WORDS = ("pod", "pods", "po")
_NODE_WORDS = ("node", "nodes", "no")


def _cpu(cores: float) -> str:
    return f"{round(cores * 1000)}m"


def _mem(nbytes: int) -> str:
    return f"{nbytes // (1024 * 1024)}Mi"


def _line(cells) -> str:
    return "".join(f"{c}\t" for c in cells) + "\n"


@register("top", FLAGS)
def top_cmd(ctx, flags, args, out) -> None:
    if not args:
        raise CommandError('You must specify a resource type: "node" or "pod"')
    what, names = args[0], args[1:]
    if flags.get("sort-by") and flags["sort-by"] not in ("cpu", "memory"):
        raise CommandError("--sort-by accepts only cpu or memory")
    metrics = ctx.cluster.metrics
    metrics.ensure()
    if what in _POD_WORDS:
        _top_pods(ctx, flags, names, metrics, out)
    elif what in _NODE_WORDS:
        _top_nodes(ctx, flags, names, metrics, out)
    else:
        raise CommandError(f'unknown command "{what}" for "kubectl top"')


def _sort(rows: list, key: str | None, cpu_at: int, mem_at: int) -> list:
    if key == "cpu":
        return sorted(rows, key=lambda r: -r[cpu_at])
    if key == "memory":
        return sorted(rows, key=lambda r: -r[mem_at])
    return rows


def _top_pods(ctx, flags, names, metrics, out) -> None:
    ns = None if ctx.all_namespaces else ctx.namespace
    selector = _selector(flags)
    pods = {
        (p["metadata"]["namespace"], p["metadata"]["name"]): p
        for p in ctx.client.list("Pod", ns, selector)
    }
    for name in names:
        if (ctx.namespace, name) not in pods:
            raise CommandError(f'pods "{name}" not found')
        if (ctx.namespace, name) not in metrics.pods:
            raise CommandError("metrics not available yet")
    keys = sorted(k for k in metrics.pods if k in pods and (not names or k[1] in names))
    if not keys:
        where = "" if ns is None else f" in {ns} namespace"
        out.error(f"No resources found{where}.")
        return
    rows = []
    for key in keys:
        containers = metrics.pods[key]
        if flags.get("containers"):
            rows += [(key, c, cpu, mem) for c, cpu, mem in containers]
        else:
            cpu = sum(c[1] for c in containers)
            mem = sum(c[2] for c in containers)
            rows.append((key, None, cpu, mem))
    rows = _sort(rows, flags.get("sort-by"), 2, 3)
    head = (["NAMESPACE"] if ns is None else []) + (["POD"] if flags.get("containers") else [])
    text = "" if flags.get("no-headers") else _line([*head, "NAME", "CPU(cores)", "MEMORY(bytes)"])
    for (pod_ns, pod), container, cpu, mem in rows:
        cells = ([pod_ns] if ns is None else []) + ([pod, container] if container else [pod])
        text += _line([*cells, _cpu(cpu), _mem(mem)])
    out.print(tabulate(text, minwidth=6, padding=3))


def _selector(flags):
    """``labels.Parse(o.LabelSelector)``: top parses ``-l`` itself, before asking anyone."""
    from kubelab.api import labels

    if not flags.get("selector"):
        return None
    try:
        return labels.parse(flags["selector"])
    except labels.SelectorError as error:
        raise CommandError(str(error)) from None


def _top_nodes(ctx, flags, names, metrics, out) -> None:
    selector = _selector(flags)
    nodes = {n["metadata"]["name"]: n for n in ctx.client.list("Node", None, selector)}
    for name in names:
        if name not in nodes:
            raise CommandError(f'nodes "{name}" not found')
    wanted = sorted(n for n in nodes if not names or n in names)
    rows, missing = [], []
    for name in wanted:
        if name not in metrics.nodes:
            missing.append(name)
            continue
        cpu, mem = metrics.nodes[name]
        alloc = (nodes[name].get("status") or {}).get("allocatable") or {}
        cpu_total = cpu_millis(alloc.get("cpu", "0")) or 1
        mem_total = memory_bytes(alloc.get("memory", "0")) or 1
        cpu_pct = int(round(cpu * 1000) / cpu_total * 100)
        mem_pct = int(mem * 1000 / (mem_total * 1000) * 100)
        rows.append((name, cpu, mem, cpu_pct, mem_pct))
    rows = _sort(rows, flags.get("sort-by"), 1, 2)
    text = (
        ""
        if flags.get("no-headers")
        else _line(["NAME", "CPU(cores)", "CPU%", "MEMORY(bytes)", "MEMORY%"])
    )
    for name, cpu, mem, cpu_pct, mem_pct in rows:
        text += _line([name, _cpu(cpu), f"{cpu_pct}%", _mem(mem), f"{mem_pct}%"])
    for name in missing:
        text += _line([name, "<unknown>", "<unknown>", "<unknown>", "<unknown>"])
    out.print(tabulate(text, minwidth=6, padding=3))
