"""Training jobs through the API, end to end: queue, worker, child fit, registry, audit."""

from __future__ import annotations

import io

import grpc
import numpy as np
import pyarrow.parquet as pq
import pytest
from sklearn.datasets import load_wine

from slipway.ml.model_files import current_framework_versions, load_model
from slipway.registry.v1 import artifact_pb2, model_version_pb2
from slipway.training.v1 import dataset_spec_pb2, estimator_spec_pb2, training_job_pb2
from slipway.training.v1 import training_service_pb2 as pb
from support.registry import Registry, error_reason, violated_fields
from support.training import (
    CANCELLED,
    FAILED,
    QUEUED,
    REGRESSION,
    RUNNING,
    SUCCEEDED,
    StartTraining,
    Training,
    bundled,
    estimator,
    job,
    pipeline,
    wine_random_search,
)

STAGE = training_job_pb2.TrainingStage


async def test_wine_random_search_runs_end_to_end(training: Training, registry: Registry) -> None:
    created = await training.create(wine_random_search(), request_id="wine-1")
    assert created.state == QUEUED
    assert created.created_by == "developer-user"
    seen = await training.watch(created.name)

    # The watch streamed the job from the queue to the end, with searching progress.
    states = [m.state for m in seen]
    assert states[-1] == SUCCEEDED, seen[-1]
    assert RUNNING in states
    percents = [m.progress.percent for m in seen if m.state == RUNNING]
    assert percents == sorted(percents), percents
    trials = [m.progress for m in seen if m.progress.stage == STAGE.TRAINING_STAGE_SEARCHING]
    assert trials, seen
    assert trials[-1].trial_count == 4 * 3, trials
    stages = {m.progress.stage for m in seen}
    assert {
        STAGE.TRAINING_STAGE_LOADING,
        STAGE.TRAINING_STAGE_SEARCHING,
        STAGE.TRAINING_STAGE_REGISTERING,
    } <= stages

    done = seen[-1]
    assert done.model_version == "models/wine/versions/1"
    assert set(done.best_params) == {"max_depth", "min_samples_leaf"}
    assert 0.5 < done.metrics["accuracy"] <= 1.0
    assert done.attempt_count == 1
    assert done.end_time.seconds > 0

    version = await registry.get_version(done.model_version)
    assert version.state == model_version_pb2.MODEL_VERSION_STATE_READY
    assert set(version.metrics) >= {"accuracy", "f1", "roc_auc", "log_loss"}
    assert version.metrics["accuracy"] == pytest.approx(done.metrics["accuracy"])
    lineage = version.lineage
    assert lineage.training_job == created.name
    assert lineage.created_by == "developer-user"
    assert lineage.dataset.uri == "sklearn:wine"
    assert len(lineage.dataset.sha256) == 64
    assert lineage.dataset.row_count == 178
    assert lineage.random_seed == 7
    assert lineage.code_version.startswith("slipway")
    assert version.params["max_depth"].int_value == done.best_params["max_depth"].int_value
    assert version.framework_versions.scikit_learn
    assert version.framework_versions.skops
    names = load_wine().feature_names
    assert [f.name for f in version.signature.inputs] == names
    assert [o.name for o in version.signature.outputs] == ["predict", "predict_proba"]
    profile = version.reference_profile
    assert [f.name for f in profile.features] == names
    assert profile.row_count > 100
    # Wine is smaller than the reference sample: every training row is in it.
    assert profile.sample_row_count == profile.row_count
    assert profile.sample.format == artifact_pb2.ARTIFACT_FORMAT_PARQUET
    assert profile.sample.sha256
    assert profile.features[0].std > 0

    # The registered artifact is a working model; the reference is a Parquet file of the
    # training and holdout rows.
    header, data = await registry.download(done.model_version)
    model = load_model_bytes(data, header.artifact.sha256)
    rows = load_wine().data[:5]
    assert model.predict(rows).shape == (5,)
    _, sample = await registry.download(
        done.model_version, kind=artifact_pb2.ARTIFACT_KIND_REFERENCE_SAMPLE
    )
    table = pq.read_table(io.BytesIO(sample))
    assert len(table.column_names) == len(names) + 2  # the target and the holdout flag
    held = np.asarray(table.column("__holdout__"))
    assert (int((~held).sum()), int(held.sum())) == (profile.row_count, 178 - profile.row_count)

    # Every transition is in the audit log, attributed and tied to the job.
    events = await registry.audit_events(resource=created.name)
    actions = [e.action for e in events]
    assert actions[:2] == ["training.CreateTrainingJob", "training.StartTrainingJob"]
    assert actions[-1] == "training.CompleteTrainingJob"
    assert events[0].principal.name == "developer-user"
    assert events[-1].principal.name.startswith("service:training/")


def load_model_bytes(data: bytes, sha256: str) -> object:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.skops"
        path.write_bytes(data)
        return load_model(
            path, sha256=sha256, fmt="skops", framework_versions=current_framework_versions()
        )


