"""``kubectl drain``: cordon a node, then evict its pods (``staging/.../kubectl/pkg/drain``).

Pre-flight filters refuse DaemonSet pods (without ``--ignore-daemonsets``), pods with
``emptyDir`` data (without ``--delete-emptydir-data``) and pods no controller would
replace (without ``--force``). The others are evicted through ``pods/eviction``, all at
once as kubectl's goroutines do; an eviction a PodDisruptionBudget refuses (429) is retried
every 5 s. kubectl waits on the *simulated* clock: drain runs the cluster while it waits,
so a drain that takes 40 s leaves the cluster 40 s later. Without ``--timeout`` kubelab
gives up after :data:`DEFAULT_TIMEOUT` simulated seconds (kubectl would wait forever).

Examples
--------
>>> parse_duration("1m30s"), parse_duration("300ms"), format_duration(300), format_duration(90)
(90.0, 0.3, '5m0s', '1m30s')
"""

from __future__ import annotations

import re

from kubelab.api import labels
from kubelab.errors import KubelabError, NotFound, TooManyRequests
from kubelab.kubectl.commands import register
from kubelab.kubectl.commands.common import CommandError, sort_objects
from kubelab.kubectl.commands.cordon import cordon_nodes, target_nodes
from kubelab.kubectl.flags import Flag, UsageError

__all__ = ["DEFAULT_TIMEOUT", "format_duration", "parse_duration", "pods_for_deletion"]

DEFAULT_TIMEOUT = 300.0
RETRY_SECONDS, POLL_SECONDS = 5.0, 1.0

FLAGS = [
    Flag("force", "", bool),
    Flag("ignore-daemonsets", "", bool),
    Flag("delete-emptydir-data", "", bool),
    Flag("delete-local-data", "", bool),
    Flag("grace-period", "", int, -1),
    Flag("timeout", "", str, "0s"),
    Flag("pod-selector"),
    Flag("selector", "l"),
    Flag("disable-eviction", "", bool),
    Flag("skip-wait-for-delete-timeout", "", int, 0),
    Flag("dry-run", "", str, "none"),
]

_DAEMONSET_FATAL = "DaemonSet-managed Pods (use --ignore-daemonsets to ignore)"
_DAEMONSET_WARNING = "ignoring DaemonSet-managed Pods"
_LOCAL_STORAGE_FATAL = "Pods with local storage (use --delete-emptydir-data to override)"
_LOCAL_STORAGE_WARNING = "deleting Pods with local storage"
_UNMANAGED_FATAL = "cannot delete Pods that declare no controller (use --force to override)"
_UNMANAGED_WARNING = "deleting Pods that declare no controller"
_MIRROR = "kubernetes.io/config.mirror"
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")


def parse_duration(text: str) -> float:
    """Go's ``time.ParseDuration`` (seconds); ``ValueError`` for what Go refuses.

    >>> parse_duration("2h"), parse_duration("0")
    (7200.0, 0.0)
    >>> parse_duration("2562048h")
    Traceback (most recent call last):
    ...
    ValueError: time: invalid duration "2562048h"
    """
    body = text.lstrip("+-")
    if body == "0":
        return 0.0
    pos, total = 0, 0.0
    for match in _DURATION.finditer(body):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if not body or pos != len(body) or total * 1e9 >= 2**63:  # int64 nanoseconds overflow
        raise ValueError(f'time: invalid duration "{text}"')
    return -total if text.startswith("-") else total


def format_duration(seconds: float) -> str:
    """Go's ``Duration.String()`` for whole and fractional seconds.

    >>> format_duration(3600), format_duration(0), format_duration(2.5)
    ('1h0m0s', '0s', '2.5s')
    """
    if seconds == 0:
        return "0s"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    secs_text = f"{secs:g}s"
    if hours:
        return f"{int(hours)}h{int(minutes)}m{secs_text}"
    if minutes:
        return f"{int(minutes)}m{secs_text}"
    return secs_text


# -- which pods (filters.go) --------------------------------------------------------------------
def _phase_done(pod: dict) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def _daemonset_filter(ctx, flags, pod):
    ref = _controller(pod)
    if ref is None or ref.get("kind") != "DaemonSet" or _phase_done(pod):
        return True, None, None
    try:
        ctx.client.get("DaemonSet", ref["name"], pod["metadata"]["namespace"])
    except KubelabError as error:
        if isinstance(error, NotFound) and flags["force"]:
            return True, "Warning", error.message
        return False, "Error", error.message
    if not flags["ignore-daemonsets"]:
        return False, "Error", _DAEMONSET_FATAL
    return False, "Warning", _DAEMONSET_WARNING


