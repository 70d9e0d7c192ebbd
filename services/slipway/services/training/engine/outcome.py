"""What the engine reports while it trains, and what it hands back: plain, JSON-friendly data.

The child process that trains sends ``Progress`` to its supervisor and writes a
``TrainingOutcome`` (as JSON) next to the files it produced; a ``TrainingFailed`` it raises is
reported with its category. Nothing here imports protobuf.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Stage = Literal["loading", "fitting", "searching", "evaluating", "profiling", "registering"]
FailureCategory = Literal[
    "bad_spec",
    "bad_data",
    "timeout",
    "worker_lost",
    "registry_unavailable",
    "registry_rejected",
    "internal",
]
DataType = Literal["BOOL", "INT32", "INT64", "FP32", "FP64", "BYTES"]
FeatureKind = Literal["numeric", "categorical", "binary"]


@dataclass(frozen=True)
class Progress:
    stage: Stage
    percent: float  # overall estimate, 0 to 100
    message: str = ""
    trial: int = 0  # searching: the candidate fit just finished, from 1
    trial_count: int = 0  # searching: candidates x folds


class TrainingFailed(Exception):  # noqa: N818  (an outcome the job reports, not a bug)
    """A job that cannot succeed as specified (or not now): reported, never retried blindly."""

    def __init__(self, category: FailureCategory, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.category: FailureCategory = category
        self.message = message
        self.retryable = retryable


@dataclass(frozen=True)
class Violation:
    """A field of the request that is wrong, addressed like the API message, for example
    ``training_job.estimator.pipeline.steps[1].spec.estimator.hyperparameters["C"]``."""

    field: str
    description: str


@dataclass(frozen=True)
class FeatureSignature:
    name: str
    data_type: DataType  # FP64 for numeric columns, BYTES for categorical ones
    kind: FeatureKind
    categories: tuple[str, ...] = ()  # categorical: the categories seen in training


@dataclass(frozen=True)
class OutputSignature:
    name: str  # "predict" or "predict_proba"
    data_type: DataType
    shape: tuple[int, ...]  # (-1,) for predict, (-1, n_classes) for predict_proba
    class_labels: tuple[Any, ...] = ()  # classifiers: labels in predict_proba column order


@dataclass(frozen=True)
class DatasetReference:
    uri: str  # "file:{relative path}" or "sklearn:{name}"
    sha256: str
    row_count: int


@dataclass(frozen=True)
class ArtifactFile:
    """A file the engine wrote into its output folder."""

    filename: str  # relative to the output folder
    sha256: str
    size_bytes: int
    format: Literal["skops", "npz", "parquet"]


@dataclass(frozen=True)
class TrainingOutcome:
    model: ArtifactFile
    inputs: tuple[FeatureSignature, ...]
    outputs: tuple[OutputSignature, ...]
    metrics: dict[str, float]
    params: dict[str, Any]  # the fitted estimator's parameters, JSON types only
    best_params: dict[str, Any]  # the winning search candidate; {} without a search
    dataset: DatasetReference
    seed: int
    framework_versions: dict[str, str]
    # The reference profile: core.profiles.FeatureStats as dicts (dataclasses.asdict).
    profile_features: tuple[dict[str, Any], ...]
    profile_outputs: tuple[dict[str, Any], ...]
    profile_target: dict[str, Any]
    profile_row_count: int
    sample: ArtifactFile
    sample_row_count: int
    extra: dict[str, Any] = field(default_factory=dict)
    # Whether the fitted model predicts on rows with NaN (ml.missing_values), for the signature.
    accepts_missing_values: bool = False
