"""Kubernetes Events: what components tell the world about objects.

Events are ordinary ``v1`` Event objects in the involved object's namespace.
Repeats of the same event (same object, reason, message, source) are aggregated
into one object with a growing ``count``, as client-go's EventRecorder does.
Each occurrence is also kept in :attr:`EventRecorder.log` with its exact
simulated time, for ``Cluster.events`` and plots.

Events expire :data:`EVENT_TTL` seconds (one hour) after their last write, like kube-apiserver's
``--event-ttl``: the store holds them on a lease that each write renews, and so does the log
(``kl.Cluster(..., event_ttl=None)`` or ``keep_history=True`` keeps them all).

Examples
--------
>>> import kubelab as kl
>>> c = kl.Cluster(nodes=1, seed=0)
>>> _ = c.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
...              "spec": {"containers": [{"name": "web", "image": "nginx"}]}})
>>> c.run(30).api.store.count("Event") > 0, len(c.events) > 0
(True, True)
>>> _ = c.delete("pod", "web")
>>> c.run(3600).api.store.count("Event"), len(c.events)
(0, 0)
"""

from __future__ import annotations

from kubelab.api.meta import EPOCH, timestamp
from kubelab.sim import RingLog

__all__ = ["EVENT_TTL", "LOG_MAX_ROWS", "EventRecorder"]

EVENT_TTL = 3600.0  # kube-apiserver --event-ttl (1h)
LOG_MAX_ROWS = 100_000  # occurrences kept in EventRecorder.log at most

_EPOCH_NS = int(EPOCH.timestamp()) * 10**9


class EventRecorder:
    """Writes Event objects through the API server's store, aggregating repeats."""

    def __init__(self, server, *, ttl: float | None = EVENT_TTL, keep_all: bool = False):
        self.server = server
        # (time, namespace, kind, name, type, reason, message, source): the last ``ttl`` seconds
        self.log = RingLog(server.clock, ttl, LOG_MAX_ROWS)
        if keep_all:
            self.log.keep_all()
        if ttl is not None:
            server.store.ttl["Event"] = ttl
        self._names: dict[tuple, str] = {}  # aggregation key -> Event name
        self._keys: dict[tuple[str, str], tuple] = {}  # (namespace, name) -> aggregation key
        server.store.watch("Event", self._on_event)
        self._seq = 0
        self.enabled = True

    def _on_event(self, event: str, obj: dict, old) -> None:
        # An expired or deleted Event: a repeat starts a new one (client-go's cache forgets it).
        if event == "DELETED":
            meta = obj["metadata"]
            key = self._keys.pop((meta.get("namespace", ""), meta["name"]), None)
            if key is not None and self._names.get(key) == meta["name"]:
                del self._names[key]

    def record(self, obj: dict, type_: str, reason: str, message: str, *, source: str) -> None:
        meta = obj["metadata"]
        ns = meta.get("namespace") or "default"
        now = self.server.clock.now
        self.log.append(
            (
                now,
                meta.get("namespace", ""),
                obj["kind"],
                meta["name"],
                type_,
                reason,
                message,
                source,
            )
        )
        if not self.enabled:
            return
        key = (meta.get("uid"), obj["kind"], meta["name"], type_, reason, message, source)
        store = self.server.store
        name = self._names.get(key)
        existing = store.get("Event", ns, name) if name else None
        stamp = timestamp(now)
        if existing is not None:
            event = dict(existing, count=existing.get("count", 1) + 1, lastTimestamp=stamp)
            event["metadata"] = dict(existing["metadata"])
        else:
            self._seq += 1
            name = f"{meta['name']}.{_EPOCH_NS + int(now * 1e9) + self._seq:x}"
            self._names[key] = name
            self._keys[(ns, name)] = key
            event = {
                "apiVersion": "v1",
                "kind": "Event",
                "metadata": {
                    "name": name,
                    "namespace": ns,
                    "uid": self.server.new_uid(),
                    "creationTimestamp": stamp,
                },
                "involvedObject": {
                    "apiVersion": obj.get("apiVersion"),
                    "kind": obj["kind"],
                    "name": meta["name"],
                    "namespace": meta.get("namespace", ""),
                    "uid": meta.get("uid"),
                },
                "reason": reason,
                "message": message,
                "type": type_,
                "source": _source(source, obj),
                "reportingComponent": source,
                "reportingInstance": "",
                "firstTimestamp": stamp,
                "lastTimestamp": stamp,
                "count": 1,
                "eventTime": None,
            }
            if not event["involvedObject"]["namespace"]:
                del event["involvedObject"]["namespace"]
        store.put(event)
        self.server._record(
            source, "create" if existing is None else "patch", "Event", ns, name, 201
        )


def _source(component: str, obj: dict) -> dict:
    if component.startswith("kubelet/"):
        return {"component": "kubelet", "host": component.split("/", 1)[1]}
    return {"component": component}
