"""Model versions over gRPC, on SQLite and PostgreSQL: streamed uploads of real skops models,
what round-trips, downloads, numbering, idempotent retries, refused uploads (nothing becomes
visible), filters, ordering and paging."""

from __future__ import annotations

import asyncio
import pickle

import grpc
import numpy as np
import pytest
from sklearn.preprocessing import FunctionTransformer

from slipway.common.v1 import feature_pb2, tensor_pb2, value_pb2
from slipway.ml.model_files import current_framework_versions, dump_model
from slipway.registry.v1 import (
    artifact_pb2,
    lineage_pb2,
    model_version_pb2,
    reference_profile_pb2,
    signature_pb2,
)
from slipway.registry.v1 import registry_service_pb2 as pb
from support.probe import rich_details
from support.registry import (
    FAILED,
    MAX_ARTIFACT_BYTES,
    MODEL_KIND,
    PENDING,
    READY,
    SAMPLE_KIND,
    SQLITE_ONLY,
    error_reason,
    model_bytes,
    sample_bytes,
    sha256,
    upload_requests,
    version_spec,
    violated_fields,
    wait_until,
)


def full_spec(data: bytes, sample: bytes) -> model_version_pb2.ModelVersion:
    """A version declaring everything a training job records."""
    fp64, int64 = tensor_pb2.DATA_TYPE_FP64, tensor_pb2.DATA_TYPE_INT64
    spec = version_spec(
        data,
        sample=sample,
        description="logistic regression, 3 features",
        labels={"stage": "candidate", "team": "fraud"},
        signature=signature_pb2.Signature(
            inputs=[
                signature_pb2.FeatureSpec(
                    name=f"f{i}", data_type=fp64, kind=feature_pb2.FEATURE_KIND_NUMERIC
                )
                for i in range(3)
            ],
            outputs=[
                signature_pb2.OutputSpec(
                    name="predict",
                    data_type=int64,
                    shape=[-1],
                    class_labels=[value_pb2.Value(int_value=0), value_pb2.Value(int_value=1)],
                ),
                signature_pb2.OutputSpec(name="predict_proba", data_type=fp64, shape=[-1, 2]),
            ],
        ),
        framework_versions=model_version_pb2.FrameworkVersions(**current_framework_versions()),
        metrics={"accuracy": 0.93, "roc_auc": 0.971},
        params={
            "C": value_pb2.Value(double_value=1.0),
            "penalty": value_pb2.Value(string_value="l2"),
            "max_iter": value_pb2.Value(int_value=100),
            "class_weight": value_pb2.Value(null_value=0),
            "features": value_pb2.Value(
                list_value=value_pb2.ValueList(
                    values=[value_pb2.Value(string_value="f0"), value_pb2.Value(string_value="f1")]
                )
            ),
        },
        lineage=lineage_pb2.Lineage(
            training_job="trainingJobs/42",
            dataset=lineage_pb2.DatasetReference(
                uri="s3://data/churn.parquet", sha256="ab" * 32, row_count=40
            ),
            code_version="git:0123abc",
            random_seed=7,
            created_by="trainer",
        ),
    )
    spec.reference_profile.MergeFrom(
        reference_profile_pb2.ReferenceProfile(
            row_count=40,
            sample_row_count=16,
            features=[
                feature_pb2.FeatureStatistics(
                    name="f0",
                    kind=feature_pb2.FEATURE_KIND_NUMERIC,
                    count=40,
                    mean=0.5,
                    std=0.29,
                    min=0.01,
                    max=0.99,
                )
            ],
        )
    )
    return spec


