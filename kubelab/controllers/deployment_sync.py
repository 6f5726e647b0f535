"""A Deployment's status, conditions and history clean-up, as pure functions
(``sync.go`` ``calculateStatus``/``cleanupDeployment``, ``progress.go``, ``deployment_util.go``).

Examples
--------
>>> from kubelab.controllers.deployment_util import deployment
>>> d = deployment(5); d["metadata"]["generation"] = 1
>>> deployment_complete(d, {"observedGeneration": 1, "replicas": 5, "updatedReplicas": 5,
...                         "availableReplicas": 5})
True
>>> deployment_progressing({"status": {"replicas": 10, "updatedReplicas": 4}},
...                        {"replicas": 10, "updatedReplicas": 6})
True
"""

from __future__ import annotations

from kubelab.api.meta import parse_time, timestamp
from kubelab.controllers.deployment_util import (
    MAX_INT32,
    max_unavailable,
    replicas,
    sort_by_revision,
)

__all__ = [
    "calculate_status",
    "check_paused_conditions",
    "cleanup_deployment",
    "deployment_complete",
    "deployment_progressing",
    "deployment_timed_out",
    "get_condition",
    "has_progress_deadline",
    "new_condition",
    "progress_check_delay",
    "rollout_status",
    "set_condition",
]

# Progressing reasons
REPLICA_SET_UPDATED = "ReplicaSetUpdated"
FAILED_RS_CREATE = "ReplicaSetCreateError"
NEW_RS_CREATED = "NewReplicaSetCreated"
FOUND_NEW_RS = "FoundNewReplicaSet"
NEW_RS_AVAILABLE = "NewReplicaSetAvailable"
TIMED_OUT = "ProgressDeadlineExceeded"
PAUSED = "DeploymentPaused"
RESUMED = "DeploymentResumed"
# Available reasons
MIN_AVAILABLE = "MinimumReplicasAvailable"
MIN_UNAVAILABLE = "MinimumReplicasUnavailable"


# -- conditions --------------------------------------------------------------------------------
def new_condition(type_: str, status: str, reason: str, message: str, now: float) -> dict:
    """``NewDeploymentCondition``: both times are now."""
    ts = timestamp(now)
    return {
        "type": type_,
        "status": status,
        "lastUpdateTime": ts,
        "lastTransitionTime": ts,
        "reason": reason,
        "message": message,
    }


def get_condition(status: dict | None, type_: str) -> dict | None:
    for cond in (status or {}).get("conditions") or ():
        if cond.get("type") == type_:
            return cond
    return None


def set_condition(status: dict, cond: dict) -> None:
    """``SetDeploymentCondition`` (in place on a status dict): same status and reason →
    nothing changes; same status → keep lastTransitionTime; the condition goes last."""
    current = get_condition(status, cond["type"])
    if (
        current is not None
        and current.get("status") == cond["status"]
        and current.get("reason") == cond["reason"]
    ):
        return
    if current is not None and current.get("status") == cond["status"]:
        cond = dict(cond, lastTransitionTime=current.get("lastTransitionTime"))
    remove_condition(status, cond["type"])
    status["conditions"] = [*(status.get("conditions") or ()), cond]


def remove_condition(status: dict, type_: str) -> None:
    kept = [c for c in status.get("conditions") or () if c.get("type") != type_]
    if kept:
        status["conditions"] = kept
    else:
        status.pop("conditions", None)


# -- status ------------------------------------------------------------------------------------
def _sum(rss, field: str) -> int:
    return sum(((rs.get("status") or {}).get(field) or 0) for rs in rss if rs is not None)


