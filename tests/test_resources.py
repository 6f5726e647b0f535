"""Requests and limits at run time: OOM kills at the memory limit, CPU throttling at the CPU
limit, QoS classes, metrics-server and ``kubectl top``, and node allocatable in describe."""

from __future__ import annotations

import re

import pytest
from test_docs_corpus import CORPUS_DIR

import kubelab as kl
from kubelab.api.meta import parse_time
from kubelab.images import ImageCatalog
from kubelab.kubelet.resources import pod_throttle_factor, throttle_factor
from kubelab.observe.history import HISTORY_COLUMNS
from kubelab.observe.metrics import METRICS_COLUMNS, MetricsServer

PODS = CORPUS_DIR / "pods" / "resource"
needs_corpus = pytest.mark.skipif(not PODS.is_dir(), reason="docs corpus absent")


def _pod(name, image, limits=None, requests=None, **spec):
    resources = {}
    if limits:
        resources["limits"] = limits
    if requests:
        resources["requests"] = requests
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": [{"name": "app", "image": image, "resources": resources}], **spec},
    }


@pytest.fixture
def c():
    return kl.Cluster(nodes=1, seed=0)


def _status(c, name):
    statuses = c.get("pod", name)["status"].get("containerStatuses") or [{"state": {}}]
    return statuses[0]


# -- memory: OOMKilled --------------------------------------------------------------------------
def test_leaky_is_oom_killed_when_it_reaches_its_limit(c):
    c.apply(_pod("leaky", "kubelab/leaky", limits={"memory": "64Mi"}))
    c.run_until(lambda c: "running" in _status(c, "leaky")["state"], timeout=30)
    c.run(21)  # 20Mi + 2Mi/s reaches 64Mi 22 s after the start
    assert "running" in _status(c, "leaky")["state"]
    c.run_until(lambda c: _status(c, "leaky")["restartCount"] == 1, timeout=5)
    terminated = _status(c, "leaky")["lastState"]["terminated"]
    assert (terminated["reason"], terminated["exitCode"]) == ("OOMKilled", 137)
    assert parse_time(terminated["finishedAt"]) - parse_time(terminated["startedAt"]) == 22
    c.run(150)
    status = _status(c, "leaky")
    assert status["restartCount"] >= 3
    assert status["lastState"]["terminated"]["reason"] == "OOMKilled"
    assert re.search(r"leaky +\d/1 +\w+ +\d \(\d+s ago\)", c.kubectl("get pods"))


def test_memory_usage_grows_then_stops_at_the_limit(c):
    c.apply(_pod("leaky", "kubelab/leaky", limits={"memory": "64Mi"}))
    c.run(20)
    rows = c.metrics.usage("Pod")
    rows = rows[rows.name == "leaky"]
    assert rows.memory.is_monotonic_increasing
    assert rows.memory.max() <= 64 * 2**20
    containers = c.metrics.usage("Container")
    assert (containers.memory_limit.dropna() == 64 * 2**20).all()


def test_no_limit_no_oom(c):
    c.apply(_pod("leaky", "kubelab/leaky"))
    c.run(120)
    assert _status(c, "leaky")["restartCount"] == 0
    assert "running" in _status(c, "leaky")["state"]


def test_image_bigger_than_its_limit_is_killed_at_once(c):
    """The docs' memory-demo-2: polinux/stress using 150Mi under a 100Mi limit."""
    c.apply(_pod("stress", "polinux/stress", limits={"memory": "100Mi"}))
    c.run(20)
    status = _status(c, "stress")
    terminated = status["state"].get("terminated") or status["lastState"].get("terminated")
    assert terminated["reason"] == "OOMKilled"


