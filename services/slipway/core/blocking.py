"""Running blocking domain code from a servicer: the one way every service does it.

Domain calls block on the database, the artifact store or a model, so a servicer runs them on
a worker thread and awaits the result; the event loop keeps serving other requests meanwhile.
The worker runs in a copy of the caller's context, so the request id and principal bound by the
interceptors (``contextvars``) are still there for log lines and audit events written on it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


async def run_blocking(fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run ``fn(*args, **kwargs)`` on a worker thread and return (or raise) what it does."""
    # asyncio.to_thread copies the current contextvars into the worker thread.
    return await asyncio.to_thread(fn, *args, **kwargs)
