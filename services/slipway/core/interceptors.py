"""Server interceptors: request context, metrics, access log, auth, error translation.

Each interceptor wraps the behaviour of the method handler it is given, for all four call shapes,
with an async context manager (``around``) that runs around the call: code before the ``yield``
runs before the handler, exceptions raised by the handler pass through it. The server applies
them outermost first in the order listed above.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

import grpc
from grpc.aio import AbortError

from slipway.core import context as call_context
from slipway.core.audit.recorder import EdgeAuditor
from slipway.core.audit.refusals import REFUSED_KINDS
from slipway.core.auth import TokenStore
from slipway.core.context import ANONYMOUS, REQUEST_ID_HEADER, Principal
from slipway.core.db import is_conflict
from slipway.core.errors import (
    AbortedError,
    PermissionDeniedError,
    SlipwayError,
    UnauthenticatedError,
)
from slipway.core.handlers import Context
from slipway.core.logs import get_logger
from slipway.core.metrics import GrpcMetrics
from slipway.core.reasons import Reason
from slipway.core.roles import EXEMPT_METHODS, RoleTable
from slipway.core.rpc_reasons import note_sent
from slipway.core.status import simple_status, to_rpc_status

log = get_logger("slipway.rpc")
MAX_REQUEST_ID_LENGTH = 128

if TYPE_CHECKING:  # the runtime class is not subscriptable; the typing stubs are generic
    Handler = grpc.RpcMethodHandler[Any, Any]
else:
    Handler = grpc.RpcMethodHandler
# Runs around one call: (method, context, request; None for client-streaming requests).
Around = Callable[[str, Context, Any], contextlib.AbstractAsyncContextManager[None]]


def wrap_handler(handler: Handler, method: str, around: Around) -> Handler:
    """A copy of ``handler`` whose behaviour runs inside ``around(method, context)``."""
    kwargs = {
        "request_deserializer": handler.request_deserializer,
        "response_serializer": handler.response_serializer,
    }
    # The stubs type behaviours as sync callables; on a grpc.aio server they are async.
    inner_uu: Any = handler.unary_unary
    inner_us: Any = handler.unary_stream
    inner_su: Any = handler.stream_unary
    inner_ss: Any = handler.stream_stream
    if inner_uu:

        async def unary_unary(request: Any, ctx: Context) -> Any:
            async with around(method, ctx, request):
                return await inner_uu(request, ctx)

        return grpc.unary_unary_rpc_method_handler(unary_unary, **kwargs)
    if inner_us and not inspect.isasyncgenfunction(inner_us):
        # A streaming behaviour may also be a coroutine that sends with ``ctx.write`` (the
        # standard health service's Watch does): run it as one, not as a generator.

        async def unary_stream_writer(request: Any, ctx: Context) -> None:
            async with around(method, ctx, request):
                await inner_us(request, ctx)

        return grpc.unary_stream_rpc_method_handler(unary_stream_writer, **kwargs)
    if inner_us:

        async def unary_stream(request: Any, ctx: Context) -> AsyncIterator[Any]:
            async with (
                around(method, ctx, request),
                contextlib.aclosing(inner_us(request, ctx)) as items,
            ):
                async for item in items:  # closed at once when this stream is
                    yield item

        return grpc.unary_stream_rpc_method_handler(unary_stream, **kwargs)
    if inner_su:

        async def stream_unary(requests: Any, ctx: Context) -> Any:
            async with around(method, ctx, None):
                return await inner_su(requests, ctx)

        return grpc.stream_unary_rpc_method_handler(stream_unary, **kwargs)

    if not inspect.isasyncgenfunction(inner_ss):

        async def stream_stream_writer(requests: Any, ctx: Context) -> None:
            async with around(method, ctx, None):
                await inner_ss(requests, ctx)

        return grpc.stream_stream_rpc_method_handler(stream_stream_writer, **kwargs)

    async def stream_stream(requests: Any, ctx: Context) -> AsyncIterator[Any]:
        async with around(method, ctx, None), contextlib.aclosing(inner_ss(requests, ctx)) as items:
            async for item in items:
                yield item

    return grpc.stream_stream_rpc_method_handler(stream_stream, **kwargs)


class _WrappingInterceptor(grpc.aio.ServerInterceptor):
    """Base: wraps every handler with ``self.around``, once per method (not per call)."""

    def __init__(self) -> None:
        self._wrapped: dict[str, tuple[Handler, Handler]] = {}

    def around(
        self, method: str, ctx: Context, request: Any
    ) -> contextlib.AbstractAsyncContextManager[None]:
        raise NotImplementedError

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        handler = await continuation(handler_call_details)
        if handler is None:
            return None
        method = handler_call_details.method
        cached = self._wrapped.get(method)
        if cached is not None and cached[0] is handler:
            return cached[1]
        wrapped = wrap_handler(handler, method, self.around)
        self._wrapped[method] = (handler, wrapped)
        return wrapped


def metadata_value(ctx: Context, key: str) -> str | None:
    for item_key, value in ctx.invocation_metadata() or ():
        if item_key == key:
            return value if isinstance(value, str) else value.decode(errors="replace")
    return None


def status_of(ctx: Context, exc: BaseException | None) -> grpc.StatusCode:
    """The status a finished call is answered with."""
    code = ctx.code()
    if isinstance(code, grpc.StatusCode):
        return code
    if isinstance(code, int):
        return next((c for c in grpc.StatusCode if c.value[0] == code), grpc.StatusCode.UNKNOWN)
    if exc is None:
        return grpc.StatusCode.OK
    if isinstance(exc, asyncio.CancelledError):
        return grpc.StatusCode.CANCELLED
    return grpc.StatusCode.UNKNOWN


class RequestContextInterceptor(_WrappingInterceptor):
    """Takes ``x-request-id`` from the caller (or makes one), binds it, returns it in trailers."""

    @contextlib.asynccontextmanager
    async def around(self, method: str, ctx: Context, request: Any) -> AsyncIterator[None]:
        given = metadata_value(ctx, REQUEST_ID_HEADER)
        # os.urandom is a third of uuid4's cost, which showed on the inference hot path.
        request_id = (given or "").strip()[:MAX_REQUEST_ID_LENGTH] or os.urandom(16).hex()
        call_context.set_request_id(request_id)
        call_context.set_principal(ANONYMOUS)
        call_context.set_request(request)
        ctx.set_trailing_metadata(((REQUEST_ID_HEADER, request_id),))
        yield


class MetricsInterceptor(_WrappingInterceptor):
    """Counts started and handled calls by code and observes their latency."""

    def __init__(self, metrics: GrpcMetrics) -> None:
        super().__init__()
        self._metrics = metrics

    @contextlib.asynccontextmanager
    async def around(self, method: str, ctx: Context, request: Any) -> AsyncIterator[None]:
        service, name = split_method(method)
        self._metrics.started(service, name)
        start = time.perf_counter()
        error: BaseException | None = None
        try:
            yield
        except BaseException as exc:
            error = exc
            raise
        finally:
            code = status_of(ctx, error)
            self._metrics.handled(service, name, code.name, time.perf_counter() - start)


def _INFO_ENABLED() -> bool:
    # Skips building the line when info is filtered out (cached by the logging module).
    return logging.getLogger("slipway").isEnabledFor(logging.INFO)


PARTS = 1_000_000  # sample rates are kept in millionths, so the sampler counts in integers


class AccessLogInterceptor(_WrappingInterceptor):
    """One log line per finished call with its method, status, duration and sample rate.

    Every call that fails (a refusal included) and every call that takes ``slow_seconds`` or
    more is logged. Of the other, successful calls to ``sampled_methods`` (None: every method),
    one in ``1 / sample_rate`` is: each line carries the ``sample_rate`` it was kept with, so
    the sum of ``1 / sample_rate`` over the lines is the number of calls.

    The sampler is a credit counter per method, not a random draw: exactly the given share of
    lines (200 calls at 0.01 give 2, the first call of a method among them), an integer add and
    compare per call, no generator state. Its one weakness, traffic that repeats with the
    period of the sampler always showing the same call, matters little here: the lines are
    for counting and spotting, and every error is logged whatever its place.
    """

    def __init__(
        self,
        *,
        sample_rate: float = 1.0,
        sampled_methods: frozenset[str] | None = None,
        slow_seconds: float = 1.0,
    ) -> None:
        super().__init__()
        if not 0.0 <= sample_rate <= 1.0:
            raise ValueError(f"sample_rate must be between 0 and 1, not {sample_rate!r}")
        self._sample_rate = sample_rate
        self._parts = round(sample_rate * PARTS)
        self._sampled = sampled_methods
        self._slow_seconds = slow_seconds
        self._credit: dict[str, int] = {}  # per sampled method; a line once it reaches PARTS

    def _kept_at(self, method: str) -> float | None:
        """The rate a fast successful call's line is written with; None: not written."""
        if self._parts >= PARTS or (self._sampled is not None and method not in self._sampled):
            return 1.0
        if not self._parts:
            return None
        # The first call of a method is written, then one every 1 / sample_rate.
        credit = self._credit.get(method, PARTS - self._parts) + self._parts
        if credit >= PARTS:
            self._credit[method] = credit - PARTS
            return self._sample_rate
        self._credit[method] = credit
        return None

    @contextlib.asynccontextmanager
    async def around(self, method: str, ctx: Context, request: Any) -> AsyncIterator[None]:
        start = time.perf_counter()
        error: BaseException | None = None
        try:
            yield
        except BaseException as exc:
            error = exc
            raise
        finally:
            elapsed = time.perf_counter() - start
            code = status_of(ctx, error)
            if code != grpc.StatusCode.OK:
                log.warning(
                    "rpc",
                    method=method,
                    code=code.name,
                    duration_ms=round(elapsed * 1000, 3),
                    sample_rate=1.0,
                )
            elif _INFO_ENABLED():
                rate = 1.0 if elapsed >= self._slow_seconds else self._kept_at(method)
                if rate is not None:
                    log.info(
                        "rpc",
                        method=method,
                        code=code.name,
                        duration_ms=round(elapsed * 1000, 3),
                        sample_rate=rate,
                    )


