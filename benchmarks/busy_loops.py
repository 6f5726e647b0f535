"""Benchmark: CPU cost of clusters that are stuck, and who keeps the clock busy.

Usage::

    python benchmarks/busy_loops.py               # every scenario
    python benchmarks/busy_loops.py node-failure  # some of them
    python benchmarks/busy_loops.py --top 5       # the 5 busiest callbacks of each

Each scenario builds a small cluster in a state that waits on something that does not
come (a failed node, a crash loop, a full quota, a volume that never appears ...), then
measures one window of simulated time: CPU seconds, clock callbacks, and the callbacks
scheduled most often (by qualified name). A component that re-arms itself on a tiny fixed
delay shows at the top with tens of thousands of callbacks. Figures are printed, never
asserted: the test suite counts work instead.
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

from workloads import workload

DATA = Path(__file__).resolve().parent.parent / "data"


def _deployment(name: str, image: str, replicas: int = 3, **spec) -> dict:
    d = workload("Deployment", name, replicas)
    d["spec"]["template"]["spec"]["containers"][0]["image"] = image
    d["spec"].update(spec)
    return d


def node_failure(kl):
    c = kl.Cluster(3, seed=0)
    c.apply(str(DATA / "deployment.yaml"))
    c.run(700)
    c.fail_node("node-2")
    return c, 600


def crash_loop(kl):
    c = kl.Cluster(3, seed=0)
    c.apply(_deployment("crashy", "kubelab/crashy:v1"))
    c.run(60)
    return c, 3600


def failing_readiness(kl):
    # registry.k8s.io/liveness answers /healthz for 10 s, then 500: Ready, then never again
    d = _deployment("live", "registry.k8s.io/liveness", progressDeadlineSeconds=5)
    d["spec"]["template"]["spec"]["containers"][0]["readinessProbe"] = {
        "httpGet": {"path": "/healthz", "port": 8080},
        "periodSeconds": 2,
    }
    c = kl.Cluster(3, seed=0)
    c.apply(d)
    c.run(60)
    return c, 600


def drain_with_pdb(kl):
    c = kl.Cluster(3, seed=0)
    c.apply(str(DATA / "deployment.yaml"))
    c.apply(str(DATA / "pdb.yaml"))
    c.run(60)
    node = c.list("Pod")[0]["spec"]["nodeName"]
    c.kubectl(f"drain {node} --ignore-daemonsets --timeout=1s")
    c.fail_node(next(n for n in c.kubelets if n != node))
    return c, 600


def quota_blocked(kl):
    c = kl.Cluster(3, seed=0)
    c.apply(
        {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": {"name": "pods"},
            "spec": {"hard": {"pods": "1"}},
        }
    )
    c.apply(workload("ReplicaSet", "blocked", 3))
    c.run(10)
    return c, 3600


def unschedulable(kl):
    c = kl.Cluster(3, seed=0)
    d = workload("Deployment", "huge", 3)
    d["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["cpu"] = "64"
    c.apply(d)
    c.run(10)
    return c, 3600


def pvc_waiting(kl):
    c = kl.Cluster(3, seed=0)
    c.apply(
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data"},
            "spec": {
                "storageClassName": "",
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "1Gi"}},
            },
        }
    )
    d = workload("Deployment", "db", 1)
    d["spec"]["template"]["spec"]["volumes"] = [
        {"name": "data", "persistentVolumeClaim": {"claimName": "data"}}
    ]
    c.apply(d)
    c.run(10)
    return c, 3600


def load_balancer(kl):
    c = kl.Cluster(3, seed=0)
    c.apply(workload("Deployment", "web", 2, port=True))
    c.apply(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web"},
            "spec": {
                "type": "LoadBalancer",
                "selector": {"app": "web"},
                "ports": [{"port": 80, "targetPort": 8080}],
            },
        }
    )
    c.run(10)
    return c, 3600


def daemonset_failures(kl):
    # the lesson's cluster: the DaemonSet beside the course's Deployment
    c = kl.Cluster(4, seed=0)
    c.apply(str(DATA / "daemonset.yaml"))
    c.apply(str(DATA / "deployment.yaml"))
    c.run(30)
    c.fail_node("node-1")
    c.kubectl("cordon node-2")
    c.run(60)
    c.fail_node("node-3")
    return c, 400


def runaway_replicas(kl):
    c = kl.Cluster(3, seed=0)
    c.apply(workload("Deployment", "runaway", 1_000_000_000))
    return c, 60


SCENARIOS = {
    "node-failure": node_failure,
    "crash-loop": crash_loop,
    "failing-readiness": failing_readiness,
    "drain-with-pdb": drain_with_pdb,
    "quota-blocked": quota_blocked,
    "unschedulable": unschedulable,
    "pvc-waiting": pvc_waiting,
    "load-balancer": load_balancer,
    "daemonset-failures": daemonset_failures,
    "runaway-replicas": runaway_replicas,
}


def measure(cluster, seconds: float, chunk: float = 10.0) -> tuple[float, collections.Counter]:
    """CPU seconds to run ``seconds`` of simulated time, and the callbacks it scheduled."""
    clock = cluster.clock
    scheduled: collections.Counter = collections.Counter()
    call_at = clock.call_at

    def counting(when, fn, *args, **kw):
        scheduled[getattr(fn, "__qualname__", repr(fn))] += 1
        return call_at(when, fn, *args, **kw)

    clock.call_at = counting
    try:
        t0 = time.process_time()
        end = cluster.now + seconds
        while cluster.now < end:
            cluster.run(min(chunk, end - cluster.now))
        return time.process_time() - t0, scheduled
    finally:
        del clock.call_at


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*", choices=[[], *SCENARIOS], default=[])
    parser.add_argument("--top", type=int, default=3, help="busiest callbacks shown per scenario")
    args = parser.parse_args(argv)

    import kubelab as kl

    print(f"{'scenario':20} {'simulated':>9} {'CPU s':>7} {'callbacks':>10}  busiest")
    for name in args.scenarios or SCENARIOS:
        cluster, seconds = SCENARIOS[name](kl)
        cpu, scheduled = measure(cluster, seconds)
        busiest = ", ".join(f"{fn} {n}" for fn, n in scheduled.most_common(args.top))
        total = sum(scheduled.values())
        print(f"{name:20} {seconds:8.0f}s {cpu:7.2f} {total:10d}  {busiest}")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
