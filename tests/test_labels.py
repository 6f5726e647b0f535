"""Label selectors against upstream's test tables (selector_test.go, labels_test.go, helpers_test.go)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubelab.api import labels as L
from kubelab.api.labels import Requirement, SelectorError

QNAME_MSG = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
    "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used "
    "for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    "'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)

# ---------------------------------------------------------------- §3.2 matching rows

MATCH_ROWS = [
    ("", {"x": "y"}, True),  # 1
    ("x=y", {"x": "y"}, True),
    ("x=y,z=w", {"x": "y", "z": "w"}, True),
    ("x!=y,z!=w", {"x": "z", "z": "a"}, True),
    ("notin=in", {"notin": "in"}, True),  # 5: keywords as key and value
    ("x", {"x": "z"}, True),
    ("!x", {"y": "z"}, True),
    ("x>1", {"x": "2"}, True),
    ("x<1", {"x": "0"}, True),
    ("x=z", {}, False),  # 10
    ("x=y", {"x": "z"}, False),
    ("x=y,z=w", {"x": "w", "z": "w"}, False),
    ("x!=y,z!=w", {"x": "z", "z": "w"}, False),
    ("x", {"y": "z"}, False),
    ("!x", {"x": "z"}, False),  # 15
    ("x>1", {"x": "0"}, False),
    ("x<1", {"x": "2"}, False),
    ("foo=bar", {"foo": "bar", "baz": "blah"}, True),
    ("baz=blah", {"foo": "bar", "baz": "blah"}, True),
    ("foo=bar,baz=blah", {"foo": "bar", "baz": "blah"}, True),  # 20
    ("foo=blah", {"foo": "bar", "baz": "blah"}, False),
    ("baz=bar", {"foo": "bar", "baz": "blah"}, False),
    ("foo=bar,foobar=bar,baz=blah", {"foo": "bar", "baz": "blah"}, False),
    ("x in (foo),y notin (alpha)", {"x": "foo", "y": "baz"}, True),
    ("x in (foo),y in (alpha)", {"x": "foo", "y": "baz"}, False),  # 25
    ("x notin (),y", {"y": ""}, True),
    ("!x,y", {"y": ""}, True),
    ("x notin (),!y", {"y": ""}, False),
    ("x in ()", {"y": "baz"}, False),
    ("z>1", {"z": "2"}, True),  # 30
    ("z>1", {"z": "v2"}, False),
    # derived from the Matches table
    ("env notin (prod)", {}, True),
    ("env in (prod)", {}, False),
    ("env!=prod", {"app": "x"}, True),
    ("x>1", {}, False),
    ("x<1", {}, False),
    ("x in (a,b)", {"x": "b"}, True),
    ("x notin (a,b)", {"x": "b"}, False),
    ("x==y", {"x": "y"}, True),
    ("x>0", {"x": "+1"}, True),  # ParseInt takes a sign...
    ("x>0", {"x": "1_0"}, False),  # ...but not Python's underscores
]


@pytest.mark.parametrize(("text", "labels", "expected"), MATCH_ROWS)
def test_selector_matches_upstream_rows(text, labels, expected):
    sel = L.parse(text)
    assert sel.matches(labels) is expected
    # the per-requirement path agrees with the inlined fast path
    assert all(r.matches(labels) for r in sel.requirements) is expected


def test_set_rows_32_33():
    labels = {"foo": "bar", "baz": "blah"}
    assert L.from_set({}).matches(labels)
    assert L.from_set({"foo": "bar", "baz": "blah"}).matches(labels)
    assert not L.from_set({"foo": "bar", "baz": "other"}).matches(labels)


def test_zero_requirement_row_34_matches_nothing():
    zero = Requirement.trusted("", "", ())
    assert not zero.matches({"x": "foo", "y": "baz"})
    assert not L.Selector([zero]).matches({"x": "foo", "y": "baz"})


def test_matches_none_labels():
    assert L.parse("!x").matches(None)
    assert not L.parse("x").matches(None)
    assert L.everything().matches(None)


# ---------------------------------------------------------------- §3.3 parser

VALID = [
    ("x=a,y=b,z=c", "x=a,y=b,z=c"),
    ("", ""),
    ("x!=a,y=b", "x!=a,y=b"),
    ("x=", "x="),
    ("x= ", "x="),
    ("x=,z= ", "x=,z="),
    ("x= ,z= ", "x=,z="),
    ("!x", "!x"),
    ("x>1", "x>1"),
    ("x>1,z<5", "x>1,z<5"),
    ("\rx", "x"),
    ("this-is-a-dns.domain.com/key-with-dash", "this-is-a-dns.domain.com/key-with-dash"),
    (
        "this-is-another-dns.domain.com/key-with-dash in (so,what)",
        "this-is-another-dns.domain.com/key-with-dash in (so,what)",
    ),
    (
        "0.1.2.domain/99 notin (10.10.100.1, tick.tack.clock)",
        "0.1.2.domain/99 notin (10.10.100.1,tick.tack.clock)",
    ),
    ("foo  in\t (abc)", "foo in (abc)"),
    ("x notin\n (abc)", "x notin (abc)"),
    ("x in (abc,def)", "x in (abc,def)"),
    ("x in (abc,)", "x in (,abc)"),
    ("x in ()", "x in ()"),
    ("x notin (abc,,def),bar,z in (),w", "bar,w,x notin (,abc,def),z in ()"),
    ("x,y in (a)", "x,y in (a)"),
    ("x=a", "x=a"),
    ("x==a", "x==a"),
    ("x<7", "x<7"),
    ("x=a,y!=b", "x=a,y!=b"),
    ("x=a,y!=b,z in (h,i,j)", "x=a,y!=b,z in (h,i,j)"),
    ("x notin ( )", "x notin ()"),
    ("x notin (, a)", "x notin (,a)"),
    ("a ", "a"),
    ("a in (x,y,notin, z,in)", "a in (in,notin,x,y,z)"),
    ("x=a,a=x", "a=x,x=a"),
    ("x=a, a=x", "a=x,x=a"),
    ("in in (notin)", "in in (notin)"),
    ("!in", "!in"),
]


@pytest.mark.parametrize(("text", "canonical"), VALID)
def test_parse_valid(text, canonical):
    sel = L.parse(text)
    assert str(sel) == canonical
    assert L.parse(canonical) == sel


def test_parse_values_from_empty_items():
    assert L.parse("x in (abc,)").requirements[0].values == ("", "abc")
    assert L.parse("x in ()").requirements[0].values == ("",)
    assert L.parse("x notin (abc,,def)").requirements[0].values == ("", "abc", "def")
    assert L.parse("\rx").requirements[0].operator == "exists"


REQ = "unable to parse requirement: "
INVALID = [
    ("x=a||y=b", REQ + 'values[0][x]: Invalid value: "a||y": ' + VALUE_MSG),
    ("x==a==b", "found '==', expected: ',' or 'end of string'"),
    ("!x=a", "found '=', expected: ',' or 'end of string'"),
    (
        "x<a",
        REQ
        + "values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, the value must be an integer",
    ),
    ("x,,y", "found ',', expected: identifier after ','"),
    (",x,y", "found ',', expected: !, identifier, or 'end of string'"),
    ("x nott in (y)", REQ + "found 'nott', expected: in, notin, =, ==, !=, gt, lt"),
    ("a in (xyz),", "found '', expected: identifier after ','"),
    ("a in (xyz)b notin ()", "found 'b', expected: ',' or 'end of string'"),
    ("a in (xyz abc)", REQ + "found 'abc', expected: ',' or ')'"),
    ("a notin(", REQ + "found '', expected: ',', ')' or identifier"),
    ("a (", REQ + "found '(', expected: in, notin, =, ==, !=, gt, lt"),
    ("(", "found '(', expected: !, identifier, or 'end of string'"),
    ("!", REQ + "found '', expected: identifier"),
    ("x=(", REQ + "found '(', expected: identifier"),
    ("x in (a", REQ + "found '', expected: ',' or ')'"),
    ("x in a", REQ + "found 'a' expected: '('"),
    ("x in (a,=)", REQ + "found '=', expected: ',', or identifier"),
    ("app: web", REQ + '<nil>: Invalid value: "app:": ' + QNAME_MSG),
    ("-a=b", REQ + '<nil>: Invalid value: "-a": ' + QNAME_MSG),
    ("x>-1", REQ + 'values[0][x]: Invalid value: "-1": ' + VALUE_MSG),
]


@pytest.mark.parametrize(("text", "message"), INVALID)
def test_parse_invalid(text, message):
    with pytest.raises(SelectorError) as exc:
        L.parse(text)
    assert str(exc.value) == message
    assert isinstance(exc.value, ValueError)


def test_lexer_longest_match_and_identifier_characters():
    assert L.parse("x!=y").requirements[0].operator == "!="
    # '~' and '|' are not special: they end up in an identifier (and fail value validation)
    with pytest.raises(SelectorError, match=r'"a~b"'):
        L.parse("x=a~b")


# ---------------------------------------------------------------- §3.4 NewRequirement

CONSTRUCTOR_ROWS = [
    ("x", "in", None, False),
    ("x", "notin", [], False),
    ("x", "in", ["foo"], True),
    ("x", "notin", ["foo"], True),
    ("x", "exists", None, True),
    ("x", "!", None, True),
    ("1foo", "in", ["bar"], True),
    ("1234", "in", ["bar"], True),
    ("y", "gt", ["1"], True),
    ("z", "lt", ["6"], True),
    ("foo", "gt", ["bar"], False),
    ("barz", "lt", ["blah"], False),
    ("a" * 254, "exists", None, False),
]


@pytest.mark.parametrize(("key", "op", "values", "ok"), CONSTRUCTOR_ROWS)
def test_requirement_constructor(key, op, values, ok):
    if ok:
        assert Requirement(key, op, values).key == key
    else:
        with pytest.raises(SelectorError):
            Requirement(key, op, values)


REQUIREMENT_ERRORS = [
    (
        ("x", "in", None),
        "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty",
    ),
    (
        ("x", "notin", []),
        "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty",
    ),
    (
        ("x", "=", ["a", "b"]),
        'values: Invalid value: []string{"a", "b"}: exact-match compatibility requires one single value',
    ),
    (
        ("x", "exists", ["a"]),
        'values: Invalid value: []string{"a"}: values set must be empty for exists and does not exist',
    ),
    (
        ("x", "gt", ["1", "2"]),
        "values: Invalid value: []string{\"1\", \"2\"}: for 'Gt', 'Lt' operators, exactly one value is required",
    ),
    (
        ("foo", "gt", ["bar"]),
        "values[0]: Invalid value: \"bar\": for 'Gt', 'Lt' operators, the value must be an integer",
    ),
    (
        ("x", "foo", ["a"]),
        'operator: Unsupported value: "foo": supported values: "in", "notin", "=", "==", "!=", '
        '"gt", "lt", "exists", "!"',
    ),
    (
        ("a" * 254, "exists", None),
        f'key: Invalid value: "{"a" * 254}": name part must be no more than 63 characters',
    ),
    (("x", "=", ["-v"]), 'values[0][x]: Invalid value: "-v": ' + VALUE_MSG),
    (
        ("-x", "in", []),
        '[key: Invalid value: "-x": '
        + QNAME_MSG
        + ", values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty]",
    ),
]


@pytest.mark.parametrize(("args", "message"), REQUIREMENT_ERRORS)
def test_requirement_error_strings(args, message):
    with pytest.raises(SelectorError) as exc:
        Requirement(*args)
    assert str(exc.value) == message


def test_requirement_normalises_values_and_is_frozen():
    r = Requirement("x", "in", ["b", "a", "b"])
    assert r.values == ("a", "b")
    assert r == Requirement("x", "in", ("a", "b"))
    with pytest.raises(AttributeError):
        r.key = "y"


@pytest.mark.parametrize(
    ("req", "text"),
    [
        (Requirement("x", "=", ["a"]), "x=a"),
        (Requirement("x", "==", ["a"]), "x==a"),
        (Requirement("x", "!=", ["a"]), "x!=a"),
        (Requirement("x", "in", ["b", "a"]), "x in (a,b)"),
        (Requirement("x", "notin", ["a"]), "x notin (a)"),
        (Requirement("x", "exists"), "x"),
        (Requirement("x", "!"), "!x"),
        (Requirement("x", "gt", ["1"]), "x>1"),
        (Requirement("x", "lt", ["1"]), "x<1"),
    ],
)
def test_requirement_str(req, text):
    assert str(req) == text


# ---------------------------------------------------------------- Selector API


def test_selector_equality_hash_and_order():
    a, b = L.parse("x=a,a=x"), L.parse("a=x,x=a")
    assert a == b and hash(a) == hash(b)
    assert L.parse("x!=a,x=b") == L.parse("x=b,x!=a")
    assert a != L.parse("a=x")
    assert L.nothing() != L.everything()
    assert L.parse("") == L.everything()
    assert len({a, b, L.everything(), L.nothing()}) == 3


def test_everything_and_nothing():
    assert L.everything().empty and str(L.everything()) == ""
    assert not L.nothing().empty and str(L.nothing()) == ""
    assert not L.nothing().matches({})
    assert L.nothing().add(Requirement("x", "exists")) is L.nothing()
    assert repr(L.nothing()) == "labels.nothing()"


def test_add_keeps_sorted_and_returns_new():
    base = L.parse("b=1")
    more = base.add(Requirement("a", "exists"))
    assert str(more) == "a,b=1"
    assert str(base) == "b=1"


def test_equality_pairs_and_exact_match():
    sel = L.parse("app=web,tier in (a),env in (x,y),v!=1,k==z")
    assert sel.equality_pairs() == (("app", "web"), ("k", "z"), ("tier", "a"))
    assert sel.requires_exact_match("tier") == "a"
    assert sel.requires_exact_match("env") is None
    assert sel.requires_exact_match("missing") is None
    assert L.everything().equality_pairs() == ()


def test_from_set_does_not_validate():
    # SelectorFromSet trusts its input: RC selectors were validated on their own.
    assert L.from_set({"-bad": "x"}).matches({"-bad": "x"})
    assert str(L.from_set({"b": "2", "a": "1"})) == "a=1,b=2"


# ---------------------------------------------------------------- LabelSelectorAsSelector

AS_SELECTOR = [
    ({"matchLabels": {"foo": "bar"}}, "foo=bar"),
    (
        {"matchExpressions": [{"key": "baz", "operator": "In", "values": ["qux", "norf"]}]},
        "baz in (norf,qux)",
    ),
    (
        {
            "matchLabels": {"foo": "bar"},
            "matchExpressions": [{"key": "baz", "operator": "In", "values": ["qux", "norf"]}],
        },
        "baz in (norf,qux),foo=bar",
    ),
    (
        {
            "matchExpressions": [
                {"key": "a", "operator": "NotIn", "values": ["x"]},
                {"key": "b", "operator": "Exists"},
                {"key": "c", "operator": "DoesNotExist", "values": []},
            ]
        },
        "a notin (x),b,!c",
    ),
    ({"matchLabels": {}, "matchExpressions": []}, ""),
]


@pytest.mark.parametrize(("ls", "text"), AS_SELECTOR)
def test_label_selector_as_selector(ls, text):
    sel = L.from_label_selector(ls)
    assert sel == L.parse(text)
    assert str(sel) == text == L.to_string(ls)


def test_label_selector_nil_and_empty():
    assert L.from_label_selector(None) is L.nothing()
    assert L.from_label_selector({}) is L.everything()
    assert L.to_string(None) == ""
    assert L.format_label_selector({}) == "<none>"
    assert (
        L.format_label_selector({"matchExpressions": [{"key": "a", "operator": "X"}]}) == "<error>"
    )


@pytest.mark.parametrize(
    ("ls", "message"),
    [
        (
            {"matchExpressions": [{"key": "baz", "operator": "Exists", "values": ["qux", "norf"]}]},
            'values: Invalid value: []string{"qux", "norf"}: values set must be empty for exists and does not exist',
        ),
        (
            {"matchExpressions": [{"key": "baz", "operator": "In"}]},
            "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty",
        ),
        (
            {"matchExpressions": [{"key": "baz", "operator": "in", "values": ["a"]}]},
            '"in" is not a valid pod selector operator',
        ),
        ({"matchLabels": {"app": "-x"}}, 'values[0][app]: Invalid value: "-x": ' + VALUE_MSG),
    ],
)
def test_label_selector_as_selector_errors(ls, message):
    with pytest.raises(SelectorError) as exc:
        L.from_label_selector(ls)
    assert str(exc.value) == message


# ---------------------------------------------------------------- §3.5 validation


def _strs(errs):
    return [str(e) for e in errs]


def test_validate_label_selector_messages():
    ls = {
        "matchLabels": {"app": "web"},
        "matchExpressions": [
            {"key": "a", "operator": "In", "values": []},
            {"key": "b", "operator": "Exists", "values": ["x"]},
            {"key": "c", "operator": "Foo"},
            {"key": "-d", "operator": "NotIn", "values": ["ok", "-bad"]},
        ],
    }
    assert _strs(L.validate_label_selector(ls, "spec.selector")) == [
        "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
        "spec.selector.matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
        'spec.selector.matchExpressions[2].operator: Invalid value: "Foo": not a valid selector operator',
        'spec.selector.matchExpressions[3].key: Invalid value: "-d": ' + QNAME_MSG,
        'spec.selector.matchExpressions[3].values[1]: Invalid value: "-bad": ' + VALUE_MSG,
    ]
    assert len(L.validate_label_selector(ls, "x", allow_invalid_label_value=True)) == 4


def test_validate_label_selector_valid_and_nil():
    assert L.validate_label_selector(None, "spec.selector") == []
    assert L.validate_label_selector({"matchLabels": {"app": "web", "x/y": ""}}, "s") == []


def test_validate_labels_reports_keys_and_values_at_the_path():
    errs = _strs(L.validate_labels({"-k": "ok", "good": "-v", "a/b/c": "x"}, "metadata.labels"))
    assert errs == [
        'metadata.labels: Invalid value: "-k": ' + QNAME_MSG,
        'metadata.labels: Invalid value: "a/b/c": a qualified name '
        + QNAME_MSG.removeprefix("name part ")
        + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
        'metadata.labels: Invalid value: "-v": ' + VALUE_MSG,
    ]
    assert "'MyName',  or 'my.name',  or '123-abc'" in errs[0]  # upstream's double spaces
    too_long = _strs(L.validate_labels({"k": "v" * 64}, "metadata.labels"))
    assert too_long == [
        f'metadata.labels: Invalid value: "{"v" * 64}": must be no more than 63 characters'
    ]


def test_validate_label_selector_match_labels_path():
    errs = _strs(L.validate_label_selector({"matchLabels": {"app": "-x"}}, "spec.selector"))
    assert errs == ['spec.selector.matchLabels: Invalid value: "-x": ' + VALUE_MSG]


# ---------------------------------------------------------------- properties

_alnum = st.sampled_from("abcxyz019AZ")
_inner = st.text(alphabet="abz09-_.", max_size=4)
names = st.builds(lambda a, mid, b: a + mid + b, _alnum, _inner, _alnum) | _alnum
values = st.just("") | names | st.sampled_from(["in", "notin"])
prefixes = st.sampled_from(["", "example.com/", "a.b/"])
keys = st.builds(lambda p, n: p + n, prefixes, names) | st.sampled_from(["in", "notin"])
ints = st.integers(0, 999).map(str)


@st.composite
def requirements(draw):
    op = draw(st.sampled_from(L.OPERATORS))
    key = draw(keys)
    if op in ("in", "notin"):
        vals = draw(st.lists(values, min_size=1, max_size=3))
    elif op in ("=", "==", "!="):
        vals = [draw(values)]
    elif op in ("gt", "lt"):
        vals = [draw(ints)]
    else:
        vals = []
    return Requirement(key, op, vals)


selectors = st.lists(requirements(), max_size=5).map(L.Selector)
label_sets = st.dictionaries(keys, values | ints, max_size=6)


@given(selectors)
def test_parse_roundtrips_str(sel):
    assert L.parse(str(sel)) == sel
    assert str(L.parse(str(sel))) == str(sel)


@given(selectors, label_sets)
def test_fast_match_agrees_with_requirements(sel, labels):
    assert sel.matches(labels) == all(r.matches(labels) for r in sel.requirements)


@st.composite
def label_selectors(draw):
    ls = {}
    if draw(st.booleans()):
        ls["matchLabels"] = draw(st.dictionaries(keys, values, max_size=3))
    exprs = []
    for _ in range(draw(st.integers(0, 3))):
        op = draw(st.sampled_from(["In", "NotIn", "Exists", "DoesNotExist"]))
        expr = {"key": draw(keys), "operator": op}
        if op in ("In", "NotIn"):
            expr["values"] = draw(st.lists(values, min_size=1, max_size=3))
        exprs.append(expr)
    if exprs or draw(st.booleans()):
        ls["matchExpressions"] = exprs
    return ls


@given(label_selectors(), label_sets)
def test_label_selector_matches_like_its_string(ls, labels):
    assert not L.validate_label_selector(ls, "spec.selector")
    assert L.from_label_selector(ls).matches(labels) == L.parse(L.to_string(ls)).matches(labels)


@given(label_sets, st.data())
def test_label_set_matches_from_set_of_any_subset(labels, data):
    subset_keys = data.draw(st.sets(st.sampled_from(sorted(labels)) if labels else st.nothing()))
    subset = {k: labels[k] for k in subset_keys}
    assert L.from_set(subset).matches(labels)
    assert L.parse(str(L.from_set(subset))).matches(labels)


# ---------------------------------------------------------------- TestToString, TestLexer


@pytest.mark.parametrize(
    ("reqs", "text"),
    [
        (
            [("x", "in", ["abc", "def"]), ("y", "notin", ["jkl"]), ("z", "exists", [])],
            "x in (abc,def),y notin (jkl),z",
        ),
        (
            [("x", "notin", ["abc", "def"]), ("y", "!=", ["jkl"]), ("z", "!", [])],
            "x notin (abc,def),y!=jkl,!z",
        ),
        (
            [("x", "notin", ["abc"]), ("y", "in", ["jkl", "mno"]), ("z", "notin", [""])],
            "x notin (abc),y in (jkl,mno),z notin ()",
        ),
        (
            [("x", "=", ["abc"]), ("y", "==", ["jkl"]), ("z", "!=", ["a"]), ("z", "exists", [])],
            "x=abc,y==jkl,z!=a,z",
        ),
        ([("x", "gt", ["2"]), ("y", "lt", ["8"]), ("z", "exists", [])], "x>2,y<8,z"),
    ],
)
def test_to_string_rows(reqs, text):
    assert str(L.Selector(Requirement(*r) for r in reqs)) == text


def test_to_string_with_zero_requirement_prints_an_empty_term():
    # upstream builds an unsorted literal and gets "x in (abc,def),"; Selector always sorts by key
    sel = L.Selector([Requirement("x", "in", ["abc", "def"]), Requirement.trusted("", "", ())])
    assert str(sel) == ",x in (abc,def)"


def test_same_key_requirements_keep_their_order_in_str():
    assert str(L.parse("z!=a,z")) == "z!=a,z"
    assert str(L.parse("z,z!=a")) == "z,z!=a"


T = L  # token constants live in the module
LEXER_SEQUENCES = [
    ("key in ( value )", [T._ID, T._IN_T, T._OPEN, T._ID, T._CLOSE]),
    ("key notin ( value )", [T._ID, T._NOTIN_T, T._OPEN, T._ID, T._CLOSE]),
    ("key in ( value1, value2 )", [T._ID, T._IN_T, T._OPEN, T._ID, T._COMMA, T._ID, T._CLOSE]),
    ("key", [T._ID]),
    ("!key", [T._NOT, T._ID]),
    ("()", [T._OPEN, T._CLOSE]),
    ("x in (),y", [T._ID, T._IN_T, T._OPEN, T._CLOSE, T._COMMA, T._ID]),
    ("== != (), = notin", [T._DEQ, T._NEQ, T._OPEN, T._CLOSE, T._COMMA, T._EQ_T, T._NOTIN_T]),
    ("key>2", [T._ID, T._GT_T, T._ID]),
    ("key<1", [T._ID, T._LT_T, T._ID]),
    ("~", [T._ID]),
    ("||", [T._ID]),
    ("!=", [T._NEQ]),
    ("=!x", [T._EQ_T, T._NOT, T._ID]),
]


@pytest.mark.parametrize(("text", "tokens"), LEXER_SEQUENCES)
def test_lexer_sequence(text, tokens):
    items = L._lex(text)
    assert items[-1] == (T._EOS, "")
    assert [tok for tok, _ in items[:-1]] == tokens
