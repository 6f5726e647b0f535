"""What the benchmarks share: the workloads they apply and the figures they read back.

The scripts run as ``python benchmarks/<name>.py``, so this module is importable beside them.
"""

from __future__ import annotations

import resource


def workload(kind: str, name: str, replicas: int, *, port: bool = False) -> dict:
    """A ReplicaSet or Deployment of ``replicas`` small nginx pods labelled ``app=<name>``."""
    container = {
        "name": "web",
        "image": "nginx:1.25",
        "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}},
    }
    if port:
        container["ports"] = [{"name": "http", "containerPort": 8080}]
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [container]},
            },
        },
    }


def even_sizes(total: int, count: int) -> list[int]:
    """``total`` split into ``count`` parts that differ by at most one (larger ones first)."""
    return [total // count + (1 if i < total % count else 0) for i in range(count)]


def running_pods(store) -> int:
    """How many pods the store holds in phase Running."""
    return sum(1 for p in store.list("Pod") if (p.get("status") or {}).get("phase") == "Running")


def simulated_timeout(pods: int) -> float:
    """Simulated seconds to allow for ``pods`` pods: an hour, or twice what the ReplicaSet
    controller needs at kube-controller-manager's client rate (20 writes a second)."""
    return max(3600.0, pods / 10)


def peak_mib() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def apply_in_steps(cluster, objects: list[dict]) -> None:
    """Apply ``objects`` as a learner must past kubelab's per-apply limit: in steps."""
    from kubelab.api.limits import MAX_DOCUMENTS

    for start in range(0, len(objects), MAX_DOCUMENTS):
        cluster.apply(objects[start : start + MAX_DOCUMENTS])
