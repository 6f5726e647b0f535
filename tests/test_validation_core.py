"""Core-group validation: Pods (§9.3), Services (§9.4, §6.2), PV/PVC (§10), metadata, misc kinds."""

from __future__ import annotations

import copy

import pytest

from kubelab.api.defaults import apply_defaults
from kubelab.api.validation import validate, validate_update

RFC1123_LABEL = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and "
    "end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
DNS1035 = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
    "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for "
    "validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
)
LABEL_VALUE = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used "
    "for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)


def pod(**spec):
    obj = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "nginx", "namespace": "default", "labels": {"app": "nginx"}},
        "spec": {
            "containers": [
                {"name": "nginx", "image": "nginx:1.14.2", "ports": [{"containerPort": 80}]}
            ]
        },
    }
    obj["spec"].update(spec)
    return obj


def container(obj, i=0):
    return obj["spec"]["containers"][i]


def service(**spec):
    obj = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "my-service", "namespace": "default"},
        "spec": {
            "selector": {"app.kubernetes.io/name": "MyApp"},
            "ports": [{"protocol": "TCP", "port": 80, "targetPort": 9376}],
        },
    }
    obj["spec"].update(spec)
    return obj


def errors(obj):
    return [str(e) for e in validate(apply_defaults(obj))]


def update_errors(new, old):
    return [str(e) for e in validate_update(new, old)]


# --------------------------------------------------------------------------- Pods (§9.3)


def test_typical_pod_is_valid():
    obj = pod(
        volumes=[
            {"name": "data", "emptyDir": {}},
            {"name": "cfg", "configMap": {"name": "app-config"}},
        ]
    )
    c = container(obj)
    c["volumeMounts"] = [
        {"name": "data", "mountPath": "/data"},
        {"name": "cfg", "mountPath": "/etc/app"},
    ]
    c["env"] = [
        {"name": "MODE", "value": "prod"},
        {"name": "KEY", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
    ]
    c["resources"] = {
        "requests": {"cpu": "100m", "memory": "64Mi"},
        "limits": {"cpu": "1", "memory": "128Mi"},
    }
    c["livenessProbe"] = {"exec": {"command": ["cat", "/tmp/healthy"]}, "initialDelaySeconds": 5}
    c["startupProbe"] = {"grpc": {"port": 2379}}
    obj["spec"]["tolerations"] = [
        {
            "key": "node.kubernetes.io/not-ready",
            "operator": "Exists",
            "effect": "NoExecute",
            "tolerationSeconds": 300,
        }
    ]
    obj["spec"]["nodeSelector"] = {"disktype": "ssd"}
    obj["spec"]["affinity"] = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}
                ]
            }
        }
    }
    obj["spec"]["initContainers"] = [
        {"name": "init", "image": "busybox", "command": ["sh", "-c", "true"]}
    ]
    assert errors(obj) == []


def test_no_name_and_no_generate_name():
    obj = pod()
    del obj["metadata"]["name"]
    assert errors(obj) == ["metadata.name: Required value: name or generateName is required"]


def test_no_containers():
    assert errors(pod(containers=[])) == ["spec.containers: Required value"]


def test_container_without_name():
    obj = pod()
    del container(obj)["name"]
    assert errors(obj) == ["spec.containers[0].name: Required value"]


def test_container_without_image():
    obj = pod()
    del container(obj)["image"]
    assert errors(obj) == ["spec.containers[0].image: Required value"]


def test_duplicate_container_names():
    obj = pod(containers=[{"name": "app", "image": "a"}, {"name": "app", "image": "b"}])
    assert errors(obj) == ['spec.containers[1].name: Duplicate value: "app"']


def test_container_name_not_a_label():
    obj = pod()
    container(obj)["name"] = "App_1"
    assert errors(obj) == [f'spec.containers[0].name: Invalid value: "App_1": {RFC1123_LABEL}']


def test_restart_policy_invalid():
    assert errors(pod(restartPolicy="Sometimes")) == [
        'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"'
    ]


