"""``kubectl rollout status|history|undo|pause|resume|restart`` (``kubectl/pkg/cmd/rollout``).

Everything is client side, as in kubectl (``polymorphichelpers``): ``undo`` patches the
Deployment's template back to an old ReplicaSet's (a DaemonSet's back to an old
ControllerRevision's: :mod:`kubelab.kubectl.commands.rollout_daemonset`);
``pause``/``resume``/``restart`` patch the spec. ``status`` watches the Deployment (or
DaemonSet, StatefulSet) and prints one line per change; since the
clock is simulated, it *runs the cluster* while it waits (without ``--timeout`` it gives
up after :data:`DEFAULT_TIMEOUT` simulated seconds, where kubectl would wait forever).

Examples
--------
>>> status_message({"metadata": {"name": "web", "generation": 2},
...                 "spec": {"replicas": 3},
...                 "status": {"observedGeneration": 2, "replicas": 4, "updatedReplicas": 1}})
('Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...\\n', False)
"""

from __future__ import annotations

from kubelab.api import labels
from kubelab.api.meta import is_controlled_by, timestamp
from kubelab.controllers.deployment_util import (
    ANNOTATIONS_TO_SKIP,
    POD_TEMPLATE_HASH,
    equal_ignore_hash,
    revision,
)
from kubelab.errors import KubelabError
from kubelab.kubectl.commands import register
from kubelab.kubectl.commands.common import (
    NAMESPACE_FLAGS,
    CommandError,
    kind_label,
    resolve_resources,
)
from kubelab.kubectl.commands.drain import parse_duration
from kubelab.kubectl.commands.rollout_daemonset import (
    CHANGE_CAUSE,
    revision_table,
    rollback_daemonset,
    template_text,
    view_daemonset_history,
)
from kubelab.kubectl.flags import Flag

__all__ = ["DEFAULT_TIMEOUT", "deployment_revision", "statefulset_status", "status_message"]

DEFAULT_TIMEOUT = 600.0
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"

FLAGS = [
    *NAMESPACE_FLAGS,
    Flag("revision", "", int, 0),
    Flag("to-revision", "", int, 0),
    Flag("timeout", "", str, "0s"),
    Flag("watch", "w", bool, True),
    Flag("selector", "l"),
    Flag("filename", "f", list),
    Flag("dry-run", "", str, "none"),
]
_DRY_RUN = {"none": "", "client": " (dry run)", "server": " (server dry run)"}
_SUBCOMMANDS = ("history", "pause", "restart", "resume", "status", "undo")


@register("rollout", FLAGS)
def rollout_cmd(ctx, flags, args, out) -> None:
    if not args or args[0] not in _SUBCOMMANDS:
        if args:
            raise CommandError(f'unknown command "{args[0]}" for "kubectl rollout"')
        raise CommandError("You must specify a subcommand: " + ", ".join(_SUBCOMMANDS))
    sub, resources = args[0], args[1:]
    if not resources:
        raise CommandError("required resource not specified")
    for rt, names in resolve_resources(resources):
        if not names:
            raise CommandError("resource(s) were provided, but no name was specified")
        for name in names:
            try:
                obj = ctx.client.get(rt.kind, name, ctx.namespace)
                _SUBCOMMAND_HANDLERS[sub](ctx, flags, rt, obj, out)
            except (KubelabError, CommandError) as error:
                out.error(error)
                if sub == "status":
                    return


# -- status --------------------------------------------------------------------------------------
def status_message(d: dict, want_revision: int = 0) -> tuple[str, bool]:
    """``DeploymentStatusViewer.Status``: (message, done); raises ``CommandError``."""
    meta, spec, st = d["metadata"], d.get("spec") or {}, d.get("status") or {}
    name = meta["name"]
    if want_revision > 0:
        current = revision(d)
        if current is None:
            raise CommandError(f'cannot get the revision of deployment "{name}"')
        if current != want_revision:
            raise CommandError(
                f"desired revision ({want_revision}) is different from the running revision ({current})"
            )
    if meta.get("generation", 0) > st.get("observedGeneration", 0):
        return "Waiting for deployment spec update to be observed...\n", False
    for cond in st.get("conditions") or ():
        if cond.get("type") == "Progressing" and cond.get("reason") == "ProgressDeadlineExceeded":
            raise CommandError(f'deployment "{name}" exceeded its progress deadline')
    want = spec.get("replicas", 1)
    updated, total = st.get("updatedReplicas", 0), st.get("replicas", 0)
    available = st.get("availableReplicas", 0)
    prefix = f'Waiting for deployment "{name}" rollout to finish: '
    if updated < want:
        return f"{prefix}{updated} out of {want} new replicas have been updated...\n", False
    if total > updated:
        return f"{prefix}{total - updated} old replicas are pending termination...\n", False
    if available < updated:
        return f"{prefix}{available} of {updated} updated replicas are available...\n", False
    return f'deployment "{name}" successfully rolled out\n', True


