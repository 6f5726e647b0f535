"""The endpoint controllers sync incrementally (O(changed pods)) with exactly the result, write
for write, of a full re-walk of every selected pod."""

from __future__ import annotations

import pytest

import kubelab as kl
from kubelab.controllers.endpoints import EndpointsController
from kubelab.controllers.endpointslice import EndpointSliceController
from kubelab.controllers.servicepods import ServicePodsController


def deployment(name, replicas, image="kubelab/web:v1", port=8080):
    container = {
        "name": "app",
        "image": image,
        "ports": [{"name": "http", "containerPort": port}],
        "readinessProbe": {"httpGet": {"path": "/healthz", "port": port}, "periodSeconds": 1},
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
                "spec": {"containers": [container]},
            },
        },
    }


def service(name, selector=None):
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {
            "selector": selector or {"app": name},
            "ports": [{"port": 80, "targetPort": "http"}],
        },
    }


def churn() -> tuple:
    """Scale up and down, relabel pods across Services and port groups, break readiness,
    delete a managed slice and relabel a Service: everything a slice layout can go through."""
    c = kl.Cluster(nodes=6, seed=2)
    c.apply([service("a"), deployment("a", 0), service("b"), deployment("b", 0, port=9090)])
    c.apply(service("mix", {"tier": "x"}))
    c.run(1)
    c.apply([deployment("a", 230), deployment("b", 40, port=9090)])
    c.run(20)
    for pod in c.list("pods", selector="app=a")[:5] + c.list("pods", selector="app=b")[:4]:
        c.kubectl(f"label pod {pod['metadata']['name']} tier=x")
    c.run(3)
    for pod in c.list("pods", selector="app=b")[:3]:
        c.kubectl(f"label pod {pod['metadata']['name']} app-")  # orphaned: replaced
    c.run(3)
    victim = sorted(
        s["metadata"]["name"]
        for s in c.list("endpointslices", selector="kubernetes.io/service-name=a")
    )[0]
    c.delete("endpointslice", victim)
    c.run(2)
    c.apply(deployment("a", 70))
    c.run(5)
    c.kubectl("label svc a team=x")
    c.run(2)
    c.apply(deployment("b", 40, image="kubelab/web:v3-broken", port=9090))
    c.run(40)
    c.apply(deployment("a", 0))
    c.run(40)
    state = (c.list("endpointslices"), c.list("endpoints"))
    return list(c.api.audit), state


def test_incremental_syncs_write_exactly_what_full_syncs_write(monkeypatch):
    used = []
    original = EndpointSliceController._sync_changes

    def spy(self, *args):
        done = original(self, *args)
        used.append(done)
        return done

    monkeypatch.setattr(EndpointSliceController, "_sync_changes", spy)
    incremental = churn()
    assert used.count(True) > 50 and False in used  # both paths were exercised

    monkeypatch.setattr(ServicePodsController, "pod_changes", lambda self, svc, build: None)
    full = churn()
    assert len(incremental[0]) == len(full[0])
    assert incremental == full


@pytest.mark.parametrize("controller", [EndpointSliceController, EndpointsController])
def test_a_sync_rebuilds_only_the_endpoints_of_pods_that_changed(monkeypatch, controller):
    c = kl.Cluster(nodes=4, seed=0)
    c.apply([service("web"), deployment("web", 300)])
    c.run(30)

    def web_slices():
        return c.list("endpointslices", selector="kubernetes.io/service-name=web")

    assert sum(len(s["endpoints"]) for s in web_slices()) == 300
    built, walks = [], []
    from kubelab.controllers import servicepods

    pods_for_service = servicepods.pods_for_service
    monkeypatch.setattr(
        servicepods,
        "pods_for_service",
        lambda pods, svc: (walks.append(svc["metadata"]["name"]), pods_for_service(pods, svc))[1],
    )
    changes = ServicePodsController.pod_changes

    def spy(self, svc, build):
        if not isinstance(self, controller):
            return changes(self, svc, build)
        return changes(self, svc, lambda p: (built.append(p["metadata"]["name"]), build(p))[1])

    monkeypatch.setattr(ServicePodsController, "pod_changes", spy)
    victim = sorted(p["metadata"]["name"] for p in c.list("pods"))[0]
    c.kubectl(f"delete pod {victim} --wait=false")
    c.run(30)
    # the victim went, its replacement came: a handful of builds, and no sync walked all
    # 300 selected pods again
    assert 1 <= len(built) <= 10
    assert walks == []
    assert victim not in {e["targetRef"]["name"] for s in web_slices() for e in s["endpoints"]}
    assert sum(len(s["endpoints"]) for s in web_slices()) == 300
    ep = c.get("endpoints", "web")
    assert sum(len(ss.get("addresses", [])) for ss in ep["subsets"]) == 300
