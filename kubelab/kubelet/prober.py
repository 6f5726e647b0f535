"""Probes: when a container becomes started, ready or is killed for failing liveness.

A simulated app's health is known in advance from its image: it answers from
``ready_after`` seconds after starting, and (with ``healthy_for``) stops answering
correctly after that long; ``healthy: false`` never answers correctly. So instead of
running every probe every ``periodSeconds`` (work per pod per period), :func:`plan`
computes the instants where a probe's *result changes*, with upstream's rules:

* probes tick every ``periodSeconds`` from the container's start, counted from
  ``initialDelaySeconds`` on (``pkg/kubelet/prober/worker.go``);
* a result changes after ``successThreshold`` / ``failureThreshold`` consecutive
  results; readiness starts as failure, liveness as success;
* while a startup probe has not succeeded, liveness and readiness do not run;
* a container without a readiness probe is ready as soon as it has started.

Examples
--------
>>> from kubelab.images import ImageSpec
>>> app = ImageSpec(ready_after=12, ports=(8080,))
>>> probe = {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 5}
>>> p = plan({"name": "web", "readinessProbe": probe}, app, started_at=100.0, pod_ip="10.244.0.2")
>>> p.ready, p.started_at, p.kill_at
([(115.0, True)], 100.0, None)
>>> p.events[0]
(100.0, 'Warning', 'Unhealthy', 'Readiness probe failed: Get "http://10.244.0.2:8080/healthz": dial tcp 10.244.0.2:8080: connect: connection refused')
>>> live = plan({"name": "web", "livenessProbe": probe}, ImageSpec(healthy_for=10), 0.0, "10.244.0.2")
>>> live.kill_at, live.kill_message
(20.0, 'Container web failed liveness probe, will be restarted')
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

__all__ = ["ProbePlan", "plan", "probe_defaults"]

INF = math.inf
_EPS = 1e-9


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
    """What the probes of one container run will do, in absolute simulated time."""

    started_at: float | None  # the container counts as started (None: never)
    ready: list = field(default_factory=list)  # [(time, ready?)] transitions
    kill_at: float | None = None  # liveness/startup failure kills the container
    kill_message: str = ""
    events: list = field(default_factory=list)  # [(time, type, reason, message)]


class _Ticks:
    """Probe instants ``t0 + k·period`` counted from the initial delay (and ``not_before``)."""

    def __init__(self, probe: dict, t0: float, not_before: float):
        d = probe_defaults(probe)
        self.t0, self.period = t0, float(d["periodSeconds"])
        self.success, self.failure = d["successThreshold"], d["failureThreshold"]
        k_delay = math.ceil(d["initialDelaySeconds"] / self.period - _EPS)
        self.k0 = max(k_delay, self._k_at(not_before))

    def _k_at(self, when: float) -> int:
        if when == INF:
            return 2**62
        return max(0, math.ceil((when - self.t0) / self.period - _EPS))

    def first_at_or_after(self, when: float) -> int:
        return max(self.k0, self._k_at(when))

    def time(self, k: int) -> float:
        return INF if k >= 2**62 else self.t0 + k * self.period


def _target(probe: dict, container: dict, pod_ip: str) -> tuple[str, str, str]:
    """(kind, failure message while the app is not up, failure message while it is unhealthy)."""
    if "httpGet" in probe:
        h = probe["httpGet"]
        port = _port(h.get("port"), container)
        scheme = (h.get("scheme") or "HTTP").lower()
        host = h.get("host") or pod_ip
        path = h.get("path") or "/"
        refused = f'Get "{scheme}://{host}:{port}{path}": dial tcp {host}:{port}: connect: connection refused'
        return "http", refused, "HTTP probe failed with statuscode: 500"
    if "tcpSocket" in probe:
        port = _port(probe["tcpSocket"].get("port"), container)
        host = probe["tcpSocket"].get("host") or pod_ip
        return "tcp", f"dial tcp {host}:{port}: connect: connection refused", ""
    if "grpc" in probe:
        port = probe["grpc"].get("port")
        return (
            "grpc",
            f'timeout: failed to connect service "{pod_ip}:{port}" within 1s: context deadline exceeded',
            'service unhealthy (responded with "NOT_SERVING")',
        )
    command = " ".join((probe.get("exec") or {}).get("command") or [])
    return "exec", f"command {command!r} exited with 1", f"command {command!r} exited with 1"


def _port(port, container: dict):
    if isinstance(port, str) and not port.isdigit():
        for p in container.get("ports") or ():
            if p.get("name") == port:
                return p.get("containerPort")
    return port


def _window(kind: str, image, t0: float) -> tuple[float, float]:
    """[a, b): when this kind of probe passes against the app started at ``t0``."""
    start = t0 + image.ready_after
    if kind == "tcp":  # a TCP connect only needs the port to be open
        return start, INF
    if not image.healthy:
        return INF, INF
    end = t0 + image.healthy_for if image.healthy_for is not None else INF
    return start, max(start, end)


def plan(container: dict, image, started_at: float, pod_ip: str) -> ProbePlan:
    """The probe outcomes of a container whose process started at ``started_at``."""
    name = container["name"]
    out = ProbePlan(started_at=started_at)
    startup = container.get("startupProbe")
    if startup:
        kind, refused, unhealthy = _target(startup, container, pod_ip)
        a, _ = _window(kind, image, started_at)
        ticks = _Ticks(startup, started_at, started_at)
        ka = ticks.first_at_or_after(a)
        if ka - ticks.k0 >= ticks.failure:
            out.started_at = None
            out.kill_at = ticks.time(ticks.k0 + ticks.failure - 1)
            out.kill_message = f"Container {name} failed startup probe, will be restarted"
            out.events.append(
                (out.kill_at, "Warning", "Unhealthy", f"Startup probe failed: {refused}")
            )
            return out
        out.started_at = ticks.time(ka)  # successThreshold must be 1 for startup probes
        if ka > ticks.k0:
            out.events.append(
                (ticks.time(ticks.k0), "Warning", "Unhealthy", f"Startup probe failed: {refused}")
            )
    begin = out.started_at

    readiness = container.get("readinessProbe")
    if readiness is None:
        out.ready.append((begin, True))
    else:
        kind, refused, unhealthy = _target(readiness, container, pod_ip)
        a, b = _window(kind, image, started_at)
        ticks = _Ticks(readiness, started_at, begin)
        ka = ticks.first_at_or_after(a)
        if ka > ticks.k0:
            out.events.append(
                (
                    ticks.time(ticks.k0),
                    "Warning",
                    "Unhealthy",
                    f"Readiness probe failed: {refused if a < INF else unhealthy or refused}",
                )
            )
        ready_at = ticks.time(ka + ticks.success - 1)
        if ready_at < b:
            out.ready.append((ready_at, True))
            kb = ticks.first_at_or_after(b)
            if b < INF:
                out.events.append(
                    (ticks.time(kb), "Warning", "Unhealthy", f"Readiness probe failed: {unhealthy}")
                )
                out.ready.append((ticks.time(kb + ticks.failure - 1), False))

    liveness = container.get("livenessProbe")
    if liveness is not None:
        kind, refused, unhealthy = _target(liveness, container, pod_ip)
        a, b = _window(kind, image, started_at)
        ticks = _Ticks(liveness, started_at, begin)
        ka = ticks.first_at_or_after(a)
        if ka - ticks.k0 >= ticks.failure:
            kill, why = ticks.time(ticks.k0 + ticks.failure - 1), refused if a < INF else unhealthy
        elif b < INF:
            kill, why = ticks.time(ticks.first_at_or_after(b) + ticks.failure - 1), unhealthy
        else:
            kill = None
        if kill is not None and kill < INF and (out.kill_at is None or kill < out.kill_at):
            out.kill_at = kill
            out.kill_message = f"Container {name} failed liveness probe, will be restarted"
            out.events.append(
                (kill, "Warning", "Unhealthy", f"Liveness probe failed: {why or refused}")
            )
    out.events.sort(key=lambda e: e[0])
    return out
