"""The three-way patch behind ``kubectl apply``.

kubectl compares the last applied manifest (kept in an annotation), the new
manifest and the live object: fields in the manifest win, fields that were in the
last manifest but are gone from the new one are deleted, and fields nobody applied
(set by controllers or ``kubectl scale``) are left alone.

Examples
--------
>>> last = {"metadata": {"labels": {"app": "web", "tier": "fe"}}, "spec": {"replicas": 3}}
>>> new = {"metadata": {"labels": {"app": "web"}}, "spec": {"replicas": 3}}
>>> three_way_patch(last, new)
{'metadata': {'labels': {'app': 'web', 'tier': None}}, 'spec': {'replicas': 3}}
"""

from __future__ import annotations

import copy

from kubelab.apiserver.patch import MERGE_KEYS

__all__ = ["three_way_patch"]


def three_way_patch(last: dict, new: dict, field: str = "") -> dict:
    """A strategic merge patch: ``new`` plus deletions of what ``last`` had and ``new`` lacks."""
    patch = copy.deepcopy(new)
    for key, old_value in (last or {}).items():
        if key not in new:
            patch[key] = None
        elif isinstance(old_value, dict) and isinstance(new[key], dict):
            patch[key] = three_way_patch(old_value, new[key], key)
        elif isinstance(old_value, list) and isinstance(new[key], list):
            merge_key = MERGE_KEYS.get(key)
            if key == "ports" and new[key] and "port" in (new[key][0] or {}):
                merge_key = "port"
            if merge_key and all(isinstance(i, dict) for i in old_value + new[key]):
                kept = {i.get(merge_key) for i in new[key]}
                olds = {i.get(merge_key): i for i in old_value}
                items = [
                    three_way_patch(olds[i.get(merge_key)], i, key)
                    if i.get(merge_key) in olds
                    else copy.deepcopy(i)
                    for i in new[key]
                ]
                items += [{merge_key: k, "$patch": "delete"} for k in olds if k not in kept]
                patch[key] = items
                patch[f"$setElementOrder/{key}"] = [{merge_key: i.get(merge_key)} for i in new[key]]
    return patch
