"""The database engine, the unit of work, migrations, the schema check and `slipway db`."""

from __future__ import annotations

import argparse
import multiprocessing
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.orm import Session

from slipway.cli import db as db_cli
from slipway.core import idempotency
from slipway.core.bootstrap import connect_database
from slipway.core.db import (
    SQLITE_BUSY_TIMEOUT_SECONDS,
    Database,
    UnsupportedDatabaseError,
    default_database_url,
    is_conflict,
    make_engine,
)
from slipway.core.idempotency import IdempotencyKey
from slipway.schema import migrate as schema
from support.writers import remember_many, start_service_schema_check


def _tables(db: Database) -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


def _count_in(session: Session) -> int:
    query = sa.select(sa.func.count()).select_from(idempotency.IdempotencyRecord)
    return session.scalar(query) or 0


def _count(db: Database) -> int:
    with db.unit_of_work(read_only=True) as session:
        return _count_in(session)


def _key(n: int = 1) -> IdempotencyKey:
    return IdempotencyKey("registry", "CreateModel", f"req-{n}", "alice")


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_a_lost_race_is_told_from_other_integrity_errors(migrated_db: Database) -> None:
    """On PostgreSQL a unique violation is a conflict with a concurrent transaction; on SQLite,
    where writers take the lock first, it is a bug, as a broken NOT NULL is on both."""
    with migrated_db.unit_of_work() as session:
        idempotency.remember(session, _key(), "x.Y", b"first")

    def error_of(statement: sa.Executable) -> BaseException:
        with pytest.raises(sa.exc.IntegrityError) as caught, migrated_db.unit_of_work() as session:
            session.execute(statement)
        return caught.value

    table = idempotency.IdempotencyRecord.__table__
    columns = [c for c in table.columns if c.name != "id"]  # the same key again
    duplicate = sa.insert(table).from_select([c.name for c in columns], sa.select(*columns))
    assert is_conflict(error_of(duplicate)) == (migrated_db.engine.dialect.name == "postgresql")
    null_key = sa.update(idempotency.IdempotencyRecord).values(request_id=None)
    assert not is_conflict(error_of(null_key))
    assert not is_conflict(RuntimeError("not a database error"))


# -- engine -------------------------------------------------------------------------------------


def test_default_url_is_sqlite_under_home(tmp_path: Path) -> None:
    assert default_database_url(tmp_path) == f"sqlite:///{tmp_path}/slipway.db"


@pytest.mark.parametrize(
    "url", ["mysql://u@h/db", "sqlite+aiosqlite:///x.db", "postgresql+psycopg2://u@h/db"]
)
def test_other_databases_are_refused(url: str) -> None:
    with pytest.raises(UnsupportedDatabaseError, match="unsupported"):
        make_engine(url)


def test_plain_postgresql_url_means_psycopg3() -> None:
    engine = make_engine("postgresql://u:secret@localhost/db")
    assert engine.dialect.driver == "psycopg"
    assert "secret" not in repr(Database(engine, commit_writers=()))


def test_sqlite_settings(tmp_path: Path) -> None:
    db = connect_database(f"sqlite:///{tmp_path / 'new' / 'slipway.db'}")  # folder made
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
    assert db.dialect_name == "sqlite"
    db.dispose()


# -- migrations and the schema check ------------------------------------------------------------


def test_upgrade_to_head_creates_the_tables(migrated_db: Database) -> None:
    assert {"idempotency_records", "audit_events", "audit_chain_head"} <= _tables(migrated_db)
    assert schema.current_revision(migrated_db.engine) == schema.head_revision()
    schema.ensure_schema_current(migrated_db, auto_upgrade=False)  # no error


def test_empty_database_is_refused_with_the_command_to_run(database_url: str) -> None:
    url = sa.make_url(database_url)
    if url.get_backend_name() == "postgresql":
        url = url.set(password="hunter2")  # the test cluster trusts loopback: any password works
    db = connect_database(url.render_as_string(hide_password=False))
    try:
        with pytest.raises(schema.SchemaOutOfDateError) as caught:
            schema.ensure_schema_current(db, auto_upgrade=False)
        message = str(caught.value)
        assert "slipway db upgrade --database-url" in message
        assert "none" in message
        assert schema.head_revision() in message
        assert caught.value.current is None
        assert "hunter2" not in message
        assert _tables(db) == set()  # nothing touched
    finally:
        db.dispose()


