"""kubectl over Services: get svc / endpoints / endpointslices, describe service, expose."""

from __future__ import annotations

import pytest

import kubelab as kl

DEPLOY = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: app
        image: kubelab/web:v1
        ports: [{name: http, containerPort: 8080}]
"""


@pytest.fixture
def c():
    cl = kl.Cluster(nodes=3, seed=0)
    cl.apply(DEPLOY)
    cl.run(30)
    return cl


def rows(text):
    return [line.split() for line in text.splitlines()]


def test_expose_deployment_then_get_svc_endpoints_and_slices(c):
    assert c.kubectl("expose deployment web --port=80 --target-port=http") == "service/web exposed"
    svc = c.get("svc", "web")
    assert svc["metadata"]["labels"] == {"app": "web"}
    assert svc["spec"]["selector"] == {"app": "web"}
    assert svc["spec"]["ports"] == [{"port": 80, "protocol": "TCP", "targetPort": "http"}]
    c.run(1)
    ip = svc["spec"]["clusterIP"]
    out = c.kubectl("get svc web")
    assert rows(out) == [
        ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"],
        ["web", "ClusterIP", ip, "<none>", "80/TCP", "1s"],
    ]
    header = out.splitlines()[0]
    assert header.index("CLUSTER-IP") == header.index("TYPE") + len("ClusterIP") + 3
    pod_ips = sorted(p["status"]["podIP"] for p in c.list("pods"))
    (ep_row,) = rows(c.kubectl("get endpoints web"))[1:]
    assert ep_row[0] == "web"
    assert sorted(ep_row[1].split(",")) == sorted(f"{ip}:8080" for ip in pod_ips)
    slice_rows = rows(c.kubectl("get endpointslices"))
    assert slice_rows[0] == ["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"]
    (web,) = [r for r in slice_rows[1:] if r[0].startswith("web-")]
    assert web[1:3] == ["IPv4", "8080"] and sorted(web[3].split(",")) == pod_ips
    wide = rows(c.kubectl("get svc web -o wide"))
    assert wide[0][-1] == "SELECTOR" and wide[1][-1] == "app=web"


def test_expose_defaults_ports_from_the_containers(c):
    assert c.kubectl("expose deploy/web --name=web2 --type=NodePort") == "service/web2 exposed"
    port = c.get("svc", "web2")["spec"]["ports"][0]
    assert (port["port"], port["targetPort"]) == (8080, 8080)
    assert 30000 <= port["nodePort"] <= 32767
    row = rows(c.kubectl("get svc web2"))[1]
    assert row[1] == "NodePort" and row[4] == f"8080:{port['nodePort']}/TCP"


def test_expose_pod_rs_rc_and_service(c):
    pod = c.list("pods")[0]["metadata"]["name"]
    rs = c.list("rs")[0]["metadata"]["name"]
    assert c.kubectl(f"expose pod {pod} --port=80 --name=one") == "service/one exposed"
    assert c.get("svc", "one")["spec"]["selector"] == c.get("pod", pod)["metadata"]["labels"]
    assert c.kubectl(f"expose rs {rs} --port=80 --name=two") == "service/two exposed"
    assert (
        c.get("svc", "two")["spec"]["selector"]
        == c.get("rs", rs)["spec"]["selector"]["matchLabels"]
    )
    assert c.kubectl("expose svc two --name=three --type=LoadBalancer") == "service/three exposed"
    three = c.get("svc", "three")["spec"]
    assert three["selector"] == c.get("svc", "two")["spec"]["selector"]
    assert three["ports"][0]["port"] == 80 and three["type"] == "LoadBalancer"
    row = rows(c.kubectl("get svc three"))[1]
    assert row[3] == "<pending>"
    c.run(10)
    assert rows(c.kubectl("get svc three"))[1][3] == "203.0.113.10"


def test_expose_multiple_ports_names_them():
    cl = kl.Cluster(nodes=1, seed=0)
    cl.apply("""
apiVersion: v1
kind: Pod
metadata: {name: p, labels: {run: p}}
spec: {containers: [{name: a, image: "nginx:1.25", ports: [{containerPort: 80}, {containerPort: 443}]}]}
""")
    assert cl.kubectl("expose pod p") == "service/p exposed"
    ports = cl.get("svc", "p")["spec"]["ports"]
    assert [(p["name"], p["port"], p["targetPort"]) for p in ports] == [
        ("port-1", 80, 80),
        ("port-2", 443, 443),
    ]


def test_expose_errors(c):
    assert c.kubectl("expose deployment web --port=80") == "service/web exposed"
    assert c.kubectl("expose deployment web --port=80") == (
        'Error from server (AlreadyExists): services "web" already exists'
    )
    assert c.kubectl("expose deployment nope --port=80") == (
        'Error from server (NotFound): deployments.apps "nope" not found'
    )
    assert c.kubectl("expose node node-1 --port=80") == "error: cannot expose a Node"
    cl = kl.Cluster(nodes=1, seed=0)
    cl.apply("""
