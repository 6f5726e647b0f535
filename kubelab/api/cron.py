"""Cron schedules as a CronJob reads them (``robfig/cron/v3``'s ``ParseStandard``).

Five fields (minute, hour, day of month, month, day of week), ``*``, ``?``, lists, ranges,
steps and month/day names, or a descriptor (``@hourly``, ``@daily``, ``@every 5m`` ...),
optionally after ``TZ=``/``CRON_TZ=``. :func:`parse` raises :class:`CronError` with
robfig's message (what the API server puts in ``spec.schedule: Invalid value``);
:meth:`Schedule.next` is the next activation strictly after a moment (seconds since
kubelab's epoch), in the schedule's time zone.

Examples
--------
>>> s = parse("*/15 9-17 * * MON-FRI")
>>> from kubelab.api.meta import timestamp
>>> timestamp(s.next(0))            # the epoch, 2025-01-01, is a Wednesday
'2025-01-01T09:00:00Z'
>>> timestamp(parse("@hourly").next(3600))
'2025-01-01T02:00:00Z'
>>> parse("* * * *")
Traceback (most recent call last):
...
kubelab.api.cron.CronError: expected exactly 5 fields, found 4: [* * * *]
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kubelab.api.meta import EPOCH

__all__ = ["CronError", "Schedule", "parse", "valid_time_zone"]


class CronError(ValueError):
    """A schedule robfig/cron refuses; ``str()`` is its error text."""


@dataclass(frozen=True)
class _Bounds:
    low: int
    high: int
    names: dict


_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}
_DAYS = {d: i for i, d in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}
_FIELDS = (
    _Bounds(0, 59, {}),  # minute
    _Bounds(0, 23, {}),  # hour
    _Bounds(1, 31, {}),  # day of month
    _Bounds(1, 12, _MONTHS),
    _Bounds(0, 6, _DAYS),
)
_DESCRIPTORS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule: allowed values per field, or a fixed interval (``@every``)."""

    minutes: frozenset = frozenset()
    hours: frozenset = frozenset()
    doms: frozenset = frozenset()
    months: frozenset = frozenset()
    dows: frozenset = frozenset()
    dom_star: bool = False
    dow_star: bool = False
    every: float = 0.0
    zone: str = ""

    def next(self, after: float, zone: str | None = None) -> float | None:
        """The first activation strictly after ``after`` (None: none within five years).

        ``zone`` (the CronJob's ``spec.timeZone``) applies when the schedule names none.
        """
        if self.every:
            # robfig's ConstantDelaySchedule: whole seconds, from the given moment
            return float(int(after) + int(self.every))
        tz = ZoneInfo(self.zone or zone or "UTC")
        t = (EPOCH + timedelta(seconds=int(after))).astimezone(tz)
        t = t.replace(second=0, microsecond=0) + timedelta(minutes=1)
        limit = t.year + 5
        while t.year <= limit:
            if t.month not in self.months:
                t = (t.replace(day=1, hour=0, minute=0) + timedelta(days=32)).replace(day=1)
                continue
            if not self._day_matches(t):
                t = t.replace(hour=0, minute=0) + timedelta(days=1)
                continue
            if t.hour not in self.hours:
                t = t.replace(minute=0) + timedelta(hours=1)
                continue
            if t.minute not in self.minutes:
                t += timedelta(minutes=1)
                continue
            return (t.astimezone(EPOCH.tzinfo) - EPOCH).total_seconds()
        return None

    def _day_matches(self, t: datetime) -> bool:
        dom = t.day in self.doms
        dow = (t.isoweekday() % 7) in self.dows
        if self.dom_star or self.dow_star:  # robfig: either star → both must match
            return dom and dow
        return dom or dow


