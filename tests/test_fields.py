"""Field selectors (k8s.io/apimachinery/pkg/fields selector.go + per-kind field label conversions)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubelab.api.fields import (
    FieldSelector,
    FieldSelectorError,
    escape_value,
    field_value,
    parse_field_selector,
)

POD = {
    "metadata": {"name": "web-1", "namespace": "default"},
    "spec": {"nodeName": "node-1", "restartPolicy": "Always"},
    "status": {"phase": "Running", "podIP": "10.0.0.5"},
}
PENDING = {
    "metadata": {"name": "web-2", "namespace": "shop"},
    "spec": {},
    "status": {"phase": "Pending"},
}
EVENT = {
    "metadata": {"name": "web-1.17a", "namespace": "default"},
    "involvedObject": {"kind": "Pod", "name": "web-1", "uid": "u-1", "namespace": "default"},
    "reason": "Scheduled",
    "type": "Normal",
    "source": {"component": "default-scheduler"},
}


@pytest.mark.parametrize(
    ("text", "obj", "expected"),
    [
        ("", POD, True),
        ("metadata.name=web-1", POD, True),
        ("metadata.name==web-1", POD, True),
        ("metadata.name!=web-1", POD, False),
        ("metadata.namespace!=kube-system", POD, True),
        ("spec.nodeName=node-1,status.phase=Running", POD, True),
        ("spec.nodeName=node-1,status.phase!=Running", POD, False),
        ("spec.nodeName=", PENDING, True),  # unscheduled pods: missing field reads ""
        ("spec.nodeName=", POD, False),
        ("spec.nodeName!=", POD, True),
        ("status.podIP=10.0.0.5", POD, True),
        ("spec.hostNetwork=false", POD, True),  # Go's zero bool
        ("spec.hostNetwork=true", POD, False),
    ],
)
def test_pod_field_selectors(text, obj, expected):
    assert parse_field_selector(text, kind="Pod").matches(obj) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("involvedObject.kind=Pod,involvedObject.name=web-1", True),
        ("involvedObject.uid=u-1", True),
        ("involvedObject.name=web-2", False),
        ("reason=Scheduled,type=Normal", True),
        ("type=Warning", False),
        ("source=default-scheduler", True),
        ("involvedObject.fieldPath=", True),
    ],
)
def test_event_field_selectors(text, expected):
    assert parse_field_selector(text, kind="Event").matches(EVENT) is expected


def test_other_kinds_fields_and_go_string_forms():
    node = {"metadata": {"name": "node-1"}, "spec": {"unschedulable": True}}
    assert parse_field_selector("spec.unschedulable=true", kind="Node").matches(node)
    assert parse_field_selector("spec.unschedulable=false", kind="Node").matches({"spec": {}})
    rs = {"status": {"replicas": 3}}
    assert parse_field_selector("status.replicas=3", kind="ReplicaSet").matches(rs)
    assert parse_field_selector("status.replicas=0", kind="ReplicaSet").matches({"status": {}})
    job = {"status": {"succeeded": 2}}
    assert parse_field_selector("status.successful=2", kind="Job").matches(job)
    secret = {"type": "Opaque"}
    assert parse_field_selector("type=Opaque", kind="Secret").matches(secret)


@pytest.mark.parametrize(
    ("text", "kind", "message"),
    [
        ("spec.replicas=3", "Deployment", "field label not supported: spec.replicas"),
        ("status.phase=Running", "Service", "field label not supported: status.phase"),
        ("foo=bar", "Pod", "field label not supported: foo"),
        ("foo=bar", None, "field label not supported: foo"),
        ("=bar", "Pod", "field label not supported: "),
        (
            "spec.nodeName",
            "Pod",
            "invalid selector: 'spec.nodeName'; can't understand 'spec.nodeName'",
        ),
        (
            "metadata.name=a,spec.nodeName",
            "Pod",
            "invalid selector: 'metadata.name=a,spec.nodeName'; can't understand 'spec.nodeName'",
        ),
        ("metadata.name=a\\b", "Pod", "invalid field selector: invalid escape sequence: \\b"),
        ("metadata.name=a\\", "Pod", "invalid field selector: invalid escape sequence: \\"),
        ("metadata.name=a=b", "Pod", "invalid field selector: unescaped character in value: 61"),
    ],
)
def test_errors(text, kind, message):
    with pytest.raises(FieldSelectorError) as exc:
        parse_field_selector(text, kind=kind)
    assert str(exc.value) == message
    assert isinstance(exc.value, ValueError)


def test_common_fields_work_for_every_kind():
    for kind in ("Deployment", "Service", "ConfigMap", "Node"):
        sel = parse_field_selector("metadata.name=x,metadata.namespace=y", kind=kind)
        assert sel.matches({"metadata": {"name": "x", "namespace": "y"}})


def test_string_form_sorted_and_double_equals_normalised():
    sel = parse_field_selector("status.phase==Running,metadata.name!=a", kind="Pod")
    assert str(sel) == "metadata.name!=a,status.phase=Running"
    assert repr(sel) == "FieldSelector('metadata.name!=a,status.phase=Running')"


def test_escaped_values():
    sel = parse_field_selector(r"metadata.name=a\,b\=c\\d")
    assert sel.requirements[0].value == "a,b=c\\d"
    assert sel.matches({"metadata": {"name": "a,b=c\\d"}})
    assert str(sel) == r"metadata.name=a\,b\=c\\d"
    assert len(sel.requirements) == 1  # the escaped comma did not split the term


def test_exact_match_and_equality_pairs():
    sel = parse_field_selector("spec.nodeName=node-2,status.phase!=Failed")
    assert sel.requires_exact_match("spec.nodeName") == "node-2"
    assert sel.requires_exact_match("status.phase") is None
    assert sel.equality_pairs() == (("spec.nodeName", "node-2"),)
    assert parse_field_selector("").empty and not sel.empty


def test_equality_and_hash():
    a = parse_field_selector("spec.nodeName=n,status.phase=Running")
    b = parse_field_selector("status.phase==Running,spec.nodeName=n")
    assert a == b and hash(a) == hash(b)
    assert a != parse_field_selector("spec.nodeName=n")
    assert FieldSelector() == parse_field_selector(",")


def test_field_value_conversions():
    assert field_value(POD, "metadata.name") == "web-1"
    assert field_value(POD, "spec.schedulerName") == ""
    assert field_value({"spec": None}, "spec.nodeName") == ""
    assert field_value({"spec": {"hostNetwork": False}}, "spec.hostNetwork") == "false"


values = st.text(alphabet="ab,=\\-.x", max_size=8)


@given(values)
def test_escape_roundtrip(value):
    sel = parse_field_selector("metadata.name=" + escape_value(value))
    assert sel.requirements[0].value == value
    assert parse_field_selector(str(sel)) == sel
    assert sel.matches({"metadata": {"name": value}})
