"""Health management: liveness, readiness and startup probes against the images' behaviour.

Probe instants are counted from the container's start (``t0``, its Started event), every
``periodSeconds`` from ``initialDelaySeconds`` on; the app changes just after an instant,
so a probe exactly at ``healthy_for`` still passes.
"""

from __future__ import annotations

import itertools

import pytest
import yaml
from test_kubelet import Env

from kubelab.kubelet import prober
from kubelab.kubelet.containers import SIGKILL_EXIT_CODE

HTTP = {"httpGet": {"path": "/healthz", "port": 8080}}

IMAGES = {
    # unhealthy from 20 s after its start; ignores SIGTERM (so a kill ends in SIGKILL, 137)
    "test/sick:v1": {"healthy_for": 20, "ports": [8080], "stop_seconds": None},
    "test/degrades:v1": {"healthy_for": 30, "ports": [8080]},
    "test/warming:v1": {"ready_after": 12, "ports": [8080]},
    "test/sluggish:v1": {"latency_ms": 2000, "ports": [8080]},
}


@pytest.fixture
def env():
    return Env(images=IMAGES)


def probe(**fields):
    return {**HTTP, **fields}


def started(env, name):
    return [t for t, _, _ in env.events(name, "Started")]


def status(env, name, i=0):
    return env.get(name)["status"]["containerStatuses"][i]


def condition(env, name, kind):
    return next(c for c in env.get(name)["status"]["conditions"] if c["type"] == kind)


def apply_example(env, corpus, filename):
    doc = yaml.safe_load((corpus / "pods" / "probe" / filename).read_text())
    env.api.bind(env.api.create(doc, user="kubectl"), "node-1", user="default-scheduler")
    return doc["metadata"]["name"]


# -- liveness ---------------------------------------------------------------------------------
def test_liveness_kills_at_the_third_failed_probe(env):
    c = {"name": "app", "image": "test/sick:v1"}
    c["livenessProbe"] = probe(periodSeconds=10, failureThreshold=3)
    env.pod("sick", [c], terminationGracePeriodSeconds=5)
    env.run(55)
    t0 = started(env, "sick")[0]
    unhealthy = env.events("sick", "Unhealthy")
    # passes at t0, +10, +20 (still healthy at 20); fails at +30, +40, +50
    assert [t - t0 for t, _, _ in unhealthy] == pytest.approx([30, 40, 50])
    assert {m for _, _, m in unhealthy} == {
        "Liveness probe failed: HTTP probe failed with statuscode: 500"
    }
    (killing,) = env.events("sick", "Killing")
    assert killing[0] - t0 == pytest.approx(50)
    assert killing[2] == "Container app failed liveness probe, will be restarted"
    env.run(killing[0] + 4.9 - env.clock.now)
    assert status(env, "sick")["restartCount"] == 0  # SIGTERM ignored: 5 s of grace
    env.run(1.2)  # SIGKILL at +5, restarted at once (the first restart), started 1 s later
    s = status(env, "sick")
    assert s["restartCount"] == 1 and "running" in s["state"]
    last = s["lastState"]["terminated"]
    assert (last["reason"], last["exitCode"]) == ("Error", SIGKILL_EXIT_CODE)


def test_liveness_kills_count_for_crash_loop_back_off(env):
    c = {"name": "app", "image": "test/sick:v1"}
    c["livenessProbe"] = probe(periodSeconds=10, failureThreshold=1)
    env.pod("sick", [c], terminationGracePeriodSeconds=0)
    env.run(400)
    starts = started(env, "sick")
    kills = [t for t, _, _ in env.events("sick", "Killing")]
    assert [k - s for s, k in zip(starts, kills, strict=False)] == pytest.approx([30] * len(kills))
    # each run: killed at +30 (its first failed probe), gone at once (grace 0), restarted
    # after the back-off 0, 10, 20, 40, ... (plus the image's 1 s start)
    waits = [round(s - k - 1) for k, s in zip(kills, starts[1:], strict=False)]
    assert waits[:4] == [0, 10, 20, 40]
    assert env.events("sick", "BackOff")
    assert status(env, "sick")["restartCount"] == len(starts) - 1


