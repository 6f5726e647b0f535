"""One container as the runtime knows it: Waiting → Running → Terminated, and its API status.

:class:`Container` holds what ``crictl`` would show plus what the kubelet remembers
(restart count, last termination). :meth:`Container.api_status` renders the
``status.containerStatuses[]`` entry exactly as the kubelet reports it.

Examples
--------
>>> from kubelab.images import ImageSpec
>>> c = Container({"name": "web", "image": "nginx:1.25"}, ImageSpec(normalized="docker.io/library/nginx:1.25"))
>>> c.api_status("ContainerCreating")["state"]
{'waiting': {'reason': 'ContainerCreating'}}
>>> c.run("containerd://abc", 5.0); c.api_status()["state"]
{'running': {'startedAt': '2025-01-01T00:00:05Z'}}
>>> c.exit(1, 9.0); c.api_status()["state"]["terminated"]["reason"]
'Error'
>>> c.run("containerd://def", 9.0)  # restarted
>>> s = c.api_status(); s["restartCount"], s["lastState"]["terminated"]["exitCode"]
(1, 1)
"""

from __future__ import annotations

from kubelab.api.meta import timestamp
from kubelab.api.quantity import QuantityError, memory_bytes

__all__ = ["OOM_EXIT_CODE", "SIGKILL_EXIT_CODE", "Container", "exit_reason", "memory_limit"]

SIGKILL_EXIT_CODE = 137
OOM_EXIT_CODE = 137
UNKNOWN_MESSAGE = "The container could not be located when the pod was terminated"


def exit_reason(exit_code: int, oom: bool = False) -> str:
    """``Completed`` for 0, ``OOMKilled`` for an OOM kill, else ``Error``."""
    if oom:
        return "OOMKilled"
    return "Completed" if exit_code == 0 else "Error"


def memory_limit(container: dict) -> int | None:
    limit = ((container.get("resources") or {}).get("limits") or {}).get("memory")
    if limit is None:
        return None
    try:
        return memory_bytes(limit)
    except QuantityError:
        return None


class Container:
    """The runtime state of one container of a pod."""

    __slots__ = (
        "container_id",
        "exit_code",
        "finished_at",
        "image",
        "init",
        "last_terminated",
        "name",
        "oom",
        "ran",
        "ready",
        "restart_count",
        "spec",
        "started",
        "started_at",
        "state",
        "stop_timer",
        "timers",
        "waiting_message",
        "waiting_reason",
    )

    def __init__(self, spec: dict, image, *, init: bool = False):
        self.spec, self.image, self.init = spec, image, init
        self.name = spec["name"]
        self.state = "waiting"  # waiting | creating | running | terminated
        self.waiting_reason: str | None = (
            None  # None: the pod's default (ContainerCreating/PodInitializing)
        )
        self.waiting_message: str | None = None
        self.container_id = ""
        self.started_at = self.finished_at = None
        self.exit_code = 0
        self.oom = False
        self.ready = False
        self.started = False
        self.restart_count = 0
        self.ran = False  # has run before: the next start is a restart
        self.last_terminated: dict | None = None
        self.timers: list = []
        self.stop_timer = None

    # -- transitions -------------------------------------------------------------------------
    def wait(self, reason: str | None, message: str | None = None) -> None:
        """Stay (or go back to) Waiting with a reason (ErrImagePull, CrashLoopBackOff, ...)."""
        self.waiting_reason, self.waiting_message = reason, message
        if self.state != "terminated":
            self.state = "waiting"

    def run(self, container_id: str, now: float) -> None:
        """A new container instance started: a restart if one ran before."""
        if self.ran:
            self.restart_count += 1
            if self.state == "terminated":
                self.last_terminated = self._terminated()
        self.ran = True
        self.state = "running"
        self.container_id = container_id
        self.started_at, self.finished_at = now, None
        self.exit_code, self.oom = 0, False
        self.waiting_reason = self.waiting_message = None
        self.ready = self.started = False

    def exit(self, exit_code: int, now: float, *, oom: bool = False) -> None:
        self.cancel_timers()
        self.state = "terminated"
        self.exit_code, self.oom, self.finished_at = exit_code, oom, now
        self.ready = False
        self.waiting_reason = self.waiting_message = None

    def lost(self, now: float) -> None:
        """The machine went away with this container: remember it as ContainerStatusUnknown."""
        self.cancel_timers()
        if self.state in ("running", "terminated"):
            self.last_terminated = {
                "exitCode": SIGKILL_EXIT_CODE,
                "finishedAt": timestamp(now),
                "message": UNKNOWN_MESSAGE,
                "reason": "ContainerStatusUnknown",
                "startedAt": timestamp(self.started_at or now),
            }
        self.state = "waiting"
        self.ready = self.started = False
        self.waiting_reason = self.waiting_message = None

    def cancel_timers(self) -> None:
        for timer in self.timers:
            timer.cancel()
        self.timers.clear()
        if self.stop_timer is not None:
            self.stop_timer.cancel()
            self.stop_timer = None

    # -- status ------------------------------------------------------------------------------
    @property
    def succeeded(self) -> bool:
        return self.state == "terminated" and self.exit_code == 0

    def _terminated(self) -> dict:
        out = {
            "containerID": self.container_id,
            "exitCode": self.exit_code,
            "finishedAt": timestamp(self.finished_at),
            "reason": exit_reason(self.exit_code, self.oom),
            "startedAt": timestamp(self.started_at),
        }
        return out

    def api_status(self, default_waiting: str = "ContainerCreating") -> dict:
        """The ``containerStatuses[]`` entry (``default_waiting``: PodInitializing with init containers)."""
        if self.state == "running":
            state = {"running": {"startedAt": timestamp(self.started_at)}}
        elif self.state == "terminated" and self.waiting_reason is None:
            state = {"terminated": self._terminated()}
        else:
            waiting = {"reason": self.waiting_reason or default_waiting}
            if self.waiting_message:
                waiting["message"] = self.waiting_message
            state = {"waiting": waiting}
        last = {}
        if self.state == "terminated" and self.waiting_reason is not None:
            last = {"terminated": self._terminated()}  # CrashLoopBackOff: the run that just ended
        elif self.last_terminated is not None:
            last = {"terminated": self.last_terminated}
        pulled = self.ran or self.state == "running"
        status = {
            "name": self.name,
            "state": state,
            "lastState": last,
            "ready": self.ready,
            "restartCount": self.restart_count,
            "image": self.image.normalized if pulled and self.image else self.spec.get("image", ""),
            "imageID": self.image.image_id if pulled and self.image else "",
            "started": self.started,
        }
        if self.container_id:
            status["containerID"] = self.container_id
        return status
