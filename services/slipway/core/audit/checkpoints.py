"""Signed checkpoints of the audit chain head, kept where the database credentials cannot reach.

A keyed chain stops whoever holds only the database credentials from forging events, but not
from removing the newest ones (moving the head back) or restoring an older backup; and whoever
also holds the HMAC key can rewrite it. A checkpoint pins the chain as it was: the head's
sequence, hash and event time, signed with an Ed25519 key. Auditors verify it with the public
key, and a chain rewritten or cut behind a checkpoint no longer matches it.

The writer (:class:`CheckpointWriter`) runs in one service, the registry: every service shares
the one chain, so one writer covers all of them and its checkpoints form one ordered file. It
signs on a schedule and once more at graceful shutdown, and only a head it has just verified
(keyed, from its previous checkpoint on), so it never vouches for a forgery appended since.

The sink (:mod:`slipway.core.audit.sinks`) only ever gains checkpoints: a JSON Lines file
opened with ``O_APPEND``, on storage the database credentials cannot touch (a separate volume
shipped off the machine), or, the production choice, an S3-compatible bucket with object lock,
where each checkpoint is an object that not even the writer's credentials can replace or delete
before its retention ends. The writer resumes from the sink's newest checkpoint only once its
signature verifies under the writer's own key: a line forged into the sink would otherwise
decide where the next walk starts.

One checkpoint per line (or object), the signature over the canonical JSON (sorted keys, no
whitespace, UTF-8) of every other field::

    {"v": 1, "sequence": 42, "hash": "<64 hex>", "event_time": "2026-12-07T14:00:00.000000Z",
     "signed_at": "2026-12-07T14:05:00.000000Z", "public_key_id": "<16 hex>",
     "signature": "<base64 Ed25519 signature>"}

``public_key_id`` is the first 16 hex digits of the SHA-256 of the raw 32-byte public key.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy.orm import Session

from slipway.core.audit.chain import (
    GENESIS_HASH,
    BreakKind,
    Keyring,
    Verification,
    format_time,
)
from slipway.core.audit.log import chain_head, event_time_at, hashes_at, verify
from slipway.core.audit.verifier import read_snapshot, snapshot_engine
from slipway.core.db import Database
from slipway.core.logs import get_logger

log = get_logger("slipway.audit.checkpoints")

CHECKPOINT_VERSION = 1
INTERVAL_SECONDS = 300.0


class CheckpointError(ValueError):
    """A checkpoint file, or a line of it, that cannot be trusted or read."""


@dataclass(frozen=True)
class Checkpoint:
    """One signed chain head."""

    sequence: int
    hash: str
    event_time: str
    signed_at: str
    public_key_id: str
    signature: str = ""
    v: int = CHECKPOINT_VERSION

    def signed_bytes(self) -> bytes:
        fields = {k: v for k, v in asdict(self).items() if k != "signature"}
        return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode("utf-8")

    def to_line(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":")) + "\n"


def public_key_id(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def load_signing_key(path: Path) -> Ed25519PrivateKey:
    """The Ed25519 private key in ``path`` (PEM, PKCS#8, unencrypted)."""
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path}: not an Ed25519 private key")
    return key


def load_public_keys(paths: Iterable[Path]) -> dict[str, Ed25519PublicKey]:
    """The Ed25519 public keys in ``paths`` (PEM), by key id."""
    keys: dict[str, Ed25519PublicKey] = {}
    for path in paths:
        key = serialization.load_pem_public_key(path.read_bytes())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError(f"{path}: not an Ed25519 public key")
        keys[public_key_id(key)] = key
    return keys


def generate_signing_key(private_path: Path, public_path: Path) -> Ed25519PrivateKey:
    """A new key pair: the private key readable by its owner only, the public one by all."""
    key = Ed25519PrivateKey.generate()
    private_path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    public_path.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return key


def sign(
    key: Ed25519PrivateKey, sequence: int, digest: str, event_time: datetime, now: datetime
) -> Checkpoint:
    unsigned = Checkpoint(
        sequence=sequence,
        hash=digest,
        event_time=format_time(event_time),
        signed_at=format_time(now),
        public_key_id=public_key_id(key.public_key()),
    )
    signature = base64.b64encode(key.sign(unsigned.signed_bytes())).decode("ascii")
    return Checkpoint(**{**asdict(unsigned), "signature": signature})


