"""Hostile input over gRPC to the audit API, on SQLite and PostgreSQL: filter strings (SQL, LIKE
wildcards, non-ASCII, huge) match literally; NUL, impossible times, bad sequence ranges, page
sizes and altered, forged or foreign page tokens are refused with INVALID_ARGUMENT on the field
at fault, never INTERNAL or with internals; and reading writes nothing but the denied calls'
events, so the chain still verifies."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import text

from slipway.audit.v1 import audit_event_pb2 as event_pb
from slipway.audit.v1 import audit_service_pb2 as pb
from slipway.audit.v1 import audit_service_pb2_grpc as pb_grpc
from slipway.audit.v1 import chain_verification_pb2 as chain_pb
from slipway.core import pagination
from slipway.core.audit import record
from slipway.core.audit.recorder import DatabaseEdgeAuditor
from slipway.core.bootstrap import audit_registration
from slipway.core.context import Principal
from slipway.core.db import Database
from slipway.core.pagination import _checksum, encode_page_token
from slipway.services.registry.settings import RegistrySettings
from support.harness import auth, make_tokens, running_server, settings_for
from support.probe import rich_details
from support.waiting import wait_until

SQL = "x'; DROP TABLE audit_events;--"
# Resources chosen so that a prefix read as a LIKE pattern (or case-blind) would match too much.
RESOURCES = [
    "models/a%b",
    "models/a%b/versions/1",
    "models/aXb/versions/1",
    "models/a_b",
    "models/acb",
    "models/A%B",
    "%root",
    "_x",
    "models/модель 🚀",
    "models/back\\slash",
    "models/sl/ash",
    SQL,
]
PREFIXES = [
    "%",
    "_",
    "models/a%",
    "models/a_",
    "models/a%b",
    "models/A",
    "models/a",
    "/",
    "models/\\",
    "models/back\\",
    "models/sl/",
    "models/модель",
    "models/модель 🚀",
    SQL,
    "MODELS/",
    "x" * 10_000,
]
HOSTILE = [
    SQL,
    "%",
    "_",
    "*",
    "модель 🚀 ✓ 模型",
    "../../etc/passwd",
    "x" * 10_000,
    "' OR '1'='1",
    "\\",
    "line\nbreak",
]
STRING_FIELDS = ("principal", "action", "resource", "resource_prefix", "service")
MAX_FILTER = 2048  # characters of a filter expression (slipway.core.filters)
MAX_INT64 = 2**63 - 1
# Outside google.protobuf.Timestamp's range (years 1 to 9999), or with nanos out of [0, 1e9).
BAD_TIMES = [
    Timestamp(seconds=10**12),
    Timestamp(seconds=-(10**12)),
    Timestamp(seconds=253_402_300_800),
    Timestamp(seconds=-62_135_596_801),
    Timestamp(seconds=1, nanos=-1),
    Timestamp(seconds=1, nanos=10**9),
]
LEAKS = ("Traceback", 'File "', "SELECT ", "sqlalchemy", "psycopg", "sqlite3", "Overflow")
ALICE = Principal("alice", frozenset({"developer"}))


@dataclass
class Audit:
    stub: pb_grpc.AuditServiceStub
    tokens: dict[str, str]
    db: Database

    def as_(self, role: str = "auditor") -> tuple[tuple[str, str], ...]:
        return auth(self.tokens[role])

    async def listed(self, **fields: Any) -> list[event_pb.AuditEvent]:
        page = await self.stub.ListAuditEvents(
            pb.ListAuditEventsRequest(page_size=1000, **fields), metadata=self.as_()
        )
        assert not page.next_page_token
        return list(page.events)

    async def verified(self) -> chain_pb.ChainVerification:
        reply = await self.stub.VerifyAuditLog(pb.VerifyAuditLogRequest(), metadata=self.as_())
        return reply.verification


@pytest.fixture
async def audit(migrated_db: Database, tmp_path: Path) -> AsyncIterator[Audit]:
    tokens = make_tokens(tmp_path / "tokens.json")
    settings = settings_for(RegistrySettings, tmp_path, tokens_file=tmp_path / "tokens.json")
    with migrated_db.unit_of_work() as session:
        for i, resource in enumerate(RESOURCES):
            record(
                session,
                service="registry",
                action="registry.CreateModel",
                resource=resource,
                principal=ALICE,
                request_id=f"seed-{i}",
            )
        record(
            session,
            service="registry",
            action=SQL,
            resource="models/m",
            principal=Principal("модель 🚀 ✓", frozenset({"admin"})),
            request_id="odd",
        )
    async with (
        running_server(
            settings,
            [audit_registration(migrated_db)],
            # Refusals are written per window: a short one shows them while the test runs.
            auditor=DatabaseEdgeAuditor(migrated_db, "registry", refusal_window_seconds=0.5),
        ) as server,
        grpc.aio.insecure_channel(server.grpc_address) as channel,
    ):
        yield Audit(pb_grpc.AuditServiceStub(channel), tokens, migrated_db)


async def refused(
    call: Callable[..., Awaitable[Any]],
    request: Any,
    metadata: Any,
    code: grpc.StatusCode = grpc.StatusCode.INVALID_ARGUMENT,
) -> grpc.aio.AioRpcError:
    """The error ``call(request)`` fails with, checked to have ``code`` and a clean message."""
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        async with asyncio.timeout(10):  # a hang fails the test
            await call(request, metadata=metadata)
    error, message = failure.value, failure.value.details() or ""
    assert error.code() == code, (str(request)[:200], error.code(), message)
    assert message.strip()
    assert not any(leak in message for leak in LEAKS), message
    return error


async def invalid_fields(
    call: Callable[..., Awaitable[Any]], request: Any, metadata: Any
) -> list[str]:
    bad = rich_details(await refused(call, request, metadata))["bad_request"]
    assert bad is not None
    assert all(v.description for v in bad.field_violations)
    return [str(v.field) for v in bad.field_violations]


def exported(stub: pb_grpc.AuditServiceStub) -> Callable[..., Awaitable[Any]]:
    """ExportAuditEvents as a call returning every event (with a deadline: it must not hang)."""

    async def call(
        request: pb.ExportAuditEventsRequest, metadata: Any
    ) -> list[event_pb.AuditEvent]:
        return [
            e
            async for batch in stub.ExportAuditEvents(request, metadata=metadata, timeout=10)
            for e in batch.events
        ]

    return call


def event_count(db: Database) -> int:
    with db.unit_of_work(read_only=True) as session:
        count: int = session.execute(text("SELECT count(*) FROM audit_events")).scalar_one()
    return count


def quote(value: str) -> str:
    """``value`` as an AIP-160 string literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def condition(field: str, value: str) -> str:
    """The filter finding events whose ``field`` is ``value`` (or, for ``resource_prefix``,
    starts with it: a trailing ``*`` matches by prefix)."""
    if field == "resource_prefix":
        return f"resource = {quote(value + '*')}"
    return f"{field} = {quote(value)}"


