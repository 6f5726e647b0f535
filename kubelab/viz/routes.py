"""Services and ingresses in a cluster picture: boxes above the nodes, lines to what they reach.

A service's lines end at the pods it selects (solid: ready, dotted: not ready, none: pending),
or at the pods' nodes when many nodes or pods would turn the lines into a web.
"""

from __future__ import annotations

from kubelab.viz.layout import POD_H, POD_W, SVC_H, SVC_W

__all__ = ["draw_routes", "service_caption"]

_SERVICE = "#5c6bc0"


def draw_routes(ax, s, out, styles, font):
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    for index, (name, pods) in enumerate(s.services):
        cx, cy = out.services[name]
        ax.add_patch(
            FancyBboxPatch(
                (cx - SVC_W / 2, cy - SVC_H / 2),
                SVC_W,
                SVC_H,
                boxstyle="round,pad=0,rounding_size=0.3",
                facecolor="#e8eaf6",
                edgecolor=_SERVICE,
                linewidth=1.5,
                zorder=3,
                gid=f"service:{name}",
            )
        )
        info = getattr(s, "service_info", {}).get(name) or {}
        caption = service_caption(info)
        ax.text(
            cx,
            cy,
            f"svc/{name}",
            fontsize=font * 0.9,
            ha="center",
            va="center",
            zorder=4,
            color="#283593",
            weight="bold",
            gid=f"service-name:{name}",
        )
        if caption:
            ax.text(
                cx,
                cy + SVC_H / 2 + 0.05,
                caption,
                fontsize=font * 0.7,
                ha="center",
                va="bottom",
                zorder=4,
                color="#3949ab",
                gid=f"service-info:{name}",
            )
        _draw_selects(ax, name, pods, s, out, styles, index)
    for name, services in s.ingresses:
        cx, cy = out.ingresses[name]
        ax.add_patch(
            FancyBboxPatch(
                (cx - SVC_W / 2, cy - SVC_H / 2),
                SVC_W,
                SVC_H,
                boxstyle="round,pad=0,rounding_size=0.3",
                facecolor="#fce4ec",
                edgecolor="#ad1457",
                linewidth=1.5,
                zorder=3,
                gid=f"ingress:{name}",
            )
        )
        ax.text(
            cx,
            cy,
            f"ingress/{name}",
            fontsize=font * 0.9,
            ha="center",
            va="center",
            zorder=4,
            color="#880e4f",
            weight="bold",
        )
        for svc in services:
            if svc in out.services:
                sx, sy = out.services[svc]
                ax.add_patch(
                    FancyArrowPatch(
                        (cx, cy - SVC_H / 2),
                        (sx, sy + SVC_H / 2),
                        arrowstyle="-|>",
                        mutation_scale=12,
                        color="#ad1457",
                        zorder=2,
                        gid=f"routes-to:{name}",
                    )
                )
                styles["ingress → service"] = {"line": "#ad1457"}


def service_caption(info: dict) -> str:
    """The second line of a service box: its type and how it is reached.

    >>> service_caption({"service_type": "NodePort", "cluster_ip": "10.96.0.10",
    ...                  "external_ip": "<none>", "ports": "80:30080/TCP"})
    'NodePort 10.96.0.10 80:30080/TCP'
    >>> service_caption({"service_type": "LoadBalancer", "cluster_ip": "10.96.0.11",
    ...                  "external_ip": "<pending>", "ports": "80:31000/TCP"})
    'LB <pending> 10.96.0.11 80:31000/TCP'
    >>> service_caption({"service_type": "ExternalName", "cluster_ip": "<none>",
    ...                  "external_ip": "db.example.com", "ports": "<none>"})
    'ExternalName → db.example.com'
    >>> service_caption({})
    ''
    """
    kind = info.get("service_type")
    if not kind:
        return ""
    if kind == "ExternalName":
        return f"ExternalName → {info.get('external_ip', '')}"
    ip = "headless" if info.get("cluster_ip") == "None" else info.get("cluster_ip", "")
    ports = "" if info.get("ports") in (None, "<none>") else info["ports"]
    if kind == "LoadBalancer":
        return " ".join(p for p in ("LB", info.get("external_ip", ""), ip, ports) if p)
    return " ".join(p for p in (kind, ip, ports) if p)


def _draw_selects(ax, name, pods, s, out, styles, index):
    """Lines from a service to the pods it selects (to their nodes when that gets crowded)."""
    cx, cy = out.services[name]
    by_key = {(p.namespace, p.name): p for p in s.pods}
    one_row = len({y for _, y, _, _ in out.nodes.values()}) <= 1
    direct = one_row and len(pods) <= 24
    lines: dict[tuple[float, float], bool] = {}  # end point -> a ready pod is there
    for key in pods:
        pod = by_key.get(key)
        if pod is None:
            continue
        ready = pod.ready and not pod.terminating
        if pod.node not in out.nodes:
            continue  # unscheduled pods receive no traffic
        if key in out.pods:
            px, py = out.pods[key]
            if direct:
                end = (px + POD_W / 2, py + POD_H)
            else:  # a dot on the pod, one line to its node
                ax.plot(
                    px + POD_W - 0.17 - 0.25 * index,
                    py + POD_H - 0.17,
                    "o",
                    markersize=4.5,
                    markerfacecolor="white",
                    markeredgecolor=_SERVICE,
                    markeredgewidth=1.5,
                    zorder=5,
                    gid=f"selected-by:{name}",
                )
                bx, by, bw, bh = out.nodes[pod.node]
                end = (bx + bw / 2, by + bh)
        else:  # in a node summarised as counts
            bx, by, bw, bh = out.nodes[pod.node]
            end = (bx + bw / 2, by + bh)
        lines[end] = lines.get(end, False) or ready
    for (tx, ty), ready in sorted(lines.items()):
        ax.plot(
            [cx, tx],
            [cy - SVC_H / 2, ty],
            color=_SERVICE,
            alpha=0.45 if ready else 0.3,
            linewidth=1.0,
            linestyle="-" if ready else ":",
            zorder=2 if direct else 0.5,  # behind the nodes they pass
            gid=f"selects:{name}",
        )
        styles[
            "service → pods it selects" if direct else "service → nodes of pods it selects (dots)"
        ] = {"line": _SERVICE}