def test_container_port_out_of_range():
    obj = pod()
    container(obj)["ports"] = [{"containerPort": 70000}]
    assert errors(obj) == [
        "spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive"
    ]


def test_duplicate_host_port():
    obj = pod(
        containers=[
            {"name": "a", "image": "x", "ports": [{"containerPort": 80, "hostPort": 8080}]},
            {"name": "b", "image": "x", "ports": [{"containerPort": 81, "hostPort": 8080}]},
        ]
    )
    assert errors(obj) == ['spec.containers[1].ports[0].hostPort: Duplicate value: "TCP//8080"']


def test_request_greater_than_limit():
    obj = pod()
    container(obj)["resources"] = {"requests": {"cpu": "2"}, "limits": {"cpu": "1"}}
    assert errors(obj) == [
        'spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1'
    ]


def test_request_greater_than_limit_canonical_quantities():
    obj = pod()
    container(obj)["resources"] = {"requests": {"memory": "2048Mi"}, "limits": {"memory": "1024Mi"}}
    assert errors(obj) == [
        'spec.containers[0].resources.requests: Invalid value: "2Gi": must be less than or equal to memory limit of 1Gi'
    ]


def test_negative_quantity():
    obj = pod()
    container(obj)["resources"] = {"requests": {"cpu": "-1"}}
    assert errors(obj) == [
        'spec.containers[0].resources.requests[cpu]: Invalid value: "-1": must be greater than or equal to 0'
    ]


def test_unknown_resource_name():
    obj = pod()
    container(obj)["resources"] = {"limits": {"gpu": "1"}}
    assert errors(obj) == [  # defaulting copied the limit into requests, so both are reported
        'spec.containers[0].resources.limits[gpu]: Invalid value: "gpu": must be a standard resource for containers',
        'spec.containers[0].resources.requests[gpu]: Invalid value: "gpu": must be a standard resource for containers',
    ]


def test_liveness_success_threshold_must_be_one():
    obj = pod()
    container(obj)["livenessProbe"] = {"httpGet": {"path": "/", "port": 80}, "successThreshold": 2}
    assert errors(obj) == [
        "spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1"
    ]


def test_startup_success_threshold_must_be_one_but_readiness_may_differ():
    obj = pod()
    container(obj)["startupProbe"] = {"tcpSocket": {"port": 80}, "successThreshold": 3}
    container(obj)["readinessProbe"] = {"tcpSocket": {"port": 80}, "successThreshold": 3}
    assert errors(obj) == [
        "spec.containers[0].startupProbe.successThreshold: Invalid value: 3: must be 1"
    ]


def test_probe_without_handler():
    obj = pod()
    container(obj)["readinessProbe"] = {"periodSeconds": 5}
    assert errors(obj) == [
        "spec.containers[0].readinessProbe: Required value: must specify a handler type"
    ]


def test_probe_with_two_handlers():
    obj = pod()
    container(obj)["livenessProbe"] = {"exec": {"command": ["true"]}, "tcpSocket": {"port": 80}}
    assert errors(obj) == [
        "spec.containers[0].livenessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type"
    ]


def test_probe_named_port_must_be_a_port_name():
    obj = pod()
    container(obj)["livenessProbe"] = {"httpGet": {"port": "8080"}}
    assert errors(obj) == [
        'spec.containers[0].livenessProbe.httpGet.port: Invalid value: "8080": must contain at least one letter (a-z)'
    ]


def test_volume_mount_must_reference_a_volume():
    obj = pod()
    container(obj)["volumeMounts"] = [{"name": "data", "mountPath": "/data"}]
    assert errors(obj) == ['spec.containers[0].volumeMounts[0].name: Not found: "data"']


def test_volume_without_source_and_duplicate():
    obj = pod(volumes=[{"name": "a"}, {"name": "b", "emptyDir": {}}, {"name": "b", "emptyDir": {}}])
    assert errors(obj) == [
        'spec.volumes[2].name: Duplicate value: "b"'
    ]  # defaulting gives "a" an emptyDir
    assert [str(e) for e in validate(obj)] == [
        "spec.volumes[0]: Required value: must specify a volume type",
        'spec.volumes[2].name: Duplicate value: "b"',
    ]


