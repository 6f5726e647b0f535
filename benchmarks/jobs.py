"""Benchmark: one Job runs N completions with P pods at a time on M nodes.

Usage::

    python benchmarks/jobs.py --completions 2000 --parallelism 200 --nodes 50
    python benchmarks/jobs.py --completions 2000 --parallelism 200 --mode indexed

Each pod is a busybox ``sleep 5``. The figures (simulated time to Complete, wall-clock
seconds, Job controller syncs and API requests, peak memory) are printed, never asserted.
"""

from __future__ import annotations

import argparse
import collections
import sys
import time

from workloads import peak_mib


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--completions", type=int, default=2000)
    parser.add_argument("--parallelism", type=int, default=200)
    parser.add_argument("--nodes", type=int, default=50)
    parser.add_argument("--mode", choices=("nonindexed", "indexed"), default="nonindexed")
    args = parser.parse_args(argv)

    import kubelab as kl

    c = kl.Cluster(nodes=args.nodes, seed=0)
    controller = c.controllers["job-controller"]
    syncs = collections.Counter()
    original = controller.sync
    controller.sync = lambda key: syncs.update([key]) or original(key)
    spec = {"completions": args.completions, "parallelism": args.parallelism}
    if args.mode == "indexed":
        spec["completionMode"] = "Indexed"
    c.apply(
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": "bench"},
            "spec": {
                **spec,
                "template": {
                    "spec": {
                        "restartPolicy": "Never",
                        "containers": [
                            {"name": "w", "image": "busybox", "command": ["sh", "-c", "sleep 5"]}
                        ],
                    }
                },
            },
        }
    )
    started = time.perf_counter()
    done_at = None
    while c.now < 24 * 3600:
        c.run(10)
        conditions = (c.get("Job", "bench").get("status") or {}).get("conditions") or ()
        if any(x["type"] == "Complete" and x["status"] == "True" for x in conditions):
            done_at = c.now
            break
    wall = time.perf_counter() - started
    requests = sum(1 for entry in c.api.audit if entry[1] == "job-controller")
    print(
        f"{args.completions} completions, parallelism {args.parallelism}, {args.nodes} nodes, "
        f"{args.mode}: complete at t≈{done_at}s simulated, {wall:.1f} s wall, "
        f"{sum(syncs.values())} Job syncs, {requests} job-controller requests, "
        f"peak {peak_mib():.0f} MiB"
    )


if __name__ == "__main__":
    sys.exit(main())
