"""The ingress-nginx controller as a kubelab component (``internal/ingress/controller``).

What it does, as minikube's ingress addon does:

* at start it installs the addon's IngressClass ``nginx`` (controller
  ``k8s.io/ingress-nginx``, annotated ``ingressclass.kubernetes.io/is-default-class: "true"``);
* for every Ingress it serves (see :mod:`kubelab.ingress.classes`) it records the event
  ``Normal Sync "Scheduled for sync"`` on each add or change (the status update it makes
  itself is a change too, hence ``(x2 over ...)`` in ``kubectl describe``);
* its status syncer runs at start and every 60 s (``UpdateInterval``) and writes the
  address where ingress-nginx listens into ``status.loadBalancer.ingress[0].ip``: the
  ``InternalIP`` of the node running the controller (minikube's single node; here the first
  node by name). Until then ``kubectl get ingress`` shows an empty ADDRESS.

The routing itself is :func:`kubelab.ingress.route_request`, which reads the same Ingress
objects; the controller runs as a control-plane component, not as pods (simplification).

Examples
--------
>>> import kubelab as kl
>>> c = kl.Cluster(nodes=1, seed=0)
>>> [ic["metadata"]["name"] for ic in c.list("IngressClass")]
['nginx']
>>> _ = c.apply({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "web"},
...              "spec": {"defaultBackend": {"service": {"name": "web", "port": {"number": 80}}}}})
>>> _ = c.run(60)
>>> c.get("Ingress", "web")["status"]
{'loadBalancer': {'ingress': [{'ip': '192.168.0.2'}]}}
"""

from __future__ import annotations

import contextlib
import math

from kubelab.api.meta import cow
from kubelab.controllers.base import Controller
from kubelab.errors import AlreadyExists, Conflict, KubelabError, NotFound
from kubelab.ingress.classes import nginx_class_manifest, our_classes, served

__all__ = ["STATUS_UPDATE_INTERVAL", "IngressNginxController"]

STATUS_UPDATE_INTERVAL = 60.0  # internal/ingress/status: UpdateInterval = 60 (seconds)


class IngressNginxController(Controller):
    """ingress-nginx: Sync events and the Ingress status address."""

    name = "nginx-ingress-controller"
    qps = None  # not a kube-controller-manager client

    def setup(self) -> None:
        self._classes = self.informers.get("IngressClass")
        self._ingresses = self.informers.get("Ingress")
        self._nodes = self.informers.get("Node")
        self._status_timer = None
        with contextlib.suppress(AlreadyExists):  # the addon's IngressClass
            self.client.create(nginx_class_manifest())
        self._ingresses.add_handler(on_add=self._on_ingress, on_update=self._on_ingress_update)
        self._classes.add_handler(
            on_add=self._on_class, on_update=self._on_class, on_delete=self._on_class
        )

    # -- informer handlers ----------------------------------------------------------------
    def _served(self, ingress: dict) -> bool:
        return served(ingress, our_classes(self._classes.list()))

    def _on_ingress(self, ingress: dict) -> None:
        meta = ingress["metadata"]
        self.enqueue(("ingress", meta.get("namespace", ""), meta["name"]))

    def _on_ingress_update(self, old: dict, new: dict) -> None:
        if old.get("metadata", {}).get("resourceVersion") != new["metadata"].get("resourceVersion"):
            self._on_ingress(new)

    def _on_class(self, *_objs) -> None:
        self._schedule_status()

    # -- the status syncer ----------------------------------------------------------------
    def _schedule_status(self) -> None:
        """Enqueue the next tick of the 60 s status loop (ticks at 0, 60, 120 ... s)."""
        if self._status_timer is not None:
            return
        now = self.clock.now
        tick = math.ceil(now / STATUS_UPDATE_INTERVAL) * STATUS_UPDATE_INTERVAL
        self._status_timer = True
        self.clock.call_later(max(tick - now, 0.0), self._tick)

    def _tick(self) -> None:
        self._status_timer = None
        self.enqueue("status")

    def address(self) -> list[dict]:
        """``runningAddresses``: the InternalIP of the node running the controller."""
        for node in sorted(self._nodes.list(), key=lambda n: n["metadata"]["name"]):
            for addr in (node.get("status") or {}).get("addresses") or []:
                if addr.get("type") == "InternalIP" and addr.get("address"):
                    return [{"ip": addr["address"]}]
        return []

    def sync(self, key) -> None:
        if key != "status":
            ingress = self._ingresses.get(key[1], key[2])
            if ingress is not None and self._served(ingress):
                self.client.event(ingress, "Normal", "Sync", "Scheduled for sync")
                self._schedule_status()
            return
        wanted = self.address()
        classes = our_classes(self._classes.list())
        for ingress in sorted(
            self._ingresses.list(),
            key=lambda i: (i["metadata"].get("namespace", ""), i["metadata"]["name"]),
        ):
            if not served(ingress, classes):
                continue
            current = ((ingress.get("status") or {}).get("loadBalancer") or {}).get("ingress")
            if (current or []) == wanted:
                continue
            new, status = cow(ingress, "status")
            status["loadBalancer"] = {"ingress": wanted} if wanted else {}
            try:
                self.client.update_status(new)
            except (Conflict, NotFound):
                self._schedule_status()
            except KubelabError:
                continue
