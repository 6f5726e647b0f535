"""kubectl verbs: one module per verb, registered in :data:`COMMANDS`.

A verb is a :class:`Command`: its flags (parsed like pflag) and a handler
``handler(ctx, flags, args, out)`` that talks to the cluster only through its
API client (``ctx.client``) and clock (``ctx.now``) and writes to ``out``.
Adding a verb (``rollout``, ``cordon``...) is adding a module that calls
:func:`register`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kubelab.kubectl.flags import Flag

__all__ = ["COMMANDS", "Command", "register"]


@dataclass(frozen=True)
class Command:
    name: str
    flags: list[Flag]
    handler: Callable
    namespaced: bool = True  # accepts -n / --namespace


COMMANDS: dict[str, Command] = {}


def register(name: str, flags: list[Flag], *, namespaced: bool = True):
    """Decorator: make ``handler`` the implementation of ``kubectl <name>``."""

    def decorate(handler: Callable) -> Callable:
        COMMANDS[name] = Command(name, flags, handler, namespaced)
        return handler

    return decorate


def load_all() -> None:
    """Import every verb module (each registers itself)."""
    from kubelab.kubectl.commands import (  # noqa: F401
        apply,
        cordon,
        delete,
        describe,
        drain,
        exec,
        expose,
        get,
        label,
        rollout,
        scale,
        set_image,
        taint,
        top,
    )
