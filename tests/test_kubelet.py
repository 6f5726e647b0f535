"""The kubelet on a real API server, informers and clock: registration, heartbeats, pods."""

from __future__ import annotations

import ipaddress
import itertools

import pytest

import kubelab as kl
from kubelab.apiserver import APIServer
from kubelab.client import InformerFactory
from kubelab.controllers import Context
from kubelab.errors import NotFound
from kubelab.images import ImageCatalog
from kubelab.kubectl.podstatus import pod_summary
from kubelab.kubelet import Kubelet
from kubelab.sim import Clock


class Env:
    """An API server with kubelets and no scheduler: tests bind pods themselves."""

    def __init__(self, nodes=("node-1",), images=None):
        self.clock = Clock()
        self.api = APIServer(self.clock, seed=0)
        for ns in ("default", "kube-node-lease", "kube-system"):
            self.api.create(
                {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}, user="test"
            )
        self.informers = InformerFactory(self.api)
        catalog = ImageCatalog.coerce(images)
        self.ctx = Context(self.clock, self.api, self.informers, 0, config={"images": catalog})
        self.kubelets = {}
        for name in nodes:
            self.kubelets[name] = Kubelet(self.ctx, {"metadata": {"name": name}})
            self.kubelets[name].start()

    def pod(self, name, containers, node="node-1", **spec):
        if isinstance(containers, str):
            containers = [{"name": "app", "image": containers}]
        obj = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name},
            "spec": {"containers": containers, **spec},
        }
        created = self.api.create(obj, user="kubectl")
        if node:
            self.api.bind(created, node, user="default-scheduler")
        return created

    def run(self, seconds):
        self.clock.run_until(self.clock.now + seconds)
        return self

    def get(self, name):
        return self.api.get("Pod", name)

    def status(self, name):
        return pod_summary(self.get(name), self.clock.now)[1]

    def events(self, name, reason=None):
        return [
            (t, r, m)
            for t, _ns, _kind, n, _type, r, m, _src in self.api.events.log
            if n == name and (reason is None or r == reason)
        ]


@pytest.fixture
def env():
    return Env()


def test_node_registration(env):
    node = env.api.get("Node", "node-1")
    labels = node["metadata"]["labels"]
    assert labels["kubernetes.io/hostname"] == "node-1"
    assert labels["kubernetes.io/os"] == "linux" and labels["kubernetes.io/arch"] == "amd64"
    status = node["status"]
    assert status["capacity"]["pods"] == "110" and status["capacity"]["cpu"] == "2"
    assert {"type": "Hostname", "address": "node-1"} in status["addresses"]
    assert status["nodeInfo"]["kubeletVersion"].startswith("v1.34.")
    assert status["nodeInfo"]["containerRuntimeVersion"].startswith("containerd://")
    ready = next(c for c in status["conditions"] if c["type"] == "Ready")
    assert (ready["status"], ready["reason"], ready["message"]) == (
        "True",
        "KubeletReady",
        "kubelet is posting ready status",
    )
    assert node["spec"]["podCIDR"] == "10.244.0.0/24"


def test_custom_node_manifest_keeps_labels_taints_and_capacity():
    env = Env(nodes=())
    manifest = {
        "metadata": {"name": "big", "labels": {"topology.kubernetes.io/zone": "eu-1a"}},
        "spec": {"taints": [{"key": "gpu", "value": "true", "effect": "NoSchedule"}]},
        "status": {"capacity": {"cpu": "16", "memory": "64Gi", "nvidia.com/gpu": "2"}},
    }
    Kubelet(env.ctx, manifest).start()
    node = env.api.get("Node", "big")
    assert node["metadata"]["labels"]["topology.kubernetes.io/zone"] == "eu-1a"
    assert node["spec"]["taints"][0]["key"] == "gpu"
    assert node["status"]["capacity"]["cpu"] == "16"
    assert node["status"]["capacity"]["nvidia.com/gpu"] == "2"
    assert node["status"]["allocatable"]["memory"] == f"{64 * 2**20 - 100 * 2**10}Ki"


