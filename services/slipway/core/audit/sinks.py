"""Where signed checkpoints go: an append-only file, or an S3-compatible bucket with object lock.

Both keep what was written: the writer adds checkpoints and never rewrites one. The file relies
on ``O_APPEND`` and on being somewhere the application's other credentials do not reach. The
bucket is the production choice: each checkpoint is its own object, put only if no object has
its key yet (``If-None-Match: *``), and, when the bucket has object lock, retained in
COMPLIANCE (or GOVERNANCE) mode for a number of days, so not even the credentials that wrote
it can delete or shorten it before then.

Object keys are ``<prefix><sequence, 20 digits>.json``: listing order is chain order, and one
sequence has one checkpoint (a second writer racing for the same head is refused by the
store). An object body is the same JSON line as in the file.

An object-locked bucket is versioned, so a plain PUT over an existing key adds a version rather
than failing, and a DELETE adds a delete marker; the locked original stays. Readers therefore
take each key's first version, and report a key that has more than one version, or a delete
marker, as a rewritten sink rather than believing its newest version.

Credentials and region come from the standard AWS sources (``AWS_ACCESS_KEY_ID`` and
``AWS_SECRET_ACCESS_KEY``, ``AWS_PROFILE``, a role); ``AWS_ENDPOINT_URL`` points boto3 at
another S3-compatible store, as the ``audit_checkpoint_s3_*`` settings also can. The writer
needs ``s3:PutObject``, ``s3:PutObjectRetention``, ``s3:GetObject``, ``s3:GetObjectVersion``,
``s3:ListBucketVersions`` and ``s3:GetBucketObjectLockConfiguration``; an auditor the read and
list permissions only. Grant neither delete nor ``s3:BypassGovernanceRetention``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from botocore.exceptions import BotoCoreError, ClientError

from slipway.core.audit.checkpoints import Checkpoint, CheckpointError, parse_checkpoint
from slipway.core.logs import get_logger

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = get_logger("slipway.audit.sinks")

S3_SCHEME = "s3://"
LOCK_MODES = ("COMPLIANCE", "GOVERNANCE")
LockMode = Literal["COMPLIANCE", "GOVERNANCE"]


class StoreError(OSError):
    """The bucket could not be reached, or refused a request (an OSError, as a file's would
    be, so callers handle both sinks alike)."""


@contextmanager
def _store_errors(where: str) -> Iterator[None]:
    try:
        yield
    except (BotoCoreError, ClientError) as exc:
        raise StoreError(f"{where}: {exc}") from None


class FileSink:
    """A JSON Lines file, appended to with ``O_APPEND``; a checkpoint is named by its line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = str(path)

    def append(self, checkpoint: Checkpoint) -> None:
        """One line after everything already there (whole: one small write), synced, so a
        checkpoint survives a crash right after."""
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(descriptor, checkpoint.to_line().encode("utf-8"))
            os.fsync(descriptor)
        finally:
            os.close(descriptor)

    def read(self) -> list[tuple[str, Checkpoint]]:
        """Every checkpoint with where it is (``FILE line N``); CheckpointError for a line that
        is not one (a partly written last line included: nothing is skipped silently)."""
        out: list[tuple[str, Checkpoint]] = []
        with self.path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    where = f"{self.path} line {number}"
                    out.append((where, parse_checkpoint(line, where)))
        return out

    def newest(self) -> tuple[str, Checkpoint] | None:
        if not self.path.exists():
            return None
        listed = self.read()
        return listed[-1] if listed else None


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str

    @classmethod
    def parse(cls, url: str) -> S3Location:
        """``s3://bucket/prefix`` (the prefix may be empty; a missing final ``/`` is added so
        checkpoints sit in their own folder)."""
        if not url.startswith(S3_SCHEME):
            raise ValueError(f"{url!r} is not an s3://bucket/prefix URL")
        bucket, _, prefix = url.removeprefix(S3_SCHEME).partition("/")
        if not bucket:
            raise ValueError(f"{url!r} names no bucket")
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        return cls(bucket, prefix)

    def __str__(self) -> str:
        return f"{S3_SCHEME}{self.bucket}/{self.prefix}"


def s3_client(endpoint_url: str = "", region: str = "") -> S3Client:
    """An S3 client from the standard AWS configuration; ``endpoint_url`` and ``region``
    override it when given."""
    # Imported here: boto3 takes about 0.15 s to import, which every service would pay at
    # start although only the registry, and only with a bucket, needs it.
    import boto3

    return boto3.client("s3", endpoint_url=endpoint_url or None, region_name=region or None)


