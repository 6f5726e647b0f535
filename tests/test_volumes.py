"""Volumes: where data lives, and what survives a container restart, a pod and a node."""

from __future__ import annotations

import pytest

import kubelab as kl
from kubelab.storage import files, node_files, storage_for, volume_files

EMPTYDIR_POD = """
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
  - {name: app, image: nginx, volumeMounts: [{name: scratch, mountPath: /data}]}
  volumes: [{name: scratch, emptyDir: {}}]
"""


def _running(c, name):
    return c.get("pod", name)["status"]["phase"] == "Running"


def _only_pod(c, label):
    pods = [p for p in c.list("pod", selector=label) if not p["metadata"].get("deletionTimestamp")]
    assert len(pods) == 1
    return pods[0]


def test_emptydir_survives_container_restart_but_not_the_layer():
    c = kl.Cluster(nodes=1, seed=0)
    c.apply(EMPTYDIR_POD)
    c.run(20)
    c.kubectl("exec web -- sh -c 'echo kept > /data/a; echo lost > /tmp/b'")
    out = c.kubectl("exec web -- kill 1")
    assert out == "command terminated with exit code 137"
    c.run(20)
    pod = c.get("pod", "web")
    assert pod["status"]["containerStatuses"][0]["restartCount"] == 1
    assert c.kubectl("exec web -- cat /data/a") == "kept"
    assert c.kubectl("exec web -- cat /tmp/b") == (
        "cat: can't open '/tmp/b': No such file or directory\ncommand terminated with exit code 1"
    )


def test_emptydir_is_gone_with_the_pod():
    c = kl.Cluster(nodes=2, seed=0)
    c.apply("""
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: app, image: nginx, volumeMounts: [{name: scratch, mountPath: /data}]}]
      volumes: [{name: scratch, emptyDir: {}}]
""")
    c.run(30)
    first = _only_pod(c, "app=web")["metadata"]["name"]
    files(c, first).write("/data/greeting", "hello\n")
    uid = c.get("pod", first)["metadata"]["uid"]
    assert ("emptyDir", uid, "scratch") in storage_for(c.api).disks
    c.delete("pod", first)
    c.run(60)
    second = _only_pod(c, "app=web")["metadata"]["name"]
    assert second != first
    assert not files(c, second).exists("/data/greeting")
    assert ("emptyDir", uid, "scratch") not in storage_for(c.api).disks


def test_memory_emptydir_is_tmpfs():
    c = kl.Cluster(nodes=1, seed=0)
    c.apply(EMPTYDIR_POD.replace("emptyDir: {}", "emptyDir: {medium: Memory}"))
    c.run(20)
    c.kubectl("exec web -- sh -c 'echo 12345 > /data/x'")
    disk = files(c, "web").resolve("/data/x")[0]
    assert disk.tmpfs and disk.size() == 6


HOSTPATH_POD = """
apiVersion: v1
kind: Pod
metadata: {{name: {name}}}
spec:
  nodeName: {node}
  containers: [{{name: app, image: busybox, command: [sleep, "3600"], volumeMounts: [{{name: host, mountPath: /data}}]}}]
  volumes: [{{name: host, hostPath: {{path: /srv/data, type: DirectoryOrCreate}}}}]
"""


def test_hostpath_stays_with_the_node():
    c = kl.Cluster(nodes=2, seed=0)
    c.apply(HOSTPATH_POD.format(name="writer", node="node-1"))
    c.run(20)
    c.kubectl("exec writer -- sh -c 'echo on-node-1 > /data/where'")
    assert node_files(c, "node-1").read("/srv/data/where") == "on-node-1\n"
    c.delete("pod", "writer")
    c.run(40)
    c.apply(HOSTPATH_POD.format(name="same-node", node="node-1"))
    c.apply(HOSTPATH_POD.format(name="other-node", node="node-2"))
    c.run(20)
    assert c.kubectl("exec same-node -- cat /data/where") == "on-node-1"
    assert "No such file or directory" in c.kubectl("exec other-node -- cat /data/where")


def test_hostpath_type_check_fails_mount():
    c = kl.Cluster(nodes=1, seed=0)
    c.apply(HOSTPATH_POD.format(name="p", node="node-1").replace("DirectoryOrCreate", "Directory"))
    c.run(10)
    pod = c.get("pod", "p")
    assert (
        pod["status"]["containerStatuses"][0]["state"]["waiting"]["reason"] == "ContainerCreating"
    )
    messages = {e.message for e in c.events.itertuples() if e.reason == "FailedMount"}
    assert messages == {
        'MountVolume.SetUp failed for volume "host" : hostPath type check failed: /srv/data is not a directory'
    }
    node_files(c, "node-1").makedirs("/srv/data")
    c.run(30)
    assert _running(c, "p")


