"""``kubectl set image TYPE/NAME CONTAINER=IMAGE ...`` (``kubectl/pkg/cmd/set/set_image.go``).

Changes container images in a workload's pod template (or a pod's spec) with a strategic
merge patch on the named containers; ``*`` means every container. Registered as
``kubectl set`` with the ``image`` subcommand.

Examples
--------
>>> split_images(["deployment/web", "nginx=nginx:1.26", "*=busybox"])
(['deployment/web'], {'nginx': 'nginx:1.26', '*': 'busybox'})
"""

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

__all__ = ["split_images"]

FLAGS = [
    *NAMESPACE_FLAGS,
    Flag("all", "", bool),
    Flag("selector", "l"),
    Flag("dry-run", "", str, "none"),
    Flag("filename", "f", list),
]
# kind → path from the object to its PodSpec
_POD_SPEC = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}


def split_images(args: list[str]) -> tuple[list[str], dict[str, str]]:
    """Resource arguments and ``container → image`` pairs, in order."""
    resources, images = [], {}
    for arg in args:
        if "=" in arg:
            name, _, image = arg.partition("=")
            images[name] = image
        else:
            resources.append(arg)
    return resources, images


@register("set", FLAGS)
def set_cmd(ctx, flags, args, out) -> None:
    if not args or args[0] != "image":
        which = f'unknown command "{args[0]}" for "kubectl set"' if args else None
        raise CommandError(which or "You must specify the type of resource to set: image")
    resources, images = split_images(args[1:])
    if not resources:
        raise CommandError(
            "one or more resources must be specified as <resource> <name> or <resource>/<name>"
        )
    if not images:
        raise CommandError("at least one image update is required")
    for rt, obj in visit_objects(ctx, resources, flags, out):
        _set_image(ctx, rt, obj, images, flags, out)


def _set_image(ctx, rt, obj, images, flags, out) -> None:
    path = _POD_SPEC.get(rt.kind)
    meta = obj["metadata"]
    if path is None:
        out.error(
            CommandError(
                f"{kind_label(rt)}/{meta['name']} the object is not a pod or does not have a pod template"
            )
        )
        return
    spec = obj
    for key in path:
        spec = spec.get(key) or {}
    changed: dict[str, list] = {}
    for name, image in images.items():
        found = False
        for field in ("initContainers", "containers"):
            for c in spec.get(field) or ():
                if c.get("name") == name or name == "*":
                    found = True
                    if c.get("image") != image:
                        changed.setdefault(field, []).append({"name": c["name"], "image": image})
        if not found:
            out.error(CommandError(f'unable to find container named "{name}"'))
            return
    if not changed:
        return  # an empty patch: kubectl prints nothing
    patch: dict = dict(changed)
    for key in reversed(path):
        patch = {key: patch}
    try:
        ctx.client.patch(
            rt.kind,
            meta["name"],
            meta.get("namespace") or ctx.namespace,
            patch,
            "strategic",
            dry_run=flags["dry-run"] == "server",
        )
    except KubelabError as error:
        out.error(error)
        return
    out.print(f"{kind_label(rt)}/{meta['name']} image updated\n")
