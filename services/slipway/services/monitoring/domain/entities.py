"""Monitoring's domain objects: plain dataclasses, no protobuf, no SQL."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from slipway.ml.profiles import FeatureStats, Kind


class TrafficRole(enum.Enum):
    UNSPECIFIED = "UNSPECIFIED"  # counted as primary
    PRIMARY = "PRIMARY"
    CANARY = "CANARY"
    SHADOW = "SHADOW"


class Tensor(NamedTuple):
    """A logged tensor, packed: the values of ``shape`` in row-major order.

    A named tuple rather than a frozen dataclass: ingest makes one per tensor of every record
    (twenty or more per record), and a frozen dataclass costs five ``object.__setattr__`` calls
    each, the largest part of taking a record in."""

    name: str
    data_type: str  # the protocol's datatype name (FP64, BYTES, ...); "" when unknown
    shape: tuple[int, ...]
    raw_contents: bytes = b""
    missing_mask: bytes = b""  # one byte per value; 1 where the value is missing


@dataclass(frozen=True)
class PredictionRecord:
    """One request's inputs and outputs as a server logged them."""

    request_id: str
    model_version: str
    alias: str
    role: TrafficRole | None  # None: a role this server does not know
    time: datetime | None  # None when not given (or not valid, see time_invalid)
    row_count: int
    inputs: tuple[Tensor, ...]
    outputs: tuple[Tensor, ...] = ()
    time_invalid: bool = False  # a time was given outside years 1 to 9999
    encoded: bytes = field(default=b"", repr=False, compare=False)
    """The record as it arrived, encoded (a ``PredictionRecord`` message without unknown
    fields), stored as it is: encoding it again would cost more than checking it. Empty: the
    store encodes it."""


class LoggedRecord(NamedTuple):
    """A prediction record as ingest takes it in: what it says about itself, read from its
    envelope, and its encoding as it arrived. Its tensors are not decoded at ingest (that would
    cost more than everything else a record costs); whether they match ``row_count`` and their
    datatypes is checked where the stored record is read, which skips one that does not."""

    request_id: str
    model_version: str
    alias: str
    role: str  # as stored: primary (also when not set), canary, shadow; "" when not known
    time: datetime | None  # None when not given (or not valid, see time_invalid)
    time_invalid: bool
    row_count: int
    input_count: int
    output_count: int
    encoded: bytes
    """A ``PredictionRecord`` message (top-level unknown fields dropped)."""


@dataclass(frozen=True)
class GroundTruth:
    """The true labels of one request's rows."""

    request_id: str
    labels: Tensor | None
    time: datetime | None
    model: str = ""  # models/{model}; "" for every model that served the request
    time_invalid: bool = False


@dataclass(frozen=True)
class StoredRecord:
    """A logged prediction record as a window reads it back."""

    seq: int
    time: datetime
    row_count: int
    record: PredictionRecord
    label: Tensor | None  # once its ground truth arrived
    problem: str = ""  # why the record cannot be read ("" when it can)


class NewPrediction(NamedTuple):
    """A checked prediction record about to be stored (a named tuple: one per record ingested,
    made where a frozen dataclass would cost a ``__setattr__`` call per field)."""

    model: str
    model_version: str
    request_id: str
    role: str  # primary, canary, shadow
    alias: str
    time: datetime
    received_time: datetime
    row_count: int
    encoded: bytes  # the record's ``PredictionRecord`` message


@dataclass(frozen=True)
class PendingLabel:
    """Ground truth waiting for its prediction."""

    id: int
    request_id: str
    model: str
    label: Tensor
    label_time: datetime


@dataclass(frozen=True)
class NewPendingLabel:
    """Ground truth about to wait for its prediction."""

    request_id: str
    model: str
    label: Tensor
    label_time: datetime
    received_time: datetime


@dataclass(frozen=True)
class KnownLabel:
    """A label some record of a request already has (shadow records take it too)."""

    request_id: str
    model: str
    label: Tensor
    label_time: datetime | None
    row_count: int


@dataclass(frozen=True)
class EvaluationCursor:
    """The last window a policy evaluated for a version."""

    first_seq: int
    last_seq: int
    labeled_records: int
    evaluate_time: datetime


class RetrainingTrigger(enum.Enum):
    """Why a retraining job is asked for."""

    DRIFT = "DRIFT"
    PERFORMANCE = "PERFORMANCE"


