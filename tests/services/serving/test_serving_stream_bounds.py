"""ModelStreamInfer's bound and order, on the servicer with a domain double whose requests
each wait for a gate the test opens: what a stream has in flight can then be seen exactly,
which a real model (answering in microseconds) never shows."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from slipway.inference.v2 import grpc_service_pb2 as pb
from slipway.services.serving.api.servicer import InferenceServicer
from slipway.services.serving.api.tensors import Limits
from slipway.services.serving.domain.inference import Inference, InputReader
from slipway.services.serving.domain.served import VersionInfo
from support.serving import WAIT_SECONDS
from support.waiting import wait_until


class GatedDeployments:
    """A domain double whose requests each wait for their own gate, counting how many run."""

    INFO = VersionInfo("m", 1, (), (), "", "", {})

    def __init__(self, ids: list[str]) -> None:
        self.gates = {request_id: asyncio.Event() for request_id in ids}
        self.running = 0
        self.most = 0

    async def infer(
        self, model: str, version: str, request_id: str, read: InputReader
    ) -> Inference:
        self.running += 1
        self.most = max(self.most, self.running)
        try:
            await self.gates[request_id].wait()
        finally:
            self.running -= 1
        return Inference(request_id, self.INFO, [], {})


async def _turns(count: int = 20) -> None:
    """Let every task that can run, run (the servicer and its double are all in this loop)."""
    for _ in range(count):
        await asyncio.sleep(0)


async def test_a_stream_reads_no_further_than_its_in_flight_limit() -> None:
    """With 2 in flight, the servicer works on 2 requests, has read 1 more waiting for room,
    reads nothing further until the oldest is answered, and answers in request order even
    when a later request finishes first."""
    ids = [f"r{i}" for i in range(6)]
    domain = GatedDeployments(ids)
    servicer = InferenceServicer(
        domain,  # type: ignore[arg-type]
        limits=Limits(max_rows=10, max_value_bytes=10, max_stream_in_flight=2),
    )
    pulled = 0

    async def sent() -> AsyncIterator[pb.ModelInferRequest]:
        nonlocal pulled
        for request_id in ids:
            pulled += 1
            yield pb.ModelInferRequest(model_name="m", id=request_id)

    replies: list[str] = []

    async def receive() -> None:
        async for reply in servicer.ModelStreamInfer(sent(), None):  # type: ignore[arg-type]
            replies.append(reply.infer_response.id)

    receiving = asyncio.create_task(receive())
    await wait_until(lambda: domain.running == 2, "two requests in flight")
    await _turns()
    assert (pulled, domain.running, replies) == (3, 2, [])

    domain.gates["r1"].set()  # the second finishes first: held until the first is answered
    await _turns()
    assert (pulled, replies) == (3, [])

    domain.gates["r0"].set()
    await wait_until(lambda: replies == ["r0", "r1"], "the first two answers, in order")
    await wait_until(lambda: domain.running == 2, "the next two requests in flight")
    for request_id in reversed(ids):
        domain.gates[request_id].set()
    await asyncio.wait_for(receiving, WAIT_SECONDS)
    assert replies == ids
    assert domain.most == 2
