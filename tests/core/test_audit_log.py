"""The audit log core on SQLite and PostgreSQL: concurrent appends, atomicity with the change,
tamper detection, append-only triggers, the documented canonical encoding, filters and paging."""

from __future__ import annotations

import hashlib
import itertools
import json
import multiprocessing
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from slipway.core import idempotency
from slipway.core.audit import AuditEntry, Outcome, record
from slipway.core.audit.chain import GENESIS_HASH, BreakKind, Verification, compute_hash
from slipway.core.audit.log import (
    EventFilter,
    chain_head,
    iter_events,
    list_events,
    to_entry,
    verify,
)
from slipway.core.audit.tables import AuditChainHead, AuditEventRow
from slipway.core.bootstrap import connect_database
from slipway.core.context import Principal
from slipway.core.db import Database
from slipway.schema.migrate import upgrade
from support.audit_writers import audited_mutations, resource_of
from support.postgres import PostgresCluster

ALICE = Principal("alice", frozenset({"developer"}))
EVENTS = AuditEventRow.__table__


# -- helpers ------------------------------------------------------------------------------------


def _key(name: str) -> idempotency.IdempotencyKey:
    return idempotency.IdempotencyKey("registry", "CreateModel", name, "alice")


def _audit(session: Session, resource: str, **fields: Any) -> None:
    values: dict[str, Any] = {
        "service": "registry",
        "action": "registry.CreateModel",
        "payload": {"name": resource},
        "reason": "",
        "principal": ALICE,
        "request_id": f"req-{resource}",
    }
    values.update(fields)
    record(session, resource=resource, **values)


def _mutate(db: Database, resource: str, **fields: Any) -> None:
    """One audited mutation: an idempotency record named after `resource`, and its event."""
    with db.unit_of_work() as session:
        idempotency.remember(session, _key(resource), "x.Model", resource.encode())
        _audit(session, resource, **fields)


def _events(db: Database) -> list[AuditEntry]:
    with db.unit_of_work(read_only=True) as session:
        return list(iter_events(session, EventFilter()))


def _head(db: Database) -> tuple[int, str]:
    with db.unit_of_work(read_only=True) as session:
        return chain_head(session)


def _verify(db: Database, start: int = 1, end: int = 0) -> Verification:
    with db.unit_of_work(read_only=True) as session:
        return verify(session, start, end)


def _count(db: Database, table: Any) -> int:
    with db.unit_of_work(read_only=True) as session:
        return session.scalar(sa.select(sa.func.count()).select_from(table)) or 0


def _changes(db: Database) -> list[str]:
    with db.unit_of_work(read_only=True) as session:
        return sorted(session.scalars(sa.select(idempotency.IdempotencyRecord.request_id)))


@contextmanager
def _attacker(db: Database) -> Iterator[sa.Connection]:
    """A transaction of someone with direct database access who first gets the append-only
    triggers out of the way: dropped on SQLite, bypassed by a PostgreSQL superuser."""
    with db.engine.begin() as conn:
        if db.dialect_name == "postgresql":
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        else:
            conn.exec_driver_sql("DROP TRIGGER audit_events_no_update")
            conn.exec_driver_sql("DROP TRIGGER audit_events_no_delete")
        yield conn


def _move(conn: sa.Connection, old: int, new: int) -> None:
    conn.execute(EVENTS.update().where(EVENTS.c.sequence == old).values(sequence=new))


def _delete(conn: sa.Connection, *sequences: int) -> None:
    conn.execute(EVENTS.delete().where(EVENTS.c.sequence.in_(sequences)))


# -- many writers in several processes ----------------------------------------------------------

WORKERS, PER_WORKER = 4, 500