def matching(field: str, value: str) -> list[str]:
    """The seeded resources a filter on ``field`` finds, read literally (but a final ``*``)."""
    if value == "*" and field != "resource_prefix":  # AIP-160: any value
        return [*RESOURCES, "models/m"]
    if field == "resource_prefix" or (field == "resource" and value.endswith("*")):
        prefix = value.removesuffix("*") if field == "resource" else value
        return [r for r in [*RESOURCES, "models/m"] if r.startswith(prefix)]
    if field == "resource":
        return [r for r in RESOURCES if r == value]
    return ["models/m"] if (field, value) == ("action", SQL) else []  # the one odd event


async def test_resource_prefix_wildcards_and_hostile_strings_match_literally(audit: Audit) -> None:
    for prefix in PREFIXES:
        if len(condition("resource_prefix", prefix)) > MAX_FILTER:
            continue  # refused as too long, below
        found = await audit.listed(filter=condition("resource_prefix", prefix))
        assert [e.resource for e in found] == matching("resource_prefix", prefix), prefix[:40]
    for resource in RESOURCES:  # exact matches, LIKE wildcards and all
        found = await audit.listed(filter=condition("resource", resource))
        assert [e.resource for e in found] == [resource]
    for field in STRING_FIELDS:
        for value in HOSTILE:
            flt = condition(field, value)
            if len(flt) > MAX_FILTER:
                assert await invalid_fields(
                    audit.stub.ListAuditEvents, pb.ListAuditEventsRequest(filter=flt), audit.as_()
                ) == ["filter"]
                continue
            found = await audit.listed(filter=flt)
            assert sorted(e.resource for e in found) == sorted(matching(field, value)), (
                field,
                value[:40],
            )
    odd = await audit.listed(filter='principal = "модель 🚀 ✓"')
    assert [(e.action, e.request_id) for e in odd] == [(SQL, "odd")]
    ok = await audit.verified()
    assert (ok.status, ok.event_count) == (chain_pb.CHAIN_STATUS_OK, len(RESOURCES) + 1)


