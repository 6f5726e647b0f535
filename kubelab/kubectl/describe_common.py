"""Building blocks of ``kubectl describe`` (upstream ``kubectl/pkg/describe/describe.go``).

describe writes indented ``Label:\\tvalue`` lines through a *prefix writer* into a
Go tabwriter (``minwidth 0, padding 2``); :class:`Writer` does the same, so
consecutive labelled lines align exactly as kubectl aligns them. The helpers
below are the shared sections: labels, annotations, tolerations, containers,
pod templates and the ``Events:`` table.

Examples
--------
>>> w = Writer()
>>> w.write(0, "Name:\\tweb\\n")
>>> labels_multiline(w, "Labels", {"tier": "web", "app": "shop"})
>>> annotations_multiline(w, "Annotations", {})
>>> print(w.text(), end="")
Name:         web
Labels:       app=shop
              tier=web
Annotations:  <none>
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kubelab.kubectl.duration import rfc1123z, since
from kubelab.kubectl.tabwriter import tabulate

__all__ = [
    "Related",
    "Writer",
    "annotations_multiline",
    "controller_of",
    "describe_containers",
    "describe_events",
    "describe_pod_template",
    "describe_volumes",
    "labels_multiline",
    "tolerations_multiline",
]


@dataclass
class Related:
    """What a describer may show besides the object itself."""

    now: float
    events: list[dict] | None = field(default_factory=list)
    pods: list[dict] = field(default_factory=list)  # controlled pods, or the pods on a node
    replicasets: list[dict] = field(default_factory=list)  # a deployment's (old first, new last)
    new_replicaset: dict | None = None
    endpoints: dict | None = None
    lease: dict | None = None
    objects: dict = field(default_factory=dict)  # other related objects by kind


LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
_MAX_ANNOTATION = 140


class Writer:
    """Go's ``PrefixWriter`` over a tabwriter: ``write(level, text)`` indents by ``2*level``."""

    def __init__(self):
        self._done: list[str] = []
        self._buf: list[str] = []

    def write(self, level: int, text: str) -> None:
        self._buf.append("  " * level + text)

    def write_line(self, text: str = "") -> None:
        self._buf.append(text + "\n")

    def flush(self) -> None:
        self._done.append(tabulate("".join(self._buf), minwidth=0, padding=2))
        self._buf = []

    def text(self) -> str:
        self.flush()
        return "".join(self._done)


def labels_multiline(
    w: Writer, title: str, labels: dict | None, initial: str = "", inner: str = "\t"
) -> None:
    """``printLabelsMultilineWithIndent``: one ``k=v`` per line, sorted, or ``<none>``."""
    w.write(0, f"{initial}{title}:{inner}")
    if not labels:
        w.write_line("<none>")
        return
    for i, key in enumerate(sorted(labels)):
        if i:
            w.write(0, initial + inner)
        w.write(0, f"{key}={labels[key]}\n")


def annotations_multiline(w: Writer, title: str, annotations: dict | None) -> None:
    """``printAnnotationsMultiline`` (skips ``last-applied-configuration``, wraps long values)."""
    w.write(0, f"{title}:\t")
    keys = sorted(k for k in annotations or {} if k != LAST_APPLIED)
    if not keys:
        w.write_line("<none>")
        return
    for i, key in enumerate(keys):
        if i:
            w.write(0, "\t")
        value = annotations[key].removesuffix("\n")
        if len(value) + len(key) + 2 > _MAX_ANNOTATION or "\n" in value:
            w.write(0, f"{key}:\n")
            for line in value.split("\n"):
                short = (
                    line
                    if len(line) <= _MAX_ANNOTATION - 2
                    else line[: _MAX_ANNOTATION - 2] + "..."
                )
                w.write(0, f"\t  {short}\n")
        else:
            w.write(0, f"{key}: {value}\n")


def tolerations_multiline(w: Writer, title: str, tolerations, initial: str = "") -> None:
    w.write(0, f"{initial}{title}:\t")
    if not tolerations:
        w.write_line("<none>")
        return
    for i, t in enumerate(sorted(tolerations, key=lambda t: t.get("key") or "")):
        if i:
            w.write(0, initial + "\t")
        text = t.get("key") or ""
        if t.get("value"):
            text += "=" + t["value"]
        if t.get("effect"):
            text += ":" + t["effect"]
        if t.get("operator") == "Exists" and not t.get("value"):
            text += " op=Exists" if (t.get("key") or t.get("effect")) else "op=Exists"
        if t.get("tolerationSeconds") is not None:
            text += f" for {t['tolerationSeconds']}s"
        w.write(0, text + "\n")


