"""Memory stays flat over long sessions: proved by counting what is kept, never by RSS.

Events expire after ``--event-ttl`` (one hour), the observation logs keep the last hour, and
the components' bookkeeping forgets deleted objects (benchmarks/memory_soak.py measures RSS).
"""

from __future__ import annotations

import collections
import importlib.util
import re
from pathlib import Path

import pytest

import kubelab as kl
from kubelab.sim import RETENTION, rng

_SOAK = Path(__file__).resolve().parents[1] / "benchmarks" / "memory_soak.py"


def _soak():
    spec = importlib.util.spec_from_file_location("memory_soak", _SOAK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _pod(name, image="nginx:1.25", **spec):
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": [{"name": "app", "image": image, **spec}]},
    }


# -- Events: kube-apiserver's --event-ttl ----------------------------------------------------------
def test_an_event_expires_an_hour_after_its_last_write_with_a_deleted_watch_event():
    c = kl.Cluster(nodes=1, seed=0)
    seen = []
    c.api.store.watch("Event", lambda kind, obj, old: seen.append((kind, c.now)))
    c.apply(_pod("web"))
    c.run(30)
    names = {e["metadata"]["name"] for e in c.api.store.list("Event")}
    assert names and len(seen) == len(names)
    c.run(RETENTION - 31)
    assert {e["metadata"]["name"] for e in c.api.store.list("Event")} == names
    c.run(31 + 1)
    assert c.api.store.count("Event") == 0
    deleted = [t for kind, t in seen if kind == "DELETED"]
    assert len(deleted) == len(names) and all(RETENTION <= t <= RETENTION + 30 for t in deleted)
    assert c.kubectl("get events").strip() == "No resources found in default namespace."
    assert c.events.empty


def test_a_repeated_event_lives_an_hour_after_its_last_repeat_then_starts_over():
    c = kl.Cluster(nodes=1, seed=0)
    c.apply(_pod("crash", image="busybox", command=["false"]))
    c.run(RETENTION - 60)  # CrashLoopBackOff repeats its BackOff event every 5 minutes
    backoff = [e for e in c.api.store.list("Event") if e["reason"] == "BackOff"]
    assert len(backoff) == 1 and backoff[0]["count"] > 5
    first = backoff[0]["metadata"]["name"]
    c.run(600)  # past the hour since the event was created: still renewed by each repeat
    alive = [e for e in c.api.store.list("Event") if e["reason"] == "BackOff"]
    assert [e["metadata"]["name"] for e in alive] == [first]
    c.delete("pod", "crash")
    c.run(RETENTION + 60)
    assert c.api.store.count("Event") == 0
    assert not c.api.events._names and not c.api.events._keys and not c.api.store._expiry


def test_keep_history_keeps_every_event_and_row():
    c = kl.Cluster(nodes=1, seed=0, keep_history=True)
    c.apply(_pod("web"))
    c.run(30)
    events, audit, history = len(c.events), len(c.audit), len(c.history)
    c.run(2 * RETENTION)
    assert c.api.store.count("Event") > 0
    assert len(c.events) == events and len(c.history) == history
    assert len(c.audit) > audit and c.audit.time.min() == 0
    assert c.metrics.frame().time.min() == 0


def test_event_ttl_none_keeps_events_and_a_bad_ttl_is_refused():
    c = kl.Cluster(nodes=1, seed=0, event_ttl=None)
    c.apply(_pod("web"))
    c.run(2 * RETENTION)
    assert c.api.store.count("Event") > 0 and c.events.time.min() < RETENTION
    with pytest.raises(ValueError, match="event_ttl"):
        kl.Cluster(nodes=1, event_ttl=0)


