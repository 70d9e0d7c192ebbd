"""Access log: sampled successful calls, every failure and every slow call, over real gRPC."""

from __future__ import annotations

import contextlib
import json

import grpc
import pytest

from slipway.core.interceptors import AccessLogInterceptor
from slipway.core.logs import configure_logging
from slipway.core.settings import ServiceSettings
from support.harness import auth, make_tokens, running_server, settings_for
from support.probe import PROBE_ROLES, method, probe_handler


@pytest.fixture
def tokens(tmp_path):
    return make_tokens(tmp_path / "tokens.json")


def probe_settings(tmp_path, **overrides):
    return settings_for(
        ServiceSettings, tmp_path, tokens_file=tmp_path / "tokens.json", **overrides
    )


def rpc_lines(capsys):
    err = capsys.readouterr().err
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("event") == "rpc"]


async def calls(settings, tokens, plan):
    """Runs ``plan``: (method name, payload, times, with a token) on one channel."""
    async with (
        running_server(
            settings, [], extra_handlers=[probe_handler()], role_table=PROBE_ROLES
        ) as server,
        grpc.aio.insecure_channel(server.grpc_address) as channel,
    ):
        for name, payload, times, with_token in plan:
            stub = channel.unary_unary(method(name))
            metadata = auth(tokens["admin"]) if with_token else ()
            for _ in range(times):
                with contextlib.suppress(grpc.aio.AioRpcError):
                    await stub(payload, metadata=metadata, timeout=10)


async def test_sampled_successes_and_every_failure_are_logged(tmp_path, tokens, capsys):
    configure_logging("json", "info", service="probe")
    settings = probe_settings(tmp_path, access_log_sample_rate=0.01)
    await calls(
        settings,
        tokens,
        [
            ("Echo", b"x", 200, True),  # successful: sampled
            ("Invalid", b"", 3, True),  # INVALID_ARGUMENT
            ("Crash", b"", 2, True),  # INTERNAL
            ("Echo", b"x", 4, False),  # refused: UNAUTHENTICATED
        ],
    )
    lines = rpc_lines(capsys)
    echoed = [line for line in lines if line["method"] == method("Echo")]
    ok = [line for line in echoed if line["code"] == "OK"]
    assert len(ok) == 2, ok
    assert {line["sample_rate"] for line in ok} == {0.01}
    assert sum(1 / line["sample_rate"] for line in ok) == pytest.approx(200)
    assert [line["code"] for line in echoed if line["code"] != "OK"] == ["UNAUTHENTICATED"] * 4
    failed = [line for line in lines if line["method"] != method("Echo")]
    assert [(line["code"], line["level"], line["sample_rate"]) for line in failed] == [
        ("INVALID_ARGUMENT", "warning", 1.0)
    ] * 3 + [("INTERNAL", "warning", 1.0)] * 2


async def test_rate_one_logs_every_call(tmp_path, tokens, capsys):
    configure_logging("json", "info", service="probe")
    await calls(probe_settings(tmp_path), tokens, [("Echo", b"x", 50, True)])
    lines = rpc_lines(capsys)
    assert len(lines) == 50
    assert {(line["code"], line["sample_rate"]) for line in lines} == {("OK", 1.0)}


async def test_slow_calls_are_always_logged(tmp_path, tokens, capsys):
    configure_logging("json", "info", service="probe")
    settings = probe_settings(tmp_path, access_log_sample_rate=0.0, access_log_slow_seconds=0.05)
    await calls(settings, tokens, [("Sleep", b"0", 5, True), ("Sleep", b"0.06", 2, True)])
    lines = rpc_lines(capsys)
    assert [(line["code"], line["sample_rate"]) for line in lines] == [("OK", 1.0)] * 2
    assert all(line["duration_ms"] >= 50 for line in lines)


@pytest.mark.parametrize(("rate", "kept"), [(0.3, 30), (0.01, 1), (0.0, 0), (1.0, 100)])
def test_the_sampler_keeps_exactly_the_share(rate, kept):
    interceptor = AccessLogInterceptor(sample_rate=rate)
    marks = [interceptor._kept_at("/p.S/M") for _ in range(100)]
    assert sum(mark is not None for mark in marks) == kept
    if kept:
        assert marks[0] == rate  # the first call of a method is logged
    assert interceptor._kept_at("/p.S/Other") == (rate or None)  # counted per method


def test_only_the_sampled_methods_are_sampled():
    interceptor = AccessLogInterceptor(sample_rate=0.0, sampled_methods=frozenset({"/p.S/Hot"}))
    assert interceptor._kept_at("/p.S/Hot") is None
    assert interceptor._kept_at("/p.S/Cold") == 1.0
