"""Conformance over the Kubernetes documentation's example manifests: load, schema, defaults.

Reads ``../shared/corpus/k8s-docs-examples`` beside the project (the module is skipped
when it is absent; the files are never copied into the project).

``CORPUS`` lists every manifest (paths relative to ``CORPUS_DIR``); ``DEFECTIVE`` maps the
ones kubelab refuses to the stage that refuses them and a fragment of the message;
``VALID`` is the rest. Importable, so the cluster-level test reuses them.

Beyond the five files the corpus README calls defective, a Kubernetes 1.37 API server
(the newest schemas kubernetes-validate ships) refuses seven more, and so does kubelab with
the same messages: fields that do not exist (``restartPolicyRules[].onExit``,
``securityContext.cgroupOptions``), stale or mistyped ones (``ipFamily``, removed in 1.20;
``gRPC`` for ``grpc``), a list where ``requiredDuringScheduling...`` takes an object, and a
LimitRange with no ``type`` and a Pod mounting a volume it does not declare, which
validation refuses.

``policy/gold-vac-pvc.yaml`` (``storageClassName: ,``) is the one file where kubelab is
deliberately stricter than a real cluster: YAML reads the empty flow value as null, which a
real API server silently treats as unset. The loader refuses it and names the line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from kubelab.api import schema
from kubelab.api.defaults import apply_defaults
from kubelab.api.loader import MANIFEST_SUFFIXES, load
from kubelab.errors import BadRequest, Invalid

CORPUS_DIR = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "k8s-docs-examples"


@dataclass(frozen=True)
class Refusal:
    """Where a defective manifest is refused (``load``, ``schema`` or ``validation``) and how."""

    stage: str
    fragment: str


DEFECTIVE: dict[str, Refusal] = {
    # the five the corpus README names
    "policy/gold-vac-pvc.yaml": Refusal("load", '"storageClassName" has no value'),
    "pods/inject/pod-multiple-secret-env-variable.yaml": Refusal(
        "load", "yaml: line 15: found a tab character that violates indentation"
    ),
    "pods/inject/pod-single-secret-env-variable.yaml": Refusal(
        "load", "error validating data: apiVersion not set"
    ),
    "pods/inject/envars-file-container.yaml": Refusal(
        "load", "yaml: line 9: found unknown escape character"
    ),
    "secret/serviceaccount/mysecretname.yaml": Refusal(
        "schema",
        "json: cannot unmarshal array into Go struct field ObjectMeta.metadata.annotations "
        "of type map[string]string",
    ),
    # refused by a 1.37 API server as well: fields that do not exist ...
    "pods/restart-policy/restart-all-containers.yaml": Refusal(
        "schema", 'unknown field "spec.initContainers[1].restartPolicyRules[0].onExit"'
    ),
    "pods/security/security-context-7.yaml": Refusal(
        "schema", 'unknown field "spec.containers[0].securityContext.cgroupOptions"'
    ),
    # ... and stale or mistyped ones
    "pods/probe/grpc-liveness.yaml": Refusal(
        "schema", 'unknown field "spec.containers[0].livenessProbe.gRPC"'
    ),
    "service/networking/dual-stack-ipv6-svc.yaml": Refusal(
        "schema", 'unknown field "spec.ipFamily"'
    ),
    "service/networking/dual-stack-ipv6-lb-svc.yaml": Refusal(
        "schema", 'unknown field "spec.ipFamily"'
    ),
    "pods/pod-with-node-affinity.yaml": Refusal(
        "schema",
        "json: cannot unmarshal array into Go struct field NodeAffinity.spec.affinity.nodeAffinity."
        "requiredDuringSchedulingIgnoredDuringExecution of type v1.NodeSelector",
    ),
    # no `type`: semantic validation refuses it (validateLimitRangeTypeName on "")
    "concepts/policy/limit-range/problematic-limit-range.yaml": Refusal(
        "validation", "spec.limits[0].type"
    ),
    # the mount names "token-vol" but the volume is "root-certificates-vol"
    "pods/storage/projected-clustertrustbundle.yaml": Refusal(
        "validation", 'spec.containers[0].volumeMounts[0].name: Not found: "token-vol"'
    ),
}

if not CORPUS_DIR.is_dir():
    pytest.skip("the shared corpus is not beside the project", allow_module_level=True)

CORPUS: list[str] = sorted(
    p.relative_to(CORPUS_DIR).as_posix()
    for p in CORPUS_DIR.rglob("*")
    if p.is_file() and p.suffix in MANIFEST_SUFFIXES
)
VALID: list[str] = [name for name in CORPUS if name not in DEFECTIVE]


def test_corpus_is_complete():
    assert len(CORPUS) == 320
    assert set(DEFECTIVE) <= set(CORPUS)
    assert len(VALID) == 320 - len(DEFECTIVE)


@pytest.mark.parametrize("name", VALID)
def test_valid_manifest_loads_passes_schema_and_defaults(name):
    docs = load(name, base_dir=CORPUS_DIR)
    assert docs, name
    for doc in docs:
        assert doc.origin == name and doc.line >= 1
        assert schema.check(doc.obj) == [], name
        schema.raise_for_schema(doc.obj, doc.origin)
        before = repr(doc.obj)
        defaulted = apply_defaults(doc.obj)
        assert repr(doc.obj) == before, "defaulting mutated its input"
        assert apply_defaults(defaulted) == defaulted, "defaulting is not idempotent"
        assert schema.check(defaulted) == [], "defaults broke the schema"


@pytest.mark.parametrize("name", sorted(DEFECTIVE))
def test_defective_manifest_is_refused_clearly(name):
    refusal = DEFECTIVE[name]
    if refusal.stage == "load":
        with pytest.raises(Invalid) as err:
            load(name, base_dir=CORPUS_DIR)
        assert refusal.fragment in str(err.value)
        assert name in str(err.value)  # the file is named
        return
    (doc,) = load(name, base_dir=CORPUS_DIR)
    if refusal.stage == "schema":
        with pytest.raises(BadRequest) as err:
            schema.raise_for_schema(doc.obj, doc.origin)
        assert refusal.fragment in str(err.value)
        assert f'error when creating "{name}"' in str(err.value)
    else:  # decoding accepts it; semantic validation refuses it (see test_docs_apply.py)
        schema.raise_for_schema(doc.obj, doc.origin)
