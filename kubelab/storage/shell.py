"""A tiny ``sh`` for ``kubectl exec``: enough to write a file in one pod and look for it in another.

Supported: ``sh -c 'SCRIPT'`` with ``;``, ``&&``, ``||``, ``|``, redirections ``>``, ``>>``,
``<`` and ``2>``, quotes, ``$VAR``/``${VAR}``/``$?``/``$(cmd)``, ``cd``; commands ``echo``,
``cat``, ``ls`` (``-l``, ``-a``, ``-1``), ``rm`` (``-r``, ``-f``), ``mkdir`` (``-p``), ``touch``,
``date``, ``hostname``, ``env``, ``printenv``, ``pwd``, ``true``, ``false``, ``exit``, ``dd``, ``sleep``
(time does not pass during an exec), ``test``/``[``, ``wc``, ``grep``, ``head``, ``tail``,
``kill`` (PID 1 is the container's main process) and ``curl`` (a web server's own files on
localhost). Messages are BusyBox's (``sh: foo: not found``, exit code 127).

Examples
--------
>>> from kubelab.storage.disk import Disk
>>> from kubelab.storage.rootfs import ContainerFS, Mount
>>> data = Disk()
>>> sh = Shell(ContainerFS(Disk(), [Mount("/data", data)]), env={"GREETING": "hi"})
>>> sh.run(["sh", "-c", "echo $GREETING > /data/greeting; cat /data/greeting; foo"])
('hi\\n', 'sh: foo: not found\\n', 127)
>>> sh.run(["cat", "/data/missing"])
('', "cat: can't open '/data/missing': No such file or directory\\n", 1)
"""

from __future__ import annotations

import posixpath
from datetime import timedelta

from kubelab.api.meta import EPOCH
from kubelab.storage.disk import MAX_CONTENT
from kubelab.storage.rootfs import ERRNO_TEXT as _ERRNO
from kubelab.storage.rootfs import ContainerFS, FSError

__all__ = ["SHELLS", "CommandNotFound", "Shell"]

SHELLS = ("sh", "/bin/sh", "bash", "/bin/bash", "ash", "/bin/ash")
# ``$(…)`` inside ``$(…)``: each level is a subshell; past this many a script is refused
# instead of exhausting Python's stack (real shells run out of memory much later).
MAX_SUBSHELLS = 50
_OPS = ("&&", "||", ";", "|", ">>", ">", "<", "2>", "2>>")


class CommandNotFound(Exception):
    """A command that is not a file in the image (``kubectl exec POD -- foo``)."""


class _Exit(Exception):
    def __init__(self, code: int):
        self.code = code


class _TooDeep(_Exit):
    """A script nested past :data:`MAX_SUBSHELLS`: refused as a whole."""


