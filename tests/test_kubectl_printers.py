"""kubectl printers as pure functions: Tables, pod STATUS, ages, tabwriter layout, YAML/JSON."""

from __future__ import annotations

import pytest

from kubelab.kubectl import render_table, table_for
from kubelab.kubectl.describe import Related, describe
from kubelab.kubectl.duration import human_duration
from kubelab.kubectl.jsonpath import render as jsonpath
from kubelab.kubectl.output import list_wrapper, to_json, to_name, to_yaml
from kubelab.kubectl.podstatus import pod_summary
from kubelab.kubectl.tabwriter import tabulate


def ts(seconds: int) -> str:
    from kubelab.api.meta import timestamp

    return timestamp(seconds)


def pod(
    name="web",
    phase="Running",
    statuses=None,
    init=None,
    init_statuses=None,
    labels=None,
    node="node-1",
    ip="10.244.1.5",
    created=0,
    deleting=False,
    containers=1,
    reason=None,
    conditions=None,
):
    p = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": "default",
            "creationTimestamp": ts(created),
            "labels": labels or {},
        },
        "spec": {
            "containers": [{"name": f"c{i}", "image": "nginx"} for i in range(containers)],
            "nodeName": node,
        },
        "status": {
            "phase": phase,
            "podIP": ip,
            "podIPs": [{"ip": ip}] if ip else [],
            "containerStatuses": statuses or [],
            "conditions": conditions or [],
        },
    }
    if init is not None:
        p["spec"]["initContainers"] = [{"name": f"i{i}", "image": "busybox"} for i in range(init)]
        p["status"]["initContainerStatuses"] = init_statuses or []
    if deleting:
        p["metadata"]["deletionTimestamp"] = ts(created + 30)
    if reason:
        p["status"]["reason"] = reason
    return p


def running(name="c0", ready=True, restarts=0, **extra):
    return {
        "name": name,
        "ready": ready,
        "restartCount": restarts,
        "state": {"running": {"startedAt": ts(1)}},
        **extra,
    }


def waiting(reason, name="c0", restarts=0, **extra):
    return {
        "name": name,
        "ready": False,
        "restartCount": restarts,
        "state": {"waiting": {"reason": reason}},
        **extra,
    }


def terminated(reason="", exit_code=0, name="c0", signal=0):
    t = {"exitCode": exit_code}
    if reason:
        t["reason"] = reason
    if signal:
        t["signal"] = signal
    return {"name": name, "ready": False, "restartCount": 0, "state": {"terminated": t}}


# ---------------------------------------------------------------------------------- AGE


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (-5, "<invalid>"),
        (-1, "0s"),
        (0, "0s"),
        (1, "1s"),
        (59, "59s"),
        (119, "119s"),
        (120, "2m"),
        (125, "2m5s"),
        (599, "9m59s"),
        (600, "10m"),
        (179 * 60 + 59, "179m"),
        (3 * 3600, "3h"),
        (3 * 3600 + 60, "3h1m"),
        (8 * 3600, "8h"),
        (47 * 3600, "47h"),
        (48 * 3600, "2d"),
        (50 * 3600, "2d2h"),
        (8 * 86400, "8d"),
        (729 * 86400, "729d"),
        (730 * 86400, "2y"),
        (731 * 86400, "2y1d"),
        (8 * 365 * 86400, "8y"),
    ],
)
def test_human_duration(seconds, text):
    assert human_duration(seconds) == text


# ----------------------------------------------------------------------- pod STATUS (§8.7)


