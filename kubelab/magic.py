"""The ``%kubectl`` notebook magic: ``c.kubectl(...)`` for the notebook's current cluster.

Load it with ``%load_ext kubelab`` (or ``%load_ext kubelab.magic``), then::

    %kubectl get pods -o wide
    %%kubectl
    get nodes
    describe pod web

**Which cluster?** The *current* cluster is, in this order:

1. the one chosen with ``kl.magic.use(c)`` (``kl.magic.use(None)`` forgets the choice);
2. otherwise the Cluster most recently assigned to a variable in a notebook cell
   (``c = kl.Cluster(...)`` makes ``c`` current; a later ``c2 = kl.Cluster()`` takes over);
3. otherwise, when the extension was loaded after the clusters were made, the Cluster in
   the variable ``c``, or the only Cluster among the notebook's variables.

Clusters a lab builds for itself never become current: they live in no notebook variable.

Examples
--------
>>> from kubelab import magic
>>> magic.use(None)  # forget any explicit choice
"""

from __future__ import annotations

import weakref

__all__ = ["current", "kubectl_cell", "kubectl_line", "load_ipython_extension", "use"]

_chosen = None  # weakref to the cluster chosen with use()
_latest = None  # weakref to the cluster most recently assigned in a cell
_seen: dict[str, int] = {}  # variable name -> id() of the Cluster it held after the last cell


def _is_cluster(obj) -> bool:
    from kubelab.cluster import Cluster

    return isinstance(obj, Cluster)


def use(cluster) -> None:
    """Make ``cluster`` the one ``%kubectl`` acts on (``None``: back to the automatic choice)."""
    global _chosen
    if cluster is not None and not _is_cluster(cluster):
        raise TypeError(f"use() needs a kubelab Cluster, not {type(cluster).__name__}")
    _chosen = weakref.ref(cluster) if cluster is not None else None


def _clusters_in(namespace: dict) -> list[tuple[str, object]]:
    return [(k, v) for k, v in list(namespace.items()) if not k.startswith("_") and _is_cluster(v)]


def _track(namespace: dict) -> None:
    """After a cell: a variable that now holds a new Cluster makes that cluster current."""
    global _latest
    now = {}
    for name, obj in _clusters_in(namespace):
        now[name] = id(obj)
        if _seen.get(name) != id(obj):
            _latest = weakref.ref(obj)
    _seen.clear()
    _seen.update(now)


def current(namespace: dict | None = None):
    """The cluster ``%kubectl`` acts on (see the module docstring); ``LookupError`` if none."""
    for ref in (_chosen, _latest):
        cluster = ref() if ref is not None else None
        if cluster is not None:
            return cluster
    clusters = _clusters_in(namespace or {})
    named_c = [obj for name, obj in clusters if name == "c"]
    if named_c:
        return named_c[0]
    if len({id(obj) for _, obj in clusters}) == 1:
        return clusters[0][1]
    if clusters:
        names = ", ".join(sorted(name for name, _ in clusters))
        raise LookupError(f"several clusters ({names}): choose one with kl.magic.use(...)")
    raise LookupError("no cluster yet: create one with  c = kl.Cluster(nodes=3, seed=0)")


def _run(line: str, namespace: dict | None) -> str:
    if isinstance(line, str):  # anything else is for c.kubectl to refuse
        line = line.strip()
        if line.startswith("kubectl "):  # people type it out of habit
            line = line[len("kubectl ") :]
        if not line:
            return "error: say what kubectl should do, e.g. %kubectl get pods"
    if namespace is not None:
        _track(namespace)  # a cluster created earlier in this same cell counts already
    try:
        cluster = current(namespace)
    except LookupError as error:
        return f"error: {error}"
    return cluster.kubectl(line)


def _print(text: str) -> None:
    print(text, end="" if text.endswith("\n") else "\n")


def kubectl_line(line: str, namespace: dict | None = None) -> None:
    """``%kubectl ARGS``: print what ``kubectl ARGS`` prints for the current cluster."""
    _print(_run(line, namespace))


def kubectl_cell(line: str, cell: str, namespace: dict | None = None) -> None:
    """``%%kubectl``: one kubectl command per line of the cell (``#`` starts a comment).

    A command on the magic's own line runs first.
    """
    commands = [line] if line.strip() else []
    for raw in cell.splitlines():
        text = raw.strip()
        if text and not text.startswith("#"):
            commands.append(text)
    for i, command in enumerate(commands):
        if len(commands) > 1:
            print(("\n" if i else "") + f"$ kubectl {command}")
        _print(_run(command, namespace))


def load_ipython_extension(ipython) -> None:
    """Register ``%kubectl`` / ``%%kubectl`` and follow which cluster is current."""

    def line_magic(line):
        kubectl_line(line, ipython.user_ns)

    def cell_magic(line, cell):
        kubectl_cell(line, cell, ipython.user_ns)

    ipython.register_magic_function(line_magic, "line", "kubectl")
    ipython.register_magic_function(cell_magic, "cell", "kubectl")
    # Clusters already in the notebook are "seen": only later assignments change the choice.
    _seen.clear()
    _seen.update({name: id(obj) for name, obj in _clusters_in(ipython.user_ns)})
    callback = _post_run_cell(ipython)
    ipython.events.register("post_run_cell", callback)
    ipython._kubelab_magic_callback = callback  # so unload can find it


def unload_ipython_extension(ipython) -> None:
    callback = getattr(ipython, "_kubelab_magic_callback", None)
    if callback is not None:
        ipython.events.unregister("post_run_cell", callback)


def _post_run_cell(ipython):
    def after_cell(result=None):
        _track(ipython.user_ns)

    return after_cell
