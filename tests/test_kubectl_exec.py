"""``kubectl exec``: a tiny shell in a container, with kubectl's output and errors."""

from __future__ import annotations

import pytest

import kubelab as kl
from kubelab.storage.disk import Disk
from kubelab.storage.rootfs import ContainerFS, Mount
from kubelab.storage.shell import Shell

TWO_CONTAINERS = """
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {mode: fast}
---
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
  - name: nginx
    image: nginx
    env:
    - {name: GREETING, value: hello}
    - name: MODE
      valueFrom: {configMapKeyRef: {name: settings, key: mode}}
    - name: MY_POD
      valueFrom: {fieldRef: {fieldPath: metadata.name}}
    volumeMounts: [{name: shared, mountPath: /data}]
  - name: sidecar
    image: busybox
    command: [sleep, "3600"]
    volumeMounts: [{name: shared, mountPath: /shared}]
  volumes: [{name: shared, emptyDir: {}}]
"""


@pytest.fixture(scope="module")
def cluster():
    c = kl.Cluster(nodes=2, seed=0)
    c.apply(TWO_CONTAINERS)
    c.run(30)
    return c


def test_write_and_read_through_a_shared_volume(cluster):
    c = cluster
    out = c.kubectl("exec web -c nginx -- sh -c 'echo hello > /data/greeting'")
    assert out == ""
    assert c.kubectl("exec web -c sidecar -- cat /shared/greeting") == "hello"
    c.kubectl("exec web -c nginx -- sh -c 'echo again >> /data/greeting'")
    assert c.kubectl("exec web -c sidecar -- cat /shared/greeting") == "hello\nagain"
    assert c.kubectl("exec web -c sidecar -- rm /shared/greeting") == ""
    assert c.kubectl("exec web -c sidecar -- ls /shared") == ""


def test_default_container_is_announced(cluster):
    out = cluster.kubectl("exec web -- hostname")
    assert out == 'Defaulted container "nginx" out of: nginx, sidecar\nweb'


def test_env_date_and_pwd(cluster):
    env = cluster.kubectl("exec web -c nginx -- env").splitlines()
    assert env[:2] == [
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOSTNAME=web",
    ]
    assert {"GREETING=hello", "MODE=fast", "MY_POD=web", "HOME=/root"} <= set(env)
    assert cluster.kubectl("exec web -c nginx -- printenv GREETING") == "hello"
    assert cluster.kubectl("exec web -c nginx -- date") == "Wed Jan  1 00:00:30 UTC 2025"
    assert cluster.kubectl("exec web -c nginx -- sh -c 'cd /data && pwd'") == "/data"


def test_the_containers_own_env_wins_over_service_variables():
    from kubelab.kubelet.containerenv import container_env

    pod = {"metadata": {"name": "p", "namespace": "default"}, "spec": {}}
    spec = {"name": "c", "env": [{"name": "KUBERNETES_SERVICE_HOST", "value": "api.local"}]}
    env = container_env(None, pod, spec)
    assert env["KUBERNETES_SERVICE_HOST"] == "api.local"  # makeEnvironmentVariables
    assert env["KUBERNETES_SERVICE_PORT"] == "443"


def test_unknown_commands_and_exit_codes(cluster):
    assert cluster.kubectl("exec web -c nginx -- sh -c foo") == (
        "sh: foo: not found\ncommand terminated with exit code 127"
    )
    assert (
        cluster.kubectl("exec web -c nginx -- sh -c 'exit 3'")
        == "command terminated with exit code 3"
    )
    assert cluster.kubectl("exec web -c nginx -- ls /nope") == (
        "ls: /nope: No such file or directory\ncommand terminated with exit code 1"
    )
    out = cluster.kubectl("exec web -c nginx -- foo")
    assert out.startswith("error: Internal error occurred: error executing command in container")
    assert 'exec: "foo": executable file not found in $PATH: unknown' in out


def test_nginx_serves_its_html_directory(cluster):
    assert "Welcome to nginx!" in cluster.kubectl("exec web -c nginx -- curl -s http://localhost/")


