"""How the asyncio clients call a service: ``slipway.client.calls`` with awaits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable, Iterator

import grpc

from slipway.client.calls import Item, PReq, PResp, Req, Resp, call_metadata
from slipway.client.errors import from_rpc_error
from slipway.client.options import ClientOptions
from slipway.client.retry import Attempts


class AsyncCaller:
    """Runs calls for the asyncio clients of one connection."""

    def __init__(self, options: ClientOptions) -> None:
        self.options = options

    def timeout(self, timeout: float | None) -> float:
        """The deadline of a call: its own, else the connection's."""
        return self.options.timeout if timeout is None else timeout

    async def unary(
        self,
        method: grpc.aio.UnaryUnaryMultiCallable[Req, Resp],
        request: Req,
        *,
        timeout: float | None,
        idempotent: bool,
        key: str = "",
    ) -> Resp:
        """One request, one response. Retried on UNAVAILABLE when ``idempotent``."""
        attempts = Attempts(self.options.retry, self.timeout(timeout), idempotent=idempotent)
        metadata = call_metadata(self.options, key)
        while True:
            try:
                return await method(request, timeout=attempts.start(), metadata=metadata)
            except grpc.RpcError as error:
                delay = attempts.retry_after(error)
                if delay is None:
                    raise from_rpc_error(error) from error
            await asyncio.sleep(delay)

    async def client_stream(
        self,
        method: grpc.aio.StreamUnaryMultiCallable[Req, Resp],
        requests: Callable[[], Iterator[Req]],
        *,
        timeout: float | None,
        idempotent: bool,
        key: str = "",
    ) -> Resp:
        """A stream of requests (made anew by ``requests`` for each attempt), one response."""
        attempts = Attempts(self.options.retry, self.timeout(timeout), idempotent=idempotent)
        metadata = call_metadata(self.options, key)
        while True:
            try:
                return await method(requests(), timeout=attempts.start(), metadata=metadata)
            except grpc.RpcError as error:
                delay = attempts.retry_after(error)
                if delay is None:
                    raise from_rpc_error(error) from error
            await asyncio.sleep(delay)

    async def stream(
        self,
        method: grpc.aio.UnaryStreamMultiCallable[Req, Resp],
        request: Req,
        *,
        timeout: float | None,
        resume: Callable[[Req, Resp], Req] | None = None,
    ) -> AsyncIterator[Resp]:
        """The responses of a server stream, reopened as ``Caller.stream`` reopens it."""
        attempts = Attempts(self.options.retry, timeout, idempotent=True)
        while True:
            call = method(request, timeout=attempts.start(), metadata=self.options.metadata)
            last: Resp | None = None
            try:
                async for reply in call:
                    last = reply
                    attempts.progressed()
                    yield reply
                return
            except grpc.RpcError as error:
                unresumable = last is not None and resume is None
                delay = None if unresumable else attempts.retry_after(error)
                if delay is None:
                    raise from_rpc_error(error) from error
            finally:
                call.cancel()
            if last is not None and resume is not None:
                request = resume(request, last)
            await asyncio.sleep(delay)

    async def pages(
        self,
        method: grpc.aio.UnaryUnaryMultiCallable[PReq, PResp],
        request: PReq,
        items: Callable[[PResp], Iterable[Item]],
        *,
        timeout: float | None,
    ) -> AsyncIterator[Item]:
        """Every item of a List call, page after page (``timeout`` per page)."""
        while True:
            reply = await self.unary(method, request, timeout=timeout, idempotent=True)
            for item in items(reply):
                yield item
            if not reply.next_page_token:
                return
            request.page_token = reply.next_page_token
