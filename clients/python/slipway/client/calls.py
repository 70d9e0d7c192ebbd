"""How the blocking clients call a service: deadline, metadata, retries, typed errors, pages
and streams. ``slipway.client.aio.calls`` is the same for asyncio."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import Protocol, TypeVar

import grpc

from slipway.client.errors import REQUEST_ID_KEY, from_rpc_error
from slipway.client.options import ClientOptions
from slipway.client.retry import Attempts

Req = TypeVar("Req")
Resp = TypeVar("Resp")
Item = TypeVar("Item")


class PageRequest(Protocol):
    """A List request: it carries the token of the page it asks for."""

    page_token: str


class PageResponse(Protocol):
    """A List response: it carries the token of the next page, empty on the last."""

    next_page_token: str


PReq = TypeVar("PReq", bound=PageRequest)
PResp = TypeVar("PResp", bound=PageResponse)


def call_metadata(options: ClientOptions, key: str) -> tuple[tuple[str, str], ...]:
    """The metadata of one call: the token and, for a keyed mutation, the key as request id."""
    return (*options.metadata, (REQUEST_ID_KEY, key)) if key else options.metadata


class Caller:
    """Runs calls for the blocking clients of one connection."""

    def __init__(self, options: ClientOptions) -> None:
        self.options = options

    def timeout(self, timeout: float | None) -> float:
        """The deadline of a call: its own, else the connection's."""
        return self.options.timeout if timeout is None else timeout

    def unary(
        self,
        method: grpc.UnaryUnaryMultiCallable[Req, Resp],
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
                return method(request, timeout=attempts.start(), metadata=metadata)
            except grpc.RpcError as error:
                delay = attempts.retry_after(error)
                if delay is None:
                    raise from_rpc_error(error) from error
            time.sleep(delay)

    def client_stream(
        self,
        method: grpc.StreamUnaryMultiCallable[Req, Resp],
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
                return method(requests(), timeout=attempts.start(), metadata=metadata)
            except grpc.RpcError as error:
                delay = attempts.retry_after(error)
                if delay is None:
                    raise from_rpc_error(error) from error
            time.sleep(delay)

    def stream(
        self,
        method: grpc.UnaryStreamMultiCallable[Req, Resp],
        request: Req,
        *,
        timeout: float | None,
        resume: Callable[[Req, Resp], Req] | None = None,
    ) -> Iterator[Resp]:
        """The responses of a server stream; ``timeout`` None means no deadline.

        A stream that fails with UNAVAILABLE before its first response is opened again. One that
        fails later is opened again only with ``resume``, which gives the request that continues
        after the last response received; without it the error is raised. Leaving the iteration
        early cancels the call.
        """
        attempts = Attempts(self.options.retry, timeout, idempotent=True)
        while True:
            call = method(request, timeout=attempts.start(), metadata=self.options.metadata)
            last: Resp | None = None
            try:
                for reply in call:
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
            time.sleep(delay)

    def pages(
        self,
        method: grpc.UnaryUnaryMultiCallable[PReq, PResp],
        request: PReq,
        items: Callable[[PResp], Iterable[Item]],
        *,
        timeout: float | None,
    ) -> Iterator[Item]:
        """Every item of a List call, page after page, fetched as the iteration needs them.

        ``timeout`` is the deadline of each page.
        """
        while True:
            reply = self.unary(method, request, timeout=timeout, idempotent=True)
            yield from items(reply)
            if not reply.next_page_token:
                return
            request.page_token = reply.next_page_token
