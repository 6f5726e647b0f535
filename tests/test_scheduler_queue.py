"""The scheduling queue: PrioritySort, backoff, unschedulable pods and moves."""

from __future__ import annotations

import pytest

from kubelab.scheduler.queue import SchedulingQueue, backoff_duration


@pytest.mark.parametrize(
    ("attempts", "seconds"), [(0, 0), (1, 1), (2, 2), (3, 4), (4, 8), (5, 10), (50, 10)]
)
def test_backoff_doubles_to_ten_seconds(attempts, seconds):
    assert backoff_duration(attempts) == seconds


def test_priority_then_timestamp():
    q = SchedulingQueue()
    q.add(("ns", "a"), "a", priority=0, now=0)
    q.add(("ns", "b"), "b", priority=0, now=1)
    q.add(("ns", "c"), "c", priority=10, now=2)
    assert [q.pop(2).key[1] for _ in range(3)] == ["c", "a", "b"]
    assert q.pop(2) is None


def test_unschedulable_waits_for_a_move_then_backs_off():
    q = SchedulingQueue()
    q.add(("ns", "p"), "p", priority=0, now=0)
    qp = q.pop(0)
    q.requeue_unschedulable(qp, now=0)
    assert q.pop(0) is None and q.has_unschedulable()
    assert q.move_all_to_active_or_backoff(now=0.5) == 1
    assert q.pop(0.5) is None  # still backing off: 1 s after the failure at t=0
    assert q.next_backoff_expiry() == 1.0
    q.flush_backoff_completed(1.0)
    qp = q.pop(1.0)
    assert qp.key == ("ns", "p") and qp.attempts == 2
    q.requeue_unschedulable(qp, now=1.0)
    q.move_all_to_active_or_backoff(now=10.0)  # the 2 s backoff is over: straight to activeQ
    assert q.pop(10.0).attempts == 3
    assert q.counts()["in-flight"] == 1


def test_leftover_flush_after_five_minutes():
    q = SchedulingQueue()
    q.add(("ns", "p"), "p", priority=0, now=0)
    q.requeue_unschedulable(q.pop(0), now=0)
    q.flush_unschedulable_leftover(300)
    assert q.pop(300) is None
    q.flush_unschedulable_leftover(330)
    assert q.pop(330).key == ("ns", "p")


def test_delete_and_update():
    q = SchedulingQueue()
    q.add(("ns", "a"), "a", priority=0, now=0)
    q.add(("ns", "b"), "b", priority=0, now=0)
    q.delete(("ns", "a"))
    q.update(("ns", "b"), "b2", priority=5, now=1)
    qp = q.pop(1)
    assert (qp.key, qp.info, qp.priority) == (("ns", "b"), "b2", 5)
    assert q.pop(1) is None
    # A pod deleted while in flight is not requeued.
    q.delete(qp.key)
    q.requeue_unschedulable(qp, now=1)
    assert len(q) == 0 and not q.has_unschedulable()
