"""``kubectl taint nodes NODE key[=value]:Effect[-] ...`` (``staging/.../kubectl/pkg/cmd/taint``).

Add a taint (``dedicated=gpu:NoSchedule``), remove one (``dedicated:NoSchedule-``) or every
taint with a key (``dedicated-``). Adding a taint whose key and effect the node already has
needs ``--overwrite``. Prints ``node/N tainted``, ``untainted`` or ``modified`` as upstream's
``reorganizeTaints`` decides.

Examples
--------
>>> import kubelab as kl
>>> c = kl.Cluster(nodes=1, seed=0)
>>> c.kubectl("taint nodes node-1 dedicated=gpu:NoSchedule")
'node/node-1 tainted'
>>> c.kubectl("taint nodes node-1 dedicated=ml:NoSchedule")
'error: node node-1 already has dedicated taint(s) with same effect(s) and --overwrite is false'
>>> c.kubectl("taint nodes node-1 dedicated-")
'node/node-1 untainted'
"""

from __future__ import annotations

from kubelab.api import kinds, naming
from kubelab.errors import KubelabError
from kubelab.kubectl.commands import register
from kubelab.kubectl.commands.common import CommandError, builder_list
from kubelab.kubectl.flags import Flag

__all__ = ["parse_taints", "reorganize_taints"]

FLAGS = [
    Flag("overwrite", "", bool),
    Flag("all", "", bool),
    Flag("selector", "l"),
    Flag("dry-run", "", str, "none"),
]
_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
_NODE_WORDS = ("node", "nodes", "no")


def _to_string(taint: dict) -> str:
    """``Taint.ToString``."""
    key, value, effect = taint["key"], taint.get("value", ""), taint.get("effect", "")
    if not effect:
        return f"{key}={value}:" if value else key
    return f"{key}={value}:{effect}" if value else f"{key}:{effect}"


def _parse_taint(spec: str) -> dict:
    parts = spec.split(":")
    value, effect = "", ""
    if len(parts) == 1:
        key = parts[0]
    elif len(parts) == 2:
        effect = parts[1]
        if effect not in _EFFECTS:
            raise CommandError(f"invalid taint effect: {effect}, unsupported taint effect")
        kv = parts[0].split("=")
        if len(kv) > 2:
            raise CommandError(f"invalid taint spec: {spec}")
        key = kv[0]
        if len(kv) == 2:
            value = kv[1]
            errs = naming.is_valid_label_value(value)
            if errs:
                raise CommandError(f"invalid taint spec: {spec}, {'; '.join(errs)}")
    else:
        raise CommandError(f"invalid taint spec: {spec}")
    errs = naming.is_qualified_name(key)
    if errs:
        raise CommandError(f"invalid taint spec: {spec}, {'; '.join(errs)}")
    taint = {"key": key}
    if value:
        taint["value"] = value
    if effect:
        taint["effect"] = effect
    return taint


def parse_taints(specs: list[str]) -> tuple[list[dict], list[dict]]:
    """``parseTaints``: (taints to add, taints to remove)."""
    add, remove, seen = [], [], set()
    for spec in specs:
        if spec.endswith("-"):
            t = _parse_taint(spec[:-1])
            remove.append({k: v for k, v in t.items() if k != "value"})
            continue
        t = _parse_taint(spec)
        if "effect" not in t:
            raise CommandError(f"invalid taint spec: {spec}")
        if (t["key"], t["effect"]) in seen:
            raise CommandError(
                "duplicated taints with the same key and effect: "
                f"{{{t['key']} {t.get('value', '')} {t['effect']} <nil>}}"
            )
        seen.add((t["key"], t["effect"]))
        add.append(t)
    return add, remove


def _match(a: dict, b: dict) -> bool:
    return a["key"] == b["key"] and a.get("effect", "") == b.get("effect", "")


def reorganize_taints(
    old: list[dict], overwrite: bool, add: list[dict], remove: list[dict]
) -> tuple[str, list[dict], list[str]]:
    """``reorganizeTaints``: (operation word, the node's new taints, errors)."""
    new = list(add)
    for t in old:
        if not any(_match(n, t) for n in new):
            new.append(t)
    added = len(old) != len(new)
    errors, deleted = [], False
    for r in remove:
        before = len(new)
        if r.get("effect"):
            new = [t for t in new if not _match(r, t)]
        else:
            new = [t for t in new if t["key"] != r["key"]]
        deleted = len(new) != before
        if not deleted:
            errors.append(f'taint "{_to_string(r)}" not found')
    if (added and deleted) or overwrite:
        return "modified", new, errors
    return ("tainted" if added else "untainted"), new, errors


def _targets(ctx, flags, args) -> tuple[list[dict], list[str]]:
    if not args:
        raise CommandError(
            "at least one taint update is required\nSee 'kubectl taint -h' for help and examples"
        )
    resources, specs = [], []
    for arg in args:
        is_taint = "=" in arg or ":" in arg or arg.endswith("-")
        if is_taint:
            specs.append(arg)
        elif specs:
            raise CommandError(f"all resources must be specified before taint changes: {arg}")
        else:
            resources.append(arg)
    if not specs:
        raise CommandError(
            "at least one taint update is required\nSee 'kubectl taint -h' for help and examples"
        )
    names: list[str] = []
    kind = None
    for res in resources:
        word, slash, name = res.partition("/")
        if kind is not None and not slash:  # `nodes a b`: names after the type
            names.append(res)
            continue
        if word.lower() not in _NODE_WORDS:
            raise CommandError(f'resource type "{word}" is not supported by taint, only nodes')
        if slash:
            names.append(name)
        else:
            kind = word
    if flags["all"] or flags["selector"]:
        nodes = builder_list(ctx, kinds.resource_for_kind("Node"), flags["selector"])
        return sorted(nodes, key=lambda n: n["metadata"]["name"]), specs
    if not names:
        raise CommandError("resource(s) were provided, but no name was specified")
    return [ctx.client.get("Node", name, "") for name in names], specs


@register("taint", FLAGS, namespaced=False)
def taint_cmd(ctx, flags, args, out) -> None:
    nodes, specs = _targets(ctx, flags, args)
    add, remove = parse_taints(specs)
    dry_run = flags["dry-run"] not in ("none", "", "false")
    for node in nodes:
        name = node["metadata"]["name"]
        old = list((node.get("spec") or {}).get("taints") or ())
        if not flags["overwrite"]:
            exists = [t["key"] for t in add for o in old if _match(t, o)]
            if exists:
                raise CommandError(
                    f"node {name} already has {','.join(exists)} taint(s) with same effect(s) "
                    "and --overwrite is false"
                )
        operation, new, errors = reorganize_taints(old, flags["overwrite"], add, remove)
        if errors:
            raise CommandError(errors[0] if len(errors) == 1 else f"[{', '.join(errors)}]")
        if not dry_run:
            try:
                ctx.client.patch("Node", name, "", {"spec": {"taints": new or None}}, "merge")
            except KubelabError as error:
                out.error(error)
                continue
        out.print(f"node/{name} {operation}{' (dry run)' if dry_run else ''}\n")