def valid_time_zone(name: str) -> bool:
    """Whether ``name`` is a time zone the IANA database knows (``time.LoadLocation``)."""
    if not name or name.startswith(("/", ".")) or name == "Local":
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def parse(spec: str) -> Schedule:
    """Parse a standard (5-field) cron spec or descriptor; raises :class:`CronError`.

    >>> parse("@every 90s").every
    90.0
    >>> parse("0 0 31 2 *").doms
    frozenset({31})
    >>> parse("61 * * * *")
    Traceback (most recent call last):
    ...
    kubelab.api.cron.CronError: end of range (61) above maximum (59): 61
    """
    if not spec:
        raise CronError("empty spec string")
    zone = ""
    if spec.startswith(("TZ=", "CRON_TZ=")):
        head, _, spec = spec.partition(" ")
        zone = head.split("=", 1)[1]
        if not valid_time_zone(zone):
            raise CronError(f"provided bad location {zone}: unknown time zone {zone}")
    spec = spec.strip()
    if spec.startswith("@"):
        if spec.startswith("@every "):
            seconds = _go_duration(spec[len("@every ") :].strip())
            return Schedule(every=max(1.0, float(int(seconds))), zone=zone)
        if spec not in _DESCRIPTORS:
            raise CronError(f"unrecognized descriptor: {spec}")
        spec = _DESCRIPTORS[spec]
    fields = spec.split()
    if len(fields) != 5:
        raise CronError(f"expected exactly 5 fields, found {len(fields)}: [{' '.join(fields)}]")
    values = [_field(text, bounds) for text, bounds in zip(fields, _FIELDS, strict=True)]
    # robfig: day of week 7 is Sunday as well
    return Schedule(
        minutes=values[0],
        hours=values[1],
        doms=values[2],
        months=values[3],
        dows=values[4],
        dom_star=fields[2] in ("*", "?"),
        dow_star=fields[4] in ("*", "?"),
        zone=zone,
    )


def _field(text: str, bounds: _Bounds) -> frozenset:
    out: set[int] = set()
    for part in text.split(","):
        out |= _range(part, bounds)
    return frozenset(out)


def _range(expr: str, b: _Bounds) -> set[int]:
    range_and_step = expr.split("/")
    low_and_high = range_and_step[0].split("-")
    single = len(low_and_high) == 1
    if low_and_high[0] in ("*", "?"):
        start, end = b.low, b.high
    else:
        start = _value(low_and_high[0], b.names)
        if len(low_and_high) == 1:
            end = start
        elif len(low_and_high) == 2:
            end = _value(low_and_high[1], b.names)
        else:
            raise CronError(f"too many hyphens: {expr}")
    if len(range_and_step) == 1:
        step = 1
    elif len(range_and_step) == 2:
        step = _number(range_and_step[1])
        if single and low_and_high[0] not in ("*", "?"):
            end = b.high  # "N/step" means N-max/step
    else:
        raise CronError(f"too many slashes: {expr}")
    if start < b.low:
        raise CronError(f"beginning of range ({start}) below minimum ({b.low}): {expr}")
    if end > b.high:
        raise CronError(f"end of range ({end}) above maximum ({b.high}): {expr}")
    if start > end:
        raise CronError(f"beginning of range ({start}) beyond end of range ({end}): {expr}")
    if step == 0:
        raise CronError(f"step of range should be a positive number: {expr}")
    return set(range(start, end + 1, step))


def _value(text: str, names: dict) -> int:
    named = names.get(text.lower())
    return named if named is not None else _number(text)


def _number(text: str) -> int:
    if not text or not (text.isdigit() or (text[0] == "-" and text[1:].isdigit())):
        raise CronError(
            f'failed to parse int from {text}: strconv.Atoi: parsing "{text}": invalid syntax'
        )
    if len(text.lstrip("-")) > 18:  # beyond int64: Go's Atoi says "value out of range"
        raise CronError(
            f'failed to parse int from {text}: strconv.Atoi: parsing "{text}": value out of range'
        )
    value = int(text)
    if value < 0:
        raise CronError(f"negative number ({value}) not allowed: {text}")
    return value


_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def _go_duration(text: str) -> float:
    """``time.ParseDuration`` for ``@every`` (``1h30m``, ``90s``)."""
    import re

    parts = re.findall(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise CronError(f'failed to parse duration @every {text}: time: invalid duration "{text}"')
    seconds = sum(float(n) * _UNITS[u] for n, u in parts)
    if seconds > (2**63 - 1) / 1e9:  # a Go Duration is int64 nanoseconds
        raise CronError(f'failed to parse duration @every {text}: time: invalid duration "{text}"')
    return seconds
