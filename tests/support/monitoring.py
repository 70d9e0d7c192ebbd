"""An in-process monitoring service (with its evaluator) and ways to feed it: prediction records
built as serving builds them, and ground truth."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
import numpy as np
import numpy.typing as npt

from slipway.audit.v1 import audit_service_pb2_grpc
from slipway.common.v1 import tensor_pb2
from slipway.core.audit.recorder import DatabaseEdgeAuditor
from slipway.core.db import Database
from slipway.monitoring.v1 import alert_pb2, prediction_record_pb2
from slipway.monitoring.v1 import monitoring_service_pb2 as pb
from slipway.monitoring.v1 import monitoring_service_pb2_grpc as pb_grpc
from slipway.services.monitoring import main as monitoring_main
from slipway.services.monitoring.domain.alerts import Alerts
from slipway.services.monitoring.domain.entities import (
    DataQuality,
    DatasetDrift,
    Policy,
    Report,
    ReportWindow,
)
from slipway.services.monitoring.settings import MonitoringSettings
from slipway.services.monitoring.storage.repository import SqlMonitoringRepository
from slipway.services.serving.sinks.prediction_log import tensor
from support.harness import auth, running_server, settings_for
from support.registry import Registry
from support.serving import Trained
from support.training import write_csv
from support.waiting import wait_until

WAIT_SECONDS = 60.0


FEATURES = ("size", "weight", "colour")


@dataclass
class Traffic:
    rows: npt.NDArray[Any]  # object matrix in signature order
    labels: npt.NDArray[Any]

    def columns(self) -> dict[str, npt.NDArray[Any]]:
        return {name: self.rows[:, j] for j, name in enumerate(FEATURES)}


def read_traffic(path: Path) -> Traffic:
    with path.open() as handle:
        records = list(csv.DictReader(handle))
    rows = np.empty((len(records), 3), dtype=object)
    for i, record in enumerate(records):
        rows[i, 0] = float(record["size"]) if record["size"] else np.nan
        rows[i, 1] = float(record["weight"])
        rows[i, 2] = record["colour"]
    return Traffic(rows, np.array([r["label"] for r in records], dtype=object))


def traffic(folder: Path, rows: int, seed: int) -> Traffic:
    return read_traffic(write_csv(folder / f"traffic-{seed}-{rows}.csv", rows=rows, seed=seed))


@dataclass
class Fruit:
    """A version of ``models/fruit`` and its model."""

    trained: Trained
    model: Any
    version: str  # models/fruit/versions/1


@dataclass
class Monitoring:
    stub: pb_grpc.MonitoringServiceStub
    audit: audit_service_pb2_grpc.AuditServiceStub
    tokens: dict[str, str]
    address: str
    app: Any

    def as_(self, role: str = "service") -> tuple[tuple[str, str], ...]:
        return auth(self.tokens[role])

    async def ingest(
        self, records: Sequence[prediction_record_pb2.PredictionRecord], **fields: Any
    ) -> pb.IngestPredictionsResponse:
        async def batches() -> AsyncIterator[pb.IngestPredictionsRequest]:
            yield pb.IngestPredictionsRequest(records=records, **fields)

        reply: pb.IngestPredictionsResponse = await self.stub.IngestPredictions(
            batches(), metadata=self.as_("service")
        )
        return reply

    async def label(
        self, truths: Sequence[tuple[str, npt.NDArray[Any]]]
    ) -> pb.IngestGroundTruthResponse:
        reply: pb.IngestGroundTruthResponse = await self.stub.IngestGroundTruth(
            pb.IngestGroundTruthRequest(
                ground_truths=[
                    prediction_record_pb2.GroundTruth(
                        request_id=request_id, labels=label_tensor(values)
                    )
                    for request_id, values in truths
                ]
            ),
            metadata=self.as_("developer"),
        )
        return reply

    async def report(self, version: str, **fields: Any) -> Any:
        """The version's report computed now (ComputeMonitoringReport)."""
        reply = await self.stub.ComputeMonitoringReport(
            pb.ComputeMonitoringReportRequest(model_version=version, **fields),
            metadata=self.as_("viewer"),
        )
        return reply.report

    async def stored_report(self, name: str) -> Any:
        """A stored report by name (GetMonitoringReport)."""
        reply = await self.stub.GetMonitoringReport(
            pb.GetMonitoringReportRequest(name=name), metadata=self.as_("viewer")
        )
        return reply.report

    async def report_with_rows(self, version: str, rows: int, within: float = 120.0) -> Any:
        """The version's report once its window holds at least ``rows`` rows: serving sends
        its prediction logs in batches after it answered, so they arrive a little later."""

        async def counted() -> list[Any]:
            report = await self.report(version)
            return [report] if report.window.row_count >= rows else []

        (report,) = await wait_until(counted, f"{rows} rows in the report of {version}", within)
        return report

    async def alerts(self, **fields: Any) -> list[alert_pb2.Alert]:
        reply = await self.stub.ListAlerts(
            pb.ListAlertsRequest(**fields), metadata=self.as_("viewer")
        )
        return list(reply.alerts)

    async def wait_alerts(
        self,
        check: Callable[[list[alert_pb2.Alert]], bool],
        *,
        within: float = WAIT_SECONDS,
        **fields: Any,
    ) -> list[alert_pb2.Alert]:
        alerts: list[alert_pb2.Alert] = []

        async def as_expected() -> bool:
            nonlocal alerts
            alerts = await self.alerts(**fields)
            return check(alerts)

        await wait_until(
            as_expected,
            lambda: (
                f"alerts as expected, last seen: {[(a.kind, a.state, a.summary) for a in alerts]}"
            ),
            within,
            poll=0.1,
        )
        return alerts


