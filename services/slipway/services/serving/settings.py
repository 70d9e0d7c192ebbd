"""Settings of the serving service."""

from __future__ import annotations

import dataclasses

from slipway.core.settings import ServiceSettings


@dataclasses.dataclass(frozen=True, kw_only=True)
class ServingSettings(ServiceSettings):
    """Slipway serving service: the Open Inference Protocol over gRPC."""

    service_name = "serving"
    default_grpc_port = 7103
    default_metrics_port = 9103
