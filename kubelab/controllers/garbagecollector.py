"""The garbage collector (``pkg/controller/garbagecollector``): cascading deletion.

Objects name their owners in ``metadata.ownerReferences``. When an owner goes away,
its dependents follow, according to how the owner was deleted:

* **Background** (``kubectl delete`` default): the owner is gone at once; the collector
  then deletes every dependent whose owners are all gone (``attemptToDeleteItem``).
* **Foreground**: the owner stays, with ``deletionTimestamp`` and the
  ``foregroundDeletion`` finalizer, while its dependents are deleted (themselves in the
  foreground if they have dependents: Deployment → ReplicaSet → Pods). When no
  dependent with ``blockOwnerDeletion`` is left, the finalizer is removed and the owner
  disappears (``processDeletingDependentsItem``).
* **Orphan**: the ``orphan`` finalizer; the collector removes the owner's references
  from its dependents, then the finalizer (``orphanDependents``).

Upstream keeps a graph of every object; here the informers' ``ownerUID`` index is that
graph: dependents of an owner are ``informer.by_index("ownerUID", uid)`` for each kind.
"""

from __future__ import annotations

import contextlib

from kubelab.api import kinds
from kubelab.controllers.base import Controller
from kubelab.errors import Conflict, KubelabError, NotFound

__all__ = ["FOREGROUND", "ORPHAN", "GarbageCollector"]

FOREGROUND, ORPHAN = "foregroundDeletion", "orphan"
# Events are never owners nor dependents; watching them would cost a cache of every event.
_UNWATCHED = frozenset({"Event"})


def _finalizers(obj: dict) -> list:
    return obj["metadata"].get("finalizers") or []


def _deleting(obj: dict) -> bool:
    return bool(obj["metadata"].get("deletionTimestamp"))


def _deleting_dependents(obj: dict) -> bool:
    return _deleting(obj) and FOREGROUND in _finalizers(obj)