def test_lease_renewed_every_ten_seconds(env):
    renewals = []
    env.api.store.watch(
        "Lease", lambda _e, obj, _old: renewals.append((env.clock.now, obj["spec"]["renewTime"]))
    )
    env.run(35)
    assert [t for t, _ in renewals] == [10.0, 20.0, 30.0]
    assert renewals[-1][1] == "2025-01-01T00:00:30.000000Z"
    lease = env.api.get("Lease", "node-1", "kube-node-lease")
    assert lease["spec"]["holderIdentity"] == "node-1"
    assert lease["spec"]["leaseDurationSeconds"] == 40


def test_node_status_posted_every_five_minutes_when_unchanged(env):
    env.run(610)
    posts = [
        t for t, user, verb, kind, *_ in env.api.audit if kind == "Node" and verb == "update/status"
    ]
    assert posts == [300.0, 600.0]


def test_pod_runs_with_upstream_events_and_status(env):
    env.pod("web", "nginx:1.25")
    env.run(10)
    pod = env.get("web")
    status = pod["status"]
    assert status["phase"] == "Running"
    assert status["hostIP"] == "192.168.0.2"
    assert status["podIP"] == "10.244.0.2" and status["podIPs"] == [{"ip": "10.244.0.2"}]
    assert status["startTime"] == "2025-01-01T00:00:00Z"
    cs = status["containerStatuses"][0]
    assert cs["ready"] and cs["started"] and cs["restartCount"] == 0
    assert cs["image"] == "docker.io/library/nginx:1.25"
    assert cs["containerID"].startswith("containerd://")
    assert [c["type"] for c in status["conditions"] if c["status"] == "True"] == [
        "PodReadyToStartContainers",
        "Initialized",
        "Ready",
        "ContainersReady",
        "PodScheduled",
    ]
    messages = [m for _, _, m in env.events("web")]
    assert messages == [
        'Pulling image "nginx:1.25"',
        'Successfully pulled image "nginx:1.25" in 3s (3s including waiting). '
        "Image size: 72060000 bytes.",
        "Created container: app",
        "Started container app",
    ]
    source = env.api.events.log[-1][-1]
    assert source == "kubelet/node-1"


def test_container_creating_then_running(env):
    env.pod("web", "nginx:1.25")
    env.run(1)
    assert env.status("web") == "ContainerCreating"
    assert env.get("web")["status"]["phase"] == "Pending"
    env.run(5)
    assert env.status("web") == "Running"


def test_images_already_present_are_not_pulled_again(env):
    env.pod("a", "nginx:1.25")
    env.run(10)
    env.pod("b", "nginx:1.25")
    env.run(3)
    assert (
        env.events("b", "Pulled")[0][2] == 'Container image "nginx:1.25" already present on machine'
    )
    assert env.events("b", "Pulling") == []
    assert env.status("b") == "Running"


def test_image_pulls_are_serialized_per_node(env):
    env.pod("a", "nginx:1.25")
    env.pod("b", "redis:7")
    env.run(10)
    pulled = env.events("b", "Pulled")[0][2]
    assert "in 4s (7s including waiting)" in pulled


def test_crash_loop_backoff_doubles_to_five_minutes(env):
    # kubelab/crashy exits with code 1 five seconds after it starts; start takes 1 s.
    env.pod("crashy", [{"name": "app", "image": "kubelab/crashy:v1"}])
    env.run(1800)
    started = [t for t, _, _ in env.events("crashy", "Started")]
    waits = [round(b - a - 5 - 1, 6) for a, b in itertools.pairwise(started)]
    assert waits[:8] == [0, 10, 20, 40, 80, 160, 300, 300]
    cs = env.get("crashy")["status"]["containerStatuses"][0]
    assert cs["restartCount"] == len(started) - 1
    assert cs["lastState"]["terminated"]["exitCode"] == 1
    assert cs["lastState"]["terminated"]["reason"] == "Error"
    backoffs = env.events("crashy", "BackOff")
    assert backoffs[0][2].startswith(
        "Back-off restarting failed container app in pod crashy_default("
    )


