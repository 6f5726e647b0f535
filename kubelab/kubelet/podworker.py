"""One pod's lifecycle on its node: sandbox, init containers, containers, restarts, termination.

Like upstream's pod worker, a :class:`PodWorker` runs one *sync* at a time for its pod
(``SyncPod``): create the sandbox (pod IP), run the init containers one after the
other, then start the containers in order — each start pulls the image if needed
(``EnsureImageExists``), creates and starts the container. A sync is a generator that
yields how long to wait, so a pull "blocks" that pod's sync as the real one does while
other pods carry on. Everything after a container started (its exit, an OOM kill, probe
results) is a clock timer computed once; nothing runs per pod per tick.

The worker never writes to the API server itself: it tells its :class:`~kubelab.kubelet.Kubelet`
the pod's status may have changed (``mark_dirty``) and the kubelet posts it.
"""

from __future__ import annotations

from kubelab.api.meta import timestamp
from kubelab.images import InvalidImageName, shell_behaviour
from kubelab.kubelet import prober
from kubelab.kubelet.backoff import go_duration
from kubelab.kubelet.containers import (
    OOM_EXIT_CODE,
    SIGKILL_EXIT_CODE,
    UNKNOWN_MESSAGE,
    Container,
)
from kubelab.kubelet.entrypoint import run_entrypoint, script_exit_code
from kubelab.kubelet.eviction import has_local_limits
from kubelab.kubelet.pulls import ensure_image
from kubelab.kubelet.resources import oom_after
from kubelab.kubelet.status import get_phase, pod_conditions
from kubelab.kubelet.volumes import mount_volumes
from kubelab.sim import LATE

__all__ = ["PodWorker"]

SANDBOX_SECONDS = 0.5  # RunPodSandbox + CNI ADD
MIN_KILL_GRACE = 2  # minimumGracePeriodInSeconds, for pods force-deleted from the API
OOM_SECONDS = 0.5  # an app already over its limit is killed this soon after starting
_TERMINAL = ("Succeeded", "Failed")


def _restartable(spec: dict) -> bool:
    return spec.get("restartPolicy") == "Always"


