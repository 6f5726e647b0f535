"""Checks for lesson 6 (Deployments): a safe rolling-update strategy, a predicted rollout
sequence, and the fix for a stalled rollout.

Every check runs its experiment on a scratch, seeded cluster and never touches the learner's.

Examples
--------
>>> check_rollout_prediction([(1, 3), (1, 2), (2, 2), (2, 1), (3, 1), (3, 0)])
✅ Right: one surge pod at a time, and an old pod goes only once a new one is available.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubelab.exercises.checks import _apply, _cluster, _fail, _load, _not_answered, _ok, course_file

__all__ = [
    "check_rollout_prediction",
    "check_safe_rollout",
    "check_stalled_rollout_fix",
    "rollout_steps",
]


def _available(pod: Mapping) -> bool:
    for cond in (pod.get("status") or {}).get("conditions") or ():
        if cond.get("type") == "Ready":
            return cond.get("status") == "True"
    return False


def check_safe_rollout(manifest: Any, *, min_available: int = 3, image: str = "kubelab/web:v2"):
    """Apply ``manifest`` (a Deployment) to a scratch cluster, roll out ``image`` and check
    that at every write to the store at least ``min_available`` of its pods were available.

    The Deployment must use a RollingUpdate strategy, run at least ``min_available`` replicas,
    and finish the rollout within two minutes.
    """

    d = _load(manifest, "your Deployment")
    if d.get("kind") != "Deployment":
        _fail(f"kind should be 'Deployment', not {d.get('kind')!r}.")
    strategy = ((d.get("spec") or {}).get("strategy") or {}).get("type", "RollingUpdate")
    if strategy != "RollingUpdate":
        _fail(f"a {strategy} rollout stops every old pod first: use type RollingUpdate.")
    c = _cluster()
    created = _apply(c, dict(d))[0]
    name, ns = created["metadata"]["name"], created["metadata"].get("namespace", "default")
    replicas = created["spec"]["replicas"]
    if replicas < min_available:
        _fail(f"{replicas} replicas can never keep {min_available} pods available.")
    c.run(60)
    status = c.get("Deployment", name, ns).get("status") or {}
    if (status.get("availableReplicas") or 0) < replicas:
        _fail(
            f"the first release did not become available ({status.get('availableReplicas', 0)}"
            f" of {replicas} pods) within 60 s: is its image {created['spec']['template']['spec']['containers'][0]['image']!r} right?"
        )
    selector = created["spec"]["selector"].get("matchLabels") or {}
    worst = [replicas]

    def on_write(_event, _obj, _old) -> None:
        n = 0
        for pod in c.api.store.list("Pod", ns):
            labels = pod["metadata"].get("labels") or {}
            if pod["metadata"].get("deletionTimestamp"):
                continue
            if all(labels.get(k) == v for k, v in selector.items()) and _available(pod):
                n += 1
        worst[0] = min(worst[0], n)

    stops = [c.api.store.watch(kind, on_write) for kind in ("Pod", "ReplicaSet")]
    container = created["spec"]["template"]["spec"]["containers"][0]["name"]
    c.kubectl(f"set image deployment/{name} {container}={image} -n {ns}")
    c.run(120)
    for stop in stops:
        stop()
    status = c.get("Deployment", name, ns).get("status") or {}
    if worst[0] < min_available:
        _fail(
            f"during the rollout only {worst[0]} pods were available at one moment (you need "
            f"{min_available}): lower maxUnavailable, and give maxSurge room to add new pods first."
        )
    if (status.get("updatedReplicas") or 0) != replicas or (
        status.get("availableReplicas") or 0
    ) != replicas:
        _fail(
            "the rollout never finished: with maxUnavailable 0 the Deployment needs maxSurge "
            "of at least 1 to make progress."
        )
    _ok(
        f"Right: {replicas} replicas rolled to {image} and never fewer than {worst[0]} "
        "pods were available."
    )


def rollout_steps(replicas: int = 3, max_surge="25%", max_unavailable="25%") -> list[tuple]:
    """``(new, old)`` ReplicaSet sizes after each step of a rollout of ``data/deployment.yaml``'s
    app with this strategy, as the Deployment controller's events report them."""
    import re

    c = _cluster()
    d = _load(course_file("deployment.yaml").read_text())
    d["spec"]["replicas"] = replicas
    d["spec"]["strategy"] = {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": max_surge, "maxUnavailable": max_unavailable},
    }
    c.apply(d)
    c.run(60)
    old = c.list("ReplicaSet")[0]["metadata"]["name"]
    t = c.now
    c.kubectl("set image deployment/web web=kubelab/web:v2")
    c.run(180)
    sizes = {"new": 0, "old": replicas}
    steps = []
    ev = c.events
    for msg in ev[(ev.reason == "ScalingReplicaSet") & (ev.time >= t)].message:
        m = re.fullmatch(r"Scaled (?:up|down) replica set (\S+) from \d+ to (\d+)", msg)
        sizes["old" if m.group(1) == old else "new"] = int(m.group(2))
        steps.append((sizes["new"], sizes["old"]))
    return steps


