"""The API server's verbs behave like kube-apiserver's."""

from __future__ import annotations

import pytest

from kubelab.errors import AlreadyExists, BadRequest, Conflict, Invalid, NotFound


def configmap(name="cfg", ns=None, **data):
    meta = {"name": name}
    if ns:
        meta["namespace"] = ns
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data}


def pod(name="web", node=None, **spec):
    body = {"containers": [{"name": "app", "image": "nginx:1.25"}], **spec}
    if node:
        body["nodeName"] = node
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": "web"}},
        "spec": body,
    }


def test_create_fills_metadata_and_defaults(api):
    stored = api.create(pod(), user="kubectl")
    meta = stored["metadata"]
    assert meta["namespace"] == "default"
    assert (
        meta["uid"]
        and meta["resourceVersion"]
        and meta["creationTimestamp"] == "2025-01-01T00:00:00Z"
    )
    assert stored["spec"]["restartPolicy"] == "Always"
    assert stored["spec"]["containers"][0]["imagePullPolicy"] == "IfNotPresent"
    assert stored["status"] == {"phase": "Pending", "qosClass": "BestEffort"}
    # DefaultTolerationSeconds admission
    keys = {(t["key"], t.get("tolerationSeconds")) for t in stored["spec"]["tolerations"]}
    assert keys == {("node.kubernetes.io/not-ready", 300), ("node.kubernetes.io/unreachable", 300)}


def test_create_twice_is_already_exists(api):
    api.create(configmap(), user="kubectl")
    with pytest.raises(AlreadyExists) as err:
        api.create(configmap(), user="kubectl")
    assert str(err.value) == 'Error from server (AlreadyExists): configmaps "cfg" already exists'


def test_missing_namespace_is_not_found(api):
    with pytest.raises(NotFound) as err:
        api.create(configmap(ns="dev"), user="kubectl")
    assert str(err.value) == 'Error from server (NotFound): namespaces "dev" not found'


def test_unsupported_kind_and_version_are_refused_clearly(api):
    csr = {"apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest"}
    with pytest.raises(
        BadRequest, match=r'kind "CertificateSigningRequest".*not supported by kubelab'
    ):
        api.create(dict(csr, metadata={"name": "db"}), user="kubectl")
    # a custom kind without its CRD: kubectl finds no REST mapping
    with pytest.raises(
        BadRequest, match=r'no matches for kind "Widget" in version "example.com/v1"'
    ):
        api.create(
            {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "db"}},
            user="kubectl",
        )
    with pytest.raises(
        BadRequest, match=r'no matches for kind "Deployment" in version "extensions/v1beta1"'
    ):
        api.create(
            {"apiVersion": "extensions/v1beta1", "kind": "Deployment", "metadata": {"name": "d"}},
            user="k",
        )


def test_invalid_object_changes_nothing(api):
    bad = pod(name="Web_App")
    before = api.store.revision
    with pytest.raises(Invalid) as err:
        api.create(bad, user="kubectl")
    assert str(err.value).startswith(
        'The Pod "Web_App" is invalid: metadata.name: Invalid value: "Web_App"'
    )
    assert api.store.revision == before


def test_generate_name_is_deterministic(api):
    obj = configmap()
    del obj["metadata"]["name"]
    obj["metadata"]["generateName"] = "web-"
    first = api.create(obj, user="kubectl")["metadata"]["name"]
    assert first.startswith("web-") and len(first) == 9
    assert set(first[4:]) <= set("bcdfghjklmnpqrstvwxz2456789")


def test_update_with_stale_resource_version_conflicts(api):
    stored = api.create(configmap(a="1"), user="kubectl")
    api.update(dict(stored, data={"a": "2"}), user="kubectl")
    with pytest.raises(Conflict, match="the object has been modified"):
        api.update(dict(stored, data={"a": "3"}), user="kubectl")


def test_update_bumps_generation_only_when_spec_changes(api):
    rs = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": pod()["spec"]},
        },
    }
    stored = api.create(rs, user="kubectl")
    assert stored["metadata"]["generation"] == 1
    labelled = api.patch(
        "ReplicaSet", "web", "default", {"metadata": {"labels": {"x": "y"}}}, "merge", user="k"
    )
    assert labelled["metadata"]["generation"] == 1
    scaled = api.patch("ReplicaSet", "web", "default", {"spec": {"replicas": 3}}, "merge", user="k")
    assert scaled["metadata"]["generation"] == 2
    status = api.update(dict(scaled, status={"replicas": 3}), user="rs", subresource="status")
    assert status["metadata"]["generation"] == 2 and status["status"] == {"replicas": 3}


def test_main_resource_update_keeps_status(api):
    stored = api.create(pod(), user="kubectl")
    updated = api.update(dict(stored, status={"phase": "Running"}), user="kubectl")
    assert updated["status"]["phase"] == "Pending"


def test_delete_unscheduled_pod_is_immediate(api):
    api.create(pod(), user="kubectl")
    assert api.delete("Pod", "web", user="kubectl") is None
    with pytest.raises(NotFound, match='pods "web" not found'):
        api.get("Pod", "web")


