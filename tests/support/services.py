"""What each Slipway service process serves, for tests that cover all four."""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any

from google.protobuf.descriptor import ServiceDescriptor

from slipway.audit.v1 import audit_service_pb2
from slipway.core.settings import ServiceSettings
from slipway.inference.v2 import grpc_service_pb2
from slipway.lineage.v1 import lineage_service_pb2
from slipway.monitoring.v1 import monitoring_service_pb2
from slipway.registry.v1 import registry_service_pb2
from slipway.services.monitoring import main as monitoring_main
from slipway.services.monitoring.settings import MonitoringSettings
from slipway.services.registry import main as registry_main
from slipway.services.registry.settings import RegistrySettings
from slipway.services.serving import main as serving_main
from slipway.services.serving.settings import ServingSettings
from slipway.services.training import main as training_main
from slipway.services.training.settings import TrainingSettings
from slipway.training.v1 import training_service_pb2


@dataclass(frozen=True)
class ServiceUnderTest:
    name: str
    settings_class: type[ServiceSettings]
    main: ModuleType
    api: ServiceDescriptor
    # Further APIs the same process serves (the registry's lineage reports).
    hosted: tuple[ServiceDescriptor, ...] = ()

    def build(self, settings: Any, db: Any) -> Any:
        return self.main.build(settings, db)


AUDIT_API = audit_service_pb2.DESCRIPTOR.services_by_name["AuditService"]
LINEAGE_API = lineage_service_pb2.DESCRIPTOR.services_by_name["LineageService"]

SERVICES = [
    ServiceUnderTest(
        "registry",
        RegistrySettings,
        registry_main,
        registry_service_pb2.DESCRIPTOR.services_by_name["RegistryService"],
        (LINEAGE_API,),
    ),
    ServiceUnderTest(
        "training",
        TrainingSettings,
        training_main,
        training_service_pb2.DESCRIPTOR.services_by_name["TrainingService"],
    ),
    ServiceUnderTest(
        "serving",
        ServingSettings,
        serving_main,
        grpc_service_pb2.DESCRIPTOR.services_by_name["GRPCInferenceService"],
    ),
    ServiceUnderTest(
        "monitoring",
        MonitoringSettings,
        monitoring_main,
        monitoring_service_pb2.DESCRIPTOR.services_by_name["MonitoringService"],
    ),
]

ALL_APIS = [*(api for s in SERVICES for api in (s.api, *s.hosted)), AUDIT_API]
