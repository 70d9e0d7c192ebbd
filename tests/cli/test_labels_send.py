"""`slipway labels send` against a real monitoring service (and a registry that knows each
version's classes): CSV and JSON lines, 0/1 classes sent as integers and class names as text,
labels joined, waiting for their prediction and rejected, missing labels, and bad files."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from slipway.cli.labels import Labels, label_type
from slipway.cli.main import main
from slipway.core.db import Database
from support.harness import make_tokens
from support.monitoring import (
    FEATURES,
    Monitoring,
    read_traffic,
    running_monitoring,
    scored_records,
)
from support.serving import fruit_spec, register, train_locally
from support.training import running_registry, write_csv

# The command line is what is tested here; monitoring's own tests cover both databases.
ON_SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@dataclass
class Setup:
    monitoring: Monitoring
    token_file: Path  # a developer's token, for the command line
    fruit: Any  # traffic labels by request id: 'big' / 'small'
    flags: Any  # traffic labels by request id: 0 / 1


def _with_integer_labels(source: Path, target: Path) -> Path:
    """The same rows with the label 1 for 'big' and 0 for 'small': a model of 0/1 classes."""
    lines = source.read_text().splitlines()
    body = [
        ",".join([*line.split(",")[:-1], "1" if line.endswith(",big") else "0"])
        for line in lines[1:]
    ]
    target.write_text("\n".join([lines[0], *body]) + "\n")
    return target


@pytest.fixture
async def setup(migrated_db: Database, tmp_path: Path) -> AsyncIterator[Setup]:
    tokens_file = tmp_path / "tokens.json"
    tokens = await asyncio.to_thread(make_tokens, tokens_file)
    service_token = tmp_path / "service.token"
    service_token.write_text(tokens["service"] + "\n")
    developer_token = tmp_path / "developer.token"
    developer_token.write_text(tokens["developer"] + "\n")
    fruit_root, flag_root = tmp_path / "fruit-data", tmp_path / "flag-data"
    fruit_root.mkdir()
    flag_root.mkdir()
    write_csv(fruit_root / "fruit.csv", rows=400, seed=0)
    _with_integer_labels(fruit_root / "fruit.csv", flag_root / "fruit.csv")
    fruit = await asyncio.to_thread(train_locally, fruit_spec(), tmp_path / "m1", fruit_root)
    flag = await asyncio.to_thread(train_locally, fruit_spec(), tmp_path / "m2", flag_root)
    traffic_file = write_csv(tmp_path / "traffic.csv", rows=40, seed=5)
    window = read_traffic(traffic_file)
    async with running_registry(
        migrated_db, tmp_path / "registry", tokens_file, tokens, tmp_path / "artifacts"
    ) as registry:
        fruit_version = await register(registry, service_token, "fruit", fruit, alias="production")
        flag_version = await register(registry, service_token, "flag", flag, alias="production")
        async with running_monitoring(
            migrated_db,
            tmp_path / "monitoring",
            tokens_file,
            tokens,
            registry.address,
            service_token,
            evaluate=False,
        ) as monitoring:
            # Requests fruit-0..3 and flag-0..3 of ten rows each, as serving logs them.
            for model_id, number, trained, prefix in (
                ("fruit", fruit_version, fruit, "fruit"),
                ("flag", flag_version, flag, "flag"),
            ):
                records = scored_records(
                    f"models/{model_id}/versions/{number}",
                    trained.model(),
                    window.rows,
                    FEATURES,
                    prefix=prefix,
                    per_record=10,
                )
                reply = await monitoring.ingest(records)
                assert reply.rejected_record_count == 0
            yield Setup(
                monitoring,
                developer_token,
                {f"fruit-{i}": list(window.labels[i * 10 : i * 10 + 10]) for i in range(4)},
                {
                    f"flag-{i}": [
                        1 if v == "big" else 0 for v in window.labels[i * 10 : i * 10 + 10]
                    ]
                    for i in range(4)
                },
            )


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in list(os.environ):
        if key.startswith("SLIPWAY_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("SLIPWAY_HOME", str(tmp_path / "no-suite"))


async def send(
    setup: Setup, capsys: pytest.CaptureFixture[str], *argv: object, as_json: bool = True
) -> tuple[int, Any, str]:
    """`slipway labels send ARGV` in a thread (the services run on this loop): exit code,
    the JSON summary (text when it printed none), and stderr."""
    capsys.readouterr()
    code = await asyncio.to_thread(
        main,
        [
            "labels",
            "send",
            *(str(a) for a in argv),
            "--target",
            setup.monitoring.address,
            "--token-file",
            str(setup.token_file),
            *(["--json"] if as_json else []),
        ],
    )
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    start = out.find("{\n")  # the in-process services log to stdout too
    if start < 0:
        return code, out, err
    document, _ = json.JSONDecoder().raw_decode(out[start:])
    return code, document, err


@ON_SQLITE
async def test_zero_one_labels_in_a_csv_are_joined_as_integers(setup, tmp_path, capsys):
    rows = ["id,churned"] + [
        f"{request_id},{label}" for request_id, labels in setup.flags.items() for label in labels
    ]
    rows.append("flag-later,1")  # its prediction has not arrived
    path = tmp_path / "labels.csv"
    path.write_text("\n".join(rows) + "\n")
    code, summary, err = await send(
        setup, capsys, path, "--request-id-column", "id", "--label-column", "churned"
    )
    assert code == 0, err
    assert summary == {
        "rows": 41,
        "requests_sent": 5,
        "batches": 1,
        "label_type": "integer",
        "matched": 4,
        "unknown_request_ids": 1,
        "rejected": 0,
        "rows_without_label": {},
    }
    # The same 0/1 labels as text "1.0" are no class of the version: monitoring rejects them.
    path.write_text("id,churned\n" + "".join(f"flag-0,{v}.0\n" for v in setup.flags["flag-0"]))
    code, summary, _ = await send(
        setup, capsys, path, "--request-id-column", "id", "--label-column", "churned",
        "--label-type", "text",
    )  # fmt: skip
    assert code == 1
    assert (summary["label_type"], summary["matched"], summary["rejected"]) == ("text", 0, 1)


@ON_SQLITE
async def test_json_lines_with_a_missing_label_and_a_wrong_class(setup, tmp_path, capsys):
    fruit = setup.fruit
    lines = [{"request_id": "fruit-0", "label": label} for label in fruit["fruit-0"]]
    lines += [{"request_id": "fruit-1", "label": fruit["fruit-1"]}]  # a list: every row at once
    with_gap = list(fruit["fruit-2"])
    with_gap[3] = None  # unknown for one row: the others are still joined
    lines += [{"request_id": "fruit-2", "label": label} for label in with_gap]
    lines += [{"request_id": "fruit-3", "label": "medium"} for _ in range(10)]  # no such class
    lines += [{"request_id": "", "label": "big"}]
    path = tmp_path / "labels.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    code, summary, err = await send(setup, capsys, path)
    assert code == 1, err  # rejected and missing labels
    assert summary == {
        "rows": 32,
        "requests_sent": 4,
        "batches": 1,
        "label_type": "text",
        "matched": 3,
        "unknown_request_ids": 0,
        "rejected": 1,
        "rows_without_label": {"missing label": 1, "no request id": 1},
    }
    report = await setup.monitoring.report("models/fruit@production")
    assert report.performance.labeled_row_count == 29  # fruit-0, 1 and 2 but the missing row

    # The same file again, one request a call: labels sent twice replace the first ones.
    code, out, _ = await send(setup, capsys, path, "--batch-size", "1", as_json=False)
    assert code == 1
    assert "sent the labels of 4 requests (32 rows, text labels) in 4 calls: 3 joined" in out
    assert "1 rejected" in out
    assert "1 missing label, 1 no request id" in out


@ON_SQLITE
async def test_bad_files_are_refused_before_anything_is_sent(setup, tmp_path, capsys):
    no_label = tmp_path / "no-label.csv"
    no_label.write_text("request_id,truth\nfruit-0,big\n")
    code, _, err = await send(setup, capsys, no_label)
    assert code == 2
    assert "no column 'label'" in err
    assert "--label-column" in err
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"request_id": "fruit-0", "label": "big"}\n{"request_id": \n')
    code, _, err = await send(setup, capsys, broken)
    assert code == 2
    assert "line 2 is not JSON" in err
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("request_id,label\nfruit-0,big,extra\n")
    code, _, err = await send(setup, capsys, ragged)
    assert code == 2
    assert "CSV line 2" in err
    code, _, err = await send(setup, capsys, tmp_path / "absent.csv")
    assert code == 2
    assert "cannot read" in err
    report = await setup.monitoring.report("models/fruit@production")
    assert report.performance.labeled_row_count == 0


def test_labels_are_typed_like_a_target():
    def typed(*values: Any) -> str:
        labels = Labels()
        for v in values:
            labels.add("r", v)
        return label_type(labels, "auto")

    assert typed("0", "1", None) == "integer"
    assert typed(0, 1) == "integer"
    assert typed("0.5", "2") == "number"
    assert typed(1.5, 2) == "number"
    assert typed("big", "1") == "text"
    assert typed(True, False) == "text"