def test_crash_loop_status_and_message(env):
    env.pod("crashy", [{"name": "app", "image": "kubelab/crashy:v1"}])
    env.run(16)  # crashed twice: in its first 10 s back-off
    pod = env.get("crashy")
    cs = pod["status"]["containerStatuses"][0]
    assert cs["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    uid = pod["metadata"]["uid"]
    assert cs["state"]["waiting"]["message"] == (
        f"back-off 10s restarting failed container=app pod=crashy_default({uid})"
    )
    assert pod["status"]["phase"] == "Running"
    assert env.status("crashy") == "CrashLoopBackOff"


def test_restart_policies(env):
    env.pod("never", [{"name": "app", "image": "kubelab/crashy:v1"}], restartPolicy="Never")
    env.pod("job", [{"name": "app", "image": "kubelab/job:v1"}], restartPolicy="OnFailure")
    env.pod("sh", [{"name": "app", "image": "busybox:1.36"}])
    env.run(40)
    never = env.get("never")["status"]
    assert never["phase"] == "Failed"
    assert never["containerStatuses"][0]["state"]["terminated"]["exitCode"] == 1
    assert env.status("never") == "Error"
    job = env.get("job")["status"]
    assert job["phase"] == "Succeeded" and env.status("job") == "Completed"
    assert [c["reason"] for c in job["conditions"] if c["type"] == "Ready"] == ["PodCompleted"]
    # busybox without a command exits at once: restartPolicy Always makes it crash-loop
    sh = env.get("sh")["status"]["containerStatuses"][0]
    assert sh["restartCount"] >= 2
    assert sh["lastState"]["terminated"]["reason"] == "Completed"


def test_shell_command_keeps_busybox_running(env):
    env.pod("sleeper", [{"name": "s", "image": "busybox:1.36", "command": ["sleep", "3600"]}])
    env.run(30)
    assert env.status("sleeper") == "Running"


def test_oom_killed(env):
    container = {
        "name": "app",
        "image": "kubelab/leaky:v1",
        "resources": {"limits": {"memory": "64Mi"}},
    }
    env.pod("leaky", [container], restartPolicy="Never")
    env.run(40)
    terminated = env.get("leaky")["status"]["containerStatuses"][0]["state"]["terminated"]
    assert (terminated["reason"], terminated["exitCode"]) == ("OOMKilled", 137)
    started = env.events("leaky", "Started")[0][0]
    # 20Mi at start, +2Mi/s: reaches 64Mi after 22 s
    assert env.get("leaky")["status"]["phase"] == "Failed"
    assert terminated["finishedAt"] == f"2025-01-01T00:00:{int(started + 22):02d}Z"


def test_image_pull_errors(env):
    env.pod("bad", "nginx:1.99")
    env.run(1.6)
    cs = env.get("bad")["status"]["containerStatuses"][0]
    assert cs["state"]["waiting"]["reason"] == "ErrImagePull"
    assert "not found" in cs["state"]["waiting"]["message"]
    env.run(2)
    cs = env.get("bad")["status"]["containerStatuses"][0]
    assert cs["state"]["waiting"] == {
        "reason": "ImagePullBackOff",
        "message": 'Back-off pulling image "nginx:1.99"',
    }
    env.run(60)
    pulls = [t for t, _, _ in env.events("bad", "Pulling")]
    assert [round(b - a, 6) for a, b in itertools.pairwise(pulls)][:2] == [11.0, 21.0]


def test_invalid_image_name(env):
    env.pod("upper", "NGINX")
    env.run(2)
    waiting = env.get("upper")["status"]["containerStatuses"][0]["state"]["waiting"]
    assert waiting["reason"] == "InvalidImageName"
    assert waiting["message"].startswith('Failed to apply default image tag "NGINX"')
    assert env.status("upper") == "InvalidImageName"


def test_pod_ips_are_unique_and_from_the_node_cidr():
    env = Env(nodes=("node-1", "node-2"))
    for i in range(12):
        env.pod(f"p{i}", "nginx:1.25", node=f"node-{i % 2 + 1}")
    env.run(30)
    ips = {}
    for i in range(12):
        status = env.get(f"p{i}")["status"]
        ips[f"p{i}"] = status["podIP"]
        cidr = env.api.get("Node", f"node-{i % 2 + 1}")["spec"]["podCIDR"]
        assert ipaddress.ip_address(status["podIP"]) in ipaddress.ip_network(cidr)
    assert len(set(ips.values())) == 12
    assert env.api.get("Node", "node-2")["spec"]["podCIDR"] == "10.244.1.0/24"
    assert env.get("p1")["status"]["hostIP"] == "192.168.0.3"


def test_multi_container_pod_shares_one_ip(env):
    containers = [
        {"name": "web", "image": "nginx:1.25", "ports": [{"containerPort": 80}]},
        {"name": "sidecar", "image": "busybox:1.36", "command": ["sh", "-c", "tail -f /dev/null"]},
    ]
    env.pod("pair", containers)
    env.run(10)
    status = env.get("pair")["status"]
    assert status["podIPs"] == [{"ip": status["podIP"]}]
    assert [c["ready"] for c in status["containerStatuses"]] == [True, True]
    network = env.kubelets["node-1"].pod_network("default", "pair")
    assert network["ip"] == status["podIP"]
    assert network["ports"][80] == "web"
    assert network["localhost"] == ["sidecar", "web"]


def test_init_containers_run_first(env):
    init = [
        {"name": "wait", "image": "busybox:1.36", "command": ["sh", "-c", "sleep 5"]},
        {"name": "setup", "image": "busybox:1.36", "command": ["sh", "-c", "sleep 2"]},
    ]
    env.pod("init", "nginx:1.25", initContainers=init)
    env.run(1.5)
    assert env.status("init") == "Init:0/2"
    status = env.get("init")["status"]
    assert status["phase"] == "Pending"
    assert status["containerStatuses"][0]["state"]["waiting"]["reason"] == "PodInitializing"
    env.run(6)  # "wait" ran from 1.8 s to 6.8 s
    assert env.status("init") == "Init:1/2"
    env.run(10)
    assert env.status("init") == "Running"
    starts = {m: t for t, _, m in env.events("init", "Started")}
    assert starts["Started container wait"] < starts["Started container setup"]
    assert starts["Started container setup"] < starts["Started container app"]
    inits = env.get("init")["status"]["initContainerStatuses"]
    assert [c["state"]["terminated"]["reason"] for c in inits] == ["Completed", "Completed"]


def test_failed_init_container_with_restart_never_fails_the_pod(env):
    init = [{"name": "check", "image": "busybox:1.36", "command": ["sh", "-c", "exit 2"]}]
    env.pod("init", "nginx:1.25", initContainers=init, restartPolicy="Never")
    env.run(10)
    assert env.get("init")["status"]["phase"] == "Failed"
    assert env.status("init") == "Init:Error"


def test_graceful_deletion(env):
    env.pod("web", "nginx:1.25")
    env.pod("stubborn", "kubelab/stubborn:v1", terminationGracePeriodSeconds=20)
    env.run(10)
    env.api.delete("Pod", "web", user="kubectl")
    env.api.delete("Pod", "stubborn", user="kubectl")
    assert env.status("web") == "Terminating"
    env.run(1)
    with pytest.raises(NotFound):
        env.get("web")
    assert env.events("web", "Killing")[0][2] == "Stopping container app"
    env.run(15)
    assert env.status("stubborn") == "Terminating"
    env.run(5)
    with pytest.raises(NotFound):
        env.get("stubborn")
    deletes = [a for a in env.api.audit if a[2] == "delete" and a[5] == "stubborn"]
    assert deletes[-1][0] == 30.0 and deletes[-1][1] == "kubelet/node-1"
    assert len(env.kubelets["node-1"].pod_cidr) == 0  # IPs released


def test_readiness_probe_waits_for_the_app(env):
    probe = {"httpGet": {"path": "/", "port": 8080}, "periodSeconds": 5}
    slow = {"name": "app", "image": "kubelab/slow-start:v1", "readinessProbe": probe}
    broken = {"name": "app", "image": "kubelab/web:v3-broken", "readinessProbe": probe}
    env.pod("slow", [slow])
    env.pod("broken", [broken])
    env.run(20)
    assert env.get("slow")["status"]["containerStatuses"][0]["ready"] is False
    env.run(30)
    assert env.get("slow")["status"]["containerStatuses"][0]["ready"] is True
    assert env.get("broken")["status"]["containerStatuses"][0]["ready"] is False
    unhealthy = env.events("broken", "Unhealthy")[-1][2]  # the first is "connection refused"
    assert unhealthy == "Readiness probe failed: HTTP probe failed with statuscode: 503"


def test_liveness_probe_restarts_the_container(env):
    probe = {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 3}
    c = {"name": "liveness", "image": "registry.k8s.io/liveness", "livenessProbe": probe}
    env.pod("liveness", [c], restartPolicy="Always")
    env.run(40)
    killing = env.events("liveness", "Killing")
    assert killing[0][2] == "Container liveness failed liveness probe, will be restarted"
    assert env.get("liveness")["status"]["containerStatuses"][0]["restartCount"] >= 1


def test_stop_and_start(env):
    kubelet = env.kubelets["node-1"]
    env.pod("web", "nginx:1.25")
    env.run(10)
    ip_before = env.get("web")["status"]["podIP"]
    kubelet.stop()
    renewed = env.api.get("Lease", "node-1", "kube-node-lease")["spec"]["renewTime"]
    env.pod("late", "nginx:1.25")  # bound while the node is down
    env.run(60)
    assert env.api.get("Lease", "node-1", "kube-node-lease")["spec"]["renewTime"] == renewed
    assert env.get("web")["status"]["containerStatuses"][0]["state"].get("running")
    assert "containerStatuses" not in env.get("late")["status"]
    kubelet.start()
    env.run(5)
    web = env.get("web")["status"]["containerStatuses"][0]
    assert web["restartCount"] == 1
    assert web["lastState"]["terminated"]["reason"] == "ContainerStatusUnknown"
    assert "running" in web["state"]
    assert env.get("web")["status"]["podIP"] != ip_before
    assert env.status("late") == "Running"
    boot_ids = env.api.get("Node", "node-1")["status"]["nodeInfo"]["bootID"]
    assert boot_ids  # a new boot
    env.run(10)
    lease = env.api.get("Lease", "node-1", "kube-node-lease")
    assert lease["spec"]["renewTime"] > renewed


def test_pod_deleted_while_node_down_is_removed_on_restart(env):
    kubelet = env.kubelets["node-1"]
    env.pod("web", "nginx:1.25")
    env.run(10)
    kubelet.stop()
    env.api.delete("Pod", "web", user="kubectl")
    env.run(100)
    assert env.status("web") == "Terminating"
    kubelet.start()
    env.run(1)
    with pytest.raises(NotFound):
        env.get("web")


def test_lose_pod_removes_it_at_once(env):
    env.pod("web", "nginx:1.25")
    env.run(10)
    env.kubelets["node-1"].lose_pod(env.get("web"))
    with pytest.raises(NotFound):
        env.get("web")
    env.run(5)
    assert len(env.kubelets["node-1"].pod_cidr) == 0


def test_set_image_on_a_pod_restarts_the_container(env):
    env.pod("web", "nginx:1.25")
    env.run(10)
    pod = env.get("web")
    new = dict(
        pod,
        spec=dict(
            pod["spec"], containers=[{**pod["spec"]["containers"][0], "image": "nginx:1.26"}]
        ),
    )
    env.api.update(new, user="kubectl")
    env.run(10)
    cs = env.get("web")["status"]["containerStatuses"][0]
    assert cs["image"] == "docker.io/library/nginx:1.26"
    assert cs["restartCount"] == 1
    killing = env.events("web", "Killing")[0][2]
    assert killing == "Container app definition changed, will be restarted"


def test_status_is_posted_only_when_it_changed(env):
    env.pod("web", "nginx:1.25")
    env.run(10)
    before = [a for a in env.api.audit if a[2] == "update/status" and a[3] == "Pod"]
    env.run(600)
    after = [a for a in env.api.audit if a[2] == "update/status" and a[3] == "Pod"]
    assert len(after) == len(before)


def test_same_seed_same_history():
    def history():
        env = Env(nodes=("node-1", "node-2"))
        env.pod("a", "kubelab/crashy:v1")
        env.pod("b", "nginx:1.25", node="node-2")
        env.run(100)
        return env.api.events.log, env.get("a")["status"], env.get("b")["status"]

    assert history() == history()


def test_back_off_ends_exactly_when_its_timer_fires():
    """Regression: at finished_at + wait, now - finished_at rounds below wait ((6.4 + 10) - 6.4 <
    10 in floating point); the pod worker then rescheduled itself at that instant forever."""
    from kubelab.kubelet.backoff import Backoff

    backoff = Backoff()
    assert (6.4 + 10) - 6.4 < 10  # the rounding this guards against
    assert backoff.next("c", 6.4) == 10
    assert backoff.in_backoff_since("c", 6.4, 16.3)
    assert not backoff.in_backoff_since("c", 6.4, 6.4 + 10)
    assert not backoff.in_backoff_since_update("c", 6.4 + 10)


def test_changing_a_running_containers_image_to_an_invalid_name_stops_it_cleanly():
    """Found by benchmarks/fuzz_long.py: the old process stops as its own image does; the new
    name is then refused with the kubelet's InvalidImageName."""
    c = kl.Cluster(nodes=1, seed=0)
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "c", "image": "nginx"}]},
    }
    c.apply(pod)
    c.run(10)
    pod["spec"]["containers"][0]["image"] = "´"
    c.apply(pod)
    c.run(40)
    state = c.get("pod", "p")["status"]["containerStatuses"][0]["state"]
    assert state["waiting"]["reason"] == "InvalidImageName"


