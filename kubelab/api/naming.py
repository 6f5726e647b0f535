"""Name and label syntax checks, with the API server's exact messages.

Each ``is_*`` function returns a list of problems (empty when valid), like
``k8s.io/apimachinery/pkg/util/validation``.

Examples
--------
>>> is_dns1123_subdomain("web-1")
[]
>>> is_dns1123_label("my.name")
['must not contain dots']
>>> is_valid_label_value("-bad")[0][:50]
'a valid label must be an empty string or consist o'
>>> is_qualified_name("app.kubernetes.io/name")
[]
"""

from __future__ import annotations

import re

__all__ = [
    "is_c_identifier",
    "is_config_map_key",
    "is_dns1035_label",
    "is_dns1123_label",
    "is_dns1123_subdomain",
    "is_env_var_name",
    "is_qualified_name",
    "is_valid_label_value",
    "is_valid_port_name",
    "regex_error",
]


def regex_error(msg: str, fmt: str, *examples: str) -> str:
    """Upstream ``RegexError``: note the double space before each ``or``."""
    if not examples:
        return f"{msg} (regex used for validation is '{fmt}')"
    text = msg + " (e.g. "
    for i, ex in enumerate(examples):
        if i > 0:
            text += " or "
        text += f"'{ex}', "
    return text + f"regex used for validation is '{fmt}')"


_QNAME_CHAR = "[-A-Za-z0-9_.]"
_QNAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_QNAME_RE = re.compile(f"^{_QNAME_FMT}$")
_LABEL_VALUE_FMT = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?"
_LABEL_VALUE_RE = re.compile(f"^{_LABEL_VALUE_FMT}$")
_DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_LABEL_RE = re.compile(f"^{_DNS1123_LABEL_FMT}$")
_DNS1123_SUBDOMAIN_FMT = _DNS1123_LABEL_FMT + r"(\." + _DNS1123_LABEL_FMT + ")*"
_DNS1123_SUBDOMAIN_RE = re.compile(f"^{_DNS1123_SUBDOMAIN_FMT}$")
_DNS1035_LABEL_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?"
_DNS1035_LABEL_RE = re.compile(f"^{_DNS1035_LABEL_FMT}$")


def _max_len(n: int) -> str:
    return f"must be no more than {n} characters"


