"""The Deployment controller's pure helpers against the upstream test tables
(deployment_util_test.go, rolling_test.go, sync_test.go; reference §1.2–1.10)."""

from __future__ import annotations

import pytest

from kubelab.controllers.deployment_rolling import (
    cleanup_unhealthy_replicas,
    reconcile_new_replica_set,
    reconcile_old_replica_sets,
    rs,
    scale,
    scale_down_old_replica_sets_for_rolling_update,
)
from kubelab.controllers.deployment_sync import (
    calculate_status,
    cleanup_deployment,
    deployment_complete,
    deployment_progressing,
    deployment_timed_out,
    progress_check_delay,
)
from kubelab.controllers.deployment_util import (
    DESIRED_REPLICAS,
    MAX_INT32,
    MAX_REPLICAS,
    REVISION,
    REVISION_HISTORY,
    compute_hash,
    deployment,
    equal_ignore_hash,
    find_new_replica_set,
    max_surge,
    max_unavailable,
    min_available,
    new_rs_new_replicas,
    resolve_fenceposts,
    set_new_replica_set_annotations,
)


# -- fenceposts ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "surge, unavailable, desired, expected",
    [
        ("0%", "0%", 0, (0, 1)),
        ("39%", "39%", 10, (4, 3)),
        ("oops", "39%", 10, None),
        ("55%", "urg", 10, None),
        (None, "39%", 10, (0, 3)),
        ("39%", None, 10, (4, 0)),
        (None, None, 10, (0, 1)),
        ("25%", "25%", 3, (1, 0)),
        ("25%", "25%", 4, (1, 1)),
        ("25%", "25%", 10, (3, 2)),
    ],
)
def test_resolve_fenceposts(surge, unavailable, desired, expected):
    if expected is None:
        with pytest.raises(ValueError):
            resolve_fenceposts(surge, unavailable, desired)
    else:
        assert resolve_fenceposts(surge, unavailable, desired) == expected


@pytest.mark.parametrize(
    "replicas, unavailable, expected_max, expected_min",
    [
        (10, 5, 5, 5),
        (10, 10, 10, 0),
        (5, 10, 5, 0),
        (0, 10, 0, 0),
        (10, "50%", 5, 5),
        (10, "60%", 6, 4),
        (10, "100%", 10, 0),
        (5, "100%", 5, 0),
    ],
)
def test_max_unavailable_and_min_available(replicas, unavailable, expected_max, expected_min):
    d = deployment(replicas, 1, unavailable)
    assert max_unavailable(d) == expected_max
    assert min_available(d) == expected_min


def test_recreate_has_no_fenceposts():
    d = deployment(10, strategy="Recreate")
    assert (max_unavailable(d), min_available(d), max_surge(d)) == (0, 0, 0)


@pytest.mark.parametrize(
    "strategy, d_replicas, new_replicas, surge, expected",
    [
        ("RollingUpdate", 1, 5, 1, 5),  # can not scale up
        ("RollingUpdate", 6, 2, 10, 6),  # scale up to depReplicas
        ("Recreate", 3, 1, 1, 3),
    ],
)
def test_new_rs_new_replicas(strategy, d_replicas, new_replicas, surge, expected):
    d = deployment(d_replicas, surge, 1, strategy=strategy)
    assert new_rs_new_replicas(d, [rs("rs5", 5)], rs("new", new_replicas)) == expected


# -- rolling.go ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "d_replicas, surge, old, new, expected",
    [
        (10, 0, 10, 0, None),
        (10, 2, 10, 0, 2),
        (10, 2, 5, 0, 7),
        (10, 2, 10, 2, None),
        (10, 2, 2, 11, 10),
    ],
)
def test_reconcile_new_replica_set(d_replicas, surge, old, new, expected):
    d = deployment(d_replicas, surge, 0)
    new_rs, old_rs = rs("new", new), rs("old", old)
    assert reconcile_new_replica_set([new_rs, old_rs], new_rs, d) == expected


@pytest.mark.parametrize(
    "d_replicas, unavailable, old, new, ready_old, ready_new, expected",
    [
        (10, 0, 10, 0, 10, 0, 9),
        (10, 2, 10, 0, 10, 0, 8),
        (10, 2, 10, 0, 8, 0, 8),
        (10, 2, 10, 0, 9, 0, 8),
        (10, 2, 8, 2, 8, 0, None),
    ],
)
def test_reconcile_old_replica_sets(
    d_replicas, unavailable, old, new, ready_old, ready_new, expected
):
    d = deployment(d_replicas, 0, unavailable)
    old_rs = rs("old", old, available=ready_old, created=1)
    new_rs = rs("new", new, available=ready_new, created=2)
    plans = reconcile_old_replica_sets([old_rs, new_rs], [old_rs], new_rs, d)
    assert (plans[-1].size if plans else None) == expected


