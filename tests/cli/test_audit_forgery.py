"""Forging the audit chain with the database's own credentials, and `slipway audit verify`
finding each forgery at its exact sequence (issue 16, finding 3).

The forger here is whoever holds the database credentials: plain SQL on the database, no
Slipway code except :func:`slipway.core.audit.chain.compute_hash`, which is documented so an
auditor (or a forger) can re-implement the unkeyed hash. The verifier is a real process.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from slipway.core.audit import record
from slipway.core.audit.chain import (
    GENESIS_HASH,
    AuditEntry,
    ChainKey,
    Outcome,
    canonical_payload,
    compute_hash,
)
from slipway.core.audit.checkpoints import generate_signing_key
from slipway.core.audit.keys import generate_key_file
from slipway.core.audit.log import to_entry, verify
from slipway.core.audit.tables import AuditEventRow
from slipway.core.bootstrap import connect_database
from slipway.core.context import Principal
from slipway.schema.migrate import upgrade
from support.harness import make_tokens
from support.postgres import PostgresCluster
from support.processes import ServiceProcess
from support.waiting import wait_until

ROLES_SQL = Path(__file__).resolve().parents[2] / "deploy" / "postgres" / "roles.sql"

ALICE = Principal("alice", frozenset({"developer"}))
CLI_TIMEOUT = 120.0
START_TIMEOUT = 120.0  # a loaded machine: the interpreter and scikit-learn import slowly


def slipway(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`slipway ARGS` in a child process."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SLIPWAY_")}
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "slipway.cli.main", *args],
        env=environ,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
        check=False,
    )


def append_events(url: str, count: int, key: ChainKey | None = None) -> None:
    """``count`` audited events written the way the services write them (under ``key``)."""
    db = connect_database(url, key)
    try:
        for i in range(count):
            with db.unit_of_work() as session:
                record(
                    session,
                    service="registry",
                    action="registry.CreateModel",
                    resource=f"models/m{i}",
                    payload={"name": f"m{i}"},
                    principal=ALICE,
                    request_id=f"req-{i}",
                )
    finally:
        db.dispose()


def forged_entry(sequence: int, previous_hash: str, event_time: datetime) -> AuditEntry:
    """ "An approver promoted fraud to production", with the unkeyed hash recomputed."""
    entry = AuditEntry(
        sequence=sequence,
        event_id=str(uuid.uuid4()),
        event_time=event_time,
        service="registry",
        action="registry.SetModelAlias",
        principal="approver-user",
        roles=("approver",),
        resource="models/fraud",
        outcome=Outcome.OK,
        status_code="OK",
        error_reason="",
        reason="promoted fraud to production",
        request_id="forged",
        payload=canonical_payload({"alias": "production", "version": 1}),
        previous_hash=previous_hash,
    )
    return AuditEntry(**{**entry.__dict__, "hash": compute_hash(entry)})


def insert_forged_event(connection: sa.Connection, days_back: float) -> int:
    """Append a forged event dated ``days_back`` days before the head event, and move the head
    to it, as the application's database role may; returns its sequence."""
    sequence, previous_hash = connection.execute(
        sa.text("SELECT last_sequence, last_hash FROM audit_chain_head WHERE id = 1")
    ).one()
    head_time = connection.execute(
        sa.text("SELECT event_time FROM audit_events WHERE sequence = :s"), {"s": sequence}
    ).scalar_one()
    if isinstance(head_time, str):  # SQLite hands back the stored text
        head_time = datetime.fromisoformat(head_time)
    if head_time.tzinfo is None:
        head_time = head_time.replace(tzinfo=UTC)
    entry = forged_entry(sequence + 1, previous_hash, head_time - timedelta(days=days_back))
    stored_time: object = entry.event_time
    if connection.dialect.name == "sqlite":
        stored_time = entry.event_time.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
    connection.execute(
        sa.text(
            "INSERT INTO audit_events (sequence, event_id, event_time, service, action, "
            "principal, roles, resource, outcome, status_code, error_reason, reason, "
            "request_id, payload, previous_hash, hash, hash_version) VALUES (:sequence, "
            ":event_id, :event_time, :service, :action, :principal, :roles, :resource, "
            ":outcome, :status_code, :error_reason, :reason, :request_id, :payload, "
            ":previous_hash, :hash, :hash_version)"
        ),
        {
            **entry.__dict__,
            "event_time": stored_time,
            "roles": ",".join(entry.roles),
            "outcome": entry.outcome.value,
        },
    )
    connection.execute(
        sa.text("UPDATE audit_chain_head SET last_sequence = :s, last_hash = :h WHERE id = 1"),
        {"s": entry.sequence, "h": entry.hash},
    )
    return entry.sequence


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'db' / 'slipway.db'}"
    (tmp_path / "db").mkdir()
    upgrade(url)
    return url


