"""PersistentVolume binding: upstream's matching tables (index_test.go) and the binder at work."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kubelab as kl
from kubelab.controllers.pv_index import find_best_match_for_claim

RWO, ROX, RWX = "ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany"
CLASS_ANN = "volume.beta.kubernetes.io/storage-class"


def pv(name, size, modes, *, labels=None, cls=None, claim_ref=None, phase="Available", **spec):
    meta = {"name": name}
    if labels:
        meta["labels"] = labels
    if cls:
        meta["annotations"] = {CLASS_ANN: cls}
    body = {"capacity": {"storage": size}, "accessModes": list(modes), **spec}
    if claim_ref is not None:
        body["claimRef"] = claim_ref
    return {"metadata": meta, "spec": body, "status": {"phase": phase}}


def claim(size, modes=(ROX, RWO), *, selector=None, cls=None, name="claim01", uid=""):
    meta = {"name": name, "namespace": "myns", "uid": uid}
    if cls:
        meta["annotations"] = {CLASS_ANN: cls}
    spec = {"accessModes": list(modes), "resources": {"requests": {"storage": size}}}
    if selector:
        spec["selector"] = {"matchLabels": selector}
    return {"metadata": meta, "spec": spec}


def create_test_volumes():
    """``createTestVolumes`` (deliberately out of order), with the newer very large volumes."""
    gce, nfs = (RWO, ROX), (RWO, ROX, RWX)
    bound = {"uid": "abc123"}
    return [
        pv("gce-pd-10", "10G", gce),
        pv("gce-pd-20", "20G", gce, claim_ref={"uid": "def456"}),
        pv("nfs-5", "5G", nfs),
        pv("gce-pd-1", "1G", gce, claim_ref=bound),
        pv("nfs-10", "10G", nfs),
        pv("gce-pd-5", "5G", gce),
        pv("nfs-1", "1G", nfs),
        pv("gce-pd-2", "20000G", (RWO,), labels={"should-exist": "true"}),
        pv("gce-pd-silver1", "10000G", (RWO,), labels={"should-exist": "true"}, cls="silver"),
        pv("gce-pd-silver2", "100G", (RWO,), cls="silver"),
        pv("gce-pd-gold", "50G", (RWO,), cls="gold"),
        pv("local-pd-very-large", "200E", nfs, cls="large"),
        pv("local-pd-extremely-large", "800E", nfs, cls="large"),
    ]


@pytest.mark.parametrize(
    ("scenario", "the_claim", "expected"),
    [
        ("successful-match-gce-10", claim("8G"), "gce-pd-10"),
        ("successful-match-nfs-5", claim("5G", (ROX, RWO, RWX)), "nfs-5"),
        ("successful-skip-1g-bound-volume", claim("1G"), "gce-pd-5"),
        ("successful-no-match", claim("999G"), None),
        (
            "successful-no-match-due-to-label",
            claim("999G", selector={"should-not-exist": "true"}),
            None,
        ),
        (
            "successful-no-match-due-to-size-constraint-with-label-selector",
            claim("20000G", (ROX, RWO), selector={"should-exist": "true"}),
            None,
        ),
        (
            "successful-match-due-with-constraint-and-label-selector",
            claim("20000G", (RWO,), selector={"should-exist": "true"}),
            "gce-pd-2",
        ),
        (
            "successful-match-with-class",
            claim("1G", (RWO,), selector={"should-exist": "true"}, cls="silver"),
            "gce-pd-silver1",
        ),
        (
            "successful-match-with-class-and-labels",
            claim("1G", (RWO,), cls="silver"),
            "gce-pd-silver2",
        ),
        ("successful-match-very-large", claim("1E", (RWO,), cls="large"), "local-pd-very-large"),
        (
            "successful-match-exact-extremely-large",
            claim("800E", (RWO,), cls="large"),
            "local-pd-extremely-large",
        ),
        ("successful-no-match-way-too-large", claim("950E", (RWO,), cls="large"), None),
    ],
)
def test_match_volume(scenario, the_claim, expected):
    found = find_best_match_for_claim(create_test_volumes(), the_claim)
    assert (found["metadata"]["name"] if found else None) == expected, scenario


def test_matching_with_bound_volumes():
    volumes = [
        pv("gce001", "1G", (RWO, ROX), claim_ref={"uid": "abc123"}),
        pv("gce002", "1G", (RWO, ROX)),
    ]
    assert (
        find_best_match_for_claim(volumes, claim("1G", (ROX, RWO)))["metadata"]["name"] == "gce002"
    )


def test_finding_volume_with_different_access_modes():
    gce, ebs, nfs = (
        pv("gce", "10G", (RWO, ROX)),
        pv("ebs", "10G", (RWO,)),
        pv("nfs", "10G", (RWO, ROX, RWX)),
    )
    volumes = [gce, ebs, nfs]

    def best(*modes):
        return find_best_match_for_claim(volumes, claim("1G", modes))["metadata"]["name"]

    assert best(RWO) == "ebs"  # the exact mode set
    assert best(RWO, ROX) == "gce"
    assert best(RWX, RWO, ROX) == "nfs"  # order does not matter
    assert best(RWX) == "nfs"  # fewer modes still match
    ebs["spec"]["claimRef"] = {}
    assert best(RWO) == "gce"  # the exact match is taken: next level of modes
    gce["spec"]["claimRef"] = {}
    assert best(RWO) == "nfs"
    del gce["spec"]["claimRef"]
    assert best(ROX) == "gce"  # partial mode request


def test_finding_prebound_volumes():
    the_claim = claim("1Gi", (RWO,), uid="claim-uid")
    ref = {"name": "claim01", "namespace": "myns", "uid": "claim-uid"}
    pv1, pv5, pv8 = pv("pv1", "1Gi", (RWO,)), pv("pv5", "5Gi", (RWO,)), pv("pv8", "8Gi", (RWO,))
    bad_size, bad_mode = pv("pvBadSize", "1Mi", (RWO,)), pv("pvBadMode", "1Gi", (ROX,))
    volumes = [pv1, pv5, pv8, bad_size, bad_mode]

    def best():
        return find_best_match_for_claim(volumes, the_claim)["metadata"]["name"]

    assert best() == "pv1"  # exact size
    pv1["spec"]["claimRef"] = {"name": "foo", "namespace": "bar"}
    assert best() == "pv5"  # pre-bound elsewhere: next size up
    del pv1["spec"]["claimRef"]
    pv8["spec"]["claimRef"] = ref
    assert best() == "pv8"  # pre-bound to this claim wins over a better fit
    del pv8["spec"]["claimRef"]
    bad_size["spec"]["claimRef"] = ref
    assert best() == "pv1"  # pre-bound but too small: ignored
    del bad_size["spec"]["claimRef"]
    bad_mode["spec"]["claimRef"] = ref
    assert best() == "pv1"  # pre-bound with the wrong modes: not even considered


def test_volume_mode_must_match_and_empty_class_is_a_class():
    block = pv("block", "1Gi", (RWO,), volumeMode="Block")
    classless = pv("plain", "5Gi", (RWO,))
    c = claim("1Gi", (RWO,))
    assert find_best_match_for_claim([block, classless], c)["metadata"]["name"] == "plain"
    c["spec"]["volumeMode"] = "Block"
    assert find_best_match_for_claim([block, classless], c)["metadata"]["name"] == "block"
    silver = claim("1Gi", (RWO,), cls="silver")
    assert find_best_match_for_claim([classless], silver) is None


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(min_value=1, max_value=50), min_size=0, max_size=8),
    st.integers(min_value=1, max_value=50),
)
def test_smallest_fitting_volume_wins(sizes, request_gi):
    volumes = [pv(f"pv-{i}", f"{s}Gi", (RWO,)) for i, s in enumerate(sizes)]
    found = find_best_match_for_claim(volumes, claim(f"{request_gi}Gi", (RWO,)))
    fitting = [s for s in sizes if s >= request_gi]
    if not fitting:
        assert found is None
    else:
        assert found["spec"]["capacity"]["storage"] == f"{min(fitting)}Gi"


# -- the binder in a cluster ------------------------------------------------------------------


def _pv_yaml(name, size, *, cls="", policy="Retain", modes="[ReadWriteOnce]", extra=""):
    return f"""