def is_qualified_name(value: str) -> list[str]:
    """Label and annotation keys: optional DNS subdomain prefix, ``/``, a name of ≤ 63 chars."""
    errs: list[str] = []
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            errs.extend("prefix part " + m for m in is_dns1123_subdomain(prefix))
    else:
        return [
            "a qualified name "
            + regex_error(
                "must consist of alphanumeric characters, '-', '_' or '.', and must start and "
                "end with an alphanumeric character",
                _QNAME_FMT,
                "MyName",
                "my.name",
                "123-abc",
            )
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    if not name:
        errs.append("name part must be non-empty")
    elif len(name) > 63:
        errs.append("name part " + _max_len(63))
    if not _QNAME_RE.match(name):
        errs.append(
            "name part "
            + regex_error(
                "must consist of alphanumeric characters, '-', '_' or '.', and must start and "
                "end with an alphanumeric character",
                _QNAME_FMT,
                "MyName",
                "my.name",
                "123-abc",
            )
        )
    return errs


def is_valid_label_value(value: str) -> list[str]:
    """Label values: empty, or ≤ 63 alphanumerics with ``-_.`` inside."""
    errs = []
    if len(value) > 63:
        errs.append(_max_len(63))
    if not _LABEL_VALUE_RE.match(value):
        errs.append(
            regex_error(
                "a valid label must be an empty string or consist of alphanumeric characters, "
                "'-', '_' or '.', and must start and end with an alphanumeric character",
                _LABEL_VALUE_FMT,
                "MyValue",
                "my_value",
                "12345",
            )
        )
    return errs


def is_dns1123_label(value: str) -> list[str]:
    """Names of namespaces, containers, ports: lowercase RFC 1123 label (≤ 63)."""
    errs = []
    if len(value) > 63:
        errs.append(_max_len(63))
    if not _DNS1123_LABEL_RE.match(value):
        if _DNS1123_SUBDOMAIN_RE.match(value):
            errs.append("must not contain dots")
        else:
            errs.append(
                regex_error(
                    "a lowercase RFC 1123 label must consist of lower case alphanumeric "
                    "characters or '-', and must start and end with an alphanumeric character",
                    _DNS1123_LABEL_FMT,
                    "my-name",
                    "123-abc",
                )
            )
    return errs


def is_dns1123_subdomain(value: str) -> list[str]:
    """Names of most objects (Pods, ReplicaSets, ConfigMaps...): RFC 1123 subdomain (≤ 253)."""
    errs = []
    if len(value) > 253:
        errs.append(_max_len(253))
    if not _DNS1123_SUBDOMAIN_RE.match(value):
        errs.append(
            regex_error(
                "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                "characters, '-' or '.', and must start and end with an alphanumeric character",
                _DNS1123_SUBDOMAIN_FMT,
                "example.com",
            )
        )
    return errs


def is_dns1035_label(value: str) -> list[str]:
    """Service names: a DNS-1035 label (starts with a letter, ≤ 63)."""
    errs = []
    if len(value) > 63:
        errs.append(_max_len(63))
    if not _DNS1035_LABEL_RE.match(value):
        errs.append(
            regex_error(
                "a DNS-1035 label must consist of lower case alphanumeric characters or '-', "
                "start with an alphabetic character, and end with an alphanumeric character",
                _DNS1035_LABEL_FMT,
                "my-name",
                "abc-123",
            )
        )
    return errs


def is_valid_port_name(value: str) -> list[str]:
    """Named ports (IANA_SVC_NAME): ≤ 15 chars, lowercase alphanumerics and single hyphens."""
    errs = []
    if len(value) > 15:
        errs.append("must be no more than 15 characters")
    if not re.fullmatch("[-a-z0-9]+", value):
        errs.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    elif not re.search("[a-z]", value):
        errs.append("must contain at least one letter (a-z)")
    if "--" in value:
        errs.append("must not contain consecutive hyphens")
    if value.startswith("-") or value.endswith("-"):
        errs.append("must not begin or end with a hyphen")
    return errs


def is_env_var_name(value: str) -> list[str]:
    """Environment variable names."""
    fmt = "[-._a-zA-Z][-._a-zA-Z0-9]*"
    if re.fullmatch(fmt, value):
        return []
    return [
        regex_error(
            "a valid environment variable name must consist of alphabetic characters, digits, "
            "'_', '-', or '.', and must not start with a digit",
            fmt,
            "my.env-name",
            "MY_ENV.NAME",
            "MyEnvName1",
        )
    ]


def is_config_map_key(value: str) -> list[str]:
    """Keys of ConfigMap and Secret data."""
    errs = []
    if len(value) > 253:
        errs.append(_max_len(253))
    fmt = "[-._a-zA-Z0-9]+"
    if not re.fullmatch(fmt, value):
        errs.append(
            regex_error(
                "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
                fmt,
                "key.name",
                "KEY_NAME",
                "key-name",
            )
        )
    if value == ".":
        errs.append("must not be '.'")
    elif value == "..":
        errs.append("must not be '..'")
    elif value.startswith(".."):
        errs.append("must not start with '..'")
    return errs


def is_c_identifier(value: str) -> list[str]:
    """C identifiers (used by a few fields such as env var names in older APIs)."""
    fmt = "[A-Za-z_][A-Za-z0-9_]*"
    if re.fullmatch(fmt, value):
        return []
    return [
        regex_error(
            "a valid C identifier must start with alphabetic character or '_', "
            "followed by a string of alphanumeric characters or '_'",
            fmt,
            "my_name",
            "MY_NAME",
            "MyName",
        )
    ]
