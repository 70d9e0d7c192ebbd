"""The audit hash chain: canonical encoding, hashing and verification, with no database.

Every event stores the SHA-256 of its canonical encoding, and that encoding includes the previous
event's hash, so changing, removing or reordering a stored event breaks the chain at that point.

Canonical encoding (hash version 1), which an auditor can re-implement to verify an export
offline: a JSON object with exactly the keys below, keys sorted, no whitespace
(``separators=(",", ":")``), non-ASCII characters kept as UTF-8 (``ensure_ascii=False``), encoded
as UTF-8; the hash is the lowercase hex SHA-256 of those bytes.

    v            1 (the hash version)
    sequence     integer, 1, 2, 3, ... without gaps
    event_id     string (UUID)
    event_time   string, UTC, "YYYY-MM-DDTHH:MM:SS.ffffffZ"
    service, action, principal, resource, outcome ("OK", "DENIED", "FAILED"),
    status_code, error_reason, reason, request_id    strings
    roles        list of strings, sorted
    payload      string: the payload JSON text exactly as stored
    previous_hash  string: the previous event's hash; 64 zeros for the first event

The module only needs the standard library, so it can be copied next to an export and run.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

HASH_VERSION = 1
GENESIS_HASH = "0" * 64


class Outcome(enum.Enum):
    OK = "OK"
    DENIED = "DENIED"
    FAILED = "FAILED"


@dataclass(frozen=True)
class AuditEntry:
    """One event of the audit log, as stored."""

    sequence: int
    event_id: str
    event_time: datetime
    service: str
    action: str
    principal: str
    roles: tuple[str, ...]
    resource: str
    outcome: Outcome
    status_code: str
    error_reason: str
    reason: str
    request_id: str
    payload: str
    previous_hash: str
    hash: str = ""
    hash_version: int = HASH_VERSION


def format_time(value: datetime) -> str:
    """The canonical text of an event time: UTC with microseconds and a Z."""
    if value.tzinfo is None:
        raise ValueError("audit event times must be timezone-aware")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_bytes(entry: AuditEntry) -> bytes:
    document = {
        "v": entry.hash_version,
        "sequence": entry.sequence,
        "event_id": entry.event_id,
        "event_time": format_time(entry.event_time),
        "service": entry.service,
        "action": entry.action,
        "principal": entry.principal,
        "roles": sorted(entry.roles),
        "resource": entry.resource,
        "outcome": entry.outcome.value,
        "status_code": entry.status_code,
        "error_reason": entry.error_reason,
        "reason": entry.reason,
        "request_id": entry.request_id,
        "payload": entry.payload,
        "previous_hash": entry.previous_hash,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def entry_to_json(entry: AuditEntry) -> dict[str, object]:
    """An event as one line of an export (JSON Lines): every stored field, hashes included."""
    return {
        "sequence": entry.sequence,
        "event_id": entry.event_id,
        "event_time": format_time(entry.event_time),
        "service": entry.service,
        "action": entry.action,
        "principal": entry.principal,
        "roles": sorted(entry.roles),
        "resource": entry.resource,
        "outcome": entry.outcome.value,
        "status_code": entry.status_code,
        "error_reason": entry.error_reason,
        "reason": entry.reason,
        "request_id": entry.request_id,
        "payload": entry.payload,
        "previous_hash": entry.previous_hash,
        "hash": entry.hash,
        "hash_version": entry.hash_version,
    }


def entry_from_json(document: dict[str, Any]) -> AuditEntry:
    return AuditEntry(
        sequence=int(document["sequence"]),
        event_id=document["event_id"],
        event_time=datetime.strptime(document["event_time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
            tzinfo=UTC
        ),
        service=document["service"],
        action=document["action"],
        principal=document["principal"],
        roles=tuple(document["roles"]),
        resource=document["resource"],
        outcome=Outcome(document["outcome"]),
        status_code=document["status_code"],
        error_reason=document["error_reason"],
        reason=document["reason"],
        request_id=document["request_id"],
        payload=document["payload"],
        previous_hash=document["previous_hash"],
        hash=document["hash"],
        hash_version=int(document["hash_version"]),
    )


def compute_hash(entry: AuditEntry) -> str:
    if entry.hash_version != HASH_VERSION:
        raise ValueError(f"unknown audit hash version {entry.hash_version}")
    return hashlib.sha256(canonical_bytes(entry)).hexdigest()


def canonical_payload(payload: object) -> str:
    """Payload JSON text in a stable form (sorted keys, no whitespace)."""
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )


class BreakKind(enum.Enum):
    CHANGED_ROW = "CHANGED_ROW"
    MISSING_ROW = "MISSING_ROW"
    REORDERED_ROW = "REORDERED_ROW"
    # An event dated before its predecessor: appends never let time go backwards, so it was
    # written by something other than the audit log (a back-dated insert).
    BACKDATED_ROW = "BACKDATED_ROW"


@dataclass
class Verification:
    """The result of walking the chain over a range of sequence numbers."""

    first_sequence: int = 0
    last_sequence: int = 0
    event_count: int = 0
    last_hash: str = ""
    break_sequence: int = 0
    break_kind: BreakKind | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.break_kind is None

    def broken(self, sequence: int, kind: BreakKind, detail: str) -> Verification:
        self.break_sequence = sequence
        self.break_kind = kind
        self.detail = detail
        return self


# Renumbered rows are searched this far ahead of where they stand, at the break only.
RENUMBER_SEARCH = 10_000


def _hash_as_if(entry: AuditEntry, sequence: int) -> str:
    return compute_hash(replace(entry, sequence=sequence))


def _diagnose(
    entry: AuditEntry,
    expected: int,
    previous_hash: str,
    sequence_of_hash: Callable[[str], int | None],
) -> tuple[BreakKind, int, str]:
    """Why the event standing at ``expected`` does not verify; returns (kind, sequence, detail)."""
    self_ok = compute_hash(entry) == entry.hash
    if self_ok:
        # The event is intact but does not link to the one before it: that one was changed
        # (and re-hashed), or events before it were removed and the rest re-hashed.
        return (
            BreakKind.CHANGED_ROW,
            expected - 1,
            f"event {expected} names previous hash {entry.previous_hash[:12]}…, but event "
            f"{expected - 1} hashes to {previous_hash[:12]}…: event {expected - 1} was changed",
        )
    points_to = sequence_of_hash(entry.previous_hash)
    if points_to is not None and points_to >= expected:
        return (
            BreakKind.REORDERED_ROW,
            expected,
            f"event {expected} follows event {points_to} in the chain: rows were reordered",
        )
    if entry.previous_hash == previous_hash:
        return (
            BreakKind.CHANGED_ROW,
            expected,
            f"event {expected} does not hash to its stored hash: its content was changed",
        )
    for offset in range(1, RENUMBER_SEARCH):
        if _hash_as_if(entry, expected + offset) == entry.hash:
            return (
                BreakKind.MISSING_ROW,
                expected,
                f"event {expected + offset} was renumbered to {expected}: "
                f"{offset} event(s) from {expected} on are missing",
            )
    return (
        BreakKind.CHANGED_ROW,
        expected,
        f"event {expected} neither hashes to its stored hash nor links to event "
        f"{expected - 1}: it was changed",
    )


def verify_entries(
    entries: Iterable[AuditEntry],
    *,
    start: int,
    anchor_hash: str,
    sequence_of_hash: Callable[[str], int | None],
    expected_last: int | None = None,
    anchor_time: datetime | None = None,
) -> Verification:
    """Walk ``entries`` (in sequence order, from ``start``) and report the first break.

    ``anchor_hash`` is the hash the event at ``start`` must name as previous (the stored hash of
    event ``start - 1``, or the genesis hash). ``expected_last`` is the last sequence that must be
    present (the chain head), so removed events at the end are found too. ``anchor_time`` is
    the time of event ``start - 1``: no event may be dated before the one preceding it.
    """
    result = Verification(first_sequence=start)
    expected = start
    previous_hash = anchor_hash
    previous_time = anchor_time
    for entry in entries:
        if entry.sequence != expected:
            return result.broken(
                expected,
                BreakKind.MISSING_ROW,
                f"no event with sequence {expected}; the next one stored is {entry.sequence}",
            )
        if entry.previous_hash != previous_hash or compute_hash(entry) != entry.hash:
            kind, sequence, detail = _diagnose(entry, expected, previous_hash, sequence_of_hash)
            return result.broken(sequence, kind, detail)
        if previous_time is not None and entry.event_time < previous_time:
            return result.broken(
                expected,
                BreakKind.BACKDATED_ROW,
                f"event {expected} is dated {format_time(entry.event_time)}, before event "
                f"{expected - 1} ({format_time(previous_time)}): it was back-dated",
            )
        result.event_count += 1
        result.last_sequence = entry.sequence
        result.last_hash = entry.hash
        previous_hash = entry.hash
        previous_time = entry.event_time
        expected += 1
    if expected_last is not None and expected <= expected_last:
        return result.broken(
            expected,
            BreakKind.MISSING_ROW,
            f"the chain head is at {expected_last}, but events from {expected} on are missing",
        )
    return result