NFS_APP = """
apiVersion: v1
kind: PersistentVolume
metadata: {name: shared}
spec:
  capacity: {storage: 5Gi}
  accessModes: [ReadWriteMany]
  storageClassName: ""
  nfs: {server: nfs.example.internal, path: /exports/app}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteMany]
  storageClassName: ""
  resources: {requests: {storage: 1Gi}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  replicas: 1
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
      containers: [{name: app, image: nginx, volumeMounts: [{name: data, mountPath: /data}]}]
      volumes: [{name: data, persistentVolumeClaim: {claimName: data}}]
"""


def test_pv_data_survives_replacement_on_another_node_after_node_failure():
    c = kl.Cluster(nodes=3, seed=0)
    c.apply(NFS_APP)
    c.run(30)
    first = _only_pod(c, "app=app")
    c.kubectl(f"exec {first['metadata']['name']} -- sh -c 'echo survived > /data/note'")
    c.fail_node(first["spec"]["nodeName"])
    c.run(420)
    pods = [
        p
        for p in c.list("pod", selector="app=app")
        if p["status"].get("phase") == "Running" and not p["metadata"].get("deletionTimestamp")
    ]
    assert len(pods) == 1 and pods[0]["spec"]["nodeName"] != first["spec"]["nodeName"]
    assert c.kubectl(f"exec {pods[0]['metadata']['name']} -- cat /data/note") == "survived"
    assert volume_files(c, "shared").read("/note") == "survived\n"


CONFIG = """
apiVersion: v1
kind: ConfigMap
metadata: {name: app-config}
data: {color: blue, size: L}
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {username: admin, password: s3cr3t}
"""
CONFIG_POD = """
apiVersion: v1
kind: Pod
metadata: {name: app}
spec:
  containers:
  - name: app
    image: busybox
    command: [sleep, "3600"]
    volumeMounts:
    - {name: config, mountPath: /etc/config}
    - {name: picked, mountPath: /etc/picked}
    - {name: creds, mountPath: /etc/creds, readOnly: true}
  volumes:
  - {name: config, configMap: {name: app-config}}
  - {name: picked, configMap: {name: app-config, items: [{key: size, path: sizes/current, mode: 0400}]}}
  - {name: creds, secret: {secretName: creds, defaultMode: 0600}}
"""


def test_configmap_and_secret_files():
    c = kl.Cluster(nodes=1, seed=0)
    c.apply(CONFIG + "---" + CONFIG_POD)
    c.run(20)
    assert c.kubectl("exec app -- ls /etc/config") == "color\nsize"
    assert c.kubectl("exec app -- cat /etc/config/color") == "blue"
    assert c.kubectl("exec app -- ls /etc/picked") == "sizes"
    fs = files(c, "app")
    assert fs.read("/etc/picked/sizes/current") == "L"
    assert fs.stat("/etc/picked/sizes/current").mode == 0o400
    assert fs.read("/etc/creds/password") == "s3cr3t"
    assert fs.stat("/etc/creds/password").mode == 0o600
    assert fs.resolve("/etc/creds/password")[0].tmpfs
    assert c.kubectl("exec app -- sh -c 'echo x > /etc/config/new'") == (
        "sh: can't create /etc/config/new: Read-only file system\ncommand terminated with exit code 1"
    )


def test_configmap_updates_reach_the_pod_later():
    c = kl.Cluster(nodes=1, seed=0)
    c.apply(CONFIG + "---" + CONFIG_POD)
    c.run(20)
    c.apply(CONFIG.replace("color: blue", "color: red"))
    c.run(1)
    assert c.kubectl("exec app -- cat /etc/config/color") == "blue"  # not yet
    c.run(60)
    assert c.kubectl("exec app -- cat /etc/config/color") == "red"


def test_missing_configmap_keeps_pod_creating_until_it_exists():
    c = kl.Cluster(nodes=1, seed=0)
    c.apply(CONFIG_POD)
    c.run(30)
    pod = c.get("pod", "app")
    assert pod["status"]["phase"] == "Pending"
    assert "ContainerCreating" in c.kubectl("get pod app")
    messages = [e.message for e in c.events.itertuples() if e.reason == "FailedMount"]
    assert (
        'MountVolume.SetUp failed for volume "config" : configmap "app-config" not found'
        in messages
    )
    assert 'MountVolume.SetUp failed for volume "creds" : secret "creds" not found' in messages
    c.run(150)
    messages = [e.message for e in c.events.itertuples() if e.reason == "FailedMount"]
    assert any(
        m.startswith("Unable to attach or mount volumes: unmounted volumes=[") for m in messages
    )
    c.apply(CONFIG)
    c.run(150)
    assert _running(c, "app")


