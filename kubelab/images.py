"""The simulated image catalogue: what a container *does* comes from its image reference.

A container image in kubelab is a short description of an application's behaviour:
how long its pull takes, how fast it starts and becomes ready, whether it exits or
crashes (and with which exit code), how much memory it uses and how fast that grows,
which version it serves and how quickly. The kubelet reads these when it runs a
container; later lessons (traffic, probes) read the serving fields.

The course's catalogue is ``kubelab/data/images.yaml`` (the source of truth, shipped with the
package); ``data/images.yaml`` at the repository root is a byte-identical copy for learners to
read, and ``tests/test_images.py`` fails if the two differ. Entries are keyed by reference as
people write them: ``nginx`` (every tag of nginx, serving its tag as version) or ``nginx:1.99``
(one tag, layered over the ``nginx`` entry). Unknown images get the catalogue's ``defaults``:
they start in about a second, become ready and serve their tag.

Examples
--------
>>> catalog = ImageCatalog.default()
>>> spec = catalog.lookup("nginx:1.26")
>>> spec.version, spec.reference, spec.normalized
('1.26', 'nginx:1.26', 'docker.io/library/nginx:1.26')
>>> catalog.lookup("example.com/unknown/app:v7").version
'v7'
>>> catalog.lookup("nginx:1.99").missing
True
>>> _ = catalog.register("me/app:v1", start_seconds=3, version="1.0")
>>> catalog.lookup("me/app:v1").start_seconds
3.0
>>> parse_reference("NGINX")
Traceback (most recent call last):
...
kubelab.images.InvalidImageName: couldn't parse image name "NGINX": invalid reference format: repository name (library/NGINX) must be lowercase

The teaching images (what the lessons use):

============================  =================================================================
``kubelab/web:v1``, ``:v2``  healthy releases of a small web app, serving ``v1`` / ``v2``
``kubelab/web:v3-broken``     starts and listens, but ``/healthz`` answers 503 and requests
                              fail: never Ready with a readinessProbe (a rollout stalls),
                              restarted then CrashLoopBackOff with a livenessProbe; hangs on
                              SIGTERM (SIGKILLed after the grace period, exit 137)
``kubelab/slow-start``        listens and answers 30 s after starting: needs a startupProbe (or
                              a long initialDelaySeconds) or liveness kills it first
``kubelab/crashy``            exits with code 1 five seconds after starting (CrashLoopBackOff)
``kubelab/leaky``             20Mi growing 2Mi/s: OOMKilled (137) at its memory limit, repeatedly
``kubelab/job``               works 10 s and exits 0
``kubelab/stubborn``          ignores SIGTERM: deletion takes the whole grace period
``kubelab/flaky``             one request in five fails (its health endpoint is fine)
``kubelab/slow``              answers in 250 ms
``kubelab/busy``              wants a whole CPU: throttled (and slower) under a smaller limit
============================  =================================================================

Learners extend the shared catalogue with ``kl.images.register("me/app:v1", ...)`` or give a
cluster its own with ``kl.Cluster(images={"me/app:v1": {...}})``.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import re
import shlex
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from kubelab.api.quantity import memory_bytes, parse_quantity

__all__ = [
    "ImageCatalog",
    "ImageReference",
    "ImageSpec",
    "InvalidImageName",
    "catalog",
    "lookup",
    "parse_reference",
    "register",
    "shell_behaviour",
    "shell_files",
]

# Registries that are the same place under another name (k8s.gcr.io redirects to registry.k8s.io).
_REGISTRY_ALIASES = {"k8s.gcr.io": "registry.k8s.io"}
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*"
_DOMAIN = r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?"
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
_DIGEST = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$")
_PATH = re.compile(rf"^{_COMPONENT}(?:/{_COMPONENT})*$")
_DOMAIN_RE = re.compile(rf"^{_DOMAIN}$")


class InvalidImageName(ValueError):
    """An image reference that does not parse (the kubelet's ``InvalidImageName``)."""


@dataclass(frozen=True)
class ImageReference:
    """A parsed image reference: ``registry.k8s.io/pause:3.9`` → domain, path, tag."""

    domain: str
    path: str
    tag: str
    digest: str = ""

    @property
    def familiar(self) -> str:
        """The repository as people write it: ``nginx``, ``bitnami/redis``, ``registry.k8s.io/pause``."""
        if self.domain == "docker.io":
            return self.path.removeprefix("library/")
        return f"{self.domain}/{self.path}"

    @property
    def normalized(self) -> str:
        """What the container runtime reports: ``docker.io/library/nginx:1.25``."""
        if self.digest:
            return f"{self.domain}/{self.path}@{self.digest}"
        return f"{self.domain}/{self.path}:{self.tag}"


def parse_reference(image: str) -> ImageReference:
    """Parse an image reference as the container runtime does (docker/distribution grammar).

    Examples
    --------
    >>> parse_reference("nginx").normalized
    'docker.io/library/nginx:latest'
    >>> r = parse_reference("k8s.gcr.io/busybox:1.24"); r.familiar, r.tag
    ('registry.k8s.io/busybox', '1.24')
    >>> parse_reference("localhost:5000/app").normalized
    'localhost:5000/app:latest'
    """
    fail = f'couldn\'t parse image name "{image}": invalid reference format'
    if not isinstance(image, str) or not image or image != image.strip():
        raise InvalidImageName(fail)
    rest, _, digest = image.partition("@")
    if digest and not _DIGEST.match(digest):
        raise InvalidImageName(fail)
    tag = ""
    slash = rest.rfind("/")
    colon = rest.rfind(":")
    if colon > slash:
        rest, tag = rest[:colon], rest[colon + 1 :]
        if not _TAG.match(tag):
            raise InvalidImageName(fail)
    first, sep, remainder = rest.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost" or first != first.lower()):
        domain, path = first, remainder
        if not _DOMAIN_RE.match(domain):
            raise InvalidImageName(fail)
    else:
        domain, path = "docker.io", rest
        if "/" not in path:
            path = f"library/{path}"
    if not _PATH.match(path):
        if path.lower() != path and _PATH.match(path.lower()):
            raise InvalidImageName(f"{fail}: repository name ({path}) must be lowercase")
        raise InvalidImageName(fail)
    domain = _REGISTRY_ALIASES.get(domain, domain)
    return ImageReference(domain, path, tag or ("" if digest else "latest"), digest)


@dataclass(frozen=True)
class ImageSpec:
    """How a simulated application behaves. Times are simulated seconds.

    Attributes
    ----------
    reference : str
        The reference as written in the pod (``nginx:1.25``).
    normalized : str
        As the runtime reports it (``docker.io/library/nginx:1.25``).
    pull_seconds, size_bytes : float, int
        Image pull time on a node that does not have it, and its size.
    start_seconds : float
        From "Created" to the process running.
    ready_after : float
        After starting, when the app answers (readiness/liveness/startup probes pass).
    exit_after, exit_code : float or None, int
        The process exits by itself after this long, with this code (None: runs forever).
    memory, memory_growth : int
        Bytes used at start, bytes added per second: above the memory limit → OOMKilled (137).
    cpu : float
        Cores it wants to burn (``500m`` → 0.5): above its CPU limit it is throttled, and
        answers slower by wanted/limit (:func:`kubelab.kubelet.resources.throttle_factor`).
    healthy, healthy_for : bool, float or None
        ``healthy: false``: its health checks never pass (the port opens, though).
        ``healthy_for``: they fail from that long after the start on.
    unhealthy_status : int
        The HTTP status its health endpoint answers while unhealthy (500, 503, ...).
    stop_seconds, term_exit_code : float or None, int
        How long the app takes to exit on SIGTERM (None: ignores it and is SIGKILLed, 137).
    version, latency_ms, error_rate, ports : str, float, float, tuple
        What it serves (defaults to the tag), how fast, how often with an error, on which ports.
    missing : bool
        The tag does not exist in the registry: ErrImagePull then ImagePullBackOff.
    shell : bool
        A toolbox image (busybox, alpine, ...): what it does is its ``command``/``args``.
    """

    reference: str = ""
    normalized: str = ""
    pull_seconds: float = 2.0
    size_bytes: int = 50_000_000
    start_seconds: float = 1.0
    ready_after: float = 0.0
    exit_after: float | None = None
    exit_code: int = 0
    memory: int = 10 * 2**20
    memory_growth: int = 0
    cpu: float = 0.001
    healthy: bool = True
    healthy_for: float | None = None
    unhealthy_status: int = 500
    stop_seconds: float | None = 0.5
    term_exit_code: int = 0
    version: str = ""
    latency_ms: float = 5.0
    error_rate: float = 0.0
    ports: tuple = ()
    missing: bool = False
    shell: bool = False
    description: str = ""

    @property
    def image_id(self) -> str:
        """A stable content digest, as ``status.containerStatuses[].imageID`` shows it."""
        name = self.normalized.rsplit(":", 1)[0] if "@" not in self.normalized else ""
        digest = hashlib.sha256(self.normalized.encode()).hexdigest()
        return f"{name or self.normalized.split('@')[0]}@sha256:{digest}"


_FIELDS = {f.name for f in dataclasses.fields(ImageSpec)} - {"reference", "normalized"}
_FLOATS = {"pull_seconds", "start_seconds", "ready_after", "latency_ms", "error_rate"}
_OPTIONAL_FLOATS = {"exit_after", "healthy_for", "stop_seconds"}
_BYTES = {"size_bytes", "memory", "memory_growth"}
_CORES = {"cpu"}


def _coerce_fields(ref: str, fields: dict) -> dict:
    unknown = set(fields) - _FIELDS
    if unknown:
        raise TypeError(
            f"image {ref!r}: unknown field(s) {sorted(unknown)}; known fields: {sorted(_FIELDS)}"
        )
    out = {}
    for key, value in fields.items():
        if key in _FLOATS:
            value = float(value)
        elif key in _OPTIONAL_FLOATS:
            value = None if value is None else float(value)
        elif key in _BYTES:
            value = memory_bytes(value)
        elif key in _CORES:
            value = float(parse_quantity(value))
        elif key == "ports":
            value = tuple(int(p) for p in value or ())
        elif key in ("exit_code", "term_exit_code", "unhealthy_status"):
            value = int(value)
        elif key == "version":
            value = str(value)
        out[key] = value
    return out


class ImageCatalog:
    """Image references → :class:`ImageSpec`: by ``repo:tag``, then ``repo``, then the defaults.

    Parameters
    ----------
    entries : dict, optional
        ``{reference: {field: value}}``.
    defaults : dict, optional
        Fields for images the catalogue does not list.
    """

    def __init__(self, entries: dict | None = None, defaults: dict | None = None):
        self._defaults: dict = _coerce_fields("defaults", defaults or {})
        self._entries: dict[str, dict] = {}
        self._cache: dict[str, ImageSpec] = {}
        for ref, fields in (entries or {}).items():
            self.register(ref, **(fields or {}))

    # -- building ----------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: dict) -> ImageCatalog:
        """From ``{"defaults": {...}, "images": {ref: {...}}}`` (the YAML file's shape)."""
        return cls(data.get("images") or {}, data.get("defaults") or {})

    @classmethod
    def from_yaml(cls, path: str | Path) -> ImageCatalog:
        import yaml

        with open(path, encoding="utf-8") as fh:
            return cls.from_dict(yaml.safe_load(fh) or {})

    @classmethod
    def default(cls) -> ImageCatalog:
        """A fresh copy of the course's catalogue (``kubelab/data/images.yaml``)."""
        import yaml

        text = resources.files("kubelab").joinpath("data/images.yaml").read_text("utf-8")
        return cls.from_dict(yaml.safe_load(text) or {})

    @classmethod
    def coerce(cls, images) -> ImageCatalog:
        """What ``kl.Cluster(images=...)`` accepts: None (the shared catalogue), a catalogue,
        a dict of entries (added to a copy of the shared one) or a path to a YAML file."""
        if images is None:
            return catalog
        if isinstance(images, ImageCatalog):
            return images
        if isinstance(images, str | Path):
            return cls.from_yaml(images)
        if isinstance(images, dict):
            own = catalog.copy()
            data = images.get("images", images) if "images" in images else images
            for ref, fields in data.items():
                if ref == "defaults":
                    own._defaults.update(_coerce_fields("defaults", fields or {}))
                    own._cache.clear()
                else:
                    own.register(ref, **(fields or {}))
            return own
        raise TypeError(f"images must be an ImageCatalog, a dict or a path, not {type(images)}")

    def copy(self) -> ImageCatalog:
        new = ImageCatalog()
        new._defaults = dict(self._defaults)
        new._entries = copy.deepcopy(self._entries)
        return new

    def register(self, reference: str, **fields) -> ImageSpec:
        """Add or replace an entry (``nginx`` for every tag, ``nginx:1.25`` for one tag).

        Examples
        --------
        >>> c = ImageCatalog()
        >>> c.register("kubelab/crashy", exit_after=5, exit_code=1).exit_after
        5.0
        """
        ref = parse_reference(reference)
        tagged = ":" in reference.split("@")[0].rsplit("/", 1)[-1]
        key = ref.familiar + (f":{ref.tag}" if tagged else "")
        self._entries[key] = _coerce_fields(reference, fields)
        self._cache.clear()
        return self.lookup(reference)

    def __contains__(self, reference: str) -> bool:
        try:
            ref = parse_reference(reference)
        except InvalidImageName:
            return False
        return f"{ref.familiar}:{ref.tag}" in self._entries or ref.familiar in self._entries

    def references(self) -> list[str]:
        """Every listed reference, sorted."""
        return sorted(self._entries)

    # -- reading -----------------------------------------------------------------------------
    def lookup(self, image: str) -> ImageSpec:
        """The behaviour of ``image``; raises :class:`InvalidImageName` if it does not parse."""
        spec = self._cache.get(image)
        if spec is not None:
            return spec
        ref = parse_reference(image)
        fields = dict(self._defaults)
        fields.update(self._entries.get(ref.familiar, {}))
        fields.update(self._entries.get(f"{ref.familiar}:{ref.tag}", {}))
        fields.setdefault("version", ref.tag or ref.digest[:19])
        spec = ImageSpec(reference=image, normalized=ref.normalized, **fields)
        if len(self._cache) < 4096:
            self._cache[image] = spec
        return spec

    def __repr__(self) -> str:
        return f"<ImageCatalog {len(self._entries)} images>"


# -- shell images: what busybox does is its command ------------------------------------------
_FOREVER = re.compile(
    r"sleep\s+(infinity|inf)\b|tail\s+(-\w*[fF]|--follow)|while\s+(true|:|\[)|for\s*\(\(\s*;;|httpd\s+-f|nc\s+-l|"
    r"ncat\s+-l|socat|--serve|serve_hostname|pause\b|yes\b"
)
_SLEEP = re.compile(r"sleep\s+(\d+(?:\.\d+)?)([smhd]?)")
_EXIT = re.compile(r"\bexit\s+(\d+)")
_BPI = re.compile(r"\bbpi\((\d{1,7})\)")
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def shell_behaviour(command: list | None, args: list | None) -> tuple[float | None, int]:
    """How long a toolbox container's command runs and its exit code (None: forever).

    Examples
    --------
    >>> shell_behaviour(None, None)
    (0.1, 0)
    >>> shell_behaviour(["sh", "-c", "sleep 3600"], None)
    (3600.0, 0)
    >>> shell_behaviour(["sh", "-c"], ["echo hi; sleep 5; exit 3"])
    (5.0, 3)
    >>> shell_behaviour(["sleep", "infinity"], None)
    (None, 0)
    >>> shell_behaviour(["perl", "-Mbignum=bpi", "-wle", "print bpi(2000)"], None)
    (5.0, 0)
    """
    words = [str(w) for w in (command or [])] + [str(w) for w in (args or [])]
    text = " ".join(words)
    if _FOREVER.search(text):
        return None, 0
    total = sum(float(n) * _UNIT[u] for n, u in _SLEEP.findall(text))
    # perl -Mbignum=bpi -wle 'print bpi(N)' (the Jobs page's pi): about N²/800,000 s of work
    total += sum(int(n) ** 2 / 800_000 for n in _BPI.findall(text))
    exits = _EXIT.findall(text)
    code = int(exits[-1]) if exits else 0
    if not exits and words:
        try:
            program = shlex.split(text)[0].rsplit("/", 1)[-1]
        except ValueError:
            program = words[0]
        code = 0 if program in _KNOWN_PROGRAMS else 127
    return (round(total, 3) if total else 0.1), code


_STATEMENT = re.compile(r"\s*(?:;|&&|\|\||\n)\s*")
_WRITE = re.compile(r">>?\s*([^\s;&|]+)")


def shell_files(command: list | None, args: list | None) -> dict[str, list]:
    """When a toolbox container's command creates and removes files, for exec probes.

    Follows the script statement by statement, ``sleep`` advancing time: ``touch F`` and
    ``echo ... > F`` create ``F``, ``rm F`` removes it.

    Examples
    --------
    >>> shell_files(["/bin/sh", "-c"], ["touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600"])
    {'/tmp/healthy': [(0.0, True), (30.0, False)]}
    """
    words = [str(w) for w in (command or [])] + [str(w) for w in (args or [])]
    if len(words) > 1 and words[0].rsplit("/", 1)[-1] in ("sh", "bash", "ash") and words[1] == "-c":
        words = words[2:]  # sh -c SCRIPT
    files: dict[str, list] = {}
    now = 0.0
    for statement in _STATEMENT.split(" ".join(words)):
        try:
            parts = shlex.split(statement)
        except ValueError:
            parts = statement.split()
        program = parts[0].rsplit("/", 1)[-1] if parts else ""
        for number, unit in _SLEEP.findall(statement) if program == "sleep" else ():
            now += float(number) * _UNIT[unit]
        if program == "touch":
            changed = [(p, True) for p in parts[1:] if not p.startswith("-")]
        elif program == "rm":
            changed = [(p, False) for p in parts[1:] if not p.startswith("-")]
        else:
            changed = [(p, True) for p in _WRITE.findall(statement)]
        for path, exists in changed:
            files.setdefault(path, []).append((round(now, 3), exists))
    return files


# Programs a toolbox image has; anything else exits 127 ("not found"), as the shell would.
_KNOWN_PROGRAMS = {
    "sh", "bash", "ash", "echo", "sleep", "cat", "ls", "env", "date", "true", "false", "wget",
    "curl", "nslookup", "ping", "printenv", "touch", "rm", "mkdir", "cp", "mv", "tail", "head",
    "grep", "nc", "dig", "hostname", "id", "df", "du", "top", "ps", "test", "[", "perl",
    "python", "python3", "rev", "whoami", "uname", "dd", "stress", "timeout", "seq", "expr",
}  # fmt: skip


# The shared catalogue: what ``kl.images.register`` changes and clusters use by default.
catalog = ImageCatalog.default()


def register(reference: str, **fields) -> ImageSpec:
    """Add an image to the shared catalogue (``kl.images.register("me/app:v1", start_seconds=3)``)."""
    return catalog.register(reference, **fields)


def lookup(reference: str) -> ImageSpec:
    """The behaviour of an image in the shared catalogue."""
    return catalog.lookup(reference)
