"""What the fuzz tests and ``benchmarks/fuzz_long.py`` share: strategies and invariants.

Not a test module (pytest collects ``test_*.py`` only). A learner session is a list of
*steps*; :func:`play` runs one on a fresh cluster and :func:`check_invariants` says what must
hold of any cluster, whatever was typed.
"""

from __future__ import annotations

import copy

from hypothesis import strategies as st

import kubelab as kl
from kubelab.api.labels import from_set

IMAGES = ["kubelab/web:v1", "kubelab/web:v2", "kubelab/crashy", "kubelab/slow-start", "nginx:1.25"]
APPS = ["web", "api"]
NODES = ["node-1", "node-2", "node-3", "node-4"]


def deployment(app: str, replicas: int, image: str) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": app, "labels": {"app": app}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": app}},
            "strategy": {"rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            "progressDeadlineSeconds": 60,
            "template": {
                "metadata": {"labels": {"app": app}},
                "spec": {
                    "containers": [
                        {
                            "name": "app",
                            "image": image,
                            "ports": [{"containerPort": 8080}],
                            "readinessProbe": {
                                "httpGet": {"path": "/healthz", "port": 8080},
                                "periodSeconds": 2,
                            },
                        }
                    ]
                },
            },
        },
    }


def service(app: str, node_port: int | None = None) -> dict:
    spec = {"selector": {"app": app}, "ports": [{"port": 80, "targetPort": 8080}]}
    if node_port is not None:
        spec["type"] = "NodePort"
        spec["ports"][0]["nodePort"] = node_port
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": app}, "spec": spec}


def daemonset(image: str) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "agent"},
        "spec": {
            "selector": {"matchLabels": {"app": "agent"}},
            "template": {
                "metadata": {"labels": {"app": "agent"}},
                "spec": {"containers": [{"name": "agent", "image": image}]},
            },
        },
    }


def pdb(app: str, min_available: int) -> dict:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": f"{app}-pdb"},
        "spec": {"minAvailable": min_available, "selector": {"matchLabels": {"app": app}}},
    }


KUBECTL = [
    "get pods -o wide",
    "get all",
    "describe deployment web",
    "scale deployment web --replicas=4",
    "scale deployment api --replicas=0",
    "set image deployment/web app=kubelab/web:v2",
    "rollout undo deployment/web",
    "rollout restart deployment/api",
    "cordon node-2",
    "uncordon node-2",
    "drain node-3 --ignore-daemonsets --delete-emptydir-data --timeout=30s",
    "delete pod -l app=web --wait=false",
    "delete deployment api",
    "label pods -l app=web tier=front --overwrite",
    "get events",
    "top nodes",
]

steps = st.lists(
    st.one_of(
        st.tuples(
            st.just("deploy"), st.sampled_from(APPS), st.integers(0, 6), st.sampled_from(IMAGES)
        ),
        st.tuples(st.just("service"), st.sampled_from(APPS), st.sampled_from([None, 30080])),
        st.tuples(st.just("daemonset"), st.sampled_from(IMAGES[:2])),
        st.tuples(st.just("pdb"), st.sampled_from(APPS), st.integers(0, 4)),
        st.tuples(st.just("kubectl"), st.sampled_from(KUBECTL)),
        st.tuples(st.just("kill"), st.integers(0, 30)),
        st.tuples(st.just("fail"), st.sampled_from(NODES)),
        st.tuples(st.just("restore"), st.sampled_from(NODES)),
        st.tuples(st.just("add_node"), st.sampled_from(NODES)),
        st.tuples(st.just("remove_node"), st.sampled_from(NODES)),
        st.tuples(st.just("run"), st.floats(0, 400)),
    ),
    max_size=10,
)


def step(c: kl.Cluster, action: tuple) -> None:
    """One learner action; refusals (``kl.KubelabError``) are part of the game."""
    try:
        match action:
            case ("deploy", app, n, image):
                c.apply(deployment(app, n, image))
            case ("service", app, node_port):
                c.apply(service(app, node_port))
            case ("daemonset", image):
                c.apply(daemonset(image))
            case ("pdb", app, n):
                c.apply(pdb(app, n))
            case ("kubectl", line):
                assert isinstance(c.kubectl(line), str)
            case ("kill", i):
                pods = c.list("pods")
                if pods:
                    c.kill_pod(pods[i % len(pods)]["metadata"]["name"])
            case ("fail", node):
                c.fail_node(node)
            case ("restore", node):
                c.restore_node(node)
            case ("add_node", node):
                c.add_node(node)
            case ("remove_node", node):
                c.remove_node(node)
            case ("run", seconds):
                c.run(seconds)
    except kl.KubelabError:
        pass


