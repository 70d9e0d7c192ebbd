"""A version's reference file and its claimed row counts come from whoever uploaded it (issue 16,
finding 9 as seen from monitoring), through real servers (register, report):

* a small reference file that decodes to gigabytes is refused from its metadata, with
  FAILED_PRECONDITION and REFERENCE_TOO_LARGE, and monitoring's memory stays where it was;
* a self-reported version's reference stands for its sample rows, not for the training rows its
  uploader claims.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

import grpc
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from slipway.core.db import Database
from slipway.registry.v1 import lineage_pb2
from slipway.services.training.engine import spec as s
from slipway.services.training.engine.outcome import ArtifactFile
from slipway.services.training.engine.run import train
from support.monitoring import Monitoring, running_monitoring
from support.registry import Registry, error_reason
from support.serving import Trained, register

FEATURES = ("a", "b", "c")
HOSTILE_ROWS = 300_000
TEXT = "x" * 5_000  # 300,000 rows of it decode to 1.5 GB (monitoring's limit: 1 GiB)
# Refused from its metadata, the peak grows by the encoded column at most; decoded, it grew by
# gigabytes.
MAX_GROWTH_BYTES = 256 * 1024**2


def _rss_peak() -> int:
    """This process's peak resident set (VmHWM), in bytes: monitoring runs in it."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc status")


def _train(tmp_path: Path, rows: int, sample_rows: int) -> Trained:
    root = tmp_path / "data"
    root.mkdir()
    rng = np.random.default_rng(3)
    x = rng.normal(size=(rows, len(FEATURES)))
    label = np.where(x[:, 0] + rng.normal(0.0, 1.0, rows) > 0, "yes", "no")
    lines = [",".join((*FEATURES, "label"))]
    lines.extend(
        ",".join(f"{v:.6g}" for v in row) + f",{y}" for row, y in zip(x, label, strict=True)
    )
    (root / "train.csv").write_text("\n".join(lines) + "\n")
    spec = s.JobSpec(
        task="classification",
        estimator=s.Estimator("LogisticRegression"),
        dataset=s.DatasetSpec(path="train.csv", target_column="label"),
    )
    folder = tmp_path / "model"
    folder.mkdir()
    outcome = train(
        spec, data_root=root, out_dir=folder, progress=lambda p: None, sample_rows=sample_rows
    )
    return Trained(outcome, folder)


def _inflating_reference(path: Path) -> None:
    """A reference file as training writes them, but whose first feature is a long string
    repeated on every row: kilobytes on disk, stored once in a Parquet dictionary, 1.5 GB
    decoded."""
    text = pa.DictionaryArray.from_arrays(
        pa.array(np.zeros(HOSTILE_ROWS, np.int32)), pa.array([TEXT])
    )
    numbers = pa.array(np.ones(HOSTILE_ROWS))
    table = pa.table(
        {
            "c0": text,
            "c1": numbers,
            "c2": numbers,
            "__target__": pa.DictionaryArray.from_arrays(
                pa.array(np.zeros(HOSTILE_ROWS, np.int32)), pa.array(["yes"])
            ),
            "__holdout__": pa.array(np.zeros(HOSTILE_ROWS, bool)),
        }
    )
    metadata = {"columns": list(FEATURES), "row_count": HOSTILE_ROWS, "holdout_row_count": 0}
    # Without the arrow schema in the file, a reader decodes the column to plain strings.
    table = table.replace_schema_metadata({"slipway.reference": json.dumps(metadata)})
    pq.write_table(table, path, store_schema=False)


def _with_sample(trained: Trained, path: Path) -> Trained:
    content = path.read_bytes()
    sample = ArtifactFile(path.name, hashlib.sha256(content).hexdigest(), len(content), "parquet")
    return Trained(replace(trained.outcome, sample=sample), trained.folder)


async def _report_refusal(monitoring: Monitoring, version: str) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await monitoring.report(version)
    return refused.value


