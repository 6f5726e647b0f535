"""The data plane's view of a pod: does something listen at ``IP:port`` right now?

This is the node's network and container runtime (what a packet meets), not the API server:
a pod whose status still says Running but whose machine is down does not answer.

* the node is down (kubelet stopped) or has no pod with that IP → the client times out;
* the pod's sandbox exists but no container listens on the port → connection refused: the
  process is not running, has not opened its port yet (``ready_after`` in the image
  catalogue), or got SIGTERM (a stopping app closes its listener first; an app that ignores
  SIGTERM, ``stop_seconds: null``, keeps answering until it is SIGKILLed);
* otherwise the container answers, with its image's ``version``, ``latency_ms`` and
  ``error_rate``.

Which ports a container listens on: its image's ``ports``; an image that declares none
listens on the container's ``containerPort``s, or on any port if it declares none either.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Listener", "find_pod", "listener"]


@dataclass
class Listener:
    """Where a connection ended: ``status`` None (a container accepted it) or a failure."""

    status: str | None  # None | "connection refused" | "timeout"
    pod: str | None = None
    namespace: str | None = None
    node: str | None = None
    container: str | None = None
    image: object = None


def find_pod(kubelet, ip: str):
    """The pod worker holding ``ip`` on this node (its sandbox is up), or None."""
    for worker in kubelet.workers.values():
        if worker.sandbox == "ready" and getattr(worker, "pod_ip", None) == ip:
            return worker
    return None


def _ports(container) -> set | None:
    if container.image is not None and container.image.shell:
        return set()  # a toolbox (sleep, tail -f ...) listens on nothing
    image_ports = set(container.image.ports) if container.image else set()
    if image_ports:
        return image_ports
    declared = {p.get("containerPort") for p in container.spec.get("ports") or ()}
    return declared or None  # None: listens on whatever it is asked


def _containers(worker) -> list:
    from kubelab.kubelet.podworker import _restartable

    sidecars = [c for c in worker.init_containers if _restartable(c.spec)]
    return list(worker.containers) + sidecars


def listener(kubelets: dict, node: str | None, ip: str, port: int, now: float) -> Listener:
    """What answers a TCP connection to ``ip:port`` on ``node`` at ``now``."""
    kubelet = kubelets.get(node or "")
    if kubelet is None or not kubelet.running:
        return Listener("timeout", node=node)
    worker = find_pod(kubelet, ip)
    if worker is None:
        return Listener("timeout", node=node)
    out = Listener("connection refused", worker.name, worker.namespace, node)
    if worker.done:
        return out
    for c in _containers(worker):
        ports = _ports(c)
        if ports is not None and port not in ports:
            continue
        out.container, out.image = c.name, c.image
        if c.state != "running":
            continue
        if c.stop_timer is not None and (c.image is None or c.image.stop_seconds is not None):
            continue  # SIGTERM received: a graceful app closes its listener first
        ready_after = c.image.ready_after if c.image else 0.0
        if now < (c.started_at or 0.0) + ready_after:
            continue
        out.status = None
        return out
    return out
