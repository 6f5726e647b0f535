"""What a running container uses, as cAdvisor would measure it, and what its limits do to it.

* **Memory**: the image's ``memory`` at start plus ``memory_growth`` per second. Reaching the
  container's memory limit is an OOM kill (``OOMKilled``, exit code 137; the pod worker
  schedules it), so usage never exceeds the limit.
* **CPU**: the image's ``cpu`` (cores it wants). The CFS quota caps it at the CPU limit: a
  container that wants more is *throttled* — it gets its limit and does its work
  ``wanted / limit`` times slower (:func:`throttle_factor`; traffic latencies scale by it).
  Requests do not cap anything: they only reserve room on a node for the scheduler.

Simplifications: CPU contention between pods on a full node (CFS shares proportional to
requests) is not modelled; every container gets what it wants up to its limit.

Examples
--------
>>> from kubelab.images import ImageSpec
>>> busy = ImageSpec(cpu=1.0, memory=32 * 2**20)
>>> spec = {"name": "app", "resources": {"limits": {"cpu": "250m"}}}
>>> throttle_factor(spec, busy), cpu_usage(spec, busy)
(4.0, 0.25)
>>> throttle_factor({"name": "app"}, busy)   # no limit: never throttled
1.0
>>> leaky = ImageSpec(memory=20 * 2**20, memory_growth=2 * 2**20)
>>> memory_usage({"name": "app", "resources": {"limits": {"memory": "64Mi"}}}, leaky, 10.0) // 2**20
40
>>> oom_after({"name": "app", "resources": {"limits": {"memory": "64Mi"}}}, leaky)
22.0
>>> stress = {"name": "s", "args": ["--vm", "1", "--vm-bytes", "250M", "--vm-hang", "1"]}
>>> start_memory(stress, ImageSpec()) // 2**20, wanted_cpu({"args": ["-cpus", "2"]}, ImageSpec())
(242, 2.0)
"""

from __future__ import annotations

from kubelab.api.quantity import QuantityError, cpu_millis, memory_bytes, parse_quantity
from kubelab.kubelet.containers import memory_limit

__all__ = [
    "STRESS_OVERHEAD",
    "cpu_limit",
    "cpu_usage",
    "memory_usage",
    "oom_after",
    "pod_throttle_factor",
    "start_memory",
    "throttle_factor",
    "usage",
    "wanted_cpu",
]

STRESS_OVERHEAD = 4 * 2**20  # the stress process itself, besides what it allocates


def _args(container: dict) -> list[str]:
    return [str(a) for a in (container.get("command") or [])] + [
        str(a) for a in (container.get("args") or [])
    ]


def _flag(words: list[str], *names: str) -> str | None:
    for i, word in enumerate(words[:-1]):
        if word in names:
            return words[i + 1]
    return None


def wanted_cpu(container: dict, image) -> float:
    """Cores the process wants: the image's ``cpu``, or a stress tool's ``-cpus N``/``--cpu N``."""
    value = _flag(_args(container), "-cpus", "--cpus", "--cpu", "-c")
    if value is not None:
        try:
            return float(parse_quantity(value))
        except QuantityError:
            pass
    return getattr(image, "cpu", 0.0) if image is not None else 0.0


def start_memory(container: dict, image) -> int:
    """Bytes in use once started: the image's ``memory``, or what a stress tool allocates
    (``--vm-bytes 250M`` × ``--vm N``, plus a few MiB for the process itself)."""
    words = _args(container)
    size = _flag(words, "--vm-bytes", "-mem-total")
    if size is not None:
        try:
            workers = int(_flag(words, "--vm", "-m") or 1)
            return memory_bytes(size) * max(workers, 1) + STRESS_OVERHEAD
        except (QuantityError, ValueError):
            pass
    return image.memory if image is not None else 0


def cpu_limit(container: dict) -> float | None:
    """The container's CPU limit in cores (None: unlimited)."""
    value = ((container.get("resources") or {}).get("limits") or {}).get("cpu")
    if value is None:
        return None
    try:
        millis = cpu_millis(value)
    except QuantityError:
        return None
    return millis / 1000 if millis > 0 else None


def cpu_usage(container: dict, image) -> float:
    """Cores the container burns: what it wants, capped by its CPU limit."""
    wanted = wanted_cpu(container, image)
    limit = cpu_limit(container)
    return wanted if limit is None else min(wanted, limit)


def throttle_factor(container: dict, image) -> float:
    """How much slower the container works because of its CPU limit: ``wanted / limit`` (≥ 1)."""
    wanted = wanted_cpu(container, image)
    limit = cpu_limit(container)
    if limit is None or wanted <= limit:
        return 1.0
    return wanted / limit


def pod_throttle_factor(pod: dict, images) -> float:
    """The largest :func:`throttle_factor` of a pod's containers (``images``: a catalogue)."""
    factor = 1.0
    for c in (pod.get("spec") or {}).get("containers") or ():
        try:
            image = images.lookup(c.get("image", ""))
        except ValueError:
            continue
        factor = max(factor, throttle_factor(c, image))
    return factor


def usage(container: dict, image, running_for: float) -> tuple:
    """``(cpu cores, memory bytes, cpu limit, memory limit, throttled)`` in one pass (a scrape)."""
    wanted, limit = wanted_cpu(container, image), cpu_limit(container)
    mem_limit = memory_limit(container)
    used = _memory(container, image, running_for, mem_limit)
    cpu = wanted if limit is None else min(wanted, limit)
    return cpu, used, limit, mem_limit, limit is not None and wanted > limit


def _memory(container: dict, image, running_for: float, limit: int | None) -> int:
    if image is None:
        return 0
    used = start_memory(container, image) + image.memory_growth * max(running_for, 0.0)
    return int(used if limit is None else min(used, limit))


def memory_usage(container: dict, image, running_for: float) -> int:
    """Bytes in use ``running_for`` seconds after the start (never above the memory limit)."""
    return _memory(container, image, running_for, memory_limit(container))


def oom_after(container: dict, image) -> float | None:
    """Seconds after its start when the container reaches its memory limit (None: never)."""
    limit = memory_limit(container)
    if limit is None or image is None:
        return None
    start = start_memory(container, image)
    if start >= limit:
        return 0.0
    if image.memory_growth <= 0:
        return None
    return (limit - start) / image.memory_growth
