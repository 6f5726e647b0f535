"""``kubectl describe`` for PersistentVolumeClaims, PersistentVolumes and StorageClasses.

Transcribed from upstream ``describe.go`` (``describePersistentVolumeClaim``,
``describePersistentVolume``, ``describeStorageClass``). The claim's report lists the pods
that use it (``Used By``), which the command layer passes in ``Related.pods``.

Examples
--------
>>> from kubelab.kubectl.describe_common import Related
>>> pvc = {"kind": "PersistentVolumeClaim", "metadata": {"name": "data", "namespace": "default",
...        "finalizers": ["kubernetes.io/pvc-protection"]},
...        "spec": {"storageClassName": "local-path", "volumeMode": "Filesystem",
...                 "resources": {"requests": {"storage": "1Gi"}}}, "status": {"phase": "Pending"}}
>>> print(describe_pvc(pvc, Related(now=0.0, events=[])), end="")  # doctest: +NORMALIZE_WHITESPACE
Name:          data
Namespace:     default
StorageClass:  local-path
Status:        Pending
Volume:
Labels:        <none>
Annotations:   <none>
Finalizers:    [kubernetes.io/pvc-protection]
Capacity:
Access Modes:
VolumeMode:    Filesystem
Used By:       <none>
Events:        <none>
"""

from __future__ import annotations

from kubelab.controllers.pv_index import claim_class, volume_class
from kubelab.kubectl.describe_common import (
    Related,
    Writer,
    annotations_multiline,
    describe_events,
    labels_multiline,
)
from kubelab.kubectl.duration import since
from kubelab.kubectl.rows_services import access_modes

__all__ = ["describe_pv", "describe_pvc", "describe_storageclass"]


def _status(obj: dict, now: float) -> str:
    deleted = obj["metadata"].get("deletionTimestamp")
    if deleted:
        return f"Terminating (lasts {since(deleted, now)})"
    return (obj.get("status") or {}).get("phase", "")


def _finalizers(meta: dict) -> str:
    return "[" + " ".join(meta.get("finalizers") or ()) + "]"


