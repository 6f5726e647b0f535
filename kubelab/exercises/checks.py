"""Check functions for the course's exercises.

Every check either prints one ``✅`` line or raises :class:`CheckFailed` with one ``❌`` line
that says what is wrong and, where it helps, what to try next. Checks that need a cluster build
their own scratch cluster (seeded, so feedback is the same on every run) and never touch the
learner's.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "CheckFailed",
    "check_component_order",
    "check_failover_time",
    "check_fixed_manifest",
    "check_pod_count",
    "check_pod_manifest",
    "check_prediction",
    "check_rc_to_replicaset",
    "check_reconciled",
    "check_replicaset_manifest",
    "check_selector",
    "check_sidecar_pod",
    "check_spec_or_status",
    "course_file",
    "failover_seconds",
    "is_ready",
]


class CheckFailed(AssertionError):
    """A wrong answer. Jupyter shows it as one line: ``❌ <message>``."""

    def _render_traceback_(self) -> list[str]:
        return [f"❌ {self}"]


def _ok(message: str) -> None:
    print(f"✅ {message}")


def _fail(message: str) -> None:
    raise CheckFailed(message)


def course_file(name: str) -> Path:
    """Path of a manifest shipped with the course (``data/<name>`` in the repository)."""
    here = Path(__file__).resolve().parent.parent
    for folder in (here.parent / "data", here / "data"):
        if (folder / name).exists():
            return folder / name
    raise FileNotFoundError(f"course file {name!r} not found in data/")


def _cluster(nodes: int = 3):
    import kubelab as kl

    return kl.Cluster(nodes=nodes, seed=0)


# ---------------------------------------------------------------------------------------------
# Reading answers


def _not_answered(value: Any, what: str) -> None:
    if value is ... or value is None:
        _fail(f"{what} is still `{value!r}`: replace it with your answer.")


def yaml_documents(text: str, what: str = "your manifests") -> list:
    """The documents of a learner's YAML text, read as the API server reads them: an alias
    bomb or deep nesting is refused within bounds, never a hang or a crash of the check.

    Examples
    --------
    >>> yaml_documents("a: 1\\n---\\nb: [x]\\n")
    [{'a': 1}, {'b': ['x']}]
    >>> yaml_documents("a: &x [*x]")
    Traceback (most recent call last):
    ...
    kubelab.exercises.checks.CheckFailed: your manifests: not valid YAML: yaml: anchor 'x' value contains itself.
    """
    from kubelab.api.yamljson import Budget
    from kubelab.api.yamljson import yaml_documents as parse
    from kubelab.errors import KubelabError

    try:
        return [doc.value for doc in parse(text, "<answer>", Budget()) if doc is not None]
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(err, "problem", err)
    except KubelabError as err:
        where, problem = "", err.message.rpartition("error converting YAML to JSON: ")[2]
    raise CheckFailed(f"{what}: not valid YAML{where}: {problem}.") from None


def _load(obj: Any, what: str = "your manifest") -> dict:
    """A manifest given as a dict, a YAML/JSON string, or a one-element list."""
    _not_answered(obj, what)
    if isinstance(obj, str):
        docs = yaml_documents(obj, what)
        if len(docs) != 1:
            _fail(f"{what} should be exactly one YAML document, found {len(docs)}.")
        obj = docs[0]
    if isinstance(obj, list) and len(obj) == 1:
        obj = obj[0]
    if not isinstance(obj, Mapping):
        _fail(f"{what} should be a dict (or YAML text) with apiVersion, kind, metadata and spec.")
    return dict(obj)


def _path(obj: Mapping, dotted: str, default: Any = None) -> Any:
    cur: Any = obj
    for part in dotted.split("."):
        if not isinstance(cur, Mapping) or part not in cur:
            return default
        cur = cur[part]
    return cur


def _expect_kind(obj: Mapping, kind: str, api_version: str, name: str | None = None) -> None:
    """The manifest's kind and apiVersion (and ``metadata.name``, when ``name`` is given)."""
    if obj.get("kind") != kind:
        _fail(f"kind should be {kind!r}, not {obj.get('kind')!r}.")
    if obj.get("apiVersion") != api_version:
        _fail(f"a {kind} lives in apiVersion {api_version!r}, not {obj.get('apiVersion')!r}.")
    if name is not None and _path(obj, "metadata.name") != name:
        _fail(f"metadata.name should be {name!r}, not {_path(obj, 'metadata.name')!r}.")