def test_exec_errors(cluster):
    c = cluster
    assert c.kubectl("exec nope -- ls") == 'Error from server (NotFound): pods "nope" not found'
    assert c.kubectl("exec web") == "error: you must specify at least one command for the container"
    assert c.kubectl("exec web -c nope -- ls") == "error: container nope not found in pod web"
    assert c.kubectl("exec").startswith(
        "error: expected 'exec (POD | TYPE/NAME) -- COMMAND [args...]'."
    )


def test_exec_into_pending_completed_and_unreachable_pods():
    c = kl.Cluster(nodes=1, seed=0)
    c.apply("""
apiVersion: v1
kind: Pod
metadata: {name: once}
spec:
  restartPolicy: Never
  containers: [{name: c, image: busybox, command: [sh, -c, "exit 0"]}]
---
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers: [{name: c, image: nginx}]
""")
    assert (
        c.kubectl("exec web -- ls")
        == 'error: unable to upgrade connection: container not found ("c")'
    )
    c.run(30)
    assert c.kubectl("exec once -- ls") == (
        "error: cannot exec into a container in a completed pod; current phase is Succeeded"
    )
    c.fail_node("node-1")
    ip = c.get("pod", "web")["status"]["hostIP"]
    assert c.kubectl("exec web -- ls") == (
        f"Error from server: error dialing backend: dial tcp {ip}:10250: connect: no route to host"
    )


def test_exec_into_a_deployment_picks_a_pod():
    c = kl.Cluster(nodes=1, seed=0)
    c.apply("""
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: nginx}]}
""")
    c.run(30)
    name = c.kubectl("exec deploy/web -- hostname")
    assert name in {p["metadata"]["name"] for p in c.list("pod")}


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("echo a; echo b", ("a\nb\n", "", 0)),
        ("false && echo no || echo yes", ("yes\n", "", 0)),
        ("echo 'single $HOME' \"double $HOME\"", ("single $HOME double /root\n", "", 0)),
        ("echo -n x; echo y", ("xy\n", "", 0)),
        ("echo $(echo nested)", ("nested\n", "", 0)),
        ("mkdir -p /tmp/a/b && touch /tmp/a/b/f && ls /tmp/a/b", ("f\n", "", 0)),
        ("echo hi > /nodir/x", ("", "sh: can't create /nodir/x: nonexistent directory\n", 1)),
        ("cat /tmp", ("", "cat: read error: Is a directory\n", 1)),
        ("rm /tmp", ("", "rm: '/tmp' is a directory\n", 1)),
        ("printf x", ("", "sh: printf: not found\n", 127)),
        ("echo one > /tmp/f; echo two >> /tmp/f; wc -l < /tmp/f", ("2\n", "", 0)),
        ("echo one > /tmp/f; grep -c one /tmp/f", ("1\n", "", 0)),
        ("[ -f /tmp/none ] || echo missing", ("missing\n", "", 0)),
        ("ls /tmp/none 2>/dev/null; echo $?", ("1\n", "", 0)),
    ],
)
def test_shell_subset(script, expected):
    layer = Disk()
    for d in ("/tmp", "/root"):
        layer.makedirs(d)
    shell = Shell(ContainerFS(layer, [Mount("/ro", Disk(), read_only=True)]), env={"HOME": "/root"})
    assert shell.run(["sh", "-c", script]) == expected


def test_read_only_mount_refuses_writes():
    shell = Shell(ContainerFS(Disk(), [Mount("/ro", Disk(), read_only=True)]))
    assert shell.run(["sh", "-c", "echo x > /ro/f"]) == (
        "",
        "sh: can't create /ro/f: Read-only file system\n",
        1,
    )


def test_nslookup_asks_the_cluster_dns_with_the_pods_search_path(cluster):
    c = cluster
    c.apply(
        "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
        "spec: {selector: {app: web}, ports: [{port: 80}]}\n"
    )
    ip = c.get("service", "web")["spec"]["clusterIP"]
    out = c.kubectl("exec web -c nginx -- nslookup web")
    assert "Name:\tweb.default.svc.cluster.local" in out
    assert f"Address: {ip}" in out
    missing = c.kubectl("exec web -c nginx -- nslookup nosuch")
    assert "** server can't find nosuch.default.svc.cluster.local: NXDOMAIN" in missing
    assert missing.rstrip().endswith("command terminated with exit code 1")