@pytest.mark.slow
def test_concurrent_writers_in_four_processes(migrated_db: Database, database_url: str) -> None:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(WORKERS)
    processes = [
        ctx.Process(target=audited_mutations, args=(database_url, w, PER_WORKER, barrier))
        for w in range(WORKERS)
    ]
    try:
        for process in processes:
            process.start()
        for process in processes:
            process.join(timeout=120)
        assert [p.exitcode for p in processes] == [0] * WORKERS  # any error exits 1
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()
                process.join(timeout=10)

    total = WORKERS * PER_WORKER
    events = _events(migrated_db)
    assert len(events) == _count(migrated_db, AuditEventRow) == total
    assert [e.sequence for e in events] == list(range(1, total + 1))  # gap-free, no duplicate
    assert len({e.event_id for e in events}) == total
    resources = Counter(e.resource for e in events)
    for worker in range(WORKERS):
        assert all(resources[resource_of(worker, i)] == 1 for i in range(PER_WORKER))
        # each process's own mutations were sequential, so its events are in its order
        mine = [e for e in events if e.principal == f"worker-{worker}"]
        assert [e.resource for e in mine] == [resource_of(worker, i) for i in range(PER_WORKER)]
    assert _count(migrated_db, idempotency.IdempotencyRecord) == total  # one change per event
    result = _verify(migrated_db)
    assert result.ok, result.detail
    assert result.event_count == total
    assert _head(migrated_db) == (total, events[-1].hash)
    # The appends really overlapped: back-to-back batches would switch writer WORKERS - 1 times.
    # (SQLite's busy wait is not fair, so one writer often keeps the lock for long runs.)
    turns = sum(1 for a, b in itertools.pairwise(events) if a.principal != b.principal)
    assert turns >= WORKERS


# -- the change and its event commit together ---------------------------------------------------


def test_failure_after_the_audit_record_leaves_neither(migrated_db: Database) -> None:
    _mutate(migrated_db, "models/a")
    head = _head(migrated_db)

    def change_record_then_fail() -> None:
        with migrated_db.unit_of_work() as session:
            idempotency.remember(session, _key("models/b"), "x.Model", b"b")
            _audit(session, "models/b")
            raise RuntimeError("after the audit record")

    with pytest.raises(RuntimeError, match="after the audit record"):
        change_record_then_fail()

    assert _changes(migrated_db) == ["models/a"]
    assert [e.resource for e in _events(migrated_db)] == ["models/a"]
    assert _head(migrated_db) == head
    _mutate(migrated_db, "models/c")  # the next event takes the next number: no gap
    assert [e.sequence for e in _events(migrated_db)] == [1, 2]
    assert _verify(migrated_db).ok


def test_change_failing_at_commit_rolls_back_the_appended_event(migrated_db: Database) -> None:
    _mutate(migrated_db, "models/a")
    head = _head(migrated_db)

    def record_then_conflict_at_commit() -> None:
        # The duplicate is flushed only at commit, after the before-commit hook appended the event.
        with migrated_db.unit_of_work() as session:
            _audit(session, "models/a-again")
            session.add(
                idempotency.IdempotencyRecord(
                    service="registry",
                    method="CreateModel",
                    request_id="models/a",
                    principal="alice",
                    response_type="x.Model",
                    response=b"dup",
                    created_at=datetime.now(UTC),
                )
            )

    with pytest.raises(sa.exc.IntegrityError):
        record_then_conflict_at_commit()

    assert [e.resource for e in _events(migrated_db)] == ["models/a"]
    assert _head(migrated_db) == head
    assert _changes(migrated_db) == ["models/a"]
    assert _verify(migrated_db).ok


def test_failing_audit_write_rolls_the_change_back(migrated_db: Database) -> None:
    _mutate(migrated_db, "models/a")
    # Break the append for real: without its chain head row, no event can be appended. (The
    # test connects as the PostgreSQL superuser; the head row has no trigger.)
    with migrated_db.engine.begin() as conn:
        conn.execute(sa.delete(AuditChainHead.__table__))

    with pytest.raises(sa.exc.NoResultFound):
        _mutate(migrated_db, "models/b")

    assert _changes(migrated_db) == ["models/a"]
    assert [e.resource for e in _events(migrated_db)] == ["models/a"]


def _audited_change(session: Session, resource: str) -> None:
    idempotency.remember(session, _key(resource), "x.Model", b"")
    _audit(session, resource)


def _in_savepoint_then_fail(session: Session, work: Callable[[], None]) -> None:
    with session.begin_nested():
        work()
        raise RuntimeError("undo the savepoint")