async def test_a_csv_with_a_categorical_column_trains_a_column_transformer(
    training: Training, registry: Registry
) -> None:
    columns = estimator_spec_pb2.EstimatorSpec(
        column_transformer=estimator_spec_pb2.ColumnTransformer(
            transformers=[
                estimator_spec_pb2.ColumnTransformerEntry(
                    name="numbers",
                    columns=["size", "weight"],
                    spec=pipeline(
                        ("impute", estimator("SimpleImputer")),
                        ("scale", estimator("StandardScaler")),
                    ),
                ),
                estimator_spec_pb2.ColumnTransformerEntry(
                    name="colour",
                    columns=["colour"],
                    spec=estimator("OneHotEncoder", handle_unknown="ignore"),
                ),
            ]
        )
    )
    message = job(
        "models/fruit",
        spec=pipeline(("prepare", columns), ("model", estimator("LogisticRegression"))),
        dataset=dataset_spec_pb2.DatasetSpec(path="fruit.csv", target_column="label"),
    )
    created = await training.create(message)
    done = await training.finished(created.name)
    assert done.state == SUCCEEDED, done.failure
    version = await registry.get_version(done.model_version)
    inputs = {f.name: f for f in version.signature.inputs}
    assert set(inputs) == {"size", "weight", "colour"}
    assert sorted(inputs["colour"].categories) == ["blue", "green", "red"]
    assert version.lineage.dataset.uri == "file:fruit.csv"
    predict = version.signature.outputs[0]
    assert sorted(label.string_value for label in predict.class_labels) == [
        "big",
        "small",
    ] or sorted(label.string_value for label in version.signature.outputs[1].class_labels) == [
        "big",
        "small",
    ]


async def test_regression_and_alias_on_success(training: Training, registry: Registry) -> None:
    message = job(
        "models/diabetes",
        spec=estimator("Ridge", alpha=0.5),
        dataset=bundled("diabetes"),
        task=REGRESSION,
        alias_on_success="challenger",
        reason="first model",
        labels={"team": "health"},
    )
    message.split.stratify = False
    # `challenger` takes live traffic: an approver creates the job that lands on it.
    done = await training.finished((await training.create(message, role="approver")).name)
    assert done.state == SUCCEEDED, done.failure
    assert set(done.metrics) == {"rmse", "mae", "r2"}
    by_alias = await registry.get_version("models/diabetes@challenger")
    assert by_alias.name == done.model_version
    assert by_alias.labels["team"] == "health"


async def test_same_spec_data_and_seed_give_identical_predictions(
    training: Training, registry: Registry
) -> None:
    spec = estimator("RandomForestClassifier", n_estimators=15, max_features=0.5)
    first = await training.create(job("models/twins", spec=spec, seed=3))
    second = await training.create(job("models/twins", spec=spec, seed=3))
    other = await training.create(job("models/twins", spec=spec, seed=4))
    models = []
    for created in (first, second, other):
        done = await training.finished(created.name)
        assert done.state == SUCCEEDED, done.failure
        header, data = await registry.download(done.model_version)
        models.append(load_model_bytes(data, header.artifact.sha256))
    rows = load_wine().data
    probabilities = [m.predict_proba(rows) for m in models]  # type: ignore[attr-defined]
    assert np.array_equal(probabilities[0], probabilities[1])
    assert not np.array_equal(probabilities[0], probabilities[2])


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (
            lambda m: m.estimator.estimator.__setattr__("class_name", "os.system"),
            "training_job.estimator.estimator.class_name",
        ),
        (
            lambda m: m.estimator.estimator.__setattr__("class_name", "NoSuchForest"),
            "training_job.estimator.estimator.class_name",
        ),
        (
            lambda m: m.estimator.estimator.hyperparameters["C"].__setattr__(
                "string_value", "high"
            ),
            'training_job.estimator.estimator.hyperparameters["C"]',
        ),
        (lambda m: m.dataset.__setattr__("path", "../outside.csv"), "training_job.dataset.path"),
        (lambda m: m.dataset.__setattr__("path", "/etc/passwd"), "training_job.dataset.path"),
        (
            lambda m: m.dataset.feature_columns.append("no_such_column"),
            "training_job.dataset.feature_columns",
        ),
        (
            lambda m: m.__setattr__("alias_on_success", "production"),
            "training_job.alias_on_success",
        ),
        (lambda m: m.__setattr__("model", "wine"), "training_job.model"),
        (lambda m: m.__setattr__("task", REGRESSION), "training_job.task"),
        (
            lambda m: m.__setattr__("trigger", training_job_pb2.TRAINING_TRIGGER_DRIFT),
            "training_job.reason",
        ),
    ],
)
async def test_invalid_specs_are_refused_at_create_with_the_field(
    training: Training, mutate: object, field: str
) -> None:
    message = job("models/bad", spec=estimator("LogisticRegression", C=1.0))
    if field == "training_job.dataset.path" or "feature_columns" in field:
        message.dataset.CopyFrom(
            dataset_spec_pb2.DatasetSpec(path="fruit.csv", target_column="label")
        )
    mutate(message)  # type: ignore[operator]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await training.create(message)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT, caught.value.details()
    fields = violated_fields(caught.value)
    assert any(f.startswith(field) for f in fields), (field, fields)
    listed = await training.stub.ListTrainingJobs(
        pb.ListTrainingJobsRequest(), metadata=training.as_("viewer")
    )
    assert not listed.training_jobs  # nothing was queued


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_target_with_one_class_is_refused(training: Training, data_root: object) -> None:
    from pathlib import Path

    assert isinstance(data_root, Path)
    (data_root / "one.csv").write_text("a,b,label\n1,2,x\n3,4,x\n5,6,x\n7,8,x\n")
    message = job(
        "models/one",
        spec=estimator("LogisticRegression"),
        dataset=dataset_spec_pb2.DatasetSpec(path="one.csv", target_column="label"),
    )
    message.split.stratify = False
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await training.create(message)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "training_job.dataset.target_column" in violated_fields(caught.value)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_validate_only_queues_nothing(training: Training) -> None:
    reply = await training.create(job("models/dry"), validate_only=True)
    assert reply.name == ""
    assert reply.model == "models/dry"
    listed = await training.stub.ListTrainingJobs(
        pb.ListTrainingJobsRequest(), metadata=training.as_("viewer")
    )
    assert not listed.training_jobs