def taints_multiline(w: Writer, title: str, taints) -> None:
    w.write(0, f"{title}:\t")
    if not taints:
        w.write_line("<none>")
        return
    ordered = sorted(taints, key=lambda t: f"{t.get('effect', '')},{t.get('key', '')}")
    for i, t in enumerate(ordered):
        if i:
            w.write(0, "\t")
        text = t.get("key", "") + (f"={t['value']}" if t.get("value") else "")
        w.write(0, f"{text}:{t.get('effect', '')}\n")


def controller_of(obj: dict) -> str:
    for ref in obj["metadata"].get("ownerReferences") or ():
        if ref.get("controller"):
            return f"{ref.get('kind')}/{ref.get('name')}"
    return ""


def _probe(probe: dict) -> str:
    attrs = (
        f"delay={probe.get('initialDelaySeconds', 0)}s timeout={probe.get('timeoutSeconds', 1)}s "
        f"period={probe.get('periodSeconds', 10)}s #success={probe.get('successThreshold', 1)} "
        f"#failure={probe.get('failureThreshold', 3)}"
    )
    if probe.get("exec"):
        return f"exec [{' '.join(probe['exec'].get('command') or [])}] {attrs}"
    if probe.get("httpGet"):
        get = probe["httpGet"]
        scheme = (get.get("scheme") or "HTTP").lower()
        return f"http-get {scheme}://{get.get('host', '')}:{get.get('port', '')}{get.get('path', '')} {attrs}"
    if probe.get("tcpSocket"):
        return f"tcp-socket {probe['tcpSocket'].get('host', '')}:{probe['tcpSocket'].get('port', '')} {attrs}"
    if probe.get("grpc"):
        return f"grpc <pod>:{probe['grpc'].get('port')} {probe['grpc'].get('service', '')} {attrs}"
    return f"unknown {attrs}"


def _state(w: Writer, name: str, state: dict | None) -> None:
    state = state or {}
    if state.get("running") is not None:
        w.write(2, f"{name}:\tRunning\n")
        w.write(3, f"Started:\t{rfc1123z(state['running'].get('startedAt'))}\n")
    elif state.get("terminated") is not None:
        t = state["terminated"]
        w.write(2, f"{name}:\tTerminated\n")
        if t.get("reason"):
            w.write(3, f"Reason:\t{t['reason']}\n")
        if t.get("message"):
            w.write(3, f"Message:\t{t['message']}\n")
        w.write(3, f"Exit Code:\t{t.get('exitCode', 0)}\n")
        if t.get("signal"):
            w.write(3, f"Signal:\t{t['signal']}\n")
        w.write(3, f"Started:\t{rfc1123z(t.get('startedAt'))}\n")
        w.write(3, f"Finished:\t{rfc1123z(t.get('finishedAt'))}\n")
    else:
        w.write(2, f"{name}:\tWaiting\n")
        if (state.get("waiting") or {}).get("reason"):
            w.write(3, f"Reason:\t{state['waiting']['reason']}\n")


_FIELD_VALUES = {
    "metadata.name": lambda p: p["metadata"].get("name", ""),
    "metadata.namespace": lambda p: p["metadata"].get("namespace", ""),
    "spec.nodeName": lambda p: (p.get("spec") or {}).get("nodeName", ""),
    "spec.serviceAccountName": lambda p: (p.get("spec") or {}).get("serviceAccountName", ""),
    "status.podIP": lambda p: (p.get("status") or {}).get("podIP", ""),
    "status.hostIP": lambda p: (p.get("status") or {}).get("hostIP", ""),
}


def _env(w: Writer, container: dict, pod: dict | None) -> None:
    env = container.get("env") or ()
    w.write(2, "Environment:" + ("" if env else "\t<none>") + "\n")
    for e in env:
        source = e.get("valueFrom")
        if source is None:
            for i, line in enumerate(str(e.get("value", "")).split("\n")):
                w.write(3, f"{e['name']}:\t{line}\n" if i == 0 else f"\t{line}\n")
        elif source.get("fieldRef"):
            ref = source["fieldRef"]
            path = ref.get("fieldPath", "")
            value = _FIELD_VALUES[path](pod) if pod is not None and path in _FIELD_VALUES else ""
            w.write(3, f"{e['name']}:\t{value} ({ref.get('apiVersion', 'v1')}:{path})\n")
        elif source.get("resourceFieldRef"):
            w.write(3, f"{e['name']}:\t ({source['resourceFieldRef'].get('resource', '')})\n")
        elif source.get("secretKeyRef"):
            ref = source["secretKeyRef"]
            w.write(
                3,
                f"{e['name']}:\t<set to the key '{ref.get('key')}' in secret '{ref.get('name')}'>"
                f"\tOptional: {'true' if ref.get('optional') else 'false'}\n",
            )
        elif source.get("configMapKeyRef"):
            ref = source["configMapKeyRef"]
            w.write(
                3,
                f"{e['name']}:\t<set to the key '{ref.get('key')}' of config map '{ref.get('name')}'>"
                f"\tOptional: {'true' if ref.get('optional') else 'false'}\n",
            )