def test_rolled_back_savepoint_drops_only_its_own_events(migrated_db: Database) -> None:
    def nested_released() -> None:
        with session.begin_nested():  # released, but inside a savepoint rolled back later
            _audited_change(session, "models/inner")

    with migrated_db.unit_of_work() as session:
        _audited_change(session, "models/kept")
        with pytest.raises(RuntimeError):
            _in_savepoint_then_fail(session, lambda: _audited_change(session, "models/undone"))
        with session.begin_nested():  # released: its event stays
            _audited_change(session, "models/released")
        with pytest.raises(RuntimeError):
            _in_savepoint_then_fail(session, nested_released)

    assert _changes(migrated_db) == ["models/kept", "models/released"]
    assert [e.resource for e in _events(migrated_db)] == ["models/kept", "models/released"]
    assert _verify(migrated_db).ok


@pytest.fixture
def postgresql_db(postgres_cluster: PostgresCluster) -> Iterator[Database]:
    """A migrated database of its own in the PostgreSQL cluster only."""
    name = postgres_cluster.create_database()
    url = postgres_cluster.url(name)
    upgrade(url)
    db = connect_database(url)
    try:
        yield db
    finally:
        db.dispose()
        postgres_cluster.drop_database(name)


@pytest.mark.postgres
def test_append_uses_the_current_head_after_an_earlier_read(postgresql_db: Database) -> None:
    """PostgreSQL only: on SQLite the first statement of a unit of work takes the write lock,
    so no one else can append while it runs."""
    migrated_db = postgresql_db
    _mutate(migrated_db, "models/a")
    with migrated_db.unit_of_work() as session:
        loaded = session.get(AuditChainHead, 1)  # loaded, and kept, in this session
        assert loaded is not None
        assert loaded.last_sequence == 1
        _mutate(migrated_db, "models/b")  # another transaction appends and commits meanwhile
        idempotency.remember(session, _key("models/c"), "x.Model", b"")
        _audit(session, "models/c")
    assert [(e.sequence, e.resource) for e in _events(migrated_db)] == [
        (1, "models/a"),
        (2, "models/b"),
        (3, "models/c"),
    ]
    assert _verify(migrated_db).ok


# -- tampering ----------------------------------------------------------------------------------

EVENT_COUNT = 10


def _edit_payload(conn: sa.Connection) -> None:
    conn.execute(
        EVENTS.update().where(EVENTS.c.sequence == 4).values(payload='{"name":"models/forged"}')
    )


def _edit_and_rehash(conn: sa.Connection) -> None:
    """A cleverer attacker recomputes the edited event's own hash, so only its link breaks."""
    with Session(bind=conn) as session:
        row = session.get(AuditEventRow, 4)
        assert row is not None
        forged = compute_hash(replace(to_entry(row), reason="forged"))
    conn.execute(EVENTS.update().where(EVENTS.c.sequence == 4).values(reason="forged", hash=forged))


def _delete_middle(conn: sa.Connection) -> None:
    _delete(conn, 5)


def _delete_last_two(conn: sa.Connection) -> None:
    _delete(conn, EVENT_COUNT - 1, EVENT_COUNT)


def _swap(first: int, second: int) -> Callable[[sa.Connection], None]:
    def swap(conn: sa.Connection) -> None:
        _move(conn, first, -1)
        _move(conn, second, first)
        _move(conn, -1, second)

    return swap


def _delete_and_renumber(conn: sa.Connection) -> None:
    _delete(conn, 5)
    for sequence in range(6, EVENT_COUNT + 1):
        _move(conn, sequence, sequence - 1)


def _delete_renumber_and_move_head(conn: sa.Connection) -> None:
    _delete_and_renumber(conn)
    last_hash = conn.scalar(sa.select(EVENTS.c.hash).where(EVENTS.c.sequence == EVENT_COUNT - 1))
    conn.execute(
        sa.update(AuditChainHead.__table__).values(
            last_sequence=EVENT_COUNT - 1, last_hash=last_hash
        )
    )


def _append_forged(conn: sa.Connection) -> None:
    """A row added after the last one, without moving the chain head."""
    conn.execute(
        EVENTS.insert().values(
            sequence=EVENT_COUNT + 1,
            event_id=str(uuid.uuid4()),
            event_time=datetime.now(UTC),
            service="registry",
            action="registry.DeleteModel",
            principal="mallory",
            roles="admin",
            resource="models/x",
            outcome="OK",
            status_code="OK",
            error_reason="",
            reason="",
            request_id="",
            payload="{}",
            previous_hash="f" * 64,
            hash="e" * 64,
            hash_version=1,
        )
    )


