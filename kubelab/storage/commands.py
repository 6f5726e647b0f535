"""The commands of kubelab's tiny shell (BusyBox wording), one function each.

Each takes the :class:`~kubelab.storage.shell.Shell`, its arguments and its standard input
and returns ``(stdout, exit code)``; error lines go to ``sh.err``.
"""

from __future__ import annotations

import posixpath
from datetime import timedelta

from kubelab.api.meta import EPOCH
from kubelab.storage.disk import MAX_CONTENT
from kubelab.storage.rootfs import ERRNO_TEXT as _ERRNO
from kubelab.storage.rootfs import FSError

__all__ = ["BUILTINS", "number"]


def number(text: str) -> int | None:
    """A decimal integer as BusyBox reads one (``None``: not a number, or absurdly long).

    Examples
    --------
    >>> number("42"), number("-5"), number("abc"), number(""), number("9" * 5000)
    (42, -5, None, None, None)
    """
    digits = text[1:] if text[:1] in "+-" else text
    if not digits.isascii() or not digits.isdigit() or len(digits) > 30:
        return None
    return int(text)


def _flags(args, allowed: str):
    flags, rest = set(), []
    for a in args:
        if a.startswith("-") and len(a) > 1 and not rest and set(a[1:]) <= set(allowed):
            flags |= set(a[1:])
        else:
            rest.append(a)
    return flags, rest


def echo(sh, args, stdin):
    newline = True
    while args and args[0] in ("-n", "-e", "-ne", "-en"):
        newline = newline and "n" not in args[0]
        args = args[1:]
    return " ".join(args) + ("\n" if newline else ""), 0


def cat(sh, args, stdin):
    if not args:
        return stdin, 0
    out, code, size = [], 0, 0
    for a in args:
        try:
            if size < MAX_CONTENT:  # what a terminal shows is bounded like a file
                out.append(sh.fs.read(sh._path(a)))
                size += len(out[-1])
            elif not sh.fs.is_file(sh._path(a)):
                sh.fs.read(sh._path(a))  # the same errors
        except FSError as e:
            code = 1
            if e.errno == "EISDIR":
                sh.err.append("cat: read error: Is a directory\n")
            else:
                sh.err.append(f"cat: can't open '{a}': {_ERRNO[e.errno]}\n")
    return "".join(out), code


def _mode_text(mode: int, directory: bool) -> str:
    bits = "".join(ch if mode & (1 << (8 - i)) else "-" for i, ch in enumerate("rwxrwxrwx"))
    return ("d" if directory else "-") + bits


def _long(sh, path: str, name: str) -> str:
    st = sh.fs.stat(path)
    directory = st is None
    mode = 0o755 if directory else st.mode
    size = 4096 if directory else st.size
    when = EPOCH + timedelta(seconds=int(st.mtime if st else 0))
    stamp = when.strftime("%b ") + f"{when.day:2d}" + when.strftime(" %H:%M")
    return f"{_mode_text(mode, directory)}    1 root     root     {size:>10} {stamp} {name}\n"


def ls(sh, args, stdin):
    flags, paths = _flags(args, "la1AhF")
    paths = paths or ["."]
    out, code = [], 0
    for i, p in enumerate(paths):
        path = sh._path(p)
        try:
            if sh.fs.is_file(path):
                names, base = [p], None
            else:
                names, base = sh.fs.listdir(path), path
        except FSError as e:
            sh.err.append(f"ls: {p}: {_ERRNO[e.errno]}\n")
            code = 1
            continue
        if "a" in flags and base is not None:
            names = [".", "..", *names]
        elif "A" not in flags:
            names = [n for n in names if not n.startswith(".")]
        if len(paths) > 1 and base is not None:
            out.append(("\n" if i else "") + f"{p}:\n")
        for name in names:
            full = path if base is None else posixpath.join(base, name)
            out.append(_long(sh, full, name) if "l" in flags else name + "\n")
    return "".join(out), code


