"""A request id names one request: a retry of it gets the first answer, a different request that
reuses it is refused (REQUEST_ID_REUSED) instead of answered with another request's result."""

from __future__ import annotations

import grpc
import pytest

from slipway.registry.v1 import model_pb2
from slipway.registry.v1 import registry_service_pb2 as pb
from support.registry import error_reason, model_bytes, violated_fields


def _create(model_id: str, description: str, request_id: str) -> pb.CreateModelRequest:
    return pb.CreateModelRequest(
        model_id=model_id,
        model=model_pb2.Model(description=description),
        request_id=request_id,
    )


async def test_a_reused_request_id_with_another_request_is_refused(registry):
    call = registry.stub.CreateModel
    first = await call(_create("churn", "first", "r-1"), metadata=registry.as_("developer"))
    retry = await call(_create("churn", "first", "r-1"), metadata=registry.as_("developer"))
    assert retry.model == first.model  # a retry: the first answer, nothing done twice

    for other in (_create("churn", "second", "r-1"), _create("fraud", "first", "r-1")):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await call(other, metadata=registry.as_("developer"))
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT, caught.value
        assert error_reason(caught.value) == "REQUEST_ID_REUSED", caught.value
        assert violated_fields(caught.value) == ["request_id"]
    models = await registry.stub.ListModels(pb.ListModelsRequest(), metadata=registry.as_("viewer"))
    assert [m.name for m in models.models] == ["models/churn"]
    assert models.models[0].description == "first"

    # Another caller's request with the same id is its own request.
    theirs = await call(_create("fraud", "theirs", "r-1"), metadata=registry.as_("admin"))
    assert theirs.model.name == "models/fraud"


async def test_a_reused_request_id_on_an_alias_move_is_refused(registry):
    await registry.upload("models/churn", create_model=True)
    await registry.upload("models/churn", model_bytes(1))
    metadata = registry.as_("approver")

    def move(version: int) -> pb.SetModelAliasRequest:
        return pb.SetModelAliasRequest(
            name="models/churn",
            alias="production",
            version_number=version,
            reason="promote",
            request_id="promote-1",
        )

    await registry.stub.SetModelAlias(move(1), metadata=metadata)
    await registry.stub.SetModelAlias(move(1), metadata=metadata)  # the retry
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await registry.stub.SetModelAlias(move(2), metadata=metadata)
    assert error_reason(caught.value) == "REQUEST_ID_REUSED", caught.value
    model = await registry.stub.GetModel(
        pb.GetModelRequest(name="models/churn"), metadata=registry.as_("viewer")
    )
    assert model.model.aliases["production"] == 1