async def test_a_reference_that_decodes_to_gigabytes_is_refused_from_its_metadata(
    migrated_db: Database,
    tmp_path: Path,
    tokens_file: Path,
    tokens: dict[str, str],
    registry: Registry,
    service_token_file: Path,
) -> None:
    trained = _train(tmp_path, rows=400, sample_rows=1000)
    hostile = trained.folder / "hostile.parquet"
    _inflating_reference(hostile)
    size = hostile.stat().st_size
    number = await register(
        registry, service_token_file, "inflated", _with_sample(trained, hostile)
    )
    version = f"models/inflated/versions/{number}"
    async with running_monitoring(
        migrated_db,
        tmp_path / "monitoring",
        tokens_file,
        tokens,
        registry.address,
        service_token_file,
        evaluate=False,
    ) as monitoring:
        before = _rss_peak()
        error = await _report_refusal(monitoring, version)
        growth = _rss_peak() - before
        print(
            f"{size}-byte reference ({HOSTILE_ROWS * len(TEXT)} bytes decoded): monitoring "
            f"peak RSS {before / 2**20:.0f} MiB, grew {growth / 2**20:.1f} MiB"
        )
        assert error.code() == grpc.StatusCode.FAILED_PRECONDITION, error.details()
        assert error_reason(error) == "REFERENCE_TOO_LARGE"
        assert "bytes once decoded" in (error.details() or "")
        assert "--max-reference-decoded-bytes" in (error.details() or "")
        assert growth < MAX_GROWTH_BYTES, f"peak RSS grew by {growth / 2**20:.0f} MiB"
        # Asked again, it is refused the same way (from what was learnt, not by reading again).
        again = await _report_refusal(monitoring, version)
        assert error_reason(again) == "REFERENCE_TOO_LARGE"


async def test_a_self_reported_reference_stands_for_its_sample_rows_only(
    migrated_db: Database,
    tmp_path: Path,
    tokens_file: Path,
    tokens: dict[str, str],
    registry: Registry,
    service_token_file: Path,
) -> None:
    # 5000 rows: 4000 to train on, of which the reference keeps 500, and 1000 holdout rows, of
    # which it keeps 500 (thinned to 125 in the data reference: one sampling rate for both);
    # the version's profile (and the file's metadata) claim the 4000 and the 1000.
    trained = _train(tmp_path, rows=5_000, sample_rows=500)
    assert trained.outcome.profile_row_count == 4_000
    number = await register(registry, service_token_file, "claimed", trained)
    version = await registry.get_version(f"models/claimed/versions/{number}")
    assert version.lineage.provenance == lineage_pb2.LINEAGE_PROVENANCE_SELF_REPORTED
    assert version.reference_profile.row_count == 4_000
    async with running_monitoring(
        migrated_db,
        tmp_path / "monitoring",
        tokens_file,
        tokens,
        registry.address,
        service_token_file,
        evaluate=False,
    ) as monitoring:
        report = await monitoring.report(version.name)

    # Nobody vouches for the 5000: the drift methods are chosen for the 625 rows there are.
    assert (report.reference_row_count, report.reference_sample_row_count) == (625, 625)


async def test_a_reference_that_is_no_reference_file_is_refused_not_internal(
    migrated_db: Database,
    tmp_path: Path,
    tokens_file: Path,
    tokens: dict[str, str],
    registry: Registry,
    service_token_file: Path,
) -> None:
    trained = _train(tmp_path, rows=400, sample_rows=1000)
    garbage = trained.folder / "garbage.parquet"
    garbage.write_bytes(b"PAR1" + bytes(range(256)) * 64)
    number = await register(registry, service_token_file, "garbled", _with_sample(trained, garbage))
    async with running_monitoring(
        migrated_db,
        tmp_path / "monitoring",
        tokens_file,
        tokens,
        registry.address,
        service_token_file,
        evaluate=False,
    ) as monitoring:
        error = await _report_refusal(monitoring, f"models/garbled/versions/{number}")
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION, error.details()
    assert error_reason(error) == "REFERENCE_UNREADABLE"
