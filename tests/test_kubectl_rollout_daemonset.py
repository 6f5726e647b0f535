"""``kubectl rollout history|undo|status`` on a DaemonSet (``polymorphichelpers``).

The history is the DaemonSet's ControllerRevisions (``DaemonSetHistoryViewer``); ``undo``
patches revision N's template back (``DaemonSetRollbacker``) and the controller rolls every
node's pod back to it, renumbering that revision as the newest.
"""

from __future__ import annotations

import copy

import pytest

import kubelab as kl

NAME = "agent"
V1, V2 = "nginx:1.14.2", "nginx:1.16.1"
CAUSE = "kubernetes.io/change-cause"


def daemonset(image=V1, cause=None, name=NAME, labels=None, strategy="RollingUpdate"):
    labels = labels or {"app": NAME}
    ds = {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": name},
        "spec": {
            "selector": {"matchLabels": labels},
            "updateStrategy": {"type": strategy},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "agent", "image": image}]},
            },
        },
    }
    if cause:
        ds["metadata"]["annotations"] = {CAUSE: cause}
    return ds


def images_by_node(c, name=NAME) -> dict[str, str]:
    """The image of each node's live pod of the DaemonSet (one pod per node)."""
    found: dict[str, list[str]] = {}
    for pod in c.list("pods"):
        meta = pod["metadata"]
        owners = [r["name"] for r in meta.get("ownerReferences") or ()]
        if name in owners and not meta.get("deletionTimestamp"):
            found.setdefault(pod["spec"]["nodeName"], []).append(
                pod["spec"]["containers"][0]["image"]
            )
    assert all(len(images) == 1 for images in found.values()), found
    return {node: images[0] for node, images in sorted(found.items())}


def template_image(c, name=NAME) -> str:
    return c.get("DaemonSet", name)["spec"]["template"]["spec"]["containers"][0]["image"]


@pytest.fixture
def c():
    """Three nodes running revision 1 of the DaemonSet (``V1``, change cause ``v1``)."""
    cluster = kl.Cluster(nodes=3, seed=0)
    cluster.apply(daemonset(V1, "v1"))
    cluster.run(30)
    return cluster


def update(c, image=V2, cause="v2") -> list[str]:
    """Apply the new template and wait with ``rollout status``; its lines."""
    c.apply(daemonset(image, cause))
    return c.kubectl(f"rollout status daemonset/{NAME}").splitlines()


def test_update_history_and_undo_restore_revision_one_on_every_node(c):
    assert images_by_node(c) == {"node-1": V1, "node-2": V1, "node-3": V1}
    assert c.kubectl(f"rollout history daemonset/{NAME}") == (
        f"daemonset.apps/{NAME}\nREVISION  CHANGE-CAUSE\n1         v1\n"
    )
    assert c.kubectl(f"rollout undo ds/{NAME}") == "error: no last revision to roll back to"

    lines = update(c)
    # one node at a time (maxUnavailable 1), each line as kubectl's DaemonSetStatusViewer
    assert lines[0] == "Waiting for daemon set spec update to be observed..."
    assert (
        f'Waiting for daemon set "{NAME}" rollout to finish: 1 out of 3 new pods have been updated...'
        in lines
    )
    assert (
        f'Waiting for daemon set "{NAME}" rollout to finish: 2 of 3 updated pods are available...'
        in lines
    )
    assert lines[-1] == f'daemon set "{NAME}" successfully rolled out'
    assert images_by_node(c) == {"node-1": V2, "node-2": V2, "node-3": V2}
    assert c.kubectl(f"rollout history ds/{NAME}") == (
        f"daemonset.apps/{NAME}\nREVISION  CHANGE-CAUSE\n1         v1\n2         v2\n"
    )

    detail = c.kubectl(f"rollout history daemonset/{NAME} --revision=1")
    assert detail.startswith(f"daemonset.apps/{NAME} with revision #1\nPod Template:\n")
    assert f"Image:\t{V1}" in detail and V2 not in detail
    assert f"Image:\t{V2}" in c.kubectl(f"rollout history daemonset/{NAME} --revision=2")
    assert c.kubectl(f"rollout history daemonset/{NAME} --revision=5") == (
        "error: unable to find the specified revision"
    )

    assert c.kubectl(f"rollout undo daemonset/{NAME}") == f"daemonset.apps/{NAME} rolled back"
    assert template_image(c) == V1
    lines = c.kubectl(f"rollout status ds/{NAME}").splitlines()
    assert lines[-1] == f'daemon set "{NAME}" successfully rolled out'
    assert images_by_node(c) == {"node-1": V1, "node-2": V1, "node-3": V1}
    # revision 1's ControllerRevision is the current one again, renumbered 3
    assert c.kubectl(f"rollout history daemonset/{NAME}").splitlines()[1:] == [
        "REVISION  CHANGE-CAUSE",
        "2         v2",
        "3         v1",
    ]
    assert len(c.list("controllerrevisions")) == 2


