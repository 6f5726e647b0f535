"""A small control plane for controller tests: API server, informers, clock, the
controllers under test, a toy scheduler and toy kubelets (bind → Running/Ready in 1 s,
Lease renewed every 10 s, graceful deletions finished after 1 s).

The toys stand in for kubelab's real scheduler and kubelet so that controller tests do not
depend on them; scenario tests with ``kl.Cluster`` live in the other files.
"""

from __future__ import annotations

from kubelab.api.meta import cow, set_condition, timestamp
from kubelab.apiserver import APIServer
from kubelab.client import InformerFactory
from kubelab.controllers import Context
from kubelab.sim import Clock

__all__ = ["Sim"]


class ToyKubelet:
    def __init__(self, sim: Sim, name: str):
        self.sim, self.name, self.alive = sim, name, False
        self.api = sim.api.client(f"kubelet/{name}")
        self.api.create({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}})
        self.start()

    def start(self):
        self.alive = True
        self.post_status()
        self.renew()

    def stop(self):
        self.alive = False

    def post_status(self):
        node = self.sim.api.get("Node", self.name)
        now = self.sim.clock.now
        conds = set_condition(
            (node.get("status") or {}).get("conditions"),
            {
                "type": "Ready",
                "status": "True",
                "reason": "KubeletReady",
                "message": "kubelet is posting ready status",
                "lastHeartbeatTime": timestamp(now),
            },
            now,
        )
        new, status = cow(node, "status")
        status["conditions"] = conds
        self.api.update_status(new)

    def renew(self):
        if not self.alive:
            return
        lease = {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": self.name, "namespace": "kube-node-lease"},
            "spec": {
                "holderIdentity": self.name,
                "leaseDurationSeconds": 40,
                "renewTime": timestamp(self.sim.clock.now) + ".000000",
            },
        }
        old = self.sim.api.store.get("Lease", "kube-node-lease", self.name)
        if old is None:
            self.api.create(lease)
        else:
            self.api.update(dict(old, spec=lease["spec"]))
        self.sim.clock.call_later(10, self.renew)

    def pod_bound(self, key):
        if not self.alive:
            return
        pod = self.sim.api.store.get("Pod", *key)
        if pod is None or pod["metadata"].get("deletionTimestamp"):
            return
        now = self.sim.clock.now
        new, status = cow(pod, "status")
        status["phase"] = "Running"
        conds = set_condition(
            status.get("conditions"), {"type": "ContainersReady", "status": "True"}, now
        )
        status["conditions"] = set_condition(conds, {"type": "Ready", "status": "True"}, now)
        self.api.update_status(new)

    def pod_deleting(self, key):
        if self.alive and self.sim.api.store.get("Pod", *key) is not None:
            self.api.delete("Pod", key[1], key[0], grace_period=0)


def _ensure_pipeline():
    """While kubelab.api.validation is being written, run without semantic validation."""
    from kubelab.apiserver import server

    try:
        server._pipeline()
    except (AttributeError, ImportError):
        from kubelab.api import defaults, schema

        server._pipeline = lambda: (defaults.apply_defaults, lambda o: [], lambda n, o: [], schema)


class Sim:
    """``Sim(controllers=[...], nodes=3)``; ``sim.run(seconds)``; ``sim.pods()``."""

    def __init__(self, controllers, nodes: int = 3, seed: int = 0):
        _ensure_pipeline()
        self.clock = Clock()
        self.api = APIServer(self.clock, seed=seed)
        for ns in ("default", "kube-system", "kube-node-lease"):
            self.api.create(
                {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}, user="test"
            )
        self.informers = InformerFactory(self.api)
        self.ctx = Context(self.clock, self.api, self.informers, seed)
        self.controllers = {cls.name: cls(self.ctx) for cls in controllers}
        self.client = self.api.client("kubectl")
        self.kubelets = {f"node-{i}": ToyKubelet(self, f"node-{i}") for i in range(1, nodes + 1)}
        pods = self.informers.get("Pod")
        pods.add_handler(on_add=self._pod_event, on_update=self._pod_event)
        self._rr = 0

    def _pod_event(self, *args):
        pod = args[-1]
        key = (pod["metadata"]["namespace"], pod["metadata"]["name"])
        node = pod["spec"].get("nodeName")
        if pod["metadata"].get("deletionTimestamp"):
            if node in self.kubelets and (
                len(args) == 1 or not args[0]["metadata"].get("deletionTimestamp")
            ):
                self.clock.call_later(1, self.kubelets[node].pod_deleting, key)
            return
        if not node:
            self.clock.call_later(0, self._schedule, key)
        elif len(args) == 2 and not args[0]["spec"].get("nodeName"):
            self.clock.call_later(1, self.kubelets[node].pod_bound, key)

    def _schedule(self, key):
        pod = self.api.store.get("Pod", *key)
        if pod is None or pod["spec"].get("nodeName") or pod["metadata"].get("deletionTimestamp"):
            return
        names = sorted(
            n["metadata"]["name"]
            for n in self.api.store.list("Node")
            if not any(
                t.get("effect") in ("NoSchedule", "NoExecute")
                for t in n.get("spec", {}).get("taints") or ()
            )
        )
        if not names:
            return
        self._rr += 1
        self.api.bind(pod, names[self._rr % len(names)], user="default-scheduler")

    def run(self, seconds: float) -> Sim:
        self.clock.run_until(self.clock.now + seconds)
        return self

    def create(self, obj: dict) -> dict:
        return self.client.create(obj)

    def pods(self, namespace="default", active=True) -> list[dict]:
        pods = self.api.list("Pod", namespace)
        if active:
            pods = [p for p in pods if not p["metadata"].get("deletionTimestamp")]
        return sorted(pods, key=lambda p: p["metadata"]["name"])

    def events(self, reason=None) -> list[tuple]:
        """(kind, name, reason, message) for every recorded event (optionally one reason)."""
        return [
            (e[2], e[3], e[5], e[6])
            for e in self.api.events.log
            if reason is None or e[5] == reason
        ]


def replicaset(name="web", replicas=3, labels=None, kind="ReplicaSet", **spec) -> dict:
    labels = labels or {"app": name}
    template = {
        "metadata": {"labels": dict(labels)},
        "spec": {"containers": [{"name": "c", "image": "nginx:1.25"}]},
    }
    if kind == "ReplicaSet":
        return {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {"name": name},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": dict(labels)},
                "template": template,
                **spec,
            },
        }
    return {
        "apiVersion": "v1",
        "kind": "ReplicationController",
        "metadata": {"name": name},
        "spec": {"replicas": replicas, "selector": dict(labels), "template": template, **spec},
    }


def bare_pod(name, labels) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": dict(labels)},
        "spec": {"containers": [{"name": "c", "image": "nginx:1.25"}]},
    }
