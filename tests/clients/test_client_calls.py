"""The client's call machinery against a scripted registry: retries (only on UNAVAILABLE, only
for idempotent calls, with the same idempotency key, never past the attempt limit or the
deadline), deadlines, rich errors, resumed event streams and checked downloads; blocking and
asyncio."""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from slipway import client
from slipway.client import aio
from slipway.registry.v1 import artifact_pb2, model_event_pb2, model_pb2
from slipway.registry.v1 import registry_service_pb2 as pb
from slipway.registry.v1 import registry_service_pb2_grpc as pb_grpc

FAST = client.RetryPolicy(max_attempts=5, initial_backoff=0.01, max_backoff=0.05)
TOKEN = "secret-token"
# How late a client may end a call past its deadline on a loaded machine; far below what
# ignoring the deadline would take (the server holds calls for 30 s, retries go on for minutes).
DEADLINE_SLACK = 10.0


@dataclass
class ScriptedRegistry(pb_grpc.RegistryServiceServicer):
    """Fails the first ``failures`` calls of each method with ``code``, then answers."""

    failures: int = 2
    code: grpc.StatusCode = grpc.StatusCode.UNAVAILABLE
    calls: dict[str, list[tuple[Any, dict[str, str]]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    release: threading.Event = field(default_factory=threading.Event)
    """Lets go of the GetModelVersion calls it holds (set when the server stops)."""

    def _attempt(self, method: str, request: Any, context: grpc.ServicerContext) -> int:
        with self.lock:
            seen = self.calls.setdefault(method, [])
            seen.append((request, {k: str(v) for k, v in context.invocation_metadata()}))
            count = len(seen)
        if count <= self.failures:
            context.abort(self.code, f"attempt {count} fails")
        return count

    def GetModel(
        self, request: pb.GetModelRequest, context: grpc.ServicerContext
    ) -> pb.GetModelResponse:
        self._attempt("GetModel", request, context)
        return pb.GetModelResponse(model=model_pb2.Model(name=request.name))

    def CreateModel(
        self, request: pb.CreateModelRequest, context: grpc.ServicerContext
    ) -> pb.CreateModelResponse:
        self._attempt("CreateModel", request, context)
        return pb.CreateModelResponse(model=model_pb2.Model(name=f"models/{request.model_id}"))

    def GetModelVersion(
        self, request: pb.GetModelVersionRequest, context: grpc.ServicerContext
    ) -> pb.GetModelVersionResponse:
        # Held until the test ends (at most 30 s): a deadline must end the call while the
        # server still holds it, however slow the machine is.
        self.release.wait(30.0)
        return pb.GetModelVersionResponse()

    def UpdateModel(
        self, request: pb.UpdateModelRequest, context: grpc.ServicerContext
    ) -> pb.UpdateModelResponse:
        info = any_pb2.Any()
        info.Pack(
            error_details_pb2.ErrorInfo(
                reason="INVALID_UPDATE_MASK",
                domain="registry.slipway",
                metadata={"request_id": "req-7"},
            )
        )
        bad = any_pb2.Any()
        bad.Pack(
            error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(
                        field="update_mask", description="unknown path color"
                    )
                ]
            )
        )
        context.abort_with_status(
            rpc_status.to_status(
                status_pb2.Status(
                    code=code_pb2.INVALID_ARGUMENT,
                    message="update_mask: unknown path color",
                    details=[info, bad],
                )
            )
        )
        raise AssertionError("abort_with_status returns only by raising")

    def ListModels(
        self, request: pb.ListModelsRequest, context: grpc.ServicerContext
    ) -> pb.ListModelsResponse:
        self._attempt("ListModels", request, context)
        start = int(request.page_token or 0)
        names = [f"models/m{i}" for i in range(start, min(start + request.page_size, 5))]
        following = start + request.page_size
        return pb.ListModelsResponse(
            models=[model_pb2.Model(name=n) for n in names],
            next_page_token=str(following) if following < 5 else "",
        )

    def WatchModelEvents(
        self, request: pb.WatchModelEventsRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.WatchModelEventsResponse]:
        """Events 1 and 2 then a broken stream; resumed after 2, event 3 and the end."""
        count = self._attempt("WatchModelEvents", request, context)
        first = request.after_sequence + 1 if request.HasField("after_sequence") else 1
        for sequence in range(first, 4):
            yield pb.WatchModelEventsResponse(
                event=model_event_pb2.ModelEvent(
                    sequence=sequence, type=model_event_pb2.MODEL_EVENT_TYPE_MODEL_CREATED
                )
            )
            if count == self.failures + 1 and sequence == 2:
                context.abort(grpc.StatusCode.UNAVAILABLE, "the registry restarts")

    def DownloadModelVersion(
        self, request: pb.DownloadModelVersionRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.DownloadModelVersionResponse]:
        """Declares the digest of b"model" and sends b"model" or, for `.../2`, b"modem"."""
        yield pb.DownloadModelVersionResponse(
            header=pb.DownloadHeader(
                model_version=request.name,
                artifact=artifact_pb2.Artifact(
                    sha256=hashlib.sha256(b"model").hexdigest(), size_bytes=5
                ),
            )
        )
        data = b"modem" if request.name.endswith("/2") else b"model"
        for offset in range(0, 5, 2):
            yield pb.DownloadModelVersionResponse(chunk=data[offset : offset + 2])

    def attempts(self, method: str) -> int:
        return len(self.calls.get(method, []))


