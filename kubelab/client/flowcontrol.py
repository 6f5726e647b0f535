"""Rate limits on the simulated clock: client-go's ``util/flowcontrol`` token bucket and
``util/workqueue``'s default controller rate limiter.

A :class:`TokenBucket` holds ``burst`` tokens and refills ``qps`` a second. Taking a token
never blocks (nothing blocks on a simulated clock): like ``rate.Limiter.Reserve`` it may
leave the bucket in debt and says how long the caller would have waited.
:class:`ControllerRateLimiter` is ``workqueue.DefaultControllerRateLimiter()``: per key,
5 ms doubling on every requeue up to 1000 s, reset by :meth:`~ControllerRateLimiter.forget`;
over all keys, 10 requeues a second with a burst of 100.

Examples
--------
>>> from kubelab.sim import Clock
>>> clock = Clock()
>>> bucket = TokenBucket(clock, qps=20, burst=30)
>>> [bucket.reserve() for _ in range(32)][-3:]   # the 31st and 32nd wait 50 and 100 ms
[0.0, 0.05, 0.1]
>>> limiter = ControllerRateLimiter(clock)
>>> [limiter.when("a") for _ in range(4)], limiter.num_requeues("a")
([0.005, 0.01, 0.02, 0.04], 4)
>>> limiter.forget("a"); limiter.when("a")
0.005
"""

from __future__ import annotations

__all__ = ["ControllerRateLimiter", "TokenBucket"]


class TokenBucket:
    """``flowcontrol.NewTokenBucketRateLimiter(qps, burst)`` on simulated time.

    Parameters
    ----------
    clock : Clock
        The cluster's clock.
    qps : float
        Tokens added per simulated second.
    burst : int
        The bucket's size (and its tokens at the start).
    """

    def __init__(self, clock, qps: float, burst: int):
        if qps <= 0 or burst < 1:
            raise ValueError("a token bucket needs qps > 0 and burst >= 1")
        self.clock, self.qps, self.burst = clock, float(qps), float(burst)
        self._tokens, self._last = float(burst), clock.now

    def _refill(self) -> float:
        now = self.clock.now
        if now > self._last:
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.qps)
            self._last = now
        return self._tokens

    def reserve(self) -> float:
        """Take a token; return how many seconds the caller would wait for it (0: none)."""
        self._tokens = self._refill() - 1.0
        return max(0.0, -self._tokens) / self.qps

    def delay(self) -> float:
        """Seconds until every token taken so far is paid back (0: the bucket is not in debt)."""
        debt = -self._refill()
        return debt / self.qps if debt > 1e-9 else 0.0  # rounding never leaves a debt


class ControllerRateLimiter:
    """``workqueue.DefaultControllerRateLimiter()``: the larger of a per-key exponential
    back-off (``base`` doubling up to ``cap``) and one token bucket over every key.

    Examples
    --------
    >>> from kubelab.sim import Clock
    >>> limiter = ControllerRateLimiter(Clock())
    >>> [limiter.when("k") for _ in range(20)][-3:]   # capped at 1000 s
    [655.36, 1000.0, 1000.0]
    """

    def __init__(
        self,
        clock,
        *,
        base: float = 0.005,
        cap: float = 1000.0,
        qps: float = 10.0,
        burst: int = 100,
    ):
        self.base, self.cap = base, cap
        self.bucket = TokenBucket(clock, qps, burst)
        self._failures: dict = {}

    def when(self, key) -> float:
        """``When``: how long to wait before the key's next try; counts one more requeue."""
        failures = self._failures.get(key, 0)
        self._failures[key] = failures + 1
        backoff = self.cap if failures >= 64 else min(self.base * 2**failures, self.cap)
        return max(backoff, self.bucket.reserve())

    def num_requeues(self, key) -> int:
        """``NumRequeues``: requeues since the key was last forgotten."""
        return self._failures.get(key, 0)

    def forget(self, key) -> None:
        """``Forget``: the key's back-off starts again at ``base``."""
        self._failures.pop(key, None)