@pytest.mark.slow
def test_a_back_dated_event_is_reported_at_its_sequence(tmp_path: Path, sqlite_url: str) -> None:
    append_events(sqlite_url, 3)
    engine = sa.create_engine(sqlite_url)
    with engine.begin() as connection:
        forged = insert_forged_event(connection, days_back=30)
    engine.dispose()
    append_events(sqlite_url, 2)  # honest events after it: the chain links through the forgery

    tokens = tmp_path / "tokens.json"
    token = make_tokens(tokens)["auditor"]
    (tmp_path / "auditor.token").write_text(token)
    registry = ServiceProcess(
        "registry", tmp_path / "home", sqlite_url, tokens, "--audit-verify-interval-seconds", "0"
    )
    try:
        address = registry.wait_ready(timeout=START_TIMEOUT)
        connection = ("--target", address, "--token-file", str(tmp_path / "auditor.token"))
        before = slipway("audit", "verify", "--end", str(forged - 1), *connection)
        verified = slipway("audit", "verify", *connection)
    finally:
        registry.stop()
    # Intact up to the forgery, and said plainly to be worth little: the chain is unkeyed.
    assert before.returncode == 0, before.stdout + before.stderr
    assert "UNKEYED chain: verification detects accidental damage only" in before.stdout
    assert verified.returncode == 1, verified.stdout + verified.stderr
    assert f"BROKEN at sequence {forged} " in verified.stdout, verified.stdout
    assert "back-dated" in verified.stdout


def test_appends_never_date_an_event_before_its_predecessor(sqlite_url: str) -> None:
    append_events(sqlite_url, 1)
    engine = sa.create_engine(sqlite_url)
    with engine.begin() as connection:
        ahead = insert_forged_event(connection, days_back=-1)  # a clock a day fast
    engine.dispose()
    append_events(sqlite_url, 1)
    db = connect_database(sqlite_url)
    try:
        with db.unit_of_work(read_only=True) as session:
            first, second = (
                to_entry(row)
                for row in session.scalars(
                    sa.select(AuditEventRow).where(AuditEventRow.sequence >= ahead)
                )
            )
            assert second.event_time >= first.event_time
            assert verify(session).ok
    finally:
        db.dispose()


def as_role(url: str, role: str) -> str:
    """The URL of ``url``'s database for login role ``role`` (trust auth on loopback)."""
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{role}@{rest.split('@', 1)[1]}"


def verify_via(address: str, token_file: Path) -> subprocess.CompletedProcess[str]:
    return slipway("audit", "verify", "--target", address, "--token-file", str(token_file))


@pytest.mark.postgres
def test_an_event_forged_by_the_application_role_is_reported(
    tmp_path: Path, postgres_cluster: PostgresCluster
) -> None:
    owner_url = postgres_cluster.url(postgres_cluster.create_database())
    upgrade(owner_url)
    with sa.create_engine(owner_url).begin() as connection:
        connection.exec_driver_sql(ROLES_SQL.read_text())
    app_url = as_role(owner_url, "slipway_app")
    key_file = tmp_path / "audit.key"
    key = generate_key_file(key_file)
    append_events(app_url, 4, key)

    # The application's own credentials: they may INSERT events and move the head.
    app_engine = sa.create_engine(app_url)
    with app_engine.begin() as connection:
        forged = insert_forged_event(connection, days_back=30)
    app_engine.dispose()
    append_events(app_url, 2, key)

    # An auditor on the database, with the key and a read-only role.
    direct = slipway(
        "audit",
        "verify",
        "--database-url",
        as_role(owner_url, "slipway_auditor"),
        "--key-file",
        str(key_file),
    )
    assert direct.returncode == 1, direct.stdout + direct.stderr
    assert f"BROKEN at sequence {forged} (UNKEYED_ROW)" in direct.stdout, direct.stdout

    # The service, keyed, answering `slipway audit verify` over its API.
    tokens = tmp_path / "tokens.json"
    (tmp_path / "auditor.token").write_text(make_tokens(tokens)["auditor"])
    registry = ServiceProcess(
        "registry",
        tmp_path / "home",
        app_url,
        tokens,
        "--audit-key-file",
        str(key_file),
        "--audit-verify-interval-seconds",
        "0",
    )
    try:
        address = registry.wait_ready(timeout=START_TIMEOUT)
        served = verify_via(address, tmp_path / "auditor.token")
        before = slipway(
            "audit",
            "verify",
            "--end",
            str(forged - 1),
            "--target",
            address,
            "--token-file",
            str(tmp_path / "auditor.token"),
        )
    finally:
        registry.stop()
    assert before.returncode == 0, before.stdout + before.stderr
    assert "keyed chain: verified by the service with its audit keys" in before.stdout
    assert served.returncode == 1, served.stdout + served.stderr
    assert f"BROKEN at sequence {forged} " in served.stdout, served.stdout


