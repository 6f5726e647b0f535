"""Which pods a Service selects, and which Services select a pod, through informer indexes.

Upstream's endpoint controllers list a namespace's pods per Service and its Services per
pod. kubelab indexes both sides by ``(namespace, label key, label value)`` instead, so a
pod change touches only the Services whose selectors mention one of its labels and a
Service sync reads only the pods carrying its rarest selector label (think 150,000 pods).
Pod events also note which pods changed per Service, so a sync rebuilds only those
(:meth:`ServicePodsController.pod_changes`) instead of re-walking every selected pod.

Examples
--------
>>> pod = {"metadata": {"namespace": "default", "name": "p", "labels": {"app": "web"}}}
>>> pod_label_pairs(pod)
(('default', 'app', 'web'),)
>>> svc = {"metadata": {"namespace": "default", "name": "s"}, "spec": {"selector": {"app": "web"}}}
>>> service_selector_pairs(svc), selects(svc, pod)
((('default', 'app', 'web'),), True)
"""

from __future__ import annotations

from kubelab.controllers.base import Controller

__all__ = [
    "ServicePodsController",
    "endpoint_fields",
    "find_port",
    "headless",
    "is_pod_ready",
    "is_terminal",
    "managed_labels",
    "pod_label_pairs",
    "pods_for_service",
    "selects",
    "service_selector_pairs",
    "services_for_pod",
    "use_indexes",
]

POD_INDEX = "servicepods:namespaceLabel"
SERVICE_INDEX = "servicepods:namespaceSelector"


def pod_label_pairs(pod: dict) -> tuple:
    meta = pod["metadata"]
    labels = meta.get("labels")
    if not labels:
        return ()
    ns = meta.get("namespace", "")
    return tuple([(ns, k, v) for k, v in labels.items()])  # runs twice per pod event


def service_selector_pairs(svc: dict) -> tuple:
    ns = svc["metadata"].get("namespace", "")
    selector = (svc.get("spec") or {}).get("selector") or {}
    return tuple((ns, k, v) for k, v in selector.items())


def use_indexes(pods, services) -> None:
    """Add the two indexes to the shared Pod and Service informers (idempotent)."""
    pods.add_index(POD_INDEX, pod_label_pairs)
    services.add_index(SERVICE_INDEX, service_selector_pairs)


def selects(svc: dict, pod: dict) -> bool:
    """Same namespace, and every selector label on the pod (an empty selector selects none)."""
    selector = (svc.get("spec") or {}).get("selector")
    if not selector:
        return False
    if pod["metadata"].get("namespace", "") != svc["metadata"].get("namespace", ""):
        return False
    pod_labels = pod["metadata"].get("labels") or {}
    return all(pod_labels.get(k) == v for k, v in selector.items())


def pods_for_service(pods, svc: dict) -> list[dict]:
    """The pods a Service selects, sorted by name, from the rarest selector label's bucket."""
    pairs = service_selector_pairs(svc)
    if not pairs:
        return []
    smallest = None
    for pair in pairs:
        bucket = pods.by_index(POD_INDEX, pair)
        if smallest is None or len(bucket) < len(smallest):
            smallest = bucket
        if not smallest:
            break
    chosen = smallest if len(pairs) == 1 else [p for p in smallest if selects(svc, p)]
    chosen.sort(key=lambda p: p["metadata"]["name"])
    return chosen


def services_for_pod(services, pod: dict) -> list[dict]:
    """The Services (with a selector) selecting ``pod``, sorted by name."""
    meta = pod["metadata"]
    labels = meta.get("labels")
    if not labels:
        return []
    ns = meta.get("namespace", "")
    found: dict[str, dict] = {}
    for key, value in labels.items():  # called for every pod update: no tuple of all pairs
        for svc in services.by_index(SERVICE_INDEX, (ns, key, value)):
            name = svc["metadata"]["name"]
            if name not in found and selects(svc, pod):
                found[name] = svc
    return [found[name] for name in sorted(found)] if len(found) > 1 else list(found.values())


def is_pod_ready(pod: dict) -> bool:
    for cond in (pod.get("status") or {}).get("conditions") or ():
        if cond.get("type") == "Ready":
            return cond.get("status") == "True"
    return False


def endpoint_fields(pod: dict) -> tuple:
    """What an endpoint is built from: a pod update that keeps these changes nothing."""
    status = pod.get("status") or {}
    meta, spec = pod["metadata"], pod.get("spec") or {}
    return (
        status.get("podIP"),
        status.get("phase"),
        is_pod_ready(pod),
        bool(meta.get("deletionTimestamp")),
        spec.get("nodeName"),
        spec.get("hostname"),
        spec.get("subdomain"),
        meta.get("uid"),
    )


