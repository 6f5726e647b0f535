"""Events and the API server's audit log as tidy DataFrames."""

from __future__ import annotations

__all__ = ["AUDIT_COLUMNS", "EVENT_COLUMNS", "audit_frame", "events_frame"]

EVENT_COLUMNS = ["time", "namespace", "kind", "name", "type", "reason", "message", "source"]
AUDIT_COLUMNS = ["time", "user", "verb", "kind", "namespace", "name", "code"]


def events_frame(api):
    """Every Event occurrence of the last hour (``--event-ttl``), in order (repeats of an
    aggregated event are separate rows)."""
    import pandas as pd

    return pd.DataFrame(list(api.events.log.trim()), columns=EVENT_COLUMNS)


def audit_frame(api):
    """Every request the API server served in the last hour: time, user (component), verb,
    object, HTTP code."""
    import pandas as pd

    return pd.DataFrame(list(api.audit.trim()), columns=AUDIT_COLUMNS)