def test_liveness_initial_delay_and_never_restart(env):
    c = {"name": "app", "image": "test/sick:v1"}
    c["livenessProbe"] = probe(initialDelaySeconds=25, periodSeconds=10, failureThreshold=2)
    env.pod("once", [c], restartPolicy="Never", terminationGracePeriodSeconds=1)
    env.run(80)
    t0 = started(env, "once")[0]
    # probes at +25 (fails: healthy up to +20), +35 (fails) → killed; no ", will be restarted"
    assert [t - t0 for t, _, _ in env.events("once", "Unhealthy")] == pytest.approx([25, 35])
    assert env.events("once", "Killing")[0][2] == "Container app failed liveness probe"
    assert env.get("once")["status"]["phase"] == "Failed"
    assert len(started(env, "once")) == 1


def test_liveness_probe_grace_period_overrides_the_pods(env):
    c = {"name": "app", "image": "test/sick:v1"}
    c["livenessProbe"] = probe(
        periodSeconds=10, failureThreshold=1, terminationGracePeriodSeconds=3
    )
    env.pod("quick", [c])  # the pod's grace is 30 s
    env.run(45)
    kill = env.events("quick", "Killing")[0][0]
    env.run(kill + 3.5 - env.clock.now)
    assert status(env, "quick")["restartCount"] == 1


def test_liveness_passes_while_healthy(env):
    c = {"name": "app", "image": "kubelab/web:v1", "livenessProbe": probe()}
    env.pod("web", [c])
    env.run(600)
    # the app listens 2 s after its start: the first probe (at its start) is refused
    t0 = started(env, "web")[0]
    assert [t - t0 for t, _, _ in env.events("web", "Unhealthy")] == [0]
    assert not env.events("web", "Killing") and status(env, "web")["restartCount"] == 0


