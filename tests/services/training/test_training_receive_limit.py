"""Training's receive limit is what its largest request needs (issue 16, finding 2): a job spec
fits in well under 1 MiB, so a larger message is refused by the transport before it is
authenticated, through a real `slipway training` process."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import grpc
import pytest

from slipway.training.v1 import training_service_pb2 as pb
from slipway.training.v1 import training_service_pb2_grpc as pb_grpc
from support.processes import ServiceProcess
from support.registry import SQLITE_ONLY
from support.training import job

pytestmark = [SQLITE_ONLY]
MiB = 1024 * 1024


def _request(reason_bytes: int) -> pb.CreateTrainingJobRequest:
    return pb.CreateTrainingJobRequest(
        training_job=job("models/large", reason="r" * reason_bytes), validate_only=True
    )


async def test_a_request_over_one_mib_is_refused_before_authentication(
    spawn: Callable[..., Awaitable[ServiceProcess]],
) -> None:
    training = await spawn("training")
    options = [("grpc.max_send_message_length", 16 * MiB)]
    async with grpc.aio.insecure_channel(training.address, options=options) as channel:
        stub = pb_grpc.TrainingServiceStub(channel)
        # Under the limit, an anonymous call reaches authentication.
        with pytest.raises(grpc.aio.AioRpcError) as small:
            await stub.CreateTrainingJob(_request(MiB // 2), timeout=60)
        assert small.value.code() == grpc.StatusCode.UNAUTHENTICATED, small.value.details()
        # Over it (and under the 8 MiB it had), the transport refuses the message.
        with pytest.raises(grpc.aio.AioRpcError) as large:
            await stub.CreateTrainingJob(_request(2 * MiB), timeout=60)
        assert large.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, large.value.details()
