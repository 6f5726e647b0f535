"""The ``LimitRanger`` admission plugin (``plugin/pkg/admission/limitranger/admission.go``).

A LimitRange in a namespace gives its pods default requests and limits and bounds them:

* **mutate** (new pods): every container without a ``cpu``/``memory`` limit gets the
  ``Container`` item's ``default``, without a request its ``defaultRequest``; the pod is
  annotated ``kubernetes.io/limit-ranger: LimitRanger plugin set: cpu request for container web``.
* **validate** (new pods, new and updated claims): ``min``, ``max`` and
  ``maxLimitRequestRatio`` per ``Container``, per ``Pod`` (the sums) and per
  ``PersistentVolumeClaim`` (its storage request). A violation refuses the request with
  upstream's words, several at once in brackets::

    pods "x" is forbidden: [minimum cpu usage per Container is 100m, but request is 50m,
    maximum memory usage per Container is 1Gi, but limit is 2Gi]

Defaulting runs before this plugin (a container with only limits already has equal
requests), and the ``LimitRange`` object itself was defaulted when created (``max`` becomes
``default``, ``default`` becomes ``defaultRequest``), exactly as upstream.

Examples
--------
>>> lr = {"spec": {"limits": [{"type": "Container", "default": {"memory": "512Mi"},
...                            "defaultRequest": {"memory": "256Mi"}}]}}
>>> pod = {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "web", "image": "nginx"}]}}
>>> default_pod(lr, pod); pod["spec"]["containers"][0]["resources"]
{'limits': {'memory': '512Mi'}, 'requests': {'memory': '256Mi'}}
>>> pod["metadata"]["annotations"]["kubernetes.io/limit-ranger"]
'LimitRanger plugin set: memory request for container web; memory limit for container web'
>>> lr = {"spec": {"limits": [{"type": "Container", "min": {"cpu": "100m"}, "max": {"memory": "1Gi"}}]}}
>>> pod = {"spec": {"containers": [{"name": "web", "resources": {
...     "requests": {"cpu": "50m"}, "limits": {"cpu": "1", "memory": "2Gi"}}}]}}
>>> pod_violations(lr, pod)
['minimum cpu usage per Container is 100m, but request is 50m', 'maximum memory usage per Container is 1Gi, but limit is 2Gi']
"""

from __future__ import annotations

from kubelab.api.resourcelist import Qty, pod_limits, pod_requests, qty_map
from kubelab.apiserver.admission import AdmissionPlugin
from kubelab.errors import Forbidden

__all__ = [
    "ANNOTATION",
    "LimitRanger",
    "aggregate_message",
    "claim_violations",
    "default_pod",
    "pod_violations",
]

ANNOTATION = "kubernetes.io/limit-ranger"


def _items(lr: dict, type_: str):
    for item in (lr.get("spec") or {}).get("limits") or ():
        if item.get("type") == type_:
            yield item


# -- defaults --------------------------------------------------------------------------------
def _merge(container: dict, requests: dict, limits: dict, prefix: str, notes: list) -> dict:
    resources = dict(container.get("resources") or {})
    have_req = dict(resources.get("requests") or {})
    have_lim = dict(resources.get("limits") or {})
    set_req = sorted(k for k in requests if k not in have_req)
    set_lim = sorted(k for k in limits if k not in have_lim)
    for k in set_lim:
        have_lim[k] = limits[k]
    for k in set_req:
        have_req[k] = requests[k]
    if set_req:
        notes.append(f"{', '.join(set_req)} request for {prefix} {container.get('name', '')}")
    if set_lim:
        notes.append(f"{', '.join(set_lim)} limit for {prefix} {container.get('name', '')}")
    if not set_req and not set_lim:
        return container
    if have_lim:
        resources["limits"] = have_lim
    if have_req:
        resources["requests"] = have_req
    return dict(container, resources=resources)


def default_pod(lr: dict, pod: dict) -> None:
    """``PodMutateLimitFunc``: fill missing requests/limits from ``lr``; annotate the pod."""
    requests, limits = {}, {}
    for item in _items(lr, "Container"):  # canonical text, as the API server stores quantities
        requests.update({k: str(v) for k, v in qty_map(item.get("defaultRequest")).items()})
        limits.update({k: str(v) for k, v in qty_map(item.get("default")).items()})
    if not requests and not limits:
        return
    spec, notes = pod["spec"], []
    for key, prefix in (("containers", "container"), ("initContainers", "init container")):
        if spec.get(key):
            spec[key] = [_merge(c, requests, limits, prefix, notes) for c in spec[key]]
    if notes:
        meta = pod.setdefault("metadata", {})
        meta["annotations"] = dict(meta.get("annotations") or {})
        meta["annotations"][ANNOTATION] = "LimitRanger plugin set: " + "; ".join(notes)


# -- constraints -----------------------------------------------------------------------------
def _min(type_, name, enforced: Qty, req: dict, lim: dict) -> str | None:
    if name not in req:
        return f"minimum {name} usage per {type_} is {enforced}.  No request is specified"
    if req[name].milli() < enforced.milli():
        return f"minimum {name} usage per {type_} is {enforced}, but request is {req[name]}"
    if name in lim and lim[name].milli() < enforced.milli():
        return f"minimum {name} usage per {type_} is {enforced}, but limit is {lim[name]}"
    return None


