"""``kubectl cordon`` / ``uncordon``: set or clear ``node.spec.unschedulable``.

A cordoned node keeps its pods; the scheduler just stops placing new ones there (except
pods tolerating ``node.kubernetes.io/unschedulable``, such as DaemonSet pods).
"""

from __future__ import annotations

from kubelab.api import kinds
from kubelab.errors import KubelabError
from kubelab.kubectl.commands import register
from kubelab.kubectl.commands.common import CommandError, builder_list
from kubelab.kubectl.flags import Flag

__all__ = ["cordon_nodes", "target_nodes"]

FLAGS = [Flag("selector", "l"), Flag("dry-run", "", str, "none")]


def target_nodes(ctx, verb: str, args: list[str], selector: str | None) -> list[dict]:
    """The nodes named on the command line (or selected with ``-l``), as the builder finds them."""
    if not args and not selector:
        raise CommandError(
            f"USAGE: {verb} NODE [flags]\nSee 'kubectl {verb} -h' for help and examples"
        )
    if args and selector:
        raise CommandError(
            "cannot specify both a node name and a --selector option\n"
            f"See 'kubectl {verb} -h' for help and examples"
        )
    if selector:
        nodes = builder_list(ctx, kinds.resource_for_kind("Node"), selector)
        return sorted(nodes, key=lambda n: n["metadata"]["name"])
    return [ctx.client.get("Node", name, "") for name in args]


def cordon_nodes(ctx, nodes: list[dict], desired: bool, out, *, dry_run: bool = False) -> None:
    """``RunCordonOrUncordon``: patch the nodes that need it, say ``already`` for the others."""
    word = "cordoned" if desired else "uncordoned"
    suffix = " (dry run)" if dry_run else ""
    for node in nodes:
        name = node["metadata"]["name"]
        if bool((node.get("spec") or {}).get("unschedulable")) == desired:
            out.print(f"node/{name} already {word}{suffix}\n")
            continue
        if not dry_run:
            try:
                # false is omitempty in the Go struct: uncordon removes the field.
                ctx.client.patch(
                    "Node",
                    name,
                    "",
                    {"spec": {"unschedulable": True if desired else None}},
                    "merge",
                )
            except KubelabError as error:
                verb = "cordon" if desired else "uncordon"
                out.warn(f'error: unable to {verb} node "{name}": {error.message}')
                continue
        out.print(f"node/{name} {word}{suffix}\n")


def _run(ctx, flags, args, out, desired: bool) -> None:
    verb = "cordon" if desired else "uncordon"
    nodes = target_nodes(ctx, verb, args, flags["selector"])
    cordon_nodes(ctx, nodes, desired, out, dry_run=flags["dry-run"] not in ("none", "", "false"))


@register("cordon", FLAGS, namespaced=False)
def cordon_cmd(ctx, flags, args, out) -> None:
    _run(ctx, flags, args, out, True)


@register("uncordon", FLAGS, namespaced=False)
def uncordon_cmd(ctx, flags, args, out) -> None:
    _run(ctx, flags, args, out, False)
