"""Services through the API server: allocation of cluster IPs and node ports, conflicts,
release, the four types, the ``kubernetes`` Service, dry runs and the cloud load balancer."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

import kubelab as kl
from kubelab.apiserver.nodeports import NodePortAllocator
from kubelab.apiserver.serviceips import ClusterIPAllocator
from kubelab.controllers.service import LB_FINALIZER


def svc(name, *, type_=None, ports=None, selector=None, namespace=None, **spec):
    manifest = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {"ports": ports if ports is not None else [{"port": 80}], **spec},
    }
    if namespace:
        manifest["metadata"]["namespace"] = namespace
    if type_:
        manifest["spec"]["type"] = type_
    if selector is not False:
        manifest["spec"]["selector"] = selector or {"app": name}
    return manifest


@pytest.fixture
def c():
    return kl.Cluster(nodes=2, seed=0)


def allocators(cluster):
    ips = next(p for p in cluster.api.admission if isinstance(p, ClusterIPAllocator))
    ports = next(p for p in cluster.api.admission if isinstance(p, NodePortAllocator))
    return ips, ports


# -- the kubernetes Service ------------------------------------------------------------------
def test_the_cluster_starts_with_the_kubernetes_service(c):
    k = c.get("svc", "kubernetes")
    assert k["spec"]["clusterIP"] == "10.96.0.1"
    assert k["spec"]["ports"] == [
        {"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}
    ]
    assert k["metadata"]["labels"] == {"component": "apiserver", "provider": "kubernetes"}
    assert "selector" not in k["spec"]
    assert c.kubectl("get svc").splitlines() == [
        "NAME         TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)   AGE",
        "kubernetes   ClusterIP   10.96.0.1    <none>        443/TCP   0s",
    ]
    ep = c.get("endpoints", "kubernetes")
    assert ep["subsets"][0]["ports"] == [{"name": "https", "port": 6443, "protocol": "TCP"}]
    # no endpoint controller touches a selector-less Service
    c.run(30)
    assert c.get("endpoints", "kubernetes") == ep
    slices = c.list("endpointslices", selector="kubernetes.io/service-name=kubernetes")
    assert [s["metadata"]["name"] for s in slices] == ["kubernetes"]


def test_requesting_the_kubernetes_ip_is_refused(c):
    with pytest.raises(kl.Invalid) as err:
        c.apply(svc("x", clusterIP="10.96.0.1"))
    assert str(err.value) == (
        'The Service "x" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.1"}: '
        "failed to allocate IP 10.96.0.1: provided IP is already allocated"
    )


# -- ClusterIP -------------------------------------------------------------------------------
def test_cluster_ip_is_allocated_in_the_service_cidr_with_defaults(c):
    (s,) = c.apply(svc("web"))
    spec = s["spec"]
    ip = ipaddress.ip_address(spec["clusterIP"])
    assert ip in ipaddress.ip_network("10.96.0.0/12")
    assert int(ip) - int(ipaddress.ip_address("10.96.0.1")) >= 256  # upper band for dynamic
    assert spec["clusterIPs"] == [spec["clusterIP"]]
    assert spec["type"] == "ClusterIP" and spec["sessionAffinity"] == "None"
    assert spec["ipFamilies"] == ["IPv4"] and spec["ipFamilyPolicy"] == "SingleStack"
    assert spec["internalTrafficPolicy"] == "Cluster"
    assert spec["ports"] == [{"port": 80, "protocol": "TCP", "targetPort": 80}]
    assert "externalTrafficPolicy" not in spec and "nodePort" not in spec["ports"][0]
    assert s["status"] == {"loadBalancer": {}}


def test_allocation_is_deterministic_and_distinct():
    def ips(order):
        cl = kl.Cluster(nodes=1, seed=0)
        for name in order:
            cl.apply(svc(name))
        return {n: cl.get("svc", n)["spec"]["clusterIP"] for n in order}

    names = [f"s{i}" for i in range(30)]
    first, again = ips(names), ips(list(reversed(names)))
    assert first == again  # the same name gets the same IP, whatever the order
    assert len(set(first.values())) == 30


def test_requested_cluster_ip_is_honoured_and_then_refused(c):
    (a,) = c.apply(svc("a", clusterIP="10.96.0.5"))
    assert a["spec"]["clusterIPs"] == ["10.96.0.5"]
    with pytest.raises(kl.Invalid) as err:
        c.apply(svc("b", clusterIP="10.96.0.5"))
    assert str(err.value) == (
        'The Service "b" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.5"}: '
        "failed to allocate IP 10.96.0.5: provided IP is already allocated"
    )
    with pytest.raises(kl.Invalid) as err:
        c.apply(svc("b", clusterIP="10.10.100.100"))
    assert str(err.value).endswith(
        "failed to allocate IP 10.10.100.100: the provided IP (10.10.100.100) is not in the "
        "valid range. The range of valid IPs is 10.96.0.0/12"
    )
    with pytest.raises(kl.NotFound):
        c.get("svc", "b")


def test_cluster_ip_is_immutable(c):
    c.apply(svc("a", clusterIP="10.96.0.5"))
    with pytest.raises(kl.Invalid) as err:
        c.api.patch(
            "Service",
            "a",
            "default",
            {"spec": {"clusterIP": "10.96.0.6", "clusterIPs": ["10.96.0.6"]}},
            "merge",
            user="kubectl",
        )
    assert (
        'spec.clusterIPs[0]: Invalid value: []string{"10.96.0.6"}: may not change once set'
        in str(err.value)
    )
    # an update that omits the IP keeps it (patchAllocatedValues)
    live = c.get("svc", "a")
    del live["spec"]["clusterIP"], live["spec"]["clusterIPs"]
    c.api.update(live, user="kubectl")
    assert c.get("svc", "a")["spec"]["clusterIP"] == "10.96.0.5"


def test_deleting_a_service_releases_its_ip(c):
    c.apply(svc("a", clusterIP="10.96.0.5"))
    c.delete("svc", "a")
    (b,) = c.apply(svc("b", clusterIP="10.96.0.5"))
    assert b["spec"]["clusterIP"] == "10.96.0.5"
    ips, _ = allocators(c)
    assert ips.allocated() == ["10.96.0.1", "10.96.0.5"]


def test_dry_run_does_not_allocate(c):
    ips, ports = allocators(c)
    before = (dict(ips.owner), dict(ports.owner))
    out = c.kubectl(
        "expose svc kubernetes --name=x --selector=app=x --type=NodePort --dry-run=server"
    )
    assert out == "service/x exposed (server dry run)"
    dry = c.api.create(svc("y", type_="NodePort", clusterIP="10.96.0.7"), user="t", dry_run=True)
    assert dry["spec"]["ports"][0]["nodePort"]
    assert (ips.owner, ports.owner) == before
    with pytest.raises(kl.NotFound):
        c.get("svc", "y")
    (real,) = c.apply(svc("y", type_="NodePort", clusterIP="10.96.0.7"))
    assert real["spec"]["clusterIP"] == "10.96.0.7"


def test_a_failed_validation_allocates_nothing(c):
    ips, ports = allocators(c)
    before = (dict(ips.owner), dict(ports.owner))
    with pytest.raises(kl.Invalid):
        c.apply(svc("bad", type_="NodePort", ports=[{"port": 80}, {"port": 81}]))  # unnamed
    assert (ips.owner, ports.owner) == before


# -- headless and ExternalName -----------------------------------------------------------------
def test_headless_service_has_no_ip(c):
    (h,) = c.apply(svc("db", clusterIP="None"))
    assert h["spec"]["clusterIP"] == "None" and h["spec"]["clusterIPs"] == ["None"]
    assert h["spec"]["ipFamilyPolicy"] == "SingleStack"
    (n,) = c.apply(svc("raw", clusterIP="None", selector=False, ports=[]))
    assert n["spec"]["ipFamilyPolicy"] == "RequireDualStack"
    assert "None" not in allocators(c)[0].owner
    line = next(x for x in c.kubectl("get svc").splitlines() if x.startswith("db "))
    assert line.split()[:5] == ["db", "ClusterIP", "None", "<none>", "80/TCP"]


def test_external_name_service(c):
    (e,) = c.apply(
        svc(
            "db",
            type_="ExternalName",
            ports=[],
            selector=False,
            externalName="my.database.example.com",
        )
    )
    assert "clusterIP" not in e["spec"] and "ipFamilies" not in e["spec"]
    line = next(x for x in c.kubectl("get svc").splitlines() if x.startswith("db "))
    assert line.split()[:5] == ["db", "ExternalName", "<none>", "my.database.example.com", "<none>"]
    with pytest.raises(kl.Invalid) as err:
        c.apply(svc("nx", type_="ExternalName", ports=[], selector=False))
    assert "spec.externalName: Required value" in str(err.value)
    c.run(5)
    with pytest.raises(kl.NotFound):
        c.get("endpoints", "db")


def test_type_changes_release_and_allocate(c):
    c.apply(svc("web", type_="NodePort", ports=[{"port": 80, "nodePort": 30080}]))
    ips, ports = allocators(c)
    ip = c.get("svc", "web")["spec"]["clusterIP"]
    assert 30080 in ports.owner
    c.api.patch("Service", "web", "default", {"spec": {"type": "ClusterIP"}}, "merge", user="k")
    s = c.get("svc", "web")["spec"]
    assert "nodePort" not in s["ports"][0] and "externalTrafficPolicy" not in s
    assert 30080 not in ports.owner and s["clusterIP"] == ip
    c.apply(svc("other", type_="NodePort", ports=[{"port": 80, "nodePort": 30080}]))  # free again
    c.api.patch(
        "Service",
        "web",
        "default",
        {"spec": {"type": "ExternalName", "externalName": "example.com"}},
        "merge",
        user="k",
    )
    s = c.get("svc", "web")["spec"]
    assert "clusterIP" not in s and ip not in ips.owner
    c.api.patch("Service", "web", "default", {"spec": {"type": "NodePort"}}, "merge", user="k")
    s = c.get("svc", "web")["spec"]
    assert s["clusterIP"] in ips.owner and s["ports"][0]["nodePort"] not in (None, 30080)


# -- NodePort --------------------------------------------------------------------------------
def test_node_port_allocated_in_range_and_chosen(c):
    (a,) = c.apply(svc("a", type_="NodePort"))
    port = a["spec"]["ports"][0]["nodePort"]
    assert 30000 + 86 <= port <= 32767  # dynamic picks avoid the static band
    assert a["spec"]["externalTrafficPolicy"] == "Cluster"
    (b,) = c.apply(svc("web", type_="NodePort", ports=[{"port": 80, "nodePort": 30080}]))
    assert b["spec"]["ports"][0]["nodePort"] == 30080
    line = next(x for x in c.kubectl("get svc").splitlines() if x.startswith("web "))
    assert "80:30080/TCP" in line


def test_node_port_conflict_across_namespaces(c):
    c.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})
    c.apply(svc("web", type_="NodePort", ports=[{"port": 80, "nodePort": 30080}]))
    with pytest.raises(kl.Invalid) as err:
        c.apply(
            svc(
                "web-dup",
                type_="NodePort",
                namespace="shop",
                ports=[{"port": 80, "nodePort": 30080}],
            )
        )
    assert str(err.value) == (
        'The Service "web-dup" is invalid: spec.ports[0].nodePort: Invalid value: 30080: '
        "provided port is already allocated"
    )
    with pytest.raises(kl.Invalid) as err:
        c.apply(svc("low", type_="NodePort", ports=[{"port": 80, "nodePort": 29999}]))
    assert str(err.value).endswith(
        "spec.ports[0].nodePort: Invalid value: 29999: provided port is not in the valid range. "
        "The range of valid ports is 30000-32767"
    )
    with pytest.raises(kl.Invalid) as err:
        c.apply(svc("cip", ports=[{"port": 80, "nodePort": 30001}]))
    assert "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'" in str(
        err.value
    )


def test_same_port_over_two_protocols_shares_a_node_port(c):
    (d,) = c.apply(
        svc(
            "dns",
            type_="NodePort",
            ports=[
                {"name": "dns", "port": 53, "protocol": "UDP"},
                {"name": "dns-tcp", "port": 53, "protocol": "TCP"},
            ],
        )
    )
    a, b = d["spec"]["ports"]
    assert a["nodePort"] == b["nodePort"]


def test_node_ports_run_out_with_an_internal_error():
    cl = kl.Cluster(nodes=1, seed=0)
    _, ports = allocators(cl)
    ports.low, ports.high, ports._size, ports._static = 30000, 30003, 4, 1
    for i in range(4):
        cl.apply(svc(f"s{i}", type_="NodePort"))
    with pytest.raises(kl.KubelabError) as err:
        cl.apply(svc("s4", type_="NodePort"))
    assert str(err.value) == (
        "Error from server (InternalError): Internal error occurred: "
        "failed to allocate a nodePort: range is full"
    )
    cl.delete("svc", "s2")
    (again,) = cl.apply(svc("s4", type_="NodePort"))
    assert 30000 <= again["spec"]["ports"][0]["nodePort"] <= 30003


@given(st.lists(st.sampled_from(["create", "delete", "clusterip", "nodeport"]), max_size=25))
def test_allocations_always_match_the_stored_services(actions):
    cl = kl.Cluster(nodes=1, seed=0)
    ips, ports = allocators(cl)
    for i, action in enumerate(actions):
        name = f"s{i % 5}"
        try:
            if action == "create":
                cl.apply(svc(name, type_="NodePort"))
            elif action == "delete":
                cl.delete("svc", name)
            else:
                kind = "ClusterIP" if action == "clusterip" else "NodePort"
                cl.api.patch(
                    "Service", name, "default", {"spec": {"type": kind}}, "merge", user="k"
                )
        except kl.KubelabError:
            pass
    stored = cl.api.store.list("Service")
    want_ips, want_ports = set(), set()
    for s in stored:
        want_ips.add(s["spec"]["clusterIP"])
        want_ports.update(p["nodePort"] for p in s["spec"]["ports"] if p.get("nodePort"))
    assert set(ips.owner) == want_ips and set(ports.owner) == want_ports
    all_ports = [p.get("nodePort") for s in stored for p in s["spec"]["ports"] if p.get("nodePort")]
    assert len(all_ports) == len(set(all_ports))


# -- LoadBalancer ----------------------------------------------------------------------------
def test_load_balancer_gets_node_port_cluster_ip_then_an_address(c):
    (lb,) = c.apply(svc("shop", type_="LoadBalancer"))
    assert lb["spec"]["allocateLoadBalancerNodePorts"] is True
    assert lb["spec"]["ports"][0]["nodePort"] and lb["spec"]["clusterIP"]
    row = next(x for x in c.kubectl("get svc").splitlines() if x.startswith("shop "))
    assert row.split()[3] == "<pending>"
    c.run(10)
    live = c.get("svc", "shop")
    assert live["status"]["loadBalancer"]["ingress"] == [{"ip": "203.0.113.10", "ipMode": "VIP"}]
    assert LB_FINALIZER in live["metadata"]["finalizers"]
    row = next(x for x in c.kubectl("get svc").splitlines() if x.startswith("shop "))
    assert row.split()[3] == "203.0.113.10"
    text = c.kubectl("describe svc shop")
    assert "LoadBalancer Ingress:     203.0.113.10 (VIP)" in text
    assert "EnsuringLoadBalancer" in text and "Ensured load balancer" in text


def test_load_balancer_without_node_ports_and_with_local_policy(c):
    (a,) = c.apply(svc("a", type_="LoadBalancer", allocateLoadBalancerNodePorts=False))
    assert "nodePort" not in a["spec"]["ports"][0]
    (b,) = c.apply(svc("b", type_="LoadBalancer", externalTrafficPolicy="Local"))
    hc = b["spec"]["healthCheckNodePort"]
    assert 30000 <= hc <= 32767 and hc != b["spec"]["ports"][0]["nodePort"]
    assert hc in allocators(c)[1].owner


def test_a_requested_node_port_is_checked_even_without_node_port_allocation(c):
    c.apply(svc("a", type_="NodePort", ports=[{"port": 80, "nodePort": 30080}]))
    # initNodePorts honours (and checks) a requested port when nothing is allocated
    wanted = {"ports": [{"port": 80, "nodePort": 30080}], "allocateLoadBalancerNodePorts": False}
    with pytest.raises(kl.Invalid, match="provided port is already allocated"):
        c.apply(svc("b", type_="LoadBalancer", **wanted))
    (b,) = c.apply(
        svc("b", type_="LoadBalancer", **{**wanted, "ports": [{"port": 80, "nodePort": 30081}]})
    )
    assert b["spec"]["ports"][0]["nodePort"] == 30081
    assert allocators(c)[1].owner[30081] == ("default", "b")


def test_deleting_a_load_balancer_waits_for_the_cloud_and_frees_everything(c):
    c.apply(svc("shop", type_="LoadBalancer"))
    c.run(10)
    ips, ports = allocators(c)
    ip = c.get("svc", "shop")["spec"]["clusterIP"]
    c.delete("svc", "shop")
    c.run(5)
    with pytest.raises(kl.NotFound):
        c.get("svc", "shop")
    assert ip not in ips.owner and len(ports.owner) == 0
    reasons = [e["reason"] for e in c.list("events") if e["involvedObject"]["name"] == "shop"]
    assert reasons == [
        "EnsuringLoadBalancer",
        "EnsuredLoadBalancer",
        "DeletingLoadBalancer",
        "DeletedLoadBalancer",
    ]
    # the address goes back to the pool
    c.apply(svc("next", type_="LoadBalancer"))
    c.run(10)
    assert c.get("svc", "next")["status"]["loadBalancer"]["ingress"][0]["ip"] == "203.0.113.10"


def test_load_balancer_to_cluster_ip_drops_the_balancer(c):
    c.apply(svc("shop", type_="LoadBalancer"))
    c.run(10)
    c.api.patch("Service", "shop", "default", {"spec": {"type": "ClusterIP"}}, "merge", user="k")
    assert c.get("svc", "shop")["status"] == {"loadBalancer": {}}
    c.run(2)
    live = c.get("svc", "shop")
    assert not live["metadata"].get("finalizers")
    assert "allocateLoadBalancerNodePorts" not in live["spec"]
    reasons = [e["reason"] for e in c.list("events") if e["involvedObject"]["name"] == "shop"]
    assert reasons[-3:] == ["Type", "DeletingLoadBalancer", "DeletedLoadBalancer"]


# -- validation through the registry ---------------------------------------------------------
@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        (
            svc("x", type_="Foo"),
            'spec.type: Unsupported value: "Foo": supported values: '
            '"ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
        ),
        (svc("x", ports=[]), "spec.ports: Required value"),
        (
            svc("x", ports=[{"port": 0}]),
            "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
        ),
        (
            svc("x", sessionAffinity="Sticky"),
            'spec.sessionAffinity: Unsupported value: "Sticky": supported values: "ClientIP", "None"',
        ),
        (
            svc("x", type_="NodePort", clusterIP="None"),
            "spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for NodePort services",
        ),
        (
            svc("x", ipFamilyPolicy="RequireDualStack"),
            'spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured '
            "for dual-stack services",
        ),
    ],
)
def test_invalid_services_are_refused_with_upstream_messages(c, manifest, message):
    before = c.api.store.revision
    with pytest.raises(kl.Invalid) as err:
        c.apply(manifest)
    assert message in str(err.value)
    assert c.api.store.revision == before


def test_service_name_must_be_a_dns1035_label(c):
    with pytest.raises(kl.Invalid) as err:
        c.apply(svc("1svc"))
    assert 'metadata.name: Invalid value: "1svc": a DNS-1035 label must consist of' in str(
        err.value
    )
