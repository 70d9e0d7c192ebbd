"""`slipway predict`: score rows with a served model and print its answer.

    slipway predict iris --input rows.csv             # the deployment's current version
    slipway predict iris@production --input rows.json # the version behind the alias now
    cat rows.json | slipway predict iris:3 --input -  # version 3, if serving has it loaded

Rows are a CSV file (with a header naming the features, or without one: features in
signature order) or JSON: a list of rows (lists in signature order, or objects by feature
name), an object of columns, or either wrapped as ``{"instances": ...}``.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np

from slipway.cli import names
from slipway.cli.connect import clients, command
from slipway.cli.output import EXIT_OK, CliError, print_json, read_source, table
from slipway.client import Prediction
from slipway.client.tensors import Inputs


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = command(
        subparsers,
        "predict",
        _predict,
        "score rows with a served model",
        description=(__doc__ or "").split("\n\n", 1)[-1],
        raw_description=True,
    )
    parser.add_argument("model", help="MODEL, MODEL@ALIAS or MODEL:NUMBER")
    parser.add_argument(
        "--input",
        "-i",
        required=True,
        metavar="FILE",
        help="rows as .csv or .json; - reads standard input",
    )
    parser.add_argument(
        "--format",
        choices=("csv", "json"),
        default=None,
        help="of the input (default: from the file name, else its content)",
    )
    parser.add_argument(
        "--output",
        action="append",
        default=[],
        dest="outputs",
        metavar="NAME",
        help="only this output, e.g. predict (repeatable)",
    )
    parser.add_argument(
        "--request-id", default=None, help="the request's id (monitoring joins ground truth on it)"
    )


# -- rows --------------------------------------------------------------------------------------


def _number(text: str) -> float | None:
    if text.strip() == "":
        return math.nan
    try:
        return float(text)
    except ValueError:
        return None


def _column(values: list[Any]) -> np.ndarray[Any, Any]:
    """Numbers (None and empty as NaN) as float64, anything else as text."""
    if all(v is None or (isinstance(v, int | float) and not isinstance(v, bool)) for v in values):
        return np.asarray([math.nan if v is None else v for v in values], dtype=np.float64)
    return np.asarray([None if v is None else str(v) for v in values], dtype=object)


def _columns(rows: list[dict[str, Any]]) -> dict[str, np.ndarray[Any, Any]]:
    keys = list(rows[0])
    for index, row in enumerate(rows):
        if list(row) != keys and set(row) != set(keys):
            raise CliError(f"row {index + 1} has the features {sorted(row)}, row 1 {sorted(keys)}")
    return {k: _column([row[k] for row in rows]) for k in keys}


def rows_from_json(text: str) -> Inputs:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise CliError(f"the input is not JSON: {exc}") from None
    if isinstance(data, dict) and len(data) == 1 and next(iter(data)) in ("instances", "inputs"):
        data = next(iter(data.values()))
    if isinstance(data, dict):
        columns = {str(k): _column(v if isinstance(v, list) else [v]) for k, v in data.items()}
        if len({len(c) for c in columns.values()}) > 1:
            raise CliError("the input's columns have different lengths")
        return columns
    if isinstance(data, list) and data and all(isinstance(r, dict) for r in data):
        return _columns(data)
    if isinstance(data, list) and data and not isinstance(data[0], list | dict):
        data = [data]  # one row
    if isinstance(data, list) and data and all(isinstance(r, list) for r in data):
        if len({len(r) for r in data}) > 1:
            raise CliError("the input's rows have different lengths")
        try:
            return np.asarray(
                [[math.nan if v is None else v for v in r] for r in data], dtype=np.float64
            )
        except (TypeError, ValueError):
            raise CliError(
                "rows given as lists must hold numbers; give rows as objects by "
                "feature name for text features"
            ) from None
    raise CliError(
        'no rows in the input: give a list of rows, an object of columns, or {"instances": [...]}'
    )


def rows_from_csv(text: str) -> Inputs:
    lines = [r for r in csv.reader(io.StringIO(text)) if r]
    if not lines:
        raise CliError("no rows in the input")
    has_header = any(_number(cell) is None for cell in lines[0])
    if not has_header:
        parsed = [[_number(c) for c in row] for row in lines]
        if any(v is None for row in parsed for v in row):
            raise CliError("a CSV with text values needs a header naming the features")
        if len({len(r) for r in parsed}) > 1:
            raise CliError("the input's rows have different lengths")
        return np.asarray(parsed, dtype=np.float64)
    header, body = lines[0], lines[1:]
    if not body:
        raise CliError("the CSV has a header but no rows")
    for index, row in enumerate(body):
        if len(row) != len(header):
            raise CliError(f"CSV row {index + 2} has {len(row)} values, the header {len(header)}")
    columns: dict[str, np.ndarray[Any, Any]] = {}
    for position, name in enumerate(header):
        cells = [row[position] for row in body]
        numbers = [_number(c) for c in cells]
        columns[name] = (
            np.asarray(numbers, dtype=np.float64)
            if all(n is not None for n in numbers)
            else np.asarray([c if c != "" else None for c in cells], dtype=object)
        )
    return columns


def read_rows(source: str, fmt: str | None) -> Inputs:
    """The rows of ``source`` (a path, or ``-`` for standard input)."""
    text = read_source(source)
    if fmt is None:
        suffix = Path(source).suffix.lower()
        fmt = (
            "json"
            if suffix == ".json"
            else "csv"
            if suffix == ".csv"
            else "json"
            if text.lstrip()[:1] in ("[", "{")
            else "csv"
        )
    return rows_from_json(text) if fmt == "json" else rows_from_csv(text)


# -- answer ------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def answer_json(prediction: Prediction) -> dict[str, Any]:
    return {
        "model_version": prediction.model_version,
        "id": prediction.id,
        "outputs": {k: np.asarray(v).tolist() for k, v in prediction.outputs.items()},
        "class_labels": prediction.class_labels,
    }


def answer_table(prediction: Prediction) -> None:
    outputs = prediction.outputs
    headers = ["row"]
    columns: list[list[Any]] = []
    for name, values in outputs.items():
        array = np.asarray(values)
        if array.ndim == 1:
            headers.append(name)
            columns.append([_plain(v) for v in array])
        else:
            labels = prediction.class_labels.get(name) or list(range(array.shape[1]))
            for index, label in enumerate(labels):
                headers.append(f"{name}[{label}]")
                columns.append([f"{float(v):.4f}" for v in array[:, index]])
    count = max((len(c) for c in columns), default=0)
    table(headers, [(i, *(c[i] for c in columns)) for i in range(count)], empty="no rows")
    print(
        f"answered by version {prediction.model_version}, request id {prediction.id}",
        file=sys.stderr,
    )


def _predict(args: argparse.Namespace) -> int:
    ref = names.version_ref(args.model)
    rows = read_rows(args.input, args.format)
    with clients(args) as suite:
        version = ""
        if ref.number:
            version = str(ref.number)
        elif ref.alias:  # serving pins numbers: the alias is read from the registry now
            version = str(suite.registry.get_version(ref.name).version_number)
        try:
            prediction = suite.inference.infer(
                ref.model_id,
                rows,
                version=version,
                outputs=args.outputs or None,
                request_id=args.request_id,
            )
        except ValueError as exc:  # rows the protocol cannot carry
            raise CliError(str(exc)) from None
    if args.json:
        print_json(answer_json(prediction))
    else:
        answer_table(prediction)
    return EXIT_OK
