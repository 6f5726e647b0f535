"""Conformance: the official Kubernetes documentation's example manifests apply to kubelab.

Reads ``../shared/corpus/k8s-docs-examples`` beside the project (skipped when absent;
the files are never copied into the project). A manifest that names a namespace the
documentation creates in an earlier step is refused exactly as a real cluster refuses
it (``namespaces "x" not found``) and applies once that namespace exists.
"""

from __future__ import annotations

import re

import pytest
from test_docs_corpus import CORPUS_DIR, DEFECTIVE, VALID

import kubelab as kl


@pytest.fixture(scope="module")
def cluster_factory():
    return lambda: kl.Cluster(nodes=1, seed=0)


@pytest.mark.parametrize("name", VALID)
def test_valid_manifest_applies(name, cluster_factory):
    c = cluster_factory()
    path = CORPUS_DIR / name
    try:
        stored = c.apply(str(path))
    except kl.NotFound as error:
        missing = re.search(r'namespaces "([^"]+)" not found', str(error))
        assert missing, f"{name}: {error}"
        c.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": missing.group(1)}})
        stored = c.apply(str(path))
    assert stored, name
    for obj in stored:
        assert obj["metadata"]["uid"] and obj["metadata"]["resourceVersion"]
    c.run(5)  # the control plane takes it from there without crashing


@pytest.mark.parametrize("name", sorted(DEFECTIVE))
def test_defective_manifest_is_refused_and_changes_nothing(name, cluster_factory):
    c = cluster_factory()
    before = c.api.store.revision
    with pytest.raises(kl.KubelabError) as err:
        c.apply(str(CORPUS_DIR / name))
    message = str(err.value)
    assert DEFECTIVE[name].fragment in message, message
    assert "Traceback" not in message
    assert c.api.store.revision == before