async def test_a_streamed_upload_becomes_ready_with_everything_it_declared(registry):
    await registry.create_model("churn")
    data, sample = model_bytes(), sample_bytes()
    assert len(data) > 4 * 2048, "the model must arrive in several chunks"
    spec = full_spec(data, sample)

    version = await registry.upload("models/churn", data, spec=spec, sample=sample)

    assert version.name == "models/churn/versions/1"
    assert version.version_number == 1
    assert version.state == READY, version.state_message
    assert version.created_by == "developer-user"
    assert version.ready_time.seconds > 0
    assert version.artifact.sha256 == sha256(data)
    assert version.artifact.size_bytes == len(data)
    assert version.artifact.format == artifact_pb2.ARTIFACT_FORMAT_SKOPS
    for field in ("description", "signature", "framework_versions"):
        assert getattr(version, field) == getattr(spec, field), field
    # The lineage as declared, but a developer's is self-reported and asked for by themselves.
    declared = lineage_pb2.Lineage()
    declared.CopyFrom(spec.lineage)
    declared.created_by = "developer-user"
    declared.provenance = lineage_pb2.LINEAGE_PROVENANCE_SELF_REPORTED
    assert version.lineage == declared
    assert dict(version.labels) == dict(spec.labels)
    assert dict(version.metrics) == dict(spec.metrics)
    assert dict(version.params) == dict(spec.params)
    profile = version.reference_profile
    assert (profile.row_count, profile.sample_row_count) == (40, 16)
    assert list(profile.features) == list(spec.reference_profile.features)
    assert profile.sample.sha256 == sha256(sample)
    assert profile.sample.size_bytes == len(sample)
    assert profile.sample.format == artifact_pb2.ARTIFACT_FORMAT_NPZ

    got = await registry.get_version("models/churn/versions/1")
    assert got == version

    await registry.stub.SetModelAlias(
        pb.SetModelAliasRequest(name="models/churn", alias="staging", version_number=1),
        metadata=registry.as_("developer"),
    )
    by_number, bytes_by_number = await registry.download("models/churn/versions/1")
    by_alias, bytes_by_alias = await registry.download("models/churn@staging")
    assert bytes_by_number == bytes_by_alias == data
    for header in (by_number, by_alias):
        assert header.model_version == "models/churn/versions/1"
        assert header.artifact.sha256 == sha256(data)
        assert header.artifact.size_bytes == len(data)
    sample_header, sample_got = await registry.download("models/churn@staging", kind=SAMPLE_KIND)
    assert sample_got == sample
    assert sample_header.artifact.sha256 == sha256(sample)
    assert registry.store() == ({sha256(data), sha256(sample)}, [])


async def test_version_numbers_increase_and_are_never_reused(registry):
    await registry.create_model("churn")
    assert (await registry.ready_version("churn", seed=1)).version_number == 1
    with pytest.raises(grpc.aio.AioRpcError):  # version 2 fails and keeps its number
        await registry.upload(
            "models/churn",
            model_bytes(2),
            spec=version_spec(model_bytes(2), digest=sha256(b"other")),
        )
    assert (await registry.ready_version("churn", seed=3)).version_number == 3

    # Three uploads in flight at once: each reserves its number before any finishes.
    gate = asyncio.Event()
    uploads = [
        asyncio.ensure_future(
            registry.stub.CreateModelVersion(
                upload_requests(
                    "models/churn", model_bytes(seed), version_spec(model_bytes(seed)), gate=gate
                ),
                metadata=registry.as_("developer"),
                timeout=30,
            )
        )
        for seed in (4, 5, 6)
    ]

    async def three_pending() -> bool:
        versions = await registry.list_versions("models/churn", filter="state = PENDING")
        return len(versions) == 3

    await wait_until(three_pending, "three uploads in flight")
    gate.set()
    done = await asyncio.gather(*uploads)
    assert sorted(r.model_version.version_number for r in done) == [4, 5, 6]
    assert all(r.model_version.state == READY for r in done)

    listed = await registry.list_versions("models/churn")
    assert [(v.version_number, v.state) for v in listed] == [
        (1, READY),
        (2, FAILED),
        (3, READY),
        (4, READY),
        (5, READY),
        (6, READY),
    ]
    model = (
        await registry.stub.GetModel(
            pb.GetModelRequest(name="models/churn"), metadata=registry.as_("viewer")
        )
    ).model
    assert model.latest_version_number == 6