INSECURE_PRINCIPAL = Principal("local-insecure", frozenset({"admin"}))


class AuthInterceptor(_WrappingInterceptor):
    """Authenticates the bearer token and checks the role table before the handler runs.

    Refused calls are answered here (UNAUTHENTICATED / PERMISSION_DENIED) and counted by the
    auditor, which writes them to the audit log per caller, method and window with outcome
    DENIED; nothing a refused caller sent is stored but, for a known principal, the resource.
    """

    def __init__(
        self,
        tokens: TokenStore | None,
        roles: RoleTable,
        *,
        service: str,
        auditor: EdgeAuditor | None = None,
        exempt: frozenset[str] = EXEMPT_METHODS,
    ) -> None:
        super().__init__()
        self._tokens = tokens  # None: --insecure-no-auth, every caller is a local admin
        self._exempt = exempt  # full method names answered without a token
        self._roles = roles
        self._service = service
        self._auditor = auditor

    def authorize(self, method: str, authorization: str | None) -> Principal:
        if self._tokens is None:
            return INSECURE_PRINCIPAL
        principal = self._tokens.authenticate(authorization)
        call_context.set_principal(principal)  # so a refusal below is logged with who it was
        allowed = self._roles.roles_for(method)
        if not principal.has_any(allowed):
            raise PermissionDeniedError(
                f"principal {principal.name!r} with roles {sorted(principal.roles)} may not call "
                f"{method}; it needs one of {sorted(allowed)}",
                reason=Reason.ROLE_NOT_ALLOWED,
                metadata={"method": method, "principal": principal.name},
            )
        return principal

    @contextlib.asynccontextmanager
    async def around(self, method: str, ctx: Context, request: Any) -> AsyncIterator[None]:
        if method in self._exempt:
            yield
            return
        try:
            principal = self.authorize(method, metadata_value(ctx, "authorization"))
        except (UnauthenticatedError, PermissionDeniedError) as exc:
            if self._auditor is not None:
                self._auditor.refused(
                    method, call_context.current_principal(), exc, request, ctx.peer()
                )
            request_id = call_context.current_request_id()
            note_sent(method, exc.kind.value, exc.reason)
            await ctx.abort_with_status(
                to_rpc_status(exc, service=self._service, request_id=request_id)
            )
            raise  # unreachable: abort raises; keeps the generator from yielding twice
        call_context.set_principal(principal)  # also for --insecure-no-auth
        yield


