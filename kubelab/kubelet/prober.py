"""Probes: when a container becomes started, ready or is killed for failing liveness.

A simulated app's health is known in advance from its image: its port opens
``ready_after`` seconds after it started, its health endpoint answers correctly up to
``healthy_for`` (``healthy: false``: never; then with ``unhealthy_status``), and it answers
in ``latency_ms``. A toolbox image's files come from its command (``touch``/``rm``). So a
probe's result is a step function of time, and instead of running every probe every
``periodSeconds`` (work per pod per period), :func:`plan` walks those few steps and
computes, with upstream's rules (``pkg/kubelet/prober/worker.go``), where the result the
kubelet acts on changes:

* the first probe runs ``initialDelaySeconds`` after the container's start, then one
  every ``periodSeconds`` (upstream's ticker runs from the pod's admission, with a random
  offset, and skips ticks before the delay: the first probe comes up to a period later;
  aligning the ticks on the delay keeps histories exact and as the docs describe them);
* a result counts once ``successThreshold`` / ``failureThreshold`` consecutive probes
  agree; readiness starts as failure, liveness as success, startup as unknown;
* a probe that takes longer than ``timeoutSeconds`` fails;
* while a startup probe has not succeeded, liveness and readiness do not run; startup
  failing ``failureThreshold`` times kills the container, as liveness failing does
  (the worker then holds until the next container);
* a container without a readiness probe is ready as soon as it has started;
* every failed probe is an ``Unhealthy`` event (the recorder aggregates repeats).

Examples
--------
>>> from kubelab.images import ImageSpec
>>> app = ImageSpec(ready_after=12, ports=(8080,))
>>> probe = {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 5}
>>> p = plan({"name": "web", "readinessProbe": probe}, app, started_at=100.0, pod_ip="10.244.0.2")
>>> p.ready, p.started_at, p.kill_at
([(115.0, True)], 100.0, None)
>>> first, period, count, _, reason, message = p.events[0]
>>> first, period, count, reason
(100.0, 5.0, 3, 'Unhealthy')
>>> message
'Readiness probe failed: Get "http://10.244.0.2:8080/healthz": dial tcp 10.244.0.2:8080: connect: connection refused'
>>> live = plan({"name": "web", "livenessProbe": probe}, ImageSpec(healthy_for=10), 0.0, "10.244.0.2")
>>> live.kill_at, live.kill_message
(25.0, 'Container web failed liveness probe, will be restarted')
"""

from __future__ import annotations

import math
import re
import shlex
from dataclasses import dataclass, field

from kubelab.images import shell_files

__all__ = ["ProbePlan", "plan", "probe_defaults", "tick"]

INF = math.inf
_EPS = 1e-9
_AFTER = 1e-6  # the app changes just after an instant: a probe at that instant sees the old state
_NEVER = 2**62


def probe_defaults(probe: dict) -> dict:
    """``SetDefaults_Probe``: timeout 1, period 10, success 1, failure 3, initial delay 0."""
    return {
        "initialDelaySeconds": probe.get("initialDelaySeconds") or 0,
        "periodSeconds": probe.get("periodSeconds") or 10,
        "timeoutSeconds": probe.get("timeoutSeconds") or 1,
        "successThreshold": probe.get("successThreshold") or 1,
        "failureThreshold": probe.get("failureThreshold") or 3,
    }


@dataclass
class ProbePlan:
    """What the probes of one container run will do, in absolute simulated time.

    ``events`` are series ``(first, period, count, type, reason, message)``: ``count``
    events ``period`` apart from ``first`` (``count`` None: until the container stops).
    """

    started_at: float | None  # the container counts as started (None: never)
    ready: list = field(default_factory=list)  # [(time, ready?)] transitions
    kill_at: float | None = None  # liveness/startup failure kills the container
    kill_message: str = ""
    kill_grace: float | None = None  # the probe's terminationGracePeriodSeconds
    events: list = field(default_factory=list)


def tick(start: float, period: float, k: int) -> float:
    """The ``k``-th probe instant after ``start``, rounded so that sums of periods and
    products agree (a kill and the failed probe's event fall on the same instant)."""
    return round(start + k * period, 9)


