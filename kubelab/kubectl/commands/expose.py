"""``kubectl expose``: a Service for a deployment, replica set, replication controller, pod or service.

As upstream (``staging/src/k8s.io/kubectl/pkg/cmd/expose``): the selector comes from the
object (``--selector`` overrides), the ports from its containers (``--port`` overrides;
several become ``port-1``, ``port-2``...), ``targetPort`` is ``--target-port`` or the
port, the Service takes the object's name (``--name``) and labels (``--labels``).

Examples
--------
>>> import kubelab as kl
>>> c = kl.Cluster(nodes=1, seed=0)
>>> _ = c.apply('''
... apiVersion: apps/v1
... kind: Deployment
... metadata: {name: web, labels: {app: web}}
... spec:
...   selector: {matchLabels: {app: web}}
...   template:
...     metadata: {labels: {app: web}}
...     spec: {containers: [{name: nginx, image: "nginx:1.25", ports: [{containerPort: 80}]}]}
... ''')
>>> print(c.kubectl("expose deployment web --type=NodePort --target-port=80"), end="")
service/web exposed
>>> svc = c.get("svc", "web")
>>> svc["spec"]["selector"], svc["spec"]["ports"][0]["port"], svc["spec"]["type"]
({'app': 'web'}, 80, 'NodePort')
"""

from __future__ import annotations

from kubelab.api import kinds
from kubelab.errors import KubelabError
from kubelab.kubectl.commands import register
from kubelab.kubectl.commands.common import (
    NAMESPACE_FLAGS,
    CommandError,
    kind_label,
    resolve_resources,
)
from kubelab.kubectl.flags import Flag

__all__ = ["expose_cmd", "service_for"]

FLAGS = [
    *NAMESPACE_FLAGS,
    Flag("port"),
    Flag("target-port"),
    Flag("protocol"),
    Flag("type"),
    Flag("name"),
    Flag("selector"),
    Flag("labels", "l"),
    Flag("cluster-ip"),
    Flag("external-ip"),
    Flag("load-balancer-ip"),
    Flag("session-affinity"),
    Flag("dry-run", "", str, "none"),
    Flag("output", "o"),
    Flag("filename", "f", list),
]
_EXPOSABLE = {"Pod", "Service", "ReplicationController", "Deployment", "ReplicaSet"}
_DRY_RUN = {"none": "", "client": " (dry run)", "server": " (server dry run)"}
_HELP = "\nSee 'kubectl expose -h' for help and examples"


def _parse_map(text: str, what: str) -> dict:
    result = {}
    for item in text.split(","):
        key, eq, value = item.partition("=")
        if not eq or not key:
            raise CommandError(f"invalid {what} format: {text!r}")
        result[key.strip()] = value.strip()
    return result


def _selector_of(obj: dict) -> dict:
    """``MapBasedSelectorForObject``."""
    kind, spec = obj["kind"], obj.get("spec") or {}
    if kind == "Pod":
        labels = obj["metadata"].get("labels") or {}
        if not labels:
            raise CommandError(
                f"couldn't retrieve selectors via --selector flag or introspection: "
                f"the pod has no labels and cannot be exposed{_HELP}"
            )
        return dict(labels)
    if kind in ("Service", "ReplicationController"):
        selector = spec.get("selector") or {}
        if not selector:
            raise CommandError(
                "couldn't retrieve selectors via --selector flag or introspection: "
                f"the {kind.lower()} has no pod selector set{_HELP}"
            )
        return dict(selector)
    selector = spec.get("selector") or {}
    if selector.get("matchExpressions"):
        raise CommandError(
            "couldn't retrieve selectors via --selector flag or introspection: couldn't convert "
            f'expressions - "{selector["matchExpressions"]}" to map-based selector format{_HELP}'
        )
    return dict(selector.get("matchLabels") or {})


def _ports_of(obj: dict) -> list[tuple[int, str]]:
    """``PortsForObject`` + ``ProtocolsForObject``: ``(port, protocol)`` in order, unique ports."""
    spec = obj.get("spec") or {}
    if obj["kind"] == "Service":
        pairs = [(p.get("port"), p.get("protocol", "TCP")) for p in spec.get("ports") or ()]
    else:
        pod_spec = spec if obj["kind"] == "Pod" else (spec.get("template") or {}).get("spec") or {}
        pairs = [
            (p.get("containerPort"), p.get("protocol", "TCP"))
            for c in pod_spec.get("containers") or ()
            for p in c.get("ports") or ()
        ]
    seen, result = set(), []
    for port, protocol in pairs:
        if port is not None and port not in seen:
            seen.add(port)
            result.append((port, protocol))
    return result


