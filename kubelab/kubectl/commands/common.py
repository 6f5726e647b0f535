"""What every kubectl verb shares: the context, resource arguments, common flags, errors."""

from __future__ import annotations

from dataclasses import dataclass, field

from kubelab.api import kinds
from kubelab.errors import BadRequest, KubelabError, go_value
from kubelab.kubectl.flags import Flag, UsageError

__all__ = [
    "NAMESPACE_FLAGS",
    "CommandError",
    "Context",
    "Output",
    "builder_list",
    "kind_label",
    "resolve_resources",
    "resource_type",
]

# The "all" category of `kubectl get all`, in discovery order.
ALL_CATEGORY = (
    "Pod",
    "ReplicationController",
    "Service",
    "DaemonSet",
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "CronJob",
    "Job",
)

NAMESPACE_FLAGS = [Flag("namespace", "n"), Flag("all-namespaces", "A", bool)]


class CommandError(Exception):
    """An error kubectl reports itself (printed as ``error: <message>``)."""


@dataclass
class Output:
    """What a command prints: its output (and warnings) in order, then its errors."""

    out: list[str] = field(default_factory=list)
    err: list[str] = field(default_factory=list)

    def print(self, text: str) -> None:
        self.out.append(text)

    def warn(self, text: str) -> None:
        """A stderr line printed right away (kubectl's warnings), not with the final errors."""
        self.out.append(text if text.endswith("\n") else text + "\n")

    def error(self, error: Exception | str) -> None:
        if isinstance(error, KubelabError):
            self.err.append(str(error))
        elif isinstance(error, CommandError | UsageError):
            self.err.append(f"error: {error}")
        else:
            self.err.append(str(error))

    def text(self) -> str:
        return "".join(self.out) + "".join(
            line if line.endswith("\n") else line + "\n" for line in self.err
        )


@dataclass
class Context:
    """One kubectl invocation: the cluster's API client, its clock and the namespace flags."""

    cluster: object
    verb: str
    namespace: str = "default"
    all_namespaces: bool = False

    @property
    def client(self):
        return self.cluster.api.client("kubectl")

    @property
    def now(self) -> float:
        return self.cluster.now

    def list_namespace(self, rt: kinds.ResourceType) -> str | None:
        """The namespace to list ``rt`` in (``None``: all namespaces or cluster-scoped)."""
        if not rt.namespaced or self.all_namespaces:
            return None
        return self.namespace


def resource_type(name: str, registry=kinds) -> kinds.ResourceType:
    """The type kubectl means by ``name``; ``registry`` is an API server's (custom kinds)."""
    rt = registry.lookup(name)
    if rt is None:
        raise CommandError(f'the server doesn\'t have a resource type "{name}"')
    return rt


def kind_label(rt: kinds.ResourceType) -> str:
    """``pod``, ``replicaset.apps``: how kubectl names a kind in its messages."""
    return rt.singular + (f".{rt.group}" if rt.group else "")


def resolve_resources(
    args: list[str], *, allow_all: bool = False, registry=kinds
) -> list[tuple[kinds.ResourceType, list[str]]]:
    """``TYPE[,TYPE...] [NAME...]`` or ``TYPE/NAME...`` → ``[(type, names), ...]`` in order.

    An empty name list means "every object of that type". ``registry`` resolves the names
    (an API server's :class:`~kubelab.api.kinds.Registry` knows its custom kinds).
    """
    if not args:
        return []
    if "/" in args[0]:
        groups: list[tuple[kinds.ResourceType, list[str]]] = []
        for arg in args:
            type_name, slash, name = arg.partition("/")
            if not slash:
                raise CommandError(
                    "there is no need to specify a resource type as a separate argument when passing "
                    "arguments in resource/name form (e.g. 'kubectl get resource/<resource_name>' instead "
                    "of 'kubectl get resource resource/<resource_name>'"
                )
            if not name:
                raise CommandError(
                    "arguments in resource/name form must have a single resource and name"
                )
            rt = resource_type(type_name, registry)
            for i, (known, names) in enumerate(groups):
                if known is rt:
                    groups[i] = (known, [*names, name])
                    break
            else:
                groups.append((rt, [name]))
        return groups
    names = args[1:]
    if any("/" in n for n in names):
        raise CommandError(
            "there is no need to specify a resource type as a separate argument when passing arguments "
            "in resource/name form (e.g. 'kubectl get resource/<resource_name>' instead of 'kubectl get "
            "resource resource/<resource_name>'"
        )
    types: list[kinds.ResourceType] = []
    for type_name in args[0].split(","):
        if not type_name:
            continue
        if type_name == "all" and allow_all:
            types.extend(kinds.resource_for_kind(k) for k in ALL_CATEGORY)
        else:
            types.append(resource_type(type_name, registry))
    seen, unique = set(), []
    for rt in types:
        if rt.kind not in seen:
            seen.add(rt.kind)
            unique.append(rt)
    return [(rt, list(names)) for rt in unique]


def builder_list(
    ctx, rt: kinds.ResourceType, selector: str | None = None, field_selector: str | None = None
) -> list[dict]:
    """List ``rt`` as kubectl's resource builder does (its ``Selector`` visitor).

    A BadRequest from the API server (a selector it cannot parse) is reworded as the
    builder rewords it, naming the resource and both selectors.
    """
    try:
        return ctx.client.list(
            rt.kind, ctx.list_namespace(rt), selector or None, field_selector or None
        )
    except BadRequest as error:
        gvr = f"{rt.group}/{rt.version}, Resource={rt.plural}"
        if selector or field_selector:
            error.message = (
                f"Unable to find {go_value(gvr)} that match label selector "
                f"{go_value(selector or '')}, field selector {go_value(field_selector or '')}: "
                f"{error.message}"
            )
        else:
            error.message = f"Unable to list {go_value(gvr)}: {error.message}"
        raise


def sort_objects(objs: list[dict]) -> list[dict]:
    """The API server's list order: by namespace, then name (etcd key order)."""
    return sorted(objs, key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))


def visit_objects(ctx, resources: list[str], flags, out):
    """``(type, object)`` for each resource argument, as kubectl's resource builder visits them.

    Named objects are fetched one by one (a missing one is reported and skipped); a bare type
    needs ``--all`` or ``-l`` and then lists in the API server's order.
    """
    for rt, names in resolve_resources(resources, registry=ctx.client.server.kinds):
        if names:
            for name in names:
                try:
                    yield rt, ctx.client.get(rt.kind, name, ctx.namespace)
                except KubelabError as error:
                    out.error(error)
        elif flags["all"] or flags["selector"]:
            for obj in sort_objects(builder_list(ctx, rt, flags["selector"])):
                yield rt, obj
        else:
            raise CommandError("resource(s) were provided, but no name was specified")
