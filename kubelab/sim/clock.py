"""A tiny deterministic event core in the style of SimPy.

Every component of the simulated cluster schedules callbacks on one :class:`Clock`.
The heap is keyed by ``(time, priority, sequence)``, so callbacks due at the same
instant run by priority and then in the order they were scheduled: the same calls
always give the same history.

Examples
--------
>>> clock = Clock()
>>> seen = []
>>> _ = clock.call_later(2, seen.append, "b")
>>> _ = clock.call_later(1, seen.append, "a")
>>> t = clock.call_later(1.5, seen.append, "never")
>>> t.cancel()
>>> _ = clock.run_until(5)
>>> seen, clock.now
(['a', 'b'], 5.0)
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Callable

__all__ = ["LATE", "NORMAL", "URGENT", "Clock", "Timer", "rng"]

URGENT, NORMAL, LATE = 0, 1, 2

# A bug that makes a component reschedule itself at the same instant forever would hang
# a notebook; past this many callbacks at one instant, the clock stops with an error.
MAX_CALLBACKS_PER_INSTANT = 5_000_000
_COMPACT_EVERY = 65_536  # timers scheduled between two sweeps of cancelled ones


class Timer:
    """A scheduled callback; :meth:`cancel` it to stop it from running."""

    __slots__ = ("args", "cancelled", "fn", "when")

    def __init__(self, when: float, fn: Callable, args: tuple):
        self.when, self.fn, self.args, self.cancelled = when, fn, args, False

    def cancel(self) -> None:
        # It stays in the heap until its time; what it would have called is freed now.
        self.cancelled, self.fn, self.args = True, None, ()


class Clock:
    """Simulated time: seconds since the cluster started, advanced only by :meth:`run_until`."""

    def __init__(self) -> None:
        self.now = 0.0
        self._queue: list[tuple[float, int, int, Timer]] = []
        self._sequence = itertools.count()

    def call_at(self, when: float, fn: Callable, *args, priority: int = NORMAL) -> Timer:
        """Run ``fn(*args)`` at simulated time ``when`` (never in the past)."""
        if when != when:  # NaN would corrupt the heap's order for every later timer
            raise ValueError(f"cannot schedule {getattr(fn, '__qualname__', fn)} at NaN")
        timer = Timer(max(when, self.now), fn, args)
        sequence = next(self._sequence)
        heapq.heappush(self._queue, (timer.when, priority, sequence, timer))
        if sequence % _COMPACT_EVERY == 0:
            self._compact()
        return timer

    def _compact(self) -> None:
        """Drop cancelled timers (a timer far ahead, cancelled, would otherwise stay till then)."""
        live = [entry for entry in self._queue if not entry[3].cancelled]
        if len(live) < len(self._queue):
            heapq.heapify(live)
            self._queue[:] = live

    def call_later(self, delay: float, fn: Callable, *args, priority: int = NORMAL) -> Timer:
        """Run ``fn(*args)`` after ``delay`` simulated seconds."""
        return self.call_at(self.now + max(delay, 0.0), fn, *args, priority=priority)

    def next_time(self) -> float | None:
        """When the next pending callback is due (``None`` if nothing is scheduled)."""
        while self._queue and self._queue[0][3].cancelled:
            heapq.heappop(self._queue)
        return self._queue[0][0] if self._queue else None

    def run_until(self, until: float, stop: Callable[[], bool] | None = None) -> bool:
        """Run every callback due up to ``until``; then ``now == until``.

        With ``stop``, check it after each instant and return True as soon as it holds
        (``now`` then stays at that instant).
        """
        queue = self._queue
        same_instant = 0
        while queue and queue[0][0] <= until:
            when, _, _, timer = heapq.heappop(queue)
            if timer.cancelled:
                continue
            if when == self.now:
                same_instant += 1
                if same_instant > MAX_CALLBACKS_PER_INSTANT:
                    raise RuntimeError(
                        f"kubelab: the simulation is stuck at t={when:g}s ({getattr(timer.fn, '__qualname__', timer.fn)} "
                        "keeps rescheduling itself); this is a kubelab bug, please report it"
                    )
            else:
                same_instant = 0
            self.now = when
            timer.fn(*timer.args)
            if stop is not None and (not queue or queue[0][0] > when) and stop():
                return True
        self.now = max(self.now, float(until))
        return stop() if stop is not None else False


def rng(seed: int, name: str) -> random.Random:
    """An independent, reproducible random stream for one component.

    Examples
    --------
    >>> rng(0, "scheduler").random() == rng(0, "scheduler").random()
    True
    >>> rng(0, "scheduler").random() == rng(1, "scheduler").random()
    False
    """
    return random.Random(f"kubelab/{seed}/{name}")
