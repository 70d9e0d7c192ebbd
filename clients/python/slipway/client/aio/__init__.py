"""The Slipway clients for asyncio: ``slipway.client`` with async methods and async iterators.

    from slipway.client import aio

    async with aio.connect("127.0.0.1:7101", token=token) as suite:
        async for model in suite.registry.list_models():
            print(model.name)

Errors, retry policies, TLS settings and helpers are those of ``slipway.client``.
"""

from slipway.client.aio.audit import AuditClient
from slipway.client.aio.connection import Connection, connect
from slipway.client.aio.inference import InferenceClient
from slipway.client.aio.lineage import LineageClient
from slipway.client.aio.monitoring import MonitoringClient
from slipway.client.aio.registry import RegistryClient
from slipway.client.aio.training import TrainingClient

__all__ = [
    "AuditClient",
    "Connection",
    "InferenceClient",
    "LineageClient",
    "MonitoringClient",
    "RegistryClient",
    "TrainingClient",
    "connect",
]
