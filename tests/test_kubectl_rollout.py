"""``kubectl rollout ...``, ``set image`` and ``scale deploy`` against a cluster, following the
kubernetes.io "Deployments" page with its own example (controllers/nginx-deployment.yaml)."""

from __future__ import annotations

import pytest
from test_docs_corpus import CORPUS_DIR  # skips this module when the corpus is absent

import kubelab as kl

EXAMPLE = CORPUS_DIR / "controllers" / "nginx-deployment.yaml"
NAME = "nginx-deployment"


@pytest.fixture
def c():
    cluster = kl.Cluster(nodes=3, seed=0)
    cluster.apply(str(EXAMPLE))
    return cluster


def test_docs_walkthrough(c):
    # "Creating a Deployment": rollout status waits (running the cluster), then 3 pods.
    out = c.kubectl(f"rollout status deployment/{NAME}").splitlines()
    assert out[0] == "Waiting for deployment spec update to be observed..."
    assert out[-1] == f'deployment "{NAME}" successfully rolled out'
    assert any("updated replicas are available..." in line for line in out)
    pods = c.list("Pod")
    assert len(pods) == 3 and all(p["status"]["phase"] == "Running" for p in pods)
    rs = c.list("ReplicaSet")[0]
    assert rs["metadata"]["name"] == f"{NAME}-{rs['metadata']['labels']['pod-template-hash']}"

    # "Updating a Deployment"
    assert c.kubectl(f"set image deployment/{NAME} nginx=nginx:1.16.1") == (
        f"deployment.apps/{NAME} image updated"
    )
    out = c.kubectl(f"rollout status deployment/{NAME}").splitlines()
    assert (
        f'Waiting for deployment "{NAME}" rollout to finish: 1 out of 3 new replicas have been updated...'
        in out
    )
    assert out[-1] == f'deployment "{NAME}" successfully rolled out'
    sets = {
        r["spec"]["template"]["spec"]["containers"][0]["image"]: r for r in c.list("ReplicaSet")
    }
    assert (
        sets["nginx:1.16.1"]["spec"]["replicas"] == 3
        and sets["nginx:1.14.2"]["spec"]["replicas"] == 0
    )

    # "Checking Rollout History of a Deployment"
    assert c.kubectl(f"rollout history deployment/{NAME}") == (
        f"deployment.apps/{NAME}\nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n"
    )
    detail = c.kubectl(f"rollout history deployment/{NAME} --revision=2")
    assert detail.startswith(f"deployment.apps/{NAME} with revision #2\nPod Template:\n")
    assert "Image:\tnginx:1.16.1" in detail
    assert c.kubectl(f"rollout history deployment/{NAME} --revision=7") == (
        "error: unable to find the specified revision"
    )

    # "Rolling Back to a Previous Revision"
    assert c.kubectl(f"rollout undo deployment/{NAME}") == f"deployment.apps/{NAME} rolled back"
    c.kubectl(f"rollout status deployment/{NAME}")
    assert len(c.list("ReplicaSet")) == 2
    assert (
        c.get("Deployment", NAME)["spec"]["template"]["spec"]["containers"][0]["image"]
        == "nginx:1.14.2"
    )
    assert c.kubectl(f"rollout history deployment/{NAME}").splitlines()[2:] == [
        "2         <none>",
        "3         <none>",
    ]
    assert c.kubectl(f"rollout undo deployment/{NAME} --to-revision=3") == (
        f"deployment.apps/{NAME} skipped rollback (current template already matches revision 3)"
    )
    assert c.kubectl(f"rollout undo deployment/{NAME} --to-revision=9") == (
        "error: unable to find specified revision 9 in history"
    )

    # "Scaling a Deployment"
    assert c.kubectl(f"scale deployment/{NAME} --replicas=10") == f"deployment.apps/{NAME} scaled"
    c.run(20)
    assert c.get("Deployment", NAME)["status"]["availableReplicas"] == 10


def test_pause_resume_restart_messages(c):
    c.run(20)
    c.kubectl(f"set image deployment/{NAME} nginx=nginx:1.16.1")
    c.run(30)
    assert c.kubectl(f"rollout pause deployment/{NAME}") == f"deployment.apps/{NAME} paused"
    assert c.kubectl(f"rollout pause deployment/{NAME}") == (
        f'error: deployments.apps "{NAME}" is already paused'
    )
    assert c.kubectl(f"rollout undo deployment/{NAME}") == (
        "error: you cannot rollback a paused deployment; resume it first with "
        f"'kubectl rollout resume deployment/{NAME}' and try again"
    )
    assert c.kubectl(f"rollout restart deployment/{NAME}") == (
        f'error: deployments.apps "{NAME}" can\'t restart paused deployment (run rollout resume first)'
    )
    assert c.kubectl(f"rollout resume deployment/{NAME}") == f"deployment.apps/{NAME} resumed"
    assert c.kubectl(f"rollout resume deployment/{NAME}") == (
        f'error: deployments.apps "{NAME}" is not paused'
    )
    assert c.kubectl(f"rollout restart deployment/{NAME}") == f"deployment.apps/{NAME} restarted"
    template = c.get("Deployment", NAME)["spec"]["template"]
    assert template["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"].startswith(
        "2025-01-01T"
    )
    c.run(60)
    assert len(c.list("ReplicaSet")) == 3  # a restart is a rollout of a new template


def test_rollout_status_timeout_and_no_watch(c):
    assert c.kubectl(f"rollout status deployment/{NAME} --watch=false") == (
        "Waiting for deployment spec update to be observed..."
    )
    out = c.kubectl(f"rollout status deployment/{NAME} --timeout=1s")
    assert out.endswith("error: timed out waiting for the condition")
    assert c.now == pytest.approx(1.0)


def test_undo_without_history_and_errors(c):
    c.run(20)
    assert c.kubectl(f"rollout undo deployment/{NAME}") == (
        f'error: no rollout history found for deployment "{NAME}"'
    )
    assert c.kubectl("rollout status deployment/nope") == (
        'Error from server (NotFound): deployments.apps "nope" not found'
    )
    assert c.kubectl(f"set image deployment/{NAME} foo=nginx") == (
        'error: unable to find container named "foo"'
    )
    assert c.kubectl(f"set image deployment/{NAME} nginx=nginx:1.14.2") == ""  # no change
    assert (
        c.kubectl(f"set image deployment/{NAME}") == "error: at least one image update is required"
    )


def test_change_cause_shows_in_history(c):
    c.run(20)
    patch = {"metadata": {"annotations": {"kubernetes.io/change-cause": "image 1.16.1"}}}
    c.api.client("test").patch("Deployment", NAME, "default", patch, "merge")
    c.kubectl(f"set image deployment/{NAME} nginx=nginx:1.16.1")
    c.run(30)
    lines = c.kubectl(f"rollout history deployment/{NAME}").splitlines()
    assert lines[-1] == "2         image 1.16.1"
