"""Content-addressed artifact storage: files named by the SHA-256 of their bytes.

Names that clients send never become paths. The only string that ever reaches the file system is a
validated digest: exactly 64 lowercase hexadecimal characters (``validate_sha256``).

Layout of a store (a local folder here; an S3-compatible store can use the same keys under a
bucket prefix, with a multipart upload in place of the ``.part`` file)::

    <root>/
      sha256/<first 2 hex>/<64 hex>   committed artifacts, read-only (0o444), never modified
      uploads/<random>.part           uploads in progress; never readable through the store

An upload streams into its ``.part`` file while a running SHA-256 is kept, so an artifact is never
held in memory whole. ``commit`` flushes and fsyncs the file, checks the digest the client
declared, then ``os.replace``-s it to its content address and fsyncs the directory: a reader sees
either no artifact or all of its bytes. Committing content that is already stored replaces the
file with an identical, freshly hashed copy: harmless for readers holding the old one open, and it
repairs a copy damaged on disk. A process killed mid-upload leaves only its ``.part`` file behind,
which ``cleanup_stale_uploads`` removes.

The store keeps no references: deciding that an artifact is garbage (and not about to be reused
by an upload of the same content) is the caller's job.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Protocol, Self

from slipway.core.errors import (
    AbortedError,
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
    ResourceExhaustedError,
)
from slipway.core.reasons import Reason

__all__ = [
    "DEFAULT_MAX_BYTES",
    "ArtifactCorruptError",
    "ArtifactStore",
    "ArtifactTooLargeError",
    "ArtifactUpload",
    "DigestMismatchError",
    "LocalArtifactStore",
    "LocalArtifactUpload",
    "StoredArtifact",
    "file_sha256",
    "validate_sha256",
]

DEFAULT_MAX_BYTES = 2 * 1024**3
_CHUNK = 1 << 20
_SHA256 = re.compile(r"[0-9a-f]{64}")
_PART_NAME = re.compile(r"[0-9a-f]{32}\.part")
_READ_ONLY = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH


class ArtifactCorruptError(FailedPreconditionError):
    """The stored bytes no longer hash to the artifact's name."""

    default_reason = Reason.ARTIFACT_CORRUPT


class ArtifactTooLargeError(ResourceExhaustedError):
    default_reason = Reason.ARTIFACT_TOO_LARGE


class DigestMismatchError(InvalidArgumentError):
    """The bytes received do not hash to the digest the client declared."""

    default_reason = Reason.SHA256_MISMATCH


@dataclass(frozen=True, slots=True)
class StoredArtifact:
    """A committed artifact."""

    sha256: str
    size: int
    uri: str


class ArtifactUpload(Protocol):
    """One upload in progress. Not meant to be written from several threads at once."""

    def write(self, chunk: bytes) -> None:
        """Append ``chunk``; ``ArtifactTooLargeError`` as soon as the size passes the limit."""
        ...

    @property
    def size(self) -> int:
        """Bytes written so far."""
        ...

    @property
    def sha256(self) -> str:
        """Hex digest of the bytes written so far."""
        ...

    def commit(self, expected_sha256: str | None = None) -> StoredArtifact:
        """Make the artifact visible under its digest, if it matches ``expected_sha256``
        (``DigestMismatchError`` otherwise). The upload is closed afterwards either way."""
        ...

    def abort(self) -> None:
        """Discard the upload. Idempotent."""
        ...

    def keep_alive(self) -> None:
        """Mark the upload as live, so stale-upload cleanup leaves it alone while it idles
        (e.g. while another artifact of the same version streams)."""
        ...


class ArtifactStore(Protocol):
    """Artifacts addressed by their SHA-256. Every ``sha256`` argument is validated first."""

    def begin_upload(self) -> ArtifactUpload: ...

    def exists(self, sha256: str) -> bool: ...

    def size(self, sha256: str) -> int:
        """Size in bytes; ``NotFoundError`` (``ARTIFACT_MISSING``) if absent."""
        ...

    def read(self, sha256: str, chunk_size: int = _CHUNK) -> Iterator[bytes]:
        """Stream the bytes, hashing them on the way; ``ArtifactCorruptError`` after the last
        chunk if they do not match. ``NotFoundError`` at the call, not at the first chunk."""
        ...

    def verify(self, sha256: str) -> bool:
        """Whether the stored bytes still hash to ``sha256``."""
        ...

    def local_path(self, sha256: str) -> Path:
        """A file holding the artifact, for loaders that need one. Not verified here."""
        ...

    def uri(self, sha256: str) -> str: ...

    def delete(self, sha256: str) -> None:
        """Remove the artifact if present. Idempotent."""
        ...


