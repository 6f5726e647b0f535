"""The image catalogue: lookups, the shipped file, learners' own images."""

from __future__ import annotations

from pathlib import Path

import pytest

import kubelab as kl
from kubelab import images
from kubelab.images import ImageCatalog, InvalidImageName, parse_reference, shell_behaviour

ROOT = Path(__file__).resolve().parents[1]


def test_repository_copy_equals_the_packaged_catalogue():
    packaged = (ROOT / "kubelab" / "data" / "images.yaml").read_bytes()
    course = (ROOT / "data" / "images.yaml").read_bytes()
    assert course == packaged, "run: cp kubelab/data/images.yaml data/images.yaml"


def test_lookup_order_tag_then_repository_then_defaults():
    catalog = ImageCatalog.default()
    assert catalog.lookup("nginx:1.25").version == "1.25"
    assert catalog.lookup("nginx:1.26").version == "1.26"
    assert catalog.lookup("nginx:1.25").pull_seconds == 3.0  # from the repository entry
    assert catalog.lookup("nginx:1.99").missing
    unknown = catalog.lookup("example.com/team/app:2.3")
    assert (unknown.version, unknown.start_seconds, unknown.healthy) == ("2.3", 1.0, True)
    assert unknown.exit_after is None


def test_teaching_images():
    catalog = ImageCatalog.default()
    assert not catalog.lookup("kubelab/web:v3-broken").healthy
    crashy = catalog.lookup("kubelab/crashy")
    assert (crashy.exit_after, crashy.exit_code) == (5.0, 1)
    assert catalog.lookup("kubelab/slow-start").ready_after == 30.0
    leaky = catalog.lookup("kubelab/leaky")
    assert leaky.memory_growth == 2 * 2**20
    assert catalog.lookup("busybox:1.28").shell


def test_k8s_gcr_io_is_registry_k8s_io():
    catalog = ImageCatalog.default()
    assert catalog.lookup("k8s.gcr.io/liveness").healthy_for == 10.0
    assert catalog.lookup("k8s.gcr.io/busybox").normalized == "registry.k8s.io/busybox:latest"


@pytest.mark.parametrize(
    ("image", "normalized"),
    [
        ("nginx", "docker.io/library/nginx:latest"),
        ("library/nginx:1.25", "docker.io/library/nginx:1.25"),
        ("bitnami/redis:7.2", "docker.io/bitnami/redis:7.2"),
        ("localhost:5000/app:v1", "localhost:5000/app:v1"),
        ("registry.k8s.io/pause:3.9", "registry.k8s.io/pause:3.9"),
        (
            "quay.io/fluentd_elasticsearch/fluentd:v5.0.1",
            "quay.io/fluentd_elasticsearch/fluentd:v5.0.1",
        ),
    ],
)
def test_parse_reference(image, normalized):
    assert parse_reference(image).normalized == normalized


@pytest.mark.parametrize("image", ["NGINX", "nginx:", "nginx::1", " nginx", "a//b", "-x", ""])
def test_invalid_image_names(image):
    with pytest.raises(InvalidImageName):
        parse_reference(image)


def test_register_and_per_cluster_catalogues():
    own = ImageCatalog.coerce({"me/app:v1": {"start_seconds": 3, "version": "1.0.0"}})
    assert own.lookup("me/app:v1").start_seconds == 3.0
    assert "me/app:v1" not in images.catalog  # the shared catalogue is untouched
    assert own.lookup("nginx:1.25").version == "1.25"  # the course's entries are kept
    with pytest.raises(TypeError, match="unknown field"):
        own.register("me/app:v2", start_secs=3)


def test_kl_images_register_reaches_new_clusters():
    try:
        kl.images.register("me/quick:v1", pull_seconds=0.5, start_seconds=0.5)
        c = kl.Cluster(nodes=1, seed=0)
        c.apply(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "quick"},
                "spec": {"containers": [{"name": "app", "image": "me/quick:v1"}]},
            }
        )
        c.run(3)
        assert c.get("pod", "quick")["status"]["phase"] == "Running"
    finally:
        images.catalog._entries.pop("me/quick:v1", None)
        images.catalog._cache.clear()


def test_cluster_with_its_own_images():
    c = kl.Cluster(nodes=1, seed=0, images={"nginx:1.25": {"exit_after": 2, "exit_code": 3}})
    c.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "web"},
            "spec": {
                "restartPolicy": "Never",
                "containers": [{"name": "n", "image": "nginx:1.25"}],
            },
        }
    )
    c.run(10)
    state = c.get("pod", "web")["status"]["containerStatuses"][0]["state"]
    assert state["terminated"]["exitCode"] == 3


@pytest.mark.parametrize(
    ("command", "args", "expected"),
    [
        (None, None, (0.1, 0)),
        (["sh", "-c", "sleep 3600"], None, (3600.0, 0)),
        (["/bin/sh", "-c"], ["while true; do echo hi; sleep 1; done"], (None, 0)),
        (
            ["sh", "-c", "touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600"],
            None,
            (630.0, 0),
        ),
        (["tail", "-f", "/dev/null"], None, (None, 0)),
        (["sh", "-c", "exit 3"], None, (0.1, 3)),
        (["frobnicate"], None, (0.1, 127)),
        (["sleep", "1h"], None, (3600.0, 0)),
    ],
)
def test_shell_behaviour(command, args, expected):
    assert shell_behaviour(command, args) == expected


@pytest.mark.parametrize(
    ("command", "forever"),
    [
        ("tail -f /x", True),
        ("tail -F /x", True),
        ("tail --follow=name /x", True),
        ("tail -n 5 /x", False),
    ],
)
def test_tail_follow_in_any_spelling_runs_forever(command, forever):
    from kubelab.images import shell_behaviour

    assert (shell_behaviour(["sh", "-c", command], None)[0] is None) is forever
