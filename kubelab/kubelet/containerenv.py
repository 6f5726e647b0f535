"""The environment a container's processes see: ``PATH``, ``HOSTNAME``, ``env``, ``envFrom``.

Values from ConfigMaps, Secrets, the pod's fields and its resources are resolved as the
kubelet does when it starts the container (``makeEnvironmentVariables``), followed by the
``KUBERNETES_*`` variables of the default API service and ``HOME``.
"""

from __future__ import annotations

import base64

from kubelab.errors import KubelabError
from kubelab.storage.projection import _field, _resource

__all__ = ["COMMAND_PATH", "container_env", "hostname"]

COMMAND_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def container_env(client, pod: dict, spec: dict, allocatable: dict | None = None) -> dict:
    """The environment a container's processes see (``PATH``, ``HOSTNAME``, env, envFrom …)."""
    ns = pod["metadata"].get("namespace", "default")
    env = {"PATH": COMMAND_PATH, "HOSTNAME": hostname(pod)}

    def get(kind, name):
        try:
            return client.get(kind, name, ns)
        except KubelabError:
            return None

    for source in spec.get("envFrom") or ():
        prefix = source.get("prefix", "")
        if source.get("configMapRef"):
            obj = get("ConfigMap", source["configMapRef"].get("name", "")) or {}
            env.update({prefix + k: v for k, v in (obj.get("data") or {}).items()})
        elif source.get("secretRef"):
            obj = get("Secret", source["secretRef"].get("name", "")) or {}
            env.update({prefix + k: _b64(v) for k, v in (obj.get("data") or {}).items()})
    for var in spec.get("env") or ():
        value_from = var.get("valueFrom")
        if not value_from:
            env[var["name"]] = str(var.get("value", ""))
            continue
        if value_from.get("configMapKeyRef"):
            ref = value_from["configMapKeyRef"]
            value = ((get("ConfigMap", ref.get("name", "")) or {}).get("data") or {}).get(
                ref.get("key")
            )
        elif value_from.get("secretKeyRef"):
            ref = value_from["secretKeyRef"]
            raw = ((get("Secret", ref.get("name", "")) or {}).get("data") or {}).get(ref.get("key"))
            value = None if raw is None else _b64(raw)
        elif value_from.get("fieldRef"):
            value = _field(pod, value_from["fieldRef"].get("fieldPath", ""))
        else:
            ref = dict(value_from.get("resourceFieldRef") or {})
            ref.setdefault("containerName", spec.get("name"))
            value = _resource(pod, ref, allocatable or {})
        if value is not None:
            env[var["name"]] = value
    # Service variables come last and never override the container's own (upstream
    # skips a service variable whose name the env already has).
    for name, value in {
        "KUBERNETES_SERVICE_HOST": "10.96.0.1",
        "KUBERNETES_SERVICE_PORT": "443",
        "KUBERNETES_SERVICE_PORT_HTTPS": "443",
        "KUBERNETES_PORT": "tcp://10.96.0.1:443",
        "KUBERNETES_PORT_443_TCP": "tcp://10.96.0.1:443",
        "KUBERNETES_PORT_443_TCP_PROTO": "tcp",
        "KUBERNETES_PORT_443_TCP_PORT": "443",
        "KUBERNETES_PORT_443_TCP_ADDR": "10.96.0.1",
    }.items():
        env.setdefault(name, value)
    env.setdefault("HOME", "/root")
    return env


def _b64(value: str) -> str:
    try:
        return base64.b64decode(value).decode("utf-8", errors="replace")
    except (ValueError, TypeError):
        return ""


def hostname(pod: dict) -> str:
    """The pod's host name: ``spec.hostname``, else its name."""
    return (pod.get("spec") or {}).get("hostname") or pod["metadata"]["name"]