def test_undo_to_a_revision_skip_and_errors(c):
    update(c)
    assert c.kubectl(f"rollout undo ds/{NAME} --to-revision=2") == (
        f"daemonset.apps/{NAME} skipped rollback (current template already matches revision 2)"
    )
    assert c.kubectl(f"rollout undo ds/{NAME} --to-revision=9") == (
        "error: unable to find specified revision 9 in history"
    )
    assert c.kubectl(f"rollout undo ds/{NAME} --to-revision=-1") == (
        "error: unable to find specified revision -1 in history"
    )
    assert template_image(c) == V2  # nothing was patched
    assert c.kubectl(f"rollout undo ds/{NAME} --to-revision=1") == (
        f"daemonset.apps/{NAME} rolled back"
    )
    c.run(120)
    assert images_by_node(c) == {"node-1": V1, "node-2": V1, "node-3": V1}
    # and forward again: revision 2 is now the previous one
    assert c.kubectl(f"rollout undo ds/{NAME}") == f"daemonset.apps/{NAME} rolled back"
    c.run(120)
    assert images_by_node(c) == {"node-1": V2, "node-2": V2, "node-3": V2}
    assert c.kubectl(f"rollout history ds/{NAME}").splitlines()[2:] == [
        "3         v1",
        "4         v2",
    ]


def test_dry_runs_change_nothing(c):
    update(c)
    before = c.get("DaemonSet", NAME)["metadata"]["resourceVersion"]
    client = c.kubectl(f"rollout undo ds/{NAME} --dry-run=client")
    assert client.startswith(f"daemonset.apps/{NAME} will roll back to Pod Template:\n")
    assert f"Image:\t{V1}" in client and client.endswith(" (dry run)")
    assert c.kubectl(f"rollout undo ds/{NAME} --dry-run=server") == (
        f"daemonset.apps/{NAME} rolled back (server dry run)"
    )
    assert c.kubectl(f"rollout undo ds/{NAME} --dry-run=maybe") == (
        'error: Invalid dry-run value (maybe). Must be "none", "server", or "client".'
    )
    assert c.get("DaemonSet", NAME)["metadata"]["resourceVersion"] == before
    assert template_image(c) == V2


def test_history_lists_only_the_daemonsets_own_revisions():
    c = kl.Cluster(nodes=2, seed=0)
    c.apply(daemonset(V1))
    assert c.kubectl(f"rollout history ds/{NAME}") == (
        f"daemonset.apps/{NAME}\nNo rollout history found."
    )
    # a second DaemonSet whose revisions (and pods) carry labels the first one selects
    canary = {"app": NAME, "track": "canary"}
    c.apply(daemonset(V2, name="canary", labels=canary))
    c.run(30)
    c.apply(daemonset("nginx:1.17.0", "canary 2", name="canary", labels=canary))
    c.run(60)
    assert len(c.list("controllerrevisions")) == 3
    assert c.kubectl("rollout history ds/canary").splitlines()[2:] == [
        "1         <none>",
        "2         canary 2",
    ]
    assert c.kubectl(f"rollout history ds/{NAME}").splitlines()[2:] == ["1         <none>"]
    assert c.kubectl(f"rollout undo ds/{NAME}") == "error: no last revision to roll back to"
    assert c.kubectl(f"rollout history ds/{NAME} --revision=1").count("Image:") == 1
    assert f"Image:\t{V1}" in c.kubectl(f"rollout history ds/{NAME} --revision=1")


def test_status_refuses_on_delete_and_unknown_names():
    c = kl.Cluster(nodes=2, seed=0)
    c.apply(daemonset(V1, strategy="OnDelete"))
    c.run(20)
    assert c.kubectl(f"rollout status ds/{NAME}") == (
        "error: rollout status is only available for RollingUpdate strategy type"
    )
    assert c.kubectl("rollout history ds/nope") == (
        'Error from server (NotFound): daemonsets.apps "nope" not found'
    )


def test_status_without_watch_prints_one_line(c):
    c.apply(daemonset(V2, "v2"))
    c.run(1)
    line = c.kubectl(f"rollout status ds/{NAME} --watch=false")
    assert line.startswith(f'Waiting for daemon set "{NAME}" rollout to finish: ')
    assert "\n" not in line
    c.run(120)
    assert c.kubectl(f"rollout status ds/{NAME} --watch=false") == (
        f'daemon set "{NAME}" successfully rolled out'
    )


def test_other_history_viewers_are_refused():
    c = kl.Cluster(nodes=1, seed=0)
    manifest = copy.deepcopy(daemonset(V1))
    manifest["kind"] = "ReplicaSet"
    del manifest["spec"]["updateStrategy"]
    c.apply(manifest)
    assert c.kubectl(f"rollout history rs/{NAME}") == (
        'error: no history viewer has been implemented for "ReplicaSet.apps"'
    )
    assert c.kubectl(f"rollout undo rs/{NAME}") == (
        'error: no rollbacker has been implemented for "ReplicaSet.apps"'
    )


def test_deployment_undo_dry_runs_print_like_kubectl():
    """The Deployment rollbacker shares the dry-run handling: a bare template, nothing patched."""
    c = kl.Cluster(nodes=2, seed=0)
    manifest = copy.deepcopy(daemonset(V1))
    manifest["kind"] = "Deployment"
    del manifest["spec"]["updateStrategy"]
    c.apply(manifest)
    c.run(20)
    c.kubectl(f"set image deployment/{NAME} agent={V2}")
    c.run(60)
    out = c.kubectl(f"rollout undo deployment/{NAME} --dry-run=client")
    assert out.startswith(f"deployment.apps/{NAME} Pod Template:\n")
    assert f"Image:\t{V1}" in out and out.endswith(" (dry run)")
    assert c.kubectl(f"rollout undo deployment/{NAME} --dry-run=server") == (
        f"deployment.apps/{NAME} rolled back (server dry run)"
    )
    assert c.get("Deployment", NAME)["spec"]["template"]["spec"]["containers"][0]["image"] == V2
