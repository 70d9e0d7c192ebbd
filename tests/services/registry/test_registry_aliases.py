"""Aliases over gRPC, on SQLite and PostgreSQL: protected aliases need an approver, a reason and a
READY version; refusals and moves land in the audit log; the alias history keeps every move and
cites its audit event; compare-and-set; a version holding an alias cannot be archived."""

from __future__ import annotations

import asyncio
import json

import grpc
import pytest

from slipway.audit.v1 import audit_event_pb2
from slipway.common.v1 import principal_pb2
from slipway.registry.v1 import alias_history_pb2, model_version_pb2
from slipway.registry.v1 import registry_service_pb2 as pb
from support.registry import (
    ARCHIVED,
    SQLITE_ONLY,
    error_reason,
    model_bytes,
    sha256,
    upload_requests,
    version_spec,
    violated_fields,
    wait_until,
)

OK = audit_event_pb2.AUDIT_OUTCOME_OK
DENIED = audit_event_pb2.AUDIT_OUTCOME_DENIED
SET = alias_history_pb2.ALIAS_CHANGE_SET
MOVED = alias_history_pb2.ALIAS_CHANGE_MOVED
DELETED = alias_history_pb2.ALIAS_CHANGE_DELETED


async def set_alias(
    registry, role: str, alias: str, version: int, reason: str = "", **fields
) -> pb.SetModelAliasResponse:
    return await registry.stub.SetModelAlias(
        pb.SetModelAliasRequest(
            name="models/churn", alias=alias, version_number=version, reason=reason, **fields
        ),
        metadata=registry.as_(role),
    )


async def refused_set(
    registry, role: str, alias: str, version: int, reason: str = "", **fields
) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await set_alias(registry, role, alias, version, reason, **fields)
    return refused.value


def refusal_counts(events) -> dict[tuple[str, str, str, str], int]:
    """The DENIED events as (principal, resource, reason, error reason) -> refusals counted:
    refusals are written per window, one event per key (two when calls straddle windows)."""
    counts: dict[tuple[str, str, str, str], int] = {}
    for e in events:
        if e.outcome == DENIED:
            key = (e.principal.name, e.resource, e.reason, e.error_reason)
            counts[key] = counts.get(key, 0) + json.loads(e.payload_json)["refusals"]
    return counts


async def test_a_developer_sets_staging_but_only_an_approver_sets_production_and_both_are_audited(
    start_registry,
):
    # Refusals are written when their window closes: a short one shows them while the test runs.
    async with start_registry(refusal_window_seconds=0.5) as registry:
        await registry.create_model("churn")
        await registry.ready_version("churn")

        staged = await set_alias(registry, "developer", "staging", 1)
        assert dict(staged.model.aliases) == {"staging": 1}
        assert staged.alias_history_entry.change == SET

        denied = await refused_set(registry, "developer", "production", 1, "ship it")
        assert denied.code() == grpc.StatusCode.PERMISSION_DENIED
        assert error_reason(denied) == "PROTECTED_ALIAS"

        for empty in ("", "   "):
            no_reason = await refused_set(registry, "approver", "production", 1, empty)
            assert no_reason.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert violated_fields(no_reason) == ["reason"]

        promoted = await set_alias(registry, "approver", "production", 1, "passed review #12")
        assert dict(promoted.model.aliases) == {"staging": 1, "production": 1}
        assert (await registry.get_version("models/churn@production")).version_number == 1

        async def all_refusals_written() -> list[audit_event_pb2.AuditEvent]:
            events = await registry.audit_events(action="registry.SetModelAlias")
            return events if sum(refusal_counts(events).values()) == 3 else []

        events = await wait_until(all_refusals_written, "the refusal window to be written")
    oks = [e for e in events if e.outcome == OK]
    assert [(e.principal.name, e.reason, e.error_reason) for e in oks] == [
        ("developer-user", "", ""),
        ("approver-user", "passed review #12", ""),
    ]
    # Refusals are counted per caller, resource and reason, without the caller's text.
    assert refusal_counts(events) == {
        ("developer-user", "models/churn@production", "", "PROTECTED_ALIAS"): 1,
        ("approver-user", "models/churn", "", "REASON_REQUIRED"): 2,
    }
    assert not [e for e in events if e.outcome not in (OK, DENIED)]
    staging_ok, production_ok = oks
    denied_event = next(
        e for e in events if e.principal.name == "developer-user" and e.outcome == DENIED
    )
    assert staging_ok.resource == "models/churn@staging"
    assert production_ok.resource == "models/churn@production"
    assert list(denied_event.principal.roles) == [principal_pb2.ROLE_DEVELOPER]
    assert list(production_ok.principal.roles) == [principal_pb2.ROLE_APPROVER]


