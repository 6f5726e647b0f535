"""The endpoints controller (``pkg/controller/endpoint``): the legacy ``Endpoints`` object.

One Endpoints object per selecting Service, same name, listing its pods' addresses:
Ready pods (or every pod with ``publishNotReadyAddresses``) in ``addresses``, the others in
``notReadyAddresses``; terminating pods are left out (unless ``publishNotReadyAddresses``),
and so are pods that resolve none of the Service's ports (a headless Service without ports
lists every pod, port-less).
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

import bisect
import contextlib

from kubelab.controllers.servicepods import (
    ServicePodsController,
    find_port,
    headless,
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
    ports = _ports(pod, svc)
    if not ports and ((svc.get("spec") or {}).get("ports") or not headless(svc)):
        return None  # upstream adds the address once per port it resolves: here none
    return ports, publish or is_pod_ready(pod), _address(pod, svc)


def _row(address: dict) -> tuple:
    ref = address.get("targetRef") or {}
    return address["ip"], ref.get("uid", ""), ref.get("name", ""), address


def _insort(state: list, entry: tuple) -> None:
    ports, is_ready, address = entry
    lists = state[0].setdefault(ports, ([], []))
    bisect.insort(lists[0 if is_ready else 1], _row(address))
    state[1] += 1


def _remove(state: list, entry: tuple) -> None:
    ports, is_ready, address = entry
    lists = state[0][ports]
    rows = lists[0 if is_ready else 1]
    row = _row(address)
    del rows[bisect.bisect_left(rows, row[:3])]
    state[1] -= 1
    if not lists[0] and not lists[1]:
        del state[0][ports]


class EndpointsController(ServicePodsController):
    """Keep each selecting Service's Endpoints object equal to its pods' addresses."""

    name = "endpoint-controller"
    max_addresses = MAX_ENDPOINT_ADDRESSES

    def setup(self) -> None:
        super().setup()
        self.endpoints = self.informers.get("Endpoints")
        self.endpoints.add_handler(on_delete=self.enqueue_object)
        self._state: dict = {}  # Service key -> [groups, address count], see _groups

    def sync(self, key) -> None:
        ns, name = key
        svc = self.services.get(ns, name)
        current = self.endpoints.get(ns, name)
        if svc is None or svc["metadata"].get("deletionTimestamp"):
            if current is not None and svc is None:
                self._delete(current)
            self.drop_caches(key)
            return
        spec = svc.get("spec") or {}
        if not spec.get("selector") or spec.get("type") == "ExternalName":
            self.drop_caches(key)
            return  # user-managed Endpoints (or none)
        publish = bool(spec.get("publishNotReadyAddresses"))
        groups, total = self._groups(key, svc, lambda p: _entry(p, svc, publish))
        subsets = []
        budget = self.max_addresses
        for ports in sorted(groups):
            ready, not_ready = groups[ports]
            ready = [row[-1] for row in ready[:budget]]
            not_ready = [row[-1] for row in not_ready[: max(budget - len(ready), 0)]]
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

    def _groups(self, key, svc: dict, build) -> tuple[dict, int]:
        """``{ports: (ready rows, not-ready rows)}`` sorted by IP, and how many addresses.

        Kept between syncs and updated from the pods that changed (``bisect``), so a sync
        costs O(changed pods), not O(pods). A row is ``(ip, uid, pod name, address)``: the
        name breaks ties as the stable sort of the name-ordered pods did.
        """
        changes = self.pod_changes(svc, build)
        state = self._state.get(key)
        if changes is None or state is None:
            state = self._state[key] = [{}, 0]
            for entry in self.per_pod(svc, build):
                _insort(state, entry)
            return state[0], state[1]
        for old, new in changes.values():
            if old is not None:
                _remove(state, old)
            if new is not None:
                _insort(state, new)
        return state[0], state[1]

    def drop_caches(self, key) -> None:
        super().drop_caches(key)
        self._state.pop(key, None)

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
            self.add_rate_limited((meta.get("namespace", ""), meta["name"]))

    def _delete(self, endpoints: dict) -> None:
        meta = endpoints["metadata"]
        with contextlib.suppress(NotFound):
            self.client.delete("Endpoints", meta["name"], meta.get("namespace", ""))
