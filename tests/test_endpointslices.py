"""The EndpointSlice and Endpoints controllers inside a whole cluster: readiness, terminating
pods, named ports, services without selector, 100 endpoints per slice, indexes."""

from __future__ import annotations

import pytest

import kubelab as kl
from kubelab.controllers.endpointslice import (
    MANAGED_BY,
    EndpointSliceController,
    endpoint_ports,
    pod_to_endpoint,
)


def deployment(name="web", replicas=3, image="kubelab/web:v1", probe=True, ports=None, **pod):
    container = {
        "name": "app",
        "image": image,
        "ports": ports or [{"name": "http", "containerPort": 8080}],
    }
    if probe:
        container["readinessProbe"] = {
            "httpGet": {"path": "/healthz", "port": 8080},
            "periodSeconds": 1,
        }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [container], **pod},
            },
        },
    }


def service(name="web", target="http", **spec):
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "labels": {"team": "shop"}},
        "spec": {"selector": {"app": name}, "ports": [{"port": 80, "targetPort": target}], **spec},
    }


def slices(c, name="web"):
    return c.list("endpointslices", selector=f"kubernetes.io/service-name={name}")


def endpoints_of(c, name="web"):
    return sorted(
        (
            e["targetRef"]["name"],
            e["conditions"]["ready"],
            e["conditions"]["serving"],
            e["conditions"]["terminating"],
        )
        for s in slices(c, name)
        for e in s.get("endpoints") or ()
    )


@pytest.fixture
def c():
    cl = kl.Cluster(nodes=3, seed=0)
    cl.apply([deployment(), service()])
    cl.run(30)
    return cl


