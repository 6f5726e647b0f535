"""``c.apply`` is all or nothing: each document is checked against the state its predecessors
made, and a refused one leaves the store, the allocators, the audit log and the informers
exactly as they were. ``kubectl apply/create/delete -f`` stay per document, as kubectl is."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kubelab as kl
from kubelab.apiserver.server import LAST_APPLIED
from kubelab.apiserver.serviceips import ServiceRegistryPlugin
from kubelab.errors import Forbidden


def doc(text: str) -> str:
    return text.strip() + "\n"


NS = doc("""
apiVersion: v1
kind: Namespace
metadata: {name: team}
""")
SVC_NODEPORT_A = doc("""
apiVersion: v1
kind: Service
metadata: {name: a}
spec: {type: NodePort, selector: {app: a}, ports: [{port: 80, nodePort: 30080}]}
""")
SVC_NODEPORT_B = SVC_NODEPORT_A.replace("name: a}", "name: b}")
SVC_IP_A = doc("""
apiVersion: v1
kind: Service
metadata: {name: ip-a}
spec: {clusterIP: 10.96.0.50, ports: [{port: 80}]}
""")
SVC_IP_B = SVC_IP_A.replace("name: ip-a}", "name: ip-b}")
SVC_IP_A_MOVED = SVC_IP_A.replace("10.96.0.50", "10.96.0.51")
QUOTA = doc("""
apiVersion: v1
kind: ResourceQuota
metadata: {name: one-pod}
spec: {hard: {pods: "1"}}
""")
POD_1 = doc("""
apiVersion: v1
kind: Pod
metadata: {name: p1}
spec: {containers: [{name: c, image: "nginx:1.25"}]}
""")
POD_2 = POD_1.replace("name: p1}", "name: p2}")
POD_1_RENAMED_CONTAINER = POD_1.replace("name: c,", "name: other,")
POD_NO_IMAGE = POD_1.replace("name: p1}", "name: broken}").replace(', image: "nginx:1.25"', "")
POD_CPU_1 = POD_1.replace("name: p1}", "name: big}").replace(
    '"nginx:1.25"}', '"nginx:1.25", resources: {limits: {cpu: "1"}}}'
)
LIMITS = doc("""
apiVersion: v1
kind: LimitRange
metadata: {name: small}
spec: {limits: [{type: Container, max: {cpu: 500m}}]}
""")
DEPLOY_A = doc("""
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: a}}
  template:
    metadata: {labels: {app: a}}
    spec: {containers: [{name: c, image: "nginx:1.25"}]}
