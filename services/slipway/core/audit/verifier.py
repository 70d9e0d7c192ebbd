"""The audit chain, re-verified in the background of a service and exported to Prometheus.

A round walks only the events appended since the previous round: it starts from the sequence and
hash it verified last, after checking that this event is still stored as it was, so a round costs
the new events and a few indexed reads. A process's first round, one a day after that
(``full_walk_seconds``), and the round after any break walk the whole chain: that finds an edit
anywhere behind the anchor too, which an incremental round cannot see. A round reads one
snapshot of the database (``REPEATABLE READ`` on PostgreSQL, a plain read transaction on SQLite
in WAL mode), so events appended while it walks never look like rows added behind the chain
head.

Series, served on the service's /metrics once the first round has finished:

    slipway_audit_chain_ok                              1 while the chain verifies, 0 once broken
    slipway_audit_chain_verified_events                 events verified intact from the start
    slipway_audit_chain_last_verify_timestamp_seconds   when the last round finished (Unix time)

A round that cannot read the database (it is down, say) is logged and changes none of them, so
an old timestamp, not a 0, is what an unreachable database looks like.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from slipway.core.audit.chain import (
    GENESIS_HASH,
    BreakKind,
    Keyring,
    Verification,
    compute_hash,
)
from slipway.core.audit.log import chain_head, configured_keyring, to_entry, verify
from slipway.core.audit.tables import AuditEventRow
from slipway.core.db import READ_ONLY_OPTION, Database
from slipway.core.logs import get_logger

log = get_logger("slipway.audit.verifier")

FULL_WALK_SECONDS = 24 * 3600.0
CHUNK = 10_000  # events per verify() call; a stop request is honoured between chunks

OK = "slipway_audit_chain_ok"
VERIFIED_EVENTS = "slipway_audit_chain_verified_events"
LAST_VERIFY = "slipway_audit_chain_last_verify_timestamp_seconds"


@dataclass(frozen=True)
class _Exported:
    ok: bool
    verified_events: int
    finished_at: float


def snapshot_engine(db: Database) -> Engine:
    """``db``'s engine for read-only transactions that see one snapshot throughout."""
    if db.dialect_name == "postgresql":
        return db.engine.execution_options(
            isolation_level="REPEATABLE READ", postgresql_readonly=True
        )
    return db.engine.execution_options(**{READ_ONLY_OPTION: True})


@contextmanager
def read_snapshot(engine: Engine) -> Iterator[Session]:
    """A read-only transaction on an engine from :func:`snapshot_engine`: a walk of the chain
    in it never sees events committed after it began (on PostgreSQL's default isolation, such
    events looked like rows added behind the chain head read first)."""
    with Session(engine) as session, session.begin():
        yield session


