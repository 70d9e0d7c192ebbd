"""``LineageClient``: the lineage and audit report of a model version."""

from __future__ import annotations

import grpc

from slipway.client.calls import Caller
from slipway.lineage.v1 import lineage_report_pb2
from slipway.lineage.v1 import lineage_service_pb2 as pb
from slipway.lineage.v1 import lineage_service_pb2_grpc as pb_grpc

LineageReport = lineage_report_pb2.LineageReport


class LineageClient:
    """Lineage reports (``slipway.lineage.v1.LineageService``), blocking; served by the
    registry, so it uses the registry's address. Versions are named
    ``models/{model}/versions/{n}`` or ``models/{model}@{alias}``."""

    def __init__(self, channel: grpc.Channel, caller: Caller) -> None:
        self._stub = pb_grpc.LineageServiceStub(channel)
        self._call = caller

    def report(self, name: str, *, timeout: float | None = None) -> LineageReport:
        """The lineage and audit report of a version: training, data, params, metrics, parent,
        alias moves, alerts and retraining triggers, and the audit chain's status."""
        return self._call.unary(
            self._stub.GetLineageReport,
            pb.GetLineageReportRequest(name=name),
            timeout=timeout,
            idempotent=True,
        ).report
