"""The reconcile loop every controller is built on.

A controller subscribes to informers in :meth:`Controller.setup` and turns
events into keys on its work queue; :meth:`Controller.sync` reads desired and
current state for one key and acts through the API server to close the gap.
The queue is drained in a clock callback, so writes never re-enter a controller.

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

from dataclasses import dataclass, field

from kubelab.sim import NORMAL, Clock, rng

__all__ = ["Context", "Controller"]


@dataclass
class Context:
    """What every component is given: the clock, the API server, shared informers, the seed."""

    clock: Clock
    api: object
    informers: object
    seed: int = 0
    config: dict = field(default_factory=dict)


class Controller:
    """Base class: a de-duplicating work queue drained on the clock."""

    name = "controller"
    priority = NORMAL

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.clock = ctx.clock
        self.client = ctx.api.client(self.name)
        self.informers = ctx.informers
        self.rng = rng(ctx.seed, self.name)
        self.config = ctx.config
        self._queue: dict = {}
        self._drain_scheduled = False
        self.setup()

    def setup(self) -> None:
        """Subscribe to informers. Override."""

    def sync(self, key) -> None:
        """Reconcile one object. Override."""
        raise NotImplementedError

    def enqueue(self, key, delay: float = 0.0) -> None:
        """Ask for ``sync(key)`` now, or after ``delay`` simulated seconds."""
        if delay > 0:
            self.clock.call_later(delay, self.enqueue, key)
            return
        self._queue[key] = None
        if not self._drain_scheduled:
            self._drain_scheduled = True
            self.clock.call_later(0, self._drain, priority=self.priority)

    def enqueue_object(self, obj: dict, *_ignored) -> None:
        """Handler helper: enqueue ``(namespace, name)`` of an object (for on_update, the new one)."""
        if _ignored:
            obj = _ignored[-1]
        meta = obj["metadata"]
        self.enqueue((meta.get("namespace", ""), meta["name"]))

    def _drain(self) -> None:
        self._drain_scheduled = False
        batch, self._queue = self._queue, {}
        for key in batch:
            self.sync(key)