def play(seed: int, actions, *, nodes: int = 3) -> kl.Cluster:
    c = kl.Cluster(nodes=nodes, seed=seed)
    for action in actions:
        step(c, action)
    return c


def _active(pod: dict) -> bool:
    return pod["status"].get("phase") not in ("Succeeded", "Failed") and not pod["metadata"].get(
        "deletionTimestamp"
    )


def _ready(pod: dict) -> bool:
    return any(
        cond.get("type") == "Ready" and cond.get("status") == "True"
        for cond in pod["status"].get("conditions") or ()
    )


def check_invariants(c: kl.Cluster) -> None:
    """What holds of every cluster after its controllers had time to settle (``c.run(…)``)."""
    api = c.api
    nodes = {n["metadata"]["name"] for n in api.list("Node", None)}
    pods = api.list("Pod", None)
    keys = [(p["metadata"]["namespace"], p["metadata"]["name"]) for p in pods]
    assert len(keys) == len(set(keys)), "two pods with one name"
    ips = [p["status"].get("podIP") for p in pods if _active(p) and p["status"].get("podIP")]
    hosts = {p["status"]["podIP"] for p in pods if p["spec"].get("hostNetwork")}
    ips = [ip for ip in ips if ip not in hosts]
    assert len(ips) == len(set(ips)), f"two running pods share an IP: {sorted(ips)}"
    for p in pods:
        node = p["spec"].get("nodeName")
        assert node is None or node in nodes, f"{p['metadata']['name']} is bound to gone {node}"
        if node is None:
            assert p["status"].get("phase") == "Pending", p["metadata"]["name"]
    by_uid = {}
    for p in pods:
        for ref in p["metadata"].get("ownerReferences") or ():
            if ref.get("controller"):
                by_uid.setdefault(ref["uid"], []).append(p)
    for rs in api.list("ReplicaSet", None):
        owned = [p for p in by_uid.get(rs["metadata"]["uid"], []) if _active(p)]
        status = rs.get("status") or {}
        if status.get("observedGeneration") == rs["metadata"].get("generation"):
            assert status.get("replicas", 0) == len(owned), rs["metadata"]["name"]
            ready = sum(1 for p in owned if _ready(p))
            assert status.get("readyReplicas", 0) == ready, rs["metadata"]["name"]
    for svc in api.list("Service", None):
        selector = (svc.get("spec") or {}).get("selector")
        if not selector:
            continue
        namespace = svc["metadata"]["namespace"]
        match = from_set(selector)
        ready_ips = {
            p["status"].get("podIP")
            for p in pods
            if p["metadata"]["namespace"] == namespace
            and match.matches(p["metadata"].get("labels") or {})
            and _ready(p)
            and not p["metadata"].get("deletionTimestamp")
        }
        endpoints = api.store.get("Endpoints", namespace, svc["metadata"]["name"])
        for subset in (endpoints or {}).get("subsets") or ():
            listed = {a["ip"] for a in subset.get("addresses") or ()}
            assert listed <= ready_ips, f"{svc['metadata']['name']}: {listed - ready_ips}"


def mutations(manifest: dict):
    """Strategy: ``manifest`` with one value replaced, removed or retyped somewhere inside."""
    paths = []

    def walk(value, path):
        paths.append(path)
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, (*path, k))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, (*path, i))

    walk(manifest, ())
    junk = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**64), 2**64),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=20),
        st.sampled_from(["", "-1", "1e400", "99999999999Ei", "a" * 300, "web", "Web_1", "../x"]),
        st.lists(st.integers(), max_size=3),
        st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    )

    def mutate(args):
        path, how, value = args
        obj = copy.deepcopy(manifest)
        if not path:
            return value if how == "replace" else obj
        parent = obj
        for key in path[:-1]:
            parent = parent[key]
        if how == "remove":
            del parent[path[-1]]
        else:
            parent[path[-1]] = value
        return obj

    return st.tuples(st.sampled_from(paths), st.sampled_from(["replace", "remove"]), junk).map(
        mutate
    )
