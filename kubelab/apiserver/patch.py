"""The three patch types the API server accepts: JSON merge, strategic merge, JSON patch.

Strategic merge patch merges lists of named things (containers, volumes, env, ports...)
element by element, as kubectl relies on; other lists are replaced whole.

Examples
--------
>>> live = {"spec": {"containers": [{"name": "app", "image": "nginx:1.25"}, {"name": "log", "image": "busybox"}]}}
>>> strategic_merge(live, {"spec": {"containers": [{"name": "app", "image": "nginx:1.26"}]}})["spec"]["containers"]
[{'name': 'app', 'image': 'nginx:1.26'}, {'name': 'log', 'image': 'busybox'}]
>>> merge_patch({"a": {"b": 1, "c": 2}}, {"a": {"c": None}})
{'a': {'b': 1}}
>>> json_patch({"spec": {"replicas": 1}}, [{"op": "replace", "path": "/spec/replicas", "value": 3}])
{'spec': {'replicas': 3}}
"""

from __future__ import annotations

import copy

from kubelab.errors import BadRequest

__all__ = ["MERGE_KEYS", "json_patch", "merge_patch", "strategic_merge"]

# field name → merge key, as x-kubernetes-patch-merge-key in the upstream schemas.
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "volumes": "name",
    "env": "name",
    "imagePullSecrets": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "ports": "containerPort",  # service ports use "port": see _merge_key
    "ownerReferences": "uid",
    "conditions": "type",
    "hostAliases": "ip",
    "topologySpreadConstraints": "topologyKey",
}


def merge_patch(target, patch):
    """RFC 7386 JSON merge patch: maps merge, ``null`` deletes, everything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _merge_key(field: str, items: list) -> str | None:
    if field == "ports" and items and isinstance(items[0], dict) and "port" in items[0]:
        return "port"
    return MERGE_KEYS.get(field)


def strategic_merge(target, patch, field: str = ""):
    """Apply a strategic merge patch (with ``$patch``, ``$retainKeys`` and ``$setElementOrder``)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    if patch.get("$patch") == "delete":
        return None
    result = dict(target) if isinstance(target, dict) else {}
    retain = patch.get("$retainKeys")
    orders = {}
    for key, value in patch.items():
        if key.startswith("$setElementOrder/"):
            orders[key.split("/", 1)[1]] = value
            continue
        if key.startswith("$"):
            continue
        if value is None:
            result.pop(key, None)
        elif isinstance(value, list):
            result[key] = _merge_list(result.get(key), value, key)
        else:
            result[key] = strategic_merge(result.get(key), value, key)
    for key, order in orders.items():
        merge_key = _merge_key(key, order)
        if merge_key and isinstance(result.get(key), list):
            rank = {item.get(merge_key): i for i, item in enumerate(order)}
            result[key] = sorted(result[key], key=lambda it: rank.get(it.get(merge_key), len(rank)))
    if retain is not None:
        result = {k: v for k, v in result.items() if k in retain}
    return result


def _merge_list(current, patch: list, field: str) -> list:
    merge_key = _merge_key(field, patch or current or [])
    if not merge_key or not all(isinstance(p, dict) for p in patch):
        return copy.deepcopy(patch)
    merged = [dict(item) for item in current or []]
    index = {item.get(merge_key): i for i, item in enumerate(merged)}
    deleted = set()
    for item in patch:
        key = item.get(merge_key)
        if item.get("$patch") == "delete":
            deleted.add(key)
        elif key in index:
            merged[index[key]] = strategic_merge(merged[index[key]], item, field)
        else:
            index[key] = len(merged)
            merged.append(strategic_merge({}, item, field))
    return [item for item in merged if item.get(merge_key) not in deleted]


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise BadRequest(
            f"the server rejected our request due to an error in our request: invalid JSON pointer {path!r}"
        )
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def json_patch(target: dict, operations: list[dict]) -> dict:
    """RFC 6902 JSON patch (add, remove, replace, test, copy, move)."""
    doc = copy.deepcopy(target)

    def walk(parts):
        node = doc
        for part in parts[:-1]:
            node = node[int(part)] if isinstance(node, list) else node[part]
        return node, parts[-1]

    try:
        for op in operations:
            kind, parts = op["op"], _pointer(op["path"])
            if kind in ("add", "replace"):
                parent, last = walk(parts)
                if isinstance(parent, list):
                    idx = len(parent) if last == "-" else int(last)
                    if kind == "add":
                        parent.insert(idx, copy.deepcopy(op["value"]))
                    else:
                        parent[idx] = copy.deepcopy(op["value"])
                else:
                    if kind == "replace" and last not in parent:
                        raise KeyError(last)
                    parent[last] = copy.deepcopy(op["value"])
            elif kind == "remove":
                parent, last = walk(parts)
                del parent[int(last) if isinstance(parent, list) else last]
            elif kind == "test":
                parent, last = walk(parts)
                value = parent[int(last)] if isinstance(parent, list) else parent[last]
                if value != op["value"]:
                    raise BadRequest(f"testing value {op['path']} failed")
            elif kind in ("copy", "move"):
                src_parent, src_last = walk(_pointer(op["from"]))
                value = (
                    src_parent[int(src_last)]
                    if isinstance(src_parent, list)
                    else src_parent[src_last]
                )
                if kind == "move":
                    del src_parent[int(src_last) if isinstance(src_parent, list) else src_last]
                json_patch_target = walk(parts)
                json_patch_target[0][json_patch_target[1]] = copy.deepcopy(value)
            else:
                raise BadRequest(f"Unexpected kind: {kind}")
    except (KeyError, IndexError, ValueError, TypeError) as exc:
        raise BadRequest(
            f"the server rejected our request due to an error in our request: {exc}"
        ) from None
    return doc
