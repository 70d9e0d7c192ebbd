"""Models over gRPC, on SQLite and PostgreSQL: create, get, list, update with a field mask and an
etag, delete only when no versions remain (or, by an admin with force, only archived ones)."""

from __future__ import annotations

import json

import grpc
import pytest
from google.protobuf.field_mask_pb2 import FieldMask

from slipway.audit.v1 import audit_event_pb2
from slipway.registry.v1 import model_pb2
from slipway.registry.v1 import registry_service_pb2 as pb
from support.registry import ARCHIVED, error_reason, violated_fields
from support.waiting import wait_until


async def test_create_get_list_and_update_a_model(registry):
    created = await registry.create_model(
        "churn", description="churn model", labels={"team": "growth"}
    )
    assert created.name == "models/churn"
    assert created.description == "churn model"
    assert dict(created.labels) == {"team": "growth"}
    assert created.created_by == "developer-user"
    assert created.latest_version_number == 0
    assert created.etag
    assert created.create_time.seconds > 0

    with pytest.raises(grpc.aio.AioRpcError) as duplicate:
        await registry.create_model("churn", description="again")
    assert duplicate.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert error_reason(duplicate.value) == "MODEL_EXISTS"

    got = await registry.stub.GetModel(
        pb.GetModelRequest(name="models/churn"), metadata=registry.as_("viewer")
    )
    assert got.model == created
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await registry.stub.GetModel(
            pb.GetModelRequest(name="models/nope"), metadata=registry.as_("viewer")
        )
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    assert error_reason(missing.value) == "MODEL_NOT_FOUND"

    await registry.create_model("fraud", labels={"team": "risk"})
    await registry.create_model("upsell", labels={"team": "growth"})
    listed = await registry.stub.ListModels(
        pb.ListModelsRequest(filter='labels.team = "growth"', order_by="name desc"),
        metadata=registry.as_("viewer"),
    )
    assert [m.name for m in listed.models] == ["models/upsell", "models/churn"]
    assert listed.next_page_token == ""

    # Only the masked field changes; the etag moves with it.
    updated = (
        await registry.stub.UpdateModel(
            pb.UpdateModelRequest(
                model=model_pb2.Model(
                    name="models/churn",
                    description="v2 text",
                    labels={"ignored": "yes"},
                    etag=created.etag,
                ),
                update_mask=FieldMask(paths=["description"]),
                reason="clearer",
            ),
            metadata=registry.as_("developer"),
        )
    ).model
    assert updated.description == "v2 text"
    assert dict(updated.labels) == {"team": "growth"}
    assert updated.etag != created.etag

    # No mask: both updatable fields are replaced.
    relabelled = (
        await registry.stub.UpdateModel(
            pb.UpdateModelRequest(
                model=model_pb2.Model(
                    name="models/churn", description="v3", labels={"team": "core"}
                )
            ),
            metadata=registry.as_("developer"),
        )
    ).model
    assert (relabelled.description, dict(relabelled.labels)) == ("v3", {"team": "core"})

    # A stale etag loses: ABORTED, and nothing changes.
    with pytest.raises(grpc.aio.AioRpcError) as stale:
        await registry.stub.UpdateModel(
            pb.UpdateModelRequest(
                model=model_pb2.Model(name="models/churn", description="lost", etag=updated.etag),
                update_mask=FieldMask(paths=["description"]),
            ),
            metadata=registry.as_("developer"),
        )
    assert stale.value.code() == grpc.StatusCode.ABORTED
    assert error_reason(stale.value) == "ETAG_MISMATCH"

    with pytest.raises(grpc.aio.AioRpcError) as bad_mask:
        await registry.stub.UpdateModel(
            pb.UpdateModelRequest(
                model=model_pb2.Model(name="models/churn"), update_mask=FieldMask(paths=["aliases"])
            ),
            metadata=registry.as_("developer"),
        )
    assert bad_mask.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violated_fields(bad_mask.value) == ["update_mask"]

    with pytest.raises(grpc.aio.AioRpcError) as update_missing:
        await registry.stub.UpdateModel(
            pb.UpdateModelRequest(model=model_pb2.Model(name="models/nope", description="x")),
            metadata=registry.as_("developer"),
        )
    assert update_missing.value.code() == grpc.StatusCode.NOT_FOUND

    final = await registry.stub.GetModel(
        pb.GetModelRequest(name="models/churn"), metadata=registry.as_("viewer")
    )
    assert final.model == relabelled

    # Each change is in the audit log with its before and after.
    updates = await registry.audit_events(
        action="registry.UpdateModel",
        resource="models/churn",
        outcome=audit_event_pb2.AUDIT_OUTCOME_OK,
    )
    assert [e.reason for e in updates] == ["clearer", ""]