class PodWorker:
    """Runs one pod (identified by UID) on one kubelet."""

    def __init__(self, kubelet, pod: dict, *, restored: bool = False):
        self.kubelet = kubelet
        self.clock = kubelet.clock
        meta = pod["metadata"]
        self.uid, self.namespace, self.name = meta["uid"], meta["namespace"], meta["name"]
        self.pod = pod
        spec = pod["spec"]
        self.init_containers = [self._container(c, True) for c in spec.get("initContainers") or ()]
        self.containers = [self._container(c, False) for c in spec.get("containers") or ()]
        status = pod.get("status") or {}
        self.start_time = status.get("startTime") or timestamp(self.clock.now)
        self.pod_ip: str | None = None
        self.sandbox = "none"  # none | ready | gone
        self.terminating = False
        self.done = False  # every container stopped for good (terminal or deleted)
        self.api_gone = False
        self.phase_terminal = status.get("phase") in _TERMINAL
        self.evicted: str | None = None  # the eviction manager's message, once evicted
        self.local_limits = has_local_limits(pod)  # sizeLimit / ephemeral-storage limits
        self.volumes = None  # PodVolumes, once the volume manager mounted them (volumes.py)
        self._proc = None
        self._proc_timer = None
        self._resync_timer = None
        self._resync_pending = False
        if restored:
            self._restore(status)

    # -- setup -------------------------------------------------------------------------------
    def _container(self, spec: dict, init: bool) -> Container:
        try:
            image = self.kubelet.images.lookup(spec.get("image", ""))
        except InvalidImageName:
            image = None
        return Container(spec, image, init=init)

    def _restore(self, status: dict) -> None:
        """After the node came back: remember the previous containers as lost with the machine."""
        old = {
            s["name"]: s
            for s in (status.get("containerStatuses") or [])
            + (status.get("initContainerStatuses") or [])
        }
        now = self.clock.now
        for c in self.init_containers + self.containers:
            previous = old.get(c.name)
            if previous is None:
                continue
            c.restart_count = previous.get("restartCount", 0)
            state = previous.get("state") or {}
            if "running" in state or "terminated" in state or previous.get("lastState"):
                c.ran = True
                c.state = "running"  # what the API last heard; the machine lost it since
                c.started_at = _seconds(
                    (state.get("running") or state.get("terminated") or {}).get("startedAt"), now
                )
                c.lost(now)

    @property
    def key(self) -> tuple[str, str]:
        return self.namespace, self.name

    @property
    def format_pod(self) -> str:
        """``format.Pod``: ``name_namespace(uid)``."""
        return f"{self.name}_{self.namespace}({self.uid})"

    def event(self, type_: str, reason: str, message: str) -> None:
        self.kubelet.event(self.pod, type_, reason, message)

    def _all(self) -> list[Container]:
        return self.init_containers + self.containers

    # -- driving -----------------------------------------------------------------------------
    def update(self, pod: dict) -> None:
        """The API server's latest version of the pod."""
        self.pod = pod
        if self.terminating or self.done:
            return
        if pod["metadata"].get("deletionTimestamp"):
            grace = pod["metadata"].get("deletionGracePeriodSeconds")
            if grace is None:
                grace = pod["spec"].get("terminationGracePeriodSeconds", 30)
            self.terminate(max(grace, MIN_KILL_GRACE) if grace == 0 else grace)
            return
        self._apply_spec_changes(pod["spec"])
        self.request_sync()

    def _apply_spec_changes(self, spec: dict) -> None:
        # A changed image (kubectl set image on a pod) restarts that container with the new one.
        by_name = {c.name: c for c in self.containers}
        for new in spec.get("containers") or ():
            c = by_name.get(new["name"])
            if c is None or new.get("image") == c.spec.get("image"):
                continue
            old_running = c.state == "running"
            if old_running:  # the old process stops as its own image does
                self._kill(c, f"Container {c.name} definition changed, will be restarted")
                c.waiting_reason = None
            c.spec = new
            c.image = self._container(new, False).image
            if c.state == "terminated":
                self.kubelet.crash_backoff.forget((self.uid, c.name))

    def request_sync(self) -> None:
        if self.terminating or self.done or self.phase_terminal:
            return
        if self._proc is not None:
            self._resync_pending = True
            return
        self._proc = self._sync()
        self._step()

    def _step(self) -> None:
        self._proc_timer = None
        try:
            delay = next(self._proc)
        except StopIteration:
            self._proc = None
            self.kubelet.mark_dirty(self)
            if self._resync_pending:
                self._resync_pending = False
                self.request_sync()
            return
        self.kubelet.mark_dirty(self)
        self._proc_timer = self.clock.call_later(delay, self._step)

    def resync_at(self, when: float) -> None:
        timer = self._resync_timer
        if timer is not None and not timer.cancelled and timer.when <= when:
            return
        if timer is not None:
            timer.cancel()
        self._resync_timer = self.clock.call_at(when, self._resync)

    def _resync(self) -> None:
        self._resync_timer = None
        self.request_sync()

    def _cancel_sync(self) -> None:
        for timer in (self._proc_timer, self._resync_timer):
            if timer is not None:
                timer.cancel()
        self._proc = self._proc_timer = self._resync_timer = None
        self._resync_pending = False

    # -- SyncPod -----------------------------------------------------------------------------
    def _sync(self):
        if self.volumes is None:  # WaitForAttachAndMount
            self.volumes = yield from mount_volumes(self)
            if self.volumes is None:
                return
        if self.sandbox != "ready":
            yield SANDBOX_SECONDS
            ip = self.kubelet.allocate_ip(self)
            if ip is None:
                self.event(
                    "Warning",
                    "FailedCreatePodSandBox",
                    'Failed to create pod sandbox: plugin type="bridge" failed (add): failed to '
                    "allocate for range 0: no IP addresses available in range set: "
                    f"{self.kubelet.pod_cidr.range_text()}",
                )
                self.resync_at(self.clock.now + 10)
                return
            self.pod_ip, self.sandbox = ip, "ready"
        policy = self.pod["spec"].get("restartPolicy", "Always")
        if self._main_containers_done(policy):
            # Every regular container finished for good: the sidecars are stopped (in reverse
            # order), and the pod can reach Succeeded/Failed (computePodActions' KillPod).
            for c in reversed(self.init_containers):
                if _restartable(c.spec) and c.state == "running" and c.stop_timer is None:
                    self._kill(c, f"Stopping container {c.name}")
            return
        for c in self.init_containers:
            if _restartable(c.spec):  # a sidecar: start it, then go on once it has started
                if c.state == "running":
                    continue
                if c.state == "terminated" and self._in_crash_backoff(c):
                    return
                yield from self._start(c)
                if c.state != "running":
                    return
                continue
            if c.succeeded:
                continue
            if c.state == "running":
                return  # wait for it to finish
            if c.state == "terminated" and (policy == "Never" or self._in_crash_backoff(c)):
                return
            yield from self._start(c)
            return  # its exit triggers the next sync
        for c in self.containers:
            if c.state == "running":
                continue
            if c.state == "terminated" and (
                not self._should_restart(c, policy) or self._in_crash_backoff(c)
            ):
                continue
            yield from self._start(c)

    def _main_containers_done(self, policy: str) -> bool:
        return (
            policy != "Always"
            and bool(self.containers)
            and all(
                c.state == "terminated" and not self._should_restart(c, policy)
                for c in self.containers
            )
        )

    @staticmethod
    def _should_restart(c: Container, policy: str) -> bool:
        return policy == "Always" or (policy == "OnFailure" and c.exit_code != 0)

    def _in_crash_backoff(self, c: Container) -> bool:
        """``doBackOff``: wait before restarting a container that exited (CrashLoopBackOff)."""
        backoff, key, now = self.kubelet.crash_backoff, (self.uid, c.name), self.clock.now
        if backoff.in_backoff_since(key, c.finished_at, now):
            wait = backoff.get(key)
            if c.waiting_reason != "CrashLoopBackOff":
                self.event(
                    "Warning",
                    "BackOff",
                    f"Back-off restarting failed container {c.name} in pod {self.format_pod}",
                )
            c.wait(
                "CrashLoopBackOff",
                f"back-off {go_duration(wait)} restarting failed container={c.name} "
                f"pod={self.format_pod}",
            )
            self.resync_at(c.finished_at + wait)
            return True
        backoff.next(key, c.finished_at, now)
        return False

    def _start(self, c: Container):
        """Pull (if needed), create and start one container: ``startContainer``."""
        if not (yield from ensure_image(self, c)):
            return
        yield c.image.start_seconds
        container_id = self.kubelet.new_container_id()
        self.event("Normal", "Created", f"Created container: {c.name}")
        self.event("Normal", "Started", f"Started container {c.name}")
        c.run(container_id, self.clock.now)
        run_entrypoint(self, c)  # a toolbox's `sh -c` script writes its files (entrypoint.py)
        self._running(c)

    # -- a running container ------------------------------------------------------------------
    def _running(self, c: Container) -> None:
        now, image, clock = self.clock.now, c.image, self.clock
        exit_after, exit_code = image.exit_after, image.exit_code
        if image.shell:
            exit_after, exit_code = shell_behaviour(c.spec.get("command"), c.spec.get("args"))
            script_code = script_exit_code(self, c)  # `python3 -c` scripts of Job examples
            if script_code is not None and exit_after is not None:
                exit_code = script_code
        ends = []
        if exit_after is not None:
            ends.append((exit_after, 1, exit_code, False))
        oom_at = oom_after(c.spec, image)  # reaching the memory limit (kubelet/resources.py)
        if oom_at is not None:
            ends.append((oom_at or OOM_SECONDS, 0, OOM_EXIT_CODE, True))
        if ends:
            delay, _, code, oom = min(ends)
            c.timers.append(clock.call_later(delay, self._exited, c, code, oom))
        if c.init and not _restartable(c.spec):
            return  # init containers have no probes; they only have to finish
        restart = _restartable(c.spec) or self.pod["spec"].get("restartPolicy") != "Never"
        plan = prober.plan(c.spec, image, now, self.pod_ip or "", restart=restart)
        if plan.started_at is not None:
            if plan.started_at <= now:
                c.started = True
            else:
                c.timers.append(clock.call_at(plan.started_at, self._set_started, c))
        for when, ready in plan.ready:
            if when <= now:
                c.ready = ready and c.started
            else:
                c.timers.append(clock.call_at(when, self._set_ready, c, ready))
        for first, period, count, type_, reason, message in plan.events:
            slot: list = []  # the series' pending timer, replaced as it re-arms
            timer = clock.call_at(
                first, self._series, c, slot, first, period, 0, count, type_, reason, message
            )
            slot.append(timer)
            c.timers.append(timer)
        if plan.kill_at is not None:
            # LATE: after the failed probe's own Unhealthy event at the same instant
            kill = clock.call_at(
                plan.kill_at, self._kill, c, plan.kill_message, plan.kill_grace, priority=LATE
            )
            c.timers.append(kill)

    def _series(self, c: Container, slot: list, first, period, i, count, *event) -> None:
        """Event ``i`` of a probe's series (a failing probe, every period); then the next one."""
        self.event(*event)
        if slot[0] in c.timers:
            c.timers.remove(slot[0])
        if count is not None and i + 1 >= count:
            return
        when = prober.tick(first, period, i + 1)  # as the plan computes it: no drift
        slot[0] = self.clock.call_at(
            when, self._series, c, slot, first, period, i + 1, count, *event
        )
        c.timers.append(slot[0])

    def _set_started(self, c: Container) -> None:
        c.started = True
        self.kubelet.mark_dirty(self)

    def _set_ready(self, c: Container, ready: bool) -> None:
        c.ready = ready
        self.kubelet.mark_dirty(self)

    def _exited(self, c: Container, exit_code: int, oom: bool = False) -> None:
        c.exit(exit_code, self.clock.now, oom=oom)
        if c.init and not _restartable(c.spec) and exit_code == 0:
            c.ready = True
        self.kubelet.mark_dirty(self)
        if self.terminating:
            self._check_stopped()
        else:
            self.request_sync()

    def _kill(self, c: Container, message: str, grace: float | None = None) -> None:
        """``killContainer``: SIGTERM, then SIGKILL when the grace period runs out."""
        if c.state != "running" or c.stop_timer is not None:
            return  # not running, or already stopping
        self.event("Normal", "Killing", message)
        for timer in c.timers:  # the app's own future (exit, probes) ends here
            timer.cancel()
        c.timers.clear()
        c.ready = False
        if grace is None:
            grace = self.pod["spec"].get("terminationGracePeriodSeconds", 30)
        stop = c.image.stop_seconds if c.image else 0.0
        if stop is None or stop > grace:
            delay, code = grace, SIGKILL_EXIT_CODE
        else:
            delay, code = stop, c.image.term_exit_code if c.image else 0
        c.stop_timer = self.clock.call_later(delay, self._exited, c, code)
        self.kubelet.mark_dirty(self)

    # -- termination --------------------------------------------------------------------------
    def terminate(self, grace: float) -> None:
        """The pod is being deleted: stop every running container within ``grace`` seconds."""
        if self.terminating:
            return
        self.terminating = True
        self._cancel_sync()
        for c in self._all():
            if c.state == "running" and c.stop_timer is None:
                self._kill(c, f"Stopping container {c.name}", grace)
        self._check_stopped()

    def evict(self, message: str) -> None:
        """The eviction manager's ``evictPod``: kill every container now; the pod ends Failed."""
        if self.evicted is not None or self.phase_terminal:
            return
        self.evicted = message
        self.event("Warning", "Evicted", message)
        self.terminate(0)

    def _check_stopped(self) -> None:
        if any(c.state == "running" for c in self._all()):
            return
        self.done = True
        self.release_sandbox()
        self.kubelet.mark_dirty(self)

    def release_sandbox(self) -> None:
        if self.sandbox == "ready":
            self.kubelet.release_ip(self)
        self.sandbox = "gone" if self.sandbox == "ready" else self.sandbox

    def lose(self) -> None:
        """The machine is gone: every timer stops, nothing is reported."""
        self._cancel_sync()
        for c in self._all():
            c.cancel_timers()
        self.release_sandbox()

    # -- status -------------------------------------------------------------------------------
    def api_status(self) -> dict:
        """The pod status the kubelet reports (``generateAPIPodStatus``)."""
        now = self.clock.now
        spec = self.pod["spec"]
        old = self.pod.get("status") or {}
        default_waiting = "PodInitializing" if self.init_containers else "ContainerCreating"
        inits = [c.api_status(default_waiting) for c in self.init_containers]
        regular = [c.api_status(default_waiting) for c in self.containers]
        if self.done:
            for s in inits + regular:
                if "waiting" in s["state"]:
                    s["state"] = {
                        "terminated": {
                            "exitCode": SIGKILL_EXIT_CODE,
                            "finishedAt": None,
                            "message": UNKNOWN_MESSAGE,
                            "reason": "ContainerStatusUnknown",
                            "startedAt": None,
                        }
                    }
        started = any("running" in s["state"] or "terminated" in s["state"] for s in regular)
        phase = get_phase(spec, regular + inits, self.done, started)
        if old.get("phase") in _TERMINAL:
            phase = old["phase"]
        elif self.evicted is not None:
            phase = "Failed"
        if phase in _TERMINAL and not self.phase_terminal:
            self.phase_terminal = True
            self._cancel_sync()
            for c in self._all():
                c.cancel_timers()
            self.release_sandbox()
        sandbox_ready = self.sandbox == "ready" and not self.done
        status = {
            "conditions": pod_conditions(
                spec, old.get("conditions"), inits + regular, phase, sandbox_ready, now
            ),
            "containerStatuses": regular,
            "hostIP": self.kubelet.node_ip,
            "hostIPs": [{"ip": self.kubelet.node_ip}],
        }
        if inits:
            status["initContainerStatuses"] = inits
        status["phase"] = phase
        if self.pod_ip:
            status["podIP"] = self.pod_ip
            status["podIPs"] = [{"ip": self.pod_ip}]
        if old.get("qosClass"):
            status["qosClass"] = old["qosClass"]
        status["startTime"] = self.start_time
        for key in ("reason", "message"):  # e.g. Evicted, kept while the phase is the same
            if old.get(key) and old.get("phase") == phase:
                status[key] = old[key]
        if self.evicted is not None:
            self._evicted_status(status, now)
        return status

    def _evicted_status(self, status: dict, now: float) -> None:
        status["reason"], status["message"] = "Evicted", self.evicted
        if not any(c.get("type") == "DisruptionTarget" for c in status["conditions"]):
            status["conditions"].append(
                {
                    "type": "DisruptionTarget",
                    "status": "True",
                    "lastProbeTime": None,
                    "lastTransitionTime": timestamp(now),
                    "reason": "TerminationByKubelet",
                    "message": self.evicted,
                }
            )

    def network(self) -> dict:
        """What a traffic simulation needs: the pod's IP and, per port, the container serving it
        (containers share the sandbox's network namespace, so they reach each other on localhost)."""
        ports = {}
        for c in self.containers + [i for i in self.init_containers if _restartable(i.spec)]:
            listening = {p.get("containerPort") for p in c.spec.get("ports") or ()}
            listening |= set(c.image.ports if c.image else ())
            for port in listening:
                ports.setdefault(port, c.name)
        return {"ip": self.pod_ip, "ports": ports, "localhost": sorted(c.name for c in self._all())}


def _seconds(stamp: str | None, default: float) -> float:
    from kubelab.api.meta import parse_time

    value = parse_time(stamp)
    return default if value is None else value