def describe_pvc(pvc: dict, rel: Related) -> str:
    w, meta, spec = Writer(), pvc["metadata"], pvc.get("spec") or {}
    status = pvc.get("status") or {}
    w.write(0, f"Name:\t{meta['name']}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    w.write(0, f"StorageClass:\t{claim_class(pvc)}\n")
    w.write(0, f"Status:\t{_status(pvc, rel.now)}\n")
    w.write(0, f"Volume:\t{spec.get('volumeName', '')}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"Finalizers:\t{_finalizers(meta)}\n")
    capacity = modes = ""
    if spec.get("volumeName"):
        modes = access_modes(status.get("accessModes"))
        capacity = str((status.get("capacity") or {}).get("storage", ""))
    w.write(0, f"Capacity:\t{capacity}\n")
    w.write(0, f"Access Modes:\t{modes}\n")
    if spec.get("volumeMode"):
        w.write(0, f"VolumeMode:\t{spec['volumeMode']}\n")
    if spec.get("dataSource"):
        source = spec["dataSource"]
        w.write(0, "DataSource:\n")
        if source.get("apiGroup"):
            w.write(1, f"APIGroup:\t{source['apiGroup']}\n")
        w.write(1, f"Kind:\t{source.get('kind', '')}\n")
        w.write(1, f"Name:\t{source.get('name', '')}\n")
    names = sorted(p["metadata"]["name"] for p in rel.pods)
    w.write(0, f"Used By:\t{names[0] if names else '<none>'}\n")
    for name in names[1:]:
        w.write(0, f"\t{name}\n")
    describe_events(w, rel.events, rel.now)
    return w.text()


def _expression(expr: dict) -> str:
    op = (expr.get("operator") or "").lower()
    values = expr.get("values") or []
    if not values:
        return f"{expr.get('key', '')} {op}"
    return f"{expr.get('key', '')} {op} [{', '.join(values)}]"


def _node_affinity(w: Writer, affinity: dict | None) -> None:
    required = (affinity or {}).get("required")
    if not required:
        w.write(0, "Node Affinity:\t<none>\n")
        return
    w.write(0, "Node Affinity:\t\n")
    terms = required.get("nodeSelectorTerms") or []
    if not terms:
        w.write(1, "Required Terms:\t<none>\n")
        return
    w.write(1, "Required Terms:\t\n")
    for i, term in enumerate(terms):
        exprs = term.get("matchExpressions") or []
        if not exprs:
            w.write(2, f"Term {i}:\t<none>\n")
            continue
        w.write(2, f"Term {i}:\t{_expression(exprs[0])}\n")
        for expr in exprs[1:]:
            w.write(2, f"\t{_expression(expr)}\n")


def _bool(value) -> str:
    return "true" if value else "false"


def _source(w: Writer, spec: dict) -> None:
    w.write(0, "Source:\n")
    if spec.get("hostPath") is not None:
        src = spec["hostPath"]
        w.write(1, "  Type:\tHostPath (bare host directory volume)\n")
        w.write(0, f"    Path:\t{src.get('path', '')}\n")
        w.write(0, f"    HostPathType:\t{src.get('type', '')}\n")
    elif spec.get("local") is not None:
        src = spec["local"]
        w.write(1, "  Type:\tLocalVolume (a persistent volume backed by local storage on a node)\n")
        w.write(0, f"    Path:\t{src.get('path', '')}\n")
    elif spec.get("nfs") is not None:
        src = spec["nfs"]
        w.write(1, "  Type:\tNFS (an NFS mount that lasts the lifetime of a pod)\n")
        w.write(0, f"    Server:\t{src.get('server', '')}\n")
        w.write(0, f"    Path:\t{src.get('path', '')}\n")
        w.write(0, f"    ReadOnly:\t{_bool(src.get('readOnly'))}\n")
    elif spec.get("csi") is not None:
        src = spec["csi"]
        w.write(1, "  Type:\tCSI (a Container Storage Interface (CSI) volume source)\n")
        w.write(0, f"    Driver:\t{src.get('driver', '')}\n")
        w.write(0, f"    FSType:\t{src.get('fsType', '')}\n")
        w.write(0, f"    VolumeHandle:\t{src.get('volumeHandle', '')}\n")
        w.write(0, f"    ReadOnly:\t{_bool(src.get('readOnly'))}\n")
        attributes = src.get("volumeAttributes") or {}
        w.write(0, "    VolumeAttributes:\t")
        if not attributes:
            w.write(0, "<none>\n")
        for i, key in enumerate(sorted(attributes)):
            w.write(0, f"{'' if i == 0 else '    ' + chr(9) + '   '}{key}={attributes[key]}\n")
    elif spec.get("iscsi") is not None:
        src = spec["iscsi"]
        w.write(
            1,
            "  Type:\tISCSI (an ISCSI Disk resource that is attached to a kubelet's host "
            "machine and then exposed to the pod)\n",
        )
        w.write(0, f"    TargetPortal:\t{src.get('targetPortal', '')}\n")
        w.write(0, f"    IQN:\t{src.get('iqn', '')}\n")
        w.write(0, f"    Lun:\t{src.get('lun', 0)}\n")
        w.write(0, f"    ISCSIInterface\t{src.get('iscsiInterface', 'default')}\n")
        w.write(0, f"    FSType:\t{src.get('fsType', '')}\n")
        w.write(0, f"    ReadOnly:\t{_bool(src.get('readOnly'))}\n")
    else:
        kind = next((k for k in spec if isinstance(spec[k], dict) and k not in _NOT_SOURCES), "")
        w.write(1, f"  Type:\t{kind or '<unknown>'}\n")


_NOT_SOURCES = ("capacity", "claimRef", "nodeAffinity")


def describe_pv(pv: dict, rel: Related) -> str:
    w, meta, spec = Writer(), pv["metadata"], pv.get("spec") or {}
    status = pv.get("status") or {}
    w.write(0, f"Name:\t{meta['name']}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"Finalizers:\t{_finalizers(meta)}\n")
    w.write(0, f"StorageClass:\t{volume_class(pv)}\n")
    w.write(0, f"Status:\t{_status(pv, rel.now)}\n")
    ref = spec.get("claimRef")
    w.write(0, f"Claim:\t{ref.get('namespace', '') + '/' + ref.get('name', '') if ref else ''}\n")
    w.write(0, f"Reclaim Policy:\t{spec.get('persistentVolumeReclaimPolicy', '')}\n")
    w.write(0, f"Access Modes:\t{access_modes(spec.get('accessModes'))}\n")
    if spec.get("volumeMode"):
        w.write(0, f"VolumeMode:\t{spec['volumeMode']}\n")
    w.write(0, f"Capacity:\t{(spec.get('capacity') or {}).get('storage', '0')}\n")
    _node_affinity(w, spec.get("nodeAffinity"))
    w.write(0, f"Message:\t{status.get('message', '')}\n")
    _source(w, spec)
    describe_events(w, rel.events, rel.now)
    return w.text()


def describe_storageclass(sc: dict, rel: Related) -> str:
    w, meta = Writer(), sc["metadata"]
    annotations = meta.get("annotations") or {}
    default = "true" in (
        annotations.get("storageclass.kubernetes.io/is-default-class"),
        annotations.get("storageclass.beta.kubernetes.io/is-default-class"),
    )
    w.write(0, f"Name:\t{meta['name']}\n")
    w.write(0, f"IsDefaultClass:\t{'Yes' if default else 'No'}\n")
    formatted = ",".join(f"{k}={annotations[k]}" for k in sorted(annotations))
    w.write(0, f"Annotations:\t{formatted or '<none>'}\n")
    w.write(0, f"Provisioner:\t{sc.get('provisioner', '')}\n")
    params = sc.get("parameters") or {}
    w.write(0, f"Parameters:\t{','.join(f'{k}={params[k]}' for k in sorted(params)) or '<none>'}\n")
    expansion = sc.get("allowVolumeExpansion")
    w.write(0, f"AllowVolumeExpansion:\t{'<unset>' if expansion is None else _bool(expansion)}\n")
    w.write(0, f"MountOptions:\t{', '.join(sc.get('mountOptions') or ()) or '<none>'}\n")
    w.write(0, f"ReclaimPolicy:\t{sc.get('reclaimPolicy') or 'Delete'}\n")
    w.write(0, f"VolumeBindingMode:\t{sc.get('volumeBindingMode') or 'Immediate'}\n")
    describe_events(w, rel.events, rel.now)
    return w.text()
