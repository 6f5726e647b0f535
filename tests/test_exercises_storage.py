"""Lesson 14's checks accept right answers and reject wrong ones (with a useful message)."""

from __future__ import annotations

import pytest
import yaml

from kubelab.exercises import (
    CheckFailed,
    check_notes_survive,
    check_shared_claim,
    check_storage_predictions,
)
from kubelab.exercises.checks import course_file

RIGHT = {
    "emptyDir / container restart": "kept",
    "emptyDir / pod deleted": "lost",
    "hostPath / node failure": "lost",
    "PersistentVolume (NFS) / node failure": "kept",
}


def test_predictions_accept_the_truth(capsys):
    check_storage_predictions(dict(RIGHT))
    assert capsys.readouterr().out.startswith("✅ All four right")


@pytest.mark.parametrize("case", sorted(RIGHT))
def test_predictions_reject_each_wrong_answer(case):
    wrong = dict(RIGHT, **{case: "lost" if RIGHT[case] == "kept" else "kept"})
    with pytest.raises(CheckFailed, match=f"the experiment says the file is {RIGHT[case]}"):
        check_storage_predictions(wrong)


def test_predictions_reject_incomplete_or_odd_answers():
    with pytest.raises(CheckFailed, match="still `Ellipsis`"):
        check_storage_predictions(...)
    with pytest.raises(CheckFailed, match="has no answer yet"):
        check_storage_predictions({"emptyDir / pod deleted": "lost"})
    with pytest.raises(CheckFailed, match='answer "kept" or "lost"'):
        check_storage_predictions(dict(RIGHT, **{"emptyDir / pod deleted": "maybe"}))


CLAIM = """
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: shared-data}
spec:
  storageClassName: manual
  accessModes: [ReadWriteMany]
  resources: {requests: {storage: 2Gi}}
"""


def test_shared_claim_accepts_rwx_manual(capsys):
    check_shared_claim(CLAIM)
    assert "Bound to pv-shared (10Gi)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("ReadWriteMany", "ReadWriteOnce"), "it bound pv-medium"),
        (("storageClassName: manual", "storageClassName: fast"), "asks for class 'fast'"),
        (("  storageClassName: manual\n", ""), "asks for class 'local-path'"),
        (("storage: 2Gi", "storage: 20Gi"), "no volume offers everything"),
        (("name: shared-data", "name: data"), "name the claim shared-data"),
        (("kind: PersistentVolumeClaim", "kind: PersistentVolume"), "kind should be"),
        (("ReadWriteMany", "ReadWriteSometimes"), "API server refuses it: .*accessModes"),
    ],
)
def test_shared_claim_rejects(change, message):
    with pytest.raises(CheckFailed, match=message):
        check_shared_claim(CLAIM.replace(*change))


def _notes(volume: dict) -> dict:
    deployment = yaml.safe_load(course_file("notes-app.yaml").read_text())
    deployment["spec"]["template"]["spec"]["volumes"] = [{"name": "data", **volume}]
    return deployment


NFS_CLAIM = {
    "apiVersion": "v1",
    "kind": "PersistentVolumeClaim",
    "metadata": {"name": "notes"},
    "spec": {
        "storageClassName": "nfs",
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": "1Gi"}},
    },
}


def test_notes_survive_with_the_nfs_claim(capsys):
    check_notes_survive([NFS_CLAIM, _notes({"persistentVolumeClaim": {"claimName": "notes"}})])
    assert "still reads the note" in capsys.readouterr().out


def test_notes_rejects_local_storage_emptydir_and_hostpath():
    default_class = dict(
        NFS_CLAIM, spec={k: v for k, v in NFS_CLAIM["spec"].items() if k != "storageClassName"}
    )
    with pytest.raises(CheckFailed, match="volume node affinity conflict"):
        check_notes_survive(
            [default_class, _notes({"persistentVolumeClaim": {"claimName": "notes"}})]
        )
    with pytest.raises(CheckFailed, match="still an emptyDir"):
        check_notes_survive(course_file("notes-app.yaml").read_text())
    with pytest.raises(CheckFailed, match="hostPath"):
        check_notes_survive([_notes({"hostPath": {"path": "/srv/notes"}})])
    with pytest.raises(CheckFailed, match="is its claim Bound"):
        check_notes_survive([_notes({"persistentVolumeClaim": {"claimName": "missing"}})])
    with pytest.raises(CheckFailed, match="include the Deployment notes"):
        check_notes_survive([NFS_CLAIM])
