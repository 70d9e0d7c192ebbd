"""What a caller may store through the public API: records with over-long BYTES values are
rejected, labels waiting for their predictions are bounded per call and per model (the whole
call is refused, RESOURCE_EXHAUSTED, and nothing is stored), and labels for logged predictions
are joined in bulk."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import numpy as np
import pytest
from sqlalchemy import func, select

from slipway.audit.v1 import audit_service_pb2
from slipway.core.db import Database
from slipway.monitoring.v1 import monitoring_service_pb2 as pb
from slipway.monitoring.v1 import prediction_record_pb2 as record_pb2
from slipway.services.monitoring.storage.tables import PendingLabelRow, PredictionRow
from slipway.services.serving.sinks.prediction_log import tensor
from support.monitoring import Monitoring, running_monitoring
from support.registry import Registry, error_reason

VERSION = "models/fruit/versions/1"


def _record(request_id: str, colour: str = "red") -> record_pb2.PredictionRecord:
    return record_pb2.PredictionRecord(
        request_id=request_id,
        model_version=VERSION,
        row_count=1,
        inputs=[
            tensor("size", "FP64", np.array([9.0])),
            tensor("colour", "BYTES", np.array([colour], dtype=object)),
        ],
    )


def _truths(ids: list[str], model: str = "") -> pb.IngestGroundTruthRequest:
    label = tensor("label", "FP64", np.array([1.0]))
    return pb.IngestGroundTruthRequest(
        ground_truths=[record_pb2.GroundTruth(request_id=i, model=model, labels=label) for i in ids]
    )


def _count(db: Database, column: Any, *where: Any) -> int:
    with db.unit_of_work(read_only=True) as session:
        return int(session.scalar(select(func.count(column)).where(*where)) or 0)


@pytest.fixture
async def monitoring(
    migrated_db: Database,
    tmp_path: Path,
    tokens_file: Path,
    tokens: dict[str, str],
    registry: Registry,
    service_token_file: Path,
) -> AsyncIterator[Monitoring]:
    async with running_monitoring(
        migrated_db,
        tmp_path / "monitoring",
        tokens_file,
        tokens,
        registry.address,
        service_token_file,
        evaluate=False,
        max_pending_labels_per_model=1500,
    ) as running:
        yield running


async def test_records_with_overlong_bytes_values_are_rejected(
    monitoring: Monitoring, migrated_db: Database
) -> None:
    reply = await monitoring.ingest(
        [_record("ok", "r" * 1024), _record("huge", "r" * 1024 * 1024), _record("id" * 65)]
    )
    assert (reply.accepted_record_count, reply.rejected_record_count) == (1, 2)
    assert _count(migrated_db, PredictionRow.seq) == 1


async def test_ten_thousand_unknown_labels_are_refused_whole(
    monitoring: Monitoring, migrated_db: Database
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await monitoring.stub.IngestGroundTruth(
            _truths([f"unknown-{i}" for i in range(10_000)]), metadata=monitoring.as_("developer")
        )
    error = caught.value
    assert (error.code(), error_reason(error)) == (
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        "TOO_MANY_PENDING_LABELS",
    )
    assert "1000" in (error.details() or "")
    assert _count(migrated_db, PendingLabelRow.id) == 0  # nothing of the call was kept


async def test_pending_labels_are_bounded_per_model(
    monitoring: Monitoring, migrated_db: Database
) -> None:
    dev = monitoring.as_("developer")
    for batch in range(3):  # 3 x 500 = the model's bound of 1500
        ids = [f"a-{batch}-{i}" for i in range(500)]
        reply = await monitoring.stub.IngestGroundTruth(_truths(ids, "models/fruit"), metadata=dev)
        assert reply.pending_count == 500
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await monitoring.stub.IngestGroundTruth(_truths(["one-more"], "models/fruit"), metadata=dev)
    assert (caught.value.code(), error_reason(caught.value)) == (
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        "TOO_MANY_PENDING_LABELS",
    )
    # Another model has its own bound; labels for logged predictions never wait.
    assert (
        await monitoring.stub.IngestGroundTruth(_truths(["b"], "models/apple"), metadata=dev)
    ).pending_count == 1
    await monitoring.ingest([_record("logged")])
    reply = await monitoring.stub.IngestGroundTruth(
        _truths(["logged"], "models/fruit"), metadata=dev
    )
    assert (reply.matched_count, reply.pending_count) == (1, 0)
    assert _count(migrated_db, PendingLabelRow.id, PendingLabelRow.model == "models/fruit") == 1500


async def test_many_labels_for_logged_predictions_join_in_one_call(
    monitoring: Monitoring, migrated_db: Database
) -> None:
    ids = [f"r-{i}" for i in range(2000)]
    for start in range(0, len(ids), 500):
        await monitoring.ingest([_record(i) for i in ids[start : start + 500]])
    reply = await monitoring.stub.IngestGroundTruth(
        _truths([*ids, "late"]), metadata=monitoring.as_("developer")
    )
    assert (reply.matched_count, reply.pending_count, reply.rejected_count) == (2000, 1, 0)
    assert _count(migrated_db, PredictionRow.seq, PredictionRow.label.is_not(None)) == 2000


async def test_request_ids_with_control_characters_or_too_long_are_refused_per_record(
    monitoring: Monitoring, migrated_db: Database
) -> None:
    # A terminal escape that rewrites a line, a bidirectional override, line breaks, DEL and
    # one character over the bound: each record or label alone is refused, the rest kept.
    hostile = ["\x1b[2K\rforged", "abc\u202edcba", "two\nlines", "del\x7f", "x" * 129]
    reply = await monitoring.ingest([_record(i) for i in [*hostile, "fine", "x" * 128]])
    assert (reply.accepted_record_count, reply.rejected_record_count) == (2, len(hostile))
    with migrated_db.unit_of_work(read_only=True) as session:
        stored = set(session.scalars(select(PredictionRow.request_id)))
    assert stored == {"fine", "x" * 128}
    labels = await monitoring.stub.IngestGroundTruth(
        _truths([*hostile, "fine", "later"]), metadata=monitoring.as_("developer")
    )
    assert (labels.matched_count, labels.pending_count, labels.rejected_count) == (
        1,
        1,
        len(hostile),
    )
    reply = await monitoring.audit.ListAuditEvents(
        audit_service_pb2.ListAuditEventsRequest(page_size=1000),
        metadata=monitoring.as_("auditor"),
    )
    payloads = {e.action: json.loads(e.payload_json) for e in reply.events}
    reasons = {"INVALID_REQUEST_ID": len(hostile)}
    assert payloads["monitoring.IngestPredictions"]["rejected_by_reason"] == reasons
    assert payloads["monitoring.IngestGroundTruth"]["rejected_by_reason"] == reasons


def _unknown_field(number: int, payload: bytes) -> bytes:
    """A length-delimited field no message here declares."""
    head = bytearray()
    for value in (number << 3 | 2, len(payload)):
        while value > 0x7F:
            head.append(value & 0x7F | 0x80)
            value >>= 7
        head.append(value)
    return bytes(head) + payload


async def test_a_record_larger_than_its_rows_allow_is_read_whole_at_ingest(
    monitoring: Monitoring, migrated_db: Database
) -> None:
    """Ingest reads records by their envelopes; one larger than its rows and tensors allow is
    decoded and checked whole: a wide [1, 600] tensor is kept, a tensor padded with a large
    unknown field is kept without it, and a wide tensor one value short is rejected."""
    wide = record_pb2.PredictionRecord(
        request_id="wide",
        model_version=VERSION,
        row_count=1,
        inputs=[tensor("matrix", "FP64", np.zeros((1, 600)))],
    )
    short = record_pb2.PredictionRecord()
    short.CopyFrom(wide)
    short.request_id = "short"
    short.inputs[0].raw_contents = short.inputs[0].raw_contents[:-8]
    padded = _record("padded")
    padded_tensor = padded.inputs[0].SerializeToString() + _unknown_field(99, b"p" * 200_000)
    padded.inputs[0].Clear()
    padded.inputs[0].MergeFromString(padded_tensor)
    assert padded.ByteSize() > 200_000
    reply = await monitoring.ingest([wide, short, padded])
    assert (reply.accepted_record_count, reply.rejected_record_count) == (2, 1)
    with migrated_db.unit_of_work(read_only=True) as session:
        stored = {
            r.request_id: r.record
            for r in session.scalars(select(PredictionRow).order_by(PredictionRow.seq))
        }
    assert sorted(stored) == ["padded", "wide"]
    assert len(stored["padded"]) < 1000
    assert record_pb2.PredictionRecord.FromString(stored["padded"]) == _record("padded")
