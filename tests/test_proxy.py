"""kube-proxy unit tests with hand-built Services and EndpointSlices."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubelab.apiserver import APIServer
from kubelab.client import InformerFactory
from kubelab.controllers import Context
from kubelab.proxy import (
    Endpoint,
    Iptables,
    Ipvs,
    KubeProxy,
    categorize,
    probabilities,
    service_port_rules,
)
from kubelab.sim import Clock


def ep(ip, node="node-1", ready=True, serving=None, terminating=False):
    return {
        "addresses": [ip],
        "conditions": {
            "ready": ready,
            "serving": ready if serving is None else serving,
            "terminating": terminating,
        },
        "nodeName": node,
        "targetRef": {"kind": "Pod", "name": f"pod-{ip.split('.')[-1]}", "namespace": "default"},
    }


def service(name="web", ip="10.96.0.20", **spec):
    body = {
        "clusterIP": ip,
        "clusterIPs": [ip],
        "ports": [{"name": "", "port": 80, "targetPort": 8080, "protocol": "TCP"}],
        "type": "ClusterIP",
    }
    body.update(spec)
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": "default"},
        "spec": body,
    }


def slice_(name, endpoints, svc="web", port=8080):
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": name,
            "namespace": "default",
            "labels": {"kubernetes.io/service-name": svc},
        },
        "addressType": "IPv4",
        "endpoints": endpoints,
        "ports": [{"name": "", "port": port, "protocol": "TCP"}],
    }


@pytest.fixture
def world():
    clock = Clock()
    api = APIServer(clock)
    api.namespace_checks = False
    ctx = Context(clock, api, InformerFactory(api), seed=0)
    return ctx, api.client("test")


def test_probabilities_match_compute_probability():
    assert probabilities(1) == [None]
    assert probabilities(4) == ["0.2500000000", "0.3333333333", "0.5000000000", None]
    assert probabilities(0) == []


def test_endpoints_sorted_by_address_string_and_deduplicated():
    rules = service_port_rules(
        service(),
        [
            slice_("a", [ep("10.244.0.10"), ep("10.244.0.9")]),
            slice_("b", [ep("10.244.0.10", "node-2")]),
        ],
        "node-2",
    )[0]
    assert [e.address for e in rules.endpoints] == ["10.244.0.10:8080", "10.244.0.9:8080"]
    assert rules.endpoints[0].node == "node-2"  # the local copy wins
    assert rules.port == 80 and rules.cluster_ips == ("10.96.0.20",)


def test_headless_and_external_name_get_no_rules():
    assert service_port_rules(service(ip="None"), [], "node-1") == []
    ext = service(type="ExternalName", externalName="x.example.com")
    assert service_port_rules(ext, [], "node-1") == []


def test_terminating_fallback_only_without_ready_endpoints():
    eps = [
        Endpoint("10.0.0.1", 80, "n1", False, True, True),
        Endpoint("10.0.0.2", 80, "n2", True, True, False),
        Endpoint("10.0.0.3", 80, "n1", False, False, True),
    ]
    cluster, local = categorize(eps, "n1", local_policy=True)
    assert [e.ip for e in cluster] == ["10.0.0.2"]
    assert [e.ip for e in local] == ["10.0.0.1"]  # serving + terminating, as no local one is ready
    cluster, _ = categorize(eps[:1] + eps[2:], "n1", local_policy=False)
    assert [e.ip for e in cluster] == ["10.0.0.1"]


def test_kube_proxy_recomputes_only_changed_services(world):
    ctx, client = world
    proxy = KubeProxy(ctx, "node-1")
    proxy.start()
    client.create(service("web", "10.96.0.20"))
    client.create(service("api", "10.96.0.21"))
    client.create(slice_("web-1", [ep("10.244.0.2")]))
    client.create(slice_("api-1", [ep("10.244.0.3")], svc="api"))
    assert proxy.route_cluster_ip("10.96.0.20", 80).endpoint.ip == "10.244.0.2"
    assert proxy.route_cluster_ip("10.96.0.21", 80).endpoint.ip == "10.244.0.3"
    syncs = proxy.syncs
    for _ in range(5):
        proxy.route_cluster_ip("10.96.0.20", 80)
    assert proxy.syncs == syncs  # nothing changed: nothing recomputed
    stored = ctx.informers.get("EndpointSlice").get("default", "web-1")
    client.update(dict(stored, endpoints=[ep("10.244.0.4")]))
    proxy.route_cluster_ip("10.96.0.20", 80)
    proxy.route_cluster_ip("10.96.0.21", 80)
    assert proxy.syncs == syncs + 1  # only web's entry
    assert proxy.route_cluster_ip("10.96.0.20", 80).endpoint.ip == "10.244.0.4"


def test_verdicts_reject_drop_none(world):
    ctx, client = world
    proxy = KubeProxy(ctx, "node-1")
    client.create(service("web", internalTrafficPolicy="Local"))
    assert proxy.route_cluster_ip("10.96.0.20", 80).verdict == "REJECT"
    client.create(slice_("web-1", [ep("10.244.1.2", node="node-2")]))
    assert proxy.route_cluster_ip("10.96.0.20", 80).verdict == "DROP"
    assert KubeProxy(ctx, "node-2").route_cluster_ip("10.96.0.20", 80).verdict == "ACCEPT"
    assert proxy.route_cluster_ip("10.96.0.20", 81).verdict == "NONE"
    assert proxy.route_cluster_ip("10.96.9.9", 80).verdict == "NONE"


def test_external_traffic_policy_local_and_health_check(world):
    ctx, client = world
    spec = {"type": "NodePort", "externalTrafficPolicy": "Local"}
    svc = service(**spec)
    svc["spec"]["ports"][0]["nodePort"] = 30080
    client.create(svc)
    client.create(slice_("web-1", [ep("10.244.1.2", node="node-2")]))
    one, two = KubeProxy(ctx, "node-1"), KubeProxy(ctx, "node-2")
    one.start(), two.start()
    assert one.route_node_port(30080).verdict == "DROP"
    route = two.route_node_port(30080)
    assert route.verdict == "ACCEPT" and not route.snat
    assert one.health_check(("default", "web")) == (503, 0)
    assert two.health_check(("default", "web")) == (200, 1)
    # internal traffic still uses every endpoint (internalTrafficPolicy Cluster)
    assert one.route_cluster_ip("10.96.0.20", 80).verdict == "ACCEPT"


def test_cluster_policy_node_port_snats(world):
    ctx, client = world
    svc = service(type="NodePort")
    svc["spec"]["ports"][0]["nodePort"] = 30081
    client.create(svc)
    client.create(slice_("web-1", [ep("10.244.1.2", node="node-2")]))
    route = KubeProxy(ctx, "node-1").route_node_port(30081)
    assert route.verdict == "ACCEPT" and route.snat


def test_iptables_distribution_is_uniform():
    eps = [Endpoint(f"10.0.0.{i}", 80, "n", True, True, False) for i in range(1, 5)]
    balancer = Iptables(random.Random(3))
    counts = Counter(balancer.pick("c", eps, None, 0.0, None).ip for _ in range(8000))
    chi2 = sum((n - 2000) ** 2 / 2000 for n in counts.values())
    assert len(counts) == 4 and chi2 < 11.34


@given(st.integers(min_value=1, max_value=12), st.integers(min_value=1, max_value=40))
def test_ipvs_round_robin_counts_are_balanced(n, rounds):
    eps = [Endpoint(f"10.0.0.{i}", 80, "n", True, True, False) for i in range(n)]
    eps.sort(key=lambda e: e.address)
    balancer = Ipvs()
    counts = Counter(balancer.pick("c", eps, None, 0.0, None).ip for _ in range(n * rounds))
    assert set(counts.values()) == {rounds}


@pytest.mark.parametrize("mode", [Iptables, Ipvs])
def test_client_ip_affinity_sticks_until_idle(mode):
    eps = [Endpoint(f"10.0.0.{i}", 80, "n", True, True, False) for i in range(1, 4)]
    balancer = mode(random.Random(0))
    first = balancer.pick("c", eps, "1.2.3.4", 0.0, 10800)
    assert all(balancer.pick("c", eps, "1.2.3.4", t, 10800) == first for t in range(1, 100))
    # idle for longer than timeoutSeconds: a fresh choice (ipvs: the next real server)
    picks = {balancer.pick("c", eps, "1.2.3.4", 200.0 + 20 * k, 10).ip for k in range(30)}
    assert len(picks) > 1


def test_affinity_default_timeout_from_service():
    svc = service(sessionAffinity="ClientIP")
    assert service_port_rules(svc, [], "n")[0].affinity_seconds == 10800
    svc = service(
        sessionAffinity="ClientIP", sessionAffinityConfig={"clientIP": {"timeoutSeconds": 60}}
    )
    assert service_port_rules(svc, [], "n")[0].affinity_seconds == 60


@given(st.integers(min_value=1, max_value=50))
def test_chain_probabilities_give_every_endpoint_one_nth(n):
    from fractions import Fraction

    remaining, shares = Fraction(1), []
    for chance in probabilities(n):
        p = Fraction(1) if chance is None else Fraction(1, round(1 / float(chance)))
        shares.append(remaining * p)
        remaining -= remaining * p
    assert shares == [Fraction(1, n)] * n and remaining == 0


def test_iptables_save_and_ipvsadm_render_the_table(world):
    from kubelab.proxy import iptables_save, ipvsadm, service_chain

    ctx, client = world
    proxy = KubeProxy(ctx, "node-1")
    client.create(service("web"))
    client.create(service("api", "10.96.0.21"))
    client.create(slice_("web-1", [ep("10.244.0.3"), ep("10.244.0.2")]))
    text = iptables_save(proxy)
    chain = service_chain("default/web", "TCP")
    assert '"default/api has no endpoints"' in text and "REJECT" in text
    assert f"--dport 80 -j {chain}" in text
    assert (
        f'-A {chain} -m comment --comment "default/web -> 10.244.0.2:8080" -m statistic --mode random --probability 0.5000000000'
        in text
    )
    assert "--to-destination 10.244.0.3:8080" in text
    assert iptables_save(proxy, "api").count("DNAT") == 0
    lines = ipvsadm(proxy, "web").splitlines()
    assert lines[3] == "TCP  10.96.0.20:80 rr"
    assert lines[4].split() == ["->", "10.244.0.2:8080", "Masq", "1", "0", "0"]
