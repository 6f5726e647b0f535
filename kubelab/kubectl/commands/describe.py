"""``kubectl describe``: gathers an object's Events and related objects, then describes it."""

from __future__ import annotations

from kubelab.api import labels
from kubelab.errors import KubelabError, NotFound
from kubelab.kubectl.commands import register
from kubelab.kubectl.commands.common import (
    NAMESPACE_FLAGS,
    CommandError,
    builder_list,
    resolve_resources,
    sort_objects,
)
from kubelab.kubectl.describe import Related, describe
from kubelab.kubectl.flags import Flag
from kubelab.kubectl.render import no_resources_message

FLAGS = [*NAMESPACE_FLAGS, Flag("selector", "l"), Flag("show-events", "", bool, True)]


def events_for(ctx, obj: dict) -> list[dict]:
    """Events whose ``involvedObject`` is ``obj`` (what kubectl's field selector finds)."""
    meta = obj["metadata"]
    ns = meta.get("namespace") or "default"
    found = []
    for event in ctx.client.list("Event", ns):
        inv = event.get("involvedObject") or {}
        if inv.get("name") != meta["name"] or inv.get("kind") != obj["kind"]:
            continue
        if meta.get("uid") and inv.get("uid") and inv["uid"] != meta["uid"]:
            continue
        found.append(event)
    return found


def _controlled(objs: list[dict], owner: dict) -> list[dict]:
    uid = owner["metadata"].get("uid")
    return [
        o
        for o in objs
        if any(
            r.get("controller") and r.get("uid") == uid
            for r in o["metadata"].get("ownerReferences") or ()
        )
    ]


def related_for(ctx, obj: dict, show_events: bool) -> Related:
    rel = Related(now=ctx.now, events=events_for(ctx, obj) if show_events else None)
    kind, meta, spec = obj["kind"], obj["metadata"], obj.get("spec") or {}
    client, ns = ctx.client, meta.get("namespace")
    if kind in ("ReplicaSet", "DaemonSet", "StatefulSet"):
        try:
            selector = labels.from_label_selector(spec.get("selector"))
        except labels.SelectorError:
            selector = labels.nothing()
        rel.pods = [
            p for p in client.list("Pod", ns) if selector.matches(p["metadata"].get("labels"))
        ]
    elif kind == "ReplicationController":
        selector = labels.from_set(spec.get("selector"))
        rel.pods = [
            p for p in client.list("Pod", ns) if selector.matches(p["metadata"].get("labels"))
        ]
    elif kind == "Deployment":
        owned = sorted(
            _controlled(client.list("ReplicaSet", ns), obj),
            key=lambda rs: rs["metadata"].get("creationTimestamp") or "",
        )
        revision = (meta.get("annotations") or {}).get("deployment.kubernetes.io/revision")
        rel.new_replicaset = next(
            (
                rs
                for rs in owned
                if (rs["metadata"].get("annotations") or {}).get(
                    "deployment.kubernetes.io/revision"
                )
                == revision
            ),
            owned[-1] if owned else None,
        )
        rel.replicasets = owned
    elif kind == "Node":
        rel.pods = sort_objects(
            [
                p
                for p in client.list("Pod", None)
                if (p.get("spec") or {}).get("nodeName") == meta["name"]
            ]
        )
        try:
            rel.lease = client.get("Lease", meta["name"], "kube-node-lease")
        except KubelabError:
            rel.lease = None
    elif kind == "Ingress":
        rel.objects = {k: client.list(k, ns) for k in ("Service", "EndpointSlice")}
    elif kind == "Namespace":
        rel.objects = {k: client.list(k, meta["name"]) for k in ("ResourceQuota", "LimitRange")}
    elif kind == "PersistentVolumeClaim":
        from kubelab.controllers.pvprotection import claims_of

        rel.pods = [p for p in client.list("Pod", ns) if meta["name"] in claims_of(p)]
    elif kind == "Service":
        try:
            rel.endpoints = client.get("Endpoints", meta["name"], ns)
        except KubelabError:
            rel.endpoints = None
    return rel


@register("describe", FLAGS)
def describe_cmd(ctx, flags, args, out) -> None:
    if not args:
        raise CommandError(
            'You must specify the type of resource to describe. Use "kubectl api-resources" '
            "for a complete list of supported resources."
        )
    texts = []
    all_namespaced = not ctx.all_namespaces
    for rt, names in resolve_resources(args, registry=ctx.client.server.kinds):
        all_namespaced = all_namespaced and rt.namespaced
        if names:
            objs = []
            for name in names:
                try:
                    objs.append(ctx.client.get(rt.kind, name, ctx.namespace))
                except NotFound as error:
                    # kubectl describe falls back to every object whose name starts with NAME.
                    prefixed = [
                        o
                        for o in sort_objects(ctx.client.list(rt.kind, ctx.list_namespace(rt)))
                        if o["metadata"]["name"].startswith(name)
                    ]
                    if not prefixed:
                        out.error(error)
                    objs.extend(prefixed)
        else:
            objs = sort_objects(builder_list(ctx, rt, flags["selector"]))
        texts.extend(describe(obj, related_for(ctx, obj, flags["show-events"])) for obj in objs)
    if texts:
        out.print("\n\n".join(texts))
    elif not out.err:
        out.err.append(no_resources_message(ctx.namespace if all_namespaced else None))