apiVersion: v1
kind: Pod
metadata: {name: bare, labels: {run: bare}}
spec: {containers: [{name: a, image: "busybox"}]}
""")
    assert cl.kubectl("expose pod bare") == (
        "error: couldn't find port via --port flag or introspection\n"
        "See 'kubectl expose -h' for help and examples"
    )
    out = cl.kubectl("expose pod bare --port=80 --type=Foo")
    assert 'spec.type: Unsupported value: "Foo"' in out
    assert cl.kubectl("get svc -o name") == "service/kubernetes"


def test_expose_dry_run_client_and_yaml_output(c):
    out = c.kubectl("expose deployment web --port=80 --dry-run=client -o yaml")
    assert "kind: Service" in out and "clusterIP" not in out
    assert c.kubectl("expose deployment web --port=80 --dry-run=client") == (
        "service/web exposed (dry run)"
    )
    with pytest.raises(kl.NotFound):
        c.get("svc", "web")


def test_describe_service_shows_endpoints_and_events(c):
    c.kubectl("expose deployment web --port=80 --target-port=http --type=LoadBalancer")
    c.run(10)
    text = c.kubectl("describe svc web")
    svc = c.get("svc", "web")
    lines = dict(
        (line.split(":", 1)[0], line.split(":", 1)[1].strip())
        for line in text.splitlines()
        if ":" in line and not line.startswith(" ")
    )
    assert lines["Type"] == "LoadBalancer"
    assert lines["IP"] == svc["spec"]["clusterIP"]
    assert lines["LoadBalancer Ingress"] == "203.0.113.10 (VIP)"
    assert lines["TargetPort"] == "http/TCP"
    assert lines["NodePort"] == f"<unset>  {svc['spec']['ports'][0]['nodePort']}/TCP"
    pod_ips = sorted(p["status"]["podIP"] for p in c.list("pods"))
    assert sorted(lines["Endpoints"].split(",")) == [f"{ip}:8080" for ip in pod_ips]
    assert "Normal  EnsuringLoadBalancer" in text and "Normal  EnsuredLoadBalancer" in text


def test_describe_service_without_ready_pods_and_all_namespaces(c):
    c.apply("""
apiVersion: v1
kind: Service
metadata: {name: lonely}
spec: {selector: {app: nobody}, ports: [{port: 80}]}
""")
    c.run(1)
    text = c.kubectl("describe svc lonely")
    (line,) = [x for x in text.splitlines() if x.startswith("Endpoints:")]
    assert line.strip() == "Endpoints:"  # an Endpoints object with no address: an empty cell
    rows_all = rows(c.kubectl("get svc -A"))
    assert rows_all[0][0] == "NAMESPACE"
    assert [r[1] for r in rows_all[1:]] == ["kubernetes", "lonely"]


def test_describe_endpoints_and_endpointslice(c):
    c.kubectl("expose deployment web --port=80 --target-port=http")
    c.run(1)
    pods = sorted(c.list("pods"), key=lambda p: p["status"]["podIP"])
    ips = [p["status"]["podIP"] for p in pods]
    text = c.kubectl("describe endpoints web")
    assert text.splitlines()[:9] == [
        "Name:         web",
        "Namespace:    default",
        "Labels:       app=web",
        "Annotations:  <none>",
        "Subsets:",
        f"  Addresses:          {','.join(ips)}",
        "  NotReadyAddresses:  <none>",
        "  Ports:",
        "    Name     Port  Protocol",
    ]
    assert "    <unset>  8080  TCP" in text and text.rstrip().endswith("Events:  <none>")
    (s,) = c.list("endpointslices", selector="kubernetes.io/service-name=web")
    text = c.kubectl(f"describe endpointslice {s['metadata']['name']}")
    assert "AddressType:  IPv4" in text
    first = s["endpoints"][0]
    block = [
        f"  - Addresses:  {first['addresses'][0]}",
        "    Conditions:",
        "      Ready:    true",
        "    Hostname:   <unset>",
        f"    TargetRef:  Pod/{first['targetRef']['name']}",
        f"    NodeName:   {first['nodeName']}",
        "    Zone:       <unset>",
    ]
    lines = text.splitlines()
    start = lines.index(block[0])
    assert lines[start : start + 7] == block
