"""The MonitoringService servicer. This release takes prediction logs and ground truth in;
reports, policies and alerts answer UNIMPLEMENTED until they are built."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from slipway.core.context import current_principal
from slipway.core.handlers import Context
from slipway.monitoring.v1 import monitoring_service_pb2 as pb
from slipway.services.monitoring.domain.ingestion import Ingestion


class MonitoringServicer:
    def __init__(self, ingestion: Ingestion) -> None:
        self._ingestion = ingestion

    async def IngestPredictions(self, request_iterator: AsyncIterator[pb.IngestPredictionsRequest],
                                context: Context) -> pb.IngestPredictionsResponse:
        actor = current_principal()
        accepted = rows = rejected = 0
        async for batch in request_iterator:  # one transaction per batch, not per stream
            result = await asyncio.to_thread(
                self._ingestion.ingest_predictions, actor, list(batch.records),
                dropped=batch.dropped_record_count, sender=batch.sender,
                request_id=batch.request_id)
            accepted += result.accepted
            rows += result.rows
            rejected += result.rejected
        return pb.IngestPredictionsResponse(accepted_record_count=accepted,
                                            accepted_row_count=rows,
                                            rejected_record_count=rejected)

    async def IngestGroundTruth(self, request: pb.IngestGroundTruthRequest,
                                context: Context) -> pb.IngestGroundTruthResponse:
        result = await asyncio.to_thread(
            self._ingestion.ingest_ground_truth, current_principal(),
            list(request.ground_truths), request_id=request.request_id)
        return pb.IngestGroundTruthResponse(matched_count=result.matched,
                                            pending_count=result.pending,
                                            rejected_count=result.rejected)
