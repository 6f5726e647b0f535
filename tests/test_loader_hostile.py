"""Hostile input to ``c.apply`` and ``kubectl apply/create/delete -f``: always a clean error.

Each attack is answered with kubectl's or the API server's error, stores nothing, and is
stopped by a limit of :mod:`kubelab.api.limits` (the tests count the work the limit allows,
never wall-clock time). Attacks that would crash the interpreter without the limits (deep
nesting segfaults libyaml's composer) run in a subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from itertools import pairwise

import pytest

import kubelab as kl
from kubelab.api import limits
from kubelab.api.loader import load
from kubelab.api.yamljson import Budget
from kubelab.errors import BadRequest, Invalid, RequestEntityTooLarge

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n"
YAML_PREFIX = "error: error parsing <string>: error converting YAML to JSON: "


def deployment(replicas: str) -> str:
    return textwrap.dedent(
        f"""\
        apiVersion: apps/v1
        kind: Deployment
        metadata: {{name: web}}
        spec:
          replicas: {replicas}
          selector: {{matchLabels: {{app: web}}}}
          template:
            metadata: {{labels: {{app: web}}}}
            spec: {{containers: [{{name: a, image: nginx}}]}}
        """
    )


def laughs(levels: int = 9, style: str = "flow") -> str:
    """Billion laughs: level i is 9 aliases of level i-1 (9**9 leaves when expanded)."""
    names = [f"l{i}" for i in range(levels)]
    if style == "flow":
        lines = [
            f'{names[0]}: &{names[0]} ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'
        ]
        lines += [f"{n}: &{n} [" + ", ".join([f"*{p}"] * 9) + "]" for p, n in pairwise(names)]
    elif style == "block":
        lines = [f"{names[0]}: &{names[0]}"] + [f"  - lol{i}" for i in range(9)]
        for p, n in pairwise(names):
            lines += [f"{n}: &{n}"] + [f"  - *{p}"] * 9
    else:  # merge keys: every level merges the previous map nine times over
        keys = ", ".join(f"k{i}: {i}" for i in range(9))
        lines = [f"{names[0]}: &{names[0]} {{{keys}}}"]
        lines += [
            f"{n}: &{n} [" + ", ".join([f"{{<<: *{p}}}"] * 9) + "]" for p, n in pairwise(names)
        ]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def cluster():
    return kl.Cluster(nodes=1, seed=0)


def refused(cluster, source, error=Invalid):
    """Apply ``source``; return the error text after checking nothing was stored."""
    revision = cluster.api.store.revision
    with pytest.raises(error) as info:
        cluster.apply(source)
    assert cluster.api.store.revision == revision
    return str(info.value)


# --------------------------------------------------------------------------- aliases


@pytest.mark.parametrize("style", ["flow", "block", "merge"])
def test_alias_bombs_are_refused_like_go_yaml_after_bounded_work(cluster, style):
    assert (
        refused(cluster, laughs(style=style))
        == YAML_PREFIX + "yaml: document contains excessive aliasing"
    )
    budget = Budget()
    with pytest.raises(Invalid, match="excessive aliasing"):
        load(laughs(style=style), budget=budget)
    # go-yaml's rule stops the expansion long before 9**9 nodes: a few thousand decodes
    assert budget.nodes < 20_000


@pytest.mark.parametrize(
    "text", ["x: &a [*a]\n", "x: &a {b: *a}\n", "x: &a [1, [2, *a]]\n", "x: &a {<<: *a}\n"]
)
def test_an_anchor_used_inside_itself_is_refused(cluster, text):
    assert refused(cluster, text) == YAML_PREFIX + "yaml: anchor 'a' value contains itself"


def test_ordinary_aliases_still_work_and_give_independent_copies():
    text = (
        "base: &c {name: app, image: nginx, env: [{name: A, value: '1'}]}\n"
        "apiVersion: v1\nkind: List\nitems:\n"
        + "".join(
            f"- {{apiVersion: v1, kind: Pod, metadata: {{name: p{i}}}, spec: {{containers: [*c]}}}}\n"
            for i in range(150)
        )
    )
    docs = load(text)
    assert len(docs) == 150
    first, second = (d.obj["spec"]["containers"][0] for d in docs[:2])
    assert (
        first == second == {"name": "app", "image": "nginx", "env": [{"name": "A", "value": "1"}]}
    )
    assert first is not second and first["env"] is not second["env"]


def test_unknown_alias_is_go_yamls_error(cluster):
    assert refused(cluster, "x: *nope\n") == YAML_PREFIX + "yaml: unknown anchor 'nope' referenced"


# --------------------------------------------------------------------------- nesting

DEPTH_CASES = {
    "yaml-flow": "'a: ' + '[' * 200000 + ']' * 200000",
    "yaml-block-dashes": "'- ' * 200000 + 'x'",
    "yaml-flow-maps": "'{a: ' * 100000 + '1' + '}' * 100000",
    "json": "'[' * 200000 + ']' * 200000",
    "json-object": "'{\"a\":' * 100000 + '1' + '}' * 100000",
}


@pytest.mark.parametrize("name", sorted(DEPTH_CASES))
def test_deep_nesting_is_refused_before_any_recursion(name):
    """In a subprocess: without the limit, libyaml's composer segfaults at ~50k levels."""
    code = textwrap.dedent(
        f"""
        import kubelab as kl
        from kubelab.api.yamljson import Budget
        from kubelab.api.loader import load
        c = kl.Cluster(nodes=1, seed=0)
        rev = c.api.store.revision
        try:
            c.apply({DEPTH_CASES[name]})
        except kl.Invalid as e:
            print(e)
        budget = Budget()
        try:
            load({DEPTH_CASES[name]}, budget=budget)
        except kl.Invalid:
            pass
        print(c.api.store.revision == rev, budget.nodes <= 2 * {limits.MAX_DEPTH})
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    message, checks = done.stdout.strip().splitlines()
    assert message.endswith(f"exceeded max depth of {limits.MAX_DEPTH}")
    assert message.startswith("error: error parsing <string>: ")
    assert checks == "True True"


def test_depth_limit_message_names_the_line_in_yaml():
    text = CM + "data:\n  k: " + "[" * 150 + "]" * 150 + "\n"
    with pytest.raises(Invalid) as info:
        load(text)
    assert str(info.value) == YAML_PREFIX + "yaml: line 5: exceeded max depth of 100"


def test_nesting_within_the_limit_loads():
    value = load(CM + "x: " + "[" * 99 + "]" * 99 + "\n")[0].obj["x"]
    depth = 0
    while value is not None and isinstance(value, list):
        depth += 1
        value = value[0] if value else None
    assert depth == 99


def test_deep_and_self_referencing_dicts(cluster):
    deep = leaf = {}
    for _ in range(5000):
        leaf["a"] = {}
        leaf = leaf["a"]
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "d"}, "data": deep}
    assert refused(cluster, obj) == "error: error parsing <string>: json: exceeded max depth of 100"
    obj["data"] = obj
    assert refused(cluster, obj) == (
        "error: error parsing <string>: json: unsupported value: encountered a cycle via "
        "map[string]interface {}"
    )
    items = [1]
    items.append(items)
    assert "encountered a cycle" in refused(cluster, [items])


def test_a_list_shared_a_million_times_is_not_copied_a_million_times(cluster):
    shared = ["x"] * 1000
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "s"}}
    obj["data"] = {"k": [[shared] * 1000] * 1000}
    budget = Budget()
    with pytest.raises(Invalid, match=f"more than {limits.MAX_NODES} values"):
        load(obj, budget=budget)
    assert budget.nodes <= limits.MAX_NODES + 1024
    assert "more than 500000 values in one apply" in refused(cluster, obj)


# --------------------------------------------------------------------------- size


def test_an_object_over_the_request_limit_gets_the_api_servers_413(cluster, tmp_path):
    big = CM + "data: {k: '" + "x" * limits.MAX_REQUEST_BYTES + "'}\n"
    text = refused(cluster, big, RequestEntityTooLarge)
    assert text == (
        "Error from server (RequestEntityTooLarge): Request entity too large: limit is 3145728"
    )
    path = tmp_path / "big.yaml"
    path.write_text(big)
    assert cluster.kubectl(f"apply -f {path}") == (
        f'Error from server (RequestEntityTooLarge): error when creating "{path}": '
        "Request entity too large: limit is 3145728"
    )


def test_aliases_cannot_blow_an_object_past_the_request_limit():
    # few aliases of a big string: allowed by go-yaml's ratio, stopped by the size
    text = "big: &b '" + "x" * (1 << 20) + "'\nall: [" + ", ".join(["*b"] * 4) + "]\n"
    budget = Budget()
    with pytest.raises(RequestEntityTooLarge):
        load(text, budget=budget)
    assert budget.json_bytes < 2 * limits.MAX_REQUEST_BYTES


def test_text_over_the_apply_budget_is_refused_before_parsing(cluster):
    assert "more than 8388608 bytes of manifests in one apply" in refused(
        cluster, CM + "# " + "x" * limits.MAX_LOAD_BYTES + "\n"
    )
    assert "more than 8388608 bytes" in refused(cluster, b"x" * (limits.MAX_LOAD_BYTES + 1))


def test_a_100k_document_stream_stops_at_the_document_limit(cluster):
    stream = "".join(
        f"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}}}\n" for i in range(100_000)
    )
    budget = Budget()
    with pytest.raises(Invalid, match=f"more than {limits.MAX_DOCUMENTS} objects in one apply"):
        load(stream, budget=budget)
    assert budget.documents == limits.MAX_DOCUMENTS + 1  # stopped right there, not at 100,000
    assert "apply them in several steps" in refused(cluster, stream)


# --------------------------------------------------------------------------- encodings


def test_invalid_utf8_bytes_and_files(cluster, tmp_path):
    assert refused(cluster, b"apiVersion: v1\nkind: \xff\n") == (
        YAML_PREFIX + "yaml: invalid leading UTF-8 octet"
    )
    assert refused(cluster, CM.encode() + b"data: {k: \xc3}") == (
        YAML_PREFIX + "yaml: invalid trailing UTF-8 octet"
    )
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(bytes(range(256)) * 64)
    out = cluster.kubectl(f"apply -f {binary}")
    assert (
        out
        == f"error: error parsing {binary}: error converting YAML to JSON: yaml: invalid leading UTF-8 octet"
    )
    nul = tmp_path / "nul.yaml"
    nul.write_text(CM + 'data: {k: "a\x00b"}\n')
    assert cluster.kubectl(f"apply -f {nul}").endswith("yaml: control characters are not allowed")


def test_lone_surrogates(cluster):
    assert (
        refused(cluster, CM + "data: {k: \ud800}\n")
        == YAML_PREFIX + "yaml: invalid Unicode character"
    )
    obj = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "sur"},
        "data": {"k": "a\udc80"},
    }
    (doc,) = load(obj)
    assert doc.obj["data"] == {"k": "a\ufffd"}  # as Go's json.Marshal coerces invalid UTF-8


# --------------------------------------------------------------------------- numbers

INT32_ERROR = (
    'Error from server (BadRequest): Deployment in version "v1" cannot be handled as a Deployment: '
    "json: cannot unmarshal {} into Go struct field DeploymentSpec.spec.replicas of type int32"
)


@pytest.mark.parametrize(
    ("replicas", "value"),
    [
        ("2147483648", "number 2147483648"),
        ("-2147483649", "number -2147483649"),
        ("18446744073709551615", "number 18446744073709551615"),  # uint64: still an integer
        ("99999999999999999999999", "number 1e+23"),  # beyond uint64: go-yaml makes it a float
        ("1e400", "string"),  # beyond float64: go-yaml keeps the text
        ("9" * 5000, "string"),  # beyond Python's int-digit limit, too
    ],
)
def test_out_of_range_integers_get_the_decoders_error(cluster, replicas, value):
    assert refused(cluster, deployment(replicas), BadRequest) == INT32_ERROR.format(value)


def test_out_of_range_numbers_from_dicts_and_json(cluster):
    obj = load(deployment("1"))[0].obj
    obj["spec"]["replicas"] = 10**30
    assert refused(cluster, obj, BadRequest) == INT32_ERROR.format(
        "number 1000000000000000000000000000000"
    )
    obj["spec"]["replicas"] = float("inf")
    assert refused(cluster, obj) == "error: error parsing <string>: json: unsupported value: +Inf"
    obj["spec"]["replicas"] = 2147483647.0  # a whole float is an integer on the wire
    assert load(obj)[0].obj["spec"]["replicas"] == 2147483647
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"activeDeadlineSeconds": 2**63, "containers": [{"name": "a", "image": "nginx"}]},
    }
    assert refused(cluster, pod, BadRequest).endswith(
        "json: cannot unmarshal number 9223372036854775808 into Go struct field "
        "PodSpec.spec.activeDeadlineSeconds of type int64"
    )
    text = json.dumps(load(deployment("1"))[0].obj).replace('"replicas": 1', '"replicas": 1e400')
    assert refused(cluster, text) == (
        'error: error parsing <string>: strconv.ParseFloat: parsing "1e400": value out of range'
    )
    digits = "9" * 5000
    assert digits in refused(cluster, text.replace("1e400", digits))
    assert refused(cluster, text.replace("1e400", "NaN")) == (
        "error: error parsing <string>: invalid character 'N' looking for beginning of value"
    )


@pytest.mark.parametrize(
    ("literal", "shown"), [(".inf", "+Inf"), ("-.Inf", "-Inf"), (".nan", "NaN")]
)
def test_yaml_infinities_cannot_become_json(cluster, literal, shown):
    assert (
        refused(cluster, deployment(literal)) == YAML_PREFIX + f"json: unsupported value: {shown}"
    )


@pytest.mark.parametrize(
    "quantity", ["1e400", "99999999999999999999999Ei", "1e1000000000", "9" * 5000]
)
def test_quantities_that_overflow_are_refused(cluster, quantity):
    pod = (
        "apiVersion: v1\nkind: Pod\nmetadata: {name: q}\nspec:\n  containers:\n  - name: a\n"
        f"    image: nginx\n    resources: {{requests: {{memory: '{quantity}'}}}}\n"
    )
    text = refused(cluster, pod)
    assert text.startswith('The Pod "q" is invalid: spec.containers[0].resources.requests[memory]')


# --------------------------------------------------------------------------- keys, tags


def test_duplicate_keys_are_kubectls_unmarshal_errors(cluster):
    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\ndata: {x: '1', x: '2'}\n"
    )
    assert refused(cluster, text) == (
        YAML_PREFIX + "yaml: unmarshal errors:\n"
        '  line 5: key "name" already set in map\n'
        '  line 6: key "x" already set in map'
    )


def test_keys_become_strings_as_sigs_yaml_writes_them(cluster):
    (doc,) = load(CM + "data: {1: a, 1.5: b, 0.1: c, true: d, 0x10: e}\n")
    assert doc.obj["data"] == {"1": "a", "1.5": "b", "0.1": "c", "true": "d", "16": "e"}
    assert refused(cluster, CM + "data: {null: x}\n") == (
        YAML_PREFIX + 'unsupported map key of type: %!s(<nil>), key: <nil>, value: "x"'
    )
    assert refused(cluster, CM + "data:\n  ? [a]\n  : x\n") == (
        YAML_PREFIX + 'yaml: invalid map key: []interface {}{"a"}'
    )


def test_tags_are_read_as_go_yaml_reads_them(cluster):
    text = (
        CM + "binaryData: !!python/object:os.system {k: aGk=}\n"
        "data: {a: !foo bar, b: !!binary aGVsbG8=, c: !!str 1, d: 2020-01-01, e: !!timestamp 2020-01-01}\n"
    )
    (doc,) = load(text)
    assert doc.obj["binaryData"] == {"k": "aGk="}
    assert doc.obj["data"] == {
        "a": "bar",
        "b": "hello",
        "c": "1",
        "d": "2020-01-01",
        "e": "2020-01-01",
    }
    assert refused(cluster, CM + "data: {k: !!int abc}\n") == (
        YAML_PREFIX + "yaml: cannot decode !!str `abc` as a !!int"
    )
    assert refused(cluster, CM + "data: {k: !!binary '*'}\n") == (
        YAML_PREFIX + "yaml: !!binary value contains invalid base64 data"
    )
    assert refused(cluster, "x: &a 1\ny: {<<: *a}\n") == (
        YAML_PREFIX + "yaml: map merge requires map or sequence of maps as the value"
    )


def test_booleans_stay_booleans_and_the_decoder_says_so(cluster):
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: yes}\n"
    assert refused(cluster, text, BadRequest).endswith(
        "json: cannot unmarshal bool into Go struct field ObjectMeta.metadata.name of type string"
    )


# --------------------------------------------------------------------------- sources


@pytest.mark.parametrize("source", [42, None, 1.5, object(), {1, 2}])
def test_sources_that_are_not_manifests(cluster, source):
    assert "source must be a path, YAML/JSON text, a dict or a list of those" in refused(
        cluster, source
    )


def test_lists_of_non_objects(cluster):
    assert refused(cluster, [1, 2]).startswith(
        "error: error parsing <string>: json: cannot unmarshal number into Go value of type struct"
    )


@pytest.mark.parametrize("source", ["", "# only a comment\n", "---\n---\n", []])
def test_empty_input(cluster, source):
    assert refused(cluster, source) == "error: no objects passed to apply"


def test_empty_files_and_devices_with_kubectl(cluster, tmp_path):
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    assert cluster.kubectl(f"apply -f {empty}") == "error: no objects passed to apply"
    assert cluster.kubectl(f"create -f {empty}") == "error: no objects passed to create"
    assert cluster.kubectl("apply -f /dev/null") == "error: no objects passed to apply"
    assert refused(cluster, "/dev/null") == "error: no objects passed to apply"
    revision = cluster.api.store.revision
    out = cluster.kubectl("apply -f /dev/zero")
    assert "error: error reading /dev/zero: more than 8388608 bytes of manifests" in out
    assert cluster.api.store.revision == revision


def test_fifos_are_never_opened(cluster, tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    message = f'error: error reading "{fifo}": not a regular file or directory'
    assert refused(cluster, str(fifo)).startswith(message)
    assert cluster.kubectl(f"apply -f {fifo}").startswith(message)
    assert cluster.kubectl(f"delete -f {fifo}").startswith(message)
    folder = tmp_path / "folder"
    folder.mkdir()
    os.mkfifo(folder / "pipe.yaml")  # a FIFO inside a folder is skipped, like any non-file
    (folder / "cm.yaml").write_text(CM.replace("name: cm", "name: from-folder"))
    assert (
        cluster.kubectl(f"apply -f {folder} --dry-run=client")
        == "configmap/from-folder created (dry run)"
    )


def test_a_folder_with_too_many_files(cluster, tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_DIRECTORY_FILES", 5)
    for i in range(6):
        (tmp_path / f"cm{i}.yaml").write_text(CM.replace("name: cm", f"name: f{i}"))
    assert refused(cluster, str(tmp_path)) == (
        f'error: error reading "{tmp_path}": 6 manifest files, more than 5 in one folder '
        "(kubelab's limit, see kubelab.api.limits)"
    )


def test_unreadable_files(cluster, tmp_path, monkeypatch):
    path = tmp_path / "secret.yaml"
    path.write_text(CM)

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "open", denied)
    assert refused(cluster, str(path)) == f"error: open {path}: permission denied"


def test_kubectl_delete_f_with_a_bomb_prints_the_error(cluster, tmp_path):
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(laughs())
    for verb in ("apply", "create", "delete"):
        assert cluster.kubectl(f"{verb} -f {bomb}") == (
            f"error: error parsing {bomb}: error converting YAML to JSON: "
            "yaml: document contains excessive aliasing"
        )


def test_python_ints_too_long_to_print_are_refused(cluster):
    obj = load(deployment("1"))[0].obj
    obj["spec"]["replicas"] = 10**5000
    assert refused(cluster, obj) == (
        "error: error parsing <string>: json: unsupported value: an integer of 16610 bits"
    )


def test_quantity_bound_keeps_upstreams_large_volumes():
    from kubelab.api.quantity import QuantityError, memory_bytes

    assert memory_bytes("800E") == 800 * 10**18  # upstream's PV binder tests use these
    for text in ("1e400", "99999999999999999999999Ei", "1e-1000000000", 10**40, float("inf")):
        with pytest.raises(QuantityError, match="unable to parse quantity's numeric part"):
            memory_bytes(text)


@pytest.mark.parametrize(
    "metadata", ["metadata: 'name: x'", "metadata:", "metadata: {name: x, namespace: {a: b}}"]
)
def test_kubectl_with_malformed_metadata_answers_with_text(cluster, tmp_path, metadata):
    path = tmp_path / "cm.yaml"
    path.write_text(f"apiVersion: v1\nkind: ConfigMap\n{metadata}\n")
    revision = cluster.api.store.revision
    for verb in ("apply", "create", "apply -n other", "delete"):
        out = cluster.kubectl(f"{verb} -f {path}")
        assert out.startswith(("Error from server", "error: ", "The ConfigMap")), (verb, out)
    assert cluster.api.store.revision == revision
    if metadata == "metadata: 'name: x'":
        assert cluster.kubectl(f"apply -f {path}") == (
            f'Error from server (BadRequest): error when creating "{path}": ConfigMap in version '
            '"v1" cannot be handled as a ConfigMap: json: cannot unmarshal string into Go struct '
            "field ConfigMap.metadata of type v1.ObjectMeta"
        )
        assert cluster.kubectl(f"delete -f {path}") == (
            f'error: unable to decode "{path}": .metadata accessor error: name: x is of the type '
            "string, expected map[string]interface{}"
        )


def test_node_capacities_are_quantities_the_scheduler_can_hold():
    c = kl.Cluster(nodes=1, seed=0)
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "big"}}
    node["status"] = {"allocatable": {"cpu": "1e400", "memory": "1Gi"}}
    assert refused(c, node).startswith(
        'The Node "big" is invalid: status.allocatable[cpu]: Invalid value: "1e400": '
        "quantities must match the regular expression"
    )
    node["status"] = {"allocatable": {"cpu": "1e26", "memory": "1e26", "pods": "110"}}
    c.apply(node)  # far beyond int64 in millicores: the scheduler saturates, as upstream does
    c.run(1)
    assert c.get("Node", "big")["status"]["allocatable"]["cpu"] == "1e26"


def test_nulls_where_kubelab_used_to_trip():
    c = kl.Cluster(nodes=1, seed=0)
    rc = (
        "apiVersion: v1\nkind: ReplicationController\nmetadata: {name: rc}\nspec:\n"
        "  selector: {app: a}\n  template:\n    metadata:\n"
        "    spec: {containers: [{name: a, image: nginx}]}\n"
    )
    assert "is invalid" in refused(c, rc)
    svc = "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 80}]}\n"
    c.apply(svc)
    with pytest.raises(kl.KubelabError):
        c.apply(svc.replace("[{port: 80}]", "[null]"))