def parse_checkpoint(text: str, where: str) -> Checkpoint:
    """The checkpoint of one line (or object body); CheckpointError, naming ``where``, when it
    is not one."""
    try:
        document = json.loads(text)
        return Checkpoint(
            sequence=int(document["sequence"]),
            hash=str(document["hash"]),
            event_time=str(document["event_time"]),
            signed_at=str(document["signed_at"]),
            public_key_id=str(document["public_key_id"]),
            signature=str(document["signature"]),
            v=int(document["v"]),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(f"{where}: not a checkpoint ({exc})") from None


class CheckpointSink(Protocol):
    """Storage that keeps every checkpoint written to it (:mod:`slipway.core.audit.sinks`)."""

    name: str  # for messages: the file, or the s3:// URL

    def append(self, checkpoint: Checkpoint) -> None:
        """Add a checkpoint; never replaces one already there."""

    def read(self) -> list[tuple[str, Checkpoint]]:
        """Every checkpoint in chain order, each with where it is (for messages)."""

    def newest(self) -> tuple[str, Checkpoint] | None:
        """The last checkpoint and where it is (None: none yet)."""


def check_signature(
    checkpoint: Checkpoint, public_keys: Mapping[str, Ed25519PublicKey], where: str
) -> None:
    key = public_keys.get(checkpoint.public_key_id)
    if key is None:
        raise CheckpointError(
            f"{where}: signed with key id {checkpoint.public_key_id!r}, not one of the public "
            f"keys given ({', '.join(sorted(public_keys)) or 'none'})"
        )
    if checkpoint.v != CHECKPOINT_VERSION:
        raise CheckpointError(f"{where}: checkpoint version {checkpoint.v} is unknown")
    try:
        key.verify(base64.b64decode(checkpoint.signature, validate=True), checkpoint.signed_bytes())
    except (InvalidSignature, binascii.Error):
        raise CheckpointError(
            f"{where}: the signature does not verify: forged or damaged"
        ) from None


def verify_against(
    session: Session,
    checkpoints: Iterable[tuple[str, Checkpoint]],
    public_keys: Mapping[str, Ed25519PublicKey],
    result: Verification,
) -> Verification:
    """Check the stored chain against every checkpoint (each signature first: CheckpointError
    when one does not verify); ``result`` (a walk of the chain) is returned, broken at the first
    checkpoint the chain does not match."""
    listed = list(checkpoints)
    for where, checkpoint in listed:
        check_signature(checkpoint, public_keys, where)
    head, _ = chain_head(session)
    stored = hashes_at(session, [c.sequence for _, c in listed])
    for location, checkpoint in sorted(listed, key=lambda item: item[1].sequence):
        where = f"the checkpoint signed {checkpoint.signed_at} ({location})"
        if checkpoint.sequence > head or checkpoint.sequence not in stored:
            return result.broken(
                min(head + 1, checkpoint.sequence),
                BreakKind.MISSING_ROW,
                f"{where} names event {checkpoint.sequence}, but the chain ends at {head}: "
                f"events from {head + 1} on were removed (cut, or restored from an older "
                "backup)",
            )
        if stored[checkpoint.sequence] != checkpoint.hash:
            return result.broken(
                checkpoint.sequence,
                BreakKind.CHECKPOINT_MISMATCH,
                f"event {checkpoint.sequence} hashes to "
                f"{stored[checkpoint.sequence][:12]}…, but {where} signed "
                f"{checkpoint.hash[:12]}…: the chain up to it was rewritten",
            )
        result.checkpoints_matched += 1
    return result


def trust_last(last: Checkpoint, key: Ed25519PrivateKey, where: str) -> None:
    """Refuse (CheckpointError) to chain onto the sink's newest checkpoint unless this key signed
    it: a line forged into the sink would otherwise set where the next walk starts, and every
    checkpoint after it would vouch for a head chained onto something false."""
    own = key.public_key()
    try:
        check_signature(last, {public_key_id(own): own}, f"{where} (the newest checkpoint)")
    except CheckpointError as exc:
        raise CheckpointError(
            f"{exc}; refusing to write checkpoints after it. Find out who wrote it; after a "
            "rotation of the signing key, start a new sink and keep the old one for auditors"
        ) from None


class CheckpointWriter:
    """Signs the chain head into the sink: :meth:`write` (blocking), :meth:`run` (a loop)."""

    def __init__(
        self,
        db: Database,
        key: Ed25519PrivateKey,
        sink: CheckpointSink,
        keyring: Keyring,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._engine = snapshot_engine(db)
        self._key = key
        self._sink = sink
        self._keyring = keyring
        self._clock = clock
        self._lock = threading.Lock()  # the loop and the shutdown write never interleave
        newest = sink.newest()
        last = newest[1] if newest else None
        if newest is not None:
            trust_last(newest[1], key, newest[0])
        # Where the previous checkpoint left the chain: the walk before signing starts there.
        self._sequence, self._hash = (last.sequence, last.hash) if last else (0, GENESIS_HASH)

    def write(self) -> Checkpoint | None:
        """Verify the events since the previous checkpoint and sign the head; None when the
        head has not moved, or the chain does not verify (logged: nothing is signed then)."""
        with self._lock, read_snapshot(self._engine) as session:
            head, head_hash = chain_head(session)
            if head == self._sequence and head_hash == self._hash:
                return None
            problem = self._problem(session, head, head_hash)
            if problem:
                log.error("audit checkpoint not written: the chain does not verify", detail=problem)
                return None
            head_time = event_time_at(session, head)
            assert head_time is not None  # verified just now
            checkpoint = sign(self._key, head, head_hash, head_time, self._clock())
            self._sink.append(checkpoint)
            self._sequence, self._hash = head, head_hash
        log.info("audit checkpoint written", sequence=head, hash=head_hash)
        return checkpoint

    def _problem(self, session: Session, head: int, head_hash: str) -> str:
        if head < self._sequence:
            return f"the chain head moved back from {self._sequence} to {head}"
        if self._sequence and hashes_at(session, [self._sequence]).get(self._sequence) != (
            self._hash
        ):
            return f"event {self._sequence} no longer matches the previous checkpoint"
        walked = verify(session, start=self._sequence + 1, keyring=self._keyring)
        if not walked.ok:
            return f"{walked.break_kind.value if walked.break_kind else ''}: {walked.detail}"
        if walked.last_hash != head_hash:
            return "the chain head does not name the last event"
        return ""

    def write_logged(self) -> None:
        try:
            self.write()
        except Exception as exc:  # the database or the sink unreachable: try again later
            log.warning("audit checkpoint could not be written", error=str(exc))

    async def run(self, interval_seconds: float) -> None:
        """Sign the head now, then every ``interval_seconds``, until cancelled."""
        while True:
            await asyncio.to_thread(self.write_logged)
            await asyncio.sleep(interval_seconds)
