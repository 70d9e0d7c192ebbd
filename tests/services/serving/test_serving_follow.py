"""What serving serves without being told: the `production` alias of every model (narrowed by
--follow-models, off with --follow-alias none), and the loads and unloads stored through the
repository API, which every serving process converges to and which survive restarts, also a
SIGKILL right after the load was acknowledged."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import Any

import grpc
import numpy as np
import pytest

from slipway.client import aio as client_aio
from slipway.core.db import Database
from slipway.inference.v2 import grpc_service_pb2 as pb
from slipway.inference.v2 import grpc_service_pb2_grpc as pb_grpc
from slipway.registry.v1 import registry_service_pb2 as registry_pb
from slipway.services.serving.settings import ServingSettings
from support.harness import auth, settings_for
from support.processes import ServiceProcess
from support.registry import Registry
from support.serving import (
    Serving,
    StartServing,
    Trained,
    matrix_request,
    register,
    set_alias,
)
from support.training import running_registry
from support.waiting import wait_until

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
BOTH_DATABASES = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)

ROW = np.zeros((1, 4))


def load_request(target: str, reason: str = "") -> pb.RepositoryModelLoadRequest:
    request = pb.RepositoryModelLoadRequest(model_name=target)
    if reason:
        request.parameters["reason"].string_param = reason
    return request


def unload_request(model: str, reason: str = "") -> pb.RepositoryModelUnloadRequest:
    request = pb.RepositoryModelUnloadRequest(model_name=model)
    if reason:
        request.parameters["reason"].string_param = reason
    return request


async def delete_alias(registry: Registry, model_id: str, alias: str) -> None:
    await registry.stub.DeleteModelAlias(
        registry_pb.DeleteModelAliasRequest(
            name=f"models/{model_id}", alias=alias, reason="test retirement"
        ),
        metadata=registry.as_("approver"),
    )


async def served_version(serving: Serving, model: str) -> str:
    """The version ``model`` answers with; "" while it is not served or not loaded yet."""
    try:
        reply = await serving.infer(matrix_request(model, ROW))
    except grpc.aio.AioRpcError as error:
        if error.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.UNAVAILABLE):
            return ""
        raise
    return str(reply.model_version)


async def wait_served(serving: Serving, model: str, number: int) -> None:
    async def switched() -> bool:
        return await served_version(serving, model) == str(number)

    await wait_until(switched, f"{model} to be served at version {number}")


async def not_served(serving: Serving, model: str) -> bool:
    try:
        await serving.infer(matrix_request(model, ROW))
    except grpc.aio.AioRpcError as error:
        if error.code() == grpc.StatusCode.NOT_FOUND:
            return True
        raise
    return False


@pytest.mark.parametrize(
    "values",
    [
        {"follow_alias": "Production!"},
        {"follow_models": ["../iris"]},
        {"desired_state_poll_seconds": 0.0},
    ],
)
def test_follow_settings_are_checked_at_start(tmp_path: Path, values: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"follow_alias|follow_models|poll"):
        settings_for(ServingSettings, tmp_path, **values)


def test_follow_none_and_a_model_list_are_accepted(tmp_path: Path) -> None:
    settings = settings_for(
        ServingSettings, tmp_path, follow_alias="none", follow_models=["iris", "churn"]
    )
    assert (settings.follow_alias, settings.follow_models) == ("none", ["iris", "churn"])


@SQLITE
async def test_serving_follows_production_of_every_model(
    start_serving: StartServing,
    registry: Registry,
    service_token_file: Path,
    iris_models: list[Trained],
) -> None:
    iris = [await register(registry, service_token_file, "iris", m) for m in iris_models[:2]]
    flower = await register(registry, service_token_file, "flower", iris_models[2])
    async with start_serving(registry.address) as serving:  # no deployments configured
        ready = await serving.stub.ServerReady(pb.ServerReadyRequest())
        assert ready.ready  # nothing to wait for
        await set_alias(registry, "iris", "production", iris[0])
        await wait_served(serving, "iris", iris[0])  # the alias set: served
        await set_alias(registry, "flower", "production", flower)
        await wait_served(serving, "flower", flower)  # a second model appears
        await set_alias(registry, "iris", "production", iris[1])
        await wait_served(serving, "iris", iris[1])  # moved: swapped live
        await delete_alias(registry, "iris", "production")
        await wait_until(lambda: not_served(serving, "iris"), "iris to be unloaded")
        reply = await serving.infer(matrix_request("flower", ROW))
        assert reply.model_version == str(flower)  # the other model keeps serving
        index = await serving.stub.RepositoryIndex(
            pb.RepositoryIndexRequest(), metadata=serving.as_("admin")
        )
        assert [(m.name, m.state) for m in index.models] == [("flower@production", "READY")]


@SQLITE
async def test_follow_models_narrows_following_and_none_turns_it_off(
    start_serving: StartServing,
    registry: Registry,
    service_token_file: Path,
    iris_models: list[Trained],
) -> None:
    for model_id in ("iris", "flower"):
        await register(registry, service_token_file, model_id, iris_models[0], alias="production")
    async with start_serving(registry.address, follow_models=["flower"]) as serving:
        await wait_served(serving, "flower", 1)
        assert await not_served(serving, "iris")
    async with start_serving(
        registry.address, follow_alias="none", deployments=["flower@production"]
    ) as serving:
        await wait_served(serving, "flower", 1)  # configured
        assert await not_served(serving, "iris")  # has production, but nothing follows it


@BOTH_DATABASES
async def test_loads_and_unloads_are_stored_audited_and_reach_every_process(
    start_serving: StartServing, registry: Registry, iris_registered: list[int]
) -> None:
    settings = {"follow_alias": "none", "desired_state_poll_seconds": 0.1}
    async with (
        start_serving(registry.address, **settings) as first,
        start_serving(registry.address, **settings) as second,
    ):
        pinned = iris_registered[1]
        await first.stub.RepositoryModelLoad(
            load_request(f"iris@{pinned}", "pin for the audit"), metadata=first.as_("admin")
        )
        reply = await first.infer(matrix_request("iris", ROW))
        assert reply.model_version == str(pinned)  # loaded when acknowledged
        await wait_served(second, "iris", pinned)  # the other process converges
        await second.stub.RepositoryModelUnload(
            unload_request("iris", "retired"), metadata=second.as_("admin")
        )
        assert await not_served(second, "iris")
        await wait_until(lambda: not_served(first, "iris"), "the first process to unload iris")
    events = await registry.audit_events(service="serving")
    changes = [e for e in events if e.action.startswith("serving.RepositoryModel")]
    assert [(e.action, e.principal.name, e.reason, e.resource) for e in changes] == [
        ("serving.RepositoryModelLoad", "admin-user", "pin for the audit", "models/iris"),
        ("serving.RepositoryModelUnload", "admin-user", "retired", "models/iris"),
    ]
    load, unload = (json.loads(e.payload_json) for e in changes)
    assert load["before"] == "(not stored)"
    assert load["after"] == f"iris@{pinned}"
    assert load["version"] == f"models/iris/versions/{pinned}"
    assert (unload["before"], unload["after"]) == (f"iris@{pinned}", "(unloaded)")


@SQLITE
async def test_the_asyncio_client_loads_lists_and_unloads_with_a_reason(
    start_serving: StartServing, registry: Registry, iris_registered: list[int]
) -> None:
    async with (
        start_serving(registry.address, follow_alias="none") as serving,
        client_aio.connect(
            {"serving": serving.address}, token=serving.tokens["admin"]
        ) as connection,
    ):
        inference = connection.inference
        assert await inference.repository_index() == []
        await inference.load_model("iris@3", reason="pin three")
        [model] = await inference.repository_index(ready=True)
        assert (model.name, model.version, model.state) == ("iris@3", "3", "READY")
        await inference.unload_model("iris", reason="done")
        assert await inference.repository_index() == []
    events = await registry.audit_events(service="serving")
    assert [(e.action, e.reason) for e in events if e.action.startswith("serving.Repo")] == [
        ("serving.RepositoryModelLoad", "pin three"),
        ("serving.RepositoryModelUnload", "done"),
    ]


@SQLITE
async def test_an_unload_wins_over_production_and_survives_a_restart(
    start_serving: StartServing,
    registry: Registry,
    iris_registered: list[int],
    service_token_file: Path,
    iris_models: list[Trained],
) -> None:
    flower = await register(
        registry, service_token_file, "flower", iris_models[0], alias="production"
    )
    async with start_serving(registry.address) as serving:
        await wait_served(serving, "iris", iris_registered[0])
        await wait_served(serving, "flower", flower)
        await serving.stub.RepositoryModelUnload(
            unload_request("iris"), metadata=serving.as_("admin")
        )
        assert await not_served(serving, "iris")
    async with start_serving(registry.address) as serving:  # ready: flower is loaded
        await wait_served(serving, "flower", flower)
        assert await not_served(serving, "iris")  # production still points at a version
        # A load puts it back, and that is stored too.
        await serving.stub.RepositoryModelLoad(load_request("iris"), metadata=serving.as_("admin"))
        await wait_served(serving, "iris", iris_registered[0])
    async with start_serving(registry.address) as serving:
        await wait_served(serving, "iris", iris_registered[0])


@SQLITE
async def test_a_restart_while_the_registry_is_down_serves_the_followed_models(
    start_serving: StartServing,
    migrated_db: Database,
    tmp_path: Path,
    tokens_file: Path,
    tokens: dict[str, str],
    service_token_file: Path,
    iris_models: list[Trained],
) -> None:
    stack = contextlib.AsyncExitStack()
    registry = await stack.enter_async_context(
        running_registry(migrated_db, tmp_path / "reg", tokens_file, tokens, tmp_path / "artifacts")
    )
    number = await register(
        registry, service_token_file, "iris", iris_models[0], alias="production"
    )
    async with start_serving(registry.address) as serving:
        await wait_served(serving, "iris", number)
    await stack.aclose()
    async with start_serving(registry.address) as restarted:  # from its cache
        ready = await restarted.stub.ServerReady(pb.ServerReadyRequest())
        assert ready.ready
        assert await served_version(restarted, "iris") == str(number)


@SQLITE
@pytest.mark.slow  # starts a serving process three times
async def test_a_load_acknowledged_right_before_sigkill_is_served_after_restart(
    database_url: str,
    registry: Registry,
    iris_registered: list[int],
    tmp_path: Path,
    tokens_file: Path,
    tokens: dict[str, str],
    service_token_file: Path,
) -> None:
    home = tmp_path / "serving-child"
    flags = (
        "--registry-target",
        registry.address,
        "--registry-token-file",
        str(service_token_file),
        "--follow-alias",
        "none",
    )
    admin = auth(tokens["admin"])

    async def started() -> tuple[ServiceProcess, str]:
        child = ServiceProcess("serving", home, database_url, tokens_file, *flags)
        child.ready_file.unlink(missing_ok=True)
        return child, await asyncio.to_thread(child.wait_ready)

    pinned = iris_registered[2]
    child, address = await started()
    try:
        async with grpc.aio.insecure_channel(address) as channel:
            stub = pb_grpc.GRPCInferenceServiceStub(channel)
            await stub.RepositoryModelLoad(load_request(f"iris@{pinned}"), metadata=admin)
        await asyncio.to_thread(child.kill)  # no shutdown: the load must already be stored
    finally:
        child.kill()

    child, address = await started()  # ready means every stored load is in
    try:
        async with grpc.aio.insecure_channel(address) as channel:
            stub = pb_grpc.GRPCInferenceServiceStub(channel)
            reply = await stub.ModelInfer(matrix_request("iris", ROW), metadata=admin)
            assert reply.model_version == str(pinned)
            await stub.RepositoryModelUnload(unload_request("iris"), metadata=admin)
        await asyncio.to_thread(child.kill)
    finally:
        child.kill()

    child, address = await started()
    try:
        async with grpc.aio.insecure_channel(address) as channel:
            stub = pb_grpc.GRPCInferenceServiceStub(channel)
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await stub.ModelInfer(matrix_request("iris", ROW), metadata=admin)
            assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    finally:
        child.kill()
