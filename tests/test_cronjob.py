"""CronJobs: cron parsing and schedule times, validation, the controller through a whole cluster."""

from __future__ import annotations

import pytest

import kubelab as kl
from kubelab.api import cron
from kubelab.api.meta import timestamp
from kubelab.controllers.cronjob import job_name, most_recent_schedule_time

MIN = 60.0


def cronjob(name="hello", schedule="* * * * *", command="date", image="busybox", **spec):
    template = {
        "spec": {
            "restartPolicy": "OnFailure",
            "containers": [{"name": "c", "image": image, "command": ["sh", "-c", command]}],
        }
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": name},
        "spec": {"schedule": schedule, "jobTemplate": {"spec": {"template": template}}, **spec},
    }


def jobs(c):
    return sorted(j["metadata"]["name"] for j in c.list("Job"))


def events(c, reason):
    return [
        e["message"]
        for e in c.list("Event")
        if e["reason"] == reason and e["involvedObject"]["kind"] == "CronJob"
    ]


# -- cron --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("spec", "after", "expected"),
    [
        ("*/15 * * * *", 0, "2025-01-01T00:15:00Z"),
        ("30 2 * * *", 0, "2025-01-01T02:30:00Z"),
        ("0 0 * * MON", 0, "2025-01-06T00:00:00Z"),  # the epoch is a Wednesday
        ("0 0 1 FEB *", 0, "2025-02-01T00:00:00Z"),
        ("0 12 13 * 5", 0, "2025-01-03T12:00:00Z"),  # day of month OR day of week
        ("0 0 * * 1-5/2", 0, "2025-01-01T00:00:00Z".replace("01T", "03T")),  # Mon, Wed, Fri
        ("5/20 * * * *", 0, "2025-01-01T00:05:00Z"),
        ("@hourly", 59 * MIN, "2025-01-01T01:00:00Z"),
        ("@daily", 0, "2025-01-02T00:00:00Z"),
        ("@weekly", 0, "2025-01-05T00:00:00Z"),
        ("@monthly", 0, "2025-02-01T00:00:00Z"),
        ("@yearly", 0, "2026-01-01T00:00:00Z"),
    ],
)
def test_next_schedule_time(spec, after, expected):
    assert timestamp(cron.parse(spec).next(after)) == expected


def test_time_zone_and_every():
    paris = cron.parse("0 9 * * *")
    assert timestamp(paris.next(0, "Europe/Paris")) == "2025-01-01T08:00:00Z"
    assert timestamp(cron.parse("TZ=America/New_York 0 9 * * *").next(0)) == "2025-01-01T14:00:00Z"
    assert cron.parse("@every 1h30m").next(100) == 100 + 5400


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("* * * *", "expected exactly 5 fields, found 4: [* * * *]"),
        ("60 * * * *", "end of range (60) above maximum (59): 60"),
        ("* * 0 * *", "beginning of range (0) below minimum (1): 0"),
        ("5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1"),
        ("*/0 * * * *", "step of range should be a positive number: */0"),
        ("x * * * *", 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'),
        ("@fortnightly", "unrecognized descriptor: @fortnightly"),
        ("", "empty spec string"),
    ],
)
def test_parse_errors(spec, message):
    with pytest.raises(cron.CronError) as err:
        cron.parse(spec)
    assert str(err.value) == message


def test_most_recent_schedule_time_counts_missed():
    every_minute = cron.parse("* * * * *")
    assert most_recent_schedule_time(every_minute, None, 0, 59) == (None, 0)
    assert most_recent_schedule_time(every_minute, None, 0, 60) == (60.0, 1)
    assert most_recent_schedule_time(every_minute, None, 0, 150 * MIN + 5) == (150 * MIN, 150)
    assert job_name("hello", 150 * MIN) == "hello-28928310"


