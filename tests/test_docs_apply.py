"""Conformance: the official Kubernetes documentation's example manifests apply to kubelab.

Reads ``../shared/corpus/k8s-docs-examples`` beside the project (skipped when absent;
the files are never copied into the project). A manifest that names a namespace the
documentation creates in an earlier step is refused exactly as a real cluster refuses
it (``namespaces "x" not found``) and applies once that namespace exists. Custom resources
are refused until their CustomResourceDefinition is applied (``no matches for kind``); the
harness then applies the CRD file of the same folder that defines that kind, as the
documentation's page does first, and retries.
"""

from __future__ import annotations

import re

import pytest
from test_docs_corpus import CORPUS_DIR, DEFECTIVE, VALID

import kubelab as kl
from kubelab.api.loader import load
from kubelab.errors import NoKindMatch


@pytest.fixture(scope="module")
def cluster_factory():
    return lambda: kl.Cluster(nodes=1, seed=0)


def crd_defining(folder, kind: str):
    """The CustomResourceDefinition file in ``folder`` whose ``spec.names.kind`` is ``kind``."""
    for path in sorted(folder.iterdir()):
        if path.suffix not in (".yaml", ".yml", ".json"):
            continue
        for doc in load(str(path)):
            obj = doc.obj
            names = (obj.get("spec") or {}).get("names") or {}
            if obj.get("kind") == "CustomResourceDefinition" and names.get("kind") == kind:
                return path
    return None


@pytest.mark.parametrize("name", VALID)
def test_valid_manifest_applies(name, cluster_factory):
    c = cluster_factory()
    path = CORPUS_DIR / name
    for _ in range(3):  # at most a namespace and a CRD are missing
        try:
            stored = c.apply(str(path))
            break
        except NoKindMatch as error:
            crd = crd_defining(path.parent, error.kind)
            assert crd is not None, f"{name}: {error}"
            c.apply(str(crd))
        except kl.NotFound as error:
            missing = re.search(r'namespaces "([^"]+)" not found', str(error))
            assert missing, f"{name}: {error}"
            c.apply(
                {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": missing.group(1)}}
            )
    else:
        pytest.fail(f"{name}: still refused after creating what it needs")
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
