"""Helpers of the serving tests: real versions (trained by the training engine, registered
through the registry's API), a client of a running serving process, request builders.

Every wait here is bounded in time.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
import numpy as np
import numpy.typing as npt

from slipway.core.db import Database
from slipway.core.peers import PeerTarget
from slipway.inference.v2 import grpc_service_pb2 as pb
from slipway.inference.v2 import grpc_service_pb2_grpc as pb_grpc
from slipway.ml.model_files import current_framework_versions, load_model
from slipway.registry.v1 import registry_service_pb2 as registry_pb
from slipway.services.serving import main as serving_main
from slipway.services.serving.settings import ServingSettings
from slipway.services.training.domain.entities import JobState, Progress, TrainingJob
from slipway.services.training.engine import spec as s
from slipway.services.training.engine.outcome import TrainingOutcome
from slipway.services.training.engine.run import train
from slipway.services.training.worker.registration import Registrar
from support.harness import auth, running_server, settings_for
from support.registry import Registry
from support.waiting import wait_until

WAIT_SECONDS = 30.0


def iris_spec(seed: int = 0, c: float = 1.0) -> s.JobSpec:
    return s.JobSpec(
        task="classification",
        estimator=s.Pipeline(
            (
                s.PipelineStep("scale", s.Estimator("StandardScaler")),
                s.PipelineStep(
                    "model", s.Estimator("LogisticRegression", {"C": c, "max_iter": 500})
                ),
            )
        ),
        dataset=s.DatasetSpec(bundled="iris"),
        split=s.SplitSpec(seed=seed, stratify=True),
    )


def fruit_spec() -> s.JobSpec:
    """A pipeline with a categorical input (see support.training.write_csv)."""
    columns = s.ColumnTransformer(
        (
            s.ColumnEntry(
                "numbers",
                s.Pipeline(
                    (
                        s.PipelineStep("impute", s.Estimator("SimpleImputer")),
                        s.PipelineStep("scale", s.Estimator("StandardScaler")),
                    )
                ),
                ("size", "weight"),
            ),
            s.ColumnEntry(
                "colour", s.Estimator("OneHotEncoder", {"handle_unknown": "ignore"}), ("colour",)
            ),
        )
    )
    return s.JobSpec(
        task="classification",
        estimator=s.Pipeline(
            (
                s.PipelineStep("prepare", columns),
                s.PipelineStep("model", s.Estimator("LogisticRegression")),
            )
        ),
        dataset=s.DatasetSpec(path="fruit.csv", target_column="label"),
    )


def _job(model_id: str, key: str) -> TrainingJob:
    now = datetime.now(UTC)
    return TrainingJob(
        job_id=key,
        model_id=model_id,
        spec=iris_spec(),
        max_runtime_seconds=60,
        alias_on_success="",
        trigger="MANUAL",
        trigger_source="",
        reason="test version",
        parent_version="",
        labels={},
        state=JobState.RUNNING,
        progress=Progress(),
        failure=None,
        attempt_count=1,
        worker="test",
        registration_key=key,
        created_by="developer-user",
        cancelled_by="",
        cancel_reason="",
        create_time=now,
        start_time=now,
        end_time=None,
        update_time=now,
        heartbeat_time=now,
        attempt_start_time=now,
        model_version="",
        metrics={},
        best_params={},
        revision=1,
    )


@dataclass
class Trained:
    outcome: TrainingOutcome
    folder: Path

    def model(self) -> Any:
        """The trained scikit-learn model, loaded like serving loads it."""
        return load_model(
            self.folder / self.outcome.model.filename,
            sha256=self.outcome.model.sha256,
            fmt="skops",
            framework_versions=current_framework_versions(),
        )


def train_locally(spec: s.JobSpec, folder: Path, data_root: Path) -> Trained:
    folder.mkdir(parents=True, exist_ok=True)
    return Trained(
        train(spec, data_root=data_root, out_dir=folder, progress=lambda p: None), folder
    )


async def register(
    registry: Registry,
    token_file: Path,
    model_id: str,
    trained: Trained,
    *,
    alias: str = "",
    key: str = "",
) -> int:
    """Registers ``trained`` as a new version of ``model_id``; returns its number."""
    registrar = Registrar(
        PeerTarget(registry.address, token_file), retry_seconds=5, code_version="test"
    )

    async def no_key(n: int) -> str:
        raise AssertionError("unexpected failed upload")

    async def nothing() -> None:
        return None

    name = await registrar.register(
        _job(model_id, key or f"{model_id}-{time.time_ns()}"),
        trained.outcome,
        trained.folder,
        new_key=no_key,
        between_tries=nothing,
    )
    number = int(name.rsplit("/", 1)[1])
    if alias:
        await set_alias(registry, model_id, alias, number)
    return number


async def set_alias(registry: Registry, model_id: str, alias: str, number: int) -> None:
    await registry.stub.SetModelAlias(
        registry_pb.SetModelAliasRequest(
            name=f"models/{model_id}", alias=alias, version_number=number, reason="test promotion"
        ),
        metadata=registry.as_("approver"),
    )


@dataclass
class Serving:
    stub: pb_grpc.GRPCInferenceServiceStub
    tokens: dict[str, str]
    address: str
    app: Any

    def as_(self, role: str = "service") -> tuple[tuple[str, str], ...]:
        return auth(self.tokens[role])

    async def infer(
        self, request: pb.ModelInferRequest, role: str = "service"
    ) -> pb.ModelInferResponse:
        reply: pb.ModelInferResponse = await self.stub.ModelInfer(
            request, metadata=self.as_(role), timeout=WAIT_SECONDS
        )
        return reply

    def collector(self, family: str) -> Any:
        """The app's collector of the metric family ``family`` (without ``_total``), found by
        name: the order of the collectors is not part of anything."""
        for collector in self.app.collectors:
            if any(found.name == family for found in collector.collect()):
                return collector
        raise LookupError(f"serving has no collector of {family}")

    async def wait_loaded(self, model: str, number: int, within: float = WAIT_SECONDS) -> None:
        """Wait until version ``number`` of ``model`` answers when asked for by number: loaded,
        as the deployed version or as a canary/shadow candidate."""

        async def answers() -> bool:
            try:
                await self.infer(matrix_request(model, np.zeros((1, 4)), version=str(number)))
            except grpc.aio.AioRpcError as error:
                if error.code() != grpc.StatusCode.NOT_FOUND:
                    raise
                return False
            return True

        await wait_until(answers, f"version {number} of {model} to load", within)

    async def wait_version(self, model: str, number: int, within: float = WAIT_SECONDS) -> None:
        async def switched() -> bool:
            reply = await self.infer(matrix_request(model, np.zeros((1, 4))))
            return bool(reply.model_version == str(number))

        await wait_until(switched, f"{model} to switch to version {number}", within)


def matrix_request(
    model: str,
    rows: npt.NDArray[Any],
    *,
    datatype: str = "FP64",
    raw: bool = False,
    outputs: tuple[str, ...] = (),
    version: str = "",
    request_id: str = "",
    name: str = "input-0",
) -> pb.ModelInferRequest:
    dtype = {"FP64": "<f8", "FP32": "<f4", "INT64": "<i8", "INT32": "<i4"}[datatype]
    array = np.ascontiguousarray(rows, dtype=dtype)
    request = pb.ModelInferRequest(model_name=model, model_version=version, id=request_id)
    tensor = request.inputs.add(name=name, datatype=datatype, shape=list(array.shape))
    if raw:
        request.raw_input_contents.append(array.tobytes())
    else:
        field = {
            "FP64": "fp64_contents",
            "FP32": "fp32_contents",
            "INT64": "int64_contents",
            "INT32": "int_contents",
        }[datatype]
        getattr(tensor.contents, field).extend(array.ravel().tolist())
    for output in outputs:
        request.outputs.add(name=output)
    return request


def output(reply: pb.ModelInferResponse, name: str) -> npt.NDArray[Any]:
    """An output of a reply as numpy, raw or typed."""
    for index, tensor in enumerate(reply.outputs):
        if tensor.name != name:
            continue
        dtype = {"FP64": "<f8", "INT64": "<i8", "FP32": "<f4", "BOOL": "?"}.get(tensor.datatype)
        if reply.raw_output_contents:
            raw = reply.raw_output_contents[index]
            if dtype is None:
                return np.array(_split(raw), dtype=object).reshape(tensor.shape)
            return np.frombuffer(raw, dtype=dtype).reshape(tensor.shape)
        if dtype is None:
            return np.array(
                [b.decode() for b in tensor.contents.bytes_contents], dtype=object
            ).reshape(tensor.shape)
        field = {
            "<f8": "fp64_contents",
            "<i8": "int64_contents",
            "<f4": "fp32_contents",
            "?": "bool_contents",
        }[dtype]
        return np.asarray(getattr(tensor.contents, field), dtype=dtype).reshape(tensor.shape)
    raise KeyError(name)


def _split(raw: bytes) -> list[str]:
    items, offset = [], 0
    while offset < len(raw):
        length = int.from_bytes(raw[offset : offset + 4], "little")
        items.append(raw[offset + 4 : offset + 4 + length].decode())
        offset += 4 + length
    return items


StartServing = Callable[..., contextlib.AbstractAsyncContextManager[Serving]]


@contextlib.asynccontextmanager
async def running_serving(
    db: Database,
    home: Path,
    tokens_file: Path,
    tokens: dict[str, str],
    registry_address: str,
    token_file: Path,
    *,
    wait_ready: bool = True,
    **overrides: Any,
) -> AsyncIterator[Serving]:
    await asyncio.to_thread(home.mkdir, parents=True, exist_ok=True)
    values: dict[str, Any] = {
        "tokens_file": tokens_file,
        "registry_target": registry_address,
        "registry_token_file": token_file,
        "load_retry_seconds": 0.5,
    }
    values.update(overrides)
    settings = settings_for(ServingSettings, home, **values)
    app = serving_main.build(settings, db)
    async with (
        running_server(settings, app.services, serving=False) as server,
        grpc.aio.insecure_channel(server.grpc_address) as channel,
    ):
        starting = asyncio.create_task(app.on_ready())
        try:
            if wait_ready:
                await asyncio.wait_for(asyncio.shield(starting), WAIT_SECONDS)
            yield Serving(
                pb_grpc.GRPCInferenceServiceStub(channel), tokens, server.grpc_address, app
            )
        finally:
            starting.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await starting
            await app.on_stopping()