class RetrainingDecision(enum.Enum):
    """What became of a retraining request; recorded on the alert behind it."""

    TRIGGERED = "TRIGGERED"
    SKIPPED_COOLDOWN = "SKIPPED_COOLDOWN"
    SKIPPED_JOB_RUNNING = "SKIPPED_JOB_RUNNING"
    FAILED = "FAILED"


@dataclass(frozen=True)
class RetrainingRequest:
    """A retraining job asked for by a firing alert, with the policy's retraining settings."""

    model: str
    model_version: str
    policy: str  # monitoringPolicies/{id}
    alert: str  # alerts/{id}
    summary: str  # the alert's summary, cited in the job's reason
    report: str  # monitoringReports/{id}
    trigger: RetrainingTrigger
    source_job: str  # the job whose spec is copied ("": none known)
    dataset_path: str  # "" keeps the source job's dataset
    alias_on_success: str  # "" takes the default
    cooldown: timedelta
    last_trigger: datetime | None  # when this policy last started a job for the model
    now: datetime


@dataclass(frozen=True)
class RetrainingOutcome:
    decision: RetrainingDecision
    job: str = ""  # trainingJobs/{id}: the job started, or the one still running
    detail: str = ""


# --- policies ---------------------------------------------------------------------------------
# A policy is a settings document: a field left unset (None) differs from one set to its zero,
# as in the API (an unset cooldown takes the default, a zero one holds nothing back). An enum
# value this server does not know arrives as None, so that the checks can name it.


class DriftMethod(enum.Enum):
    UNSPECIFIED = "UNSPECIFIED"
    KS = "KS"
    CHI_SQUARE = "CHI_SQUARE"
    Z_TEST = "Z_TEST"
    WASSERSTEIN = "WASSERSTEIN"
    JENSEN_SHANNON = "JENSEN_SHANNON"
    PSI = "PSI"


class ConceptDriftDetector(enum.Enum):
    UNSPECIFIED = "UNSPECIFIED"
    PAGE_HINKLEY = "PAGE_HINKLEY"
    ADWIN = "ADWIN"
    DISABLED = "DISABLED"


class Severity(enum.Enum):
    UNSPECIFIED = "UNSPECIFIED"
    INFO = "INFO"
    WARNING = "WARNING"
    CRITICAL = "CRITICAL"


class PolicyAction(enum.Enum):
    UNSPECIFIED = "UNSPECIFIED"
    ALERT = "ALERT"
    RETRAIN = "RETRAIN"


@dataclass(frozen=True)
class Span:
    """A length of time exactly as given: whole seconds and nanoseconds."""

    seconds: int = 0
    nanos: int = 0

    def total_seconds(self) -> float | None:
        """The length in seconds; None when the nanoseconds pass a second or have the other
        sign (what google.protobuf.Duration forbids)."""
        seconds, nanos = self.seconds, self.nanos
        if abs(nanos) >= 1_000_000_000 or (seconds < 0 < nanos) or (nanos < 0 < seconds):
            return None
        return seconds + nanos / 1e9

    def as_timedelta(self) -> timedelta:
        """To the microsecond, rounded toward zero."""
        micros = abs(self.nanos) // 1000
        return timedelta(seconds=self.seconds, microseconds=micros if self.nanos >= 0 else -micros)


@dataclass(frozen=True)
class WindowSpec:
    """At most one of the two is set."""

    row_count: int | None = None
    duration: Span | None = None


@dataclass(frozen=True)
class DriftTest:
    method: DriftMethod | None = DriftMethod.UNSPECIFIED
    threshold: float | None = None


@dataclass(frozen=True)
class DriftSettings:
    numeric: DriftTest | None = None
    categorical: DriftTest | None = None
    binary: DriftTest | None = None
    feature_overrides: Mapping[str, DriftTest] = field(default_factory=dict)
    dataset_drift_share: float | None = None
    psi_bins: int = 0
    severity: Severity | None = Severity.UNSPECIFIED
    alert_on_multivariate_drift: bool = False


@dataclass(frozen=True)
class MetricThreshold:
    metric: str
    max_degradation: float | None = None
    bound: float | None = None


@dataclass(frozen=True)
class PerformanceSettings:
    thresholds: tuple[MetricThreshold, ...] = ()
    concept_drift_detector: ConceptDriftDetector | None = ConceptDriftDetector.UNSPECIFIED
    concept_drift_parameters: Mapping[str, float] = field(default_factory=dict)
    severity: Severity | None = Severity.UNSPECIFIED
    alert_on_estimated_performance: bool = False