async def test_first_uploads_of_a_new_model_race_without_an_error(registry):
    """Trainers registering a new model's first versions at once: each upload creates the model
    if missing, one of them does (and is audited as its creator), none fails."""
    models = [f"models/race-{i}" for i in range(3)]
    uploads = [
        registry.stub.CreateModelVersion(
            upload_requests(
                model, model_bytes(seed), version_spec(model_bytes(seed)), create_model=True
            ),
            metadata=registry.as_("developer"),
            timeout=30,
        )
        for seed in range(6)
        for model in models
    ]
    done = await asyncio.gather(*uploads)
    for model in models:
        numbers = sorted(
            r.model_version.version_number
            for r in done
            if r.model_version.name.startswith(model + "/")
        )
        assert numbers == [1, 2, 3, 4, 5, 6], model
        creations = await registry.audit_events(action="registry.CreateModel", resource=model)
        assert len(creations) == 1, model
    assert all(r.model_version.state == READY for r in done)


async def test_concurrent_creates_of_one_model_get_one_model_and_already_exists(registry):
    calls = [
        registry.stub.CreateModel(
            pb.CreateModelRequest(model_id=f"twin-{i % 2}"),
            metadata=registry.as_("developer"),
            timeout=30,
        )
        for i in range(8)
    ]
    outcomes = await asyncio.gather(*calls, return_exceptions=True)
    created = [o for o in outcomes if not isinstance(o, BaseException)]
    refused = [o for o in outcomes if isinstance(o, BaseException)]
    assert sorted(o.model.name for o in created) == ["models/twin-0", "models/twin-1"]
    assert len(refused) == 6
    for error in refused:
        assert isinstance(error, grpc.aio.AioRpcError), error
        # Also when the race was lost inside the database: never INTERNAL.
        assert error.code() == grpc.StatusCode.ALREADY_EXISTS, error
        assert error_reason(error) == "MODEL_EXISTS", error


async def test_retries_of_one_create_racing_each_other_all_get_the_model(registry):
    """A client that retries while its first call is still committing: every call with the
    request id answers with the one model, none ALREADY_EXISTS."""
    calls = [
        registry.stub.CreateModel(
            pb.CreateModelRequest(model_id=f"retried-{i % 2}", request_id=f"create-{i % 2}"),
            metadata=registry.as_("developer"),
            timeout=30,
        )
        for i in range(8)
    ]
    done = await asyncio.gather(*calls)
    assert sorted(r.model.name for r in done) == ["models/retried-0"] * 4 + ["models/retried-1"] * 4
    creations = await registry.audit_events(action="registry.CreateModel")
    assert sorted(e.resource for e in creations) == ["models/retried-0", "models/retried-1"]


async def test_a_retry_with_the_same_request_id_returns_the_same_version(registry):
    data = model_bytes()
    first = await registry.upload("models/churn", data, request_id="job-7", create_model=True)
    again = await registry.upload("models/churn", data, request_id="job-7", create_model=True)
    assert first.state == READY
    assert again == first
    assert [v.name for v in await registry.list_versions("models/churn")] == [first.name]
    creations = await registry.audit_events(
        action="registry.CreateModelVersion", resource=first.name
    )
    assert len(creations) == 2  # PENDING, then READY: the retry wrote nothing

    # The same request id from another caller is another request.
    other = await registry.upload("models/churn", data, request_id="job-7", role="service")
    assert other.version_number == 2