def test_history_keeps_each_live_objects_state_from_the_window_start():
    c = kl.Cluster(nodes=1, seed=0)
    c.apply(_pod("web"))
    c.run(2 * RETENTION)
    h = c.history
    web = h[(h.kind == "Pod") & (h.name == "web")]
    # its rows are older than the window, yet its state (Running, ready) is still known
    assert len(web) == 1 and web.iloc[0].phase == "Running" and web.iloc[0].ready == 1
    assert all(row[0] > c.now - RETENTION for row in c.recorder.rows.trim())
    c.delete("pod", "web")
    c.run(2 * RETENTION)
    h = c.history
    assert h[h.kind == "Pod"].empty and [k[0] for k in c.recorder._before] == ["Node"]


# -- a simulated day of churn --------------------------------------------------------------------
@pytest.fixture(scope="module")
def day():
    """The soak benchmark's cluster and churn for 24 simulated hours, with per-hour counts."""
    soak = _soak()
    c = soak.build(0)
    rand = rng(0, "memory-soak")
    added = collections.Counter()
    c.api.store.watch(
        "Event", lambda kind, obj, old: added.update([int(c.now // RETENTION)] * (kind == "ADDED"))
    )
    sizes = {}
    for hour in range(1, 25):
        soak.churn_hour(c, hour, rand)
        sizes[hour] = _bookkeeping(c)
    return c, added, sizes


def test_a_day_of_churn_keeps_no_more_events_than_one_hour_makes(day):
    c, added, _ = day
    stored = c.api.store.count("Event")
    assert 0 < stored <= max(added.values())
    assert sum(added.values()) > 10 * stored  # most of the day's events are gone
    oldest = min(parse(e["lastTimestamp"]) for e in c.api.store.list("Event"))
    assert oldest >= c.now - RETENTION
    assert len(c.api.events._names) == len(c.api.events._keys) == stored
    assert len(c.api.store._expiry) == stored


def parse(ts):
    from kubelab.api.meta import parse_time

    return parse_time(ts)


def test_a_day_of_churn_keeps_only_the_last_hour_of_every_log(day):
    c, _, _ = day
    start = c.now - RETENTION
    for frame in (c.events, c.audit, c.metrics.frame()):
        assert len(frame) > 0 and frame.time.min() > start
    rows = c.recorder.rows.trim()
    assert rows[0][0] > start
    # besides the window, the history holds one row per live object at most
    assert len(c.history) - len(rows) <= c.api.store.count("Pod") + 3 + 3 + 2


def test_a_day_of_churn_does_not_grow_any_bookkeeping(day):
    _, _, sizes = day
    grown = {
        path: (sizes[8].get(path, 0), n)
        for path, n in sizes[24].items()
        if n > 1.5 * sizes[8].get(path, 0) + 40
    }
    assert not grown


# -- objects with new names each time: what tracks them must let go ------------------------------
def _cycle(c, i):
    ns = f"team-{i}"
    c.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": f"web-{i}", "namespace": ns},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": f"web-{i}"}},
            "template": {
                "metadata": {"labels": {"app": f"web-{i}"}},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.25"}]},
            },
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": f"svc-{i}", "namespace": ns},
        "spec": {"type": "NodePort", "selector": {"app": f"web-{i}"}, "ports": [{"port": 80}]},
    }
    crash = dict(_pod(f"crash-{i}", image="busybox", command=["false"]))
    crash["metadata"] = {"name": f"crash-{i}", "namespace": ns}
    c.apply([deployment, service, crash])
    c.add_node(f"extra-{i}")
    c.run(120)
    c.traffic(f"svc-{i}.{ns}", rps=5, duration=5)
    c.kubectl(f"set image deployment/web-{i} web=nginx:1.26 -n {ns}")
    c.run(120)
    c.fail_node(f"extra-{i}")
    c.run(400)
    c.remove_node(f"extra-{i}")
    c.delete("namespace", ns, namespace="")
    c.run(RETENTION + 100)