@dataclass(frozen=True)
class DataQualitySettings:
    max_missing_share: float | None = None
    max_out_of_range_share: float | None = None
    alert_on_unseen_categories: bool = False
    severity: Severity | None = Severity.UNSPECIFIED


# The alias a retrained version takes when its policy names none: the canary and shadow alias,
# which serves live traffic, so a policy landing on it needs an approver (``Policies``).
DEFAULT_RETRAINING_ALIAS = "challenger"


@dataclass(frozen=True)
class RetrainingSettings:
    cooldown: Span | None = None
    alias_on_success: str = ""
    source_training_job: str = ""
    dataset_path: str = ""


@dataclass(frozen=True)
class Policy:
    """A monitoring policy: what to watch on a model's traffic, when to alert, what to do."""

    name: str = ""  # monitoringPolicies/{id}
    model: str = ""
    description: str = ""
    disabled: bool = False
    window: WindowSpec | None = None
    min_samples: int = 0
    drift: DriftSettings | None = None
    performance: PerformanceSettings | None = None
    data_quality: DataQualitySettings | None = None
    action: PolicyAction | None = PolicyAction.UNSPECIFIED
    retraining: RetrainingSettings | None = None
    created_by: str = ""
    create_time: datetime | None = None
    update_time: datetime | None = None
    etag: str = ""

    @property
    def drift_settings(self) -> DriftSettings:
        return self.drift or DriftSettings()

    @property
    def performance_settings(self) -> PerformanceSettings:
        return self.performance or PerformanceSettings()

    @property
    def data_quality_settings(self) -> DataQualitySettings:
        return self.data_quality or DataQualitySettings()

    @property
    def retraining_settings(self) -> RetrainingSettings:
        return self.retraining or RetrainingSettings()

    @property
    def window_duration(self) -> Span | None:
        """The time window's length; None for a count window."""
        return None if self.window is None else self.window.duration

    @property
    def window_rows(self) -> int:
        """The count window's rows; 0 when unset (the default applies)."""
        return (self.window.row_count or 0) if self.window is not None else 0


# --- reports ----------------------------------------------------------------------------------
# A section the report could not compute is None (the API leaves it unset).


class SchemaIssueKind(enum.Enum):
    UNSPECIFIED = "UNSPECIFIED"
    MISSING_FEATURE = "MISSING_FEATURE"
    UNEXPECTED_FEATURE = "UNEXPECTED_FEATURE"
    DATA_TYPE_MISMATCH = "DATA_TYPE_MISMATCH"
    SHAPE_MISMATCH = "SHAPE_MISMATCH"


@dataclass(frozen=True)
class ReportWindow:
    start_time: datetime | None = None  # both set for a time window
    end_time: datetime | None = None
    row_count: int = 0
    sample_row_count: int = 0


@dataclass(frozen=True)
class PsiResult:
    value: float = 0.0
    bin_count: int = 0
    bin_edges: tuple[float, ...] = ()


@dataclass(frozen=True)
class FeatureDrift:
    feature: str
    kind: Kind
    method: DriftMethod
    score: float  # the p-value where the method has one, else the statistic
    statistic: float
    threshold: float
    drifted: bool
    psi: PsiResult
    reference: FeatureStats
    current: FeatureStats
    note: str = ""
    # The fields of ``reference`` computed on the whole training column (its sketch); the
    # others on the reference sample.
    reference_whole_column_fields: tuple[str, ...] = ()
    # Present reference values the test ran on: the whole column's when it ran on its exact
    # category counts, the sample's otherwise.
    reference_test_count: int = 0


@dataclass(frozen=True)
class DatasetDrift:
    features: tuple[FeatureDrift, ...] = ()
    drifted_count: int = 0
    drifted_share: float = 0.0
    share_threshold: float = 0.0
    drifted: bool = False


@dataclass(frozen=True)
class FeatureQuality:
    feature: str
    missing_count: int = 0
    missing_share: float = 0.0
    reference_missing_share: float = 0.0
    out_of_range_count: int = 0
    out_of_range_share: float = 0.0
    unseen_category_count: int = 0
    unseen_categories: tuple[str, ...] = ()
    flagged: bool = False


@dataclass(frozen=True)
class SchemaIssue:
    feature: str
    kind: SchemaIssueKind
    detail: str
    record_count: int


@dataclass(frozen=True)
class DataQuality:
    features: tuple[FeatureQuality, ...] = ()
    schema_issues: tuple[SchemaIssue, ...] = ()
    issues_found: bool = False


