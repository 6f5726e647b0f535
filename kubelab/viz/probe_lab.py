"""The probe lab: one image, one probe's settings, and what they do to Ready and restarts.

Pick an image from the catalogue (``kubelab/slow-start:v1`` answers only after 30 s,
``kubelab/web:v3-broken`` never gets healthy, ``kubelab/crashy:v1`` exits after 5 s,
``kubelab/leaky:v1`` leaks memory past its limit ...), a probe (liveness, readiness or startup)
and its ``initialDelaySeconds``, ``periodSeconds`` and ``failureThreshold``. :meth:`ProbeLab.run`
starts a fresh seeded one-node cluster with that pod and watches it (through the store's watch,
like any component): the timeline has one row per change of Ready, restart count or STATUS.
``lab.widget`` wires sliders to those settings and draws Ready and restarts over time.

Examples
--------
>>> lab = ProbeLab("kubelab/slow-start:v1", "liveness", seconds=120).run()
>>> lab.restarts(), lab.ready_at()  # killed at 20 s every time, before it ever answers
(3, None)
>>> lab.set(probe="startup", failure_threshold=6).run().ready_at()  # 30 s of grace
33.5
"""

from __future__ import annotations

import html

__all__ = ["IMAGES", "PROBES", "ProbeLab", "probe_lab"]

#: The catalogue's teaching images for probes, with what each does.
IMAGES = {
    "kubelab/web:v1": "healthy: answers 2 s after starting",
    "kubelab/slow-start:v1": "answers only 30 s after starting",
    "kubelab/web:v3-broken": "listens, but /healthz answers 503 forever",
    "kubelab/crashy:v1": "exits with code 1 five seconds after starting",
    "kubelab/leaky:v1": "leaks 2Mi a second: OOMKilled at its 64Mi limit",
}
PROBES = ("liveness", "readiness", "startup")


