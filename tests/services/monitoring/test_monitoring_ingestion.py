"""Prediction logs from a real serving process into a real monitoring service, and ground truth
joined to them whether it arrives before or after the prediction; on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import numpy as np
import pytest
from sklearn.datasets import load_iris
from sqlalchemy import select

from slipway.audit.v1 import audit_event_pb2
from slipway.common.v1 import tensor_pb2
from slipway.core.audit.recorder import DatabaseEdgeAuditor
from slipway.core.db import Database
from slipway.monitoring.v1 import monitoring_service_pb2 as pb
from slipway.monitoring.v1 import monitoring_service_pb2_grpc as pb_grpc
from slipway.monitoring.v1 import prediction_record_pb2
from slipway.services.monitoring import main as monitoring_main
from slipway.services.monitoring.settings import MonitoringSettings
from slipway.services.monitoring.storage.tables import PendingLabelRow, PredictionRow
from support.harness import auth, running_server, settings_for
from support.monitoring import prediction_record, running_monitoring
from support.registry import Registry
from support.serving import (
    iris_spec,
    matrix_request,
    register,
    running_serving,
    train_locally,
)
from support.training import running_registry
from support.waiting import wait_until

ROWS = load_iris().data[::15]


@contextlib.asynccontextmanager
async def monitoring(
    db: Database, home: Path, tokens_file: Path
) -> AsyncIterator[tuple[pb_grpc.MonitoringServiceStub, str]]:
    await asyncio.to_thread(home.mkdir, parents=True, exist_ok=True)
    settings = settings_for(MonitoringSettings, home, tokens_file=tokens_file)
    app = monitoring_main.build(settings, db)
    async with (
        running_server(
            settings, app.services, auditor=DatabaseEdgeAuditor(db, "monitoring")
        ) as server,
        grpc.aio.insecure_channel(server.grpc_address) as channel,
    ):
        yield pb_grpc.MonitoringServiceStub(channel), server.grpc_address


def labels(values: np.ndarray) -> tensor_pb2.Tensor:
    array = np.ascontiguousarray(values, dtype="<i8")
    return tensor_pb2.Tensor(
        name="label",
        data_type=tensor_pb2.DATA_TYPE_INT64,
        shape=[len(array)],
        raw_contents=array.tobytes(),
    )


def stored(db: Database) -> list[PredictionRow]:
    with db.unit_of_work(read_only=True) as session:
        rows = list(session.scalars(select(PredictionRow).order_by(PredictionRow.seq)))
        session.expunge_all()
        return rows


async def test_logs_from_serving_are_stored_and_labels_join(
    migrated_db: Database, tmp_path: Path, tokens_file: Path, tokens: dict[str, str]
) -> None:
    token_file = tmp_path / "service.token"
    token_file.write_text(tokens["service"] + "\n")
    trained = train_locally(iris_spec(), tmp_path / "iris", tmp_path)
    async with (
        running_registry(
            migrated_db, tmp_path / "registry", tokens_file, tokens, tmp_path / "artifacts"
        ) as registry,
        monitoring(migrated_db, tmp_path / "monitoring", tokens_file) as (stub, address),
    ):
        await register(registry, token_file, "iris", trained, alias="production")
        # A label that arrives before its prediction waits, then joins.
        early = await stub.IngestGroundTruth(
            pb.IngestGroundTruthRequest(
                ground_truths=[
                    prediction_record_pb2.GroundTruth(
                        request_id="r0", labels=labels(np.zeros(len(ROWS)))
                    )
                ]
            ),
            metadata=auth(tokens["developer"]),
        )
        assert (early.matched_count, early.pending_count) == (0, 1)
        async with running_serving(
            migrated_db,
            tmp_path / "serving",
            tokens_file,
            tokens,
            registry.address,
            token_file,
            deployments=["iris@production"],
            monitoring_target=address,
            prediction_log_batch=3,
        ) as serving:
            for i in range(3):
                await serving.infer(matrix_request("iris", ROWS, request_id=f"r{i}"))

            async def all_stored() -> bool:
                return len(await asyncio.to_thread(stored, migrated_db)) == 3

            await wait_until(all_stored, "the three prediction logs to be stored")
        rows = await asyncio.to_thread(stored, migrated_db)
        assert [r.request_id for r in rows] == ["r0", "r1", "r2"]
        assert {r.model_version for r in rows} == {"models/iris/versions/1"}
        assert all(r.row_count == len(ROWS) and r.role == "primary" for r in rows)
        assert rows[0].label is not None  # the early label joined
        record = prediction_record_pb2.PredictionRecord.FromString(rows[1].record)
        assert np.array_equal(np.frombuffer(record.inputs[2].raw_contents, dtype="<f8"), ROWS[:, 2])
        # Labels after the fact; one with the wrong row count is rejected.
        labelled = pb.IngestGroundTruthRequest(
            ground_truths=[
                prediction_record_pb2.GroundTruth(
                    request_id="r1", labels=labels(np.ones(len(ROWS)))
                ),
                prediction_record_pb2.GroundTruth(request_id="r2", labels=labels(np.ones(2))),
            ],
            request_id="labels-1",
        )
        late = await stub.IngestGroundTruth(labelled, metadata=auth(tokens["developer"]))
        assert (late.matched_count, late.pending_count, late.rejected_count) == (1, 0, 1)
        again = await stub.IngestGroundTruth(labelled, metadata=auth(tokens["developer"]))
        assert (again.matched_count, again.rejected_count) == (1, 1)  # the first answer
        # The same request id on other labels is another request: refused, not answered.
        with pytest.raises(grpc.aio.AioRpcError) as reused:
            await stub.IngestGroundTruth(
                pb.IngestGroundTruthRequest(request_id="labels-1"),
                metadata=auth(tokens["developer"]),
            )
        assert reused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        with migrated_db.unit_of_work(read_only=True) as session:
            assert not list(session.scalars(select(PendingLabelRow)))
        events = await registry.audit_events(service="monitoring")
        # The refused reuse is written DENIED when its window closes, maybe later: not counted.
        actions = [e.action for e in events if e.outcome == audit_event_pb2.AUDIT_OUTCOME_OK]
        assert "monitoring.IngestPredictions" in actions
        assert actions.count("monitoring.IngestGroundTruth") == 2


async def test_a_resent_batch_is_stored_once_and_bad_records_are_counted(
    migrated_db: Database, tmp_path: Path, tokens_file: Path, tokens: dict[str, str]
) -> None:
    good = prediction_record_pb2.PredictionRecord(
        request_id="x1",
        model_version="models/m/versions/2",
        row_count=2,
        inputs=[
            tensor_pb2.Tensor(
                name="a",
                data_type=tensor_pb2.DATA_TYPE_FP64,
                shape=[2],
                raw_contents=np.zeros(2).tobytes(),
            )
        ],
    )
    bad = prediction_record_pb2.PredictionRecord(
        request_id="x2",
        model_version="models/m/versions/2",
        row_count=3,  # no inputs
    )
    # Tensors are not read at ingest: one that does not match the row count is stored, and left
    # out (and counted) where windows read it (test_feature_types).
    short = prediction_record_pb2.PredictionRecord(
        request_id="x4",
        model_version="models/m/versions/2",
        row_count=3,
        inputs=[
            tensor_pb2.Tensor(
                name="a", data_type=tensor_pb2.DATA_TYPE_FP64, shape=[3], raw_contents=b"short"
            )
        ],
    )
    unknown_role = prediction_record_pb2.PredictionRecord()
    unknown_role.CopyFrom(good)
    unknown_role.request_id, unknown_role.role = "x3", 999  # type: ignore[assignment]
    batch = pb.IngestPredictionsRequest(
        records=[good, bad, unknown_role, short], request_id="batch-1", sender="t"
    )

    async def stream() -> AsyncIterator[pb.IngestPredictionsRequest]:
        yield batch

    async with monitoring(migrated_db, tmp_path / "monitoring", tokens_file) as (stub, _):
        first = await stub.IngestPredictions(stream(), metadata=auth(tokens["service"]))
        assert (
            first.accepted_record_count,
            first.accepted_row_count,
            first.rejected_record_count,
        ) == (2, 5, 2)
        second = await stub.IngestPredictions(stream(), metadata=auth(tokens["service"]))
        assert second.accepted_record_count == 0
        assert second.rejected_record_count == 4  # the whole resent batch
        assert [r.request_id for r in await asyncio.to_thread(stored, migrated_db)] == [
            "x1",
            "x4",
        ]
        with pytest.raises(grpc.aio.AioRpcError) as caught:  # only senders may ingest
            await stub.IngestPredictions(stream(), metadata=auth(tokens["developer"]))
        assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_a_label_joins_the_primary_and_the_shadow_record_of_its_request(
    migrated_db: Database,
    tmp_path: Path,
    tokens_file: Path,
    tokens: dict[str, str],
    registry: Registry,
    service_token_file: Path,
) -> None:
    def record(
        version: int, request_id: str, shadow: bool
    ) -> prediction_record_pb2.PredictionRecord:
        made = prediction_record(
            f"models/m/versions/{version}",
            request_id,
            {"a": np.arange(3.0)},
            {"predict": np.zeros(3, dtype=np.int64)},
        )
        if shadow:
            made.role = prediction_record_pb2.TRAFFIC_ROLE_SHADOW
        return made

    async with running_monitoring(
        migrated_db,
        tmp_path / "monitoring",
        tokens_file,
        tokens,
        registry.address,
        service_token_file,
        evaluate=False,
    ) as monitoring:
        # Both records first, then the label; then a label first, the primary, the shadow.
        await monitoring.ingest([record(1, "both", False), record(2, "both", True)])
        joined = await monitoring.label([("both", np.array([1, 0, 1]))])
        assert joined.matched_count == 1
        waiting = await monitoring.label([("early", np.array([0, 0, 1]))])
        assert waiting.pending_count == 1
        await monitoring.ingest([record(1, "early", False)])
        await monitoring.ingest([record(2, "early", True)])
    rows = await asyncio.to_thread(stored, migrated_db)
    labelled = {(r.request_id, r.model_version, r.role): r.label is not None for r in rows}
    assert labelled == {
        ("both", "models/m/versions/1", "primary"): True,
        ("both", "models/m/versions/2", "shadow"): True,
        ("early", "models/m/versions/1", "primary"): True,
        ("early", "models/m/versions/2", "shadow"): True,
    }
