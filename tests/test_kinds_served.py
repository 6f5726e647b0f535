"""The kinds served beyond workloads: validation messages, CRDs, unserved versions, kubectl columns."""

from __future__ import annotations

import re

import pytest

import kubelab as kl
from kubelab.api.loader import load
from kubelab.errors import BadRequest, Invalid, NoKindMatch

RBAC = "rbac.authorization.k8s.io"


@pytest.fixture
def c():
    return kl.Cluster(nodes=1, seed=0)


def shirt_crd(**version_extra) -> dict:
    version = {
        "name": "v1",
        "served": True,
        "storage": True,
        "schema": {
            "openAPIV3Schema": {
                "type": "object",
                "properties": {
                    "spec": {
                        "type": "object",
                        "required": ["size"],
                        "properties": {
                            "color": {"type": "string", "pattern": "^[a-z]+$"},
                            "size": {"type": "string", "enum": ["S", "M", "L"]},
                            "count": {"type": "integer", "minimum": 1, "maximum": 10},
                            "fit": {"type": "string", "default": "regular"},
                            "extra": {
                                "type": "object",
                                "x-kubernetes-preserve-unknown-fields": True,
                            },
                        },
                    }
                },
            }
        },
        **version_extra,
    }
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "shirts.stable.example.com"},
        "spec": {
            "group": "stable.example.com",
            "scope": "Namespaced",
            "names": {"plural": "shirts", "kind": "Shirt", "shortNames": ["sh"]},
            "versions": [version],
        },
    }


def shirt(name="s1", **spec) -> dict:
    return {
        "apiVersion": "stable.example.com/v1",
        "kind": "Shirt",
        "metadata": {"name": name},
        "spec": {"size": "M", **spec},
    }


# --------------------------------------------------------------------------- CRDs


def test_crd_is_established_with_accepted_names_and_defaults(c):
    (crd,) = c.apply(shirt_crd())
    conditions = {x["type"]: x for x in crd["status"]["conditions"]}
    assert conditions["NamesAccepted"]["status"] == "True"
    assert conditions["Established"]["reason"] == "InitialNamesAccepted"
    assert crd["status"]["acceptedNames"]["kind"] == "Shirt"
    assert crd["spec"]["names"]["singular"] == "shirt"
    assert crd["spec"]["names"]["listKind"] == "ShirtList"
    assert crd["spec"]["conversion"] == {"strategy": "None"}


def test_custom_resources_are_served_pruned_defaulted_and_listed(c):
    c.apply(shirt_crd())
    (stored,) = c.apply(shirt(extra={"anything": [1, 2]}))
    assert stored["metadata"]["namespace"] == "default"
    assert stored["spec"] == {"size": "M", "fit": "regular", "extra": {"anything": [1, 2]}}
    # components (non-strict writes) get unknown fields pruned silently
    created = c.api.create(shirt("s2", sleeves="long"), user="test")
    assert "sleeves" not in created["spec"]
    assert [o["metadata"]["name"] for o in c.list("shirts")] == ["s1", "s2"]
    assert c.kubectl("get shirt s1 -o name") == "shirt.stable.example.com/s1"
    assert c.get("sh", "s1")["spec"]["size"] == "M"
    assert c.kubectl("get shirts").splitlines() == [
        "NAME   AGE",
        "s1     0s",
        "s2     0s",
    ]


def test_strict_apply_refuses_unknown_fields_of_a_custom_resource(c):
    c.apply(shirt_crd())
    with pytest.raises(BadRequest) as err:
        c.apply(shirt(sleeves="long"))
    assert 'Shirt in version "v1" cannot be handled as a Shirt: strict decoding error: ' in str(
        err.value
    )
    assert 'unknown field "spec.sleeves"' in str(err.value)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"size": "XL"}, 'spec.size: Unsupported value: "XL": supported values: "S", "M", "L"'),
        (
            {"size": 3},
            'spec.size: Invalid value: "integer": spec.size in body must be of type string: "integer"',
        ),
        (
            {"count": 0},
            "spec.count: Invalid value: 0: spec.count in body should be greater than or equal to 1",
        ),
        (
            {"count": 11},
            "spec.count: Invalid value: 11: spec.count in body should be less than or equal to 10",
        ),
        (
            {"color": "Blue"},
            "spec.color: Invalid value: \"Blue\": spec.color in body should match '^[a-z]+$'",
        ),
    ],
)
def test_custom_resources_are_validated_with_kube_openapi_messages(c, spec, message):
    c.apply(shirt_crd())
    with pytest.raises(Invalid) as err:
        c.apply(shirt(**spec))
    assert message in str(err.value)


