"""The cloud-controller-manager's service controller, with a simulated cloud load balancer.

For every ``type: LoadBalancer`` Service it asks "the cloud" for a load balancer and,
once provisioned (a few simulated seconds later), writes its address into
``status.loadBalancer.ingress`` — until then ``kubectl get svc`` shows ``<pending>``.
Events as upstream (``staging/src/k8s.io/cloud-provider/controllers/service``):
``EnsuringLoadBalancer``/``EnsuredLoadBalancer``, ``DeletingLoadBalancer``/
``DeletedLoadBalancer`` and ``Type`` on type changes. The finalizer
``service.kubernetes.io/load-balancer-cleanup`` keeps a deleted Service until its load
balancer is gone. Addresses come from a simulated pool, ``203.0.113.0/24`` (a
documentation range), lowest free first.

Examples
--------
>>> import kubelab as kl
>>> c = kl.Cluster(nodes=1, seed=0)
>>> _ = c.apply('''
... apiVersion: v1
... kind: Service
... metadata: {name: shop}
... spec: {type: LoadBalancer, selector: {app: shop}, ports: [{port: 80}]}
... ''')
>>> c.get("svc", "shop")["status"]
{'loadBalancer': {}}
>>> c.run(10).get("svc", "shop")["status"]
{'loadBalancer': {'ingress': [{'ip': '203.0.113.10', 'ipMode': 'VIP'}]}}
>>> [e["reason"] for e in c.list("events") if e["involvedObject"]["name"] == "shop"]
['EnsuringLoadBalancer', 'EnsuredLoadBalancer']
"""

from __future__ import annotations

import ipaddress

from kubelab.controllers.base import Controller
from kubelab.errors import Conflict, NotFound

__all__ = ["LB_FINALIZER", "LB_POOL", "ServiceController"]

LB_FINALIZER = "service.kubernetes.io/load-balancer-cleanup"
LB_POOL = "203.0.113.0/24"


def wants_load_balancer(svc: dict) -> bool:
    """A LoadBalancer Service that is not being deleted."""
    return (svc.get("spec") or {}).get("type") == "LoadBalancer" and not svc["metadata"].get(
        "deletionTimestamp"
    )


def lb_ips(svc: dict) -> list[str]:
    """The load-balancer addresses in a Service's status."""
    ingress = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or ()
    return [i["ip"] for i in ingress if i.get("ip")]


class ServiceController(Controller):
    """Provision and release simulated cloud load balancers for LoadBalancer Services."""

    name = "service-controller"
    retry_base, retry_cap = 5.0, 300.0  # upstream minRetryDelay / maxRetryDelay
    provisioning_seconds = 5.0  # how long "the cloud" takes to create a load balancer

    def setup(self) -> None:
        net = ipaddress.ip_network(LB_POOL)
        self._pool = [str(ip) for ip in list(net.hosts())[9:]]  # .10, .11, ...
        self._lbs: dict[tuple[str, str], str] = {}  # service key -> its address in the cloud
        self._provisioning: set = set()
        self.services = self.informers.get("Service")
        for svc in self.services.list():
            for ip in lb_ips(svc):
                self._lbs[_key(svc)] = ip
        self.services.add_handler(
            on_add=self.enqueue_object,
            on_update=self._on_update,
            on_delete=self.enqueue_object,
        )

    def _on_update(self, old: dict, new: dict) -> None:
        old_type, new_type = (
            (old.get("spec") or {}).get("type"),
            (new.get("spec") or {}).get("type"),
        )
        if old_type != new_type and "LoadBalancer" in (old_type, new_type):
            self.client.event(new, "Normal", "Type", f"{old_type} -> {new_type}")
        self.enqueue_object(new)

    def sync(self, key) -> None:
        ns, name = key
        svc = self.services.get(ns, name)
        if svc is None:
            self._lbs.pop(key, None)
            return
        finalizers = svc["metadata"].get("finalizers") or []
        if wants_load_balancer(svc):
            if LB_FINALIZER not in finalizers:
                svc = self._set_finalizer(svc, [*finalizers, LB_FINALIZER])
                if svc is None:
                    return
            if key in self._lbs and lb_ips(svc) == [self._lbs[key]]:
                return
            if key not in self._provisioning:
                self._provisioning.add(key)
                self.client.event(svc, "Normal", "EnsuringLoadBalancer", "Ensuring load balancer")
                self.clock.call_later(self.provisioning_seconds, self._provisioned, key)
            return
        if key in self._lbs or LB_FINALIZER in finalizers:
            self.client.event(svc, "Normal", "DeletingLoadBalancer", "Deleting load balancer")
            self._lbs.pop(key, None)
            self._provisioning.discard(key)
            if lb_ips(svc):
                svc = self._write_status(svc, {"loadBalancer": {}}) or svc
            self.client.event(svc, "Normal", "DeletedLoadBalancer", "Deleted load balancer")
            if LB_FINALIZER in finalizers:
                self._set_finalizer(svc, [f for f in finalizers if f != LB_FINALIZER])

    def _provisioned(self, key) -> None:
        self._provisioning.discard(key)
        svc = self.services.get(*key)
        if svc is None or not wants_load_balancer(svc):
            return
        ip = self._lbs.get(key)
        if ip is None:
            taken = set(self._lbs.values())  # once, not once per address of the pool
            ip = next((ip for ip in self._pool if ip not in taken), None)
        if ip is None:
            self.client.event(
                svc,
                "Warning",
                "SyncLoadBalancerFailed",
                "Error syncing load balancer: failed to ensure load balancer: "
                "no addresses left in the simulated pool",
            )
            return
        self._lbs[key] = ip
        if self._write_status(svc, {"loadBalancer": {"ingress": [{"ip": ip, "ipMode": "VIP"}]}}):
            self.client.event(svc, "Normal", "EnsuredLoadBalancer", "Ensured load balancer")

    def _write_status(self, svc: dict, status: dict):
        new = dict(svc, status=status)
        new["metadata"] = dict(svc["metadata"])
        try:
            return self.client.update_status(new)
        except (Conflict, NotFound):
            self.add_rate_limited(_key(svc))
            return None

    def _set_finalizer(self, svc: dict, finalizers: list):
        new = dict(svc)
        new["metadata"] = dict(svc["metadata"], finalizers=finalizers)
        if not finalizers:
            new["metadata"].pop("finalizers")
        try:
            return self.client.update(new)
        except (Conflict, NotFound):
            self.add_rate_limited(_key(svc))
            return None


def _key(svc: dict) -> tuple[str, str]:
    return svc["metadata"].get("namespace", ""), svc["metadata"]["name"]