async def test_impossible_filters_are_refused_on_the_field_at_fault(audit: Audit) -> None:
    stub, auditor = audit.stub, audit.as_()
    calls = [
        (stub.ListAuditEvents, pb.ListAuditEventsRequest),
        (exported(stub), pb.ExportAuditEventsRequest),
    ]
    bad_times = [
        "10000-01-01T00:00:00Z",
        "0000-12-31T00:00:00Z",
        "2025-01-01T00:00:00",  # no offset
        "2025-01-01",
        "2025-13-01T00:00:00Z",
        "yesterday",
    ]
    cases = [
        *[condition(field, f"nul\x00{field}") for field in STRING_FIELDS],
        *[f"event_time >= {quote(t)}" for t in bad_times],
        *[f"event_time < {quote(t)}" for t in bad_times],
        'sequence >= "five"',
        f"sequence >= {2**63}",
        f"sequence <= {-(2**63) - 1}",
        "sequence >= 1.5",
        "outcome = MAYBE",
        "outcome > OK",
        'principal > "a"',
        'resource_prefix = "models/"',
        'labels.team = "x"',
        'principal "alice"',
        'principal = "alice" AND',
        'OR principal = "alice"',
        'principal = "alice" NOT action = "x"',
        '(principal = "alice")',
        'principal = "unterminated',
        "x" * (MAX_FILTER + 1),
    ]
    for call, request in calls:
        for flt in cases:
            assert await invalid_fields(call, request(filter=flt), auditor) == ["filter"], flt[:60]
    for order_by in ("event_time", "sequence desc, sequence", "sequence up", "resource"):
        assert await invalid_fields(
            stub.ListAuditEvents, pb.ListAuditEventsRequest(order_by=order_by), auditor
        ) == ["order_by"], order_by

    # Valid but far-fetched ranges are answered, not refused.
    head = len(RESOURCES) + 1
    for flt, sequences in [
        (f"sequence >= {MAX_INT64}", []),
        (f"sequence <= {MAX_INT64}", list(range(1, head + 1))),
        (f"sequence >= {head} AND sequence <= {MAX_INT64}", [head]),
        ("sequence >= 5 AND sequence <= 4", []),
        ("sequence = 1 OR sequence = 3", [1, 3]),
        (
            'event_time >= "0001-01-01T00:00:00Z" AND event_time < "9999-12-31T23:59:59.999999Z"',
            list(range(1, head + 1)),
        ),
        ('event_time < "1970-01-01T00:00:01Z"', []),
        ('outcome = OK AND resource != "models/m"', list(range(1, head))),
    ]:
        assert [e.sequence for e in await audit.listed(filter=flt)] == sequences, flt
        assert [
            e.sequence
            for e in await exported(stub)(pb.ExportAuditEventsRequest(filter=flt), auditor)
        ] == sequences, flt