def test_required_fields_of_a_custom_resource(c):
    c.apply(shirt_crd())
    bad = shirt()
    bad["spec"] = {"color": "red"}
    with pytest.raises(Invalid, match=re.escape("spec.size: Required value")):
        c.apply(bad)


def test_printer_columns_and_cluster_scope(c):
    crd = shirt_crd(
        additionalPrinterColumns=[
            {"name": "Size", "type": "string", "jsonPath": ".spec.size"},
            {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
        ]
    )
    crd["spec"]["scope"] = "Cluster"
    c.apply(crd)
    (stored,) = c.apply(shirt())
    assert "namespace" not in stored["metadata"]
    c.run(7)
    assert c.kubectl("get shirts").splitlines() == ["NAME   SIZE   AGE", "s1     M      7s"]


def test_deleting_the_crd_deletes_its_custom_resources_and_stops_serving(c):
    c.apply(shirt_crd())
    c.apply([shirt("a"), shirt("b")])
    c.delete("CustomResourceDefinition", "shirts.stable.example.com")
    assert list(c.api.store.list("Shirt", None)) == []
    with pytest.raises(NoKindMatch) as err:
        c.apply(shirt("c"))
    assert 'no matches for kind "Shirt" in version "stable.example.com/v1"' in str(err.value)
    assert "ensure CRDs are installed first" in str(err.value)


def test_custom_kinds_belong_to_one_cluster():
    first, second = kl.Cluster(nodes=1, seed=0), kl.Cluster(nodes=1, seed=0)
    first.apply(shirt_crd())
    first.apply(shirt())
    with pytest.raises(NoKindMatch):
        second.apply(shirt())
    assert "doesn't have a resource type" in second.kubectl("get shirts")


def test_crd_names_must_be_plural_dot_group_and_lowercase(c):
    crd = shirt_crd()
    crd["spec"]["names"]["plural"] = "Shirts"
    with pytest.raises(Invalid) as err:
        c.apply(crd)
    message = str(err.value)
    assert (
        'metadata.name: Invalid value: "shirts.stable.example.com": '
        'must be spec.names.plural+"."+spec.group'
    ) in message
    assert (
        'spec.names.plural: Invalid value: "Shirts": a DNS-1035 label must consist of lower case'
        in message
    )


def test_crd_ca_bundle_must_be_base64(c):
    crd = shirt_crd()
    crd["spec"]["conversion"] = {
        "strategy": "Webhook",
        "webhook": {
            "clientConfig": {"url": "https://127.0.0.1:9443/convert", "caBundle": "<CA>"},
            "conversionReviewVersions": ["v1"],
        },
    }
    with pytest.raises(BadRequest, match="illegal base64 data at input byte 0"):
        c.apply(crd)
    crd["spec"]["conversion"]["webhook"]["clientConfig"]["caBundle"] = "Q0EK"
    c.apply(crd)


# --------------------------------------------------------------------------- unserved versions


def test_unserved_versions_are_refused_as_kubectl_maps_them(c):
    preset = {
        "apiVersion": "settings.k8s.io/v1alpha1",
        "kind": "PodPreset",
        "metadata": {"name": "allow-database", "namespace": "dev"},
    }
    with pytest.raises(NoKindMatch) as err:
        c.apply(preset)
    assert str(err.value) == (
        'error: resource mapping not found for name: "allow-database" namespace: "dev" from "": '
        'no matches for kind "PodPreset" in version "settings.k8s.io/v1alpha1"\n'
        "ensure CRDs are installed first"
    )
    vap = {
        "apiVersion": "admissionregistration.k8s.io/v1beta1",
        "kind": "ValidatingAdmissionPolicy",
    }
    with pytest.raises(NoKindMatch, match=re.escape("admissionregistration.k8s.io/v1beta1")):
        c.apply(dict(vap, metadata={"name": "p"}))


def test_kinds_kubernetes_serves_but_kubelab_does_not_say_so(c):
    sts = {
        "apiVersion": "certificates.k8s.io/v1",
        "kind": "CertificateSigningRequest",
        "metadata": {"name": "x"},
    }
    with pytest.raises(BadRequest, match="is not supported by kubelab"):
        c.apply(sts)


def test_kubectl_apply_names_the_file_in_the_mapping_error(c, tmp_path):
    path = tmp_path / "preset.yaml"
    path.write_text("apiVersion: settings.k8s.io/v1alpha1\nkind: PodPreset\nmetadata: {name: p}\n")
    out = c.kubectl(f"apply -f {path}")
    assert out.startswith(
        f'error: resource mapping not found for name: "p" namespace: "" from "{path}"'
    )


# --------------------------------------------------------------------------- List wrappers


def test_list_wrappers_expand_into_their_items(c):
    text = """
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ServiceAccount
  metadata: {name: a}
- apiVersion: rbac.authorization.k8s.io/v1
  kind: Role
  metadata: {name: r}
  rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
"""
    docs = load(text)
    assert [(d.obj["kind"], d.line) for d in docs] == [("ServiceAccount", 5), ("Role", 8)]
    stored = c.apply(text)
    assert [o["kind"] for o in stored] == ["ServiceAccount", "Role"]


# --------------------------------------------------------------------------- validation


def binding(kind="RoleBinding", **ref) -> dict:
    return {
        "apiVersion": f"{RBAC}/v1",
        "kind": kind,
        "metadata": {"name": "read-pods"},
        "subjects": [{"kind": "User", "name": "jane"}],
        "roleRef": {"kind": "Role", "name": "pod-reader", **ref},
    }


def test_role_binding_defaults_and_roleref_immutability(c):
    (stored,) = c.apply(binding())
    assert stored["roleRef"]["apiGroup"] == RBAC
    assert stored["subjects"][0]["apiGroup"] == RBAC
    with pytest.raises(Invalid) as err:
        c.apply(binding(name="other"))
    assert (
        'roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"Role", '
        'Name:"other"}: cannot change roleRef'
    ) in str(err.value)


def test_role_binding_needs_a_role_name_and_rbac_names_are_path_segments(c):
    with pytest.raises(Invalid, match=re.escape("roleRef.name: Required value")):
        c.apply(binding(name=""))
    role = {
        "apiVersion": f"{RBAC}/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "system:custom"},
        "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": []}],
    }
    with pytest.raises(
        Invalid,
        match=re.escape("rules[0].verbs: Required value: verbs must contain at least one value"),
    ):
        c.apply(role)
    role["rules"][0]["verbs"] = ["get"]
    c.apply(role)  # "system:custom" is a valid RBAC name