apiVersion: v1
kind: PersistentVolume
metadata: {{name: {name}}}
spec:
  capacity: {{storage: {size}}}
  accessModes: {modes}
  persistentVolumeReclaimPolicy: {policy}
  storageClassName: "{cls}"
  nfs: {{server: nfs.example.internal, path: /exports/{name}}}
{extra}"""


def _pvc_yaml(name, size, cls='""', extra=""):
    class_line = f"  storageClassName: {cls}\n" if cls is not None else ""
    return f"""
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {{name: {name}}}
spec:
  accessModes: [ReadWriteOnce]
  resources: {{requests: {{storage: {size}}}}}
{class_line}{extra}"""


def _events(c, name):
    return [(e.reason, e.message) for e in c.events.itertuples() if e.name == name]


def test_claim_binds_smallest_volume_and_takes_its_capacity():
    c = kl.Cluster(nodes=1, seed=0)
    c.apply(
        _pv_yaml("pv-10", "10Gi")
        + "---"
        + _pv_yaml("pv-2", "2Gi")
        + "---"
        + _pv_yaml("pv-1", "512Mi")
    )
    c.run(1)
    assert {p["metadata"]["name"]: p["status"]["phase"] for p in c.list("pv", None)} == {
        "pv-1": "Available",
        "pv-10": "Available",
        "pv-2": "Available",
    }
    c.apply(_pvc_yaml("data", "1Gi"))
    c.run(1)
    pvc = c.get("pvc", "data")
    assert pvc["status"]["phase"] == "Bound"
    assert pvc["spec"]["volumeName"] == "pv-2"
    assert pvc["status"]["capacity"]["storage"] == "2Gi"
    assert pvc["metadata"]["annotations"]["pv.kubernetes.io/bind-completed"] == "yes"
    volume = c.get("pv", "pv-2")
    assert volume["status"]["phase"] == "Bound"
    assert volume["spec"]["claimRef"]["uid"] == pvc["metadata"]["uid"]
    assert c.get("pv", "pv-10")["status"]["phase"] == "Available"


def test_unset_class_gets_the_default_and_empty_class_means_none():
    c = kl.Cluster(nodes=1, seed=0)
    c.apply(_pvc_yaml("unset", "1Gi", cls=None) + "---" + _pvc_yaml("empty", "1Gi"))
    assert c.get("pvc", "unset")["spec"]["storageClassName"] == "local-path"
    assert c.get("pvc", "empty")["spec"]["storageClassName"] == ""
    c.run(1)
    assert (
        "FailedBinding",
        "no persistent volumes available for this claim and no storage class is set",
    ) in _events(c, "empty")
    assert (
        "WaitForFirstConsumer",
        "waiting for first consumer to be created before binding",
    ) in _events(c, "unset")
    # a volume that appears later is found by the 15 s resync
    c.apply(_pv_yaml("late", "1Gi"))
    c.run(16)
    assert c.get("pvc", "empty")["status"]["phase"] == "Bound"
    assert c.get("pvc", "unset")["status"]["phase"] == "Pending"  # class local-path ≠ ""


def test_missing_class_and_selector_block_provisioning():
    c = kl.Cluster(nodes=1, seed=0)
    c.apply(_pvc_yaml("gold", "1Gi", cls="gold"))
    c.run(1)
    assert ("ProvisioningFailed", 'storageclass.storage.k8s.io "gold" not found') in _events(
        c, "gold"
    )
    assert c.get("pvc", "gold")["status"]["phase"] == "Pending"


def test_claim_ref_prebinding_and_selector():
    c = kl.Cluster(nodes=1, seed=0)
    c.apply(
        _pv_yaml("reserved", "1Gi", extra="  claimRef: {namespace: default, name: mine}\n")
        + "---"
        + _pv_yaml("labelled", "5Gi").replace(
            "metadata: {name: labelled}", "metadata: {name: labelled, labels: {tier: fast}}"
        )
    )
    c.apply(_pvc_yaml("fast", "1Gi", extra="  selector: {matchLabels: {tier: fast}}\n"))
    c.run(1)
    assert c.get("pvc", "fast")["spec"]["volumeName"] == "labelled"  # not the smaller reserved one
    c.apply(_pvc_yaml("other", "1Gi"))
    c.run(1)
    assert c.get("pvc", "other")["status"]["phase"] == "Pending"  # reserved is not for it
    c.apply(_pvc_yaml("mine", "1Gi"))
    c.run(1)
    assert c.get("pvc", "mine")["spec"]["volumeName"] == "reserved"


def test_retain_releases_and_never_rebinds():
    c = kl.Cluster(nodes=1, seed=0)
    c.apply(_pv_yaml("keep", "1Gi") + "---" + _pvc_yaml("data", "1Gi"))
    c.run(1)
    c.delete("pvc", "data")
    c.run(1)
    volume = c.get("pv", "keep")
    assert volume["status"]["phase"] == "Released"
    assert volume["spec"]["claimRef"]["name"] == "data"
    c.apply(_pvc_yaml("data", "1Gi"))  # same name, new uid
    c.run(20)
    assert c.get("pvc", "data")["status"]["phase"] == "Pending"
    assert c.get("pv", "keep")["status"]["phase"] == "Released"


def test_delete_policy_on_a_static_volume_fails():
    c = kl.Cluster(nodes=1, seed=0)
    c.apply(_pv_yaml("gone", "1Gi", policy="Delete") + "---" + _pvc_yaml("data", "1Gi"))
    c.run(1)
    c.delete("pvc", "data")
    c.run(1)
    volume = c.get("pv", "gone")
    assert volume["status"]["phase"] == "Failed"
    assert volume["status"]["message"] == (
        'error getting deleter volume plugin for volume "gone": no deletable volume plugin matched'
    )


def test_lost_claim_and_pv_protection():
    c = kl.Cluster(nodes=1, seed=0)
    c.apply(_pv_yaml("vol", "1Gi") + "---" + _pvc_yaml("data", "1Gi"))
    c.run(1)
    c.delete("pv", "vol")
    c.run(1)
    assert c.get("pv", "vol")["metadata"]["deletionTimestamp"]  # Bound: pv-protection holds it
    assert "Terminating" in c.kubectl("get pv vol")
    c.delete("pvc", "data")
    c.run(2)
    with pytest.raises(kl.NotFound):
        c.get("pv", "vol")


def test_claim_is_lost_when_its_volume_vanishes():
    c = kl.Cluster(nodes=1, seed=0)
    c.apply(_pv_yaml("vol", "1Gi") + "---" + _pvc_yaml("data", "1Gi"))
    c.run(1)
    volume = c.get("pv", "vol")
    volume["metadata"]["finalizers"] = []
    c.api.update(volume, user="kubectl")
    c.delete("pv", "vol")
    c.run(1)
    assert c.get("pvc", "data")["status"]["phase"] == "Lost"
    assert (
        "ClaimLost",
        "Bound claim has lost reference to PersistentVolume. Data on the volume is lost!",
    ) in _events(c, "data")


POD = """
apiVersion: v1
kind: Pod
metadata: {{name: {name}}}
spec:
  containers: [{{name: app, image: busybox, command: [sleep, "3600"], volumeMounts: [{{name: data, mountPath: /data}}]}}]
  volumes: [{{name: data, persistentVolumeClaim: {{claimName: {claim}}}}}]
