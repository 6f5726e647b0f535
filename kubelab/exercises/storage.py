"""Checks for lesson 14 (volumes and persistent storage).

Each check prints one ``✅`` line or raises :class:`~kubelab.exercises.CheckFailed` with one
``❌`` line. Answers are tried on scratch clusters (seeded: the same feedback every run) and
the truth of a prediction comes from running the experiment in :class:`~kubelab.viz.storage_lab.StorageLab`.

>>> check_storage_predictions({"emptyDir / container restart": "kept",
...                            "emptyDir / pod deleted": "lost",
...                            "hostPath / node failure": "lost",
...                            "PersistentVolume (NFS) / node failure": "kept"})
✅ All four right: an emptyDir lives as long as its pod, a hostPath as long as its node, a network PersistentVolume outlives both.
"""

from __future__ import annotations

from typing import Any

from kubelab.exercises.checks import (
    _apply,
    _cluster,
    _expect_kind,
    _fail,
    _load,
    _not_answered,
    _ok,
    _path,
    course_file,
    yaml_documents,
)

__all__ = ["PREDICTIONS", "check_notes_survive", "check_shared_claim", "check_storage_predictions"]

#: The experiments of the prediction exercise: "volume / event".
PREDICTIONS = (
    "emptyDir / container restart",
    "emptyDir / pod deleted",
    "hostPath / node failure",
    "PersistentVolume (NFS) / node failure",
)


def _truth(case: str) -> str:
    from kubelab.viz.storage_lab import StorageLab

    volume, event = (part.strip() for part in case.split("/"))
    return StorageLab(volume, event).run().verdict


def check_storage_predictions(answers: Any) -> None:
    """``{"emptyDir / pod deleted": "kept" or "lost", ...}`` for every case of :data:`PREDICTIONS`."""
    _not_answered(answers, "answers")
    if not isinstance(answers, dict):
        _fail('answers should be a dict like {"emptyDir / pod deleted": "lost", ...}.')
    missing = [case for case in PREDICTIONS if case not in answers]
    if missing:
        _fail(f"predict every case: {missing[0]!r} has no answer yet.")
    for case in PREDICTIONS:
        said = str(answers[case]).strip().lower()
        if said not in ("kept", "lost"):
            _fail(f'{case}: answer "kept" or "lost", not {answers[case]!r}.')
        truth = _truth(case)
        if said != truth:
            why = {
                "emptyDir / container restart": "an emptyDir belongs to the pod, and a restart "
                "keeps the pod: only the container's own layer (like /tmp) starts empty",
                "emptyDir / pod deleted": "an emptyDir is created with its pod and deleted with it",
                "hostPath / node failure": "the file is on the failed node's disk; the replacement "
                "pod runs on another node and sees that node's directory",
                "PersistentVolume (NFS) / node failure": "the data is on the NFS server, which "
                "every node mounts: the replacement pod finds it",
            }[case]
            _fail(f"{case}: the experiment says the file is {truth} — {why}.")
    _ok(
        "All four right: an emptyDir lives as long as its pod, a hostPath as long as its node, "
        "a network PersistentVolume outlives both."
    )


def check_shared_claim(claim: Any) -> None:
    """A PersistentVolumeClaim ``shared-data`` that binds ``pv-shared`` of data/storage-pvs.yaml."""

    claim = _load(claim, "your claim")
    _expect_kind(claim, "PersistentVolumeClaim", "v1")
    if _path(claim, "metadata.name") != "shared-data":
        _fail("name the claim shared-data (metadata.name), so its pods can find it.")
    c = _cluster(nodes=1)
    c.apply(course_file("storage-pvs.yaml"))
    _apply(c, dict(claim))
    c.run(20)
    live = c.get("pvc", "shared-data")
    volume = live["spec"].get("volumeName")
    if volume == "pv-shared":
        _ok(
            f"shared-data is Bound to pv-shared ({live['status']['capacity']['storage']}): the "
            "only volume offering ReadWriteMany, so pods on several nodes can write to it."
        )
        return
    if volume:
        _fail(
            f"it bound {volume}, the smallest volume that fits what you asked for. Ask for what "
            "only pv-shared offers: accessModes [ReadWriteMany]."
        )
    cls = live["spec"].get("storageClassName")
    if cls != "manual":
        got = f"class {cls!r}" if cls else 'no class ("")'
        _fail(
            f"it is still Pending: it asks for {got}, but the three volumes are of class "
            '"manual". A claim binds only volumes of its own class.'
        )
    _fail(
        "it is still Pending: no volume offers everything it asks for. pv-shared has 10Gi and "
        "ReadWriteOnce + ReadWriteMany; check the size, the access modes and any selector."
    )


