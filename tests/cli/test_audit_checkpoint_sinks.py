"""The sinks of signed audit checkpoints (issue 16, finding 3b): the writer trusts nothing it
did not sign, and the S3-compatible bucket with object lock keeps what it wrote.

The registry is a real process; the bucket is a real S3 API server (moto's) on a free loopback
port, started by the test.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import pytest
import sqlalchemy as sa
from botocore.exceptions import ClientError
from moto.server import ThreadedMotoServer
from sqlalchemy.orm import Session

from slipway.core.audit import record
from slipway.core.audit.chain import ChainKey, seal
from slipway.core.audit.checkpoints import CheckpointError, generate_signing_key, sign
from slipway.core.audit.keys import generate_key_file
from slipway.core.audit.log import to_entry
from slipway.core.audit.sinks import S3Sink, open_sink
from slipway.core.audit.tables import AuditEventRow
from slipway.core.bootstrap import connect_database
from slipway.core.context import Principal
from slipway.schema.migrate import upgrade
from support.harness import make_tokens
from support.processes import ServiceProcess
from support.waiting import wait_until_sync

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

EXIT_CONFIG = 2
START_TIMEOUT = 120.0  # a loaded machine: the interpreter and scikit-learn import slowly
CLI_TIMEOUT = 120.0
ALICE = Principal("alice", frozenset({"developer"}))
BUCKET = "slipway-audit"
PREFIX = "checkpoints/"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    (tmp_path / "db").mkdir()
    url = f"sqlite:///{tmp_path / 'db' / 'slipway.db'}"
    upgrade(url)
    return url


def append_events(url: str, count: int, key: ChainKey) -> None:
    """``count`` audited events written the way the services write them."""
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


@pytest.mark.slow
def test_the_writer_refuses_a_sink_whose_newest_checkpoint_it_did_not_sign(
    tmp_path: Path, sqlite_url: str
) -> None:
    """A line forged into the sink (here: an honest checkpoint moved on to a later sequence and
    another hash, its signature left as it was) must not become where the writer starts."""
    key_file = tmp_path / "keys" / "audit.key"
    key = generate_key_file(key_file)
    signing = generate_signing_key(tmp_path / "keys" / "sign.pem", tmp_path / "keys" / "sign.pub")
    append_events(sqlite_url, 3, key)
    sink = tmp_path / "sink" / "checkpoints.jsonl"
    sink.parent.mkdir()
    honest = sign(signing, 2, "a" * 64, datetime.now(UTC), datetime.now(UTC))
    forged = {**asdict(honest), "sequence": 3, "hash": "b" * 64}
    sink.write_text(honest.to_line() + json.dumps(forged) + "\n")
    before = sink.read_bytes()

    tokens = tmp_path / "tokens.json"
    make_tokens(tokens)
    registry = ServiceProcess(
        "registry",
        tmp_path / "home",
        sqlite_url,
        tokens,
        "--audit-key-file",
        str(key_file),
        "--audit-checkpoint-file",
        str(sink),
        "--audit-checkpoint-signing-key-file",
        str(tmp_path / "keys" / "sign.pem"),
    )
    exit_code = registry.process.wait(timeout=START_TIMEOUT)
    log = registry.log_text()
    assert exit_code == EXIT_CONFIG, log
    assert "line 2" in log
    assert "the signature does not verify" in log, log
    assert "refusing to write checkpoints after it" in log, log
    assert sink.read_bytes() == before  # nothing chained onto the forgery


@pytest.fixture
def s3_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A real S3 API server (moto's) on a free loopback port, and the AWS environment pointing
    every client of this test, and its child processes, at it."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "slipway-test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "slipway-test-secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    try:
        yield endpoint
    finally:
        server.stop()


def slipway(*args: str) -> subprocess.CompletedProcess[str]:
    """`slipway ARGS` in a child process (the AWS environment of the test included)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SLIPWAY_")}
    return subprocess.run(
        [sys.executable, "-m", "slipway.cli.main", *args],
        env=environ,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
        check=False,
    )


def copy_of(url: str, target: Path) -> str:
    """A consistent copy of an SQLite database (the backup API); its URL."""
    with sqlite3.connect(url.removeprefix("sqlite:///")) as source, sqlite3.connect(target) as copy:
        source.backup(copy)
    return f"sqlite:///{target}"


def cut_tail(url: str, keep: int) -> None:
    """Remove the events after ``keep`` and move the head back, as whoever holds the database
    file may: the chain that is left is intact, so only a checkpoint can tell."""
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TRIGGER audit_events_no_delete")
        connection.execute(sa.delete(AuditEventRow).where(AuditEventRow.sequence > keep))
        last_hash = connection.execute(
            sa.select(AuditEventRow.hash).where(AuditEventRow.sequence == keep)
        ).scalar_one()
        connection.execute(
            sa.text("UPDATE audit_chain_head SET last_sequence = :s, last_hash = :h WHERE id = 1"),
            {"s": keep, "h": last_hash},
        )
    engine.dispose()


def rewrite_with_key(url: str, sequence: int, key: ChainKey) -> None:
    """Change the reason of event ``sequence`` and re-hash the chain from it with the audit key,
    as whoever also stole the HMAC key may: the keyed walk passes, only a checkpoint can tell."""
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TRIGGER audit_events_no_update")
    with Session(engine) as session, session.begin():
        rows = session.scalars(
            sa.select(AuditEventRow)
            .where(AuditEventRow.sequence >= sequence - 1)
            .order_by(AuditEventRow.sequence)
        ).all()
        previous = rows[0].hash
        for row in rows[1:]:
            entry = to_entry(row)
            if entry.sequence == sequence:
                entry = replace(entry, reason="nothing to see")
            entry = seal(replace(entry, previous_hash=previous), key)
            row.reason, row.previous_hash, row.hash = entry.reason, previous, entry.hash
            previous = entry.hash
        session.execute(sa.text("UPDATE audit_chain_head SET last_hash = :h"), {"h": previous})
    engine.dispose()