async def test_verify_ranges_and_page_sizes_are_checked(audit: Audit) -> None:
    stub, auditor = audit.stub, audit.as_()
    head = len(RESOURCES) + 1
    for fields, problem in [
        ({"start_sequence": -1}, ["start_sequence"]),
        ({"end_sequence": -(2**63)}, ["end_sequence"]),
        ({"start_sequence": -1, "end_sequence": -1}, ["start_sequence", "end_sequence"]),
        ({"start_sequence": MAX_INT64, "end_sequence": 1}, ["end_sequence"]),
        ({"start_sequence": 3, "end_sequence": 2}, ["end_sequence"]),
    ]:
        assert (
            await invalid_fields(stub.VerifyAuditLog, pb.VerifyAuditLogRequest(**fields), auditor)
            == problem
        ), fields
    whole = (
        await stub.VerifyAuditLog(
            pb.VerifyAuditLogRequest(end_sequence=MAX_INT64), metadata=auditor
        )
    ).verification
    assert (whole.status, whole.first_sequence, whole.last_sequence, whole.event_count) == (
        chain_pb.CHAIN_STATUS_OK,
        1,
        head,
        head,
    )
    # A range past the head holds no events: it is EMPTY, not a verified OK.
    for start in (head + 1, MAX_INT64):
        beyond = (
            await stub.VerifyAuditLog(
                pb.VerifyAuditLogRequest(start_sequence=start), metadata=auditor
            )
        ).verification
        assert (beyond.status, beyond.event_count) == (chain_pb.CHAIN_STATUS_EMPTY, 0), start

    for size in (-1, -(2**31)):
        assert await invalid_fields(
            stub.ListAuditEvents, pb.ListAuditEventsRequest(page_size=size), auditor
        ) == ["page_size"]
    capped = await stub.ListAuditEvents(
        pb.ListAuditEventsRequest(page_size=2**31 - 1), metadata=auditor
    )
    assert ([e.sequence for e in capped.events], capped.next_page_token) == (
        list(range(1, head + 1)),
        "",
    )


async def test_altered_forged_or_foreign_page_tokens_are_refused(audit: Audit) -> None:
    stub, auditor = audit.stub, audit.as_()
    first = await stub.ListAuditEvents(pb.ListAuditEventsRequest(page_size=2), metadata=auditor)
    token = first.next_page_token
    middle = len(token) // 2
    flipped = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    for bad in (
        flipped,
        token[:-4],
        token[:middle],
        token + "x",
        "not-a-token",
        "%%%",
        "été",
        "nul\x00",
        "x" * 10_000,
        "=" * 8,
    ):
        error = await refused(
            stub.ListAuditEvents, pb.ListAuditEventsRequest(page_size=2, page_token=bad), auditor
        )
        assert [v.field for v in rich_details(error)["bad_request"].field_violations] == [
            "page_token"
        ], bad[:40]
    # Issued for another filter, or for the other order.
    for other in (
        pb.ListAuditEventsRequest(page_size=2, page_token=token, order_by="sequence desc"),
        pb.ListAuditEventsRequest(page_token=token, filter='resource = "%*"'),
    ):
        error = await refused(stub.ListAuditEvents, other, auditor)
        assert rich_details(error)["error_info"].reason == "PAGE_TOKEN_MISMATCH"
    newest = await stub.ListAuditEvents(
        pb.ListAuditEventsRequest(page_size=2, order_by="sequence desc"), metadata=auditor
    )
    error = await refused(
        stub.ListAuditEvents,
        pb.ListAuditEventsRequest(page_size=2, page_token=newest.next_page_token),
        auditor,
    )
    assert rich_details(error)["error_info"].reason == "PAGE_TOKEN_MISMATCH"

    # The checksum is not a signature: a token can be forged. Its cursor must still be sane.
    parameters = {"filter": "", "descending": False}
    for after in (-1, 2**63, 10**30, 1.5, "7", None, True, [1]):
        forged = encode_page_token({"after": after}, parameters)
        assert await invalid_fields(
            stub.ListAuditEvents, pb.ListAuditEventsRequest(page_token=forged), auditor
        ) == ["page_token"], after
    # Forged bodies nested deeper than a JSON parser goes, or longer than any token we write.
    for depth in (700, 100_000):
        body = b'{"v":1,"c":' + b"[" * depth + b"]" * depth + b',"q":"x"}'
        deep = base64.urlsafe_b64encode(body + b"." + _checksum(body).encode()).decode()
        assert await invalid_fields(
            stub.ListAuditEvents, pb.ListAuditEventsRequest(page_token=deep), auditor
        ) == ["page_token"], depth
    at_end = await stub.ListAuditEvents(
        pb.ListAuditEventsRequest(page_token=encode_page_token({"after": MAX_INT64}, parameters)),
        metadata=auditor,
    )
    assert (list(at_end.events), at_end.next_page_token) == ([], "")

    # The untouched tokens still page through everything, both ways.
    for descending, page in ((False, first), (True, newest)):
        sequences = [e.sequence for e in page.events]
        while page.next_page_token:
            page = await stub.ListAuditEvents(
                pb.ListAuditEventsRequest(
                    page_size=2,
                    page_token=page.next_page_token,
                    order_by="sequence desc" if descending else "",
                ),
                metadata=auditor,
            )
            sequences.extend(e.sequence for e in page.events)
        assert sequences == sorted(range(1, len(RESOURCES) + 2), reverse=descending)