def _documents(manifests: Any) -> list[dict]:
    _not_answered(manifests, "your manifests")
    if isinstance(manifests, str):
        docs = yaml_documents(manifests)
    elif isinstance(manifests, dict):
        docs = [manifests]
    else:
        docs = [_load(d, "each manifest") for d in manifests]
    if not all(isinstance(d, dict) for d in docs):
        _fail("give manifests as dicts or YAML text.")
    return docs


def check_notes_survive(manifests: Any) -> None:
    """The ``notes`` Deployment (plus any claim) whose ``/data`` outlives a node failure.

    Tried on a fresh three-node cluster that offers ``notes-nfs`` (data/notes-nfs-pv.yaml):
    write ``/data/note``, fail the pod's node, wait for the replacement, read the note.
    """

    docs = _documents(manifests)
    deployment = next((d for d in docs if d.get("kind") == "Deployment"), None)
    if deployment is None or _path(deployment, "metadata.name") != "notes":
        _fail("include the Deployment notes (from data/notes-app.yaml), changed.")
    volumes = _path(deployment, "spec.template.spec.volumes") or []
    data = next((v for v in volumes if v.get("name") == "data"), None)
    if data is None:
        _fail("keep the volume named data mounted at /data.")
    if "emptyDir" in data:
        _fail("data is still an emptyDir: it is deleted with the pod. Use a PersistentVolumeClaim.")
    if "hostPath" in data:
        _fail(
            "a hostPath is a directory of one node's disk: the replacement pod on another node would not see it."
        )
    c = _cluster(nodes=3)
    c.apply(course_file("notes-nfs-pv.yaml"))
    _apply(c, docs)
    c.run(40)

    def running():
        return [
            p
            for p in c.list("pod", selector="app=notes")
            if p["status"].get("phase") == "Running" and not p["metadata"].get("deletionTimestamp")
        ]

    pods = running()
    if len(pods) != 1:
        _fail("after 40 s no notes pod is Running: is its claim Bound? (kubectl get pvc)")
    first = pods[0]
    c.kubectl(f"exec {first['metadata']['name']} -- sh -c 'echo remember > /data/note'")
    c.fail_node(first["spec"]["nodeName"])
    c.run(420)
    pods = running()
    if not pods:
        pending = [
            p for p in c.list("pod", selector="app=notes") if p["status"].get("phase") == "Pending"
        ]
        reason = ""
        if pending:
            conditions = pending[0]["status"].get("conditions") or [{}]
            reason = f" The scheduler says: {conditions[0].get('message', '')}"
        _fail(
            f"after {first['spec']['nodeName']} failed, no notes pod runs anywhere else.{reason} "
            "A volume pinned to one node (like the default class's local-path volumes) cannot "
            "follow the pod: use storage every node can reach."
        )
    out = c.kubectl(f"exec {pods[0]['metadata']['name']} -- cat /data/note")
    if out != "remember":
        _fail(
            f"the replacement pod on {pods[0]['spec']['nodeName']} has no note ({out.splitlines()[0]})."
        )
    _ok(
        f"{first['spec']['nodeName']} failed; the replacement on {pods[0]['spec']['nodeName']} "
        "still reads the note: it lives on the NFS export, not on a node."
    )
