"""Summaries of a ``c.traffic(...)`` frame over time windows (what the traffic plots draw).

Examples
--------
>>> import pandas as pd
>>> t = pd.DataFrame({"time": [0.0, 0.5, 1.0, 1.5], "pod": ["a", "b", "a", None],
...                   "version": ["v1", "v1", "v2", None],
...                   "status": [200, 200, 200, "connection refused"]})
>>> success_rate(t).tolist()
[1.0, 0.5]
>>> version_share(t).round(2).values.tolist()
[[1.0, 0.0], [0.0, 1.0]]
>>> failures(t), pod_spread(t).to_dict()
(1, {'a': 2, 'b': 1})
"""

from __future__ import annotations

__all__ = ["failed", "failures", "pod_spread", "success_rate", "summary", "version_share"]


def failed(frame):
    """Boolean Series: the request did not get a 2xx answer."""
    return ~frame["status"].astype(str).str.match(r"^2\d\d$")


def failures(frame) -> int:
    """How many requests failed (no 2xx answer)."""
    return int(failed(frame).sum())


def _bins(frame, freq: float):
    import numpy as np

    return np.floor(frame["time"] / freq) * freq


def success_rate(frame, freq: float = 1.0):
    """Share of requests answered 2xx per time bin of ``freq`` seconds (a Series indexed by time)."""
    ok = (~failed(frame)).astype(float)
    out = ok.groupby(_bins(frame, freq)).mean()
    out.index.name = "time"
    return out.rename("success_rate")


def version_share(frame, freq: float = 1.0):
    """Per time bin, the share of *successful* answers served by each version."""
    good = frame[~failed(frame)]
    counts = good.groupby([_bins(good, freq), "version"]).size().unstack(fill_value=0)
    out = counts.div(counts.sum(axis=1), axis=0)
    out.index.name = "time"
    return out


def pod_spread(frame):
    """Requests answered per pod (a Series sorted by pod name)."""
    return frame.dropna(subset=["pod"]).groupby("pod").size().sort_index()


def summary(frame) -> dict:
    """Totals: requests, ok, failed, success rate, answers per version and per status."""
    bad = failed(frame)
    total = len(frame)
    return {
        "requests": total,
        "ok": int(total - bad.sum()),
        "failed": int(bad.sum()),
        "success_rate": float(1 - bad.mean()) if total else float("nan"),
        "versions": frame[~bad].groupby("version").size().to_dict(),
        "statuses": frame["status"].astype(str).value_counts().sort_index().to_dict(),
    }