"""


def test_pvc_protection_keeps_a_used_claim_terminating():
    c = kl.Cluster(nodes=1, seed=0)
    c.apply(
        _pv_yaml("vol", "1Gi")
        + "---"
        + _pvc_yaml("data", "1Gi")
        + "---"
        + POD.format(name="app", claim="data")
    )
    c.run(10)
    c.delete("pvc", "data")
    c.run(5)
    assert c.get("pvc", "data")["metadata"]["finalizers"] == ["kubernetes.io/pvc-protection"]
    assert "Terminating" in c.kubectl("get pvc data")
    c.delete("pod", "app")
    c.run(40)
    with pytest.raises(kl.NotFound):
        c.get("pvc", "data")
    assert c.get("pv", "vol")["status"]["phase"] == "Released"


def test_dynamic_provisioning_wait_for_first_consumer_and_delete():
    c = kl.Cluster(nodes=3, seed=0)
    c.apply(_pvc_yaml("data", "1Gi", cls="local-path"))
    c.run(5)
    assert c.get("pvc", "data")["status"]["phase"] == "Pending"
    assert c.list("pv", None) == []
    c.apply(POD.format(name="app", claim="data"))
    c.run(10)
    pod, pvc = c.get("pod", "app"), c.get("pvc", "data")
    node = pod["spec"]["nodeName"]
    assert pvc["metadata"]["annotations"]["volume.kubernetes.io/selected-node"] == node
    assert pvc["spec"]["volumeName"] == f"pvc-{pvc['metadata']['uid']}"
    volume = c.get("pv", pvc["spec"]["volumeName"])
    assert volume["spec"]["persistentVolumeReclaimPolicy"] == "Delete"
    assert volume["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"][0]["matchExpressions"][
        0
    ]["values"] == [node]
    assert (
        volume["metadata"]["annotations"]["pv.kubernetes.io/provisioned-by"]
        == "rancher.io/local-path"
    )
    reasons = list(dict.fromkeys(r for r, _ in _events(c, "data")))
    assert reasons[:4] == [
        "WaitForFirstConsumer",
        "ExternalProvisioning",
        "Provisioning",
        "ProvisioningSucceeded",
    ]
    assert pod["status"]["phase"] == "Running"
    c.delete("pod", "app")
    c.run(40)
    c.delete("pvc", "data")
    c.run(10)
    assert c.list("pv", None) == []


def test_immediate_class_provisions_without_a_pod():
    c = kl.Cluster(nodes=2, seed=0)
    c.apply("""
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: shared}
provisioner: nfs.csi.k8s.io
parameters: {server: nfs.example.internal, share: /exports}
""")
    c.apply(_pvc_yaml("data", "1Gi", cls="shared"))
    c.run(5)
    pvc = c.get("pvc", "data")
    assert pvc["status"]["phase"] == "Bound"
    assert c.get("pv", pvc["spec"]["volumeName"])["spec"]["csi"]["driver"] == "nfs.csi.k8s.io"


def test_unknown_provisioner_leaves_the_claim_pending():
    c = kl.Cluster(nodes=1, seed=0)
    c.apply("""
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: fast}
provisioner: example.com/fast
""")
    c.apply(_pvc_yaml("data", "1Gi", cls="fast"))
    c.run(30)
    assert c.get("pvc", "data")["status"]["phase"] == "Pending"
    messages = [m for r, m in _events(c, "data") if r == "ExternalProvisioning"]
    assert messages and "external provisioner 'example.com/fast'" in messages[0]


def test_pod_with_unbound_immediate_claim_is_unschedulable_then_runs():
    c = kl.Cluster(nodes=2, seed=0)
    c.apply(_pvc_yaml("data", "1Gi") + "---" + POD.format(name="app", claim="data"))
    c.run(2)
    pod = c.get("pod", "app")
    cond = pod["status"]["conditions"][0]
    assert cond["reason"] == "Unschedulable"
    assert cond["message"].startswith(
        "0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims."
    )
    c.apply(_pv_yaml("vol", "1Gi"))
    c.run(30)
    assert c.get("pod", "app")["status"]["phase"] == "Running"


def test_missing_claim_rejects_the_pod():
    c = kl.Cluster(nodes=2, seed=0)
    c.apply(POD.format(name="app", claim="nope"))
    c.run(2)
    message = c.get("pod", "app")["status"]["conditions"][0]["message"]
    assert message.startswith('0/2 nodes are available: persistentvolumeclaim "nope" not found.')


def test_local_volume_node_affinity_filters_nodes():
    c = kl.Cluster(nodes=3, seed=0)
    from kubelab.storage import node_files

    node_files(c, "node-2").makedirs("/mnt/disks/ssd1")
    c.apply("""
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: local-storage}
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: local-pv}
spec:
  capacity: {storage: 10Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: local-storage
  local: {path: /mnt/disks/ssd1}
  nodeAffinity:
    required:
      nodeSelectorTerms:
      - matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [node-2]}]
