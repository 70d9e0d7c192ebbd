"""The table of reasons per RPC: complete for what the suite sees, current in docs/rpcs.md."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest

from slipway.core import interceptors, rpc_reasons
from slipway.core.reasons import Reason
from slipway.core.roles import ROLE_TABLE, RULES
from slipway.core.rpc_doc import render
from slipway.core.rpc_reasons import EDGE_REASONS, RPC_REASONS, SENT_ENV, note_sent, undeclared
from slipway.core.settings import ServiceSettings
from support.harness import auth, make_tokens, running_server, settings_for
from support.probe import PROBE_ROLES, method, probe_handler

ROOT = Path(__file__).resolve().parents[2]
GET_MODEL = "/slipway.registry.v1.RegistryService/GetModel"


def test_docs_rpcs_md_is_generated_from_the_tables():
    assert (ROOT / "docs" / "rpcs.md").read_text() == render(), (
        "docs/rpcs.md is stale: run `make docs`"
    )


def test_every_declared_method_is_a_real_rpc_of_the_role_table():
    assert all(m in ROLE_TABLE for m in RPC_REASONS)
    assert all(reasons.isdisjoint(EDGE_REASONS) for reasons in RPC_REASONS.values())


def test_every_rpc_of_the_role_table_appears_in_the_generated_page():
    page = render()
    for service, methods in RULES.items():
        if service.startswith("grpc."):
            continue
        for name in methods:
            assert f"| `{name}` |" in page


def test_the_sent_reasons_are_recorded_once_per_process(tmp_path, monkeypatch):
    log = tmp_path / "sent.tsv"
    monkeypatch.setenv(SENT_ENV, str(log))
    monkeypatch.setattr(rpc_reasons, "_noted", set())
    note_sent(GET_MODEL, "NOT_FOUND", Reason.NOT_FOUND)
    note_sent(GET_MODEL, "NOT_FOUND", Reason.NOT_FOUND)
    note_sent(GET_MODEL, "FAILED_PRECONDITION", Reason.FAILED_PRECONDITION)
    assert log.read_text().splitlines() == [
        f"{GET_MODEL}\tNOT_FOUND\tNOT_FOUND",
        f"{GET_MODEL}\tFAILED_PRECONDITION\tFAILED_PRECONDITION",
    ]


def test_undeclared_keeps_what_the_table_lacks_for_slipway_methods_only(monkeypatch):
    monkeypatch.setattr(rpc_reasons, "RPC_REASONS", {GET_MODEL: frozenset({Reason.NOT_FOUND})})
    sent = [
        (GET_MODEL, "NOT_FOUND", "NOT_FOUND"),
        (GET_MODEL, "UNAUTHENTICATED", "TOKEN_MISSING"),  # the edge's, declared for every RPC
        (GET_MODEL, "FAILED_PRECONDITION", "FAILED_PRECONDITION"),
        ("/probe.Probe/Invalid", "INVALID_ARGUMENT", "NAME_EMPTY"),  # not Slipway's RPC
    ]
    assert undeclared(sent, {GET_MODEL}) == [
        (GET_MODEL, "FAILED_PRECONDITION", "FAILED_PRECONDITION")
    ]


def test_nothing_is_written_when_the_run_does_not_ask(tmp_path, monkeypatch):
    monkeypatch.delenv(SENT_ENV, raising=False)
    monkeypatch.setattr(rpc_reasons, "_noted", set())
    monkeypatch.chdir(tmp_path)
    note_sent(GET_MODEL, "FAILED_PRECONDITION", "NO_SUCH_REASON")
    assert list(tmp_path.iterdir()) == []


async def test_the_edge_reports_every_error_it_sends(tmp_path, monkeypatch):
    tokens = make_tokens(tmp_path / "tokens.json")
    settings = settings_for(ServiceSettings, tmp_path, tokens_file=tmp_path / "tokens.json")
    sent: list[tuple[str, str, str]] = []
    monkeypatch.setattr(interceptors, "note_sent", lambda *args: sent.append(args))
    async with (
        running_server(
            settings, [], extra_handlers=[probe_handler()], role_table=PROBE_ROLES
        ) as server,
        grpc.aio.insecure_channel(server.grpc_address) as channel,
    ):
        with pytest.raises(grpc.aio.AioRpcError):
            await channel.unary_unary(method("Invalid"))(
                b"", metadata=auth(tokens["developer"]), timeout=10
            )
        with pytest.raises(grpc.aio.AioRpcError):
            await channel.unary_unary(method("Invalid"))(b"", timeout=10)
    assert (method("Invalid"), "INVALID_ARGUMENT", "NAME_EMPTY") in sent
    assert any(code == "UNAUTHENTICATED" for _, code, _ in sent)
