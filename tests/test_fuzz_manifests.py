"""Fuzz: whatever manifest a learner applies, kubelab answers with ``kl.KubelabError`` or
stores it, and a refusal changes nothing (the store's revision stays where it was)."""

from __future__ import annotations

import json

import pytest
import yaml
from fuzzing import daemonset, deployment, mutations, pdb, service
from hypothesis import given, settings
from hypothesis import strategies as st

import kubelab as kl

VALID = {
    "deployment": deployment("web", 2, "kubelab/web:v1"),
    "service": service("web", 30080),
    "daemonset": daemonset("kubelab/web:v1"),
    "pdb": pdb("web", 1),
    "pod": {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "labels": {"app": "web"}},
        "spec": {
            "containers": [
                {
                    "name": "c",
                    "image": "busybox",
                    "command": ["sh", "-c", "sleep 3600"],
                    "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}},
                    "volumeMounts": [{"name": "v", "mountPath": "/v"}],
                }
            ],
            "volumes": [{"name": "v", "emptyDir": {"sizeLimit": "1Mi"}}],
        },
    },
}


@pytest.fixture(scope="module")
def cluster():
    c = kl.Cluster(nodes=2, seed=0)
    c.apply(list(VALID.values()))
    c.run(20)
    return c


def _apply_or_refuse(c: kl.Cluster, source) -> None:
    before = c.api.store.revision
    try:
        c.apply(source)
    except kl.KubelabError as error:
        assert str(error), "a refusal says why"
        assert c.api.store.revision == before, "a refused apply changed the store"
    c.run(2)  # the control plane takes whatever was stored without crashing


@pytest.mark.parametrize("name", sorted(VALID))
@settings(max_examples=60)
@given(data=st.data())
def test_mutated_manifests_are_stored_or_refused_cleanly(cluster, name, data):
    _apply_or_refuse(cluster, data.draw(mutations(VALID[name])))


@settings(max_examples=60)
@given(data=st.data(), name=st.sampled_from(sorted(VALID)), as_json=st.booleans())
def test_mutated_manifests_as_text(cluster, data, name, as_json):
    obj = data.draw(mutations(VALID[name]))
    try:
        text = json.dumps(obj) if as_json else yaml.safe_dump(obj)
    except ValueError:  # JSON cannot hold NaN strictly; YAML can
        text = yaml.safe_dump(obj)
    _apply_or_refuse(cluster, text)


_YAML_BITS = [
    "apiVersion: v1\n", "kind: Pod\n", "kind: ConfigMap\n", "metadata:\n", "  name: x\n",
    "data: {a: b}\n", "---\n", "- a\n", "&a [*a]\n", "x: &y 1\n", "z: *y\n", "<<: *y\n",
    "{", "}", "[", "]", ": ", "\t", "'", '"', "!!binary aGk=\n", "!foo bar\n", "? [k]\n",
    "1e400\n", "0x1F\n", "~\n", "...\n", "%YAML 1.2\n", "\ufeff", "\x00", "é", "#c\n",
]  # fmt: skip


@settings(max_examples=150)
@given(st.lists(st.sampled_from(_YAML_BITS), max_size=25))
def test_random_yaml_text_is_stored_or_refused_cleanly(cluster, bits):
    _apply_or_refuse(cluster, "".join(bits))