async def test_queue_api_without_workers(start_training: StartTraining, registry: Registry) -> None:
    async with start_training(registry.address, workers=0) as training:
        first = await training.create(job("models/a"), request_id="same")
        again = await training.create(job("models/a"), request_id="same")
        assert again.name == first.name  # idempotent create
        others = [
            await training.create(job("models/b"), role=role)
            for role in ("developer", "approver", "developer")
        ]

        # Newest first, paginated, filtered.
        page = await training.stub.ListTrainingJobs(
            pb.ListTrainingJobsRequest(page_size=2), metadata=training.as_("viewer")
        )
        assert [j.name for j in page.training_jobs] == [others[2].name, others[1].name]
        rest = await training.stub.ListTrainingJobs(
            pb.ListTrainingJobsRequest(page_size=2, page_token=page.next_page_token),
            metadata=training.as_("viewer"),
        )
        assert [j.name for j in rest.training_jobs] == [others[0].name, first.name]
        assert not rest.next_page_token
        by_model = await training.stub.ListTrainingJobs(
            pb.ListTrainingJobsRequest(filter='model = "models/a"'), metadata=training.as_("viewer")
        )
        assert [j.name for j in by_model.training_jobs] == [first.name]
        by_creator = await training.stub.ListTrainingJobs(
            pb.ListTrainingJobsRequest(filter='created_by = "approver-user"'),
            metadata=training.as_("viewer"),
        )
        assert [j.name for j in by_creator.training_jobs] == [others[1].name]

        # Cancelling someone else's job needs a reason; a queued job cancels at once.
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await training.stub.CancelTrainingJob(
                pb.CancelTrainingJobRequest(name=others[1].name), metadata=training.as_("developer")
            )
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        reply = await training.stub.CancelTrainingJob(
            pb.CancelTrainingJobRequest(name=others[1].name, reason="duplicate of another job"),
            metadata=training.as_("developer"),
        )
        assert reply.training_job.state == CANCELLED
        assert reply.training_job.cancelled_by == "developer-user"
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await training.stub.CancelTrainingJob(
                pb.CancelTrainingJobRequest(name=others[1].name, reason="again"),
                metadata=training.as_("developer"),
            )
        assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert error_reason(caught.value) == "JOB_ALREADY_ENDED"
        cancelled = await training.stub.ListTrainingJobs(
            pb.ListTrainingJobsRequest(filter="state = CANCELLED"), metadata=training.as_("viewer")
        )
        assert [j.name for j in cancelled.training_jobs] == [others[1].name]

        # Unknown jobs and malformed names.
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await training.get("trainingJobs/0123456789abcdef")
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await training.get("jobs/../x")
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        # A viewer cannot create jobs.
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await training.create(job("models/a"), role="viewer")
        assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED

    # A worker that starts later takes the queued jobs, oldest first.
    async with start_training(registry.address) as training:
        done = await training.finished(first.name)
        assert done.state == SUCCEEDED, done.failure


async def test_a_hyperparameter_the_estimator_rejects_at_fit_fails_as_bad_spec(
    training: Training,
) -> None:
    # Valid types and ranges, but an impossible combination only the fit can see.
    message = job(
        "models/combo", spec=estimator("LogisticRegression", penalty="l1", solver="lbfgs")
    )
    created = await training.create(message)
    done = await training.finished(created.name)
    assert done.state == FAILED
    assert done.failure.category == training_job_pb2.FAILURE_CATEGORY_BAD_SPEC
    assert not done.failure.retryable
    assert "Traceback" not in done.failure.message