# -- CPU: throttling ----------------------------------------------------------------------------
def test_throttled_at_the_cpu_limit(c):
    c.apply(_pod("busy", "kubelab/busy", limits={"cpu": "250m"}))
    c.apply(_pod("free", "kubelab/busy"))
    c.run(30)
    top = c.kubectl("top pods").splitlines()
    assert [line.split() for line in top] == [
        ["NAME", "CPU(cores)", "MEMORY(bytes)"],
        ["busy", "250m", "32Mi"],
        ["free", "1000m", "32Mi"],
    ]
    assert top[0] == "NAME   CPU(cores)   MEMORY(bytes)   "  # kubectl pads every cell
    pods = c.metrics.usage("Pod").set_index("name")
    assert bool(pods.loc["busy"].throttled.iloc[-1]) and not bool(
        pods.loc["free"].throttled.iloc[-1]
    )
    assert pod_throttle_factor(c.get("pod", "busy"), c.images) == 4.0
    assert pod_throttle_factor(c.get("pod", "free"), c.images) == 1.0


def test_requests_do_not_throttle():
    busy = ImageCatalog.default().lookup("kubelab/busy")
    assert throttle_factor({"resources": {"requests": {"cpu": "100m"}}}, busy) == 1.0
    assert throttle_factor({"resources": {"limits": {"cpu": "2"}}}, busy) == 1.0
    assert throttle_factor({"resources": {"limits": {"cpu": "500m"}}}, busy) == 2.0


@needs_corpus
def test_docs_cpu_demo_is_held_at_its_limit(c):
    """Assign CPU Resources: vish/stress wants 2 CPUs (-cpus 2), its limit is 1: top shows 1 CPU."""
    c.kubectl("create namespace cpu-example")
    c.apply(str(PODS / "cpu-request-limit.yaml"))
    c.run(30)
    top = c.kubectl("top pod cpu-demo -n cpu-example").splitlines()
    assert top[1].split()[:2] == ["cpu-demo", "1000m"]


@needs_corpus
def test_docs_memory_demos(c):
    """Assign Memory Resources: 150M under a 200Mi limit runs; 250M under 100Mi is OOMKilled."""
    c.kubectl("create namespace mem-example")
    c.apply(str(PODS / "memory-request-limit.yaml"))
    c.apply(str(PODS / "memory-request-limit-2.yaml"))
    c.run(60)
    top = c.kubectl("top pod -n mem-example").splitlines()
    assert top[1].split() == ["memory-demo", "1m", "147Mi"]  # 150M allocated + the process
    pod = c.get("pod", "memory-demo-2", "mem-example")["status"]["containerStatuses"][0]
    assert pod["restartCount"] >= 2
    assert pod["lastState"]["terminated"]["reason"] == "OOMKilled"


def test_catalogue_cpu_field_takes_quantities():
    catalog = ImageCatalog()
    assert catalog.register("me/app", cpu="500m").cpu == 0.5
    assert catalog.register("me/app2", cpu=2).cpu == 2.0
    assert catalog.lookup("unknown/app").cpu == 0.001


# -- QoS classes ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("limits", "requests", "qos"),
    [
        (None, None, "BestEffort"),
        ({"cpu": "500m", "memory": "128Mi"}, None, "Guaranteed"),  # requests default to limits
        ({"cpu": "500m", "memory": "128Mi"}, {"cpu": "500m", "memory": "128Mi"}, "Guaranteed"),
        ({"cpu": "500m", "memory": "128Mi"}, {"cpu": "250m", "memory": "128Mi"}, "Burstable"),
        (None, {"memory": "64Mi"}, "Burstable"),
        ({"memory": "128Mi"}, None, "Burstable"),
    ],
)
def test_qos_classes(c, limits, requests, qos):
    c.apply(_pod("p", "nginx", limits=limits, requests=requests))
    assert c.get("pod", "p")["status"]["qosClass"] == qos
    assert re.search(rf"\nQoS Class: +{qos}\n", c.kubectl("describe pod p"))


