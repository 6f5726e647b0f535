"""The generic describer (kinds without their own): every field, camelCase keys spelled out.

>>> _smart_label("apiVersion"), _smart_label("creationTimestamp"), _smart_label("podCIDR")
('API Version', 'Creation Timestamp', 'Pod CIDR')
"""

from __future__ import annotations

import re

from kubelab.kubectl.describe_common import (
    Related,
    Writer,
    annotations_multiline,
    describe_events,
    labels_multiline,
)

__all__ = ["describe_generic"]


def _smart_label(field: str) -> str:
    # describe's smartLabelFor: camelCase → Title Words, with common acronyms upper-cased.
    words = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+|[A-Z]", field) or [field]
    acronyms = {
        "api",
        "cidr",
        "dns",
        "http",
        "https",
        "id",
        "ip",
        "ips",
        "json",
        "tls",
        "uid",
        "url",
        "uuid",
    }
    return " ".join(w.upper() if w.lower() in acronyms else w[:1].upper() + w[1:] for w in words)


def _go_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "<nil>" if value is None else str(value)


def _unstructured(w: Writer, level: int, content: dict, prefix: str, skip: set[str]) -> None:
    for key in sorted(content):
        path, value = f"{prefix}.{key}", content[key]
        if path in skip:
            continue
        if isinstance(value, dict):
            w.write(level, f"{_smart_label(key)}:\n")
            _unstructured(w, level + 1, value, path, skip)
        elif isinstance(value, list):
            w.write(level, f"{_smart_label(key)}:\n")
            for item in value:
                if isinstance(item, dict):
                    _unstructured(w, level + 1, item, path, skip)
                else:
                    w.write(level + 1, f"{item}\n")
        else:
            w.write(level, f"{_smart_label(key)}:\t{_go_value(value)}\n")


def describe_generic(obj: dict, rel: Related) -> str:
    """The generic describer: every field of the object, then its Events."""
    w, meta = Writer(), obj["metadata"]
    w.write(0, f"Name:\t{meta['name']}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    skip = {
        ".metadata.managedFields",
        ".metadata.name",
        ".metadata.namespace",
        ".metadata.labels",
        ".metadata.annotations",
    }
    _unstructured(w, 0, obj, "", skip)
    describe_events(w, rel.events, rel.now)
    return w.text()