@pytest.mark.parametrize(
    "available, max_cleanup, expected", [(8, 1, 1), (8, 3, 2), (8, 0, 0), (10, 3, 0)]
)
def test_cleanup_unhealthy_replicas(available, max_cleanup, expected):
    _, _, cleaned = cleanup_unhealthy_replicas([rs("old", 10, available=available)], max_cleanup)
    assert cleaned == expected


@pytest.mark.parametrize(
    "d_replicas, unavailable, ready, old, expected",
    [
        (10, 0, 10, 10, 9),
        (10, 2, 10, 10, 8),
        (10, 2, 8, 10, None),
        (10, 2, 10, 0, None),
        (10, 2, 1, 10, None),
    ],
)
def test_scale_down_old_replica_sets_for_rolling_update(
    d_replicas, unavailable, ready, old, expected
):
    d = deployment(d_replicas, 0, unavailable)
    old_rs = rs("old", old, available=ready)
    plans, _ = scale_down_old_replica_sets_for_rolling_update([old_rs], [old_rs], d)
    assert (plans[0].size if plans else None) == expected


# -- proportional scaling: TestScale ---------------------------------------------------------------
SCALE_ROWS = [
    # name, (old replicas, old surge), (new replicas, new surge), new RS, old RSs (newest first), → new, → olds
    ("10 -> 12", (10, 0), (12, 0), 10, [], 12, []),
    ("10 -> 5", (10, 0), (5, 0), 10, [], 5, []),
    ("5 -> 10", (5, 0), (10, 0), 2, [3], 4, [6]),
    ("5 -> 3", (5, 0), (3, 0), 2, [3], 1, [2]),
    ("9 -> 4", (9, 0), (4, 0), 8, [1], 4, [0]),
    ("7 -> 10", (7, 0), (10, 0), 2, [3, 2], 3, [4, 3]),
    ("13 -> 8", (13, 0), (8, 0), 2, [8, 3], 1, [5, 2]),
    ("leftover 3 -> 4", (3, 0), (4, 0), 1, [1, 1], 2, [1, 1]),
    ("leftover 3 -> 2", (3, 0), (2, 0), 1, [1, 1], 1, [1, 0]),
    ("no new rs 4 -> 5", (4, 0), (5, 0), None, [2, 2], None, [3, 2]),
    ("6 -> 0", (6, 0), (0, 0), 3, [2, 1], 0, [0, 0]),
    ("0 -> 6", (6, 0), (6, 0), 0, [0, 0], 6, [0, 0]),
    ("surge pods 10 -> 20", (10, 2), (20, 2), 6, [6], 11, [11]),
    ("surge and size", (10, 3), (50, 6), 5, [8], 22, [34]),
    ("size and template", (10, 0), (14, 0), None, [7, 3], None, [10, 4]),
]


@pytest.mark.parametrize("row", SCALE_ROWS, ids=[r[0] for r in SCALE_ROWS])
def test_scale(row):
    _, (old_n, old_surge), (new_n, new_surge), new, olds, want_new, want_olds = row
    old_d = deployment(old_n, old_surge, 0)
    ann = {DESIRED_REPLICAS: str(old_n), MAX_REPLICAS: str(old_n + max_surge(old_d))}
    d = deployment(new_n, new_surge, 0)
    d["status"] = {"replicas": old_n}
    new_rs = rs("new", new, created=100, annotations=ann) if new is not None else None
    old_rss = [rs(f"old{i}", n, created=50 - i, annotations=ann) for i, n in enumerate(olds)]
    sizes = {p.rs["metadata"]["name"]: p.size for p in scale(d, new_rs, old_rss)}
    if new_rs is not None:
        assert sizes.get("new", new) == want_new
    assert [sizes.get(f"old{i}", n) for i, n in enumerate(olds)] == want_olds


def test_scale_saturated_but_broken_new_rs_does_not_affect_old_pods():
    d = deployment(2, 1, 1)
    ann = {DESIRED_REPLICAS: "2", MAX_REPLICAS: "3"}
    new_rs, old_rs = (
        rs("new", 2, created=2, annotations=ann),
        rs("old", 1, created=1, annotations=ann),
    )
    sizes = {p.rs["metadata"]["name"]: p.size for p in scale(d, new_rs, [old_rs])}
    assert sizes.get("new", 2) == 2 and sizes.get("old", 1) == 1