def rehash_from(connection: sa.Connection, first: int) -> None:
    """Re-hash events ``first``.. unkeyed (the documented SHA-256) and move the head."""
    rows = connection.execute(
        sa.select(AuditEventRow.__table__)
        .where(AuditEventRow.sequence >= first - 1)
        .order_by(AuditEventRow.sequence)
    ).all()
    if first == 1:  # the first event follows the genesis hash, not a stored event
        previous = GENESIS_HASH
    else:
        previous, rows = rows[0].hash, rows[1:]
    for row in rows:
        entry = AuditEntry(
            sequence=row.sequence,
            event_id=row.event_id,
            event_time=row.event_time,
            service=row.service,
            action=row.action,
            principal=row.principal,
            roles=tuple(r for r in row.roles.split(",") if r),
            resource=row.resource,
            outcome=Outcome(row.outcome),
            status_code=row.status_code,
            error_reason=row.error_reason,
            reason=row.reason,
            request_id=row.request_id,
            payload=row.payload,
            previous_hash=previous,
        )
        previous = compute_hash(entry)
        connection.execute(
            sa.update(AuditEventRow.__table__)
            .where(AuditEventRow.sequence == row.sequence)
            .values(previous_hash=entry.previous_hash, hash=previous, hash_version=1, key_id="")
        )
    connection.execute(
        sa.text("UPDATE audit_chain_head SET last_hash = :h WHERE id = 1"), {"h": previous}
    )