def test_cluster_role_binding_takes_only_cluster_roles_and_namespaced_service_accounts(c):
    crb = binding("ClusterRoleBinding")
    crb["subjects"] = [{"kind": "ServiceAccount", "name": "sa"}]
    with pytest.raises(Invalid) as err:
        c.apply(crb)
    assert 'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"' in str(
        err.value
    )
    assert "subjects[0].namespace: Required value" in str(err.value)


def priority_class(name="high", value=1000, **extra) -> dict:
    return {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": {"name": name},
        "value": value,
        **extra,
    }


def test_priority_class_range_reserved_names_and_immutable_value(c):
    with pytest.raises(
        Invalid,
        match="value: Forbidden: maximum allowed value of a user defined priority is 1000000000",
    ):
        c.apply(priority_class(value=1_000_000_001))
    with pytest.raises(Invalid, match="priority class names with 'system-' prefix are reserved"):
        c.apply(priority_class(name="system-mine"))
    (stored,) = c.apply(priority_class(globalDefault=True))
    assert stored["preemptionPolicy"] == "PreemptLowerPriority"
    with pytest.raises(
        Invalid, match=re.escape("value: Forbidden: may not be changed in an update.")
    ):
        c.apply(priority_class(value=5, globalDefault=True))
    with pytest.raises(kl.KubelabError) as err:
        c.apply(priority_class(name="low", value=1, globalDefault=True))
    assert str(err.value).endswith(
        'priorityclasses.scheduling.k8s.io "low" is forbidden: PriorityClass high is already marked '
        "as default. Only one default can exist"
    )
    c.apply(priority_class(name="low", value=1))