@pytest.mark.parametrize(
    ("p", "now", "expected"),
    [
        (pod(statuses=[running()]), 10, ("1/1", "Running", "0")),
        (
            pod(phase="Pending", statuses=[waiting("ContainerCreating")]),
            1,
            ("0/1", "ContainerCreating", "0"),
        ),
        (pod(phase="Pending", node="", ip=""), 1, ("0/1", "Pending", "0")),
        (pod(statuses=[waiting("ErrImagePull")]), 1, ("0/1", "ErrImagePull", "0")),
        (pod(statuses=[waiting("ImagePullBackOff")]), 1, ("0/1", "ImagePullBackOff", "0")),
        (
            pod(
                statuses=[
                    waiting(
                        "CrashLoopBackOff",
                        restarts=3,
                        lastState={"terminated": {"exitCode": 1, "finishedAt": ts(60)}},
                    )
                ]
            ),
            180,
            ("0/1", "CrashLoopBackOff", "3 (2m ago)"),
        ),
        (pod(phase="Succeeded", statuses=[terminated("Completed")]), 5, ("0/1", "Completed", "0")),
        (pod(phase="Failed", statuses=[terminated("Error", 1)]), 5, ("0/1", "Error", "0")),
        (pod(statuses=[terminated("OOMKilled", 137)]), 5, ("0/1", "OOMKilled", "0")),
        (pod(phase="Failed", statuses=[terminated("", 2)]), 5, ("0/1", "ExitCode:2", "0")),
        (
            pod(phase="Failed", statuses=[terminated("", 137, signal=9)]),
            5,
            ("0/1", "Signal:9", "0"),
        ),
        (pod(statuses=[running()], deleting=True), 5, ("1/1", "Terminating", "0")),
        (
            pod(phase="Succeeded", statuses=[terminated("Completed")], deleting=True),
            5,
            ("0/1", "Completed", "0"),
        ),
        (pod(statuses=[running()], deleting=True, reason="NodeLost"), 5, ("1/1", "Unknown", "0")),
        (
            pod(
                phase="Pending",
                init=2,
                init_statuses=[
                    {
                        "name": "i0",
                        "restartCount": 0,
                        "state": {"terminated": {"exitCode": 0, "reason": "Completed"}},
                    },
                    {"name": "i1", "restartCount": 0, "state": {"running": {}}},
                ],
                statuses=[waiting("PodInitializing")],
            ),
            5,
            ("0/1", "Init:1/2", "0"),
        ),
        (
            pod(
                phase="Pending",
                init=1,
                init_statuses=[
                    {
                        "name": "i0",
                        "restartCount": 2,
                        "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                        "lastState": {"terminated": {"exitCode": 1, "finishedAt": ts(100)}},
                    }
                ],
            ),
            130,
            ("0/1", "Init:CrashLoopBackOff", "2 (30s ago)"),
        ),
        (
            pod(
                phase="Pending",
                init=1,
                init_statuses=[
                    {
                        "name": "i0",
                        "restartCount": 0,
                        "state": {"terminated": {"exitCode": 1, "reason": "Error"}},
                    }
                ],
            ),
            5,
            ("0/1", "Init:Error", "0"),
        ),
        (
            pod(
                phase="Pending",
                init=1,
                init_statuses=[
                    {"name": "i0", "restartCount": 0, "state": {"terminated": {"exitCode": 3}}}
                ],
            ),
            5,
            ("0/1", "Init:ExitCode:3", "0"),
        ),
        (
            pod(
                containers=2,
                statuses=[running("c0"), terminated("Completed", name="c1")],
                conditions=[{"type": "Ready", "status": "False"}],
            ),
            5,
            ("1/2", "NotReady", "0"),
        ),
        (
            pod(
                containers=2,
                statuses=[running("c0"), terminated("Completed", name="c1")],
                conditions=[{"type": "Ready", "status": "True"}],
            ),
            5,
            ("1/2", "Running", "0"),
        ),
        (
            pod(containers=2, statuses=[running("c0"), running("c1", ready=False)]),
            5,
            ("1/2", "Running", "0"),
        ),
        (
            pod(
                statuses=[
                    running(
                        restarts=1, lastState={"terminated": {"exitCode": 1, "finishedAt": ts(0)}}
                    )
                ]
            ),
            3600,
            ("1/1", "Running", "1 (60m ago)"),
        ),
        (
            pod(
                phase="Pending",
                conditions=[
                    {"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}
                ],
            ),
            0,
            ("0/1", "SchedulingGated", "0"),
        ),
    ],
)
def test_pod_status_column(p, now, expected):
    assert pod_summary(p, now) == expected


# ------------------------------------------------------------------------------ tables

PODS = [
    pod("frontend-b2zdv", statuses=[running()], labels={"tier": "frontend"}, ip="10.244.1.5"),
    pod(
        "frontend-vcmts",
        statuses=[running()],
        labels={"tier": "frontend", "app": "shop"},
        ip="10.244.2.12",
        node="node-2",
    ),
    pod("web", phase="Pending", statuses=[waiting("ContainerCreating")], ip="", created=40),
]


def test_get_pods_table():
    assert render_table(table_for(PODS, "Pod", now=65)) == (
        "NAME             READY   STATUS              RESTARTS   AGE\n"
        "frontend-b2zdv   1/1     Running             0          65s\n"
        "frontend-vcmts   1/1     Running             0          65s\n"
        "web              0/1     ContainerCreating   0          25s\n"
    )


def test_get_pods_wide():
    assert render_table(table_for(PODS, "Pod", now=65), wide=True) == (
        "NAME             READY   STATUS              RESTARTS   AGE   IP            NODE     NOMINATED NODE   READINESS GATES\n"
        "frontend-b2zdv   1/1     Running             0          65s   10.244.1.5    node-1   <none>           <none>\n"
        "frontend-vcmts   1/1     Running             0          65s   10.244.2.12   node-2   <none>           <none>\n"
        "web              0/1     ContainerCreating   0          25s   <none>        node-1   <none>           <none>\n"
    )


def test_get_pods_show_labels_and_label_columns():
    table = table_for(PODS, "Pod", now=65)
    assert render_table(table, show_labels=True) == (
        "NAME             READY   STATUS              RESTARTS   AGE   LABELS\n"
        "frontend-b2zdv   1/1     Running             0          65s   tier=frontend\n"
        "frontend-vcmts   1/1     Running             0          65s   app=shop,tier=frontend\n"
        "web              0/1     ContainerCreating   0          25s   <none>\n"
    )
    # -L adds one column per key; a missing label is an empty last cell (kubectl's trailing spaces).
    assert render_table(table, label_columns=["app"]).splitlines()[1] == (
        "frontend-b2zdv   1/1     Running             0          65s   "
    )


def test_namespace_column_and_no_headers():
    table = table_for(PODS[:1], "Pod", now=65)
    assert render_table(table, with_namespace=True) == (
        "NAMESPACE   NAME             READY   STATUS    RESTARTS   AGE\n"
        "default     frontend-b2zdv   1/1     Running   0          65s\n"
    )
    assert render_table(table, no_headers=True) == "frontend-b2zdv   1/1   Running   0     65s\n"


def rs(name="frontend", replicas=3, current=3, ready=3):
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": name,
            "namespace": "default",
            "creationTimestamp": ts(0),
            "uid": "u1",
            "labels": {"app": "guestbook", "tier": "frontend"},
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"tier": "frontend"}},
            "template": {
                "metadata": {"labels": {"tier": "frontend"}},
                "spec": {"containers": [{"name": "php-redis", "image": "gb-frontend:v5"}]},
            },
        },
        "status": {"replicas": current, "readyReplicas": ready},
    }