class Shell:
    """One exec session in a container.

    Parameters
    ----------
    fs : ContainerFS
        The container's files.
    env : dict
        Environment variables, in the container's order.
    hostname : str
        The pod's host name.
    now : float
        Simulated seconds since the cluster started (``date``).
    kill : callable, optional
        ``kill(signal)`` stops the container's main process (PID 1).
    web_root : str, optional
        Where the image's web server serves files from (``curl localhost``).
    context : dict, optional
        What commands may need beyond the files (``kubectl exec`` passes ``cluster``, ``pod``,
        ``container``). Add a command with ``kubelab.storage.commands.BUILTINS["name"] = fn``,
        ``fn(sh, args, stdin) -> (stdout, exit code)``, errors appended to ``sh.err``.
    """

    def __init__(
        self,
        fs: ContainerFS,
        env=None,
        hostname="",
        now=0.0,
        kill=None,
        web_root=None,
        context=None,
    ):
        self.context = (
            context or {}
        )  # e.g. {"cluster": ..., "pod": ...} for commands that need them
        self.fs, self.env = fs, dict(env or {})
        self.hostname, self.now, self.kill, self.web_root = hostname, now, kill, web_root
        self.cwd = "/"
        self.status = 0
        self.err: list[str] = []
        self.depth = 0  # how many $(…) this shell is inside

    # -- entry --------------------------------------------------------------------------------
    def run(self, argv: list[str]) -> tuple[str, str, int]:
        """Run one exec command line; returns ``(stdout, stderr, exit code)``."""
        self.err = []
        try:
            if argv and argv[0] in SHELLS:
                # an interactive shell (no -c) has no stdin here: it exits at once
                out = self.script(argv[2]) if len(argv) >= 3 and argv[1] == "-c" else ""
            else:
                name = argv[0] if argv else ""
                if not self._known(name):
                    raise CommandNotFound(name)
                out, self.status = self._call(argv, "")
        except _Exit as stop:
            out, self.status = getattr(stop, "out", ""), stop.code
        return out, "".join(self.err), self.status

    def script(self, text: str) -> str:
        out: list[str] = []
        try:
            for connector, statement in _statements(text):
                if connector == "&&" and self.status != 0:
                    continue
                if connector == "||" and self.status == 0:
                    continue
                for _, pipeline in _parse(self._tokens(statement)):  # expanded only now
                    out.append(self._pipeline(pipeline))
        except _Exit as stop:
            stop.out = "".join(out) + getattr(stop, "out", "")
            raise
        return "".join(out)

    # -- parsing ------------------------------------------------------------------------------
    def _tokens(self, s: str) -> list[tuple[str, str]]:
        tokens: list[tuple[str, str]] = []
        cur: list[str] | None = None
        i, n = 0, len(s)

        def flush():
            nonlocal cur
            if cur is not None:
                tokens.append(("word", "".join(cur)))
                cur = None

        while i < n:
            ch = s[i]
            two = s[i : i + 2]
            if ch in " \t":
                flush()
                i += 1
            elif ch == "#" and cur is None:
                while i < n and s[i] != "\n":
                    i += 1
            elif ch in "\n;":
                flush()
                tokens.append(("op", ";"))
                i += 1
            elif two in ("&&", "||", ">>"):
                flush()
                tokens.append(("op", two))
                i += 2
            elif ch in "|<>":
                if ch == ">" and cur == ["2"]:
                    cur = None
                    op = "2>>" if s[i + 1 : i + 2] == ">" else "2>"
                    tokens.append(("op", op))
                    i += len(op) - 1
                    continue
                flush()
                tokens.append(("op", ch))
                i += 1
            elif ch == "'":
                end = s.find("'", i + 1)
                end = n if end < 0 else end
                cur = (cur or []) + [s[i + 1 : end]]
                i = end + 1
            elif ch == '"':
                i += 1
                cur = cur or []
                while i < n and s[i] != '"':
                    if s[i] == "\\" and i + 1 < n and s[i + 1] in '"\\$`':
                        cur.append(s[i + 1])
                        i += 2
                    elif s[i] == "$":
                        text, i = self._expand(s, i)
                        cur.append(text)
                    else:
                        cur.append(s[i])
                        i += 1
                i += 1
            elif ch == "\\" and i + 1 < n:
                cur = (cur or []) + [s[i + 1]]
                i += 2
            elif ch == "$":
                text, i = self._expand(s, i)
                cur = (cur or []) + [" ".join(text.split())]  # unquoted: word splitting
            else:
                cur = (cur or []) + [ch]
                i += 1
        flush()
        return tokens

    def _expand(self, s: str, i: int) -> tuple[str, int]:
        """``$NAME``, ``${NAME}``, ``$?``, ``$(cmd)`` starting at ``s[i] == "$"``."""
        nxt = s[i + 1 : i + 2]
        if nxt == "(":
            depth, j = 1, i + 2
            while j < len(s) and depth:
                depth += {"(": 1, ")": -1}.get(s[j], 0)
                j += 1
            if depth:
                self.err.append('sh: syntax error: unexpected end of file (expecting ")")\n')
                raise _Exit(2)
            if self.depth >= MAX_SUBSHELLS:
                self.err.append(f"sh: $(...) nested more than {MAX_SUBSHELLS} deep\n")
                raise _TooDeep(2)
            inner = Shell(
                self.fs, self.env, self.hostname, self.now, self.kill, self.web_root, self.context
            )
            inner.cwd, inner.depth = self.cwd, self.depth + 1
            try:
                out = inner.script(s[i + 2 : j - 1])
            except _TooDeep:
                self.err.extend(inner.err)
                raise
            except _Exit as stop:  # `exit` ends the subshell only
                out = getattr(stop, "out", "")
            self.err.extend(inner.err)
            return out.rstrip("\n")[:MAX_CONTENT], j
        if nxt == "{":
            end = s.find("}", i)
            end = len(s) if end < 0 else end
            return self._var(s[i + 2 : end]), end + 1
        if nxt == "?":
            return str(self.status), i + 2
        j = i + 1
        while j < len(s) and (s[j].isalnum() or s[j] == "_"):
            j += 1
        if j == i + 1:
            return "$", i + 1
        return self._var(s[i + 1 : j]), j

    def _var(self, name: str) -> str:
        if name == "HOSTNAME":
            return self.env.get(name, self.hostname)
        if name == "PWD":
            return self.cwd
        return self.env.get(name, "")

    # -- running ------------------------------------------------------------------------------
    def _path(self, p: str) -> str:
        return posixpath.normpath(posixpath.join(self.cwd, p)) if p else self.cwd

    def _pipeline(self, commands) -> str:
        stdin = ""
        for argv, redirects in commands:
            out = self._command(argv, redirects, stdin)
            stdin = out
        return stdin

    def _command(self, argv, redirects, stdin: str) -> str:
        to, append, err_to = None, False, None
        for op, target in redirects:
            if op == "<":
                try:
                    stdin = self.fs.read(self._path(target))
                except FSError as e:
                    self.err.append(f"sh: can't open {target}: {_ERRNO[e.errno].lower()}\n")
                    self.status = 1
                    return ""
            elif op in (">", ">>"):
                to, append = target, op == ">>"
                if not self._create(target, append):
                    self.status = 1
                    return ""
            else:
                err_to = target
        if not argv:
            self.status = 0
            return ""
        if not self._known(argv[0]):
            self.err.append(f"sh: {argv[0]}: not found\n")
            self.status = 127
            return ""
        mark = len(self.err)
        out, self.status = self._call(argv, stdin)
        out = out[:MAX_CONTENT]
        if err_to is not None:
            text = "".join(self.err[mark:])
            del self.err[mark:]
            if err_to != "/dev/null" and self._create(err_to, False):
                self._write(argv[0], err_to, text)
        if to is None:
            return out
        if to != "/dev/null":
            self._write(argv[0], to, out)
        return ""

    def _write(self, command: str, target: str, text: str) -> None:
        try:
            self.fs.write(self._path(target), text, append=True, now=self.now)
        except FSError as e:  # the disk filled up: what fitted is written
            self.err.append(f"{posixpath.basename(command)}: write error: {_ERRNO[e.errno]}\n")
            self.status = 1

    def _create(self, target: str, append: bool) -> bool:
        """Open ``target`` for writing as the shell does before running the command."""
        if target == "/dev/null":
            return True
        path = self._path(target)
        try:
            if self.fs.is_dir(path):
                raise FSError("EISDIR", path)
            if not (append and self.fs.is_file(path)):
                self.fs.write(path, "", now=self.now)
        except FSError as e:
            reason = "nonexistent directory" if e.errno == "ENOENT" else _ERRNO[e.errno]
            self.err.append(f"sh: can't create {target}: {reason}\n")
            return False
        return True

    def _known(self, name: str) -> bool:
        return posixpath.basename(name) in _BUILTINS or name == "["

    def _call(self, argv, stdin: str) -> tuple[str, int]:
        name = "test" if argv[0] == "[" else posixpath.basename(argv[0])
        args = argv[1:-1] if argv[0] == "[" and argv[-1:] == ["]"] else argv[1:]
        return _BUILTINS[name](self, args, stdin)

    def error(self, text: str, code: int = 1) -> tuple[str, int]:
        self.err.append(text + "\n")
        return "", code

    def clock_text(self) -> str:
        moment = EPOCH + timedelta(seconds=int(self.now))
        return moment.strftime("%a %b ") + f"{moment.day:2d}" + moment.strftime(" %H:%M:%S UTC %Y")


