"""`slipway labels send`: the true labels of earlier predictions, from a file, to monitoring.

    slipway labels send labels.csv                  # columns request_id and label
    slipway labels send labels.jsonl                # {"request_id": "...", "label": ...} a line
    slipway labels send truth.csv --request-id-column id --label-column churned --model churn

Each row is one label; rows with the same request id are the labels of that request's rows, in
file order (a request that scored 20 rows needs 20 labels). In JSON lines a label may also be a
list: the labels of every row of that request. Monitoring joins them to the logged predictions on
the request id (`slipway predict --request-id`, or the `id` of an inference response).

Labels keep their type, as the model's target has it: a column whose every value is an integer
is sent as integers (0/1 classes), one of numbers as numbers (regression targets), anything else
as text (class names); `--label-type` overrides that. An empty cell or a JSON null is a missing
label: a request with other labels is sent with that row marked missing, a request with none is
not sent; either way the row is reported.

The summary counts the labels monitoring joined to a prediction, those whose request id it does
not know yet (kept and joined when the prediction arrives) and those it rejected (a label count
that is not the request's row count, a class the version does not have, text for a regression
model). Exit 1 when a row was rejected or had no label, 2 when the file cannot be read.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import re
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from slipway import client
from slipway.cli.connect import clients, command
from slipway.cli.output import EXIT_FAILED, EXIT_OK, CliError, print_json, read_source
from slipway.monitoring.v1 import prediction_record_pb2

# IngestGroundTruth takes at most 10000 entries a call, and refuses a whole call that would
# leave more than `max_pending_labels_per_call` (default 1000) waiting for their predictions;
# 500 a batch stays under both whatever the share of early labels.
DEFAULT_BATCH = 500
MAX_BATCH = 10_000

LABEL_TYPES = ("auto", "integer", "number", "text")
_INTEGER = re.compile(r"[+-]?\d+")

MISSING = "missing label"
NO_REQUEST_ID = "no request id"
NOT_A_NUMBER = "not a number"
NOT_AN_INTEGER = "not an integer"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("labels", help="send ground truth to monitoring")
    actions = parser.add_subparsers(dest="labels_command", required=True, metavar="ACTION")
    send = command(
        actions,
        "send",
        _send,
        "send the true labels of earlier predictions (CSV or JSON lines)",
        description=(__doc__ or "").split("\n\n", 1)[-1],
        raw_description=True,
    )
    send.add_argument("file", metavar="FILE", help="labels as .csv or .jsonl; - reads stdin")
    send.add_argument(
        "--format",
        choices=("csv", "jsonl"),
        default=None,
        help="of the file (default: from its name, else its content)",
    )
    send.add_argument(
        "--request-id-column",
        default="request_id",
        metavar="NAME",
        help="the column (or JSON key) of request ids (default request_id)",
    )
    send.add_argument(
        "--label-column",
        default="label",
        metavar="NAME",
        help="the column (or JSON key) of labels (default label)",
    )
    send.add_argument(
        "--label-type",
        choices=LABEL_TYPES,
        default="auto",
        help="how labels are sent: auto (integers, else numbers, else text, from the values), "
        "or one type for all",
    )
    send.add_argument(
        "--model",
        default="",
        help="MODEL: join only to this model's predictions (when request ids repeat across models)",
    )
    send.add_argument(
        "--batch-size",
        type=_batch_size,
        default=DEFAULT_BATCH,
        metavar="N",
        help=f"requests per call (default {DEFAULT_BATCH}, at most {MAX_BATCH})",
    )


def _batch_size(text: str) -> int:
    value = int(text)
    if not 1 <= value <= MAX_BATCH:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_BATCH}")
    return value


# -- reading -----------------------------------------------------------------------------------


@dataclass
class Labels:
    """The file's labels by request id, in file order, and the rows that cannot be sent."""

    by_request: dict[str, list[Any]] = field(default_factory=dict)  # None: missing
    rows: int = 0
    problems: Counter[str] = field(default_factory=Counter)  # reason -> rows

    def add(self, request_id: Any, label: Any) -> None:
        self.rows += 1
        text = "" if request_id is None else str(request_id).strip()
        if not text:
            self.problems[NO_REQUEST_ID] += 1
            return
        values = label if isinstance(label, list) else [label]
        self.by_request.setdefault(text, []).extend(values)


def _format(path: str, text: str, given: str | None) -> str:
    if given:
        return given
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    return "jsonl" if text.lstrip().startswith("{") else "csv"


def read_csv(text: str, id_column: str, label_column: str) -> Labels:
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = [c for c in (id_column, label_column) if c not in header]
    if missing:
        raise CliError(
            f"the CSV has no column {', '.join(repr(c) for c in missing)} (its header: "
            f"{', '.join(header) or 'none'}); name the columns with --request-id-column and "
            "--label-column"
        )
    labels = Labels()
    try:
        for row in reader:
            if None in row or any(v is None for v in row.values()):
                raise CliError(
                    f"CSV line {reader.line_num} has {len(row) - (None not in row)} values, "
                    f"the header {len(header)}"
                )
            cell = row[label_column].strip()
            labels.add(row[id_column], cell if cell else None)
    except csv.Error as exc:
        raise CliError(f"CSV line {reader.line_num}: {exc}") from None
    return labels


