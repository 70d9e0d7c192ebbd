"""The audit hash chain: canonical encoding, hashing and verification, with no database.

Every event stores a digest of its canonical encoding, and that encoding includes the previous
event's hash, so changing, removing or reordering a stored event breaks the chain at that point.

Two hash versions. Version 1, unkeyed: the SHA-256 of the encoding. Anyone who can write to the
database can recompute it, so it detects accidental damage only (the embedded, demo mode).
Version 2, keyed: the HMAC-SHA256 of the encoding under a secret key the services read from a
file and never store in the database; the encoding then also holds the key's id, so keys can
rotate and a verifier picks the right one. Whoever holds only the database credentials cannot
produce a version-2 hash, and a version-1 event after a version-2 one is reported as a
downgrade. A key id is the first 16 hex digits of the SHA-256 of ``slipway-audit-key:`` and the
key's bytes (:func:`key_id_of`).

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
    key_id       string, version 2 only: the id of the key the HMAC is computed with

The module only needs the standard library, so it can be copied next to an export and run.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

HASH_VERSION = 1  # unkeyed SHA-256
KEYED_HASH_VERSION = 2  # HMAC-SHA256 under a key named by the event's key_id
HASH_VERSIONS = (HASH_VERSION, KEYED_HASH_VERSION)
GENESIS_HASH = "0" * 64
MIN_KEY_BYTES = 32


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
    key_id: str = ""  # version 2: the id of the key the hash is an HMAC under


def key_id_of(secret: bytes) -> str:
    """The id recorded with every event hashed under ``secret``: derived from the key, so a
    verifier given a folder of keys finds each one's id without any configuration."""
    return hashlib.sha256(b"slipway-audit-key:" + secret).hexdigest()[:16]


@dataclass(frozen=True)
class ChainKey:
    """The secret key appends hash events under (hash version 2)."""

    secret: bytes = field(repr=False)
    key_id: str = ""

    def __post_init__(self) -> None:
        if len(self.secret) < MIN_KEY_BYTES:
            raise ValueError(f"an audit key needs at least {MIN_KEY_BYTES} bytes")
        if not self.key_id:
            object.__setattr__(self, "key_id", key_id_of(self.secret))


@dataclass(frozen=True)
class Keyring:
    """What a verifier knows: the keys by id (empty: an unkeyed verifier), and up to which
    sequence unkeyed (version 1) events are expected.

    ``unkeyed_until`` is the last sequence that may be unkeyed: 0 (the default) when the chain
    was keyed from its start, the last event written before the key was configured otherwise,
    so a chain rewritten unkeyed from its first event is reported. -1 accepts any unkeyed prefix
    (a forged one too). An unkeyed event after a keyed one is reported whatever it says.
    """

    keys: Mapping[str, bytes] = field(default_factory=dict, repr=False)
    unkeyed_until: int = 0

    @property
    def keyed(self) -> bool:
        return bool(self.keys)

    @classmethod
    def of(cls, keys: Iterable[ChainKey], unkeyed_until: int = 0) -> Keyring:
        return cls({key.key_id: key.secret for key in keys}, unkeyed_until)

    @property
    def key_ids(self) -> list[str]:
        return sorted(self.keys)


UNKEYED = Keyring()


class UnknownKeyError(KeyError):
    """An event is keyed under a key the verifier was not given."""


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
    if entry.hash_version == KEYED_HASH_VERSION:
        document["key_id"] = entry.key_id
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
        "key_id": entry.key_id,
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
        key_id=str(document.get("key_id", "")),
    )


def compute_hash(entry: AuditEntry, keys: Mapping[str, bytes] | None = None) -> str:
    """The hash of ``entry``: SHA-256 (version 1), or the HMAC-SHA256 under the key of its
    key id, taken from ``keys`` (version 2; :class:`UnknownKeyError` when it is not there)."""
    if entry.hash_version == HASH_VERSION:
        return hashlib.sha256(canonical_bytes(entry)).hexdigest()
    if entry.hash_version == KEYED_HASH_VERSION:
        secret = (keys or {}).get(entry.key_id)
        if secret is None:
            raise UnknownKeyError(entry.key_id)
        return hmac.new(secret, canonical_bytes(entry), hashlib.sha256).hexdigest()
    raise ValueError(f"unknown audit hash version {entry.hash_version}")


def seal(entry: AuditEntry, key: ChainKey | None) -> AuditEntry:
    """``entry`` with its hash (and hash version and key id): keyed under ``key``, or unkeyed
    when there is none."""
    if key is None:
        unkeyed = replace(entry, hash_version=HASH_VERSION, key_id="")
        return replace(unkeyed, hash=compute_hash(unkeyed))
    keyed = replace(entry, hash_version=KEYED_HASH_VERSION, key_id=key.key_id)
    return replace(keyed, hash=compute_hash(keyed, {key.key_id: key.secret}))


def canonical_payload(payload: object) -> str:
    """Payload JSON text in a stable form (sorted keys, no whitespace)."""
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )


class BreakKind(enum.Enum):
    CHANGED_ROW = "CHANGED_ROW"
    MISSING_ROW = "MISSING_ROW"
    REORDERED_ROW = "REORDERED_ROW"
    # Keyed under a key the verifier was not given (a retired key, or a made-up id).
    UNKNOWN_KEY = "UNKNOWN_KEY"
    # An unkeyed event where the chain is keyed: written by someone without the key.
    UNKEYED_ROW = "UNKEYED_ROW"
    # The stored event differs from what a signed checkpoint recorded at its sequence.
    CHECKPOINT_MISMATCH = "CHECKPOINT_MISMATCH"
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
    # Of the events verified: how many carry an unkeyed hash, and the last of them.
    unkeyed_events: int = 0
    last_unkeyed_sequence: int = 0
    keyed_verifier: bool = False
    checkpoints_matched: int = 0  # signed checkpoints the chain was found to match

    @property
    def ok(self) -> bool:
        return self.break_kind is None

    @property
    def protection(self) -> str:
        """What an OK result vouches for, in one sentence for people."""
        if not self.keyed_verifier:
            return (
                "UNKEYED chain: verification detects accidental damage only; anyone who "
                "can write to the database can rewrite it undetected (configure an audit key)"
            )
        if self.unkeyed_events:
            return (
                f"keyed chain; {self.unkeyed_events} event(s) up to sequence "
                f"{self.last_unkeyed_sequence} are unkeyed (written before a key was "
                "configured) and only protected against accidental damage"
            )
        return "keyed chain: every event verified with its key"

    def broken(self, sequence: int, kind: BreakKind, detail: str) -> Verification:
        self.break_sequence = sequence
        self.break_kind = kind
        self.detail = detail
        return self


# Renumbered rows are searched this far ahead of where they stand, at the break only.
RENUMBER_SEARCH = 10_000


def _hash_as_if(entry: AuditEntry, sequence: int, keys: Mapping[str, bytes]) -> str:
    return compute_hash(replace(entry, sequence=sequence), keys)


def _diagnose(
    entry: AuditEntry,
    expected: int,
    previous_hash: str,
    sequence_of_hash: Callable[[str], int | None],
    keys: Mapping[str, bytes],
) -> tuple[BreakKind, int, str]:
    """Why the event standing at ``expected`` does not verify; returns (kind, sequence, detail)."""
    self_ok = compute_hash(entry, keys) == entry.hash
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
        if _hash_as_if(entry, expected + offset, keys) == entry.hash:
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


def _key_problem(
    entry: AuditEntry, keyring: Keyring, keyed_seen: bool
) -> tuple[BreakKind, str] | None:
    """Why ``entry``'s hash version or key id is not one ``keyring`` accepts, if it is not."""
    sequence = entry.sequence
    if entry.hash_version == KEYED_HASH_VERSION and entry.key_id not in keyring.keys:
        given = (
            f"the keys given are {', '.join(keyring.key_ids)}"
            if keyring.keyed
            else "no key was given (pass the audit key files)"
        )
        return (
            BreakKind.UNKNOWN_KEY,
            f"event {sequence} is keyed under key id {entry.key_id!r}, which this verifier "
            f"does not hold: {given}",
        )
    if entry.hash_version == HASH_VERSION and keyring.keyed:
        if keyed_seen:
            return (
                BreakKind.UNKEYED_ROW,
                f"event {sequence} carries an unkeyed hash after keyed events: it was written "
                "by someone without the audit key",
            )
        if 0 <= keyring.unkeyed_until < sequence:
            return (
                BreakKind.UNKEYED_ROW,
                f"event {sequence} carries an unkeyed hash, but the chain is keyed from "
                f"sequence {keyring.unkeyed_until + 1}: it was written without the audit key",
            )
    return None


def verify_entries(
    entries: Iterable[AuditEntry],
    *,
    start: int,
    anchor_hash: str,
    sequence_of_hash: Callable[[str], int | None],
    expected_last: int | None = None,
    anchor_time: datetime | None = None,
    keyring: Keyring = UNKEYED,
    anchor_keyed: bool = False,
) -> Verification:
    """Walk ``entries`` (in sequence order, from ``start``) and report the first break.

    ``anchor_hash`` is the hash the event at ``start`` must name as previous (the stored hash of
    event ``start - 1``, or the genesis hash). ``expected_last`` is the last sequence that must be
    present (the chain head), so removed events at the end are found too. ``anchor_time`` is
    the time of event ``start - 1``: no event may be dated before the one preceding it.
    ``keyring`` holds the keys of keyed events; ``anchor_keyed`` says event ``start - 1`` is
    keyed (so no later event may be unkeyed).
    """
    result = Verification(first_sequence=start, keyed_verifier=keyring.keyed)
    expected = start
    previous_hash = anchor_hash
    previous_time = anchor_time
    keyed_seen = anchor_keyed
    for entry in entries:
        if entry.sequence != expected:
            return result.broken(
                expected,
                BreakKind.MISSING_ROW,
                f"no event with sequence {expected}; the next one stored is {entry.sequence}",
            )
        problem = _key_problem(entry, keyring, keyed_seen)
        if problem is not None:
            return result.broken(expected, *problem)
        if entry.previous_hash != previous_hash or compute_hash(entry, keyring.keys) != entry.hash:
            kind, sequence, detail = _diagnose(
                entry, expected, previous_hash, sequence_of_hash, keyring.keys
            )
            return result.broken(sequence, kind, detail)
        if previous_time is not None and entry.event_time < previous_time:
            return result.broken(
                expected,
                BreakKind.BACKDATED_ROW,
                f"event {expected} is dated {format_time(entry.event_time)}, before event "
                f"{expected - 1} ({format_time(previous_time)}): it was back-dated",
            )
        if entry.hash_version == HASH_VERSION:
            result.unkeyed_events += 1
            result.last_unkeyed_sequence = entry.sequence
        else:
            keyed_seen = True
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
