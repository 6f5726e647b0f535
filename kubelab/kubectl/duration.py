"""Ages as kubectl prints them: ``duration.HumanDuration`` from apimachinery.

kubectl shows ``2m5s`` for 125 seconds but ``15m`` for 900: about two or three
significant figures. Every age in kubelab is measured on the *simulated* clock.

Examples
--------
>>> [human_duration(s) for s in (0, 59, 119, 120, 125, 600, 3 * 3600 + 60, 2 * 86400)]
['0s', '59s', '119s', '2m', '2m5s', '10m', '3h1m', '2d']
>>> since("2025-01-01T00:00:00Z", 90.5)
'90s'
>>> since(None, 10.0)
'<unknown>'
"""

from __future__ import annotations

from datetime import timedelta

from kubelab.api.meta import EPOCH, parse_time

__all__ = ["human_duration", "rfc1123z", "since"]


def human_duration(seconds: float) -> str:
    """``HumanDuration``: ``0s`` … ``119s``, ``2m5s``, ``15m``, ``3h1m``, ``20h``, ``2d3h``, ``90d``, ``3y``."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        rest = s % 60
        return f"{minutes}m" if rest == 0 else f"{minutes}m{rest}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h" if rest == 0 else f"{hours}h{rest}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rest = hours % 24
        return f"{hours // 24}d" if rest == 0 else f"{hours // 24}d{rest}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        rest = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if rest == 0 else f"{hours // 24 // 365}y{rest}d"
    return f"{hours // 24 // 365}y"


def since(ts: str | None, now: float) -> str:
    """``translateTimestampSince``: the age of an RFC 3339 timestamp at simulated time ``now``."""
    moment = parse_time(ts)
    if moment is None:
        return "<unknown>"
    return human_duration(now - moment)


def rfc1123z(ts: str | None) -> str:
    """Go's ``time.RFC1123Z`` as ``describe`` prints it.

    >>> rfc1123z("2025-01-01T00:00:05Z")
    'Wed, 01 Jan 2025 00:00:05 +0000'
    """
    moment = parse_time(ts)
    if moment is None:
        return "Mon, 01 Jan 0001 00:00:00 +0000"
    return (EPOCH + timedelta(seconds=moment)).strftime("%a, %d %b %Y %H:%M:%S +0000")