""")
DEPLOY_B = DEPLOY_A.replace("app: a", "app: b")
DEPLOY_A_V2 = DEPLOY_A.replace("nginx:1.25", "nginx:1.26")
CLAIM = doc("""
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
""")
CLAIM_RWX = CLAIM.replace("ReadWriteOnce", "ReadWriteMany")
CLAIM_LIMITS = doc("""
apiVersion: v1
kind: LimitRange
metadata: {name: small-claims}
spec: {limits: [{type: PersistentVolumeClaim, max: {storage: 500Mi}}]}
""")
NODEPORT_QUOTA = doc("""
apiVersion: v1
kind: ResourceQuota
metadata: {name: one-node-port}
spec: {hard: {services.nodeports: "1"}}
""")
SVC_NODEPORT_C = SVC_NODEPORT_A.replace("name: a}", "name: c}").replace(", nodePort: 30080", "")
CM_IMMUTABLE = doc("""
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {mode: fast}
immutable: true
""")
CM_CHANGED = CM_IMMUTABLE.replace("mode: fast", "mode: slow")
INGRESS_A = doc("""
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop}
spec:
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
""")
INGRESS_B = INGRESS_A.replace("name: shop}", "name: shop-copy}")


def stream(*docs: str, namespace: str | None = None) -> str:
    text = "---\n".join(docs)
    if namespace:
        text = text.replace("metadata: {name:", f"metadata: {{namespace: {namespace}, name:")
        text = text.replace(f"{{namespace: {namespace}, name: team}}", "{name: team}")
    return text


# -- what "nothing changed" means ----------------------------------------------------------------
def snapshot(c: kl.Cluster) -> dict:
    """Everything a refused apply must leave alone."""
    store = c.api.store
    return {
        "revision": store.revision,
        "kinds": store.kinds(),
        "objects": {
            (kind, o["metadata"].get("namespace", ""), o["metadata"]["name"]): copy.deepcopy(o)
            for kind in store.kinds()
            for o in store.list(kind)
        },
        "allocators": [
            (type(p).__name__, dict(p.owner), dict(p._held))
            for p in c.api.admission
            if isinstance(p, ServiceRegistryPlugin)
        ],
        "audit": list(c.api.audit),
        "rng": c.api._rng.getstate(),
        "informers": {
            kind: sorted(
                (
                    o["metadata"].get("namespace", ""),
                    o["metadata"]["name"],
                    o["metadata"]["resourceVersion"],
                )
                for o in informer.list()
            )
            for kind, informer in c.informers._informers.items()
        },
        "history": len(c.recorder.rows),
    }


class WatchLog:
    """Every event the store delivers to ordinary watchers, of every kind."""

    def __init__(self, c: kl.Cluster, kinds=("Service", "Pod", "ConfigMap", "Namespace")):
        self.events: list[tuple] = []
        for kind in kinds:
            c.api.store.watch(kind, self._on(kind))

    def _on(self, kind):
        def handler(event, obj, old):
            self.events.append(
                (event, kind, obj["metadata"]["name"], obj["metadata"]["resourceVersion"])
            )

        return handler


def cluster() -> kl.Cluster:
    c = kl.Cluster(nodes=1, seed=0)
    for kind in ("Service", "Pod", "ConfigMap", "Namespace", "Deployment"):
        c.informers.get(kind)  # informers exist before the apply, as in a running cluster
    return c


REFUSED = {
    "two Services with one nodePort": (
        [SVC_NODEPORT_A, SVC_NODEPORT_B],
        'The Service "b" is invalid: spec.ports[0].nodePort: Invalid value: 30080: '
        "provided port is already allocated",
    ),
    "two Services with one clusterIP": (
        [SVC_IP_A, SVC_IP_B],
        'The Service "ip-b" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.50"}: '
        "failed to allocate IP 10.96.0.50: provided IP is already allocated",
    ),
    "two Pods against a pods: 1 quota": (
        [QUOTA, POD_1, POD_2],
        'pods "p2" is forbidden: exceeded quota: one-pod, requested: pods=1, used: pods=1, '
        "limited: pods=1",
    ),
    "a Deployment's selector changed": (
        [DEPLOY_A, DEPLOY_B],
        'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"b"}',
    ),
    "a Service's clusterIP changed": (
        [SVC_IP_A, SVC_IP_A_MOVED],
        'The Service "ip-a" is invalid: spec.clusterIPs[0]: Invalid value: []string{"10.96.0.51"}: '
        "may not change once set",
    ),
    "a claim's spec changed": (
        [CLAIM, CLAIM_RWX],
        'The PersistentVolumeClaim "data" is invalid: spec: Forbidden: spec is immutable after '
        "creation except resources.requests",
    ),
    "a ConfigMap made immutable, then changed": (
        [CM_IMMUTABLE, CM_CHANGED],
        'The ConfigMap "settings" is invalid: data: Forbidden: field is immutable when '
        "`immutable` is set",
    ),
    "a LimitRange, then a Pod over its max": (
        [LIMITS, POD_CPU_1],
        'pods "big" is forbidden: maximum cpu usage per Container is 500m, but limit is 1',
    ),
    "the same Pod twice with another container": (
        [POD_1, POD_1_RENAMED_CONTAINER],
        'The Pod "p1" is invalid: spec: Forbidden: pod updates may not change fields other than',
    ),
    "a claim over a LimitRange's max": (
        [CLAIM_LIMITS, CLAIM],
        'persistentvolumeclaims "data" is forbidden: maximum storage usage per '
        "PersistentVolumeClaim is 500Mi, but request is 1Gi",
    ),
    "two NodePort Services against a services.nodeports: 1 quota": (
        [NODEPORT_QUOTA, SVC_NODEPORT_A, SVC_NODEPORT_C],
        'services "c" is forbidden: exceeded quota: one-node-port, requested: '
        "services.nodeports=1, used: services.nodeports=1, limited: services.nodeports=1",
    ),
    "two Ingresses routing the same host and path": (
        [INGRESS_A, INGRESS_B],
        'host "shop.example.com" and path "/" is already defined in ingress default/shop',
    ),
    "an invalid document after valid ones": (
        [SVC_NODEPORT_A, CM_IMMUTABLE, POD_NO_IMAGE],
        'The Pod "broken" is invalid: spec.containers[0].image: Required value',
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_refused_document_changes_nothing(case):
    docs, message = REFUSED[case]
    c = cluster()
    watched = WatchLog(c)
    before = snapshot(c)
    with pytest.raises(kl.KubelabError) as caught:
        c.apply(stream(*docs))
    assert message in str(caught.value)
    assert caught.value.document.index == len(docs) - 1  # the failing document is named
    assert snapshot(c) == before
    assert watched.events == []
    c.run(30)  # nothing was queued for the controllers either
    assert c.list("pods") == [] and c.list("services", None)[0]["metadata"]["name"] == "kubernetes"


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_the_same_stream_into_a_new_namespace_changes_nothing(case):
    """A Namespace created by the stream goes away with everything else."""
    docs, message = REFUSED[case]
    c = cluster()
    before = snapshot(c)
    with pytest.raises(kl.KubelabError) as caught:
        c.apply(stream(NS, *docs, namespace="team"))
    assert message.replace("default/shop", "team/shop") in str(caught.value)
    assert snapshot(c) == before
    with pytest.raises(kl.NotFound):
        c.get("namespace", "team")


def test_each_document_sees_the_ones_before_it_when_all_are_valid():
    c = cluster()
    quota = QUOTA.replace('pods: "1"', 'pods: "3"')
    stored = c.apply(
        stream(NS, quota, POD_1, POD_2, LIMITS, DEPLOY_A, DEPLOY_A_V2, namespace="team")
    )
    assert [o["kind"] for o in stored] == [
        "Namespace",
        "ResourceQuota",
        "Pod",
        "Pod",
        "LimitRange",
        "Deployment",
        "Deployment",
    ]
    assert c.get("resourcequota", "one-pod", "team")["status"]["used"] == {
        "pods": "2"
    }  # the Deployment's pod comes later
    deployment = c.get("deployment", "web", "team")
    assert deployment["metadata"]["generation"] == 2
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.26"
    c.run(30)
    assert len(c.list("pods", "team")) == 3  # p1, p2 and the Deployment's pod


def test_watchers_see_the_writes_once_in_order_after_a_successful_apply():
    c = cluster()
    watched = WatchLog(c)
    services = c.informers.get("Service")
    c.apply(stream(SVC_NODEPORT_A, CM_IMMUTABLE, SVC_IP_A, POD_1))
    assert [(e[0], e[1], e[2]) for e in watched.events] == [
        ("ADDED", "Service", "a"),
        ("ADDED", "ConfigMap", "settings"),
        ("ADDED", "Service", "ip-a"),
        ("ADDED", "Pod", "p1"),
    ]
    versions = [int(e[3]) for e in watched.events]
    assert versions == sorted(versions) and versions[-1] == c.api.store.revision
    assert services.get("default", "a")["spec"]["ports"][0]["nodePort"] == 30080
    assert [row[2] for row in c.audit.itertuples(index=False)][-4:] == ["create"] * 4


def test_dry_run_sees_earlier_documents_and_changes_nothing():
    c = cluster()
    before = snapshot(c)
    with pytest.raises(kl.Invalid, match="provided port is already allocated"):
        c.apply_documents(stream(SVC_NODEPORT_A, SVC_NODEPORT_B), dry_run=True)
    assert snapshot(c) == before
    results = c.apply_documents(stream(NS, POD_1, POD_1, namespace="team"), dry_run=True)
    assert [action for _obj, action, _doc in results] == [
        "created (server dry run)",
        "created (server dry run)",
        "unchanged (server dry run)",
    ]
    assert results[1][0]["metadata"]["namespace"] == "team"
    assert snapshot(c) == before


def test_a_refused_apply_leaves_generated_names_as_they_were():
    pod = doc("""
