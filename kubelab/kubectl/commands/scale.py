"""``kubectl scale``: set ``spec.replicas`` through the ``scale`` subresource."""

from __future__ import annotations

from kubelab.errors import KubelabError, NotFound
from kubelab.kubectl.commands import register
from kubelab.kubectl.commands.common import (
    NAMESPACE_FLAGS,
    CommandError,
    builder_list,
    kind_label,
    resolve_resources,
    sort_objects,
)
from kubelab.kubectl.flags import Flag

FLAGS = [
    *NAMESPACE_FLAGS,
    Flag("replicas", "", int, None),
    Flag("current-replicas", "", int, -1),
    Flag("selector", "l"),
    Flag("all", "", bool),
    Flag("filename", "f", list),
]

SCALABLE = {"Deployment", "ReplicaSet", "ReplicationController", "StatefulSet"}


@register("scale", FLAGS)
def scale_cmd(ctx, flags, args, out) -> None:
    if flags["replicas"] is None:
        raise CommandError('required flag(s) "replicas" not set')
    if flags["replicas"] < 0:
        raise CommandError(
            "The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0"
        )
    if not args:
        raise CommandError("You must provide one or more resources by argument or filename.")
    for rt, names in resolve_resources(args):
        if not names:
            if not (flags["all"] or flags["selector"]):
                raise CommandError("resource(s) were provided, but no name was specified")
            names = [
                o["metadata"]["name"]
                for o in sort_objects(builder_list(ctx, rt, flags["selector"]))
            ]
        for name in names:
            try:
                obj = ctx.client.get(rt.kind, name, ctx.namespace)
                if rt.kind not in SCALABLE:
                    raise NotFound(
                        rt.plural, name, "the server could not find the requested resource"
                    )
                current = flags["current-replicas"]
                if current >= 0 and (obj.get("spec") or {}).get("replicas", 1) != current:
                    raise CommandError(
                        f"Expected replicas to be {current}, was {(obj.get('spec') or {}).get('replicas', 1)}"
                    )
                ctx.client.patch(
                    rt.kind,
                    name,
                    ctx.namespace,
                    {"spec": {"replicas": flags["replicas"]}},
                    "merge",
                    subresource="scale",
                )
            except (KubelabError, CommandError) as error:
                out.error(error)
                continue
            out.print(f"{kind_label(rt)}/{name} scaled\n")
