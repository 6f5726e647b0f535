"""Every bound on what kubelab reads from a manifest, with the upstream rule each one mirrors.

A learner's kernel has about 1 GB and one thread: no input may make reading it hang, crash
the process or grow without end. These limits make every read answer within bounded time and
memory; the loader (:mod:`kubelab.api.loader`) and the YAML decoder
(:mod:`kubelab.api.yamljson`) enforce them *while* reading, before anything big is built.

Examples
--------
>>> MAX_REQUEST_BYTES
3145728
>>> allowed_alias_ratio(1_000), allowed_alias_ratio(4_000_000)
(0.99, 0.1)
"""

from __future__ import annotations

__all__ = [
    "ALIAS_RATIO_RANGE_HIGH",
    "ALIAS_RATIO_RANGE_LOW",
    "INT32_RANGE",
    "INT64_RANGE",
    "MAX_DEPTH",
    "MAX_DIRECTORY_FILES",
    "MAX_DOCUMENTS",
    "MAX_INT_BITS",
    "MAX_LOAD_BYTES",
    "MAX_NODES",
    "MAX_QUANTITY",
    "MAX_QUANTITY_EXPONENT",
    "MAX_REQUEST_BYTES",
    "UINT64_MAX",
    "allowed_alias_ratio",
]

# kube-apiserver refuses a request body over 3 MiB (k8s.io/apiserver/pkg/server/config.go,
# MaxRequestBodyBytes = 3 * 1024 * 1024): "Request entity too large: limit is 3145728".
# kubectl sends one request per object, so the limit applies to each object's JSON.
MAX_REQUEST_BYTES = 3 * 1024 * 1024

# Nesting depth. Upstream allows 10000 (Go's encoding/json scanner maxNestingDepth, also in
# sigs.k8s.io/json; go-yaml v3's "exceeded max depth of 10000"). kubelab's own code and the
# libraries it uses (deepcopy, jsonschema, json.dumps) recurse once or more per level inside
# Python's ~1000-frame stack, so kubelab stops at 100: the deepest real manifests (a pod
# template's affinity terms) nest about 15 levels.
MAX_DEPTH = 100

# go-yaml v2's alias-expansion guard (gopkg.in/yaml.v2 decode.go, CVE-2019-11254 fix): once a
# document has decoded more than 1000 nodes of which more than 100 came from aliases, the
# share that aliases may add falls from 99% (up to 400,000 decodes) to 10% (4,000,000).
ALIAS_RATIO_RANGE_LOW = 400_000
ALIAS_RATIO_RANGE_HIGH = 4_000_000

# kubelab's own bounds on one apply (upstream has none: kubectl streams one object at a time).
# They keep the worst case (tiny nodes, every alias expanded) to a few seconds and ~200 MB.
MAX_LOAD_BYTES = 8 * 1024 * 1024  # manifest text read, and JSON decoded, in one apply
MAX_NODES = 500_000  # YAML/JSON values decoded in one apply (aliases count once per use)
MAX_DOCUMENTS = 1000  # objects in one apply
MAX_DIRECTORY_FILES = 1000  # manifest files read from one folder

# Quantities: upstream's `resource.Quantity` holds any size (an inf.Dec past int64; upstream's
# PV binder tests use 800E volumes), but nothing computes sensibly with such values. kubelab
# keeps quantities exact, so it bounds them far above any real capacity and far below where
# float conversions overflow, and refuses larger exponents before computing any power
# (`1e1000000000` would otherwise take forever): "unable to parse quantity's numeric part".
MAX_QUANTITY = 10**27
MAX_QUANTITY_EXPONENT = 60

# Python ints from dicts: past this many bits even printing one fails (Python's
# int-digit limit, sys.set_int_max_str_digits, 4300 digits by default).
MAX_INT_BITS = 4096

# Go integer types the API schemas name with `format: int32/int64`; YAML integers beyond
# int64 but within uint64 still decode as integers (go-yaml v2 resolve.go).
INT32_RANGE = (-(2**31), 2**31 - 1)
INT64_RANGE = (-(2**63), 2**63 - 1)
UINT64_MAX = 2**64 - 1


def allowed_alias_ratio(decode_count: int) -> float:
    """go-yaml v2's ``allowedAliasRatio``: the share of decodes that may come from aliases."""
    if decode_count <= ALIAS_RATIO_RANGE_LOW:
        return 0.99
    if decode_count >= ALIAS_RATIO_RANGE_HIGH:
        return 0.10
    span = ALIAS_RATIO_RANGE_HIGH - ALIAS_RATIO_RANGE_LOW
    return 0.99 - 0.89 * ((decode_count - ALIAS_RATIO_RANGE_LOW) / span)
