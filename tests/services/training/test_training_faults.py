"""Training under faults: cancel and timeout of a long fit, a worker killed with SIGKILL, the
registry down during registration, and retried registration never making two versions."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import grpc
import pytest

from slipway.core.db import Database
from slipway.registry.v1 import model_version_pb2
from slipway.registry.v1 import registry_service_pb2 as registry_pb
from slipway.registry.v1 import registry_service_pb2_grpc as registry_pb_grpc
from slipway.training.v1 import training_job_pb2
from slipway.training.v1 import training_service_pb2 as pb
from support.processes import ServiceProcess
from support.registry import Registry
from support.training import (
    CANCELLED,
    FAILED,
    RUNNING,
    SUCCEEDED,
    StartTraining,
    Training,
    job,
    running_registry,
    slow_job,
)
from support.waiting import wait_until

FITTING = training_job_pb2.TRAINING_STAGE_FITTING
PENDING_VERSION = model_version_pb2.MODEL_VERSION_STATE_PENDING
READY_VERSION = model_version_pb2.MODEL_VERSION_STATE_READY
# How soon a cancel must stop the slow fit. The fit takes minutes, so a cancel that only took
# effect when the fit ended would take far longer; the bound leaves room for a loaded machine
# (two cores shared with other work), where a tight bound such as 2 s failed now and then.
CANCEL_SECONDS = 30.0


async def registered_versions(registry: Registry, model: str) -> list[str]:
    """The versions of ``model`` (none when the model was never created)."""
    try:
        return [v.name for v in await registry.list_versions(model)]
    except grpc.aio.AioRpcError as error:
        if error.code() != grpc.StatusCode.NOT_FOUND:
            raise
        return []


async def versions_of(
    stub: registry_pb_grpc.RegistryServiceStub, tokens: dict[str, str], model: str
) -> list[model_version_pb2.ModelVersion]:
    """Every version of ``model`` (none when the model was never created)."""
    try:
        reply = await stub.ListModelVersions(
            registry_pb.ListModelVersionsRequest(parent=model),
            metadata=(("authorization", f"Bearer {tokens['viewer']}"),),
            timeout=10,
        )
    except grpc.aio.AioRpcError as error:
        if error.code() != grpc.StatusCode.NOT_FOUND:
            raise
        return []
    return list(reply.model_versions)


def fit_pids(log_text: str) -> list[int]:
    """The fit processes a service started, from its JSON log."""
    pids = []
    for line in log_text.splitlines():
        with contextlib.suppress(ValueError):
            entry = json.loads(line)
            if entry.get("event") == "fit process started":
                pids.append(int(entry["pid"]))
    return pids


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


async def test_cancel_stops_a_running_fit_long_before_it_would_end(
    training: Training, registry: Registry
) -> None:
    created = await training.create(slow_job())
    # The fit has begun (its child reports the stage): a fit of minutes, cancelled in it.
    await training.wait_for(created.name, [RUNNING], stage=FITTING)
    started = time.monotonic()
    reply = await training.stub.CancelTrainingJob(
        pb.CancelTrainingJobRequest(name=created.name, reason="wrong dataset"),
        metadata=training.as_("developer"),
    )
    assert reply.training_job.state in (training_job_pb2.TRAINING_JOB_STATE_CANCELLING, CANCELLED)
    done = await training.wait_for(created.name, [CANCELLED], within=CANCEL_SECONDS)
    elapsed = time.monotonic() - started
    assert elapsed < CANCEL_SECONDS, f"cancel took {elapsed:.2f} s"
    assert done.cancel_reason == "wrong dataset"
    assert not done.model_version
    assert not await registered_versions(registry, "models/slow")  # nothing registered
    events = await registry.audit_events(resource=created.name)
    assert [e.action for e in events][-2:] == [
        "training.CancelTrainingJob",
        "training.CancelledTrainingJob",
    ]


async def test_cancel_from_another_process_is_seen_by_the_worker(
    start_training: StartTraining, registry: Registry
) -> None:
    async with (
        start_training(registry.address) as worker,
        start_training(registry.address, workers=0) as api_only,
    ):
        created = await worker.create(slow_job("models/slow2"))
        await worker.wait_for(created.name, [RUNNING], stage=FITTING)
        started = time.monotonic()
        await api_only.stub.CancelTrainingJob(
            pb.CancelTrainingJobRequest(name=created.name), metadata=api_only.as_("developer")
        )
        await api_only.wait_for(created.name, [CANCELLED], within=CANCEL_SECONDS)
        assert time.monotonic() - started < CANCEL_SECONDS


async def test_max_runtime_fails_the_job_with_timeout(training: Training) -> None:
    created = await training.create(slow_job("models/late", max_runtime=1.5))
    done = await training.finished(created.name, within=30)
    assert done.state == FAILED
    assert done.failure.category == training_job_pb2.FAILURE_CATEGORY_TIMEOUT
    assert "1.5 s" in done.failure.message


@pytest.mark.slow  # waits out heartbeat timeouts of killed workers
async def test_a_worker_killed_mid_fit_loses_the_job_to_another_worker(
    spawn: object,
    registry: Registry,
    start_training: StartTraining,
    service_token_file: Path,
    data_root: Path,
) -> None:
    spawned = await spawn(  # type: ignore[operator]
        "training",
        "--registry-target",
        registry.address,
        "--registry-token-file",
        str(service_token_file),
        "--data-root",
        str(data_root),
        "--heartbeat-seconds",
        "0.5",
        # Stale after 15 s: a loaded machine can starve the worker for several seconds (a 6 s
        # timeout lost the first attempt before the kill now and then), and the rescue waits
        # this long, so it is also the price of the test.
        "--heartbeat-timeout-seconds",
        "15",
        "--poll-seconds",
        "0.1",
    )
    async with start_training(registry.address, workers=0) as client:
        message = slow_job("models/phoenix")  # ~10 s of fit: long enough to kill it inside
        message.estimator.estimator.hyperparameters["n_estimators"].int_value = 1500
        created = await client.create(message)
        running = await client.wait_for(created.name, [RUNNING], stage=FITTING)
        assert running.attempt_count == 1
        orphans = fit_pids(spawned.log_text())
        assert orphans
        assert all(alive(pid) for pid in orphans)
        os.kill(spawned.process.pid, signal.SIGKILL)
        spawned.process.wait(timeout=10)

    # Another training service picks the job up once the heartbeat is stale.
    async with start_training(registry.address) as rescuer:
        done = await rescuer.finished(created.name, within=120)
        assert done.state == SUCCEEDED, done.failure
        assert done.attempt_count == 2
        versions = await registry.list_versions("models/phoenix")
        assert [v.name for v in versions] == [done.model_version]  # exactly one version
        events = await registry.audit_events(resource=created.name)
        actions = [e.action for e in events]
        assert actions.count("training.StartTrainingJob") == 2
        assert "training.RequeueTrainingJob" in actions
    # The orphaned fit of the killed worker noticed and exited (a loaded machine may take
    # a while to schedule it: the bound only ends a wait for a fit that never notices).
    await wait_until(
        lambda: not any(alive(pid) for pid in orphans), "the orphaned fit to exit", within=60
    )


@pytest.mark.slow  # waits out registration retries
async def test_registry_down_during_registration_then_back(
    start_training: StartTraining,
    migrated_db: Database,
    tmp_path: Path,
    tokens_file: Path,
    tokens: dict[str, str],
) -> None:
    # Learn a free port from a registry, stop it, and train against the silent port.
    async with running_registry(
        migrated_db, tmp_path / "r1", tokens_file, tokens, tmp_path / "artifacts"
    ) as first:
        address = first.address
    # Until the registry is back, a listener on its port hangs up on every connection, and
    # counts them: proof that registration really tried, and was refused, a few times.
    refused = 0

    async def hang_up(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal refused
        refused += 1
        writer.close()

    host, port = address.rsplit(":", 1)
    door = await asyncio.start_server(hang_up, host, int(port), reuse_address=True)
    async with start_training(address, registry_retry_seconds=60) as training:
        created = await training.create(job("models/patient"))
        registering = await training.wait_for(
            created.name, [RUNNING], stage=training_job_pb2.TRAINING_STAGE_REGISTERING
        )
        assert registering.progress.percent >= 95
        await wait_until(lambda: refused >= 3, "a few refused registration tries")
        assert (await training.get(created.name)).state == RUNNING
        door.close()
        await door.wait_closed()
        async with running_registry(
            migrated_db,
            tmp_path / "r2",
            tokens_file,
            tokens,
            tmp_path / "artifacts",
            grpc_address=address,
        ) as second:
            done = await training.finished(created.name, within=30)
            assert done.state == SUCCEEDED, done.failure
            versions = await second.list_versions("models/patient")
            assert [v.name for v in versions] == [done.model_version]


@pytest.mark.slow  # waits for the dead upload to miss two heartbeats
async def test_a_registry_killed_mid_registration_and_restarted_loses_nothing(
    spawn: Callable[..., Awaitable[ServiceProcess]],
    start_training: StartTraining,
    tmp_path: Path,
    tokens: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """kill -9 of the registry while a job uploads its version, back on the same port within
    seconds: an outage, not a rejection. The job's retry takes its own half-upload over and
    the job ends with exactly one version, READY."""
    from slipway.services.training.worker import registration

    artifacts = ("--artifact-dir", str(tmp_path / "artifacts"))
    first = await spawn("registry", *artifacts)
    address = first.address
    # The first upload stops after its first chunk (so the registry holds a half-upload
    # when it dies); the retries stream normally.
    uploading = asyncio.Event()
    upload_requests = registration._upload_requests

    async def held_once(*args: Any) -> AsyncIterator[Any]:
        async for request in upload_requests(*args):
            yield request
            if request.HasField("chunk") and not uploading.is_set():
                uploading.set()
                await asyncio.sleep(3600)  # ended by the broken connection

    monkeypatch.setattr(registration, "_upload_requests", held_once)
    async with (
        start_training(address, registry_retry_seconds=90) as training,
        grpc.aio.insecure_channel(address) as channel,
    ):
        stub = registry_pb_grpc.RegistryServiceStub(channel)
        created = await training.create(job("models/restarted"))
        await wait_until(uploading.is_set, "registration to be streaming", within=60)

        async def pending() -> bool:
            versions = await versions_of(stub, tokens, "models/restarted")
            return [v.state for v in versions] == [PENDING_VERSION]

        await wait_until(pending, "the registry to hold the half-upload")
        await asyncio.to_thread(first.kill)
        await asyncio.sleep(3)  # the restart the issue saw took 2-5 s
        await spawn("registry", *artifacts, "--grpc-address", address)
        done = await training.finished(created.name, within=90)
        assert done.state == SUCCEEDED, done.failure
        versions = await versions_of(stub, tokens, "models/restarted")
        assert [(v.name, v.state) for v in versions] == [(done.model_version, READY_VERSION)]
    token_file = tmp_path / "auditor.token"
    token_file.write_text(tokens["auditor"] + "\n")
    verify = ("audit", "verify", "--json", "--target", address, "--token-file", str(token_file))
    verified = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "slipway.cli.main", *verify],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr


@pytest.mark.slow  # waits out registration retries
async def test_registry_down_for_good_fails_with_a_retryable_reason(
    start_training: StartTraining,
    migrated_db: Database,
    tmp_path: Path,
    tokens_file: Path,
    tokens: dict[str, str],
) -> None:
    async with running_registry(
        migrated_db, tmp_path / "r1", tokens_file, tokens, tmp_path / "artifacts"
    ) as first:
        address = first.address
    async with start_training(address, registry_retry_seconds=2) as training:
        created = await training.create(job("models/lonely"))
        done = await training.finished(created.name, within=30)
        assert done.state == FAILED
        assert done.failure.category == training_job_pb2.FAILURE_CATEGORY_REGISTRY_UNAVAILABLE
        assert done.failure.retryable


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_registering_twice_after_a_crash_returns_the_same_version(
    training: Training,
    registry: Registry,
    tmp_path: Path,
    data_root: Path,
    service_token_file: Path,
) -> None:
    """What a worker does after it crashed between the registry's answer and recording it."""
    from slipway.core.peers import PeerTarget
    from slipway.services.training.domain.jobs import TrainingJobs
    from slipway.services.training.engine.run import train
    from slipway.services.training.engine.validation import validate
    from slipway.services.training.storage.repository import SqlJobRepository
    from slipway.services.training.worker.registration import Registrar

    created = await training.create(job("models/once"))
    done = await training.finished(created.name)
    assert done.state == SUCCEEDED, done.failure
    jobs = TrainingJobs(training.db, SqlJobRepository(), data_root=data_root, validator=validate)
    stored = jobs.get(created.name.split("/")[1])
    out = tmp_path / "again"
    out.mkdir()
    outcome = train(stored.spec, data_root=data_root, out_dir=out, progress=lambda p: None)
    # The same principal as the worker's (the idempotency key holds the caller).
    trainer_token = tmp_path / "trainer.token"
    trainer_token.write_text(registry.tokens["trainer"] + "\n")
    registrar = Registrar(
        PeerTarget(registry.address, trainer_token), retry_seconds=5, code_version="test"
    )

    async def no_new_key(n: int) -> str:
        raise AssertionError("the first upload succeeded; no new key is needed")

    async def nothing() -> None:
        return None

    again = await registrar.register(
        stored, outcome, out, new_key=no_new_key, between_tries=nothing
    )
    assert again == done.model_version
    assert [v.name for v in await registry.list_versions("models/once")] == [again]


