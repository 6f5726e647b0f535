"""``kubectl exec POD [-c CONTAINER] -- COMMAND [args...]``: run a command in a container.

The API server hands an exec to the pod's kubelet; here the kubelet's view of the
container (its writable layer plus its mounted volumes, :func:`kubelab.kubelet.volumes.container_fs`)
runs a tiny shell (:mod:`kubelab.storage.shell`): ``sh -c 'echo hello > /data/greeting'``,
``cat``, ``ls``, ``rm``, ``date``, ``hostname``, ``env`` … Its stdout and stderr come back as
kubectl prints them, and a non-zero exit status as ``command terminated with exit code N``.
Time does not pass during an exec. More commands: add ``fn(sh, args, stdin) -> (stdout,
exit code)`` to ``kubelab.storage.commands.BUILTINS``; ``sh.context`` holds the ``cluster``, the
``pod`` and the ``container`` spec. ``-i``/``-t`` are accepted (there is no terminal: an
interactive shell exits at once).

Examples
--------
>>> import kubelab as kl
>>> c = kl.Cluster(nodes=1, seed=0)
>>> _ = c.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"}, "spec": {
...     "containers": [{"name": "nginx", "image": "nginx",
...                     "volumeMounts": [{"name": "data", "mountPath": "/data"}]}],
...     "volumes": [{"name": "data", "emptyDir": {}}]}})
>>> _ = c.run(20)
>>> c.kubectl("exec web -- sh -c 'echo hello > /data/greeting'")
''
>>> print(c.kubectl("exec web -- cat /data/greeting"))
hello
>>> print(c.kubectl("exec web -- sh -c 'cat /data/nope'"))
cat: can't open '/data/nope': No such file or directory
command terminated with exit code 1
"""

from __future__ import annotations

import hashlib

from kubelab.api import labels
from kubelab.errors import NotFound
from kubelab.kubectl.commands import register
from kubelab.kubectl.commands.common import NAMESPACE_FLAGS, CommandError
from kubelab.kubectl.flags import Flag
from kubelab.kubelet.containerenv import COMMAND_PATH, container_env
from kubelab.kubelet.containerenv import hostname as _hostname
from kubelab.storage.shell import CommandNotFound, Shell

__all__ = ["COMMAND_PATH", "container_env", "exec_cmd"]

FLAGS = [
    *NAMESPACE_FLAGS,
    Flag("container", "c"),
    Flag("stdin", "i", bool),
    Flag("tty", "t", bool),
    Flag("quiet", "q", bool),
    Flag("pod-running-timeout", "", str, "1m0s"),
]

_USAGE = (
    "expected 'exec (POD | TYPE/NAME) -- COMMAND [args...]'.\n"
    "POD or TYPE/NAME is a required argument for the exec command"
)


def _target_pod(ctx, ref: str) -> dict:
    kind, _, name = ref.rpartition("/")
    if kind in ("", "pod", "pods", "po"):
        return ctx.client.get("Pod", name, ctx.namespace)
    from kubelab.kubectl.commands.common import resource_type

    rt = resource_type(kind)
    owner = ctx.client.get(rt.kind, name, ctx.namespace)
    selector = (owner.get("spec") or {}).get("selector") or {}
    sel = (
        labels.from_set(selector)
        if rt.kind == "ReplicationController"
        else labels.from_label_selector(selector)
    )
    pods = [
        p
        for p in ctx.client.list("Pod", ctx.namespace, sel)
        if not p["metadata"].get("deletionTimestamp")
    ]
    if not pods:
        raise CommandError(f"cannot exec into {rt.plural} with no pods")  # pragma: no cover
    pods.sort(
        key=lambda p: (
            (p.get("status") or {}).get("phase") != "Running",
            p["metadata"].get("creationTimestamp") or "",
            p["metadata"]["name"],
        )
    )
    return pods[0]


def _choose_container(pod: dict, wanted: str | None, out) -> dict:
    spec = pod.get("spec") or {}
    containers = list(spec.get("containers") or ())
    every = (
        containers
        + list(spec.get("initContainers") or ())
        + list(spec.get("ephemeralContainers") or ())
    )
    if wanted:
        found = next((c for c in every if c.get("name") == wanted), None)
        if found is None:
            raise CommandError(f"container {wanted} not found in pod {pod['metadata']['name']}")
        return found
    default = (pod["metadata"].get("annotations") or {}).get(
        "kubectl.kubernetes.io/default-container"
    )
    chosen = next((c for c in containers if c.get("name") == default), containers[0])
    if len(containers) > 1 and default is None:
        names = ", ".join(c["name"] for c in containers)
        out.warn(f'Defaulted container "{chosen["name"]}" out of: {names}')
    return chosen


@register("exec", FLAGS)
def exec_cmd(ctx, flags, args, out) -> None:
    if not args:
        raise CommandError(_USAGE)
    if len(args) < 2:
        raise CommandError("you must specify at least one command for the container")
    try:
        pod = _target_pod(ctx, args[0])
    except NotFound as error:
        out.error(error)
        return
    phase = (pod.get("status") or {}).get("phase")
    if phase in ("Succeeded", "Failed"):
        raise CommandError(
            f"cannot exec into a container in a completed pod; current phase is {phase}"
        )
    spec = _choose_container(pod, flags["container"], out)
    name = spec["name"]
    node = (pod.get("spec") or {}).get("nodeName")
    kubelet = ctx.cluster.kubelets.get(node or "")
    if node and (kubelet is None or not kubelet.running):
        ip = (pod.get("status") or {}).get("hostIP") or "<node>"
        out.error(
            f"Error from server: error dialing backend: dial tcp {ip}:10250: connect: "
            "no route to host"
        )
        return
    worker = kubelet.workers.get(pod["metadata"]["uid"]) if kubelet is not None else None
    container = None
    if worker is not None:
        container = next((c for c in worker._all() if c.name == name), None)
    if container is None or container.state != "running":
        raise CommandError(f'unable to upgrade connection: container not found ("{name}")')
    run_in(ctx, pod, worker, container, args[1:], out)


def run_in(ctx, pod: dict, worker, container, argv: list[str], out) -> int:
    """Run ``argv`` in a running container; prints like kubectl and returns the exit code."""
    from kubelab.kubelet.volumes import _web_root, charge_memory, container_fs, kill_container

    node = ctx.cluster.api.store.get("Node", "", worker.kubelet.name) or {}
    env = container_env(
        ctx.client, pod, container.spec, (node.get("status") or {}).get("allocatable")
    )
    shell = Shell(
        container_fs(worker, container),
        env=env,
        hostname=_hostname(pod),
        now=ctx.now,
        kill=lambda signal: kill_container(worker, container, signal),
        web_root=_web_root(container),
        context={"cluster": ctx.cluster, "pod": pod, "container": container.spec},
    )
    try:
        stdout, stderr, code = shell.run(argv)
    except CommandNotFound as missing:
        digest = hashlib.sha256(f"{pod['metadata']['uid']}/{ctx.now}/{argv}".encode()).hexdigest()
        out.err.append(
            "error: Internal error occurred: error executing command in container: failed to "
            f'exec in container: failed to start exec "{digest}": OCI runtime exec failed: exec '
            f'failed: unable to start container process: exec: "{missing}": executable file not '
            "found in $PATH: unknown"
        )
        return 126
    if charge_memory(worker, container):
        code = 137  # the write pushed the container past its memory limit: OOMKilled
    if stdout:
        out.print(stdout)
    if stderr:
        out.warn(stderr.rstrip("\n"))
    if code:
        out.err.append(f"command terminated with exit code {code}")
    return code
