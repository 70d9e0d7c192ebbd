"""Caps on open long-lived streams (``Watch…``, and serving's ``ModelStreamInfer``), per
principal and per process.

A watch stream (or an inference stream a client pipelines requests on) lasts as long as its client
wants, and each holds a call slot of the server (``max_concurrent_rpcs``) and a place in its event
feed. Without a cap, one principal opening thousands of them starves everyone else's calls; so each
principal may hold a few, and the process a bounded number in all, below its call limit so unary
calls always find room. A stream over either cap is refused with RESOURCE_EXHAUSTED before its
handler runs; its slot is given back when the stream ends for any reason (the client cancels, the
server stops, an error).

A quarter of the process cap (64 of the default 256) is kept for the peer roles (trainer, server,
monitor, service): people and viewers' dashboards may hold the other three quarters, never the last
slots, so a handful of human tokens at their per-principal cap cannot lock the services out of the
streams they run on (serving follows the registry's events, monitoring and training their peers').
Peers may use any free slot, the reserved ones included.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from typing import Any

from slipway.core import context as call_context
from slipway.core.errors import ResourceExhaustedError
from slipway.core.handlers import Context
from slipway.core.interceptors import _WrappingInterceptor, split_method
from slipway.core.reasons import Reason
from slipway.core.roles import PEERS

PEER_SHARE = 4
"""One slot in this many of the process cap is kept for peer roles (64 of 256)."""


def peer_reserve(per_process: int) -> int:
    """The slots of a process cap that only peer roles may take."""
    return per_process // PEER_SHARE


LONG_LIVED_STREAMS = frozenset({"/inference.GRPCInferenceService/ModelStreamInfer"})
"""Streams besides the ``Watch…`` methods that stay open as long as their client wants."""


def is_watch(method: str) -> bool:
    """The long-lived streams the caps count: every Slipway service's ``Watch…`` method (the
    health service's Watch is a probe's and is served before authentication), and the
    inference stream (each open one holds a call slot of serving, whatever it carries)."""
    if method in LONG_LIVED_STREAMS:
        return True
    service, name = split_method(method)
    return service.startswith("slipway.") and name.startswith("Watch")


class StreamCaps:
    """The open watch streams of this process, by principal."""

    def __init__(self, *, per_principal: int, per_process: int) -> None:
        self.per_principal = per_principal
        self.per_process = per_process
        self.for_others = per_process - peer_reserve(per_process)
        """What principals without a peer role may hold in all."""
        self._open: Counter[str] = Counter()
        self._others = 0

    @property
    def open(self) -> int:
        return self._open.total()

    def open_by(self, principal: str) -> int:
        return self._open[principal]

    @contextlib.contextmanager
    def slot(self, principal: str, *, peer: bool = False) -> Iterator[None]:
        """Hold one stream slot for ``principal`` while the block runs, or refuse; ``peer``:
        the principal holds a peer role and may take the slots kept for peers."""
        if self._open[principal] >= self.per_principal:
            raise ResourceExhaustedError(
                f"{principal!r} already has {self.per_principal} open watch or inference streams "
                "on this server; close one first",
                reason=Reason.TOO_MANY_WATCH_STREAMS,
                metadata={"limit": str(self.per_principal)},
            )
        limit = self.per_process if peer else self.for_others
        if self.open >= self.per_process or (not peer and self._others >= self.for_others):
            raise ResourceExhaustedError(
                f"this server already serves {limit} watch or inference streams"
                + ("" if peer else " to callers without a peer role")
                + "; retry later",
                reason=Reason.WATCH_STREAMS_FULL,
                metadata={"limit": str(limit)},
            )
        others = 0 if peer else 1
        self._open[principal] += 1
        self._others += others
        try:
            yield
        finally:
            self._open[principal] -= 1
            self._others -= others
            if not self._open[principal]:
                del self._open[principal]


class StreamCapInterceptor(_WrappingInterceptor):
    """Counts every watch stream against :class:`StreamCaps`; runs after authentication, so
    the principal is known, and inside error translation, so a refusal gets its status."""

    def __init__(self, caps: StreamCaps) -> None:
        super().__init__()
        self.caps = caps

    @contextlib.asynccontextmanager
    async def around(self, method: str, ctx: Context, request: Any) -> AsyncIterator[None]:
        if not is_watch(method):
            yield
            return
        principal = call_context.current_principal()
        with self.caps.slot(principal.name, peer=principal.has_any(PEERS)):
            yield