def test_volume_with_two_sources():
    obj = pod(volumes=[{"name": "a", "emptyDir": {}, "hostPath": {"path": "/x"}}])
    assert errors(obj) == [
        "spec.volumes[0].emptyDir: Forbidden: may not specify more than 1 volume type"
    ]


def test_pvc_volume_needs_claim_name():
    obj = pod(volumes=[{"name": "data", "persistentVolumeClaim": {}}])
    assert errors(obj) == ["spec.volumes[0].persistentVolumeClaim.claimName: Required value"]


def test_env_var_name_and_value_from():
    obj = pod()
    container(obj)["env"] = [{"name": "1BAD", "value": "x"}, {"name": "OK", "valueFrom": {}}]
    assert errors(obj) == [
        'spec.containers[0].env[0].name: Invalid value: "1BAD": a valid environment variable name must consist of '
        "alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or "
        "'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')",
        'spec.containers[0].env[1].valueFrom: Invalid value: "": must specify one of: `fieldRef`, '
        "`resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`",
    ]


def test_env_field_ref_unsupported():
    obj = pod()
    container(obj)["env"] = [
        {"name": "X", "valueFrom": {"fieldRef": {"fieldPath": "spec.restartPolicy"}}}
    ]
    assert errors(obj) == [
        'spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Unsupported value: "spec.restartPolicy": supported '
        'values: "metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid", '
        '"spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"'
    ]


def test_toleration_rules():
    obj = pod(
        tolerations=[
            {"operator": "Equal", "value": "x"},
            {"key": "k", "tolerationSeconds": 5, "effect": "NoSchedule"},
        ]
    )
    assert errors(obj) == [
        'spec.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, '
        'which means "match all values and all keys"',
        "spec.tolerations[1].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' when "
        "`tolerationSeconds` is set",
    ]


def test_numeric_toleration_operators():
    assert (
        errors(
            pod(
                tolerations=[
                    {"key": "sla", "operator": "Gt", "value": "900", "effect": "NoSchedule"}
                ]
            )
        )
        == []
    )
    assert errors(pod(tolerations=[{"key": "sla", "operator": "Lt", "value": "high"}])) == [
        'spec.tolerations[0].value: Invalid value: "high": value must be a valid integer for numeric comparison operators'
    ]
    assert errors(pod(tolerations=[{"key": "sla", "operator": "Near"}])) == [
        'spec.tolerations[0].operator: Unsupported value: "Near": supported values: "Equal", "Exists", "Lt", "Gt"'
    ]


def test_node_affinity_basics():
    obj = pod(
        affinity={
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": []},
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    {
                        "weight": 0,
                        "preference": {
                            "matchExpressions": [
                                {"key": "zone", "operator": "Exists", "values": ["a"]}
                            ]
                        },
                    }
                ],
            }
        }
    )
    assert errors(obj) == [
        "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: "
        "Required value: must have at least one node selector term",
        "spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: Invalid value: 0: "
        "must be in the range 1-100",
        "spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].preference.matchExpressions[0]"
        ".values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
    ]


def test_pod_anti_affinity_needs_topology_key():
    obj = pod(
        affinity={
            "podAntiAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": [
                    {"labelSelector": {"matchLabels": {"app": "nginx"}}}
                ]
            }
        }
    )
    errs = errors(obj)
    assert errs[0] == (
        "spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: "
        "Required value: can not be empty"
    )


def test_node_selector_label_value():
    errs = errors(pod(nodeSelector={"disk": "bad value"}))
    assert errs == [f'spec.nodeSelector: Invalid value: "bad value": {LABEL_VALUE}']


def test_label_value_invalid():
    obj = pod()
    obj["metadata"]["labels"]["tier"] = "bad value"
    assert errors(obj) == [f'metadata.labels: Invalid value: "bad value": {LABEL_VALUE}']