@pytest.mark.parametrize(
    ("tamper", "kind", "sequence"),
    [
        pytest.param(_edit_payload, BreakKind.CHANGED_ROW, 4, id="edit-payload"),
        pytest.param(_edit_and_rehash, BreakKind.CHANGED_ROW, 4, id="edit-and-rehash"),
        pytest.param(_delete_middle, BreakKind.MISSING_ROW, 5, id="delete-middle"),
        pytest.param(_delete_last_two, BreakKind.MISSING_ROW, EVENT_COUNT - 1, id="delete-last"),
        pytest.param(_swap(3, 7), BreakKind.REORDERED_ROW, 3, id="swap-apart"),
        pytest.param(_swap(5, 6), BreakKind.REORDERED_ROW, 5, id="swap-adjacent"),
        pytest.param(_delete_and_renumber, BreakKind.MISSING_ROW, 5, id="delete-renumber"),
        pytest.param(
            _delete_renumber_and_move_head, BreakKind.MISSING_ROW, 5, id="delete-renumber-move-head"
        ),
        pytest.param(_append_forged, BreakKind.CHANGED_ROW, EVENT_COUNT + 1, id="append-forged"),
    ],
)
def test_tampering_is_found_at_the_exact_sequence(
    migrated_db: Database,
    tamper: Callable[[sa.Connection], None],
    kind: BreakKind,
    sequence: int,
) -> None:
    for n in range(1, EVENT_COUNT + 1):
        _mutate(migrated_db, f"models/m{n}")
    assert _verify(migrated_db).ok

    with _attacker(migrated_db) as conn:
        tamper(conn)

    result = _verify(migrated_db)
    assert (result.ok, result.break_kind, result.break_sequence) == (False, kind, sequence), (
        result.detail
    )
    assert result.detail


def test_verify_over_a_range(migrated_db: Database) -> None:
    for n in range(1, EVENT_COUNT + 1):
        _mutate(migrated_db, f"models/m{n}")
    with _attacker(migrated_db) as conn:
        _edit_payload(conn)  # event 4
        _delete(conn, 8)

    for start, end, expected in [
        (1, 3, None),
        (2, 3, None),
        (5, 7, None),  # clean ranges before and between the breaks
        (1, 0, (BreakKind.CHANGED_ROW, 4)),
        (3, 6, (BreakKind.CHANGED_ROW, 4)),
        (4, 4, (BreakKind.CHANGED_ROW, 4)),
        (5, 0, (BreakKind.MISSING_ROW, 8)),
        (6, 9, (BreakKind.MISSING_ROW, 8)),
        (9, 10, (BreakKind.MISSING_ROW, 8)),
    ]:
        result = _verify(migrated_db, start, end)
        found = None if result.ok else (result.break_kind, result.break_sequence)
        assert found == expected, (start, end, result.detail)
    clean = _verify(migrated_db, 5, 7)
    assert (clean.first_sequence, clean.last_sequence, clean.event_count) == (5, 7, 3)


# -- append-only --------------------------------------------------------------------------------


def test_the_database_refuses_to_change_or_remove_events(migrated_db: Database) -> None:
    for n in range(1, 4):
        _mutate(migrated_db, f"models/m{n}")
    before = _events(migrated_db)
    statements = [
        "UPDATE audit_events SET payload = '{}' WHERE sequence = 2",
        "UPDATE audit_events SET sequence = sequence + 100",
        "DELETE FROM audit_events WHERE sequence = 3",
        "DELETE FROM audit_events",
    ]
    if migrated_db.dialect_name == "postgresql":
        statements.append("TRUNCATE audit_events")
    for statement in statements:
        with (
            pytest.raises(sa.exc.DBAPIError, match="append-only"),
            migrated_db.unit_of_work() as session,
        ):
            session.execute(sa.text(statement))
    assert _events(migrated_db) == before
    assert _verify(migrated_db).ok


# -- the documented canonical encoding ----------------------------------------------------------


