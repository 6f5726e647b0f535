"""Property: the same seed and the same calls give the same history, whatever the calls are."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

import kubelab as kl


def replicaset(name: str, replicas: int) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.25"}]},
            },
        },
    }


actions = st.lists(
    st.one_of(
        st.tuples(st.just("apply"), st.sampled_from(["a", "b"]), st.integers(0, 5)),
        st.tuples(st.just("kill"), st.integers(0, 20)),
        st.tuples(st.just("fail"), st.integers(1, 3)),
        st.tuples(st.just("restore"), st.integers(1, 3)),
        st.tuples(st.just("run"), st.floats(0, 120)),
    ),
    max_size=8,
)


def play(seed: int, steps) -> tuple:
    c = kl.Cluster(nodes=3, seed=seed)
    for step in steps:
        match step:
            case ("apply", name, n):
                c.apply(replicaset(name, n))
            case ("kill", i):
                pods = c.list("pods")
                if pods:
                    c.kill_pod(pods[i % len(pods)]["metadata"]["name"])
            case ("fail", i):
                c.fail_node(f"node-{i}")
            case ("restore", i):
                c.restore_node(f"node-{i}")
            case ("run", seconds):
                c.run(seconds)
    c.run(30)
    return c.history, c.events, c.kubectl("get pods -o wide"), c.api.store.revision


@settings(max_examples=15)
@given(seed=st.integers(0, 3), steps=actions)
def test_same_seed_and_calls_give_identical_history(seed, steps):
    h1, e1, table1, rev1 = play(seed, steps)
    h2, e2, table2, rev2 = play(seed, steps)
    assert h1.equals(h2)
    assert e1.equals(e2)
    assert table1 == table2 and rev1 == rev2


SCRIPT = """
import kubelab as kl
c = kl.Cluster(nodes=3, seed=4)
c.apply({manifest!r})
c.run(20); c.kill_pod(c.list("pods")[0]["metadata"]["name"]); c.fail_node("node-2"); c.run(400)
print(c.kubectl("get pods -o wide")); print(c.history.to_csv()); print(c.events.to_csv())
"""


def test_results_do_not_depend_on_the_process_hash_seed():
    """Notebooks re-run in new processes: set and dict orders must not leak into results."""
    import os
    import subprocess
    import sys

    script = SCRIPT.format(manifest=replicaset("web", 4))
    outputs = []
    for hash_seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=hash_seed)
        run = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        )
        outputs.append(run.stdout)
    assert outputs[0] == outputs[1]
    assert "web-" in outputs[0]
