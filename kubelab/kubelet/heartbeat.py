"""Heartbeats, batched: one clock timer per 10-second slot, one Lease renewal per node.

Every kubelet renews its node's Lease every 10 s (``nodeLeaseRenewInterval``... in
upstream terms, ``renewInterval = 0.25 × leaseDuration`` of 40 s). Kubelets that
joined at the same instant share a slot: the slot's timer fires once and renews each
of its nodes in turn, so 5,000 nodes cost one heap entry per slot instead of 5,000,
while every node still sends its own renewal.

Examples
--------
>>> from kubelab.sim import Clock
>>> clock = Clock(); beats = []
>>> class Node:
...     def __init__(self, name): self.name = name
...     def heartbeat(self): beats.append((clock.now, self.name))
>>> hb = Heartbeats.for_clock(clock)
>>> hb.add(Node("a")); hb.add(Node("b"))
>>> _ = clock.run_until(25); beats
[(10.0, 'a'), (10.0, 'b'), (20.0, 'a'), (20.0, 'b')]
"""

from __future__ import annotations

import weakref

__all__ = ["RENEW_INTERVAL", "Heartbeats"]

RENEW_INTERVAL = 10.0
_BY_CLOCK: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class Heartbeats:
    """The heartbeat slots of one clock (shared by all kubelets on it)."""

    def __init__(self, clock):
        self.clock = clock
        self._slots: dict[float, dict] = {}  # phase (now mod 10) → {name: kubelet}
        self._timers: dict[float, object] = {}
        self._slot_of: dict[str, float] = {}

    @classmethod
    def for_clock(cls, clock) -> Heartbeats:
        beats = _BY_CLOCK.get(clock)
        if beats is None:
            beats = _BY_CLOCK[clock] = cls(clock)
        return beats

    def add(self, kubelet) -> None:
        """Renew ``kubelet``'s lease every 10 s from now on."""
        self.remove(kubelet)
        phase = round(self.clock.now % RENEW_INTERVAL, 6)
        slot = self._slots.get(phase)
        if slot is None:
            slot = self._slots[phase] = {}
            self._timers[phase] = self.clock.call_later(RENEW_INTERVAL, self._fire, phase)
        slot[kubelet.name] = kubelet
        self._slot_of[kubelet.name] = phase

    def remove(self, kubelet) -> None:
        phase = self._slot_of.pop(kubelet.name, None)
        if phase is None:
            return
        slot = self._slots[phase]
        slot.pop(kubelet.name, None)
        if not slot:
            del self._slots[phase]
            self._timers.pop(phase).cancel()

    def _fire(self, phase: float) -> None:
        slot = self._slots.get(phase)
        if not slot:
            return
        self._timers[phase] = self.clock.call_later(RENEW_INTERVAL, self._fire, phase)
        for kubelet in list(slot.values()):
            kubelet.heartbeat()
