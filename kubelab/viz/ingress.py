"""Pictures and a lab for Ingress: the routing table as a diagram, traffic per backend.

* :func:`draw_ingress_routes` draws what ingress-nginx built from the Ingresses: hosts on
  the left, their paths in the middle, Services (with their ready endpoints) on the right;
  TLS hosts are marked (TLS), unmatched requests go to the grey 404 box.
* :func:`plot_ingress_traffic` counts the requests per backend (and status) from ``c.traffic``.
* :class:`IngressLab` is the lesson widget: pick or type a host and a path, see the rule that
  matches and where the request goes; send traffic and watch the counts per Service.

Examples
--------
>>> import kubelab as kl
>>> c = kl.Cluster(nodes=1, seed=0)
>>> lab = IngressLab(c)
>>> lab.answer("anything.example", "/")
'404 Not Found'
"""

from __future__ import annotations

import html

__all__ = [
    "IngressLab",
    "backend_label",
    "draw_ingress_routes",
    "ingress_lab",
    "plot_ingress_traffic",
]

_HOST, _PATH, _SVC, _NONE = "#ad1457", "#6a1b9a", "#5c6bc0", "#9e9e9e"


def _box(ax, x, y, text, color, font, width):
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(
        FancyBboxPatch(
            (x - width / 2, y - 0.32),
            width,
            0.64,
            boxstyle="round,pad=0,rounding_size=0.15",
            facecolor="white",
            edgecolor=color,
            linewidth=1.5,
            zorder=3,
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=font, color=color, zorder=4)


def draw_ingress_routes(c, ax=None, *, font: float = 9.0):
    """Draw hosts → paths → Services as ingress-nginx routes them; returns the Axes."""
    import matplotlib.pyplot as plt

    from kubelab.ingress.explain import ready_endpoints
    from kubelab.ingress.nginx import CATCH_ALL
    from kubelab.ingress.routing import router_for

    router = router_for(c)
    rows = []  # (host label, location label, backend key, backend label)
    for host in sorted(router.servers, key=lambda h: (h == CATCH_ALL, h)):
        server = router.servers[host]
        label = "any other host" if host == CATCH_ALL else host
        if host in router.cert_hosts:
            label = f"{label} (TLS)"
        seen = set()
        for loc in sorted(server.locations, key=lambda loc: (loc.rule_path or "~", loc.path)):
            if loc.kind == "exact" and loc.path_type == "Prefix":
                continue  # the exact twin of a Prefix rule: one row per rule
            what = (loc.rule_path, loc.path_type)
            if what in seen:
                continue
            seen.add(what)
            path = f"{loc.rule_path} ({loc.path_type})" if loc.rule_path else "(no match)"
            if loc.service is None:
                rows.append((label, path, ("", "404"), "404 default backend"))
                continue
            ready = len(ready_endpoints(c, loc.namespace, loc.service, loc.port))
            key = (loc.namespace, f"{loc.service}:{loc.port}")
            rows.append((label, path, key, f"svc/{loc.service}:{loc.port}\n{ready} ready"))
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 0.55 * max(len(rows), 3) + 1))
    hosts = list(dict.fromkeys(r[0] for r in rows))
    backends = list(dict.fromkeys(r[2] for r in rows))
    labels = {r[2]: r[3] for r in rows}
    n = max(len(rows), 1)
    ys = {i: n - 1 - i for i in range(len(rows))}
    host_y = {
        h: sum(ys[i] for i, r in enumerate(rows) if r[0] == h) / sum(1 for r in rows if r[0] == h)
        for h in hosts
    }
    spread = (n - 1) / max(len(backends) - 1, 1)
    svc_y = {
        b: (n - 1) / 2 if len(backends) == 1 else n - 1 - i * spread for i, b in enumerate(backends)
    }
    for i, (host, path, key, _) in enumerate(rows):
        y = ys[i]
        color = _NONE if key == ("", "404") else _SVC
        ax.plot([0.9, 2.1], [host_y[host], y], color=_HOST, alpha=0.5, zorder=1)
        ax.plot([3.9, 5.1], [y, svc_y[key]], color=color, alpha=0.6, zorder=1)
        _box(ax, 3.0, y, path, _PATH, font, 1.8)
    for host in hosts:
        _box(ax, 0.0, host_y[host], host, _HOST, font, 1.8)
    for key in backends:
        color = _NONE if key == ("", "404") else _SVC
        _box(ax, 6.0, svc_y[key], labels[key], color, font * 0.9, 1.8)
    for x, title in ((0.0, "host"), (3.0, "path"), (6.0, "backend")):
        ax.text(x, n - 0.35, title, ha="center", va="bottom", fontsize=font, weight="bold")
    ax.set_xlim(-1.1, 7.1)
    ax.set_ylim(-0.6, n + 0.1)
    ax.set_axis_off()
    ax.set_title("Ingress routes (as ingress-nginx serves them)", fontsize=font + 2)
    return ax


def backend_label(row) -> str:
    """``namespace/service`` of a proxied request, else its status (``404``, ``308``)."""
    service = getattr(row, "service", None)
    if isinstance(service, str) and service and row.status not in (404, 308):
        return service
    return str(row.status)


