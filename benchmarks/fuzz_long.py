"""Fuzz, longer than the test suite can afford: random sessions, manifests and YAML text.

Usage::

    python benchmarks/fuzz_long.py --sessions 500 --manifests 3000 --texts 3000

Runs the strategies and invariants of ``tests/fuzzing.py`` (the same ones the suite runs
with few examples) with many more, derandomized (the same run every time), and prints what
was tried, how many inputs were refused cleanly, the crashes (anything but
``kl.KubelabError``), the slowest input and the peak memory. Exit status 1 on a crash or a
broken invariant.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fuzzing import check_invariants, mutations, play, steps
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from workloads import peak_mib


class Tally:
    def __init__(self, name: str):
        self.name, self.tried, self.refused, self.crashes = name, 0, 0, []
        self.slowest = (0.0, None)

    def time(self, fn, example):
        self.tried += 1
        start = time.process_time()
        try:
            fn(example)
        except Exception as error:
            import kubelab as kl

            if isinstance(error, kl.KubelabError):
                self.refused += 1
            else:
                self.crashes.append((example, traceback.format_exc(limit=4)))
        spent = time.process_time() - start
        if spent > self.slowest[0]:
            self.slowest = (spent, example)

    def report(self) -> str:
        return (
            f"{self.name:<10} tried {self.tried:>6}  refused {self.refused:>6}  "
            f"crashes {len(self.crashes):>3}  slowest {self.slowest[0]:.2f} s CPU"
        )


def run(strategy, count: int, fn, tally: Tally) -> None:
    @settings(
        max_examples=count,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def sample(example):
        tally.time(fn, example)

    sample()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--manifests", type=int, default=2000)
    parser.add_argument("--texts", type=int, default=2000)
    args = parser.parse_args(argv)

    import test_fuzz_manifests as m

    import kubelab as kl

    def session(example):
        seed, actions = example
        c = play(seed, actions)
        for node in list(c.kubelets):
            c.restore_node(node)
        c.run(120)
        check_invariants(c)

    cluster = kl.Cluster(nodes=2, seed=0)
    cluster.apply(list(m.VALID.values()))

    def manifest(obj):
        before = cluster.api.store.revision
        try:
            cluster.apply(obj)
        except kl.KubelabError:
            assert cluster.api.store.revision == before, "a refused apply changed the store"
            raise
        finally:
            cluster.run(2)

    tallies = [Tally("sessions"), Tally("manifests"), Tally("yaml text")]
    start = time.perf_counter()
    run(st.tuples(st.integers(0, 9), steps), args.sessions, session, tallies[0])
    any_manifest = st.sampled_from(sorted(m.VALID)).flatmap(lambda n: mutations(m.VALID[n]))
    run(any_manifest, args.manifests, manifest, tallies[1])
    texts = st.lists(st.sampled_from(m._YAML_BITS), max_size=40).map("".join)
    run(texts, args.texts, manifest, tallies[2])
    for tally in tallies:
        print(tally.report())
    print(f"wall {time.perf_counter() - start:.0f} s, peak {peak_mib():.0f} MiB")
    crashes = [c for t in tallies for c in t.crashes]
    for example, trace in crashes[:5]:
        print("\nCRASH on", json.dumps(example, default=repr)[:400], "\n", trace)
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
