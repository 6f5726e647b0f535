"""Storage as the judges check it: binding, what survives what, and the docs' walkthroughs."""

from __future__ import annotations

from pathlib import Path

import pytest

import kubelab as kl
from kubelab.storage import node_files

CORPUS_DIR = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "k8s-docs-examples"
corpus = pytest.mark.skipif(not CORPUS_DIR.is_dir(), reason="docs example corpus not present")


def _pv(name, size):
    return f"""
apiVersion: v1
kind: PersistentVolume
metadata: {{name: {name}}}
spec:
  capacity: {{storage: {size}}}
  accessModes: [ReadWriteOnce]
  storageClassName: manual
  nfs: {{server: nfs.example.internal, path: /exports/{name}}}
"""


def test_claim_binds_the_smallest_volume_that_satisfies_it():
    c = kl.Cluster(nodes=1, seed=0)
    c.apply(
        "---".join(
            _pv(n, s)
            for n, s in [("big", "100Gi"), ("tiny", "1Gi"), ("medium", "10Gi"), ("small", "5Gi")]
        )
    )
    c.apply("""
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: want-3gi}
spec:
  storageClassName: manual
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 3Gi}}
""")
    c.run(2)
    out = c.kubectl("get pvc want-3gi")
    assert out.splitlines()[1].split()[:4] == ["want-3gi", "Bound", "small", "5Gi"]
    phases = {p["metadata"]["name"]: p["status"]["phase"] for p in c.list("pv", None)}
    assert phases == {
        "big": "Available",
        "medium": "Available",
        "small": "Bound",
        "tiny": "Available",
    }


def _app(volume_yaml: str) -> str:
    return f"""
apiVersion: apps/v1
kind: Deployment
metadata: {{name: app}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: app}}}}
  template:
    metadata: {{labels: {{app: app}}}}
    spec:
      containers: [{{name: app, image: nginx, volumeMounts: [{{name: data, mountPath: /data}}]}}]
      volumes: [{volume_yaml}]
"""


def _live_pod(c):
    pods = [
        p
        for p in c.list("pod", selector="app=app")
        if p["status"].get("phase") == "Running" and not p["metadata"].get("deletionTimestamp")
    ]
    assert len(pods) == 1
    return pods[0]


def _write_fail_and_read(c) -> tuple[str, str, str]:
    first = _live_pod(c)
    c.kubectl(f"exec {first['metadata']['name']} -- sh -c 'echo precious > /data/file'")
    c.fail_node(first["spec"]["nodeName"])
    c.run(420)
    second = _live_pod(c)
    out = c.kubectl(f"exec {second['metadata']['name']} -- cat /data/file")
    return first["spec"]["nodeName"], second["spec"]["nodeName"], out


def test_emptydir_data_is_lost_with_the_pod_but_pv_data_survives_another_node():
    lost = kl.Cluster(nodes=3, seed=0)
    lost.apply(_app("{name: data, emptyDir: {}}"))
    lost.run(30)
    node_a, node_b, out = _write_fail_and_read(lost)
    assert node_a != node_b
    assert (
        out
        == "cat: can't open '/data/file': No such file or directory\ncommand terminated with exit code 1"
    )

    kept = kl.Cluster(nodes=3, seed=0)
    kept.apply(
        _pv("shared", "5Gi")
        + """---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  storageClassName: manual
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
"""
    )
    kept.apply(_app("{name: data, persistentVolumeClaim: {claimName: data}}"))
    kept.run(30)
    node_a, node_b, out = _write_fail_and_read(kept)
    assert node_a != node_b
    assert out == "precious"


# -- the official docs' walkthroughs ---------------------------------------------------------


