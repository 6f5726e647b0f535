"""``kubectl describe``: human-readable reports of one object and its Events.

One function per kind, transcribed from upstream ``describe.go``; kinds without
one get the generic describer (every field, camelCase keys spelled out). The
command layer gathers the related objects (events, pods, replica sets...)
through the API server and passes them in :class:`Related`.

Examples
--------
>>> ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop",
...       "labels": {"kubernetes.io/metadata.name": "shop"}}, "status": {"phase": "Active"}}
>>> print(describe(ns, Related(now=0.0)), end="")
Name:         shop
Labels:       kubernetes.io/metadata.name=shop
Annotations:  <none>
Status:       Active
<BLANKLINE>
No resource quota.
<BLANKLINE>
No LimitRange resource.
"""

from __future__ import annotations

from kubelab.api import labels as _labels
from kubelab.apiserver.admission import qos_class
from kubelab.controllers.pv_index import claim_class
from kubelab.kubectl.describe_common import (
    Related,
    Writer,
    annotations_multiline,
    controller_of,
    describe_containers,
    describe_events,
    describe_pod_template,
    describe_volumes,
    labels_multiline,
    tolerations_multiline,
)
from kubelab.kubectl.describe_generic import describe_generic
from kubelab.kubectl.describe_ingress import describe_ingress, describe_ingressclass
from kubelab.kubectl.describe_node import describe_node
from kubelab.kubectl.describe_policy import (
    describe_limitrange,
    describe_namespace,
    describe_quota,
)
from kubelab.kubectl.describe_services import (
    describe_endpoints,
    describe_endpointslice,
    load_balancer_ingress,
)
from kubelab.kubectl.describe_storage import describe_pv, describe_pvc, describe_storageclass
from kubelab.kubectl.duration import rfc1123z, since
from kubelab.kubectl.tables import format_labels

__all__ = ["DESCRIBERS", "Related", "describe"]


def _pod_counts(owner: dict, pods: list[dict]) -> str:
    counts = {"Running": 0, "Pending": 0, "Succeeded": 0, "Failed": 0}
    uid = owner["metadata"].get("uid")
    for pod in pods:
        ref = next(
            (r for r in pod["metadata"].get("ownerReferences") or () if r.get("controller")), None
        )
        if ref is None or ref.get("uid") != uid:
            continue
        phase = (pod.get("status") or {}).get("phase")
        if phase in counts:
            counts[phase] += 1
    return (
        f"{counts['Running']} Running / {counts['Pending']} Waiting / "
        f"{counts['Succeeded']} Succeeded / {counts['Failed']} Failed"
    )


