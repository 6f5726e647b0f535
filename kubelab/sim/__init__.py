"""The deterministic event core: one clock, one heap, seeded random streams."""

from kubelab.sim.clock import LATE, NORMAL, URGENT, Clock, Timer, rng

__all__ = ["LATE", "NORMAL", "URGENT", "Clock", "Timer", "rng"]