def _daemonset_status(ds: dict, _revision: int = 0) -> tuple[str, bool]:
    name, st = ds["metadata"]["name"], ds.get("status") or {}
    if (ds.get("spec") or {}).get("updateStrategy", {}).get("type") != "RollingUpdate":
        raise CommandError("rollout status is only available for RollingUpdate strategy type")
    if ds["metadata"].get("generation", 0) > st.get("observedGeneration", 0):
        return "Waiting for daemon set spec update to be observed...\n", False
    desired = st.get("desiredNumberScheduled", 0)
    prefix = f'Waiting for daemon set "{name}" rollout to finish: '
    if st.get("updatedNumberScheduled", 0) < desired:
        return (
            f"{prefix}{st.get('updatedNumberScheduled', 0)} out of {desired} new pods have been updated...\n",
            False,
        )
    if st.get("numberAvailable", 0) < desired:
        return (
            f"{prefix}{st.get('numberAvailable', 0)} of {desired} updated pods are available...\n",
            False,
        )
    return f'daemon set "{name}" successfully rolled out\n', True


def statefulset_status(sts: dict, _revision: int = 0) -> tuple[str, bool]:
    """``StatefulSetStatusViewer.Status``: with a defaulted ``rollingUpdate`` (partition 0)
    the last line is the "partitioned roll out complete" one, as kubectl prints it.

    >>> statefulset_status({"metadata": {"generation": 1}, "spec": {"replicas": 3,
    ...     "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}},
    ...     "status": {"observedGeneration": 1, "readyReplicas": 3, "updatedReplicas": 3}})
    ('partitioned roll out complete: 3 new pods have been updated...\\n', True)
    """
    spec, st = sts.get("spec") or {}, sts.get("status") or {}
    strategy = spec.get("updateStrategy") or {}
    if strategy.get("type") != "RollingUpdate":
        raise CommandError("rollout status is only available for RollingUpdate strategy type")
    observed = st.get("observedGeneration", 0)
    if not observed or sts["metadata"].get("generation", 0) > observed:
        return "Waiting for statefulset spec update to be observed...\n", False
    replicas, ready = spec.get("replicas", 1), st.get("readyReplicas", 0)
    if ready < replicas:
        return f"Waiting for {replicas - ready} pods to be ready...\n", False
    updated = st.get("updatedReplicas", 0)
    rolling = strategy.get("rollingUpdate")
    if rolling is not None:
        partition = rolling.get("partition")
        if partition is not None and updated < replicas - partition:
            return (
                "Waiting for partitioned roll out to finish: "
                f"{updated} out of {replicas - partition} new pods have been updated...\n",
                False,
            )
        return f"partitioned roll out complete: {updated} new pods have been updated...\n", True
    if st.get("updateRevision") != st.get("currentRevision"):
        return (
            f"waiting for statefulset rolling update to complete {updated} pods at revision "
            f"{st.get('updateRevision', '')}...\n",
            False,
        )
    return (
        f"statefulset rolling update complete {st.get('currentReplicas', 0)} pods at revision "
        f"{st.get('currentRevision', '')}...\n",
        True,
    )


_VIEWERS = {
    "Deployment": status_message,
    "DaemonSet": _daemonset_status,
    "StatefulSet": statefulset_status,
}


