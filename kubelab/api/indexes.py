"""Index sets of Indexed Jobs as the API writes them: ``"1,3-5,7"``.

``status.completedIndexes``, ``status.failedIndexes`` and a success policy's
``succeededIndexes`` are ordered, non-overlapping intervals in this text form
(upstream ``indexed_job_utils.go``: ``parseIndexesFromString``, ``String``).

Examples
--------
>>> parse_indexes("0,2-3", 10)
[(0, 0), (2, 3)]
>>> format_indexes({0, 1, 2, 5, 7, 8})
'0-2,5,7,8'
>>> sorted(indexes_set("1,3-4", 5))
[1, 3, 4]
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["format_indexes", "indexes_set", "parse_indexes"]


def parse_indexes(text: str, completions: int) -> list[tuple[int, int]]:
    """Intervals ``(first, last)`` of ``text``; ``ValueError`` when malformed, out of
    ``[0, completions)``, overlapping or unordered (the validation's messages)."""
    out: list[tuple[int, int]] = []
    if not text:
        return out
    previous = -1
    for part in text.split(","):
        first_text, sep, last_text = part.partition("-")
        try:
            first = int(first_text)
            last = int(last_text) if sep else first
        except ValueError:
            raise ValueError(f'cannot convert string to integer for index: "{part}"') from None
        if first < 0 or last < 0:
            raise ValueError(f"index must be >= 0, got {min(first, last)}")
        if last >= completions:
            raise ValueError(f"too large index: {last}")
        if first > last:
            raise ValueError(f"non-increasing order, previous: {first}, current: {last}")
        if first <= previous:
            raise ValueError(f"overlapping intervals, previous: {previous}, current: {first}")
        out.append((first, last))
        previous = last
    return out


def indexes_set(text: str | None, completions: int) -> set[int]:
    """The indexes of ``text``, ignoring what does not parse or is out of range (as the
    controller reads its own status)."""
    found: set[int] = set()
    for part in (text or "").split(","):
        first_text, sep, last_text = part.partition("-")
        try:
            first = int(first_text)
            last = int(last_text) if sep else first
        except ValueError:
            continue
        found.update(i for i in range(first, last + 1) if 0 <= i < completions)
    return found


def format_indexes(indexes: Iterable[int]) -> str:
    """The compact text of a set of indexes (runs of three or more become ``a-b``)."""
    ordered = sorted(set(indexes))
    parts: list[str] = []
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        if i == j:
            parts.append(str(ordered[i]))
        else:  # orderedIntervals.String: two neighbours are "a,b", longer runs "a-b"
            parts.append(f"{ordered[i]}{',' if j == i + 1 else '-'}{ordered[j]}")
        i = j + 1
    return ",".join(parts)
