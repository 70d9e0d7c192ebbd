"""Settings of the monitoring service."""

from __future__ import annotations

import dataclasses

from slipway.core.settings import ServiceSettings


@dataclasses.dataclass(frozen=True, kw_only=True)
class MonitoringSettings(ServiceSettings):
    """Slipway monitoring service."""

    service_name = "monitoring"
    default_grpc_port = 7104
    default_metrics_port = 9104
