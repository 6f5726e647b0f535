"""client-go's ``flowcontrol.Backoff``: per-key exponential back-off, as the kubelet uses it.

The kubelet keeps two: container restarts (CrashLoopBackOff) and image pulls
(ImagePullBackOff), both 10 s doubling to 300 s. An entry expires (starts over at
10 s) when nothing happened to it for twice the maximum, 10 minutes.

Examples
--------
>>> b = Backoff()
>>> waits, now = [], 0.0
>>> for crash in range(8):
...     if b.in_backoff_since("web", now, now):
...         now += b.get("web")            # wait out the back-off, then restart
...     waits.append(b.get("web") if crash else 0)
...     _ = b.next("web", now)
>>> waits
[0, 10.0, 20.0, 40.0, 80.0, 160.0, 300.0, 300.0]
>>> go_duration(300), go_duration(1.2345), go_duration(0.5), go_duration(160)
('5m0s', '1.2345s', '500ms', '2m40s')
"""

from __future__ import annotations

__all__ = ["INITIAL", "MAXIMUM", "Backoff", "go_duration"]

INITIAL = 10.0  # backOffPeriod (pkg/kubelet/kubelet.go)
MAXIMUM = 300.0  # MaxContainerBackOff / MaxImageBackOff


_EPSILON = 1e-6


class Backoff:
    """Per-key back-off durations; times are simulated seconds."""

    def __init__(self, initial: float = INITIAL, maximum: float = MAXIMUM):
        self.initial, self.maximum = initial, maximum
        self._entries: dict = {}  # key → [duration, last_update]
        self._swept = 0.0

    def _expired(self, event_time: float, last_update: float) -> bool:
        return event_time - last_update > 2 * self.maximum

    def get(self, key) -> float:
        entry = self._entries.get(key)
        return entry[0] if entry else 0.0

    def next(self, key, event_time: float, now: float | None = None) -> float:
        """Move ``key`` to its next back-off (first: ``initial``), as of ``now``."""
        now = event_time if now is None else now
        entry = self._entries.get(key)
        if entry is None or self._expired(event_time, entry[1]):
            self.sweep(now)
            entry = self._entries[key] = [self.initial, now]
        else:
            entry[0] = min(entry[0] * 2, self.maximum)
            entry[1] = now
        return entry[0]

    def in_backoff_since(self, key, event_time: float, now: float) -> bool:
        """``IsInBackOffSince``: less than the back-off has passed since ``event_time``."""
        entry = self._entries.get(key)
        if entry is None or self._expired(event_time, entry[1]):
            return False
        # Compared as "now before the end", with a tolerance: the timer set for the end fires
        # at event_time + duration, where now - event_time may round to just below duration.
        return now < event_time + entry[0] - _EPSILON

    def in_backoff_since_update(self, key, now: float) -> bool:
        """``IsInBackOffSinceUpdate``: less than the back-off has passed since the last ``next``."""
        entry = self._entries.get(key)
        if entry is None or self._expired(now, entry[1]):
            return False
        return now < entry[1] + entry[0] - _EPSILON

    def until(self, key) -> float:
        """When the current back-off of ``key`` ends (measured from its last update)."""
        entry = self._entries.get(key)
        return entry[1] + entry[0] if entry else 0.0

    def sweep(self, now: float) -> None:
        """:meth:`gc`, at most once per ``maximum`` seconds (cheap enough to call often)."""
        if now - self._swept > self.maximum:
            self.gc(now)

    def gc(self, now: float) -> None:
        """Drop the entries that have expired (``Backoff.GC``): keys of pods long gone."""
        self._swept = now
        for key in [k for k, (_, last) in self._entries.items() if self._expired(now, last)]:
            del self._entries[key]

    def forget(self, key) -> None:
        self._entries.pop(key, None)


def go_duration(seconds: float) -> str:
    """A duration as Go's ``time.Duration.String`` prints it (``1.2s``, ``5m0s``, ``500ms``)."""
    if seconds == 0:
        return "0s"
    if seconds < 1:
        ms = round(seconds * 1000, 6)
        return f"{ms:g}ms"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    secs_text = f"{round(secs, 9):.9f}".rstrip("0").rstrip(".") + "s"
    if hours:
        return f"{int(hours)}h{int(minutes)}m{secs_text}"
    if minutes:
        return f"{int(minutes)}m{secs_text}"
    return secs_text
