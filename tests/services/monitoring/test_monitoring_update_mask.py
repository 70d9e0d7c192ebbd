"""UpdateMonitoringPolicy follows the update-mask rule of every Update (AIP-134, core.masks):
an omitted mask changes the fields that are set, `*` replaces every updatable field, a named
field is replaced (cleared when unset), an unknown path is INVALID_ARGUMENT."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import grpc
import pytest
from google.protobuf.field_mask_pb2 import FieldMask

from slipway.core.db import Database
from slipway.monitoring.v1 import monitoring_policy_pb2 as policy_pb2
from slipway.monitoring.v1 import monitoring_service_pb2 as pb
from slipway.monitoring.v1 import monitoring_service_pb2_grpc as pb_grpc
from support.monitoring import Monitoring, known_models, running_monitoring
from support.registry import Registry, error_reason, violated_fields


@pytest.fixture
async def monitoring(
    migrated_db: Database,
    tmp_path: Path,
    tokens_file: Path,
    tokens: dict[str, str],
    registry: Registry,
    service_token_file: Path,
) -> AsyncIterator[Monitoring]:
    await known_models(registry, "fruit")
    async with running_monitoring(
        migrated_db,
        tmp_path / "monitoring",
        tokens_file,
        tokens,
        registry.address,
        service_token_file,
        evaluate=False,
    ) as running:
        yield running


async def test_update_monitoring_policy_mask_rule(monitoring: Monitoring) -> None:
    s = cast("pb_grpc.MonitoringServiceAsyncStub", monitoring.stub)
    dev = monitoring.as_("developer")
    created = (
        await s.CreateMonitoringPolicy(
            pb.CreateMonitoringPolicyRequest(
                monitoring_policy=policy_pb2.MonitoringPolicy(
                    model="models/fruit", description="first", min_samples=50, disabled=True
                ),
                monitoring_policy_id="p",
            ),
            metadata=dev,
        )
    ).monitoring_policy

    async def update(mask: list[str] | None, **fields: Any) -> policy_pb2.MonitoringPolicy:
        request = pb.UpdateMonitoringPolicyRequest(
            monitoring_policy=policy_pb2.MonitoringPolicy(name=created.name, **fields)
        )
        if mask is not None:
            request.update_mask.CopyFrom(FieldMask(paths=mask))
        return (await s.UpdateMonitoringPolicy(request, metadata=dev)).monitoring_policy

    # Omitted: only what is set; `disabled` and `min_samples` are kept.
    changed = await update(None, description="second")
    assert (changed.description, changed.min_samples, changed.disabled) == ("second", 50, True)
    # Named: replaced, so `disabled` turns false only when named.
    changed = await update(["disabled"])
    assert (changed.description, changed.min_samples, changed.disabled) == ("second", 50, False)
    # `*`: every updatable field, unset ones cleared.
    changed = await update(["*"], min_samples=7)
    assert (changed.description, changed.min_samples) == ("", 7)
    assert changed.model == "models/fruit"
    for mask, fields in ((None, {}), (["model"], {}), (["labels"], {}), (["*", "window"], {})):
        request = pb.UpdateMonitoringPolicyRequest(
            monitoring_policy=policy_pb2.MonitoringPolicy(name=created.name, **fields)
        )
        if mask is not None:
            request.update_mask.CopyFrom(FieldMask(paths=mask))
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await s.UpdateMonitoringPolicy(request, metadata=dev)
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT, mask
        assert error_reason(refused.value) == "INVALID_UPDATE_MASK"
        assert violated_fields(refused.value) == ["update_mask"]
