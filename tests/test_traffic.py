"""c.traffic end to end: targets, clients, policies, failures, the frame and its summaries."""

from __future__ import annotations

import pytest

import kubelab as kl
from kubelab.network import failures, pod_spread, success_rate, summary, version_share
from kubelab.network.traffic import COLUMNS


def deploy(c, replicas=2, *, image="kubelab/web:v1", svc=None, node=None, name="web"):
    svc = svc or f"{{selector: {{app: {name}}}, ports: [{{port: 80, targetPort: 8080}}]}}"
    pin = f"nodeName: {node}" if node else ""
    c.apply(
        f"""
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      {pin}
      containers: [{{name: web, image: "{image}", ports: [{{containerPort: 8080}}]}}]
---
apiVersion: v1
kind: Service
metadata: {{name: {name}}}
spec: {svc}
"""
    )
    c.run(30)


def test_frame_columns_and_steady_rate():
    c = kl.Cluster(nodes=2, seed=0)
    deploy(c)
    t = c.traffic("web", rps=10, duration=3)
    assert list(t.columns) == COLUMNS
    assert len(t) == 30 and t["time"].diff().dropna().round(9).eq(0.1).all()
    assert c.now == pytest.approx(33.0)
    row = t.iloc[0]
    assert row.status == 200 and row.version == "v1" and row.client == "client"
    assert row.pod.startswith("web-") and row.node in c.kubelets
    assert 0.015 < row.latency < 0.03  # kubelab/web answers in ~20 ms
    assert "kube-proxy (node-1, iptables)" in row.path and "DNAT" in row.path
    s = summary(t)
    assert s["requests"] == 30 and s["failed"] == 0 and s["versions"] == {"v1": 30}
    assert success_rate(t).eq(1.0).all() and version_share(t)["v1"].eq(1.0).all()


def test_no_endpoints_is_refused_and_unknown_name_unresolved():
    c = kl.Cluster(nodes=1, seed=0)
    c.apply(
        "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {selector: {app: x}, ports: [{port: 80}]}\n"
    )
    c.run(1)
    assert set(c.traffic("web", rps=5, duration=1)["status"]) == {"connection refused"}
    assert set(c.traffic("nosuch", rps=5, duration=1)["status"]) == {"could not resolve host"}


def test_target_port_mismatch_is_refused():
    c = kl.Cluster(nodes=1, seed=0)
    deploy(c, 1, svc="{selector: {app: web}, ports: [{port: 80, targetPort: 9999}]}")
    t = c.traffic("web", rps=5, duration=1)
    assert set(t["status"]) == {"connection refused"}
    assert t["pod"].str.startswith("web-").all()  # routed to the pod; nothing listens on 9999


def test_pod_as_client_uses_its_namespace_and_node():
    c = kl.Cluster(nodes=2, seed=0)
    deploy(c)
    c.apply(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: curl}\nspec: {nodeName: node-2, containers: "
        '[{name: c, image: busybox, command: ["sleep", "3600"]}]}\n'
    )
    c.run(10)
    t = c.traffic("web.default.svc.cluster.local", rps=5, duration=2, client="curl")
    assert (t["client"] == "curl").all() and failures(t) == 0
    assert t["path"].str.contains(r"kube-proxy \(node-2").all()
    with pytest.raises(kl.NotFound):
        c.traffic("web", rps=1, duration=1, client="nobody")


def test_sidecar_on_localhost():
    c = kl.Cluster(nodes=1, seed=0)
    c.apply(
        """
apiVersion: v1
kind: Pod
metadata: {name: app}
spec:
  containers:
  - {name: main, image: busybox, command: [sleep, "3600"]}
  - {name: proxy, image: "kubelab/web:v2"}
"""
    )
    c.run(15)
    t = c.traffic("localhost:8080", rps=5, duration=1, client="app")
    assert failures(t) == 0 and set(t["container"]) == {"proxy"} and set(t["version"]) == {"v2"}
    assert set(c.traffic("localhost:9090", rps=2, duration=1, client="app")["status"]) == {
        "connection refused"
    }
    with pytest.raises(kl.Invalid):
        c.traffic("localhost:8080", rps=1, duration=1)