# -- readiness --------------------------------------------------------------------------------
def test_readiness_flips_ready_and_never_restarts(env):
    c = {"name": "app", "image": "test/degrades:v1"}
    c["readinessProbe"] = probe(periodSeconds=5, failureThreshold=2)
    env.pod("deg", [c])
    env.run(10)
    t0 = started(env, "deg")[0]
    assert status(env, "deg")["ready"] is True  # the first probe at t0 passes
    assert condition(env, "deg", "Ready")["status"] == "True"
    env.run(t0 + 35.5 - env.clock.now)
    # fails at +35 (healthy up to +30 included), +40 → not ready at +40
    assert status(env, "deg")["ready"] is True
    env.run(5)
    assert status(env, "deg")["ready"] is False
    ready = condition(env, "deg", "Ready")
    assert (ready["status"], ready["reason"], ready["message"]) == (
        "False",
        "ContainersNotReady",
        "containers with unready status: [app]",
    )
    assert condition(env, "deg", "ContainersReady")["reason"] == "ContainersNotReady"
    env.run(600)
    s = status(env, "deg")
    assert s["restartCount"] == 0 and "running" in s["state"] and s["started"] is True
    assert not env.events("deg", "Killing")
    assert env.get("deg")["status"]["phase"] == "Running"
    # every failed probe is reported; the recorder aggregates them into one Event
    unhealthy = env.events("deg", "Unhealthy")
    assert unhealthy[0][0] - t0 == pytest.approx(35)
    assert len(unhealthy) == int((env.clock.now - t0 - 35) // 5) + 1
    events = [e for e in env.api.list("Event") if e["reason"] == "Unhealthy"]
    assert len(events) == 1 and events[0]["count"] == len(unhealthy)
    assert events[0]["message"] == "Readiness probe failed: HTTP probe failed with statuscode: 500"


def test_readiness_success_threshold(env):
    c = {"name": "app", "image": "test/warming:v1"}
    c["readinessProbe"] = probe(periodSeconds=5, successThreshold=3)
    env.pod("warm", [c])
    env.run(60)
    t0 = started(env, "warm")[0]
    # refused at +0, +5, +10; passes at +15, +20, +25 → ready at +25
    refused = env.events("warm", "Unhealthy")
    assert [t - t0 for t, _, _ in refused] == pytest.approx([0, 5, 10])
    ip = env.get("warm")["status"]["podIP"]
    assert refused[0][2] == (
        f'Readiness probe failed: Get "http://{ip}:8080/healthz": '
        f"dial tcp {ip}:8080: connect: connection refused"
    )
    pod = env.get("warm")
    assert condition(env, "warm", "Ready")["lastTransitionTime"] == _stamp(t0 + 25)
    assert pod["status"]["containerStatuses"][0]["ready"] is True


def _stamp(seconds: float) -> str:
    from kubelab.api.meta import timestamp

    return timestamp(seconds)


def test_container_without_readiness_probe_is_ready_once_running(env):
    env.pod("plain", "kubelab/web:v1")
    env.run(30)
    t0 = started(env, "plain")[0]
    s = status(env, "plain")
    assert s["ready"] is True and s["started"] is True
    assert condition(env, "plain", "Ready")["lastTransitionTime"] == _stamp(t0)


def test_timeout_counts_as_failure(env):
    slow = {"name": "app", "image": "test/sluggish:v1", "readinessProbe": probe(periodSeconds=5)}
    patient = dict(slow, readinessProbe=probe(periodSeconds=5, timeoutSeconds=3))
    env.pod("slow", [slow])
    env.pod("patient", [patient])
    env.run(30)
    assert status(env, "slow")["ready"] is False
    assert status(env, "patient")["ready"] is True
    message = env.events("slow", "Unhealthy")[0][2]
    assert message.startswith('Readiness probe failed: Get "http://10.244.0.')
    assert message.endswith(
        "context deadline exceeded (Client.Timeout exceeded while awaiting headers)"
    )


def test_broken_release_is_never_ready_and_never_restarted(env):
    c = {"name": "web", "image": "kubelab/web:v3-broken", "readinessProbe": probe()}
    env.pod("v3", [c])
    env.run(300)
    s = status(env, "v3")
    assert (s["ready"], s["restartCount"], "running" in s["state"]) == (False, 0, True)
    assert env.status("v3") == "Running"
    messages = {m for _, _, m in env.events("v3", "Unhealthy")}
    assert "Readiness probe failed: HTTP probe failed with statuscode: 503" in messages


def test_broken_release_with_liveness_crash_loops(env):
    c = {"name": "web", "image": "kubelab/web:v3-broken", "livenessProbe": probe()}
    c["readinessProbe"] = probe()
    env.pod("v3", [c], terminationGracePeriodSeconds=10)
    env.run(400)
    s = status(env, "v3")
    assert s["restartCount"] >= 3
    last = s["lastState"]["terminated"]
    assert (last["reason"], last["exitCode"]) == ("Error", 137)  # hangs on SIGTERM
    assert env.events("v3", "BackOff")
    assert any(
        m == "Liveness probe failed: HTTP probe failed with statuscode: 503"
        for _, _, m in env.events("v3", "Unhealthy")
    )
    env.run(2000)
    assert env.status("v3") in ("CrashLoopBackOff", "Running")
    assert status(env, "v3")["ready"] is False


# -- startup ----------------------------------------------------------------------------------
def test_slow_start_killed_by_liveness_without_startup_probe(env):
    c = {"name": "app", "image": "kubelab/slow-start:v1", "livenessProbe": probe()}
    env.pod("slow", [c])
    env.run(30)
    t0 = started(env, "slow")[0]
    (killing,) = env.events("slow", "Killing")
    assert killing[0] - t0 == pytest.approx(20)  # refused at +0, +10, +20
    assert "connect: connection refused" in env.events("slow", "Unhealthy")[0][2]


def test_startup_probe_gates_liveness_and_readiness(env):
    c = {"name": "app", "image": "kubelab/slow-start:v1", "livenessProbe": probe()}
    c["readinessProbe"] = probe()
    c["startupProbe"] = probe(periodSeconds=10, failureThreshold=30)
    env.pod("slow", [c])
    env.run(10)
    t0 = started(env, "slow")[0]
    s = status(env, "slow")
    assert (s["started"], s["ready"]) == (False, False)
    env.run(t0 + 29 - env.clock.now)
    assert status(env, "slow")["started"] is False
    env.run(2)
    s = status(env, "slow")
    assert (s["started"], s["ready"]) == (True, True)  # at +30, readiness probed at once
    env.run(600)
    assert not env.events("slow", "Killing") and status(env, "slow")["restartCount"] == 0
    startup = env.events("slow", "Unhealthy")
    assert [t - t0 for t, _, _ in startup] == pytest.approx([0, 10, 20])
    assert all(m.startswith("Startup probe failed: Get ") for _, _, m in startup)


def test_startup_probe_failure_kills_after_threshold_times_period(env):
    c = {"name": "app", "image": "kubelab/slow-start:v1", "livenessProbe": probe()}
    c["startupProbe"] = probe(periodSeconds=10, failureThreshold=2)
    env.pod("slow", [c])
    env.run(15)
    t0 = started(env, "slow")[0]
    (killing,) = env.events("slow", "Killing")
    assert killing[0] - t0 == pytest.approx(10)
    assert killing[2] == "Container app failed startup probe, will be restarted"
    before = [e for e in env.events("slow", "Unhealthy") if e[0] <= killing[0]]
    assert [t - t0 for t, _, _ in before] == pytest.approx([0, 10])
    assert status(env, "slow")["started"] is False


# -- handlers ---------------------------------------------------------------------------------
def test_exec_tcp_and_grpc_handlers(env):
    shell = {"name": "sh", "image": "busybox:1.36", "command": ["sleep", "3600"]}
    missing = dict(shell, readinessProbe={"exec": {"command": ["cat", "/tmp/ready"]}})
    true = dict(shell, readinessProbe={"exec": {"command": ["true"]}})
    app_exec = {"name": "app", "image": "kubelab/web:v1"}
    app_exec["readinessProbe"] = {"exec": {"command": ["/bin/check"]}}
    tcp = {"name": "app", "image": "kubelab/web:v3-broken"}
    tcp["readinessProbe"] = {"tcpSocket": {"port": 8080}}
    grpc = {
        "name": "app",
        "image": "kubelab/web:v3-broken",
        "readinessProbe": {"grpc": {"port": 8080}},
    }
    for name, c in [
        ("missing", missing),
        ("true", true),
        ("app", app_exec),
        ("tcp", tcp),
        ("grpc", grpc),
    ]:
        env.pod(name, [c])
    env.run(40)
    ready = {name: status(env, name)["ready"] for name in ("missing", "true", "app", "tcp", "grpc")}
    assert ready == {"missing": False, "true": True, "app": True, "tcp": True, "grpc": False}
    assert env.events("missing", "Unhealthy")[0][2] == (
        "Readiness probe failed: cat: can't open '/tmp/ready': No such file or directory"
    )
    assert env.events("grpc", "Unhealthy")[-1][2] == (
        'Readiness probe failed: service unhealthy (responded with "NOT_SERVING")'
    )


# -- OOM ----------------------------------------------------------------------------------------
def test_leaky_is_oom_killed_again_and_again(env):
    c = {"name": "app", "image": "kubelab/leaky:v1", "resources": {"limits": {"memory": "64Mi"}}}
    env.pod("leaky", [c])
    env.run(300)
    starts = started(env, "leaky")
    # 20Mi + 2Mi/s reaches 64Mi after 22 s; then the back-off 0, 10, 20, 40, ... and 1 s to start
    gaps = [round(b - a - 22 - 1, 1) for a, b in itertools.pairwise(starts)]
    assert gaps[:4] == [0, 10, 20, 40]
    s = status(env, "leaky")
    last = s["lastState"]["terminated"]
    assert (last["reason"], last["exitCode"]) == ("OOMKilled", 137)
    env.run(starts[-1] + 22.5 - env.clock.now)
    assert env.status("leaky") == "CrashLoopBackOff"
    assert status(env, "leaky")["state"]["waiting"]["message"].startswith("back-off ")


# -- the documentation's examples ---------------------------------------------------------------
def test_docs_exec_liveness(env, corpus):
    name = apply_example(env, corpus, "exec-liveness.yaml")
    env.run(30)
    t0 = started(env, name)[0]
    assert not env.events(name, "Unhealthy")  # /tmp/healthy exists for the first 30 s
    env.run(t0 + 50 - env.clock.now)
    unhealthy = env.events(name, "Unhealthy")
    assert [t - t0 for t, _, _ in unhealthy] == pytest.approx([35, 40, 45])
    assert unhealthy[0][2] == (
        "Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory"
    )
    killing = env.events(name, "Killing")
    assert killing[0][2] == "Container liveness failed liveness probe, will be restarted"
    # busybox's shell ignores SIGTERM: killed after the 30 s grace period, then restarted
    env.run(t0 + 80 - env.clock.now)
    s = status(env, name)
    assert s["restartCount"] == 1 and "running" in s["state"]
    assert s["lastState"]["terminated"]["exitCode"] == 137


def test_docs_http_liveness(env, corpus):
    name = apply_example(env, corpus, "http-liveness.yaml")
    env.run(40)
    t0 = started(env, name)[0]
    unhealthy = env.events(name, "Unhealthy")
    # /healthz: 200 for the first 10 s, then 500; probes every 3 s from 3 s on
    assert [t - t0 for t, _, _ in unhealthy][:3] == pytest.approx([12, 15, 18])
    assert unhealthy[0][2] == "Liveness probe failed: HTTP probe failed with statuscode: 500"
    assert env.events(name, "Killing")[0][0] - t0 == pytest.approx(18)
    assert status(env, name)["restartCount"] >= 1


def test_docs_tcp_liveness_readiness(env, corpus):
    name = apply_example(env, corpus, "tcp-liveness-readiness.yaml")
    env.run(10)
    t0 = started(env, name)[0]
    assert status(env, name)["ready"] is False  # the first readiness probe is at 15 s
    env.run(t0 + 15 - env.clock.now)
    assert status(env, name)["ready"] is True
    env.run(600)
    assert status(env, name)["restartCount"] == 0 and not env.events(name, "Unhealthy")


# -- the plan itself ----------------------------------------------------------------------------
def test_plan_defaults_and_thresholds():
    from kubelab.images import ImageSpec

    p = prober.plan(
        {"name": "c", "livenessProbe": dict(HTTP)}, ImageSpec(healthy=False), 0.0, "10.0.0.1"
    )
    assert p.kill_at == 20.0  # defaults: period 10, failureThreshold 3, from t0
    ((first, period, count, kind, reason, _),) = p.events
    assert (first, period, count, kind, reason) == (0.0, 10.0, 3, "Warning", "Unhealthy")
    never = prober.plan(
        {"name": "c", "readinessProbe": dict(HTTP)}, ImageSpec(healthy=False), 0.0, "x"
    )
    assert never.ready == [] and never.events[0][2] is None  # reported forever
    assert prober.probe_defaults({}) == {
        "initialDelaySeconds": 0,
        "periodSeconds": 10,
        "timeoutSeconds": 1,
        "successThreshold": 1,
        "failureThreshold": 3,
    }


def test_probe_on_a_port_the_app_does_not_listen_on_is_refused_forever(env):
    c = {"name": "app", "image": "kubelab/web:v1", "ports": [{"containerPort": 8080}]}
    c["readinessProbe"] = {"httpGet": {"path": "/healthz", "port": 9090}, "periodSeconds": 5}
    tcp = dict(c, readinessProbe={"tcpSocket": {"port": 9090}, "periodSeconds": 5})
    named = dict(c, readinessProbe={"httpGet": {"path": "/healthz", "port": "http"}})
    named["ports"] = [{"name": "http", "containerPort": 8080}]
    env.pod("wrong", [c])
    env.pod("wrong-tcp", [tcp])
    env.pod("named", [named])
    env.run(60)
    assert status(env, "wrong")["ready"] is False
    assert status(env, "wrong-tcp")["ready"] is False
    assert status(env, "named")["ready"] is True
    ip = env.get("wrong")["status"]["podIP"]
    assert env.events("wrong", "Unhealthy")[-1][2] == (
        f'Readiness probe failed: Get "http://{ip}:9090/healthz": '
        f"dial tcp {ip}:9090: connect: connection refused"
    )
