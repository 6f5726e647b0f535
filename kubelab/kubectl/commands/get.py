"""``kubectl get``: tables, wide tables, labels, YAML/JSON/name/jsonpath output."""

from __future__ import annotations

import copy

from kubelab.apiserver import crds
from kubelab.errors import KubelabError, go_value
from kubelab.kubectl import jsonpath, output
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
from kubelab.kubectl.render import no_resources_message, render_table
from kubelab.kubectl.tables import table_for

FLAGS = [
    *NAMESPACE_FLAGS,
    Flag("output", "o", str, ""),
    Flag("selector", "l"),
    Flag("field-selector"),
    Flag("show-labels", "", bool),
    Flag("label-columns", "L", list),
    Flag("no-headers", "", bool),
    Flag("watch", "w", bool),
    Flag("watch-only", "", bool),
    Flag("ignore-not-found", "", bool),
    Flag("show-kind", "", bool),
]

_USAGE = (
    'You must specify the type of resource to get. Use "kubectl api-resources" for a complete list '
    'of supported resources.\n\nerror: Required resource not specified.\nUse "kubectl explain '
    '<resource>" for a detailed description of that resource (e.g. kubectl explain pods).\n'
    "See 'kubectl get -h' for help and examples"
)


def event_order(event: dict) -> tuple:
    """Events by time last seen; ties in the order the API server stored them."""
    rv = event["metadata"].get("resourceVersion") or "0"
    return (
        event.get("lastTimestamp") or event.get("firstTimestamp") or "",
        int(rv) if rv.isdigit() else 0,
    )


def fetch(ctx, rt, names, flags, out) -> list[dict]:
    """The objects a get/describe names: by name (errors go to ``out``) or by listing."""
    client = ctx.client
    if names:
        found = []
        for name in names:
            try:
                found.append(client.get(rt.kind, name, ctx.namespace))
            except KubelabError as error:
                if not flags.get("ignore-not-found"):
                    out.error(error)
        return found
    objs = builder_list(ctx, rt, flags.get("selector"), flags.get("field-selector"))
    if rt.kind == "Event":
        return sorted(objs, key=event_order)
    return sort_objects(objs)


@register("get", FLAGS)
def get(ctx, flags, args, out) -> None:
    if flags["watch"] or flags["watch-only"]:
        raise CommandError(
            "watching (-w) is not supported in kubelab: advance time with c.run(seconds) "
            "and run get again"
        )
    if not args:
        out.err.append(_USAGE)
        return
    fmt = flags["output"]
    if fmt not in (
        "",
        "wide",
        "yaml",
        "json",
        "name",
        "jsonpath",
        "jsonpath-as-json",
    ) and not fmt.startswith(("jsonpath=", "jsonpath-as-json=")):
        raise CommandError(
            f'unable to match a printer suitable for the output format "{fmt}", allowed formats are: '
            "json,jsonpath,jsonpath-as-json,name,wide,yaml"
        )
    if fmt.startswith(("jsonpath=", "jsonpath-as-json=")) or fmt in (
        "jsonpath",
        "jsonpath-as-json",
    ):
        _parse_template(fmt.partition("=")[2])
    groups = resolve_resources(args, allow_all=True, registry=ctx.client.server.kinds)
    many_kinds = len(groups) > 1 or flags["show-kind"]
    single_item = len(groups) == 1 and len(groups[0][1]) == 1
    named = all(names for _, names in groups)
    collected: list[dict] = []
    written = False
    all_namespaced = not ctx.all_namespaces
    for rt, names in groups:
        all_namespaced = all_namespaced and rt.namespaced
        try:
            objs = fetch(ctx, rt, names, flags, out)
        except KubelabError as error:
            out.error(error)
            continue
        if fmt in ("", "wide"):
            server = ctx.client.server
            columns = crds.printer_columns(server, rt) if rt.custom else None
            text = render_table(
                table_for(objs, rt.kind, ctx.now, columns),
                wide=fmt == "wide",
                show_labels=flags["show-labels"],
                label_columns=[c for cols in flags["label-columns"] for c in cols.split(",") if c],
                with_namespace=ctx.all_namespaces and rt.namespaced,
                no_headers=flags["no-headers"],
                kind_prefix=kind_label(rt) if many_kinds else "",
            )
            if text:
                if written and not flags["no-headers"]:
                    out.print("\n")
                out.print(text)
                written = True
        else:
            collected.extend(objs)
    if fmt not in ("", "wide") and (collected or not named):
        written = _print_objects(collected, fmt, single_item and len(collected) == 1, out)
    if not written and not out.err and not flags["ignore-not-found"]:
        out.err.append(no_resources_message(ctx.namespace if all_namespaced else None))


def _print_objects(objs: list[dict], fmt: str, single: bool, out) -> bool:
    if fmt == "name":
        for obj in objs:
            out.print(output.to_name(obj) + "\n")
        return bool(objs)
    data = copy.deepcopy(objs[0]) if single else output.list_wrapper(copy.deepcopy(objs))
    if fmt == "yaml":
        out.print(output.to_yaml(data))
    elif fmt == "json":
        out.print(output.to_json(data))
    else:
        template = fmt.partition("=")[2]
        try:
            if fmt.startswith("jsonpath-as-json"):
                for results in jsonpath.render_results(template, data):
                    out.print(output.to_json(results))
            else:
                out.print(jsonpath.render(template, data))
        except jsonpath.JSONPathExecutionError as error:
            raise CommandError(
                f"error executing jsonpath {go_value(template)}: Error executing template: {error}. "
                "Printing more information for debugging the template:\n"
                f"\ttemplate was:\n\t\t{template}\n"
                f"\tobject given to jsonpath engine was:\n\t\t{go_value(data)}\n\n"
            ) from None
    return True


def _parse_template(template: str) -> None:
    """The jsonpath printer's checks (``JSONPathPrintFlags.ToPrinter``), before any request."""
    if not template:
        raise CommandError("template format specified but no template given")
    try:
        jsonpath.parse(template)
    except jsonpath.JSONPathError as error:
        raise CommandError(f"error parsing jsonpath {template}, {error}") from None