@corpus
def test_configure_a_pod_to_use_a_persistent_volume():
    """kubernetes.io/docs/tasks/configure-pod-container/configure-persistent-volume-storage/"""
    c = kl.Cluster(nodes=1, seed=0)
    # "sudo sh -c "echo 'Hello from Kubernetes storage' > /mnt/data/index.html"" on the node
    node_files(c, "node-1").write("/mnt/data/index.html", "Hello from Kubernetes storage\n")
    c.apply(CORPUS_DIR / "pods/storage/pv-volume.yaml")
    c.run(1)
    assert c.kubectl("get pv task-pv-volume").splitlines()[1].split()[:5] == [
        "task-pv-volume", "10Gi", "RWO", "Retain", "Available",
    ]  # fmt: skip
    c.apply(CORPUS_DIR / "pods/storage/pv-claim.yaml")
    c.run(1)
    assert c.kubectl("get pv task-pv-volume").splitlines()[1].split()[4:7] == [
        "Bound", "default/task-pv-claim", "manual",
    ]  # fmt: skip
    assert c.kubectl("get pvc task-pv-claim").splitlines()[1].split()[:5] == [
        "task-pv-claim", "Bound", "task-pv-volume", "10Gi", "RWO",
    ]  # fmt: skip
    c.apply(CORPUS_DIR / "pods/storage/pv-pod.yaml")
    c.run(30)
    assert c.get("pod", "task-pv-pod")["status"]["phase"] == "Running"
    assert (
        c.kubectl("exec task-pv-pod -- curl http://localhost/") == "Hello from Kubernetes storage"
    )
    # clean up as the page does: pod, claim, volume; the Retain volume's data stays on the node
    c.kubectl("delete pod task-pv-pod")
    c.run(40)
    c.kubectl("delete pvc task-pv-claim")
    c.run(2)
    assert c.get("pv", "task-pv-volume")["status"]["phase"] == "Released"
    c.kubectl("delete pv task-pv-volume")
    c.run(2)
    assert c.list("pv", None) == []
    assert node_files(c, "node-1").read("/mnt/data/index.html") == "Hello from Kubernetes storage\n"


@corpus
def test_configure_a_pod_to_use_a_volume_redis_emptydir():
    """kubernetes.io/docs/tasks/configure-pod-container/configure-volume-storage/"""
    c = kl.Cluster(nodes=1, seed=0)
    c.apply(CORPUS_DIR / "pods/storage/redis.yaml")
    c.run(30)
    c.kubectl("exec redis -- sh -c 'cd /data/redis && echo Hello > test-file'")
    assert c.kubectl("exec redis -- ls /data/redis") == "test-file"
    c.kubectl("exec redis -- kill 1")  # "kill <pid>" of redis-server: the container restarts
    c.run(30)
    assert c.kubectl("get pod redis").splitlines()[1].split()[:4] == [
        "redis",
        "1/1",
        "Running",
        "1",
    ]
    assert c.kubectl("exec redis -- cat /data/redis/test-file") == "Hello"


@corpus
def test_projected_volume_of_two_secrets():
    """kubernetes.io/docs/tasks/configure-pod-container/configure-projected-volume-storage/"""
    c = kl.Cluster(nodes=1, seed=0)
    c.apply([
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "user"}, "stringData": {"username.txt": "admin"}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "pass"}, "stringData": {"password.txt": "1f2d1e2e67df"}},
    ])  # fmt: skip
    c.apply(CORPUS_DIR / "pods/storage/projected.yaml")
    c.run(30)
    assert c.get("pod", "test-projected-volume")["status"]["phase"] == "Running"
    assert (
        c.kubectl("exec test-projected-volume -- ls /projected-volume/")
        == "password.txt\nusername.txt"
    )


@corpus
def test_secret_volume_pod():
    """kubernetes.io/docs/tasks/inject-data-application/distribute-credentials-secure/"""
    c = kl.Cluster(nodes=1, seed=0)
    c.apply(CORPUS_DIR / "pods/inject/secret.yaml")
    c.apply(CORPUS_DIR / "pods/inject/secret-pod.yaml")
    c.run(30)
    assert c.kubectl("exec secret-test-pod -- ls /etc/secret-volume") == "password\nusername"
    assert c.kubectl("exec secret-test-pod -- cat /etc/secret-volume/username") == "my-app"
    assert c.kubectl("exec secret-test-pod -- cat /etc/secret-volume/password") == "39528$vdg7Jb"


