"""The storage lab: where does a file live, and what survives a restart, a pod, a node?

Pick a volume for the ``/data`` of a one-replica Deployment (``emptyDir``, ``hostPath``, a
PersistentVolume on NFS, or a dynamically provisioned local-path volume from the default
class ``local-path``) and an event (the container restarts, the pod is deleted, its node
fails). :meth:`StorageLab.run` starts a fresh seeded three-node cluster, writes
``/data/greeting`` with ``kubectl exec``, causes the event, waits for the Deployment to
recover and reads the file again from whichever pod is running. ``lab.widget`` wires the two
choices to a plot of the PV and PVC phases over time, with the verdict on top.

Examples
--------
>>> lab = StorageLab("emptyDir", "pod deleted").run()
>>> lab.verdict
'lost'
>>> lab.set(volume="PersistentVolume (NFS)", event="node failure").run().verdict
'kept'
>>> lab.set(volume="PersistentVolume (local-path)").run().verdict  # pinned to the dead node
'no pod running'
"""

from __future__ import annotations

import html

__all__ = ["EVENTS", "VOLUMES", "StorageLab", "plot_volume_phases", "storage_lab"]

VOLUMES = {
    "emptyDir": "scratch space of the pod",
    "hostPath": "a directory of the node's disk",
    "PersistentVolume (NFS)": "a static PV on an NFS export",
    "PersistentVolume (local-path)": "a PVC of the default class: a directory on one node",
}
EVENTS = ("container restart", "pod deleted", "node failure")
_WAIT = {"container restart": 30.0, "pod deleted": 60.0, "node failure": 420.0}

_NFS = """
apiVersion: v1
kind: PersistentVolume
metadata: {name: notes-nfs}
spec:
  capacity: {storage: 5Gi}
  accessModes: [ReadWriteMany]
  storageClassName: ""
  nfs: {server: nfs.example.internal, path: /exports/notes}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: notes}
spec:
  accessModes: [ReadWriteMany]
  storageClassName: ""
  resources: {requests: {storage: 1Gi}}
"""
_LOCAL_PATH = """
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: notes}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
"""
_SOURCES = {
    "emptyDir": {"emptyDir": {}},
    "hostPath": {"hostPath": {"path": "/srv/notes", "type": "DirectoryOrCreate"}},
    "PersistentVolume (NFS)": {"persistentVolumeClaim": {"claimName": "notes"}},
    "PersistentVolume (local-path)": {"persistentVolumeClaim": {"claimName": "notes"}},
}


def _deployment(volume: str) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "notes"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "notes"}},
            "template": {
                "metadata": {"labels": {"app": "notes"}},
                "spec": {
                    "containers": [
                        {
                            "name": "app",
                            "image": "nginx:1.25",
                            "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                        }
                    ],
                    "volumes": [{"name": "data", **_SOURCES[volume]}],
                },
            },
        },
    }


