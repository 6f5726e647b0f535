"""networking, storage, policy, Endpoints/Event validation, and the dispatch rules."""

from __future__ import annotations

import copy

from kubelab.api.defaults import apply_defaults
from kubelab.api.validation import validate, validate_update


def errors(obj):
    return [str(e) for e in validate(apply_defaults(obj))]


def ingress(**spec):
    obj = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "minimal-ingress", "namespace": "default"},
        "spec": {
            "ingressClassName": "nginx-example",
            "rules": [
                {
                    "http": {
                        "paths": [
                            {
                                "path": "/testpath",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": "test", "port": {"number": 80}}},
                            }
                        ]
                    }
                }
            ],
        },
    }
    obj["spec"].update(spec)
    return obj


def backend_path(**path):
    p = {
        "path": "/",
        "pathType": "Prefix",
        "backend": {"service": {"name": "web", "port": {"number": 80}}},
    }
    p.update(path)
    return {"rules": [{"host": "foo.bar.com", "http": {"paths": [p]}}]}


# --------------------------------------------------------------------------- Ingress


def test_typical_ingresses_are_valid():
    assert errors(ingress()) == []
    assert (
        errors(
            ingress(
                rules=None, defaultBackend={"service": {"name": "web", "port": {"name": "http"}}}
            )
        )
        == []
    )
    assert (
        errors(ingress(**backend_path(), tls=[{"hosts": ["foo.bar.com"], "secretName": "tls"}]))
        == []
    )
    assert (
        errors(
            ingress(
                rules=[
                    {
                        "host": "*.foo.com",
                        "http": {
                            "paths": [
                                {
                                    "path": "/",
                                    "pathType": "ImplementationSpecific",
                                    "backend": {"service": {"name": "a", "port": {"number": 1}}},
                                }
                            ]
                        },
                    }
                ]
            )
        )
        == []
    )


def test_ingress_needs_rules_or_default_backend():
    assert errors(ingress(rules=None)) == [
        "spec: Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must be specified"
    ]


def test_path_type_required():
    spec = backend_path()
    del spec["rules"][0]["http"]["paths"][0]["pathType"]
    assert errors(ingress(**spec)) == [
        "spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified"
    ]


def test_path_type_unsupported():
    assert errors(ingress(**backend_path(pathType="Regex"))) == [
        'spec.rules[0].http.paths[0].pathType: Unsupported value: "Regex": supported values: "Exact", '
        '"ImplementationSpecific", "Prefix"'
    ]


def test_path_must_be_absolute_and_clean():
    assert errors(ingress(**backend_path(path="api"))) == [
        'spec.rules[0].http.paths[0].path: Invalid value: "api": must be an absolute path'
    ]
    assert errors(ingress(**backend_path(path="/a//b"))) == [
        "spec.rules[0].http.paths[0].path: Invalid value: \"/a//b\": must not contain '//'"
    ]


def test_backend_service_name_and_port():
    spec = backend_path(backend={"service": {"name": "Web", "port": {}}})
    errs = errors(ingress(**spec))
    assert errs[0].startswith(
        'spec.rules[0].http.paths[0].backend.service.name: Invalid value: "Web": a DNS-1035 label'
    )
    assert (
        errs[1]
        == "spec.rules[0].http.paths[0].backend: Required value: port name or number is required"
    )
    spec = backend_path(backend={"service": {"name": "web", "port": {"number": 70000}}})
    assert errors(ingress(**spec)) == [
        "spec.rules[0].http.paths[0].backend.service.port.number: Invalid value: 70000: "
        "must be between 1 and 65535, inclusive"
    ]
    spec = backend_path(backend={})
    assert errors(ingress(**spec)) == [
        'spec.rules[0].http.paths[0].backend: Invalid value: "": resource or service backend is required'
    ]


def test_ingress_paths_required_and_host_not_ip():
    assert errors(ingress(rules=[{"host": "10.0.0.1", "http": {"paths": []}}])) == [
        'spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address',
        "spec.rules[0].http.paths: Required value",
    ]


def test_ingress_class():
    obj = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "IngressClass",
        "metadata": {"name": "nginx"},
        "spec": {"controller": "k8s.io/ingress-nginx"},
    }
    assert errors(obj) == []
    bad = copy.deepcopy(obj)
    bad["spec"]["controller"] = "nginx"
    assert errors(bad) == [
        'spec.controller: Invalid value: "nginx": must be a domain-prefixed path (such as "acme.io/foo")'
    ]
    new = copy.deepcopy(obj)
    new["spec"]["controller"] = "example.com/other"
    assert [str(e) for e in validate_update(new, obj)] == [
        'spec.controller: Invalid value: "example.com/other": field is immutable'
    ]


