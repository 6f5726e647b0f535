"""The %kubectl magic, in a real IPython shell."""

from __future__ import annotations

import pytest

import kubelab as kl
from kubelab import magic

InteractiveShell = pytest.importorskip("IPython.core.interactiveshell").InteractiveShell


@pytest.fixture
def shell():
    ip = InteractiveShell.instance()
    ip.user_ns.clear()
    magic.use(None)
    magic._latest = None
    magic.load_ipython_extension(ip)
    yield ip
    magic.unload_ipython_extension(ip)
    magic.use(None)
    magic._latest = None
    ip.user_ns.clear()


def run(ip, code):
    result = ip.run_cell(code, store_history=False)
    result.raise_error()
    return result


def test_line_magic_prints_kubectl_output(shell, capsys):
    run(shell, "import kubelab as kl\nc = kl.Cluster(nodes=2, seed=0)")
    capsys.readouterr()
    run(shell, "%kubectl get nodes")
    out = capsys.readouterr().out
    assert out.startswith("NAME")
    assert "node-1" in out and "node-2" in out
    run(shell, "%kubectl kubectl get pod nope")  # a typed "kubectl" is forgiven
    assert "NotFound" in capsys.readouterr().out


def test_the_latest_assigned_cluster_is_current(shell, capsys):
    run(shell, "import kubelab as kl\nc = kl.Cluster(nodes=1, seed=0)")
    run(shell, "c3 = kl.Cluster(nodes=3, seed=0)")
    capsys.readouterr()
    run(shell, "%kubectl get nodes")
    assert "node-3" in capsys.readouterr().out
    # A new cluster in the same cell as the magic is current already.
    run(shell, "c = kl.Cluster(nodes=2, seed=0)\n%kubectl get nodes")
    out = capsys.readouterr().out
    assert "node-2" in out and "node-3" not in out


def test_use_picks_a_cluster(shell, capsys):
    run(
        shell,
        "import kubelab as kl\na = kl.Cluster(nodes=1, seed=0)\nb = kl.Cluster(nodes=2, seed=0)",
    )
    magic.use(shell.user_ns["a"])
    capsys.readouterr()
    run(shell, "%kubectl get nodes")
    assert "node-2" not in capsys.readouterr().out
    with pytest.raises(TypeError):
        magic.use("cluster")


def test_cell_magic_runs_each_line(shell, capsys):
    run(shell, "import kubelab as kl\nc = kl.Cluster(nodes=1, seed=0)")
    capsys.readouterr()
    run(shell, "%%kubectl\n# nodes first\nget nodes\n\nget pods\n")
    out = capsys.readouterr().out
    assert "$ kubectl get nodes" in out and "$ kubectl get pods" in out
    assert "No resources found in default namespace." in out


def test_without_a_cluster_the_magic_says_what_to_do(shell, capsys):
    run(shell, "%kubectl get pods")
    assert "c = kl.Cluster" in capsys.readouterr().out
    run(shell, "%kubectl")
    assert "%kubectl get pods" in capsys.readouterr().out


def test_current_falls_back_to_the_variables():
    magic.use(None)
    magic._latest = None
    one = kl.Cluster(nodes=1, seed=0)
    assert magic.current({"x": one}) is one
    two = kl.Cluster(nodes=1, seed=0)
    assert magic.current({"c": one, "d": two}) is one
    with pytest.raises(LookupError, match="several clusters"):
        magic.current({"a": one, "b": two})
