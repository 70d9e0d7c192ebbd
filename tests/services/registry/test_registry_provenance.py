"""Who vouches for a version and who may send traffic to it, through real servers.

A version's lineage is set by the server: a training job is linked as its producer only when the
training service registers it while that job's own record says it is registering this model;
anything else is kept as the uploader's claim, marked self-reported, with the uploader as
``created_by``. Every alias serving routes live traffic to (``production``, and the
``challenger`` of canaries and shadows) needs an approver; the services' narrow roles read what
their peers need and move no alias but their verified job's own.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path

import grpc
import pytest

from slipway.cli.lineage_render import to_markdown
from slipway.core.db import Database
from slipway.lineage.v1 import lineage_service_pb2
from slipway.registry.v1 import lineage_pb2
from slipway.registry.v1 import registry_service_pb2 as pb
from slipway.services.training.domain.entities import Progress
from slipway.services.training.domain.jobs import TrainingJobs
from slipway.services.training.storage.repository import SqlJobRepository
from support.registry import Registry, error_reason, model_bytes, version_spec
from support.training import SUCCEEDED, StartTraining, job

StartRegistry = Callable[..., contextlib.AbstractAsyncContextManager[Registry]]
VERIFIED = lineage_pb2.LINEAGE_PROVENANCE_VERIFIED
SELF_REPORTED = lineage_pb2.LINEAGE_PROVENANCE_SELF_REPORTED
WAIT_SECONDS = 120.0


async def _report(registry: Registry, name: str) -> lineage_service_pb2.GetLineageReportResponse:
    assert registry.lineage is not None
    return await registry.lineage.GetLineageReport(
        lineage_service_pb2.GetLineageReportRequest(name=name),
        metadata=registry.as_("auditor"),
        timeout=30,
    )


async def _set_alias(
    registry: Registry, role: str, alias: str, number: int, reason: str = "", model: str = "m"
) -> pb.SetModelAliasResponse:
    return await registry.stub.SetModelAlias(
        pb.SetModelAliasRequest(
            name=f"models/{model}", alias=alias, version_number=number, reason=reason
        ),
        metadata=registry.as_(role),
        timeout=30,
    )


async def _refusal(call: object) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await call  # type: ignore[misc]
    return refused.value.code(), error_reason(refused.value)


async def test_a_copied_lineage_is_self_reported_and_a_trained_version_is_verified(
    registry: Registry, start_training: StartTraining
) -> None:
    async with start_training(registry.address) as training:
        created = await training.create(job("models/wine", reason="first wine model"))
        trained = await training.finished(created.name, within=WAIT_SECONDS)
        assert trained.state == SUCCEEDED, trained.failure

        # The developer copies the trained version's lineage onto a dummy model and claims
        # someone else asked for it.
        real = await registry.get_version(trained.model_version)
        claimed = lineage_pb2.Lineage()
        claimed.CopyFrom(real.lineage)
        claimed.created_by = "approver-user"
        claimed.provenance = VERIFIED  # output only: ignored
        data = model_bytes(seed=5)
        dummy = await registry.upload(
            "models/wine", data, spec=version_spec(data, lineage=claimed), role="developer"
        )
        # A training token does not help either once the job is no longer registering.
        late = await registry.upload(
            "models/wine", data, spec=version_spec(data, lineage=claimed), role="trainer"
        )

        real_report = (await _report(registry, real.name)).report
        dummy_report = (await _report(registry, dummy.name)).report

    assert real.created_by == "trainer-user"
    assert real.lineage.training_job == created.name
    assert real.lineage.created_by == "developer-user"  # the job's creator, from its record
    assert real.lineage.provenance == VERIFIED
    assert real_report.training_job.name == created.name
    assert not [w for w in real_report.warnings if "self-reported" in w]
    assert "self-reported" not in to_markdown(real_report)

    assert dummy.created_by == "developer-user"
    assert dummy.lineage.created_by == "developer-user"  # not the claimed approver-user
    assert dummy.lineage.provenance == SELF_REPORTED
    assert dummy.lineage.training_job == created.name  # kept, as the uploader's claim
    assert not dummy_report.HasField("training_job")
    assert any(
        "self-reported by developer-user" in w and created.name in w for w in dummy_report.warnings
    ), list(dummy_report.warnings)
    assert "self-reported by `developer-user`" in to_markdown(dummy_report)
    assert (late.lineage.provenance, late.lineage.created_by) == (SELF_REPORTED, "trainer-user")


async def test_a_live_traffic_alias_needs_an_approver(registry: Registry) -> None:
    await registry.create_model("m")
    version = await registry.ready_version("m")

    # `challenger` is what serving's canaries and shadows route live traffic to.
    code, reason = await _refusal(_set_alias(registry, "developer", "challenger", 1, "try it"))
    assert (code, reason) == (grpc.StatusCode.PERMISSION_DENIED, "PROTECTED_ALIAS")
    code, reason = await _refusal(_set_alias(registry, "approver", "challenger", 1))
    assert (code, reason) == (grpc.StatusCode.INVALID_ARGUMENT, "REASON_REQUIRED")
    moved = await _set_alias(registry, "approver", "challenger", 1, "reviewed: ticket ML-9")
    assert moved.model.aliases["challenger"] == version.version_number
    # An alias nothing routes traffic to stays a developer's to move.
    await _set_alias(registry, "developer", "staging", 1)


@pytest.mark.parametrize("role", ["trainer", "server", "monitor", "service"])
async def test_a_service_role_reads_what_its_peer_needs_and_moves_no_alias(
    registry: Registry, role: str
) -> None:
    await registry.create_model("m")
    version = await registry.ready_version("m")
    await _set_alias(registry, "developer", "staging", 1)

    assert (await registry.get_version("models/m@staging", role=role)).name == version.name
    header, data = await registry.download(version.name, role=role)
    assert header.artifact.sha256 == version.artifact.sha256
    assert data

    for alias in ("staging", "challenger", "production"):
        code, reason = await _refusal(_set_alias(registry, role, alias, 1, "because"))
        assert code == grpc.StatusCode.PERMISSION_DENIED, (role, alias)
        assert reason in ("ROLE_NOT_ALLOWED", "SERVICE_ALIAS_MOVE"), (role, alias)
    code, _ = await _refusal(
        registry.stub.DeleteModelAlias(
            pb.DeleteModelAliasRequest(name="models/m", alias="staging", reason="because"),
            metadata=registry.as_(role),
        )
    )
    assert code == grpc.StatusCode.PERMISSION_DENIED
    assert (await registry.get_version("models/m@staging")).name == version.name

    # Only the training roles register versions.
    if role in ("trainer", "service"):
        uploaded = await registry.upload("models/m", role=role)
        assert uploaded.lineage.provenance == SELF_REPORTED  # no job named: nothing verified
    else:
        code, reason = await _refusal(registry.upload("models/m", role=role))
        assert (code, reason) == (grpc.StatusCode.PERMISSION_DENIED, "ROLE_NOT_ALLOWED")


def _training_domain(training_db: Database) -> TrainingJobs:
    """Training's own job records, driven as its worker drives them (no model is fitted)."""

    def nothing_to_validate(*_: object, **__: object) -> None:
        return None

    return TrainingJobs(
        training_db, SqlJobRepository(), data_root=Path("."), validator=nothing_to_validate
    )


