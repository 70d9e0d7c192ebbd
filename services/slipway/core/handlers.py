"""Method handlers built from a service descriptor and a servicer object.

A servicer implements an RPC by defining an ``async def`` (or async generator) with the proto's
name. RPCs that the contract defines but the servicer does not implement yet still decode their
request like a real handler (so auth, metrics and logging see a normal call) and answer
UNIMPLEMENTED with an ErrorInfo naming the method, rather than a bare "method not found".
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import grpc
from google.protobuf import message_factory
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor
from google.protobuf.message import DecodeError
from grpc.aio import ServicerContext

from slipway.core.errors import InvalidArgumentError, UnimplementedError
from slipway.core.reasons import Reason

# The servicer context type for annotations in every servicer.
if TYPE_CHECKING:  # the runtime class is not subscriptable; the typing stubs are generic
    Context = ServicerContext[Any, Any]
else:
    Context = ServicerContext


def _answer(method: MethodDescriptor) -> UnimplementedError:
    return UnimplementedError(
        f"{method.full_name} is part of the contract but not implemented in this release",
        reason=Reason.NOT_IMPLEMENTED_YET,
        metadata={"method": method.full_name},
    )


@dataclass(frozen=True)
class Undecodable:
    """What the deserializer hands on for bytes that are not the request message (bad wire
    format, a string field that is not UTF-8). gRPC would answer a deserializer's exception with
    UNKNOWN and the exception's class name, before any interceptor runs; the handler raises
    INVALID_ARGUMENT for it instead, after authentication, like any other bad request."""

    message_type: str
    detail: str

    def error(self) -> InvalidArgumentError:
        return InvalidArgumentError(
            f"the request is not a valid {self.message_type}: {self.detail}",
            reason=Reason.INVALID_REQUEST_ENCODING,
        )


def _serializers(method: MethodDescriptor, request_class: Any = None) -> dict[str, Any]:
    if request_class is None:
        request_class = message_factory.GetMessageClass(method.input_type)
    response_class = message_factory.GetMessageClass(method.output_type)

    def decode(data: bytes) -> Any:
        try:
            return request_class.FromString(data)
        except DecodeError as error:
            return Undecodable(method.input_type.full_name, str(error))

    return {"request_deserializer": decode, "response_serializer": response_class.SerializeToString}


async def _checked_requests(requests: AsyncIterator[Any]) -> AsyncIterator[Any]:
    async for request in requests:
        if isinstance(request, Undecodable):
            raise request.error()
        yield request


def _checked(method: MethodDescriptor, behaviour: Any) -> Any:
    """``behaviour`` refusing undecodable requests (see :class:`Undecodable`)."""
    if method.client_streaming:
        if method.server_streaming:

            async def stream_stream(
                requests: AsyncIterator[Any], ctx: Context
            ) -> AsyncIterator[Any]:
                async with contextlib.aclosing(
                    behaviour(_checked_requests(requests), ctx)
                ) as replies:
                    async for reply in replies:
                        yield reply

            return stream_stream

        async def stream_unary(requests: AsyncIterator[Any], ctx: Context) -> Any:
            return await behaviour(_checked_requests(requests), ctx)

        return stream_unary
    if method.server_streaming:

        async def unary_stream(request: Any, ctx: Context) -> AsyncIterator[Any]:
            if isinstance(request, Undecodable):
                raise request.error()
            async with contextlib.aclosing(behaviour(request, ctx)) as replies:
                async for reply in replies:  # closed at once if this stream is closed
                    yield reply

        return unary_stream

    async def unary_unary(request: Any, ctx: Context) -> Any:
        if isinstance(request, Undecodable):
            raise request.error()
        return await behaviour(request, ctx)

    return unary_unary


def _implemented(
    method: MethodDescriptor, behaviour: Any, request_class: Any = None
) -> grpc.RpcMethodHandler[Any, Any]:
    kwargs = _serializers(method, request_class)
    behaviour = _checked(method, behaviour)
    if method.client_streaming and method.server_streaming:
        return grpc.stream_stream_rpc_method_handler(behaviour, **kwargs)
    if method.client_streaming:
        return grpc.stream_unary_rpc_method_handler(behaviour, **kwargs)
    if method.server_streaming:
        return grpc.unary_stream_rpc_method_handler(behaviour, **kwargs)
    return grpc.unary_unary_rpc_method_handler(behaviour, **kwargs)


def _unimplemented(method: MethodDescriptor) -> grpc.RpcMethodHandler[Any, Any]:
    kwargs = _serializers(method)
    if method.client_streaming and method.server_streaming:

        async def stream_stream(_requests: Any, _ctx: Context) -> AsyncIterator[Any]:
            raise _answer(method)
            yield  # makes this an async generator, as gRPC expects for streaming responses

        return grpc.stream_stream_rpc_method_handler(stream_stream, **kwargs)
    if method.client_streaming:

        async def stream_unary(_requests: Any, _ctx: Context) -> Any:
            raise _answer(method)

        return grpc.stream_unary_rpc_method_handler(stream_unary, **kwargs)
    if method.server_streaming:

        async def unary_stream(_request: Any, _ctx: Context) -> AsyncIterator[Any]:
            raise _answer(method)
            yield  # makes this an async generator, as gRPC expects for streaming responses

        return grpc.unary_stream_rpc_method_handler(unary_stream, **kwargs)

    async def unary_unary(_request: Any, _ctx: Context) -> Any:
        raise _answer(method)

    return grpc.unary_unary_rpc_method_handler(unary_unary, **kwargs)


def _behaviour(servicer: object | None, method: MethodDescriptor) -> Any:
    """The servicer's async method for ``method``, or None when it does not implement it.

    Generated servicer base classes define every method as a plain function that answers
    UNIMPLEMENTED; only coroutine functions and async generators count as implementations.
    """
    candidate = getattr(servicer, method.name, None) if servicer is not None else None
    if inspect.iscoroutinefunction(candidate) or inspect.isasyncgenfunction(candidate):
        return candidate
    return None


def service_handler(service: ServiceDescriptor, servicer: object | None) -> grpc.GenericRpcHandler:
    """Handlers for every method of ``service``: the servicer's, or UNIMPLEMENTED ones.

    A servicer may name, in ``REQUEST_VIEWS``, a message class to decode a method's requests
    into instead of the request message: a view with the same wire format that leaves parts
    of the request undecoded (monitoring's ingest keeps records' tensors as bytes)."""
    handlers = {}
    views: dict[str, Any] = getattr(servicer, "REQUEST_VIEWS", {})
    for method in service.methods:
        behaviour = _behaviour(servicer, method)
        handlers[method.name] = (
            _implemented(method, behaviour, views.get(method.name))
            if behaviour
            else _unimplemented(method)
        )
    return grpc.method_handlers_generic_handler(service.full_name, handlers)
