"""The background audit chain verifier: incremental rounds, full walks, the Prometheus series it
exports, and its wiring into a service's lifetime and /metrics (`--audit-verify-interval-seconds`).
"""

from __future__ import annotations

import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import Session

from slipway.core.audit import record
from slipway.core.audit.chain import BreakKind, Verification, compute_hash
from slipway.core.audit.log import to_entry
from slipway.core.audit.tables import AuditChainHead, AuditEventRow
from slipway.core.audit.verifier import LAST_VERIFY, OK, VERIFIED_EVENTS, ChainVerifier
from slipway.core.bootstrap import ServiceApp, with_audit_verifier
from slipway.core.context import Principal
from slipway.core.db import Database
from slipway.core.server import SlipwayServer
from slipway.core.settings import ServiceSettings
from support.waiting import wait_until

ALICE = Principal("alice", frozenset({"developer"}))
EVENTS = AuditEventRow.__table__


def _append(db: Database, count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        with db.unit_of_work() as session:
            record(
                session,
                service="registry",
                action="registry.CreateModel",
                resource=f"models/m{n}",
                payload={"n": n},
                principal=ALICE,
                request_id=f"req-{n}",
            )


@contextmanager
def _attacker(db: Database) -> Iterator[sa.Connection]:
    """Direct database access with the append-only triggers out of the way (as in
    test_audit_log.py: dropped on SQLite, bypassed by a PostgreSQL superuser)."""
    with db.engine.begin() as conn:
        if db.dialect_name == "postgresql":
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        else:
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_events_no_update")
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_events_no_delete")
        yield conn


def _edit(sequence: int, *, rehash: bool = False) -> Callable[[sa.Connection], None]:
    def edit(conn: sa.Connection) -> None:
        values: dict[str, str] = {"reason": "forged"}
        if rehash:
            with Session(bind=conn) as session:
                row = session.get(AuditEventRow, sequence)
                assert row is not None
                values["hash"] = compute_hash(replace(to_entry(row), reason="forged"))
        conn.execute(EVENTS.update().where(EVENTS.c.sequence == sequence).values(**values))

    return edit


def _round(verifier: ChainVerifier) -> Verification:
    """One round, which nothing interrupts here."""
    result = verifier.check()
    assert result is not None
    return result


def _series(verifier: ChainVerifier) -> dict[str, float]:
    registry = CollectorRegistry()
    registry.register(verifier)
    return {sample.name: sample.value for family in registry.collect() for sample in family.samples}


def test_rounds_verify_the_chain_and_export_the_result(migrated_db: Database) -> None:
    now = [1_000.0]
    verifier = ChainVerifier(migrated_db, clock=lambda: now[0])
    assert _series(verifier) == {}, "nothing is exported before the first round"

    assert _round(verifier).ok  # an empty chain verifies
    assert _series(verifier) == {OK: 1.0, VERIFIED_EVENTS: 0.0, LAST_VERIFY: 1_000.0}

    _append(migrated_db, 7)
    now[0] = 1_300.0
    second = _round(verifier)
    assert second.ok
    assert second.event_count == 7
    assert _series(verifier) == {OK: 1.0, VERIFIED_EVENTS: 7.0, LAST_VERIFY: 1_300.0}

    _append(migrated_db, 3, start=7)
    third = _round(verifier)  # incremental: only the three new events are walked
    assert third.ok
    assert (third.first_sequence, third.last_sequence, third.event_count) == (8, 10, 3)
    assert _series(verifier)[VERIFIED_EVENTS] == 10.0

    quiet = _round(verifier)  # nothing new: nothing walked, still whole
    assert quiet.ok
    assert quiet.event_count == 0


@pytest.mark.parametrize(
    ("tamper", "kind", "sequence"),
    [
        pytest.param(_edit(6), BreakKind.CHANGED_ROW, 6, id="edit-new-event"),
        pytest.param(
            _edit(4, rehash=True), BreakKind.CHANGED_ROW, 4, id="edit-and-rehash-the-anchor"
        ),
        pytest.param(_edit(4), BreakKind.CHANGED_ROW, 4, id="edit-the-anchor"),
        pytest.param(
            lambda conn: conn.execute(EVENTS.delete().where(EVENTS.c.sequence >= 4)),
            BreakKind.MISSING_ROW,
            4,
            id="delete-the-end",
        ),
        pytest.param(
            lambda conn: (
                conn.execute(EVENTS.delete().where(EVENTS.c.sequence >= 4)),
                conn.execute(sa.update(AuditChainHead.__table__).values(last_sequence=3)),
            ),
            BreakKind.MISSING_ROW,
            4,
            id="delete-the-end-and-move-the-head-back",
        ),
    ],
)
def test_a_tampered_chain_turns_the_gauge_to_zero(
    migrated_db: Database, tamper: Callable[[sa.Connection], object], kind: BreakKind, sequence: int
) -> None:
    _append(migrated_db, 4)
    verifier = ChainVerifier(migrated_db)
    assert _round(verifier).ok
    _append(migrated_db, 4, start=4)

    with _attacker(migrated_db) as conn:
        tamper(conn)

    broken = _round(verifier)
    assert (broken.ok, broken.break_kind, broken.break_sequence) == (False, kind, sequence), (
        broken.detail
    )
    series = _series(verifier)
    assert series[OK] == 0.0
    assert series[VERIFIED_EVENTS] == sequence - 1
    assert not _round(verifier).ok  # the break stays reported, round after round
    assert _series(verifier)[OK] == 0.0


def test_an_edit_behind_the_anchor_is_found_by_the_next_full_walk(migrated_db: Database) -> None:
    """The price of cheap rounds: an incremental round does not re-read verified events; the
    full walk (daily by default, here every round once due) does."""
    _append(migrated_db, 10)
    incremental = ChainVerifier(migrated_db)
    always_full = ChainVerifier(migrated_db, full_walk_seconds=0)
    for verifier in (incremental, always_full):
        assert _round(verifier).ok

    with _attacker(migrated_db) as conn:
        _edit(3)(conn)

    assert _round(incremental).ok  # event 10, the anchor, is untouched
    found = _round(always_full)
    assert (found.ok, found.break_kind, found.break_sequence) == (False, BreakKind.CHANGED_ROW, 3)


def test_a_restored_chain_verifies_again(migrated_db: Database) -> None:
    _append(migrated_db, 5)
    verifier = ChainVerifier(migrated_db, full_walk_seconds=0)
    assert _round(verifier).ok
    with migrated_db.engine.connect() as conn:
        original = conn.execute(sa.select(EVENTS.c.reason).where(EVENTS.c.sequence == 2)).one()
    with _attacker(migrated_db) as conn:
        _edit(2)(conn)
    assert not _round(verifier).ok
    with _attacker(migrated_db) as conn:  # the good rows back, as a restore would bring them
        conn.execute(EVENTS.update().where(EVENTS.c.sequence == 2).values(reason=original[0]))
    assert _round(verifier).ok
    assert _series(verifier)[OK] == 1.0


def test_a_stop_interrupts_a_walk_between_chunks(migrated_db: Database) -> None:
    _append(migrated_db, 6)
    verifier = ChainVerifier(migrated_db, chunk=2)
    verifier.stop()
    assert verifier.check() is None
    assert _series(verifier) == {}


def test_rounds_during_concurrent_appends_stay_whole(migrated_db: Database) -> None:
    """Events committed while a round walks are outside its snapshot, not forged rows behind
    the chain head."""
    _append(migrated_db, 20)
    stop = threading.Event()
    written = [20]

    def writer() -> None:
        while not stop.is_set() and written[0] < 400:
            _append(migrated_db, 1, start=written[0])
            written[0] += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        verifier = ChainVerifier(migrated_db, full_walk_seconds=0, chunk=7)
        # A few rounds while the writer writes; counted, not timed, so a slow machine (where
        # one round may take seconds) still gets more than one. The deadline only bounds a hang.
        deadline = time.monotonic() + 60.0
        rounds = 0
        while time.monotonic() < deadline and thread.is_alive() and rounds < 5:
            result = _round(verifier)
            assert result.ok, result.detail
            rounds += 1
    finally:
        stop.set()
        thread.join(timeout=30)
    assert rounds > 1
    result = _round(verifier)
    assert result.ok
    assert result.last_sequence == written[0]


# -- wiring: the setting, the service's lifetime, its /metrics -----------------------------------


def test_the_interval_setting(tmp_path: Path) -> None:
    assert ServiceSettings(home=tmp_path).audit_verify_interval_seconds == 300.0
    assert (
        ServiceSettings.from_sources(
            None, {"SLIPWAY_AUDIT_VERIFY_INTERVAL_SECONDS": "0"}
        ).audit_verify_interval_seconds
        == 0
    )
    with pytest.raises(ValueError, match="audit_verify_interval_seconds"):
        ServiceSettings(home=tmp_path, audit_verify_interval_seconds=-1)


def test_interval_zero_leaves_the_service_as_it_is(migrated_db: Database) -> None:
    app = ServiceApp(services=[])
    assert with_audit_verifier(app, migrated_db, 0) is app


def _scrape(address: str) -> dict[str, float]:
    with urllib.request.urlopen(f"http://{address}/metrics", timeout=5) as reply:
        text = reply.read().decode()
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name.startswith("slipway_audit_chain")
    }


