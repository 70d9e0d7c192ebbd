"""`slipway audit verify-export` on a keyed chain (issue 16, finding 3a): an export through the
API carries each event's key id, so an auditor holding the current and retired audit keys checks
it offline, and a line changed after the export is reported at its line.

The registry is a real process; the export is `slipway audit export` over its API.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from slipway.core.audit import record
from slipway.core.audit.chain import ChainKey
from slipway.core.audit.keys import generate_key_file
from slipway.core.bootstrap import connect_database
from slipway.core.context import Principal
from slipway.schema.migrate import upgrade
from support.harness import make_tokens
from support.processes import ServiceProcess

START_TIMEOUT = 120.0  # a loaded machine: the interpreter and scikit-learn import slowly
CLI_TIMEOUT = 120.0
ALICE = Principal("alice", frozenset({"developer"}))


def slipway(*args: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SLIPWAY_")}
    return subprocess.run(
        [sys.executable, "-m", "slipway.cli.main", "audit", *args],
        env=environ,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
        check=False,
    )


def append_events(url: str, first: int, count: int, key: ChainKey) -> None:
    db = connect_database(url, key)
    try:
        for i in range(first, first + count):
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


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    (tmp_path / "db").mkdir()
    url = f"sqlite:///{tmp_path / 'db' / 'slipway.db'}"
    upgrade(url)
    return url


@pytest.mark.slow
def test_an_exported_keyed_chain_verifies_offline_and_a_changed_line_is_named(
    tmp_path: Path, sqlite_url: str
) -> None:
    # Three events under a key since retired, three under the current one.
    retired = tmp_path / "retired"
    old_key = generate_key_file(retired / "2026-11.key")
    key_file = tmp_path / "audit.key"
    key = generate_key_file(key_file)
    append_events(sqlite_url, 1, 3, old_key)
    append_events(sqlite_url, 4, 3, key)

    tokens = tmp_path / "tokens.json"
    (tmp_path / "auditor.token").write_text(make_tokens(tokens)["auditor"])
    registry = ServiceProcess(
        "registry",
        tmp_path / "home",
        sqlite_url,
        tokens,
        "--audit-key-file",
        str(key_file),
        "--audit-retired-keys-dir",
        str(retired),
        "--audit-verify-interval-seconds",
        "0",
    )
    export = tmp_path / "export.jsonl"
    try:
        address = registry.wait_ready(timeout=START_TIMEOUT)
        exported = slipway(
            "export",
            "-o",
            str(export),
            "--target",
            address,
            "--token-file",
            str(tmp_path / "auditor.token"),
        )
    finally:
        registry.stop()
    assert exported.returncode == 0, exported.stderr
    lines = [json.loads(line) for line in export.read_text().splitlines()]
    assert [line["key_id"] for line in lines] == [old_key.key_id] * 3 + [key.key_id] * 3

    keys = ("--key-file", str(key_file), "--key-dir", str(retired))
    verified = slipway("verify-export", str(export), *keys)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.startswith("OK: 6 events, 1..6")
    assert "keyed chain: every event verified with its key" in verified.stdout

    # Without the retired key, its events cannot be checked, and that is said.
    current_only = slipway("verify-export", str(export), "--key-file", str(key_file))
    assert current_only.returncode == 1
    assert "BROKEN at sequence 1 (UNKNOWN_KEY) on line 1" in current_only.stdout

    # A line changed after the export (its hash left as it was) is named.
    lines[4] = {**lines[4], "reason": "nothing to see"}
    export.write_text("".join(json.dumps(line) + "\n" for line in lines))
    tampered = slipway("verify-export", str(export), *keys)
    assert tampered.returncode == 1, tampered.stdout + tampered.stderr
    assert "BROKEN at sequence 5 (CHANGED_ROW) on line 5" in tampered.stdout, tampered.stdout
