"""Jobs end to end: API defaults and validation, the Job controller through a whole cluster."""

from __future__ import annotations

import itertools

import pytest

import kubelab as kl
from kubelab.api.defaults import apply_defaults
from kubelab.api.meta import get_condition, parse_time
from kubelab.controllers.job_policy import TRACKING_FINALIZER, BackoffRecord, remaining_backoff


def job(name="work", command=None, image="busybox", restart="Never", **spec):
    container = {"name": "main", "image": image}
    if command is not None:
        container["command"] = ["sh", "-c", command]
    template = {"spec": {"restartPolicy": restart, "containers": [container]}}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name},
        "spec": {**spec, "template": template},
    }


def cluster(*objs, nodes=2):
    c = kl.Cluster(nodes=nodes, seed=0)
    for obj in objs:
        c.apply(obj)
    return c


def conditions(c, name="work"):
    return [(x["type"], x["reason"]) for x in c.get("Job", name)["status"].get("conditions") or ()]


def job_pods(c, name="work"):
    return sorted(
        (p for p in c.list("Pod") if p["metadata"]["labels"].get("job-name") == name),
        key=lambda p: (p["metadata"]["creationTimestamp"], p["metadata"]["name"]),
    )


# -- API ---------------------------------------------------------------------------------------
def test_defaults_and_generated_selector():
    out = apply_defaults(job())
    spec = out["spec"]
    assert (spec["completions"], spec["parallelism"], spec["backoffLimit"]) == (1, 1, 6)
    assert (spec["completionMode"], spec["suspend"], spec["podReplacementPolicy"]) == (
        "NonIndexed",
        False,
        "TerminatingOrFailed",
    )
    assert apply_defaults(job(parallelism=3))["spec"].get("completions") is None
    per_index = apply_defaults(job(completionMode="Indexed", completions=2, backoffLimitPerIndex=1))
    assert per_index["spec"]["backoffLimit"] == 2**31 - 1
    c = cluster(job())
    live = c.get("Job", "work")
    uid = live["metadata"]["uid"]
    assert live["spec"]["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
    assert live["spec"]["manualSelector"] is False
    assert live["spec"]["template"]["metadata"]["labels"] == {
        "batch.kubernetes.io/controller-uid": uid,
        "batch.kubernetes.io/job-name": "work",
        "controller-uid": uid,
        "job-name": "work",
    }
    assert live["metadata"]["labels"]["job-name"] == "work"


def test_validation_messages():
    c = cluster()
    with pytest.raises(kl.Invalid) as err:
        c.apply(job(restart="Always"))
    assert str(err.value) == (
        'The Job "work" is invalid: spec.template.spec.restartPolicy: Required value: '
        'valid values: "OnFailure", "Never"'
    )
    bad = job(restart="OnFailure", podFailurePolicy={"rules": [{"action": "FailIndex",
              "onExitCodes": {"operator": "In", "values": [0]}}]})  # fmt: skip
    with pytest.raises(kl.Invalid) as err:
        c.apply(bad)
    text = str(err.value)
    assert (
        'spec.podFailurePolicy.rules[0].action: Invalid value: "FailIndex": requires the backoffLimitPerIndex to be set'
        in text
    )
    assert (
        "spec.podFailurePolicy.rules[0].onExitCodes.values[0]: Invalid value: 0: must not be 0 for the In operator"
        in text
    )
    assert (
        'spec.template.spec.restartPolicy: Invalid value: "OnFailure": only "Never" is supported when podFailurePolicy is specified'
        in text
    )
    with pytest.raises(
        kl.Invalid, match=r"spec.completions: Required value: when completion mode is Indexed"
    ):
        c.apply(job(completionMode="Indexed", parallelism=2))
    with pytest.raises(
        kl.Invalid, match=r"spec.parallelism: Invalid value: -1: must be greater than or equal to 0"
    ):
        c.apply(job(parallelism=-1))


def test_template_is_immutable():
    c = cluster(job(command="sleep 60"))
    changed = job(command="sleep 61")
    with pytest.raises(kl.Invalid, match=r"spec.template: Invalid value: .*: field is immutable"):
        c.apply(changed)


# -- counts ------------------------------------------------------------------------------------
def test_completions_and_parallelism():
    c = cluster(job(command="sleep 3", completions=5, parallelism=2))
    peak = 0
    for _ in range(60):
        c.run(1)
        status = c.get("Job", "work").get("status") or {}
        active = [p for p in job_pods(c) if p["status"]["phase"] in ("Pending", "Running")]
        peak = max(peak, len(active))
        assert status.get("active", 0) <= 2
    status = c.get("Job", "work")["status"]
    assert peak == 2
    assert status["succeeded"] == 5 and "failed" not in status and "active" not in status
    assert conditions(c) == [
        ("SuccessCriteriaMet", "CompletionsReached"),
        ("Complete", "CompletionsReached"),
    ]
    assert (
        status["completionTime"]
        == get_condition(c.get("Job", "work"), "Complete")["lastTransitionTime"]
    )
    pods = job_pods(c)
    assert len(pods) == 5 and all(p["status"]["phase"] == "Succeeded" for p in pods)
    assert all(TRACKING_FINALIZER not in (p["metadata"].get("finalizers") or ()) for p in pods)
    events = c.kubectl("get events --field-selector involvedObject.kind=Job")
    assert events.count("SuccessfulCreate") == 5 and "Job completed" in events
    terminated = pods[0]["status"]["containerStatuses"][0]["state"]["terminated"]
    assert (terminated["reason"], terminated["exitCode"]) == ("Completed", 0)


def test_running_pods_carry_the_tracking_finalizer():
    c = cluster(job(command="sleep 30"))
    c.run(10)
    (pod,) = job_pods(c)
    assert TRACKING_FINALIZER in pod["metadata"]["finalizers"]
    assert c.get("Job", "work")["status"]["active"] == 1


def test_indexed_job_pods():
    c = cluster(job(command="sleep 2", completionMode="Indexed", completions=3, parallelism=3))
    c.run(2)
    pods = job_pods(c)
    by_index = {
        p["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"]: p for p in pods
    }
    assert sorted(by_index) == ["0", "1", "2"]
    for index, pod in by_index.items():
        assert pod["metadata"]["generateName"] == f"work-{index}-"
        assert pod["spec"]["hostname"] == f"work-{index}"
        assert pod["metadata"]["labels"]["batch.kubernetes.io/job-completion-index"] == index
        env = pod["spec"]["containers"][0]["env"]
        assert env[-1]["name"] == "JOB_COMPLETION_INDEX"
    c.run(40)
    status = c.get("Job", "work")["status"]
    assert status["completedIndexes"] == "0-2" and status["succeeded"] == 3


# -- failures ----------------------------------------------------------------------------------
def test_backoff_between_failures():
    c = cluster(job(command="exit 1", backoffLimit=3))
    c.run(200)
    pods = job_pods(c)
    assert len(pods) == 4
    assert all(p["status"]["phase"] == "Failed" for p in pods)
    state = pods[0]["status"]["containerStatuses"][0]["state"]["terminated"]
    assert (state["reason"], state["exitCode"]) == ("Error", 1)
    gaps = []
    for previous, pod in itertools.pairwise(pods):
        finished = parse_time(
            previous["status"]["containerStatuses"][0]["state"]["terminated"]["finishedAt"]
        )
        gaps.append(parse_time(pod["metadata"]["creationTimestamp"]) - finished)
    # 10 s, 20 s, 40 s (whole-second timestamps; the sync batch adds up to a second)
    assert [round(g / 10) * 10 for g in gaps] == [10, 20, 40]
    assert all(g >= d for g, d in zip(gaps, (10, 20, 40), strict=True))
    status = c.get("Job", "work")["status"]
    assert status["failed"] == 4
    assert conditions(c) == [
        ("FailureTarget", "BackoffLimitExceeded"),
        ("Failed", "BackoffLimitExceeded"),
    ]
    assert "Job has reached the specified backoff limit" in c.kubectl("get events")


def test_backoff_record_rules():
    assert remaining_backoff(1, 0.0, 3.0) == 7.0
    assert remaining_backoff(7, 0.0, 0.0) == 360.0  # capped at six minutes
    record = BackoffRecord().updated([], [5.0, 3.0])
    assert (record.failures, record.last_failure) == (2, 5.0)
    assert BackoffRecord(2, 5.0).updated([6.0], [4.0, 7.0]) == BackoffRecord(1, 7.0)


def test_pod_failure_policy_fail_job_on_exit_42():
    spec = job(command="sleep 5; exit 42", completions=4, parallelism=2, podFailurePolicy={
        "rules": [{"action": "FailJob", "onExitCodes": {"containerName": "main", "operator": "In", "values": [42]}}]})  # fmt: skip
    c = cluster(spec)
    c.run(60)
    cond = get_condition(c.get("Job", "work"), "Failed")
    assert cond["reason"] == "PodFailurePolicy"
    assert cond["message"].startswith("Container main for pod default/work-")
    assert cond["message"].endswith("failed with exit code 42 matching FailJob rule at index 0")
    assert len(job_pods(c)) == 2  # no replacement pods


def test_pod_failure_policy_ignore_does_not_count():
    spec = job(command="exit 3", backoffLimit=0, podFailurePolicy={"rules": [
        {"action": "Ignore", "onExitCodes": {"operator": "In", "values": [3]}}]})  # fmt: skip
    c = cluster(spec)
    c.run(60)
    status = c.get("Job", "work")["status"]
    assert "failed" not in status and not conditions(c)
    assert len(job_pods(c)) >= 3  # replaced again and again, without back-off


def test_active_deadline_terminates_pods():
    c = cluster(job(command="sleep 3600", activeDeadlineSeconds=10))
    c.run(11)
    assert conditions(c) == [("FailureTarget", "DeadlineExceeded")]
    (pod,) = job_pods(c)
    assert pod["metadata"].get("deletionTimestamp")
    c.run(60)
    assert conditions(c)[-1] == ("Failed", "DeadlineExceeded")
    assert get_condition(c.get("Job", "work"), "Failed")["message"] == (
        "Job was active longer than specified deadline"
    )
    assert job_pods(c) == []  # terminated, finalizer removed, gone
    assert c.get("Job", "work")["status"]["failed"] == 1


def test_on_failure_restarts_count_toward_backoff_limit():
    c = cluster(job(image="kubelab/crashy", restart="OnFailure", backoffLimit=2))
    c.run(120)
    assert conditions(c)[0] == ("FailureTarget", "BackoffLimitExceeded")


def test_suspend_and_resume():
    c = cluster(job(command="sleep 5", suspend=True))
    c.run(5)
    assert job_pods(c) == []
    assert conditions(c) == [("Suspended", "JobSuspended")]
    assert "startTime" not in c.get("Job", "work")["status"]
    c.apply(job(command="sleep 5", suspend=False))
    c.run(30)
    assert conditions(c)[0] == ("Suspended", "JobResumed")
    assert conditions(c)[-1] == ("Complete", "CompletionsReached")
    assert "Job resumed" in c.kubectl("get events")


def test_work_queue_job_completes_when_one_pod_succeeded_and_none_run():
    c = cluster(job(command="sleep 4", parallelism=2))
    c.run(40)
    status = c.get("Job", "work")["status"]
    assert status["succeeded"] == 2 and conditions(c)[-1][0] == "Complete"


def test_pods_of_a_deleted_job_are_released():
    c = cluster(job(command="sleep 300"))
    c.run(10)
    c.kubectl("delete job work")
    c.run(60)
    assert job_pods(c) == []


def test_ttl_after_finished_deletes_job_and_pods():
    c = cluster(job(command="sleep 2", ttlSecondsAfterFinished=30))
    c.run(10)
    done = get_condition(c.get("Job", "work"), "Complete")
    finished_at = parse_time(done["lastTransitionTime"])
    c.run(finished_at + 29 - c.now)
    assert c.get("Job", "work") is not None and len(job_pods(c)) == 1
    c.run(5)
    assert [j["metadata"]["name"] for j in c.list("Job")] == []
    assert job_pods(c) == []


def test_kubectl_columns_and_describe():
    c = cluster(
        job(name="run", command="sleep 600", completions=3, parallelism=2),
        job(name="wq", command="sleep 600", parallelism=3),
        job(name="paused", command="sleep 1", suspend=True),
        job(name="bad", command="exit 1", backoffLimit=0),
    )
    c.run(30)
    rows = {line.split()[0]: line.split() for line in c.kubectl("get jobs").splitlines()}
    assert rows["NAME"] == ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"]
    assert rows["run"] == ["run", "Running", "0/3", "30s", "30s"]
    assert rows["wq"][:3] == ["wq", "Running", "0/1"] and rows["wq"][3:5] == ["of", "3"]
    assert rows["paused"] == ["paused", "Suspended", "0/1", "30s"]
    assert rows["bad"][:3] == ["bad", "Failed", "0/1"]
    text = c.kubectl("describe job run")
    assert "Pods Statuses:    2 Active (2 Ready) / 0 Succeeded / 0 Failed" in text
    assert "Completions:      3" in text and "Created pod: run-" in text
    wide = c.kubectl("get job run -o wide").splitlines()
    assert wide[0].split()[-3:] == ["CONTAINERS", "IMAGES", "SELECTOR"]
    assert wide[1].split()[-1].startswith("batch.kubernetes.io/controller-uid=")


def test_history_and_graph_show_jobs():
    c = cluster(job(command="sleep 3"))
    c.run(30)
    history = c.history
    rows = history[history.kind == "Job"]
    phases = list(rows.phase)
    assert (phases[0], phases[-1]) == ("Running", "Complete")
    assert list(rows.available)[-1] == 1
    graph = c.graph
    (pod,) = job_pods(c)
    node = ("Pod", "default", pod["metadata"]["name"])
    assert graph.has_edge(node, ("Job", "default", "work"))
    assert graph.has_edge(("Job", "default", "work"), node)


def test_create_job_with_image_and_command():
    c = cluster()
    assert c.kubectl('create job hi --image=busybox -- sh -c "sleep 2"') == "job.batch/hi created"
    spec = c.get("Job", "hi")["spec"]["template"]["spec"]
    assert spec["restartPolicy"] == "Never"
    assert spec["containers"][0]["command"] == ["sh", "-c", "sleep 2"]
    assert c.kubectl("create job x").strip() == "error: either --image or --from must be specified"
    c.run(20)
    assert conditions(c, "hi")[-1] == ("Complete", "CompletionsReached")


def test_success_policy_completes_early():
    policy = {"rules": [{"succeededIndexes": "0-4", "succeededCount": 2}]}
    c = cluster(
        job(
            command="sleep 3",
            completionMode="Indexed",
            completions=5,
            parallelism=2,
            successPolicy=policy,
        )
    )
    c.run(60)
    job_obj = c.get("Job", "work")
    assert conditions(c) == [
        ("SuccessCriteriaMet", "SuccessPolicy"),
        ("Complete", "SuccessPolicy"),
    ]
    assert get_condition(job_obj, "Complete")["message"] == "Matched rules at index 0"
    assert job_obj["status"]["completedIndexes"] == "0,1"
    assert len(job_pods(c)) == 2  # indexes 2-4 never ran


def test_max_failed_indexes_exceeded():
    c = cluster(
        job(
            command="exit 1",
            completionMode="Indexed",
            completions=6,
            parallelism=6,
            backoffLimitPerIndex=0,
            maxFailedIndexes=1,
        )
    )
    c.run(60)
    job_obj = c.get("Job", "work")
    assert conditions(c)[-1] == ("Failed", "MaxFailedIndexesExceeded")
    assert get_condition(job_obj, "Failed")["message"] == (
        "Job has exceeded the specified maximal number of failed indexes"
    )
    assert job_obj["status"]["failedIndexes"] == "0-5"


def test_suspending_a_running_job_deletes_its_pods_without_failures():
    c = cluster(job(command="sleep 60", completions=2, parallelism=2, backoffLimit=0))
    c.run(10)
    c.apply(job(command="sleep 60", completions=2, parallelism=2, backoffLimit=0, suspend=True))
    c.run(60)
    status = c.get("Job", "work")["status"]
    assert conditions(c) == [("Suspended", "JobSuspended")]
    assert "failed" not in status and "active" not in status
    assert job_pods(c) == []
    events = c.kubectl("get events --field-selector involvedObject.kind=Job")
    assert events.count("Deleted pod: work-") == 2 and "Job suspended" in events
