"""Who may call what: one declarative map from every RPC to the roles allowed to call it.

Finer rules that depend on the request (only an approver may move a protected alias, cancelling
someone else's job needs a reason) live in the domain services; this table is the coarse gate at
the edge. A method missing from the table is refused to everyone (fail closed), and a test checks
that every RPC of every service has an entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

VIEWER = "viewer"
DEVELOPER = "developer"
APPROVER = "approver"
AUDITOR = "auditor"
ADMIN = "admin"
# The narrow roles of the services calling each other: each holds only what its peer calls
# need, and none may move an alias other than a verified training job's own (a domain rule).
TRAINER = "trainer"  # training: registers the versions its jobs produced
SERVER = "server"  # serving: reads and downloads versions, sends prediction logs
MONITOR = "monitor"  # monitoring: reads versions and jobs, starts retraining jobs
# Deprecated: every peer power at once, and backend callers' ingest. Kept so that existing
# tokens go on working; replace it with the narrow roles above (CHANGELOG, deploy/README.md).
SERVICE = "service"
PEERS = frozenset({TRAINER, SERVER, MONITOR, SERVICE})
ROLES = frozenset({VIEWER, DEVELOPER, APPROVER, AUDITOR, ADMIN, *PEERS})

READ = frozenset({VIEWER, DEVELOPER, APPROVER, AUDITOR, ADMIN, *PEERS})
WRITE = frozenset({DEVELOPER, APPROVER, ADMIN, SERVICE})
APPROVE = frozenset({APPROVER, ADMIN})
AUDIT = frozenset({AUDITOR, ADMIN})
ADMIN_ONLY = frozenset({ADMIN})
INFER = frozenset({VIEWER, DEVELOPER, APPROVER, ADMIN, SERVICE})
INGEST = frozenset({SERVICE, SERVER, ADMIN})
REGISTER = WRITE | {TRAINER}  # a new version (with its model)
RETRAIN = WRITE | {MONITOR}  # a training job

# Probes cannot send a token: the standard health service answers everyone.
EXEMPT_METHODS = frozenset(
    {
        "/grpc.health.v1.Health/Check",
        "/grpc.health.v1.Health/Watch",
        "/grpc.health.v1.Health/List",
    }
)


@dataclass(frozen=True)
class Access:
    """Who may call a method, and whether the call changes state (and so is audited)."""

    roles: frozenset[str]
    mutates: bool


def reads(roles: frozenset[str] = READ) -> Access:
    """A call that only reads."""
    return Access(roles, mutates=False)


def changes(roles: frozenset[str] = WRITE) -> Access:
    """A call that changes state: audited, including when it fails or is refused."""
    return Access(roles, mutates=True)


RULES: Mapping[str, Mapping[str, Access]] = {
    "grpc.reflection.v1alpha.ServerReflection": {"ServerReflectionInfo": reads()},
    "grpc.reflection.v1.ServerReflection": {"ServerReflectionInfo": reads()},
    "slipway.registry.v1.RegistryService": {
        "CreateModel": changes(),
        "GetModel": reads(),
        "ListModels": reads(),
        "UpdateModel": changes(),
        "DeleteModel": changes(),  # force: admin only (domain rule)
        "CreateModelVersion": changes(REGISTER),
        "GetModelVersion": reads(),
        "ListModelVersions": reads(),
        "UpdateModelVersion": changes(),
        "ArchiveModelVersion": changes(),
        "DownloadModelVersion": reads(),
        # Protected aliases: APPROVE; peer roles: only their verified job's alias (domain rules).
        "SetModelAlias": changes(REGISTER),
        "DeleteModelAlias": changes(),
        "ListAliasHistory": reads(),
        "WatchModelEvents": reads(),
    },
    # Served by the registry process, beside RegistryService.
    "slipway.lineage.v1.LineageService": {
        "GetLineageReport": reads(),
    },
    "slipway.training.v1.TrainingService": {
        "CreateTrainingJob": changes(RETRAIN),
        "GetTrainingJob": reads(),
        "ListTrainingJobs": reads(),
        "CancelTrainingJob": changes(),
        "WatchTrainingJob": reads(),
    },
    "slipway.monitoring.v1.MonitoringService": {
        "IngestPredictions": changes(INGEST),
        "IngestGroundTruth": changes(),
        "GetMonitoringReport": reads(),
        "ComputeMonitoringReport": reads(),
        "CreateMonitoringPolicy": changes(),
        "GetMonitoringPolicy": reads(),
        "ListMonitoringPolicies": reads(),
        "UpdateMonitoringPolicy": changes(),
        "DeleteMonitoringPolicy": changes(),
        "GetAlert": reads(),
        "ListAlerts": reads(),
        "WatchAlerts": reads(),
    },
    "slipway.audit.v1.AuditService": {
        "ListAuditEvents": reads(AUDIT),
        "VerifyAuditLog": reads(AUDIT),
        "ExportAuditEvents": reads(AUDIT),
    },
    "inference.GRPCInferenceService": {
        "ServerLive": reads(),
        "ServerReady": reads(),
        "ModelReady": reads(),
        "ServerMetadata": reads(),
        "ModelMetadata": reads(),
        "ModelInfer": reads(INFER),
        "ModelStreamInfer": reads(INFER),
        "ModelConfig": reads(),
        "ModelStatistics": reads(),
        "RepositoryIndex": reads(ADMIN_ONLY),
        "RepositoryModelLoad": changes(ADMIN_ONLY),
        "RepositoryModelUnload": changes(ADMIN_ONLY),
    },
}


# A method outside the table: nobody may call it (so a new RPC is closed until its rule is
# written), and it is not a change: a failure of it (reflection, the health service's Watch)
# must not be written to the audit log as a failed change.
NO_ACCESS = Access(frozenset(), mutates=False)


class RoleTable:
    """Looks up who may call ``/package.Service/Method`` and whether it mutates."""

    def __init__(self, rules: Mapping[str, Mapping[str, Access]]) -> None:
        self._by_method = {
            f"/{service}/{method}": access
            for service, methods in rules.items()
            for method, access in methods.items()
        }

    def access(self, method: str) -> Access:
        return self._by_method.get(method, NO_ACCESS)

    def roles_for(self, method: str) -> frozenset[str]:
        return self.access(method).roles

    def mutates(self, method: str) -> bool:
        return self.access(method).mutates

    def __contains__(self, method: object) -> bool:
        return method in self._by_method


ROLE_TABLE = RoleTable(RULES)