class S3Sink:
    """One object per checkpoint in an S3-compatible bucket, never overwritten."""

    def __init__(
        self,
        client: S3Client,
        location: S3Location,
        *,
        retention_days: int = 0,
        lock_mode: LockMode = "COMPLIANCE",
    ) -> None:
        self._client = client
        self.location = location
        self.name = str(location)
        self._retention = timedelta(days=retention_days)
        self._lock_mode: LockMode = lock_mode

    def _key(self, sequence: int) -> str:
        return f"{self.location.prefix}{sequence:020d}.json"

    def check_lock(self) -> str:
        """What keeps the checkpoints, for the start-up log; CheckpointError when retention is
        asked for and the bucket has no object lock (it would refuse every put)."""
        with _store_errors(self.name):
            try:
                found = self._client.get_object_lock_configuration(Bucket=self.location.bucket)
                configuration = found.get("ObjectLockConfiguration", {})
            except ClientError as exc:
                if _code(exc) != "ObjectLockConfigurationNotFoundError":
                    raise
                configuration = {}
        enabled = configuration.get("ObjectLockEnabled") == "Enabled"
        if self._retention and not enabled:
            raise CheckpointError(
                f"{self.name}: retention of {self._retention.days} day(s) was asked for, but "
                "the bucket has no object lock (it must be created with object lock enabled)"
            )
        if self._retention:
            return f"each checkpoint locked ({self._lock_mode}) for {self._retention.days} day(s)"
        default = configuration.get("Rule", {}).get("DefaultRetention")
        if enabled and default:
            return f"the bucket's default retention applies ({default})"
        if enabled:
            return (
                "object lock is enabled but no retention is set (neither "
                "audit_checkpoint_retention_days nor a bucket default): checkpoints are not locked"
            )
        return (
            "no object lock: a checkpoint is never overwritten by the writer, but whoever holds "
            "delete permission on the bucket can remove it"
        )

    def append(self, checkpoint: Checkpoint) -> None:
        """Put the checkpoint under its own key, only if that key is free; CheckpointError when
        the store refuses (an object is already there: never replaced)."""
        key = self._key(checkpoint.sequence)
        lock: dict[str, object] = {}
        if self._retention:
            lock = {
                "ObjectLockMode": self._lock_mode,
                "ObjectLockRetainUntilDate": datetime.now(UTC) + self._retention,
            }
        try:
            self._client.put_object(
                Bucket=self.location.bucket,
                Key=key,
                Body=checkpoint.to_line().encode("utf-8"),
                ContentType="application/json",
                IfNoneMatch="*",
                **lock,  # type: ignore[arg-type]  # the two lock fields, typed by boto3
            )
        except ClientError as exc:
            if _code(exc) in {"PreconditionFailed", "ConditionalRequestConflict"}:
                raise CheckpointError(
                    f"{S3_SCHEME}{self.location.bucket}/{key} already holds a checkpoint: "
                    "not overwriting it"
                ) from None
            raise StoreError(f"{self.name}: {exc}") from None
        except BotoCoreError as exc:
            raise StoreError(f"{self.name}: {exc}") from None

    def _versions(self) -> dict[str, list[tuple[datetime, str, bool]]]:
        """Every version and delete marker under the prefix, by key: (time, version id, is a
        delete marker), oldest first."""
        found: dict[str, list[tuple[datetime, str, bool]]] = {}
        with _store_errors(self.name):
            pages = self._client.get_paginator("list_object_versions").paginate(
                Bucket=self.location.bucket, Prefix=self.location.prefix
            )
            for page in pages:
                for version in page.get("Versions", []):
                    found.setdefault(version["Key"], []).append(
                        (version["LastModified"], version.get("VersionId", "null"), False)
                    )
                for marker in page.get("DeleteMarkers", []):
                    found.setdefault(marker["Key"], []).append(
                        (marker["LastModified"], marker.get("VersionId", "null"), True)
                    )
        for versions in found.values():
            versions.sort()
        return found

    def _read_key(self, key: str, versions: list[tuple[datetime, str, bool]]) -> Checkpoint:
        where = f"{S3_SCHEME}{self.location.bucket}/{key}"
        if len(versions) != 1 or versions[0][2]:
            rewrites = len(versions) - 1
            raise CheckpointError(
                f"{where}: rewritten after it was written ({rewrites} later version(s) or "
                "delete marker(s)): the sink was tampered with"
            )
        _, version_id, _ = versions[0]
        bucket = self.location.bucket
        with _store_errors(where):
            found = (
                self._client.get_object(Bucket=bucket, Key=key)
                if version_id == "null"  # an unversioned bucket
                else self._client.get_object(Bucket=bucket, Key=key, VersionId=version_id)
            )
            raw = found["Body"].read()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise CheckpointError(f"{where}: not UTF-8 text") from None
        return parse_checkpoint(text, where)

    def read(self) -> list[tuple[str, Checkpoint]]:
        """Every checkpoint in key (chain) order, each named by its URL."""
        return [
            (f"{S3_SCHEME}{self.location.bucket}/{key}", self._read_key(key, versions))
            for key, versions in sorted(self._versions().items())
        ]

    def newest(self) -> tuple[str, Checkpoint] | None:
        versions = self._versions()
        if not versions:
            return None
        key = max(versions)
        return f"{S3_SCHEME}{self.location.bucket}/{key}", self._read_key(key, versions[key])


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def open_sink(
    target: str | Path,
    *,
    endpoint_url: str = "",
    region: str = "",
    retention_days: int = 0,
    lock_mode: str = "COMPLIANCE",
) -> FileSink | S3Sink:
    """The sink ``target`` names: ``s3://bucket/prefix``, or a file path."""
    if isinstance(target, str) and target.startswith(S3_SCHEME):
        if lock_mode not in LOCK_MODES:
            raise ValueError(f"lock mode must be one of {', '.join(LOCK_MODES)}, not {lock_mode!r}")
        return S3Sink(
            s3_client(endpoint_url, region),
            S3Location.parse(target),
            retention_days=retention_days,
            lock_mode="GOVERNANCE" if lock_mode == "GOVERNANCE" else "COMPLIANCE",
        )
    return FileSink(Path(target))