def bucket_keys(client: S3Client, bucket: str) -> list[str]:
    listed = client.list_objects_v2(Bucket=bucket).get("Contents", [])
    return sorted(item["Key"] for item in listed)


@pytest.mark.slow
def test_checkpoints_in_an_object_locked_bucket_catch_a_cut_and_a_rewrite(
    tmp_path: Path, sqlite_url: str, s3_endpoint: str
) -> None:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET, ObjectLockEnabledForBucket=True)
    key_file = tmp_path / "keys" / "audit.key"
    key = generate_key_file(key_file)
    generate_signing_key(tmp_path / "keys" / "sign.pem", tmp_path / "keys" / "sign.pub")
    append_events(sqlite_url, 5, key)

    tokens = tmp_path / "tokens.json"
    make_tokens(tokens)
    registry = ServiceProcess(
        "registry",
        tmp_path / "home",
        sqlite_url,
        tokens,
        "--audit-key-file",
        str(key_file),
        "--audit-checkpoint-s3-url",
        f"s3://{BUCKET}/{PREFIX}",
        "--audit-checkpoint-s3-endpoint-url",
        s3_endpoint,
        "--audit-checkpoint-retention-days",
        "1",
        "--audit-checkpoint-signing-key-file",
        str(tmp_path / "keys" / "sign.pem"),
        "--audit-checkpoint-interval-seconds",
        "3600",
        "--audit-verify-interval-seconds",
        "0",
    )
    try:
        registry.wait_ready(timeout=START_TIMEOUT)
        first_key = [f"{PREFIX}{5:020d}.json"]
        wait_until_sync(lambda: bucket_keys(s3, BUCKET) == first_key, "the first checkpoint")
        append_events(sqlite_url, 2, key)
    finally:
        assert registry.stop() == 0, registry.log_text()
    # Signed at start (head 5) and at graceful shutdown (head 7), each its own locked object.
    first, second = f"{PREFIX}{5:020d}.json", f"{PREFIX}{7:020d}.json"
    assert bucket_keys(s3, BUCKET) == [first, second]
    assert "each checkpoint locked (COMPLIANCE) for 1 day(s)" in registry.log_text()
    assert s3.head_object(Bucket=BUCKET, Key=second)["ObjectLockMode"] == "COMPLIANCE"

    def verify(url: str) -> subprocess.CompletedProcess[str]:
        return slipway(
            "audit",
            "verify",
            "--database-url",
            url,
            "--key-file",
            str(key_file),
            "--checkpoints",
            f"s3://{BUCKET}/{PREFIX}",
            "--public-key",
            str(tmp_path / "keys" / "sign.pub"),
        )

    intact = verify(sqlite_url)
    assert intact.returncode == 0, intact.stdout + intact.stderr
    assert "matches all 2 signed checkpoint(s)" in intact.stdout

    cut = copy_of(sqlite_url, tmp_path / "cut.db")
    cut_tail(cut, keep=6)
    found = verify(cut)
    assert found.returncode == 1, found.stdout + found.stderr
    assert "BROKEN at sequence 7 (MISSING_ROW)" in found.stdout, found.stdout

    rewritten = copy_of(sqlite_url, tmp_path / "rewritten.db")
    rewrite_with_key(rewritten, 3, key)
    found = verify(rewritten)
    assert found.returncode == 1, found.stdout + found.stderr
    assert "BROKEN at sequence 5 (CHECKPOINT_MISMATCH)" in found.stdout, found.stdout

    # The store keeps what was written. A conditional put over a checkpoint is refused ...
    with pytest.raises(ClientError) as refused:
        s3.put_object(Bucket=BUCKET, Key=second, Body=b"{}", IfNoneMatch="*")
    assert refused.value.response["Error"]["Code"] == "PreconditionFailed"
    # ... the locked version cannot be deleted, not even bypassing governance ...
    (version,) = s3.list_object_versions(Bucket=BUCKET, Prefix=second)["Versions"]
    with pytest.raises(ClientError) as denied:
        s3.delete_object(
            Bucket=BUCKET,
            Key=second,
            VersionId=version["VersionId"],
            BypassGovernanceRetention=True,
        )
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    # ... and a plain put only stacks a new version on it, which the verifier reports rather
    # than believes.
    s3.put_object(Bucket=BUCKET, Key=second, Body=b"{}")
    found = verify(sqlite_url)
    assert found.returncode == 1, found.stdout + found.stderr
    assert f"s3://{BUCKET}/{second}: rewritten after it was written" in found.stderr, found.stderr


def test_retention_on_a_bucket_without_object_lock_is_refused(s3_endpoint: str) -> None:
    """Asked to lock checkpoints, the sink refuses a bucket that cannot (the registry then
    refuses to start) rather than writing objects anyone with delete rights can remove."""
    boto3.client("s3").create_bucket(Bucket="plain-bucket")
    locked = open_sink("s3://plain-bucket/cp", retention_days=30)
    assert isinstance(locked, S3Sink)
    with pytest.raises(CheckpointError, match="the bucket has no object lock"):
        locked.check_lock()
    unlocked = open_sink("s3://plain-bucket/cp")
    assert isinstance(unlocked, S3Sink)
    assert unlocked.check_lock().startswith("no object lock")