def label_tensor(values: npt.NDArray[Any]) -> tensor_pb2.Tensor:
    array = np.asarray(values)
    if array.dtype.kind in "iub":
        return tensor("label", "INT64", array.astype(np.int64))
    if array.dtype.kind == "f":
        return tensor("label", "FP64", array.astype(np.float64))
    return tensor("label", "BYTES", array.astype(object))


def prediction_record(
    version: str,
    request_id: str,
    features: dict[str, npt.NDArray[Any]],
    outputs: dict[str, npt.NDArray[Any]],
    *,
    when: float | None = None,
) -> prediction_record_pb2.PredictionRecord:
    """A record shaped as serving's sender shapes it: one [N] tensor per feature (FP64, or BYTES
    for text), ``predict`` [N] and ``predict_proba`` [N, C]."""
    rows = len(next(iter(features.values())))
    record = prediction_record_pb2.PredictionRecord(
        request_id=request_id,
        model_version=version,
        row_count=rows,
        role=prediction_record_pb2.TRAFFIC_ROLE_PRIMARY,
    )
    record.predict_time.FromNanoseconds(int((when if when is not None else time.time()) * 1e9))
    for name, values in features.items():
        array = np.asarray(values)
        text = array.dtype.kind in "US" or (
            array.dtype.kind == "O" and any(isinstance(v, str) for v in array.tolist())
        )
        record.inputs.append(
            tensor(name, "BYTES", array.astype(object))
            if text
            else tensor(name, "FP64", array.astype(np.float64))
        )
    for name, values in outputs.items():
        array = np.asarray(values)
        datatype = (
            "BYTES"
            if array.dtype.kind in "OUS"
            else "INT64"
            if array.dtype.kind in "iu"
            else "FP64"
        )
        record.outputs.append(
            tensor(
                name,
                datatype,
                array
                if datatype == "BYTES"
                else array.astype(np.float64 if datatype == "FP64" else np.int64),
            )
        )
    return record


def scored_records(
    version: str,
    model: Any,
    rows: npt.NDArray[Any],
    names: Sequence[str],
    *,
    prefix: str,
    per_record: int = 10,
) -> list[prediction_record_pb2.PredictionRecord]:
    """Records of ``rows`` as ``model`` answered them, ``per_record`` rows each."""
    records = []
    for start in range(0, len(rows), per_record):
        chunk = rows[start : start + per_record]
        outputs: dict[str, npt.NDArray[Any]] = {"predict": np.asarray(model.predict(chunk))}
        if hasattr(model, "predict_proba"):
            outputs["predict_proba"] = np.asarray(model.predict_proba(chunk))
        records.append(
            prediction_record(
                version,
                f"{prefix}-{start // per_record}",
                {name: chunk[:, j] for j, name in enumerate(names)},
                outputs,
            )
        )
    return records


async def known_models(registry: Registry, *model_ids: str) -> None:
    """Create each model in the registry (without versions): a policy must name a model that
    exists there."""
    for model_id in model_ids:
        await registry.create_model(model_id)


@contextlib.asynccontextmanager
async def running_monitoring(
    db: Database,
    home: Path,
    tokens_file: Path,
    tokens: dict[str, str],
    registry_address: str,
    token_file: Path,
    *,
    evaluate: bool = True,
    **overrides: Any,
) -> AsyncIterator[Monitoring]:
    """A monitoring service on ``db``; its evaluator runs every 0.2 s unless ``evaluate`` is
    False."""
    await asyncio.to_thread(home.mkdir, parents=True, exist_ok=True)
    values: dict[str, Any] = {
        "tokens_file": tokens_file,
        "registry_target": registry_address,
        "registry_token_file": token_file,
        "evaluation_interval_seconds": 0.2,
    }
    values.update(overrides)
    settings = settings_for(MonitoringSettings, home, **values)
    app = monitoring_main.build(settings, db)
    async with (
        running_server(
            settings, app.services, auditor=DatabaseEdgeAuditor(db, "monitoring")
        ) as server,
        grpc.aio.insecure_channel(server.grpc_address) as channel,
    ):
        if evaluate:
            await app.on_ready()
        try:
            yield Monitoring(
                pb_grpc.MonitoringServiceStub(channel),
                audit_service_pb2_grpc.AuditServiceStub(channel),
                tokens,
                server.grpc_address,
                app,
            )
        finally:
            await app.on_stopping()
            await app.on_stop()


def judge_drift(db: Database, policy: Policy, version: str, drifted: bool) -> None:
    """One window of ``version`` judged under ``policy`` (stored) as another monitoring process
    would judge it: its data drift alert fires (or is updated), or resolves. No traffic, no
    reference: the verdict is given."""
    now = datetime.now(UTC)
    report = Report(
        model=policy.model,
        model_version=version,
        policy=policy.name,
        window=ReportWindow(now, now, 10, 10),
        create_time=now,
        reference_row_count=10,
        sufficient_samples=True,
        data_quality=DataQuality(),
        data_drift=DatasetDrift(drifted=True, share_threshold=0.5),
    )
    changes = Alerts(db, SqlMonitoringRepository()).apply(
        policy, report, {"data_drift": drifted}, {"data_drift"}, ""
    )
    assert len(changes) == 1, changes
