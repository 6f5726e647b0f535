"""Benchmark: schedule N pods carrying anti-affinity and spread constraints on M zoned nodes.

Usage::

    python benchmarks/affinity.py --pods 10000 --nodes 500
    python benchmarks/affinity.py --pods 10000 --nodes 500 --mode plain   # no constraints

Every ReplicaSet's pods (``--replicas`` each) carry a required pod anti-affinity on
``kubernetes.io/hostname`` against their own app and a ``DoNotSchedule`` topology
spread constraint on ``topology.kubernetes.io/zone`` (maxSkew 1), and prefer (weight
50) not to share a zone with the previous app. Nodes sit in ``--zones`` zones. The
figures (pods bound per wall-clock second, time to all Running, peak memory) are
printed, never asserted.
"""

from __future__ import annotations

import argparse
import collections
import sys
import time

from workloads import apply_in_steps, even_sizes, peak_mib, running_pods, simulated_timeout

ZONE = "topology.kubernetes.io/zone"
HOST = "kubernetes.io/hostname"


def template_spec(app: str, previous: str, mode: str) -> dict:
    spec = {
        "containers": [
            {
                "name": "web",
                "image": "nginx:1.25",
                "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}},
            }
        ]
    }
    if mode == "plain":
        return spec
    spec["affinity"] = {
        "podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {"labelSelector": {"matchLabels": {"app": app}}, "topologyKey": HOST}
            ],
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {
                    "weight": 50,
                    "podAffinityTerm": {
                        "labelSelector": {"matchLabels": {"app": previous}},
                        "topologyKey": ZONE,
                    },
                }
            ],
        }
    }
    spec["topologySpreadConstraints"] = [
        {
            "maxSkew": 1,
            "topologyKey": ZONE,
            "whenUnsatisfiable": "DoNotSchedule",
            "labelSelector": {"matchLabels": {"app": app}},
        }
    ]
    return spec


def replicaset(i: int, replicas: int, mode: str) -> dict:
    app, previous = f"bench-{i}", f"bench-{max(i - 1, 0)}"
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": app, "labels": {"app": app}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": app}},
            "template": {
                "metadata": {"labels": {"app": app}},
                "spec": template_spec(app, previous, mode),
            },
        },
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument("--nodes", type=int, default=500)
    parser.add_argument("--zones", type=int, default=10)
    parser.add_argument("--replicas", type=int, default=100, help="pods per ReplicaSet")
    parser.add_argument("--mode", choices=("constrained", "plain"), default="constrained")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--timeout", type=float, default=0, help="simulated seconds (default: from --pods)"
    )
    args = parser.parse_args(argv)
    args.timeout = args.timeout or simulated_timeout(args.pods)

    import kubelab as kl

    nodes = [
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": f"node-{i}", "labels": {ZONE: f"zone-{i % args.zones}"}},
        }
        for i in range(1, args.nodes + 1)
    ]
    count = max(1, args.pods // args.replicas)
    sizes = even_sizes(args.pods, count)

    t0, c0 = time.perf_counter(), time.process_time()
    cluster = kl.Cluster(nodes=nodes, seed=args.seed)
    t1 = time.perf_counter()
    apply_in_steps(cluster, [replicaset(i, n, args.mode) for i, n in enumerate(sizes)])
    t2, c2 = time.perf_counter(), time.process_time()
    store = cluster.api.store

    def count_pods(test) -> int:
        return sum(1 for p in store.list("Pod") if test(p))

    bound_at = None
    while True:
        if cluster.now > args.timeout:
            print(f"timeout after {args.timeout:g} simulated seconds")
            return 1
        cluster.run(1)
        if bound_at is None and count_pods(lambda p: p["spec"].get("nodeName")) >= args.pods:
            bound_at, bound_cpu = time.perf_counter(), time.process_time()
        if running_pods(store) >= args.pods:
            break
    t3, c3 = time.perf_counter(), time.process_time()

    pairs = collections.Counter(
        (p["spec"]["nodeName"], p["metadata"]["labels"]["app"]) for p in store.list("Pod")
    )
    doubled = sum(1 for n in pairs.values() if n > 1) if args.mode == "constrained" else 0

    print(f"mode: {args.mode}; {args.pods} pods on {args.nodes} nodes in {args.zones} zones")
    print(f"cluster setup: {t1 - t0:.2f} s; apply: {t2 - t1:.2f} s")
    print(
        f"all bound after {bound_at - t2:.2f} s wall ({args.pods / (bound_at - t2):.0f} pods/s); "
        f"all Running after {t3 - t2:.2f} s wall ({args.pods / (t3 - t2):.0f} pods/s), "
        f"{cluster.now:g} simulated s"
    )
    print(
        f"CPU time (this process, robust to a busy machine): bound {bound_cpu - c2:.2f} s "
        f"({args.pods / (bound_cpu - c2):.0f} pods/s), Running {c3 - c2:.2f} s "
        f"({args.pods / (c3 - c2):.0f} pods/s); setup {c2 - c0:.2f} s"
    )
    print(f"peak memory: {peak_mib():.0f} MiB")
    if doubled:
        print(f"ERROR: {doubled} (node, app) pairs hold two replicas")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