def rm(sh, args, stdin):
    flags, paths = _flags(args, "rfRv")
    code = 0
    for p in paths:
        try:
            sh.fs.remove(sh._path(p), recursive=bool(flags & {"r", "R"}))
        except FSError as e:
            if e.errno == "ENOENT" and "f" in flags:
                continue
            code = 1
            if e.errno == "EISDIR":
                sh.err.append(f"rm: '{p}' is a directory\n")
            else:
                sh.err.append(f"rm: can't remove '{p}': {_ERRNO[e.errno]}\n")
    return "", code


def mkdir(sh, args, stdin):
    flags, paths = _flags(args, "p")
    code = 0
    for p in paths:
        try:
            sh.fs.mkdir(sh._path(p), parents="p" in flags)
        except FSError as e:
            code = 1
            sh.err.append(f"mkdir: can't create directory '{p}': {_ERRNO[e.errno]}\n")
    return "", code


def touch(sh, args, stdin):
    code = 0
    for p in args:
        path = sh._path(p)
        try:
            sh.fs.write(path, "", append=True, now=sh.now)
        except FSError as e:
            code = 1
            sh.err.append(f"touch: {p}: {_ERRNO[e.errno]}\n")
    return "", code


def date(sh, args, stdin):
    return sh.clock_text() + "\n", 0


def hostname(sh, args, stdin):
    return sh.hostname + "\n", 0


def env(sh, args, stdin):
    return "".join(f"{k}={v}\n" for k, v in sh.env.items()), 0


def printenv(sh, args, stdin):
    if not args:
        return env(sh, args, stdin)
    values = [sh.env[a] for a in args if a in sh.env]
    return "".join(v + "\n" for v in values), 0 if len(values) == len(args) else 1


def pwd(sh, args, stdin):
    return sh.cwd + "\n", 0


def cd(sh, args, stdin):
    target = sh._path(args[0] if args else sh.env.get("HOME", "/root"))
    if not sh.fs.is_dir(target):
        sh.err.append(
            f"sh: cd: can't cd to {args[0] if args else target}: No such file or directory\n"
        )
        return "", 2
    sh.cwd = target
    return "", 0


def true(sh, args, stdin):
    return "", 0


def false(sh, args, stdin):
    return "", 1


def exit_(sh, args, stdin):
    from kubelab.storage.shell import _Exit

    code = number(args[0]) if args else sh.status
    if code is None:
        sh.err.append(f"sh: exit: Illegal number: {args[0]}\n")
        code = 2
    raise _Exit(code & 0xFF)


def sleep(sh, args, stdin):
    return "", 0


def test(sh, args, stdin):
    if len(args) == 2 and args[0] in ("-f", "-d", "-e", "-s", "-z", "-n"):
        op, value = args
        path = sh._path(value)
        result = {
            "-f": lambda: sh.fs.is_file(path),
            "-d": lambda: sh.fs.is_dir(path),
            "-e": lambda: sh.fs.exists(path),
            "-s": lambda: sh.fs.is_file(path) and bool(sh.fs.read(path)),
            "-z": lambda: value == "",
            "-n": lambda: value != "",
        }[op]()
    elif len(args) == 3 and args[1] in ("=", "==", "!="):
        result = (args[0] == args[2]) == (args[1] != "!=")
    elif len(args) == 1:
        result = args[0] != ""
    else:
        result = False
    return "", 0 if result else 1


def _inputs(sh, files, stdin, name):
    if not files:
        return [stdin], 0
    texts, code = [], 0
    for f in files:
        try:
            texts.append(sh.fs.read(sh._path(f)))
        except FSError as e:
            code = 1
            sh.err.append(f"{name}: {f}: {_ERRNO[e.errno]}\n")
    return texts, code


def wc(sh, args, stdin):
    flags, files = _flags(args, "lcw")
    texts, code = _inputs(sh, files, stdin, "wc")
    text = "".join(texts)
    counts = {"l": text.count("\n"), "w": len(text.split()), "c": len(text.encode())}
    shown = [counts[f] for f in "lwc" if f in flags] or [counts["l"], counts["w"], counts["c"]]
    return " ".join(str(n) for n in shown) + "\n", code


