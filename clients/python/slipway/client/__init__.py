"""Typed clients of the Slipway services, over the generated gRPC stubs.

    from slipway import client

    with client.connect("127.0.0.1:7101", token_file="~/.slipway/admin.token") as suite:
        for model in suite.registry.list_models():
            print(model.name)

``connect`` returns a ``Connection`` whose ``registry``, ``training``, ``inference`` and
``monitoring`` attributes are the blocking clients; ``slipway.client.aio`` has the same API for
asyncio. ``audit`` reads, verifies and exports the shared audit log. Methods take and
return the generated messages (numpy arrays for predictions), apply a deadline to every call,
retry idempotent calls on UNAVAILABLE, iterate over every page of List calls, and raise the
typed errors of ``slipway.client.errors``.
"""

from slipway.client.audit import AuditClient, AuditFilter
from slipway.client.connection import Connection, connect
from slipway.client.errors import (
    Aborted,
    AlreadyExists,
    DataLoss,
    DeadlineExceeded,
    FailedPrecondition,
    FieldViolation,
    Internal,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
    SlipwayError,
    Unauthenticated,
    Unavailable,
    Unimplemented,
    from_rpc_error,
)
from slipway.client.inference import InferenceClient
from slipway.client.lineage import LineageClient
from slipway.client.monitoring import MonitoringClient
from slipway.client.options import TLSConfig
from slipway.client.registry import RegistryClient
from slipway.client.requests import model_name, version_name
from slipway.client.retry import NO_RETRY, RetryPolicy
from slipway.client.tensors import Prediction, ground_truth
from slipway.client.training import TrainingClient

__all__ = [
    "NO_RETRY",
    "Aborted",
    "AlreadyExists",
    "AuditClient",
    "AuditFilter",
    "Connection",
    "DataLoss",
    "DeadlineExceeded",
    "FailedPrecondition",
    "FieldViolation",
    "InferenceClient",
    "Internal",
    "InvalidArgument",
    "LineageClient",
    "MonitoringClient",
    "NotFound",
    "PermissionDenied",
    "Prediction",
    "RegistryClient",
    "ResourceExhausted",
    "RetryPolicy",
    "SlipwayError",
    "TLSConfig",
    "TrainingClient",
    "Unauthenticated",
    "Unavailable",
    "Unimplemented",
    "connect",
    "from_rpc_error",
    "ground_truth",
    "model_name",
    "version_name",
]
