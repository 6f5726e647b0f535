"""Bounded logs: what kubelab remembers of the past, so a long session stays flat in memory.

The API server's request log (``c.audit``), the event log (``c.events``), the history
(``c.history``) and metrics-server's samples (``c.metrics.frame()``) are :class:`RingLog`\\ s:
rows whose first item is the simulated time, keeping the last :data:`RETENTION` seconds
(one hour, like kube-apiserver's ``--event-ttl``) and at most ``max_rows`` rows. A lesson that
needs everything builds its cluster with ``kl.Cluster(..., keep_history=True)``.

Examples
--------
>>> from kubelab.sim import Clock
>>> clock = Clock()
>>> log = RingLog(clock, window=60, max_rows=3)
>>> for t in (0, 10, 20, 30):
...     clock.now = t
...     log.append((t, "row"))
>>> [row[0] for row in log]  # at most 3 rows
[10, 20, 30]
>>> clock.now = 75
>>> [row[0] for row in log.trim()]  # rows 60 s old or older are gone
[20, 30]
>>> log.appended  # every row ever appended (an audit log's request count)
4
>>> log.keep_all().window is None
True
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

__all__ = ["RETENTION", "RingLog"]

RETENTION = 3600.0  # seconds of the past kept by default: kube-apiserver's --event-ttl


class RingLog(deque):
    """Time-ordered rows ``(time, ...)``: the last ``window`` seconds, at most ``max_rows``.

    Parameters
    ----------
    clock : Clock
        Gives the current time (rows older than ``clock.now - window`` are dropped).
    window : float or None
        Seconds of the past to keep (``None``: no age limit).
    max_rows : int or None
        Most rows kept; the oldest go first (``None``: no limit).
    on_drop : callable, optional
        Called with each row as it is dropped (a summary of what went can be kept).
    """

    def __init__(
        self,
        clock,
        window: float | None = RETENTION,
        max_rows: int | None = None,
        on_drop: Callable[[tuple], None] | None = None,
    ):
        super().__init__()
        self.clock, self.window, self.max_rows, self.on_drop = clock, window, max_rows, on_drop
        self.appended = 0  # rows ever appended, kept or dropped (an audit log's request count)

    def append(self, row: tuple) -> None:
        super().append(row)
        self.appended += 1
        if self.max_rows is not None and len(self) > self.max_rows:
            self._drop()
        if self.window is not None and self[0][0] <= self.clock.now - self.window:
            self.trim()

    def trim(self) -> RingLog:
        """Drop the rows ``window`` seconds old or older (appending does it too). Chainable."""
        if self.window is not None:
            cutoff = self.clock.now - self.window
            while self and self[0][0] <= cutoff:
                self._drop()
        return self

    def keep_all(self) -> RingLog:
        """Keep every row from now on (no window, no row limit). Chainable."""
        self.window = self.max_rows = None
        return self

    def _drop(self) -> None:
        row = self.popleft()
        if self.on_drop is not None:
            self.on_drop(row)

    def __eq__(self, other) -> bool:
        if isinstance(other, list | deque):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None

    def __reduce__(self):  # copy and pickle: deque's own assumes deque's constructor
        return (_restore, (list(self), self.clock, self.window, self.max_rows, self.on_drop))


def _restore(rows, clock, window, max_rows, on_drop) -> RingLog:
    log = RingLog(clock, window, max_rows, on_drop)
    log.extend(rows)
    log.appended = len(rows)
    return log