def test_headless_service_goes_straight_to_pods():
    c = kl.Cluster(nodes=2, seed=0)
    deploy(c, 2, svc="{clusterIP: None, selector: {app: web}, ports: [{port: 8080}]}")
    t = c.traffic("web:8080", rps=10, duration=2)
    assert failures(t) == 0 and t["pod"].nunique() == 2
    assert not t["path"].str.contains("kube-proxy").any()


def test_external_name_leaves_the_cluster():
    c = kl.Cluster(nodes=1, seed=0)
    c.apply(
        "apiVersion: v1\nkind: Service\nmetadata: {name: db}\nspec: {type: ExternalName, externalName: db.example.com}\n"
    )
    t = c.traffic("db", rps=2, duration=1)
    assert set(t["status"]) == {"external"} and t["path"].str.contains("CNAME db.example.com").all()


def test_external_traffic_policy_local_drops_on_nodes_without_endpoint():
    c = kl.Cluster(nodes=2, seed=0)
    deploy(
        c,
        1,
        node="node-1",
        svc="{type: NodePort, externalTrafficPolicy: Local, selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}",
    )
    port = c.get("svc", "web")["spec"]["ports"][0]["nodePort"]
    ok = c.traffic(f"{c.kubelets['node-1'].node_ip}:{port}", rps=5, duration=1)
    dropped = c.traffic(f"{c.kubelets['node-2'].node_ip}:{port}", rps=5, duration=1)
    assert failures(ok) == 0 and not ok["path"].str.contains("SNAT").any()
    assert set(dropped["status"]) == {"timeout"} and (dropped["latency"] == 1.0).all()


def test_load_balancer_sends_only_to_healthy_nodes_with_local_policy():
    c = kl.Cluster(nodes=3, seed=0)
    deploy(
        c,
        1,
        node="node-2",
        svc="{type: LoadBalancer, externalTrafficPolicy: Local, selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}",
    )
    ip = c.get("svc", "web")["status"]["loadBalancer"]["ingress"][0]["ip"]
    t = c.traffic(ip, rps=10, duration=2)
    assert failures(t) == 0 and (t["client"] == "external").all()
    assert t["path"].str.contains("load balancer").all()
    assert t["path"].str.contains("node-2 → kube-proxy").all()


def test_load_balancer_cluster_policy_spreads_over_nodes():
    c = kl.Cluster(nodes=3, seed=0)
    deploy(
        c,
        1,
        svc="{type: LoadBalancer, selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}",
    )
    ip = c.get("svc", "web")["status"]["loadBalancer"]["ingress"][0]["ip"]
    t = c.traffic(ip, rps=9, duration=1)
    assert failures(t) == 0
    entry = t["path"].str.extract(r"(node-\d) → kube-proxy")[0]
    assert entry.value_counts().tolist() == [3, 3, 3]


def test_cluster_ip_not_reachable_from_outside():
    c = kl.Cluster(nodes=1, seed=0)
    deploy(c, 1)
    ip = c.get("svc", "web")["spec"]["clusterIP"]
    assert failures(c.traffic(f"{ip}:80", rps=2, duration=1)) == 0
    assert set(c.traffic(f"{ip}:80", rps=2, duration=1, client="external")["status"]) == {"timeout"}


def test_session_affinity_client_ip_sticks():
    c = kl.Cluster(nodes=2, seed=0)
    deploy(
        c,
        3,
        svc="{sessionAffinity: ClientIP, selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}",
    )
    assert c.traffic("web", rps=20, duration=3)["pod"].nunique() == 1


