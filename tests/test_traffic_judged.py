"""Judged behaviour of the data path: load balancing, readiness, zero-downtime rollouts, DNS, NodePort.

End to end: Deployment → pods → EndpointSlice controller → every node's kube-proxy → traffic.
"""

from __future__ import annotations

import pytest

import kubelab as kl
from kubelab.network import failures, pod_spread


def cluster(**kw) -> kl.Cluster:
    c = kl.Cluster(**kw)
    assert "endpointslice-controller" in c.controllers
    return c


def web(replicas=3, *, image="kubelab/web:v1", strategy="", probe=True, svc_type="ClusterIP"):
    readiness = (
        "readinessProbe: {httpGet: {path: /healthz, port: 8080}, periodSeconds: 1}" if probe else ""
    )
    return f"""
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: web}}}}
  {strategy}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers:
      - name: web
        image: "{image}"
        ports: [{{containerPort: 8080}}]
        {readiness}
---
apiVersion: v1
kind: Service
metadata: {{name: web}}
spec: {{type: {svc_type}, selector: {{app: web}}, ports: [{{port: 80, targetPort: 8080}}]}}
"""


def _chi_square(counts, expected):
    return sum((o - expected) ** 2 / expected for o in counts)


def test_iptables_spreads_uniformly_over_ready_pods():
    c = cluster(nodes=3, seed=1)
    c.apply(web(4))
    c.run(30)
    t = c.traffic("web", rps=100, duration=20)
    assert failures(t) == 0
    spread = pod_spread(t)
    assert len(spread) == 4
    # chi-square with 3 degrees of freedom: 11.34 is the 99% quantile
    assert _chi_square(spread.tolist(), len(t) / 4) < 11.34


def test_ipvs_round_robin_is_exact():
    c = cluster(nodes=3, seed=1, proxy_mode="ipvs")
    c.apply(web(3))
    c.run(30)
    t = c.traffic("web", rps=30, duration=10)
    assert pod_spread(t).tolist() == [100, 100, 100]
    # strictly cyclic: every window of 3 consecutive requests hits 3 different pods
    pods = t["pod"].tolist()
    assert all(len(set(pods[i : i + 3])) == 3 for i in range(len(pods) - 2))


def test_not_ready_pod_gets_no_new_requests():
    c = cluster(nodes=2, seed=2)
    c.apply(web(2))
    c.run(30)
    c.apply(
        """
apiVersion: v1
kind: Pod
metadata: {name: broken, labels: {app: web}}
spec:
  containers:
  - name: web
    image: "kubelab/web:v3-broken"
    readinessProbe: {httpGet: {path: /healthz, port: 8080}, periodSeconds: 1}
"""
    )
    c.run(20)
    assert c.get("pod", "broken")["status"]["phase"] == "Running"
    t = c.traffic("web", rps=50, duration=10)
    assert "broken" not in set(t["pod"])
    assert failures(t) == 0


ROLLING = "strategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 0, maxSurge: 1}}"


def _rollout(c, *, seconds=60):
    c.run(30)
    before = c.traffic("web", rps=20, duration=2)
    c.kubectl("set image deployment/web web=kubelab/web:v2")
    during = c.traffic("web", rps=20, duration=seconds)
    return before, during


def test_rolling_update_with_readiness_and_max_unavailable_0_fails_nothing():
    c = cluster(nodes=3, seed=3)
    c.apply(web(3, strategy=ROLLING, probe=True))
    before, during = _rollout(c)
    assert failures(before) == 0
    assert failures(during) == 0
    assert set(during["version"]) == {"v1", "v2"}
    assert during["version"].iloc[-20:].eq("v2").all()  # the rollout finished under traffic


def test_recreate_fails_requests_while_no_pod_is_ready():
    c = cluster(nodes=3, seed=3)
    c.apply(web(3, strategy="strategy: {type: Recreate}", probe=True))
    _before, during = _rollout(c)
    bad = during[during["status"] != 200]
    assert len(bad) > 0
    assert set(bad["status"]) == {"connection refused"}
    # one outage: from the rollout (every v1 pod stops at once) until the first v2 pod is ready
    first_v2 = during.loc[during["version"] == "v2", "time"].min()
    assert bad["time"].max() < first_v2
    assert len(bad) == len(during[during["time"] < first_v2])
    assert (during.loc[during["time"] < first_v2, "version"] != "v2").all()
    assert failures(during[during["time"] >= first_v2]) == 0


def test_rolling_update_without_readiness_probe_fails_some_requests():
    c = cluster(nodes=3, seed=3)
    c.apply(web(3, strategy=ROLLING, probe=False))
    _before, during = _rollout(c)
    assert failures(during) > 0  # new pods get traffic before the app listens (ready_after 2 s)


def test_external_name_resolves_to_its_cname():
    c = cluster(nodes=1, seed=0)
    c.apply(
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\n"
        "apiVersion: v1\nkind: Service\nmetadata: {name: db, namespace: shop}\n"
        "spec: {type: ExternalName, externalName: db.example.com}\n"
    )
    assert c.dns.resolve("db", "shop").cname == "db.example.com"
    assert c.dns.resolve("db.shop.svc.cluster.local").cname == "db.example.com"
    assert not c.dns.resolve("db", "default").found


def test_node_port_answers_on_every_node():
    c = cluster(nodes=3, seed=4)
    c.apply(web(1, svc_type="NodePort"))
    c.run(30)
    port = c.get("svc", "web")["spec"]["ports"][0]["nodePort"]
    assert 30000 <= port <= 32767
    for name, kubelet in sorted(c.kubelets.items()):
        t = c.traffic(f"{kubelet.node_ip}:{port}", rps=5, duration=2)
        assert failures(t) == 0, name
        assert (t["client"] == "external").all()
        assert t["path"].str.contains(f"{name} {kubelet.node_ip}:{port}").all()


@pytest.mark.parametrize("mode", ["iptables", "ipvs"])
def test_same_seed_same_traffic(mode):
    def run():
        c = cluster(nodes=2, seed=7, proxy_mode=mode)
        c.apply(web(3))
        c.run(30)
        return c.traffic("web", rps=20, duration=5)["pod"].tolist()

    assert run() == run()
