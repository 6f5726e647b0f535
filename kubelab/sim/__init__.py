"""The deterministic event core: one clock, one heap, seeded random streams, bounded logs."""

from kubelab.sim.clock import LATE, NORMAL, URGENT, Clock, Timer, rng
from kubelab.sim.ringlog import RETENTION, RingLog

__all__ = ["LATE", "NORMAL", "RETENTION", "URGENT", "Clock", "RingLog", "Timer", "rng"]