def _mirror_filter(ctx, flags, pod):
    if _MIRROR in (pod["metadata"].get("annotations") or {}):
        return False, "Skip", None
    return True, None, None


def _local_storage_filter(ctx, flags, pod):
    if not any("emptyDir" in v for v in pod["spec"].get("volumes") or ()) or _phase_done(pod):
        return True, None, None
    if not (flags["delete-emptydir-data"] or flags["delete-local-data"]):
        return False, "Error", _LOCAL_STORAGE_FATAL
    return True, "Warning", _LOCAL_STORAGE_WARNING  # dropped by the next filter, as upstream


def _unreplicated_filter(ctx, flags, pod):
    if _phase_done(pod) or _controller(pod) is not None:
        return True, None, None
    if flags["force"]:
        return True, "Warning", _UNMANAGED_WARNING
    return False, "Error", _UNMANAGED_FATAL


_FILTERS = (_daemonset_filter, _mirror_filter, _local_storage_filter, _unreplicated_filter)


def pods_for_deletion(ctx, flags, node: str) -> tuple[list[dict], str, list[str]]:
    """``GetPodsForDeletion`` → ``(pods to evict, warnings, errors)``."""
    pods = ctx.client.list("Pod", None, flags["pod-selector"] or None, f"spec.nodeName={node}")
    keep, warnings, errors = [], {}, {}
    for pod in sort_objects(pods):
        status = (True, None, None)
        for filter_ in _FILTERS:
            status = filter_(ctx, flags, pod)
            if not status[0]:
                break
        delete, reason, message = status
        ident = f"{pod['metadata']['namespace']}/{pod['metadata']['name']}"
        if reason == "Warning":
            warnings.setdefault(message, []).append(ident)
        elif reason == "Error":
            errors.setdefault(message or "unexpected error", []).append(ident)
        if delete:
            keep.append(pod)
    warning = "; ".join(f"{m}: {', '.join(p)}" for m, p in warnings.items())
    errs = [
        f"{m}: {', '.join(p)}"
        if m.lower().startswith("cannot delete")
        else f"cannot delete {m}: {', '.join(p)}"
        for m, p in errors.items()
    ]
    return keep, warning, errs


def _controller(pod: dict) -> dict | None:
    for ref in pod["metadata"].get("ownerReferences") or ():
        if ref.get("controller"):
            return ref
    return None


# -- evicting, on the simulated clock ---------------------------------------------------------
def _aggregate(errors: list[str]) -> str:
    return errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]"


class _Drainer:
    def __init__(self, ctx, flags, out, timeout: float, shown_timeout: str):
        self.ctx, self.flags, self.out = ctx, flags, out
        self.deadline = ctx.now + timeout
        self.shown_timeout = shown_timeout
        grace = flags["grace-period"]
        self.grace = None if grace < 0 else grace

    def _sleep_until(self, when: float) -> None:
        if when > self.ctx.now:
            self.ctx.cluster.run(when - self.ctx.now)

    def _gone(self, pod: dict) -> bool:
        meta = pod["metadata"]
        try:
            live = self.ctx.client.get("Pod", meta["name"], meta["namespace"])
        except NotFound:
            return True
        return live["metadata"].get("uid") != meta.get("uid")

    def evict_pods(self, pods: list[dict]) -> list[str]:
        """``evictPods``: every pod's eviction loop, interleaved in simulated time."""
        # per pod: [next time, stage ("evict" | "wait"), pod]
        work = [[self.ctx.now, "evict", pod] for pod in pods]
        errors: list[str] = []
        while work:
            self._sleep_until(min(w[0] for w in work))
            now = self.ctx.now
            for item in list(work):
                if item[0] > now:
                    continue
                done, error = self._step(item, now)
                if done:
                    work.remove(item)
                    if error:
                        errors.append(error)
        return errors

    def _step(self, item: list, now: float) -> tuple[bool, str | None]:
        pod = item[2]
        name, ns = pod["metadata"]["name"], pod["metadata"]["namespace"]
        if item[1] == "evict":
            self.out.print(f"evicting pod {ns}/{name}\n")
            if now >= self.deadline:
                return True, (
                    f'error when evicting pods/"{name}" -n "{ns}": global timeout reached: '
                    f"{self.shown_timeout}"
                )
            try:
                self.ctx.client.evict(name, ns, grace_period=self.grace)
            except NotFound:
                return True, None
            except TooManyRequests as error:
                self.out.warn(
                    f'error when evicting pods/"{name}" -n "{ns}" (will retry after 5s): '
                    f"{error.message}"
                )
                item[0] = now + RETRY_SECONDS
                return False, None
            except KubelabError as error:
                return True, f'error when evicting pods/"{name}" -n "{ns}": {error.message}'
            item[1] = "wait"
        if self._gone(pod):  # PollImmediate: look at once, then every second
            self.out.print(f"pod/{name} evicted\n")
            return True, None
        if now >= self.deadline:
            return True, (
                f'error when waiting for pod "{name}" in namespace "{ns}" to terminate: '
                f"global timeout reached: {self.shown_timeout}"
            )
        item[0] = now + POLL_SECONDS
        return False, None

    def delete_pods(self, pods: list[dict]) -> list[str]:
        """``deletePods`` (``--disable-eviction``): plain deletes, budgets ignored."""
        for pod in pods:
            meta = pod["metadata"]
            try:
                self.ctx.client.delete(
                    "Pod", meta["name"], meta["namespace"], grace_period=self.grace
                )
            except NotFound:
                continue
            except KubelabError as error:
                return [error.message]
        pending = list(pods)
        while True:
            still = []
            for pod in pending:
                if self._gone(pod):
                    self.out.print(f"pod/{pod['metadata']['name']} deleted\n")
                else:
                    still.append(pod)
            pending = still
            if not pending:
                return []
            if self.ctx.now >= self.deadline:
                return ["timed out waiting for the condition"]
            self._sleep_until(self.ctx.now + POLL_SECONDS)