class _Ticks:
    """Probe instants ``start + initialDelaySeconds + k·period``, from ``not_before`` on."""

    def __init__(self, probe: dict, start: float, not_before: float):
        d = probe_defaults(probe)
        self.t0, self.period = start + d["initialDelaySeconds"], float(d["periodSeconds"])
        self.success, self.failure = d["successThreshold"], d["failureThreshold"]
        self.k0 = self.at_or_after(not_before)

    def at_or_after(self, when: float) -> int:
        if when == INF:
            return _NEVER
        return max(0, math.ceil((when - self.t0) / self.period - _EPS))

    def time(self, k: int) -> float:
        return INF if k >= _NEVER else tick(self.t0, self.period, k)


# -- what one probe of a kind answers over time ------------------------------------------------
def _port(port, container: dict):
    if isinstance(port, str) and not port.isdigit():
        for p in container.get("ports") or ():
            if p.get("name") == port:
                return p.get("containerPort")
    return port


def _steps(a: float, b: float, t0: float, before: str, after: str, ok: bool = True) -> list:
    """[(from, ok, message)]: failing with ``before`` until ``a``, passing from ``a`` up to
    and including ``b``, then failing with ``after`` (``ok`` False: failing with ``after``
    from ``a`` on)."""
    steps = [(t0, False, before)]
    if a < INF:
        steps.append((a, ok, "" if ok else after))
        if ok and b < INF:
            steps.append((b + _AFTER, False, after))
    return steps


def _closed(port, image) -> bool:
    """Whether the app never listens on ``port`` (known only for images that list their ports)."""
    try:
        number = int(port)
    except (TypeError, ValueError):
        return False
    return bool(image.ports) and number not in image.ports


def _answers(probe: dict, container: dict, image, t0: float, pod_ip: str) -> list:
    """The probe's result as a step function of time from the container's start ``t0``."""
    up = t0 + image.ready_after  # the app listens and answers
    handler = probe.get("httpGet") or probe.get("tcpSocket") or probe.get("grpc") or {}
    if _closed(_port(handler.get("port"), container), image):
        up = INF  # nothing ever listens there: refused forever
    end = t0 + image.healthy_for if image.healthy_for is not None else INF
    end = max(up, end)
    timeout = probe_defaults(probe)["timeoutSeconds"]
    slow = image.latency_ms >= timeout * 1000  # every answer comes after the deadline
    if "httpGet" in probe:
        h = probe["httpGet"]
        port = _port(h.get("port"), container)
        host = h.get("host") or pod_ip
        url = f"{(h.get('scheme') or 'HTTP').lower()}://{host}:{port}{h.get('path') or '/'}"
        refused = f'Get "{url}": dial tcp {host}:{port}: connect: connection refused'
        if slow:
            late = f'Get "{url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)'
            return _steps(up, INF, t0, refused, late, ok=False)
        bad = f"HTTP probe failed with statuscode: {image.unhealthy_status}"
        return _steps(up, end, t0, refused, bad, ok=image.healthy)
    if "tcpSocket" in probe:  # a TCP connect only needs the port to be open
        port = _port(probe["tcpSocket"].get("port"), container)
        host = probe["tcpSocket"].get("host") or pod_ip
        return _steps(up, INF, t0, f"dial tcp {host}:{port}: connect: connection refused", "")
    if "grpc" in probe:
        address = f"{pod_ip}:{probe['grpc'].get('port')}"
        refused = f'timeout: failed to connect service "{address}" within {timeout}s: context deadline exceeded'
        if slow:
            late = f"timeout: health rpc did not complete within {timeout}s"
            return _steps(up, INF, t0, refused, late, ok=False)
        bad = 'service unhealthy (responded with "NOT_SERVING")'
        return _steps(up, end, t0, refused, bad, ok=image.healthy)
    return _exec_answers(probe, container, image, t0, up, end)


_CHECKS = (  # commands whose result is whether a file exists, and what they print if not
    (re.compile(r"\bcat\s+([^\s;&|]+)"), "cat: can't open '{}': No such file or directory"),
    (re.compile(r"\bls\s+(?:-\w+\s+)*([^\s;&|]+)"), "ls: {}: No such file or directory"),
    (re.compile(r"(?:\btest|\[)\s+-[efsdr]\s+([^\s;&|\]]+)"), ""),
)
_FAILS = re.compile(r"^\s*false\b|\bexit\s+[1-9]")