async def test_delete_needs_no_versions_or_an_admin_forcing_over_archived_ones(start_registry):
    # Refusals are written when their window closes: a short one shows them while the test runs.
    async with start_registry(refusal_window_seconds=0.5) as registry:
        await registry.create_model("empty")
        await registry.stub.DeleteModel(
            pb.DeleteModelRequest(name="models/empty", reason="unused"),
            metadata=registry.as_("developer"),
        )
        with pytest.raises(grpc.aio.AioRpcError) as gone:
            await registry.stub.GetModel(
                pb.GetModelRequest(name="models/empty"), metadata=registry.as_("viewer")
            )
        assert gone.value.code() == grpc.StatusCode.NOT_FOUND
        with pytest.raises(grpc.aio.AioRpcError) as twice:
            await registry.stub.DeleteModel(
                pb.DeleteModelRequest(name="models/empty"), metadata=registry.as_("developer")
            )
        assert twice.value.code() == grpc.StatusCode.NOT_FOUND

        await registry.create_model("churn")
        version = await registry.ready_version("churn")

        async def delete(role: str, *, force: bool) -> pytest.ExceptionInfo[grpc.aio.AioRpcError]:
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await registry.stub.DeleteModel(
                    pb.DeleteModelRequest(name="models/churn", force=force, reason="cleanup"),
                    metadata=registry.as_(role),
                )
            return refused

        no_force = await delete("admin", force=False)
        assert no_force.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert error_reason(no_force.value) == "MODEL_HAS_VERSIONS"
        not_admin = await delete("developer", force=True)
        assert not_admin.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert error_reason(not_admin.value) == "FORCE_DELETE_NEEDS_ADMIN"
        live = await delete("admin", force=True)
        assert live.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert error_reason(live.value) == "VERSIONS_NOT_ARCHIVED"

        archived = await registry.stub.ArchiveModelVersion(
            pb.ArchiveModelVersionRequest(name=version.name, reason="superseded"),
            metadata=registry.as_("developer"),
        )
        assert archived.model_version.state == ARCHIVED
        await registry.stub.DeleteModel(
            pb.DeleteModelRequest(name="models/churn", force=True, reason="retired"),
            metadata=registry.as_("admin"),
        )
        with pytest.raises(grpc.aio.AioRpcError) as deleted:
            await registry.get_version(version.name)
        assert deleted.value.code() == grpc.StatusCode.NOT_FOUND

        async def all_written() -> list[audit_event_pb2.AuditEvent]:
            events = await registry.audit_events(
                action="registry.DeleteModel", resource="models/churn"
            )
            return events if len(events) == 4 else []

        events = await wait_until(all_written, "the refusal window to be written")
    outcomes = [
        (audit_event_pb2.AuditOutcome.Name(e.outcome), e.principal.name, e.error_reason)
        for e in events
    ]
    # Failed changes are written as they fail, in order; the developer's refusal is counted and
    # written (without its reason text) when its window closes.
    assert [o for o in outcomes if o[0] != "AUDIT_OUTCOME_DENIED"] == [
        ("AUDIT_OUTCOME_FAILED", "admin-user", "MODEL_HAS_VERSIONS"),
        ("AUDIT_OUTCOME_FAILED", "admin-user", "VERSIONS_NOT_ARCHIVED"),
        ("AUDIT_OUTCOME_OK", "admin-user", ""),
    ]
    [denied] = [e for e in events if e.outcome == audit_event_pb2.AUDIT_OUTCOME_DENIED]
    assert (denied.principal.name, denied.error_reason, denied.reason) == (
        "developer-user",
        "FORCE_DELETE_NEEDS_ADMIN",
        "",
    )
    assert json.loads(denied.payload_json)["refusals"] == 1
    assert [e.reason for e in events if e.outcome != audit_event_pb2.AUDIT_OUTCOME_DENIED] == [
        "cleanup",
        "cleanup",
        "retired",
    ]