def test_an_image_changed_again_while_the_old_process_still_stops():
    """Found by benchmarks/fuzz_long.py: sh ignores SIGTERM, so the old process takes its
    grace period to stop; a second image change meanwhile must not kill it twice."""
    c = kl.Cluster(nodes=1, seed=0)
    sleeper = {"name": "c", "image": "busybox", "command": ["sh", "-c", "sleep 3600"]}
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "q"}, "spec": {}}
    pod["spec"]["containers"] = [sleeper]
    c.apply(pod)
    c.run(20)
    sleeper["image"] = "´"
    c.apply(pod)
    c.run(2)
    sleeper["image"] = "busybox"
    c.apply(pod)
    c.run(60)
    status = c.get("pod", "q")["status"]["containerStatuses"][0]
    assert status["state"].get("running") and status["restartCount"] == 1


def _script_pod(name, command, restart="Never"):
    image = {"sh": "busybox", "python3": "python"}.get(command[0], command[0])
    container = {"name": "c", "image": image, "command": command}
    spec = {"restartPolicy": restart, "containers": [container]}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


def test_odd_scripts_never_break_the_simulation():
    """Found in review: ``sleep nan`` used to put NaN on the clock's heap (every later timer
    out of order), and a python3 -c too deep to read escaped c.run."""
    c = kl.Cluster(nodes=1, seed=0)
    c.apply(_script_pod("nan", ["sh", "-c", "sleep nan; echo done"], restart="Always"))
    c.apply(_script_pod("deep", ["python3", "-c", "1" + "+1" * 100_000]))
    c.apply(_script_pod("code", ["python3", "-c", "import sys; sys.exit(300)"]))
    c.apply(_script_pod("true", ["python3", "-c", "import sys; sys.exit(True)"]))
    c.run(60)
    exit_codes = {
        name: c.get("pod", name)["status"]["containerStatuses"][0]["state"]["terminated"]
        for name in ("code", "true")
    }
    assert {n: s["exitCode"] for n, s in exit_codes.items()} == {"code": 44, "true": 1}
    assert c.get("pod", "deep")["status"]["phase"] in ("Succeeded", "Failed")
    c.apply(_script_pod("later", ["busybox", "sleep", "3600"], restart="Always"))
    c.run(30)  # timers after a NaN used to never fire
    assert c.get("pod", "later")["status"]["phase"] == "Running"
    with pytest.raises(ValueError, match="NaN"):
        c.clock.call_later(float("nan"), print)
