"""Calls refused at the edge are counted, not written one by one, on SQLite and PostgreSQL: a
flood of anonymous calls with 16 KiB reasons leaves a handful of compact audit events with the
total count and none of the callers' text; a known principal's refusals keep the resource it
asked for; distinct callers beyond the per-window cap fold into one '(others)' event; windows are
written as they close, and the open one at a graceful stop."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
from collections.abc import Callable
from typing import Any

import grpc
import pytest
from sqlalchemy import text

from slipway.audit.v1 import audit_event_pb2
from slipway.core.audit.log import verify
from slipway.registry.v1 import registry_service_pb2 as pb
from support.registry import Registry
from support.waiting import wait_until

StartRegistry = Callable[..., contextlib.AbstractAsyncContextManager[Registry]]
FLOOD = 300
SECRET = "HOSTILE-REASON-"
CONCURRENCY = 50
FAILED = audit_event_pb2.AUDIT_OUTCOME_FAILED


def denied_rows(registry: Registry) -> list[dict[str, Any]]:
    with registry.db.unit_of_work(read_only=True) as session:
        rows = session.execute(
            text(
                "SELECT principal, roles, action, resource, reason, request_id, status_code, "
                "error_reason, payload FROM audit_events WHERE outcome = 'DENIED' "
                "ORDER BY sequence"
            )
        ).all()
    return [dict(row._mapping) | {"payload": json.loads(row.payload)} for row in rows]


async def refused_call(call: Any, request: Any, metadata: Any = ()) -> grpc.StatusCode:
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await call(request, metadata=metadata, timeout=30)
    return error.value.code()


async def test_anonymous_floods_leave_a_few_compact_events_with_the_count(
    start_registry: StartRegistry,
) -> None:
    reason = SECRET + "x" * (16 * 1024 - len(SECRET))
    async with start_registry() as registry:
        model = (await registry.create_model("churn")).name
        request = pb.SetModelAliasRequest(
            name=model, alias="production", version_number=1, reason=reason
        )
        codes: list[grpc.StatusCode] = []
        flood_started = time.monotonic()
        for start in range(0, FLOOD, CONCURRENCY):  # bounded: FLOOD calls, CONCURRENCY at once
            codes += await asyncio.gather(
                *(
                    refused_call(
                        registry.stub.SetModelAlias,
                        request,
                        (("x-request-id", f"{SECRET}{start + i}"),),
                    )
                    for i in range(min(CONCURRENCY, FLOOD - start))
                )
            )
        flood_seconds = time.monotonic() - flood_started
        assert set(codes) == {grpc.StatusCode.UNAUTHENTICATED}
        for _ in range(3):  # a viewer may not move aliases: known, so its resource is kept
            assert (
                await refused_call(
                    registry.stub.SetModelAlias,
                    pb.SetModelAliasRequest(
                        name=model, alias="production", version_number=1, reason=reason
                    ),
                    registry.as_("viewer"),
                )
                == grpc.StatusCode.PERMISSION_DENIED
            )
    # The registry stopped gracefully: the open window was written.
    rows = denied_rows(registry)
    anonymous = [r for r in rows if r["principal"] == "anonymous"]
    viewer = [r for r in rows if r["principal"] == "viewer-user"]
    # One per 60 s window the flood touched: one or two, more only on a very slow machine.
    assert 1 <= len(anonymous) <= math.ceil(flood_seconds / 60) + 1, flood_seconds
    assert sum(r["payload"]["refusals"] for r in anonymous) == FLOOD
    assert sum(r["payload"]["refusals"] for r in viewer) == 3
    for row in anonymous:
        assert (row["action"], row["status_code"], row["error_reason"]) == (
            "registry.SetModelAlias",
            "UNAUTHENTICATED",
            "TOKEN_MISSING",
        )
        assert (row["resource"], row["reason"], row["request_id"]) == ("", "", "")
        assert row["payload"]["peer"] == "127.0.0.1"
        assert row["payload"]["first_time"] <= row["payload"]["last_time"]
    for row in viewer:
        assert (row["resource"], row["reason"], row["roles"]) == (model, "", "viewer")
    # None of the callers' text was stored, and every event is small.
    assert not any(SECRET in json.dumps(r, default=str) for r in rows)
    assert all(len(json.dumps(r, default=str)) < 2048 for r in rows)
    with registry.db.unit_of_work(read_only=True) as session:
        assert verify(session).ok


async def test_callers_beyond_the_cap_fold_into_one_event_written_as_the_window_closes(
    start_registry: StartRegistry,
) -> None:
    methods = ("DeleteModel", "UpdateModel", "CreateModel", "DeleteModelAlias", "GetModel")
    async with start_registry(refusal_window_seconds=1.0, refusal_keys_per_window=2) as registry:
        requests: dict[str, Any] = {
            "DeleteModel": pb.DeleteModelRequest(name="models/m", reason="x"),
            "UpdateModel": pb.UpdateModelRequest(),
            "CreateModel": pb.CreateModelRequest(model_id="m"),
            "DeleteModelAlias": pb.DeleteModelAliasRequest(name="models/m", alias="a"),
            "GetModel": pb.GetModelRequest(name="models/m"),
        }
        for name in methods:
            call = getattr(registry.stub, name)
            assert await refused_call(call, requests[name]) == grpc.StatusCode.UNAUTHENTICATED

        def written() -> list[dict[str, Any]]:
            rows = denied_rows(registry)
            return rows if sum(r["payload"]["refusals"] for r in rows) == len(methods) else []

        # Written when the window closes, while the registry keeps running.
        rows = await wait_until(written, "the refusal window to be written", within=30.0)
    folded = [r for r in rows if r["principal"] == "(others)"]
    assert folded, rows
    # Per window at most 2 keys and one fold; the calls may straddle a window boundary.
    assert len(rows) <= 2 * 3
    assert all(r["action"] == "registry.*" and r["resource"] == "" for r in folded)


DOMAIN_FLOOD = 40


async def test_a_developers_denied_alias_moves_are_counted_without_their_text(
    start_registry: StartRegistry,
) -> None:
    # Past the edge (a developer may call SetModelAlias), a domain rule refuses the move of a
    # protected alias: counted as the edge's refusals are, not one event with a reason each.
    reason = SECRET + "\x1b[2J" + "x" * 4096
    async with start_registry(refusal_window_seconds=1.0) as registry:
        await registry.create_model("churn")
        await registry.ready_version("churn")
        denied = pb.SetModelAliasRequest(
            name="models/churn", alias="production", version_number=1, reason=reason
        )
        for _ in range(DOMAIN_FLOOD // 10):  # bounded: DOMAIN_FLOOD calls, 10 at once
            codes = await asyncio.gather(
                *(
                    refused_call(registry.stub.SetModelAlias, denied, registry.as_("developer"))
                    for _ in range(10)
                )
            )
            assert set(codes) == {grpc.StatusCode.PERMISSION_DENIED}
        # A malformed request (a protected move without a reason) is a refusal too.
        no_reason = pb.SetModelAliasRequest(
            name="models/churn", alias="production", version_number=1
        )
        assert (
            await refused_call(registry.stub.SetModelAlias, no_reason, registry.as_("approver"))
            == grpc.StatusCode.INVALID_ARGUMENT
        )

        def written() -> list[dict[str, Any]]:
            rows = [r for r in denied_rows(registry) if r["action"] == "registry.SetModelAlias"]
            return rows if sum(r["payload"]["refusals"] for r in rows) == DOMAIN_FLOOD + 1 else []

        # Written when the window closes, while the registry keeps running.
        rows = await wait_until(written, "the refusal window to be written", within=30.0)
        # A precondition an approver's well-formed move fails is still one record per call.
        await registry.ready_version("churn", seed=1)  # version 2
        await registry.stub.ArchiveModelVersion(
            pb.ArchiveModelVersionRequest(name="models/churn/versions/2", reason="old"),
            metadata=registry.as_("developer"),
        )
        archived = pb.SetModelAliasRequest(
            name="models/churn", alias="production", version_number=2, reason="reviewed"
        )
        assert (
            await refused_call(registry.stub.SetModelAlias, archived, registry.as_("approver"))
            == grpc.StatusCode.FAILED_PRECONDITION
        )
        failed = await registry.audit_events(action="registry.SetModelAlias", outcome=FAILED)
        assert [(e.principal.name, e.reason) for e in failed] == [("approver-user", "reviewed")]

    developer = [r for r in rows if r["principal"] == "developer-user"]
    # One window, or two when the calls straddled a boundary (1 s windows).
    assert 1 <= len(developer) <= 2, developer
    assert sum(r["payload"]["refusals"] for r in developer) == DOMAIN_FLOOD
    for row in developer:
        assert (row["status_code"], row["error_reason"], row["roles"]) == (
            "PERMISSION_DENIED",
            "PROTECTED_ALIAS",
            "developer",
        )
        # The resource the domain named; none of the caller's text, nor its request id.
        assert (row["resource"], row["reason"], row["request_id"]) == (
            "models/churn@production",
            "",
            "",
        )
    [approver] = [r for r in rows if r["principal"] == "approver-user"]
    assert (approver["status_code"], approver["error_reason"], approver["payload"]["refusals"]) == (
        "INVALID_ARGUMENT",
        "REASON_REQUIRED",
        1,
    )
    assert not any(SECRET in json.dumps(r, default=str) for r in rows)
    assert all(len(json.dumps(r, default=str)) < 2048 for r in rows)
    with registry.db.unit_of_work(read_only=True) as session:
        assert verify(session).ok