def test_annotations_too_long():
    obj = pod()
    obj["metadata"]["annotations"] = {"big": "x" * (256 * 1024)}
    assert errors(obj) == ["metadata.annotations: Too long: must have at most 262144 bytes"]


def test_generate_name_is_checked():
    obj = pod()
    obj["metadata"]["generateName"] = "Web-"
    errs = errors(obj)
    assert errs[0].startswith(
        'metadata.generateName: Invalid value: "Web-": a lowercase RFC 1123 subdomain'
    )
    obj["metadata"]["generateName"] = "web-"
    assert errors(obj) == []


def test_owner_references_two_controllers():
    obj = pod()
    ref = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "uid": "u1", "controller": True}
    obj["metadata"]["ownerReferences"] = [dict(ref, name="a"), dict(ref, name="b", uid="u2")]
    errs = errors(obj)
    assert len(errs) == 1
    assert errs[0].startswith("metadata.ownerReferences: Invalid value: []v1.OwnerReference{")
    assert errs[0].endswith(
        'Only one reference can have Controller set to true. Found "true" in references for '
        "ReplicaSet/a and ReplicaSet/b"
    )


def test_pod_update_forbidden_fields():
    old = apply_defaults(pod())
    new = copy.deepcopy(old)
    new["spec"]["nodeSelector"] = {"disk": "ssd"}
    errs = update_errors(new, old)
    assert len(errs) == 1
    first, *diff = errs[0].split("\n")
    assert first == (
        "spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
        "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to "
        "existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was "
        "previously negative)"
    )
    assert diff[0] == "  core.PodSpec{"
    assert '+ \tNodeSelector: map[string]string{"disk":"ssd"},' in diff


def test_pod_update_image_and_added_toleration_allowed():
    old = apply_defaults(pod())
    new = copy.deepcopy(old)
    container(new)["image"] = "nginx:1.25"
    new["spec"]["tolerations"] = [{"key": "k", "operator": "Exists"}]
    new["spec"]["activeDeadlineSeconds"] = 60
    new["metadata"]["labels"]["extra"] = "yes"
    assert update_errors(new, old) == []


def test_pod_update_add_container_and_remove_toleration():
    old = apply_defaults(pod(tolerations=[{"key": "k", "operator": "Exists"}]))
    new = copy.deepcopy(old)
    new["spec"]["tolerations"] = []
    assert update_errors(new, old) == [
        "spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds"
    ]
    new = copy.deepcopy(old)
    new["spec"]["containers"].append({"name": "side", "image": "busybox"})
    assert update_errors(new, old) == [
        "spec.containers: Forbidden: pod updates may not add or remove containers"
    ]


def test_metadata_identity_is_immutable():
    old = apply_defaults(pod())
    old["metadata"]["uid"] = "abc"
    new = copy.deepcopy(old)
    new["metadata"]["uid"] = "def"
    assert update_errors(new, old) == ['metadata.uid: Invalid value: "def": field is immutable']


# --------------------------------------------------------------------------- Namespaces, names


def test_namespace_name_is_a_label():
    obj = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "My-NS"}}
    assert errors(obj) == [f'metadata.name: Invalid value: "My-NS": {RFC1123_LABEL}']
    obj["metadata"]["name"] = "team.a"
    assert errors(obj) == ['metadata.name: Invalid value: "team.a": must not contain dots']
    obj["metadata"]["name"] = "team-a"
    assert errors(obj) == []


def test_cluster_scoped_object_with_namespace():
    obj = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "dev", "namespace": "default"},
    }
    assert errors(obj) == ["metadata.namespace: Forbidden: not allowed on this type"]


def test_namespaced_object_without_namespace():
    obj = pod()
    del obj["metadata"]["namespace"]
    assert errors(obj) == ["metadata.namespace: Required value"]


# --------------------------------------------------------------------------- Services (§9.4, §6.2)