async def test_a_training_job_vouches_for_one_version(
    registry: Registry, start_training: StartTraining
) -> None:
    async with start_training(registry.address, workers=0) as training:
        created = await training.create(job("models/wine", reason="one model"))
        # The job reaches its registering stage, as a worker's does after fitting.
        jobs = _training_domain(training.db)
        claimed = await asyncio.to_thread(jobs.claim, "w1")
        assert claimed is not None
        assert claimed.name == created.name
        await asyncio.to_thread(
            jobs.report_progress,
            claimed.job_id,
            "w1",
            Progress(stage="registering", percent=96.0, message="registering"),
        )
        lineage = lineage_pb2.Lineage(training_job=created.name)

        async def register(seed: int, request_id: str, digest: str | None = None) -> object:
            data = model_bytes(seed)
            return await registry.upload(
                "models/wine",
                data,
                spec=version_spec(data, digest=digest, lineage=lineage),
                role="trainer",
                request_id=request_id,
                create_model=True,
            )

        # The first upload fails (its bytes do not match): its claim does not count, and the
        # job's next registration (a new request id, as training takes one) is verified.
        with pytest.raises(grpc.aio.AioRpcError):
            await register(1, "job.r0", digest="0" * 64)
        first = await register(1, "job.r1")
        assert (first.lineage.provenance, first.lineage.created_by) == (
            VERIFIED,
            "developer-user",
        )
        # A retry of that very request is answered with the same version, still verified.
        assert await register(1, "job.r1") == first
        # Any other version naming the job, even from the trainer while the job registers, is
        # its uploader's claim: the job already vouched for one.
        second = await register(2, "job.r2")
        assert second.name != first.name
        assert (second.lineage.provenance, second.lineage.created_by) == (
            SELF_REPORTED,
            "trainer-user",
        )
        assert second.lineage.training_job == created.name  # kept, as the uploader's claim
        report = (await _report(registry, second.name)).report
        assert not report.HasField("training_job")
        assert any("self-reported by trainer-user" in w for w in report.warnings)
        assert (await _report(registry, first.name)).report.training_job.name == created.name
