"""The drift cases with a known answer (``support.drift_cases``) as the whole service sees them:
a dataset file to train on, a training job, the inference requests that carry the current rows,
and each feature's verdict in a report set beside Evidently's preset given the *full* training
data (``support.evidently_oracle``).

Shared by ``tests/services/monitoring/test_monitoring_agreement.py`` (in-process servers) and
``bench/drift_service_agreement.py`` (a ``slipway up`` suite), which print or assert the same
comparison. The documented deviations, where the service's verdict is expected to differ from
Evidently's, are listed once, here: ``DEVIATIONS``.

What the service compares with is not the case's reference itself: training holds out 20 % of
the rows (its default split) and the reference is the other 80 % (a uniform sample of them when
there are more than ``reference_sample_rows``, 100,000 by default). Evidently is given the whole
reference. The cases' effects are many times the tests' resolution, so the verdicts do not hinge
on which 80 % it is; the scores differ a little.

Needs numpy, pyarrow and the generated API package only (no pytest), so a bench can import it
with ``tests/`` on ``sys.path``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from slipway.client.tensors import infer_request
from slipway.inference.v2 import grpc_service_pb2 as infer_pb
from slipway.monitoring.v1 import drift_pb2
from slipway.training.v1 import dataset_spec_pb2, estimator_spec_pb2, training_job_pb2
from support.drift_cases import CONTINGENCY, MISSING_SHARE, DriftCase
from support.evidently_oracle import ColumnVerdict, column_verdict

__all__ = [
    "DEVIATIONS",
    "LABEL",
    "MUST_SHOW",
    "FeatureAgreement",
    "compare",
    "features",
    "ground_truth",
    "model_id",
    "requests",
    "rows_per_request",
    "training_job",
    "write_dataset",
]

MUST_SHOW = (
    "no_drift",
    "mean_shift_3_of_20",
    "variance_change",
    "categorical_frequency_change",
    "unseen_category",
    "missing_values",
    "large_tiny_shift",
    "concept_drift_unchanged_inputs",
    "correlation_change",
)
"""The cases issue 17 asks to see through the whole service, in ``CASE_NAMES`` order."""

LABEL = "label"
# The concept drift case carries its model's predictions and the labels beside the inputs; they
# are the target and an output, not features.
_NOT_FEATURES = frozenset({"prediction", "target"})

# Where a feature's verdict is expected to differ from Evidently's preset, and the documented
# reason (docs/monitoring-types.md, "Differences from Evidently"). The cases name them; the
# comparison also checks that the oracle with that difference switched on gives the service's
# verdict, so a deviation listed here explains the difference rather than excuses it.
REASONS = {
    CONTINGENCY: "two-sample chi-square (docs/monitoring-types.md): one stray new value in 500 "
    "is no drift; Evidently's goodness-of-fit test expects 0 of it and flags it",
    MISSING_SHARE: "missing-share test (docs/monitoring-types.md): the share missing went from "
    "0 to 20-30 %; Evidently drops missing values and sees the present ones unchanged",
}


def _deviations() -> dict[tuple[str, str], str]:
    from support.drift_cases import case

    return {
        (name, feature): reason
        for name in MUST_SHOW
        for feature, reason in case(name).evidently_differs.items()
    }


DEVIATIONS: Mapping[tuple[str, str], str] = _deviations()
"""(case, feature) -> the documented difference (``CONTINGENCY`` or ``MISSING_SHARE``)."""


def features(case: DriftCase) -> tuple[str, ...]:
    return tuple(name for name in case.features if name not in _NOT_FEATURES)


def model_id(case: DriftCase) -> str:
    return case.name.replace("_", "-")


def _labels(case: DriftCase) -> npt.NDArray[Any]:
    """A label the model can learn: the case's own target where it has one, else whether the
    sum of its standardised numeric features (missing as 0) and some noise is above its median."""
    if "target" in case.reference:
        return np.where(case.reference["target"] > 0.5, "yes", "no").astype(object)
    rows = len(next(iter(case.reference.values())))
    score = np.random.default_rng(3).normal(0.0, 1.0, rows)
    for name in features(case):
        values = case.reference[name]
        if values.dtype.kind == "f":
            spread = float(np.nanstd(values)) or 1.0
            score += np.nan_to_num((values - np.nanmean(values)) / spread)
    return np.where(score > np.median(score), "yes", "no").astype(object)


def write_dataset(case: DriftCase, path: Path) -> None:
    """The case's reference (its features, and ``label``) as a Parquet file: numbers as doubles
    with NaN for missing, categories as strings with null for missing."""
    columns: dict[str, Any] = {}
    for name in features(case):
        values = case.reference[name]
        if values.dtype.kind == "f":
            columns[name] = pa.array(values, type=pa.float64())
        else:
            columns[name] = pa.array(values.tolist(), type=pa.string())
    columns[LABEL] = pa.array(_labels(case).tolist(), type=pa.string())
    pq.write_table(pa.table(columns), path)


def _spec(**fields: Any) -> estimator_spec_pb2.EstimatorSpec:
    return estimator_spec_pb2.EstimatorSpec(**fields)


def _step(name: str, class_name: str, **text: str) -> estimator_spec_pb2.PipelineStep:
    from slipway.core.values import to_pb

    return estimator_spec_pb2.PipelineStep(
        name=name,
        spec=_spec(
            estimator=estimator_spec_pb2.Estimator(
                class_name=class_name, hyperparameters={k: to_pb(v) for k, v in text.items()}
            )
        ),
    )


def training_job(case: DriftCase, dataset_path: str) -> training_job_pb2.TrainingJob:
    """A logistic regression on every feature of the case: numbers imputed and scaled,
    categories imputed (most frequent) and one-hot encoded, so the model predicts with missing
    values of either kind. The split is training's default (20 % holdout)."""
    numbers = [n for n in features(case) if case.reference[n].dtype.kind == "f"]
    texts = [n for n in features(case) if case.reference[n].dtype.kind != "f"]
    entries = []
    if numbers:
        entries.append(
            estimator_spec_pb2.ColumnTransformerEntry(
                name="numbers",
                spec=_spec(
                    pipeline=estimator_spec_pb2.Pipeline(
                        steps=[_step("impute", "SimpleImputer"), _step("scale", "StandardScaler")]
                    )
                ),
                columns=numbers,
            )
        )
    if texts:
        entries.append(
            estimator_spec_pb2.ColumnTransformerEntry(
                name="categories",
                spec=_spec(
                    pipeline=estimator_spec_pb2.Pipeline(
                        steps=[
                            _step("impute", "SimpleImputer", strategy="most_frequent"),
                            _step("encode", "OneHotEncoder", handle_unknown="ignore"),
                        ]
                    )
                ),
                columns=texts,
            )
        )
    estimator = _spec(
        pipeline=estimator_spec_pb2.Pipeline(
            steps=[
                estimator_spec_pb2.PipelineStep(
                    name="prepare",
                    spec=_spec(
                        column_transformer=estimator_spec_pb2.ColumnTransformer(
                            transformers=entries
                        )
                    ),
                ),
                _step("model", "LogisticRegression"),
            ]
        )
    )
    return training_job_pb2.TrainingJob(
        model=f"models/{model_id(case)}",
        task=training_job_pb2.TASK_TYPE_CLASSIFICATION,
        estimator=estimator,
        dataset=dataset_spec_pb2.DatasetSpec(
            path=dataset_path, target_column=LABEL, feature_columns=features(case)
        ),
        reason=f"drift case {case.name}",
    )


