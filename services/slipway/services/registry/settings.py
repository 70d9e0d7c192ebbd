"""Settings of the registry service."""

from __future__ import annotations

import dataclasses

from slipway.core.settings import ServiceSettings


@dataclasses.dataclass(frozen=True, kw_only=True)
class RegistrySettings(ServiceSettings):
    """Slipway registry service."""

    service_name = "registry"
    default_grpc_port = 7101
    default_metrics_port = 9101