def _target(value: str):
    return int(value) if value.isdigit() else value


def service_for(obj: dict, flags: dict) -> dict:
    """The Service ``kubectl expose`` would create for ``obj`` with these flags."""
    name = (flags.get("name") or obj["metadata"]["name"])[:63]
    selector = (
        _parse_map(flags["selector"], "selector") if flags.get("selector") else _selector_of(obj)
    )
    headless = flags.get("cluster-ip") == "None"
    if flags.get("port"):
        try:
            found = [(int(p), flags.get("protocol") or "TCP") for p in flags["port"].split(",")]
        except ValueError:
            raise CommandError(f'invalid argument "{flags["port"]}" for "--port" flag') from None
    else:
        found = _ports_of(obj)
        if not found and not headless:
            raise CommandError(f"couldn't find port via --port flag or introspection{_HELP}")
    ports = []
    for i, (port, protocol) in enumerate(found):
        entry = {"port": port, "protocol": flags.get("protocol") or protocol}
        if len(found) > 1:
            entry = {"name": f"port-{i + 1}", **entry}
        entry["targetPort"] = _target(flags["target-port"]) if flags.get("target-port") else port
        ports.append(entry)
    labels = (
        _parse_map(flags["labels"], "labels")
        if flags.get("labels")
        else dict(obj["metadata"].get("labels") or {})
    )
    metadata: dict = {"name": name}
    if labels:
        metadata["labels"] = labels
    spec: dict = {"ports": ports, "selector": selector}
    if flags.get("type"):
        spec["type"] = flags["type"]
    if flags.get("cluster-ip"):
        spec["clusterIP"] = flags["cluster-ip"]
    if flags.get("external-ip"):
        spec["externalIPs"] = flags["external-ip"].split(",")
    if flags.get("load-balancer-ip"):
        spec["loadBalancerIP"] = flags["load-balancer-ip"]
    if flags.get("session-affinity"):
        spec["sessionAffinity"] = flags["session-affinity"]
    return {"apiVersion": "v1", "kind": "Service", "metadata": metadata, "spec": spec}


@register("expose", FLAGS)
def expose_cmd(ctx, flags, args, out) -> None:
    if flags["dry-run"] not in _DRY_RUN:
        raise CommandError(
            f'Invalid dry-run value ({flags["dry-run"]}). Must be "none", "server", or "client".'
        )
    if not args:
        raise CommandError(
            "You must provide one or more resources by argument or filename.\n"
            "Example resource specifications include:\n"
            "   '-f rsrc.yaml'\n"
            "   '--filename=rsrc.json'\n"
            "   '<resource> <name>'\n"
            "   '<resource>'"
        )
    for rt, names in resolve_resources(args):
        if not names:
            raise CommandError("resource(s) were provided, but no name was specified")
        for name in names:
            try:
                if rt.kind not in _EXPOSABLE:
                    group = f".{rt.group}" if rt.group else ""
                    raise CommandError(f"cannot expose a {rt.kind}{group}")
                obj = ctx.client.get(rt.kind, name, ctx.namespace)
                service = service_for(obj, flags)
                service["metadata"]["namespace"] = ctx.namespace
                dry = flags["dry-run"]
                stored = (
                    service
                    if dry == "client"
                    else ctx.client.create(service, dry_run=dry == "server", strict=True)
                )
            except (KubelabError, CommandError) as error:
                out.error(error)
                continue
            _print(out, stored, flags.get("output"), _DRY_RUN[flags["dry-run"]])


def _print(out, obj: dict, output: str | None, suffix: str) -> None:
    from kubelab.kubectl.output import to_json, to_yaml

    if output == "yaml":
        out.print(to_yaml(obj))
    elif output == "json":
        out.print(to_json(obj))
    elif output == "name":
        out.print(f"service/{obj['metadata']['name']}\n")
    else:
        rt = kinds.lookup("Service")
        out.print(f"{kind_label(rt)}/{obj['metadata']['name']} exposed{suffix}\n")
