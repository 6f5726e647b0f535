"""``kubectl rollout history|undo`` for DaemonSets and StatefulSets (``kubectl/pkg/polymorphichelpers``).

A DaemonSet's history is its ControllerRevisions: the DaemonSet controller stores every
template it has run as a strategic merge patch that replaces ``spec.template``
(``data``), numbered by ``revision``, with the DaemonSet's annotations of that moment (so
``kubernetes.io/change-cause`` shows in the CHANGE-CAUSE column). ``DaemonSetHistoryViewer``
lists them; ``DaemonSetRollbacker`` sends revision N's patch back to the DaemonSet, and
the controller then renumbers that revision as the newest one and rolls the pods.
StatefulSets keep their history the same way (``StatefulSetHistoryViewer``,
``StatefulSetRollbacker``), so the same functions serve both kinds.

Examples
--------
>>> revs = [{"revision": r, "metadata": {"name": f"ds-{r}"}} for r in (3, 1, 2)]
>>> find_history(0, revs)["metadata"]["name"], find_history(1, revs)["metadata"]["name"]
('ds-2', 'ds-1')
>>> find_history(7, revs) is None, find_history(0, revs[:1]) is None
(True, True)
"""

from __future__ import annotations

import copy

from kubelab.api import labels
from kubelab.api.meta import is_controlled_by
from kubelab.apiserver.patch import strategic_merge
from kubelab.controllers.daemonset_update import get_patch
from kubelab.errors import KubelabError
from kubelab.kubectl.commands.common import CommandError
from kubelab.kubectl.describe_common import Writer, describe_pod_template

__all__ = [
    "CHANGE_CAUSE",
    "apply_daemonset_history",
    "daemonset_history",
    "find_history",
    "rollback_daemonset",
    "template_text",
    "view_daemonset_history",
]

CHANGE_CAUSE = "kubernetes.io/change-cause"


class _PrefixWriter(Writer):
    """``describe.NewPrefixWriter`` over a plain buffer: tabs are printed, not aligned."""

    def flush(self) -> None:
        self._done.append("".join(self._buf))
        self._buf = []


def template_text(template: dict) -> str:
    """``printTemplate``: ``DescribePodTemplate`` through a prefix writer."""
    w = _PrefixWriter()
    describe_pod_template(w, template)
    return w.text()


def revision_table(causes: dict[int, str | None]) -> str:
    """The ``REVISION  CHANGE-CAUSE`` table (``tabbedString``: padding 2, last column bare).

    >>> print(revision_table({2: "kubectl set image", 1: None}), end="")
    REVISION  CHANGE-CAUSE
    1         <none>
    2         kubectl set image
    """
    rows = [("REVISION", "CHANGE-CAUSE")]
    rows += [(str(number), causes[number] or "<none>") for number in sorted(causes)]
    width = max(len(r[0]) for r in rows) + 2
    return "".join(f"{r[0].ljust(width)}{r[1]}\n" for r in rows)


# -- history ------------------------------------------------------------------------------------
def daemonset_history(client, ds: dict) -> list[dict]:
    """``daemonSetHistory``: the ControllerRevisions the selector matches and the DaemonSet controls."""
    selector = labels.from_label_selector((ds.get("spec") or {}).get("selector"))
    found = client.list("ControllerRevision", ds["metadata"].get("namespace"), selector)
    return [rev for rev in found if is_controlled_by(rev, ds)]


def apply_daemonset_history(ds: dict, rev: dict) -> dict:
    """``applyDaemonSetHistory``: the DaemonSet as it was at ``rev`` (its patch applied to a copy)."""
    return strategic_merge(copy.deepcopy(ds), copy.deepcopy(rev.get("data") or {}))


def view_daemonset_history(client, ds: dict, revision: int) -> str:
    """``DaemonSetHistoryViewer.ViewHistory``: the revision table, or revision N's pod template."""
    by_revision = {rev.get("revision", 0): rev for rev in daemonset_history(client, ds)}
    if not by_revision:
        return "No rollout history found."
    if revision > 0:
        rev = by_revision.get(revision)
        if rev is None:
            raise CommandError("unable to find the specified revision")
        template = (apply_daemonset_history(ds, rev).get("spec") or {}).get("template")
        return template_text(template or {})
    causes = {
        number: (rev["metadata"].get("annotations") or {}).get(CHANGE_CAUSE)
        for number, rev in by_revision.items()
    }
    return revision_table(causes)


# -- rollback -----------------------------------------------------------------------------------
def find_history(to_revision: int, history: list[dict]) -> dict | None:
    """``findHistory``: revision ``to_revision``, or for 0 the second newest (None if absent)."""
    if to_revision == 0:
        if len(history) <= 1:
            return None
        return sorted(history, key=lambda rev: rev.get("revision", 0))[-2]
    return next((rev for rev in history if rev.get("revision") == to_revision), None)


def _not_found(to_revision: int) -> CommandError:
    return CommandError(f"unable to find specified revision {to_revision} in history")


def rollback_daemonset(client, ds: dict, to_revision: int, dry_run: str = "none") -> str:
    """``DaemonSetRollbacker.Rollback``: patch the template back; returns kubectl's operation."""
    if to_revision < 0:
        raise _not_found(to_revision)
    history = daemonset_history(client, ds)
    if to_revision == 0 and len(history) <= 1:
        raise CommandError("no last revision to roll back to")
    target = find_history(to_revision, history)
    if target is None:
        raise _not_found(to_revision)
    if dry_run == "client":
        template = (apply_daemonset_history(ds, target).get("spec") or {}).get("template")
        return f"will roll back to {template_text(template or {})}"
    if get_patch(ds) == target.get("data"):  # daemonSetMatch
        return f"skipped rollback (current template already matches revision {to_revision})"
    meta = ds["metadata"]
    try:
        client.patch(
            ds["kind"],
            meta["name"],
            meta.get("namespace"),
            copy.deepcopy(target.get("data") or {}),
            "strategic",
            dry_run=dry_run == "server",
        )
    except KubelabError as error:
        raise CommandError(f"failed restoring revision {to_revision}: {error}") from None
    return "rolled back"
