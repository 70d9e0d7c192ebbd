"""ModelStreamInfer streams count against the open-stream caps, as Watch streams do: one caller
cannot hold every call slot of serving by opening streams and leaving them open."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import grpc
import pytest
from sklearn.datasets import load_iris

from slipway.inference.v2 import grpc_service_pb2 as pb
from support.registry import Registry, error_reason
from support.serving import StartServing, matrix_request

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

ROWS = load_iris().data[:1]


class HeldStream:
    """A stream that stays open until closed, after answering one request."""

    def __init__(self, call_factory: object) -> None:
        self.requests: asyncio.Queue[pb.ModelInferRequest | None] = asyncio.Queue()
        self.requests.put_nowait(matrix_request("iris", ROWS))

        async def sent() -> AsyncIterator[pb.ModelInferRequest]:
            while (request := await self.requests.get()) is not None:
                yield request

        self.call = call_factory(sent())  # type: ignore[operator]

    def close(self) -> None:
        self.requests.put_nowait(None)


async def test_inference_streams_are_capped_per_caller(
    start_serving: StartServing, registry: Registry, iris_registered: list[int]
) -> None:
    async with start_serving(
        registry.address, deployments=["iris@production"], max_watch_streams_per_principal=2
    ) as serving:

        def open_stream() -> HeldStream:
            return HeldStream(
                lambda requests: serving.stub.ModelStreamInfer(
                    requests, metadata=serving.as_(), timeout=60
                )
            )

        held = [open_stream(), open_stream()]
        for stream in held:  # both answered: both open and counted
            reply = await stream.call.read()
            assert not reply.error_message, reply.error_message

        third = open_stream()
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await third.call.read()
        assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert error_reason(caught.value) == "TOO_MANY_WATCH_STREAMS"
        # Unary inference is not a stream: still answered while the caller is at its cap.
        await serving.infer(matrix_request("iris", ROWS))

        held[0].close()
        assert await held[0].call.read() is grpc.aio.EOF
        again = open_stream()
        assert not (await again.call.read()).error_message  # the slot was given back
        for stream in (held[1], again):
            stream.close()
            assert await stream.call.read() is grpc.aio.EOF
