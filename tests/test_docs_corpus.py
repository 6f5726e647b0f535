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

The corpus grew to 416 files with the kinds now in scope (its README's last section): RBAC,
ServiceAccounts, NetworkPolicies, a PriorityClass, HorizontalPodAutoscalers,
ValidatingAdmissionPolicies and their bindings, CustomResourceDefinitions and custom resources,
Jobs, CronJobs and StatefulSets, and two ``kind: List`` files. Refused among them, as a current
API server (or kubectl, before sending anything) refuses them:

* API versions no default API server serves (kubectl finds no REST mapping: ``no matches for
  kind ... ensure CRDs are installed first``): PodPreset ``settings.k8s.io/v1alpha1`` (removed in
  1.20), CronJob ``batch/v1beta1`` (removed in 1.25), ValidatingAdmissionPolicy(Binding)
  ``v1alpha1``/``v1beta1`` (off by default), and the custom resources of a CRD that is refused;
* ``storage/test-crd*.yaml``: ``caBundle: <CABundle info>`` is not base64 (decoding fails first;
  the upper-case plural would be refused next);
* ``binding-with-param-prod.yaml``: ``paramRef.parameterNotFoundAction`` has no default in v1;
* ``failure-policy-ignore.yaml``: a ``...`` document-end marker inside the snippet;
* ``job-tmpl.yaml`` (``$ITEM`` in the name) and ``job-success-policy-example.yaml`` (no name, no
  ``restartPolicy``): refused by Job validation.

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
from kubelab.apiserver import APIServer
from kubelab.errors import BadRequest, Invalid, NoKindMatch
from kubelab.sim import Clock

CORPUS_DIR = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "k8s-docs-examples"


@dataclass(frozen=True)
class Refusal:
    """Where a defective manifest is refused and how.

    ``stage`` is ``load``, ``mapping`` (kubectl finds no REST mapping for the kind and
    version), ``schema`` or ``validation``.
    """

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
    # the kinds now in scope: API versions a default API server does not serve ...
    "podpreset/allow-db.yaml": Refusal(
        "mapping", 'no matches for kind "PodPreset" in version "settings.k8s.io/v1alpha1"'
    ),
    "podpreset/proxy.yaml": Refusal(
        "mapping", 'no matches for kind "PodPreset" in version "settings.k8s.io/v1alpha1"'
    ),
    "application/job/cronjob.yaml": Refusal(
        "mapping", 'no matches for kind "CronJob" in version "batch/v1beta1"'
    ),
    **{
        name: Refusal(
            "mapping",
            f'no matches for kind "{kind}" in version "admissionregistration.k8s.io/{version}"',
        )
        for name, kind, version in (
            ("access/deployment-replicas-policy.yaml", "ValidatingAdmissionPolicy", "v1alpha1"),
            (
                "access/validating-admission-policy-audit-annotation.yaml",
                "ValidatingAdmissionPolicy",
                "v1alpha1",
            ),
            (
                "access/validating-admission-policy-match-conditions.yaml",
                "ValidatingAdmissionPolicy",
                "v1alpha1",
            ),
            (
                "access/image-matches-namespace-environment.policy.yaml",
                "ValidatingAdmissionPolicy",
                "v1beta1",
            ),
            ("validatingadmissionpolicy/typechecking.yaml", "ValidatingAdmissionPolicy", "v1beta1"),
            (
                "validatingadmissionpolicy/basic-example-binding.yaml",
                "ValidatingAdmissionPolicyBinding",
                "v1alpha1",
            ),
        )
    },
    # ... custom resources whose CRD is refused (below) ...
    "storage/cr1.yaml": Refusal(
        "mapping", 'no matches for kind "SelfieRequest" in version "stable.example.com/v1"'
    ),
    "storage/cr2.yaml": Refusal(
        "mapping", 'no matches for kind "SelfieRequest" in version "stable.example.com/v2"'
    ),
    # ... a placeholder caBundle (the decoder fails before validation sees the names) ...
    "storage/test-crd.yaml": Refusal("schema", "illegal base64 data at input byte 0"),
    "storage/test-crd-v2.yaml": Refusal("schema", "illegal base64 data at input byte 0"),
    # ... a v1 binding without parameterNotFoundAction, a snippet cut by `...` ...
    "validatingadmissionpolicy/binding-with-param-prod.yaml": Refusal(
        "validation", "spec.paramRef.parameterNotFoundAction: Required value"
    ),
    "validatingadmissionpolicy/failure-policy-ignore.yaml": Refusal(
        "load", "yaml: line 5: did not find expected <document start>"
    ),
    # ... and two Job templates (refused by Job validation, once kubelab serves Jobs)
    "application/job/job-tmpl.yaml": Refusal(
        "validation", 'metadata.name: Invalid value: "process-item-$ITEM": a lowercase RFC 1123'
    ),
    "controllers/job-success-policy-example.yaml": Refusal(
        "validation",
        'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
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
    assert len(CORPUS) == 416
    assert set(DEFECTIVE) <= set(CORPUS)
    assert len(VALID) == 416 - len(DEFECTIVE)


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
    if refusal.stage == "mapping":  # kubectl's REST mapping, before anything is sent
        with pytest.raises(NoKindMatch) as err:
            APIServer(Clock()).resource_for_object(doc.obj)
        message = str(err.value.with_origin(name))
        assert refusal.fragment in message
        assert message.startswith("error: resource mapping not found for name: ")
        assert f'from "{name}"' in message and "ensure CRDs are installed first" in message
        return
    if refusal.stage == "schema":
        with pytest.raises(BadRequest) as err:
            schema.raise_for_schema(doc.obj, doc.origin)
        assert refusal.fragment in str(err.value)
        assert f'error when creating "{name}"' in str(err.value)
    else:  # decoding accepts it; semantic validation refuses it (see test_docs_apply.py)
        schema.raise_for_schema(doc.obj, doc.origin)