async def test_a_service_verifies_in_the_background_and_serves_the_gauge(
    migrated_db: Database, tmp_path: Path
) -> None:
    _append(migrated_db, 3)
    hooks: list[str] = []

    async def ready() -> None:
        hooks.append("ready")

    async def stopping() -> None:
        hooks.append("stopping")

    app = with_audit_verifier(
        ServiceApp(services=[], on_ready=ready, on_stopping=stopping), migrated_db, 0.05
    )
    settings = ServiceSettings(
        home=tmp_path,
        grpc_address="127.0.0.1:0",
        metrics_address="127.0.0.1:0",
        insecure_no_auth=True,
    )
    server = SlipwayServer(settings, app.services, collectors=app.collectors)
    await server.start()
    try:
        assert app.on_ready is not None
        assert app.on_stopping is not None
        await app.on_ready()
        assert hooks == ["ready"]  # the service's own hook still runs
        address = server.metrics_address

        def whole() -> bool:
            return _scrape(address).get(OK) == 1.0

        await wait_until(whole, "slipway_audit_chain_ok 1")
        _append(migrated_db, 2, start=3)
        await wait_until(
            lambda: _scrape(address).get(VERIFIED_EVENTS) == 5.0, "the new events verified"
        )

        with _attacker(migrated_db) as conn:
            _edit(5)(conn)
        await wait_until(lambda: _scrape(address).get(OK) == 0.0, "slipway_audit_chain_ok 0")
        assert _scrape(address)[LAST_VERIFY] > time.time() - 60
        await app.on_stopping()
        assert hooks == ["ready", "stopping"]
    finally:
        await server.stop(grace=1.0)
