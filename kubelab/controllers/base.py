"""The reconcile loop every controller is built on.

A controller subscribes to informers in :meth:`Controller.setup` and turns
events into keys on its work queue; :meth:`Controller.sync` reads desired and
current state for one key and acts through the API server to close the gap.
The queue is drained in a clock callback, so writes never re-enter a controller.

The queue behaves like client-go's rate-limited work queue: a key is queued once however
often it is added; a delayed add keeps the earliest time (``AddAfter``); a failed sync
(a :class:`~kubelab.errors.KubelabError` out of :meth:`Controller.sync`) is retried with
the default controller rate limiter's back-off (``AddRateLimited``: 5 ms doubling to
1000 s), which a successful sync resets (``Forget``) unless it asked for a rate-limited
requeue itself (a Deployment still stuck past its progress deadline: its checks space
out instead of recurring every 5 ms). Every controller writes through a
client limited like kube-controller-manager's (``--kube-api-qps`` 20, ``--kube-api-burst``
30): past the burst, the queue waits in simulated time until the bucket has paid back.

Examples
--------
>>> from kubelab.sim import Clock
>>> from kubelab.apiserver import APIServer
>>> from kubelab.client import InformerFactory
>>> clock = Clock(); api = APIServer(clock); api.namespace_checks = False
>>> class Echo(Controller):
...     name = "echo-controller"
...     def setup(self):
...         self.informers.get("ConfigMap").add_handler(on_add=self.enqueue_object)
...         self.seen = []
...     def sync(self, key):
...         self.seen.append((self.clock.now, key))
>>> echo = Echo(Context(clock, api, InformerFactory(api), seed=0))
>>> _ = api.client("kubectl").create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}})
>>> _ = clock.run_until(1); echo.seen
[(0.0, ('default', 'a'))]
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from kubelab.client.flowcontrol import ControllerRateLimiter
from kubelab.errors import KubelabError
from kubelab.sim import NORMAL, Clock, rng

__all__ = ["Context", "Controller", "only_status_changed"]


@dataclass
class Context:
    """What every component is given: the clock, the API server, shared informers, the seed."""

    clock: Clock
    api: object
    informers: object
    seed: int = 0
    config: dict = field(default_factory=dict)


def only_status_changed(old: dict, new: dict, meta_keys: tuple[str, ...]) -> bool:
    """Whether an update left ``spec`` and the named ``metadata`` fields alone: a controller's
    own status write, which its informer handler skips.

    Examples
    --------
    >>> a = {"spec": {"replicas": 1}, "metadata": {"labels": {"app": "web"}}, "status": {}}
    >>> only_status_changed(a, {**a, "status": {"replicas": 1}}, ("labels",))
    True
    >>> only_status_changed(a, {**a, "metadata": {"labels": {}}}, ("labels",))
    False
    """
    om, nm = old["metadata"], new["metadata"]
    return old.get("spec") == new.get("spec") and all(om.get(k) == nm.get(k) for k in meta_keys)


class Controller:
    """Base class: a de-duplicating, rate-limited work queue drained on the clock."""

    name = "controller"
    priority = NORMAL
    # kube-controller-manager's --kube-api-qps / --kube-api-burst, per controller client
    # (None: not limited)
    qps: float | None = 20.0
    burst: int = 30
    # handleErr: after this many failed syncs in a row, drop the key until it changes
    # (None: retry forever)
    max_retries: int | None = None
    # the rate limiter's per-key back-off: retry_base doubling up to retry_cap seconds
    retry_base, retry_cap = 0.005, 1000.0

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.clock = ctx.clock
        self.client = ctx.api.client(self.name, qps=self.qps, burst=self.burst)
        self.informers = ctx.informers
        self.rng = rng(ctx.seed, self.name)
        self.config = ctx.config
        self.rate_limiter = ControllerRateLimiter(
            self.clock, base=self.retry_base, cap=self.retry_cap
        )
        self._queue: OrderedDict = OrderedDict()  # keys waiting, in order; each once
        self._waiting: dict = {}  # key → Timer of its earliest delayed add
        self._drain_scheduled = False
        self._syncing, self._requeued = None, False
        self.setup()

    def setup(self) -> None:
        """Subscribe to informers. Override."""

    def sync(self, key) -> None:
        """Reconcile one object. Override. A ``KubelabError`` out of here retries the key
        with back-off (:meth:`add_rate_limited`)."""
        raise NotImplementedError

    def enqueue(self, key, delay: float = 0.0) -> None:
        """Ask for ``sync(key)`` now, or after ``delay`` simulated seconds (``AddAfter``:
        a key already waiting keeps the earlier of the two times)."""
        if delay > 0:
            when = self.clock.now + delay
            timer = self._waiting.get(key)
            if timer is not None and not timer.cancelled:
                if timer.when <= when:
                    return
                timer.cancel()
            self._waiting[key] = self.clock.call_at(when, self._delay_over, key)
            return
        self._queue[key] = None
        if not self._drain_scheduled:
            self._drain_scheduled = True
            self.clock.call_later(0, self._drain, priority=self.priority)

    def _delay_over(self, key) -> None:
        self._waiting.pop(key, None)
        self.enqueue(key)

    def add_rate_limited(self, key) -> None:
        """``AddRateLimited``: sync ``key`` again after its back-off, which doubles on every
        call until :meth:`forget`. A sync that asks for this is not forgotten after it."""
        if key == self._syncing:
            self._requeued = True
        self.enqueue(key, delay=self.rate_limiter.when(key))

    def forget(self, key) -> None:
        """``Forget``: the key's back-off starts again at 5 ms."""
        self.rate_limiter.forget(key)

    def num_requeues(self, key) -> int:
        """``NumRequeues``: rate-limited requeues since the key was last forgotten."""
        return self.rate_limiter.num_requeues(key)

    def enqueue_object(self, obj: dict, *_ignored) -> None:
        """Handler helper: enqueue ``(namespace, name)`` of an object (for on_update, the new one)."""
        if _ignored:
            obj = _ignored[-1]
        meta = obj["metadata"]
        self.enqueue((meta.get("namespace", ""), meta["name"]))

    def _drain(self) -> None:
        """Sync the keys that were waiting when the drain began (later ones: the next drain).
        A key added again while it waits is synced once, as upstream's work queue does."""
        self._drain_scheduled = False
        queue = self._queue
        for _ in range(len(queue)):
            wait = self.client.throttle_delay()
            if wait > 0:  # client-side throttling: the rest waits for the bucket, in order
                if not self._drain_scheduled:
                    self._drain_scheduled = True
                    self.clock.call_later(wait, self._drain, priority=self.priority)
                return
            key, _ = queue.popitem(last=False)
            self._process(key)

    def _process(self, key) -> None:
        """``processNextWorkItem`` + ``handleErr``."""
        self._syncing, self._requeued = key, False
        try:
            self.sync(key)
        except KubelabError:
            if self.max_retries is None or self.num_requeues(key) < self.max_retries:
                self.add_rate_limited(key)
            else:
                self.forget(key)
            return
        finally:
            self._syncing = None
        if not self._requeued:
            self.forget(key)
