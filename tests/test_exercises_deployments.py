"""Lesson 6's exercise checks accept right answers and reject wrong ones, with one ❌ line."""

from __future__ import annotations

import copy

import pytest
import yaml

from kubelab.exercises import (
    CheckFailed,
    check_rollout_prediction,
    check_safe_rollout,
    check_stalled_rollout_fix,
)
from kubelab.exercises.checks import course_file

DEPLOYMENT = yaml.safe_load(course_file("deployment.yaml").read_text())


def with_strategy(replicas, strategy):
    d = copy.deepcopy(DEPLOYMENT)
    d["spec"]["replicas"] = replicas
    d["spec"]["strategy"] = strategy
    return d


def rolling(surge, unavailable):
    return {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable},
    }


@pytest.mark.parametrize(
    "replicas, strategy",
    [(3, rolling(1, 0)), (4, rolling("25%", "25%")), (5, rolling("50%", 2)), (3, rolling(3, 0))],
)
def test_safe_rollout_accepts(replicas, strategy, capsys):
    check_safe_rollout(with_strategy(replicas, strategy), min_available=3)
    assert capsys.readouterr().out.startswith("✅ Right:")


def test_safe_rollout_accepts_yaml_text(capsys):
    check_safe_rollout(yaml.safe_dump(with_strategy(3, rolling(1, 0))), min_available=3)
    assert "✅" in capsys.readouterr().out


@pytest.mark.parametrize(
    "manifest, message",
    [
        (with_strategy(3, rolling("25%", 1)), "only 2 pods were available"),
        (with_strategy(4, rolling(0, 2)), "only 2 pods were available"),
        (with_strategy(3, {"type": "Recreate"}), "use type RollingUpdate"),
        (with_strategy(2, rolling(1, 0)), "2 replicas can never keep 3"),
        (with_strategy(3, rolling(0, 0)), "may not be 0 when `maxSurge` is 0"),
        ({**DEPLOYMENT, "kind": "ReplicaSet"}, "kind should be 'Deployment'"),
        (..., "still `Ellipsis`"),
    ],
)
def test_safe_rollout_rejects(manifest, message):
    with pytest.raises(CheckFailed, match=message) as err:
        check_safe_rollout(manifest, min_available=3)
    assert "\n" not in str(err.value)


def test_prediction_accepts_the_true_sequence(capsys):
    check_rollout_prediction([(1, 3), (1, 2), (2, 2), (2, 1), (3, 1), (3, 0)])
    check_rollout_prediction([[1, 3], [1, 2], [2, 2], [2, 1], [3, 1], [3, 0]])
    assert capsys.readouterr().out.count("✅") == 2


@pytest.mark.parametrize(
    "answer, message",
    [
        ([(3, 3), (3, 0)], "never more than 4 pods"),
        ([(0, 2), (1, 2), (1, 1), (2, 1), (2, 0), (3, 0)], "never drops below 3"),
        ([(1, 3), (1, 2), (2, 2), (2, 1), (3, 1)], "takes 6 steps"),
        ([(1, 3), (2, 3), (2, 2), (2, 1), (3, 1), (3, 0)], "never more than 4 pods"),
        ("new first", "list of \\(new, old\\) pairs"),
        (..., "still `Ellipsis`"),
    ],
)
def test_prediction_rejects(answer, message):
    with pytest.raises(CheckFailed, match=message):
        check_rollout_prediction(answer)


@pytest.mark.parametrize(
    "command",
    [
        "rollout undo deployment/web",
        "kubectl rollout undo deploy web",
        "rollout undo deployment/web --to-revision=1",
        "set image deployment/web web=kubelab/web:v1",
    ],
)
def test_stalled_rollout_fix_accepts(command, capsys):
    check_stalled_rollout_fix(command)
    assert capsys.readouterr().out.startswith("✅ Right:")


@pytest.mark.parametrize(
    "command, message",
    [
        ("rollout restart deployment/web", "still runs 'kubelab/web:v3-broken'"),
        ("rollout pause deployment/web", "still runs"),
        ("set image deployment/web web=kubelab/web:v2", "still runs 'kubelab/web:v2'"),
        ("rollout undo deployment/web --to-revision=7", "kubectl answered: error"),
        ("", "as a string"),
        (None, "still `None`"),
    ],
)
def test_stalled_rollout_fix_rejects(command, message):
    with pytest.raises(CheckFailed, match=message):
        check_stalled_rollout_fix(command)
