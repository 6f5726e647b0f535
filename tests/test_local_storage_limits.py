"""Simulated disks have sizes: a learner's ``dd`` fills a volume, never the kernel's memory.

A disk-backed emptyDir past its ``sizeLimit`` and a container past its ``ephemeral-storage``
limit are evicted by the kubelet (upstream's messages); a memory-backed emptyDir, a
PersistentVolume and a node's filesystem are full at their size (``No space left on
device``). A file keeps at most ``MAX_CONTENT`` characters, whatever its size.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kubelab as kl
from kubelab.storage import backends
from kubelab.storage.disk import MAX_CONTENT, Disk, Pool
from kubelab.storage.rootfs import ContainerFS, Mount
from kubelab.storage.shell import Shell


def _pod(name, volume=None, resources=None):
    container = {"name": "c", "image": "busybox", "command": ["sleep", "36000"]}
    spec = {"containers": [container]}
    if volume is not None:
        container["volumeMounts"] = [{"name": volume["name"], "mountPath": "/vol"}]
        spec["volumes"] = [volume]
    if resources is not None:
        container["resources"] = resources
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


@pytest.fixture
def cluster():
    return kl.Cluster(nodes=1, seed=0)


def _disks(c, kind):
    storage = backends.storage_for(c.api)
    return [d for key, d in storage.disks.items() if key[0] == kind]


def test_empty_dir_past_its_size_limit_is_evicted(cluster):
    c = cluster
    c.apply(_pod("filler", {"name": "cache", "emptyDir": {"sizeLimit": "10Mi"}}))
    c.run(10)
    c.kubectl("exec filler -- dd if=/dev/zero of=/vol/a bs=1M count=8")
    c.run(30)
    assert c.get("pod", "filler")["status"]["phase"] == "Running"  # within its limit
    c.kubectl("exec filler -- dd if=/dev/zero of=/vol/b bs=1M count=8")
    c.run(15)
    status = c.get("pod", "filler")["status"]
    assert (status["phase"], status["reason"]) == ("Failed", "Evicted")
    assert status["message"] == 'Usage of EmptyDir volume "cache" exceeds the limit "10Mi". '
    target = [x for x in status["conditions"] if x["type"] == "DisruptionTarget"]
    assert target and target[0]["reason"] == "TerminationByKubelet"
    events = c.events
    evicted = events[(events.reason == "Evicted") & (events.name == "filler")]
    assert list(evicted.message) == [status["message"]]
    # printPod shows the killed container's reason, not the pod's, as real kubectl does
    assert "Error" in c.kubectl("get pod filler")


def test_container_past_its_ephemeral_storage_limit_is_evicted(cluster):
    c = cluster
    c.apply(_pod("writer", resources={"limits": {"ephemeral-storage": "5Mi"}}))
    c.run(10)
    out = c.kubectl("exec writer -- dd if=/dev/zero of=/tmp/junk bs=1M count=6")
    assert "6+0 records out" in out
    c.run(15)
    status = c.get("pod", "writer")["status"]
    assert status["reason"] == "Evicted"
    assert status["message"] == (
        "Pod ephemeral local storage usage exceeds the total limit of containers 5Mi. "
    )


def test_memory_backed_empty_dir_is_full_at_its_size_limit(cluster):
    c = cluster
    volume = {"name": "ram", "emptyDir": {"medium": "Memory", "sizeLimit": "4Mi"}}
    c.apply(_pod("ram", volume))
    c.run(10)
    out = c.kubectl("exec ram -- dd if=/dev/zero of=/vol/x bs=1M count=10")
    assert "dd: error writing '/vol/x': No space left on device" in out
    assert "command terminated with exit code 1" in out
    assert "4194304" in c.kubectl("exec ram -- ls -l /vol")
    assert "No space left on device" in c.kubectl("exec ram -- sh -c 'echo hi >> /vol/x'")
    assert c.get("pod", "ram")["status"]["phase"] == "Running"


def test_node_disk_is_full_at_the_nodes_ephemeral_storage_and_costs_no_memory(cluster):
    c = cluster
    c.apply(_pod("big"))
    c.run(10)
    out = c.kubectl("exec big -- dd if=/dev/zero of=/tmp/huge bs=1G count=1000000")
    assert "No space left on device" in out
    storage = backends.storage_for(c.api)
    pool = storage.pools["node-1"]
    assert pool.used == pool.capacity == 20 * 2**30  # DEFAULT_CAPACITY's 20Gi, no more
    (layer,) = _disks(c, "layer")
    assert layer.used == pool.capacity
    assert len(layer.files["/tmp/huge"].content) == MAX_CONTENT  # 1 MiB held, 20 GiB counted
    c.kubectl("exec big -- rm /tmp/huge")
    assert pool.used == 0


def test_persistent_volume_is_full_at_its_capacity(cluster):
    c = cluster
    c.apply(
        """
apiVersion: v1
kind: PersistentVolume
metadata: {name: small}
spec:
  capacity: {storage: 2Mi}
  accessModes: [ReadWriteOnce]
  storageClassName: manual
  nfs: {server: nfs.example, path: /small}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: claim}