def _server_accepts(obj: Mapping, what: str = "The API server") -> Any:
    """Apply ``obj`` to a scratch cluster; a refusal becomes a CheckFailed with its message."""
    import kubelab as kl

    c = _cluster()
    try:
        c.apply(dict(obj))
    except kl.KubelabError as err:
        _fail(f"{what} refuses it: {err}")
    return c


def _apply(c: Any, obj: Any, what: str = "it") -> list:
    """``c.apply(obj)`` on a scratch cluster; a refusal becomes a CheckFailed quoting the
    API server."""
    import kubelab as kl

    try:
        return c.apply(obj)
    except kl.KubelabError as err:
        _fail(f"The API server refuses {what}: {err}")


def _selector_matches(selector: Mapping | None, labels: Mapping) -> bool:
    """metav1.LabelSelector semantics (matchLabels AND matchExpressions); an empty or invalid
    selector matches nothing here (the API server refuses both in a workload)."""
    from kubelab.api.labels import SelectorError, from_label_selector

    if not selector or not isinstance(selector, Mapping):
        return False
    try:
        return from_label_selector(selector).matches(labels)
    except SelectorError:
        return False


def _containers(obj: Mapping, where: str = "spec") -> list[dict]:
    containers = _path(obj, f"{where}.containers")
    if not isinstance(containers, list) or not containers:
        _fail(f"{where}.containers should be a list with at least one container.")
    return containers


# ---------------------------------------------------------------------------------------------
# Manifests


def check_pod_manifest(pod: Any, *, name: str, images: Iterable[str]) -> None:
    """A Pod manifest called ``name`` whose containers run exactly ``images`` (in order).

    >>> check_pod_manifest({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "hello"},
    ...     "spec": {"containers": [{"name": "web", "image": "nginx:1.25"}]}},
    ...     name="hello", images=["nginx:1.25"])
    ✅ A valid Pod "hello" running nginx:1.25.
    """
    pod = _load(pod, "your Pod")
    _expect_kind(pod, "Pod", "v1", name)
    containers = _containers(pod)
    got = [c.get("image") for c in containers]
    images = list(images)
    if got != images:
        _fail(f"the containers run {got}, expected {images}.")
    for i, c in enumerate(containers):
        if not c.get("name"):
            _fail(f"spec.containers[{i}] needs a name (every container in a pod has one).")
    _server_accepts(pod)
    _ok(f'A valid Pod "{name}" running {", ".join(images)}.')


def check_replicaset_manifest(
    rs: Any, *, name: str, replicas: int, image: str | None = None
) -> None:
    """An apps/v1 ReplicaSet ``name`` with ``replicas`` whose selector matches its template."""
    rs = _load(rs, "your ReplicaSet")
    _expect_kind(rs, "ReplicaSet", "apps/v1", name)
    if _path(rs, "spec.replicas") != replicas:
        _fail(f"spec.replicas should be {replicas}, not {_path(rs, 'spec.replicas')!r}.")
    selector = _path(rs, "spec.selector")
    if not selector:
        _fail("spec.selector is required for a ReplicaSet: which pods does it own?")
    labels = _path(rs, "spec.template.metadata.labels") or {}
    if not _selector_matches(selector, labels):
        _fail(
            f"the selector {selector} does not match the template's labels {labels}: the "
            "ReplicaSet would never see the pods it creates (the API server refuses this)."
        )
    containers = _containers(rs, "spec.template.spec")
    if image is not None and image not in [c.get("image") for c in containers]:
        _fail(f"the pod template should run image {image!r}.")
    _server_accepts(rs)
    _ok(f'A valid ReplicaSet "{name}" with {replicas} replicas; its selector matches its template.')