def test_get_rs_table_and_kind_prefix():
    table = table_for([rs()], "ReplicaSet", now=3 * 60 + 20)
    assert render_table(table) == (
        "NAME       DESIRED   CURRENT   READY   AGE\nfrontend   3         3         3       3m20s\n"
    )
    assert render_table(table, kind_prefix="replicaset.apps") == (
        "NAME                       DESIRED   CURRENT   READY   AGE\n"
        "replicaset.apps/frontend   3         3         3       3m20s\n"
    )


def node(name, ready="True", unschedulable=False, labels=None):
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "creationTimestamp": ts(0), "labels": labels or {}},
        "spec": {"unschedulable": unschedulable},
        "status": {
            "conditions": [{"type": "Ready", "status": ready}] if ready else [],
            "nodeInfo": {
                "kubeletVersion": "v1.32.0",
                "osImage": "Ubuntu 24.04 LTS",
                "kernelVersion": "6.8.0",
                "containerRuntimeVersion": "containerd://1.7.22",
            },
            "addresses": [{"type": "InternalIP", "address": "10.0.0.2"}],
        },
    }


def test_get_nodes():
    nodes = [
        node("control-plane", labels={"node-role.kubernetes.io/control-plane": ""}),
        node("node-1", ready="Unknown"),
        node("node-2", unschedulable=True),
        node("node-3", ready=None),
    ]
    assert render_table(table_for(nodes, "Node", now=7200)) == (
        "NAME            STATUS                     ROLES           AGE    VERSION\n"
        "control-plane   Ready                      control-plane   120m   v1.32.0\n"
        "node-1          NotReady                   <none>          120m   v1.32.0\n"
        "node-2          Ready,SchedulingDisabled   <none>          120m   v1.32.0\n"
        "node-3          Unknown                    <none>          120m   v1.32.0\n"
    )
    wide = render_table(table_for(nodes[:1], "Node", now=7200), wide=True)
    assert wide.splitlines()[0].endswith(
        "INTERNAL-IP   EXTERNAL-IP   OS-IMAGE           KERNEL-VERSION   CONTAINER-RUNTIME"
    )
    assert wide.splitlines()[1].endswith(
        "10.0.0.2      <none>        Ubuntu 24.04 LTS   6.8.0            containerd://1.7.22"
    )


