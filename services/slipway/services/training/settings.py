"""Settings of the training service."""

from __future__ import annotations

import dataclasses

from slipway.core.settings import ServiceSettings


@dataclasses.dataclass(frozen=True, kw_only=True)
class TrainingSettings(ServiceSettings):
    """Slipway training service."""

    service_name = "training"
    default_grpc_port = 7102
    default_metrics_port = 9102
