"""What serving refuses to trust: a cached file that no longer hashes to its name, a download
whose bytes are not the ones the registry recorded, and a version that cannot answer its own
reference rows."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import numpy as np
import pytest
from sklearn.datasets import load_iris

from slipway.core.errors import UnavailableError
from slipway.core.reasons import Reason
from slipway.inference.v2 import grpc_service_pb2 as pb
from slipway.ml.artifact_cache import ArtifactCache, download
from slipway.ml.profiles import read_sample, write_sample
from slipway.registry.v1 import artifact_pb2
from slipway.registry.v1 import registry_service_pb2 as registry_pb
from slipway.registry.v1 import registry_service_pb2_grpc as registry_grpc
from support.registry import Registry
from support.serving import (
    StartServing,
    Trained,
    iris_spec,
    matrix_request,
    output,
    register,
    set_alias,
    train_locally,
)
from support.waiting import wait_until

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

ROWS = load_iris().data[::7]


def _cached_files(cache_dir: Path) -> list[Path]:
    return sorted(p for p in (cache_dir / "sha256").rglob("*") if p.is_file())


@SQLITE
async def test_a_corrupted_cached_file_is_deleted_and_fetched_again(
    start_serving: StartServing,
    registry: Registry,
    iris_registered: list[int],
    iris_models: list[Trained],
    tmp_path: Path,
) -> None:
    cache_dir = tmp_path / "serving-cache"
    async with start_serving(registry.address, deployments=["iris@production"]) as first:
        assert (await first.infer(matrix_request("iris", ROWS))).model_version == "1"
    model_file = next(
        p for p in _cached_files(cache_dir) if p.name == iris_models[0].outcome.model.sha256
    )
    damaged = bytearray(model_file.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    model_file.write_bytes(bytes(damaged))

    async with start_serving(registry.address, deployments=["iris@production"]) as restarted:
        reply = await restarted.infer(matrix_request("iris", ROWS))
        assert reply.model_version == "1"
        assert np.array_equal(output(reply, "predict"), iris_models[0].model().predict(ROWS))
    # The damaged copy was replaced by a verified one.
    assert hashlib.sha256(model_file.read_bytes()).hexdigest() == model_file.name


class _WrongBytesRegistry(registry_grpc.RegistryServiceServicer):
    """Answers every download with bytes other than the ones recorded."""

    async def DownloadModelVersion(
        self, request: registry_pb.DownloadModelVersionRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[registry_pb.DownloadModelVersionResponse]:
        for _ in range(3):
            yield registry_pb.DownloadModelVersionResponse(chunk=b"not the model" * 1000)


async def test_a_download_whose_bytes_do_not_match_is_refused(tmp_path: Path) -> None:
    server = grpc.aio.server()
    registry_grpc.add_RegistryServiceServicer_to_server(_WrongBytesRegistry(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    cache = ArtifactCache(tmp_path / "cache")
    recorded = hashlib.sha256(b"the model the registry recorded").hexdigest()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            with pytest.raises(UnavailableError) as refused:
                await download(
                    cache,
                    registry_grpc.RegistryServiceStub(channel),
                    "models/iris/versions/1",
                    artifact_pb2.ARTIFACT_KIND_MODEL,
                    recorded,
                    metadata=(),
                    deadline=30,
                )
    finally:
        await server.stop(None)
    assert refused.value.reason == Reason.ARTIFACT_CORRUPT
    assert cache.path(recorded) is None
    assert _cached_files(tmp_path / "cache") == []
    assert not [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]  # no partial left


@SQLITE
async def test_a_version_that_fails_its_smoke_test_is_never_switched_to(
    start_serving: StartServing,
    registry: Registry,
    iris_registered: list[int],
    service_token_file: Path,
    tmp_path: Path,
    data_root: Path,
) -> None:
    # A version that loads (a real, intact model) but whose reference rows it cannot answer:
    # its sample holds only missing values, which the model cannot predict on.
    trained = train_locally(iris_spec(seed=5), tmp_path / "unanswerable", data_root)
    sample = trained.folder / trained.outcome.sample.filename
    columns, target = read_sample(sample)
    write_sample(sample, {name: np.full(len(v), np.nan) for name, v in columns.items()}, target)
    digest = hashlib.sha256(sample.read_bytes()).hexdigest()
    outcome = dataclasses.replace(
        trained.outcome,
        sample=dataclasses.replace(
            trained.outcome.sample, sha256=digest, size_bytes=sample.stat().st_size
        ),
    )
    broken = await register(
        registry, service_token_file, "iris", dataclasses.replace(trained, outcome=outcome)
    )
    async with start_serving(
        registry.address, deployments=["iris@production"], resync_seconds=0.2
    ) as serving:
        assert (await serving.infer(matrix_request("iris", ROWS))).model_version == "1"
        await set_alias(registry, "iris", "production", broken)

        async def refused() -> str:
            index = await serving.stub.RepositoryIndex(
                pb.RepositoryIndexRequest(), metadata=serving.as_("admin")
            )
            return index.models[0].reason

        reason = await wait_until(refused, "serving to try the version and refuse it")
        assert "reference rows" in reason
        for _ in range(5):
            reply = await serving.infer(matrix_request("iris", ROWS))
            assert reply.model_version == "1"  # still the old one