# -- validation --------------------------------------------------------------------------------
def test_validation_messages():
    c = kl.Cluster(nodes=1, seed=0)
    with pytest.raises(kl.Invalid) as err:
        c.apply(cronjob(name="x" * 53))
    assert (
        'metadata.name: Invalid value: "' + "x" * 53 + '": must be no more than 52 characters'
        in str(err.value)
    )
    with pytest.raises(kl.Invalid) as err:
        c.apply(cronjob(schedule="*/1 * * *"))
    assert str(err.value) == (
        'The CronJob "hello" is invalid: spec.schedule: Invalid value: "*/1 * * *": '
        "expected exactly 5 fields, found 4: [*/1 * * *]"
    )
    with pytest.raises(
        kl.Invalid, match="cannot use TZ or CRON_TZ in schedule, use timeZone field instead"
    ):
        c.apply(cronjob(schedule="TZ=UTC * * * * *"))
    with pytest.raises(
        kl.Invalid, match=r'spec.timeZone: Invalid value: "Mars/Base": unknown time zone Mars/Base'
    ):
        c.apply(cronjob(timeZone="Mars/Base"))
    with pytest.raises(kl.Invalid, match=r'spec.concurrencyPolicy: Unsupported value: "Sometimes"'):
        c.apply(cronjob(concurrencyPolicy="Sometimes"))
    bad = cronjob()
    bad["spec"]["jobTemplate"]["spec"]["template"]["spec"]["restartPolicy"] = "Always"
    with pytest.raises(
        kl.Invalid,
        match=r'spec.jobTemplate.spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
    ):
        c.apply(bad)
    c.apply(cronjob())
    live = c.get("CronJob", "hello")["spec"]
    assert (live["concurrencyPolicy"], live["suspend"]) == ("Allow", False)
    assert (live["successfulJobsHistoryLimit"], live["failedJobsHistoryLimit"]) == (3, 1)
    assert "completions" not in live["jobTemplate"]["spec"]  # only the pod template is defaulted


# -- the controller ----------------------------------------------------------------------------
def test_jobs_each_minute_with_history_limit():
    c = kl.Cluster(nodes=2, seed=0)
    c.apply(cronjob(successfulJobsHistoryLimit=2))
    c.run(5 * MIN + 30)
    assert jobs(c) == ["hello-28928164", "hello-28928165"]
    first = c.get("Job", "hello-28928165")
    assert first["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"] == (
        "2025-01-01T00:05:00Z"
    )
    assert first["metadata"]["ownerReferences"][0]["kind"] == "CronJob"
    status = c.get("CronJob", "hello")["status"]
    assert status["lastScheduleTime"] == "2025-01-01T00:05:00Z"
    assert status["lastSuccessfulTime"].startswith("2025-01-01T00:05:0")
    assert "active" not in status
    assert len(events(c, "SuccessfulCreate")) == 5
    assert events(c, "SuccessfulDelete") == [
        "Deleted job hello-28928161",
        "Deleted job hello-28928162",
        "Deleted job hello-28928163",
    ]
    assert "Saw completed job: hello-28928161, condition: Complete" in events(c, "SawCompletedJob")
    table = c.kubectl("get cronjobs")
    assert table.splitlines()[0].split() == [
        "NAME",
        "SCHEDULE",
        "TIMEZONE",
        "SUSPEND",
        "ACTIVE",
        "LAST",
        "SCHEDULE",
        "AGE",
    ]
    assert table.splitlines()[1].split() == [
        "hello",
        "*",
        "*",
        "*",
        "*",
        "*",
        "<none>",
        "False",
        "0",
        "30s",
        "5m30s",
    ]


def test_no_polling_between_schedule_times():
    c = kl.Cluster(nodes=1, seed=0)
    controller = c.controllers["cronjob-controller"]
    syncs = []
    original = controller.sync
    controller.sync = lambda key: syncs.append(c.now) or original(key)
    c.apply(cronjob(schedule="0 * * * *"))
    c.run(3 * 3600 + 60)
    # one sync at creation, then per hour: the wake-up and the Job's own changes
    assert len(syncs) < 3 * 8
    assert syncs[0] == 0.0
    assert [t for t in syncs if t % 3600 > 120] == []
    assert jobs(c) == ["hello-28928220", "hello-28928280", "hello-28928340"]


