"""The zero-downtime lab: roll out v2 under steady traffic and watch failures and versions.

:class:`TrafficLab` holds the logic in plain methods (tests drive it without a browser):
:meth:`TrafficLab.roll_out` builds a fresh seeded cluster with the chosen strategy, readiness
probe, maxUnavailable and maxSurge, and rolls ``kubelab/web`` from v1 to v2 while clients send
requests; :meth:`TrafficLab.draw` plots the success rate and the share of each version over
time; :meth:`TrafficLab.widget` wires ipywidgets controls and a "roll out v2" button to them.

Examples
--------
>>> lab = TrafficLab(seconds=40)
>>> result = lab.roll_out(strategy="Recreate", readiness=True)
>>> result["failed"] > 0, result["error"]
(True, None)
>>> lab.roll_out(strategy="RollingUpdate", readiness=True, max_unavailable=0)["failed"]
0
>>> lab.roll_out(max_unavailable=0, max_surge=0)["error"][:40]
'The Deployment "web" is invalid: spec.st'
"""

from __future__ import annotations

__all__ = ["TrafficLab", "traffic_lab"]


class TrafficLab:
    """Rollout-under-traffic experiments (one fresh cluster per run, same seed)."""

    def __init__(
        self,
        *,
        nodes: int = 3,
        seed: int = 0,
        replicas: int = 3,
        rps: float = 20,
        seconds: float = 60,
    ):
        self.nodes, self.seed, self.replicas = nodes, seed, replicas
        self.rps, self.seconds = rps, seconds
        self.frame = None
        self.cluster = None
        self.settings: dict = {}
        self.result: dict = {}

    def roll_out(
        self,
        *,
        strategy: str = "RollingUpdate",
        readiness: bool = True,
        max_unavailable: int = 0,
        max_surge: int = 1,
    ) -> dict:
        """Run the experiment; returns a summary (``failed``, ``requests``, ``outage`` seconds,
        ``error`` if the API server refused the Deployment)."""
        import kubelab as kl
        from kubelab.network import failures
        from kubelab.network.releases import rollout_under_traffic, web_release

        self.settings = dict(
            strategy=strategy,
            readiness=readiness,
            max_unavailable=max_unavailable,
            max_surge=max_surge,
        )
        c = self.cluster = kl.Cluster(nodes=self.nodes, seed=self.seed)
        try:
            c.apply(web_release(replicas=self.replicas, **self.settings))
        except kl.KubelabError as error:
            self.frame, self.result = (
                None,
                {"failed": None, "requests": 0, "outage": None, "error": str(error)},
            )
            return self.result
        t = self.frame = rollout_under_traffic(c, rps=self.rps, seconds=self.seconds)
        bad = t[t["status"] != 200]
        self.result = {
            "requests": len(t),
            "failed": failures(t),
            "outage": round(len(bad) / self.rps, 2),
            "versions": t.dropna(subset=["version"]).groupby("version").size().to_dict(),
            "error": None,
        }
        return self.result

    def describe(self) -> str:
        """One line about the last run."""
        r = self.result
        if not r:
            return "Press “roll out v2”."
        if r["error"]:
            return f"❌ {r['error']}"
        return (
            f"{r['requests']} requests, {r['failed']} failed (≈ {r['outage']} s of failures); "
            f"answers per version: {r['versions']}"
        )

    def draw(self, axes=None):
        """Two panels: success rate per second, and the share of answers per version."""
        import matplotlib.pyplot as plt

        from kubelab.viz.plots import plot_history

        if axes is None:
            _fig, axes = plt.subplots(2, 1, figsize=(8, 5), sharex=True)
        if self.frame is None:
            axes[0].set_title(self.describe(), fontsize=10, loc="left")
            return axes
        at = self.frame.attrs.get("rollout_at")
        marks = [(at, "set image v2")] if at is not None else None
        plot_history(
            self.frame, value="success", marks=marks, ax=axes[0], title="Requests answered 2xx"
        )
        plot_history(
            self.frame, by="version", value="share", marks=marks, ax=axes[1], title="Who answers"
        )
        axes[0].set_ylim(0, 1.05)
        axes[1].set_ylim(0, 1.05)
        axes[0].set_xlabel("")
        start = self.frame["time"].min()
        for ax in axes:
            ax.set_xlim(left=start)
        return axes

    def widget(self, *, run: bool = True):
        """Controls (strategy, readiness probe, maxUnavailable, maxSurge) and a "roll out v2"
        button wired to :meth:`roll_out` and :meth:`draw` (``run``: do a first run at once)."""
        import ipywidgets as w

        strategy = w.Dropdown(
            options=["RollingUpdate", "Recreate"], value="RollingUpdate", description="strategy"
        )
        probe = w.Checkbox(value=True, description="readiness probe")
        slider = dict(min=0, max=self.replicas, continuous_update=False)
        unavailable = w.IntSlider(value=0, description="maxUnavailable", **slider)
        surge = w.IntSlider(value=1, description="maxSurge", **slider)
        button = w.Button(description="roll out v2", button_style="primary")
        out = w.Output(layout={"height": "540px"})
        label = w.HTML(self.describe())

        @out.capture()
        def on_click(_=None):
            from IPython.display import display
            from matplotlib.figure import Figure

            self.roll_out(
                strategy=strategy.value,
                readiness=probe.value,
                max_unavailable=unavailable.value,
                max_surge=surge.value,
            )
            label.value = self.describe()
            out.clear_output(wait=True)
            fig = Figure(figsize=(8, 5))
            self.draw(fig.subplots(2, 1, sharex=True))
            fig.tight_layout()
            display(fig)

        button.on_click(on_click)
        if run:
            on_click()
        return w.VBox([w.HBox([strategy, probe]), w.HBox([unavailable, surge]), button, label, out])


def traffic_lab(**options):
    """A :class:`TrafficLab` and its widget: ``lab, ui = traffic_lab()``."""
    lab = TrafficLab(**options)
    return lab, lab.widget()