def plot_ingress_traffic(traffic, ax=None):
    """Requests per backend (``namespace/service``, or the answer: 404, 308) by status code.

    ``traffic`` is a ``c.traffic(...)`` frame (or several concatenated); returns the Axes.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3))
    if traffic is None or len(traffic) == 0:
        ax.text(0.5, 0.5, "no traffic sent yet", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return ax
    frame = traffic.copy()
    frame["backend"] = [backend_label(r) for r in frame.itertuples()]
    counts = frame.groupby(["backend", "status"]).size().unstack(fill_value=0)
    colors = {200: "#43a047", 308: "#1e88e5", 404: "#9e9e9e", 503: "#e53935"}
    bottom = None
    for status in counts.columns:
        values = counts[status]
        ax.bar(
            counts.index.astype(str),
            values,
            bottom=bottom,
            label=str(status),
            color=colors.get(status, "#fb8c00"),
        )
        bottom = values if bottom is None else bottom + values
    ax.set_ylabel("requests")
    ax.legend(title="status", fontsize=8)
    ax.set_title("Requests per backend")
    return ax


class IngressLab:
    """Pick or type a host and a path: which rule matches, what ingress-nginx answers.

    Parameters
    ----------
    source : Cluster, or manifest path(s)/YAML/dicts
        A cluster, or manifests applied to a new seeded cluster (then run ``warmup`` seconds).
    """

    def __init__(self, source, *, nodes: int = 3, seed: int = 0, warmup: float = 30.0) -> None:
        from kubelab.viz.labs import cluster_from

        self.cluster, fresh = cluster_from(source, nodes=nodes, seed=seed)
        if fresh:
            self.cluster.run(warmup)
        self.sent = []  # the c.traffic frames this lab sent
        self.widget = None

    # -- plain methods (tests drive these) -------------------------------------------------
    def hosts(self) -> list[str]:
        """The hosts the Ingresses name, then one no rule names."""
        from kubelab.ingress.nginx import CATCH_ALL
        from kubelab.ingress.routing import router_for

        named = sorted(h for h in router_for(self.cluster).servers if h != CATCH_ALL)
        named = [h.replace("*", "www", 1) if h.startswith("*.") else h for h in named]
        return [*named, "unknown.example"]

    def paths(self) -> list[str]:
        """The rule paths of the Ingresses, plus one no rule names."""
        from kubelab.ingress.routing import router_for

        found = {
            loc.rule_path
            for server in router_for(self.cluster).servers.values()
            for loc in server.locations
            if loc.rule_path
        }
        return [*sorted(found), "/nothing/here"]

    def answer(self, host: str, path: str, scheme: str = "http") -> str:
        """``"200 OK → default/web:80"``, ``"404 Not Found"``, ``"308 → https://..."`` ..."""
        from kubelab.ingress.explain import REASONS, response
        from kubelab.ingress.routing import route_request

        url = f"{scheme}://{host}{path if path.startswith('/') else '/' + path}"
        status = response(self.cluster, url)
        route = route_request(self.cluster, host=host, path=path or "/", scheme=scheme)
        text = f"{status} {REASONS.get(status, '')}".strip()
        if status == 308:
            return f"{text} → {route.location}"
        if route.service is not None:
            return f"{text} → {route.namespace}/{route.service}:{route.port}"
        return text

    def send(self, host: str, path: str, *, rps: float = 10.0, duration: float = 10.0):
        """Send traffic to ``host/path`` through the Ingress (``c.traffic``); returns the frame."""
        target = f"{host}{path if path.startswith('/') else '/' + path}"
        frame = self.cluster.traffic(target, rps=rps, duration=duration)
        self.sent.append(frame)
        return frame

    def traffic(self):
        """Every request this lab sent, one frame."""
        import pandas as pd

        return pd.concat(self.sent, ignore_index=True) if self.sent else None

    def counts(self) -> dict[str, int]:
        """Requests per backend (``namespace/service`` or the status ingress-nginx answered)."""
        frame = self.traffic()
        out: dict[str, int] = {}
        for row in frame.itertuples() if frame is not None else ():
            label = backend_label(row)
            out[label] = out.get(label, 0) + 1
        return dict(sorted(out.items()))

    # -- the widget --------------------------------------------------------------------------
    def _build(self):
        import ipywidgets as w

        self.host = w.Combobox(
            value=self.hosts()[0], options=self.hosts(), description="host", ensure_option=False
        )
        self.path = w.Combobox(
            value=self.paths()[0], options=self.paths(), description="path", ensure_option=False
        )
        self.scheme = w.ToggleButtons(options=["http", "https"], value="http", description="scheme")
        self.result = w.HTML()
        self.rps = w.IntSlider(value=10, min=1, max=50, description="req/s")
        self.button = w.Button(description="send 10 s of traffic")
        self.out = w.Output()
        for control in (self.host, self.path, self.scheme):
            control.observe(lambda ch: self.update(), names="value")
        self.button.on_click(lambda _b: self._send_clicked())
        self.widget = w.VBox(
            [
                w.HBox([self.host, self.path]),
                self.scheme,
                self.result,
                w.HBox([self.rps, self.button]),
                self.out,
            ]
        )
        self.update()

    def update(self) -> None:
        from kubelab.ingress.explain import explain

        url = f"{self.scheme.value}://{self.host.value}{self.path.value or '/'}"
        text = explain(self.cluster, url)
        self.result.value = (
            f"<b>{html.escape(self.answer(self.host.value, self.path.value or '/', self.scheme.value))}</b>"
            f"<pre>{html.escape(text)}</pre>"
        )

    def _send_clicked(self) -> None:
        import matplotlib.pyplot as plt

        self.send(self.host.value, self.path.value or "/", rps=self.rps.value, duration=10)
        with self.out:
            self.out.clear_output(wait=True)
            _, ax = plt.subplots(figsize=(8, 3))
            plot_ingress_traffic(self.traffic(), ax)
            plt.show()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        if self.widget is None:
            self._build()
        display(self.widget)


def ingress_lab(source, **kwargs) -> IngressLab:
    """An :class:`IngressLab` over ``source`` (a Cluster, or manifests to apply)."""
    return IngressLab(source, **kwargs)