""")
    c.apply(
        _pvc_yaml("data", "1Gi", cls="local-storage") + "---" + POD.format(name="app", claim="data")
    )
    c.run(10)
    assert c.get("pod", "app")["spec"]["nodeName"] == "node-2"
    assert c.get("pvc", "data")["spec"]["volumeName"] == "local-pv"
    assert c.get("pod", "app")["status"]["phase"] == "Running"
    # a second pod of the same claim must go to node-2 too; with node-2 cordoned it cannot
    c.kubectl("cordon node-2")
    c.apply(POD.format(name="app2", claim="data"))
    c.run(2)
    message = c.get("pod", "app2")["status"]["conditions"][0]["message"]
    assert message.startswith(
        "0/3 nodes are available: 1 node(s) were unschedulable, 2 node(s) had volume node affinity conflict."
    )


def test_no_provisioner_class_without_volumes_leaves_the_pod_unschedulable():
    c = kl.Cluster(nodes=3, seed=0)
    c.apply("""
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: local-storage}
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
""")
    c.apply(
        _pvc_yaml("data", "1Gi", cls="local-storage") + "---" + POD.format(name="app", claim="data")
    )
    c.run(5)
    message = c.get("pod", "app")["status"]["conditions"][0]["message"]
    assert message.startswith(
        "0/3 nodes are available: 3 node(s) didn't find available persistent volumes to bind."
    )
    assert ("WaitForPodScheduled", "waiting for pod app to be scheduled") in _events(c, "data")


def test_recycle_scrubs_an_nfs_volume_and_frees_it():
    from kubelab.storage import volume_files

    c = kl.Cluster(nodes=1, seed=0)
    c.apply(_pv_yaml("old", "1Gi", policy="Recycle") + "---" + _pvc_yaml("data", "1Gi"))
    c.run(1)
    volume_files(c, "old").write("/leftover", "secret\n")
    c.delete("pvc", "data")
    c.run(2)
    volume = c.get("pv", "old")
    assert volume["status"]["phase"] == "Available"
    assert "claimRef" not in volume["spec"]
    assert volume_files(c, "old").walk() == []


# -- binder_test.go TestSync, the rows that start from a fresh claim --------------------------
# (volume name, size, claimRef uid ("uid" = the claim's), claimRef name), claim (size, volumeName,
# selector?), then the expected claim volume, phases, and the first event's reason.

SYNC_ROWS = [
    (
        "1-1 successful bind",
        [("volume1-1", "1Gi", None, None)],
        ("1Gi", "", False),
        "volume1-1",
        None,
    ),
    ("1-2 noop", [("volume1-2", "1Gi", None, None)], ("10Gi", "", False), "", "FailedBinding"),
    (
        "1-4 smallest volume",
        [("volume1-4-1", "10Gi", None, None), ("volume1-4-2", "1Gi", None, None)],
        ("1Gi", "", False),
        "volume1-4-2",
        None,
    ),
    (
        "1-5 prebound volume by name",
        [("volume1-5-1", "10Gi", None, "claim"), ("volume1-5-2", "1Gi", None, None)],
        ("1Gi", "", False),
        "volume1-5-1",
        None,
    ),
    (
        "1-6 prebound volume by UID",
        [("volume1-6-1", "10Gi", "uid", "claim"), ("volume1-6-2", "1Gi", None, None)],
        ("1Gi", "", False),
        "volume1-6-1",
        None,
    ),
    (
        "1-7 prebound volume to a different claim",
        [("volume1-7", "10Gi", "uid1-777", "claim")],
        ("1Gi", "", False),
        "",
        "FailedBinding",
    ),
    (
        "1-11 bind when selector matches",
        [("volume1-11", "1Gi", None, None)],
        ("1Gi", "", True),
        "volume1-11",
        None,
    ),
    (
        "1-12 selector does not match",
        [("volume1-12", "1Gi", None, None)],
        ("1Gi", "", "nomatch"),
        "",
        "FailedBinding",
    ),
    (
        "2-1 claim prebound to non-existing volume",
        [],
        ("10Gi", "volume2-1", False),
        "volume2-1",
        None,
    ),
    (
        "2-3 claim prebound to unbound volume",
        [("volume2-3", "1Gi", None, None)],
        ("1Gi", "volume2-3", False),
        "volume2-3",
        None,
    ),
    (
        "2-4 claim prebound to prebound volume by name",
        [("volume2-4", "1Gi", None, "claim")],
        ("1Gi", "volume2-4", False),
        "volume2-4",
        None,
    ),
    (
        "2-5 claim prebound to prebound volume by UID",
        [("volume2-5", "1Gi", "uid", "claim")],
        ("1Gi", "volume2-5", False),
        "volume2-5",
        None,
    ),
    (
        "2-6 claim prebound to a volume bound elsewhere",
        [("volume2-6", "1Gi", "uid2-6-1", "other")],
        ("1Gi", "volume2-6", False),
        "volume2-6",
        "FailedBinding",
    ),
    (
        "2-8 prebound claim ignores its selector",
        [("volume2-8", "1Gi", None, None)],
        ("1Gi", "volume2-8", "nomatch"),
        "volume2-8",
        None,
    ),
]


@pytest.mark.parametrize(("row", "volumes", "the_claim", "bound_to", "event"), SYNC_ROWS)
def test_binder_sync_rows(row, volumes, the_claim, bound_to, event):
    c = kl.Cluster(nodes=1, seed=0)
    size, volume_name, selector = the_claim
    spec = {
        "accessModes": ["ReadWriteOnce"],
        "storageClassName": "",
        "resources": {"requests": {"storage": size}},
    }
    if volume_name:
        spec["volumeName"] = volume_name
    if selector:
        value = "true" if selector is True else "nope"
        spec["selector"] = {"matchLabels": {"foo": value}}
    manifest = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "claim"},
        "spec": spec,
    }
    # A volume pre-bound by UID needs the claim first; otherwise the volumes come first and
    # become Available (a claim created before them would wait for the 15 s resync).
    by_uid = any(uid == "uid" for _, _, uid, _ in volumes)
    claim = c.apply(manifest)[0] if by_uid else None
    for name, vsize, uid, ref_name in volumes:
        body = {
            "capacity": {"storage": vsize},
            "accessModes": ["ReadWriteOnce"],
            "storageClassName": "",
            "nfs": {"server": "nfs.example.internal", "path": f"/{name}"},
        }
        if ref_name is not None:
            ref = {"kind": "PersistentVolumeClaim", "namespace": "default", "name": ref_name}
            if uid is not None:
                ref["uid"] = claim["metadata"]["uid"] if uid == "uid" else uid
            body["claimRef"] = ref
        meta = {"name": name, "labels": {"foo": "true", "bar": "false"}}
        c.apply({"apiVersion": "v1", "kind": "PersistentVolume", "metadata": meta, "spec": body})
    c.run(1)
    if claim is None:
        c.apply(manifest)
        c.run(1)
    live = c.get("pvc", "claim")
    assert live["spec"].get("volumeName", "") == bound_to, row
    bound = any(
        v["metadata"]["name"] == bound_to
        and (v["spec"].get("claimRef") or {}).get("uid") == live["metadata"]["uid"]
        for v in c.list("pv", None)
    )
    assert live["status"]["phase"] == ("Bound" if bound else "Pending"), row
    if bound:
        volume = c.get("pv", bound_to)
        assert volume["status"]["phase"] == "Bound"
        assert live["status"]["capacity"] == volume["spec"]["capacity"]  # the whole volume
        annotations = live["metadata"]["annotations"]
        assert annotations["pv.kubernetes.io/bind-completed"] == "yes"
        # a claim that named its volume was not bound "by the controller"
        assert ("pv.kubernetes.io/bound-by-controller" in annotations) == (not volume_name)
    reasons = [e.reason for e in c.events.itertuples() if e.name == "claim"]
    assert (reasons[0] if reasons else None) == event, row


def test_minikube_hostpath_provisioner_and_no_default_class():
    c = kl.Cluster(nodes=1, seed=0)
    c.delete("storageclass", "local-path")
    c.apply("""
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: mini}
provisioner: k8s.io/minikube-hostpath
""")
    c.apply(_pvc_yaml("unset", "1Gi", cls=None) + "---" + _pvc_yaml("data", "1Gi", cls="mini"))
    assert "storageClassName" not in c.get("pvc", "unset")["spec"]  # no default class any more
    c.run(5)
    volume = c.get("pv", c.get("pvc", "data")["spec"]["volumeName"])
    assert volume["spec"]["hostPath"]["path"] == "/tmp/hostpath-provisioner/default/data"
    assert "nodeAffinity" not in volume["spec"]
    assert c.get("pvc", "unset")["status"]["phase"] == "Pending"


def test_volume_node_affinity_matches_as_node_selector_terms():
    from kubelab.controllers.pv_index import node_affinity_matches

    def volume(*terms):
        return {"spec": {"nodeAffinity": {"required": {"nodeSelectorTerms": list(terms)}}}}

    node = {"metadata": {"name": "node-2", "labels": {"zone": "a", "disks": "4"}}}
    by_name = {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["node-2"]}]}
    zone_b = {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["b"]}]}
    bad = {"matchExpressions": [{"key": "disks", "operator": "Gt", "values": ["x"]}]}
    assert node_affinity_matches({"spec": {}}, node)  # no affinity: every node
    assert node_affinity_matches(volume(zone_b, by_name), node)  # terms are ORed
    assert not node_affinity_matches(volume(zone_b), node)
    assert not node_affinity_matches(volume(bad), node)  # an invalid term matches nothing
    assert not node_affinity_matches(volume(), node)  # no term: no node


def test_a_claim_pre_bound_to_another_nodes_volume_matches_nothing_here():
    from kubelab.controllers.pv_index import find_matching_volume

    def local(name, node, **spec):
        term = {"matchExpressions": [{"key": "kubernetes.io/hostname", "operator": "In",
                                      "values": [node]}]}  # fmt: skip
        return {
            "metadata": {"name": name},
            "status": {"phase": "Available"},
            "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"],
                     "nodeAffinity": {"required": {"nodeSelectorTerms": [term]}}, **spec},
        }  # fmt: skip

    claim = {"metadata": {"name": "data", "namespace": "default", "uid": "u1"},
             "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "",
                      "resources": {"requests": {"storage": "1Gi"}}}}  # fmt: skip
    ref = {"kind": "PersistentVolumeClaim", "namespace": "default", "name": "data"}
    volumes = [local("pv-a", "node-1", claimRef=ref), local("pv-b", "node-2")]
    node = {"metadata": {"name": "node-2", "labels": {"kubernetes.io/hostname": "node-2"}}}
    # FindMatchingVolume: the pre-bound PV (and so the claim) does not suit this node
    assert find_matching_volume(claim, volumes, node=node) is None
    node1 = {"metadata": {"name": "node-1", "labels": {"kubernetes.io/hostname": "node-1"}}}
    assert find_matching_volume(claim, volumes, node=node1)["metadata"]["name"] == "pv-a"
