"""Benchmark: scale Deployments behind Services from 0 to N pods; time until all are endpoints.

Usage::

    python benchmarks/services.py                                  # 10,000 pods, 100 Services, 500 nodes
    python benchmarks/services.py --pods 5000 --services 1 --nodes 500   # one big Service
    python benchmarks/services.py --pods 150000 --services 1500 --nodes 5000

Each Service selects one Deployment. The Deployments and Services are applied with
``replicas: 0``, the cluster runs one simulated second, and then every Deployment is scaled
to its share of ``--pods``, exactly as a learner would (through the API server, the
Deployment, ReplicaSet, scheduler, kubelet, EndpointSlice and Endpoints controllers). The
run ends when every pod is Running and listed as a ready endpoint in its Service's
EndpointSlices and in its Endpoints object (up to Endpoints' 1,000-address cap). Wall-clock
figures are printed, never asserted: speed is measured here, not in the test suite.
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


def service(name: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {"selector": {"app": name}, "ports": [{"port": 80, "targetPort": "http"}]},
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument("--services", type=int, default=100)
    parser.add_argument("--nodes", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--timeout", type=float, default=0, help="simulated seconds (default: from --pods)"
    )
    parser.add_argument("--profile", metavar="FILE", help="write cProfile stats of the scale-up")
    args = parser.parse_args(argv)
    args.timeout = args.timeout or simulated_timeout(args.pods)

    import kubelab as kl

    count = max(1, args.services)
    sizes = even_sizes(args.pods, count)
    names = [f"bench-{i}" for i in range(count)]

    t0 = time.perf_counter()
    cluster = kl.Cluster(nodes=args.nodes, seed=args.seed)
    apply_in_steps(
        cluster,
        [
            doc
            for name in names
            for doc in (service(name), workload("Deployment", name, 0, port=True))
        ],
    )
    cluster.run(1)
    t1 = time.perf_counter()
    apply_in_steps(
        cluster,
        [workload("Deployment", name, n, port=True) for name, n in zip(names, sizes, strict=True)],
    )
    t2 = time.perf_counter()
    c2 = time.process_time()
    start_sim = cluster.now
    store = cluster.api.store
    cap = 1000  # Endpoints truncates past this many addresses

    def done() -> bool:
        if running_pods(store) < args.pods:
            return False
        ready: dict[str, int] = {}
        for s in store.list("EndpointSlice"):
            svc = (s["metadata"].get("labels") or {}).get("kubernetes.io/service-name")
            n = sum(1 for e in s.get("endpoints") or () if e["conditions"].get("ready"))
            ready[svc] = ready.get(svc, 0) + n
        if any(ready.get(name, 0) < n for name, n in zip(names, sizes, strict=True)):
            return False
        addresses = {
            e["metadata"]["name"]: sum(
                len(s.get("addresses") or ()) for s in e.get("subsets") or ()
            )
            for e in store.list("Endpoints")
        }
        return all(
            addresses.get(name, 0) >= min(n, cap) for name, n in zip(names, sizes, strict=True)
        )

    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    # Checking every instant would dominate; poll once per simulated second.
    while not done():
        if cluster.now - start_sim > args.timeout:
            print(f"timeout: not all pods are endpoints after {args.timeout:g} simulated seconds")
            return 1
        cluster.run(1)
    t3 = time.perf_counter()
    c3 = time.process_time()
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(args.profile)
    writes = sum(1 for entry in cluster.api.audit if entry[3] in ("EndpointSlice", "Endpoints"))
    print(
        f"kubelab services benchmark: {args.pods} pods behind {count} Services "
        f"on {args.nodes} nodes, seed {args.seed}"
    )
    print(f"  cluster start + apply {t1 - t0:8.2f} s wall")
    print(
        f"  scale-up to endpoints {t3 - t2:8.2f} s wall   ({cluster.now - start_sim:.0f} simulated s)"
    )
    print(f"  scale-up CPU time     {c3 - c2:8.2f} s (wall is noisy on a shared machine)")
    print(f"  throughput            {args.pods / (t3 - t2):8.0f} pods/s")
    print(f"  API requests          {cluster.api.audit.appended:8d}")
    print(f"  endpoint writes       {writes:8d}")
    print(f"  peak memory           {peak_mib():8.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