# --------------------------------------------------------------------------- StorageClass


def storage_class(**fields):
    obj = {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": "standard"},
        "provisioner": "kubernetes.io/aws-ebs",
        "parameters": {"type": "gp2"},
        "reclaimPolicy": "Retain",
        "allowVolumeExpansion": True,
        "volumeBindingMode": "Immediate",
    }
    obj.update(fields)
    return obj


def test_storage_class_valid_and_invalid():
    assert errors(storage_class()) == []
    assert errors(storage_class(reclaimPolicy="Recycle")) == [
        'reclaimPolicy: Unsupported value: "Recycle": supported values: "Delete", "Retain"'
    ]
    assert errors(storage_class(volumeBindingMode="Later")) == [
        'volumeBindingMode: Unsupported value: "Later": supported values: "Immediate", "WaitForFirstConsumer"'
    ]
    obj = storage_class()
    del obj["provisioner"]
    assert errors(obj) == ["provisioner: Required value"]


def test_storage_class_updates():
    old = apply_defaults(storage_class())
    new = copy.deepcopy(old)
    new["parameters"] = {"type": "io1"}
    new["provisioner"] = "example.com/csi"
    assert [str(e) for e in validate_update(new, old)] == [
        "parameters: Forbidden: updates to parameters are forbidden.",
        "provisioner: Forbidden: updates to provisioner are forbidden.",
    ]
    new = copy.deepcopy(old)
    new["allowVolumeExpansion"] = False
    assert validate_update(new, old) == []


# --------------------------------------------------------------------------- PodDisruptionBudget


def pdb(**spec):
    obj = {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "zk-pdb", "namespace": "default"},
        "spec": {"selector": {"matchLabels": {"app": "zookeeper"}}},
    }
    obj["spec"].update(spec)
    return obj


def test_pdb_valid():
    assert errors(pdb(minAvailable=2)) == []
    assert errors(pdb(maxUnavailable="50%")) == []


def test_pdb_min_available_xor_max_unavailable():
    errs = errors(pdb(minAvailable=1, maxUnavailable=1))
    assert errs == [
        "spec: Invalid value: policy.PodDisruptionBudgetSpec{MinAvailable:&intstr.IntOrString{Type:0, IntVal:1, "
        'StrVal:""}, Selector:..., MaxUnavailable:&intstr.IntOrString{Type:0, IntVal:1, StrVal:""}, '
        "UnhealthyPodEvictionPolicy:...}: minAvailable and maxUnavailable cannot be both set"
    ]


def test_pdb_values():
    assert errors(pdb(minAvailable="150%")) == [
        'spec.minAvailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"150%"}: '
        "must not be greater than 100%"
    ]
    assert errors(pdb(maxUnavailable=-1)) == [
        "spec.maxUnavailable: Invalid value: -1: must be greater than or equal to 0"
    ]
    sel = {"matchExpressions": [{"key": "app", "operator": "In", "values": []}]}
    assert errors(pdb(minAvailable=1, selector=sel)) == [
        "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'"
    ]


# --------------------------------------------------------------------------- Endpoints, Event, generic


def test_endpoints():
    obj = {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"name": "web", "namespace": "default"},
        "subsets": [
            {
                "addresses": [{"ip": "10.244.1.5"}, {"ip": "nope"}],
                "ports": [{"name": "http", "port": 80, "protocol": "TCP"}, {"port": 443}],
            }
        ],
    }
    assert errors(obj) == [
        'subsets[0].addresses[1].ip: Invalid value: "nope": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
        "subsets[0].ports[1].name: Required value",
    ]


def test_event_namespace_must_match():
    obj = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": "web.1", "namespace": "default"},
        "involvedObject": {"kind": "Pod", "name": "web", "namespace": "other"},
        "reason": "Started",
    }
    assert errors(obj) == [
        'involvedObject.namespace: Invalid value: "other": does not match event.namespace'
    ]


def test_kinds_without_rules_get_metadata_checks():
    lease = {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": "Node_1", "namespace": "kube-node-lease"},
    }
    assert validate(lease)[0].field == "metadata.name"
    lease["metadata"]["name"] = "node-1"
    assert validate(lease) == []


def test_validate_update_includes_create_checks():
    old = apply_defaults(pdb(minAvailable=1))
    new = copy.deepcopy(old)
    new["spec"]["minAvailable"] = "abc"
    errs = [str(e) for e in validate_update(new, old)]
    assert errs[0].startswith(
        'spec.minAvailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"abc"}'
    )