@SQLITE_ONLY
async def test_a_refused_production_move_is_audited_on_the_alias_itself(start_registry):
    async with start_registry(refusal_window_seconds=0.5) as registry:
        await registry.create_model("churn")
        await registry.ready_version("churn")
        await refused_set(registry, "developer", "production", 1, "ship it")

        async def denied_events() -> list[audit_event_pb2.AuditEvent]:
            return await registry.audit_events(action="registry.SetModelAlias", outcome=DENIED)

        [denied] = await wait_until(denied_events, "the refusal window to be written")
    assert denied.resource == "models/churn@production"
    assert denied.reason == ""  # the caller's text is not kept with a refusal
    assert json.loads(denied.payload_json)["refusals"] == 1


async def test_a_protected_alias_only_points_to_a_ready_version(registry):
    await registry.create_model("churn")
    await registry.ready_version("churn")
    with pytest.raises(grpc.aio.AioRpcError):  # version 2 FAILED
        await registry.upload(
            "models/churn", model_bytes(2), spec=version_spec(model_bytes(2), digest=sha256(b"x"))
        )
    gate = asyncio.Event()  # version 3 stays PENDING until the gate opens
    uploading = asyncio.ensure_future(
        registry.stub.CreateModelVersion(
            upload_requests(
                "models/churn", model_bytes(3), version_spec(model_bytes(3)), gate=gate
            ),
            metadata=registry.as_("developer"),
            timeout=30,
        )
    )

    async def pending() -> list[model_version_pb2.ModelVersion]:
        return await registry.list_versions("models/churn", filter="state = PENDING")

    await wait_until(pending, "version 3 to be PENDING")
    for number in (2, 3):
        refused = await refused_set(registry, "approver", "production", number, "go")
        assert refused.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert error_reason(refused) == "VERSION_NOT_READY"
    missing = await refused_set(registry, "approver", "production", 9, "go")
    assert missing.code() == grpc.StatusCode.NOT_FOUND
    gate.set()
    await uploading

    await registry.stub.ArchiveModelVersion(
        pb.ArchiveModelVersionRequest(name="models/churn/versions/1", reason="old"),
        metadata=registry.as_("developer"),
    )
    archived = await refused_set(registry, "approver", "production", 1, "go")
    assert archived.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert (await set_alias(registry, "approver", "production", 3, "go")).model.aliases == {
        "production": 3
    }