def test_deleted_namespaces_services_pods_and_nodes_leave_no_bookkeeping_behind(monkeypatch):
    from kubelab.scheduler import podgroups

    monkeypatch.setattr(podgroups, "COMPACT_FROM", 8)  # sweep the pod groups early
    c = kl.Cluster(nodes=2, seed=0)
    for i in range(2):
        _cycle(c, i)
    before = _bookkeeping(c)
    for i in range(2, 6):
        _cycle(c, i)
    after = _bookkeeping(c)
    grown = {
        p: (before.get(p, 0), n)
        for p, n in after.items()
        # nodes' images are bounded by the catalogue; pod groups are checked below
        if n > before.get(p, 0) and "image" not in p and ".groups." not in p
    }
    assert not grown
    groups = c.scheduler.table.groups
    live = sum(1 for g in groups.groups if g.total) + sum(1 for t in groups.term_list if t.total)
    assert len(groups.groups) + len(groups.term_list) <= max(8, 2 * live)
    assert len(groups._group_ids) == len(groups.groups)
    tracker = next(iter(c.proxies.values())).tracker
    assert set(tracker.version) == {("default", "kubernetes")}
    assert all(set(p._table) <= {("default", "kubernetes")} for p in c.proxies.values())
    assert not any(k.crash_backoff._entries for k in c.kubelets.values())
    assert c.api.store.count("Event") == 0


# What the components keep: every dict, list and set reachable from them (not the objects in
# the store or the informers' caches, which follow the cluster's state, nor the bounded logs).
_SKIP = {"api", "_server", "server", "store", "clock", "recorder", "rows", "_by_ns", "_indexes"}


def _shared_roots(c) -> list[tuple[str, object]]:
    """Per-cluster objects kept in module-level registries (keyed by the API server etc.)."""
    from kubelab.dns import server as dns
    from kubelab.kubelet import heartbeat, kubelet, volumes
    from kubelab.storage import backends

    pods = c.informers.get("Pod")
    return [
        ("router", kubelet._ROUTERS.get(pods)),
        # not kubelet._NUMBERS: a node name keeps its number (IPs, podCIDR) for the session
        ("cleaner", volumes._CLEANERS.get(pods)),
        ("heartbeats", heartbeat._BY_CLOCK.get(c.clock)),
        ("dns", dns.ClusterDNS._by_api.get(c.api)),
        ("storage", backends._STORAGE.get(c.api)),
    ]


def _bookkeeping(c) -> dict[str, int]:
    sizes: dict[str, int] = {}
    seen: set[int] = set()
    todo = collections.deque([("c", c), *_shared_roots(c)])
    while todo:
        path, obj = todo.popleft()
        if id(obj) in seen or path.rsplit(".", 1)[-1] in _SKIP:
            continue
        seen.add(id(obj))
        if isinstance(obj, dict | list | set | collections.deque):
            pattern = re.sub(r"\[[^\]]*\]", "[*]", path)
            sizes[pattern] = sizes.get(pattern, 0) + len(obj)
            if isinstance(obj, dict) and "metadata" in obj:
                continue  # an API object: the cluster's state, not bookkeeping
            items = obj.items() if isinstance(obj, dict) else enumerate(obj)
            if isinstance(obj, set):
                items = enumerate(sorted(obj, key=repr))
            for key, value in items:
                if not isinstance(value, str | int | float | bytes | type(None)):
                    todo.append((f"{path}[{key!r:.30}]", value))
        elif type(obj).__module__.startswith("kubelab"):
            attrs = dict(getattr(obj, "__dict__", {}))
            attrs.update(
                (k, getattr(obj, k)) for k in getattr(type(obj), "__slots__", ()) if hasattr(obj, k)
            )
            for key, value in attrs.items():
                todo.append((f"{path}.{key}", value))
    return sizes


def test_the_soak_benchmark_runs_short(capsys):
    assert _soak().main(["--hours", "1"]) == 0
    header, row = capsys.readouterr().out.splitlines()
    assert header.split()[:3] == ["hour", "RSS", "MiB"]
    assert row.split()[0] == "1" and float(row.split()[1]) > 0