def test_delete_running_pod_is_graceful_until_grace_zero(api):
    api.create({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-1"}}, user="kubelet")
    api.create(pod(node="node-1"), user="kubectl")
    terminating = api.delete("Pod", "web", user="kubectl")
    assert terminating["metadata"]["deletionTimestamp"] == "2025-01-01T00:00:30Z"
    assert terminating["metadata"]["deletionGracePeriodSeconds"] == 30
    assert api.delete("Pod", "web", user="kubelet", grace_period=0) is None


def test_finalizers_hold_deletion_until_removed(api):
    obj = configmap()
    obj["metadata"]["finalizers"] = ["example.com/hold"]
    api.create(obj, user="kubectl")
    held = api.delete("ConfigMap", "cfg", user="kubectl")
    assert held["metadata"]["deletionTimestamp"]
    released = dict(held, metadata=dict(held["metadata"], finalizers=[]))
    api.update(released, user="controller")
    assert api.store.get("ConfigMap", "default", "cfg") is None


def test_orphan_and_foreground_add_their_finalizers(api):
    api.create(configmap("a"), user="kubectl")
    api.create(configmap("b"), user="kubectl")
    assert api.delete("ConfigMap", "a", user="k", propagation="Orphan")["metadata"][
        "finalizers"
    ] == ["orphan"]
    fg = api.delete("ConfigMap", "b", user="k", propagation="Foreground")
    assert fg["metadata"]["finalizers"] == ["foregroundDeletion"]


def test_apply_creates_configures_and_leaves_unchanged(api):
    manifest = configmap(a="1")
    first, action = api.apply(manifest)
    assert action == "created"
    assert "kubectl.kubernetes.io/last-applied-configuration" in first["metadata"]["annotations"]
    assert api.apply(manifest)[1] == "unchanged"
    assert api.apply(configmap(a="2"))[1] == "configured"
    assert api.get("ConfigMap", "cfg")["data"] == {"a": "2"}


def test_apply_three_way_keeps_fields_set_by_others_and_drops_removed_ones(api):
    manifest = configmap(a="1", b="2")
    api.apply(manifest)
    live = api.get("ConfigMap", "cfg")
    api.update(dict(live, data={"a": "1", "b": "2", "c": "set-by-someone-else"}), user="other")
    api.apply(configmap(a="1"))
    assert api.get("ConfigMap", "cfg")["data"] == {"a": "1", "c": "set-by-someone-else"}


def test_bind_sets_node_and_condition_once(api):
    stored = api.create(pod(), user="kubectl")
    bound = api.bind(stored, "node-1", user="default-scheduler")
    assert bound["spec"]["nodeName"] == "node-1"
    assert bound["status"]["conditions"][0]["type"] == "PodScheduled"
    with pytest.raises(Conflict, match='already assigned to node "node-1"'):
        api.bind(stored, "node-2", user="default-scheduler")


def test_events_aggregate_repeats(api):
    obj = api.create(configmap(), user="kubectl")
    for _ in range(3):
        api.events.record(obj, "Normal", "Poked", "poked it", source="tester")
    events = list(api.store.list("Event", "default"))
    assert len(events) == 1 and events[0]["count"] == 3
    assert events[0]["involvedObject"]["name"] == "cfg"
    assert len(api.events.log) == 3


def test_audit_records_who_did_what(api):
    api.client("replicaset-controller").create(configmap())
    assert api.audit[-1][1:6] == ("replicaset-controller", "create", "ConfigMap", "default", "cfg")


def test_patch_types(api):
    api.create(configmap(a="1", b="2"), user="kubectl")
    assert api.patch("ConfigMap", "cfg", "default", {"data": {"b": None}}, "merge", user="k")[
        "data"
    ] == {"a": "1"}
    ops = [{"op": "add", "path": "/data/c", "value": "3"}]
    assert api.patch("ConfigMap", "cfg", "default", ops, "json", user="k")["data"] == {
        "a": "1",
        "c": "3",
    }


def test_an_update_that_changes_nothing_is_not_written(api):
    stored = api.create(configmap(a="1"), user="kubectl")
    events = []
    api.store.watch("ConfigMap", lambda kind, obj, old: events.append(kind))
    same = api.update(dict(stored), user="kubectl")
    assert same["metadata"]["resourceVersion"] == stored["metadata"]["resourceVersion"]
    assert events == []
    changed = api.update(dict(stored, data={"a": "2"}), user="kubectl")
    assert int(changed["metadata"]["resourceVersion"]) > int(stored["metadata"]["resourceVersion"])
    assert events == ["MODIFIED"]
    running = api.create(pod(), user="kubectl")
    twice = [api.update(dict(running), user="kubelet", subresource="status") for _ in "ab"]
    assert twice[1]["metadata"]["resourceVersion"] == running["metadata"]["resourceVersion"]
    assert events == ["MODIFIED"]


@pytest.mark.parametrize("annotation", ["{bad", "[1]", '"str"', "42"])
def test_apply_refuses_a_last_applied_annotation_it_cannot_read(annotation):
    """The annotation is anyone's to write; kubectl apply says it cannot build the patch."""
    import kubelab as kl

    c = kl.Cluster(nodes=0, seed=0)
    meta = {"name": "x", "annotations": {"kubectl.kubernetes.io/last-applied-configuration": ""}}
    meta["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] = annotation
    c.api.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta}, user="kubectl")
    before = c.api.store.revision
    update = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "x"},
        "data": {"a": "b"},
    }
    with pytest.raises(kl.Invalid, match="creating patch with"):
        c.apply(update)
    assert c.api.store.revision == before