def _statements(text: str) -> list[tuple[str, str]]:
    """Split a script at top-level ``;``, newlines, ``&&`` and ``||`` (quotes and ``$()`` kept)."""
    result, start, connector = [], 0, ";"
    i, n, depth, quote = 0, len(text), 0, ""
    while i < n:
        ch = text[i]
        if quote:
            if ch == "\\" and quote == '"':
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "\\":
            i += 1
        elif text[i : i + 2] == "$(":
            depth += 1
            i += 1
        elif ch == ")" and depth:
            depth -= 1
        elif depth == 0 and (ch in ";\n" or text[i : i + 2] in ("&&", "||")):
            op = ";" if ch in ";\n" else text[i : i + 2]
            result.append((connector, text[start:i]))
            connector = op
            i += len(op)
            start = i
            continue
        elif ch == "#" and depth == 0 and (i == 0 or text[i - 1] in " \t\n;"):
            end = text.find("\n", i)
            result.append((connector, text[start:i]))
            connector, i = ";", n if end < 0 else end
            start = i
            continue
        i += 1
    result.append((connector, text[start:]))
    return [(c, s) for c, s in result if s.strip()] or []


def _parse(tokens):
    """Tokens → ``[(connector, [(argv, redirects), ...]), ...]``."""
    result, pipeline, argv, redirects = [], [], [], []
    connector = ";"
    i = 0
    while i < len(tokens):
        kind, text = tokens[i]
        if kind == "word":
            argv.append(text)
        elif text in (">", ">>", "<", "2>", "2>>"):
            target = tokens[i + 1][1] if i + 1 < len(tokens) else ""
            redirects.append((text.replace("2>>", "2>"), target))
            i += 1
        elif text == "|":
            pipeline.append((argv, redirects))
            argv, redirects = [], []
        else:
            pipeline.append((argv, redirects))
            result.append((connector, pipeline))
            connector, pipeline, argv, redirects = text, [], [], []
        i += 1
    if argv or redirects or pipeline:
        pipeline.append((argv, redirects))
        result.append((connector, pipeline))
    return result


from kubelab.storage.commands import BUILTINS as _BUILTINS  # noqa: E402