@pytest.fixture
def scripted() -> Iterator[tuple[ScriptedRegistry, str]]:
    servicer = ScriptedRegistry()
    server = grpc.server(ThreadPoolExecutor(max_workers=8))
    pb_grpc.add_RegistryServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield servicer, f"127.0.0.1:{port}"
    finally:
        servicer.release.set()
        server.stop(0)


def test_a_read_is_retried_on_unavailable_until_it_succeeds(scripted):
    servicer, target = scripted
    with client.connect(target, token=TOKEN, retry=FAST) as suite:
        model = suite.registry.get_model("churn")
    assert model.name == "models/churn"
    assert servicer.attempts("GetModel") == 3
    for _, metadata in servicer.calls["GetModel"]:
        assert metadata["authorization"] == f"Bearer {TOKEN}"


def test_a_mutation_is_retried_with_one_idempotency_key(scripted):
    servicer, target = scripted
    with client.connect(target, token=TOKEN, retry=FAST) as suite:
        suite.registry.create_model("churn")
        keys = {request.request_id for request, _ in servicer.calls["CreateModel"]}
        headers = {metadata["x-request-id"] for _, metadata in servicer.calls["CreateModel"]}
        assert servicer.attempts("CreateModel") == 3
        assert len(keys) == 1
        assert headers == keys
        (key,) = keys
        assert len(key) == 32
        int(key, 16)

        suite.registry.create_model("fraud", request_id="my-key")  # passes at once now
        assert servicer.calls["CreateModel"][-1][0].request_id == "my-key"


def test_a_mutation_without_an_idempotency_key_is_not_retried(scripted):
    servicer, target = scripted
    with client.connect(target, retry=FAST) as suite, pytest.raises(client.Unavailable) as error:
        suite.registry.create_model("churn", request_id="")
    assert servicer.attempts("CreateModel") == 1
    assert servicer.calls["CreateModel"][0][0].request_id == ""
    assert error.value.code == grpc.StatusCode.UNAVAILABLE
    assert "attempt 1 fails" in str(error.value)


def test_other_codes_are_not_retried(scripted):
    servicer, target = scripted
    servicer.code = grpc.StatusCode.INTERNAL
    with client.connect(target, retry=FAST) as suite, pytest.raises(client.Internal):
        suite.registry.get_model("churn")
    assert servicer.attempts("GetModel") == 1


def test_retries_stop_after_the_last_attempt(scripted):
    servicer, target = scripted
    servicer.failures = 100
    policy = client.RetryPolicy(max_attempts=4, initial_backoff=0.01, max_backoff=0.02)
    with client.connect(target, retry=policy) as suite, pytest.raises(client.Unavailable):
        suite.registry.get_model("churn")
    assert servicer.attempts("GetModel") == 4

    with client.connect(target, retry=client.NO_RETRY) as suite, pytest.raises(client.Unavailable):
        suite.registry.get_model("churn")
    assert servicer.attempts("GetModel") == 5


def test_retries_never_outlast_the_deadline(scripted):
    servicer, target = scripted
    servicer.failures = 1000
    policy = client.RetryPolicy(max_attempts=1000, initial_backoff=0.2, multiplier=1.0, jitter=0.0)
    started = time.monotonic()
    with (
        client.connect(target, retry=policy, timeout=1.0) as suite,
        pytest.raises(client.Unavailable),
    ):
        suite.registry.get_model("churn")
    # Retries that ignored the deadline would go on for minutes (1000 attempts 0.2 s apart);
    # the bound leaves a loaded machine room to be late. Every 0.2 s within 1 s is at most
    # 6 attempts; a slow machine may fit fewer, but it does retry.
    assert time.monotonic() - started < DEADLINE_SLACK
    assert 2 <= servicer.attempts("GetModel") <= 6