def test_dead_node_pods_time_out_until_their_endpoints_go():
    c = kl.Cluster(nodes=2, seed=0)
    deploy(c, 2, svc=None)
    victim = c.list("pods")[0]["spec"]["nodeName"]
    c.fail_node(victim)
    t = c.traffic("web", rps=10, duration=10)  # the node controller has not noticed yet
    bad = t[t["status"] != 200]
    assert len(bad) > 0 and set(bad["status"]) == {"timeout"} and set(bad["node"]) == {victim}


def test_errors_follow_the_image_error_rate():
    c = kl.Cluster(nodes=1, seed=0)
    deploy(c, 1, image="kubelab/flaky")
    t = c.traffic("web", rps=100, duration=10)
    rate = (t["status"] == 500).mean()
    assert 0.15 < rate < 0.25 and set(t["status"]) == {200, 500}


def test_ingress_host_path():
    c = kl.Cluster(nodes=2, seed=0)
    deploy(c, 2)
    c.apply(
        """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop}
spec:
  ingressClassName: nginx
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
      - {path: /gone, pathType: Prefix, backend: {service: {name: nothere, port: {number: 80}}}}
"""
    )
    c.run(5)
    t = c.traffic("shop.example.com/cart", rps=10, duration=2)
    assert failures(t) == 0 and (t["client"] == "external").all()
    assert pod_spread(t).tolist() == [10, 10]  # round robin over the endpoints
    assert t["path"].str.contains("ingress shop").all()
    assert set(c.traffic("other.example.com/", rps=2, duration=1)["status"]) == {404}
    assert set(c.traffic("shop.example.com/gone", rps=2, duration=1)["status"]) == {503}


def test_bad_arguments_fail_before_time_runs():
    c = kl.Cluster(nodes=1, seed=0)
    with pytest.raises(kl.Invalid):
        c.traffic("web:http", rps=1, duration=1)
    with pytest.raises(ValueError):
        c.traffic("web", rps=0, duration=1)
    assert c.now == 0


def test_proxy_mode_keyword():
    assert kl.Cluster(nodes=1, seed=0).proxies["node-1"].mode == "iptables"
    assert kl.Cluster(nodes=1, seed=0, proxy_mode="ipvs").proxies["node-1"].mode == "ipvs"
    with pytest.raises(ValueError):
        kl.Cluster(nodes=1, seed=0, proxy_mode="nftables")


def test_proxies_follow_nodes():
    c = kl.Cluster(nodes=1, seed=0)
    c.add_node("node-9")
    assert c.proxies["node-9"].running
    c.fail_node("node-9")
    assert not c.proxies["node-9"].running
    c.restore_node("node-9")
    assert c.proxies["node-9"].running
    c.remove_node("node-9")
    assert "node-9" not in c.proxies


def test_traffic_lab_runs_without_a_browser():
    import matplotlib

    matplotlib.use("Agg")
    lab = kl.viz.TrafficLab(seconds=40)
    assert lab.describe() == "Press “roll out v2”."
    assert lab.roll_out(strategy="Recreate")["failed"] > 0
    assert "failed" in lab.describe()
    axes = lab.draw()
    assert [line.get_gid() for line in axes[0].get_lines()] == ["traffic:success", "mark"]
    assert lab.roll_out(strategy="RollingUpdate", readiness=True, max_unavailable=0)["failed"] == 0
    assert lab.result["versions"]["v2"] > 0
    refused = lab.roll_out(max_unavailable=0, max_surge=0)
    assert "invalid" in refused["error"] and lab.frame is None
    assert lab.describe().startswith("❌")
    lab.draw()


def test_traffic_lab_widget_button_runs_the_experiment():
    import matplotlib

    matplotlib.use("Agg")
    lab, ui = kl.viz.traffic_lab(seconds=30)
    controls = ui.children
    strategy = controls[0].children[0]
    strategy.value = "Recreate"
    button = controls[2]
    button.click()
    assert lab.settings["strategy"] == "Recreate" and lab.result["failed"] > 0
    assert "failed" in controls[3].value


