"""Ingestion's batch result and storage, called directly on SQLite and PostgreSQL: per-model
counts, records stored in order, one audit event per batch, a resent batch stored once."""

from __future__ import annotations

import numpy as np
from sqlalchemy import select

from slipway.common.v1 import tensor_pb2
from slipway.core.audit.tables import AuditEventRow
from slipway.core.context import Principal
from slipway.core.db import Database
from slipway.monitoring.v1 import prediction_record_pb2
from slipway.services.monitoring.domain.ingestion import BatchResult, Ingestion
from slipway.services.monitoring.messages import logged_record
from slipway.services.monitoring.storage.repository import SqlMonitoringRepository
from slipway.services.monitoring.storage.tables import PredictionRow

SENDER = Principal("serving-0", frozenset({"service"}))


def record(
    request_id: str, version: str, rows: int, *, broken: bool = False
) -> prediction_record_pb2.PredictionRecord:
    values = np.arange(rows * 2, dtype="<f8").reshape(rows, 2)
    raw = values.tobytes()
    return prediction_record_pb2.PredictionRecord(
        request_id=request_id,
        model_version=version,
        row_count=0 if broken else rows,  # ingest reads a record's envelope, not its tensors
        inputs=[
            tensor_pb2.Tensor(
                name="a", data_type=tensor_pb2.DATA_TYPE_FP64, shape=[rows, 2], raw_contents=raw
            )
        ],
        outputs=[
            tensor_pb2.Tensor(
                name="predict",
                data_type=tensor_pb2.DATA_TYPE_INT64,
                shape=[rows],
                raw_contents=np.zeros(rows, "<i8").tobytes(),
            )
        ],
    )


def test_a_batch_is_counted_per_model_and_stored_in_order(migrated_db: Database) -> None:
    batch = [
        record("r1", "models/a/versions/1", 1),
        record("r2", "models/b/versions/3", 2),
        record("r3", "models/a/versions/2", 3),
        record("r4", "models/a/versions/1", 2, broken=True),
    ]
    ingestion = Ingestion(migrated_db, SqlMonitoringRepository())
    records = [logged_record(r) for r in batch]
    result = ingestion.ingest_predictions(SENDER, records, dropped=0, sender="s", request_id="b-1")
    assert result == BatchResult(
        accepted=3, rows=6, rejected=1, by_model=(("models/a", 2, 4), ("models/b", 1, 2))
    )
    again = ingestion.ingest_predictions(SENDER, records, dropped=0, sender="s", request_id="b-1")
    assert again == BatchResult(rejected=4)
    with migrated_db.unit_of_work(read_only=True) as session:
        stored = list(session.scalars(select(PredictionRow).order_by(PredictionRow.seq)))
        assert [(r.request_id, r.model, r.row_count) for r in stored] == [
            ("r1", "models/a", 1),
            ("r2", "models/b", 2),
            ("r3", "models/a", 3),
        ]
        assert prediction_record_pb2.PredictionRecord.FromString(stored[1].record) == batch[1]
        events = list(
            session.scalars(
                select(AuditEventRow).where(AuditEventRow.action == "monitoring.IngestPredictions")
            )
        )
        assert [e.resource for e in events] == ["models/a,models/b"]


def test_a_record_stored_with_an_unreadable_tensor_is_read_back_as_such(
    migrated_db: Database,
) -> None:
    """Ingest keeps a record's tensors as they arrived, unread: one that is not a Tensor message
    (a name that is not UTF-8) is stored, and reading the window says why it cannot be used
    instead of failing."""
    good = record("r1", "models/a/versions/1", 1)
    garbled = record("r2", "models/a/versions/1", 1)
    garbled.inputs[0].name = "ab"
    encoded = garbled.SerializeToString().replace(b"\n\x02ab", b"\n\x02\xff\xfe")
    records = [logged_record(good), logged_record(garbled)._replace(encoded=encoded)]
    ingestion = Ingestion(migrated_db, SqlMonitoringRepository())
    result = ingestion.ingest_predictions(SENDER, records, dropped=0, sender="s", request_id="b-2")
    assert (result.accepted, result.rejected) == (2, 0)
    with migrated_db.unit_of_work(read_only=True) as session:
        read = list(SqlMonitoringRepository().newest_first(session, "models/a/versions/1"))
    assert [(r.record.request_id, r.problem) for r in read] == [
        ("", "a tensor is not a valid Tensor message"),
        ("r1", ""),
    ]