def test_validating_admission_policy_binding_messages(c):
    vapb = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": "b"},
        "spec": {
            "policyName": "p",
            "validationActions": ["Deny", "Warn"],
            "paramRef": {"name": "limits", "namespace": "default"},
        },
    }
    with pytest.raises(Invalid) as err:
        c.apply(vapb)
    message = str(err.value)
    assert "spec.paramRef.parameterNotFoundAction: Required value" in message
    assert "spec.validationActions: Invalid value: " in message
    assert "must not contain both Deny and Warn" in message
    vapb["spec"]["paramRef"]["parameterNotFoundAction"] = "Deny"
    vapb["spec"]["validationActions"] = ["Deny"]
    c.apply(vapb)


def test_validating_admission_policy_defaults_and_requirements(c):
    vap = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": "p"},
        "spec": {},
    }
    with pytest.raises(Invalid) as err:
        c.apply(vap)
    assert "spec.matchConstraints: Required value" in str(err.value)
    assert "spec.validations: Required value: validations or auditAnnotations must contain" in str(
        err.value
    )
    vap["spec"] = {
        "matchConstraints": {
            "resourceRules": [
                {
                    "apiGroups": ["apps"],
                    "apiVersions": ["v1"],
                    "operations": ["CREATE"],
                    "resources": ["deployments"],
                }
            ]
        },
        "validations": [{"expression": "object.spec.replicas <= 5"}],
    }
    (stored,) = c.apply(vap)
    assert stored["spec"]["failurePolicy"] == "Fail"
    assert stored["spec"]["matchConstraints"]["matchPolicy"] == "Equivalent"
    assert stored["spec"]["matchConstraints"]["resourceRules"][0]["scope"] == "*"


def test_hpa_v1_is_stored_as_v2_and_bounds_are_checked(c):
    hpa = {
        "apiVersion": "autoscaling/v1",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "web"},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "maxReplicas": 5,
            "targetCPUUtilizationPercentage": 60,
        },
    }
    (stored,) = c.apply(hpa)
    assert stored["apiVersion"] == "autoscaling/v2"
    assert stored["spec"]["minReplicas"] == 1
    assert stored["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] == 60
    assert c.apply(hpa) and c.api.apply(hpa)[1] == "unchanged"  # re-applying v1 changes nothing
    hpa["spec"]["targetCPUUtilizationPercentage"] = 70
    assert c.api.apply(hpa)[1] == "configured"
    assert (
        c.get("hpa", "web")["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] == 70
    )
    bad = dict(hpa, metadata={"name": "bad"}, spec=dict(hpa["spec"], minReplicas=6))
    with pytest.raises(
        Invalid,
        match=re.escape(
            "spec.maxReplicas: Invalid value: 5: must be greater than or equal to `minReplicas`"
        ),
    ):
        c.apply(bad)


def test_network_policy_defaults_policy_types_and_port_protocol(c):
    policy = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "np"},
        "spec": {
            "podSelector": {"matchLabels": {"role": "db"}},
            "egress": [{"ports": [{"port": 5978}]}],
        },
    }
    (stored,) = c.apply(policy)
    assert stored["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert stored["spec"]["egress"][0]["ports"][0]["protocol"] == "TCP"
    policy["spec"]["egress"][0]["ports"][0]["endPort"] = 10
    with pytest.raises(
        Invalid, match="endPort: Invalid value: 10: must be greater than or equal to `port`"
    ):
        c.apply(policy)


def test_new_kinds_are_marked_not_simulated():
    from kubelab.api import kinds

    for name in ("sa", "roles", "clusterrolebindings", "netpol", "pc", "hpa"):
        assert kinds.lookup(name).simulated is False, name
    assert kinds.lookup("crd").simulated is True


# --------------------------------------------------------------------------- kubectl get


def test_kubectl_get_columns_of_the_new_kinds(c):
    c.apply(
        [
            {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "robot"}},
            binding(),
            priority_class(),
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": {"name": "deny"},
                "spec": {"podSelector": {}},
            },
            {
                "apiVersion": f"{RBAC}/v1",
                "kind": "Role",
                "metadata": {"name": "pod-reader"},
                "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}],
            },
        ]
    )
    c.run(5)
    assert c.kubectl("get sa robot").splitlines() == [
        "NAME    SECRETS   AGE",
        "robot   0         5s",
    ]
    assert c.kubectl("get rolebindings").splitlines() == [
        "NAME        ROLE              AGE",
        "read-pods   Role/pod-reader   5s",
    ]
    assert c.kubectl("get roles").splitlines() == [
        "NAME         CREATED AT",
        "pod-reader   2025-01-01T00:00:00Z",
    ]
    assert c.kubectl("get netpol").splitlines() == [
        "NAME   POD-SELECTOR   AGE",
        "deny   <none>         5s",
    ]
    assert c.kubectl("get pc").splitlines() == [
        "NAME   VALUE   GLOBAL-DEFAULT   AGE   PREEMPTIONPOLICY",
        "high   1000    false            5s    PreemptLowerPriority",
    ]
    c.apply(shirt_crd())
    assert c.kubectl("get crd").splitlines() == [
        "NAME                        CREATED AT",
        "shirts.stable.example.com   2025-01-01T00:00:05Z",
    ]


