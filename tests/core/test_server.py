"""The server core, end to end over real gRPC on loopback: request ids, errors, metrics, auth."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import socket
import urllib.request

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from slipway.core.logs import configure_logging
from slipway.core.server import SlipwayServer
from slipway.core.settings import ServiceSettings
from support.harness import auth, make_tokens, running_server, settings_for, with_overrides
from support.probe import PROBE_ROLES, method, probe_handler, rich_details
from support.waiting import wait_until


@pytest.fixture
def tokens(tmp_path):
    return make_tokens(tmp_path / "tokens.json")


@pytest.fixture
def settings(tmp_path, tokens):
    return settings_for(ServiceSettings, tmp_path, tokens_file=tmp_path / "tokens.json")


def fetch(url):
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback URL)
        return response.read().decode()


def probe_server(settings, **kwargs):
    return running_server(
        settings, [], extra_handlers=[probe_handler()], role_table=PROBE_ROLES, **kwargs
    )


async def call(server, name, payload=b"", *, metadata=()):
    async with grpc.aio.insecure_channel(server.grpc_address) as channel:
        pending = channel.unary_unary(method(name))(payload, metadata=metadata, timeout=10)
        return await pending, pending


async def test_health_needs_no_token_and_reports_readiness(settings):
    async with probe_server(settings, serving=False) as server:
        channel = grpc.aio.insecure_channel(server.grpc_address)
        stub = health_pb2_grpc.HealthStub(channel)
        before = await stub.Check(health_pb2.HealthCheckRequest(service=""))
        assert before.status == health_pb2.HealthCheckResponse.NOT_SERVING
        await server.set_serving()
        after = await stub.Check(health_pb2.HealthCheckRequest(service=""))
        assert after.status == health_pb2.HealthCheckResponse.SERVING
        await channel.close()


async def test_request_id_is_taken_from_the_caller_and_returned(settings, tokens):
    async with probe_server(settings) as server:
        reply, call_ = await call(
            server, "WhoAmI", metadata=(*auth(tokens["viewer"]), ("x-request-id", "req-42"))
        )
        assert reply == b"viewer-user|req-42"
        assert ("x-request-id", "req-42") in tuple(await call_.trailing_metadata())


async def test_request_id_is_generated_when_missing(settings, tokens):
    async with probe_server(settings) as server:
        reply, call_ = await call(server, "WhoAmI", metadata=auth(tokens["viewer"]))
        principal, request_id = reply.decode().split("|")
        assert principal == "viewer-user"
        assert re.fullmatch(r"[0-9a-f]{32}", request_id)
        assert ("x-request-id", request_id) in tuple(await call_.trailing_metadata())


async def test_unexpected_exception_is_internal_without_internal_text(settings, tokens):
    async with probe_server(settings) as server:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await call(
                server, "Crash", metadata=(*auth(tokens["viewer"]), ("x-request-id", "req-crash"))
            )
    error = caught.value
    assert error.code() == grpc.StatusCode.INTERNAL
    assert "req-crash" in error.details()
    assert "hunter2" not in error.details()
    assert "Traceback" not in error.details()
    assert ("x-request-id", "req-crash") in tuple(error.trailing_metadata())
    info = rich_details(error)["error_info"]
    assert info.reason == "INTERNAL"
    assert info.metadata["request_id"] == "req-crash"


async def test_a_lost_database_race_is_aborted_and_other_database_errors_internal(settings, tokens):
    async with probe_server(settings) as server:
        with pytest.raises(grpc.aio.AioRpcError) as lost:
            await call(server, "LoseRace", metadata=auth(tokens["developer"]))
        with pytest.raises(grpc.aio.AioRpcError) as broken:
            await call(server, "BreakNotNull", metadata=auth(tokens["developer"]))
        with pytest.raises(grpc.aio.AioRpcError) as bug:
            await call(server, "BreakUniqueOnSqlite", metadata=auth(tokens["developer"]))
    assert bug.value.code() == grpc.StatusCode.INTERNAL
    assert lost.value.code() == grpc.StatusCode.ABORTED
    assert rich_details(lost.value)["error_info"].reason == "CONCURRENT_CHANGE"
    assert "retry" in lost.value.details()
    assert "INSERT" not in lost.value.details()  # no SQL reaches the caller
    assert broken.value.code() == grpc.StatusCode.INTERNAL


async def test_an_error_quoting_too_much_still_reaches_the_caller_as_itself(settings, tokens):
    """Statuses travel in trailers, which clients refuse over 8 KiB: an error echoing a huge
    request is cut down, not turned into RESOURCE_EXHAUSTED by the caller's own library."""
    async with probe_server(settings) as server:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await call(server, "EchoEverything", metadata=auth(tokens["developer"]))
    error = caught.value
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error
    assert error.details().startswith("模型/")
    assert error.details().endswith("...")
    details = rich_details(error)
    assert details["error_info"].reason == "ECHOED"
    assert details["error_info"].metadata["resource"].startswith("模型/")
    *shown, rest = details["bad_request"].field_violations
    assert shown, "the first violations are kept"
    assert [v.description.split(":")[0] for v in shown] == [str(i) for i in range(len(shown))]
    assert all(v.field.startswith("labels[模型/") for v in shown)
    assert rest.description == f"and {300 - len(shown)} more"