def test_every_call_has_a_deadline(scripted):
    _, target = scripted
    with client.connect(target, timeout=0.3) as suite:
        started = time.monotonic()
        with pytest.raises(client.DeadlineExceeded) as error:
            suite.registry.get_version("models/churn/versions/1")  # held by the server
        assert time.monotonic() - started < DEADLINE_SLACK
        assert error.value.code == grpc.StatusCode.DEADLINE_EXCEEDED
        with pytest.raises(client.DeadlineExceeded):  # a call's own timeout wins
            suite.registry.get_version("models/churn/versions/1", timeout=0.1)


def test_errors_carry_the_reason_metadata_and_field_violations(scripted):
    _, target = scripted
    with client.connect(target) as suite, pytest.raises(client.InvalidArgument) as error:
        suite.registry.update_model(model_pb2.Model(name="models/churn"), ["color"])
    failure = error.value
    assert isinstance(failure, client.SlipwayError)
    assert failure.code == grpc.StatusCode.INVALID_ARGUMENT
    assert failure.reason == "INVALID_UPDATE_MASK"
    assert failure.domain == "registry.slipway"
    assert failure.request_id == "req-7"
    assert failure.field_violations == (client.FieldViolation("update_mask", "unknown path color"),)
    assert str(failure) == (
        "INVALID_ARGUMENT (INVALID_UPDATE_MASK): update_mask: unknown path color [request req-7]"
    )
    assert isinstance(failure.__cause__, grpc.RpcError)


def test_list_iterators_follow_every_page(scripted):
    servicer, target = scripted
    servicer.failures = 0
    with client.connect(target) as suite:
        names = [m.name for m in suite.registry.list_models(page_size=2)]
    assert names == [f"models/m{i}" for i in range(5)]
    assert [r.page_token for r, _ in servicer.calls["ListModels"]] == ["", "2", "4"]


def test_an_event_stream_resumes_after_the_last_event(scripted):
    servicer, target = scripted
    servicer.failures = 0
    with client.connect(target, retry=FAST) as suite:
        events = list(suite.registry.watch_events(after_sequence=0, timeout=10))
    assert [e.sequence for e in events] == [1, 2, 3]
    requests = [r for r, _ in servicer.calls["WatchModelEvents"]]
    assert [r.after_sequence for r in requests] == [0, 2]


def test_a_download_that_does_not_match_its_sha256_leaves_no_file(scripted, tmp_path: Path):
    _, target = scripted
    with client.connect(target) as suite:
        header = suite.registry.download("models/churn/versions/1", tmp_path / "ok.skops")
        assert (tmp_path / "ok.skops").read_bytes() == b"model"
        assert header.artifact.size_bytes == 5
        with pytest.raises(client.DataLoss) as error:
            suite.registry.download("models/churn/versions/2", tmp_path / "bad.skops")
    assert error.value.reason == "ARTIFACT_CHECKSUM_MISMATCH"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ok.skops"]


async def test_asyncio_clients_retry_and_raise_the_same_way(scripted, tmp_path: Path):
    servicer, target = scripted
    async with aio.connect(target, token=TOKEN, retry=FAST) as suite:
        assert (await suite.registry.get_model("churn")).name == "models/churn"
        assert servicer.attempts("GetModel") == 3
        await suite.registry.create_model("churn")
        assert len({r.request_id for r, _ in servicer.calls["CreateModel"]}) == 1
        assert servicer.attempts("CreateModel") == 3
        servicer.failures = 1000
        with pytest.raises(client.Unavailable):
            await suite.registry.create_model("fraud", request_id="")
        assert servicer.attempts("CreateModel") == 4
        servicer.failures = 0
        servicer.calls.clear()
        names = [m.name async for m in suite.registry.list_models(page_size=2)]
        assert names == [f"models/m{i}" for i in range(5)]
        with pytest.raises(client.DeadlineExceeded):
            await suite.registry.get_version("models/churn/versions/1", timeout=0.2)
        with pytest.raises(client.DataLoss):
            await suite.registry.download("models/churn/versions/2", tmp_path / "bad")
    assert not await asyncio.to_thread(lambda: list(tmp_path.iterdir()))