def calculate_status(all_rss: list, new_rs: dict | None, d: dict, now: float) -> dict:
    """``calculateStatus``: counts summed over the sets, plus the Available condition.

    Zero counts are left out, as the API server's JSON omits them (``omitempty``).
    """
    available = _sum(all_rss, "availableReplicas")
    total = sum(replicas(rs) for rs in all_rss if rs is not None)
    counts = {
        "observedGeneration": d["metadata"].get("generation", 0),
        "replicas": _sum(all_rss, "replicas"),
        "updatedReplicas": _sum([new_rs], "replicas"),
        "readyReplicas": _sum(all_rss, "readyReplicas"),
        "availableReplicas": available,
        "unavailableReplicas": max(total - available, 0),
    }
    status = {k: v for k, v in counts.items() if v}
    old = d.get("status") or {}
    if old.get("conditions"):
        status["conditions"] = list(old["conditions"])
    if old.get("collisionCount") is not None:
        status["collisionCount"] = old["collisionCount"]
    if available >= replicas(d) - max_unavailable(d):
        cond = new_condition(
            "Available", "True", MIN_AVAILABLE, "Deployment has minimum availability.", now
        )
    else:
        cond = new_condition(
            "Available",
            "False",
            MIN_UNAVAILABLE,
            "Deployment does not have minimum availability.",
            now,
        )
    set_condition(status, cond)
    return status


def has_progress_deadline(d: dict) -> bool:
    pds = d["spec"].get("progressDeadlineSeconds")
    return pds is not None and pds != MAX_INT32


def deployment_complete(d: dict, status: dict) -> bool:
    """``DeploymentComplete``: every replica updated and available, no old ones left."""
    want = replicas(d)
    return (
        status.get("updatedReplicas", 0) == want
        and status.get("replicas", 0) == want
        and status.get("availableReplicas", 0) == want
        and status.get("observedGeneration", 0) >= d["metadata"].get("generation", 0)
    )


def deployment_progressing(d: dict, status: dict) -> bool:
    """``DeploymentProgressing``: more updated, fewer old, more ready or more available."""
    old = d.get("status") or {}

    def g(s, k):
        return s.get(k, 0) or 0

    old_old = g(old, "replicas") - g(old, "updatedReplicas")
    new_old = g(status, "replicas") - g(status, "updatedReplicas")
    return (
        g(status, "updatedReplicas") > g(old, "updatedReplicas")
        or new_old < old_old
        or g(status, "readyReplicas") > g(old, "readyReplicas")
        or g(status, "availableReplicas") > g(old, "availableReplicas")
    )


def deployment_timed_out(d: dict, status: dict, now: float) -> bool:
    """``DeploymentTimedOut``: no progress for ``progressDeadlineSeconds`` since the
    Progressing condition's lastUpdateTime (strictly after)."""
    if not has_progress_deadline(d):
        return False
    cond = get_condition(status, "Progressing")
    if cond is None or cond.get("reason") == NEW_RS_AVAILABLE:
        return False
    if cond.get("reason") == TIMED_OUT:
        return True
    since = parse_time(cond.get("lastUpdateTime"))
    return since is not None and since + d["spec"]["progressDeadlineSeconds"] < now


def _rs_failures(all_rss: list, new_rs: dict | None) -> list[dict]:
    """``getReplicaFailures``: the new set's ReplicaFailure first, else any set's."""

    def of(rs):
        return [
            {
                "type": c["type"],
                "status": c.get("status"),
                "lastUpdateTime": c.get("lastTransitionTime"),
                "lastTransitionTime": c.get("lastTransitionTime"),
                "reason": c.get("reason"),
                "message": c.get("message"),
            }
            for c in (rs.get("status") or {}).get("conditions") or ()
            if c.get("type") == "ReplicaFailure"
        ]

    found = of(new_rs) if new_rs is not None else []
    if found:
        return found
    return [c for rs in all_rss if rs is not None for c in of(rs)]


