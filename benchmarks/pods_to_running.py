"""Benchmark: bring N pods to Running on M nodes and report throughput and peak memory.

Usage::

    python benchmarks/pods_to_running.py --pods 10000 --nodes 500
    python benchmarks/pods_to_running.py --pods 150000 --nodes 5000 --replicasets 1500

The pods come from ReplicaSets (``--replicasets`` of them, replicas split evenly),
exactly as a learner would create them: through the API server, scheduler,
ReplicaSet controller and kubelets. Wall-clock figures are printed, never asserted:
speed is measured here, not in the test suite. Simulated time to Running is bound by the
ReplicaSet controller's client rate limit (20 writes a second, kube-controller-manager's
default): about ``pods / 20`` simulated seconds.
"""

from __future__ import annotations

import argparse
import sys
import time

from workloads import (
    apply_in_steps,
    even_sizes,
    peak_mib,
    running_pods,
    simulated_timeout,
    workload,
)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument("--nodes", type=int, default=500)
    parser.add_argument("--replicasets", type=int, default=0, help="default: one per 100 pods")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--timeout", type=float, default=0, help="simulated seconds (default: from --pods)"
    )
    args = parser.parse_args(argv)
    args.timeout = args.timeout or simulated_timeout(args.pods)

    import kubelab as kl

    count = args.replicasets or max(1, args.pods // 100)
    sizes = even_sizes(args.pods, count)

    t0 = time.perf_counter()
    cluster = kl.Cluster(nodes=args.nodes, seed=args.seed)
    t1 = time.perf_counter()
    apply_in_steps(cluster, [workload("ReplicaSet", f"bench-{i}", n) for i, n in enumerate(sizes)])
    t2 = time.perf_counter()
    store = cluster.api.store

    def all_running(c) -> bool:
        return running_pods(store) >= args.pods

    # Checking every instant would dominate; poll once per simulated second.
    while not all_running(cluster):
        if cluster.now > args.timeout:
            print(f"timeout: not all pods Running after {args.timeout:g} simulated seconds")
            return 1
        cluster.run(1)
    t3 = time.perf_counter()
    pods_per_s = args.pods / (t3 - t2)
    print(
        f"kubelab benchmark: {args.pods} pods on {args.nodes} nodes ({count} ReplicaSets), seed {args.seed}"
    )
    print(f"  cluster start        {t1 - t0:8.2f} s wall")
    print(f"  apply manifests      {t2 - t1:8.2f} s wall")
    print(f"  pods to Running      {t3 - t2:8.2f} s wall   ({cluster.now:.0f} simulated s)")
    print(f"  throughput           {pods_per_s:8.0f} pods/s")
    print(f"  API requests         {cluster.api.audit.appended:8d}")
    print(f"  peak memory          {peak_mib():8.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