def is_sha256(value: object) -> bool:
    """Whether ``value`` is a lowercase hex SHA-256 digest."""
    return isinstance(value, str) and _SHA256.fullmatch(value) is not None


def validate_sha256(value: object, *, field: str = "sha256") -> str:
    """``value`` if it is a lowercase hex SHA-256 digest, else ``InvalidArgumentError``.

    This is the only gate between client input and a path, so it is deliberately strict:
    no uppercase, no whitespace, no separators.
    """
    if not is_sha256(value):
        raise InvalidArgumentError.for_field(
            field,
            "must be a SHA-256 digest: 64 lowercase hexadecimal characters",
            reason=Reason.INVALID_SHA256,
        )
    return str(value)


def file_sha256(path: Path, chunk_size: int = _CHUNK) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _missing(sha256: str) -> NotFoundError:
    return NotFoundError(
        f"artifact sha256:{sha256} is not in the store",
        reason=Reason.ARTIFACT_MISSING,
        metadata={"sha256": sha256},
    )


def _corrupt(sha256: str, actual: str) -> ArtifactCorruptError:
    return ArtifactCorruptError(
        f"artifact sha256:{sha256} is corrupt: its stored bytes hash to {actual}",
        metadata={"sha256": sha256, "actual_sha256": actual},
    )


