"""The standard health service's Watch works on a service's main port (it sends with
``context.write`` rather than yielding), and neither it nor a method outside the role table
writes an audit row: they are not changes."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from support.registry import SQLITE_ONLY, Registry

pytestmark = SQLITE_ONLY


async def test_health_watch_answers_and_writes_no_audit_row(registry: Registry) -> None:
    before = await registry.audit_events()
    async with grpc.aio.insecure_channel(registry.address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        call = stub.Watch(health_pb2.HealthCheckRequest(service=""))
        first = await asyncio.wait_for(call.read(), timeout=30)
        assert first.status == health_pb2.HealthCheckResponse.SERVING
        call.cancel()
        # A method no role may call: refused, and not recorded as a failed change.
        unknown = channel.unary_unary(
            "/slipway.registry.v1.RegistryService/NoSuchMethod",
            request_serializer=lambda _: b"",
            response_deserializer=lambda data: data,
        )
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await unknown(b"", metadata=registry.as_("admin"), timeout=30)
    assert refused.value.code() in (
        grpc.StatusCode.UNIMPLEMENTED,
        grpc.StatusCode.PERMISSION_DENIED,
    )
    after = await registry.audit_events()
    new = [e for e in after if e.sequence > (before[-1].sequence if before else 0)]
    # Only the auditor's own reads may appear; nothing about Health or an unknown method.
    assert [e.action for e in new if "Health" in e.action or "NoSuchMethod" in e.action] == []
    assert [e for e in new if e.outcome == e.AUDIT_OUTCOME_FAILED] == []