spec:
  storageClassName: manual
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Mi}}
"""
    )
    c.apply(_pod("db", {"name": "data", "persistentVolumeClaim": {"claimName": "claim"}}))
    c.run(30)
    out = c.kubectl("exec db -- dd if=/dev/zero of=/vol/x bs=1M count=3")
    assert "No space left on device" in out
    assert "2+0 records out" in out


def test_deleted_pod_gives_its_bytes_back_and_restarts_drop_old_layers(cluster):
    c = cluster
    c.apply(_pod("tmp", {"name": "scratch", "emptyDir": {}}))
    c.run(10)
    c.kubectl("exec tmp -- dd if=/dev/zero of=/vol/x bs=1M count=3")
    pool = backends.storage_for(c.api).pools["node-1"]
    assert pool.used == 3 * 2**20
    c.delete("pod", "tmp")
    c.run(40)
    assert pool.used == 0


def test_a_restarted_container_leaves_no_old_layer(cluster):
    c = cluster
    c.apply(_pod("restarts"))
    c.run(10)
    c.kubectl("exec restarts -- dd if=/dev/zero of=/tmp/x bs=1M count=1")
    for _ in range(3):
        c.kubectl("exec restarts -- kill 1")
        c.run(60)
    assert c.get("pod", "restarts")["status"]["containerStatuses"][0]["restartCount"] == 3
    assert len(_disks(c, "layer")) == 1
    assert backends.storage_for(c.api).pools["node-1"].used == 0


def test_disk_and_pool_accounting():
    pool = Pool(100)
    a, b = Disk(pool=pool), Disk(pool=pool, capacity=30)
    a.write("/x", "x" * 60)
    with pytest.raises(Exception, match="No space left on device"):
        b.write("/y", "y" * 50)
    assert (b.used, pool.used) == (30, 90)
    a.write("/x", "short")  # overwriting gives bytes back
    assert pool.used == 35
    b.remove("/y")
    a.clear()
    assert pool.used == 0
    c = Disk()
    c.write("/z", "\0", size=5 * 2**40)  # five tebibytes of zeros cost nothing
    assert c.stat("/z").size == c.used == 5 * 2**40


@pytest.mark.parametrize(
    ("script", "stderr", "code"),
    [
        ("dd if=/dev/zero of=/tmp/x bs=", "dd: invalid number ''\n", 1),
        ("dd if=/dev/zero of=/tmp/x bs=abc", "dd: invalid number 'abc'\n", 1),
        ("dd if=/dev/zero of=/tmp/x count=-1", "dd: invalid number '-1'\n", 1),
        ("dd junk", "dd: invalid argument 'junk'\n", 1),
        ("head -n abc /etc/hostname", "head: invalid number 'abc'\n", 1),
        ("tail -n " + "9" * 5000, "tail: invalid number '" + "9" * 5000 + "'\n", 1),
        ("head -n", "head: option requires an argument -- 'n'\n", 1),
        ("exit abc", "sh: exit: Illegal number: abc\n", 2),
        ("exit 300", "", 44),
        ("echo $(echo", 'sh: syntax error: unexpected end of file (expecting ")")\n', 2),
        ("echo " + "$(" * 500 + ")" * 500, "sh: $(...) nested more than 50 deep\n", 2),
    ],
)
def test_shell_answers_bad_arguments_like_busybox(script, stderr, code):
    sh = Shell(ContainerFS(Disk(), [Mount("/data", Disk())]))
    _out, err, status = sh.run(["sh", "-c", script])
    assert (err, status) == (stderr, code)


def test_exit_in_a_command_substitution_ends_only_the_subshell():
    sh = Shell(ContainerFS(Disk(), []))
    assert sh.run(["sh", "-c", "echo a$(exit 3)b; echo done"]) == ("ab\ndone\n", "", 0)


def test_outputs_are_bounded():
    disk = Disk()
    disk.write("/big", "\0", size=10 * 2**30)
    sh = Shell(ContainerFS(Disk(), [Mount("/data", disk)]))
    out, _err, _ = sh.run(["sh", "-c", "cat " + " ".join(["/data/big"] * 50)])
    assert len(out) <= MAX_CONTENT
    out, _err, _ = sh.run(["dd", "if=/dev/zero", "bs=1G", "count=100"])
    assert len(out) <= MAX_CONTENT


_WORDS = [
    "echo", "cat", "ls", "-l", "rm", "-rf", "mkdir", "-p", "touch", "dd", "if=/dev/zero",
    "of=/data/f", "bs=1M", "bs=", "count=3", "count=x", "head", "tail", "-n", "abc", "5",
    "wc", "-c", "grep", "x", "exit", "kill", "1", "test", "-f", "[", "]", "sleep", "cd",
    "/data", "/data/f", "/tmp", "..", "$?", "$HOME", "${X", "$(", ")", "'", '"', "\\", "|",
    "||", "&&", ";", ">", ">>", "<", "2>", "#", "\n", "9" * 40, "\0", "é", "\udcff",
]  # fmt: skip


@settings(max_examples=300)
@given(st.lists(st.sampled_from(_WORDS), max_size=30), st.integers(0, 3))
def test_no_script_escapes_the_shell(words, depth):
    """Whatever a learner types after ``kubectl exec -- sh -c``, the shell answers."""
    script = " ".join(words)
    for _ in range(depth):
        script = f"echo $({script})"
    data = Disk(capacity=8 * 2**20)
    sh = Shell(ContainerFS(Disk(), [Mount("/data", data)]), env={"HOME": "/root"})
    out, err, code = sh.run(["sh", "-c", script])
    assert isinstance(out, str) and isinstance(err, str) and 0 <= code <= 255
    assert data.used <= data.capacity
