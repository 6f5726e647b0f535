"""Files the kubelet writes from the API: configMap, secret, downwardAPI and projected volumes.

Each function returns ``{path: (text, mode)}`` or raises :class:`MountError` with the
kubelet's message (``configmap "app-config" not found``). Keys become files unless
``items`` picks keys and renames them; ``defaultMode`` (default 0644) applies unless an
item has its own ``mode``. ``lookup(kind, name)`` returns the object or ``None``.

Examples
--------
>>> cm = {"data": {"color": "blue", "size": "L"}}
>>> config_map_files({"name": "app"}, lambda kind, name: cm)
{'color': ('blue', 420), 'size': ('L', 420)}
>>> config_map_files({"name": "app", "items": [{"key": "size", "path": "conf/size"}]},
...                  lambda kind, name: cm)
{'conf/size': ('L', 420)}
>>> config_map_files({"name": "nope"}, lambda kind, name: None)  # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
...
MountError: configmap "nope" not found
"""

from __future__ import annotations

import base64
import hashlib
import json
import math

from kubelab.api.quantity import QuantityError, parse_quantity

__all__ = [
    "DEFAULT_MODE",
    "MountError",
    "config_map_files",
    "downward_api_files",
    "projected_files",
    "secret_files",
    "service_account_token",
]

DEFAULT_MODE = 0o644  # 420, the API default of defaultMode


class MountError(Exception):
    """``MountVolume.SetUp failed``: the message after ``: ``."""


def _decode(value: str) -> str:
    try:
        return base64.b64decode(value).decode("utf-8", errors="replace")
    except (ValueError, TypeError):
        return ""


def _key_files(data: dict, source: dict, default_mode: int, missing: str) -> dict:
    items = source.get("items")
    if not items:
        return {key: (data[key], default_mode) for key in sorted(data)}
    files = {}
    for item in items:
        key = item.get("key")
        if key not in data:
            if source.get("optional"):
                continue
            raise MountError(f"{missing}: {key}")
        mode = item.get("mode")
        files[item.get("path") or key] = (data[key], default_mode if mode is None else mode)
    return files


def config_map_files(source: dict, lookup, default_mode: int | None = None) -> dict:
    """``configMap`` volume (or projection): ``data`` and ``binaryData`` keys as files."""
    mode = source.get("defaultMode", DEFAULT_MODE) if default_mode is None else default_mode
    cm = lookup("ConfigMap", source.get("name", ""))
    if cm is None:
        if source.get("optional"):
            return {}
        raise MountError(f'configmap "{source.get("name", "")}" not found')
    data = dict(cm.get("data") or {})
    data.update({k: _decode(v) for k, v in (cm.get("binaryData") or {}).items()})
    return _key_files(data, source, mode, "configmap references non-existent config key")


def secret_files(source: dict, lookup, default_mode: int | None = None) -> dict:
    """``secret`` volume (``secretName``) or projection (``name``): base64-decoded keys."""
    name = source.get("secretName") or source.get("name") or ""
    mode = source.get("defaultMode", DEFAULT_MODE) if default_mode is None else default_mode
    secret = lookup("Secret", name)
    if secret is None:
        if source.get("optional"):
            return {}
        raise MountError(f'secret "{name}" not found')
    data = {k: _decode(v) for k, v in (secret.get("data") or {}).items()}
    data.update(secret.get("stringData") or {})
    return _key_files(data, source, mode, "references non-existent secret key")


def _format_map(values: dict | None) -> str:
    """``fieldpath.FormatMap``: ``key="value"`` lines, sorted."""
    return "\n".join(f"{k}={json.dumps(v)}" for k, v in sorted((values or {}).items()))


