"""A disk: the files of one volume, wherever it lives (a pod, a node, an NFS export).

Files are text with a mode and a modification time (simulated seconds); directories are
explicit so ``ls`` of an empty directory works. Paths inside a disk are absolute
(``/greeting``) and normalised; nothing here knows about pods or mounts.

A disk may have a ``capacity`` (a PersistentVolume's size, a memory-backed emptyDir's
``sizeLimit``) and may draw from a shared :class:`Pool` (a node's filesystem, shared by its
hostPath directories, emptyDirs and container layers). A write that does not fit writes
what fits and raises ``DiskFull`` (``No space left on device``). So that a learner's
``dd`` of gigabytes costs no gigabytes of memory, a file keeps at most
:data:`MAX_CONTENT` characters of content; its size still counts in full.

Examples
--------
>>> d = Disk()
>>> d.write("/a/b.txt", "hello\\n", now=5.0)
>>> d.read("/a/b.txt"), d.listdir("/a"), d.listdir("/")
('hello\\n', ['b.txt'], ['a'])
>>> d.remove("/a", recursive=True); d.exists("/a/b.txt")
False
>>> small = Disk(capacity=4)
>>> small.write("/f", "hello")
Traceback (most recent call last):
...
kubelab.storage.disk.DiskFull: No space left on device
>>> small.read("/f"), small.used
('hell', 4)
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

__all__ = ["MAX_CONTENT", "Disk", "DiskFull", "File", "Pool", "normpath"]

#: Characters of content a file keeps (1 MiB); bytes past it are counted, not stored.
MAX_CONTENT = 1 << 20


class DiskFull(Exception):
    """``ENOSPC``: the write did not fit (what fitted was written)."""

    def __init__(self):
        super().__init__("No space left on device")


class Pool:
    """Bytes shared by several disks: a node's filesystem (``capacity`` None: unlimited)."""

    __slots__ = ("capacity", "used")

    def __init__(self, capacity: int | None = None):
        self.capacity, self.used = capacity, 0

    def free(self) -> int | None:
        return None if self.capacity is None else max(self.capacity - self.used, 0)


def normpath(path: str) -> str:
    """``/a//b/../c`` → ``/a/c``; always absolute."""
    path = posixpath.normpath("/" + path.lstrip("/"))
    return "/" if path in ("/", "//") else path.replace("//", "/")


@dataclass
class File:
    """One regular file: its text, permission bits (``0o644``), modification time and size.

    ``size`` is the file's length in bytes; ``content`` holds at most :data:`MAX_CONTENT`
    characters of it.
    """

    content: str
    mode: int = 0o644
    mtime: float = 0.0
    size: int = -1

    def __post_init__(self):
        if self.size < 0:
            self.size = _nbytes(self.content)


def _nbytes(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


class Disk:
    """The files and directories of one volume (a flat map; directories listed explicitly)."""

    def __init__(
        self, *, tmpfs: bool = False, capacity: int | None = None, pool: Pool | None = None
    ):
        self.files: dict[str, File] = {}
        self.dirs: set[str] = {"/"}
        self.tmpfs = tmpfs  # memory-backed (emptyDir medium Memory, secrets)
        self.capacity, self.pool = capacity, pool
        self.used = 0  # bytes of all files

    def __repr__(self) -> str:
        return f"<Disk files={len(self.files)}{' tmpfs' if self.tmpfs else ''}>"

    # -- queries ------------------------------------------------------------------------------
    def is_dir(self, path: str) -> bool:
        return normpath(path) in self.dirs

    def is_file(self, path: str) -> bool:
        return normpath(path) in self.files

    def exists(self, path: str) -> bool:
        path = normpath(path)
        return path in self.files or path in self.dirs

    def read(self, path: str) -> str:
        return self.files[normpath(path)].content

    def stat(self, path: str) -> File | None:
        return self.files.get(normpath(path))

    def listdir(self, path: str) -> list[str]:
        """Names directly under a directory, sorted (bytewise, as ``ls`` in the C locale)."""
        path = normpath(path)
        prefix = path if path.endswith("/") else path + "/"
        names = {p[len(prefix) :].split("/", 1)[0] for p in self.files if p.startswith(prefix)}
        names |= {p[len(prefix) :].split("/", 1)[0] for p in self.dirs if p.startswith(prefix)}
        names.discard("")
        return sorted(names)

    def walk(self, path: str = "/") -> list[str]:
        """Every file path under ``path``, sorted."""
        path = normpath(path)
        prefix = path if path.endswith("/") else path + "/"
        return sorted(p for p in self.files if p == path or p.startswith(prefix))

    def size(self) -> int:
        """Bytes used by the files (what a memory-backed volume charges to the pod)."""
        return self.used

    def free(self) -> int | None:
        """Bytes a write may still add (``None``: no limit)."""
        limits = [self.capacity - self.used] if self.capacity is not None else []
        if self.pool is not None and self.pool.capacity is not None:
            limits.append(self.pool.free())
        return max(min(limits), 0) if limits else None

    # -- changes ------------------------------------------------------------------------------
    def makedirs(self, path: str) -> None:
        path = normpath(path)
        while path not in self.dirs:
            self.dirs.add(path)
            path = posixpath.dirname(path)

    def write(
        self,
        path: str,
        content: str,
        *,
        now: float = 0.0,
        append: bool = False,
        mode=None,
        size: int | None = None,
    ) -> None:
        """Write ``content`` (``size`` bytes, if more than ``content`` holds: a ``dd`` of zeros).

        Raises :class:`DiskFull` after writing what fits.
        """
        path = normpath(path)
        self.makedirs(posixpath.dirname(path))
        old = self.files.get(path)
        added = _nbytes(content) if size is None else size
        kept = old.size if append and old is not None else 0
        grow = kept + added - (old.size if old is not None else 0)
        room = self.free()
        full = room is not None and grow > room
        if full:
            added = max(added - (grow - room), 0)
            content = content.encode("utf-8", "surrogatepass")[:added].decode("utf-8", "ignore")
        if append and old is not None and len(old.content) < MAX_CONTENT:
            content = old.content + content
        elif append and old is not None:
            content = old.content
        self.files[path] = File(
            content[:MAX_CONTENT],
            mode if mode is not None else (old.mode if old else 0o644),
            now,
            kept + added,
        )
        self._charge(kept + added - (old.size if old is not None else 0))
        if full:
            raise DiskFull()

    def _charge(self, delta: int) -> None:
        self.used += delta
        if self.pool is not None:
            self.pool.used += delta

    def remove(self, path: str, *, recursive: bool = False) -> None:
        path = normpath(path)
        gone = self.files.pop(path, None)
        if gone is not None:
            self._charge(-gone.size)
        if recursive:
            prefix = path.rstrip("/") + "/"
            for p in [p for p in self.files if p.startswith(prefix)]:
                self._charge(-self.files.pop(p).size)
            for p in [p for p in self.dirs if p.startswith(prefix)]:
                self.dirs.discard(p)
            if path != "/":
                self.dirs.discard(path)

    def clear(self) -> None:
        self._charge(-self.used)
        self.files.clear()
        self.dirs = {"/"}

    def replace_all(self, files: dict[str, tuple[str, int]], now: float) -> None:
        """Atomically swap in generated content (configMap/secret volumes: the ..data symlink)."""
        self.clear()
        for path, (content, mode) in sorted(files.items()):
            self.write(path, content, now=now, mode=mode)