apiVersion: v1
kind: Pod
metadata: {generateName: job-}
spec: {containers: [{name: c, image: "nginx:1.25"}]}
""")
    fresh = cluster()
    expected = fresh.apply(pod)[0]["metadata"]["name"]
    c = cluster()
    with pytest.raises(kl.Invalid):
        c.apply(stream(pod, POD_NO_IMAGE))
    assert c.apply(pod)[0]["metadata"]["name"] == expected


def test_the_error_names_the_file_and_document(tmp_path):
    path = tmp_path / "quota.yaml"
    path.write_text(stream(QUOTA, POD_1, POD_2))
    c = cluster()
    with pytest.raises(Forbidden) as caught:
        c.apply(str(path))
    assert str(caught.value).startswith(
        f'Error from server (Forbidden): error when creating "{path}": pods "p2" is forbidden'
    )
    document = caught.value.document
    assert (document.origin, document.index, document.line) == (str(path), 2, 11)
    assert c.list("resourcequotas") == [] and c.list("pods") == []


def test_a_transaction_nests_as_a_savepoint():
    c = cluster()
    api = c.api
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "outer"}}
    with api.transaction():
        api.create(cm, user="kubectl")
        with pytest.raises(kl.AlreadyExists), api.transaction():
            api.create(dict(cm, metadata={"name": "inner"}), user="kubectl")
            api.create(cm, user="kubectl")
        assert api.store.get("ConfigMap", "default", "inner") is None
    assert [o["metadata"]["name"] for o in c.list("configmaps")] == ["outer"]
    assert [
        r.name for r in c.audit.itertuples() if r.kind == "ConfigMap" and r.verb == "create"
    ] == ["outer"]


# -- kubectl keeps its per-document behaviour -----------------------------------------------------
@pytest.mark.parametrize("verb", ["apply", "create"])
def test_kubectl_applies_the_valid_documents_and_reports_the_others(tmp_path, verb):
    path = tmp_path / "services.yaml"
    path.write_text(stream(SVC_NODEPORT_A, SVC_NODEPORT_B, CM_IMMUTABLE))
    c = cluster()
    out = c.kubectl(f"{verb} -f {path}")
    assert out == (
        "service/a created\n"
        "configmap/settings created\n"
        'The Service "b" is invalid: spec.ports[0].nodePort: Invalid value: 30080: '
        "provided port is already allocated"
    )
    assert [s["metadata"]["name"] for s in c.list("services")] == ["a", "kubernetes"]


def test_kubectl_delete_deletes_what_exists_and_reports_the_rest(tmp_path):
    path = tmp_path / "both.yaml"
    path.write_text(stream(CM_IMMUTABLE, POD_1))
    c = cluster()
    c.apply(CM_IMMUTABLE)
    out = c.kubectl(f"delete -f {path}")
    assert out == 'configmap "settings" deleted\nError from server (NotFound): pods "p1" not found'
    assert c.list("configmaps") == []


# -- the property --------------------------------------------------------------------------------
SINGLES = [
    NS,
    SVC_NODEPORT_A,
    SVC_NODEPORT_B,
    SVC_IP_A,
    SVC_IP_B,
    SVC_IP_A_MOVED,
    QUOTA,
    POD_1,
    POD_2,
    POD_1_RENAMED_CONTAINER,
    POD_NO_IMAGE,
    POD_CPU_1,
    LIMITS,
    DEPLOY_A,
    DEPLOY_A_V2,
    DEPLOY_B,
    CLAIM,
    CLAIM_RWX,
    CM_IMMUTABLE,
    CM_CHANGED,
    INGRESS_A,
    INGRESS_B,
]
# Chunks of a stream: single documents, and the refused cases' documents (with
# their conflict inside), so a random stream often holds a conflict among valid documents.
POOL = [[d] for d in SINGLES] + [REFUSED[case][0] for case in sorted(REFUSED)]
_streams = st.lists(
    st.tuples(st.lists(st.sampled_from(range(len(POOL))), min_size=1, max_size=3), st.booleans()),
    min_size=1,
    max_size=4,
)


def _applied_manifest(text: str) -> tuple[tuple, dict]:
    """The key of a document's object and what its last-applied annotation must hold."""
    from kubelab.api.loader import load

    (document,) = load(text)
    manifest = copy.deepcopy(document.obj)
    meta = manifest["metadata"]
    meta["annotations"] = {}
    return (manifest["kind"], meta.get("namespace", "default"), meta["name"]), manifest


@settings(max_examples=80, derandomize=True, deadline=None)
@given(steps=_streams)
def test_an_apply_stores_every_document_or_changes_nothing(steps):
    c = cluster()
    watched = WatchLog(c)
    for indices, in_team in steps:
        texts = [text for i in indices for text in POOL[i]]
        if in_team:
            texts = [stream(t, namespace="team") for t in texts]
            if c.api.store.get("Namespace", "", "team") is None:
                texts.insert(0, NS)
        before, seen = snapshot(c), len(watched.events)
        try:
            c.apply(stream(*texts))
        except kl.KubelabError as error:
            assert snapshot(c) == before
            assert len(watched.events) == seen
            # The verdict is the one document-by-document application reaches, at that document.
            failed_at = None
            for i, text in enumerate(texts):
                try:
                    c.apply(text)
                except kl.KubelabError as sequential:
                    failed_at = i
                    assert str(sequential) == str(error)
                    break
            assert failed_at == error.document.index
            continue
        last = dict(_applied_manifest(t) for t in texts)
        for (kind, ns, name), manifest in last.items():
            stored = c.api.store.get(kind, "" if kind == "Namespace" else ns, name)
            assert json.loads(stored["metadata"]["annotations"][LAST_APPLIED]) == manifest
