"""The documentation's Job and CronJob manifests, applied to a cluster, behave as the corpus
README's notes (and the docs pages) say.

Reads ``../shared/corpus/k8s-docs-examples`` beside the project; skipped when it is absent.
"""

from __future__ import annotations

import pytest
from test_docs_corpus import CORPUS_DIR

import kubelab as kl
from kubelab.api.meta import get_condition

if not CORPUS_DIR.is_dir():
    pytest.skip("the shared corpus is not beside the project", allow_module_level=True)


def run(path: str, seconds: float) -> kl.Cluster:
    c = kl.Cluster(nodes=2, seed=0)
    c.apply(str(CORPUS_DIR / path))
    c.run(seconds)
    return c


def finished(job: dict) -> tuple[str, str] | None:
    for type_ in ("Complete", "Failed"):
        cond = get_condition(job, type_)
        if cond is not None and cond.get("status") == "True":
            return type_, cond["reason"]
    return None


def test_pi_completes():
    c = run("controllers/job.yaml", 60)
    job = c.get("Job", "pi")
    assert finished(job) == ("Complete", "CompletionsReached")
    assert job["status"]["succeeded"] == 1
    row = c.kubectl("get job pi").splitlines()[1].split()
    assert row[:3] == ["pi", "Complete", "1/1"]


@pytest.mark.parametrize(
    ("path", "name", "seconds"),
    [
        ("controllers/job-pod-failure-policy-example.yaml", "job-pod-failure-policy-example", 60),
        ("controllers/job-pod-failure-policy-failjob.yaml", "job-pod-failure-policy-failjob", 90),
    ],
)
def test_exit_42_fails_the_job(path, name, seconds):
    c = run(path, seconds)
    job = c.get("Job", name)
    assert finished(job) == ("Failed", "PodFailurePolicy")
    assert (
        "failed with exit code 42 matching FailJob rule at index 0"
        in (get_condition(job, "FailureTarget")["message"])
    )
    assert c.kubectl(f"get job {name}").splitlines()[1].split()[1] == "Failed"


def test_ignore_policy_job_completes():
    c = run("controllers/job-pod-failure-policy-ignore.yaml", 300)
    job = c.get("Job", "job-pod-failure-policy-ignore")
    assert finished(job) == ("Complete", "CompletionsReached")
    assert job["status"]["succeeded"] == 4


def test_config_issue_pods_wait_for_their_image():
    c = run("controllers/job-pod-failure-policy-config-issue.yaml", 120)
    job = c.get("Job", "job-pod-failure-policy-config-issue")
    assert finished(job) is None and job["status"]["active"] == 2
    reasons = {
        p["status"]["containerStatuses"][0]["state"]["waiting"]["reason"] for p in c.list("Pod")
    }
    assert reasons <= {"ErrImagePull", "ImagePullBackOff"}


def test_backoff_limit_per_index_example():
    c = run("controllers/job-backoff-limit-per-index-example.yaml", 300)
    status = c.get("Job", "job-backoff-limit-per-index-example")["status"]
    assert finished(c.get("Job", "job-backoff-limit-per-index-example")) == (
        "Failed",
        "FailedIndexes",
    )
    assert (status["failedIndexes"], status["completedIndexes"]) == ("0,2,4,6,8", "1,3,5,7,9")
    assert (status["succeeded"], status["failed"]) == (5, 10)


def test_backoff_limit_per_index_fail_index():
    c = run("controllers/job-backoff-limit-per-index-failindex.yaml", 300)
    job = c.get("Job", "job-backoff-limit-per-index-failindex")
    status = job["status"]
    assert finished(job) == ("Failed", "FailedIndexes")
    # index 0 exits 1 and is retried once; index 1 exits 42: FailIndex, no retry
    assert (status["failedIndexes"], status["completedIndexes"]) == ("0,1", "2,3")
    assert status["failed"] == 3


@pytest.mark.parametrize(
    "path", ["application/job/indexed-job.yaml", "application/job/indexed-job-vol.yaml"]
)
def test_indexed_jobs_complete(path):
    c = run(path, 120)
    job = c.get("Job", "indexed-job")
    assert finished(job) == ("Complete", "CompletionsReached")
    assert job["status"]["completedIndexes"] == "0-4"
    hostnames = sorted(p["spec"]["hostname"] for p in c.list("Pod"))
    assert hostnames == [f"indexed-job-{i}" for i in range(5)]


def test_native_sidecar_job_completes():
    c = run("application/job/job-sidecar.yaml", 90)
    assert finished(c.get("Job", "myjob")) == ("Complete", "CompletionsReached")


def test_legacy_sidecar_job_never_completes():
    c = run("application/job/job-sidecar-legacy.yaml", 300)
    job = c.get("Job", "myjob")
    assert finished(job) is None and job["status"]["active"] == 1
    assert c.kubectl("get job myjob").splitlines()[1].split()[1:3] == ["Running", "0/1"]


@pytest.mark.parametrize(
    ("path", "name", "reason"),
    [
        ("application/job/rabbitmq/job.yaml", "job-wq-1", "InvalidImageName"),
        ("application/job/redis/job.yaml", "job-wq-2", "ImagePullBackOff"),
    ],
)
def test_placeholder_images_fail_to_pull(path, name, reason):
    c = run(path, 120)
    job = c.get("Job", name)
    assert finished(job) is None and job["status"]["active"] == 2
    waiting = [
        p["status"]["containerStatuses"][0]["state"]["waiting"]["reason"] for p in c.list("Pod")
    ]
    assert reason in waiting


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (
            "application/job/cronjob.yaml",
            'no matches for kind "CronJob" in version "batch/v1beta1"',
        ),
        ("application/job/job-tmpl.yaml", 'metadata.name: Invalid value: "process-item-$ITEM"'),
        ("controllers/job-success-policy-example.yaml", "metadata.name: Required value"),
        (
            "controllers/job-success-policy-example.yaml",
            'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
        ),
    ],
)
def test_refused_files(path, message):
    c = kl.Cluster(nodes=1, seed=0)
    with pytest.raises(kl.KubelabError) as err:
        c.apply(str(CORPUS_DIR / path))
    assert message in str(err.value)


def test_ignore_policy_survives_a_drain():
    """The docs' scenario: a drained pod fails with DisruptionTarget, the Ignore rule keeps it
    out of the failure count (backoffLimit 0), and a replacement comes once it has failed."""
    c = kl.Cluster(nodes=3, seed=0)
    c.apply(str(CORPUS_DIR / "controllers/job-pod-failure-policy-ignore.yaml"))
    c.run(20)
    node = c.list("Pod")[0]["spec"]["nodeName"]
    c.kubectl(f"drain {node} --ignore-daemonsets --force --timeout=1s")
    c.run(5)
    status = c.get("Job", "job-pod-failure-policy-ignore")["status"]
    assert (status["active"], status["terminating"]) == (1, 1)  # no replacement yet
    c.run(400)
    job = c.get("Job", "job-pod-failure-policy-ignore")
    assert finished(job) == ("Complete", "CompletionsReached")
    assert "failed" not in job["status"] and job["status"]["succeeded"] == 4
