"""Pods per node, grouped by what selectors look at, and counted per topology domain.

InterPodAffinity and PodTopologySpread ask, for every node at once, "how many pods
matching this selector run in this node's zone (or host, or any label's domain)?".
Upstream answers by walking every pod of every node in each PreFilter. kubelab keeps
the answer incrementally instead:

* a **pod group** is every counted pod with the same namespace, labels and
  terminating flag (the replicas of one template share one); each group keeps a
  numpy array *node slot → number of its pods there*, updated when a pod is bound
  or removed. A selector is evaluated once per group (cached), and the pods matching
  it on each node are a sum of a few arrays;
* a **term count** is the same array for the pods *carrying* one affinity term (the
  existing pods' anti-affinity that must also hold for the incoming pod);
* :func:`domains` maps each node slot to the index of its value of a topology key,
  so per-domain counts are one ``np.bincount``.

Groups and terms no pod has any more (the label sets of deleted pods: every rollout makes
a new pod-template-hash) are dropped once the index has doubled, so it does not grow
with churn.

Examples
--------
>>> import numpy as np
>>> groups = PodGroups()
>>> class P:  # a stand-in for PodInfo
...     def __init__(self, labels): self.key, self.labels, self.terminating = ("ns", "p"), labels, False
...     required_affinity = required_anti_affinity = preferred_affinity = preferred_anti_affinity = ()
...     group = None; namespace = "ns"; has_affinity = False
>>> web, db = P({"app": "web"}), P({"app": "db"})
>>> groups.account(web, 0, +1, 4); groups.account(web, 2, +1, 4); groups.account(db, 2, +1, 4)
>>> from kubelab.api.labels import parse
>>> ids = groups.matching(("demo",), lambda ns, labels, t: labels.get("app") == "web")
>>> groups.per_slot(ids, 4).tolist()
[1, 0, 1, 0]
>>> domain_counts(np.array([0, 0, 1, -1]), 2, np.array([1, 0, 1, 0])).tolist()
[1, 1]
"""

from __future__ import annotations

import itertools

import numpy as np

__all__ = ["PodGroups", "TermCount", "domain_counts", "domains"]

_TOKENS = itertools.count()
COMPACT_FROM = 1024  # groups + terms kept before the first sweep of empty ones
REQUIRED_AFFINITY, REQUIRED_ANTI = "required-affinity", "required-anti-affinity"
PREFERRED_AFFINITY, PREFERRED_ANTI = "preferred-affinity", "preferred-anti-affinity"


class _Counts:
    """A per-slot count that grows with the node table.

    Sparse (``{slot: count}``) while its pods sit on few nodes, a dense numpy array once
    they are spread wide: a group per distinct label set (StatefulSet or bare pods have
    their own) must not cost a node-sized array each — 150,000 of them on 5,000 nodes
    would be 6 GB.
    """

    __slots__ = ("counts", "sparse", "total")
    DENSE_AT = 64  # distinct nodes from which one array beats a dict

    def __init__(self, capacity: int):
        self.counts: np.ndarray | None = None
        self.sparse: dict[int, int] = {}
        self.total = 0

    def add(self, slot: int, sign: int, capacity: int) -> None:
        self.total += sign
        if self.counts is None:
            n = self.sparse.get(slot, 0) + sign
            if n:
                self.sparse[slot] = n
            else:
                self.sparse.pop(slot, None)
            if len(self.sparse) > self.DENSE_AT:
                self.counts = np.zeros(max(capacity, max(self.sparse) + 1), dtype=np.int64)
                for s, count in self.sparse.items():
                    self.counts[s] = count
                self.sparse = {}
            return
        if slot >= len(self.counts):
            grown = np.zeros(max(capacity, slot + 1), dtype=np.int64)
            grown[: len(self.counts)] = self.counts
            self.counts = grown
        self.counts[slot] += sign

    def add_into(self, out: np.ndarray) -> None:
        """``out += counts`` over ``out``'s slots."""
        size = len(out)
        if self.counts is None:
            for slot, count in self.sparse.items():
                if slot < size:
                    out[slot] += count
            return
        n = min(size, len(self.counts))
        out[:n] += self.counts[:n]

    def view(self, size: int) -> np.ndarray:
        if self.counts is None:
            out = np.zeros(size, dtype=np.int64)
            self.add_into(out)
            return out
        if len(self.counts) < size:
            grown = np.zeros(size, dtype=np.int64)
            grown[: len(self.counts)] = self.counts
            self.counts = grown
        return self.counts[:size]


class Group(_Counts):
    __slots__ = ("labels", "namespace", "terminating")

    def __init__(self, namespace: str, labels: dict, terminating: bool, capacity: int):
        super().__init__(capacity)
        self.namespace, self.labels, self.terminating = namespace, labels, terminating


class TermCount(_Counts):
    """The pods carrying one affinity term (``kind``, owner namespace, weight, term)."""

    __slots__ = ("kind", "namespace", "term", "weight")

    def __init__(self, kind: str, namespace: str, weight: int, term, capacity: int):
        super().__init__(capacity)
        self.kind, self.namespace, self.weight, self.term = kind, namespace, weight, term