def test_forbid_keeps_one_job():
    c = kl.Cluster(nodes=1, seed=0)
    c.apply(cronjob(command="sleep 150", concurrencyPolicy="Forbid"))
    c.run(4 * MIN + 10)
    # 00:02 and 00:03 are skipped while the first runs; once it ends (about 00:03:32) the
    # missed 00:03 run starts late, as upstream (no startingDeadlineSeconds)
    assert jobs(c) == ["hello-28928161", "hello-28928163"]
    created = c.get("Job", "hello-28928163")["metadata"]["creationTimestamp"]
    assert "2025-01-01T00:03:30Z" <= created <= "2025-01-01T00:03:40Z"
    assert events(c, "JobAlreadyActive")[0] == (
        "Not starting job because prior execution is running and concurrency policy is Forbid"
    )


def test_replace_deletes_the_running_job():
    c = kl.Cluster(nodes=1, seed=0)
    c.apply(cronjob(command="sleep 150", concurrencyPolicy="Replace"))
    c.run(2 * MIN + 10)
    assert "Deleted job hello-28928161" in events(c, "SuccessfulDelete")
    active = c.get("CronJob", "hello")["status"]["active"]
    assert [a["name"] for a in active] == ["hello-28928162"]


def test_allow_runs_jobs_side_by_side():
    c = kl.Cluster(nodes=1, seed=0)
    c.apply(cronjob(command="sleep 150"))
    c.run(2 * MIN + 10)
    active = c.get("CronJob", "hello")["status"]["active"]
    assert [a["name"] for a in active] == ["hello-28928161", "hello-28928162"]
    assert c.kubectl("get cj").splitlines()[1].split()[8] == "2"


def test_failed_jobs_history_limit():
    c = kl.Cluster(nodes=1, seed=0)
    spec = cronjob(command="exit 1")
    spec["spec"]["jobTemplate"]["spec"]["backoffLimit"] = 0
    spec["spec"]["jobTemplate"]["spec"]["template"]["spec"]["restartPolicy"] = "Never"
    c.apply(spec)
    c.run(3 * MIN + 30)
    assert jobs(c) == ["hello-28928163"]
    assert "condition: Failed" in events(c, "SawCompletedJob")[0]


def test_suspend_and_too_many_missed():
    c = kl.Cluster(nodes=1, seed=0)
    c.apply(cronjob(suspend=True))
    c.run(150 * MIN)
    assert jobs(c) == []
    c.apply(cronjob(suspend=False))
    c.run(1)
    assert events(c, "TooManyMissedTimes") == [
        "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew"
    ]
    assert jobs(c) == [job_name("hello", 150 * MIN)]  # only the most recent one


def test_starting_deadline_skips_missed_schedules():
    c = kl.Cluster(nodes=1, seed=0)
    c.apply(cronjob(suspend=True, startingDeadlineSeconds=20))
    c.run(10 * MIN + 30)
    c.apply(cronjob(suspend=False, startingDeadlineSeconds=20))
    c.run(1)
    assert jobs(c) == []  # 00:10:00 is more than 20 s ago
    c.run(MIN)
    assert jobs(c) == ["hello-28928171"]


def test_time_zone_schedule():
    c = kl.Cluster(nodes=1, seed=0)
    c.apply(cronjob(schedule="30 1 * * *", timeZone="Europe/Paris"))
    c.run(31 * MIN)
    assert jobs(c) == ["hello-28928190"]  # 01:30 in Paris is 00:30 UTC
    job = c.get("Job", "hello-28928190")
    assert job["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"] == (
        "2025-01-01T01:30:00+01:00"
    )
    assert c.kubectl("get cj").splitlines()[1].split()[6] == "Europe/Paris"


def test_create_job_from_cronjob():
    c = kl.Cluster(nodes=1, seed=0)
    c.apply(cronjob(schedule="0 0 1 1 *"))
    assert c.kubectl("create job manual --from=cronjob/hello") == "job.batch/manual created"
    job = c.get("Job", "manual")
    assert job["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"] == "manual"
    c.run(20)
    assert c.get("Job", "manual")["status"]["succeeded"] == 1
