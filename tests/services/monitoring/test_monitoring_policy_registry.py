"""A policy names a model of the registry and features of that model: checked on create and
on update, through the public API; an unreachable registry is UNAVAILABLE, never a blind yes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf.field_mask_pb2 import FieldMask

from slipway.core.db import Database
from slipway.monitoring.v1 import drift_pb2
from slipway.monitoring.v1 import monitoring_policy_pb2 as policy_pb2
from slipway.monitoring.v1 import monitoring_service_pb2 as pb
from support.monitoring import Fruit, Monitoring, known_models, running_monitoring
from support.registry import Registry, error_reason, violated_fields

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _policy(model: str = "models/fruit", overrides: tuple[str, ...] = ()) -> Any:
    policy = policy_pb2.MonitoringPolicy(model=model)
    for name in overrides:
        policy.drift.feature_overrides[name].method = drift_pb2.DRIFT_METHOD_PSI
    return policy


async def _create(m: Monitoring, policy: policy_pb2.MonitoringPolicy) -> Any:
    return await m.stub.CreateMonitoringPolicy(
        pb.CreateMonitoringPolicyRequest(monitoring_policy=policy), metadata=m.as_("developer")
    )


async def _refused(call: Any, code: grpc.StatusCode, reason: str) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    error = caught.value
    assert (error.code(), error_reason(error)) == (code, reason), error.details()
    return error


@pytest.fixture
async def monitoring(  # type: ignore[no-untyped-def]
    migrated_db: Database,
    tmp_path: Path,
    tokens_file: Path,
    tokens: dict[str, str],
    registry: Registry,
    service_token_file: Path,
):
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


async def test_a_policy_needs_a_model_of_the_registry(
    monitoring: Monitoring, registry: Registry
) -> None:
    await _refused(
        _create(monitoring, _policy("models/missing")), grpc.StatusCode.NOT_FOUND, "MODEL_NOT_FOUND"
    )
    listed = await monitoring.stub.ListMonitoringPolicies(
        pb.ListMonitoringPoliciesRequest(), metadata=monitoring.as_("viewer")
    )
    assert not listed.monitoring_policies  # nothing stored
    # A model without versions yet may be watched; its features cannot be overridden yet.
    await known_models(registry, "empty")
    assert (await _create(monitoring, _policy("models/empty"))).monitoring_policy.name
    error = await _refused(
        _create(monitoring, _policy("models/empty", ("size",))),
        grpc.StatusCode.INVALID_ARGUMENT,
        "UNKNOWN_FEATURE",
    )
    assert "no READY version" in (error.details() or "")


async def test_overrides_must_name_features_of_the_model(
    monitoring: Monitoring, fruit: Fruit
) -> None:
    error = await _refused(
        _create(monitoring, _policy(overrides=("weight", "wieght"))),
        grpc.StatusCode.INVALID_ARGUMENT,
        "UNKNOWN_FEATURE",
    )
    assert violated_fields(error) == ['monitoring_policy.drift.feature_overrides["wieght"]']
    assert "wieght" in (error.details() or "")
    created = (await _create(monitoring, _policy(overrides=("weight",)))).monitoring_policy

    def update(*names: str) -> Any:
        change = _policy("", names)
        change.name = created.name
        return monitoring.stub.UpdateMonitoringPolicy(
            pb.UpdateMonitoringPolicyRequest(
                monitoring_policy=change, update_mask=FieldMask(paths=["drift"])
            ),
            metadata=monitoring.as_("developer"),
        )

    error = await _refused(
        update("colour", "shape"), grpc.StatusCode.INVALID_ARGUMENT, "UNKNOWN_FEATURE"
    )
    assert violated_fields(error) == ['monitoring_policy.drift.feature_overrides["shape"]']
    updated = (await update("colour")).monitoring_policy
    assert sorted(updated.drift.feature_overrides) == ["colour"]


async def test_an_unreachable_registry_is_unavailable(
    migrated_db: Database,
    tmp_path: Path,
    tokens_file: Path,
    tokens: dict[str, str],
    service_token_file: Path,
) -> None:
    async with running_monitoring(
        migrated_db,
        tmp_path / "monitoring",
        tokens_file,
        tokens,
        "127.0.0.1:1",  # nothing listens there
        service_token_file,
        evaluate=False,
    ) as monitoring:
        await _refused(
            _create(monitoring, _policy()), grpc.StatusCode.UNAVAILABLE, "REGISTRY_UNAVAILABLE"
        )


async def test_only_an_approver_writes_a_retraining_policy_landing_on_live_traffic(
    monitoring: Monitoring, registry: Registry
) -> None:
    """A RETRAIN policy starts jobs as monitoring (a peer), which training and the registry let
    land on ``challenger``: the person who writes such a policy must be an approver."""
    await known_models(registry, "empty")

    def retraining(alias: str = "") -> Any:
        policy = _policy("models/empty")
        policy.action = policy_pb2.POLICY_ACTION_RETRAIN
        policy.retraining.alias_on_success = alias
        return policy

    def create(policy: Any, role: str) -> Any:
        return monitoring.stub.CreateMonitoringPolicy(
            pb.CreateMonitoringPolicyRequest(monitoring_policy=policy, reason="retrain"),
            metadata=monitoring.as_(role),
        )

    # The default alias (challenger) and an explicit one both take live traffic.
    for policy in (retraining(), retraining("challenger")):
        error = await _refused(
            create(policy, "developer"), grpc.StatusCode.PERMISSION_DENIED, "PROTECTED_ALIAS"
        )
        assert "challenger" in (error.details() or "")
    listed = await monitoring.stub.ListMonitoringPolicies(
        pb.ListMonitoringPoliciesRequest(), metadata=monitoring.as_("viewer")
    )
    assert not listed.monitoring_policies  # nothing stored
    # An alias that takes no traffic is the developer's own; an approver may choose challenger.
    own = (await create(retraining("retrained"), "developer")).monitoring_policy
    assert (await create(retraining(), "approver")).monitoring_policy.name

    def change(paths: list[str], policy: Any, role: str) -> Any:
        policy.name = own.name
        return monitoring.stub.UpdateMonitoringPolicy(
            pb.UpdateMonitoringPolicyRequest(
                monitoring_policy=policy, update_mask=FieldMask(paths=paths), reason="retarget"
            ),
            metadata=monitoring.as_(role),
        )

    # Moving the developer's policy onto challenger is the same landing: refused, then approved.
    await _refused(
        change(["retraining"], retraining(), "developer"),
        grpc.StatusCode.PERMISSION_DENIED,
        "PROTECTED_ALIAS",
    )
    described = policy_pb2.MonitoringPolicy(description="watched weekly")
    assert (await change(["description"], described, "developer")).monitoring_policy.name
    moved = (await change(["retraining"], retraining(), "approver")).monitoring_policy
    assert moved.retraining.alias_on_success == ""  # the default: challenger