def test_kubernetes_service_reaches_the_api_server():
    c = kl.Cluster(nodes=1, seed=0)
    t = c.traffic("kubernetes:443", rps=2, duration=1)
    assert set(t["status"]) == {403} and t["path"].str.contains("kube-apiserver").all()


def test_local_policy_short_circuit_for_traffic_from_the_node():
    c = kl.Cluster(nodes=2, seed=0)
    deploy(
        c,
        1,
        node="node-1",
        svc="{type: LoadBalancer, externalTrafficPolicy: Local, selector: {app: web}, ports: [{port: 80, targetPort: 8080, nodePort: 30090}]}",
    )
    c.apply(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: curl}\nspec: {nodeName: node-2, containers: "
        '[{name: c, image: busybox, command: ["sleep", "3600"]}]}\n'
    )
    c.run(10)
    node2 = c.kubelets["node-2"].node_ip
    # from outside, node-2 has no local endpoint: dropped
    assert set(c.traffic(f"{node2}:30090", rps=2, duration=1)["status"]) == {"timeout"}
    # from a pod on node-2 (KUBE-EXT short-circuit): any endpoint
    assert failures(c.traffic(f"{node2}:30090", rps=2, duration=1, client="curl")) == 0
    lb = c.get("svc", "web")["status"]["loadBalancer"]["ingress"][0]["ip"]
    t = c.traffic(lb, rps=2, duration=1, client="curl")
    assert failures(t) == 0 and not t["path"].str.contains("load balancer").any()


def test_traffic_counts_success_and_share():
    import pandas as pd

    from kubelab.viz import traffic_counts

    t = pd.DataFrame(
        {
            "time": [0.1, 0.6, 1.1, 1.6, 2.2],
            "version": ["v1", None, "v1", "v2", "v2"],
            "status": [200, "connection refused", 200, 200, 503],
            "latency": [0.02, 0.001, 0.02, 0.02, 0.02],
        }
    )
    assert traffic_counts(t, value="success")["success"].tolist() == [0.5, 1.0, 0.0]
    share = traffic_counts(t, by="version", value="share")
    assert share.loc[0.0].tolist() == [1.0, 0.0] and share.loc[1.0].tolist() == [0.5, 0.5]
    assert share.loc[2.0].isna().all()  # no successful answer in that second
    with pytest.raises(ValueError):
        traffic_counts(t, value="nonsense")


def test_listener_follows_the_container_lifecycle():
    from kubelab.network import listener

    c = kl.Cluster(nodes=1, seed=0)
    c.apply(
        """
apiVersion: v1
kind: Pod
metadata: {name: web}
spec: {containers: [{name: web, image: "kubelab/web:v1"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: stubborn}
spec: {containers: [{name: app, image: kubelab/stubborn}]}
---
apiVersion: v1
kind: Pod
metadata: {name: box}
spec: {containers: [{name: sh, image: busybox, command: [sleep, "3600"]}]}
"""
    )

    def state(name, port=8080):
        pod = c.get("pod", name)
        ip = pod["status"].get("podIP")
        return listener(c.kubelets, "node-1", ip, port, c.now).status if ip else "no ip"

    c.run_until(lambda cl: cl.get("pod", "web")["status"].get("podIP"), timeout=30)
    started = c.now
    assert state("web") == "connection refused"  # pulling / starting / not listening yet
    c.run(15)
    assert c.now > started and state("web") is None and state("stubborn") is None
    assert state("web", 9999) == "connection refused"
    assert state("box", 80) == "connection refused"  # a toolbox listens on nothing
    c.delete("pod", "web")
    c.delete("pod", "stubborn")
    c.run(0.1)
    assert state("web") == "connection refused"  # SIGTERM: a graceful app closes its port
    assert state("stubborn") is None  # ignores SIGTERM: still answering until SIGKILL
