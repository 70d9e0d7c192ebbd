"""What each RPC may answer with: the ErrorInfo reasons (and so status codes) it sends.

The reason catalogue (``slipway.core.reasons``) says what every reason means; this table says
which RPC sends which, so that a client team can see, per call, what to branch on
(``docs/rpcs.md`` is generated from it and the role table, ``python -m slipway.core.rpc_doc``).

The table is checked against what the servers really send: every error leaves a service through
the edge interceptors, which call :func:`note_sent`. When ``SLIPWAY_SENT_REASONS`` names a file
(the test suite sets it for every server it starts, in process or not: they inherit the
environment), each (method, code, reason) a process sends is appended there once, and the suite
compares them with this table at its end (``tests/conftest.py``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from slipway.core.reasons import Reason

__all__ = ["EDGE_REASONS", "RPC_REASONS", "SENT_ENV", "declared", "note_sent", "undeclared"]

SENT_ENV = "SLIPWAY_SENT_REASONS"

R = Reason

EDGE_REASONS: frozenset[Reason] = frozenset(
    {
        R.TOKEN_MISSING,
        R.TOKEN_MALFORMED,
        R.TOKEN_INVALID,
        R.ROLE_NOT_ALLOWED,
        R.INVALID_REQUEST_ENCODING,
        R.CONCURRENT_CHANGE,
        R.INTERNAL,
    }
)
"""Reasons any call can get from the edge, whatever the RPC: authentication and roles, a
request that does not decode, a lost race between two transactions, and a bug (INTERNAL)."""

# Made from what the test suite saw each RPC send, plus the page-token reasons of every List
# RPC; a run that sees a reason an RPC does not declare names it at its end.
RPC_REASONS: Mapping[str, frozenset[Reason]] = {
    "/slipway.registry.v1.RegistryService/CreateModel": frozenset(
        {
            R.INVALID_CHARACTER,
            R.INVALID_LABEL,
            R.INVALID_MODEL_ID,
            R.INVALID_REQUEST_ID,
            R.MODEL_EXISTS,
            R.MODEL_ID_REQUIRED,
            R.TEXT_TOO_LONG,
        }
    ),
    "/slipway.registry.v1.RegistryService/GetModel": frozenset(
        {R.INVALID_MODEL_ID, R.INVALID_NAME, R.MODEL_NOT_FOUND}
    ),
    "/slipway.registry.v1.RegistryService/ListModels": frozenset(
        {
            R.INVALID_FILTER,
            R.INVALID_ORDER_BY,
            R.INVALID_PAGE_SIZE,
            R.INVALID_PAGE_TOKEN,
            R.PAGE_TOKEN_MISMATCH,
        }
    ),
    "/slipway.registry.v1.RegistryService/UpdateModel": frozenset(
        {
            R.ETAG_MISMATCH,
            R.INVALID_CHARACTER,
            R.INVALID_LABEL,
            R.INVALID_NAME,
            R.INVALID_UPDATE_MASK,
            R.MODEL_NOT_FOUND,
            R.TEXT_TOO_LONG,
        }
    ),
    "/slipway.registry.v1.RegistryService/DeleteModel": frozenset(
        {
            R.FORCE_DELETE_NEEDS_ADMIN,
            R.INVALID_MODEL_ID,
            R.INVALID_NAME,
            R.MODEL_HAS_VERSIONS,
            R.MODEL_NOT_FOUND,
            R.VERSIONS_NOT_ARCHIVED,
        }
    ),
    "/slipway.registry.v1.RegistryService/CreateModelVersion": frozenset(
        {
            R.ARTIFACT_TOO_LARGE,
            R.FRAMEWORK_VERSION_MISMATCH,
            R.INVALID_MODEL_ID,
            R.INVALID_NAME,
            R.METADATA_FIRST,
            R.PICKLE_REFUSED,
            R.REQUEST_FAILED,
            R.SHA256_MISMATCH,
            R.UNTRUSTED_TYPES,
            R.UPLOAD_IN_PROGRESS,
        }
    ),
    "/slipway.registry.v1.RegistryService/GetModelVersion": frozenset(
        {
            R.ALIAS_NOT_FOUND,
            R.ALIAS_REQUIRED,
            R.INVALID_ALIAS,
            R.INVALID_NAME,
            R.INVALID_VERSION_NUMBER,
            R.MODEL_NOT_FOUND,
            R.VERSION_NOT_FOUND,
        }
    ),
    "/slipway.registry.v1.RegistryService/ListModelVersions": frozenset(
        {
            R.INVALID_FILTER,
            R.INVALID_MODEL_ID,
            R.INVALID_NAME,
            R.INVALID_ORDER_BY,
            R.INVALID_PAGE_SIZE,
            R.INVALID_PAGE_TOKEN,
            R.MODEL_NOT_FOUND,
            R.PAGE_TOKEN_MISMATCH,
        }
    ),
    "/slipway.registry.v1.RegistryService/UpdateModelVersion": frozenset(
        {R.INVALID_LABEL, R.INVALID_NAME, R.INVALID_UPDATE_MASK, R.TEXT_TOO_LONG}
    ),
    "/slipway.registry.v1.RegistryService/ArchiveModelVersion": frozenset(
        {R.INVALID_NAME, R.VERSION_HAS_ALIASES}
    ),
    "/slipway.registry.v1.RegistryService/DownloadModelVersion": frozenset(
        {
            R.ARTIFACT_CORRUPT,
            R.INVALID_NAME,
            R.INVALID_VERSION_NUMBER,
            R.VERSION_NOT_FOUND,
            R.VERSION_NOT_READY,
        }
    ),
    "/slipway.registry.v1.RegistryService/SetModelAlias": frozenset(
        {
            R.ALIAS_CHANGED,
            R.ALIAS_REQUIRED,
            R.INVALID_ALIAS,
            R.INVALID_NAME,
            R.PROTECTED_ALIAS,
            R.REASON_REQUIRED,
            R.SERVICE_ALIAS_MOVE,
            R.VERSION_NOT_FOUND,
            R.VERSION_NOT_READY,
        }
    ),
    "/slipway.registry.v1.RegistryService/DeleteModelAlias": frozenset(
        {R.ALIAS_CHANGED, R.ALIAS_REQUIRED, R.INVALID_ALIAS, R.INVALID_NAME, R.SERVICE_ALIAS_MOVE}
    ),
    "/slipway.registry.v1.RegistryService/ListAliasHistory": frozenset(
        {
            R.INVALID_FILTER,
            R.INVALID_NAME,
            R.INVALID_ORDER_BY,
            R.INVALID_PAGE_SIZE,
            R.INVALID_PAGE_TOKEN,
            R.PAGE_TOKEN_MISMATCH,
        }
    ),
    "/slipway.registry.v1.RegistryService/WatchModelEvents": frozenset(
        {R.INVALID_SEQUENCE, R.TOO_MANY_WATCH_STREAMS, R.WATCH_STREAMS_FULL}
    ),
    "/slipway.lineage.v1.LineageService/GetLineageReport": frozenset(
        {
            R.ALIAS_NOT_FOUND,
            R.INVALID_NAME,
            R.INVALID_VERSION_NUMBER,
            R.MODEL_NOT_FOUND,
            R.NOT_IMPLEMENTED_YET,
            R.VERSION_NOT_FOUND,
        }
    ),
    "/slipway.training.v1.TrainingService/CreateTrainingJob": frozenset(
        {R.INVALID_REQUEST_ID, R.INVALID_TRAINING_JOB, R.PROTECTED_ALIAS}
    ),
    "/slipway.training.v1.TrainingService/GetTrainingJob": frozenset(
        {R.INVALID_NAME, R.TRAINING_JOB_NOT_FOUND}
    ),
    "/slipway.training.v1.TrainingService/ListTrainingJobs": frozenset(
        {
            R.INVALID_FILTER,
            R.INVALID_ORDER_BY,
            R.INVALID_PAGE_SIZE,
            R.INVALID_PAGE_TOKEN,
            R.PAGE_TOKEN_MISMATCH,
        }
    ),
    "/slipway.training.v1.TrainingService/CancelTrainingJob": frozenset(
        {
            R.INVALID_NAME,
            R.INVALID_REQUEST_ID,
            R.JOB_ALREADY_ENDED,
            R.REASON_REQUIRED,
            R.TRAINING_JOB_NOT_FOUND,
        }
    ),
    "/slipway.training.v1.TrainingService/WatchTrainingJob": frozenset(
        {R.INVALID_NAME, R.TRAINING_JOB_NOT_FOUND}
    ),
    "/slipway.monitoring.v1.MonitoringService/IngestPredictions": frozenset({R.INVALID_REQUEST_ID}),
    "/slipway.monitoring.v1.MonitoringService/IngestGroundTruth": frozenset(
        {R.TOO_MANY_LABELS, R.TOO_MANY_PENDING_LABELS}
    ),
    "/slipway.monitoring.v1.MonitoringService/GetMonitoringReport": frozenset(
        {R.INVALID_NAME, R.REPORT_NOT_FOUND}
    ),
    "/slipway.monitoring.v1.MonitoringService/ComputeMonitoringReport": frozenset(
        {
            R.INVALID_MODEL_ID,
            R.INVALID_NAME,
            R.INVALID_TIME,
            R.INVALID_WINDOW,
            R.MODEL_ID_REQUIRED,
            R.POLICY_NOT_FOUND,
            R.REFERENCE_TOO_LARGE,
            R.REFERENCE_UNREADABLE,
            R.VERSION_NOT_FOUND,
        }
    ),
    "/slipway.monitoring.v1.MonitoringService/CreateMonitoringPolicy": frozenset(
        {
            R.INVALID_NAME,
            R.INVALID_POLICY,
            R.MODEL_NOT_FOUND,
            R.POLICY_EXISTS,
            R.PROTECTED_ALIAS,
            R.REGISTRY_UNAVAILABLE,
            R.UNKNOWN_FEATURE,
        }
    ),
    "/slipway.monitoring.v1.MonitoringService/GetMonitoringPolicy": frozenset(
        {R.INVALID_NAME, R.POLICY_NOT_FOUND}
    ),
    "/slipway.monitoring.v1.MonitoringService/ListMonitoringPolicies": frozenset(
        {
            R.INVALID_FILTER,
            R.INVALID_ORDER_BY,
            R.INVALID_PAGE_SIZE,
            R.INVALID_PAGE_TOKEN,
            R.PAGE_TOKEN_MISMATCH,
        }
    ),
    "/slipway.monitoring.v1.MonitoringService/UpdateMonitoringPolicy": frozenset(
        {
            R.ETAG_MISMATCH,
            R.INVALID_NAME,
            R.INVALID_POLICY,
            R.INVALID_UPDATE_MASK,
            R.POLICY_NOT_FOUND,
            R.PROTECTED_ALIAS,
            R.UNKNOWN_FEATURE,
        }
    ),
    "/slipway.monitoring.v1.MonitoringService/DeleteMonitoringPolicy": frozenset(
        {R.ETAG_MISMATCH, R.INVALID_NAME, R.POLICY_NOT_FOUND}
    ),
    "/slipway.monitoring.v1.MonitoringService/GetAlert": frozenset(
        {R.ALERT_NOT_FOUND, R.INVALID_NAME}
    ),
    "/slipway.monitoring.v1.MonitoringService/ListAlerts": frozenset(
        {
            R.INVALID_FILTER,
            R.INVALID_ORDER_BY,
            R.INVALID_PAGE_SIZE,
            R.INVALID_PAGE_TOKEN,
            R.PAGE_TOKEN_MISMATCH,
        }
    ),
    "/slipway.monitoring.v1.MonitoringService/WatchAlerts": frozenset(
        {R.INVALID_FILTER, R.INVALID_SEQUENCE}
    ),
    "/slipway.audit.v1.AuditService/ListAuditEvents": frozenset(
        {
            R.INVALID_FILTER,
            R.INVALID_ORDER_BY,
            R.INVALID_PAGE_SIZE,
            R.INVALID_PAGE_TOKEN,
            R.PAGE_TOKEN_MISMATCH,
        }
    ),
    "/slipway.audit.v1.AuditService/VerifyAuditLog": frozenset({R.INVALID_RANGE}),
    "/slipway.audit.v1.AuditService/ExportAuditEvents": frozenset({R.INVALID_FILTER}),
    "/inference.GRPCInferenceService/ModelMetadata": frozenset(
        {R.MODEL_NOT_FOUND, R.MODEL_NOT_READY, R.VERSION_NOT_FOUND}
    ),
    "/inference.GRPCInferenceService/ModelInfer": frozenset(
        {
            R.DUPLICATE_INPUT,
            R.INVALID_CONTENTS,
            R.INVALID_DATATYPE,
            R.INVALID_REQUEST_ID,
            R.INVALID_SHAPE,
            R.MISSING_INPUT,
            R.MISSING_VALUE_REFUSED,
            R.MODEL_NOT_FOUND,
            R.MODEL_NOT_READY,
            R.NON_FINITE_INPUT,
            R.TOO_MANY_ROWS,
            R.UNKNOWN_INPUT,
            R.UNKNOWN_OUTPUT,
            R.VALUE_TOO_LONG,
            R.VERSION_NOT_FOUND,
            R.WRONG_FEATURE_COUNT,
        }
    ),
    "/inference.GRPCInferenceService/ModelConfig": frozenset(
        {R.MODEL_NOT_FOUND, R.MODEL_NOT_READY, R.VERSION_NOT_FOUND}
    ),
    "/inference.GRPCInferenceService/ModelStatistics": frozenset(
        {R.MODEL_NOT_FOUND, R.MODEL_NOT_READY, R.VERSION_NOT_FOUND}
    ),
    "/inference.GRPCInferenceService/RepositoryModelLoad": frozenset(
        {R.INVALID_NAME, R.MODEL_LOAD_FAILED, R.INVALID_ARGUMENT}
    ),
    "/inference.GRPCInferenceService/RepositoryModelUnload": frozenset(
        {R.INVALID_NAME, R.MODEL_NOT_FOUND, R.INVALID_ARGUMENT}
    ),
}
"""``/package.Service/Method`` -> the reasons its own logic sends (beyond ``EDGE_REASONS``)."""

IDEMPOTENT_MUTATIONS: frozenset[str] = frozenset(
    {
        "/slipway.registry.v1.RegistryService/CreateModel",
        "/slipway.registry.v1.RegistryService/UpdateModel",
        "/slipway.registry.v1.RegistryService/DeleteModel",
        "/slipway.registry.v1.RegistryService/UpdateModelVersion",
        "/slipway.registry.v1.RegistryService/ArchiveModelVersion",
        "/slipway.registry.v1.RegistryService/SetModelAlias",
        "/slipway.registry.v1.RegistryService/DeleteModelAlias",
        "/slipway.training.v1.TrainingService/CreateTrainingJob",
        "/slipway.training.v1.TrainingService/CancelTrainingJob",
        "/slipway.monitoring.v1.MonitoringService/IngestGroundTruth",
        "/slipway.monitoring.v1.MonitoringService/CreateMonitoringPolicy",
        "/slipway.monitoring.v1.MonitoringService/UpdateMonitoringPolicy",
        "/slipway.monitoring.v1.MonitoringService/DeleteMonitoringPolicy",
    }
)
"""The unary mutations with a ``request_id``: each refuses one reused for another request
(``slipway.core.idempotency``)."""
LONG_LIVED_STREAMS: frozenset[str] = frozenset(
    {
        "/slipway.registry.v1.RegistryService/WatchModelEvents",
        "/slipway.training.v1.TrainingService/WatchTrainingJob",
        "/slipway.monitoring.v1.MonitoringService/WatchAlerts",
        "/inference.GRPCInferenceService/ModelStreamInfer",
    }
)
"""The streams counted against the open-stream caps (``slipway.core.stream_caps``)."""
_ADDED: Mapping[frozenset[str], frozenset[Reason]] = {
    IDEMPOTENT_MUTATIONS: frozenset({R.REQUEST_ID_REUSED, R.INVALID_REQUEST_ID}),
    LONG_LIVED_STREAMS: frozenset({R.TOO_MANY_WATCH_STREAMS, R.WATCH_STREAMS_FULL}),
}
RPC_REASONS = {
    method: reasons.union(*(added for group, added in _ADDED.items() if method in group))
    for method, reasons in {
        **{m: frozenset[Reason]() for group in _ADDED for m in group},
        **RPC_REASONS,
    }.items()
}

_noted: set[tuple[str, str, str]] = set()


def declared(method: str) -> frozenset[Reason]:
    """Every reason ``method`` may send."""
    return EDGE_REASONS | RPC_REASONS.get(method, frozenset())


def undeclared(sent: list[tuple[str, str, str]], methods: set[str]) -> list[tuple[str, str, str]]:
    """The (method, code, reason) of ``sent`` that the table does not declare, for the methods
    of Slipway's contract (``methods``; a test's probe services are not)."""
    return sorted(
        {(m, c, r) for m, c, r in sent if m in methods and r not in {str(x) for x in declared(m)}}
    )


def note_sent(method: str, code: str, reason: str) -> None:
    """Called by the edge for every error it sends; records it once per process when asked."""
    path = os.environ.get(SENT_ENV)
    key = (method, code, str(reason))
    if not path or key in _noted:
        return
    _noted.add(key)
    # One short line per write with O_APPEND: lines from many server processes do not mix.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, ("\t".join(key) + "\n").encode())
    finally:
        os.close(fd)