class PodGroups:
    """The incremental index behind InterPodAffinity and PodTopologySpread."""

    def __init__(self) -> None:
        self.token = next(_TOKENS)  # a PodInfo's cached group id is only valid for its index
        self.groups: list[Group] = []
        self._group_ids: dict[tuple, int] = {}
        self.terms: dict[tuple, TermCount] = {}  # insertion-ordered: deterministic
        self.term_list: list[TermCount] = []  # the same, indexable
        self._matched: dict[tuple, tuple[int, list[int]]] = {}
        self._pod_terms: dict[tuple, tuple[int, list[TermCount]]] = {}
        self._compact_at = COMPACT_FROM  # groups + terms at which empty ones are dropped

    # -- keeping counts ----------------------------------------------------------------------
    def group_of(self, info, capacity: int) -> int:
        cached = info.group
        if cached is not None and cached[0] == self.token:
            return cached[1]
        labels = info.labels or {}
        key = (info.namespace, tuple(sorted(labels.items())), info.terminating)
        gid = self._group_ids.get(key)
        if gid is None:
            gid = self._group_ids[key] = len(self.groups)
            self.groups.append(Group(info.namespace, labels, info.terminating, capacity))
        info.group = (self.token, gid)
        return gid

    def account(self, info, slot: int, sign: int, capacity: int) -> None:
        """Count (``sign`` +1) or uncount (-1) a pod on the node in ``slot``."""
        group = self.groups[self.group_of(info, capacity)]
        group.add(slot, sign, capacity)
        if sign < 0 and len(self.groups) + len(self.term_list) > self._compact_at:
            self._compact()
        if not info.has_affinity:
            return
        for kind, weighted in (
            (REQUIRED_AFFINITY, [(1, t) for t in info.required_affinity]),
            (REQUIRED_ANTI, [(1, t) for t in info.required_anti_affinity]),
            (PREFERRED_AFFINITY, info.preferred_affinity),
            (PREFERRED_ANTI, info.preferred_anti_affinity),
        ):
            for weight, term in weighted:
                key = (kind, info.namespace, weight, term)
                entry = self.terms.get(key)
                if entry is None:
                    entry = self.terms[key] = TermCount(
                        kind, info.namespace, weight, term, capacity
                    )
                    self.term_list.append(entry)
                entry.add(slot, sign, capacity)

    def _compact(self) -> None:
        """Forget the groups and terms no pod has any more (label sets of deleted pods).

        Run once the index doubled since the last time, so it costs O(1) per pod; a new
        ``token`` voids the group ids PodInfos cached, and the answer caches start over.
        """
        self.groups = [g for g in self.groups if g.total]
        self._group_ids = {
            (g.namespace, tuple(sorted((g.labels or {}).items())), g.terminating): gid
            for gid, g in enumerate(self.groups)
        }
        self.terms = {key: entry for key, entry in self.terms.items() if entry.total}
        self.term_list = list(self.terms.values())
        self._matched.clear()
        self._pod_terms.clear()
        self.token = next(_TOKENS)
        self._compact_at = max(COMPACT_FROM, 2 * (len(self.groups) + len(self.term_list)))

    # -- asking ------------------------------------------------------------------------------
    def matching(self, key: tuple, predicate) -> list[int]:
        """Ids of the groups for which ``predicate(namespace, labels, terminating)`` holds.

        Cached under ``key``; groups created later are checked on the next call only.
        """
        seen, ids = self._matched.get(key, (0, []))
        if seen < len(self.groups):
            ids = ids + [
                gid
                for gid in range(seen, len(self.groups))
                if predicate(
                    self.groups[gid].namespace,
                    self.groups[gid].labels,
                    self.groups[gid].terminating,
                )
            ]
            self._matched[key] = (len(self.groups), ids)
        return ids

    def per_slot(self, ids, size: int) -> np.ndarray:
        """Pods of the groups ``ids`` on each node slot."""
        out = np.zeros(size, dtype=np.int64)
        for gid in ids:
            group = self.groups[gid]
            if group.total:
                group.add_into(out)
        return out

    def terms_matching(self, kinds, namespace: str, labels: dict, handle) -> list[TermCount]:
        """Live existing-pod terms of ``kinds`` that match a pod with these namespace and labels.

        Cached per (kinds, namespace, labels); terms created later are checked on the next
        call only. Terms with a namespaceSelector depend on namespace labels: their answers
        are cached per ``handle.namespace_version``.
        """
        key = (kinds, namespace, tuple(sorted(labels.items())), handle.namespace_version)
        seen, found = self._pod_terms.get(key, (0, []))
        if seen < len(self.term_list):
            ns_labels = None
            found = list(found)
            for entry in self.term_list[seen:]:
                if entry.kind not in kinds:
                    continue
                term = entry.term
                if term.namespace_selector is not None and ns_labels is None:
                    ns_labels = handle.namespace_labels(namespace)
                if term.matches(namespace, labels, ns_labels):
                    found.append(entry)
            if len(self._pod_terms) > 8192:
                self._pod_terms.clear()
            self._pod_terms[key] = (len(self.term_list), found)
        return [entry for entry in found if entry.total]


def domains(table, key: str):
    """``(index, n)``: per node slot the index of its ``key`` label's value (-1: no such
    label), over ``n`` distinct values (sorted, so the numbering is deterministic).
    Cached by the table until a node's labels change."""

    def build():
        index = np.full(table.size, -1, dtype=np.int64)
        values = table.label_index.get(key, {})
        for i, value in enumerate(sorted(values)):
            index[list(values[value])] = i
        return index, len(values)

    return table.cached(("domains", key), build)


def domain_counts(index: np.ndarray, n: int, per_slot: np.ndarray, mask=None) -> np.ndarray:
    """Sum ``per_slot`` over the nodes of each domain (nodes without the key, or outside
    ``mask``, are left out)."""
    keep = index >= 0 if mask is None else (index >= 0) & mask
    return np.bincount(index[keep], weights=per_slot[keep], minlength=n).astype(np.int64)


def spread(index: np.ndarray, values: np.ndarray, missing=0) -> np.ndarray:
    """Per node slot, the value of its domain (``missing`` where it has no domain)."""
    if len(values) == 0:
        return np.full(len(index), missing, dtype=values.dtype)
    return np.where(index >= 0, values[np.maximum(index, 0)], missing)