class ChainVerifier(Collector):
    """Verifies the audit chain round after round (:meth:`check`, blocking; :meth:`run`, a
    loop) and is the Prometheus collector of the result."""

    def __init__(
        self,
        db: Database,
        *,
        full_walk_seconds: float = FULL_WALK_SECONDS,
        chunk: int = CHUNK,
        clock: Callable[[], float] = time.time,
        keyring: Keyring | None = None,
    ) -> None:
        self._engine = snapshot_engine(db)
        self._keyring = keyring
        self._full_walk_seconds = full_walk_seconds
        self._chunk = max(1, chunk)
        self._clock = clock
        # The last event verified intact (0 and the genesis hash: walk from the start).
        self._sequence = 0
        self._hash = GENESIS_HASH
        self._last_full_walk: float | None = None  # time.monotonic() of the last full walk
        self._exported: _Exported | None = None
        self._stopping = threading.Event()

    # -- verifying ------------------------------------------------------------------------------

    def check(self) -> Verification | None:
        """One round; returns its result, or None when :meth:`stop` interrupted it."""
        full = self._full_walk_due()
        sequence, digest = (0, GENESIS_HASH) if full else (self._sequence, self._hash)
        with read_snapshot(self._engine) as session:
            result = self._walk(session, sequence, digest)
        if result is None:
            return None
        self._finish(result, full)
        return result

    def _full_walk_due(self) -> bool:
        return (
            self._sequence == 0
            or self._last_full_walk is None
            or time.monotonic() - self._last_full_walk >= self._full_walk_seconds
        )

    def _walk(self, session: Session, sequence: int, digest: str) -> Verification | None:
        keyring = self._keyring if self._keyring is not None else configured_keyring(session)
        head_sequence, head_hash = chain_head(session)
        result = Verification(
            first_sequence=sequence + 1,
            last_sequence=sequence,
            last_hash=digest,
            keyed_verifier=keyring.keyed,
        )
        if head_sequence < sequence:
            return result.broken(
                head_sequence + 1,
                BreakKind.MISSING_ROW,
                f"the chain head moved back from {sequence} to {head_sequence}:"
                f" events from {head_sequence + 1} on were removed",
            )
        if sequence > 0:
            anchor = session.get(AuditEventRow, sequence)
            if anchor is None:
                return result.broken(
                    sequence, BreakKind.MISSING_ROW, f"event {sequence}, verified before, is gone"
                )
            if anchor.hash != digest or compute_hash(to_entry(anchor), keyring.keys) != digest:
                return result.broken(
                    sequence,
                    BreakKind.CHANGED_ROW,
                    f"event {sequence} changed since it was verified",
                )
        while sequence < head_sequence:
            if self._stopping.is_set():
                return None
            part = verify(
                session,
                start=sequence + 1,
                end=min(sequence + self._chunk, head_sequence),
                keyring=keyring,
            )
            result.event_count += part.event_count
            if not part.ok:
                assert part.break_kind is not None
                return result.broken(part.break_sequence, part.break_kind, part.detail)
            sequence, digest = part.last_sequence, part.last_hash
            result.last_sequence, result.last_hash = sequence, digest
        if head_hash != digest:
            return result.broken(
                head_sequence,
                BreakKind.CHANGED_ROW,
                f"the chain head names hash {head_hash[:12]}…, but event "
                f"{head_sequence} hashes to {digest[:12]}…",
            )
        beyond = session.scalar(
            select(func.min(AuditEventRow.sequence)).where(AuditEventRow.sequence > head_sequence)
        )
        if beyond is not None:
            return result.broken(
                beyond,
                BreakKind.CHANGED_ROW,
                f"event {beyond} was added without moving the chain head",
            )
        return result

    def _finish(self, result: Verification, full: bool) -> None:
        was_ok = self._exported.ok if self._exported is not None else None
        if result.ok:
            self._sequence, self._hash = result.last_sequence, result.last_hash
            if full:
                self._last_full_walk = time.monotonic()
            verified = result.last_sequence
            if was_ok is False:
                log.warning("audit chain verifies again", last_sequence=result.last_sequence)
        else:
            # Walk from the start next time: the break stays reported until the chain is whole
            # again (a database restored from a good backup, say).
            self._sequence, self._hash, self._last_full_walk = 0, GENESIS_HASH, None
            verified = max(0, result.break_sequence - 1)
            log.error(
                "audit chain verification failed: run `slipway audit verify`",
                break_sequence=result.break_sequence,
                break_kind=result.break_kind.value if result.break_kind else "",
                detail=result.detail,
            )
        self._exported = _Exported(result.ok, verified, self._clock())

    async def run(self, interval_seconds: float) -> None:
        """Check now, then every ``interval_seconds``, until cancelled."""
        while not self._stopping.is_set():
            try:
                await asyncio.to_thread(self.check)
            except Exception as exc:  # the database unreachable, say: not a broken chain
                log.warning("audit chain verification could not run", error=str(exc))
            await asyncio.sleep(interval_seconds)

    def stop(self) -> None:
        """Make a walk in progress return between chunks (the process is stopping)."""
        self._stopping.set()

    # -- Prometheus -----------------------------------------------------------------------------

    def describe(self) -> Iterator[Metric]:
        yield from self._families(None)

    def collect(self) -> Iterator[Metric]:
        exported = self._exported
        if exported is not None:  # nothing before the first round has finished
            yield from self._families(exported)

    @staticmethod
    def _families(exported: _Exported | None) -> Iterator[Metric]:
        ok = GaugeMetricFamily(OK, "1 while the audit hash chain verifies, 0 once it is broken.")
        verified = GaugeMetricFamily(
            VERIFIED_EVENTS, "Audit events verified intact from the start of the chain."
        )
        finished = GaugeMetricFamily(
            LAST_VERIFY, "Unix time the last audit chain verification round finished."
        )
        if exported is not None:
            ok.add_metric([], 1.0 if exported.ok else 0.0)
            verified.add_metric([], float(exported.verified_events))
            finished.add_metric([], exported.finished_at)
        yield from (ok, verified, finished)