class LocalArtifactUpload:
    """An upload into ``uploads/<random>.part`` of a ``LocalArtifactStore``.

    Also a context manager that aborts on exit unless committed.
    """

    def __init__(self, store: LocalArtifactStore) -> None:
        self._store = store
        self._part = store.root / "uploads" / f"{secrets.token_hex(16)}.part"
        # O_EXCL: a name collision must fail rather than interleave two uploads.
        fd = os.open(self._part, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        self._file: IO[bytes] | None = os.fdopen(fd, "wb")
        self._digest = hashlib.sha256()
        self._size = 0

    @property
    def size(self) -> int:
        return self._size

    @property
    def sha256(self) -> str:
        return self._digest.hexdigest()

    def _open_file(self) -> IO[bytes]:
        if self._file is None:
            raise FailedPreconditionError(
                "the upload was already committed or aborted", reason=Reason.UPLOAD_CLOSED
            )
        return self._file

    def write(self, chunk: bytes) -> None:
        file = self._open_file()
        size = self._size + len(chunk)
        if size > self._store.max_bytes:
            # Refused before writing: nothing past the limit reaches the disk, and the partial
            # upload is useless, so it goes at once.
            self.abort()
            raise ArtifactTooLargeError(
                f"the artifact is larger than the limit of {self._store.max_bytes} bytes",
                metadata={"max_bytes": str(self._store.max_bytes)},
            )
        file.write(chunk)
        self._digest.update(chunk)
        self._size = size

    def keep_alive(self) -> None:
        file = self._open_file()
        file.flush()  # buffered bytes count as activity too
        os.utime(self._part)

    def commit(self, expected_sha256: str | None = None) -> StoredArtifact:
        if expected_sha256 is not None:
            validate_sha256(expected_sha256, field="expected_sha256")
        file = self._open_file()
        self._file = None  # closed from here on, whatever happens
        try:
            return self._commit(file, expected_sha256)
        except BaseException:
            self._part.unlink(missing_ok=True)
            raise

    def _commit(self, file: IO[bytes], expected_sha256: str | None) -> StoredArtifact:
        actual = self._digest.hexdigest()
        with file:
            file.flush()
            os.fchmod(file.fileno(), _READ_ONLY)
            os.fsync(file.fileno())
        if expected_sha256 is not None and expected_sha256 != actual:
            raise DigestMismatchError(
                f"the artifact's bytes hash to sha256:{actual}, "
                f"not to the declared sha256:{expected_sha256}",
                metadata={"expected_sha256": expected_sha256, "actual_sha256": actual},
            )
        final = self._store.path_of(actual)
        fan_out = final.parent
        if not fan_out.is_dir():
            fan_out.mkdir(exist_ok=True)
            _fsync_directory(fan_out.parent)
        try:
            os.replace(self._part, final)
        except FileNotFoundError:
            # cleanup_stale_uploads removed the part file of an upload idle for too long.
            raise AbortedError(
                "the upload expired before it was committed; upload again",
                reason=Reason.UPLOAD_EXPIRED,
            ) from None
        _fsync_directory(fan_out)
        return StoredArtifact(actual, self._size, final.as_uri())

    def abort(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
            self._part.unlink(missing_ok=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.abort()

    def __del__(self) -> None:
        # An upload dropped without commit or abort must not leave its part file behind.
        with contextlib.suppress(Exception):  # a finaliser must not raise
            self.abort()


class LocalArtifactStore:
    """An ``ArtifactStore`` in a local folder (see the module docstring for the layout).

    Safe for concurrent uploads from threads and processes, of different or identical content:
    every upload has its own part file and the final rename is atomic.
    """

    def __init__(self, root: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        if max_bytes <= 0:
            raise ValueError(f"max_bytes must be positive, not {max_bytes}")
        self.root = Path(root).resolve()
        self.max_bytes = max_bytes
        (self.root / "sha256").mkdir(parents=True, exist_ok=True)
        (self.root / "uploads").mkdir(exist_ok=True)

    def path_of(self, sha256: str) -> Path:
        """Where the artifact lives (or would live). Validates the digest."""
        validate_sha256(sha256)
        return self.root / "sha256" / sha256[:2] / sha256

    def begin_upload(self) -> LocalArtifactUpload:
        return LocalArtifactUpload(self)

    def exists(self, sha256: str) -> bool:
        return self.path_of(sha256).is_file()

    def size(self, sha256: str) -> int:
        path = self.path_of(sha256)
        try:
            return path.stat().st_size
        except FileNotFoundError:
            raise _missing(sha256) from None

    def read(self, sha256: str, chunk_size: int = _CHUNK) -> Iterator[bytes]:
        if chunk_size <= 0:
            raise ValueError(f"chunk_size must be positive, not {chunk_size}")
        path = self.path_of(sha256)
        try:
            # Opened now, so a missing artifact fails at the call, before a stream has begun,
            # and a concurrent delete cannot cut a stream short.
            file = path.open("rb")
        except FileNotFoundError:
            raise _missing(sha256) from None
        return self._stream(file, sha256, chunk_size)

    @staticmethod
    def _stream(file: IO[bytes], sha256: str, chunk_size: int) -> Iterator[bytes]:
        digest = hashlib.sha256()
        with file:
            while chunk := file.read(chunk_size):
                digest.update(chunk)
                yield chunk
        if (actual := digest.hexdigest()) != sha256:
            raise _corrupt(sha256, actual)

    def verify(self, sha256: str) -> bool:
        path = self.path_of(sha256)
        try:
            return file_sha256(path) == sha256
        except FileNotFoundError:
            raise _missing(sha256) from None

    def local_path(self, sha256: str) -> Path:
        path = self.path_of(sha256)
        if not path.is_file():
            raise _missing(sha256)
        return path

    def uri(self, sha256: str) -> str:
        return self.path_of(sha256).as_uri()

    def delete(self, sha256: str) -> None:
        # The fan-out directory stays: removing it could race with a commit renaming into it.
        self.path_of(sha256).unlink(missing_ok=True)

    def cleanup_stale_uploads(self, older_than_seconds: float = 3600) -> int:
        """Remove part files not written to for ``older_than_seconds``; how many were removed.

        They are what uploads interrupted by a crash leave behind. A live upload idle for longer
        loses its file and fails at commit with ``UPLOAD_EXPIRED``.
        """
        cutoff = time.time() - older_than_seconds
        removed = 0
        with os.scandir(self.root / "uploads") as entries:
            for entry in entries:
                if not _PART_NAME.fullmatch(entry.name):
                    continue
                try:
                    if entry.stat(follow_symlinks=False).st_mtime <= cutoff:
                        os.unlink(entry.path)
                        removed += 1
                except FileNotFoundError:
                    continue  # committed, aborted or cleaned up by someone else meanwhile
        return removed
