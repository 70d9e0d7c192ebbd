"""Caps on open ``Watch…`` streams, per principal and per process.

A watch stream lasts as long as its client wants, and each holds a call slot of the server
(``max_concurrent_rpcs``) and a place in its event feed. Without a cap, one principal opening
thousands of them starves everyone else's calls; so each principal may hold a few, and the
process a bounded number in all, below its call limit so unary calls always find room. A
stream over either cap is refused with RESOURCE_EXHAUSTED before its handler runs; its slot is
given back when the stream ends for any reason (the client cancels, the server stops, an error).
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


def is_watch(method: str) -> bool:
    """The long-lived streams the caps count: every Slipway service's ``Watch…`` method (the
    health service's Watch is a probe's and is served before authentication)."""
    service, name = split_method(method)
    return service.startswith("slipway.") and name.startswith("Watch")


class StreamCaps:
    """The open watch streams of this process, by principal."""

    def __init__(self, *, per_principal: int, per_process: int) -> None:
        self.per_principal = per_principal
        self.per_process = per_process
        self._open: Counter[str] = Counter()

    @property
    def open(self) -> int:
        return self._open.total()

    def open_by(self, principal: str) -> int:
        return self._open[principal]

    @contextlib.contextmanager
    def slot(self, principal: str) -> Iterator[None]:
        """Hold one stream slot for ``principal`` while the block runs, or refuse."""
        if self._open[principal] >= self.per_principal:
            raise ResourceExhaustedError(
                f"{principal!r} already has {self.per_principal} open watch streams on this "
                "server; close one first",
                reason=Reason.TOO_MANY_WATCH_STREAMS,
                metadata={"limit": str(self.per_principal)},
            )
        if self.open >= self.per_process:
            raise ResourceExhaustedError(
                f"this server already serves {self.per_process} watch streams; retry later",
                reason=Reason.WATCH_STREAMS_FULL,
                metadata={"limit": str(self.per_process)},
            )
        self._open[principal] += 1
        try:
            yield
        finally:
            self._open[principal] -= 1
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
        with self.caps.slot(call_context.current_principal().name):
            yield