def grep(sh, args, stdin):
    flags, rest = _flags(args, "qcvi")
    if not rest:
        return sh.error("BusyBox grep: missing pattern", 2)
    pattern, files = rest[0], rest[1:]
    texts, code = _inputs(sh, files, stdin, "grep")
    lines = "".join(texts).splitlines()

    def hit(line):
        found = pattern.lower() in line.lower() if "i" in flags else pattern in line
        return found != ("v" in flags)

    matched = [line for line in lines if hit(line)]
    if "q" in flags:
        return "", 0 if matched else 1
    if "c" in flags:
        return f"{len(matched)}\n", 0 if matched else 1
    return "".join(line + "\n" for line in matched), (0 if matched else 1) or code


def _head_tail(sh, args, stdin, tail: bool):
    name = "tail" if tail else "head"
    count, files = 10, []
    i = 0
    while i < len(args):
        if args[i] == "-n" and i + 1 >= len(args):
            return sh.error(f"{name}: option requires an argument -- 'n'")
        if args[i] == "-n" or (args[i].startswith("-") and args[i][1:].isdigit()):
            text = args[i + 1] if args[i] == "-n" else args[i][1:]
            count = number(text.lstrip("+-"))
            if count is None:
                return sh.error(f"{name}: invalid number '{text}'")
            i += 2 if args[i] == "-n" else 1
        else:
            files.append(args[i])
            i += 1
    texts, code = _inputs(sh, files, stdin, name)
    lines = "".join(texts).splitlines(keepends=True)
    return "".join(lines[-count:] if tail else lines[:count]) if count else "", code


def head(sh, args, stdin):
    return _head_tail(sh, args, stdin, False)


def tail(sh, args, stdin):
    return _head_tail(sh, args, stdin, True)


def kill(sh, args, stdin):
    signal, pids = "TERM", []
    for a in args:
        if a.startswith("-"):
            signal = {"9": "KILL", "15": "TERM", "2": "INT", "1": "HUP"}.get(a[1:], a[1:].upper())
            signal = signal.removeprefix("SIG")
        else:
            pids.append(a)
    if not pids:
        return sh.error("kill: usage: kill [-s SIG | -SIG] PID...")
    code = 0
    for pid in pids:
        if pid == "1" and sh.kill is not None:
            sh.kill(signal)
            from kubelab.storage.shell import _Exit

            raise _Exit(137)  # the container's processes, this shell too, are gone
        sh.err.append(f"sh: can't kill pid {pid}: No such process\n")
        code = 1
    return "", code


def curl(sh, args, stdin):
    urls = [a for a in args if not a.startswith("-")]
    if not urls:
        return sh.error("curl: try 'curl --help' for more information", 2)
    url = urls[0].split("://", 1)[-1]
    host, _, path = url.partition("/")
    host, _, port = host.partition(":")
    if sh.web_root is None or host not in ("localhost", "127.0.0.1") or port not in ("", "80"):
        return sh.error(
            f"curl: (7) Failed to connect to {host} port {port or 80} after 0 ms: "
            "Couldn't connect to server",
            7,
        )
    file = posixpath.join(sh.web_root, path or "index.html")
    if sh.fs.is_dir(file):
        file = posixpath.join(file, "index.html")
    try:
        return sh.fs.read(file), 0
    except FSError:
        return _NOT_FOUND, 0


def nslookup(sh, args, stdin):
    """``nslookup NAME``: ask the cluster DNS with the pod's search path (busybox's output)."""
    from kubelab.dns import nslookup as lookup

    names = [a for a in args if not a.startswith("-")]
    cluster, pod = sh.context.get("cluster"), sh.context.get("pod")
    if not names or cluster is None:
        return sh.error("Usage: nslookup [-type=QUERY_TYPE] [-debug] HOST [DNS_SERVER]")
    out = lookup(cluster.api, names[0], namespace=pod["metadata"].get("namespace", "default"))
    return out, 1 if "NXDOMAIN" in out else 0