def test_older_revision_is_refused_then_auto_upgraded(
    migrated_db: Database, database_url: str
) -> None:
    schema.downgrade(database_url, "base")
    assert "idempotency_records" not in _tables(migrated_db)
    with pytest.raises(schema.SchemaOutOfDateError, match="slipway db upgrade"):
        schema.ensure_schema_current(migrated_db, auto_upgrade=False)
    schema.ensure_schema_current(migrated_db, auto_upgrade=True)
    assert schema.current_revision(migrated_db.engine) == schema.head_revision()
    assert "idempotency_records" in _tables(migrated_db)


def test_newer_revision_is_refused(migrated_db: Database) -> None:
    with migrated_db.unit_of_work() as session:
        session.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    for auto_upgrade in (False, True):
        with pytest.raises(schema.SchemaTooNewError, match=r"9999, which .*not know") as caught:
            schema.ensure_schema_current(migrated_db, auto_upgrade=auto_upgrade)
        assert caught.value.required == schema.head_revision()


def test_a_failed_upgrade_leaves_the_schema_as_it_was(database_url: str) -> None:
    engine = make_engine(database_url)

    def upgrade_then_fail() -> None:
        with schema.migration_connection(engine) as conn:
            command.upgrade(schema.alembic_config(connection=conn), "head")
            assert "idempotency_records" in sa.inspect(conn).get_table_names()
            raise RuntimeError("boom")

    try:
        with pytest.raises(RuntimeError, match="boom"):
            upgrade_then_fail()
        # DDL is transactional on both databases: the table and the version row are gone.
        assert schema.current_revision(engine) is None
        assert "idempotency_records" not in sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()


