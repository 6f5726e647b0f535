"""kubelab.api.defaults: upstream SetDefaults_* values, kind by kind."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubelab.api.defaults import apply_defaults, default_pod_spec, image_tag, prepare_for_create


def pod(**spec) -> dict:
    spec.setdefault("containers", [{"name": "app", "image": "nginx:1.27"}])
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec}


def container(**fields) -> dict:
    return {"name": "app", "image": "nginx:1.27", **fields}


def workload(kind: str, spec: dict | None = None, api_version: str = "apps/v1") -> dict:
    template = {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [container()]}}
    return {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {"name": "web"},
        "spec": {"template": template, **(spec or {})},
    }


# --------------------------------------------------------------------------- pods


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("restartPolicy", "Always"),
        ("terminationGracePeriodSeconds", 30),
        ("dnsPolicy", "ClusterFirst"),
        ("schedulerName", "default-scheduler"),
        ("securityContext", {}),
        ("enableServiceLinks", True),
        ("priority", 0),
        ("preemptionPolicy", "PreemptLowerPriority"),
    ],
)
def test_pod_spec_defaults(field, value):
    assert apply_defaults(pod())["spec"][field] == value


def test_pod_defaults_keep_what_is_set():
    spec = apply_defaults(
        pod(restartPolicy="Never", dnsPolicy="Default", enableServiceLinks=False)
    )["spec"]
    assert (spec["restartPolicy"], spec["dnsPolicy"], spec["enableServiceLinks"]) == (
        "Never",
        "Default",
        False,
    )


def test_priority_left_to_admission_when_a_class_is_named():
    spec = apply_defaults(pod(priorityClassName="high"))["spec"]
    assert "priority" not in spec and "preemptionPolicy" not in spec


def test_tolerations_are_not_defaulted():
    """DefaultTolerationSeconds is an admission plugin, not a default."""
    assert "tolerations" not in apply_defaults(pod())["spec"]
    tolerations = [{"key": "k", "operator": "Exists"}]
    assert apply_defaults(pod(tolerations=tolerations))["spec"]["tolerations"] == tolerations


@pytest.mark.parametrize(
    ("image", "policy"),
    [
        ("nginx", "Always"),
        ("nginx:latest", "Always"),
        ("nginx:1.27", "IfNotPresent"),
        ("registry.local:5000/team/app", "Always"),
        ("registry.local:5000/team/app:v2", "IfNotPresent"),
        ("nginx@sha256:0123abcd", "IfNotPresent"),
        ("nginx:1.27@sha256:0123abcd", "IfNotPresent"),
    ],
)
def test_image_pull_policy_by_tag(image, policy):
    out = apply_defaults(pod(containers=[container(image=image)]))
    assert out["spec"]["containers"][0]["imagePullPolicy"] == policy


def test_image_tag_parsing():
    assert image_tag("a/b/c:d") == "d"
    assert image_tag("host:80/a") == "latest"


def test_container_defaults():
    c = apply_defaults(pod(containers=[container(ports=[{"containerPort": 80}])]))["spec"][
        "containers"
    ][0]
    assert c["terminationMessagePath"] == "/dev/termination-log"
    assert c["terminationMessagePolicy"] == "File"
    assert c["ports"] == [{"containerPort": 80, "protocol": "TCP"}]


def test_init_and_ephemeral_containers_are_defaulted_too():
    spec = apply_defaults(
        pod(initContainers=[container(name="init")], ephemeralContainers=[container(name="dbg")])
    )["spec"]
    assert spec["initContainers"][0]["terminationMessagePolicy"] == "File"
    assert spec["ephemeralContainers"][0]["imagePullPolicy"] == "IfNotPresent"


def test_requests_default_to_limits_in_pods_only():
    resources = {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "250m"}}
    out = apply_defaults(pod(containers=[container(resources=resources)]))
    assert out["spec"]["containers"][0]["resources"]["requests"] == {
        "cpu": "250m",
        "memory": "1Gi",
    }
    template = default_pod_spec({"containers": [container(resources={"limits": {"cpu": "1"}})]})
    assert "requests" not in template["containers"][0]["resources"]


def test_host_network_copies_container_ports_to_host_ports():
    out = apply_defaults(
        pod(hostNetwork=True, containers=[container(ports=[{"containerPort": 53}])])
    )
    assert out["spec"]["containers"][0]["ports"][0]["hostPort"] == 53


def test_probe_defaults():
    probe = {"httpGet": {"port": 8080}, "initialDelaySeconds": 5, "timeoutSeconds": 0}
    grpc = {"grpc": {"port": 2379}}
    c = apply_defaults(pod(containers=[container(livenessProbe=probe, startupProbe=grpc)]))["spec"][
        "containers"
    ][0]
    assert c["livenessProbe"] == {
        "httpGet": {"port": 8080, "path": "/", "scheme": "HTTP"},
        "initialDelaySeconds": 5,
        "timeoutSeconds": 1,  # 0 counts as unset upstream
        "periodSeconds": 10,
        "successThreshold": 1,
        "failureThreshold": 3,
    }
    assert c["startupProbe"]["grpc"] == {"port": 2379, "service": ""}


def test_lifecycle_http_get_and_field_ref_defaults():
    c = container(
        lifecycle={"preStop": {"httpGet": {"port": 80}}},
        env=[{"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}],
    )
    out = apply_defaults(pod(containers=[c]))["spec"]["containers"][0]
    assert out["lifecycle"]["preStop"]["httpGet"] == {"port": 80, "path": "/", "scheme": "HTTP"}
    assert out["env"][0]["valueFrom"]["fieldRef"]["apiVersion"] == "v1"


@pytest.mark.parametrize(
    ("volume", "expected"),
    [
        ({"name": "v"}, {"name": "v", "emptyDir": {}}),
        ({"name": "v", "emptyDir": None}, {"name": "v", "emptyDir": {}}),
        ({"name": "v", "secret": {"secretName": "s"}}, {"name": "v", "secret": {"secretName": "s", "defaultMode": 420}}),
        ({"name": "v", "configMap": {"name": "c"}}, {"name": "v", "configMap": {"name": "c", "defaultMode": 420}}),
        ({"name": "v", "configMap": {"name": "c", "defaultMode": 256}}, {"name": "v", "configMap": {"name": "c", "defaultMode": 256}}),
        ({"name": "v", "hostPath": {"path": "/x"}}, {"name": "v", "hostPath": {"path": "/x", "type": ""}}),
        (
            {"name": "v", "downwardAPI": {"items": [{"path": "l", "fieldRef": {"fieldPath": "metadata.labels"}}]}},
            {"name": "v", "downwardAPI": {"defaultMode": 420, "items": [{"path": "l", "fieldRef": {"fieldPath": "metadata.labels", "apiVersion": "v1"}}]}},
        ),
        (
            {"name": "v", "projected": {"sources": [{"serviceAccountToken": {"path": "t"}}]}},
            {"name": "v", "projected": {"defaultMode": 420, "sources": [{"serviceAccountToken": {"path": "t", "expirationSeconds": 3600}}]}},
        ),
        (
            {"name": "v", "ephemeral": {"volumeClaimTemplate": {"spec": {"accessModes": ["ReadWriteOnce"]}}}},
            {"name": "v", "ephemeral": {"volumeClaimTemplate": {"spec": {"accessModes": ["ReadWriteOnce"], "volumeMode": "Filesystem"}}}},
        ),
    ],
)  # fmt: skip
def test_volume_defaults(volume, expected):
    assert apply_defaults(pod(volumes=[volume]))["spec"]["volumes"] == [expected]


def test_default_pod_spec_returns_a_copy():
    spec = {"containers": [container()]}
    out = default_pod_spec(spec)
    assert out["restartPolicy"] == "Always" and "restartPolicy" not in spec
    assert "enableServiceLinks" not in out and "priority" not in out


# --------------------------------------------------------------------------- workloads


def test_deployment_defaults():
    spec = apply_defaults(workload("Deployment"))["spec"]
    assert spec["replicas"] == 1
    assert spec["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
    }
    assert (spec["revisionHistoryLimit"], spec["progressDeadlineSeconds"]) == (10, 600)
    template_spec = spec["template"]["spec"]
    assert template_spec["restartPolicy"] == "Always"
    assert "enableServiceLinks" not in template_spec


def test_deployment_recreate_gets_no_rolling_update_and_partial_blocks_fill_in():
    assert apply_defaults(workload("Deployment", {"strategy": {"type": "Recreate"}}))["spec"][
        "strategy"
    ] == {"type": "Recreate"}
    partial = {"strategy": {"rollingUpdate": {"maxSurge": 1}}, "replicas": 0}
    spec = apply_defaults(workload("Deployment", partial))["spec"]
    assert spec["strategy"]["rollingUpdate"] == {"maxSurge": 1, "maxUnavailable": "25%"}
    assert spec["replicas"] == 0  # set explicitly: kept


def test_replica_set_defaults():
    spec = apply_defaults(workload("ReplicaSet"))["spec"]
    assert spec["replicas"] == 1
    assert spec["template"]["spec"]["dnsPolicy"] == "ClusterFirst"


def test_daemon_set_defaults():
    spec = apply_defaults(workload("DaemonSet"))["spec"]
    assert spec["updateStrategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0},
    }
    assert spec["revisionHistoryLimit"] == 10
    on_delete = apply_defaults(workload("DaemonSet", {"updateStrategy": {"type": "OnDelete"}}))
    assert on_delete["spec"]["updateStrategy"] == {"type": "OnDelete"}


def test_replication_controller_selector_and_labels_from_template():
    rc = apply_defaults(workload("ReplicationController", api_version="v1"))
    assert rc["spec"]["selector"] == {"app": "web"}
    assert rc["metadata"]["labels"] == {"app": "web"}
    assert rc["spec"]["replicas"] == 1
    own = workload("ReplicationController", {"selector": {"app": "web", "x": "y"}}, "v1")
    own["metadata"]["labels"] = {"team": "a"}
    rc = apply_defaults(own)
    assert rc["spec"]["selector"] == {"app": "web", "x": "y"}
    assert rc["metadata"]["labels"] == {"team": "a"}


# --------------------------------------------------------------------------- services


def service(**spec) -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": spec}


def test_cluster_ip_service_defaults():
    spec = apply_defaults(
        service(ports=[{"port": 80}, {"port": 53, "targetPort": "dns", "protocol": "UDP"}])
    )["spec"]
    assert spec == {
        "ports": [
            {"port": 80, "protocol": "TCP", "targetPort": 80},
            {"port": 53, "targetPort": "dns", "protocol": "UDP"},
        ],
        "type": "ClusterIP",
        "sessionAffinity": "None",
        "internalTrafficPolicy": "Cluster",
    }
    assert "clusterIP" not in spec  # allocation is the registry's job


def test_target_port_zero_or_empty_means_port():
    spec = apply_defaults(
        service(ports=[{"port": 80, "targetPort": 0}, {"port": 81, "targetPort": ""}])
    )["spec"]
    assert [p["targetPort"] for p in spec["ports"]] == [80, 81]


@pytest.mark.parametrize(
    ("kind", "external", "allocate"),
    [
        ("NodePort", "Cluster", None),
        ("LoadBalancer", "Cluster", True),
        ("ExternalName", None, None),
    ],
)
def test_externally_accessible_services(kind, external, allocate):
    spec = apply_defaults(service(type=kind, ports=[{"port": 80}]))["spec"]
    assert spec.get("externalTrafficPolicy") == external
    assert spec.get("allocateLoadBalancerNodePorts") == allocate
    assert spec.get("internalTrafficPolicy") == (None if kind == "ExternalName" else "Cluster")


def test_cluster_ip_with_external_ips_is_externally_accessible():
    spec = apply_defaults(service(externalIPs=["1.2.3.4"], ports=[{"port": 80}]))["spec"]
    assert spec["externalTrafficPolicy"] == "Cluster"


def test_session_affinity():
    client_ip = apply_defaults(service(sessionAffinity="ClientIP"))["spec"]
    assert client_ip["sessionAffinityConfig"] == {"clientIP": {"timeoutSeconds": 10800}}
    kept = {"clientIP": {"timeoutSeconds": 60}}
    spec = apply_defaults(service(sessionAffinity="ClientIP", sessionAffinityConfig=kept))["spec"]
    assert spec["sessionAffinityConfig"] == kept
    none = apply_defaults(service(sessionAffinityConfig=kept))["spec"]
    assert "sessionAffinityConfig" not in none  # cleared when None


def test_load_balancer_status_ip_mode():
    svc = service(type="LoadBalancer")
    svc["status"] = {"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}, {"hostname": "lb"}]}}
    assert apply_defaults(svc)["status"]["loadBalancer"]["ingress"] == [
        {"ip": "1.2.3.4", "ipMode": "VIP"},
        {"hostname": "lb"},
    ]


def test_endpoints_and_endpoint_slices():
    ep = {"apiVersion": "v1", "kind": "Endpoints", "subsets": [{"ports": [{"port": 80}]}]}
    assert apply_defaults(ep)["subsets"][0]["ports"] == [{"port": 80, "protocol": "TCP"}]
    es = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "ports": [{"port": 80}]}
    assert apply_defaults(es)["ports"] == [{"port": 80, "name": "", "protocol": "TCP"}]


def test_ingress_has_no_defaults_and_ingress_class_scope():
    ing = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "spec": {"rules": [{"http": {"paths": [{"path": "/", "backend": {}}]}}]},
    }
    assert apply_defaults(ing) == ing  # pathType is required, never defaulted
    ic = {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
          "spec": {"parameters": {"kind": "K", "name": "n"}}}  # fmt: skip
    assert apply_defaults(ic)["spec"]["parameters"]["scope"] == "Cluster"


# --------------------------------------------------------------------------- config and storage


def test_secret_type():
    assert apply_defaults({"apiVersion": "v1", "kind": "Secret"})["type"] == "Opaque"
    tls = {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls"}
    assert apply_defaults(tls)["type"] == "kubernetes.io/tls"


def test_config_map_is_unchanged():
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}
    assert apply_defaults(cm) == cm  # the empty data map is omitted from JSON


def test_persistent_volume_and_claim():
    pv = apply_defaults(
        {"apiVersion": "v1", "kind": "PersistentVolume", "spec": {"hostPath": {"path": "/d"}}}
    )
    assert pv["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
    assert pv["spec"]["volumeMode"] == "Filesystem"
    assert pv["spec"]["hostPath"]["type"] == ""
    assert pv["status"] == {"phase": "Pending"}
    pvc = apply_defaults({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "spec": {}})
    assert pvc["spec"]["volumeMode"] == "Filesystem"
    assert pvc["status"] == {"phase": "Pending"}
    block = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "spec": {"volumeMode": "Block"}}
    assert apply_defaults(block)["spec"]["volumeMode"] == "Block"


def test_storage_class():
    sc = apply_defaults(
        {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "provisioner": "x"}
    )
    assert (sc["reclaimPolicy"], sc["volumeBindingMode"]) == ("Delete", "Immediate")


def test_limit_range_container_defaults():
    lr = {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "spec": {
            "limits": [
                {"type": "Container", "max": {"cpu": "2"}, "min": {"memory": "64Mi"}},
                {"type": "Pod", "max": {"cpu": "4"}},
            ]
        },
    }
    limits = apply_defaults(lr)["spec"]["limits"]
    assert limits[0]["default"] == {"cpu": "2"}
    assert limits[0]["defaultRequest"] == {"cpu": "2", "memory": "64Mi"}
    assert limits[1] == {"type": "Pod", "max": {"cpu": "4"}}


def test_namespace_label_status_and_create_time_finalizer():
    ns = apply_defaults({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "dev"}})
    assert ns["metadata"]["labels"] == {"kubernetes.io/metadata.name": "dev"}
    assert ns["status"] == {"phase": "Active"}
    assert "spec" not in ns  # the finalizer is added on create only
    created = prepare_for_create(ns)
    assert created["spec"]["finalizers"] == ["kubernetes"]
    assert prepare_for_create(created) == created
    other = prepare_for_create({"kind": "Namespace", "spec": {"finalizers": ["x"]}})
    assert other["spec"]["finalizers"] == ["x", "kubernetes"]


def test_node_allocatable_from_capacity():
    node = {"apiVersion": "v1", "kind": "Node", "status": {"capacity": {"cpu": "4"}}}
    assert apply_defaults(node)["status"]["allocatable"] == {"cpu": "4"}
    set_ = {
        "apiVersion": "v1",
        "kind": "Node",
        "status": {"capacity": {"cpu": "4"}, "allocatable": {"cpu": "3"}},
    }
    assert apply_defaults(set_)["status"]["allocatable"] == {"cpu": "3"}


@pytest.mark.parametrize(
    "kind", ["PodDisruptionBudget", "ResourceQuota", "Event", "Lease", "Widget"]
)
def test_kinds_without_defaults_are_copied(kind):
    obj = {"apiVersion": "v1", "kind": kind, "spec": {"a": [1]}}
    out = apply_defaults(obj)
    assert out == obj and out is not obj and out["spec"] is not obj["spec"]


# --------------------------------------------------------------------------- properties


KINDS = [
    pod(volumes=[{"name": "v"}], containers=[container(livenessProbe={"tcpSocket": {"port": 1}})]),
    workload("Deployment"),
    workload("DaemonSet"),
    workload("ReplicationController", api_version="v1"),
    service(type="LoadBalancer", sessionAffinity="ClientIP", ports=[{"port": 1}]),
]


@pytest.mark.parametrize("obj", KINDS, ids=lambda o: o["kind"])
def test_input_is_never_mutated_and_defaulting_is_idempotent(obj):
    before = copy.deepcopy(obj)
    once = apply_defaults(obj)
    assert obj == before
    assert apply_defaults(once) == once


_names = st.text("abcxyz", min_size=1, max_size=5)
_images = st.sampled_from(["nginx", "nginx:1.2", "a:5000/b", "x@sha256:00", ""])
_containers = st.fixed_dictionaries(
    {"name": _names, "image": _images},
    optional={
        "imagePullPolicy": st.sampled_from(["", "Never", "Always"]),
        "ports": st.lists(
            st.fixed_dictionaries(
                {"containerPort": st.integers(1, 9)},
                optional={"protocol": st.sampled_from(["", "UDP"]), "hostPort": st.integers(0, 9)},
            ),
            max_size=2,
        ),
        "resources": st.fixed_dictionaries(
            {},
            optional={"limits": st.dictionaries(st.sampled_from(["cpu", "memory"]), st.just("1"))},
        ),
        "readinessProbe": st.fixed_dictionaries(
            {}, optional={"periodSeconds": st.integers(0, 3), "httpGet": st.just({"port": 80})}
        ),
    },
)
_pod_specs = st.fixed_dictionaries(
    {"containers": st.lists(_containers, min_size=1, max_size=2)},
    optional={
        "hostNetwork": st.booleans(),
        "restartPolicy": st.sampled_from(["", "Never"]),
        "volumes": st.lists(
            st.sampled_from(
                [
                    {"name": "a"},
                    {"name": "b", "secret": {}},
                    {"name": "c", "hostPath": {"path": "/"}},
                ]
            ),
            max_size=2,
        ),
    },
)


@given(_pod_specs)
def test_pod_defaulting_is_idempotent_for_generated_specs(spec):
    obj = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec}
    before = copy.deepcopy(obj)
    once = apply_defaults(obj)
    assert obj == before
    assert apply_defaults(once) == once
    for c in once["spec"]["containers"]:
        assert c["imagePullPolicy"] and c["terminationMessagePolicy"] == "File"
        for key, value in c.get("resources", {}).get("limits", {}).items():
            assert c["resources"]["requests"][key] == value
