"""Memory over a long session: a 3-node cluster with churn, RSS per simulated hour.

Churn every simulated hour (all seeded, so every run is identical):

* a Deployment ``web`` (4 replicas) rolled between ``nginx:1.25`` and ``nginx:1.26`` every
  6 minutes, scaled between 3 and 6 every 10 minutes, one of its pods killed every 4 minutes;
* a DaemonSet ``agent`` on every node;
* a Service ``web`` with a 10-second traffic burst (20 requests/s) every 15 minutes;
* ``node-3`` failed at minute 20 and restored at minute 35 (its pods are evicted after the
  default 300 s toleration, then the node comes back).

Prints, per simulated hour, the process RSS and tracemalloc's current size (``--trace``), then
the growth between hour 2 and the last hour; exits 1 if RSS grew or shrank by more than
``--tolerance`` percent (15 by default). A 72-hour run takes about 35 CPU-seconds (0.45 s per
simulated hour; ``--trace`` about four times as long). Figures (seed 0): before the bounds the
RSS grew from 91 MiB at hour 2 to 245 MiB at hour 72 (+169%); with them, 89 to 93 MiB (+3%).

Usage: ``python benchmarks/memory_soak.py [--hours 72] [--trace] [--seed 0]``
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
import tracemalloc

sys.path.insert(0, os.path.dirname(__file__))
from workloads import workload

import kubelab as kl
from kubelab.sim import rng

IMAGES = ("nginx:1.25", "nginx:1.26")
DAEMONSET = {
    "apiVersion": "apps/v1",
    "kind": "DaemonSet",
    "metadata": {"name": "agent"},
    "spec": {
        "selector": {"matchLabels": {"app": "agent"}},
        "template": {
            "metadata": {"labels": {"app": "agent"}},
            "spec": {
                "containers": [{"name": "agent", "image": "busybox", "command": ["sleep", "1d"]}]
            },
        },
    },
}
SERVICE = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "web"},
    "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 80}]},
}


def rss_mib() -> float:
    """The process's current resident set size in MiB (Linux /proc)."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def build(seed: int) -> kl.Cluster:
    """The 3-node cluster with the Deployment, its Service and the DaemonSet, settled."""
    c = kl.Cluster(nodes=3, seed=seed)
    c.apply([workload("Deployment", "web", 4), SERVICE, DAEMONSET])
    return c.run(120)


def churn_hour(c: kl.Cluster, hour: int, rand) -> None:
    """One simulated hour of churn, minute by minute."""
    for minute in range(60):
        if minute % 6 == 0:
            image = IMAGES[(hour * 10 + minute // 6) % 2]
            c.kubectl(f"set image deployment/web web={image}")
        if minute % 10 == 5:
            c.kubectl(f"scale deployment/web --replicas={rand.choice((3, 4, 5, 6))}")
        if minute % 4 == 2:
            pods = [p["metadata"]["name"] for p in c.list("pods", selector="app=web")]
            if pods:
                c.kill_pod(rand.choice(pods))
        if minute == 20:
            c.fail_node("node-3")
        if minute == 35:
            c.restore_node("node-3")
        if minute % 15 == 10:
            c.traffic("web", rps=20, duration=10)
            c.run(50)
        else:
            c.run(60)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=int, default=72, help="simulated hours (default 72)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--trace", action="store_true", help="also report tracemalloc's size")
    parser.add_argument("--tolerance", type=float, default=15.0, help="allowed growth, percent")
    args = parser.parse_args(argv)
    if args.trace:
        tracemalloc.start()
    started = time.process_time()
    c = build(args.seed)
    rand = rng(args.seed, "memory-soak")
    curve = {}
    print(f"{'hour':>4} {'RSS MiB':>8} {'traced MiB':>10} {'pods':>5} {'events':>6} {'CPU s':>7}")
    for hour in range(1, args.hours + 1):
        churn_hour(c, hour, rand)
        gc.collect()
        rss = rss_mib()
        traced = tracemalloc.get_traced_memory()[0] / 2**20 if args.trace else float("nan")
        curve[hour] = rss
        print(
            f"{hour:>4} {rss:>8.1f} {traced:>10.1f} {c.api.store.count('Pod'):>5} "
            f"{c.api.store.count('Event'):>6} {time.process_time() - started:>7.1f}",
            flush=True,
        )
    if args.hours < 3:
        return 0
    growth = (curve[args.hours] - curve[2]) / curve[2] * 100
    print(
        f"RSS hour 2: {curve[2]:.1f} MiB, hour {args.hours}: {curve[args.hours]:.1f} MiB, "
        f"growth {growth:+.1f}% (allowed ±{args.tolerance:g}%)"
    )
    return 0 if abs(growth) <= args.tolerance else 1


if __name__ == "__main__":
    sys.exit(main())