def _max(type_, name, enforced: Qty, req: dict, lim: dict) -> str | None:
    if name not in lim:
        return f"maximum {name} usage per {type_} is {enforced}.  No limit is specified"
    if lim[name].milli() > enforced.milli():
        return f"maximum {name} usage per {type_} is {enforced}, but limit is {lim[name]}"
    if name in req and req[name].milli() > enforced.milli():
        return f"maximum {name} usage per {type_} is {enforced}, but request is {req[name]}"
    return None


def _max_request(type_, name, enforced: Qty, req: dict) -> str | None:
    if name not in req:
        return f"maximum {name} usage per {type_} is {enforced}.  No request is specified"
    if req[name].milli() > enforced.milli():
        return f"maximum {name} usage per {type_} is {enforced}, but request is {req[name]}"
    return None


def _ratio(type_, name, enforced: Qty, req: dict, lim: dict) -> str | None:
    head = f"{name} max limit to request ratio per {type_} is {enforced}"
    if name not in req or req[name].milli() == 0:
        return f"{head}, but no request is specified or request is 0"
    if name not in lim or lim[name].milli() == 0:
        return f"{head}, but no limit is specified or limit is 0"
    observed = lim[name].milli() / req[name].milli()
    if observed * 1000 > enforced.milli():
        return f"{head}, but provided ratio is {observed:f}"
    return None


def _check(item: dict, type_: str, req: dict, lim: dict, out: list) -> None:
    for key, fn in (("min", _min), ("max", _max), ("maxLimitRequestRatio", _ratio)):
        for name, enforced in qty_map(item.get(key)).items():
            message = fn(type_, name, enforced, req, lim)
            if message:
                out.append(message)


def pod_violations(lr: dict, pod: dict) -> list[str]:
    """``PodValidateLimitFunc``: every broken Container and Pod constraint of ``lr``."""
    out: list[str] = []
    spec = pod.get("spec") or {}
    containers = list(spec.get("containers") or ()) + list(spec.get("initContainers") or ())
    for item in (lr.get("spec") or {}).get("limits") or ():
        if item.get("type") == "Container":
            for c in containers:
                res = c.get("resources") or {}
                _check(
                    item,
                    "Container",
                    qty_map(res.get("requests")),
                    qty_map(res.get("limits")),
                    out,
                )
        elif item.get("type") == "Pod":
            _check(item, "Pod", pod_requests(spec), pod_limits(spec), out)
    return out


def claim_violations(lr: dict, pvc: dict) -> list[str]:
    """``PersistentVolumeClaimValidateLimitFunc``: min/max of the claim's storage request."""
    out: list[str] = []
    requests = qty_map(((pvc.get("spec") or {}).get("resources") or {}).get("requests"))
    for item in _items(lr, "PersistentVolumeClaim"):
        for name, enforced in qty_map(item.get("min")).items():
            message = _min("PersistentVolumeClaim", name, enforced, requests, {})
            if message:
                out.append(message)
        for name, enforced in qty_map(item.get("max")).items():
            message = _max_request("PersistentVolumeClaim", name, enforced, requests)
            if message:
                out.append(message)
    return out


def aggregate_message(messages: list[str]) -> str:
    """``utilerrors.NewAggregate(...).Error()``: one message, or ``[a, b]`` without repeats."""
    unique = list(dict.fromkeys(messages))
    return unique[0] if len(unique) == 1 else "[" + ", ".join(unique) + "]"


def forbidden(resource: str, obj: dict, message: str) -> Forbidden:
    """``admission.NewForbidden``: ``<resource> "<name>" is forbidden: <message>``."""
    meta = obj.get("metadata") or {}
    name = meta.get("name") or meta.get("generateName") or "Unknown"
    error = Forbidden(f'{resource} "{name}" is forbidden: {message}')
    error.resource, error.name = resource, name
    return error


class LimitRanger(AdmissionPlugin):
    """Defaults and bounds pods' and claims' resources by the namespace's LimitRanges."""

    kinds = ("Pod", "PersistentVolumeClaim")

    @staticmethod
    def _ranges(api, obj: dict) -> list[dict]:
        ns = (obj.get("metadata") or {}).get("namespace") or "default"
        return sorted(api.store.list("LimitRange", ns), key=lambda o: o["metadata"]["name"])

    def mutate(self, api, obj: dict, old: dict | None, *, dry_run: bool) -> None:
        if obj["kind"] != "Pod" or old is not None:
            return  # containers are immutable: upstream skips pod updates
        for lr in self._ranges(api, obj):
            default_pod(lr, obj)

    def validate(self, api, obj: dict, old: dict | None, *, dry_run: bool) -> None:
        pod = obj["kind"] == "Pod"
        if pod and old is not None:
            return
        if old is not None and (old.get("metadata") or {}).get("deletionTimestamp"):
            return
        for lr in self._ranges(api, obj):
            messages = pod_violations(lr, obj) if pod else claim_violations(lr, obj)
            if messages:
                resource = "pods" if pod else "persistentvolumeclaims"
                raise forbidden(resource, obj, aggregate_message(messages))