def test_ready_pods_become_ready_endpoints_with_the_upstream_shape(c):
    (s,) = slices(c)
    meta = s["metadata"]
    assert meta["name"].startswith("web-") and meta["generateName"] == "web-"
    assert meta["labels"] == {
        "team": "shop",
        "kubernetes.io/service-name": "web",
        "endpointslice.kubernetes.io/managed-by": MANAGED_BY,
    }
    svc = c.get("svc", "web")
    assert meta["ownerReferences"] == [
        {
            "apiVersion": "v1",
            "kind": "Service",
            "name": "web",
            "uid": svc["metadata"]["uid"],
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    assert s["addressType"] == "IPv4"
    assert s["ports"] == [
        {"name": "", "port": 8080, "protocol": "TCP"}
    ]  # named targetPort resolved
    pods = {p["metadata"]["name"]: p for p in c.list("pods")}
    assert len(s["endpoints"]) == 3
    for ep in s["endpoints"]:
        pod = pods[ep["targetRef"]["name"]]
        assert ep == {
            "addresses": [pod["status"]["podIP"]],
            "conditions": {"ready": True, "serving": True, "terminating": False},
            "nodeName": pod["spec"]["nodeName"],
            "targetRef": {
                "kind": "Pod",
                "namespace": "default",
                "name": pod["metadata"]["name"],
                "uid": pod["metadata"]["uid"],
            },
        }
    ep = c.get("endpoints", "web")
    assert ep["metadata"]["labels"] == {"team": "shop"}
    (subset,) = ep["subsets"]
    assert [a["ip"] for a in subset["addresses"]] == sorted(
        p["status"]["podIP"] for p in pods.values()
    )
    assert subset["ports"] == [{"port": 8080, "protocol": "TCP"}]
    assert "notReadyAddresses" not in subset


def test_unready_pods_are_listed_not_ready():
    cl = kl.Cluster(nodes=2, seed=0)
    cl.apply([deployment(image="kubelab/web:v3-broken", replicas=2), service()])
    cl.run(30)
    assert [e[1:] for e in endpoints_of(cl)] == [(False, False, False)] * 2
    (subset,) = cl.get("endpoints", "web")["subsets"]
    assert "addresses" not in subset and len(subset["notReadyAddresses"]) == 2
    # formatEndpoints: subsets but no ready address print as an empty cell (not <none>)
    assert cl.kubectl("get endpoints web").splitlines()[1].split() == ["web", "30s"]


def test_endpoints_leave_out_pods_that_resolve_no_port():
    cl = kl.Cluster(nodes=2, seed=0)
    cl.apply(
        [
            deployment("a", replicas=1, probe=False),  # names its port http
            deployment("b", replicas=1, probe=False, ports=[{"name": "web", "containerPort": 80}]),
            {**service("mix", target="http"), "spec": {**service(target="http")["spec"],
                                                      "selector": {"tier": "x"}}},
        ]
    )  # fmt: skip
    cl.run(30)
    for name in ("a", "b"):
        for pod in cl.list("pods", selector=f"app={name}"):
            cl.kubectl(f"label pod {pod['metadata']['name']} tier=x")
    cl.run(1)
    # syncService adds an address once per port FindPort resolves: b's pod resolves none
    (subset,) = cl.get("endpoints", "mix")["subsets"]
    assert [a["targetRef"]["name"].split("-")[0] for a in subset["addresses"]] == ["a"]
    assert subset["ports"] == [{"port": 8080, "protocol": "TCP"}]


def test_publish_not_ready_addresses_makes_them_ready():
    cl = kl.Cluster(nodes=2, seed=0)
    cl.apply(
        [
            deployment(image="kubelab/web:v3-broken", replicas=2),
            service(publishNotReadyAddresses=True, clusterIP="None"),
        ]
    )
    cl.run(30)
    assert [e[1:] for e in endpoints_of(cl)] == [(True, True, False)] * 2
    (s,) = slices(cl)
    assert s["metadata"]["labels"]["service.kubernetes.io/headless"] == ""
    assert len(cl.get("endpoints", "web")["subsets"][0]["addresses"]) == 2


def test_a_terminating_pod_is_serving_not_ready_then_gone():
    cl = kl.Cluster(nodes=2, seed=0)
    cl.apply(
        [
            deployment(
                image="kubelab/stubborn", replicas=1, probe=False, terminationGracePeriodSeconds=20
            ),
            service(),
        ]
    )
    cl.run(30)
    (pod,) = cl.list("pods")
    name = pod["metadata"]["name"]
    assert endpoints_of(cl) == [(name, True, True, False)]
    cl.delete("pod", name)
    cl.run(1)
    pod = cl.get("pod", name)
    pod_ready = any(
        cond["type"] == "Ready" and cond["status"] == "True" for cond in pod["status"]["conditions"]
    )
    # ready = serving and not terminating; serving follows the pod's Ready condition
    assert (name, False, pod_ready, True) in endpoints_of(cl)
    # the legacy Endpoints leave it out at once
    ep_names = [
        a["targetRef"]["name"]
        for ss in cl.get("endpoints", "web").get("subsets") or ()
        for a in ss.get("addresses", []) + ss.get("notReadyAddresses", [])
    ]
    assert name not in ep_names
    cl.run(30)
    assert name not in [e[0] for e in endpoints_of(cl)]


def test_a_pod_that_dies_leaves_the_slice(c):
    victim = sorted(p["metadata"]["name"] for p in c.list("pods"))[0]
    c.kill_pod(victim) if hasattr(c, "kill_pod") else c.delete("pod", victim)
    c.run(30)
    names = [e[0] for e in endpoints_of(c)]
    assert victim not in names and len(names) == 3  # the ReplicaSet replaced it


def test_named_ports_resolve_per_pod_into_separate_slices():
    cl = kl.Cluster(nodes=2, seed=0)
    cl.apply(
        [
            deployment("a", replicas=1, probe=False),
            deployment(
                "b", replicas=1, probe=False, ports=[{"name": "http", "containerPort": 9090}]
            ),
            {
                **service("mix"),
                "spec": {"selector": {"tier": "x"}, "ports": [{"port": 80, "targetPort": "http"}]},
            },
        ]
    )
    cl.run(30)
    for name in ("a", "b"):  # label both deployments' pods tier=x
        for pod in cl.list("pods", selector=f"app={name}"):
            cl.kubectl(f"label pod {pod['metadata']['name']} tier=x")
    cl.run(1)
    got = sorted((s["ports"][0]["port"], len(s["endpoints"])) for s in slices(cl, "mix"))
    assert got == [(8080, 1), (9090, 1)]


def test_a_port_a_pod_does_not_have_is_left_out():
    pod = {
        "metadata": {"name": "p", "namespace": "default", "uid": "u"},
        "spec": {"containers": [{"name": "c", "ports": [{"name": "web", "containerPort": 80}]}]},
        "status": {"podIP": "10.244.0.9"},
    }
    svc = {
        "metadata": {"name": "s"},
        "spec": {
            "ports": [
                {"name": "a", "port": 80, "targetPort": "web", "protocol": "TCP"},
                {"name": "b", "port": 81, "targetPort": "metrics", "protocol": "TCP"},
                {"name": "c", "port": 82, "targetPort": "web", "protocol": "UDP"},
                {
                    "name": "d",
                    "port": 83,
                    "targetPort": 8443,
                    "protocol": "TCP",
                    "appProtocol": "https",
                },
            ]
        },
    }
    assert endpoint_ports(pod, svc) == [
        {"name": "a", "port": 80, "protocol": "TCP"},
        {"name": "d", "port": 8443, "protocol": "TCP", "appProtocol": "https"},
    ]
    ep = pod_to_endpoint(pod, svc, zone="zone-a")
    assert ep["zone"] == "zone-a" and ep["conditions"] == {
        "ready": False,
        "serving": False,
        "terminating": False,
    }


def test_a_named_port_is_found_on_sidecars_but_not_on_plain_init_containers():
    from kubelab.controllers.servicepods import find_port

    def pod(restart_policy=None):
        init = {"name": "i", "ports": [{"name": "side", "containerPort": 9000}]}
        if restart_policy:
            init["restartPolicy"] = restart_policy
        app = {"name": "c", "ports": [{"name": "web", "containerPort": 80}]}
        return {"spec": {"initContainers": [init], "containers": [app]}}

    side, web = {"port": 1, "targetPort": "side"}, {"port": 2, "targetPort": "web"}
    assert find_port(pod("Always"), side) == 9000  # a sidecar serves: upstream FindPort
    assert find_port(pod(), side) is None  # an init container has exited by then
    assert find_port(pod("Always"), web) == 80
    assert find_port(pod(), {"port": 3, "targetPort": 8443}) == 8443


def test_hostname_when_the_subdomain_names_the_service():
    pod = {
        "metadata": {"name": "p", "namespace": "default"},
        "spec": {"hostname": "db-0", "subdomain": "db", "nodeName": "node-1"},
        "status": {"podIP": "10.244.0.9"},
    }
    assert pod_to_endpoint(pod, {"metadata": {"name": "db"}, "spec": {}})["hostname"] == "db-0"
    assert "hostname" not in pod_to_endpoint(pod, {"metadata": {"name": "x"}, "spec": {}})


def test_services_without_selector_get_no_managed_endpoints(c):
    c.apply(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "manual"},
            "spec": {"ports": [{"port": 80}]},
        }
    )
    c.run(5)
    assert slices(c, "manual") == []
    with pytest.raises(kl.NotFound):
        c.get("endpoints", "manual")