# -- metrics-server and kubectl top ---------------------------------------------------------------
def test_top_nodes_percent_of_allocatable(c):
    c.apply(_pod("busy", "kubelab/busy"))
    c.run(30)
    lines = c.kubectl("top nodes").splitlines()
    assert lines[0].split() == ["NAME", "CPU(cores)", "CPU%", "MEMORY(bytes)", "MEMORY%"]
    name, cpu, cpu_pct, mem, mem_pct = lines[1].split()
    assert (name, cpu, cpu_pct) == ("node-1", "1050m", "52%")  # 1 core + 50m system of 2
    assert mem == "332Mi" and mem_pct == "8%"  # 32Mi + 300Mi system of 3996Mi


def test_top_node_without_kubelet_is_unknown():
    c = kl.Cluster(nodes=2, seed=0)
    c.run(15)
    c.fail_node("node-2")
    c.run(15)
    assert c.kubectl("top nodes").splitlines()[2].split() == ["node-2"] + ["<unknown>"] * 4


def test_top_pods_flags(c):
    c.kubectl("create namespace team")
    c.apply(_pod("web", "nginx"))
    pod = _pod("api", "kubelab/web:v1")
    pod["metadata"]["namespace"] = "team"
    c.apply(pod)
    c.run(30)
    lines = c.kubectl("top pods -A").splitlines()
    assert lines[0].split() == ["NAMESPACE", "NAME", "CPU(cores)", "MEMORY(bytes)"]
    assert [line.split()[:2] for line in lines[1:]] == [["default", "web"], ["team", "api"]]
    assert c.kubectl("top pods --containers").splitlines()[1].split()[:2] == ["web", "app"]
    assert c.kubectl("top pod nothere") == 'error: pods "nothere" not found'
    assert c.kubectl("top pods -n kube-public") == "No resources found in kube-public namespace."
    assert c.kubectl("top") == 'error: You must specify a resource type: "node" or "pod"'
    assert c.kubectl("top pods --sort-by=name") == "error: --sort-by accepts only cpu or memory"
    by_memory = c.kubectl("top pods -A --sort-by=memory --no-headers").splitlines()
    assert [line.split()[1:] for line in by_memory] == [
        ["api", "1m", "16Mi"],  # kubelab/web uses 16Mi, nginx 8Mi: biggest first
        ["web", "1m", "8Mi"],
    ]


def test_top_reads_the_latest_scrape_every_15_seconds(c):
    c.apply(_pod("leaky", "kubelab/leaky"))
    c.run(16)
    first = c.kubectl("top pods")
    c.run(1)
    assert c.kubectl("top pods") == first  # same sample until the next scrape
    c.run(15)
    assert c.kubectl("top pods") != first


def test_metrics_server_off_until_used():
    c = kl.Cluster(nodes=1, seed=0)
    metrics = MetricsServer(c.clock, c.kubelets, enabled=False)
    c.run(60)
    assert len(metrics.rows) == 0 and not metrics.enabled
    metrics.ensure()
    assert metrics.enabled and metrics.scraped_at == 60.0


def test_frames_keep_their_columns(c):
    c.apply(_pod("web", "nginx"))
    c.run(30)
    assert list(c.metrics.frame().columns) == METRICS_COLUMNS
    assert list(c.history.columns) == HISTORY_COLUMNS
    assert set(c.metrics.frame().kind) == {"Node", "Pod", "Container"}


def test_same_seed_same_samples():
    frames = []
    for _ in range(2):
        c = kl.Cluster(nodes=2, seed=3)
        c.apply(_pod("leaky", "kubelab/leaky", limits={"memory": "48Mi"}))
        c.run(90)
        frames.append(c.metrics.frame())
    assert frames[0].equals(frames[1])


