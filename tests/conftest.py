"""Shared fixtures. Plots draw off-screen; kubectl raises internal errors instead of hiding them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

# The documentation's example manifests live beside the project, never inside it.
CORPUS_DIR = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "k8s-docs-examples"


@pytest.fixture
def corpus() -> Path:
    """The docs example corpus folder; the test is skipped when it is not beside the project."""
    if not CORPUS_DIR.is_dir():
        pytest.skip("the shared corpus is not beside the project")
    return CORPUS_DIR


@pytest.fixture(autouse=True)
def _kubectl_raises_internal_errors(monkeypatch):
    # Learners see a one-line message for a kubelab bug; tests must see the traceback.
    try:
        import kubelab.kubectl as kubectl
    except ImportError:
        return
    if hasattr(kubectl, "RAISE_INTERNAL_ERRORS"):
        monkeypatch.setattr(kubectl, "RAISE_INTERNAL_ERRORS", True)


@pytest.fixture
def api():
    """A bare API server on its own clock, with the system namespaces."""
    from kubelab.apiserver import APIServer
    from kubelab.sim import Clock

    server = APIServer(Clock(), seed=0)
    for ns in ("default", "kube-system"):
        server.create(
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}, user="test"
        )
    return server


try:  # property tests: no wall-clock deadlines (CI machines are shared and slow at times)
    from hypothesis import HealthCheck, settings

    settings.register_profile(
        "kubelab", deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
    )
    settings.load_profile("kubelab")
except ImportError:  # pragma: no cover
    pass
