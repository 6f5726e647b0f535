"""The ``Priority`` admission plugin's PriorityClass half (``plugin/pkg/admission/priority``).

At most one PriorityClass may be the ``globalDefault``: creating a second one, or marking
another existing class as default, is forbidden. (The plugin's other half, resolving a pod's
``priorityClassName`` into ``priority``, is not simulated yet: pods keep priority 0.)

Examples
--------
>>> first = {"kind": "PriorityClass", "metadata": {"name": "first"}, "globalDefault": True}
>>> class FakeAPI:
...     def list(self, kind): return [first]
>>> second = {"kind": "PriorityClass", "metadata": {"name": "second"}, "globalDefault": True}
>>> Priority().validate(FakeAPI(), second, None, dry_run=False)
Traceback (most recent call last):
...
kubelab.errors.Forbidden: Error from server (Forbidden): priorityclasses.scheduling.k8s.io "second" is forbidden: PriorityClass first is already marked as default. Only one default can exist
"""

from __future__ import annotations

from kubelab.apiserver.admission import AdmissionPlugin
from kubelab.apiserver.limitranger import forbidden

__all__ = ["Priority", "default_priority_class"]


def default_priority_class(classes) -> dict | None:
    """``getDefaultPriorityClass``: the default with the lowest value if a race made several."""
    defaults = [c for c in classes if c.get("globalDefault")]
    return min(defaults, key=lambda c: c.get("value", 0), default=None)


class Priority(AdmissionPlugin):
    kinds = ("PriorityClass",)

    def validate(self, api, obj: dict, old: dict | None, *, dry_run: bool) -> None:
        if not obj.get("globalDefault"):
            return
        current = default_priority_class(api.list("PriorityClass"))
        if current is None:
            return
        name = current["metadata"]["name"]
        if old is None or name != obj["metadata"].get("name"):
            raise forbidden(
                "priorityclasses.scheduling.k8s.io",
                obj,
                f"PriorityClass {name} is already marked as default. Only one default can exist",
            )
