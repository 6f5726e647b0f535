"""kubelab.api.loader: manifests → Documents, with kubectl's errors naming file and line."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from kubelab.api.loader import Document, load
from kubelab.errors import Invalid

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: app
    image: nginx:1.27
"""

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# --------------------------------------------------------------------------- sources


def test_single_document_string():
    (doc,) = load(POD)
    assert doc == Document(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "web"},
            "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]},
        },
        "<string>",
        0,
        1,
    )


def test_multi_document_string_keeps_index_and_first_line():
    text = (
        "# leading comment\n"
        + POD
        + "---\n"
        + CM.format(name="a")
        + "---\n---\n"
        + CM.format(name="b")
    )
    docs = load(text)
    assert [(d.obj["kind"], d.index, d.line) for d in docs] == [
        ("Pod", 0, 2),
        ("ConfigMap", 1, 11),
        ("ConfigMap", 3, 17),  # the empty document in between is skipped but counted
    ]


def test_document_is_frozen():
    (doc,) = load(POD)
    with pytest.raises(dataclasses.FrozenInstanceError):
        doc.line = 3


def test_empty_text_and_comment_only_give_nothing():
    assert load("---\n# nothing here\n---\n") == []


def test_file_path_as_str_and_path(tmp_path):
    path = write(tmp_path, "pod.yaml", POD)
    for source in (str(path), path):
        (doc,) = load(source)
        assert doc.origin == str(path)
        assert doc.obj["metadata"]["name"] == "web"


def test_relative_path_resolves_against_base_dir_and_keeps_given_origin(tmp_path):
    write(tmp_path, "apps/pod.yml", POD)
    (doc,) = load("apps/pod.yml", base_dir=tmp_path)
    assert doc.origin == "apps/pod.yml"


def test_folder_is_read_sorted_non_recursive_manifests_only(tmp_path):
    write(tmp_path, "b.yaml", CM.format(name="b"))
    write(
        tmp_path, "a.json", '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}'
    )
    write(tmp_path, "c.yml", CM.format(name="c"))
    write(tmp_path, "notes.txt", CM.format(name="txt"))
    write(tmp_path, "sub/d.yaml", CM.format(name="d"))
    docs = load(tmp_path)
    assert [d.obj["metadata"]["name"] for d in docs] == ["a", "b", "c"]
    assert docs[1].origin == str(tmp_path / "b.yaml")


def test_folder_given_relative_prints_joined_origin(tmp_path):
    write(tmp_path, "manifests/a.yaml", CM.format(name="a"))
    (doc,) = load("manifests", base_dir=tmp_path)
    assert doc.origin == str(Path("manifests") / "a.yaml")


def test_missing_path_is_refused_like_kubectl():
    with pytest.raises(Invalid) as err:
        load("nope/pod.yaml")
    assert str(err.value) == 'error: the path "nope/pod.yaml" does not exist'


def test_one_line_word_is_a_path_but_one_line_yaml_is_text():
    with pytest.raises(Invalid, match='the path "manifests" does not exist'):
        load("manifests")
    (doc,) = load('{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}')
    assert doc.obj["kind"] == "ConfigMap"


def test_json_file_and_line(tmp_path):
    path = write(
        tmp_path,
        "cm.json",
        '\n\n{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "j"}}',
    )
    (doc,) = load(path)
    assert (doc.obj["metadata"]["name"], doc.line) == ("j", 3)


def test_dict_and_list_sources_are_copied():
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}
    (doc,) = load(obj)
    obj["metadata"]["name"] = "changed"
    assert doc.obj["metadata"]["name"] == "x"
    docs = load([obj, dict(obj, kind="Secret")])
    assert [(d.obj["kind"], d.index, d.origin) for d in docs] == [
        ("ConfigMap", 0, "<string>"),
        ("Secret", 1, "<string>"),
    ]


def test_unsupported_source_type():
    with pytest.raises(Invalid, match="not int"):
        load(3)


# --------------------------------------------------------------------------- lists


def test_list_expands_to_items_with_their_lines():
    text = """\
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: a}
- apiVersion: v1
  kind: PodList
  items:
  - apiVersion: v1
    kind: ConfigMap
    metadata: {name: b}
"""
    docs = load(text)
    assert [(d.obj["metadata"]["name"], d.index, d.line) for d in docs] == [
        ("a", 0, 4),
        ("b", 0, 7),
    ]