def check_sidecar_pod(pod: Any, *, name: str | None = None) -> None:
    """A Pod with at least two containers sharing an ``emptyDir`` volume."""
    pod = _load(pod, "your Pod")
    _expect_kind(pod, "Pod", "v1", name)
    containers = _containers(pod)
    if len(containers) < 2:
        _fail("a sidecar needs company: put at least two containers in spec.containers.")
    volumes = {v.get("name"): v for v in _path(pod, "spec.volumes", []) or []}
    if not volumes:
        _fail("declare a volume in spec.volumes (an emptyDir) for the containers to share.")
    mounts: dict[str, set[str]] = {}
    for c in containers:
        for m in c.get("volumeMounts") or []:
            mounts.setdefault(m.get("name"), set()).add(c.get("name"))
    shared = [v for v, users in mounts.items() if len(users) >= 2 and v in volumes]
    if not shared:
        _fail("no volume is mounted by two containers: add a volumeMounts entry to each container.")
    if not any("emptyDir" in volumes[v] for v in shared):
        _fail(f"the shared volume {shared[0]!r} should be an emptyDir (scratch space of the pod).")
    _server_accepts(pod)
    _ok(f"{len(containers)} containers sharing the emptyDir volume {shared[0]!r}: a sidecar pod.")


def check_fixed_manifest(text: Any) -> None:
    """The repaired ``data/replicaset-invalid.yaml``: accepted, and still owns ``tier=frontend`` pods."""
    rs = _load(text, "your fixed manifest")
    _expect_kind(rs, "ReplicaSet", "apps/v1")
    if _path(rs, "metadata.name") != "frontend":
        _fail("keep the name: metadata.name should stay 'frontend'.")
    if _path(rs, "spec.selector.matchLabels") != {"tier": "frontend"}:
        _fail(
            "keep the selector (tier=frontend): other objects (a Service, say) select these pods."
        )
    c = _server_accepts(rs)
    c.run(30)
    running = [p for p in c.list("Pod", selector="tier=frontend") if is_ready(p)]
    if len(running) != _path(rs, "spec.replicas", 1):
        _fail(f"applied, but after 30 s only {len(running)} ready frontend pods run.")
    _ok("The API server accepts it and the ReplicaSet runs its pods.")


def check_rc_to_replicaset(rs: Any, rc_file: str = "replicationcontroller.yaml") -> None:
    """A ReplicaSet equivalent to the course's ReplicationController."""
    rc = yaml.safe_load(course_file(rc_file).read_text())
    rs = _load(rs, "your ReplicaSet")
    _expect_kind(rs, "ReplicaSet", "apps/v1")
    want = _path(rc, "spec.selector") or _path(rc, "spec.template.metadata.labels")
    selector = _path(rs, "spec.selector")
    if not isinstance(selector, Mapping) or (
        "matchLabels" not in selector and "matchExpressions" not in selector
    ):
        _fail(
            "a ReplicaSet's selector is a LabelSelector: spec.selector.matchLabels "
            "(or matchExpressions), not a plain map as in the ReplicationController."
        )
    if not _selector_matches(selector, want):
        _fail(f"the selector should select the same pods as the RC's selector {want}.")
    if _path(rs, "spec.replicas") != _path(rc, "spec.replicas", 1):
        _fail(f"keep the number of replicas ({_path(rc, 'spec.replicas', 1)}).")
    if _path(rs, "spec.template.spec.containers") != _path(rc, "spec.template.spec.containers"):
        _fail("keep the pod template's containers as they are in the ReplicationController.")
    _server_accepts(rs)
    _ok("Same pods, same template, now with a set-based selector: a ReplicaSet.")


# ---------------------------------------------------------------------------------------------
# Cluster state


def is_ready(pod: Mapping) -> bool:
    """Running, Ready condition True, and not being deleted."""
    if _path(pod, "metadata.deletionTimestamp") or _path(pod, "status.phase") != "Running":
        return False
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in _path(pod, "status.conditions", []) or []
    )


