"""Pod affinity terms and topology spread constraints, parsed once per pod.

Upstream's ``framework.AffinityTerm`` resolves a ``podAffinityTerm`` into a label
selector, a set of namespaces and a namespace selector; ``topologySpreadConstraint``
becomes a ``Constraint`` with its selector (``matchLabelKeys`` merged in). Both are
frozen (hashable) here so that the thousands of replicas of one template share
cached masks and counts.

Examples
--------
>>> pod = {"metadata": {"name": "web-1", "namespace": "shop", "labels": {"app": "web"}}}
>>> term = affinity_term({"labelSelector": {"matchLabels": {"app": "web"}},
...                       "topologyKey": "kubernetes.io/hostname"}, pod)
>>> term.namespaces, term.matches("shop", {"app": "web"}), term.matches("other", {"app": "web"})
(frozenset({'shop'}), True, False)
>>> c = spread_constraint({"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule",
...                        "labelSelector": {"matchLabels": {"app": "web"}}}, pod)
>>> c.max_skew, c.min_domains, c.node_affinity_policy, c.node_taints_policy, str(c.selector)
(1, 1, 'Honor', 'Ignore', 'app=web')
"""

from __future__ import annotations

from dataclasses import dataclass

from kubelab.api import labels as labelsel

__all__ = [
    "AffinityTerm",
    "SpreadConstraint",
    "affinity_term",
    "pod_affinity_terms",
    "spread_constraint",
    "spread_constraints",
]

HOSTNAME = "kubernetes.io/hostname"
ZONE = "topology.kubernetes.io/zone"
DO_NOT_SCHEDULE, SCHEDULE_ANYWAY = "DoNotSchedule", "ScheduleAnyway"
HONOR, IGNORE = "Honor", "Ignore"


def _selector(raw) -> labelsel.Selector:
    try:
        return labelsel.from_label_selector(raw)
    except (labelsel.SelectorError, ValueError):
        return labelsel.nothing()  # validation rejects these; never crash the scheduler


@dataclass(frozen=True)
class AffinityTerm:
    """One pod (anti-)affinity term: which pods (namespaces × selector), in which topology."""

    topology_key: str
    selector: labelsel.Selector
    namespaces: frozenset[str]
    namespace_selector: labelsel.Selector | None  # None: nothing (upstream labels.Nothing())

    def matches_namespace(self, namespace: str, namespace_labels=None) -> bool:
        if namespace in self.namespaces:
            return True
        sel = self.namespace_selector
        return sel is not None and sel.matches(namespace_labels or {})

    def matches(self, namespace: str, labels: dict | None, namespace_labels=None) -> bool:
        """``AffinityTerm.Matches``: the namespace qualifies and the labels match."""
        return self.matches_namespace(namespace, namespace_labels) and self.selector.matches(
            labels or {}
        )


def _merge_label_keys(selector, term: dict, pod_labels: dict) -> labelsel.Selector:
    """``matchLabelKeys`` / ``mismatchLabelKeys`` (the API server merges them since v1.31)."""
    extra = []
    for key in term.get("matchLabelKeys") or ():
        if key in pod_labels:
            extra.append(labelsel.Requirement.trusted(key, "in", (pod_labels[key],)))
    for key in term.get("mismatchLabelKeys") or ():
        if key in pod_labels:
            extra.append(labelsel.Requirement.trusted(key, "notin", (pod_labels[key],)))
    return selector.add(*extra) if extra else selector


def affinity_term(term: dict, pod: dict) -> AffinityTerm:
    """``newAffinityTerm``: no namespaces and no namespaceSelector means the pod's namespace."""
    meta = pod.get("metadata") or {}
    pod_labels = meta.get("labels") or {}
    namespaces = frozenset(term.get("namespaces") or ())
    raw_ns_selector = term.get("namespaceSelector")
    ns_selector = None if raw_ns_selector is None else _selector(raw_ns_selector)
    if not namespaces and raw_ns_selector is None:
        namespaces = frozenset({meta.get("namespace") or "default"})
    selector = _merge_label_keys(_selector(term.get("labelSelector")), term, pod_labels)
    return AffinityTerm(term.get("topologyKey") or "", selector, namespaces, ns_selector)


