"""What a container sees: its own writable layer with volumes mounted over it.

A :class:`Mount` puts a directory (or a single file) of a :class:`~kubelab.storage.disk.Disk`
at a mount path; :class:`ContainerFS` resolves every path to the disk that holds it, the
longest mount path winning, as the kernel's mount table does. Paths under no mount land
on the container's writable layer, which is thrown away when the container restarts.

Examples
--------
>>> from kubelab.storage.disk import Disk
>>> layer, data = Disk(), Disk()
>>> layer.makedirs("/tmp")
>>> fs = ContainerFS(layer, [Mount("/data", data, "/")])
>>> fs.write("/data/greeting", "hello\\n"); fs.write("/tmp/scratch", "x")
>>> data.read("/greeting"), layer.read("/tmp/scratch")
('hello\\n', 'x')
>>> fs.listdir("/data")
['greeting']
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from kubelab.storage.disk import Disk, DiskFull, File, normpath

__all__ = ["BASE_DIRS", "ERRNO_TEXT", "ContainerFS", "FSError", "Mount"]

# Directories every image has (enough for the course's shells).
BASE_DIRS = (
    "/bin", "/dev", "/etc", "/home", "/mnt", "/opt", "/proc", "/root", "/run", "/srv",
    "/sys", "/tmp", "/usr", "/usr/bin", "/usr/share", "/var", "/var/log",
)  # fmt: skip


#: ``strerror`` of each errno an :class:`FSError` carries (busybox prints these).
ERRNO_TEXT = {
    "ENOENT": "No such file or directory",
    "EROFS": "Read-only file system",
    "EISDIR": "Is a directory",
    "ENOTDIR": "Not a directory",
    "EEXIST": "File exists",
    "ENOSPC": "No space left on device",
}


class FSError(Exception):
    """A filesystem error: ``ENOENT``, ``EROFS``, ``EISDIR``, ``ENOTDIR``, ``EEXIST``, ``ENOSPC``."""

    def __init__(self, errno: str, path: str):
        super().__init__(f"{errno}: {path}")
        self.errno, self.path = errno, path


@dataclass
class Mount:
    """``mount_path`` shows ``root`` of ``disk`` (``read_only``: writes fail with EROFS)."""

    mount_path: str
    disk: Disk
    root: str = "/"
    read_only: bool = False
    volume: str = ""


class ContainerFS:
    """Path resolution over a container's layer and its mounts."""

    def __init__(self, layer: Disk, mounts: list[Mount]):
        self.layer = layer
        self.mounts = sorted(mounts, key=lambda m: -len(normpath(m.mount_path)))
        for m in self.mounts:
            m.mount_path = normpath(m.mount_path)

    def resolve(self, path: str) -> tuple[Disk, str, Mount | None]:
        """``(disk, path on that disk, mount)`` for an absolute path in the container."""
        path = normpath(path)
        for m in self.mounts:
            mp = m.mount_path
            if path == mp or path.startswith(mp.rstrip("/") + "/"):
                rest = path[len(mp) :].lstrip("/")
                inner = normpath(posixpath.join(m.root, rest)) if rest else normpath(m.root)
                return m.disk, inner, m
        return self.layer, path, None

    def _mount_points_under(self, path: str) -> list[str]:
        prefix = path.rstrip("/") + "/"
        names = []
        for m in self.mounts:
            if m.mount_path.startswith(prefix):
                names.append(m.mount_path[len(prefix) :].split("/", 1)[0])
        return names

    # -- queries ------------------------------------------------------------------------------
    def is_dir(self, path: str) -> bool:
        path = normpath(path)
        disk, inner, _ = self.resolve(path)
        return disk.is_dir(inner) or bool(self._mount_points_under(path))

    def is_file(self, path: str) -> bool:
        disk, inner, _ = self.resolve(path)
        return disk.is_file(inner)

    def exists(self, path: str) -> bool:
        return self.is_dir(path) or self.is_file(path)

    def read(self, path: str) -> str:
        disk, inner, _ = self.resolve(path)
        if disk.is_file(inner):
            return disk.read(inner)
        if self.is_dir(path):
            raise FSError("EISDIR", path)
        raise FSError("ENOENT", path)

    def stat(self, path: str) -> File | None:
        disk, inner, _ = self.resolve(path)
        return disk.stat(inner)

    def listdir(self, path: str) -> list[str]:
        path = normpath(path)
        disk, inner, _ = self.resolve(path)
        if disk.is_file(inner):
            raise FSError("ENOTDIR", path)
        if not self.is_dir(path):
            raise FSError("ENOENT", path)
        return sorted(set(disk.listdir(inner)) | set(self._mount_points_under(path)))

    # -- changes ------------------------------------------------------------------------------
    def _writable(self, path: str) -> tuple[Disk, str]:
        disk, inner, mount = self.resolve(path)
        if mount is not None and mount.read_only:
            raise FSError("EROFS", path)
        return disk, inner

    def write(
        self, path: str, text: str, *, append: bool = False, now: float = 0.0, size=None
    ) -> None:
        """Write a file (``size``: its length when ``text`` holds less, see :meth:`Disk.write`)."""
        path = normpath(path)
        if self.is_dir(path):
            raise FSError("EISDIR", path)
        parent = posixpath.dirname(path)
        if not self.is_dir(parent):
            raise FSError("ENOENT", path)
        disk, inner = self._writable(path)
        try:
            disk.write(inner, text, now=now, append=append, size=size)
        except DiskFull:
            raise FSError("ENOSPC", path) from None

    def mkdir(self, path: str, *, parents: bool = False) -> None:
        path = normpath(path)
        if self.exists(path):
            if parents and self.is_dir(path):
                return
            raise FSError("EEXIST", path)
        if not parents and not self.is_dir(posixpath.dirname(path)):
            raise FSError("ENOENT", path)
        disk, inner = self._writable(path)
        disk.makedirs(inner)

    def remove(self, path: str, *, recursive: bool = False) -> None:
        path = normpath(path)
        disk, inner, mount = self.resolve(path)
        if not self.exists(path):
            raise FSError("ENOENT", path)
        if mount is not None and mount.read_only:
            raise FSError("EROFS", path)
        if self.is_dir(path):
            if not recursive:
                raise FSError("EISDIR", path)
            if mount is not None and normpath(inner) == normpath(mount.root):
                for name in disk.listdir(inner):  # a mount point itself stays (EBUSY)
                    disk.remove(posixpath.join(inner, name), recursive=True)
                return
        disk.remove(inner, recursive=recursive)