def check_pod_count(cluster: Any, selector: str, n: int, *, namespace: str = "default") -> None:
    """Exactly ``n`` running, ready, not-terminating pods match ``selector`` in ``namespace``."""
    _not_answered(cluster, "the cluster")
    pods = cluster.list("Pod", namespace=namespace, selector=selector)
    ready = [p for p in pods if is_ready(p)]
    if len(ready) != n:
        others = len(pods) - len(ready)
        extra = f" (and {others} not ready or terminating)" if others else ""
        hint = " Did you run the cluster long enough, e.g. c.run(60)?" if len(ready) < n else ""
        _fail(
            f"expected {n} ready pods matching `{selector}` in namespace {namespace!r}, "
            f"found {len(ready)}{extra}.{hint}"
        )
    _ok(f"{n} ready pods match `{selector}` in namespace {namespace!r}.")


def check_reconciled(
    cluster: Any, kind: str, name: str, replicas: int, *, namespace: str = "default"
) -> None:
    """Desired state (``spec.replicas``) is ``replicas`` and the status has caught up."""
    import kubelab as kl

    _not_answered(cluster, "the cluster")
    try:
        obj = cluster.get(kind, name, namespace)
    except kl.NotFound as err:
        _fail(str(err))
    spec, ready = _path(obj, "spec.replicas"), _path(obj, "status.readyReplicas", 0) or 0
    if spec != replicas:
        _fail(f"the desired state says spec.replicas = {spec}; it should say {replicas}.")
    if ready != replicas:
        _fail(
            f"desired {replicas}, but status.readyReplicas is {ready}: the controllers are still "
            "working. Run the cluster a little longer."
        )
    _ok(f"{kind} {name}: desired {replicas}, ready {ready}. Reconciled.")


# ---------------------------------------------------------------------------------------------
# Selectors


@functools.lru_cache(maxsize=64)
def _select(selector: str, label_sets: tuple[tuple[tuple[str, str], ...], ...]) -> tuple[bool, ...]:
    """Evaluate a selector string with kubelab's own API server (pods on a scratch cluster)."""
    import kubelab as kl

    c = _cluster(nodes=1)
    pods = [
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": f"probe-{i}", "labels": dict(labels)},
            "spec": {"containers": [{"name": "app", "image": "nginx:1.25"}]},
        }
        for i, labels in enumerate(label_sets)
    ]
    if pods:
        c.apply(pods)
    try:
        chosen = {p["metadata"]["name"] for p in c.list("Pod", selector=selector)}
    except (kl.KubelabError, ValueError) as err:
        _fail(f"`{selector}` is not a valid label selector: {err}")
    return tuple(f"probe-{i}" in chosen for i in range(len(label_sets)))


def _fmt(labels: Mapping) -> str:
    return "{" + ", ".join(f"{k}={v}" for k, v in labels.items()) + "}"


def check_selector(
    selector: Any, should_match: Iterable[Mapping], should_not_match: Iterable[Mapping]
) -> None:
    """A label selector string that matches every label set in ``should_match`` and none of
    ``should_not_match``."""
    _not_answered(selector, "your selector")
    if not isinstance(selector, str):
        _fail("write the selector as a string, e.g. 'app=web,tier in (a,b)'.")
    if selector.strip() == "":
        _fail("the empty selector matches every pod: be more specific.")
    yes, no = [dict(x) for x in should_match], [dict(x) for x in should_not_match]
    key = tuple(tuple(sorted(x.items())) for x in yes + no)
    result = _select(selector, key)
    for labels, hit in zip(yes, result[: len(yes)], strict=True):
        if not hit:
            _fail(f"`{selector}` misses a pod it should select: {_fmt(labels)}.")
    for labels, hit in zip(no, result[len(yes) :], strict=True):
        if hit:
            _fail(f"`{selector}` also selects {_fmt(labels)}, which it should leave alone.")
    _ok(f"`{selector}` selects exactly the right pods.")


# ---------------------------------------------------------------------------------------------
# Concepts

