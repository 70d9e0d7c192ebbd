"""The sinks of signed audit checkpoints (issue 16, finding 3b): the writer trusts nothing it
did not sign, and the S3-compatible bucket with object lock keeps what it wrote.

The registry is a real process; the bucket is a real S3 API server (moto's) on a free loopback
port, started by the test.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import pytest

from slipway.core.audit import record
from slipway.core.audit.chain import ChainKey
from slipway.core.audit.checkpoints import generate_signing_key, sign
from slipway.core.audit.keys import generate_key_file
from slipway.core.bootstrap import connect_database
from slipway.core.context import Principal
from slipway.schema.migrate import upgrade
from support.harness import make_tokens
from support.processes import ServiceProcess

EXIT_CONFIG = 2
START_TIMEOUT = 120.0  # a loaded machine: the interpreter and scikit-learn import slowly
ALICE = Principal("alice", frozenset({"developer"}))


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