def _status(ctx, flags, rt, obj, out) -> None:
    viewer = _VIEWERS.get(rt.kind)
    if viewer is None:
        raise CommandError(f"no status viewer has been implemented for {rt.kind}.{rt.group}")
    try:
        timeout = parse_duration(flags["timeout"])
    except ValueError as error:
        raise CommandError(str(error)) from None
    cluster, meta = ctx.cluster, obj["metadata"]
    deadline = ctx.now + (timeout if timeout > 0 else DEFAULT_TIMEOUT)
    seen: list[dict | None] = []

    def on_event(event: str, changed: dict, _old) -> None:
        m = changed["metadata"]
        if m["name"] == meta["name"] and m.get("namespace") == meta.get("namespace"):
            seen.append(None if event == "DELETED" else changed)

    unwatch = cluster.api.store.watch(rt.kind, on_event)
    try:
        pending: list[dict | None] = [obj]  # the list: an ADDED event, then the watch
        while True:
            for current in pending:
                if current is None:
                    raise CommandError(f'{rt.plural}.{rt.group} "{meta["name"]}" not found')
                message, done = viewer(current, flags["revision"])
                out.print(message)
                if done or not flags["watch"]:
                    return
            seen.clear()
            if not cluster.clock.run_until(deadline, lambda: bool(seen)):
                raise CommandError("timed out waiting for the condition")
            pending = list(seen)
    finally:
        unwatch()


# -- history and undo ---------------------------------------------------------------------------
def _owned_replica_sets(client, d: dict) -> list[dict]:
    """``GetAllReplicaSets``: sets matching the selector and controlled by the Deployment."""
    selector = labels.from_label_selector((d.get("spec") or {}).get("selector"))
    found = client.list("ReplicaSet", d["metadata"].get("namespace"), selector)
    return [rs for rs in found if is_controlled_by(rs, d)]


def _history(ctx, flags, rt, obj, out) -> None:
    viewer = _HISTORY_VIEWERS.get(rt.kind)
    if viewer is None:
        raise CommandError(f'no history viewer has been implemented for "{rt.kind}.{rt.group}"')
    want = flags["revision"]
    text = viewer(ctx.client, obj, want)
    name = f"{kind_label(rt)}/{obj['metadata']['name']}"
    header = f"{name} with revision #{want}" if want > 0 else name
    out.print(f"{header}\n{text}\n")


def _deployment_history(client, d: dict, want: int) -> str:
    """``DeploymentHistoryViewer.ViewHistory``: revisions are the owned ReplicaSets'."""
    info: dict[int, dict] = {}
    for rs in _owned_replica_sets(client, d):
        number = revision(rs)
        if number is None:
            continue
        template = dict(rs["spec"].get("template") or {})
        cause = (rs["metadata"].get("annotations") or {}).get(CHANGE_CAUSE)
        if cause:
            tmeta = dict(template.get("metadata") or {})
            tmeta["annotations"] = {**(tmeta.get("annotations") or {}), CHANGE_CAUSE: cause}
            template["metadata"] = tmeta
        info[number] = template
    if not info:
        return "No rollout history found."
    if want > 0:
        if want not in info:
            raise CommandError("unable to find the specified revision")
        return template_text(info[want])
    return revision_table(
        {
            number: ((template.get("metadata") or {}).get("annotations") or {}).get(CHANGE_CAUSE)
            for number, template in info.items()
        }
    )


_HISTORY_VIEWERS = {
    "Deployment": _deployment_history,
    "DaemonSet": view_daemonset_history,
    "StatefulSet": view_daemonset_history,
}


def deployment_revision(replica_sets: list[dict], to_revision: int, name: str) -> dict:
    """``deploymentRevision``: the set of revision ``to_revision`` (0: the previous one).

    >>> sets = [{"metadata": {"annotations": {"deployment.kubernetes.io/revision": r}}}
    ...         for r in ("1", "3", "2")]
    >>> deployment_revision(sets, 0, "web")["metadata"]["annotations"]
    {'deployment.kubernetes.io/revision': '2'}
    """
    latest, latest_rev, previous, previous_rev = None, -1, None, -1
    for rs in replica_sets:
        number = revision(rs)
        if number is None:
            continue
        if to_revision == 0:
            if latest_rev < number:
                previous, previous_rev, latest, latest_rev = latest, latest_rev, rs, number
            elif previous_rev < number:
                previous, previous_rev = rs, number
        elif number == to_revision:
            return rs
    if to_revision > 0:
        raise CommandError(f"unable to find specified revision {to_revision} in history")
    if previous is None:
        raise CommandError(f'no rollout history found for deployment "{name}"')
    return previous