async def test_alias_history_keeps_every_move_and_cites_its_audit_event(registry):
    await registry.create_model("churn")
    for seed in (1, 2):
        await registry.ready_version("churn", seed=seed)

    await set_alias(registry, "developer", "staging", 1, request_id="r-1")
    await set_alias(registry, "developer", "staging", 2, "better auc")
    unchanged = await set_alias(registry, "developer", "staging", 2, "again")  # not a move
    assert not unchanged.HasField("alias_history_entry")
    await set_alias(registry, "approver", "production", 1, "launch")
    await set_alias(registry, "approver", "production", 2, "roll forward")
    await registry.stub.DeleteModelAlias(
        pb.DeleteModelAliasRequest(name="models/churn", alias="staging", reason="retire staging"),
        metadata=registry.as_("developer"),
    )

    history = (
        await registry.stub.ListAliasHistory(
            pb.ListAliasHistoryRequest(parent="models/churn"), metadata=registry.as_("viewer")
        )
    ).alias_history_entries
    assert [
        (e.alias, e.change, e.from_version_number, e.to_version_number, e.actor.name, e.reason)
        for e in history
    ] == [
        ("staging", SET, 0, 1, "developer-user", ""),
        ("staging", MOVED, 1, 2, "developer-user", "better auc"),
        ("production", SET, 0, 1, "approver-user", "launch"),
        ("production", MOVED, 1, 2, "approver-user", "roll forward"),
        ("staging", DELETED, 2, 0, "developer-user", "retire staging"),
    ]
    assert history[0].request_id == "r-1"
    assert all(e.change_time.seconds > 0 and e.model == "models/churn" for e in history)
    assert list(history[2].actor.roles) == [principal_pb2.ROLE_APPROVER]

    audited = {
        e.event_id: e
        for e in await registry.audit_events(resource_prefix="models/churn@", outcome=OK)
    }
    for entry in history:
        event = audited[entry.audit_event_id]
        assert event.resource == f"models/churn@{entry.alias}"
        assert event.reason == entry.reason
        assert event.principal.name == entry.actor.name
    assert len(audited) == len(history)

    staging_only = await registry.stub.ListAliasHistory(
        pb.ListAliasHistoryRequest(parent="models/churn", filter='alias = "staging"'),
        metadata=registry.as_("viewer"),
    )
    assert [e.change for e in staging_only.alias_history_entries] == [SET, MOVED, DELETED]
    touching_1 = await registry.stub.ListAliasHistory(
        pb.ListAliasHistoryRequest(
            parent="models/churn", filter="from_version_number = 1 OR to_version_number = 1"
        ),
        metadata=registry.as_("viewer"),
    )
    assert len(touching_1.alias_history_entries) == 4
    newest_first = await registry.stub.ListAliasHistory(
        pb.ListAliasHistoryRequest(parent="models/churn", order_by="change_time desc"),
        metadata=registry.as_("viewer"),
    )
    assert [e.name for e in newest_first.alias_history_entries] == [
        e.name for e in reversed(history)
    ]
    staging_deleted = await registry.stub.ListAliasHistory(
        pb.ListAliasHistoryRequest(
            parent="models/churn", filter='alias = "staging" AND change = DELETED'
        ),
        metadata=registry.as_("viewer"),
    )
    assert [e.change for e in staging_deleted.alias_history_entries] == [DELETED]

    paged: list[str] = []
    token = ""
    for _ in range(10):
        page = await registry.stub.ListAliasHistory(
            pb.ListAliasHistoryRequest(parent="models/churn", page_size=1, page_token=token),
            metadata=registry.as_("viewer"),
        )
        assert len(page.alias_history_entries) == 1
        paged.append(page.alias_history_entries[0].name)
        token = page.next_page_token
        if not token:
            break
    assert paged == [e.name for e in history]


async def test_expected_version_number_makes_a_move_compare_and_set(registry):
    await registry.create_model("churn")
    for seed in (1, 2):
        await registry.ready_version("churn", seed=seed)
    await set_alias(registry, "developer", "staging", 1, expected_version_number=0)
    lost = await refused_set(registry, "developer", "staging", 2, expected_version_number=2)
    assert lost.code() == grpc.StatusCode.ABORTED
    assert error_reason(lost) == "ALIAS_CHANGED"
    unset = await refused_set(registry, "developer", "canary", 2, expected_version_number=1)
    assert unset.code() == grpc.StatusCode.ABORTED
    moved = await set_alias(registry, "developer", "staging", 2, expected_version_number=1)
    assert dict(moved.model.aliases) == {"staging": 2}


async def test_a_version_holding_an_alias_cannot_be_archived(registry):
    await registry.create_model("churn")
    version = await registry.ready_version("churn")
    await set_alias(registry, "developer", "staging", 1)

    with pytest.raises(grpc.aio.AioRpcError) as held:
        await registry.stub.ArchiveModelVersion(
            pb.ArchiveModelVersionRequest(name="models/churn@staging", reason="old"),
            metadata=registry.as_("developer"),
        )
    assert held.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert error_reason(held.value) == "VERSION_HAS_ALIASES"
    assert (await registry.get_version(version.name)).aliases == ["staging"]

    await registry.stub.DeleteModelAlias(
        pb.DeleteModelAliasRequest(name="models/churn", alias="staging"),
        metadata=registry.as_("developer"),
    )
    archived = (
        await registry.stub.ArchiveModelVersion(
            pb.ArchiveModelVersionRequest(name=version.name, reason="old"),
            metadata=registry.as_("developer"),
        )
    ).model_version
    assert archived.state == ARCHIVED
    assert list(archived.aliases) == []
    _, data = await registry.download(version.name)  # archived versions keep their bytes
    assert data == model_bytes()
