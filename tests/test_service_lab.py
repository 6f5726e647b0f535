"""The Services lab, driven without a browser: types, traffic, a killed pod, the pictures."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest

from kubelab.viz.service_lab import (
    SERVICE_TYPES,
    ServiceLab,
    draw_request_path,
    service_manifest,
)


@pytest.fixture(scope="module")
def lab():
    return ServiceLab(seconds=3)


@pytest.mark.parametrize("kind", SERVICE_TYPES)
def test_each_type_is_reached_the_way_its_clients_reach_it(lab, kind):
    summary = lab.expose(kind).send()
    assert summary["type"] == kind and summary["requests"] == 60
    svc = lab.cluster.get("svc", "web")
    if kind == "ExternalName":
        assert summary["statuses"] == {"external": 60} and lab.counts() == {}
        assert "CNAME web.example.com" in summary["path"]
        return
    assert summary["statuses"] == {"200": 60} and len(lab.counts()) == 3
    if kind == "ClusterIP":
        assert summary["target"] == "web" and "DNS web.default" in summary["path"]
    elif kind == "NodePort":
        assert summary["target"] == f"192.168.0.2:{svc['spec']['ports'][0]['nodePort']}"
        assert summary["path"].startswith("external → node-1")
    else:
        assert summary["target"] == svc["status"]["loadBalancer"]["ingress"][0]["ip"]
        assert "load balancer" in summary["path"]


def test_a_killed_pod_gets_no_more_requests(lab):
    lab.expose("ClusterIP")
    victim = lab.kill_pod()
    lab.cluster.run(1)
    lab.send()
    assert victim not in lab.counts()
    assert sum(lab.counts().values()) == 60  # the others answer everything


def test_draw_and_widget(lab):
    axes = lab.draw()
    assert len(axes) == 3
    hops = [t.get_text().replace("\n", " ") for t in axes[1].texts]
    assert hops[0] in ("client (node-1)", "external") and hops[-1].startswith("pod ")
    counts = lab.counts()
    assert [int(p.get_height()) for p in axes[2].patches] == [counts[k] for k in sorted(counts)]
    pytest.importorskip("ipywidgets")
    ui = lab.widget()
    assert len(ui.children) == 4


def test_bad_type_and_empty_path():
    with pytest.raises(ValueError, match="type must be one of"):
        service_manifest("Foo")
    ax = draw_request_path("")
    assert ax.get_title(loc="left") == "no request sent yet"