_SPEC_OR_STATUS = {
    "replicas": "spec",
    "selector": "spec",
    "template": "spec",
    "minReadySeconds": "spec",
    "readyReplicas": "status",
    "availableReplicas": "status",
    "fullyLabeledReplicas": "status",
    "observedGeneration": "status",
    "conditions": "status",
}


def check_spec_or_status(answer: Any, fields: Iterable[str] | None = None) -> None:
    """Classify ReplicaSet fields as ``"spec"`` (desired) or ``"status"`` (observed)."""
    _not_answered(answer, "your answer")
    if not isinstance(answer, Mapping):
        _fail('answer with a dict, e.g. {"replicas": "spec", ...}.')
    missing = [f for f in (fields or []) if f not in answer]
    if missing:
        _fail(f"you have not classified {', '.join(missing)} yet.")
    if not answer:
        _fail("classify at least one field.")
    for field, where in answer.items():
        if field not in _SPEC_OR_STATUS:
            _fail(f"{field!r} is not a ReplicaSet field this exercise knows about.")
        if str(where).strip().lower() != _SPEC_OR_STATUS[field]:
            who = (
                "you declare it (desired state)"
                if _SPEC_OR_STATUS[field] == "spec"
                else "the controller reports it (observed state)"
            )
            _fail(f"{field} is in .{_SPEC_OR_STATUS[field]}: {who}.")
    _ok("Right: you declare the spec; the controllers and kubelets report the status.")


_COMPONENTS = {
    "kubectl": "kubectl",
    "replicaset-controller": "replicaset-controller",
    "replicaset controller": "replicaset-controller",
    "kube-controller-manager": "replicaset-controller",
    "controller-manager": "replicaset-controller",
    "controller manager": "replicaset-controller",
    "kube-scheduler": "kube-scheduler",
    "scheduler": "kube-scheduler",
    "default-scheduler": "kube-scheduler",
    "kubelet": "kubelet",
}
_ORDER = ["kubectl", "replicaset-controller", "kube-scheduler", "kubelet"]
_ROLE = {
    "kubectl": "sends the ReplicaSet to the API server",
    "replicaset-controller": "sees a ReplicaSet with too few pods and creates Pod objects",
    "kube-scheduler": "sees pods without a node and binds each to one",
    "kubelet": "sees a pod bound to its node, starts the containers and reports status",
}


def check_component_order(order: Any) -> None:
    """Who writes to the API server first, second, ... after ``kubectl apply -f replicaset.yaml``."""
    _not_answered(order, "your order")
    if isinstance(order, str) or not isinstance(order, Iterable):
        _fail("answer with a list of component names.")
    names = []
    for item in order:
        key = str(item).strip().lower()
        if key not in _COMPONENTS:
            _fail(f"unknown component {item!r}; use: {', '.join(_ORDER)}.")
        names.append(_COMPONENTS[key])
    if sorted(names) != sorted(_ORDER):
        _fail(f"list each of these exactly once: {', '.join(_ORDER)}.")
    for got, want in zip(names, _ORDER, strict=True):
        if got != want:
            _fail(f"not quite: {want} comes before {got}, because {want} {_ROLE[want]}.")
    _ok("kubectl → replicaset-controller → kube-scheduler → kubelet, all through the API server.")


# ---------------------------------------------------------------------------------------------
# Experiments (the truth comes from the simulator itself)


def _pods_ready_elsewhere(failed: str, selector: str, n: int) -> Callable[[Any], bool]:
    def done(c) -> bool:
        pods = [p for p in c.list("Pod", selector=selector) if is_ready(p)]
        return len([p for p in pods if _path(p, "spec.nodeName") != failed]) >= n

    return done


@functools.lru_cache(maxsize=1)
def failover_seconds() -> float:
    """Reference experiment: seconds from ``fail_node`` until the frontend has 3 ready pods
    on healthy nodes again (cluster seed 0, ``data/replicaset.yaml``, node of the first pod)."""
    c = _cluster()
    c.apply(str(course_file("replicaset.yaml")))
    c.run(30)
    first = sorted(c.list("Pod", selector="tier=frontend"), key=lambda p: p["metadata"]["name"])[0]
    node = first["spec"]["nodeName"]
    start = c.now
    c.fail_node(node)
    c.run_until(_pods_ready_elsewhere(node, "tier=frontend", 3), timeout=1800)
    return c.now - start