def event(name, reason, message, last, kind="Pod", obj="web", type_="Normal", count=1):
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": "default", "creationTimestamp": ts(last)},
        "involvedObject": {"kind": kind, "name": obj, "namespace": "default"},
        "reason": reason,
        "message": message,
        "type": type_,
        "source": {"component": "kubelet", "host": "node-1"},
        "firstTimestamp": ts(last),
        "lastTimestamp": ts(last),
        "count": count,
    }


def test_get_events():
    events = [
        event("web.1", "Scheduled", "Successfully assigned default/web to node-1", 0),
        event(
            "web.2",
            "BackOff",
            "Back-off restarting failed container",
            100,
            type_="Warning",
            count=4,
        ),
        event(
            "frontend.1",
            "SuccessfulCreate",
            "Created pod: frontend-b2zdv",
            10,
            kind="ReplicaSet",
            obj="frontend",
        ),
    ]
    assert render_table(table_for(events, "Event", now=130)) == (
        "LAST SEEN   TYPE      REASON             OBJECT                MESSAGE\n"
        "2m10s       Normal    Scheduled          pod/web               Successfully assigned default/web to node-1\n"
        "30s         Warning   BackOff            pod/web               Back-off restarting failed container\n"
        "2m          Normal    SuccessfulCreate   replicaset/frontend   Created pod: frontend-b2zdv\n"
    )
    wide = table_for(events[1:2], "Event", now=130)["rows"][0]["cells"]
    assert wide[4:] == [
        "",
        "kubelet, node-1",
        "Back-off restarting failed container",
        "30s",
        4,
        "web.2",
    ]