async def test_a_retry_is_not_answered_ok_when_its_first_upload_failed_or_still_runs(registry):
    await registry.create_model("churn")
    data = model_bytes()
    with pytest.raises(grpc.aio.AioRpcError):
        await registry.upload(
            "models/churn",
            data,
            request_id="job-8",
            spec=version_spec(data, digest=sha256(b"wrong")),
        )
    with pytest.raises(grpc.aio.AioRpcError) as after_failure:
        await registry.upload("models/churn", data, request_id="job-8")
    assert after_failure.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert error_reason(after_failure.value) == "REQUEST_FAILED"

    gate = asyncio.Event()
    first = asyncio.ensure_future(
        registry.stub.CreateModelVersion(
            upload_requests(
                "models/churn", data, version_spec(data), request_id="job-9", gate=gate
            ),
            metadata=registry.as_("developer"),
            timeout=30,
        )
    )

    async def pending() -> list[model_version_pb2.ModelVersion]:
        return await registry.list_versions("models/churn", filter="state = PENDING")

    await wait_until(pending, "the first upload to start")
    with pytest.raises(grpc.aio.AioRpcError) as while_running:
        await registry.upload("models/churn", data, request_id="job-9")
    assert while_running.value.code() == grpc.StatusCode.ABORTED
    assert error_reason(while_running.value) == "UPLOAD_IN_PROGRESS"
    gate.set()
    done = (await first).model_version
    assert done.state == READY
    assert await registry.upload("models/churn", data, request_id="job-9") == done
    assert [(v.version_number, v.state) for v in await registry.list_versions("models/churn")] == [
        (1, FAILED),
        (2, READY),
    ]


async def test_a_sha256_mismatch_fails_the_version_and_stores_nothing(registry):
    await registry.create_model("churn")
    data = model_bytes()
    declared = sha256(b"what the client thought it had")
    with pytest.raises(grpc.aio.AioRpcError) as mismatch:
        await registry.upload("models/churn", data, spec=version_spec(data, digest=declared))
    assert mismatch.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_reason(mismatch.value) == "SHA256_MISMATCH"

    [version] = await registry.list_versions("models/churn")
    assert version.state == FAILED
    assert "sha256" in version.state_message
    assert not version.HasField("artifact") or not version.artifact.sha256
    assert registry.store() == (set(), [])
    with pytest.raises(grpc.aio.AioRpcError) as download:
        await registry.download(version.name)
    assert download.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert error_reason(download.value) == "VERSION_NOT_READY"


@SQLITE_ONLY
async def test_an_artifact_over_the_size_limit_is_refused_while_streaming(registry):
    await registry.create_model("churn")
    data = np.random.RandomState(0).bytes(MAX_ARTIFACT_BYTES + 1)
    with pytest.raises(grpc.aio.AioRpcError) as too_large:
        await registry.upload("models/churn", data, chunk_size=64 * 1024)
    assert too_large.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert error_reason(too_large.value) == "ARTIFACT_TOO_LARGE"
    [version] = await registry.list_versions("models/churn")
    assert version.state == FAILED
    assert registry.store() == (set(), [])


@SQLITE_ONLY
async def test_pickle_and_joblib_are_refused_unless_the_server_allows_them(
    registry, start_registry
):
    await registry.create_model("churn")
    data = pickle.dumps({"coef": [0.5, -1.25]})
    for fmt in (artifact_pb2.ARTIFACT_FORMAT_PICKLE, artifact_pb2.ARTIFACT_FORMAT_JOBLIB):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await registry.upload("models/churn", data, spec=version_spec(data, fmt=fmt))
        assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert error_reason(refused.value) == "PICKLE_REFUSED"
    assert await registry.list_versions("models/churn") == []
    assert registry.store() == (set(), [])

    async with start_registry(allow_pickle=True) as permissive:
        version = await permissive.upload(
            "models/churn", data, spec=version_spec(data, fmt=artifact_pb2.ARTIFACT_FORMAT_PICKLE)
        )
    assert version.state == READY
    assert version.artifact.format == artifact_pb2.ARTIFACT_FORMAT_PICKLE


@SQLITE_ONLY
async def test_a_skops_file_with_an_untrusted_type_fails_the_version(registry):
    await registry.create_model("churn")
    data = dump_model(FunctionTransformer(np.exp))  # would call any function it names
    with pytest.raises(grpc.aio.AioRpcError) as untrusted:
        await registry.upload("models/churn", data)
    assert untrusted.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    info = rich_details(untrusted.value)["error_info"]
    assert info.reason == "UNTRUSTED_TYPES"
    assert "numpy.exp" in info.metadata["types"]
    [version] = await registry.list_versions("models/churn")
    assert version.state == FAILED
    assert "numpy.exp" in version.state_message
    assert registry.store() == (set(), [])  # refused content is not left in the store


