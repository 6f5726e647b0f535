"""``c.kubectl`` never raises: random command lines always come back as kubectl's text.

The lines come from a grammar of verbs × resource words (every kind, its short names,
``kind/name``) × flags (valid, invalid, missing and huge values) × junk tokens, run
against one small cluster (a Deployment, a Service, a PodDisruptionBudget, a cordoned
node...). Commands that change the cluster run on a copy of it, so every example sees
the same state and the run is deterministic. The conftest turns kubectl's last-resort
safety net off: an unexpected Python exception fails the test with its traceback.
"""

from __future__ import annotations

import copy
import shlex

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kubelab as kl
from kubelab.api import kinds

WEB = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web, tier: front}}
    spec:
      containers: [{name: nginx, image: "nginx:1.25", resources: {requests: {cpu: 100m}}}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec: {minAvailable: 1, selector: {matchLabels: {app: web}}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: agent, image: "busybox:1.36"}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: shop}
data: {mode: fast}
"""


def build_cluster():
    """Three nodes: a rolled-out Deployment, its Service and PDB, a DaemonSet, a cordoned node."""
    c = kl.Cluster(nodes=3, seed=0)
    c.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})
    c.apply(WEB)
    c.run(30)
    c.kubectl("set image deployment/web nginx=nginx:1.26")
    c.run(30)
    c.kubectl("cordon node-3")
    c.kubectl("taint node node-2 dedicated=db:NoSchedule")
    return c


@pytest.fixture(scope="module")
def cluster():
    return build_cluster()


# -- the grammar ------------------------------------------------------------------------------

READ_ONLY = {"get", "describe", "top", "rollout status", "rollout history"}
VERBS = [
    "get",
    "describe",
    "delete",
    "top pod",
    "top node",
    "top",
    "drain",
    "cordon",
    "uncordon",
    "label",
    "scale",
    "rollout status",
    "rollout history",
    "rollout undo",
    "rollout pause",
    "rollout resume",
    "rollout restart",
    "rollout",
    "taint",
    "taint node",
    "expose",
    "set image",
    "set",
]

TYPE_WORDS = sorted(
    {w for rt in kinds.KINDS for w in (rt.kind, rt.singular, rt.plural, rt.qualified, *rt.short_names)}
    | {"all", "foo", "pods,svc", "deploy,rs,po", "po,,svc", ",", "Pods", "deployment.apps.v1"}
)
NAMES = [
    "web",
    "agent",
    "settings",
    "node-1",
    "node-3",
    "kubernetes",
    "default",
    "missing",
    "a/b",
    "..",
    "-",
    "%2F",
    "é",
    "x" * 300,
    "web-",
    "*",
    "",
]

SELECTORS = [
    "app=web",
    "app in (web,agent)",
    "!canary",
    "tier notin (db)",
    "app",
    "app in",
    "app in (",
    "a in (b",
    "==",
    "!!",
    "app=web,,x",
    "a=b=c",
    "-ltier=x",
    "k>3",
    "k<x",
    "k>99999999999999999999",
    "a b",
    "(",
    ")",
    "!",
    "x" * 70 + "=y",
    "a=" + "v" * 70,
    "a in (" + ",".join("v" * 5 for _ in range(3)),
    "é=1",
    ",",
    "",
]
FIELD_SELECTORS = [
    "metadata.name=web",
    "spec.nodeName=node-1",
    "status.phase!=Running",
    "foo",
    "foo=bar",
    "a\\x=1",
    "metadata.name=a\\",
    "metadata.name=a=b",
    "metadata.name==",
    "=",
    ",",
    "",
]
JSONPATHS = [
    "{.items[*].metadata.name}",
    "{.metadata.name}",
    '{range .items[*]}{.metadata.name}{"\\n"}{end}',
    "{.x",
    "{.x}}",
    "{{.x}",
    "}",
    "{",
    "{}",
    "{range .items[*]}",
    "{end}",
    "{range}{end}",
    '{"abc}',
    "{'abc}",
    '{"\\q"}',
    "{.items[?(@.x==1)]}",
    "{.items[?(@.metadata.name=='web')].metadata.name}",
    "{.items[0:2].metadata.name}",
    "{.items[::-1]}",
    "{.items[99999999999999999999]}",
    "{.items[-1].metadata.name}",
    "{..name}",
    "{.items[*]['metadata.name']}",
    "{$}",
    "{@}",
    "{.a.b..c}",
    "{.[}",
    "{.items[}",
    "{.items[a]}",
    "{range .items[*]}{range .spec.containers[*]}{.name}{end}{end}",
    "{.items[*].spec.containers[*].resources.requests.cpu}",
    "{.metadata.labels.app\\.kubernetes\\.io/name}",
    "{.items[*].metadata.name} text {.kind",
    "",
]
OUTPUTS = (
    ["wide", "yaml", "json", "name", "foo", "", "go-template={{.x}}", "custom-columns=NAME:.metadata.name"]
    + [f"jsonpath={t}" for t in JSONPATHS]
    + [f"jsonpath-as-json={t}" for t in JSONPATHS[:8]]
    + ["jsonpath", "jsonpath=", "Json", "yaml=x"]
)
NUMBERS = [
    "0",
    "1",
    "3",
    "-1",
    "-5",
    "99999999999999999999",
    "2147483648",
    "9223372036854775808",
    "-9223372036854775809",
    "1e3",
    "0x10",
    "abc",
    "",
    "1.5",
    " 2",
    "٣",
]
DURATIONS = ["0s", "1s", "5m", "1h2m3s", "abc", "-5s", "1", "99999999999999999999h", "1.5.5s", "", "1µs"]
FLAG_VALUES = {
    "-l": SELECTORS,
    "--selector": SELECTORS,
    "--pod-selector": SELECTORS,
    "--field-selector": FIELD_SELECTORS,
    "-o": OUTPUTS,
    "--output": OUTPUTS,
    "-n": ["default", "shop", "kube-system", "missing", "", "Bad_NS", "a/b"],
    "--namespace": ["default", "shop", "missing"],
    "--replicas": NUMBERS,
    "--current-replicas": NUMBERS,
    "--grace-period": NUMBERS,
    "--to-revision": NUMBERS,
    "--revision": NUMBERS,
    "--skip-wait-for-delete-timeout": NUMBERS,
    "--timeout": DURATIONS,
    "--cascade": ["background", "foreground", "orphan", "true", "false", "sideways", ""],
    "--dry-run": ["none", "client", "server", "true", "false", "maybe", ""],
    "--sort-by": ["cpu", "memory", "name", "", "foo"],
    "-L": ["app", "app,tier", "", ","],
    "--port": ["80", "0", "65536", "http", "-1", "99999999999999999999", ""],
    "--target-port": ["8080", "http", "0", "", "99999"],
    "--type": ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName", "foo", ""],
    "--name": ["web2", "", "Bad_Name", "x" * 70],
    "--protocol": ["TCP", "UDP", "SCTP", "HTTP", ""],
    "--wait": ["true", "false", "maybe"],
    "--overwrite": ["true", "false", "maybe"],
    # /dev/null, /dev/zero and FIFOs as -f paths belong to the loader (issue 9, part 2)
    "-f": ["", "-", "/nonexistent.yaml", "data/does-not-exist"],
}
BOOL_FLAGS = [
    "-A",
    "--all-namespaces",
    "--all",
    "--show-labels",
    "--no-headers",
    "--ignore-not-found",
    "--show-kind",
    "--force",
    "--now",
    "--ignore-daemonsets",
    "--delete-emptydir-data",
    "--delete-local-data",
    "--disable-eviction",
    "--overwrite",
    "--list",
    "--containers",
    "--show-events=false",
    "-w",
    "--watch=false",
    "--all=maybe",
    "--",
    "-",
    "--foo",
    "-z",
    "-Ax",
    "--=x",
]
ARGUMENT_WORDS = [
    "app=web",
    "app-",
    "app=",
    "=x",
    "a=b=c",
    "x" * 70 + "=v",
    "tier=back",
    "dedicated=db:NoSchedule",
    "dedicated:NoSchedule-",
    "dedicated-",
    "k=v:Bogus",
    "k=v:",
    ":NoSchedule",
    "nginx=nginx:1.27",
    "*=nginx:1.27",
    "nginx=",
    "=x",
    "web=",
]
JUNK = st.lists(
    st.sampled_from(list("ab-=/,.:*!()'\"\\{}[]$@ \t\né0") + ["--", "\x00", "🙂"]),
    max_size=12,
).map("".join)


@st.composite
def resource_tokens(draw) -> list[str]:
    form = draw(st.integers(0, 3))
    if form == 0:
        return []
    if form == 1:
        return [draw(st.sampled_from(TYPE_WORDS))]
    if form == 2:
        words = [draw(st.sampled_from(TYPE_WORDS))]
        return words + draw(st.lists(st.sampled_from(NAMES), max_size=2))
    return [
        f"{draw(st.sampled_from(TYPE_WORDS))}/{draw(st.sampled_from(NAMES))}"
        for _ in range(draw(st.integers(1, 2)))
    ]


def verb_flags(verb: str) -> list[str]:
    """The flags ``verb`` accepts, as written on a command line (``--name`` and ``-x``)."""
    from kubelab.kubectl.commands import COMMANDS, load_all

    load_all()
    command = COMMANDS.get(verb.split()[0])
    if command is None:
        return []
    return sorted(
        {f"--{f.name}" for f in command.flags} | {f"-{f.short}" for f in command.flags if f.short}
    )


VALUES_FOR_ANY = NUMBERS + DURATIONS[:4] + ["true", "x", ""]


@st.composite
def flag_tokens(draw, verb: str) -> list[str]:
    own = verb_flags(verb)
    if own and draw(st.integers(0, 5)):
        name = draw(st.sampled_from(own))
    else:
        name = draw(st.sampled_from(sorted(FLAG_VALUES) + BOOL_FLAGS))
    values = FLAG_VALUES.get(name, VALUES_FOR_ANY)
    form = draw(st.integers(0, 5))
    if form == 0:
        return [name]  # the value is missing (or the next token is taken as it)
    if form == 1 and name.startswith("--") and name != "--":
        return [f"{name}={draw(st.sampled_from(values))}"]
    if name in BOOL_FLAGS or name not in FLAG_VALUES and draw(st.booleans()):
        return [name]
    return [name, draw(st.sampled_from(values))]


@st.composite
def command_lines(draw) -> str:
    verb = draw(st.sampled_from(VERBS))
    tokens = verb.split()
    tokens += draw(resource_tokens())
    for _ in range(draw(st.integers(0, 3))):
        tokens += draw(flag_tokens(verb))
    if draw(st.booleans()):
        tokens.append(draw(st.sampled_from(ARGUMENT_WORDS)))
    if draw(st.integers(0, 4)) == 0:
        tokens.insert(draw(st.integers(1, len(tokens))), draw(JUNK))
    if draw(st.integers(0, 5)) == 0:
        order = draw(st.permutations(range(1, len(tokens))))
        tokens = tokens[:1] + [tokens[i] for i in order]
    if draw(st.integers(0, 5)) == 0:
        return " ".join(tokens)  # unquoted: quotes and backslashes in tokens stay raw
    return " ".join(shlex.quote(t) for t in tokens)


def run_line(cluster, line: str) -> str:
    """Run ``line`` on ``cluster`` (or on a copy when it may change the cluster)."""
    verb = " ".join(line.split()[:2]) if line.startswith("rollout") else line.split(" ")[0]
    target = cluster if verb in READ_ONLY else copy.deepcopy(cluster)
    result = target.kubectl(line)
    assert isinstance(result, str)
    return result


@settings(
    max_examples=400,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(line=command_lines())
def test_random_command_lines_return_text(cluster, line):
    run_line(cluster, line)


# -- whole lines that are not made of tokens --------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "",
        "   ",
        "\t\n",
        "kubectl",
        "kubectl   ",
        "get 'pods",
        'get "pods',
        "get pods \\",
        "get pods " + "x" * 100_000,
        "get " + " ".join(["pods"] * 5000),
        "get pods -l " + "a" * 10_000 + "=b",
        "\x00",
        "🙂",
        "get pods\x00",
    ],
)
def test_odd_whole_lines(cluster, line):
    assert isinstance(run_line(cluster, line), str)