def test_typical_services_are_valid():
    assert errors(service()) == []
    assert (
        errors(
            service(
                type="NodePort",
                ports=[
                    {"name": "http", "port": 80, "nodePort": 30080},
                    {"name": "https", "port": 443, "targetPort": "https"},
                ],
            )
        )
        == []
    )
    assert errors(service(clusterIP="None", ports=[])) == []
    assert (
        errors(
            service(
                type="ExternalName", externalName="my.database.example.com", ports=[], selector=None
            )
        )
        == []
    )
    assert errors(service(type="LoadBalancer", externalTrafficPolicy="Local")) == []


def test_service_name_is_dns1035():
    obj = service()
    obj["metadata"]["name"] = "1svc"
    assert errors(obj) == [f'metadata.name: Invalid value: "1svc": {DNS1035}']


def test_service_ports_required():
    assert errors(service(ports=[])) == ["spec.ports: Required value"]


def test_service_port_zero():
    assert errors(service(ports=[{"port": 0, "targetPort": 80}])) == [
        "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive"
    ]


def test_service_type_unsupported():
    assert errors(service(type="Foo")) == [
        'spec.type: Unsupported value: "Foo": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"'
    ]


def test_session_affinity_unsupported():
    assert errors(service(sessionAffinity="Sticky")) == [
        'spec.sessionAffinity: Unsupported value: "Sticky": supported values: "ClientIP", "None"'
    ]


def test_node_port_forbidden_on_cluster_ip():
    assert errors(service(ports=[{"port": 80, "nodePort": 30080}])) == [
        "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"
    ]


def test_port_names_required_and_unique():
    assert errors(service(ports=[{"port": 80}, {"port": 443}])) == [
        "spec.ports[0].name: Required value",
        "spec.ports[1].name: Required value",
    ]
    assert errors(service(ports=[{"name": "http", "port": 80}, {"name": "http", "port": 443}])) == [
        'spec.ports[1].name: Duplicate value: "http"'
    ]


def test_duplicate_port_protocol_pair():
    assert errors(service(ports=[{"name": "a", "port": 80}, {"name": "b", "port": 80}])) == [
        'spec.ports[1]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), '
        'Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}'
    ]


def test_external_name_rules():
    assert errors(service(type="ExternalName", ports=[])) == ["spec.externalName: Required value"]
    assert errors(
        service(type="ExternalName", externalName="db.example.com", clusterIP="10.96.0.5")
    ) == ["spec.clusterIPs: Forbidden: may not be set for ExternalName services"]
    errs = errors(service(type="ExternalName", externalName="My_DB"))
    assert errs[0].startswith(
        'spec.externalName: Invalid value: "My_DB": a lowercase RFC 1123 subdomain'
    )


def test_headless_not_allowed_for_node_port():
    assert errors(service(type="NodePort", clusterIP="None")) == [
        "spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for NodePort services"
    ]


def test_cluster_ip_must_be_an_ip():
    assert errors(service(clusterIP="10.96.0.300")) == [
        'spec.clusterIPs[0]: Invalid value: "10.96.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'
    ]


def test_external_traffic_policy_only_for_external_services():
    assert errors(service(externalTrafficPolicy="Local")) == [
        'spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services'
    ]


def test_service_selector_labels():
    assert errors(service(selector={"app": "-x"})) == [
        f'spec.selector: Invalid value: "-x": {LABEL_VALUE}'
    ]


def test_cluster_ip_immutable():
    old = apply_defaults(service(clusterIP="10.96.0.10"))
    old["spec"]["clusterIPs"] = ["10.96.0.10"]
    new = copy.deepcopy(old)
    new["spec"]["clusterIP"] = "10.96.0.11"
    assert update_errors(new, old) == [
        'spec.clusterIPs[0]: Invalid value: []string{"10.96.0.11"}: may not change once set'
    ]
    new = copy.deepcopy(old)
    new["spec"]["ports"] = [{"port": 8080, "protocol": "TCP", "targetPort": 8080}]
    assert update_errors(new, old) == []


# --------------------------------------------------------------------------- PV / PVC (§10)


def pv(**spec):
    obj = {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": "pv0003"},
        "spec": {
            "capacity": {"storage": "5Gi"},
            "accessModes": ["ReadWriteOnce"],
            "storageClassName": "slow",
            "hostPath": {"path": "/mnt/data"},
        },
    }
    obj["spec"].update(spec)
    return obj


