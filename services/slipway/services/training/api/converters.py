"""Training API messages to domain objects and back. Symmetric: what ``new_job`` reads,
``job_to_pb`` writes, so a job reads back as it was asked for."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from google.protobuf.duration_pb2 import Duration

from slipway.common.v1 import value_pb2
from slipway.core import values
from slipway.core.errors import FieldViolation
from slipway.core.filters import Kind
from slipway.core.values import timestamp
from slipway.services.training.domain.entities import JobState, NewJob, TrainingJob
from slipway.services.training.domain.jobs import invalid_job
from slipway.services.training.engine import spec as s
from slipway.training.v1 import (
    dataset_spec_pb2,
    estimator_spec_pb2,
    search_spec_pb2,
    training_job_pb2,
)

P = "training_job"

TASKS = {
    training_job_pb2.TASK_TYPE_CLASSIFICATION: "classification",
    training_job_pb2.TASK_TYPE_REGRESSION: "regression",
}
TASKS_PB = {v: k for k, v in TASKS.items()}
TRIGGERS = {
    training_job_pb2.TRAINING_TRIGGER_UNSPECIFIED: "MANUAL",
    training_job_pb2.TRAINING_TRIGGER_MANUAL: "MANUAL",
    training_job_pb2.TRAINING_TRIGGER_SCHEDULE: "SCHEDULE",
    training_job_pb2.TRAINING_TRIGGER_DRIFT: "DRIFT",
    training_job_pb2.TRAINING_TRIGGER_PERFORMANCE: "PERFORMANCE",
}
TRIGGERS_PB = {v: k for k, v in TRIGGERS.items() if k}
STATES_PB = {
    state: getattr(training_job_pb2, f"TRAINING_JOB_STATE_{state.value}") for state in JobState
}
STATES = {v: k for k, v in STATES_PB.items()}
# The fields of a ListTrainingJobs filter (AIP-160): enum words map to the stored values.
JOB_FILTER_FIELDS: dict[str, Kind] = {
    "state": {state.value: state.value for state in JobState},
    "trigger": {value: value for value in TRIGGERS.values()},
    "model": str,
    "created_by": str,
    "create_time": datetime,
}
STAGES_PB = {
    "loading": training_job_pb2.TRAINING_STAGE_LOADING,
    "fitting": training_job_pb2.TRAINING_STAGE_FITTING,
    "searching": training_job_pb2.TRAINING_STAGE_SEARCHING,
    "evaluating": training_job_pb2.TRAINING_STAGE_EVALUATING,
    "profiling": training_job_pb2.TRAINING_STAGE_PROFILING,
    "registering": training_job_pb2.TRAINING_STAGE_REGISTERING,
}
CATEGORIES_PB = {
    "bad_spec": training_job_pb2.FAILURE_CATEGORY_BAD_SPEC,
    "bad_data": training_job_pb2.FAILURE_CATEGORY_BAD_DATA,
    "timeout": training_job_pb2.FAILURE_CATEGORY_TIMEOUT,
    "worker_lost": training_job_pb2.FAILURE_CATEGORY_WORKER_LOST,
    "registry_unavailable": training_job_pb2.FAILURE_CATEGORY_REGISTRY_UNAVAILABLE,
    "registry_rejected": training_job_pb2.FAILURE_CATEGORY_REGISTRY_REJECTED,
    "internal": training_job_pb2.FAILURE_CATEGORY_INTERNAL,
}
BUNDLED = {
    getattr(dataset_spec_pb2, f"BUNDLED_DATASET_{name.upper()}"): name
    for name in s.BUNDLED_DATASETS
}
BUNDLED_PB = {v: k for k, v in BUNDLED.items()}
FORMATS = {
    dataset_spec_pb2.DATASET_FORMAT_UNSPECIFIED: "",
    dataset_spec_pb2.DATASET_FORMAT_CSV: "csv",
    dataset_spec_pb2.DATASET_FORMAT_PARQUET: "parquet",
}
FORMATS_PB = {v: k for k, v in FORMATS.items()}
STRATEGIES = {
    search_spec_pb2.SEARCH_STRATEGY_GRID: "grid",
    search_spec_pb2.SEARCH_STRATEGY_RANDOM: "random",
}
STRATEGIES_PB = {v: k for k, v in STRATEGIES.items()}
REMAINDERS = frozenset(
    {
        estimator_spec_pb2.COLUMN_REMAINDER_UNSPECIFIED,
        estimator_spec_pb2.COLUMN_REMAINDER_DROP,
        estimator_spec_pb2.COLUMN_REMAINDER_PASSTHROUGH,
    }
)
MAX_SPEC_DEPTH = 8


class _Violations:
    def __init__(self) -> None:
        self.found: list[FieldViolation] = []

    def add(self, field: str, description: str) -> None:
        self.found.append(FieldViolation(field, description))

    def value(self, message: value_pb2.Value, field: str) -> Any:
        try:
            return values.from_pb(message, finite=True)
        except ValueError as exc:
            self.add(field, str(exc))
            return None


def _estimator(
    message: estimator_spec_pb2.EstimatorSpec, field: str, bad: _Violations, depth: int = 0
) -> s.EstimatorSpec:
    if depth > MAX_SPEC_DEPTH:
        bad.add(field, f"nested more than {MAX_SPEC_DEPTH} levels deep")
        return s.Estimator("")
    kind = message.WhichOneof("spec")
    if kind == "estimator":
        est = message.estimator
        # Keys quoted as the domain quotes them, so one field has one name.
        params = {
            name: bad.value(value, f"{field}.estimator.hyperparameters[{json.dumps(name)}]")
            for name, value in sorted(est.hyperparameters.items())
        }
        return s.Estimator(est.class_name, params)
    if kind == "pipeline":
        return s.Pipeline(
            tuple(
                s.PipelineStep(
                    step.name,
                    _estimator(step.spec, f"{field}.pipeline.steps[{i}].spec", bad, depth + 1),
                )
                for i, step in enumerate(message.pipeline.steps)
            )
        )
    if kind == "column_transformer":
        ct = message.column_transformer
        if ct.remainder not in REMAINDERS:
            bad.add(f"{field}.column_transformer.remainder", "unknown remainder")
        passthrough = ct.remainder == estimator_spec_pb2.COLUMN_REMAINDER_PASSTHROUGH
        remainder: Literal["drop", "passthrough"] = "passthrough" if passthrough else "drop"
        return s.ColumnTransformer(
            tuple(
                s.ColumnEntry(
                    entry.name,
                    _estimator(
                        entry.spec,
                        f"{field}.column_transformer.transformers[{i}].spec",
                        bad,
                        depth + 1,
                    ),
                    tuple(entry.columns),
                )
                for i, entry in enumerate(ct.transformers)
            ),
            remainder,
        )
    bad.add(field, "is required: set estimator, pipeline or column_transformer")
    return s.Estimator("")


def _dataset(message: dataset_spec_pb2.DatasetSpec, bad: _Violations) -> s.DatasetSpec:
    source = message.WhichOneof("source")
    path, bundled = "", ""
    if source == "path":
        path = message.path
        if not path:
            bad.add(f"{P}.dataset.path", "is required")
    elif source == "bundled":
        bundled = BUNDLED.get(message.bundled, "")
        if not bundled:
            bad.add(f"{P}.dataset.bundled", f"must be one of {', '.join(s.BUNDLED_DATASETS)}")
    else:
        bad.add(f"{P}.dataset", "is required: set path or bundled")
    if message.format not in FORMATS:
        bad.add(f"{P}.dataset.format", "unknown format")
    return s.DatasetSpec(
        path=path,
        bundled=bundled,
        format=FORMATS.get(message.format, ""),  # type: ignore[arg-type]
        target_column=message.target_column,
        feature_columns=tuple(message.feature_columns),
        categorical_columns=tuple(message.categorical_columns),
    )


def _search(message: search_spec_pb2.SearchSpec, bad: _Violations) -> s.SearchSpec:
    field = f"{P}.search"
    strategy = STRATEGIES.get(message.strategy)
    if strategy is None:
        bad.add(f"{field}.strategy", "is required: GRID or RANDOM")
    parameters = []
    for i, param in enumerate(message.parameters):
        where = f"{field}.parameters[{i}]"
        domain = param.WhichOneof("domain")
        if domain == "values":
            candidates = tuple(
                bad.value(v, f"{where}.values.values[{j}]")
                for j, v in enumerate(param.values.values)
            )
            if not candidates:
                bad.add(f"{where}.values", "needs at least one value")
            parameters.append(s.SearchParameter(param.name, values=candidates))
        elif domain == "int_range":
            r = param.int_range
            parameters.append(s.SearchParameter(param.name, int_range=(r.min, r.max, r.step or 1)))
        elif domain == "double_range":
            d = param.double_range
            parameters.append(
                s.SearchParameter(
                    param.name, double_range=(d.min, d.max, d.log_scale, d.grid_points or 5)
                )
            )
        else:
            bad.add(where, "needs a domain: values, int_range or double_range")
    return s.SearchSpec(
        strategy=strategy or "grid",  # type: ignore[arg-type]
        parameters=tuple(parameters),
        cv_folds=message.cv_folds or 5,
        scoring=message.scoring,
        n_iter=message.n_iter or 10,
        max_parallel_trials=message.max_parallel_trials or 1,
    )


def new_job(message: training_job_pb2.TrainingJob) -> NewJob:
    """The job a create request asks for; structural problems are INVALID_ARGUMENT here, the
    rest (estimators, columns, data) are checked by the domain."""
    bad = _Violations()
    model_id = ""
    if not message.model:
        bad.add(f"{P}.model", "is required, as models/{model}")
    elif not message.model.startswith("models/") or "/" in message.model[len("models/") :]:
        bad.add(f"{P}.model", "must look like models/{model}")
    else:
        model_id = message.model[len("models/") :]
    task = TASKS.get(message.task)
    if task is None:
        bad.add(f"{P}.task", "is required: CLASSIFICATION or REGRESSION")
    estimator = _estimator(message.estimator, f"{P}.estimator", bad)
    dataset = _dataset(message.dataset, bad)
    split = message.split
    search = _search(message.search, bad) if message.HasField("search") else None
    trigger = TRIGGERS.get(message.trigger)
    if trigger is None:
        bad.add(f"{P}.trigger", "unknown trigger")
    try:
        runtime = message.limits.max_runtime.ToTimedelta().total_seconds()
    except (OverflowError, ValueError):  # beyond what a timedelta holds (about 2.7 million years)
        bad.add(f"{P}.limits.max_runtime", "out of range")
        runtime = 0.0
    if bad.found:
        raise invalid_job(bad.found)
    spec = s.JobSpec(
        task=task or "classification",  # type: ignore[arg-type]
        estimator=estimator,
        dataset=dataset,
        split=s.SplitSpec(
            test_fraction=split.test_fraction or 0.2,
            # Unset is a choice of its own: stratify a classification when the data allows it.
            stratify=split.stratify if split.HasField("stratify") else None,
            seed=split.seed,
        ),
        search=search,
    )
    return NewJob(
        model_id=model_id,
        spec=spec,
        max_runtime_seconds=runtime,
        alias_on_success=message.alias_on_success,
        trigger=trigger or "MANUAL",
        trigger_source=message.trigger_source,
        reason=message.reason,
        parent_version=message.parent_version,
        labels=dict(message.labels),
    )


# -- domain to API --------------------------------------------------------------------------


def _estimator_pb(spec: s.EstimatorSpec) -> estimator_spec_pb2.EstimatorSpec:
    if isinstance(spec, s.Estimator):
        return estimator_spec_pb2.EstimatorSpec(
            estimator=estimator_spec_pb2.Estimator(
                class_name=spec.class_name, hyperparameters=values.map_to_pb(spec.hyperparameters)
            )
        )
    if isinstance(spec, s.Pipeline):
        return estimator_spec_pb2.EstimatorSpec(
            pipeline=estimator_spec_pb2.Pipeline(
                steps=[
                    estimator_spec_pb2.PipelineStep(name=step.name, spec=_estimator_pb(step.spec))
                    for step in spec.steps
                ]
            )
        )
    remainder = (
        estimator_spec_pb2.COLUMN_REMAINDER_PASSTHROUGH
        if spec.remainder == "passthrough"
        else estimator_spec_pb2.COLUMN_REMAINDER_DROP
    )
    return estimator_spec_pb2.EstimatorSpec(
        column_transformer=estimator_spec_pb2.ColumnTransformer(
            transformers=[
                estimator_spec_pb2.ColumnTransformerEntry(
                    name=entry.name, spec=_estimator_pb(entry.spec), columns=list(entry.columns)
                )
                for entry in spec.transformers
            ],
            remainder=remainder,
        )
    )


def _search_pb(spec: s.SearchSpec) -> search_spec_pb2.SearchSpec:
    message = search_spec_pb2.SearchSpec(
        strategy=STRATEGIES_PB[spec.strategy],
        cv_folds=spec.cv_folds,
        scoring=spec.scoring,
        n_iter=spec.n_iter,
        max_parallel_trials=spec.max_parallel_trials,
    )
    for param in spec.parameters:
        entry = message.parameters.add(name=param.name)
        if param.values is not None:
            entry.values.values.extend(values.to_pb(v) for v in param.values)
        elif param.int_range is not None:
            entry.int_range.CopyFrom(
                search_spec_pb2.IntRange(
                    min=param.int_range[0], max=param.int_range[1], step=param.int_range[2]
                )
            )
        elif param.double_range is not None:
            low, high, log_scale, points = param.double_range
            entry.double_range.CopyFrom(
                search_spec_pb2.DoubleRange(
                    min=low, max=high, log_scale=log_scale, grid_points=points
                )
            )
    return message


def job_to_pb(job: TrainingJob) -> training_job_pb2.TrainingJob:
    spec = job.spec
    dataset = dataset_spec_pb2.DatasetSpec(
        format=FORMATS_PB.get(spec.dataset.format, dataset_spec_pb2.DATASET_FORMAT_UNSPECIFIED),
        target_column=spec.dataset.target_column,
        feature_columns=list(spec.dataset.feature_columns),
        categorical_columns=list(spec.dataset.categorical_columns),
    )
    if spec.dataset.bundled:
        dataset.bundled = BUNDLED_PB[spec.dataset.bundled]
    else:
        dataset.path = spec.dataset.path
    runtime = Duration()
    runtime.FromMilliseconds(int(job.max_runtime_seconds * 1000))
    message = training_job_pb2.TrainingJob(
        name=job.name,
        model=job.model,
        task=TASKS_PB[spec.task],
        estimator=_estimator_pb(spec.estimator),
        dataset=dataset,
        split=dataset_spec_pb2.SplitSpec(
            test_fraction=spec.split.test_fraction,
            stratify=spec.split.stratify,  # None leaves the field unset
            seed=spec.split.seed,
        ),
        limits=training_job_pb2.TrainingLimits(max_runtime=runtime),
        alias_on_success=job.alias_on_success,
        trigger=TRIGGERS_PB.get(job.trigger, training_job_pb2.TRAINING_TRIGGER_MANUAL),
        trigger_source=job.trigger_source,
        reason=job.reason,
        parent_version=job.parent_version,
        labels=job.labels,
        state=STATES_PB[job.state],
        progress=training_job_pb2.TrainingProgress(
            stage=STAGES_PB.get(job.progress.stage, training_job_pb2.TRAINING_STAGE_UNSPECIFIED),
            trial=job.progress.trial,
            trial_count=job.progress.trial_count,
            percent=job.progress.percent,
            message=job.progress.message,
        ),
        attempt_count=job.attempt_count,
        created_by=job.created_by,
        cancelled_by=job.cancelled_by,
        cancel_reason=job.cancel_reason,
        create_time=timestamp(job.create_time),
        start_time=timestamp(job.start_time),
        end_time=timestamp(job.end_time),
        update_time=timestamp(job.update_time),
        model_version=job.model_version,
        metrics=job.metrics,
        best_params=values.map_to_pb(job.best_params),
    )
    if spec.search is not None:
        message.search.CopyFrom(_search_pb(spec.search))
    if job.failure is not None:
        message.failure.CopyFrom(
            training_job_pb2.TrainingFailure(
                category=CATEGORIES_PB.get(
                    job.failure.category, training_job_pb2.FAILURE_CATEGORY_INTERNAL
                ),
                message=job.failure.message,
                retryable=job.failure.retryable,
            )
        )
    return message