@dataclass(frozen=True)
class MetricComparison:
    metric: str
    value: float
    reference_value: float | None = None
    degradation: float = 0.0
    max_degradation: float | None = None
    bound: float | None = None
    degraded: bool = False


@dataclass(frozen=True)
class ConceptDriftResult:
    detector: ConceptDriftDetector = ConceptDriftDetector.UNSPECIFIED
    parameters: Mapping[str, float] = field(default_factory=dict)
    detected: bool = False
    statistic: float = 0.0
    detection_time: datetime | None = None


@dataclass(frozen=True)
class UnavailableMetric:
    """A metric that could not be computed on a window, and why (a ``Reason`` wire string)."""

    metric: str
    reason: str
    detail: str = ""


@dataclass(frozen=True)
class PerformanceReport:
    labeled_row_count: int = 0
    label_coverage: float = 0.0
    metrics: tuple[MetricComparison, ...] = ()
    concept_drift: ConceptDriftResult = field(default_factory=ConceptDriftResult)
    degraded: bool = False
    unavailable_metrics: tuple[UnavailableMetric, ...] = ()
    invalid_label_count: int = 0  # labeled rows left out: not a label the version can have


class EstimationMethod(enum.Enum):
    UNSPECIFIED = 0
    CBPE = 1
    DLE = 2


@dataclass(frozen=True)
class EstimatedMetric:
    """A metric estimated without labels, its band, and its verdict against the holdout."""

    metric: str
    value: float
    sampling_error: float
    lower_confidence_bound: float
    upper_confidence_bound: float
    reference_value: float | None = None
    realized_value: float | None = None  # once the window's labels arrived
    degradation: float = 0.0
    max_degradation: float | None = None
    bound: float | None = None
    degraded: bool = False


@dataclass(frozen=True)
class PerformanceEstimate:
    method: EstimationMethod = EstimationMethod.UNSPECIFIED
    metrics: tuple[EstimatedMetric, ...] = ()
    reference_row_count: int = 0  # labeled reference rows the estimator learned from
    row_count: int = 0  # window rows read
    calibrated: bool = False
    degraded: bool = False
    note: str = ""


@dataclass(frozen=True)
class MultivariateDrift:
    reconstruction_error: float
    lower_threshold: float
    upper_threshold: float
    reference_error: float
    component_count: int
    variance_share: float
    row_count: int
    drifted: bool = False


@dataclass(frozen=True)
class Report:
    """One version's window compared with its reference under a policy."""

    model: str
    model_version: str
    policy: str  # "" when the defaults applied
    window: ReportWindow
    create_time: datetime
    reference_row_count: int
    sufficient_samples: bool
    data_quality: DataQuality
    data_drift: DatasetDrift | None = None
    prediction_drift: DatasetDrift | None = None
    target_drift: FeatureDrift | None = None
    performance: PerformanceReport | None = None
    name: str = ""  # monitoringReports/{id} once stored
    reference_sample_row_count: int = 0  # of reference_row_count, the rows the statistics used
    performance_estimate: PerformanceEstimate | None = None
    multivariate_drift: MultivariateDrift | None = None


# --- alerts -----------------------------------------------------------------------------------


class AlertKind(enum.Enum):
    """What an alert is about; the values are the names the store and the metrics use."""

    DATA_DRIFT = "data_drift"
    PREDICTION_DRIFT = "prediction_drift"
    TARGET_DRIFT = "target_drift"
    PERFORMANCE = "performance"
    CONCEPT_DRIFT = "concept_drift"
    DATA_QUALITY = "data_quality"
    ESTIMATED_PERFORMANCE = "estimated_performance"
    MULTIVARIATE_DRIFT = "multivariate_drift"


class AlertState(enum.Enum):
    FIRING = "firing"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class Alert:
    """A problem one policy found in one version's traffic, naming the report behind it."""

    name: str  # alerts/{id}
    model: str
    model_version: str
    policy: str  # monitoringPolicies/{id}
    kind: AlertKind
    severity: Severity
    state: AlertState
    summary: str
    subjects: tuple[str, ...]
    report: str  # monitoringReports/{id}, the report it fired on or was last updated with
    fire_time: datetime | None = None
    update_time: datetime | None = None
    resolve_time: datetime | None = None
    resolve_reason: str = ""
    retraining_decision: RetrainingDecision | None = None  # None: nothing decided yet
    training_job: str = ""
    retraining_detail: str = ""
