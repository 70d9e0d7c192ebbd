"""Who may call what: one declarative map from every RPC to the roles allowed to call it.

Finer rules that depend on the request (only an approver may move a protected alias, cancelling
someone else's job needs a reason) live in the domain services; this table is the coarse gate at
the edge. A method missing from the table is refused to everyone (fail closed), and a test checks
that every RPC of every service has an entry.
"""

from __future__ import annotations

from collections.abc import Mapping

VIEWER = "viewer"
DEVELOPER = "developer"
APPROVER = "approver"
AUDITOR = "auditor"
ADMIN = "admin"
SERVICE = "service"  # other Slipway services and backend callers
ROLES = frozenset({VIEWER, DEVELOPER, APPROVER, AUDITOR, ADMIN, SERVICE})

READ = frozenset({VIEWER, DEVELOPER, APPROVER, AUDITOR, ADMIN, SERVICE})
WRITE = frozenset({DEVELOPER, APPROVER, ADMIN, SERVICE})
APPROVE = frozenset({APPROVER, ADMIN})
AUDIT = frozenset({AUDITOR, ADMIN})
ADMIN_ONLY = frozenset({ADMIN})
INFER = frozenset({VIEWER, DEVELOPER, APPROVER, ADMIN, SERVICE})
INGEST = frozenset({SERVICE, ADMIN})

# Probes cannot send a token: the standard health service answers everyone.
EXEMPT_METHODS = frozenset({
    "/grpc.health.v1.Health/Check",
    "/grpc.health.v1.Health/Watch",
    "/grpc.health.v1.Health/List",
})

RULES: Mapping[str, Mapping[str, frozenset[str]]] = {
    "grpc.reflection.v1alpha.ServerReflection": {"ServerReflectionInfo": READ},
    "grpc.reflection.v1.ServerReflection": {"ServerReflectionInfo": READ},
    "slipway.registry.v1.RegistryService": {
        "CreateModel": WRITE,
        "GetModel": READ,
        "ListModels": READ,
        "UpdateModel": WRITE,
        "DeleteModel": WRITE,  # force-deleting archived versions is an admin-only domain rule
        "CreateModelVersion": WRITE,
        "GetModelVersion": READ,
        "ListModelVersions": READ,
        "UpdateModelVersion": WRITE,
        "ArchiveModelVersion": WRITE,
        "DownloadModelVersion": READ,
        "SetModelAlias": WRITE,  # protected aliases (production) need APPROVE: a domain rule
        "DeleteModelAlias": WRITE,
        "ListAliasHistory": READ,
        "WatchModelEvents": READ,
        "GetLineageReport": READ,
    },
    "slipway.training.v1.TrainingService": {
        "CreateTrainingJob": WRITE,
        "GetTrainingJob": READ,
        "ListTrainingJobs": READ,
        "CancelTrainingJob": WRITE,
        "WatchTrainingJob": READ,
    },
    "slipway.monitoring.v1.MonitoringService": {
        "IngestPredictions": INGEST,
        "IngestGroundTruth": WRITE,
        "GetMonitoringReport": READ,
        "CreateMonitoringPolicy": WRITE,
        "GetMonitoringPolicy": READ,
        "ListMonitoringPolicies": READ,
        "UpdateMonitoringPolicy": WRITE,
        "DeleteMonitoringPolicy": WRITE,
        "GetAlert": READ,
        "ListAlerts": READ,
        "WatchAlerts": READ,
    },
    "slipway.audit.v1.AuditService": {
        "ListAuditEvents": AUDIT,
        "VerifyAuditLog": AUDIT,
        "ExportAuditEvents": AUDIT,
    },
    "inference.GRPCInferenceService": {
        "ServerLive": READ,
        "ServerReady": READ,
        "ModelReady": READ,
        "ServerMetadata": READ,
        "ModelMetadata": READ,
        "ModelInfer": INFER,
        "RepositoryIndex": ADMIN_ONLY,
        "RepositoryModelLoad": ADMIN_ONLY,
        "RepositoryModelUnload": ADMIN_ONLY,
    },
}


class RoleTable:
    """Looks up the roles allowed to call ``/package.Service/Method``."""

    def __init__(self, rules: Mapping[str, Mapping[str, frozenset[str]]]) -> None:
        self._by_method = {
            f"/{service}/{method}": roles
            for service, methods in rules.items()
            for method, roles in methods.items()
        }

    def roles_for(self, method: str) -> frozenset[str]:
        return self._by_method.get(method, frozenset())

    def __contains__(self, method: object) -> bool:
        return method in self._by_method


ROLE_TABLE = RoleTable(RULES)
