"""kubectl's table printer: a server Table → the text ``kubectl get`` prints.

Mirrors ``cli-runtime/pkg/printers/tableprinter.go``: upper-case headers,
priority-1 columns only with ``-o wide``, the NAMESPACE column first with
``-A``, ``-L`` label columns and a final ``LABELS`` column with
``--show-labels``, ``kind/name`` in the name column when several kinds are
printed, and Go's tabwriter (``minwidth 6, padding 3``) for the layout.

Examples
--------
>>> table = {"columnDefinitions": [
...     {"name": "Name", "type": "string", "format": "name", "priority": 0},
...     {"name": "Age", "type": "string", "format": "", "priority": 0}],
...     "rows": [{"cells": ["web", "5s"], "object": {"metadata": {"name": "web",
...               "namespace": "default", "labels": {"app": "web"}}}}]}
>>> print(render_table(table, show_labels=True), end="")
NAME   AGE   LABELS
web    5s    app=web
>>> print(render_table(table, with_namespace=True, kind_prefix="pod"), end="")
NAMESPACE   NAME      AGE
default     pod/web   5s
>>> no_resources_message("default")
'No resources found in default namespace.'
"""

from __future__ import annotations

from collections.abc import Sequence

from kubelab.kubectl.tables import format_labels
from kubelab.kubectl.tabwriter import tabulate

__all__ = ["format_cell", "no_resources_message", "render_table"]


def format_cell(cell) -> str:
    """A cell as Go's ``fmt.Fprint`` writes it (strings cut at their first newline)."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, str):
        if "\n" in cell:
            return cell[: cell.index("\n")] + "..."
        return cell
    return str(cell)


def _label_header(key: str) -> str:
    return key.split("/")[-1].upper()


def render_table(
    table: dict,
    *,
    wide: bool = False,
    show_labels: bool = False,
    label_columns: Sequence[str] = (),
    with_namespace: bool = False,
    no_headers: bool = False,
    kind_prefix: str = "",
) -> str:
    """Render a Table as ``kubectl get`` does; ``""`` when it has no rows.

    ``kind_prefix`` (e.g. ``"replicaset.apps"``) turns names into ``kind/name``, as
    kubectl does when one command prints several kinds (``get all``, ``get rs,pods``).
    """
    return tabulate(
        table_lines(
            table,
            wide=wide,
            show_labels=show_labels,
            label_columns=label_columns,
            with_namespace=with_namespace,
            no_headers=no_headers,
            kind_prefix=kind_prefix,
        )
    )


def table_lines(
    table,
    *,
    wide=False,
    show_labels=False,
    label_columns=(),
    with_namespace=False,
    no_headers=False,
    kind_prefix="",
) -> str:
    """The tab-separated text kubectl hands to its tabwriter (before alignment)."""
    rows = table.get("rows") or []
    if not rows:
        return ""
    columns = table["columnDefinitions"]
    visible = [i for i, c in enumerate(columns) if wide or not c.get("priority")]
    name_col = next(
        (
            i
            for i, c in enumerate(columns)
            if c.get("format") == "name" and c.get("type") == "string"
        ),
        None,
    )
    lines = []
    if not no_headers:
        header = [columns[i]["name"].upper() for i in visible]
        header += [_label_header(k) for k in label_columns]
        if show_labels:
            header.append("LABELS")
        if with_namespace:
            header.insert(0, "NAMESPACE")
        lines.append("\t".join(header))
    for row in rows:
        cells = list(row["cells"])
        if kind_prefix and name_col is not None:
            cells[name_col] = f"{kind_prefix}/{cells[name_col]}"
        out = [format_cell(cells[i]) if i < len(cells) else "" for i in visible]
        meta = (row.get("object") or {}).get("metadata") or {}
        obj_labels = meta.get("labels") or {}
        out += [obj_labels.get(k, "") for k in label_columns]
        if show_labels:
            out.append(format_labels(obj_labels))
        if with_namespace:
            out.insert(0, meta.get("namespace", ""))
        lines.append("\t".join(out))
    return "\n".join(lines) + "\n"


def no_resources_message(namespace: str | None) -> str:
    """What kubectl prints (on stderr) when a list is empty; ``None`` for all namespaces."""
    if namespace:
        return f"No resources found in {namespace} namespace."
    return "No resources found"