# -- nodes: capacity, allocatable, allocated ------------------------------------------------------
def test_describe_node_allocated_resources(c):
    c.apply(_pod("web", "nginx", limits={"cpu": "500m", "memory": "256Mi"}))
    c.run(10)
    text = c.kubectl("describe node node-1")
    assert "Capacity:\n  cpu:                2\n" in text
    assert (
        "  memory:             4091904Ki\n" in text
    )  # allocatable: 4Gi − 100Mi eviction threshold
    lines = text[text.index("Allocated resources:") :].splitlines()
    assert [line.split() for line in lines[4:9]] == [
        ["cpu", "500m", "(25%)", "500m", "(25%)"],
        ["memory", "256Mi", "(6%)", "256Mi", "(6%)"],
        ["ephemeral-storage", "0", "(0%)", "0", "(0%)"],
        ["hugepages-1Gi", "0", "(0%)", "0", "(0%)"],
        ["hugepages-2Mi", "0", "(0%)", "0", "(0%)"],
    ]


# -- plots and the quota lab --------------------------------------------------------------------
def test_plot_usage_draws_usage_and_limits(c):
    import matplotlib

    matplotlib.use("Agg")
    c.apply(_pod("leaky", "kubelab/leaky", limits={"memory": "64Mi"}))
    c.apply(_pod("busy", "kubelab/busy", limits={"cpu": "250m"}))
    c.run(60)
    ax = kl.viz.plot_usage(c, "memory")
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["busy", "leaky", "leaky limit"]
    limit = ax.get_lines()[2].get_ydata()
    assert set(limit) == {64.0}
    assert max(ax.get_lines()[1].get_ydata()) <= 64.0
    ax = kl.viz.plot_usage(c, "cpu", names=["busy"])
    assert [t.get_text() for t in ax.texts] == ["throttled"]
    assert set(ax.get_lines()[0].get_ydata()) == {250.0}


def test_quota_lab_stalls_then_fits():
    lab = kl.viz.QuotaLab(replicas=6, cpu="300m", quota_cpu="1")
    s = lab.step(40).series()
    assert (int(s.pods.iloc[-1]), float(s.used_cpu.iloc[-1])) == (3, 0.9)
    assert s.refused.iloc[-1] > 0
    lab.set_quota(cpu="2").step(60)
    s = lab.series()
    assert (int(s.pods.iloc[-1]), float(s.used_cpu.iloc[-1]), float(s.hard_cpu.iloc[-1])) == (
        6,
        1.8,
        2.0,
    )
    assert list(s.columns) == [
        "time",
        "used_cpu",
        "hard_cpu",
        "pods",
        "hard_pods",
        "created",
        "refused",
    ]
    assert s.time.is_monotonic_increasing and s.created.iloc[-1] == 6


def test_quota_lab_figure_and_widget():
    import matplotlib

    matplotlib.use("Agg")
    lab = kl.viz.quota_lab(replicas=2, cpu="200m", quota_cpu="1")
    fig = lab.figure()
    assert len(fig.axes) == 2
    assert lab.png().startswith(b"\x89PNG")
    widget = lab.widget
    lab.controls["replicas"].value = 4  # the slider drives set_replicas
    assert lab.replicas == 4 and "scaled to 4" in lab.controls["status"].value
    assert widget is lab.widget


def test_describe_node_counts_init_containers_and_extended_resources():
    gpu = {"metadata": {"name": "gpu-1"},
           "status": {"capacity": {"cpu": "4", "memory": "8Gi", "nvidia.com/gpu": "2"}}}  # fmt: skip
    c = kl.Cluster(nodes=[gpu], seed=0)
    pod = _pod("p", "nginx", requests={"cpu": "250m", "nvidia.com/gpu": "1"},
               limits={"nvidia.com/gpu": "1", "memory": "1Gi"})  # fmt: skip
    pod["spec"]["initContainers"] = [
        {"name": "init", "image": "busybox", "resources": {"requests": {"cpu": "1"}}}
    ]
    c.apply(pod)
    c.run(10)
    text = c.kubectl("describe node gpu-1")
    lines = text[text.index("Allocated resources:") :].splitlines()
    assert lines[4].split() == ["cpu", "1", "(25%)", "0", "(0%)"]  # the init container's 1 CPU
    assert lines[9].split() == ["nvidia.com/gpu", "1", "1"]