def rows_per_request(case: DriftCase) -> int:
    """50 rows a request, or as many as make 100 requests of a large window."""
    rows = len(case.current[features(case)[0]])
    return max(50, math.ceil(rows / 100))


def _chunks(case: DriftCase) -> Iterator[tuple[int, slice]]:
    total = len(case.current[features(case)[0]])
    size = rows_per_request(case)
    for number, start in enumerate(range(0, total, size)):
        yield number, slice(start, start + size)


def requests(case: DriftCase, model: str) -> Iterator[infer_pb.ModelInferRequest]:
    """The case's current rows as ModelInfer requests, one [N] tensor per feature as the Python
    client sends them (NaN for a missing number, a named missing element for a missing text)."""
    for number, rows in _chunks(case):
        columns = {name: case.current[name][rows] for name in features(case)}
        yield infer_request(model, columns, outputs=None, request_id=f"{model}-{number}")


def ground_truth(case: DriftCase, model: str) -> list[tuple[str, npt.NDArray[Any]]]:
    """The labels of the concept drift case's current rows, by the request id that carried
    them (``requests``), as the model's classes ("yes"/"no"); empty for the other cases."""
    if case.concept is None:
        return []
    labels = np.where(case.concept.labels > 0.5, "yes", "no").astype(object)
    return [(f"{model}-{number}", labels[rows]) for number, rows in _chunks(case)]


_METHODS = {
    drift_pb2.DRIFT_METHOD_KS: "ks",
    drift_pb2.DRIFT_METHOD_Z_TEST: "z",
    # The service's chi-square is the two-sample test, Evidently's the goodness-of-fit test: the
    # same method in the preset's choice, a documented difference in how it is computed.
    drift_pb2.DRIFT_METHOD_CHI_SQUARE: "chisquare",
    drift_pb2.DRIFT_METHOD_WASSERSTEIN: "wasserstein",
    drift_pb2.DRIFT_METHOD_JENSEN_SHANNON: "jensenshannon",
    drift_pb2.DRIFT_METHOD_PSI: "psi",
}


@dataclass(frozen=True)
class FeatureAgreement:
    """One feature: the service's verdict (from a report), Evidently's (the oracle, on the
    full reference), and whether a documented deviation explains a difference."""

    case: str
    feature: str
    truth: bool
    method: str
    score: float
    drifted: bool
    evidently: ColumnVerdict
    deviation: str  # "" or CONTINGENCY / MISSING_SHARE
    explained: bool  # the oracle with the deviation switched on gives the service's verdict

    @property
    def agrees(self) -> bool:
        return self.drifted == self.evidently.drifted

    @property
    def method_agrees(self) -> bool:
        return self.method == self.evidently.method

    @property
    def accounted(self) -> bool:
        """Agrees with Evidently, or differs exactly where a documented deviation says so."""
        if self.deviation:
            return not self.agrees and self.explained
        return self.agrees


def compare(case: DriftCase, report_features: Mapping[str, Any]) -> list[FeatureAgreement]:
    """Each feature of the case: ``report_features`` maps a feature's name to the report's
    ``FeatureDrift`` for it."""
    rows = []
    for name in features(case):
        theirs = column_verdict(name, case.reference[name], case.current[name])
        deviation = DEVIATIONS.get((case.name, name), "")
        ours = report_features[name]
        explained = False
        if deviation:
            deviated = column_verdict(name, case.reference[name], case.current[name], [deviation])
            explained = deviated.drifted == ours.drifted
        rows.append(
            FeatureAgreement(
                case=case.name,
                feature=name,
                truth=name in case.drifted,
                method=_METHODS.get(ours.method, str(ours.method)),
                score=ours.score,
                drifted=ours.drifted,
                evidently=theirs,
                deviation=deviation,
                explained=explained,
            )
        )
    return rows