def test_status_subresource_of_a_custom_kind(c):
    schema = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    plain = shirt_crd()
    plain["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["status"] = schema
    c.apply(plain)
    (stored,) = c.apply(dict(shirt(), status={"sold": 1}))
    assert stored["status"] == {"sold": 1}  # no subresource: status is part of the object
    c.apply(dict(shirt(), status={"sold": 2}))
    assert c.get("shirt", "s1")["status"] == {"sold": 2}
    with_status = dict(plain)
    with_status["spec"] = dict(
        plain["spec"], versions=[dict(plain["spec"]["versions"][0], subresources={"status": {}})]
    )
    c.apply(with_status)
    c.apply(dict(shirt(), status={"sold": 3}))
    assert c.get("shirt", "s1")["status"] == {"sold": 2}  # the status endpoint owns it now
    (fresh,) = c.apply(dict(shirt("s2"), status={"sold": 9}))
    assert "status" not in fresh


def test_deleting_a_namespace_deletes_its_custom_resources(c):
    c.apply(shirt_crd())
    c.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})
    c.apply(dict(shirt(), metadata={"name": "s1", "namespace": "shop"}))
    c.delete("Namespace", "shop")
    c.run(30)
    assert c.list("shirts", namespace=None) == []


def test_kubectl_get_pod_templates():
    c = kl.Cluster(nodes=1, seed=0)
    c.apply(
        {
            "apiVersion": "v1",
            "kind": "PodTemplate",
            "metadata": {"name": "t"},
            "template": {
                "metadata": {"labels": {"app": "x"}},
                "spec": {"containers": [{"name": "a", "image": "nginx"}]},
            },
        }
    )
    assert c.get("podtemplate", "t")["template"]["spec"]["restartPolicy"] == "Always"
    assert c.kubectl("get podtemplates").splitlines() == [
        "NAME   CONTAINERS   IMAGES   POD LABELS",
        "t      a            nginx    app=x",
    ]


def test_a_refused_apply_serves_no_kind_of_its_crd(c):
    bad = dict(shirt(), spec={"size": "XL"})
    with pytest.raises(Invalid):
        c.apply([shirt_crd(), bad])  # one transaction: the CRD is rolled back with the shirt
    assert c.api.store.get("CustomResourceDefinition", "", "shirts.stable.example.com") is None
    assert c.api.kinds.lookup("shirts") is None
    stored = c.apply([shirt_crd(), shirt()])  # a CRD and its resources in one apply
    assert [o["kind"] for o in stored] == ["CustomResourceDefinition", "Shirt"]


def test_a_crd_pattern_cannot_hang_the_kernel(c):
    """Go's regexp is RE2 (linear time): ``^(a+)+$`` against 10,000 a's and a '!' answers at
    once, where Python's backtracking ``re`` would run for ever."""
    crd = shirt_crd()
    properties = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]
    properties["spec"]["properties"]["color"]["pattern"] = "^(a+)+$"
    c.apply(crd)
    with pytest.raises(kl.Invalid, match=r"color in body should match '\^\(a\+\)\+\$'"):
        c.apply(shirt(color="a" * 10_000 + "!"))
    assert c.apply(shirt(color="a" * 10_000))
