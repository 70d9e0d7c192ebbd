"""Work done in child processes by the concurrency tests (importable after a spawn)."""

from __future__ import annotations

from multiprocessing.synchronize import Barrier

from slipway.core import idempotency
from slipway.core.bootstrap import connect_database
from slipway.schema import migrate as schema


def remember_many(url: str, worker: int, count: int) -> None:
    """`count` small transactions, each a read then a write: the pattern that makes SQLite's
    deferred transactions fail with "database is locked" when the read lock cannot be upgraded."""
    db = connect_database(url)
    try:
        for i in range(count):
            key = idempotency.IdempotencyKey("test", "Write", f"{worker}-{i}", f"worker-{worker}")
            with db.unit_of_work() as session:
                assert idempotency.find(session, key) is None
                idempotency.remember(session, key, "test.Response", f"{worker}:{i}".encode())
    finally:
        db.dispose()


def start_service_schema_check(url: str, barrier: Barrier) -> None:
    """What a service does at start on the embedded default: check the schema, migrate if behind.
    The barrier lines the processes up so their upgrades really overlap."""
    db = connect_database(url)
    try:
        barrier.wait(timeout=60)
        schema.ensure_schema_current(db, auto_upgrade=True)
    finally:
        db.dispose()