def _valid_selector(text: str) -> bool:
    try:
        labels.parse(text)
    except labels.SelectorError:
        return False
    return True


@register("drain", FLAGS, namespaced=False)
def drain_cmd(ctx, flags, args, out) -> None:
    try:
        timeout = parse_duration(flags["timeout"])
    except ValueError as error:
        raise UsageError(
            f'invalid argument "{flags["timeout"]}" for "--timeout" flag: {error}'
        ) from None
    if flags["pod-selector"] and not _valid_selector(flags["pod-selector"]):
        raise CommandError("--pod-selector=<pod_selector> must be a valid label selector")
    shown = format_duration(timeout) if timeout > 0 else format_duration(DEFAULT_TIMEOUT)
    dry_run = flags["dry-run"] not in ("none", "", "false")
    nodes = target_nodes(ctx, "drain", args, flags["selector"])
    cordon_nodes(ctx, nodes, True, out, dry_run=dry_run)
    fatal, remaining = [], []
    for node in nodes:
        name = node["metadata"]["name"]
        drainer = _Drainer(ctx, flags, out, timeout if timeout > 0 else DEFAULT_TIMEOUT, shown)
        errors = _drain_node(ctx, flags, out, drainer, name, dry_run)
        if not errors:
            out.print(f"node/{name} drained\n")
            continue
        out.warn(
            f'error: unable to drain node "{name}" due to error: {_aggregate(errors)}, '
            "continuing command..."
        )
        fatal.append(errors)
        remaining.append(name)
    if remaining:
        out.warn("There are pending nodes to be drained:\n" + "".join(f" {n}\n" for n in remaining))
    if len(fatal) == 1:
        out.err.extend(fatal[0])  # kubectl prints an aggregate's errors one per line
    elif fatal:
        out.err.extend(_aggregate(errs) for errs in fatal)


def _drain_node(ctx, flags, out, drainer: _Drainer, node: str, dry_run: bool) -> list[str]:
    """``deleteOrEvictPodsSimple``: the node's errors (empty when drained)."""
    pods, warnings, errors = pods_for_deletion(ctx, flags, node)
    if errors:
        return errors
    if warnings:
        out.warn(f"Warning: {warnings}")
    if dry_run:
        for pod in pods:
            out.print(
                f"evicting pod {pod['metadata']['namespace']}/{pod['metadata']['name']} (dry run)\n"
            )
        return []
    if not pods:
        return []
    errors = drainer.delete_pods(pods) if flags["disable-eviction"] else drainer.evict_pods(pods)
    if errors:
        pending, _, _ = pods_for_deletion(ctx, flags, node)
        if pending:
            out.warn(
                f'There are pending pods in node "{node}" when an error occurred: '
                f"{_aggregate(errors)}\n"
                + "".join(f"pod/{p['metadata']['name']}\n" for p in pending)
            )
    return errors
