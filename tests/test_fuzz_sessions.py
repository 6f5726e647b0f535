"""Fuzz: random learner sessions (apply, kubectl, kill, fail, add and remove nodes, run).

Whatever the order, only ``kl.KubelabError`` escapes, and the cluster keeps what Kubernetes
keeps: pods bound to existing nodes or Pending, one name per pod, unique pod IPs, ReplicaSet
status equal to its active pods, Endpoints listing only Ready matching pods. The same steps
give the same cluster in another process (set and dict orders never leak). A longer run:
``benchmarks/fuzz_long.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from fuzzing import check_invariants, play, steps
from hypothesis import given, settings
from hypothesis import strategies as st


@settings(max_examples=25)
@given(seed=st.integers(0, 3), actions=steps)
def test_random_sessions_keep_the_invariants(seed, actions):
    c = play(seed, actions)
    for node in ("node-1", "node-2", "node-3", "node-4"):
        if node in c.kubelets:
            c.restore_node(node)
    c.run(120)  # past the pod GC's quarantine and the controllers' back-off
    check_invariants(c)


_SCRIPT = """
import json, sys
sys.path.insert(0, {tests!r})
from fuzzing import play
c = play({seed}, [tuple(a) for a in json.loads({actions!r})])
c.run(60)
print(c.kubectl("get pods -o wide")); print(c.history.to_csv()); print(c.events.to_csv())
print(c.api.store.revision)
"""


@settings(max_examples=2)
@given(seed=st.integers(0, 3), actions=steps.filter(lambda a: len(a) >= 4))
def test_a_session_replays_identically_in_other_processes(seed, actions):
    script = _SCRIPT.format(
        tests=str(Path(__file__).parent), seed=seed, actions=json.dumps(actions)
    )
    outputs = []
    for hash_seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=hash_seed)
        run = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        )
        outputs.append(run.stdout)
    assert outputs[0] == outputs[1]