def describe_containers(
    w: Writer, label: str, containers, statuses, pod: dict | None, space: str = ""
) -> None:
    """``describeContainers``: image, ports, state, resources, probes, env, mounts."""
    by_name = {s.get("name"): s for s in statuses or ()}
    w.write(0, f"{space}{label}:{'' if containers else ' <none>'}\n")
    for c in containers or ():
        status = by_name.get(c.get("name"))
        w.write(1, f"{' ' if space else ''}{c.get('name')}:\n")
        if status is not None:
            w.write(2, f"Container ID:\t{status.get('containerID', '')}\n")
        w.write(2, f"Image:\t{c.get('image', '')}\n")
        if status is not None:
            w.write(2, f"Image ID:\t{status.get('imageID', '')}\n")
        ports = ", ".join(
            f"{p.get('containerPort')}/{p.get('protocol', 'TCP')}" for p in c.get("ports") or ()
        )
        host = ", ".join(
            f"{p.get('hostPort', 0)}/{p.get('protocol', 'TCP')}" for p in c.get("ports") or ()
        )
        w.write(2, f"Ports:\t{ports}\n" if "," in ports else f"Port:\t{ports or '<none>'}\n")
        w.write(2, f"Host Ports:\t{host}\n" if "," in host else f"Host Port:\t{host or '<none>'}\n")
        for title, key in (("Command", "command"), ("Args", "args")):
            if c.get(key):
                w.write(2, f"{title}:\n")
                for item in c[key]:
                    for line in str(item).split("\n"):
                        w.write(3, line + "\n")
        if status is not None:
            _state(w, "State", status.get("state"))
            if (status.get("lastState") or {}).get("terminated") is not None:
                _state(w, "Last State", status.get("lastState"))
            w.write(2, f"Ready:\t{'True' if status.get('ready') else 'False'}\n")
            w.write(2, f"Restart Count:\t{status.get('restartCount', 0)}\n")
        resources = c.get("resources") or {}
        for title, key in (("Limits", "limits"), ("Requests", "requests")):
            if resources.get(key):
                w.write(2, f"{title}:\n")
                for name in sorted(resources[key]):
                    w.write(3, f"{name}:\t{resources[key][name]}\n")
        for title, key in (
            ("Liveness", "livenessProbe"),
            ("Readiness", "readinessProbe"),
            ("Startup", "startupProbe"),
        ):
            if c.get(key):
                w.write(2, f"{title}:\t{_probe(c[key])}\n")
        _env(w, c, pod)
        mounts = sorted(c.get("volumeMounts") or (), key=lambda m: m.get("mountPath", ""))
        w.write(2, "Mounts:" + ("" if mounts else "\t<none>") + "\n")
        for m in mounts:
            flags = ["ro" if m.get("readOnly") else "rw"]
            if m.get("subPath"):
                flags.append(f'path="{m["subPath"]}"')
            w.write(3, f"{m.get('mountPath')} from {m.get('name')} ({','.join(flags)})\n")


def _optional(source: dict) -> str:
    """Go's ``%v`` of a ``*bool``: ``<nil>`` when unset."""
    value = source.get("optional")
    return "<nil>" if value is None else str(bool(value)).lower()