async def test_a_health_port_that_cannot_be_bound_leaves_nothing_listening(settings):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        server = SlipwayServer(
            dataclasses.replace(settings, health_address=f"127.0.0.1:{taken.getsockname()[1]}"), []
        )
        with pytest.raises(OSError, match="health address"):
            await server.start()
        with socket.socket() as probe:  # the gRPC port it had bound is closed again
            assert probe.connect_ex(("127.0.0.1", server.grpc_port)) != 0
    finally:
        taken.close()


async def test_domain_error_maps_to_status_with_error_info_and_field_violation(settings, tokens):
    async with probe_server(settings) as server:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await call(server, "Invalid", metadata=auth(tokens["developer"]))
    error = caught.value
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    request_ids = [v for k, v in error.trailing_metadata() if k == "x-request-id"]
    assert len(request_ids) == 1
    assert re.fullmatch(r"[0-9a-f]{32}", request_ids[0])
    details = rich_details(error)
    assert details["error_info"].reason == "NAME_EMPTY"
    assert details["error_info"].domain == "service.slipway"
    violations = details["bad_request"].field_violations
    assert [(v.field, v.description) for v in violations] == [("model.name", "must not be empty")]


async def test_error_after_some_stream_messages_keeps_messages_and_status(settings, tokens):
    received = []

    async def consume(stream):
        async for item in stream:
            received.append(item)

    async with (
        probe_server(settings) as server,
        grpc.aio.insecure_channel(server.grpc_address) as channel,
    ):
        stream = channel.unary_stream(method("Stream"))(b"", metadata=auth(tokens["viewer"]))
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await consume(stream)
    assert received == [b"\x00", b"\x01", b"\x02"]
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert rich_details(caught.value)["error_info"].reason == "SOURCE_GONE"


@pytest.mark.parametrize(
    ("metadata", "reason"),
    [
        ((), "TOKEN_MISSING"),
        ((("authorization", "Basic abc"),), "TOKEN_MALFORMED"),
        ((("authorization", "Bearer not-a-real-token"),), "TOKEN_INVALID"),
    ],
)
async def test_calls_without_a_valid_token_are_unauthenticated(settings, metadata, reason):
    async with probe_server(settings) as server:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await call(server, "Echo", metadata=metadata)
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert rich_details(caught.value)["error_info"].reason == reason
    assert any(k == "x-request-id" for k, _ in caught.value.trailing_metadata())


async def test_role_without_the_method_is_permission_denied(settings, tokens):
    async with probe_server(settings) as server:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await call(server, "Write", metadata=auth(tokens["viewer"]))
        assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert rich_details(caught.value)["error_info"].reason == "ROLE_NOT_ALLOWED"
        reply, _ = await call(server, "Write", b"ok", metadata=auth(tokens["developer"]))
        assert reply == b"ok"


async def test_method_missing_from_the_role_table_is_refused_even_to_admins(tmp_path, tokens):
    from slipway.core.roles import ROLE_TABLE

    settings = settings_for(ServiceSettings, tmp_path, tokens_file=tmp_path / "tokens.json")
    async with running_server(
        settings, [], extra_handlers=[probe_handler()], role_table=ROLE_TABLE
    ) as server:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await call(server, "Echo", metadata=auth(tokens["admin"]))
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_insecure_no_auth_accepts_calls_without_a_token(tmp_path):
    settings = settings_for(ServiceSettings, tmp_path, insecure_no_auth=True)
    async with probe_server(settings) as server:
        reply, _ = await call(server, "WhoAmI")
    assert reply.decode().startswith("local-insecure|")