class ProbeLab:
    """A pod running ``image`` with one probe, on a fresh one-node cluster.

    Parameters
    ----------
    image : str
        An image of the catalogue (see :data:`IMAGES`).
    probe : {"liveness", "readiness", "startup"}
        Which probe to set (an ``httpGet`` on ``/healthz``, port 8080). The container also
        gets a readiness probe of the defaults (so Ready says whether the app answers), and a
        startup probe comes with a liveness probe of the defaults, which it gates.
    initial_delay, period, failure_threshold : int
        The probe's ``initialDelaySeconds``, ``periodSeconds`` and ``failureThreshold``.
    seconds : float
        How long :meth:`run` lets the cluster run.
    memory_limit : str
        The container's memory limit (what ``kubelab/leaky`` runs into).
    seed : int
    """

    def __init__(
        self,
        image: str = "kubelab/slow-start:v1",
        probe: str = "liveness",
        *,
        initial_delay: int = 0,
        period: int = 10,
        failure_threshold: int = 3,
        seconds: float = 300.0,
        memory_limit: str = "64Mi",
        seed: int = 0,
    ):
        self.image = image
        self.probe = probe
        self.initial_delay = initial_delay
        self.period = period
        self.failure_threshold = failure_threshold
        self.seconds = float(seconds)
        self.memory_limit = memory_limit
        self.seed = seed
        self.cluster = None
        self.rows: list[tuple] = []
        self._widget = None

    # -- the model -----------------------------------------------------------------------------
    def set(self, **settings) -> ProbeLab:
        """Change settings (``image``, ``probe``, ``initial_delay``, ``period`` ...). Chainable."""
        for key, value in settings.items():
            if not hasattr(self, key) or key.startswith("_") or key in ("cluster", "rows"):
                raise TypeError(f"ProbeLab has no setting {key!r}")
            setattr(self, key, value)
        return self

    def probe_spec(self) -> dict:
        """The probe as it goes into the container spec."""
        return {
            "httpGet": {"path": "/healthz", "port": 8080},
            "initialDelaySeconds": int(self.initial_delay),
            "periodSeconds": int(self.period),
            "failureThreshold": int(self.failure_threshold),
        }

    def pod(self) -> dict:
        """The Pod manifest the lab runs."""
        if self.probe not in PROBES:
            raise ValueError(f"probe should be one of {PROBES}, not {self.probe!r}")
        container = {
            "name": "app",
            "image": self.image,
            "ports": [{"containerPort": 8080}],
            "resources": {"limits": {"memory": self.memory_limit}},
            f"{self.probe}Probe": self.probe_spec(),
        }
        default = {"httpGet": {"path": "/healthz", "port": 8080}}
        if self.probe == "startup":  # what a startup probe holds back
            container["livenessProbe"] = dict(default)
        if self.probe != "readiness":  # Ready then says whether the app answers
            container["readinessProbe"] = dict(default)
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "probed", "labels": {"app": "probed"}},
            "spec": {"containers": [container], "terminationGracePeriodSeconds": 5},
        }

    def run(self, seconds: float | None = None) -> ProbeLab:
        """A fresh seeded cluster, the pod, ``seconds`` of simulated time; the timeline recorded."""
        from kubelab.cluster import Cluster
        from kubelab.kubectl.podstatus import pod_summary

        c = Cluster(nodes=1, seed=self.seed)
        self.cluster, self.rows = c, [(0.0, 0, 0, "Pending")]

        def on_pod(_type, pod, _old):
            if pod["metadata"]["name"] != "probed" or _type == "DELETED":
                return
            statuses = (pod.get("status") or {}).get("containerStatuses") or [{}]
            row = (
                c.now,
                int(bool(statuses[0].get("ready"))),
                int(statuses[0].get("restartCount", 0)),
                pod_summary(pod, c.now)[1],
            )
            if row[1:] != self.rows[-1][1:]:
                self.rows.append(row)

        c.api.store.watch("Pod", on_pod)
        c.apply(self.pod())
        c.run(self.seconds if seconds is None else seconds)
        return self

    def timeline(self):
        """``time, ready, restarts, status``: one row per change (run first)."""
        import pandas as pd

        self._need_run()
        return pd.DataFrame(self.rows, columns=["time", "ready", "restarts", "status"])

    def ready_at(self) -> float | None:
        """When the container first became Ready (None: never)."""
        self._need_run()
        return next((t for t, ready, *_ in self.rows if ready), None)

    def restarts(self) -> int:
        """The restart count at the end of the run."""
        self._need_run()
        return self.rows[-1][2]

    def events(self):
        """The pod's Events (Unhealthy, Killing, BackOff ...)."""
        self._need_run()
        ev = self.cluster.events
        return ev[ev.name == "probed"].reset_index(drop=True)

    def summary(self) -> str:
        ready = self.ready_at()
        status = self.rows[-1][3] if self.rows else "?"
        when = "never Ready" if ready is None else f"Ready at {ready:g} s"
        return f"{self.image}, {self.probe} probe: {when}, {self.restarts()} restarts, now {status}"

    def _need_run(self) -> None:
        if self.cluster is None:
            self.run()

    # -- the view ------------------------------------------------------------------------------
    def figure(self, width: float = 10.0):
        """Ready (0/1) and the restart count over time, with the kubelet's Killing events."""
        from matplotlib.figure import Figure

        frame = self.timeline()
        end = self.cluster.now
        times = [*frame.time, end]
        fig = Figure(figsize=(width, 4.2), layout="constrained")
        upper, lower = fig.subplots(2, 1, sharex=True, height_ratios=[1, 2])
        upper.step(
            times,
            [*frame.ready, frame.ready.iloc[-1]],
            where="post",
            color="#2e7d32",
            linewidth=2,
            gid="ready",
        )
        upper.set_yticks([0, 1], ["no", "yes"])
        upper.set_ylim(-0.15, 1.15)
        upper.set_ylabel("Ready")
        upper.set_title(self.summary(), fontsize=10, loc="left")
        lower.step(
            times,
            [*frame.restarts, frame.restarts.iloc[-1]],
            where="post",
            color="#c62828",
            linewidth=2,
            gid="restarts",
        )
        lower.set_ylabel("restarts")
        lower.set_xlabel("simulated time (s)")
        lower.set_ylim(bottom=0, top=max(1, int(frame.restarts.max())) * 1.15)
        lower.set_xlim(0, end)
        ev = self.events()
        for t in ev[ev.reason == "Killing"].time:
            for ax in (upper, lower):
                ax.axvline(t, color="0.6", linestyle=":", linewidth=1, gid="killing")
        for ax in (upper, lower):
            ax.grid(alpha=0.25)
        return fig

    def png(self, dpi: int = 80) -> bytes:
        """The figure as PNG bytes."""
        from kubelab.viz.widgets import figure_png

        return figure_png(self.figure(), dpi)

    @property
    def widget(self):
        """The lab's ``ipywidgets.VBox``: image, probe, its settings, run; the plot below."""
        if self._widget is None:
            self._build()
            self.update()
        return self._widget

    def update(self) -> None:
        """Run with the controls' settings and redraw."""
        c = self.controls
        try:
            self.set(
                image=c["image"].value,
                probe=c["probe"].value,
                initial_delay=c["initial_delay"].value,
                period=c["period"].value,
                failure_threshold=c["failure_threshold"].value,
            ).run()
        except Exception as error:  # shown, not lost in the browser
            c["status"].value = f"<span style='color:#c62828'>❌ {html.escape(str(error))}</span>"
            return
        c["status"].value = f"<b>{html.escape(self.summary())}</b>"
        c["view"].value = self.png()

    def _build(self) -> None:
        import ipywidgets as w

        c = self.controls = {}
        c["image"] = w.Dropdown(
            options=[(f"{k} ({v})", k) for k, v in IMAGES.items()],
            value=self.image if self.image in IMAGES else next(iter(IMAGES)),
            description="image",
            layout=w.Layout(width="520px"),
        )
        c["probe"] = w.ToggleButtons(options=list(PROBES), value=self.probe, description="probe")
        style = {"description_width": "initial"}
        c["initial_delay"] = w.IntSlider(
            self.initial_delay,
            0,
            60,
            description="initialDelaySeconds",
            continuous_update=False,
            style=style,
        )
        c["period"] = w.IntSlider(
            self.period, 1, 30, description="periodSeconds", continuous_update=False, style=style
        )
        c["failure_threshold"] = w.IntSlider(
            self.failure_threshold,
            1,
            30,
            description="failureThreshold",
            continuous_update=False,
            style=style,
        )
        for key in ("image", "probe", "initial_delay", "period", "failure_threshold"):
            c[key].observe(lambda _ch: self.update(), names="value")
        c["status"] = w.HTML()
        c["view"] = w.Image(format="png", layout=w.Layout(width="100%"))
        self._widget = w.VBox(
            [
                c["image"],
                c["probe"],
                w.HBox([c["initial_delay"], c["period"], c["failure_threshold"]]),
                c["status"],
                c["view"],
            ]
        )

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


def probe_lab(
    image: str = "kubelab/slow-start:v1", probe: str = "liveness", **settings
) -> ProbeLab:
    """A :class:`ProbeLab`; a notebook cell ending with it shows the widget."""
    return ProbeLab(image, probe, **settings)
