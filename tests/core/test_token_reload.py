"""A running service follows its tokens file: tokens created or revoked with `slipway tokens`
are honoured within a bounded wait, SIGHUP re-reads the file at once, and a file that fails to
load keeps the tokens that were loaded."""

from __future__ import annotations

import os
import signal
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest

from slipway.cli.main import main as slipway
from slipway.core.auth import TokenStore, add_token, revoke_tokens, token_hash
from slipway.core.errors import InvalidArgumentError, UnauthenticatedError
from slipway.core.settings import ServiceSettings
from support.harness import auth, make_tokens, running_server, settings_for
from support.probe import PROBE_ROLES, method, probe_handler
from support.processes import ServiceProcess
from support.waiting import wait_until, wait_until_sync

# A token change must be seen within this bound: the file is looked at once a second, and a
# loaded machine may delay that by a few more.
FOLLOW_SECONDS = 15.0


@pytest.fixture
def tokens_file(tmp_path):
    return tmp_path / "tokens.json"


@pytest.fixture
def tokens(tokens_file):
    return make_tokens(tokens_file)


@pytest.fixture
def settings(tmp_path, tokens, tokens_file):
    return settings_for(ServiceSettings, tmp_path, tokens_file=tokens_file)


def probe_server(settings):
    return running_server(settings, [], extra_handlers=[probe_handler()], role_table=PROBE_ROLES)


def cli(capsys, *argv: str) -> str:
    """What `slipway ARGV` printed (the in-process servers' log lines left out)."""
    capsys.readouterr()
    assert slipway(list(argv)) == 0
    printed = capsys.readouterr().out.splitlines()
    return "\n".join(line for line in printed if not line.startswith("20"))


async def answer(server, token: str) -> grpc.StatusCode:
    """How the server answers a call made with ``token``."""
    try:
        async with grpc.aio.insecure_channel(server.grpc_address) as channel:
            await channel.unary_unary(method("WhoAmI"))(b"", metadata=auth(token), timeout=10)
    except grpc.aio.AioRpcError as error:
        return error.code()
    return grpc.StatusCode.OK


async def test_a_token_created_while_serving_is_accepted_and_refused_once_revoked(
    settings, tokens_file, capsys
):
    async with probe_server(settings) as server:
        token = cli(
            capsys, "tokens", "create", "--principal", "carol", "--role", "viewer",
            "--tokens-file", str(tokens_file),
        )  # fmt: skip
        await wait_until(
            lambda: _is(server, token),
            "the new token to be accepted",
            FOLLOW_SECONDS,
        )
        revoked = cli(capsys, "tokens", "revoke", "carol", "--tokens-file", str(tokens_file))
        assert revoked.startswith("revoked\tcarol\t" + token_hash(token)[:12])

        async def refused() -> bool:
            return await answer(server, token) == grpc.StatusCode.UNAUTHENTICATED

        await wait_until(refused, "the revoked token to be refused", FOLLOW_SECONDS)


async def _is(server, token: str) -> bool:
    return await answer(server, token) == grpc.StatusCode.OK


async def test_revoke_by_hash_prefix_removes_one_token(settings, tokens_file, tokens, capsys):
    async with probe_server(settings) as server:
        first = add_token(tokens_file, "dave", ["viewer"], "laptop")
        second = add_token(tokens_file, "dave", ["viewer"], "ci")
        await wait_until(lambda: _is(server, second), "dave's tokens", FOLLOW_SECONDS)
        listed = cli(capsys, "tokens", "list", "--tokens-file", str(tokens_file))
        assert token_hash(first)[:12] in listed
        cli(capsys, "tokens", "revoke", "--token-hash", token_hash(first)[:10],
            "--tokens-file", str(tokens_file))  # fmt: skip

        async def first_refused() -> bool:
            return await answer(server, first) == grpc.StatusCode.UNAUTHENTICATED

        await wait_until(first_refused, "dave's laptop token to be refused", FOLLOW_SECONDS)
        assert await answer(server, second) == grpc.StatusCode.OK
        assert await answer(server, tokens["viewer"]) == grpc.StatusCode.OK


def test_revoke_names_what_it_cannot_find(tokens_file, tokens, capsys):
    assert slipway(["tokens", "revoke", "nobody", "--tokens-file", str(tokens_file)]) == 2
    assert "no token of principal 'nobody'" in capsys.readouterr().err
    with pytest.raises(InvalidArgumentError, match="at least 8 hex digits"):
        revoke_tokens(tokens_file, sha256="abc")
    with pytest.raises(InvalidArgumentError, match="either a principal or a token hash"):
        revoke_tokens(tokens_file)