class StorageLab:
    """One volume type, one event, and whether ``/data/greeting`` is still there afterwards."""

    def __init__(self, volume: str = "emptyDir", event: str = "pod deleted", *, seed: int = 0):
        self.volume, self.event, self.seed = volume, event, seed
        self.cluster = None
        self.phases = None
        self.verdict = ""
        self.story: list[tuple[float, str]] = []
        self._widget = None

    def set(self, **settings) -> StorageLab:
        """Change ``volume``, ``event`` or ``seed``. Chainable."""
        for key, value in settings.items():
            if key not in ("volume", "event", "seed"):
                raise TypeError(f"StorageLab has no setting {key!r}")
            setattr(self, key, value)
        return self

    def _live_pod(self) -> dict | None:
        pods = [
            p
            for p in self.cluster.list("pod", selector="app=notes")
            if p["status"].get("phase") == "Running" and not p["metadata"].get("deletionTimestamp")
        ]
        return pods[0] if pods else None

    def run(self) -> StorageLab:
        """A fresh cluster: write the file, cause the event, read the file again."""
        from kubelab.cluster import Cluster
        from kubelab.storage.phases import record_phases

        if self.volume not in VOLUMES:
            raise ValueError(f"volume should be one of {list(VOLUMES)}, not {self.volume!r}")
        if self.event not in EVENTS:
            raise ValueError(f"event should be one of {list(EVENTS)}, not {self.event!r}")
        c = self.cluster = Cluster(nodes=3, seed=self.seed)
        self.phases = record_phases(c)
        self.placement = [(0.0, "none")]  # where a Running notes pod is, over time

        def on_pod(_event, _pod, _old):
            live = self._live_pod() if self.cluster is c else None
            where = live["spec"]["nodeName"] if live else "none"
            if where != self.placement[-1][1]:
                self.placement.append((c.now, where))

        c.api.store.watch("Pod", on_pod)
        if self.volume == "PersistentVolume (NFS)":
            c.apply(_NFS)
        elif self.volume == "PersistentVolume (local-path)":
            c.apply(_LOCAL_PATH)
        c.apply(_deployment(self.volume))
        c.run(30)
        pod = self._live_pod()
        name, node = pod["metadata"]["name"], pod["spec"]["nodeName"]
        c.kubectl(f"exec {name} -- sh -c 'echo hello > /data/greeting'")
        self.story = [(c.now, f"① {name} on {node} writes /data/greeting")]
        if self.event == "container restart":
            c.kubectl(f"exec {name} -- kill 1")
        elif self.event == "pod deleted":
            c.kubectl(f"delete pod {name} --wait=false")
        else:
            c.fail_node(node)
        self.story.append((c.now, f"② {self.event}"))
        c.run(_WAIT[self.event])
        pod = self._live_pod()
        if pod is None:
            self.verdict = "no pod running"
            self.story.append((c.now, "③ no pod of notes is running"))
            return self
        out = c.kubectl(f"exec {pod['metadata']['name']} -- cat /data/greeting")
        self.verdict = "kept" if out == "hello" else "lost"
        self.story.append(
            (
                c.now,
                f"③ {pod['metadata']['name']} on {pod['spec']['nodeName']} reads: {out.splitlines()[0]}",
            )
        )
        return self

    def timeline(self):
        """PV and PVC phases over time (``time, kind, name, phase``)."""
        if self.cluster is None:
            self.run()
        return self.phases.frame()

    def summary(self) -> str:
        if not self.verdict:
            self.run()
        if self.verdict == "no pod running":
            return f"{self.volume}, {self.event}: no notes pod runs to read the file"
        return f"{self.volume}, {self.event}: the file is {self.verdict}"

    # -- the view ----------------------------------------------------------------------------
    def figure(self, width: float = 10.0):
        """Top: the node a Running notes pod is on; bottom: PV and PVC phases; ① ② ③ the story."""
        from matplotlib.figure import Figure

        end = self.cluster.now if self.cluster is not None else self.run().cluster.now
        fig = Figure(figsize=(width, 4.6), layout="constrained")
        top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[1, 2])
        nodes = ["none", *sorted(self.cluster.kubelets)]
        times = [t for t, _ in self.placement] + [end]
        where = [nodes.index(n) for _, n in self.placement]
        top.step(times, [*where, where[-1]], where="post", color="#00897b", linewidth=2, gid="pod")
        top.set_yticks(range(len(nodes)), nodes)
        top.set_ylim(-0.5, len(nodes) - 0.5)
        top.set_ylabel("notes pod on")
        plot_volume_phases(self.timeline(), ax=bottom, end=end)
        for ax in (top, bottom):
            for t, _text in self.story:
                ax.axvline(t, color="0.5", linestyle=":", linewidth=1, gid="story")
        for i, (t, text) in enumerate(self.story):
            top.annotate(text.split(" ", 1)[0], (t, 1.0), xycoords=("data", "axes fraction"),
                         xytext=(3 + 12 * (i == 1), 2), textcoords="offset points",
                         fontsize=10, va="bottom")  # fmt: skip
        colour = {"kept": "#2e7d32", "lost": "#c62828"}.get(self.verdict, "#ef6c00")
        fig.suptitle(self.summary(), color=colour, fontsize=11, x=0.01, ha="left")
        return fig

    def png(self, dpi: int = 80) -> bytes:
        from kubelab.viz.widgets import figure_png

        return figure_png(self.figure(), dpi=dpi)

    @property
    def widget(self):
        """Volume and event choosers; the verdict and the phase plot below."""
        if self._widget is None:
            import ipywidgets as w

            c = self.controls = {
                "volume": w.Dropdown(
                    options=[(f"{k} ({v})", k) for k, v in VOLUMES.items()],
                    value=self.volume,
                    description="volume",
                    layout=w.Layout(width="560px"),
                ),
                "event": w.ToggleButtons(
                    options=list(EVENTS), value=self.event, description="then"
                ),
                "status": w.HTML(),
                "view": w.Image(format="png", layout=w.Layout(width="100%")),
            }
            for key in ("volume", "event"):
                c[key].observe(lambda _change: self.update(), names="value")
            self._widget = w.VBox([c["volume"], c["event"], c["status"], c["view"]])
            self.update()
        return self._widget

    def update(self) -> None:
        """Run with the controls' choices and redraw."""
        c = self.controls
        try:
            self.set(volume=c["volume"].value, event=c["event"].value).run()
        except Exception as error:  # shown in the lab, not lost in the browser console
            c["status"].value = f"<span style='color:#c62828'>❌ {html.escape(str(error))}</span>"
            return
        lines = "<br>".join(f"t={t:g}s: {html.escape(s)}" for t, s in self.story)
        c["status"].value = f"<b>{html.escape(self.summary())}</b><br>{lines}"
        c["view"].value = self.png()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