@corpus
def test_configmap_volume_with_specific_key():
    """kubernetes.io/docs/tasks/configure-pod-container/configure-pod-configmap/"""
    from kubelab.storage import storage_for

    c = kl.Cluster(nodes=1, seed=0)
    c.apply(CORPUS_DIR / "configmap/configmap-multikeys.yaml")
    pod = (CORPUS_DIR / "pods/pod-configmap-volume-specific-key.yaml").read_text()
    pod = pod.replace("key: special.level", "key: SPECIAL_LEVEL")  # the page's ConfigMap keys
    c.apply(pod)
    c.run(2)
    uid = c.get("pod", "dapi-test-pod")["metadata"]["uid"]
    disk = storage_for(c.api).disks[("generated", uid, "config-volume")]
    assert disk.read("/keys") == "very"
    c.run(30)
    assert c.get("pod", "dapi-test-pod")["status"]["phase"] == "Succeeded"


@corpus
def test_missing_configmap_blocks_the_docs_pod():
    c = kl.Cluster(nodes=1, seed=0)
    c.apply(CORPUS_DIR / "pods/pod-configmap-volume.yaml")
    c.run(20)
    assert "ContainerCreating" in c.kubectl("get pod dapi-test-pod")
    assert any(
        e.reason == "FailedMount"
        and e.message
        == 'MountVolume.SetUp failed for volume "config-volume" : configmap "special-config" not found'
        for e in c.events.itertuples()
    )
    c.apply(CORPUS_DIR / "configmap/configmaps.yaml")
    c.run(60)
    assert c.get("pod", "dapi-test-pod")["status"]["phase"] == "Succeeded"


@corpus
def test_two_containers_share_an_emptydir():
    """kubernetes.io/docs/tasks/access-application-cluster/communicate-containers-same-pod-shared-volume/"""
    c = kl.Cluster(nodes=1, seed=0)
    c.apply(CORPUS_DIR / "pods/two-container-pod.yaml")
    c.run(30)
    out = c.kubectl("exec two-containers -c nginx-container -- curl localhost")
    assert out == "Hello from the debian container"


@corpus
def test_get_a_shell_to_a_running_container():
    """kubernetes.io/docs/tasks/debug/debug-application/get-shell-running-container/"""
    c = kl.Cluster(nodes=1, seed=0)
    c.apply(CORPUS_DIR / "application/shell-demo.yaml")
    c.run(30)
    c.kubectl(
        "exec shell-demo -- sh -c \"echo 'Hello shell demo' > /usr/share/nginx/html/index.html\""
    )
    assert c.kubectl("exec shell-demo -- curl http://localhost/") == "Hello shell demo"
    assert c.kubectl("exec shell-demo -- ls /").splitlines()[0] == "bin"


@corpus
def test_mysql_pv_and_claim_bind():
    """kubernetes.io/docs/tasks/run-application/run-single-instance-stateful-application/"""
    c = kl.Cluster(nodes=1, seed=0)
    c.apply(CORPUS_DIR / "application/mysql/mysql-pv.yaml")
    c.run(2)
    pvc = c.get("pvc", "mysql-pv-claim")
    assert (pvc["status"]["phase"], pvc["spec"]["volumeName"]) == ("Bound", "mysql-pv-volume")


@corpus
def test_service_account_token_projection():
    c = kl.Cluster(nodes=1, seed=0)
    c.apply(CORPUS_DIR / "pods/pod-projected-svc-token.yaml")
    c.run(30)
    token = c.kubectl("exec nginx -- cat /var/run/secrets/tokens/vault-token")
    assert token.count(".") == 2
    import base64
    import json

    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["aud"] == ["vault"] and claims["exp"] - claims["iat"] == 7200
    assert claims["sub"] == "system:serviceaccount:default:build-robot"