# -- revisions, hash, history clean-up --------------------------------------------------------------
def _revisioned(name, size, status_replicas, rev, created, deleting=False):
    r = rs(name, size, created=created, annotations={REVISION: rev} if rev else None)
    r["status"]["replicas"] = status_replicas
    if deleting:
        r["metadata"]["deletionTimestamp"] = "2025-01-01T00:00:00Z"
    return r


@pytest.mark.parametrize(
    "sets, limit, deleted",
    [
        ([(0, 0), (0, 0), (0, 0)], 1, 2),
        ([(0, 0), (0, 1), (1, 0), (1, 1)], 0, 1),
        ([(0, 0), (0, 0)], 0, 2),
        ([(1, 1), (1, 1)], 0, 0),
        ([(0, 0), (0, 0), (0, 0)], MAX_INT32, 0),
    ],
)
def test_cleanup_deployment(sets, limit, deleted):
    d = deployment(1, revisionHistoryLimit=limit)
    old = [_revisioned(f"foo-{i}", s, st, "", i) for i, (s, st) in enumerate(sets)]
    assert len(cleanup_deployment(old, d)) == deleted


def test_cleanup_deployment_skips_sets_being_deleted():
    d = deployment(1, revisionHistoryLimit=0)
    assert cleanup_deployment([_revisioned("foo", 0, 0, "1", 0, deleting=True)], d) == []


@pytest.mark.parametrize(
    "sets, limit, deleted",
    [
        ([(0, "1"), (0, "2")], 1, ["foo-1"]),
        ([(0, "2"), (0, "1")], 1, ["foo-2"]),
        ([(0, "1"), (0, "")], 1, ["foo-2"]),
        ([(0, ""), (0, "2")], 1, ["foo-1"]),
        ([(1, "1"), (0, "2"), (0, "3")], 1, ["foo-2"]),
        ([(1, "1"), (1, "2"), (0, "3")], 1, []),
        ([(0, "3"), (0, "1"), (0, "4"), (0, "2")], 2, ["foo-2", "foo-4"]),
    ],
)
def test_cleanup_deployment_order(sets, limit, deleted):
    d = deployment(1, revisionHistoryLimit=limit)
    old = [_revisioned(f"foo-{i + 1}", s, s, rev, i) for i, (s, rev) in enumerate(sets)]
    assert [r["metadata"]["name"] for r in cleanup_deployment(old, d)] == deleted


def test_hash_is_stable_changes_with_template_and_ignores_its_label():
    t1 = {
        "metadata": {"labels": {"app": "web"}},
        "spec": {"containers": [{"name": "c", "image": "nginx:1.25"}]},
    }
    t2 = {
        "metadata": {"labels": {"app": "web"}},
        "spec": {"containers": [{"name": "c", "image": "nginx:1.26"}]},
    }
    h = compute_hash(t1)
    assert h == compute_hash(t1)
    assert h != compute_hash(t2) and h != compute_hash(t1, 1)
    labelled = {**t1, "metadata": {"labels": {"app": "web", "pod-template-hash": h}}}
    assert compute_hash(labelled) == h
    assert all(ch in "bcdfghjklmnpqrstvwxz2456789" for ch in h) and 1 <= len(h) <= 10


@pytest.mark.parametrize(
    "a, b, equal",
    [
        ({"labels": {"a": "b"}}, {"labels": {"a": "b"}}, True),
        (
            {"labels": {"a": "b", "pod-template-hash": "1"}},
            {"labels": {"a": "b", "pod-template-hash": "2"}},
            True,
        ),
        ({"labels": {"a": "b", "pod-template-hash": "1"}}, {"labels": {"a": "b"}}, True),
        (
            {"labels": {"a": "b", "pod-template-hash": "1"}},
            {"labels": {"a": "c", "pod-template-hash": "1"}},
            False,
        ),
        ({"labels": {"a": "b"}, "annotations": {"x": "1"}}, {"labels": {"a": "b"}}, False),
        ({"labels": {"a": "b"}, "creationTimestamp": None}, {"labels": {"a": "b"}}, True),
    ],
)
def test_equal_ignore_hash(a, b, equal):
    spec = {"containers": [{"name": "c", "image": "nginx", "resources": {}}]}
    assert equal_ignore_hash({"metadata": a, "spec": spec}, {"metadata": b, "spec": spec}) is equal