def _field(pod: dict, path: str) -> str:
    meta = pod["metadata"]
    if path == "metadata.labels":
        return _format_map(meta.get("labels"))
    if path == "metadata.annotations":
        return _format_map(meta.get("annotations"))
    if path.startswith("metadata.labels['") or path.startswith("metadata.annotations['"):
        which, key = path.split("[", 1)
        return (meta.get(which.split(".")[1]) or {}).get(key[1:-2], "")
    simple = {
        "metadata.name": meta.get("name", ""),
        "metadata.namespace": meta.get("namespace", ""),
        "metadata.uid": meta.get("uid", ""),
        "spec.nodeName": (pod.get("spec") or {}).get("nodeName", ""),
        "spec.serviceAccountName": (pod.get("spec") or {}).get("serviceAccountName", "default"),
        "status.podIP": (pod.get("status") or {}).get("podIP", ""),
        "status.hostIP": (pod.get("status") or {}).get("hostIP", ""),
    }
    return simple.get(path, "")


def _resource(pod: dict, ref: dict, allocatable: dict) -> str:
    resource = ref.get("resource", "")
    containers = (pod.get("spec") or {}).get("containers") or []
    name = ref.get("containerName") or (containers[0]["name"] if containers else "")
    container = next((c for c in containers if c.get("name") == name), {})
    kind, _, what = resource.partition(".")
    value = ((container.get("resources") or {}).get(kind) or {}).get(what)
    if value is None and kind == "limits":
        value = allocatable.get(what)  # no limit: the node's allocatable
    try:
        amount = parse_quantity(value or 0)
        divisor = parse_quantity(ref.get("divisor") or 1) or 1
    except QuantityError:
        return "0"
    return str(math.ceil(amount / divisor))


def downward_api_files(
    source: dict, pod: dict, allocatable: dict, default_mode: int | None = None
) -> dict:
    """``downwardAPI`` items: pod fields and container resources as files."""
    mode = source.get("defaultMode", DEFAULT_MODE) if default_mode is None else default_mode
    files = {}
    for item in source.get("items") or ():
        if item.get("fieldRef"):
            text = _field(pod, item["fieldRef"].get("fieldPath", ""))
        else:
            text = _resource(pod, item.get("resourceFieldRef") or {}, allocatable)
        files[item.get("path", "")] = (text, mode if item.get("mode") is None else item["mode"])
    return files


def service_account_token(pod: dict, audience: str, issued: float, seconds: int) -> str:
    """A JWT-shaped bound token: header.payload.signature (the signature is a stand-in)."""
    meta = pod["metadata"]
    sa = (pod.get("spec") or {}).get("serviceAccountName") or "default"
    claims = {
        "aud": [audience or "https://kubernetes.default.svc.cluster.local"],
        "exp": int(issued) + int(seconds),
        "iat": int(issued),
        "iss": "https://kubernetes.default.svc.cluster.local",
        "kubernetes.io": {
            "namespace": meta.get("namespace", ""),
            "pod": {"name": meta.get("name", ""), "uid": meta.get("uid", "")},
            "serviceaccount": {"name": sa},
        },
        "sub": f"system:serviceaccount:{meta.get('namespace', '')}:{sa}",
    }

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    header = b64(json.dumps({"alg": "RS256", "kid": "kubelab"}, separators=(",", ":")).encode())
    payload = b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
    signature = b64(hashlib.sha256(f"{header}.{payload}".encode()).digest())
    return f"{header}.{payload}.{signature}"


def projected_files(source: dict, pod: dict, lookup, allocatable: dict, now: float) -> dict:
    """``projected``: secrets, configMaps, downwardAPI items and service account tokens in one dir."""
    mode = source.get("defaultMode", DEFAULT_MODE)
    files: dict = {}
    for part in source.get("sources") or ():
        if part.get("secret") is not None:
            files.update(secret_files(part["secret"], lookup, mode))
        elif part.get("configMap") is not None:
            files.update(config_map_files(part["configMap"], lookup, mode))
        elif part.get("downwardAPI") is not None:
            files.update(downward_api_files(part["downwardAPI"], pod, allocatable, mode))
        elif part.get("serviceAccountToken") is not None:
            token = part["serviceAccountToken"]
            text = service_account_token(
                pod, token.get("audience", ""), now, token.get("expirationSeconds", 3600)
            )
            files[token.get("path", "token")] = (text, mode)
    return files