async def test_hostile_reads_write_only_the_denied_calls_and_the_chain_verifies(
    audit: Audit,
) -> None:
    before = event_count(audit.db)
    hostile = condition("resource_prefix", SQL + "%\x00") + ' AND event_time >= "10000-01-01"'
    for _ in range(3):
        await refused(
            audit.stub.ListAuditEvents, pb.ListAuditEventsRequest(filter=hostile), audit.as_()
        )
        await audit.listed(filter=f"{condition('resource', SQL)} AND {condition('principal', SQL)}")
    assert event_count(audit.db) == before
    # Callers without the auditor role are refused before validation, and that is recorded.
    await refused(
        audit.stub.ListAuditEvents,
        pb.ListAuditEventsRequest(filter=hostile),
        audit.as_("viewer"),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    await refused(
        exported(audit.stub),
        pb.ExportAuditEventsRequest(filter=hostile),
        audit.as_("developer"),
        grpc.StatusCode.PERMISSION_DENIED,
    )

    async def denied_events() -> list[event_pb.AuditEvent]:
        events = await audit.listed(filter="outcome = DENIED")
        return events if len(events) == 2 else []

    denied = await wait_until(denied_events, "the refusal window to be written", within=30.0)
    assert [(e.principal.name, e.action, e.status_code) for e in denied] == [
        ("viewer-user", "audit.ListAuditEvents", "PERMISSION_DENIED"),
        ("developer-user", "audit.ExportAuditEvents", "PERMISSION_DENIED"),
    ]
    assert event_count(audit.db) == before + 2
    ok = await audit.verified()
    assert (ok.status, ok.event_count, ok.detail) == (chain_pb.CHAIN_STATUS_OK, before + 2, "")


async def test_pages_end_before_the_byte_budget_and_still_reach_every_event(
    audit: Audit, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A budget of a few events beyond the room kept for the token (the budget is read at each
    # call): pages end early, with a token, yet every event comes once and in order, both ways.
    budget = pagination.MAX_TOKEN_LENGTH + 1200
    monkeypatch.setattr(pagination, "MAX_PAGE_BYTES", budget)
    for order_by in ("", "sequence desc"):
        sequences: list[int] = []
        sizes: list[int] = []
        token = ""
        for _ in range(len(RESOURCES) + 2):
            page = await audit.stub.ListAuditEvents(
                pb.ListAuditEventsRequest(page_size=1000, page_token=token, order_by=order_by),
                metadata=audit.as_(),
            )
            assert page.events
            assert page.ByteSize() <= budget or len(page.events) == 1
            sequences.extend(e.sequence for e in page.events)
            sizes.append(len(page.events))
            token = page.next_page_token
            if not token:
                break
        assert len(sizes) > 1, sizes
        expected = list(range(1, len(RESOURCES) + 2))
        assert sequences == (expected[::-1] if order_by else expected)
