"""The quota lab: a team namespace with a ResourceQuota and a Deployment that tries to grow in it.

Sliders set the Deployment's replicas and each pod's CPU request, and the quota's
``requests.cpu``; the plot shows the quota's ``used`` against its ``hard`` over time (from
the ResourceQuota's status, sampled every simulated second) and how many pod creations the
API server accepted and refused (the ReplicaSet's ``SuccessfulCreate`` and ``FailedCreate``
events). The logic is in plain methods (:meth:`QuotaLab.set_replicas`,
:meth:`~QuotaLab.set_cpu`, :meth:`~QuotaLab.set_quota`, :meth:`~QuotaLab.step`) so tests drive
it without a browser; ``lab.widget`` wires ipywidgets to them.

Examples
--------
>>> lab = QuotaLab(replicas=3, cpu="300m", quota_cpu="1")
>>> s = lab.step(30).series()
>>> int(s.pods.iloc[-1]), float(s.used_cpu.iloc[-1]), int(s.refused.iloc[-1]) > 0
(3, 0.9, False)
>>> s = lab.set_replicas(5).step(30).series()
>>> int(s.pods.iloc[-1]), float(s.used_cpu.iloc[-1]), int(s.refused.iloc[-1]) > 0
(3, 0.9, True)
"""

from __future__ import annotations

import html

from kubelab.api.resourcelist import Qty

__all__ = ["QuotaLab", "quota_lab"]

SERIES_COLUMNS = ["time", "used_cpu", "hard_cpu", "pods", "hard_pods", "created", "refused"]