def _exec_answers(probe: dict, container: dict, image, t0: float, up: float, end: float) -> list:
    words = [str(w) for w in (probe.get("exec") or {}).get("command") or ()]
    if (
        len(words) >= 3
        and words[0].rsplit("/", 1)[-1] in ("sh", "bash", "ash")
        and words[1] == "-c"
    ):
        script = words[2]
    else:
        script = shlex.join(words)
    if not image.shell:  # the app decides: passes while it is healthy, says nothing otherwise
        return _steps(up, end, t0, "", "", ok=image.healthy)
    if _FAILS.search(script):
        return [(t0, False, "")]
    for pattern, output in _CHECKS:
        match = pattern.search(script)
        if match:
            path, missing = match.group(1), output.format(match.group(1))
            steps, exists = [(t0, False, missing)], False
            for when, now_exists in shell_files(
                container.get("command"), container.get("args")
            ).get(path, ()):
                if now_exists != exists:
                    at = t0 + when + (0 if now_exists else _AFTER)
                    steps.append((at, now_exists, "" if now_exists else missing))
                    exists = now_exists
            return steps
    return [(t0, True, "")]  # any other command succeeds


# -- upstream's worker over a step function ----------------------------------------------------
def _run(steps: list, ticks: _Ticks, initial, stop_on_change: bool, label: str, out: list):
    """Walk ``steps`` probe by probe (in closed form per step) with the worker's thresholds.

    Appends the failed probes' Unhealthy series to ``out``; returns the transitions of
    the result the kubelet uses ``[(time, ok)]`` (stopping at the first with ``stop_on_change``).
    """
    changes, last, run, result = [], None, 0, initial
    bounds = [s[0] for s in steps[1:]] + [INF]
    for (start, ok, message), end in zip(steps, bounds, strict=True):
        ks, ke = max(ticks.k0, ticks.at_or_after(start)), ticks.at_or_after(end)
        if ke <= ks:
            continue
        n = INF if ke >= _NEVER else ke - ks
        before = run if last == ok else 0
        need = max(1, (ticks.success if ok else ticks.failure) - before)
        change = ks + need - 1 if need <= n and result != ok else None
        if not ok:  # every failed probe is an event, up to a kill
            count = (change - ks + 1) if change is not None and stop_on_change else n
            out.append(
                (
                    ticks.time(ks),
                    ticks.period,
                    None if count == INF else int(count),
                    "Warning",
                    "Unhealthy",
                    f"{label} probe failed: {message}",
                )
            )
        if change is not None:
            result = ok
            changes.append((ticks.time(change), ok))
            if stop_on_change:
                return changes
        last, run = ok, before + n
    return changes


def plan(
    container: dict, image, started_at: float, pod_ip: str, *, restart: bool = True
) -> ProbePlan:
    """The probe outcomes of a container whose process started at ``started_at``.

    ``restart``: whether a killed container will be restarted (restartPolicy not Never),
    which the Killing event says.
    """
    name = container["name"]
    out = ProbePlan(started_at=started_at)
    then = ", will be restarted" if restart else ""
    startup = container.get("startupProbe")
    if startup:
        steps = _answers(startup, container, image, started_at, pod_ip)
        ticks = _Ticks(startup, started_at, started_at)
        changes = _run(steps, ticks, None, True, "Startup", out.events)
        if changes and changes[0][1]:
            out.started_at = changes[0][0]
        else:
            out.started_at = None
            if changes:
                out.kill_at = changes[0][0]
                out.kill_message = f"Container {name} failed startup probe{then}"
                out.kill_grace = startup.get("terminationGracePeriodSeconds")
            return out
    begin = out.started_at

    readiness = container.get("readinessProbe")
    if readiness is None:
        out.ready.append((begin, True))
    else:
        steps = _answers(readiness, container, image, started_at, pod_ip)
        ticks = _Ticks(readiness, started_at, begin)
        out.ready = _run(steps, ticks, False, False, "Readiness", out.events)

    liveness = container.get("livenessProbe")
    if liveness is not None:
        steps = _answers(liveness, container, image, started_at, pod_ip)
        ticks = _Ticks(liveness, started_at, begin)
        changes = _run(steps, ticks, True, True, "Liveness", out.events)
        if changes:
            out.kill_at = changes[0][0]
            out.kill_message = f"Container {name} failed liveness probe{then}"
            out.kill_grace = liveness.get("terminationGracePeriodSeconds")
    if out.kill_at is not None:  # nothing after the kill: the worker holds, the timers stop
        out.ready = [r for r in out.ready if r[0] <= out.kill_at]
        out.events = [_clip(e, out.kill_at) for e in out.events if e[0] <= out.kill_at]
    out.events.sort(key=lambda e: e[0])
    return out


def _clip(series: tuple, until: float) -> tuple:
    first, period, count, *rest = series
    last = math.floor((until - first) / period + 1e-6) + 1
    return (first, period, last if count is None else min(count, last), *rest)