def check_rollout_prediction(steps: Any) -> None:
    """The ``(new, old)`` sizes after each step when the 3-replica Deployment of
    ``data/deployment.yaml`` rolls out with the default strategy (25% / 25%)."""
    _not_answered(steps, "your prediction")
    try:
        answer = [tuple(int(x) for x in step) for step in steps]
    except (TypeError, ValueError):
        _fail("write the steps as a list of (new, old) pairs of numbers, e.g. [(1, 3), ...].")
    truth = rollout_steps(3, "25%", "25%")
    if answer == truth:
        _ok("Right: one surge pod at a time, and an old pod goes only once a new one is available.")
        return
    if any(new + old > 4 for new, old in answer):
        _fail("25% of 3 rounds up to a surge of 1: never more than 4 pods (new + old) at once.")
    if any(new + old < 3 for new, old in answer):
        _fail("25% of 3 rounds down to 0 unavailable: new + old never drops below 3.")
    if len(answer) != len(truth):
        _fail(
            f"the rollout takes {len(truth)} steps (each scales one ReplicaSet), not {len(answer)}."
        )
    _fail("not quite: which set moves first, the new one (surge) or the old one?")


def check_stalled_rollout_fix(command: Any) -> None:
    """Run the learner's ``kubectl`` command on a Deployment stalled by ``kubelab/web:v3-broken``
    and check that it goes back to the working release through the old ReplicaSet."""
    _not_answered(command, "your command")
    if not isinstance(command, str) or not command.strip():
        _fail('write the command as a string, e.g. "get deployments" (without `kubectl`).')
    command = command.strip()
    if command.startswith("kubectl "):
        command = command[len("kubectl ") :]
    c = _cluster()
    c.apply(str(course_file("deployment.yaml")))
    c.run(60)
    c.kubectl("set image deployment/web web=kubelab/web:v3-broken")
    c.run(90)
    before = {rs["metadata"]["name"] for rs in c.list("ReplicaSet")}
    out = c.kubectl(command)
    if out.startswith("error") or out.startswith("Error"):
        _fail(f"kubectl answered: {out.strip()}")
    c.run(90)
    d = c.get("Deployment", "web")
    image = d["spec"]["template"]["spec"]["containers"][0]["image"]
    status = d.get("status") or {}
    if image != "kubelab/web:v1":
        _fail(f"the Deployment still runs {image!r}: bring back the release that worked.")
    if {rs["metadata"]["name"] for rs in c.list("ReplicaSet")} != before:
        _fail("that created a new ReplicaSet: a rollback re-uses the old one.")
    if status.get("availableReplicas") != 3 or status.get("updatedReplicas") != 3:
        _fail("the Deployment has not recovered: is it paused?")
    _ok(f"Right: `kubectl {command}` scaled the v1 ReplicaSet back up; no new one was needed.")