def test_service_and_other_tables():
    svc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": "default", "creationTimestamp": ts(0)},
        "spec": {
            "type": "NodePort",
            "clusterIP": "10.96.0.12",
            "clusterIPs": ["10.96.0.12"],
            "selector": {"app": "web"},
            "ports": [
                {"port": 80, "nodePort": 30080, "protocol": "TCP"},
                {"port": 443, "protocol": "TCP"},
            ],
        },
        "status": {},
    }
    assert table_for([svc], "Service", 5)["rows"][0]["cells"] == [
        "web",
        "NodePort",
        "10.96.0.12",
        "<none>",
        "80:30080/TCP,443/TCP",
        "5s",
        "app=web",
    ]
    lb = dict(svc, spec=dict(svc["spec"], type="LoadBalancer"))
    assert table_for([lb], "Service", 5)["rows"][0]["cells"][3] == "<pending>"
    ep = {
        "kind": "Endpoints",
        "metadata": {"name": "web", "creationTimestamp": ts(0)},
        "subsets": [
            {"addresses": [{"ip": f"10.0.0.{i}"} for i in range(5)], "ports": [{"port": 80}]}
        ],
    }
    assert table_for([ep], "Endpoints", 5)["rows"][0]["cells"][1] == (
        "10.0.0.0:80,10.0.0.1:80,10.0.0.2:80 + 2 more..."
    )
    cm = {
        "kind": "ConfigMap",
        "metadata": {"name": "cfg", "creationTimestamp": ts(0)},
        "data": {"a": "1", "b": "2"},
    }
    assert table_for([cm], "ConfigMap", 5)["rows"][0]["cells"] == ["cfg", 2, "5s"]
    dep = {
        "kind": "Deployment",
        "metadata": {"name": "web", "creationTimestamp": ts(0)},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "spec": {
                    "containers": [{"name": "a", "image": "x:1"}, {"name": "b", "image": "y:2"}]
                }
            },
        },
        "status": {"readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2},
    }
    assert table_for([dep], "Deployment", 5)["rows"][0]["cells"] == [
        "web",
        "2/3",
        3,
        2,
        "5s",
        "a,b",
        "x:1,y:2",
        "app=web",
    ]
    sc = {
        "kind": "StorageClass",
        "metadata": {
            "name": "standard",
            "creationTimestamp": ts(0),
            "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
        },
        "provisioner": "k8s.io/minikube-hostpath",
    }
    assert render_table(table_for([sc], "StorageClass", 5)).splitlines()[1] == (
        "standard (default)   k8s.io/minikube-hostpath   Delete          Immediate           false                  5s"
    )
    other = {"kind": "ResourceQuota", "metadata": {"name": "q", "creationTimestamp": ts(0)}}
    assert [c["name"] for c in table_for([other], "ResourceQuota", 5)["columnDefinitions"]] == [
        "Name",
        "Age",
        "Request",
        "Limit",
    ]


def test_empty_table_renders_nothing():
    assert render_table(table_for([], "Pod", now=0)) == ""


def test_tabwriter_blocks_and_minwidth():
    # Column widths are per block of consecutive lines; a line without tabs ends the block.
    assert (
        tabulate("a\tb\nccc\td\nplain\nx\ty\n", minwidth=0, padding=2)
        == "a    b\nccc  d\nplain\nx  y\n"
    )
    # minwidth 6: a one-letter column is still 6 wide.
    assert tabulate("A\tB\n1\t2\n") == "A     B\n1     2\n"


# ------------------------------------------------------------------------------ output


def test_yaml_like_kubectl():
    obj = {
        "kind": "ConfigMap",
        "apiVersion": "v1",
        "metadata": {"name": "cfg", "annotations": {"note": "line1\nline2\n"}},
        "data": {"port": "80", "debug": "yes", "empty": "", "url": "http://x:80/a", "list": "- a"},
    }
    assert to_yaml(obj) == (
        "apiVersion: v1\n"
        "data:\n"
        '  debug: "yes"\n'
        '  empty: ""\n'
        "  list: '- a'\n"
        '  port: "80"\n'
        "  url: http://x:80/a\n"
        "kind: ConfigMap\n"
        "metadata:\n"
        "  annotations:\n"
        "    note: |\n"
        "      line1\n"
        "      line2\n"
        "  name: cfg\n"
    )
    assert (
        to_yaml(list_wrapper([]))
        == 'apiVersion: v1\nitems: []\nkind: List\nmetadata:\n  resourceVersion: ""\n'
    )


def test_json_and_name():
    assert to_json({"b": 1, "a": {"x": "<none>"}}) == (
        '{\n    "a": {\n        "x": "\\u003cnone\\u003e"\n    },\n    "b": 1\n}\n'
    )
    assert to_name({"kind": "ReplicaSet", "metadata": {"name": "f"}}) == "replicaset.apps/f"
    assert to_name({"kind": "Pod", "metadata": {"name": "p"}}) == "pod/p"


def test_jsonpath():
    data = list_wrapper(PODS)
    assert jsonpath("{.items[*].metadata.name}", data) == "frontend-b2zdv frontend-vcmts web"
    assert jsonpath("{.items[1].status.podIP}", data) == "10.244.2.12"
    assert jsonpath("{.items[0].metadata.missing}", data) == ""
    assert jsonpath("{.metadata.name}", PODS[0]) == "frontend-b2zdv"
    assert jsonpath("{.items[-1].metadata.name}", data) == "web"