class ServicePodsController(Controller):
    """Base of the endpoint controllers: a Service key is synced when it or its pods change."""

    def setup(self) -> None:
        self.pods = self.informers.get("Pod")
        self.services = self.informers.get("Service")
        self.nodes = self.informers.get("Node")
        use_indexes(self.pods, self.services)
        # Service key -> [Service resourceVersion, {pod name: (pod resourceVersion, value)}]
        self._per_pod: dict = {}
        # Service key -> {pod name: None}: pods whose events arrived since the key's last sync
        self._dirty: dict = {}
        self.services.add_handler(
            on_add=self.enqueue_object,
            on_update=self._service_updated,
            on_delete=self.enqueue_object,
        )
        self.pods.add_handler(
            on_add=self._pod_changed, on_update=self._pod_updated, on_delete=self._pod_changed
        )

    def _service_updated(self, old: dict, new: dict) -> None:
        if old.get("spec") != new.get("spec") or old["metadata"].get("labels") != new[
            "metadata"
        ].get("labels"):
            self.enqueue_object(new)

    def _pod_changed(self, pod: dict) -> None:
        self._mark(pod, services_for_pod(self.services, pod))

    def _mark(self, pod: dict, services: list) -> None:
        """Note ``pod`` as changed for each of ``services`` and queue their sync."""
        name = pod["metadata"]["name"]
        for svc in services:
            key = _service_key(svc)
            self._dirty.setdefault(key, {})[name] = None
            self.enqueue(key)

    def _pod_updated(self, old: dict, new: dict) -> None:
        if old["metadata"].get("labels") == new["metadata"].get("labels"):
            # Most pods are behind no Service: look that up before comparing fields.
            services = services_for_pod(self.services, new)
            if services and endpoint_fields(old) != endpoint_fields(new):
                self._mark(new, services)
            return
        self._pod_changed(new)
        self._pod_changed(old)

    def per_pod(self, svc: dict, build) -> list:
        """``build(pod)`` for every pod ``svc`` selects, in name order, skipping ``None``.

        Results are cached per (Service version, pod version): a full sync after one pod
        changed rebuilds one entry, not thousands. Prefer :meth:`pod_changes`.
        """
        meta = svc["metadata"]
        key = (meta.get("namespace", ""), meta["name"])
        version = meta.get("resourceVersion")
        self._dirty.pop(key, None)
        cached = self._per_pod.get(key)
        old = cached[1] if cached is not None and cached[0] == version else {}
        fresh: dict = {}
        out = []
        for pod in pods_for_service(self.pods, svc):
            pmeta = pod["metadata"]
            hit = old.get(pmeta["name"])
            if hit is not None and hit[0] == pmeta.get("resourceVersion"):
                value = hit[1]
            else:
                value = build(pod)
            fresh[pmeta["name"]] = (pmeta.get("resourceVersion"), value)
            if value is not None:
                out.append(value)
        self._per_pod[key] = [version, fresh]
        return out

    def pod_changes(self, svc: dict, build) -> dict | None:
        """Update the cache from the pods whose events arrived since the last sync.

        Returns ``{pod name: (old value, new value)}`` for the pods whose value changed
        (``None`` for no value), which costs O(changed pods), or ``None`` when there is no
        cache for this version of the Service: the caller then does a full :meth:`per_pod`.
        """
        meta = svc["metadata"]
        key = (meta.get("namespace", ""), meta["name"])
        cached = self._per_pod.get(key)
        if cached is None or cached[0] != meta.get("resourceVersion"):
            return None
        entries = cached[1]
        changes: dict = {}
        for name in self._dirty.pop(key, ()):
            pod = self.pods.get(key[0], name)
            hit = entries.get(name)
            old = hit[1] if hit is not None else None
            if pod is None or not selects(svc, pod):
                if hit is not None:
                    del entries[name]
                new = None
            else:
                rv = pod["metadata"].get("resourceVersion")
                if hit is not None and hit[0] == rv:
                    continue
                new = build(pod)
                entries[name] = (rv, new)
            if new != old:
                changes[name] = (old, new)
        return changes

    def cached_value(self, key, pod_name: str):
        """The cached value of one pod of the Service ``key`` (``None`` if none)."""
        hit = self._per_pod[key][1].get(pod_name)
        return hit[1] if hit is not None else None

    def drop_caches(self, key) -> None:
        """Forget what was cached for the Service ``key`` (gone, or not selecting pods)."""
        self._per_pod.pop(key, None)
        self._dirty.pop(key, None)

    def zone_of(self, node_name) -> str | None:
        node = self.nodes.get("", node_name) if node_name else None
        return ((node or {}).get("metadata", {}).get("labels") or {}).get(
            "topology.kubernetes.io/zone"
        )


def find_port(pod: dict, svc_port: dict) -> int | None:
    """``podutil.FindPort``: a number as is; a name looked up among the containers' ports.

    Like upstream, init containers count only when they are sidecars (``restartPolicy:
    Always``): a run-to-completion init container's port is gone by the time the pod serves.
    """
    target = svc_port.get("targetPort", svc_port.get("port"))
    if isinstance(target, int) and not isinstance(target, bool):
        return target
    protocol = svc_port.get("protocol", "TCP")
    spec = pod.get("spec") or {}
    sidecars = [c for c in spec.get("initContainers") or () if c.get("restartPolicy") == "Always"]
    for container in [*(spec.get("containers") or ()), *sidecars]:
        for port in container.get("ports") or ():
            if port.get("name") == target and port.get("protocol", "TCP") == protocol:
                return port.get("containerPort")
    return None


def is_terminal(pod: dict) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def headless(svc: dict) -> bool:
    return (svc.get("spec") or {}).get("clusterIP") == "None"


def managed_labels(svc: dict) -> dict:
    """The Service's labels, plus ``service.kubernetes.io/headless`` for headless Services."""
    labels = dict(svc["metadata"].get("labels") or {})
    if headless(svc):
        labels["service.kubernetes.io/headless"] = ""
    return labels


def _service_key(svc: dict) -> tuple[str, str]:
    return svc["metadata"].get("namespace", ""), svc["metadata"]["name"]