def _hash_from_the_docstring(row: sa.Row[Any]) -> str:
    """chain.py's module docstring, implemented again with json and hashlib only."""
    document = {
        "v": 1,
        "sequence": row.sequence,
        "event_id": row.event_id,
        "event_time": row.event_time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "service": row.service,
        "action": row.action,
        "principal": row.principal,
        "resource": row.resource,
        "outcome": row.outcome,
        "status_code": row.status_code,
        "error_reason": row.error_reason,
        "reason": row.reason,
        "request_id": row.request_id,
        "roles": sorted(r for r in row.roles.split(",") if r),
        "payload": row.payload,
        "previous_hash": row.previous_hash,
    }
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


NESTED_PAYLOAD = {
    "before": None,
    "after": {
        "alias": "production",
        "version": 7,
        "score": 0.9375,
        "enabled": True,
        "tags": ["λ", "β", {"deep": [1, [2, [3]], {"z": "ж", "a": ""}]}],
    },
    "note": "Freigabe für Produktion ✓ — 模型 🚀",
    "quote": 'he said "ok"\\ and left\n',
}


def test_canonical_encoding_can_be_recomputed_from_its_documentation(
    migrated_db: Database,
) -> None:
    with migrated_db.unit_of_work() as session:  # several events in one transaction
        _audit(
            session,
            "models/café-模型",
            payload=NESTED_PAYLOAD,
            principal=Principal("zoë", frozenset({"viewer", "admin", "developer"})),
            reason="Zurück auf v6: Drift über 5 %",
            action="registry.SetModelAlias",
        )
        _audit(
            session,
            "models/plain",
            payload={},
            principal=Principal("anonymous"),
            outcome=Outcome.DENIED,
            status_code="PERMISSION_DENIED",
            error_reason="ROLE_REQUIRED",
            request_id="",
        )
    _mutate(migrated_db, "models/next")

    with migrated_db.engine.connect() as conn:
        rows = conn.execute(sa.select(EVENTS).order_by(EVENTS.c.sequence)).all()
    assert len(rows) == 3
    previous = GENESIS_HASH
    for row in rows:
        assert row.previous_hash == previous
        assert _hash_from_the_docstring(row) == row.hash
        previous = row.hash
    stored = rows[0]
    assert stored.resource == "models/café-模型"
    assert stored.principal == "zoë"
    assert json.loads(stored.payload) == NESTED_PAYLOAD
    assert stored.payload == json.dumps(
        NESTED_PAYLOAD, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    assert "Produktion ✓" in stored.payload  # kept as UTF-8 text, not \\u escapes


# -- filters and paging -------------------------------------------------------------------------

RESOURCES = [
    "models/fraud",
    "models/fraud/versions/1",
    "models/fraud_v2",
    "models/fraudXv2",
    "models/Fraud",
    "models/100%/x",
    "models/100x",
    "jobs/7",
]
PRINCIPALS = ["alice", "bob", "anonymous"]
ACTIONS = ["registry.CreateModel", "registry.SetModelAlias", "training.CancelTrainingJob"]
OUTCOMES = [Outcome.OK, Outcome.DENIED, Outcome.OK, Outcome.FAILED]


@pytest.fixture
def mixed_log(migrated_db: Database) -> list[AuditEntry]:
    """32 events in 16 transactions (so there are several event times), fields varied."""
    for n in range(16):
        with migrated_db.unit_of_work() as session:
            for k in (2 * n, 2 * n + 1):
                outcome = OUTCOMES[k % len(OUTCOMES)]
                _audit(
                    session,
                    RESOURCES[k % len(RESOURCES)],
                    principal=Principal(PRINCIPALS[k % 3]),
                    action=ACTIONS[k % len(ACTIONS)],
                    outcome=outcome,
                    status_code="OK" if outcome is Outcome.OK else "X",
                    service=ACTIONS[k % len(ACTIONS)].split(".")[0],
                )
    events = _events(migrated_db)
    assert len(events) == 32
    return events


def _page_through(db: Database, flt: EventFilter, limit: int, descending: bool) -> list[int]:
    seen: list[int] = []
    after: int | None = None
    with db.unit_of_work(read_only=True) as session:
        while True:
            page, more = list_events(session, flt, after=after, limit=limit, descending=descending)
            assert len(page) == limit if more else len(page) <= limit
            seen += [e.sequence for e in page]
            if not more:
                return seen
            after = page[-1].sequence


def test_filters_return_exactly_the_matching_events(
    migrated_db: Database,
    mixed_log: list[AuditEntry],
) -> None:
    times = sorted({e.event_time for e in mixed_log})
    assert len(times) >= 4
    start, end = times[1], times[-2]
    cases: list[tuple[EventFilter, Callable[[AuditEntry], bool]]] = [
        (EventFilter(), lambda e: True),
        (EventFilter(start_time=start), lambda e: e.event_time >= start),
        (EventFilter(end_time=end), lambda e: e.event_time < end),
        (EventFilter(start_time=start, end_time=end), lambda e: start <= e.event_time < end),
        (EventFilter(start_time=start, end_time=start), lambda e: False),
        (EventFilter(principal="bob"), lambda e: e.principal == "bob"),
        (EventFilter(principal="anonymous"), lambda e: e.principal == "anonymous"),
        (EventFilter(principal="BOB"), lambda e: False),
        (
            EventFilter(action="registry.SetModelAlias"),
            lambda e: e.action == "registry.SetModelAlias",
        ),
        (EventFilter(service="training"), lambda e: e.service == "training"),
        (EventFilter(resource="models/fraud"), lambda e: e.resource == "models/fraud"),
        (
            EventFilter(resource_prefix="models/fraud"),
            lambda e: e.resource.startswith("models/fraud"),
        ),
        (
            EventFilter(resource_prefix="models/fraud_"),  # "_" is not a wildcard
            lambda e: e.resource == "models/fraud_v2",
        ),
        (
            EventFilter(resource_prefix="models/100%"),  # nor is "%"
            lambda e: e.resource == "models/100%/x",
        ),
        (
            EventFilter(resource_prefix="models/F"),  # case-sensitive on both databases
            lambda e: e.resource == "models/Fraud",
        ),
        (EventFilter(resource_prefix="jobs/"), lambda e: e.resource == "jobs/7"),
        (EventFilter(outcome=Outcome.DENIED), lambda e: e.outcome is Outcome.DENIED),
        (EventFilter(outcome=Outcome.FAILED), lambda e: e.outcome is Outcome.FAILED),
        (
            EventFilter(principal="alice", outcome=Outcome.OK, resource_prefix="models/"),
            lambda e: (
                e.principal == "alice"
                and e.outcome is Outcome.OK
                and e.resource.startswith("models/")
            ),
        ),
        (EventFilter(min_sequence=5, max_sequence=9), lambda e: 5 <= e.sequence <= 9),
    ]
    with migrated_db.unit_of_work(read_only=True) as session:
        for flt, wanted in cases:
            expected = [e.sequence for e in mixed_log if wanted(e)]
            page, more = list_events(session, flt, after=None, limit=100)
            assert [e.sequence for e in page] == expected, flt
            assert not more
            assert [e.sequence for e in iter_events(session, flt, batch=3)] == expected, flt
    # the reference predicates are not trivially empty or full
    assert len([e for e in mixed_log if e.resource.startswith("models/fraud")]) == 16
    assert sum(e.outcome is Outcome.DENIED for e in mixed_log) == 8


def test_keyset_paging(migrated_db: Database, mixed_log: list[AuditEntry]) -> None:
    everything = [e.sequence for e in mixed_log]
    bobs = [e.sequence for e in mixed_log if e.principal == "bob"]
    for flt, expected in [(EventFilter(), everything), (EventFilter(principal="bob"), bobs)]:
        for limit in (1, 4, 5, len(expected), len(expected) + 1):
            assert _page_through(migrated_db, flt, limit, descending=False) == expected
            assert _page_through(migrated_db, flt, limit, descending=True) == expected[::-1]

    with migrated_db.unit_of_work(read_only=True) as session:
        page, more = list_events(session, EventFilter(), after=10, limit=5)
        assert ([e.sequence for e in page], more) == ([11, 12, 13, 14, 15], True)
        page, more = list_events(session, EventFilter(), after=10, limit=5, descending=True)
        assert ([e.sequence for e in page], more) == ([9, 8, 7, 6, 5], True)
        page, more = list_events(session, EventFilter(), after=3, limit=5, descending=True)
        assert ([e.sequence for e in page], more) == ([2, 1], False)
        page, more = list_events(session, EventFilter(), after=28, limit=4)
        assert ([e.sequence for e in page], more) == ([29, 30, 31, 32], False)  # exact fit
        page, more = list_events(session, EventFilter(), after=32, limit=4)
        assert (page, more) == ([], False)