def _cache_key(section, pod: dict):
    meta = pod.get("metadata") or {}
    # repr is a cheap exact key for JSON-like values (a different key order only misses).
    # Labels matter through matchLabelKeys / mismatchLabelKeys, so they are in the key.
    return repr(section), meta.get("namespace") or "default", repr(meta.get("labels"))


_PARSED: dict = {}
_PARSED_LIMIT = 4096


def _memo(kind, section, pod, parse):
    """Replicas of one template share their parsed terms (parsing selectors is not free)."""
    key = (kind, *_cache_key(section, pod))
    out = _PARSED.get(key)
    if out is None:
        if len(_PARSED) >= _PARSED_LIMIT:
            _PARSED.clear()
        out = _PARSED[key] = parse()
    return out


def pod_affinity_terms(pod: dict):
    """``(required affinity, required anti, preferred affinity, preferred anti)``.

    The preferred ones are ``(weight, term)`` pairs.
    """
    affinity = (pod.get("spec") or {}).get("affinity") or {}
    if not affinity.get("podAffinity") and not affinity.get("podAntiAffinity"):
        return (), (), (), ()
    section = {k: affinity.get(k) for k in ("podAffinity", "podAntiAffinity")}
    return _memo("affinity", section, pod, lambda: _parse_affinity(affinity, pod))


def _parse_affinity(affinity: dict, pod: dict):
    out = []
    for kind in ("podAffinity", "podAntiAffinity"):
        section = affinity.get(kind) or {}
        required = tuple(
            affinity_term(t, pod)
            for t in section.get("requiredDuringSchedulingIgnoredDuringExecution") or ()
        )
        preferred = tuple(
            (int(w.get("weight") or 0), affinity_term(w.get("podAffinityTerm") or {}, pod))
            for w in section.get("preferredDuringSchedulingIgnoredDuringExecution") or ()
            if int(w.get("weight") or 0)
        )
        out.append((required, preferred))
    (req_aff, pref_aff), (req_anti, pref_anti) = out
    return req_aff, req_anti, pref_aff, pref_anti


@dataclass(frozen=True)
class SpreadConstraint:
    """A topology spread constraint (``podtopologyspread.topologySpreadConstraint``)."""

    max_skew: int
    topology_key: str
    when_unsatisfiable: str
    selector: labelsel.Selector
    min_domains: int = 1
    node_affinity_policy: str = HONOR
    node_taints_policy: str = IGNORE


def spread_constraint(raw: dict, pod: dict) -> SpreadConstraint:
    """Parse one constraint; ``matchLabelKeys`` adds ``key in (pod's value)`` to the selector."""
    pod_labels = (pod.get("metadata") or {}).get("labels") or {}
    selector = _selector(raw.get("labelSelector"))
    extra = [
        labelsel.Requirement.trusted(key, "in", (pod_labels[key],))
        for key in raw.get("matchLabelKeys") or ()
        if key in pod_labels
    ]
    if extra:
        selector = selector.add(*extra)
    return SpreadConstraint(
        max_skew=int(raw.get("maxSkew") or 1),
        topology_key=raw.get("topologyKey") or "",
        when_unsatisfiable=raw.get("whenUnsatisfiable") or DO_NOT_SCHEDULE,
        selector=selector,
        min_domains=int(raw.get("minDomains") or 1),
        node_affinity_policy=raw.get("nodeAffinityPolicy") or HONOR,
        node_taints_policy=raw.get("nodeTaintsPolicy") or IGNORE,
    )


def spread_constraints(pod: dict) -> tuple[SpreadConstraint, ...]:
    raw = (pod.get("spec") or {}).get("topologySpreadConstraints") or ()
    if not raw:
        return ()
    return _memo("spread", raw, pod, lambda: tuple(spread_constraint(c, pod) for c in raw))


def system_default_constraints(selector: labelsel.Selector) -> tuple[SpreadConstraint, ...]:
    """The cluster default (``defaultingType: System``) for a pod selected by ``selector``."""
    return (
        SpreadConstraint(3, HOSTNAME, SCHEDULE_ANYWAY, selector),
        SpreadConstraint(5, ZONE, SCHEDULE_ANYWAY, selector),
    )