async def test_messages_over_the_configured_size_are_refused(tmp_path, tokens):
    settings = settings_for(
        ServiceSettings,
        tmp_path,
        tokens_file=tmp_path / "tokens.json",
        max_receive_message_bytes=1024,
    )
    async with probe_server(settings) as server:
        reply, _ = await call(server, "Echo", b"x" * 512, metadata=auth(tokens["viewer"]))
        assert reply == b"x" * 512
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await call(server, "Echo", b"x" * 4096, metadata=auth(tokens["viewer"]))
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


async def dropped(channel: grpc.aio.Channel) -> None:
    await wait_until(
        lambda: channel.get_state() != grpc.ChannelConnectivity.READY,
        "the server to drop the aged connection",
    )


@pytest.mark.parametrize("age", [0.0, 0.5])
async def test_a_maximum_connection_age_makes_clients_reconnect(tmp_path, tokens, age):
    settings = settings_for(
        ServiceSettings,
        tmp_path,
        tokens_file=tmp_path / "tokens.json",
        max_connection_age_seconds=age,
        shutdown_grace_seconds=0.2,
    )
    async with (
        probe_server(settings) as server,
        grpc.aio.insecure_channel(server.grpc_address) as channel,
    ):
        echo = channel.unary_unary(method("Echo"))
        assert await echo(b"a", metadata=auth(tokens["viewer"]), timeout=10) == b"a"
        assert channel.get_state() == grpc.ChannelConnectivity.READY
        # After the age (plus jitter and grace) the server sends GOAWAY and the idle channel
        # lets its connection go: waited for, however slow the machine. Without an age it
        # stays connected: nothing marks "no GOAWAY", so a second server with a 0.5 s age is
        # the yardstick, connected after this one: once it has dropped its connection, this
        # one must still hold, however slow the machine.
        if age > 0:
            await dropped(channel)
        else:
            aged = with_overrides(settings, max_connection_age_seconds=0.5)
            async with (
                probe_server(aged) as yardstick,
                grpc.aio.insecure_channel(yardstick.grpc_address) as measuring,
            ):
                ping = measuring.unary_unary(method("Echo"))
                assert await ping(b"y", metadata=auth(tokens["viewer"]), timeout=10) == b"y"
                await dropped(measuring)
            assert channel.get_state() == grpc.ChannelConnectivity.READY
        # Either way the next call simply works (on a new connection after a GOAWAY).
        assert await echo(b"b", metadata=auth(tokens["viewer"]), timeout=10) == b"b"


async def test_metrics_endpoint_counts_calls_by_code(settings, tokens):
    async with probe_server(settings) as server:
        await call(server, "Echo", metadata=auth(tokens["viewer"]))
        for _ in range(2):
            with pytest.raises(grpc.aio.AioRpcError):
                await call(server, "Invalid", metadata=auth(tokens["developer"]))
        with pytest.raises(grpc.aio.AioRpcError):
            await call(server, "Echo")
        url = f"http://{server.metrics_address}/metrics"

        def sample(method_name, code):
            pattern = (
                rf'grpc_server_handled_total\{{grpc_code="{code}",'
                rf'grpc_method="{method_name}",'
                rf'grpc_service="slipway.testing.Probe"\}} (\S+)'
            )
            found = re.search(pattern, body)
            return float(found.group(1)) if found else None

        # An aborted call's status reaches the client as the server sends it, before the
        # server's interceptors finish counting it: read until the last call is counted.
        body = ""

        async def counted() -> bool:
            nonlocal body
            body = await asyncio.to_thread(fetch, url)
            return sample("Echo", "UNAUTHENTICATED") is not None

        await wait_until(counted, "the refused call to be counted")
    assert sample("Echo", "OK") == 1.0
    assert sample("Invalid", "INVALID_ARGUMENT") == 2.0
    assert sample("Echo", "UNAUTHENTICATED") == 1.0
    assert 'grpc_server_handling_seconds_bucket{grpc_method="Echo"' in body


async def test_log_lines_carry_request_id_and_principal(settings, tokens, capsys):
    configure_logging("json", "info", service="probe")
    async with probe_server(settings) as server:
        await call(server, "Echo", metadata=(*auth(tokens["approver"]), ("x-request-id", "r-7")))
    lines = [
        json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")
    ]
    rpc_lines = [line for line in lines if line.get("event") == "rpc"]
    assert rpc_lines, lines
    assert rpc_lines[-1]["request_id"] == "r-7"
    assert rpc_lines[-1]["principal"] == "approver-user"
    assert rpc_lines[-1]["code"] == "OK"
    assert rpc_lines[-1]["service"] == "probe"
