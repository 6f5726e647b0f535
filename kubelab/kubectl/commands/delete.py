"""``kubectl delete``: by name, ``-f``, ``-l`` or ``--all``, with cascading and grace periods."""

from __future__ import annotations

import os

from kubelab.api import kinds
from kubelab.api.loader import load
from kubelab.api.yamljson import Budget
from kubelab.errors import KubelabError
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
    Flag("filename", "f", list),
    Flag("selector", "l"),
    Flag("all", "", bool),
    Flag("cascade", "", str, "background"),
    Flag("grace-period", "", int, -1),
    Flag("now", "", bool),
    Flag("force", "", bool),
    Flag("ignore-not-found", "", bool),
    Flag("wait", "", bool, True),
    Flag("field-selector"),
]

_CASCADE = {
    "background": "Background",
    "true": "Background",
    "foreground": "Foreground",
    "orphan": "Orphan",
    "false": "Orphan",
}
_USAGE = (
    "You must provide one or more resources by argument or filename.\nExample resource "
    "specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n"
    "   '<resource>'"
)
_FORCE_WARNING = (
    "Warning: Immediate deletion does not wait for confirmation that the running resource "
    "has been terminated. The resource may continue to run on the cluster indefinitely.\n"
)


_GO_TYPES = {str: "string", int: "int64", float: "float64", bool: "bool", list: "[]interface {}"}


def _string(value) -> str:
    """``unstructured.GetName``/``GetNamespace``: a field that is not a string reads as ``""``."""
    return value if isinstance(value, str) else ""


def _grace(flags) -> int | None:
    grace = flags["grace-period"]
    if flags["now"]:
        if grace != -1:
            raise CommandError("--now and --grace-period cannot be specified together")
        grace = 1
    if grace == 0 and not flags["force"]:
        grace = 1  # kubectl turns --grace-period=0 into 1 unless --force is given
    if flags["force"] and grace < 0:
        grace = 0
    return None if grace < 0 else grace


def _targets(ctx, flags, args) -> list[tuple[kinds.ResourceType, str, str]]:
    targets, budget = [], Budget()  # one command's limits span every -f
    for source in flags["filename"]:
        if not os.path.exists(source):
            raise CommandError(f'the path "{source}" does not exist')
        for doc in load(source, budget=budget):
            rt = ctx.client.server.kinds.for_object(doc.obj)
            if rt is not None:
                meta = doc.obj.get("metadata") or {}
                if not isinstance(meta, dict):  # apimachinery's unstructured accessors refuse it
                    raise CommandError(
                        f'unable to decode "{doc.origin}": .metadata accessor error: {meta} is '
                        f"of the type {_GO_TYPES.get(type(meta), 'interface {}')}, "
                        "expected map[string]interface{}"
                    )
                name, namespace = (_string(meta.get(k)) for k in ("name", "namespace"))
                targets.append((rt, name, namespace or ctx.namespace))
    for rt, names in resolve_resources(args, registry=ctx.client.server.kinds):
        if names:
            if flags["all"] or flags["selector"]:
                raise CommandError("name cannot be provided when a selector is specified")
            targets.extend((rt, name, ctx.namespace) for name in names)
        elif flags["all"] or flags["selector"] or flags["field-selector"]:
            objs = builder_list(ctx, rt, flags["selector"], flags["field-selector"])
            targets.extend(
                (rt, o["metadata"]["name"], o["metadata"].get("namespace", ""))
                for o in sort_objects(objs)
            )
        else:
            raise CommandError("resource(s) were provided, but no name was specified")
    return targets


@register("delete", FLAGS)
def delete_cmd(ctx, flags, args, out) -> None:
    if not args and not flags["filename"]:
        raise CommandError(_USAGE)
    propagation = _CASCADE.get(flags["cascade"])
    if propagation is None:
        raise CommandError(
            f'invalid cascade value ({flags["cascade"]}). Must be "background", '
            '"foreground", or "orphan".'
        )
    grace = _grace(flags)
    targets = _targets(ctx, flags, args)
    if not targets:
        out.err.append("No resources found")
        return
    if flags["force"] and grace == 0:
        out.warn(_FORCE_WARNING)
    verb = "force deleted" if grace == 0 else "deleted"
    for rt, name, namespace in targets:
        try:
            ctx.client.delete(rt.kind, name, namespace, propagation=propagation, grace_period=grace)
        except KubelabError as error:
            if not (flags["ignore-not-found"] and error.code == 404):
                out.error(error)
            continue
        out.print(f'{kind_label(rt)} "{name}" {verb}\n')