@pytest.mark.slow  # waits out heartbeat timeouts of killed workers
async def test_a_job_that_keeps_losing_its_worker_fails_as_worker_lost(
    spawn: object,
    registry: Registry,
    start_training: StartTraining,
    service_token_file: Path,
    data_root: Path,
) -> None:
    spawned = await spawn(  # type: ignore[operator]
        "training",
        "--registry-target",
        registry.address,
        "--registry-token-file",
        str(service_token_file),
        "--data-root",
        str(data_root),
        "--heartbeat-seconds",
        "0.5",
        "--heartbeat-timeout-seconds",
        "6",
        "--poll-seconds",
        "0.1",
    )
    async with start_training(registry.address, workers=0) as client:
        created = await client.create(slow_job("models/unlucky"))
        await client.wait_for(created.name, [RUNNING], stage=FITTING)
        os.kill(spawned.process.pid, signal.SIGKILL)
        spawned.process.wait(timeout=10)
    # The reaper runs no job itself, so a short timeout cannot lose one of its own.
    async with start_training(
        registry.address, max_attempts=1, heartbeat_timeout_seconds=6.0
    ) as reaper:
        done = await reaper.finished(created.name, within=30)
        assert done.state == FAILED
        assert done.failure.category == training_job_pb2.FAILURE_CATEGORY_WORKER_LOST
        assert done.failure.retryable
        assert "stopped heartbeating" in done.failure.message
        assert not await registered_versions(registry, "models/unlucky")


@pytest.mark.slow  # waits out heartbeat timeouts of killed workers
async def test_a_stopped_service_gives_its_running_job_back_to_the_queue(
    spawn: object,
    registry: Registry,
    start_training: StartTraining,
    service_token_file: Path,
    data_root: Path,
) -> None:
    spawned = await spawn(  # type: ignore[operator]
        "training",
        "--registry-target",
        registry.address,
        "--registry-token-file",
        str(service_token_file),
        "--data-root",
        str(data_root),
        "--poll-seconds",
        "0.1",
    )
    async with start_training(registry.address, workers=0) as client:
        created = await client.create(slow_job("models/polite"))
        await client.wait_for(created.name, [RUNNING], stage=FITTING)
        assert await asyncio.to_thread(spawned.stop) == 0  # SIGTERM: drain and exit cleanly
        queued = await client.get(created.name)
        assert queued.state == training_job_pb2.TRAINING_JOB_STATE_QUEUED
        assert queued.attempt_count == 0  # the interrupted attempt is not held against it
        assert "stopped" in queued.progress.message
        orphans = fit_pids(spawned.log_text())
        assert orphans
        assert not any(alive(pid) for pid in orphans)
