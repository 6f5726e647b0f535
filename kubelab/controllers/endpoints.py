"""The endpoints controller (``pkg/controller/endpoint``): the legacy ``Endpoints`` object.

One Endpoints object per selecting Service, same name, listing its pods' addresses:
Ready pods (or every pod with ``publishNotReadyAddresses``) in ``addresses``, the others in
``notReadyAddresses``; terminating pods are left out (unless ``publishNotReadyAddresses``).
Addresses are grouped into subsets by the ports they resolve to (``RepackSubsets``) and
sorted by IP. More than 1000 addresses are truncated and the object annotated
``endpoints.kubernetes.io/over-capacity: truncated``. ``kubectl get endpoints`` reads it.

Examples
--------
>>> import kubelab as kl
>>> c = kl.Cluster(nodes=2, seed=0)
>>> _ = c.apply('''
... apiVersion: v1
... kind: Service
... metadata: {name: web}
... spec: {selector: {app: web}, ports: [{port: 80}]}
... ''')
>>> c.run(1).get("endpoints", "web").get("subsets") is None
True
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

__all__ = ["MAX_ENDPOINT_ADDRESSES", "EndpointsController"]

MAX_ENDPOINT_ADDRESSES = 1000
OVER_CAPACITY = "endpoints.kubernetes.io/over-capacity"


def _address(pod: dict, svc: dict) -> dict:
    meta, spec = pod["metadata"], pod.get("spec") or {}
    address = {"ip": pod["status"]["podIP"]}
    if spec.get("hostname") and spec.get("subdomain") == svc["metadata"]["name"]:
        address["hostname"] = spec["hostname"]
    if spec.get("nodeName"):
        address["nodeName"] = spec["nodeName"]
    address["targetRef"] = {
        "kind": "Pod",
        "namespace": meta.get("namespace", ""),
        "name": meta["name"],
        "uid": meta.get("uid", ""),
    }
    return address


def _ports(pod: dict, svc: dict) -> tuple:
    ports = []
    for sp in (svc.get("spec") or {}).get("ports") or ():
        number = find_port(pod, sp)
        if number is None:
            continue
        port = {"port": number, "protocol": sp.get("protocol", "TCP")}
        if sp.get("name"):
            port = {"name": sp["name"], **port}
        if sp.get("appProtocol"):
            port["appProtocol"] = sp["appProtocol"]
        ports.append(port)
    return tuple(tuple(p.items()) for p in ports)


def _entry(pod: dict, svc: dict, publish: bool):
    if is_terminal(pod) or not (pod.get("status") or {}).get("podIP"):
        return None
    if pod["metadata"].get("deletionTimestamp") and not publish:
        return None
    return _ports(pod, svc), publish or is_pod_ready(pod), _address(pod, svc)


def _by_ip(address: dict) -> tuple:
    return address["ip"], address.get("targetRef", {}).get("uid", "")


class EndpointsController(ServicePodsController):
    """Keep each selecting Service's Endpoints object equal to its pods' addresses."""

    name = "endpoint-controller"
    max_addresses = MAX_ENDPOINT_ADDRESSES

    def setup(self) -> None:
        super().setup()
        self.endpoints = self.informers.get("Endpoints")
        self.endpoints.add_handler(on_delete=self.enqueue_object)

    def sync(self, key) -> None:
        ns, name = key
        svc = self.services.get(ns, name)
        current = self.endpoints.get(ns, name)
        if svc is None or svc["metadata"].get("deletionTimestamp"):
            if current is not None and svc is None:
                self._delete(current)
            self.forget(key)
            return
        spec = svc.get("spec") or {}
        if not spec.get("selector") or spec.get("type") == "ExternalName":
            return  # user-managed Endpoints (or none)
        publish = bool(spec.get("publishNotReadyAddresses"))
        groups: dict[tuple, tuple[list, list]] = {}
        total = 0
        for ports, is_ready, address in self.per_pod(svc, lambda p: _entry(p, svc, publish)):
            ready, not_ready = groups.setdefault(ports, ([], []))
            (ready if is_ready else not_ready).append(address)
            total += 1
        subsets = []
        budget = self.max_addresses
        for ports in sorted(groups):
            ready, not_ready = groups[ports]
            ready, not_ready = sorted(ready, key=_by_ip), sorted(not_ready, key=_by_ip)
            ready = ready[:budget]
            not_ready = not_ready[: max(budget - len(ready), 0)]
            budget -= len(ready) + len(not_ready)
            subset: dict = {}
            if ready:
                subset["addresses"] = ready
            if not_ready:
                subset["notReadyAddresses"] = not_ready
            if ports:
                subset["ports"] = [dict(p) for p in ports]
            if ready or not_ready:
                subsets.append(subset)
        annotations = {OVER_CAPACITY: "truncated"} if total > self.max_addresses else None
        self._write(svc, current, subsets, annotations)

    def _write(self, svc: dict, current: dict | None, subsets: list, annotations) -> None:
        meta = svc["metadata"]
        labels = managed_labels(svc)
        new_meta = {"name": meta["name"], "namespace": meta.get("namespace", "")}
        if labels:
            new_meta["labels"] = labels
        if annotations:
            new_meta["annotations"] = annotations
        try:
            if current is None:
                obj = {"apiVersion": "v1", "kind": "Endpoints", "metadata": new_meta}
                if subsets:
                    obj["subsets"] = subsets
                self.client.create(obj)
                return
            cur_meta = current["metadata"]
            if (
                (current.get("subsets") or []) == subsets
                and cur_meta.get("labels") == new_meta.get("labels")
                and (cur_meta.get("annotations") or {}).get(OVER_CAPACITY)
                == (annotations or {}).get(OVER_CAPACITY)
            ):
                return
            new = {k: v for k, v in current.items() if k != "subsets"}
            if subsets:
                new["subsets"] = subsets
            merged = dict(cur_meta)
            for field in ("labels", "annotations"):
                if new_meta.get(field):
                    merged[field] = new_meta[field]
                else:
                    merged.pop(field, None)
            new["metadata"] = merged
            self.client.update(new)
        except (Conflict, NotFound, AlreadyExists):
            self.enqueue((meta.get("namespace", ""), meta["name"]), delay=1.0)

    def _delete(self, endpoints: dict) -> None:
        meta = endpoints["metadata"]
        with contextlib.suppress(NotFound):
            self.client.delete("Endpoints", meta["name"], meta.get("namespace", ""))
