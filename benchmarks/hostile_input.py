"""Benchmark: hostile manifests into ``c.apply`` / ``kubectl apply -f``; time and peak memory each.

Every attack runs in a fresh subprocess (so a crash would show as one, and peak memory is
its own): the cluster is built first, then the attack is timed. The table shows wall time
of the apply alone, the process's peak resident memory before and after, and the first
line of the answer. Each answer must be a clean kubelab error, never a crash or a hang.

    python benchmarks/hostile_input.py            # every attack
    python benchmarks/hostile_input.py lol-flow   # some
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from itertools import pairwise

from workloads import peak_mib

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n"


def _laughs(style: str) -> str:
    names = [f"l{i}" for i in range(9)]
    if style == "flow":
        head = f"{names[0]}: &{names[0]} [" + ", ".join(['"lol"'] * 9) + "]"
        body = [f"{n}: &{n} [" + ", ".join([f"*{p}"] * 9) + "]" for p, n in pairwise(names)]
        return "\n".join([head, *body]) + "\n"
    if style == "block":
        lines = [f"{names[0]}: &{names[0]}"] + [f"  - lol{i}" for i in range(9)]
        for p, n in pairwise(names):
            lines += [f"{n}: &{n}"] + [f"  - *{p}"] * 9
        return "\n".join(lines) + "\n"
    keys = ", ".join(f"k{i}: {i}" for i in range(9))
    body = [f"{n}: &{n} [" + ", ".join([f"{{<<: *{p}}}"] * 9) + "]" for p, n in pairwise(names)]
    return "\n".join([f"{names[0]}: &{names[0]} {{{keys}}}", *body]) + "\n"


def _deep_dict() -> dict:
    root = leaf = {}
    for _ in range(100_000):
        leaf["a"] = {}
        leaf = leaf["a"]
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "d"}, "data": root}


def _self_ref() -> dict:
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "s"}}
    obj["data"] = obj
    return obj


def _shared() -> dict:
    shared = ["x"] * 1000
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "s"},
        "data": {"k": [[shared] * 1000] * 1000},
    }


def _deployment(replicas: str) -> str:
    return (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n"
        f"  replicas: {replicas}\n  selector: {{matchLabels: {{app: web}}}}\n  template:\n"
        "    metadata: {labels: {app: web}}\n    spec: {containers: [{name: a, image: nginx}]}\n"
    )


def _file(name: str, data: bytes) -> str:
    path = os.path.join(tempfile.mkdtemp(), name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def _fifo() -> str:
    path = os.path.join(tempfile.mkdtemp(), "pipe.yaml")
    os.mkfifo(path)
    return path


def _folder(count: int) -> str:
    folder = tempfile.mkdtemp()
    for i in range(count):
        with open(os.path.join(folder, f"cm{i:05}.yaml"), "w") as f:
            f.write(CM.replace("name: cm", f"name: c{i}"))
    return folder


# name -> (how: "apply" for c.apply, "kubectl" for a command line with {path}, build the input)
ATTACKS = {
    "lol-flow": ("apply", lambda: _laughs("flow")),
    "lol-block": ("apply", lambda: _laughs("block")),
    "lol-merge": ("apply", lambda: _laughs("merge")),
    "recursive-alias": ("apply", lambda: "x: &a [*a]\n"),
    "deep-yaml-flow": ("apply", lambda: "a: " + "[" * 200_000 + "]" * 200_000),
    "deep-yaml-dashes": ("apply", lambda: "- " * 200_000 + "x"),
    "deep-json": ("apply", lambda: "[" * 200_000 + "]" * 200_000),
    "deep-dict": ("apply", _deep_dict),
    "self-ref-dict": ("apply", _self_ref),
    "shared-list-1e9": ("apply", _shared),
    "4MiB-object": ("apply", lambda: CM + "data: {k: '" + "x" * (4 << 20) + "'}\n"),
    "20MiB-text": ("apply", lambda: "#" + "x" * (20 << 20)),
    "100k-documents": (
        "apply",
        lambda: "".join(CM.replace("name: cm", f"name: c{i}") + "---\n" for i in range(100_000)),
    ),
    "invalid-utf8": ("apply", lambda: b"apiVersion: v1\nkind: \xff\n"),
    "lone-surrogate": ("apply", lambda: CM + "data: {k: \ud800}\n"),
    "5000-digit-int": ("apply", lambda: _deployment("9" * 5000)),
    "replicas-2^31": ("apply", lambda: _deployment("2147483648")),
    "replicas-1e400": ("apply", lambda: _deployment("1e400")),
    "replicas-.inf": ("apply", lambda: _deployment(".inf")),
    "memory-99..9Ei": (
        "apply",
        lambda: "apiVersion: v1\nkind: Pod\nmetadata: {name: q}\nspec: {containers: [{name: a, "
        "image: nginx, resources: {requests: {memory: 99999999999999999999999Ei}}}]}\n",
    ),
    "duplicate-keys": (
        "apply",
        lambda: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n",
    ),
    "null-key": ("apply", lambda: CM + "data: {null: x}\n"),
    "complex-key": ("apply", lambda: CM + "data:\n  ? [a]\n  : x\n"),
    "empty": ("apply", lambda: ""),
    "source-42": ("apply", lambda: 42),
    "source-None": ("apply", lambda: None),
    # the most work the limits still allow
    "490k-values": ("apply", lambda: CM + "data: [" + ",".join(["1"] * 490_000) + "]\n"),
    "aliases-99%": (
        "apply",
        lambda: "a: &a [" + ",".join(["1"] * 99) + "]\nb: [" + ",".join(["*a"] * 3900) + "]\n",
    ),
    "1000-configmaps": (
        "apply",
        lambda: "".join(CM.replace("name: cm", f"name: c{i}") + "---\n" for i in range(1000)),
    ),
    "kubectl-/dev/null": ("kubectl", lambda: "/dev/null"),
    "kubectl-/dev/zero": ("kubectl", lambda: "/dev/zero"),
    "kubectl-fifo": ("kubectl", _fifo),
    "kubectl-binary-file": ("kubectl", lambda: _file("bin.yaml", bytes(range(256)) * 4096)),
    "kubectl-5000-files": ("kubectl", lambda: _folder(5000)),
}


def run_one(name: str) -> None:
    import kubelab as kl

    how, build = ATTACKS[name]
    cluster = kl.Cluster(nodes=1, seed=0)
    source = build()
    cluster.apply(CM)  # warm up: first-use imports and caches are not the attack's cost
    cluster.kubectl("get configmaps")
    revision = cluster.api.store.revision
    before = peak_mib()
    start = time.perf_counter()
    if how == "apply":
        try:
            answer = f"applied {len(cluster.apply(source))} objects"
        except kl.KubelabError as error:
            answer = f"{type(error).__name__}: {error}"
    else:
        answer = cluster.kubectl(f"apply -f {source}")
    elapsed = time.perf_counter() - start
    stored = (
        ""
        if cluster.api.store.revision == revision or answer.startswith("applied")
        else " (STORED SOMETHING)"
    )
    first = answer.splitlines()[0] if answer else ""
    print(f"{elapsed:8.3f}\t{before:6.0f}\t{peak_mib():6.0f}\t{first[:110]}{stored}")


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--one"]:
        run_one(argv[1])
        return 0
    names = argv or list(ATTACKS)
    print(f"{'attack':22} {'seconds':>8} {'peak MiB':>17}  answer")
    failures = 0
    for name in names:
        done = subprocess.run(
            [sys.executable, __file__, "--one", name], capture_output=True, text=True, timeout=600
        )
        if done.returncode != 0:
            failures += 1
            print(f"{name:22} CRASHED rc={done.returncode}: {done.stderr.strip()[-200:]}")
            continue
        elapsed, before, after, answer = done.stdout.rstrip("\n").split("\t", 3)
        print(f"{name:22} {elapsed} {before:>7} -> {after:>6}  {answer}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