def pvc(**spec):
    obj = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "myclaim", "namespace": "default"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "8Gi"}}},
    }
    obj["spec"].update(spec)
    return obj


def test_typical_pv_and_pvc_are_valid():
    assert errors(pv()) == []
    assert errors(pvc()) == []
    assert errors(pvc(storageClassName="")) == []  # "" = bind only to class-less volumes
    assert errors(pvc(storageClassName=None)) == []  # `storageClassName:` in YAML: unset


def test_pv_access_modes_and_capacity():
    assert errors(pv(accessModes=[])) == ["spec.accessModes: Required value"]
    assert errors(pv(accessModes=["ReadWriteSometimes"])) == [
        'spec.accessModes: Unsupported value: "ReadWriteSometimes": supported values: "ReadOnlyMany", '
        '"ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"'
    ]
    assert errors(pv(capacity={"storage": "0"})) == [
        'spec.capacity[storage]: Invalid value: "0": must be greater than zero'
    ]


def test_pv_needs_exactly_one_source():
    obj = pv()
    del obj["spec"]["hostPath"]
    assert errors(obj) == ["spec: Required value: must specify a volume type"]
    assert errors(pv(nfs={"server": "nfs.local", "path": "/exports"})) == [
        "spec.nfs: Forbidden: may not specify more than 1 volume type"
    ]


def test_pv_reclaim_policy():
    assert errors(pv(persistentVolumeReclaimPolicy="Keep")) == [
        'spec.persistentVolumeReclaimPolicy: Unsupported value: "Keep": supported values: "Delete", "Recycle", "Retain"'
    ]


def test_pvc_rules():
    assert errors(pvc(accessModes=[])) == [
        "spec.accessModes: Required value: at least 1 access mode is required"
    ]
    assert errors(pvc(resources={})) == ["spec.resources[storage]: Required value"]
    assert errors(pvc(resources={"requests": {"storage": "0"}})) == [
        'spec.resources[storage]: Invalid value: "0": must be greater than zero'
    ]
    errs = errors(pvc(storageClassName="Fast_SSD"))
    assert errs[0].startswith(
        'spec.storageClassName: Invalid value: "Fast_SSD": a lowercase RFC 1123 subdomain'
    )


def test_pvc_spec_immutable_except_bound_requests():
    old = apply_defaults(pvc())
    new = copy.deepcopy(old)
    new["spec"]["accessModes"] = ["ReadWriteMany"]
    errs = update_errors(new, old)
    assert errs[0].split("\n")[0] == (
        "spec: Forbidden: spec is immutable after creation except resources.requests and "
        "volumeAttributesClassName for bound claims"
    )
    bound = copy.deepcopy(old)
    bound["status"] = {"phase": "Bound", "capacity": {"storage": "8Gi"}}
    bound["spec"]["volumeName"] = "pv0003"
    grown = copy.deepcopy(bound)
    grown["spec"]["resources"]["requests"]["storage"] = "16Gi"
    assert update_errors(grown, bound) == []
    shrunk = copy.deepcopy(bound)
    shrunk["spec"]["resources"]["requests"]["storage"] = "4Gi"
    assert update_errors(shrunk, bound) == [
        "spec.resources.requests.storage: Forbidden: field can not be less than status.capacity"
    ]


def test_pvc_volume_name_may_be_set_once():
    old = apply_defaults(pvc())
    new = copy.deepcopy(old)
    new["spec"]["volumeName"] = "pv0003"
    assert update_errors(new, old) == []


def test_pv_source_immutable():
    old = apply_defaults(pv())
    new = copy.deepcopy(old)
    new["spec"]["hostPath"] = {"path": "/other"}
    errs = update_errors(new, old)
    assert errs[0].split("\n")[0] == (
        "spec.persistentvolumesource: Forbidden: spec.persistentvolumesource is immutable after creation"
    )


# --------------------------------------------------------------------------- ConfigMap, Secret, Node, quotas


