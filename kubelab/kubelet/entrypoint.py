"""What a toolbox container's ``sh -c`` command does to files while it runs.

When a container of a shell image (busybox, debian …) starts with ``sh -c 'SCRIPT'``, the
script runs through kubelab's tiny shell (:mod:`kubelab.storage.shell`) on the container's
files: ``echo Hello > /pod-data/index.html`` really writes into the shared emptyDir. Each
``sleep N`` statement waits N simulated seconds before the next statement; a loop
(``while``/``for``/``until``) or ``if`` ends the simulation there (the process keeps
running as the image catalogue says). Output goes nowhere (no logs are kept).

Also at start: configMap/secret ``subPath`` mounts are copied once (they never see updates).
"""

from __future__ import annotations

import re

from kubelab.storage.shell import SHELLS, Shell, _Exit, _statements

__all__ = ["run_entrypoint", "script_exit_code"]

_PYTHONS = ("python", "python3")

_COMPOUND = re.compile(r"^\s*(while|for|until|if|case|do|done|then|fi)\b")
_SLEEP = re.compile(r"^\s*sleep\s+(\S+)\s*$")


class _InformerClient:
    """``client.get`` over the kubelet's informers (no API requests for env lookups)."""

    def __init__(self, informers):
        self.informers = informers

    def get(self, kind, name, namespace="default"):
        from kubelab.errors import NotFound

        obj = self.informers.get(kind).get(namespace, name)
        if obj is None:
            raise NotFound(kind.lower() + "s", name)
        return obj


def run_entrypoint(worker, container) -> None:
    """Start following ``container``'s ``sh -c`` script (call right after it started)."""
    from kubelab.kubelet.volumes import pin_subpaths

    pin_subpaths(worker, container)
    image = container.image
    if image is None or not getattr(image, "shell", False):
        return
    argv = [str(w) for w in (container.spec.get("command") or [])]
    argv += [str(w) for w in (container.spec.get("args") or [])]
    if len(argv) < 3 or argv[0] not in SHELLS or argv[1] != "-c":
        return
    from kubelab.kubelet.containerenv import hostname
    from kubelab.kubelet.volumes import container_fs

    env = _env(worker, container)
    shell = Shell(container_fs(worker, container), env=env, hostname=hostname(worker.pod))
    _step(worker, container, container.container_id, shell, _statements(argv[2]), 0)


def _argv(container) -> list[str]:
    argv = [str(w) for w in (container.spec.get("command") or [])]
    return argv + [str(w) for w in (container.spec.get("args") or [])]


def _env(worker, container) -> dict:
    from kubelab.kubelet.containerenv import container_env

    kubelet = worker.kubelet
    node = kubelet.ctx.informers.get("Node").get("", kubelet.name) or {}
    return container_env(
        _InformerClient(kubelet.ctx.informers),
        worker.pod,
        container.spec,
        (node.get("status") or {}).get("allocatable"),
    )


def script_exit_code(worker, container) -> int | None:
    """For ``python3 -c SCRIPT``: its exit code under the container's environment
    (:mod:`kubelab.kubelet.pyscript`); None for other commands or unknown scripts."""
    argv = _argv(container)
    if len(argv) < 3 or argv[0].rsplit("/", 1)[-1] not in _PYTHONS or argv[1] != "-c":
        return None
    from kubelab.kubelet.pyscript import exit_code

    return exit_code(argv[2], _env(worker, container))


def _step(worker, container, container_id: str, shell: Shell, statements, i: int) -> None:
    if container.container_id != container_id or container.state != "running":
        return
    shell.now = worker.clock.now
    while i < len(statements):
        connector, text = statements[i]
        i += 1
        if (connector == "&&" and shell.status != 0) or (connector == "||" and shell.status == 0):
            continue
        if _COMPOUND.match(text):
            return
        sleep = _SLEEP.match(text)
        if sleep:
            try:
                seconds = float(sleep.group(1).rstrip("s"))
            except ValueError:
                return  # busybox: invalid number; the script stops here
            if not 0 <= seconds < float("inf"):  # sleep infinity (nan, negative: invalid)
                return
            worker.clock.call_later(
                seconds, _step, worker, container, container_id, shell, statements, i
            )
            return
        try:
            shell.script(text)
        except _Exit:
            return