# BusyBox dd's suffixes (``xatoull_sfx`` with ``cwbkMG`` and their decimal ``kB``/``MB``/``GB``)
_UNITS = {
    "": 1, "c": 1, "w": 2, "b": 512, "kB": 1000, "k": 1024, "K": 1024, "MB": 10**6,
    "M": 2**20, "GB": 10**9, "G": 2**30,
}  # fmt: skip
_ZERO_DEVICES = ("/dev/zero", "/dev/urandom", "/dev/random")


def _dd_number(text: str) -> int | None:
    for suffix in sorted(_UNITS, key=len, reverse=True):
        if suffix and text.endswith(suffix):
            value = number(text[: -len(suffix)])
            return None if value is None or value < 0 else value * _UNITS[suffix]
    value = number(text)
    return None if value is None or value < 0 else value


def dd(sh, args, stdin):
    """``dd if=/dev/zero of=FILE bs=1M count=N``: fill a file (memory-backed volumes count).

    Zeros are counted, not stored (a file keeps at most ``MAX_CONTENT`` characters), so a
    ``dd`` of gigabytes costs no memory; it stops with ``No space left on device`` when the
    volume (or the node's disk) is full.
    """
    opts = {}
    for a in args:
        key, eq, value = a.partition("=")
        if not eq:
            return sh.error(f"dd: invalid argument '{a}'")
        opts[key] = value
    block, count = _dd_number(opts.get("bs", "512")), _dd_number(opts.get("count", "-"))
    if block is None or block == 0:
        return sh.error(f"dd: invalid number '{opts.get('bs', '')}'")
    if count is None and "count" in opts:
        return sh.error(f"dd: invalid number '{opts['count']}'")
    source = opts.get("if", "-")
    if source in _ZERO_DEVICES:
        if count is None:  # reading /dev/zero for ever: it ends when the disk is full
            count = 2**62 // block
        size = block * count
        data = "\0" * min(size, MAX_CONTENT)
    else:
        if source == "-":
            data = stdin
        else:
            try:
                data = sh.fs.read(sh._path(source))
            except FSError as e:
                return sh.error(f"dd: can't open '{source}': {_ERRNO[e.errno]}")
        if count is not None:
            data = data[: block * count]
        size = len(data.encode())
    target, code = opts.get("of"), 0
    written = size
    if target and target != "/dev/null":
        path = sh._path(target)
        try:
            sh.fs.write(path, data, now=sh.now, size=size)
        except FSError as e:
            if e.errno != "ENOSPC":
                return sh.error(f"dd: can't open '{target}': {_ERRNO[e.errno]}")
            stat = sh.fs.stat(path)
            written, code = (stat.size if stat else 0), 1
            sh.err.append(f"dd: error writing '{target}': No space left on device\n")
    full_in, part_in = divmod(min(size, written + block) if code else size, block)
    full_out, part_out = divmod(written, block)
    sh.err.append(
        f"{full_in}+{int(part_in > 0)} records in\n{full_out}+{int(part_out > 0)} records out\n"
    )
    return ("" if target else data), code


_NOT_FOUND = (
    "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n"
    "<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)

BUILTINS = {
    "echo": echo,
    "cat": cat,
    "ls": ls,
    "rm": rm,
    "mkdir": mkdir,
    "touch": touch,
    "date": date,
    "hostname": hostname,
    "env": env,
    "printenv": printenv,
    "pwd": pwd,
    "cd": cd,
    "true": true,
    "false": false,
    "exit": exit_,
    "sleep": sleep,
    "test": test,
    "wc": wc,
    "grep": grep,
    "head": head,
    "tail": tail,
    "kill": kill,
    "curl": curl,
    "dd": dd,
    "nslookup": nslookup,
}