def test_projected_and_downward_api_volumes():
    c = kl.Cluster(nodes=1, seed=0)
    c.apply("""
apiVersion: v1
kind: Secret
metadata: {name: user}
stringData: {username: admin}
---
apiVersion: v1
kind: Pod
metadata: {name: app, labels: {tier: web, zone: a}}
spec:
  containers:
  - name: app
    image: busybox
    command: [sleep, "3600"]
    resources: {limits: {memory: 64Mi}}
    volumeMounts: [{name: all, mountPath: /projected}, {name: info, mountPath: /etc/podinfo}]
  volumes:
  - name: all
    projected:
      sources:
      - secret: {name: user}
      - downwardAPI: {items: [{path: name, fieldRef: {fieldPath: metadata.name}}]}
      - serviceAccountToken: {path: token, audience: api}
  - name: info
    downwardAPI:
      items:
      - {path: labels, fieldRef: {fieldPath: metadata.labels}}
      - {path: mem, resourceFieldRef: {containerName: app, resource: limits.memory, divisor: 1Mi}}
""")
    c.run(20)
    assert c.kubectl("exec app -- ls /projected") == "name\ntoken\nusername"
    assert c.kubectl("exec app -- cat /projected/username") == "admin"
    assert c.kubectl("exec app -- cat /projected/name") == "app"
    assert c.kubectl("exec app -- cat /projected/token").count(".") == 2
    assert c.kubectl("exec app -- cat /etc/podinfo/labels") == 'tier="web"\nzone="a"'
    assert c.kubectl("exec app -- cat /etc/podinfo/mem") == "64"


def test_pvc_unbound_pod_waits_in_container_creating():
    c = kl.Cluster(nodes=1, seed=0)
    c.apply("""
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: ""
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: Pod
metadata: {name: app}
spec:
  nodeName: node-1
  containers: [{name: app, image: busybox, command: [sleep, "3600"], volumeMounts: [{name: d, mountPath: /d}]}]
  volumes: [{name: d, persistentVolumeClaim: {claimName: data}}]
""")
    c.run(20)
    assert "ContainerCreating" in c.kubectl("get pod app")
    with pytest.raises(kl.NotFound):
        files(c, "app")


def test_memory_emptydir_counts_against_the_memory_limit():
    c = kl.Cluster(nodes=1, seed=0)
    c.apply("""
apiVersion: v1
kind: Pod
metadata: {name: ram}
spec:
  containers:
  - name: app
    image: busybox
    command: [sleep, "3600"]
    resources: {limits: {memory: 32Mi}}
    volumeMounts: [{name: cache, mountPath: /cache}]
  volumes: [{name: cache, emptyDir: {medium: Memory}}]
""")
    c.run(20)
    out = c.kubectl("exec ram -- dd if=/dev/zero of=/cache/small bs=1M count=8")
    assert out == "8+0 records in\n8+0 records out"
    out = c.kubectl("exec ram -- dd if=/dev/zero of=/cache/big bs=1M count=40")
    assert out.endswith("command terminated with exit code 137")
    c.run(1)
    status = c.get("pod", "ram")["status"]["containerStatuses"][0]
    assert status["lastState"]["terminated"]["reason"] == "OOMKilled"
    assert status["restartCount"] == 1


def test_generic_ephemeral_volume_gets_a_claim_owned_by_the_pod():
    c = kl.Cluster(nodes=2, seed=0)
    c.apply("""
apiVersion: v1
kind: Pod
metadata: {name: scratch}
spec:
  containers: [{name: app, image: busybox, command: [sleep, "3600"], volumeMounts: [{name: work, mountPath: /work}]}]
  volumes:
  - name: work
    ephemeral:
      volumeClaimTemplate:
        metadata: {labels: {type: scratch}}
        spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
""")
    c.run(20)
    claim = c.get("pvc", "scratch-work")
    assert claim["metadata"]["ownerReferences"][0]["name"] == "scratch"
    assert claim["metadata"]["labels"] == {"type": "scratch"}
    assert claim["status"]["phase"] == "Bound"
    assert c.get("pod", "scratch")["status"]["phase"] == "Running"
    c.kubectl("exec scratch -- sh -c 'echo x > /work/f'")
    c.delete("pod", "scratch")
    c.run(60)
    assert c.list("pvc") == [] and c.list("pv", None) == []


def test_configmap_subpath_mount_never_sees_updates():
    c = kl.Cluster(nodes=1, seed=0)
    c.apply(
        CONFIG
        + """---
apiVersion: v1
kind: Pod
metadata: {name: app}
spec:
  containers:
  - name: app
    image: busybox
    command: [sleep, "3600"]
    volumeMounts:
    - {name: config, mountPath: /etc/config}
    - {name: config, mountPath: /etc/color, subPath: color}
  volumes: [{name: config, configMap: {name: app-config}}]
"""
    )
    c.run(20)
    assert c.kubectl("exec app -- cat /etc/color") == "blue"
    c.apply(CONFIG.replace("color: blue", "color: red"))
    c.run(90)
    assert c.kubectl("exec app -- cat /etc/config/color") == "red"
    assert c.kubectl("exec app -- cat /etc/color") == "blue"  # the subPath copy is pinned
    c.kubectl("exec app -- kill 1")
    c.run(30)
    assert c.kubectl("exec app -- cat /etc/color") == "red"  # a new container takes a new copy
