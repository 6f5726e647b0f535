"""``-o yaml``, ``-o json``, ``-o name`` and ``-o jsonpath=...`` as kubectl writes them.

YAML follows kubectl's printer (``sigs.k8s.io/yaml`` over go-yaml v2): keys sorted
at every level, block style, list items not indented under their key, strings
that would read as another type (``"true"``, ``"80"``, timestamps) in double
quotes, multi-line strings as ``|`` blocks, no line wrapping. JSON is Go's
``MarshalIndent`` with four spaces (``<``, ``>``, ``&`` escaped as Go does).

Examples
--------
>>> obj = {"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "web",
...        "creationTimestamp": "2025-01-01T00:00:00Z", "labels": {"on": "true"}},
...        "spec": {"containers": [{"name": "app", "image": "nginx", "ports": [{"containerPort": 80}]}]}}
>>> print(to_yaml(obj), end="")
apiVersion: v1
kind: Pod
metadata:
  creationTimestamp: "2025-01-01T00:00:00Z"
  labels:
    "on": "true"
  name: web
spec:
  containers:
  - image: nginx
    name: app
    ports:
    - containerPort: 80
>>> to_name(obj), to_name({"kind": "Deployment", "metadata": {"name": "web"}})
('pod/web', 'deployment.apps/web')
>>> list_wrapper([])["metadata"]
{'resourceVersion': ''}
"""

from __future__ import annotations

import json
import re

import yaml

from kubelab.api import kinds

__all__ = ["list_wrapper", "to_json", "to_name", "to_yaml"]

# go-yaml v2's resolve(): plain scalars that would not read back as strings.
_GO_BOOL = {
    "y",
    "Y",
    "yes",
    "Yes",
    "YES",
    "n",
    "N",
    "no",
    "No",
    "NO",
    "true",
    "True",
    "TRUE",
    "false",
    "False",
    "FALSE",
    "on",
    "On",
    "ON",
    "off",
    "Off",
    "OFF",
}
_GO_NULL = {"", "~", "null", "Null", "NULL"}
_INT = re.compile(r"[-+]?(0b[01_]+|0o?[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*)\Z")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?\Z")
_SPECIAL_FLOAT = {
    ".inf",
    ".Inf",
    ".INF",
    "+.inf",
    "+.Inf",
    "+.INF",
    "-.inf",
    "-.Inf",
    "-.INF",
    ".nan",
    ".NaN",
    ".NAN",
}
_BASE60 = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?\Z")
_TIMESTAMP = re.compile(
    r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
    r"(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)?\Z"
)


def _reads_as_other_type(s: str) -> bool:
    return (
        s in _GO_BOOL
        or s in _GO_NULL
        or s in _SPECIAL_FLOAT
        or bool(_INT.match(s))
        or bool(_FLOAT.match(s))
        or bool(_BASE60.match(s))
        or bool(_TIMESTAMP.match(s))
    )


class _Dumper(yaml.SafeDumper):
    def choose_scalar_style(self):
        # PyYAML refuses plain style when *its* resolver reads a string as another type;
        # go-yaml's rules were already applied in _represent_str, so only the emitter's
        # own constraints (indicators, spaces...) may still force quotes, as in libyaml.
        event = self.event
        if event.style is None and event.tag == "tag:yaml.org,2002:str":
            event.implicit = (True, event.implicit[1])
        return super().choose_scalar_style()


def _represent_str(dumper, value: str):
    tag = "tag:yaml.org,2002:str"
    if "\n" in value:
        return dumper.represent_scalar(tag, value, style="|")
    if _reads_as_other_type(value):
        return dumper.represent_scalar(tag, value, style='"')
    return dumper.represent_scalar(tag, value)


_Dumper.add_representer(str, _represent_str)


def to_yaml(obj) -> str:
    """``-o yaml``: kubectl's YAML of an object (or a ``List``)."""
    return yaml.dump(
        obj,
        Dumper=_Dumper,
        width=1 << 30,
        allow_unicode=True,
        default_flow_style=False,
        sort_keys=True,
    )


def to_json(obj) -> str:
    """``-o json``: ``json.MarshalIndent(obj, "", "    ")`` plus a newline."""
    text = json.dumps(obj, indent=4, sort_keys=True, ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return text + "\n"


def to_name(obj: dict) -> str:
    """``-o name``: ``<resource>[.<group>]/<name>`` with the singular resource name."""
    rt = kinds.for_object(obj)
    if rt is not None:
        kind = rt.kind.lower() + (f".{rt.group}" if rt.group else "")
    else:  # a custom kind: its GroupKind, from the object itself
        group = str(obj.get("apiVersion", "")).rpartition("/")[0]
        kind = str(obj.get("kind", "")).lower() + (f".{group}" if group else "")
    return f"{kind}/{obj['metadata']['name']}"


def list_wrapper(items: list[dict]) -> dict:
    """The ``kind: List`` kubectl prints for several objects."""
    return {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}