def describe_pod(pod: dict, rel: Related) -> str:
    w, meta = Writer(), pod["metadata"]
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    w.write(0, f"Name:\t{meta['name']}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    if spec.get("priority") is not None:
        w.write(0, f"Priority:\t{spec['priority']}\n")
    if spec.get("priorityClassName"):
        w.write(0, f"Priority Class Name:\t{spec['priorityClassName']}\n")
    if spec.get("serviceAccountName"):
        w.write(0, f"Service Account:\t{spec['serviceAccountName']}\n")
    node = spec.get("nodeName")
    w.write(0, f"Node:\t{node}/{status.get('hostIP', '')}\n" if node else "Node:\t<none>\n")
    if status.get("startTime"):
        w.write(0, f"Start Time:\t{rfc1123z(status['startTime'])}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    if meta.get("deletionTimestamp") and status.get("phase") not in ("Failed", "Succeeded"):
        w.write(0, f"Status:\tTerminating (lasts {since(meta['deletionTimestamp'], rel.now)})\n")
        w.write(0, f"Termination Grace Period:\t{meta.get('deletionGracePeriodSeconds', 0)}s\n")
    else:
        w.write(0, f"Status:\t{status.get('phase', '')}\n")
    if status.get("reason"):
        w.write(0, f"Reason:\t{status['reason']}\n")
    if status.get("message"):
        w.write(0, f"Message:\t{status['message']}\n")
    w.write(0, f"IP:\t{status.get('podIP', '')}\n")
    if status.get("podIPs"):
        w.write(0, "IPs:\n")
        for ip in status["podIPs"]:
            w.write(1, f"IP:\t{ip.get('ip', '')}\n")
    else:
        w.write(0, "IPs:\t<none>\n")
    if controller_of(pod):
        w.write(0, f"Controlled By:\t{controller_of(pod)}\n")
    if status.get("nominatedNodeName"):
        w.write(0, f"NominatedNodeName:\t{status['nominatedNodeName']}\n")
    if spec.get("initContainers"):
        describe_containers(
            w, "Init Containers", spec["initContainers"], status.get("initContainerStatuses"), pod
        )
    describe_containers(
        w, "Containers", spec.get("containers"), status.get("containerStatuses"), pod
    )
    if status.get("conditions"):
        w.write(0, "Conditions:\n  Type\tStatus\n")
        for c in status["conditions"]:
            w.write(1, f"{c.get('type')} \t{c.get('status')} \n")
    describe_volumes(w, spec.get("volumes"))
    w.write(0, f"QoS Class:\t{status.get('qosClass') or qos_class(spec)}\n")
    labels_multiline(w, "Node-Selectors", spec.get("nodeSelector"))
    tolerations_multiline(w, "Tolerations", spec.get("tolerations"))
    describe_events(w, rel.events, rel.now)
    return w.text()


def _conditions_table(w: Writer, conditions) -> None:
    if conditions:
        w.write(0, "Conditions:\n  Type\tStatus\tReason\n")
        w.write(1, "----\t------\t------\n")
        for c in conditions:
            w.write(1, f"{c.get('type')} \t{c.get('status')}\t{c.get('reason', '')}\n")


def describe_replicaset(rs: dict, rel: Related) -> str:
    w, meta, spec = Writer(), rs["metadata"], rs.get("spec") or {}
    rc = rs["kind"] == "ReplicationController"
    w.write(0, f"Name:\t{meta['name']}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    selector = (
        format_labels(spec.get("selector"))
        if rc
        else _labels.format_label_selector(spec.get("selector"))
    )
    w.write(0, f"Selector:\t{selector}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    if not rc and controller_of(rs):
        w.write(0, f"Controlled By:\t{controller_of(rs)}\n")
    w.write(
        0,
        f"Replicas:\t{(rs.get('status') or {}).get('replicas', 0)} current / {spec.get('replicas', 1)} desired\n",
    )
    w.write(0, f"Pods Status:\t{_pod_counts(rs, rel.pods)}\n")
    describe_pod_template(w, spec.get("template"))
    _conditions_table(w, (rs.get("status") or {}).get("conditions"))
    describe_events(w, rel.events, rel.now)
    return w.text()


def _rs_list(replicasets) -> str:
    items = [
        f"{rs['metadata']['name']} ({(rs.get('status') or {}).get('replicas', 0)}/"
        f"{(rs.get('spec') or {}).get('replicas', 1)} replicas created)"
        for rs in replicasets
    ]
    return ", ".join(items) or "<none>"


def describe_deployment(d: dict, rel: Related) -> str:
    w, meta, spec, st = Writer(), d["metadata"], d.get("spec") or {}, d.get("status") or {}
    w.write(0, f"Name:\t{meta['name']}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    w.write(0, f"CreationTimestamp:\t{rfc1123z(meta.get('creationTimestamp'))}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"Selector:\t{_labels.to_string(spec.get('selector'))}\n")
    w.write(
        0,
        f"Replicas:\t{spec.get('replicas', 1)} desired | {st.get('updatedReplicas', 0)} updated | "
        f"{st.get('replicas', 0)} total | {st.get('availableReplicas', 0)} available | "
        f"{st.get('unavailableReplicas', 0)} unavailable\n",
    )
    strategy = spec.get("strategy") or {}
    w.write(0, f"StrategyType:\t{strategy.get('type', '')}\n")
    w.write(0, f"MinReadySeconds:\t{spec.get('minReadySeconds', 0)}\n")
    if strategy.get("rollingUpdate") is not None:
        ru = strategy["rollingUpdate"]
        w.write(
            0,
            f"RollingUpdateStrategy:\t{ru.get('maxUnavailable', '')} max unavailable, "
            f"{ru.get('maxSurge', '')} max surge\n",
        )
    describe_pod_template(w, spec.get("template"))
    _conditions_table(w, st.get("conditions"))
    new = [rel.new_replicaset] if rel.new_replicaset else []
    old = [rs for rs in rel.replicasets if rs is not rel.new_replicaset]
    if old or new:
        w.write(0, f"OldReplicaSets:\t{_rs_list(old)}\n")
        w.write(0, f"NewReplicaSet:\t{_rs_list(new)}\n")
    describe_events(w, rel.events, rel.now)
    return w.text()


def describe_daemonset(ds: dict, rel: Related) -> str:
    w, meta, spec, st = Writer(), ds["metadata"], ds.get("spec") or {}, ds.get("status") or {}
    w.write(0, f"Name:\t{meta['name']}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    w.write(0, f"Selector:\t{_labels.to_string(spec.get('selector'))}\n")
    w.write(
        0,
        f"Node-Selector:\t{format_labels(((spec.get('template') or {}).get('spec') or {}).get('nodeSelector'))}\n",
    )
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"Desired Number of Nodes Scheduled: {st.get('desiredNumberScheduled', 0)}\n")
    w.write(0, f"Current Number of Nodes Scheduled: {st.get('currentNumberScheduled', 0)}\n")
    w.write(
        0,
        f"Number of Nodes Scheduled with Up-to-date Pods: {st.get('updatedNumberScheduled', 0)}\n",
    )
    w.write(0, f"Number of Nodes Scheduled with Available Pods: {st.get('numberAvailable', 0)}\n")
    w.write(0, f"Number of Nodes Misscheduled: {st.get('numberMisscheduled', 0)}\n")
    w.write(0, f"Pods Status:\t{_pod_counts(ds, rel.pods)}\n")
    describe_pod_template(w, spec.get("template"))
    describe_events(w, rel.events, rel.now)
    return w.text()


def describe_statefulset(sts: dict, rel: Related) -> str:
    """``StatefulSetDescriber``: replicas, the update strategy, pods, template and claims."""
    w, meta, spec, st = Writer(), sts["metadata"], sts.get("spec") or {}, sts.get("status") or {}
    w.write(0, f"Name:\t{meta['name']}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    w.write(0, f"CreationTimestamp:\t{rfc1123z(meta.get('creationTimestamp'))}\n")
    w.write(0, f"Selector:\t{_labels.to_string(spec.get('selector'))}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"Replicas:\t{spec.get('replicas', 1)} desired | {st.get('replicas', 0)} total\n")
    strategy = spec.get("updateStrategy") or {}
    w.write(0, f"Update Strategy:\t{strategy.get('type', '')}\n")
    rolling = strategy.get("rollingUpdate")
    if rolling is not None and rolling.get("partition") is not None:
        w.write(1, f"Partition:\t{rolling['partition']}\n")
        if rolling.get("maxUnavailable") is not None:
            w.write(1, f"MaxUnavailable:\t{rolling['maxUnavailable']}\n")
    w.write(0, f"Pods Status:\t{_pod_counts(sts, rel.pods)}\n")
    describe_pod_template(w, spec.get("template"))
    templates = spec.get("volumeClaimTemplates") or ()
    if not templates:
        w.write(0, "Volume Claims:\t<none>\n")
    else:
        w.write(0, "Volume Claims:\n")
    for pvc in templates:
        pmeta, pspec = pvc.get("metadata") or {}, pvc.get("spec") or {}
        w.write(1, f"Name:\t{pmeta.get('name', '')}\n")
        w.write(1, f"StorageClass:\t{claim_class(pvc)}\n")
        labels_multiline(w, "Labels", pmeta.get("labels"), initial="  ")
        labels_multiline(w, "Annotations", pmeta.get("annotations"), initial="  ")
        storage = ((pspec.get("resources") or {}).get("requests") or {}).get("storage")
        w.write(1, f"Capacity:\t{storage if storage is not None else '<default>'}\n")
        w.write(1, f"Access Modes:\t[{' '.join(pspec.get('accessModes') or ())}]\n")
    describe_events(w, rel.events, rel.now)
    return w.text()


def describe_service(svc: dict, rel: Related) -> str:
    w, meta, spec = Writer(), svc["metadata"], svc.get("spec") or {}
    w.write(0, f"Name:\t{meta['name']}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"Selector:\t{format_labels(spec.get('selector'))}\n")
    w.write(0, f"Type:\t{spec.get('type', 'ClusterIP')}\n")
    if spec.get("ipFamilyPolicy"):
        w.write(0, f"IP Family Policy:\t{spec['ipFamilyPolicy']}\n")
    w.write(0, f"IP Families:\t{','.join(spec.get('ipFamilies') or []) or '<none>'}\n")
    w.write(0, f"IP:\t{spec.get('clusterIP', '')}\n")
    w.write(0, f"IPs:\t{','.join(spec.get('clusterIPs') or []) or '<none>'}\n")
    if spec.get("externalIPs"):
        w.write(0, f"External IPs:\t{','.join(spec['externalIPs'])}\n")
    if spec.get("loadBalancerIP"):
        w.write(0, f"Desired LoadBalancer IP:\t{spec['loadBalancerIP']}\n")
    if spec.get("externalName"):
        w.write(0, f"External Name:\t{spec['externalName']}\n")
    ingress = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or ()
    if ingress:
        w.write(0, f"LoadBalancer Ingress:\t{load_balancer_ingress(ingress)}\n")
    for p in spec.get("ports") or ():
        name, proto = p.get("name") or "<unset>", p.get("protocol", "TCP")
        w.write(0, f"Port:\t{name}\t{p.get('port')}/{proto}\n")
        w.write(0, f"TargetPort:\t{p.get('targetPort', p.get('port'))}/{proto}\n")
        if p.get("appProtocol"):
            w.write(0, f"AppProtocol:\t{p['appProtocol']}\n")
        if p.get("nodePort"):
            w.write(0, f"NodePort:\t{name}\t{p['nodePort']}/{proto}\n")
        w.write(0, f"Endpoints:\t{_service_endpoints(rel.endpoints, p.get('name') or '')}\n")
    w.write(0, f"Session Affinity:\t{spec.get('sessionAffinity', 'None')}\n")
    if spec.get("externalTrafficPolicy"):
        w.write(0, f"External Traffic Policy:\t{spec['externalTrafficPolicy']}\n")
    if spec.get("internalTrafficPolicy"):
        w.write(0, f"Internal Traffic Policy:\t{spec['internalTrafficPolicy']}\n")
    if spec.get("healthCheckNodePort"):
        w.write(0, f"HealthCheck NodePort:\t{spec['healthCheckNodePort']}\n")
    describe_events(w, rel.events, rel.now)
    return w.text()


def _service_endpoints(endpoints: dict | None, port_name: str) -> str:
    # formatEndpointSlices over the Endpoints object: ready addresses of the named port.
    if not endpoints or not endpoints.get("subsets"):
        return "<none>" if not endpoints else ""
    items = []
    for ss in endpoints.get("subsets") or ():
        for port in ss.get("ports") or ():
            if (port.get("name") or "") == port_name:
                items += [f"{a.get('ip')}:{port.get('port')}" for a in ss.get("addresses") or ()]
    text = ",".join(items[:3])
    return f"{text} + {len(items) - 3} more..." if len(items) > 3 else text


DESCRIBERS = {
    "Pod": describe_pod,
    "ReplicaSet": describe_replicaset,
    "ReplicationController": describe_replicaset,
    "Deployment": describe_deployment,
    "DaemonSet": describe_daemonset,
    "StatefulSet": describe_statefulset,
    "Namespace": describe_namespace,
    "Service": describe_service,
    "Endpoints": describe_endpoints,
    "EndpointSlice": describe_endpointslice,
    "Node": describe_node,
    "PersistentVolumeClaim": describe_pvc,
    "PersistentVolume": describe_pv,
    "StorageClass": describe_storageclass,
    "Ingress": describe_ingress,
    "IngressClass": describe_ingressclass,
    "ResourceQuota": describe_quota,
    "LimitRange": describe_limitrange,
}


def describe(obj: dict, related: Related) -> str:
    """The ``kubectl describe`` text of ``obj``."""
    return DESCRIBERS.get(obj["kind"], describe_generic)(obj, related)