# ------------------------------------------------------------------------------ describe


def test_describe_replicaset_layout():
    pods = [
        dict(p, metadata=dict(p["metadata"], ownerReferences=[{"controller": True, "uid": "u1"}]))
        for p in PODS[:2]
    ]
    events = [
        event(
            "frontend.1",
            "SuccessfulCreate",
            "Created pod: frontend-b2zdv",
            10,
            kind="ReplicaSet",
            obj="frontend",
        ),
        {
            **event(
                "frontend.2",
                "SuccessfulCreate",
                "Created pod: frontend-vcmts",
                10,
                kind="ReplicaSet",
                obj="frontend",
            ),
            "source": {"component": "replicaset-controller"},
        },
    ]
    events[0]["source"] = {"component": "replicaset-controller"}
    text = describe(rs(), Related(now=13, pods=pods, events=events))
    assert text == (
        "Name:         frontend\n"
        "Namespace:    default\n"
        "Selector:     tier=frontend\n"
        "Labels:       app=guestbook\n"
        "              tier=frontend\n"
        "Annotations:  <none>\n"
        "Replicas:     3 current / 3 desired\n"
        "Pods Status:  2 Running / 0 Waiting / 0 Succeeded / 0 Failed\n"
        "Pod Template:\n"
        "  Labels:  tier=frontend\n"
        "  Containers:\n"
        "   php-redis:\n"
        "    Image:         gb-frontend:v5\n"
        "    Port:          <none>\n"
        "    Host Port:     <none>\n"
        "    Environment:   <none>\n"
        "    Mounts:        <none>\n"
        "  Volumes:         <none>\n"
        "  Node-Selectors:  <none>\n"
        "  Tolerations:     <none>\n"
        "Events:\n"
        "  Type    Reason            Age   From                   Message\n"
        "  ----    ------            ----  ----                   -------\n"
        "  Normal  SuccessfulCreate  3s    replicaset-controller  Created pod: frontend-b2zdv\n"
        "  Normal  SuccessfulCreate  3s    replicaset-controller  Created pod: frontend-vcmts\n"
    )


def test_describe_pod_sections():
    p = pod(
        "web",
        statuses=[dict(running(), containerID="containerd://abc", imageID="nginx@sha256:1")],
        conditions=[{"type": "Ready", "status": "True"}],
    )
    p["spec"]["tolerations"] = [
        {
            "key": "node.kubernetes.io/not-ready",
            "operator": "Exists",
            "effect": "NoExecute",
            "tolerationSeconds": 300,
        },
        {
            "key": "node.kubernetes.io/unreachable",
            "operator": "Exists",
            "effect": "NoExecute",
            "tolerationSeconds": 300,
        },
    ]
    p["status"]["hostIP"] = "10.0.0.2"
    text = describe(p, Related(now=10, events=[]))
    assert text.startswith(
        "Name:         web\nNamespace:    default\nNode:         node-1/10.0.0.2\n"
    )
    assert "IP:           10.244.1.5\nIPs:\n  IP:  10.244.1.5\nContainers:\n" in text
    assert (
        "    State:          Running\n      Started:      Wed, 01 Jan 2025 00:00:01 +0000\n" in text
    )
    # Conditions rows and the lines after them form one tabwriter block (as in kubectl).
    assert text.endswith(
        "Conditions:\n"
        "  Type           Status\n"
        "  Ready          True \n"
        "Volumes:         <none>\n"
        "QoS Class:       BestEffort\n"
        "Node-Selectors:  <none>\n"
        "Tolerations:     node.kubernetes.io/not-ready:NoExecute op=Exists for 300s\n"
        "                 node.kubernetes.io/unreachable:NoExecute op=Exists for 300s\n"
        "Events:          <none>\n"
    )
    p["metadata"]["ownerReferences"] = [
        {"kind": "ReplicaSet", "name": "web-abc", "controller": True}
    ]
    text = describe(p, Related(now=10, events=[]))
    assert "IPs:\n  IP:           10.244.1.5\nControlled By:  ReplicaSet/web-abc\n" in text
