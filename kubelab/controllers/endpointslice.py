"""The EndpointSlice controller (``pkg/controller/endpointslice``).

For every Service with a selector it keeps EndpointSlices listing the selected pods that
have an IP and are not terminal, one endpoint per pod, built as upstream's
``podToEndpoint``::

    serving     = publishNotReadyAddresses or pod Ready
    terminating = pod.metadata.deletionTimestamp is set
    ready       = publishNotReadyAddresses or (serving and not terminating)

Ports are resolved per pod (a named ``targetPort`` looks up the container port of that
name), so pods resolving differently land in different slices. A slice holds at most 100
endpoints; endpoints stay in their slice while they exist (little churn), new ones fill
free room first. A Service whose pods give no endpoint keeps one empty placeholder slice.
Services without a selector (and ExternalName ones) get no managed slices.

Like upstream's work queue, pod events coalesce into one sync per Service key, and a sync
touches only the pods whose events arrived and the slices holding them (``_sync_changes``,
with the same writes a full re-walk would make), so scaling to N pods costs O(N).

Examples
--------
>>> import kubelab as kl
>>> c = kl.Cluster(nodes=2, seed=0)
>>> _ = c.apply('''
... apiVersion: v1
... kind: Service
... metadata: {name: web}
... spec: {selector: {app: web}, ports: [{name: http, port: 80, targetPort: http}]}
... ---
... apiVersion: v1
... kind: Pod
... metadata: {name: web-1, labels: {app: web}}
... spec:
...   containers: [{name: nginx, image: "nginx:1.25", ports: [{name: http, containerPort: 8080}]}]
... ''')
>>> s = c.run(30).list("endpointslices", selector="kubernetes.io/service-name=web")[0]
>>> s["ports"], s["endpoints"][0]["conditions"], s["endpoints"][0]["targetRef"]["name"]
([{'name': 'http', 'port': 8080, 'protocol': 'TCP'}], {'ready': True, 'serving': True, 'terminating': False}, 'web-1')
"""

from __future__ import annotations

import contextlib

from kubelab.controllers.servicepods import (
    ServicePodsController,
    find_port,
    is_pod_ready,
    is_terminal,
    managed_labels,
)
from kubelab.errors import AlreadyExists, Conflict, NotFound

__all__ = [
    "MANAGED_BY",
    "MAX_ENDPOINTS_PER_SLICE",
    "EndpointSliceController",
    "endpoint_ports",
    "pod_to_endpoint",
]

MANAGED_BY = "endpointslice-controller.k8s.io"
MAX_ENDPOINTS_PER_SLICE = 100
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by"
_INDEX = "endpointslice-controller:service"


def _slice_service(slice_: dict):
    labels = slice_["metadata"].get("labels") or {}
    name = labels.get(SERVICE_NAME_LABEL)
    if not name or labels.get(MANAGED_BY_LABEL) != MANAGED_BY:
        return ()
    return ((slice_["metadata"].get("namespace", ""), name),)


def pod_to_endpoint(pod: dict, svc: dict, zone: str | None = None) -> dict:
    """``podToEndpoint``: one endpoint for one pod of a Service."""
    meta, spec = pod["metadata"], pod.get("spec") or {}
    publish = bool((svc.get("spec") or {}).get("publishNotReadyAddresses"))
    serving = publish or is_pod_ready(pod)
    terminating = bool(meta.get("deletionTimestamp"))
    endpoint = {
        "addresses": [pod["status"]["podIP"]],
        "conditions": {
            "ready": publish or (serving and not terminating),
            "serving": serving,
            "terminating": terminating,
        },
    }
    if spec.get("hostname") and spec.get("subdomain") == svc["metadata"]["name"]:
        endpoint["hostname"] = spec["hostname"]
    endpoint["targetRef"] = {
        "kind": "Pod",
        "namespace": meta.get("namespace", ""),
        "name": meta["name"],
        "uid": meta.get("uid", ""),
    }
    if spec.get("nodeName"):
        endpoint["nodeName"] = spec["nodeName"]
    if zone:
        endpoint["zone"] = zone
    return endpoint


