"""Kubernetes Events: what components tell the world about objects.

Events are ordinary ``v1`` Event objects in the involved object's namespace.
Repeats of the same event (same object, reason, message, source) are aggregated
into one object with a growing ``count``, as client-go's EventRecorder does.
Each occurrence is also kept in :attr:`EventRecorder.log` with its exact
simulated time, for ``Cluster.events`` and plots.
"""

from __future__ import annotations

from kubelab.api.meta import EPOCH, timestamp

__all__ = ["EventRecorder"]

_EPOCH_NS = int(EPOCH.timestamp()) * 10**9


class EventRecorder:
    """Writes Event objects through the API server's store, aggregating repeats."""

    def __init__(self, server):
        self.server = server
        self.log: list[tuple] = []  # (time, namespace, kind, name, type, reason, message, source)
        self._names: dict[tuple, str] = {}
        self._seq = 0
        self.enabled = True

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
