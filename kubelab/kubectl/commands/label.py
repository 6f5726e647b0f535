"""``kubectl label``: add (``key=value``), change (``--overwrite``) or remove (``key-``) labels."""

from __future__ import annotations

from kubelab.errors import KubelabError
from kubelab.kubectl.commands import register
from kubelab.kubectl.commands.common import (
    NAMESPACE_FLAGS,
    CommandError,
    kind_label,
    visit_objects,
)
from kubelab.kubectl.flags import Flag

FLAGS = [
    *NAMESPACE_FLAGS,
    Flag("overwrite", "", bool),
    Flag("selector", "l"),
    Flag("all", "", bool),
    Flag("list", "", bool),
    Flag("dry-run", "", str, "none"),
]


def split_changes(args: list[str]) -> tuple[list[str], dict[str, str], list[str]]:
    """Resource arguments, labels to set and labels to remove.

    >>> split_changes(["pods", "web", "app=shop", "tier-"])
    (['pods', 'web'], {'app': 'shop'}, ['tier'])
    """
    resources, add, remove = [], {}, []
    for arg in args:
        if "=" in arg:
            key, _, value = arg.partition("=")
            add[key] = value
        elif arg.endswith("-") and resources:
            remove.append(arg[:-1])
        else:
            resources.append(arg)
    return resources, add, remove


@register("label", FLAGS)
def label_cmd(ctx, flags, args, out) -> None:
    resources, add, remove = split_changes(args)
    if not resources:
        raise CommandError(
            "one or more resources must be specified as <resource> <name> or <resource>/<name>"
        )
    if not add and not remove and not flags["list"]:
        raise CommandError("at least one label update is required")
    for key in remove:
        if key in add:
            raise CommandError("can not both modify and remove a label in the same command")
    for rt, obj in visit_objects(ctx, resources, flags, out):
        _label_one(ctx, rt, obj, add, remove, flags, out)


def _label_one(ctx, rt, obj, add, remove, flags, out) -> None:
    meta = obj["metadata"]
    current = dict(meta.get("labels") or {})
    if flags["list"]:
        for key in sorted(current):
            out.print(f"{key}={current[key]}\n")
        return
    if not flags["overwrite"]:
        for key, value in add.items():
            if key in current and current[key] != value:
                out.error(
                    CommandError(
                        f"'{key}' already has a value ({current[key]}), and --overwrite is false"
                    )
                )
                return
    new = {**current, **add}
    for key in remove:
        new.pop(key, None)
    if new == current:
        message = "not labeled"
    else:
        message = "unlabeled" if not flags["overwrite"] and len(new) < len(current) else "labeled"
        patch = {
            "metadata": {"labels": {**add, **dict.fromkeys(k for k in remove if k in current)}}
        }
        try:
            ctx.client.patch(
                rt.kind,
                meta["name"],
                meta.get("namespace") or ctx.namespace,
                patch,
                "merge",
                dry_run=flags["dry-run"] != "none",
            )
        except KubelabError as error:
            out.error(error)
            return
    out.print(f"{kind_label(rt)}/{meta['name']} {message}\n")
