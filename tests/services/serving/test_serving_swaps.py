"""Live swaps and outages: alias moves under load with zero failed requests, a version that
fails its checks is not switched to, the registry going away does not interrupt serving, and a
restart during a registry outage comes up from the local cache."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
from collections import Counter
from pathlib import Path

import grpc
import numpy as np
import pytest
from sklearn.datasets import load_iris

from slipway.core.db import Database
from slipway.inference.v2 import grpc_service_pb2 as pb
from support.hostile_models import with_recorded_sklearn_version
from support.registry import Registry
from support.serving import (
    Serving,
    StartServing,
    Trained,
    matrix_request,
    output,
    register,
    set_alias,
)
from support.training import running_registry
from support.waiting import wait_until

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

ROWS = load_iris().data[::5]
PER_PHASE = 40  # answers counted before each swap and after the last one


async def test_five_swaps_under_sixteen_clients_fail_no_request(
    serving: Serving, registry: Registry, iris_registered: list[int], iris_models: list[Trained]
) -> None:
    expected = {str(n): m.model() for n, m in zip(iris_registered, iris_models, strict=True)}
    stop = asyncio.Event()
    errors: list[str] = []
    served: Counter[str] = Counter()

    async def client(k: int) -> None:
        count = 0
        while not stop.is_set() and count < 5000:  # bounded in count, and by the swaps below
            count += 1
            rows = ROWS[k % 10 : k % 10 + 3]
            try:
                reply = await serving.infer(matrix_request("iris", rows, raw=bool(k % 2)))
            except grpc.aio.AioRpcError as error:
                errors.append(f"{error.code().name}: {error.details()}")
                continue
            served[reply.model_version] += 1
            model = expected[reply.model_version]  # the answer is the version it names
            if not np.allclose(output(reply, "predict_proba"), model.predict_proba(rows)):
                errors.append(f"answer does not match version {reply.model_version}")

    async def answered(more: int) -> None:
        # Traffic between swaps is counted, not timed: every version gets its share of answers
        # however slow the machine is.
        target = sum(served.values()) + more
        await wait_until(lambda: sum(served.values()) >= target or errors, f"{more} answers")

    clients = [asyncio.create_task(client(k)) for k in range(16)]
    try:
        order = [2, 3, 1, 3, 2]
        for number in order:
            await answered(PER_PHASE)
            await set_alias(registry, "iris", "production", number)
            await asyncio.wait_for(serving.wait_version("iris", number), 20)
        await answered(PER_PHASE)
    finally:
        stop.set()
        await asyncio.gather(*clients)
    assert errors == []
    assert set(served) == {"1", "2", "3"}
    assert sum(served.values()) >= PER_PHASE * (len(order) + 1)


async def test_a_version_that_fails_to_load_is_not_switched_to(
    serving: Serving,
    registry: Registry,
    iris_registered: list[int],
    service_token_file: Path,
    tmp_path: Path,
    data_root: Path,
) -> None:
    # A READY version made by a scikit-learn this process cannot load safely.
    from support.serving import iris_spec, train_locally

    trained = train_locally(iris_spec(seed=9), tmp_path / "old", data_root)
    # The file records the old version too: the registry checks it against the declared one.
    path = trained.folder / trained.outcome.model.filename
    path.write_bytes(with_recorded_sklearn_version(path.read_bytes(), "0.20.4"))
    model = dataclasses.replace(
        trained.outcome.model,
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        size_bytes=path.stat().st_size,
    )
    versions = dict(trained.outcome.framework_versions, scikit_learn="0.20.4")
    trained = dataclasses.replace(
        trained,
        outcome=dataclasses.replace(trained.outcome, model=model, framework_versions=versions),
    )
    broken = await register(registry, service_token_file, "iris", trained)
    await set_alias(registry, "iris", "production", broken)

    async def refused() -> str:
        index = await serving.stub.RepositoryIndex(
            pb.RepositoryIndexRequest(), metadata=serving.as_("admin")
        )
        return "0.20.4" in index.models[0].reason

    await wait_until(refused, "serving to try the broken version and refuse it")
    reply = await serving.infer(matrix_request("iris", ROWS))
    assert reply.model_version == "1"  # still the old one, answering
    index = await serving.stub.RepositoryIndex(
        pb.RepositoryIndexRequest(), metadata=serving.as_("admin")
    )
    assert index.models[0].version == "1"
    assert "0.20.4" in index.models[0].reason  # why it was not switched to
    # The next good version is switched to as usual.
    await set_alias(registry, "iris", "production", iris_registered[1])
    await serving.wait_version("iris", iris_registered[1])


async def test_serving_outlives_the_registry_and_restarts_from_its_cache(
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
    address = registry.address
    async with start_serving(address, deployments=["iris@production"], resync_seconds=0.5) as held:
        assert (await held.infer(matrix_request("iris", ROWS))).model_version == "1"
        await stack.aclose()  # the registry stops; serving keeps serving
        await serving_through_outage(held, number)
    # A new serving process, registry still down: it comes up from its cache.
    async with start_serving(address, deployments=["iris@production"]) as restarted:
        ready = await restarted.stub.ServerReady(pb.ServerReadyRequest(), metadata=restarted.as_())
        assert ready.ready
        reply = await restarted.infer(matrix_request("iris", ROWS))
        assert reply.model_version == str(number)
        assert np.array_equal(output(reply, "predict"), iris_models[0].model().predict(ROWS))


def kept_cached(held: Serving) -> float:
    """How many resyncs found the registry unreachable and kept the cached version."""
    swaps = held.collector("slipway_serving_swaps")
    return float(swaps.labels("iris@production", "kept_cached")._value.get())


async def serving_through_outage(held: Serving, number: int) -> None:
    """Inference answers, from the version it served, through three resyncs against the dead
    registry (counted by serving, so a slow machine waits longer instead of testing less)."""
    before = kept_cached(held)
    failures = 0

    async def three_resyncs_answered() -> bool:
        nonlocal failures
        try:
            reply = await held.infer(matrix_request("iris", ROWS))
        except grpc.aio.AioRpcError:
            failures += 1
        else:
            assert reply.model_version == str(number)
        return kept_cached(held) >= before + 3

    await wait_until(three_resyncs_answered, "three resyncs against the dead registry", poll=0.02)
    assert failures == 0


async def test_not_ready_until_the_models_are_loaded(
    start_serving: StartServing, registry: Registry, iris_registered: list[int], tmp_path: Path
) -> None:
    async with start_serving(
        registry.address,
        deployments=["iris@production", "ghost@live"],
        wait_ready=False,
        cache_dir=tmp_path / "empty-cache",
    ) as serving:

        async def both_tried() -> bool:
            # iris loaded, and ghost's load tried and refused (its slot says why).
            index = await serving.stub.RepositoryIndex(
                pb.RepositoryIndexRequest(), metadata=serving.as_("admin")
            )
            states = {m.name.split("@")[0]: (m.version, m.reason) for m in index.models}
            return bool(states["iris"][0]) and bool(states["ghost"][1])

        await wait_until(both_tried, "iris to load and ghost to be refused")
        ready = await serving.stub.ServerReady(pb.ServerReadyRequest(), metadata=serving.as_())
        assert not ready.ready  # ghost@live does not exist
        assert (
            await serving.stub.ModelReady(pb.ModelReadyRequest(name="iris"), metadata=serving.as_())
        ).ready
        assert not (
            await serving.stub.ModelReady(
                pb.ModelReadyRequest(name="ghost"), metadata=serving.as_()
            )
        ).ready
        # Served here but not loaded: an outage a client retries, not a model that is missing.
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await serving.infer(matrix_request("ghost", ROWS))
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
        assert "not loaded yet" in (caught.value.details() or "")


@pytest.mark.slow  # kills a registry process
async def test_serving_keeps_answering_when_the_registry_process_is_killed(
    start_serving: StartServing,
    database_url: str,
    migrated_db: Database,
    tmp_path: Path,
    tokens_file: Path,
    tokens: dict[str, str],
    service_token_file: Path,
    iris_models: list[Trained],
) -> None:
    from slipway.registry.v1 import registry_service_pb2_grpc
    from support.processes import ServiceProcess

    child = ServiceProcess(
        "registry",
        tmp_path / "child-registry",
        database_url,
        tokens_file,
        "--artifact-dir",
        str(tmp_path / "child-artifacts"),
    )
    try:
        address = await asyncio.to_thread(child.wait_ready)
        async with grpc.aio.insecure_channel(address) as channel:
            registry = Registry(
                registry_service_pb2_grpc.RegistryServiceStub(channel),
                None,
                migrated_db,
                None,
                tokens,
                address,
            )  # type: ignore[arg-type]
            number = await register(
                registry, service_token_file, "iris", iris_models[0], alias="production"
            )
            async with start_serving(
                address, deployments=["iris@production"], resync_seconds=0.3
            ) as serving:
                await asyncio.to_thread(child.kill)  # SIGKILL: no goodbye to watchers
                await serving_through_outage(serving, number)
    finally:
        child.kill()
