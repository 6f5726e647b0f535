"""The storage lab (driven without a browser) and the PV/PVC phase plot."""

from __future__ import annotations

import pytest

import kubelab as kl
from kubelab.storage import record_phases
from kubelab.viz.storage_lab import StorageLab


@pytest.mark.parametrize(
    ("volume", "verdicts"),
    [
        ("emptyDir", ["kept", "lost", "lost"]),
        ("PersistentVolume (NFS)", ["kept", "kept", "kept"]),
        ("PersistentVolume (local-path)", ["kept", "kept", "no pod running"]),
    ],
)
def test_what_survives_what(volume, verdicts):
    got = [
        StorageLab(volume, event).run().verdict
        for event in ("container restart", "pod deleted", "node failure")
    ]
    assert got == verdicts


def test_hostpath_replacement_on_another_node_does_not_see_the_file():
    lab = StorageLab("hostPath", "pod deleted").run()
    writer, reader = lab.story[0][1], lab.story[-1][1]
    assert "node-3" in writer and "node-1" in reader  # the replacement landed elsewhere
    assert lab.verdict == "lost"


def test_lab_rejects_unknown_choices_and_draws():
    with pytest.raises(ValueError, match="volume should be one of"):
        StorageLab("tmpfs").run()
    with pytest.raises(TypeError):
        StorageLab().set(colour="red")
    lab = StorageLab("PersistentVolume (NFS)", "node failure").run()
    fig = lab.figure()
    gids = {a.get_gid() for ax in fig.axes for a in ax.get_children()}
    assert {"pod", "story", "PersistentVolumeClaim/notes/Bound"} <= gids
    assert lab.summary() == "PersistentVolume (NFS), node failure: the file is kept"
    assert lab.png()[:4] == b"\x89PNG"


def test_widget_reruns_when_a_control_changes():
    pytest.importorskip("ipywidgets")
    lab = StorageLab("emptyDir", "pod deleted")
    _ = lab.widget
    assert "the file is lost" in lab.controls["status"].value
    lab.controls["event"].value = "container restart"
    assert "the file is kept" in lab.controls["status"].value
    assert lab.controls["view"].value[:4] == b"\x89PNG"


def test_plot_volume_phases_one_row_per_object():
    c = kl.Cluster(nodes=1, seed=0)
    phases = record_phases(c)
    c.apply("""
apiVersion: v1
kind: PersistentVolume
metadata: {name: vol}
spec: {capacity: {storage: 1Gi}, accessModes: [ReadWriteOnce], storageClassName: "", nfs: {server: s, path: /p}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec: {accessModes: [ReadWriteOnce], storageClassName: "", resources: {requests: {storage: 1Gi}}}
""")
    c.run(5)
    c.delete("pvc", "data")
    c.run(5)
    frame = phases.frame()
    assert list(frame[frame.name == "vol"].phase) == ["Pending", "Available", "Bound", "Released"]
    assert list(frame[frame.name == "data"].phase)[-2:] == ["Terminating", "Deleted"]
    ax = kl.viz.plot_volume_phases(frame, end=c.now)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["pv/vol", "pvc/data"]
    assert any(a.get_gid() == "PersistentVolume/vol/Released" for a in ax.get_children())
