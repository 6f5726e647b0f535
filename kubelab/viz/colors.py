"""Colours shared by every kubelab picture, so one owner has one colour everywhere.

Owners (and versions, nodes) get colours in the order they first appear in the cluster's
history: the first ReplicaSet is blue, the next orange, ... The same cluster therefore
colours ``frontend`` the same way in :func:`~kubelab.viz.draw_cluster` and in
:func:`~kubelab.viz.plot_history`, however many pods each picture shows.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "NO_OWNER",
    "PALETTE",
    "PHASE_COLORS",
    "Palette",
    "first_seen",
]

# matplotlib's "tab10" (colour-blind friendlier than the default cycle), then "tab20"'s pale half.
PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
    "#aec7e8",
    "#ffbb78",
    "#98df8a",
    "#ff9896",
    "#c5b0d5",
    "#c49c94",
    "#f7b6d2",
    "#9edae5",
    "#dbdb8d",
    "#c7c7c7",
)

PHASE_COLORS = {
    "Running": "#2ca02c",
    "Pending": "#ffbf00",
    "Succeeded": "#1f77b4",
    "Failed": "#d62728",
    "Terminating": "#9e9e9e",
    "Unknown": "#9467bd",
}

NO_OWNER = "(no owner)"


def first_seen(history, column: str, kinds: Iterable[str] = ("Pod",)) -> list:
    """Values of ``column`` in the order they first appear in a history frame.

    Parameters
    ----------
    history : pandas.DataFrame
        Rows shaped like :data:`kubelab.observe.HISTORY_COLUMNS` (``c.history``).
    column : str
        ``"owner"``, ``"version"``, ``"node"`` ...
    kinds : iterable of str
        Only rows of these kinds count.

    Examples
    --------
    >>> import pandas as pd
    >>> h = pd.DataFrame({"kind": ["Pod", "Pod", "Pod"], "owner": ["web", None, "api"]})
    >>> first_seen(h, "owner")
    ['web', 'api']
    """
    if history is None or len(history) == 0 or column not in history:
        return []
    rows = history[history["kind"].isin(list(kinds))] if "kind" in history else history
    return [v for v in dict.fromkeys(rows[column].dropna()) if v != ""]


class Palette:
    """A stable value → colour mapping: known values first (in order), others as they come.

    Parameters
    ----------
    order : iterable
        Values whose colours are fixed first, e.g. from :func:`first_seen`.
    fixed : dict, optional
        Colours that never change (phases, ``"(no owner)"``).

    Examples
    --------
    >>> p = Palette(["web", "api"])
    >>> p["api"], p["web"]
    ('#ff7f0e', '#1f77b4')
    >>> p["db"]  # a value not seen before takes the next colour
    '#2ca02c'
    >>> Palette([], fixed=PHASE_COLORS)["Running"]
    '#2ca02c'
    """

    def __init__(self, order: Iterable = (), fixed: dict | None = None):
        self.fixed = dict(fixed or {})
        self.fixed.setdefault(NO_OWNER, "#bdbdbd")
        self._colors: dict = {}
        for value in order:
            self[value]

    def __getitem__(self, value) -> str:
        if value in self.fixed:
            return self.fixed[value]
        if value not in self._colors:
            self._colors[value] = PALETTE[len(self._colors) % len(PALETTE)]
        return self._colors[value]
