"""``kubectl apply -f`` and ``kubectl create -f``: manifests → API server, one line per object."""

from __future__ import annotations

import os

from kubelab.api.loader import load
from kubelab.api.yamljson import Budget
from kubelab.errors import Invalid, KubelabError, NoKindMatch
from kubelab.kubectl.commands import register
from kubelab.kubectl.commands.common import NAMESPACE_FLAGS, CommandError, kind_label
from kubelab.kubectl.flags import Flag

FLAGS = [
    *NAMESPACE_FLAGS,
    Flag("filename", "f", list),
    Flag("recursive", "R", bool),
    Flag("dry-run", "", str, "none"),
    Flag("validate", "", str, "strict"),
]

_DRY_RUN = {"none": "", "client": " (dry run)", "server": " (server dry run)"}


def _documents(ctx, flags) -> list:
    """Every document of every ``-f`` source, read before anything is sent."""
    if not flags["filename"]:
        raise CommandError("must specify one of -f and -k")
    docs, budget = [], Budget()  # one apply's limits span every -f
    for source in flags["filename"]:
        if source == "-":
            raise CommandError(
                "reading manifests from stdin (-f -) is not supported in kubelab: "
                "pass a file or folder, or call c.apply(text) with a YAML string"
            )
        if not os.path.exists(source):
            raise CommandError(f'the path "{source}" does not exist')
        docs.extend(load(source, budget=budget))
    if not docs:
        raise CommandError(f"no objects passed to {ctx.verb}")
    return docs


def _with_namespace(ctx, obj: dict) -> dict:
    rt = ctx.client.server.kinds.for_object(obj)
    if rt is None or not rt.namespaced or ctx.namespace == "default":
        return obj
    if obj.get("metadata") is None:
        obj["metadata"] = {}
    meta = obj["metadata"]
    given = meta.get("namespace") if isinstance(meta, dict) else None
    if not isinstance(meta, dict) or not isinstance(given, str | None):
        return obj  # the API server's decoder refuses it, naming the field's Go type
    if given and given != ctx.namespace:
        raise CommandError(
            'the namespace from the provided object "'
            + given
            + '" does not match the namespace "'
            + ctx.namespace
            + "\". You must pass '--namespace="
            + given
            + "' to perform this operation."
        )
    meta["namespace"] = ctx.namespace
    return obj


def _origin_error(error: KubelabError, doc, verb: str) -> str:
    if isinstance(error, NoKindMatch):
        return str(error.with_origin(doc.origin))
    if isinstance(error, Invalid) or doc.origin in ("<string>", "<object>"):
        return str(error)
    return f'Error from server ({error.reason}): error when {verb} "{doc.origin}": {error.message}'


def _run(ctx, flags, out, create: bool) -> None:
    if flags["dry-run"] not in _DRY_RUN:
        raise CommandError(
            f'Invalid dry-run value ({flags["dry-run"]}). Must be "none", "server", or "client".'
        )
    suffix, dry = _DRY_RUN[flags["dry-run"]], flags["dry-run"] != "none"
    try:
        docs = _documents(ctx, flags)
    except KubelabError as error:
        out.err.append(str(error))
        return
    client = ctx.client
    for doc in docs:
        obj = _with_namespace(ctx, doc.obj)
        rt = client.server.kinds.for_object(obj)
        meta = obj.get("metadata")
        name = meta.get("name", "") if isinstance(meta, dict) else ""
        try:
            if create:
                stored = client.create(obj, dry_run=dry, strict=True)
                action = "created"
            else:
                stored, action = client.apply(obj, dry_run=dry)
        except KubelabError as error:
            out.err.append(_origin_error(error, doc, "creating"))
            continue
        label = kind_label(rt) if rt else str(obj.get("kind", "")).lower()
        out.print(f"{label}/{stored['metadata'].get('name', name)} {action}{suffix}\n")


@register("apply", FLAGS)
def apply_cmd(ctx, flags, args, out) -> None:
    if args:
        raise CommandError(f"Unexpected args: {args}\nSee 'kubectl apply -h' for help and examples")
    _run(ctx, flags, out, create=False)


CREATE_FLAGS = [*FLAGS, Flag("image", "", str, ""), Flag("from", "", str, "")]


@register("create", CREATE_FLAGS)
def create_cmd(ctx, flags, args, out) -> None:
    if args and args[0] in ("namespace", "ns"):
        _create_namespace(ctx, args[1:], out)
        return
    if args and args[0] == "job":
        from kubelab.kubectl.commands.create_job import create_job

        create_job(ctx, flags, args[1:], out)
        return
    if args:
        raise CommandError(
            f"kubelab's create supports only -f (not 'create {args[0]}'); "
            "write a manifest and use apply -f or create -f"
        )
    _run(ctx, flags, out, create=True)


def _create_namespace(ctx, args, out) -> None:
    """``kubectl create namespace NAME``: the one generator the course needs."""
    if len(args) != 1:
        raise CommandError("exactly one NAME is required, got " + str(len(args)))
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": args[0]}}
    try:
        stored = ctx.client.create(namespace)
    except KubelabError as error:
        out.err.append(str(error))
        return
    out.print(f"namespace/{stored['metadata']['name']} created\n")