def check_failover_time(seconds: Any, *, tolerance: float = 20.0) -> None:
    """The measured time (in simulated seconds) for the ReplicaSet to recover from a node failure."""
    _not_answered(seconds, "your measurement")
    try:
        seconds = float(seconds)
    except (TypeError, ValueError):
        _fail("give the time as a number of seconds.")
    truth = failover_seconds()
    if abs(seconds - truth) > tolerance:
        if seconds < 60:
            hint = (
                "too fast: the pods on the failed node still count until the node controller "
                "notices (no heartbeat for 50 s) and evicts them (300 s later). Did your condition "
                "ignore pods on the failed node?"
            )
        elif seconds < truth:
            hint = "too early: is your condition counting pods that are not ready yet?"
        else:
            hint = "too late: stop as soon as 3 ready pods run on the healthy nodes."
        _fail(f"{seconds:.0f} s is {hint}")
    _ok(
        f"About {truth:.0f} s: 50 s until the node is declared unreachable, 300 s of tolerated "
        "unreachability, then the replacement is scheduled and started."
    )


def _adoption_truth() -> int:
    """How many pods the frontend ReplicaSet creates when two matching bare pods already run."""
    c = _cluster()
    rs = yaml.safe_load(course_file("replicaset.yaml").read_text())
    template = rs["spec"]["template"]
    bare = [
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": f"bare-{i}", "labels": dict(template["metadata"]["labels"])},
            "spec": template["spec"],
        }
        for i in (1, 2)
    ]
    c.apply(bare)
    c.run(10)
    c.apply(rs)
    c.run(30)
    return sum(
        1
        for p in c.list("Pod", selector="tier=frontend")
        if not p["metadata"]["name"].startswith("bare-")
    )


def _bare_pod_truth() -> int:
    """Ready copies of a bare pod 10 minutes after its node failed."""
    c = _cluster()
    c.apply(str(course_file("pod.yaml")))
    c.run(30)
    pod = c.list("Pod")[0]
    c.fail_node(pod["spec"]["nodeName"])
    c.run(600)
    return sum(1 for p in c.list("Pod") if is_ready(p))


#: A prediction: (the experiment giving the true number, why — appended to it in the ✅
#: line, so it starts with its unit or ``":"`` —, a hint for a wrong answer).
Prediction = tuple[Callable[[], int], str, str]


@functools.lru_cache(maxsize=32)
def _experiment(run: Callable[[], int]) -> int:
    return run()  # seeded: the same truth every time, so run each experiment once


def _check_prediction(predictions: Mapping[str, Prediction], question: str, answer: Any) -> None:
    """Judge a numeric ``answer`` to ``predictions[question]`` (``45``, ``45.0`` and ``"45"``
    are the same answer; ``True`` is not ``1``)."""
    if question not in predictions:
        _fail(f"unknown question {question!r}; known: {', '.join(predictions)}.")
    _not_answered(answer, "your prediction")
    run, why, hint = predictions[question]
    value = _experiment(run)
    try:
        right = not isinstance(answer, bool) and float(answer) == value
    except (TypeError, ValueError):
        right = False
    if not right:
        _fail(f"the simulator disagrees with {answer!r}. Hint: {hint}")
    _ok(f"{value}{why}.")


_PREDICTIONS: dict[str, Prediction] = {
    "adoption": (
        _adoption_truth,
        ": the ReplicaSet adopts matching pods that have no owner, and only creates the difference",
        "what does a ReplicaSet do with running pods that match its selector and have no owner?",
    ),
    "bare-pod": (
        _bare_pod_truth,
        ": nobody recreates a bare pod: its node is gone and no controller owns it",
        "who would notice that the pod is gone, and who would create a new one?",
    ),
}


def check_prediction(question: str, answer: Any) -> None:
    """A numeric prediction, checked against what the simulator does (``question`` is a key)."""
    _check_prediction(_PREDICTIONS, question, answer)