class QuotaLab:
    """A namespace ``namespace`` with quota ``compute`` and Deployment ``web`` (kubelab/web:v1).

    Parameters
    ----------
    replicas : int
    cpu, memory : str
        Each pod's requests (limits are the same: Guaranteed pods).
    quota_cpu, quota_pods : str
        The quota's ``requests.cpu`` and ``pods``.
    namespace, nodes, seed, step_seconds
    """

    def __init__(
        self,
        *,
        replicas: int = 3,
        cpu: str = "300m",
        memory: str = "64Mi",
        quota_cpu: str = "1",
        quota_pods: str = "10",
        namespace: str = "team-a",
        nodes: int = 3,
        seed: int = 0,
        step_seconds: float = 10.0,
    ):
        import kubelab as kl

        self.namespace, self.step_seconds = namespace, step_seconds
        self.replicas, self.cpu, self.memory = int(replicas), cpu, memory
        self.hard = {"requests.cpu": str(quota_cpu), "pods": str(quota_pods)}
        self.cluster = kl.Cluster(nodes=nodes, seed=seed)
        self.cluster.apply(
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}
        )
        self.cluster.apply(self._quota())
        self.cluster.apply(self.manifest())
        self.rows: list[tuple] = []
        self.message = ""
        self._widget = None
        self.controls: dict = {}
        self._sample()

    # -- manifests -------------------------------------------------------------------------------
    def _quota(self) -> dict:
        return {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": {"name": "compute", "namespace": self.namespace},
            "spec": {"hard": dict(self.hard)},
        }

    def manifest(self) -> dict:
        """The Deployment as the lab's settings describe it."""
        resources = {"cpu": self.cpu, "memory": self.memory}
        return {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": self.namespace},
            "spec": {
                "replicas": self.replicas,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {
                        "containers": [
                            {
                                "name": "web",
                                "image": "kubelab/web:v1",
                                "resources": {"requests": resources, "limits": resources},
                            }
                        ]
                    },
                },
            },
        }

    # -- the controls ----------------------------------------------------------------------------
    def set_replicas(self, n: int) -> QuotaLab:
        """``kubectl scale deployment web --replicas=n``."""
        self.replicas = int(n)
        self.cluster.kubectl(f"scale deployment web --replicas={self.replicas} -n {self.namespace}")
        self.message = f"scaled to {self.replicas}"
        return self

    def set_cpu(self, request: str) -> QuotaLab:
        """Change each pod's CPU request (and limit): a new template, so a rollout starts."""
        self.cpu = str(request)
        self.cluster.apply(self.manifest())
        self.message = f"cpu request {self.cpu} per pod"
        return self

    def set_quota(self, cpu: str | None = None, pods: str | None = None) -> QuotaLab:
        """Change the quota's ``requests.cpu`` and/or ``pods``."""
        if cpu is not None:
            self.hard["requests.cpu"] = str(cpu)
        if pods is not None:
            self.hard["pods"] = str(pods)
        self.cluster.apply(self._quota())
        self.message = f"quota requests.cpu={self.hard['requests.cpu']}, pods={self.hard['pods']}"
        return self

    def step(self, seconds: float | None = None) -> QuotaLab:
        """Run ``seconds`` of simulated time, sampling the quota every second."""
        total = self.step_seconds if seconds is None else float(seconds)
        end = self.cluster.now + total
        while self.cluster.now < end - 1e-9:
            self.cluster.run(min(1.0, end - self.cluster.now))
            self._sample()
        return self

    # -- the numbers -----------------------------------------------------------------------------
    def _sample(self) -> None:
        c = self.cluster
        quota = c.api.get("ResourceQuota", "compute", self.namespace)
        status = quota.get("status") or {}
        used, hard = status.get("used") or {}, status.get("hard") or self.hard

        def cores(values, key):
            return float(Qty.parse(values.get(key, "0")).value)

        log = c.api.events.log
        created = sum(1 for e in log if e[1] == self.namespace and e[5] == "SuccessfulCreate"
                      and e[2] == "ReplicaSet")  # fmt: skip
        refused = sum(1 for e in log if e[1] == self.namespace and e[5] == "FailedCreate")
        self.rows.append(
            (c.now, cores(used, "requests.cpu"), cores(hard, "requests.cpu"),
             int(cores(used, "pods")), int(cores(hard, "pods")), created, refused)
        )  # fmt: skip

    def series(self):
        """The samples: time, used_cpu, hard_cpu (cores), pods, hard_pods, created, refused."""
        import pandas as pd

        return pd.DataFrame(self.rows, columns=SERIES_COLUMNS)

    # -- the view --------------------------------------------------------------------------------
    def figure(self, width: float = 11.0):
        """Used vs hard CPU requests (left) and pod creations accepted vs refused (right)."""
        from matplotlib.figure import Figure

        s = self.series()
        fig = Figure(figsize=(width, 3.6), layout="constrained")
        left, right = fig.subplots(1, 2)
        left.step(s.time, s.used_cpu, where="post", linewidth=2, label="used requests.cpu")
        left.step(s.time, s.hard_cpu, where="post", linestyle="--", color="black", label="hard")
        left.set_ylim(bottom=0, top=max(1.0, float(s[["used_cpu", "hard_cpu"]].max().max())) * 1.2)
        left.set_xlabel("simulated time (s)")
        left.set_ylabel("CPU (cores)")
        left.set_title(f"quota compute in {self.namespace}")
        left.legend(fontsize=8, loc="lower right")
        right.step(s.time, s.created, where="post", color="#2e7d32", label="created")
        right.step(s.time, s.refused, where="post", color="#c62828", label="refused (FailedCreate)")
        right.step(
            s.time, s.pods, where="post", color="#1565c0", linestyle=":", label="pods counted"
        )
        right.set_ylim(bottom=0)
        right.set_xlabel("simulated time (s)")
        right.set_ylabel("pod creations")
        right.set_title("the ReplicaSet's requests")
        right.legend(fontsize=8, loc="upper left")
        self.last_figure = fig
        return fig

    def png(self, dpi: int = 80) -> bytes:
        from kubelab.viz.widgets import figure_png

        return figure_png(self.figure(), dpi=dpi)

    def status_html(self) -> str:
        last = self.rows[-1]
        parts = [
            f"<b>t = {self.cluster.now:g} s</b>",
            f"requests.cpu {last[1]:g} / {last[2]:g}",
            f"pods {last[3]} / {last[4]}",
            f"{last[5]} created, {last[6]} refused",
        ]
        if self.message:
            parts.append(f"<i>{html.escape(self.message)}</i>")
        return " &nbsp;·&nbsp; ".join(parts)

    def _run(self, fn, *args) -> None:
        try:
            fn(*args)
        except Exception as error:  # a callback's exception would vanish in the browser
            self.controls[
                "status"
            ].value = f"<span style='color:#c62828'>❌ {html.escape(str(error))}</span>"
            return
        self.refresh()

    def refresh(self) -> None:
        if self._widget is None:
            self.figure()
            return
        self.controls["status"].value = self.status_html()
        self.controls["view"].value = self.png()

    @property
    def widget(self):
        """The lab's ``ipywidgets.VBox`` (built on first use)."""
        if self._widget is None:
            self._build()
            self.refresh()
        return self._widget

    def _build(self) -> None:
        import ipywidgets as w

        c = self.controls
        c["replicas"] = w.IntSlider(value=self.replicas, min=0, max=12, description="replicas",
                                    continuous_update=False)  # fmt: skip
        c["replicas"].observe(lambda ch: self._run(self.set_replicas, ch["new"]), names="value")
        millis = int(Qty.parse(self.cpu).milli())
        c["cpu"] = w.IntSlider(value=millis, min=100, max=1000, step=50,
                               description="cpu (m)/pod", continuous_update=False)  # fmt: skip
        c["cpu"].observe(lambda ch: self._run(self.set_cpu, f"{ch['new']}m"), names="value")
        hard = float(Qty.parse(self.hard["requests.cpu"]).value)
        c["quota"] = w.FloatSlider(value=hard, min=0.5, max=6, step=0.5,
                                   description="quota cpu", continuous_update=False)  # fmt: skip
        c["quota"].observe(lambda ch: self._run(self.set_quota, f"{ch['new']:g}"), names="value")
        c["step"] = w.Button(description="step 10 s", icon="step-forward")
        c["step"].on_click(lambda _: self._run(self.step, 10))
        c["play"] = w.Play(value=0, min=0, max=10_000, step=1, interval=1000, description="play")
        c["play"].observe(lambda ch: self._run(self.step, 5) if ch["new"] else None, names="value")
        c["status"] = w.HTML()
        c["view"] = w.Image(format="png", layout=w.Layout(width="100%"))
        self._widget = w.VBox(
            [
                w.HBox([c["replicas"], c["cpu"], c["quota"]]),
                w.HBox([c["play"], c["step"]]),
                c["status"],
                c["view"],
            ]
        )

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


def quota_lab(**kwargs) -> QuotaLab:
    """A :class:`QuotaLab`, warmed up 20 s; a notebook cell ending with it shows the widget."""
    return QuotaLab(**kwargs).step(20)