_VOLUME_TYPES = {
    "emptyDir": lambda v: (
        "EmptyDir (a temporary directory that shares a pod's lifetime)",
        [("Medium", v.get("medium", "")), ("SizeLimit", v.get("sizeLimit") or "<unset>")],
    ),
    "hostPath": lambda v: (
        "HostPath (bare host directory volume)",
        [("Path", v.get("path", "")), ("HostPathType", v.get("type") or "<none>")],
    ),
    "configMap": lambda v: (
        "ConfigMap (a volume populated by a ConfigMap)",
        [("Name", v.get("name", "")), ("Optional", "true" if v.get("optional") else "false")],
    ),
    "secret": lambda v: (
        "Secret (a volume populated by a Secret)",
        [
            ("SecretName", v.get("secretName", "")),
            ("Optional", "true" if v.get("optional") else "false"),
        ],
    ),
    "nfs": lambda v: (
        "NFS (an NFS mount that lasts the lifetime of a pod)",
        [
            ("Server", v.get("server", "")),
            ("Path", v.get("path", "")),
            ("ReadOnly", "true" if v.get("readOnly") else "false"),
        ],
    ),
    "projected": lambda v: (  # printProjectedVolumeSource
        "Projected (a volume that contains injected data from multiple sources)",
        [
            pair
            for source in v.get("sources") or ()
            for pair in (
                [
                    ("SecretName", source["secret"].get("name", "")),
                    ("SecretOptionalName", _optional(source["secret"])),
                ]
                if source.get("secret") is not None
                else [("DownwardAPI", "true")]
                if source.get("downwardAPI") is not None
                else [
                    ("ConfigMapName", source["configMap"].get("name", "")),
                    ("ConfigMapOptional", _optional(source["configMap"])),
                ]
                if source.get("configMap") is not None
                else [
                    (
                        "TokenExpirationSeconds",
                        source["serviceAccountToken"].get("expirationSeconds", 3600),
                    )
                ]
                if source.get("serviceAccountToken") is not None
                else []
            )
        ],
    ),
    "persistentVolumeClaim": lambda v: (
        "PersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)",
        [
            ("ClaimName", v.get("claimName", "")),
            ("ReadOnly", "true" if v.get("readOnly") else "false"),
        ],
    ),
}


def describe_volumes(w: Writer, volumes, space: str = "") -> None:
    if not volumes:
        w.write(0, f"{space}Volumes:\t<none>\n")
        return
    w.write(0, f"{space}Volumes:\n")
    for v in volumes:
        w.write(1, f"{' ' if space else ''}{v.get('name')}:\n")
        kind = next((k for k in _VOLUME_TYPES if k in v), None)
        if kind is None:
            w.write(1, "<unknown>\n")
            continue
        title, fields = _VOLUME_TYPES[kind](v[kind] or {})
        w.write(2, f"Type:\t{title}\n")
        for name, value in fields:
            w.write(0, f"    {name}:\t{value}\n")


def describe_pod_template(w: Writer, template: dict | None) -> None:
    """``DescribePodTemplate``: the template of a ReplicaSet, Deployment, DaemonSet..."""
    w.write(0, "Pod Template:\n")
    if template is None:
        w.write(1, "<unset>")
        return
    meta, spec = template.get("metadata") or {}, template.get("spec") or {}
    labels_multiline(w, "  Labels", meta.get("labels"))
    if meta.get("annotations"):
        annotations_multiline(w, "  Annotations", meta["annotations"])
    if spec.get("serviceAccountName"):
        w.write(1, f"Service Account:\t{spec['serviceAccountName']}\n")
    if spec.get("initContainers"):
        describe_containers(w, "Init Containers", spec["initContainers"], None, None, "  ")
    describe_containers(w, "Containers", spec.get("containers"), None, None, "  ")
    describe_volumes(w, spec.get("volumes"), "  ")
    if spec.get("priorityClassName"):
        w.write(1, f"Priority Class Name:\t{spec['priorityClassName']}\n")
    labels_multiline(w, "  Node-Selectors", spec.get("nodeSelector"))
    tolerations_multiline(w, "  Tolerations", spec.get("tolerations"))


def _event_order(e: dict) -> tuple:
    rv = e["metadata"].get("resourceVersion") or "0"
    return (e.get("lastTimestamp") or e.get("firstTimestamp") or "", int(rv) if rv.isdigit() else 0)


def describe_events(w: Writer, events: list[dict] | None, now: float) -> None:
    """``DescribeEvents``: ``Events:  <none>`` or a Type/Reason/Age/From/Message table."""
    if events is None:
        return
    if not events:
        w.write(0, "Events:\t<none>\n")
        return
    w.flush()
    w.write(0, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n")
    w.write(1, "----\t------\t----\t----\t-------\n")
    for e in sorted(events, key=_event_order):
        first = since(e.get("firstTimestamp") or e.get("eventTime"), now)
        count = e.get("count") or 1
        interval = (
            f"{since(e.get('lastTimestamp'), now)} (x{count} over {first})" if count > 1 else first
        )
        source = (e.get("source") or {}).get("component") or e.get("reportingComponent") or ""
        w.write(
            1,
            f"{e.get('type', '')}\t{e.get('reason', '')}\t{interval}\t{source}\t"
            f"{(e.get('message') or '').strip()}\n",
        )