_PHASE_COLOURS = {
    "Pending": "#bdbdbd",
    "Available": "#64b5f6",
    "Bound": "#43a047",
    "Released": "#fb8c00",
    "Failed": "#e53935",
    "Lost": "#8e0000",
    "Terminating": "#8e24aa",
}


def _short(name: str) -> str:
    return name if len(name) <= 22 else name[:12] + "…" + name[-6:]


def plot_volume_phases(frame, ax=None, end: float | None = None):
    """One row per PV and PVC: its phase over time as coloured bars (from ``record_phases``).

    Returns the Axes.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    if ax is None:
        _, ax = plt.subplots(figsize=(10, 3.2))
    if end is None:
        end = float(frame.time.max()) if len(frame) else 1.0
    objects = list(dict.fromkeys(zip(frame.kind, frame.name, strict=True)))
    for row, (kind, name) in enumerate(objects):
        rows = frame[(frame.kind == kind) & (frame.name == name)]
        starts = list(rows.time)
        for start, stop, phase in zip(starts, [*starts[1:], end], rows.phase, strict=True):
            if phase == "Deleted":
                break
            width = max(stop - start, end / 400)  # a phase that lasted an instant still shows
            ax.broken_barh([(start, width)], (row - 0.35, 0.7), color=_PHASE_COLOURS.get(phase, "#000"),
                           gid=f"{kind}/{name}/{phase}")  # fmt: skip
    labels = [("pv/" if k == "PersistentVolume" else "pvc/") + _short(n) for k, n in objects]
    ax.set_yticks(range(len(objects)), labels)
    ax.set_ylim(max(len(objects), 1) - 0.5, -0.5)
    ax.set_xlim(0, max(end, 1.0))
    ax.set_xlabel("simulated time (s)")
    ax.grid(axis="x", alpha=0.25)
    if objects:
        seen = list(dict.fromkeys(p for p in frame.phase if p in _PHASE_COLOURS))
        handles = [Patch(color=_PHASE_COLOURS[p], label=p) for p in seen]
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    else:
        ax.set_yticks([])
        ax.text(0.5, 0.5, "no PersistentVolumes or claims", transform=ax.transAxes,
                ha="center", va="center", color="0.4")  # fmt: skip
    return ax


def storage_lab(volume: str = "emptyDir", event: str = "pod deleted", **settings) -> StorageLab:
    """A :class:`StorageLab`; a notebook cell ending with it shows the widget."""
    return StorageLab(volume, event, **settings)
