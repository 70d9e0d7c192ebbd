"""``slipway.lineage.v1.LineageService``: decode, one domain call, encode.

Served by the registry process beside ``RegistryService``, on the same port and behind the same
edge (tokens, roles, audit of refusals).
"""

from __future__ import annotations

from typing import Any

from slipway.core.context import current_principal
from slipway.core.handlers import Context
from slipway.core.names import version_ref
from slipway.lineage.v1 import lineage_service_pb2 as pb
from slipway.services.lineage.api import converters
from slipway.services.lineage.domain.lineage import LineageReports


class LineageServicer:
    """The lineage report's gRPC API over :class:`LineageReports`."""

    def __init__(self, reports: LineageReports[Any, Any]) -> None:
        self._reports = reports

    async def GetLineageReport(
        self, request: pb.GetLineageReportRequest, context: Context
    ) -> pb.GetLineageReportResponse:
        report = await self._reports.build(
            current_principal(), version_ref(request.name), request.name
        )
        return pb.GetLineageReportResponse(report=converters.lineage_report_to_pb(report))