def _undo(ctx, flags, rt, obj, out) -> None:
    rollbacker = _ROLLBACKERS.get(rt.kind)
    if rollbacker is None:
        raise CommandError(f'no rollbacker has been implemented for "{rt.kind}.{rt.group}"')
    dry_run = flags["dry-run"]
    if dry_run not in _DRY_RUN:
        raise CommandError(
            f'Invalid dry-run value ({dry_run}). Must be "none", "server", or "client".'
        )
    operation = rollbacker(ctx.client, obj, flags["to-revision"], dry_run)
    out.print(f"{kind_label(rt)}/{obj['metadata']['name']} {operation}{_DRY_RUN[dry_run]}\n")


def _rollback_deployment(client, d: dict, to_revision: int, dry_run: str) -> str:
    """``DeploymentRollbacker.Rollback``: the old set's template and annotations, as a JSON patch."""
    meta = d["metadata"]
    if to_revision < 0:
        raise CommandError(f"unable to find specified revision {to_revision} in history")
    target = deployment_revision(_owned_replica_sets(client, d), to_revision, meta["name"])
    if dry_run == "client":  # upstream prints the bare template here (no "will roll back to")
        return template_text(target["spec"].get("template") or {})
    if d["spec"].get("paused"):
        raise CommandError(
            "you cannot rollback a paused deployment; resume it first with "
            f"'kubectl rollout resume deployment/{meta['name']}' and try again"
        )
    if equal_ignore_hash(target["spec"].get("template"), d["spec"].get("template")):
        return f"skipped rollback (current template already matches revision {to_revision})"
    template = dict(target["spec"]["template"])
    tmeta = dict(template.get("metadata") or {})
    tlabels = {k: v for k, v in (tmeta.get("labels") or {}).items() if k != POD_TEMPLATE_HASH}
    tmeta["labels"] = tlabels
    template["metadata"] = tmeta
    annotations = {
        k: v for k, v in (meta.get("annotations") or {}).items() if k in ANNOTATIONS_TO_SKIP
    }
    for k, v in (target["metadata"].get("annotations") or {}).items():
        if k not in ANNOTATIONS_TO_SKIP:
            annotations[k] = v
    patch = [
        {"op": "replace", "path": "/spec/template", "value": template},
        {"op": "replace", "path": "/metadata/annotations", "value": annotations},
    ]
    try:
        client.patch(
            "Deployment",
            meta["name"],
            meta.get("namespace"),
            patch,
            "json",
            dry_run=dry_run == "server",
        )
    except KubelabError as error:
        raise CommandError(f"failed restoring revision {to_revision}: {error}") from None
    return "rolled back"


_ROLLBACKERS = {
    "Deployment": _rollback_deployment,
    "DaemonSet": rollback_daemonset,
    "StatefulSet": rollback_daemonset,
}


# -- pause, resume, restart ------------------------------------------------------------------
def _patch_spec(ctx, rt, obj, patch, done: str, out) -> None:
    meta = obj["metadata"]
    ctx.client.patch(rt.kind, meta["name"], meta.get("namespace") or ctx.namespace, patch)
    out.print(f"{kind_label(rt)}/{meta['name']} {done}\n")


def _refuse(rt, obj, why: str) -> CommandError:
    return CommandError(f'{rt.plural}.{rt.group} "{obj["metadata"]["name"]}" {why}')


def _pause(ctx, flags, rt, d, out) -> None:
    if rt.kind != "Deployment":
        raise _refuse(rt, d, "pausing is not supported")
    if d["spec"].get("paused"):
        raise _refuse(rt, d, "is already paused")
    _patch_spec(ctx, rt, d, {"spec": {"paused": True}}, "paused", out)


def _resume(ctx, flags, rt, d, out) -> None:
    if rt.kind != "Deployment":
        raise _refuse(rt, d, "resuming is not supported")
    if not d["spec"].get("paused"):
        raise _refuse(rt, d, "is not paused")
    _patch_spec(ctx, rt, d, {"spec": {"paused": None}}, "resumed", out)


def _restart(ctx, flags, rt, obj, out) -> None:
    if rt.kind not in ("Deployment", "DaemonSet", "StatefulSet"):
        raise _refuse(rt, obj, "restarting is not supported")
    if obj["spec"].get("paused"):
        raise _refuse(rt, obj, "can't restart paused deployment (run rollout resume first)")
    patch = {
        "spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: timestamp(ctx.now)}}}}
    }
    _patch_spec(ctx, rt, obj, patch, "restarted", out)


_SUBCOMMAND_HANDLERS = {
    "status": _status,
    "history": _history,
    "undo": _undo,
    "pause": _pause,
    "resume": _resume,
    "restart": _restart,
}