def endpoint_ports(pod: dict, svc: dict) -> list[dict]:
    """``getEndpointPorts``: the Service's ports as this pod serves them (unresolvable: left out)."""
    ports = []
    for sp in (svc.get("spec") or {}).get("ports") or ():
        number = find_port(pod, sp)
        if number is None:
            continue
        port = {"name": sp.get("name") or "", "port": number, "protocol": sp.get("protocol", "TCP")}
        if sp.get("appProtocol"):
            port["appProtocol"] = sp["appProtocol"]
        ports.append(port)
    return ports


def _ports_key(ports) -> tuple:
    return tuple(tuple(sorted(p.items())) for p in ports or ())


class EndpointSliceController(ServicePodsController):
    """Keep each selecting Service's EndpointSlices equal to its pods' endpoints."""

    name = "endpointslice-controller"
    retry_base = 1.0  # upstream defaultSyncBackOff (maxSyncBackOff: 1000 s)
    max_endpoints_per_slice = MAX_ENDPOINTS_PER_SLICE

    def setup(self) -> None:
        super().setup()
        self.slices = self.informers.get("EndpointSlice")
        self.slices.add_index(_INDEX, _slice_service)
        self.slices.add_handler(on_delete=self._slice_deleted)
        # Service key -> ({slice name: [resourceVersion, ports key, pod names]}, {pod: slice})
        # as the last sync left them; see _sync_changes.
        self._layouts: dict = {}

    def _slice_deleted(self, slice_: dict) -> None:
        for key in _slice_service(slice_):
            self.enqueue(key)

    # -- reconcile ---------------------------------------------------------------------------
    def sync(self, key) -> None:
        ns, name = key
        svc = self.services.get(ns, name)
        existing = sorted(self.slices.by_index(_INDEX, key), key=lambda s: s["metadata"]["name"])
        spec = (svc or {}).get("spec") or {}
        if (
            svc is None
            or svc["metadata"].get("deletionTimestamp")
            or not spec.get("selector")
            or spec.get("type") == "ExternalName"
        ):
            for slice_ in existing:
                self._delete(slice_)
            self.drop_caches(key)
            return
        build = lambda pod: self._entry(pod, svc)  # noqa: E731
        changes = self.pod_changes(svc, build)
        if changes is not None and self._sync_changes(key, svc, changes, existing):
            return
        self._sync_all(svc, existing, build)
        self._remember(key)

    def drop_caches(self, key) -> None:
        super().drop_caches(key)
        self._layouts.pop(key, None)

    def _sync_all(self, svc: dict, existing: list, build) -> None:
        """The whole reconcile, from every selected pod (first sync, Service changed, ...)."""
        desired: dict[tuple, tuple[list, dict]] = {}  # ports key -> (ports, {pod name: endpoint})
        for pkey, ports, pod_name, endpoint in self.per_pod(svc, build):
            desired.setdefault(pkey, (ports, {}))[1][pod_name] = endpoint
        if not desired:
            self._placeholder(svc, existing)
            return
        used: set[str] = set()
        placeholders = [s for s in existing if not s.get("endpoints")]
        for pkey in sorted(desired):
            ports, endpoints = desired[pkey]
            mine = [
                s for s in existing if _ports_key(s.get("ports")) == pkey and s.get("endpoints")
            ]
            if not mine and placeholders:
                mine = [placeholders.pop(0)]  # reuse the empty slice rather than churn names
            used.update(s["metadata"]["name"] for s in mine)
            self._reconcile_group(svc, ports, endpoints, mine)
        for slice_ in existing:
            if slice_["metadata"]["name"] not in used:
                self._delete(slice_)

    def _remember(self, key) -> None:
        """Record the slices a full sync left, if they hold exactly the cached endpoints."""
        self._layouts.pop(key, None)
        layout: dict = {}
        where: dict = {}
        for slice_ in self.slices.by_index(_INDEX, key):
            if not slice_.get("endpoints"):
                return  # a placeholder: the next sync is a full one
            meta = slice_["metadata"]
            pkey = _ports_key(slice_.get("ports"))
            pods = []
            for ep in slice_["endpoints"]:
                pod = (ep.get("targetRef") or {}).get("name")
                value = self.cached_value(key, pod) if pod else None
                if value is None or pod in where or value[0] != pkey or value[3] != ep:
                    return  # not what this controller wrote (a write failed): full sync next
                where[pod] = meta["name"]
                pods.append(pod)
            layout[meta["name"]] = [meta.get("resourceVersion"), pkey, pods]
        if len(where) == sum(1 for hit in self._per_pod[key][1].values() if hit[1] is not None):
            self._layouts[key] = (layout, where)

    def _sync_changes(self, key, svc: dict, changes: dict, existing: list) -> bool:
        """The same reconcile as :meth:`_sync_all`, from the pods that changed only.

        Valid while the slices are exactly those the last sync left (same names and
        resourceVersions); otherwise (a slice edited or deleted by someone else, a failed
        write, a placeholder) return False for a full sync. Costs O(changed pods + slices).
        """
        state = self._layouts.get(key)
        if state is None or len(existing) != len(state[0]):
            return False
        layout, where = state
        for slice_ in existing:
            entry = layout.get(slice_["metadata"]["name"])
            if entry is None or entry[0] != slice_["metadata"].get("resourceVersion"):
                return False
        if not changes:
            return True
        touched: dict = {}  # slice name -> None
        queues: dict = {}  # ports key -> names of pods needing a place
        for pod, (_, new) in changes.items():
            name = where.get(pod)
            if name is not None:
                touched[name] = None
                if new is not None and new[0] == layout[name][1]:
                    continue  # updated in place, as the full sync keeps it in its slice
                layout[name][2].remove(pod)
                del where[pod]
            if new is not None:
                queues.setdefault(new[0], []).append(pod)
        if not where and not queues:
            return False  # no endpoint left: the placeholder is the full sync's business
        groups: dict = {}  # ports key -> slice names, in name order (existing is sorted)
        by_name = {}
        for slice_ in existing:
            name = slice_["metadata"]["name"]
            by_name[name] = slice_
            groups.setdefault(layout[name][1], []).append(name)
        ok = True
        limit = self.max_endpoints_per_slice
        unused = []
        for pkey in sorted({layout[name][1] for name in touched} | set(queues)):
            names = groups.get(pkey, [])
            queue = sorted(queues.get(pkey, ()))
            first = queue[0] if queue else next((p for n in names for p in layout[n][2]), None)
            if first is None:
                unused.extend(names)  # no pod resolves to these ports any more
                continue
            ports = self.cached_value(key, first)[1]
            for name in names:
                pods = layout[name][2]
                room = limit - len(pods)
                if room > 0 and queue:
                    pods.extend(queue[:room])
                    for pod in queue[:room]:
                        where[pod] = name
                    queue = queue[room:]
                    touched[name] = None
            for name in names:
                if name not in touched:
                    continue
                pods = layout[name][2]
                if not pods:
                    self._delete(by_name[name])
                    del layout[name]
                    continue
                eps = [self.cached_value(key, pod)[3] for pod in pods]
                stored = self._write(svc, by_name[name], ports, eps)
                ok = ok and stored is not None
                if stored is not None:
                    layout[name][0] = stored["metadata"].get("resourceVersion")
            for start in range(0, len(queue), limit):
                chunk = queue[start : start + limit]
                eps = [self.cached_value(key, pod)[3] for pod in chunk]
                stored = self._write(svc, None, ports, eps)
                ok = ok and stored is not None
                if stored is not None:
                    meta = stored["metadata"]
                    layout[meta["name"]] = [meta.get("resourceVersion"), pkey, chunk]
                    for pod in chunk:
                        where[pod] = meta["name"]
        for name in sorted(unused):
            self._delete(by_name[name])
            del layout[name]
        if not ok:
            self._layouts.pop(key, None)  # a write failed (and was requeued): full sync next
        return True

    def _entry(self, pod: dict, svc: dict):
        if is_terminal(pod) or not (pod.get("status") or {}).get("podIP"):
            return None
        ports = endpoint_ports(pod, svc)
        endpoint = pod_to_endpoint(pod, svc, self.zone_of(pod["spec"].get("nodeName")))
        return _ports_key(ports), ports, pod["metadata"]["name"], endpoint

    def _reconcile_group(self, svc: dict, ports: list, endpoints: dict, slices: list) -> None:
        remaining = dict(endpoints)
        plans = []
        for slice_ in slices:
            kept = []
            for ep in slice_.get("endpoints") or ():
                pod = (ep.get("targetRef") or {}).get("name")
                if pod in remaining:
                    kept.append(remaining.pop(pod))
            plans.append([slice_, kept])
        queue = [remaining[name] for name in sorted(remaining)]
        limit = self.max_endpoints_per_slice
        for plan in plans:
            room = limit - len(plan[1])
            if room > 0 and queue:
                plan[1].extend(queue[:room])
                queue = queue[room:]
        for slice_, eps in plans:
            if eps:
                self._write(svc, slice_, ports, eps)
            else:
                self._delete(slice_)
        for start in range(0, len(queue), limit):
            self._write(svc, None, ports, queue[start : start + limit])

    def _placeholder(self, svc: dict, existing: list) -> None:
        """No endpoints: one slice with ``endpoints: null`` and ``ports: null``, as upstream."""
        keep = existing[0] if existing else None
        self._write(svc, keep, None, None)
        for slice_ in existing[1:]:
            self._delete(slice_)

    # -- writes ------------------------------------------------------------------------------
    def _labels(self, svc: dict) -> dict:
        labels = managed_labels(svc)
        labels[SERVICE_NAME_LABEL] = svc["metadata"]["name"]
        labels[MANAGED_BY_LABEL] = MANAGED_BY
        return labels

    def _write(self, svc: dict, slice_: dict | None, ports, endpoints) -> dict | None:
        """Create or update one slice unless it already holds this; the stored slice or None."""
        labels = self._labels(svc)
        ports = ports or None
        endpoints = endpoints or None
        try:
            if slice_ is None:
                meta = svc["metadata"]
                return self.client.create(
                    {
                        "apiVersion": "discovery.k8s.io/v1",
                        "kind": "EndpointSlice",
                        "metadata": {
                            "generateName": f"{meta['name']}-",
                            "namespace": meta.get("namespace", ""),
                            "labels": labels,
                            "ownerReferences": [
                                {
                                    "apiVersion": "v1",
                                    "kind": "Service",
                                    "name": meta["name"],
                                    "uid": meta.get("uid", ""),
                                    "controller": True,
                                    "blockOwnerDeletion": True,
                                }
                            ],
                        },
                        "addressType": "IPv4",
                        "endpoints": endpoints,
                        "ports": ports,
                    }
                )
            if (
                slice_.get("endpoints") == endpoints
                and slice_.get("ports") == ports
                and slice_["metadata"].get("labels") == labels
            ):
                return slice_
            new = dict(slice_, endpoints=endpoints, ports=ports)
            new["metadata"] = dict(slice_["metadata"], labels=labels)
            return self.client.update(new)
        except (Conflict, NotFound, AlreadyExists):
            self.add_rate_limited(_service_key(svc))
            return None

    def _delete(self, slice_: dict) -> None:
        meta = slice_["metadata"]
        with contextlib.suppress(NotFound):
            self.client.delete("EndpointSlice", meta["name"], meta.get("namespace", ""))


def _service_key(svc: dict) -> tuple[str, str]:
    return svc["metadata"].get("namespace", ""), svc["metadata"]["name"]