@SQLITE_ONLY
async def test_the_first_message_of_an_upload_must_be_its_metadata(registry):
    await registry.create_model("churn")

    async def chunk_first():
        yield pb.CreateModelVersionRequest(
            chunk=pb.ArtifactChunk(artifact_kind=MODEL_KIND, data=b"bytes before any metadata")
        )

    async def nothing():
        return
        yield  # an async generator that sends no message at all

    for stream in (chunk_first(), nothing()):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await registry.stub.CreateModelVersion(stream, metadata=registry.as_("developer"))
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert violated_fields(refused.value) == ["metadata"]
    assert await registry.list_versions("models/churn") == []


async def test_versions_are_filtered_ordered_and_paged(registry):
    await registry.create_model("churn")
    plan = [(0.95, "a"), (0.85, "b"), (0.92, "a"), (0.99, "a")]
    for seed, (accuracy, team) in enumerate(plan):
        data = model_bytes(seed)
        digest = sha256(b"wrong") if seed == 3 else None  # version 4 fails
        try:
            await registry.upload(
                "models/churn",
                data,
                spec=version_spec(
                    data, digest=digest, metrics={"accuracy": accuracy}, labels={"team": team}
                ),
            )
        except grpc.aio.AioRpcError:
            assert seed == 3

    async def numbers(**fields) -> list[int]:
        return [v.version_number for v in await registry.list_versions("models/churn", **fields)]

    assert await numbers(filter="state = READY AND metrics.accuracy >= 0.9") == [1, 3]
    assert await numbers(filter='labels.team = "a" AND state != READY') == [4]
    assert await numbers(filter="labels.team = b") == [2]
    assert await numbers(order_by="metrics.accuracy desc") == [4, 1, 3, 2]
    assert await numbers(order_by="version_number desc") == [4, 3, 2, 1]

    for order_by in (
        "",
        "version_number desc",
        "metrics.accuracy",
        "create_time",
        "update_time desc",
    ):
        for filter_text in ("", "state = READY"):
            pages: list[list[int]] = []
            token = ""
            for _ in range(10):
                reply = await registry.stub.ListModelVersions(
                    pb.ListModelVersionsRequest(
                        parent="models/churn",
                        page_size=1,
                        page_token=token,
                        filter=filter_text,
                        order_by=order_by,
                    ),
                    metadata=registry.as_("viewer"),
                )
                pages.append([v.version_number for v in reply.model_versions])
                token = reply.next_page_token
                if not token:
                    break
            everything = await numbers(filter=filter_text, order_by=order_by)
            assert pages == [[n] for n in everything], (order_by, filter_text)

    with pytest.raises(grpc.aio.AioRpcError) as bad_filter:
        await registry.list_versions("models/churn", filter="accuracy >>= 1")
    assert violated_fields(bad_filter.value) == ["filter"]
    with pytest.raises(grpc.aio.AioRpcError) as bad_order:
        await registry.list_versions("models/churn", order_by="labels.team")
    assert violated_fields(bad_order.value) == ["order_by"]


async def test_a_pending_version_has_nothing_to_download(registry):
    await registry.create_model("churn")
    gate = asyncio.Event()
    upload = asyncio.ensure_future(
        registry.stub.CreateModelVersion(
            upload_requests("models/churn", model_bytes(), version_spec(model_bytes()), gate=gate),
            metadata=registry.as_("developer"),
            timeout=30,
        )
    )

    async def pending() -> list[model_version_pb2.ModelVersion]:
        return await registry.list_versions("models/churn", filter="state = PENDING")

    [version] = await wait_until(pending, "the upload to start")
    with pytest.raises(grpc.aio.AioRpcError) as early:
        await registry.download(version.name)
    assert early.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert registry.store()[0] == set()
    gate.set()
    assert (await upload).model_version.state == READY
    assert version.state == PENDING