def test_a_service_with_no_pods_keeps_one_placeholder_slice(c):
    c.apply(service("lonely"))
    c.run(2)
    (s,) = slices(c, "lonely")
    assert s["endpoints"] is None and s["ports"] is None
    assert c.get("endpoints", "lonely").get("subsets") is None
    row = next(r for r in c.kubectl("get endpointslices").splitlines() if r.startswith("lonely-"))
    assert row.split()[1:4] == ["IPv4", "<unset>", "<unset>"]
    # pods arrive: the placeholder is reused, not replaced
    c.apply(deployment("lonely", replicas=1))
    c.run(30)
    (after,) = slices(c, "lonely")
    assert after["metadata"]["name"] == s["metadata"]["name"] and len(after["endpoints"]) == 1


def test_deleting_the_service_removes_its_slices_and_endpoints(c):
    c.delete("svc", "web")
    c.run(5)
    assert slices(c) == []
    with pytest.raises(kl.NotFound):
        c.get("endpoints", "web")


def test_selector_change_moves_endpoints(c):
    c.apply(deployment("api", replicas=2))
    c.run(30)
    c.api.patch(
        "Service", "web", "default", {"spec": {"selector": {"app": "api"}}}, "merge", user="kubectl"
    )
    c.run(1)
    assert {e[0].rsplit("-", 2)[0] for e in endpoints_of(c)} == {"api"}


def test_at_most_100_endpoints_per_slice_with_little_churn():
    cl = kl.Cluster(nodes=10, seed=0)
    cl.apply([deployment(replicas=230, probe=False), service()])
    cl.run(60)
    sizes = sorted(len(s["endpoints"]) for s in slices(cl))
    assert sizes == [30, 100, 100]
    names_before = {s["metadata"]["name"] for s in slices(cl)}
    cl.kubectl("scale deployment web --replicas=200")
    cl.run(60)
    after = slices(cl)
    assert sum(len(s["endpoints"]) for s in after) == 200
    assert all(len(s["endpoints"]) <= 100 for s in after)
    assert {s["metadata"]["name"] for s in after} <= names_before
    ep = cl.get("endpoints", "web")
    assert sum(len(ss["addresses"]) for ss in ep["subsets"]) == 200