def test_a_rewritten_and_rehashed_sqlite_chain_is_reported(tmp_path: Path, sqlite_url: str) -> None:
    key_file = tmp_path / "audit.key"
    key = generate_key_file(key_file)
    append_events(sqlite_url, 6, key)
    rewritten = 3
    engine = sa.create_engine(sqlite_url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TRIGGER audit_events_no_update")
        connection.execute(
            sa.text("UPDATE audit_events SET reason = 'nothing to see' WHERE sequence = :s"),
            {"s": rewritten},
        )
        rehash_from(connection, rewritten)
    engine.dispose()

    unkeyed = slipway("audit", "verify", "--database-url", sqlite_url)
    keyed = slipway("audit", "verify", "--database-url", sqlite_url, "--key-file", str(key_file))
    assert keyed.returncode == 1, keyed.stdout + keyed.stderr
    assert f"BROKEN at sequence {rewritten} (UNKEYED_ROW)" in keyed.stdout, keyed.stdout
    # Without the key the first events cannot be checked, and that is said, not passed over.
    assert unkeyed.returncode == 1
    assert "BROKEN at sequence 1 (UNKNOWN_KEY)" in unkeyed.stdout, unkeyed.stdout


def test_a_chain_rehashed_unkeyed_from_its_first_event_is_reported(
    tmp_path: Path, sqlite_url: str
) -> None:
    """With the defaults, a keyed chain that was re-hashed unkeyed whole (no keyed event left
    to contradict it) is still refused: no event may be unkeyed unless a prefix is pinned."""
    key_file = tmp_path / "audit.key"
    key = generate_key_file(key_file)
    append_events(sqlite_url, 5, key)
    engine = sa.create_engine(sqlite_url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TRIGGER audit_events_no_update")
        connection.execute(sa.text("UPDATE audit_events SET reason = 'nothing to see'"))
        rehash_from(connection, 1)
    engine.dispose()

    keyed = slipway("audit", "verify", "--database-url", sqlite_url, "--key-file", str(key_file))
    assert keyed.returncode == 1, keyed.stdout + keyed.stderr
    assert "BROKEN at sequence 1 (UNKEYED_ROW)" in keyed.stdout, keyed.stdout
    # Accepting any unkeyed prefix is an explicit choice, and it lets this forgery through.
    lax = slipway(
        "audit",
        "verify",
        "--database-url",
        sqlite_url,
        "--key-file",
        str(key_file),
        "--unkeyed-until",
        "-1",
    )
    assert lax.returncode == 0, lax.stdout + lax.stderr


def sqlite_backup(source_url: str, target: Path) -> str:
    """A consistent copy of an SQLite database (the backup API, WAL included); its URL."""
    with (
        sqlite3.connect(source_url.removeprefix("sqlite:///")) as source,
        sqlite3.connect(target) as copy,
    ):
        source.backup(copy)
    return f"sqlite:///{target}"


def checkpoint_lines(path: Path) -> list[dict[str, object]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.mark.slow
async def test_a_chain_matching_its_checkpoints_survives_a_backup_and_a_cut_restore_does_not(
    tmp_path: Path, sqlite_url: str
) -> None:
    await backups_against_checkpoints(
        tmp_path, sqlite_url, lambda url, name: sqlite_backup(url, tmp_path / f"{name}.db")
    )


@pytest.mark.postgres
async def test_a_pg_dump_restore_verifies_against_the_checkpoints(
    tmp_path: Path, postgres_cluster: PostgresCluster
) -> None:
    def dump_and_restore(url: str, name: str) -> str:
        """pg_dump the database, then restore the dump into a new one with psql."""
        dump = tmp_path / f"{name}.sql"
        plain = url.replace("postgresql+psycopg://", "postgresql://")
        subprocess.run(
            [str(postgres_cluster.bindir / "pg_dump"), "-d", plain, "-f", str(dump)],
            check=True,
            timeout=CLI_TIMEOUT,
        )
        restored = postgres_cluster.url(postgres_cluster.create_database())
        subprocess.run(
            [
                str(postgres_cluster.bindir / "psql"),
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                restored.replace("postgresql+psycopg://", "postgresql://"),
                "-f",
                str(dump),
            ],
            check=True,
            capture_output=True,
            timeout=CLI_TIMEOUT,
        )
        return restored

    url = postgres_cluster.url(postgres_cluster.create_database())
    upgrade(url)
    await backups_against_checkpoints(tmp_path, url, dump_and_restore)


async def backups_against_checkpoints(
    tmp_path: Path, url: str, backup: Callable[[str, str], str]
) -> None:
    """Checkpoints written by the registry; the database, a backup and restore of it, and a
    restore of a backup older than the newest checkpoint, each verified against them."""
    key_file = tmp_path / "keys" / "audit.key"
    key = generate_key_file(key_file)
    generate_signing_key(tmp_path / "keys" / "sign.pem", tmp_path / "keys" / "sign.pub")
    sink = tmp_path / "sink" / "checkpoints.jsonl"  # another volume in production
    sink.parent.mkdir()
    append_events(url, 5, key)
    old_backup = backup(url, "old-backup")
    append_events(url, 3, key)

    tokens = tmp_path / "tokens.json"
    make_tokens(tokens)
    registry = ServiceProcess(
        "registry",
        tmp_path / "home",
        url,
        tokens,
        "--audit-key-file",
        str(key_file),
        "--audit-checkpoint-file",
        str(sink),
        "--audit-checkpoint-signing-key-file",
        str(tmp_path / "keys" / "sign.pem"),
        "--audit-checkpoint-interval-seconds",
        "3600",
    )
    try:
        registry.wait_ready(timeout=START_TIMEOUT)
        await wait_until(lambda: checkpoint_lines(sink), "the first checkpoint")
        append_events(url, 2, key)
    finally:
        assert registry.stop() == 0, registry.log_text()
    # Signed at start (head 8) and at graceful shutdown (head 10).
    assert [line["sequence"] for line in checkpoint_lines(sink)] == [8, 10]
    full_backup = backup(url, "full-backup")

    def verify_with_checkpoints(url: str) -> subprocess.CompletedProcess[str]:
        return slipway(
            "audit",
            "verify",
            "--database-url",
            url,
            "--key-file",
            str(key_file),
            "--checkpoints",
            str(sink),
            "--public-key",
            str(tmp_path / "keys" / "sign.pub"),
        )

    for verified in (url, full_backup):
        intact = verify_with_checkpoints(verified)
        assert intact.returncode == 0, intact.stdout + intact.stderr
        assert "matches all 2 signed checkpoint(s)" in intact.stdout
    cut = verify_with_checkpoints(old_backup)
    assert cut.returncode == 1, cut.stdout + cut.stderr
    assert "BROKEN at sequence 6 (MISSING_ROW)" in cut.stdout, cut.stdout
    assert "restored from an older backup" in cut.stdout

    # A forged checkpoint (the sink edited by hand) is refused, not believed.
    forged = tmp_path / "forged.jsonl"
    line = checkpoint_lines(sink)[0]
    forged.write_text(json.dumps({**line, "sequence": 5}) + "\n")
    refused = slipway(
        "audit",
        "verify",
        "--database-url",
        url,
        "--key-file",
        str(key_file),
        "--checkpoints",
        str(forged),
        "--public-key",
        str(tmp_path / "keys" / "sign.pub"),
    )
    assert refused.returncode == 1
    assert "the signature does not verify" in refused.stderr, refused.stdout + refused.stderr
