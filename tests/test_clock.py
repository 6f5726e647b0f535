"""The event core: ordering, cancellation, run_until's stop condition, the livelock guard."""

from __future__ import annotations

import pytest

from kubelab.sim import LATE, URGENT, Clock, clock


def test_same_instant_runs_by_priority_then_order():
    c, seen = Clock(), []
    c.call_later(1, seen.append, "late", priority=LATE)
    c.call_later(1, seen.append, "first")
    c.call_later(1, seen.append, "second")
    c.call_later(1, seen.append, "urgent", priority=URGENT)
    c.run_until(1)
    assert seen == ["urgent", "first", "second", "late"]


def test_run_until_stops_at_the_first_instant_the_condition_holds():
    c, seen = Clock(), []
    for t in (1, 2, 3):
        c.call_at(t, seen.append, t)
    assert c.run_until(10, stop=lambda: 2 in seen) is True
    assert c.now == 2 and seen == [1, 2]


def test_a_callback_that_reschedules_itself_forever_is_an_error_not_a_hang(monkeypatch):
    monkeypatch.setattr(clock, "MAX_CALLBACKS_PER_INSTANT", 1000)
    c = Clock()

    def again():
        c.call_later(0, again)

    c.call_later(5, again)
    with pytest.raises(RuntimeError, match=r"stuck at t=5s .*again"):
        c.run_until(10)