def test_a_pod_change_syncs_only_the_services_that_select_it(monkeypatch):
    cl = kl.Cluster(nodes=2, seed=0)
    objs = []
    for i in range(20):
        objs += [deployment(f"s{i}", replicas=1, probe=False), service(f"s{i}")]
    cl.apply(objs)
    cl.run(30)
    synced = []
    original = EndpointSliceController.sync
    monkeypatch.setattr(
        EndpointSliceController, "sync", lambda self, key: (synced.append(key), original(self, key))
    )
    pod = cl.list("pods", selector="app=s7")[0]
    cl.kubectl(f"delete pod {pod['metadata']['name']} --wait=false")
    cl.run(1)
    assert set(synced) == {("default", "s7")}


def test_endpoints_are_truncated_at_1000_with_the_annotation(monkeypatch):
    from kubelab.controllers.endpoints import EndpointsController

    monkeypatch.setattr(EndpointsController, "max_addresses", 3)
    cl = kl.Cluster(nodes=2, seed=0)
    cl.apply([deployment(replicas=5, probe=False), service()])
    cl.run(30)
    ep = cl.get("endpoints", "web")
    assert ep["metadata"]["annotations"] == {"endpoints.kubernetes.io/over-capacity": "truncated"}
    assert sum(len(ss["addresses"]) for ss in ep["subsets"]) == 3
    assert len(endpoints_of(cl)) == 5  # slices are not capped


def test_same_seed_same_slices():
    def run():
        cl = kl.Cluster(nodes=3, seed=4)
        cl.apply([deployment(replicas=5), service()])
        cl.run(30)
        return [(s["metadata"]["name"], s["endpoints"]) for s in slices(cl)]

    assert run() == run()


def test_pod_to_endpoint_conditions_table():
    def pod(ready, deleting):
        meta = {"name": "p", "namespace": "default", "uid": "u"}
        if deleting:
            meta["deletionTimestamp"] = "2025-01-01T00:00:10Z"
        return {
            "metadata": meta,
            "spec": {"nodeName": "node-1"},
            "status": {
                "podIP": "10.244.0.9",
                "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
            },
        }

    def conds(ready, deleting, publish=False):
        svc = {"metadata": {"name": "s"}, "spec": {"publishNotReadyAddresses": publish}}
        c = pod_to_endpoint(pod(ready, deleting), svc)["conditions"]
        return c["ready"], c["serving"], c["terminating"]

    assert conds(True, False) == (True, True, False)
    assert conds(False, False) == (False, False, False)
    assert conds(True, True) == (False, True, True)  # still serving while it drains
    assert conds(False, True) == (False, False, True)
    assert conds(False, True, publish=True) == (True, True, True)


def test_graph_has_service_attrs_selects_and_endpoint_edges(c):
    g = c.graph
    svc = g.nodes[("Service", "default", "web")]
    assert svc["service_type"] == "ClusterIP"
    assert svc["cluster_ip"] == c.get("svc", "web")["spec"]["clusterIP"]
    assert svc["ports"] == "80/TCP" and svc["external_ip"] == "<none>"
    selects = [
        v for _, v, k in g.out_edges(("Service", "default", "web"), keys=True) if k == "selects"
    ]
    assert len(selects) == 3
    (s,) = slices(c)
    key = ("EndpointSlice", "default", s["metadata"]["name"])
    assert ("Service", "default", "web") in [
        v for _, v, k in g.out_edges(key, keys=True) if k == "owned-by"
    ]
    endpoints = [
        (v, d["ready"]) for _, v, k, d in g.out_edges(key, keys=True, data=True) if k == "endpoint"
    ]
    assert sorted(endpoints) == sorted((p, True) for p in selects)


def test_scene_shows_services_with_their_type_but_not_the_kubernetes_service(c):
    from kubelab.viz.scene import scene

    s = scene(c)
    assert [name for name, _ in s.services] == ["web"]
    assert s.service_info["web"]["service_type"] == "ClusterIP"
    assert "kubernetes" in [name for name, _ in scene(c, system=True).services]
    ax = kl.viz.draw_cluster(c)
    texts = [t.get_text() for t in ax.texts]
    assert "svc/web" in texts
    assert any(t.startswith("ClusterIP 10.") and t.endswith("80/TCP") for t in texts)
    lines = [ln for ln in ax.lines if (ln.get_gid() or "") == "selects:web"]
    assert len(lines) == 3