def rollout_status(all_rss: list, new_rs: dict | None, d: dict, now: float) -> dict:
    """``syncRolloutStatus`` without the write: the status with the Progressing condition."""
    status = calculate_status(all_rss, new_rs, d, now)
    name = d["metadata"]["name"]
    if not has_progress_deadline(d):
        remove_condition(status, "Progressing")
    current = get_condition(d.get("status"), "Progressing")
    complete_before = (
        status.get("replicas", 0) == status.get("updatedReplicas", 0)
        and current is not None
        and current.get("reason") == NEW_RS_AVAILABLE
    )
    if has_progress_deadline(d) and not complete_before:
        what = f'ReplicaSet "{new_rs["metadata"]["name"]}"' if new_rs else f'Deployment "{name}"'
        if deployment_complete(d, status):
            msg = f"{what} has successfully progressed."
            set_condition(status, new_condition("Progressing", "True", NEW_RS_AVAILABLE, msg, now))
        elif deployment_progressing(d, status):
            cond = new_condition(
                "Progressing", "True", REPLICA_SET_UPDATED, f"{what} is progressing.", now
            )
            # Progress refreshes lastUpdateTime even with the same reason.
            if current is not None:
                if current.get("status") == "True":
                    cond["lastTransitionTime"] = current.get("lastTransitionTime")
                remove_condition(status, "Progressing")
            set_condition(status, cond)
        elif deployment_timed_out(d, status, now):
            msg = f"{what} has timed out progressing."
            set_condition(status, new_condition("Progressing", "False", TIMED_OUT, msg, now))
    failures = _rs_failures(all_rss, new_rs)
    if failures:
        set_condition(status, failures[0])
    else:
        remove_condition(status, "ReplicaFailure")
    return status


def progress_check_delay(d: dict, status: dict, now: float) -> float | None:
    """``requeueStuckDeployment``: when to look again for a timed-out rollout (``None``: no
    need; 0: now, rate-limited, as less than a second is left).

    Upstream adds a second against clock skew; so does kubelab.

    >>> from kubelab.controllers.deployment_util import deployment
    >>> d = deployment(1, progressDeadlineSeconds=10)
    >>> d["status"] = {"conditions": [{"type": "Progressing", "reason": "ReplicaSetUpdated",
    ...                                "lastUpdateTime": "2025-01-01T00:00:02Z"}]}
    >>> progress_check_delay(d, {}, 5.0)
    8.0
    >>> progress_check_delay(d, {}, 11.5)
    0.0
    """
    current = get_condition(d.get("status"), "Progressing")
    if not has_progress_deadline(d) or current is None:
        return None
    if deployment_complete(d, status) or current.get("reason") == TIMED_OUT:
        return None
    since = parse_time(current.get("lastUpdateTime")) or 0.0
    after = since + d["spec"]["progressDeadlineSeconds"] - now
    if after < 1:
        return 0.0
    return after + 1


def check_paused_conditions(d: dict, now: float) -> dict | None:
    """``checkPausedConditions``: the status with DeploymentPaused / DeploymentResumed,
    or ``None`` when nothing changes (a timed-out condition is never overwritten)."""
    if not has_progress_deadline(d):
        return None
    cond = get_condition(d.get("status"), "Progressing")
    if cond is not None and cond.get("reason") == TIMED_OUT:
        return None
    paused_exists = cond is not None and cond.get("reason") == PAUSED
    paused = bool(d["spec"].get("paused"))
    if paused and not paused_exists:
        new = new_condition("Progressing", "Unknown", PAUSED, "Deployment is paused", now)
    elif not paused and paused_exists:
        new = new_condition("Progressing", "Unknown", RESUMED, "Deployment is resumed", now)
    else:
        return None
    status = dict(d.get("status") or {})
    set_condition(status, new)
    return status


def cleanup_deployment(old_rss: list[dict], d: dict) -> list[dict]:
    """``cleanupDeployment``: the old sets to delete beyond ``revisionHistoryLimit``,
    lowest revisions first; sets still holding pods are skipped, not replaced."""
    limit = d["spec"].get("revisionHistoryLimit")
    if limit is None or limit == MAX_INT32:
        return []
    alive = [rs for rs in old_rss if rs is not None and not rs["metadata"].get("deletionTimestamp")]
    diff = len(alive) - limit
    if diff <= 0:
        return []
    doomed = []
    for rs in sort_by_revision(alive)[:diff]:
        st = rs.get("status") or {}
        if (
            st.get("replicas", 0)
            or replicas(rs)
            or rs["metadata"].get("generation", 0) > st.get("observedGeneration", 0)
        ):
            continue
        doomed.append(rs)
    return doomed