@pytest.mark.slow  # four spawned processes
def test_services_starting_together_migrate_a_fresh_database_once(database_url: str) -> None:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(4)
    processes = [
        ctx.Process(target=start_service_schema_check, args=(database_url, barrier))
        for _ in range(4)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    assert [p.exitcode for p in processes] == [0] * 4
    engine = make_engine(database_url)
    try:
        assert schema.current_revision(engine) == schema.head_revision()
    finally:
        engine.dispose()


def test_upgrade_is_idempotent(migrated_db: Database, database_url: str) -> None:
    schema.upgrade(database_url)
    assert schema.current_revision(migrated_db.engine) == schema.head_revision()


# -- unit of work -------------------------------------------------------------------------------


def test_unit_of_work_commits(migrated_db: Database) -> None:
    with migrated_db.unit_of_work() as session:
        idempotency.remember(session, _key(), "slipway.registry.v1.Model", b"\x01\x02")
    with migrated_db.unit_of_work(read_only=True) as session:
        assert idempotency.find(session, _key()) == b"\x01\x02"
        record = idempotency.find_record(session, _key())
        assert record is not None
        assert record.response_type == "slipway.registry.v1.Model"
        assert record.created_at.tzinfo is not None
        assert abs(datetime.now(UTC) - record.created_at) < timedelta(minutes=1)


def test_unit_of_work_rolls_back_on_exception(migrated_db: Database) -> None:
    def write_then_fail() -> None:
        with migrated_db.unit_of_work() as session:
            idempotency.remember(session, _key(), "x.Y", b"lost")
            assert _count_in(session) == 1
            raise ValueError("after the write")

    with pytest.raises(ValueError, match="after the write"):
        write_then_fail()
    assert _count(migrated_db) == 0


def test_read_only_unit_of_work_does_not_wait_for_writers(migrated_db: Database) -> None:
    with migrated_db.unit_of_work() as writer:
        idempotency.remember(writer, _key(), "x.Y", b"uncommitted")  # holds the write lock
        began = time.monotonic()
        assert _count(migrated_db) == 0  # a read-only unit of work sees the last commit
        # A reader that waited for the writer would wait out SQLite's busy timeout (30 s) and
        # fail; half of it leaves a loaded machine all the room it needs for one query.
        assert time.monotonic() - began < SQLITE_BUSY_TIMEOUT_SECONDS / 2
    assert _count(migrated_db) == 1


def test_read_only_unit_of_work_refuses_writes_on_postgresql(migrated_db: Database) -> None:
    def write() -> None:
        with migrated_db.unit_of_work(read_only=True) as session:
            idempotency.remember(session, _key(), "x.Y", b"no")

    if migrated_db.dialect_name == "postgresql":
        with pytest.raises(sa.exc.InternalError, match="read-only"):
            write()
    else:
        write()  # SQLite has no READ ONLY transactions: the flag only avoids the write lock


def test_duplicate_request_is_reported_and_rolled_back(migrated_db: Database) -> None:
    with migrated_db.unit_of_work() as session:
        idempotency.remember(session, _key(), "x.Y", b"first")

    def retry() -> None:
        with migrated_db.unit_of_work() as session:
            idempotency.remember(session, _key(2), "x.Y", b"another change in this transaction")
            idempotency.remember(session, _key(), "x.Y", b"second")

    with pytest.raises(idempotency.DuplicateRequestError):
        retry()
    assert _count(migrated_db) == 1
    other_caller = IdempotencyKey("registry", "CreateModel", "req-1", "bob")
    with migrated_db.unit_of_work() as session:
        assert idempotency.find(session, other_caller) is None


def test_purge_forgets_old_responses(migrated_db: Database) -> None:
    with migrated_db.unit_of_work() as session:
        idempotency.remember(session, _key(), "x.Y", b"old")
    with migrated_db.unit_of_work() as session:
        assert idempotency.purge_older_than(session, datetime.now(UTC) - timedelta(hours=1)) == 0
        assert idempotency.purge_older_than(session, datetime.now(UTC) + timedelta(seconds=1)) == 1
    assert _count(migrated_db) == 0


@pytest.mark.slow
def test_sqlite_processes_share_the_file_without_lock_errors(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    schema.upgrade(url)
    workers, per_worker = 4, 200
    ctx = multiprocessing.get_context("spawn")
    processes = [
        ctx.Process(target=remember_many, args=(url, worker, per_worker))
        for worker in range(workers)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=240)
    assert [p.exitcode for p in processes] == [0] * workers  # any "database is locked" exits 1
    db = connect_database(url)
    try:
        assert _count(db) == workers * per_worker
    finally:
        db.dispose()


# -- slipway db ---------------------------------------------------------------------------------


def _cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="slipway")
    db_cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    return int(args.func(args))


def test_cli_check_upgrade_current(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli("db", "check", "--database-url", database_url) == db_cli.EXIT_BEHIND
    assert "slipway db upgrade" in capsys.readouterr().err

    assert _cli("db", "current", "--database-url", database_url) == db_cli.EXIT_OK
    assert (
        f"none (empty database) (this release needs {schema.head_revision()})"
        in capsys.readouterr().out
    )

    assert _cli("db", "upgrade", "--database-url", database_url) == db_cli.EXIT_OK
    assert f"revision {schema.head_revision()}" in capsys.readouterr().out

    assert _cli("db", "check", "--database-url", database_url) == db_cli.EXIT_OK
    assert _cli("db", "current", "--database-url", database_url) == db_cli.EXIT_OK
    assert f"{schema.head_revision()} (head)" in capsys.readouterr().out


def test_cli_defaults_to_sqlite_under_slipway_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SLIPWAY_DATABASE_URL", raising=False)
    monkeypatch.setenv("SLIPWAY_HOME", str(tmp_path / "home"))
    assert _cli("db", "upgrade") == db_cli.EXIT_OK
    assert (tmp_path / "home" / "slipway.db").exists()
    monkeypatch.setenv("SLIPWAY_DATABASE_URL", f"sqlite:///{tmp_path / 'other.db'}")
    assert _cli("db", "check") == db_cli.EXIT_BEHIND
    capsys.readouterr()


def test_cli_reports_errors_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli("db", "check", "--database-url", "mysql://u@h/db") == db_cli.EXIT_ERROR
    err = capsys.readouterr().err
    assert err.startswith("slipway db check: unsupported database URL")
    assert len(err.strip().splitlines()) == 1


def test_cli_upgrade_to_an_unknown_revision_fails_cleanly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'slipway.db'}"
    assert _cli("db", "upgrade", "--database-url", url, "--revision", "77") == db_cli.EXIT_ERROR
    assert "Can't locate revision" in capsys.readouterr().err