def test_a_corrupt_file_keeps_the_tokens_loaded_before(tokens_file, tokens):
    now = [0.0]
    store = TokenStore.load(tokens_file, check_seconds=1.0, clock=lambda: now[0])
    viewer = f"Bearer {tokens['viewer']}"
    assert store.authenticate(viewer).name == "viewer-user"
    for broken in ('{"version": 1, "tokens": [', '{"tokens": [{"principal": "x"}]}', ""):
        tokens_file.write_text(broken)
        now[0] += 2.0
        assert store.authenticate(viewer).name == "viewer-user"  # neither locked out...
        with pytest.raises(UnauthenticatedError):
            store.authenticate("Bearer not-a-token")  # ...nor opened
        assert not store.reload()
    tokens_file.unlink()
    now[0] += 2.0
    assert store.authenticate(viewer).name == "viewer-user"
    # A fixed file again is loaded at its next check.
    newcomer = add_token(tokens_file, "erin", ["viewer"])
    now[0] += 2.0
    assert store.authenticate(f"Bearer {newcomer}").name == "erin"
    with pytest.raises(UnauthenticatedError):
        store.authenticate(viewer)  # the rewritten file holds erin alone


def test_the_file_is_looked_at_at_most_once_per_interval(tokens_file, tokens, monkeypatch):
    now = [0.0]
    store = TokenStore.load(tokens_file, check_seconds=1.0, clock=lambda: now[0])
    looked: list[object] = []
    real_stat = type(tokens_file).stat

    def counting_stat(path, *args, **kwargs):
        looked.append(path)
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(type(tokens_file), "stat", counting_stat)
    for _ in range(100):
        store.authenticate(f"Bearer {tokens['viewer']}")
    assert looked == []  # the interval has not passed since the load
    now[0] += 1.5
    for _ in range(100):
        store.authenticate(f"Bearer {tokens['viewer']}")
    assert len(looked) == 1


def test_sighup_rereads_the_tokens_file_at_once(tmp_path, tokens_file, tokens):
    # Polling is off (--tokens-check-seconds 0), so only the signal can make the new token work.
    service = ServiceProcess(
        "registry",
        tmp_path / "registry",
        f"sqlite:///{tmp_path / 'slipway.db'}",
        tokens_file,
        "--auto-migrate",
        "--tokens-check-seconds",
        "0",
    )
    try:
        address = service.wait_ready()
        newcomer = add_token(tokens_file, "frank", ["viewer"])
        revoke_tokens(tokens_file, principal="viewer-user")
        os.kill(service.process.pid, signal.SIGHUP)

        def answered(token: str) -> grpc.StatusCode:
            with grpc.insecure_channel(address) as channel:
                method = channel.unary_unary(
                    "/slipway.registry.v1.RegistryService/ListModels",
                    request_serializer=lambda _: b"",
                    response_deserializer=lambda raw: raw,
                )
                try:
                    method(None, metadata=auth(token), timeout=10)
                except grpc.RpcError as error:
                    return error.code()  # type: ignore[no-any-return]
                return grpc.StatusCode.OK

        wait_until_sync(
            lambda: "tokens file reloaded" in service.log_text(),
            lambda: f"the reload to be logged:\n{service.log_text()}",
            FOLLOW_SECONDS,
        )
        assert answered(newcomer) == grpc.StatusCode.OK
        assert answered(tokens["viewer"]) == grpc.StatusCode.UNAUTHENTICATED
        # A broken file and another SIGHUP: the error is logged, the tokens stay.
        tokens_file.write_text("{not json")
        os.kill(service.process.pid, signal.SIGHUP)
        wait_until_sync(
            lambda: "tokens file not reloaded" in service.log_text(),
            lambda: f"the failed reload to be logged:\n{service.log_text()}",
            FOLLOW_SECONDS,
        )
        assert answered(newcomer) == grpc.StatusCode.OK
        assert service.process.poll() is None
    finally:
        assert service.stop() == 0


def test_tokens_created_and_revoked_at_once_are_all_kept(tokens_file, tokens):
    # Each edit reads, changes and replaces the file; without the edit lock one of two edits at
    # the same moment is lost.
    def create(i: int) -> str:
        return add_token(tokens_file, f"p{i}", ["viewer"])

    with ThreadPoolExecutor(8) as pool:
        created = list(pool.map(create, range(16)))
        list(pool.map(lambda role: revoke_tokens(tokens_file, principal=f"{role}-user"), tokens))
    store = TokenStore.load(tokens_file)
    assert store.principal_count == 16
    assert {store.authenticate(f"Bearer {t}").name for t in created} == {f"p{i}" for i in range(16)}