def test_list_item_without_kind_is_refused_with_its_line():
    text = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  metadata: {name: a}\n"
    with pytest.raises(Invalid, match=r'"<string>" \(line 4\).*kind not set'):
        load(text)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "apiVersion: v1\nkind: Pod\nmetadata:\n\tname: x\n",
            "yaml: line 4: found character that cannot start any token",
        ),
        (
            'apiVersion: v1\nkind: Pod\nmetadata:\n  name: "a\\\'b"\n',
            "yaml: line 4: found unknown escape character",
        ),
        (
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n   bad: 1\n",
            "yaml: line 5: mapping values are not allowed in this context",
        ),
        (
            "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n   image: b\n",
            "yaml: line 6: did not find expected key",
        ),
    ],
)
def test_yaml_syntax_errors_name_file_and_line(tmp_path, text, expected):
    path = write(tmp_path, "pod.yaml", text)
    with pytest.raises(Invalid) as err:
        load(path)
    assert str(err.value) == (
        f"error: error parsing {path}: error converting YAML to JSON: {expected}"
    )


def test_missing_api_version_and_kind_worded_as_kubectl(tmp_path):
    path = write(tmp_path, "pod.yaml", "kind: Pod\nmetadata:\n  name: x\n")
    with pytest.raises(Invalid) as err:
        load(path)
    assert str(err.value) == (
        f'error: error validating "{path}" (line 1): error validating data: apiVersion not set; '
        "if you choose to ignore these errors, turn validation off with --validate=false"
    )
    with pytest.raises(Invalid, match=r"\[apiVersion not set, kind not set\]"):
        load("metadata:\n  name: x\n")


def test_document_that_is_not_a_mapping():
    with pytest.raises(Invalid) as err:
        load(CM.format(name="a") + "---\n- just\n- a list\n")
    assert "line 6: json: cannot unmarshal array into Go value of type struct" in str(err.value)


def test_api_version_must_be_a_string():
    with pytest.raises(Invalid, match=r"cannot unmarshal number into Go struct field \.apiVersion"):
        load("apiVersion: 1\nkind: Pod\n")


def test_all_or_nothing_a_bad_last_document_fails_the_source(tmp_path):
    write(tmp_path, "a.yaml", CM.format(name="a"))
    write(tmp_path, "b.yaml", "kind: ConfigMap\n")
    with pytest.raises(Invalid, match=r"b\.yaml"):
        load(tmp_path)


# --------------------------------------------------------------------------- YAML flavour


def test_scalars_resolve_like_go_yaml():
    (doc,) = load(
        "apiVersion: v1\nkind: X\n"
        "short: y\nno: N\ndate: 2024-01-02\ntime: 1:30\nmode: 0644\nhex: 0x1F\n"
        "float: 1.5\nwhole: 3.0\nexp: 1e3\nver: 1.10\nnothing: ~\n80: port\n"
    )
    obj = doc.obj
    assert obj["short"] is True
    assert obj["false"] is False  # the key `no` is a boolean too, written as JSON writes it
    assert obj["date"] == "2024-01-02"  # not a datetime.date
    assert obj["time"] == "1:30"  # not base-60
    assert (obj["mode"], obj["hex"]) == (420, 31)
    assert (obj["float"], obj["whole"], obj["exp"], obj["ver"]) == (1.5, 3, 1000, 1.1)
    assert isinstance(obj["whole"], int)
    assert obj["nothing"] is None
    assert obj["80"] == "port"  # keys become strings, as in JSON


def test_aliases_are_not_shared_between_objects():
    (doc,) = load("apiVersion: v1\nkind: X\na: &x {k: v}\nb: *x\n")
    assert doc.obj["a"] == doc.obj["b"] and doc.obj["a"] is not doc.obj["b"]


@pytest.mark.parametrize("text", ["a:\n\tb: 1", 'a: "x\\\'"', "a: b: c", "a:\n  - b\n c: 1"])
def test_pure_python_yaml_errors_are_worded_as_libyaml(text):
    """Without libyaml, PyYAML's own wording is mapped to go-yaml's (both ports of libyaml)."""
    import yaml

    from kubelab.api.loader import _yaml_error

    messages = []
    for loader in (yaml.SafeLoader, getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
        with pytest.raises(yaml.YAMLError) as err:
            yaml.load(text, Loader=loader)
        messages.append(str(_yaml_error("f.yaml", err.value)))
    assert messages[0] == messages[1]


def test_a_list_of_paths_loads_every_file(tmp_path):
    for name in ("a", "b"):
        (tmp_path / f"{name}.yaml").write_text(
            f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}}}\n"
        )
    docs = load(
        [
            str(tmp_path / "a.yaml"),
            tmp_path / "b.yaml",
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}},
        ]
    )
    assert [d.obj["metadata"]["name"] for d in docs] == ["a", "b", "c"]
    assert docs[0].origin.endswith("a.yaml")