def test_find_new_replica_set_picks_the_oldest_match():
    d = deployment(1, template={"metadata": {"labels": {"a": "b"}}})
    older, newer = rs("older", 1, created=1), rs("newer", 1, created=2)
    for r in (older, newer):
        r["spec"]["template"] = {
            "metadata": {"labels": {"a": "b", "pod-template-hash": r["metadata"]["name"]}}
        }
    assert find_new_replica_set(d, [newer, older]) is older


def test_rollback_revision_goes_to_history():
    ann = {REVISION: "1"}
    assert set_new_replica_set_annotations(deployment(1), ann, 3, True)
    assert (ann[REVISION], ann[REVISION_HISTORY]) == ("3", "1")
    set_new_replica_set_annotations(deployment(1), ann, 5, True)
    assert ann[REVISION_HISTORY] == "1,3"


# -- progress -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "desired, current, updated, available, unavailable, surge, complete",
    [
        (5, 5, 5, 4, 1, 0, False),
        (5, 5, 5, 3, 1, 0, False),
        (5, 5, 5, 5, 0, 0, True),
        (5, 5, 4, 5, 0, 0, False),
        (1, 2, 1, 1, 0, 1, False),
        (1, 1, 1, 0, 1, 1, False),
    ],
)
def test_deployment_complete(desired, current, updated, available, unavailable, surge, complete):
    d = deployment(desired, surge, unavailable)
    d["metadata"]["generation"] = 1
    status = {
        "observedGeneration": 1,
        "replicas": current,
        "updatedReplicas": updated,
        "availableReplicas": available,
    }
    assert deployment_complete(d, status) is complete


def _counts(current, updated, ready, available):
    return {
        "replicas": current,
        "updatedReplicas": updated,
        "readyReplicas": ready,
        "availableReplicas": available,
    }


@pytest.mark.parametrize(
    "old, new, progressing",
    [
        ((10, 4, 4, 4), (10, 6, 4, 4), True),
        ((10, 4, 4, 4), (10, 4, 4, 4), False),
        ((10, 4, 6, 6), (8, 4, 6, 6), True),
        ((10, 7, 3, 3), (10, 6, 3, 3), False),
        ((10, 4, 7, 7), (8, 8, 5, 5), True),
        ((10, 10, 9, 8), (10, 10, 10, 8), True),
        ((10, 10, 10, 9), (10, 10, 10, 10), True),
    ],
)
def test_deployment_progressing(old, new, progressing):
    assert deployment_progressing({"status": _counts(*old)}, _counts(*new)) is progressing


@pytest.mark.parametrize(
    "pds, last, now, reason, timed_out",
    [
        (None, 69, 80, "ReplicaSetUpdated", False),
        (MAX_INT32, 69, 80, "ReplicaSetUpdated", False),
        (10, 69, 80, "ReplicaSetUpdated", True),
        (10, 71, 80, "ReplicaSetUpdated", False),
        (10, 69, 80, "NewReplicaSetAvailable", False),
    ],
)
def test_deployment_timed_out(pds, last, now, reason, timed_out):
    d = deployment(1, progressDeadlineSeconds=pds)
    status = {
        "conditions": [
            {
                "type": "Progressing",
                "status": "True",
                "reason": reason,
                "lastUpdateTime": f"2025-01-01T00:01:{last - 60:02d}Z",
            }
        ]
    }
    assert deployment_timed_out(d, status, float(now)) is timed_out


def test_progress_check_is_armed_for_the_deadline():
    d = deployment(1, progressDeadlineSeconds=600)
    d["status"] = {
        "conditions": [
            {
                "type": "Progressing",
                "reason": "ReplicaSetUpdated",
                "lastUpdateTime": "2025-01-01T00:00:10Z",
            }
        ]
    }
    assert progress_check_delay(d, {}, 20.0) == 591.0
    d["spec"]["progressDeadlineSeconds"] = None
    assert progress_check_delay(d, {}, 20.0) is None


def test_calculate_status_counts_and_availability():
    d = deployment(3)
    d["metadata"]["generation"] = 2
    new = rs("new", 2, available=1)
    new["status"]["readyReplicas"] = 1
    old = rs("old", 2, available=2)
    old["status"]["readyReplicas"] = 2
    status = calculate_status([old, new], new, d, 5.0)
    assert {k: v for k, v in status.items() if k != "conditions"} == {
        "observedGeneration": 2,
        "replicas": 4,
        "updatedReplicas": 2,
        "readyReplicas": 3,
        "availableReplicas": 3,
        "unavailableReplicas": 1,
    }
    assert status["conditions"][0]["reason"] == "MinimumReplicasAvailable"
