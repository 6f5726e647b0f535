"""``PodInfo``: everything the scheduler needs from a pod, parsed once.

Upstream's ``framework.PodInfo`` caches parsed affinity terms so the plugins do
not re-read the pod for every node; kubelab does the same for requests, ports,
tolerations and node selector terms.

Examples
--------
>>> pod = {"metadata": {"name": "web", "namespace": "default"},
...        "spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": "250m"}}}],
...                 "nodeSelector": {"disk": "ssd"}}}
>>> info = PodInfo.from_pod(pod)
>>> info.key, info.requests.cpu, info.non_zero_cpu, info.non_zero_memory, info.node_selector
(('default', 'web'), 250, 250, 209715200, (('disk', 'ssd'),))
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from kubelab.scheduler.affinity import (
    AffinityTerm,
    SpreadConstraint,
    pod_affinity_terms,
    spread_constraints,
)
from kubelab.scheduler.nodeselector import Term, compile_term, compile_terms
from kubelab.scheduler.requests import Resource, host_ports, pod_requests
from kubelab.scheduler.taints import Toleration, toleration_tuple

__all__ = ["PodInfo"]


@dataclass(eq=False)
class PodInfo:
    """A pod as the scheduler sees it.

    ``required_terms`` is None when the pod has no required node affinity (every
    node passes); an empty tuple means it has terms but none can match.
    """

    key: tuple[str, str]
    pod: dict
    priority: int
    requests: Resource
    non_zero_cpu: int
    non_zero_memory: int
    ports: tuple[tuple[str, str, int], ...]
    tolerations: tuple[Toleration, ...]
    node_selector: tuple[tuple[str, str], ...]
    required_terms: tuple[Term, ...] | None
    required_names: frozenset[str] | None
    preferred_terms: tuple[tuple[int, Term], ...]
    node_name: str
    scheduler_name: str
    labels: dict = field(default_factory=dict)
    terminating: bool = False
    required_affinity: tuple[AffinityTerm, ...] = ()
    required_anti_affinity: tuple[AffinityTerm, ...] = ()
    preferred_affinity: tuple[tuple[int, AffinityTerm], ...] = ()
    preferred_anti_affinity: tuple[tuple[int, AffinityTerm], ...] = ()
    spread: tuple[SpreadConstraint, ...] = ()
    images: tuple[str, ...] = ()
    group: tuple | None = None  # (index token, pod-group id), set when first counted

    @property
    def has_affinity(self) -> bool:
        """Does this pod carry pod (anti-)affinity terms existing pods must honour?"""
        return bool(
            self.required_affinity
            or self.required_anti_affinity
            or self.preferred_affinity
            or self.preferred_anti_affinity
        )

    @property
    def namespace(self) -> str:
        return self.key[0]

    @property
    def name(self) -> str:
        return self.key[1]

    @classmethod
    def from_pod(cls, pod: dict) -> PodInfo:
        meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
        requests = pod_requests(pod)
        non_zero = pod_requests(pod, non_zero=True)
        node_affinity = (spec.get("affinity") or {}).get("nodeAffinity") or {}
        required = node_affinity.get("requiredDuringSchedulingIgnoredDuringExecution")
        required_terms = None
        required_names = None
        if required is not None:
            raw_terms = required.get("nodeSelectorTerms") or ()
            required_terms = compile_terms(raw_terms)
            required_names = _names_from_terms(raw_terms)
        preferred = []
        for item in node_affinity.get("preferredDuringSchedulingIgnoredDuringExecution") or ():
            weight = int(item.get("weight") or 0)
            term = compile_term(item.get("preference"))
            if weight and term is not None:
                preferred.append((weight, term))
        req_aff, req_anti, pref_aff, pref_anti = (
            pod_affinity_terms(pod) if spec.get("affinity") else ((), (), (), ())
        )
        return cls(
            key=(meta.get("namespace", ""), meta.get("name", "")),
            pod=pod,
            priority=int(spec.get("priority") or 0),
            requests=requests,
            non_zero_cpu=non_zero.cpu,
            non_zero_memory=non_zero.memory,
            ports=host_ports(pod),
            tolerations=tuple(toleration_tuple(t) for t in spec.get("tolerations") or ()),
            node_selector=tuple(sorted((spec.get("nodeSelector") or {}).items())),
            required_terms=required_terms,
            required_names=required_names,
            preferred_terms=tuple(preferred),
            node_name=spec.get("nodeName") or "",
            scheduler_name=spec.get("schedulerName") or "default-scheduler",
            labels=meta.get("labels") or {},
            terminating=bool(meta.get("deletionTimestamp")),
            required_affinity=req_aff,
            required_anti_affinity=req_anti,
            preferred_affinity=pref_aff,
            preferred_anti_affinity=pref_anti,
            spread=spread_constraints(pod) if spec.get("topologySpreadConstraints") else (),
            images=_images(spec),
        )


@functools.lru_cache(maxsize=4096)
def _normalized(image: str) -> str:
    from kubelab.images import parse_reference

    try:
        return parse_reference(image).normalized
    except ValueError:
        return image


def _images(spec: dict) -> tuple[str, ...]:
    """Normalised image references of the init and app containers (for ImageLocality)."""
    return tuple(
        _normalized(container.get("image") or "")
        for section in ("initContainers", "containers")
        for container in spec.get(section) or ()
    )


def _names_from_terms(terms) -> frozenset[str] | None:
    """NodeAffinity PreFilter: the node names every term pins with ``metadata.name In``.

    None when some term does not pin names (then every node is a candidate).
    """
    if not terms:
        return None
    names: set[str] = set()
    for term in terms:
        term_names = None
        for req in (term or {}).get("matchFields") or ():
            if req.get("key") == "metadata.name" and req.get("operator") == "In":
                values = set(req.get("values") or ())
                term_names = values if term_names is None else term_names & values
        if term_names is None:
            return None
        names |= term_names
    return frozenset(names)