def test_config_map_keys_and_immutable():
    obj = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "cfg", "namespace": "default"},
        "data": {"good.key": "1", "bad key": "2"},
    }
    assert errors(obj) == [
        'data[bad key]: Invalid value: "bad key": a valid config key must consist of alphanumeric characters, '
        "'-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "
        "'[-._a-zA-Z0-9]+')"
    ]
    old = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "cfg", "namespace": "default"},
        "data": {"a": "1"},
        "immutable": True,
    }
    new = copy.deepcopy(old)
    new["data"]["a"] = "2"
    assert update_errors(new, old) == [
        "data: Forbidden: field is immutable when `immutable` is set"
    ]


def test_secret_tls_keys_and_type_immutable():
    obj = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "tls", "namespace": "default"},
        "type": "kubernetes.io/tls",
        "data": {"tls.crt": "Y2VydA=="},
    }
    assert errors(obj) == ["data[tls.key]: Required value"]
    old = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s", "namespace": "default"},
        "type": "Opaque",
    }
    new = dict(old, type="kubernetes.io/basic-auth", data={"username": "YQ=="})
    assert (
        update_errors(new, old)[0]
        == 'type: Invalid value: "kubernetes.io/basic-auth": field is immutable'
    )


def test_secret_string_data_counts_as_data():
    obj = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "basic", "namespace": "default"},
        "type": "kubernetes.io/basic-auth",
        "stringData": {"username": "admin", "password": "t0p-Secret"},
    }
    assert errors(obj) == []
    obj["stringData"] = {}
    assert errors(obj) == ["data[username]: Required value", "data[password]: Required value"]


def test_node_taints():
    obj = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": "node-1"},
        "spec": {"taints": [{"key": "dedicated", "value": "gpu", "effect": "NoRun"}]},
    }
    assert errors(obj) == [
        'spec.taints[0].effect: Unsupported value: "NoRun": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"'
    ]


def test_resource_quota_and_limit_range():
    rq = {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": "q", "namespace": "default"},
        "spec": {"hard": {"pods": "10", "requests.cpu": "-1"}},
    }
    assert errors(rq) == [
        'spec.hard[requests.cpu]: Invalid value: "-1": must be greater than or equal to 0'
    ]
    lr = {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": "l", "namespace": "default"},
        "spec": {"limits": [{"type": "Container", "max": {"cpu": "1"}, "min": {"cpu": "2"}}]},
    }
    errs = errors(lr)
    assert errs[0].startswith("spec.limits[0].min[cpu]: Invalid value: resource.Quantity{")
    assert errs[0].endswith("min value 2 is greater than max value 1")


# --------------------------------------------------------------------------- robustness


GARBAGE = [None, 1, "x", [], {}, [1, "a", None], {"a": None}]


@pytest.mark.parametrize(
    "kind",
    [
        "Pod",
        "Service",
        "Deployment",
        "ReplicaSet",
        "DaemonSet",
        "ReplicationController",
        "PersistentVolume",
        "PersistentVolumeClaim",
        "Ingress",
        "Namespace",
        "Node",
        "ConfigMap",
        "Secret",
        "PodDisruptionBudget",
        "StorageClass",
        "LimitRange",
        "ResourceQuota",
        "Endpoints",
        "Event",
        "IngressClass",
        "Lease",
    ],
)
@pytest.mark.parametrize("junk", GARBAGE)
def test_never_crashes_on_wrong_types(kind, junk):
    obj = {
        "kind": kind,
        "metadata": {"name": "x", "namespace": "default"},
        "spec": junk,
        "data": junk,
    }
    for errs in (validate(obj), validate_update(obj, obj)):
        assert all(e.type != "Internal error" for e in errs), [str(e) for e in errs]
    deep = {
        "kind": kind,
        "metadata": junk,
        "spec": {
            "containers": junk,
            "template": junk,
            "ports": junk,
            "selector": junk,
            "rules": junk,
            "volumes": junk,
        },
    }
    assert all(e.type != "Internal error" for e in validate(deep)), [str(e) for e in validate(deep)]
