"""Work done in child processes by the audit log tests (importable after a spawn)."""

from __future__ import annotations

from multiprocessing.synchronize import Barrier

from slipway.core import idempotency
from slipway.core.audit import record
from slipway.core.bootstrap import connect_database
from slipway.core.context import Principal


def resource_of(worker: int, i: int) -> str:
    """The resource the `i`-th mutation of `worker` changes (and names in its event)."""
    return f"models/w{worker}-{i}"


def audited_mutations(url: str, worker: int, count: int, barrier: Barrier) -> None:
    """`count` audited mutations, one transaction each: a real change (an idempotency record
    with a key of its own) and its audit event, committed together. The barrier lines the
    processes up so their appends really compete for the chain head."""
    db = connect_database(url)
    principal = Principal(f"worker-{worker}", frozenset({"developer"}))
    try:
        barrier.wait(timeout=60)
        for i in range(count):
            resource = resource_of(worker, i)
            key = idempotency.IdempotencyKey("registry", "CreateModel", resource, principal.name)
            with db.unit_of_work() as session:
                idempotency.remember(session, key, "slipway.registry.v1.Model", resource.encode())
                record(
                    session,
                    service="registry",
                    action="registry.CreateModel",
                    resource=resource,
                    payload={"worker": worker, "i": i},
                    reason="concurrency test",
                    principal=principal,
                    request_id=f"{worker}-{i}",
                )
    finally:
        db.dispose()