class ErrorInterceptor(_WrappingInterceptor):
    """Maps domain errors to their status; anything unexpected becomes a generic INTERNAL.

    A change (per the role table) that fails is recorded in the audit log, its own transaction
    having been rolled back with the change: a refusal (``refusals.REFUSED_KINDS``: a domain rule
    denied the caller, or its request is malformed) is counted like the edge's refusals and
    written, DENIED, when its window closes; any other failure is written at once, FAILED.
    """

    def __init__(
        self, *, service: str, roles: RoleTable, auditor: EdgeAuditor | None = None
    ) -> None:
        super().__init__()
        self._service = service
        self._roles = roles
        self._auditor = auditor

    async def _audit_failure(
        self, method: str, ctx: Context, error: SlipwayError | None, request: Any
    ) -> None:
        if self._auditor is None or not self._roles.mutates(method):
            return
        principal = call_context.current_principal()
        if error is not None and error.kind in REFUSED_KINDS:
            self._auditor.refused(method, principal, error, request, ctx.peer())
        else:
            await self._auditor.failed(method, principal, error, request)

    @contextlib.asynccontextmanager
    async def around(self, method: str, ctx: Context, request: Any) -> AsyncIterator[None]:
        try:
            yield
        except AbortError:
            raise
        except SlipwayError as exc:
            await self._audit_failure(method, ctx, exc, request)
            note_sent(method, exc.kind.value, exc.reason)
            await ctx.abort_with_status(
                to_rpc_status(
                    exc, service=self._service, request_id=call_context.current_request_id()
                )
            )
        except Exception as exc:
            request_id = call_context.current_request_id()
            if is_conflict(exc):
                # A race another transaction won (two creators of one row): its transaction
                # rolled back whole, and the same call again succeeds or gets its proper answer.
                log.warning(
                    "conflict with a concurrent change",
                    method=method,
                    error=str(getattr(exc, "orig", exc)),
                )
                conflict = AbortedError(
                    "a concurrent change conflicted with this one; retry",
                    reason=Reason.CONCURRENT_CHANGE,
                )
                await self._audit_failure(method, ctx, conflict, request)
                note_sent(method, conflict.kind.value, conflict.reason)
                await ctx.abort_with_status(
                    to_rpc_status(conflict, service=self._service, request_id=request_id)
                )
            log.exception("unhandled error", method=method)
            await self._audit_failure(method, ctx, None, request)
            note_sent(method, "INTERNAL", Reason.INTERNAL)
            await ctx.abort_with_status(
                simple_status(
                    grpc.StatusCode.INTERNAL,
                    f"internal error; quote request id {request_id} when reporting it",
                    reason=Reason.INTERNAL,
                    service=self._service,
                    request_id=request_id,
                )
            )


class EdgeInterceptor(_WrappingInterceptor):
    """The interceptors above as one: each call goes through a single wrapper that enters
    their ``around`` blocks in order, rather than through one grpc interceptor (an extra
    coroutine and lookup per call) each; on the inference path that doubled the rate a
    fixed-answer handler reaches."""

    def __init__(self, parts: list[_WrappingInterceptor]) -> None:
        super().__init__()
        self._parts = tuple(parts)

    @contextlib.asynccontextmanager
    async def around(self, method: str, ctx: Context, request: Any) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            for part in self._parts:
                await stack.enter_async_context(part.around(method, ctx, request))
            yield


def split_method(method: str) -> tuple[str, str]:
    """``/pkg.Service/Method`` -> (``pkg.Service``, ``Method``)."""
    _, service, name = method.split("/", 2) if method.count("/") >= 2 else ("", "", method)
    return service, name
