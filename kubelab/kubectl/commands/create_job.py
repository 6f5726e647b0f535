"""``kubectl create job NAME --image=IMAGE [-- COMMAND...]`` and ``--from=cronjob/NAME``
(upstream ``pkg/cmd/create/create_job.go``)."""

from __future__ import annotations

from kubelab.errors import KubelabError, NotFound
from kubelab.kubectl.commands.common import CommandError

__all__ = ["create_job", "job_from_cronjob"]


def job_from_cronjob(name: str, cronjob: dict) -> dict:
    """``createJobFromCronJob``: the CronJob's job template, marked ``instantiate: manual``.

    >>> cj = {"metadata": {"name": "hello", "uid": "u1"}, "spec": {"jobTemplate": {
    ...       "metadata": {"labels": {"app": "hi"}}, "spec": {"backoffLimit": 1}}}}
    >>> job = job_from_cronjob("manual-1", cj)
    >>> job["metadata"]["annotations"], job["metadata"]["ownerReferences"][0]["kind"]
    ({'cronjob.kubernetes.io/instantiate': 'manual'}, 'CronJob')
    """
    template = cronjob["spec"].get("jobTemplate") or {}
    tmeta = template.get("metadata") or {}
    meta = {
        "name": name,
        "annotations": {
            "cronjob.kubernetes.io/instantiate": "manual",
            **(tmeta.get("annotations") or {}),
        },
        "ownerReferences": [
            {
                "apiVersion": "batch/v1",
                "kind": "CronJob",
                "name": cronjob["metadata"]["name"],
                "uid": cronjob["metadata"]["uid"],
                "controller": True,
            }
        ],
    }
    if tmeta.get("labels"):
        meta["labels"] = dict(tmeta["labels"])
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": meta,
        "spec": dict(template.get("spec") or {}),
    }


def create_job(ctx, flags, args, out) -> None:
    if len(args) != 1 and not (args and flags.get("image")):
        raise CommandError(f"exactly one NAME is required, got {len(args)}")
    name, command = args[0], args[1:]
    image, source = flags.get("image") or "", flags.get("from") or ""
    if not image and not source:
        raise CommandError("either --image or --from must be specified")
    if image and source:
        raise CommandError("--image and --from are mutually exclusive")
    if source and command:
        raise CommandError("cannot specify --from and command")
    if source:
        kind, _, cj_name = source.partition("/")
        if (
            kind not in ("cronjob", "cronjobs", "cj", "cronjob.batch", "cronjobs.batch")
            or not cj_name
        ):
            raise CommandError(f"unknown object type in --from: {source}")
        try:
            cronjob = ctx.client.get("CronJob", cj_name, ctx.namespace)
        except NotFound as error:
            raise CommandError(f"from must be an existing cronjob: {error.message}") from None
        job = job_from_cronjob(name, cronjob)
    else:
        container = {"name": name, "image": image}
        if command:
            container["command"] = list(command)
        job = {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": name},
            "spec": {"template": {"spec": {"containers": [container], "restartPolicy": "Never"}}},
        }
    job["metadata"]["namespace"] = ctx.namespace
    try:
        stored = ctx.client.create(job)
    except KubelabError as error:
        out.err.append(str(error))
        return
    out.print(f"job.batch/{stored['metadata']['name']} created\n")