class GarbageCollector(Controller):
    """Deletes dependents whose owners are gone; runs foreground and orphan deletions."""

    name = "garbage-collector-controller"

    def setup(self) -> None:
        self.watched = {}
        for rt in kinds.KINDS:
            if rt.kind in _UNWATCHED:
                continue
            informer = self.informers.get(rt.kind)
            self.watched[rt.kind] = informer
            informer.add_handler(
                on_add=self._added, on_update=self._updated, on_delete=self._deleted
            )

    # -- the graph -------------------------------------------------------------------------
    def dependents(self, uid: str) -> list[dict]:
        """Every watched object with an ownerReference to ``uid``."""
        found = []
        for informer in self.watched.values():
            found.extend(informer.by_index("ownerUID", uid))
        return found

    def owner_of(self, dependent: dict, ref: dict) -> dict | None:
        """The live owner a reference points to (``None`` when it is gone or replaced)."""
        rt = kinds.lookup(ref.get("kind", ""))
        informer = self.watched.get(rt.kind) if rt is not None else None
        if informer is None:
            return dependent  # an owner kind we cannot see: never treat it as gone
        ns = dependent["metadata"].get("namespace", "") if rt.namespaced else ""
        owner = informer.get(ns, ref.get("name", ""))
        if owner is None or owner["metadata"].get("uid") != ref.get("uid"):
            return None
        return owner

    def _enqueue(self, action: str, obj: dict) -> None:
        meta = obj["metadata"]
        self.enqueue((action, obj["kind"], meta.get("namespace", ""), meta["name"]))

    # -- handlers (upstream processGraphChanges) ----------------------------------------------
    def _added(self, obj: dict) -> None:
        if obj["metadata"].get("ownerReferences") and any(
            self.owner_of(obj, ref) is None for ref in obj["metadata"]["ownerReferences"]
        ):
            self._enqueue("delete", obj)  # a dangling reference: its owner is already gone
        if _deleting(obj):
            self._updated(None, obj)

    def _updated(self, old: dict | None, new: dict) -> None:
        if _deleting(new):
            finalizers = _finalizers(new)
            if ORPHAN in finalizers:
                self._enqueue("orphan", new)
            elif FOREGROUND in finalizers:
                self._enqueue("delete", new)
                if old is None or not _deleting_dependents(old):
                    for dep in self.dependents(new["metadata"]["uid"]):
                        self._enqueue("delete", dep)
        if old is None:
            return
        old_refs = old["metadata"].get("ownerReferences") or []
        new_refs = new["metadata"].get("ownerReferences") or []
        if old_refs == new_refs:
            return
        kept = {r.get("uid"): r for r in new_refs}
        for ref in old_refs:  # a blocking reference went away: its owner may be done waiting
            now = kept.get(ref.get("uid"))
            if now is None or (ref.get("blockOwnerDeletion") and not now.get("blockOwnerDeletion")):
                owner = self.owner_of(old, ref)
                if owner is not None and owner is not old and _deleting_dependents(owner):
                    self._enqueue("delete", owner)
        if any(self.owner_of(new, ref) is None for ref in new_refs):
            self._enqueue("delete", new)

    def _deleted(self, obj: dict) -> None:
        for dep in self.dependents(obj["metadata"]["uid"]):
            self._enqueue("delete", dep)
        for ref in obj["metadata"].get("ownerReferences") or ():
            owner = self.owner_of(obj, ref)
            if owner is not None and owner is not obj and _deleting_dependents(owner):
                self._enqueue("delete", owner)

    # -- workers ---------------------------------------------------------------------------
    def sync(self, key) -> None:
        action, kind, ns, name = key
        obj = self.watched[kind].get(ns, name)
        if obj is None:
            return
        try:
            if action == "orphan":
                self.orphan_dependents(obj)
            else:
                self.attempt_to_delete(obj)
        except Conflict:
            self.add_rate_limited(key)  # changed under us: look again

    def attempt_to_delete(self, obj: dict) -> None:
        """Upstream ``attemptToDeleteItem``."""
        if _deleting(obj):
            if FOREGROUND in _finalizers(obj):
                self.process_deleting_dependents(obj)
            return
        refs = obj["metadata"].get("ownerReferences") or []
        if not refs:
            return
        solid, gone = [], []  # gone: dangling, or an owner waiting for its dependents
        for ref in refs:
            owner = self.owner_of(obj, ref)
            if owner is None or (owner is not obj and _deleting_dependents(owner)):
                gone.append(ref)
            else:
                solid.append(ref)
        if solid:
            if gone:  # another owner still holds it: only drop the dead references
                self._patch_refs(obj, [r for r in refs if r in solid])
            return
        waiting = any(self.owner_of(obj, r) is not None for r in gone)
        finalizers = _finalizers(obj)
        if waiting and self.dependents(obj["metadata"]["uid"]):
            policy = "Foreground"  # cascade the foreground deletion downwards
        elif ORPHAN in finalizers:
            policy = "Orphan"
        elif FOREGROUND in finalizers:
            policy = "Foreground"
        else:
            policy = "Background"
        self._delete(obj, policy)

    def process_deleting_dependents(self, owner: dict) -> None:
        """Remove ``foregroundDeletion`` once no blocking dependent is left."""
        uid = owner["metadata"]["uid"]
        blocking = [
            dep
            for dep in self.dependents(uid)
            if any(
                r.get("uid") == uid and r.get("blockOwnerDeletion")
                for r in dep["metadata"].get("ownerReferences") or ()
            )
        ]
        if not blocking:
            self._remove_finalizer(owner, FOREGROUND)
            return
        for dep in blocking:
            if not _deleting_dependents(dep):
                self._enqueue("delete", dep)

    def orphan_dependents(self, owner: dict) -> None:
        """Remove the owner's references from its dependents, then the ``orphan`` finalizer."""
        uid = owner["metadata"]["uid"]
        for dep in self.dependents(uid):
            refs = dep["metadata"].get("ownerReferences") or []
            self._patch_refs(dep, [r for r in refs if r.get("uid") != uid])
        self._remove_finalizer(owner, ORPHAN)

    # -- writes ----------------------------------------------------------------------------
    def _patch_refs(self, obj: dict, refs: list) -> None:
        meta = obj["metadata"]
        with contextlib.suppress(NotFound):
            self.client.patch(
                obj["kind"],
                meta["name"],
                meta.get("namespace", ""),
                {"metadata": {"ownerReferences": refs or None}},
                "merge",
            )

    def _remove_finalizer(self, obj: dict, finalizer: str) -> None:
        meta = obj["metadata"]
        remaining = [f for f in _finalizers(obj) if f != finalizer]
        with contextlib.suppress(NotFound):
            self.client.patch(
                obj["kind"],
                meta["name"],
                meta.get("namespace", ""),
                {"metadata": {"finalizers": remaining or None}},
                "merge",
            )

    def _delete(self, obj: dict, policy: str) -> None:
        meta = obj["metadata"]
        try:
            self.client.delete(
                obj["kind"], meta["name"], meta.get("namespace", ""), propagation=policy
            )
        except NotFound:
            pass
        except KubelabError:
            self.enqueue(
                ("delete", obj["kind"], meta.get("namespace", ""), meta["name"]), delay=5.0
            )
