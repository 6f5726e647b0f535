"""Benchmark: how long a structural (official schema) check of one object takes.

Usage::

    python benchmarks/schema_check.py
"""

from __future__ import annotations

import time

from kubelab.api.schema import check

POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "web", "labels": {"app": "web"}},
    "spec": {
        "containers": [{"name": "nginx", "image": "nginx:1.25", "ports": [{"containerPort": 80}]}]
    },
}


def main() -> None:
    start = time.perf_counter()
    check(POD)
    first = time.perf_counter() - start
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(1000):
            check(POD)
        best = min(best, (time.perf_counter() - start) / 1000)
    print(
        f"schema check: first call {first * 1e3:.1f} ms (loads the definitions), then {best * 1e3:.3f} ms per Pod"
    )


if __name__ == "__main__":
    main()
