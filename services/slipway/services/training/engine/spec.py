"""What a training job asks for, as plain data: no protobuf, no scikit-learn objects.

The servicer converts the API message into a ``JobSpec``; the spec is stored with the job as
JSON and handed to the child process that trains, so both ends read the same thing. Values of
hyperparameters and search domains are JSON types (None, bool, int, float, str, list, dict) and
keep their type: ``1`` and ``1.0`` stay distinct.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Task = Literal["classification", "regression"]
BUNDLED_DATASETS = ("iris", "wine", "breast_cancer", "diabetes", "digits")


@dataclass(frozen=True)
class Estimator:
    """One allow-listed class with its constructor arguments."""

    class_name: str
    hyperparameters: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PipelineStep:
    name: str
    spec: EstimatorSpec


@dataclass(frozen=True)
class Pipeline:
    steps: tuple[PipelineStep, ...]


@dataclass(frozen=True)
class ColumnEntry:
    name: str
    spec: EstimatorSpec
    columns: tuple[str, ...]


@dataclass(frozen=True)
class ColumnTransformer:
    transformers: tuple[ColumnEntry, ...]
    remainder: Literal["drop", "passthrough"] = "drop"


EstimatorSpec = Estimator | Pipeline | ColumnTransformer


@dataclass(frozen=True)
class DatasetSpec:
    """Exactly one of ``path`` (relative to the data root) and ``bundled`` is set."""

    path: str = ""
    bundled: str = ""  # one of BUNDLED_DATASETS
    format: Literal["", "csv", "parquet"] = ""  # "" means: from the file extension
    target_column: str = ""  # "" means "target" for bundled datasets
    feature_columns: tuple[str, ...] = ()  # () means every column but the target
    categorical_columns: tuple[str, ...] = ()  # () means: string columns are categorical


@dataclass(frozen=True)
class SplitSpec:
    test_fraction: float = 0.2
    # None: stratified for a classification whose every class has 2 rows, else unstratified;
    # True: stratified, and a class with fewer rows is refused; False: never stratified.
    stratify: bool | None = None
    seed: int = 0


@dataclass(frozen=True)
class SearchParameter:
    """Exactly one domain is set."""

    name: str
    values: tuple[Any, ...] | None = None
    int_range: tuple[int, int, int] | None = None  # min, max, step (grid)
    double_range: tuple[float, float, bool, int] | None = None  # min, max, log_scale, points


@dataclass(frozen=True)
class SearchSpec:
    strategy: Literal["grid", "random"]
    parameters: tuple[SearchParameter, ...]
    cv_folds: int = 5
    scoring: str = ""  # "" means the estimator's own score
    n_iter: int = 10
    max_parallel_trials: int = 1


@dataclass(frozen=True)
class JobSpec:
    """Everything the engine needs to train, evaluate and profile one model."""

    task: Task
    estimator: EstimatorSpec
    dataset: DatasetSpec
    split: SplitSpec = SplitSpec()
    search: SearchSpec | None = None

    def to_json(self) -> str:
        return json.dumps(_encode(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> JobSpec:
        return _decode_job(json.loads(text))


# -- JSON encoding: dataclasses become dicts, the estimator union is tagged by kind --------------


def _encode(value: Any) -> Any:
    if isinstance(value, Estimator):
        return {
            "kind": "estimator",
            "class_name": value.class_name,
            "hyperparameters": value.hyperparameters,
        }
    if isinstance(value, Pipeline):
        return {
            "kind": "pipeline",
            "steps": [{"name": s.name, "spec": _encode(s.spec)} for s in value.steps],
        }
    if isinstance(value, ColumnTransformer):
        return {
            "kind": "column_transformer",
            "remainder": value.remainder,
            "transformers": [
                {"name": t.name, "spec": _encode(t.spec), "columns": list(t.columns)}
                for t in value.transformers
            ],
        }
    if isinstance(value, JobSpec):
        return {
            "task": value.task,
            "estimator": _encode(value.estimator),
            "dataset": asdict(value.dataset),
            "split": asdict(value.split),
            "search": None if value.search is None else asdict(value.search),
        }
    raise TypeError(f"cannot encode {type(value).__name__}")


def _decode_estimator(data: dict[str, Any]) -> EstimatorSpec:
    kind = data["kind"]
    if kind == "estimator":
        return Estimator(data["class_name"], dict(data["hyperparameters"]))
    if kind == "pipeline":
        return Pipeline(
            tuple(PipelineStep(s["name"], _decode_estimator(s["spec"])) for s in data["steps"])
        )
    if kind == "column_transformer":
        return ColumnTransformer(
            tuple(
                ColumnEntry(t["name"], _decode_estimator(t["spec"]), tuple(t["columns"]))
                for t in data["transformers"]
            ),
            data["remainder"],
        )
    raise ValueError(f"unknown estimator kind {kind!r}")


def _tuple_or_none(value: Any) -> Any:
    return None if value is None else tuple(value)


def _decode_job(data: dict[str, Any]) -> JobSpec:
    dataset = dict(data["dataset"])
    dataset["feature_columns"] = tuple(dataset["feature_columns"])
    dataset["categorical_columns"] = tuple(dataset["categorical_columns"])
    search = None
    if data.get("search") is not None:
        raw = dict(data["search"])
        raw["parameters"] = tuple(
            SearchParameter(
                p["name"],
                _tuple_or_none(p["values"]),
                _tuple_or_none(p["int_range"]),
                _tuple_or_none(p["double_range"]),
            )
            for p in raw["parameters"]
        )
        search = SearchSpec(**raw)
    return JobSpec(
        task=data["task"],
        estimator=_decode_estimator(data["estimator"]),
        dataset=DatasetSpec(**dataset),
        split=SplitSpec(**data["split"]),
        search=search,
    )
