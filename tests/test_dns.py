"""Cluster DNS: search path, ClusterIP / headless / ExternalName records, NXDOMAIN, nslookup."""

from __future__ import annotations

import pytest

import kubelab as kl
from kubelab.dns import ClusterDNS, nslookup, search_path

SVC_LABEL = "kubernetes.io/service-name"


@pytest.fixture
def c():
    c = kl.Cluster(nodes=1, seed=0)
    c.apply(
        """
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: shop}
spec: {clusterIP: None, selector: {app: db}, ports: [{port: 5432}]}
---
apiVersion: v1
kind: Service
metadata: {name: mail}
spec: {type: ExternalName, externalName: smtp.example.com}
"""
    )
    return c


def _headless_slice(c, endpoints):
    c.apply(
        {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {"name": "db-hand", "namespace": "shop", "labels": {SVC_LABEL: "db"}},
            "addressType": "IPv4",
            "endpoints": endpoints,
            "ports": [{"name": "", "port": 5432, "protocol": "TCP"}],
        }
    )


def test_search_path_as_resolv_conf():
    assert search_path("shop") == ["shop.svc.cluster.local", "svc.cluster.local", "cluster.local"]


@pytest.mark.parametrize(
    "name, namespace",
    [
        ("web", "shop"),
        ("web.shop", "default"),
        ("web.shop.svc", "default"),
        ("web.shop.svc.cluster.local", "default"),
        ("web.shop.svc.cluster.local.", "kube-system"),
    ],
)
def test_every_form_of_the_name_resolves(c, name, namespace):
    ip = c.get("svc", "web", "shop")["spec"]["clusterIP"]
    answer = c.dns.resolve(name, namespace)
    assert answer.found and answer.addresses == [ip]
    assert answer.name == "web.shop.svc.cluster.local"


def test_short_name_only_in_own_namespace(c):
    assert not c.dns.resolve("web", "default").found
    assert c.dns.resolve("web", "default").rcode == "NXDOMAIN"


def test_headless_resolves_to_ready_pod_ips(c):
    _headless_slice(
        c,
        [
            {"addresses": ["10.244.0.7"], "conditions": {"ready": True}},
            {"addresses": ["10.244.0.5"], "conditions": {"ready": True}},
            {"addresses": ["10.244.0.6"], "conditions": {"ready": False}},
        ],
    )
    answer = c.dns.resolve("db", "shop")
    assert answer.headless and answer.addresses == ["10.244.0.5", "10.244.0.7"]


def test_headless_without_ready_endpoints_is_nxdomain(c):
    assert not c.dns.resolve("db", "shop").found
    _headless_slice(c, [{"addresses": ["10.244.0.6"], "conditions": {"ready": False}}])
    assert not c.dns.resolve("db", "shop").found


def test_external_name_is_a_cname(c):
    answer = c.dns.resolve("mail")
    assert answer.cname == "smtp.example.com" and answer.addresses == []


def test_deleted_service_disappears(c):
    c.delete("svc", "web", "shop")
    assert not c.dns.resolve("web", "shop").found


def test_nslookup_prints_like_busybox(c):
    ip = c.get("svc", "web", "shop")["spec"]["clusterIP"]
    out = nslookup(c.api, "web", namespace="shop")
    assert out.splitlines() == [
        "Server:\t\t10.96.0.10",
        "Address:\t10.96.0.10:53",
        "",
        "Name:\tweb.shop.svc.cluster.local",
        f"Address: {ip}",
    ]
    assert "canonical name = smtp.example.com" in nslookup(c.api, "mail")
    assert "** server can't find nosuch: NXDOMAIN" in nslookup(c.api, "nosuch")


def test_nslookup_without_a_cluster_dns_makes_one():
    from kubelab.apiserver import APIServer
    from kubelab.sim import Clock

    api = APIServer(Clock())
    assert isinstance(ClusterDNS.for_api(api), ClusterDNS)
    assert "NXDOMAIN" in nslookup(api, "web")


def test_pod_records_and_headless_hostnames(c):
    assert c.dns.resolve("10-244-1-5.shop.pod.cluster.local").addresses == ["10.244.1.5"]
    assert not c.dns.resolve("10-244-1.shop.pod.cluster.local").found
    _headless_slice(
        c,
        [
            {"addresses": ["10.244.0.5"], "hostname": "db-0", "conditions": {"ready": True}},
            {"addresses": ["10.244.0.6"], "hostname": "db-1", "conditions": {"ready": True}},
        ],
    )
    assert c.dns.resolve("db-1.db", "shop").addresses == ["10.244.0.6"]
    assert c.dns.resolve("db-0.db.shop.svc.cluster.local").addresses == ["10.244.0.5"]
    assert not c.dns.resolve("db-2.db", "shop").found
    assert not c.dns.resolve("x.web", "shop").found  # a ClusterIP Service has no per-pod names
