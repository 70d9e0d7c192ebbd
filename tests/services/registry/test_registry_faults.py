"""Faults with real processes, on SQLite and PostgreSQL: a client or a registry SIGKILLed in the
middle of an upload leaves no READY version and no visible artifact; an artifact damaged on disk
is caught when it is downloaded or loaded."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import grpc
import pytest

from slipway.ml.artifacts import ArtifactCorruptError
from slipway.ml.model_files import current_framework_versions, load_model
from slipway.registry.v1 import model_version_pb2
from slipway.registry.v1 import registry_service_pb2 as pb
from slipway.registry.v1 import registry_service_pb2_grpc as pb_grpc
from support.probe import rich_details
from support.registry import (
    PENDING,
    READY,
    SQLITE_ONLY,
    WAIT_SECONDS,
    model_bytes,
    sha256,
    upload_requests,
    version_spec,
    wait_until,
)

SLOW_UPLOAD = Path(__file__).resolve().parents[2] / "support" / "slow_upload.py"


async def collect(call, into: list) -> None:
    """Read a server stream into ``into`` until it ends (or fails)."""
    async for reply in call:
        into.append(reply)


async def test_a_client_killed_mid_upload_leaves_a_failed_version_and_no_artifact(
    registry, tmp_path
):
    await registry.create_model("churn")
    model_file = tmp_path / "model.skops"
    model_file.write_bytes(model_bytes())
    client = await asyncio.create_subprocess_exec(
        sys.executable,
        str(SLOW_UPLOAD),
        registry.address,
        registry.tokens["developer"],
        "models/churn",
        str(model_file),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:

        async def receiving() -> bool:
            versions = await registry.list_versions("models/churn")
            return [v.state for v in versions] == [PENDING] and bool(registry.store()[1])

        await wait_until(receiving, "the server to receive the first chunk")
    finally:
        client.send_signal(signal.SIGKILL)
        await asyncio.wait_for(client.wait(), WAIT_SECONDS)

    async def failed() -> list:
        return await registry.list_versions("models/churn", filter="state = FAILED")

    [version] = await wait_until(failed, "the interrupted upload to be marked FAILED")
    # The server sees the call cancelled or, at times, the stream ended early: then the partial
    # bytes fail the SHA-256 check. Either way nothing partial becomes READY.
    assert (
        "cancelled" in version.state_message
        or "not to the declared sha256" in version.state_message
    ), version.state_message
    assert registry.store() == (set(), [])
    assert await registry.list_versions("models/churn", filter="state = READY") == []


@pytest.mark.slow
async def test_a_registry_killed_mid_upload_leaves_pending_until_a_restarted_sweeper_fails_it(
    registry, spawn_registry, start_registry
):
    await registry.create_model("churn")
    first = await spawn_registry("--upload-lease-seconds", "2")
    gate = asyncio.Event()  # never opened before the kill: the upload stays in flight
    data = model_bytes()
    async with grpc.aio.insecure_channel(first.address) as channel:
        upload = asyncio.ensure_future(
            pb_grpc.RegistryServiceStub(channel).CreateModelVersion(
                upload_requests("models/churn", data, version_spec(data), gate=gate),
                metadata=registry.as_("developer"),
                timeout=WAIT_SECONDS,
            )
        )

        async def receiving() -> bool:
            versions = await registry.list_versions("models/churn")
            return [v.state for v in versions] == [PENDING] and bool(registry.store()[1])

        await wait_until(receiving, "the first registry to receive the first chunk")
        await asyncio.to_thread(first.kill)
        with pytest.raises(grpc.aio.AioRpcError) as cut:
            await upload
        assert cut.value.code() == grpc.StatusCode.UNAVAILABLE
        gate.set()

    # Nobody is left to finish or fail it: PENDING, with only an invisible part file behind.
    [version] = await registry.list_versions("models/churn")
    assert version.state == PENDING
    committed, parts = registry.store()
    assert committed == set()
    assert len(parts) == 1

    # Restarted the way `slipway registry` starts (same build and start-up hook, so the same
    # sweeper), on the same database and artifact store.
    async with start_registry(sweep=True, upload_lease_seconds=2):

        async def swept() -> list:
            return await registry.list_versions("models/churn", filter="state = FAILED")

        [version] = await wait_until(swept, "the restarted registry's sweeper")
        assert "interrupted" in version.state_message

        async def part_removed() -> bool:
            return registry.store() == (set(), [])

        await wait_until(part_removed, "the part file to be cleaned up")
    assert await registry.list_versions("models/churn", filter="state = READY") == []
    [sweep] = await registry.audit_events(
        action="registry.CreateModelVersion", resource=version.name, principal="registry"
    )
    assert '"FAILED"' in sweep.payload_json


@pytest.mark.slow
async def test_a_retry_takes_over_the_upload_a_killed_registry_left_pending(
    spawn_registry, start_registry
):
    """The same principal retrying the same request_id takes its own stale upload over: one
    version, READY, instead of a FAILED one after the lease and a second one."""
    first = await spawn_registry("--upload-lease-seconds", "4")
    gate = asyncio.Event()  # never opened before the kill: the upload stays in flight
    data = model_bytes()
    async with start_registry(upload_lease_seconds=4) as registry:
        await registry.create_model("churn")
        async with grpc.aio.insecure_channel(first.address) as channel:
            upload = asyncio.ensure_future(
                pb_grpc.RegistryServiceStub(channel).CreateModelVersion(
                    upload_requests(
                        "models/churn", data, version_spec(data), request_id="job-1", gate=gate
                    ),
                    metadata=registry.as_("developer"),
                    timeout=WAIT_SECONDS,
                )
            )

            async def receiving() -> bool:
                versions = await registry.list_versions("models/churn")
                return [v.state for v in versions] == [PENDING] and bool(registry.store()[1])

            await wait_until(receiving, "the first registry to receive the first chunk")
            await asyncio.to_thread(first.kill)
            with pytest.raises(grpc.aio.AioRpcError):
                await upload
            gate.set()

        # At once, the row may still look alive (a heartbeat of the dead upload is recent):
        # the retry is told to wait. Once two heartbeats are missed, it takes the upload over.
        refusals: list[str] = []

        async def retried() -> model_version_pb2.ModelVersion | None:
            try:
                return await registry.upload("models/churn", data, request_id="job-1")
            except grpc.aio.AioRpcError as error:
                refusals.append(rich_details(error)["error_info"].reason)
                return None

        version = await wait_until(retried, "the retry to take the upload over")
        assert set(refusals) <= {"UPLOAD_IN_PROGRESS"}
        assert (version.name, version.state) == ("models/churn/versions/1", READY)
        assert [(v.name, v.state) for v in await registry.list_versions("models/churn")] == [
            ("models/churn/versions/1", READY)
        ]
        # The replay is answered with the same version, and its bytes are whole.
        assert await registry.upload("models/churn", data, request_id="job-1") == version
        _, downloaded = await registry.download(version.name)
        assert downloaded == data
        events = await registry.audit_events(
            action="registry.CreateModelVersion", resource=version.name
        )
        states = [json.loads(e.payload_json) for e in events if '"state"' in e.payload_json]
        assert [(p["state"], "upload" in p) for p in states] == [
            ("PENDING", False),
            ("PENDING", True),  # taken over
            ("READY", False),
        ]


@SQLITE_ONLY
async def test_a_corrupted_artifact_is_detected_on_download_and_on_load(registry):
    await registry.create_model("churn")
    version = await registry.ready_version("churn")
    digest = version.artifact.sha256
    path = registry.artifact_dir / "sha256" / digest[:2] / digest
    assert stat.S_IMODE(path.stat().st_mode) == 0o444  # stored read-only
    damaged = bytearray(path.read_bytes())
    damaged[len(damaged) // 2] ^= 0x01
    os.chmod(path, 0o644)
    path.write_bytes(bytes(damaged))
    os.chmod(path, 0o444)

    replies: list[pb.DownloadModelVersionResponse] = []
    with pytest.raises(grpc.aio.AioRpcError) as corrupt:
        await collect(
            registry.stub.DownloadModelVersion(
                pb.DownloadModelVersionRequest(name="models/churn/versions/1"),
                metadata=registry.as_("viewer"),
                timeout=WAIT_SECONDS,
            ),
            replies,
        )
    assert corrupt.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert rich_details(corrupt.value)["error_info"].reason == "ARTIFACT_CORRUPT"
    header, *chunks = replies
    assert header.header.artifact.sha256 == digest  # sent first, before the bytes
    assert chunks
    # The client's own check fails too.
    assert sha256(b"".join(c.chunk for c in chunks)) != header.header.artifact.sha256
    with pytest.raises(ArtifactCorruptError):
        load_model(
            path, sha256=digest, fmt="skops", framework_versions=current_framework_versions()
        )

    # Uploading the same content again stores a fresh, whole copy under the same name.
    again = await registry.ready_version("churn")
    assert (again.version_number, again.artifact.sha256) == (2, digest)
    _, repaired = await registry.download("models/churn/versions/1")
    assert repaired == model_bytes()
    assert (await registry.get_version("models/churn/versions/1")).state == READY


async def paced(requests, pause: float):
    async for request in requests:
        yield request
        await asyncio.sleep(pause)


# What the sweeper and the heartbeat write is the same on both databases; one is enough here.
@pytest.mark.slow
@SQLITE_ONLY
async def test_a_live_upload_longer_than_the_lease_is_not_swept(start_registry):
    async with start_registry(sweep=True, upload_lease_seconds=2) as registry:
        await registry.create_model("churn")
        data = model_bytes()
        loop = asyncio.get_running_loop()
        started = loop.time()
        # Six messages 0.55 s apart: sweeps (every second) come while the upload is older than
        # the lease. Chunks of 2 kB keep its part file's mtime fresh too (the store's
        # cleanup of part files goes by mtime, and a 4 kB write buffer delays it).
        reply = await registry.stub.CreateModelVersion(
            paced(upload_requests("models/churn", data, version_spec(data), chunk_size=2048), 0.55),
            metadata=registry.as_("developer"),
            timeout=WAIT_SECONDS,
        )
        assert loop.time() - started > 3.0
    assert reply.model_version.state == READY
