"""A disk: the files of one volume, wherever it lives (a pod, a node, an NFS export).

Files are text with a mode and a modification time (simulated seconds); directories are
explicit so ``ls`` of an empty directory works. Paths inside a disk are absolute
(``/greeting``) and normalised; nothing here knows about pods or mounts.

Examples
--------
>>> d = Disk()
>>> d.write("/a/b.txt", "hello\\n", now=5.0)
>>> d.read("/a/b.txt"), d.listdir("/a"), d.listdir("/")
('hello\\n', ['b.txt'], ['a'])
>>> d.remove("/a", recursive=True); d.exists("/a/b.txt")
False
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

__all__ = ["Disk", "File", "normpath"]


def normpath(path: str) -> str:
    """``/a//b/../c`` → ``/a/c``; always absolute."""
    path = posixpath.normpath("/" + path.lstrip("/"))
    return "/" if path in ("/", "//") else path.replace("//", "/")


@dataclass
class File:
    """One regular file: its text, permission bits (``0o644``) and modification time."""

    content: str
    mode: int = 0o644
    mtime: float = 0.0


class Disk:
    """The files and directories of one volume (a flat map; directories listed explicitly)."""

    def __init__(self, *, tmpfs: bool = False):
        self.files: dict[str, File] = {}
        self.dirs: set[str] = {"/"}
        self.tmpfs = tmpfs  # memory-backed (emptyDir medium Memory, secrets)

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
        return sum(len(f.content.encode()) for f in self.files.values())

    # -- changes ------------------------------------------------------------------------------
    def makedirs(self, path: str) -> None:
        path = normpath(path)
        while path not in self.dirs:
            self.dirs.add(path)
            path = posixpath.dirname(path)

    def write(
        self, path: str, content: str, *, now: float = 0.0, append: bool = False, mode=None
    ) -> None:
        path = normpath(path)
        self.makedirs(posixpath.dirname(path))
        old = self.files.get(path)
        if append and old is not None:
            content = old.content + content
        self.files[path] = File(
            content, mode if mode is not None else (old.mode if old else 0o644), now
        )

    def remove(self, path: str, *, recursive: bool = False) -> None:
        path = normpath(path)
        self.files.pop(path, None)
        if recursive:
            prefix = path.rstrip("/") + "/"
            for p in [p for p in self.files if p.startswith(prefix)]:
                del self.files[p]
            for p in [p for p in self.dirs if p.startswith(prefix)]:
                self.dirs.discard(p)
            if path != "/":
                self.dirs.discard(path)

    def clear(self) -> None:
        self.files.clear()
        self.dirs = {"/"}

    def replace_all(self, files: dict[str, tuple[str, int]], now: float) -> None:
        """Atomically swap in generated content (configMap/secret volumes: the ..data symlink)."""
        self.clear()
        for path, (content, mode) in sorted(files.items()):
            self.write(path, content, now=now, mode=mode)