def read_json_lines(text: str, id_column: str, label_column: str) -> Labels:
    labels = Labels()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError as exc:
            raise CliError(f"line {number} is not JSON: {exc}") from None
        if not isinstance(item, dict):
            raise CliError(f"line {number} is not a JSON object")
        if label_column not in item:
            raise CliError(
                f"line {number} has no key {label_column!r} (its keys: "
                f"{', '.join(item) or 'none'}); name it with --label-column"
            )
        label = item[label_column]
        if isinstance(label, dict) or (
            isinstance(label, list) and any(isinstance(v, dict | list) for v in label)
        ):
            raise CliError(f"line {number}: a label is a number, a text, null or a list of them")
        labels.add(item.get(id_column), label)
    return labels


# -- typing ------------------------------------------------------------------------------------


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _is_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    if isinstance(value, float):
        return value.is_integer()
    return isinstance(value, str) and _INTEGER.fullmatch(value.strip()) is not None


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def label_type(labels: Labels, wanted: str) -> str:
    """``integer``, ``number`` or ``text``: ``wanted``, or for ``auto`` the narrowest type
    every present label has (a CSV's "0" and "1" are integers, as a 0/1 target's classes)."""
    if wanted != "auto":
        return wanted
    present = [v for values in labels.by_request.values() for v in values if not _missing(v)]
    if present and all(_is_integer(v) for v in present):
        return "integer"
    if present and all(_as_number(v) is not None for v in present):
        return "number"
    return "text"


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value)  # as a bool class prints: True, False
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def ground_truths(
    labels: Labels, kind: str, model: str
) -> Iterator[prediction_record_pb2.GroundTruth]:
    """One entry per request that has at least one label; rows without one are counted in
    ``labels.problems`` (and marked missing in their request's tensor)."""
    for request_id, values in labels.by_request.items():
        missing = [_missing(v) for v in values]
        if kind != "text":
            for i, value in enumerate(values):
                if missing[i]:
                    continue
                if _as_number(value) is None:
                    labels.problems[NOT_A_NUMBER] += 1
                    missing[i] = True
                elif kind == "integer" and not _is_integer(value):
                    labels.problems[NOT_AN_INTEGER] += 1
                    missing[i] = True
        if absent := sum(_missing(v) for v in values):
            labels.problems[MISSING] += absent
        if all(missing):
            continue
        array: np.ndarray[Any, Any]
        if kind == "text":
            array = np.asarray(
                [None if m else _text(v) for v, m in zip(values, missing, strict=True)], object
            )
        elif kind == "integer":
            array = np.asarray(
                [0 if m else int(v) for v, m in zip(values, missing, strict=True)], np.int64
            )
        else:
            array = np.asarray(
                [0.0 if m else float(v) for v, m in zip(values, missing, strict=True)], np.float64
            )
        truth = client.ground_truth(request_id, array, model=model)
        if any(missing) and kind != "text":  # text marks None as missing itself
            truth.labels.missing_mask = np.asarray(missing, dtype=np.uint8).tobytes()
        yield truth


# -- sending -----------------------------------------------------------------------------------


@dataclass
class Sent:
    rows: int
    requests: int = 0
    batches: int = 0
    matched: int = 0
    pending: int = 0
    rejected: int = 0

    def summary(self, problems: Counter[str], kind: str) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "requests_sent": self.requests,
            "batches": self.batches,
            "label_type": kind,
            "matched": self.matched,
            "unknown_request_ids": self.pending,
            "rejected": self.rejected,
            "rows_without_label": dict(sorted(problems.items())),
        }

    def line(self, problems: Counter[str], kind: str) -> str:
        calls = "call" if self.batches == 1 else "calls"
        text = (
            f"sent the labels of {self.requests} requests ({self.rows} rows, {kind} labels) in "
            f"{self.batches} {calls}: {self.matched} joined to their prediction, "
            f"{self.pending} with a request id monitoring does not know yet (kept until its "
            f"prediction arrives), {self.rejected} rejected"
        )
        if self.rejected:
            text += " (label count not the request's rows, or no label of the model's type)"
        if problems:
            text += "; rows whose label was not sent: " + ", ".join(
                f"{count} {reason}" for reason, count in sorted(problems.items())
            )
        return text


def _send(args: argparse.Namespace) -> int:
    text = read_source(args.file)
    read = read_csv if _format(args.file, text, args.format) == "csv" else read_json_lines
    labels = read(text, args.request_id_column, args.label_column)
    if not labels.rows:
        raise CliError(f"no labels in {args.file}")
    kind = label_type(labels, args.label_type)
    truths = list(ground_truths(labels, kind, args.model))
    sent = Sent(labels.rows)
    with clients(args) as suite:
        for start in range(0, len(truths), args.batch_size):
            batch = truths[start : start + args.batch_size]
            try:
                reply = suite.monitoring.ingest_ground_truth(batch)
            except client.SlipwayError:
                if sent.batches:  # what went before is stored: say so before the error
                    print(f"before the error: {sent.line(labels.problems, kind)}", file=sys.stderr)
                raise
            sent.batches += 1
            sent.requests += len(batch)
            sent.matched += reply.matched_count
            sent.pending += reply.pending_count
            sent.rejected += reply.rejected_count
    if args.json:
        print_json(sent.summary(labels.problems, kind))
    else:
        print(sent.line(labels.problems, kind))
    return EXIT_FAILED if sent.rejected or labels.problems else EXIT_OK
