"""`slipway audit verify-export` on files an auditor may be handed: malformed ones are a one-line
error naming the line (exit 1), never a traceback; tampering is still found."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from slipway.core.audit.chain import (
    GENESIS_HASH,
    AuditEntry,
    Outcome,
    compute_hash,
    entry_to_json,
)


def _chain(count: int) -> list[dict[str, object]]:
    """``count`` valid export lines, hashed as the log hashes them."""
    lines: list[dict[str, object]] = []
    previous = GENESIS_HASH
    start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    for sequence in range(1, count + 1):
        entry = AuditEntry(
            sequence=sequence,
            event_id=f"event-{sequence}",
            event_time=start + timedelta(seconds=sequence, microseconds=123),
            service="registry",
            action="registry.CreateModel",
            principal="alice",
            roles=("developer",),
            resource=f"models/m{sequence}",
            outcome=Outcome.OK,
            status_code="OK",
            error_reason="",
            reason="",
            request_id=f"r{sequence}",
            payload="{}",
            previous_hash=previous,
        )
        entry = dataclasses.replace(entry, hash=compute_hash(entry))
        previous = entry.hash
        lines.append(entry_to_json(entry))
    return lines


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def _verify(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "slipway.cli.main", "audit", "verify-export", str(path)],
        env=dict(os.environ, SLIPWAY_HOME=str(path.parent / "home")),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_valid_export_verifies(tmp_path: Path) -> None:
    done = _verify(_write(tmp_path / "ok.jsonl", [json.dumps(e) for e in _chain(3)]))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("OK: 3 events, 1..3")


def _broken_third_line(change: str) -> list[str]:
    lines = [json.dumps(e) for e in _chain(4)]
    third = _chain(4)[2]
    if change == "not json":
        lines[2] = "this is not json"
    elif change == "truncated":
        lines[2] = lines[2][: len(lines[2]) // 2]
    elif change == "no microseconds":
        lines[2] = json.dumps({**third, "event_time": "2026-12-01T09:00:03Z"})
    elif change == "unknown hash version":
        lines[2] = json.dumps({**third, "hash_version": 9})
    elif change == "missing field":
        lines[2] = json.dumps({k: v for k, v in third.items() if k != "hash"})
    elif change == "not an object":
        lines[2] = json.dumps([1, 2, 3])
    elif change == "wrong type":
        lines[2] = json.dumps({**third, "sequence": "three"})
    return lines


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("not json", "line 3: not JSON: Expecting value"),
        ("truncated", "line 3: not JSON: "),
        ("no microseconds", "line 3: event_time '2026-12-01T09:00:03Z' is not in the export's"),
        ("unknown hash version", "line 3: hash_version 9 is not one this tool knows (1, 2)"),
        ("missing field", "line 3: missing field(s) hash"),
        ("not an object", "line 3: not an audit event"),
        ("wrong type", "line 3: a field has the wrong type or value"),
    ],
)
def test_a_malformed_line_is_named_in_one_line(tmp_path: Path, change: str, expected: str) -> None:
    done = _verify(_write(tmp_path / "bad.jsonl", _broken_third_line(change)))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().count("\n") == 0, done.stderr
    assert expected in done.stderr, done.stderr


def test_a_file_that_is_not_text_or_not_there_is_one_line(tmp_path: Path) -> None:
    binary = tmp_path / "binary.jsonl"
    binary.write_bytes(b"\xff\xfe\x00garbage\n")
    done = _verify(binary)
    assert done.returncode == 1
    assert "not UTF-8 text" in done.stderr
    assert "Traceback" not in done.stderr
    missing = _verify(tmp_path / "absent.jsonl")
    assert missing.returncode != 0
    assert "Traceback" not in missing.stderr
    assert "absent.jsonl" in missing.stderr


def test_tampering_is_still_found(tmp_path: Path) -> None:
    entries = _chain(4)
    entries[1] = {**entries[1], "principal": "mallory"}  # changed after it was hashed
    done = _verify(_write(tmp_path / "tampered.jsonl", [json.dumps(e) for e in entries]))
    assert done.returncode == 1
    assert done.stdout.startswith("BROKEN at sequence 2"), done.stdout
