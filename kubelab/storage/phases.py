"""Record the phases of PersistentVolumes and PersistentVolumeClaims over time.

``record_phases(c)`` watches the cluster's store (as any observer does) and keeps one row
per phase change: ``time, kind, name, phase`` (``Terminating`` while a deletion waits on a
finalizer, ``Deleted`` when the object is gone). ``frame()`` returns them as a DataFrame.

Examples
--------
>>> import kubelab as kl
>>> c = kl.Cluster(nodes=1, seed=0)
>>> phases = record_phases(c)
>>> _ = c.apply('''
... apiVersion: v1
... kind: PersistentVolume
... metadata: {name: vol}
... spec: {capacity: {storage: 1Gi}, accessModes: [ReadWriteOnce], hostPath: {path: /srv/vol}}
... ---
... apiVersion: v1
... kind: PersistentVolumeClaim
... metadata: {name: data}
... spec: {accessModes: [ReadWriteOnce], storageClassName: "", resources: {requests: {storage: 1Gi}}}
... ''')
>>> _ = c.run(1)
>>> phases.rows
[(0.0, 'PersistentVolume', 'vol', 'Pending'), (0.0, 'PersistentVolumeClaim', 'data', 'Pending'), (0.0, 'PersistentVolume', 'vol', 'Available'), (0.0, 'PersistentVolume', 'vol', 'Bound'), (0.0, 'PersistentVolumeClaim', 'data', 'Bound')]
"""

from __future__ import annotations

__all__ = ["PhaseRecorder", "record_phases"]

_KINDS = ("PersistentVolume", "PersistentVolumeClaim")


def _phase(obj: dict) -> str:
    if obj["metadata"].get("deletionTimestamp"):
        return "Terminating"
    return (obj.get("status") or {}).get("phase") or "Pending"


class PhaseRecorder:
    """Phase changes of volumes and claims, from the store's watch."""

    def __init__(self, cluster):
        self.cluster = cluster
        self.rows: list[tuple[float, str, str, str]] = []
        self._last: dict[tuple[str, str], str] = {}
        for kind in _KINDS:
            for obj in cluster.api.store.list(kind):
                self._seen("ADDED", obj, None)
            cluster.api.store.watch(kind, self._seen)

    def _seen(self, event: str, obj: dict, _old) -> None:
        key = (obj["kind"], obj["metadata"]["name"])
        phase = "Deleted" if event == "DELETED" else _phase(obj)
        if self._last.get(key) != phase:
            self._last[key] = phase
            self.rows.append((self.cluster.now, key[0], key[1], phase))

    def frame(self):
        """``time, kind, name, phase``: one row per change."""
        import pandas as pd

        return pd.DataFrame(self.rows, columns=["time", "kind", "name", "phase"])


def record_phases(cluster) -> PhaseRecorder:
    """Start recording PV and PVC phases of ``cluster`` (from now on)."""
    return PhaseRecorder(cluster)
