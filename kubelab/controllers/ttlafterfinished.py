"""The TTL-after-finished controller (``pkg/controller/ttlafterfinished``).

A finished Job (``Complete`` or ``Failed``) with ``spec.ttlSecondsAfterFinished`` is
deleted, with foreground cascading (its pods go first), that many seconds after the
condition's ``lastTransitionTime``. One timer per Job: nothing polls.

Examples
--------
>>> from kubelab.sim import Clock
>>> from kubelab.apiserver import APIServer
>>> from kubelab.client import InformerFactory
>>> from kubelab.controllers.base import Context
>>> clock = Clock(); api = APIServer(clock); api.namespace_checks = False
>>> ttl = TTLAfterFinishedController(Context(clock, api, InformerFactory(api)))
>>> job = api.client("kubectl").create({"apiVersion": "batch/v1", "kind": "Job",
...     "metadata": {"name": "done"}, "spec": {"ttlSecondsAfterFinished": 100,
...     "template": {"spec": {"restartPolicy": "Never",
...                           "containers": [{"name": "c", "image": "busybox"}]}}}})
>>> _ = api.client("job-controller").update_status(dict(job, status={"conditions": [
...     {"type": "Complete", "status": "True", "lastTransitionTime": "2025-01-01T00:00:00Z"}]}))
>>> _ = clock.run_until(99); api.get("Job", "done")["metadata"].get("deletionTimestamp")
>>> _ = clock.run_until(101); api.get("Job", "done")["metadata"]["deletionTimestamp"]
'2025-01-01T00:01:40Z'
"""

from __future__ import annotations

import contextlib

from kubelab.controllers.base import Controller
from kubelab.controllers.job import is_job_finished
from kubelab.errors import KubelabError

__all__ = ["TTLAfterFinishedController"]


class TTLAfterFinishedController(Controller):
    """Deletes finished Jobs once their ``ttlSecondsAfterFinished`` has passed."""

    name = "ttl-after-finished-controller"

    def setup(self) -> None:
        self.jobs = self.informers.get("Job")
        self.jobs.add_handler(on_add=self._maybe, on_update=self._maybe)

    def _maybe(self, job: dict, *new) -> None:
        job = new[-1] if new else job
        if job["spec"].get("ttlSecondsAfterFinished") is not None and is_job_finished(job):
            self.enqueue_object(job)

    def sync(self, key) -> None:
        namespace, name = key
        job = self.jobs.get(namespace, name)
        if job is None or job["metadata"].get("deletionTimestamp"):
            return
        ttl = job["spec"].get("ttlSecondsAfterFinished")
        finished = is_job_finished(job)
        if ttl is None or finished is None or finished[1] is None:
            return
        left = finished[1] + ttl - self.clock.now
        if left > 0:
            self.enqueue(key, delay=left)
            return
        with contextlib.suppress(KubelabError):  # gone or changed meanwhile
            self.client.delete("Job", name, namespace, propagation="Foreground")
