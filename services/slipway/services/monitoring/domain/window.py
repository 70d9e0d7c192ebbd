"""One evaluation window of a model version: logged records decoded into columns, with what
the report needs and nothing that grows with traffic.

Records are read newest first and fed to a ``WindowBuilder``, which keeps

* a uniform row sample of the features and outputs (``stats.windows.Reservoir``, at most
  ``sample_rows`` rows) that the drift tests run on;
* exact counters over every row: missing values, values outside the training range, categories
  never seen in training (the most frequent 20 named), and schema problems per record;
* the labeled rows (ground truth joined to the prediction), at most ``sample_rows`` of the
  newest, returned oldest first so the concept drift detector sees them in time order.

Inputs come as one ``[N]`` tensor per feature named as in the signature, or one ``[N, F]``
tensor in signature order. A feature the record lacks is a schema issue and counts as missing
in every row, so it cannot vanish from the data quality figures.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from slipway.services.monitoring.domain.entities import PredictionRecord, SchemaIssueKind, Tensor
from slipway.services.monitoring.domain.labels import LabelSpace
from slipway.services.monitoring.domain.reference import (
    PREDICT,
    PREDICT_PROBA,
    TEXT_TYPE,
    FeatureRef,
    Reference,
    label_text,
    proba_column,
    typed_column,
)
from slipway.services.monitoring.domain.tensors import decode_tensor, tensors_problem
from slipway.services.monitoring.stats.missing import missing
from slipway.services.monitoring.stats.windows import Reservoir

MAX_UNSEEN_KEPT = 1000  # distinct unseen categories counted per feature
FLUSH_ROWS = 4096  # rows gathered before they go into the reservoir at once
Array = npt.NDArray[Any]
SchemaKind = SchemaIssueKind


@dataclass
class FeatureCounts:
    missing: int = 0
    out_of_range: int = 0
    unseen: Counter[str] = field(default_factory=Counter)
    unseen_total: int = 0


@dataclass
class Labeled:
    """Rows with ground truth, oldest first."""

    truth: list[Any] = field(default_factory=list)  # label text, or a float for regression
    predicted: list[Any] = field(default_factory=list)
    proba: list[Array] = field(default_factory=list)  # rows of predict_proba, when logged
    times: list[datetime] = field(default_factory=list)
    invalid: int = 0  # labeled rows left out: their label cannot be one of the version's


@dataclass
class WindowData:
    row_count: int
    record_count: int
    start_time: datetime | None
    end_time: datetime | None
    sample: dict[str, Array]  # features and outputs, sampled rows aligned
    sample_rows: int
    counts: dict[str, FeatureCounts]
    schema_issues: dict[tuple[str, SchemaKind], tuple[int, str]]  # -> (records, detail)
    labeled: Labeled
    label_values: Array  # every label in the sample of labeled rows, for target drift
    first_seq: int | None = None  # the oldest record in the window
    labeled_records: int = 0  # records of the window with their labels


class WindowBuilder:
    def __init__(self, reference: Reference, *, sample_rows: int, seed: int = 0) -> None:
        self._reference = reference
        self._features = reference.features
        self._names = {f.name for f in reference.features}
        self._sample_rows = sample_rows
        self._reservoir = Reservoir(sample_rows, seed)
        self._pending: list[dict[str, Array]] = []
        self._pending_rows = 0
        self._output_names = self._outputs_of_reference()
        self.counts = {f.name: FeatureCounts() for f in self._features}
        self.issues: dict[tuple[str, SchemaKind], list[Any]] = {}
        self.rows = 0
        self.records = 0
        self.first: datetime | None = None
        self.last: datetime | None = None
        self.first_seq: int | None = None  # the oldest record read
        self.labeled_records = 0
        self._labeled: list[tuple[datetime, list[Any], list[Any], Array | None]] = []
        self._labeled_rows = 0
        self._invalid_labels = 0
        self._labels = LabelSpace(
            reference.version, reference.task, frozenset(reference.class_labels)
        )

    def _outputs_of_reference(self) -> tuple[str, ...]:
        if self._reference.outputs:
            return tuple(self._reference.outputs)
        names = [PREDICT]
        names.extend(proba_column(label) for label in self._reference.class_labels)
        return tuple(names)

    def _issue(self, feature: str, kind: SchemaKind, detail: str) -> None:
        entry = self.issues.setdefault((feature, kind), [0, detail])
        entry[0] += 1

    def add(
        self,
        seq: int,
        time: datetime,
        record: PredictionRecord,
        label: Tensor | None,
        problem: str = "",
    ) -> int:
        """Add one stored record; returns its row count (0 when it could not be read: a record
        whose tensors do not match its row count or their datatypes, which ingest stores
        without reading them, counts as a SHAPE_MISMATCH schema issue and is left out)."""
        self.first_seq = seq if self.first_seq is None else min(seq, self.first_seq)
        if label is not None:
            self.labeled_records += 1
        if problem or (problem := tensors_problem(record)):
            self._issue("", SchemaIssueKind.SHAPE_MISMATCH, problem)
            return 0
        rows = int(record.row_count)
        try:
            columns = self._inputs(record, rows)
            outputs = self._outputs(record, rows)
        except ValueError as error:
            self._issue("", SchemaIssueKind.SHAPE_MISMATCH, str(error))
            return 0
        self.records += 1
        self.rows += rows
        self.first = time if self.first is None or time < self.first else self.first
        self.last = time if self.last is None or time > self.last else self.last
        self._count_quality(columns)
        batch = {**columns, **outputs}
        self._pending.append(batch)
        self._pending_rows += rows
        if self._pending_rows >= FLUSH_ROWS:
            self._flush()
        if label is not None and self._labeled_rows < self._sample_rows:
            self._add_labels(time, label, rows, outputs)
        return rows

    def _flush(self) -> None:
        if not self._pending:
            return
        names = self._pending[0].keys()
        self._reservoir.add_batch(
            {name: np.concatenate([b[name] for b in self._pending]) for name in names}
        )
        self._pending, self._pending_rows = [], 0

    # --- inputs ---------------------------------------------------------------------------

    def _inputs(self, record: PredictionRecord, rows: int) -> dict[str, Array]:
        tensors = {t.name: t for t in record.inputs}
        columns: dict[str, Array] = {}
        if (
            len(record.inputs) == 1
            and record.inputs[0].name not in self._names
            and len(record.inputs[0].shape) == 2
        ):
            matrix = decode_tensor(record.inputs[0])
            if matrix.shape[1] != len(self._features):
                self._issue(
                    record.inputs[0].name,
                    SchemaIssueKind.SHAPE_MISMATCH,
                    f"a [N, {matrix.shape[1]}] input for {len(self._features)} features",
                )
                matrix = matrix[:, :0]
            for j, feature in enumerate(self._features):
                if j < matrix.shape[1]:
                    columns[feature.name] = self._typed(feature, matrix[:, j])
            tensors = {}
        else:
            for name in tensors:
                if name not in self._names:
                    self._issue(
                        name,
                        SchemaIssueKind.UNEXPECTED_FEATURE,
                        f"{name!r} is not an input of the signature",
                    )
            for feature in self._features:
                tensor = tensors.get(feature.name)
                if tensor is None:
                    continue
                values = decode_tensor(tensor)
                if values.ndim != 1:
                    if values.ndim == 2 and values.shape[1] == 1:
                        values = values[:, 0]
                    else:
                        self._issue(
                            feature.name,
                            SchemaIssueKind.SHAPE_MISMATCH,
                            f"shape {list(tensor.shape)} for one feature of {rows} rows",
                        )
                        continue
                got = tensor.data_type or "?"
                if (got == "BYTES") != (feature.data_type == "BYTES"):
                    self._issue(
                        feature.name,
                        SchemaIssueKind.DATA_TYPE_MISMATCH,
                        f"{got} where the signature has {feature.data_type}",
                    )
                columns[feature.name] = self._typed(feature, values)
        for feature in self._features:
            if feature.name not in columns:
                if not tensors or feature.name not in tensors:
                    self._issue(
                        feature.name,
                        SchemaIssueKind.MISSING_FEATURE,
                        f"{feature.name!r} was not logged",
                    )
                columns[feature.name] = self._absent(feature, rows)
        return columns

    @staticmethod
    def _typed(feature: FeatureRef, values: Array) -> Array:
        return typed_column(feature, values)

    @staticmethod
    def _absent(feature: FeatureRef, rows: int) -> Array:
        if feature.data_type == TEXT_TYPE:
            return np.full(rows, None, dtype=object)
        return np.full(rows, np.nan)

    def _count_quality(self, columns: dict[str, Array]) -> None:
        for feature in self._features:
            values = columns[feature.name]
            absent = missing(values)
            counts = self.counts[feature.name]
            counts.missing += int(absent.sum())
            present = values[~absent]
            if values.dtype.kind == "f":
                if feature.minimum is not None and feature.maximum is not None:
                    counts.out_of_range += int(
                        ((present < feature.minimum) | (present > feature.maximum)).sum()
                    )
                if feature.kind != "numeric" and feature.categories:
                    # Categories of a number-typed feature (a 0/1 flag): each distinct value
                    # named once, as the profile names it ("1" for 1.0).
                    distinct, seen = np.unique(present, return_counts=True)
                    for value, count in zip(distinct.tolist(), seen.tolist(), strict=True):
                        name = label_text(value)
                        if name not in feature.categories:
                            self._unseen(counts, name, int(count))
            elif feature.categories:
                for name in (label_text(p) for p in present.tolist()):
                    if name not in feature.categories:
                        self._unseen(counts, name, 1)

    @staticmethod
    def _unseen(counts: FeatureCounts, name: str, count: int) -> None:
        counts.unseen_total += count
        if name in counts.unseen or len(counts.unseen) < MAX_UNSEEN_KEPT:
            counts.unseen[name] += count

    # --- outputs and labels -------------------------------------------------------------------

    def _outputs(self, record: PredictionRecord, rows: int) -> dict[str, Array]:
        found: dict[str, Array] = {}
        classification = self._reference.task == "classification"
        for tensor in record.outputs:
            values = decode_tensor(tensor)
            if tensor.name == PREDICT and values.ndim == 1:
                found[PREDICT] = (
                    np.array(
                        [None if v is None or v != v else label_text(v) for v in values.tolist()],
                        dtype=object,
                    )
                    if classification
                    else values.astype(np.float64)
                )
            elif tensor.name == PREDICT_PROBA and values.ndim == 2:
                for j, label in enumerate(self._reference.class_labels[: values.shape[1]]):
                    found[proba_column(label)] = values[:, j].astype(np.float64)
        outputs: dict[str, Array] = {}
        for name in self._output_names:
            if name in found:
                outputs[name] = found[name]
            elif name == PREDICT and classification:
                outputs[name] = np.full(rows, None, dtype=object)
            else:
                outputs[name] = np.full(rows, np.nan)
        return outputs

    def _add_labels(
        self,
        time: datetime,
        label: Tensor,
        rows: int,
        outputs: dict[str, Array],
    ) -> None:
        try:
            labels = decode_tensor(label).ravel()
        except (ValueError, KeyError):
            self._issue("", SchemaIssueKind.SHAPE_MISMATCH, "a label tensor could not be read")
            return
        if len(labels) != rows:
            return
        truth: list[Any] = []
        classification = self._reference.task == "classification"
        for value in labels.tolist():
            if self._labels.value_problem(value) is not None:
                # Not a label of this version (stored before ingest checked it, or while the
                # registry could not say): left out of the metrics, and counted.
                self._invalid_labels += 1
                truth.append(None)
            elif value is None or value != value:
                truth.append(None)
            else:
                truth.append(label_text(value) if classification else float(value))
        predicted = outputs[PREDICT].tolist()
        proba = None
        columns = [proba_column(label) for label in self._reference.class_labels]
        if columns and all(c in outputs for c in columns):
            proba = np.column_stack([outputs[c] for c in columns])
        self._labeled.append((time, truth, predicted, proba))
        self._labeled_rows += rows

    # --- result -----------------------------------------------------------------------------

    def result(self) -> WindowData:
        self._flush()
        sample = self._reservoir.sample()
        labeled = Labeled(invalid=self._invalid_labels)
        for time, truth, predicted, proba in reversed(self._labeled):  # oldest first
            for i, value in enumerate(truth):
                if value is None or (isinstance(value, float) and value != value):
                    continue
                labeled.truth.append(value)
                labeled.predicted.append(predicted[i])
                labeled.times.append(time)
                if proba is not None:
                    labeled.proba.append(proba[i])
        if labeled.proba and len(labeled.proba) != len(labeled.truth):
            labeled.proba = []
        label_values = np.array(
            labeled.truth, dtype=object if self._reference.task == "classification" else np.float64
        )
        return WindowData(
            row_count=self.rows,
            record_count=self.records,
            start_time=self.first,
            end_time=self.last,
            sample=sample,
            sample_rows=len(self._reservoir),
            counts=self.counts,
            schema_issues={key: (int(v[0]), str(v[1])) for key, v in self.issues.items()},
            labeled=labeled,
            label_values=label_values,
            first_seq=self.first_seq,
            labeled_records=self.labeled_records,
        )
