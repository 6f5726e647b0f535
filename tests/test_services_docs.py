"""The official documentation's Service manifests behave as the documentation says.

Reads ``../shared/corpus/k8s-docs-examples`` (skipped when absent). Every valid manifest with
a Service gets its IPs and ports from the registry, and once its pods run, endpoints for
exactly the ready pods it selects; a few walkthroughs are replayed step by step.
"""

from __future__ import annotations

import ipaddress
import re

import pytest
from test_docs_corpus import CORPUS_DIR, VALID

import kubelab as kl
from kubelab.controllers.servicepods import is_pod_ready, selects

SERVICE_FILES = [
    name
    for name in VALID
    if re.search(r"^kind: Service\s*$|kind: \"Service\"", (CORPUS_DIR / name).read_text(), re.M)
]


def apply_file(c, name):
    try:
        return c.apply(str(CORPUS_DIR / name))
    except kl.NotFound as error:
        missing = re.search(r'namespaces "([^"]+)" not found', str(error))
        assert missing, error
        c.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": missing.group(1)}})
        return c.apply(str(CORPUS_DIR / name))


def ready_ips(c, svc):
    return sorted(
        p["status"]["podIP"]
        for p in c.list("pods", namespace=svc["metadata"]["namespace"])
        if selects(svc, p) and is_pod_ready(p) and not p["metadata"].get("deletionTimestamp")
    )


def slice_ready_ips(c, svc):
    meta = svc["metadata"]
    return sorted(
        addr
        for s in c.list(
            "endpointslices",
            namespace=meta["namespace"],
            selector=f"kubernetes.io/service-name={meta['name']}",
        )
        for e in s.get("endpoints") or ()
        if e["conditions"]["ready"]
        for addr in e["addresses"]
    )


def test_the_corpus_has_service_manifests():
    assert len(SERVICE_FILES) >= 15
    assert "service/nginx-service.yaml" in SERVICE_FILES


@pytest.mark.parametrize("name", SERVICE_FILES)
def test_docs_service_is_allocated_and_gets_the_endpoints_of_its_ready_pods(name):
    c = kl.Cluster(nodes=3, seed=0)
    stored = apply_file(c, name)
    c.run(60)
    services = [o for o in stored if o["kind"] == "Service"]
    assert services
    cidr = ipaddress.ip_network("10.96.0.0/12")
    for obj in services:
        svc = c.get("svc", obj["metadata"]["name"], obj["metadata"]["namespace"])
        spec = svc["spec"]
        kind = spec["type"]
        if kind == "ExternalName":
            assert "clusterIP" not in spec
            continue
        if spec["clusterIP"] != "None":
            assert ipaddress.ip_address(spec["clusterIP"]) in cidr
        for port in spec["ports"]:
            if kind in ("NodePort", "LoadBalancer"):
                assert 30000 <= port["nodePort"] <= 32767
            else:
                assert "nodePort" not in port
        if kind == "LoadBalancer":
            assert svc["status"]["loadBalancer"]["ingress"][0]["ip"].startswith("203.0.113.")
        if spec.get("selector"):
            assert slice_ready_ips(c, svc) == ready_ips(c, svc), svc["metadata"]["name"]


def test_connecting_applications_with_services_walkthrough():
    """``service/networking/run-my-nginx.yaml`` + ``nginx-svc.yaml``: two endpoints on port 80."""
    c = kl.Cluster(nodes=2, seed=0)
    apply_file(c, "service/networking/run-my-nginx.yaml")
    apply_file(c, "service/networking/nginx-svc.yaml")
    c.run(30)
    svc = c.get("svc", "my-nginx")
    assert svc["spec"]["ports"] == [{"port": 80, "protocol": "TCP", "targetPort": 80}]
    (row,) = c.kubectl("get ep my-nginx").splitlines()[1:]
    addresses = row.split()[1].split(",")
    assert sorted(addresses) == sorted(f"{ip}:80" for ip in ready_ips(c, svc))
    assert len(addresses) == 2


def test_exposing_an_external_ip_walkthrough():
    """``service/load-balancer-example.yaml``: five pods, then
    ``kubectl expose deployment hello-world --type=LoadBalancer --name=my-service``."""
    c = kl.Cluster(nodes=3, seed=0)
    apply_file(c, "service/load-balancer-example.yaml")
    c.run(60)
    out = c.kubectl("expose deployment hello-world --type=LoadBalancer --name=my-service")
    assert out == "service/my-service exposed"
    row = c.kubectl("get services my-service").splitlines()[1].split()
    assert row[1] == "LoadBalancer" and row[3] == "<pending>" and row[4].startswith("8080:")
    c.run(10)
    row = c.kubectl("get services my-service").splitlines()[1].split()
    assert row[3] == "203.0.113.10"
    text = c.kubectl("describe services my-service")
    assert "LoadBalancer Ingress:     203.0.113.10 (VIP)" in text
    line = next(x for x in text.splitlines() if x.startswith("Endpoints:"))
    endpoints = line.split(":", 1)[1].strip()
    assert endpoints.endswith(" + 2 more...") and len(endpoints.split(",")) == 3


def test_connect_a_frontend_to_a_backend_walkthrough():
    """``service/access``: the ``hello`` Service finds the three backends by the port name."""
    c = kl.Cluster(nodes=3, seed=0)
    for name in (
        "backend-deployment",
        "backend-service",
        "frontend-deployment",
        "frontend-service",
    ):
        apply_file(c, f"service/access/{name}.yaml")
    c.run(60)
    hello = c.get("svc", "hello")
    assert hello["spec"]["ports"][0]["targetPort"] == "http"
    assert len(slice_ready_ips(c, hello)) == 3 == len(ready_ips(c, hello))
    (s,) = c.list("endpointslices", selector="kubernetes.io/service-name=hello")
    assert s["ports"] == [{"name": "", "port": 80, "protocol": "TCP"}]
    assert c.get("svc", "frontend")["status"]["loadBalancer"]["ingress"]


def test_mysql_headless_service_walkthrough():
    """``application/mysql/mysql-services.yaml``: a headless Service and a read Service."""
    c = kl.Cluster(nodes=1, seed=0)
    apply_file(c, "application/mysql/mysql-services.yaml")
    assert c.get("svc", "mysql")["spec"]["clusterIP"] == "None"
    assert ipaddress.ip_address(c.get("svc", "mysql-read")["spec"]["clusterIP"])
    c.run(1)
    (s,) = c.list("endpointslices", selector="kubernetes.io/service-name=mysql")
    assert s["metadata"]["labels"]["service.kubernetes.io/headless"] == ""
