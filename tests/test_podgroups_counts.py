"""A pod group's per-node counts: sparse while on few nodes, dense once spread wide; same
numbers either way."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from kubelab.scheduler.podgroups import _Counts

moves = st.lists(st.tuples(st.integers(0, 199), st.sampled_from([1, 1, -1])), max_size=300)


@settings(max_examples=60, deadline=None)
@given(moves, st.integers(1, 250))
def test_counts_equal_a_plain_array_whatever_the_representation(steps, size):
    counts, plain = _Counts(120), np.zeros(400, dtype=np.int64)
    for slot, sign in steps:
        if sign < 0 and plain[slot] == 0:
            continue  # a pod is only uncounted where it was counted
        counts.add(slot, sign, 120)
        plain[slot] += sign
    assert counts.total == plain.sum()
    assert counts.view(size).tolist() == plain[:size].tolist()
    out = np.ones(size, dtype=np.int64)
    counts.add_into(out)
    assert out.tolist() == (plain[:size] + 1).tolist()


def test_a_group_on_few_nodes_holds_no_node_sized_array():
    counts = _Counts(5000)
    for slot in range(_Counts.DENSE_AT):
        counts.add(slot * 70, 1, 5000)
    assert counts.counts is None and counts.view(5000).sum() == _Counts.DENSE_AT
    counts.add(4999, 1, 5000)  # one node more: dense from now on
    assert counts.counts is not None and counts.view(5000)[4999] == 1
