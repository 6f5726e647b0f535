"""kubectl, in-process: command lines in, exactly what kubectl prints out.

``run(cluster, "get pods -o wide")`` parses the command line as kubectl does,
talks to the cluster only through its API server client and its clock, and
returns what kubectl would print (stdout, then stderr) as one string. Errors are
returned the way kubectl prints them, never raised.

The pieces are usable on their own: :func:`table_for` builds the API server's
Table for objects, :func:`render_table` prints it like kubectl, :func:`describe`
writes a describe report.

Examples
--------
>>> pod = {"apiVersion": "v1", "kind": "Pod",
...        "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"},
...                     "creationTimestamp": "2025-01-01T00:00:00Z"},
...        "spec": {"containers": [{"name": "nginx", "image": "nginx"}]},
...        "status": {"phase": "Pending"}}
>>> print(render_table(table_for([pod], "Pod", now=42.0), show_labels=True))
NAME   READY   STATUS    RESTARTS   AGE   LABELS
web    0/1     Pending   0          42s   app=web
"""

from __future__ import annotations

import os
import shlex

from kubelab.errors import KubelabError
from kubelab.kubectl.describe import Related, describe
from kubelab.kubectl.duration import human_duration
from kubelab.kubectl.flags import UsageError, parse
from kubelab.kubectl.render import render_table
from kubelab.kubectl.tables import table_for

__all__ = [
    "RAISE_INTERNAL_ERRORS",
    "KubectlOutput",
    "Related",
    "describe",
    "human_duration",
    "render_table",
    "run",
    "table_for",
]


#: A kubelab bug inside a command prints one ``error: internal error ...`` line for learners;
#: tests (``tests/conftest.py``) and ``KUBELAB_RAISE_INTERNAL_ERRORS=1`` let it raise instead.
RAISE_INTERNAL_ERRORS = os.environ.get("KUBELAB_RAISE_INTERNAL_ERRORS", "") not in ("", "0")


class KubectlOutput(str):
    """A ``str`` that IPython displays as plain text (tables keep their shape in notebooks)."""

    def _repr_pretty_(self, p, cycle):  # IPython hook
        p.text(str(self))


def _split(command) -> list[str]:
    if isinstance(command, bytes | bytearray):
        try:
            command = bytes(command).decode("utf-8")
        except UnicodeDecodeError as error:
            raise UsageError(f"the command line is not valid UTF-8: {error}") from None
    if not isinstance(command, str):
        raise UsageError(
            'the command line must be a str, e.g. c.kubectl("get pods"), '
            f"not {type(command).__name__}"
        )
    try:
        argv = shlex.split(command)
    except ValueError as error:
        raise UsageError(f"cannot parse the command line: {error}") from None
    if argv and argv[0] == "kubectl":
        argv = argv[1:]
    return argv


def run(cluster, command: str) -> str:
    """Run a kubectl command line (without or with the word ``kubectl``) against ``cluster``.

    Returns what kubectl prints: its output, then its error messages, without the final
    newline (so ``print(run(...))`` shows exactly the terminal's text). Never raises: a
    kubelab bug comes back as one ``error: internal error`` line, unless
    :data:`RAISE_INTERNAL_ERRORS` is set.
    """
    from kubelab.kubectl.commands import COMMANDS, load_all
    from kubelab.kubectl.commands.common import CommandError, Context, Output

    load_all()
    out = Output()
    try:
        argv = _split(command)
        if not argv:
            raise UsageError("kubelab's kubectl needs a command, e.g. get pods")
        verb, rest = argv[0], argv[1:]
        cmd = COMMANDS.get(verb)
        if cmd is None:
            out.err.append(f'error: unknown command "{verb}" for "kubectl"')
        else:
            try:
                flags, args = parse(rest, cmd.flags)
            except UsageError as error:
                out.err.append(f"error: {error}\nSee 'kubectl {verb} --help' for usage.")
            else:
                ctx = Context(
                    cluster,
                    verb,
                    namespace=flags.get("namespace") or "default",
                    all_namespaces=bool(flags.get("all-namespaces")),
                )
                cmd.handler(ctx, flags, args, out)
    except (CommandError, UsageError, KubelabError) as error:
        out.error(error)
    except Exception as error:  # the safety net: every real cause is fixed where it arises
        if RAISE_INTERNAL_ERRORS:
            raise
        out.err.append(
            f"error: internal error in kubelab's kubectl ({type(error).__name__}: {error}); "
            "please report this command line"
        )
    text = out.text()
    return KubectlOutput(text[:-1] if text.endswith("\n") else text)
