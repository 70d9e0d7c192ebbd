"""Loading a resolved version into memory, and the smoke test it must pass before it serves:
it answers rows of its own reference sample, with the shapes its signature promises."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from slipway.ml import model_files
from slipway.ml.missing_values import missing_value_support
from slipway.ml.profiles import read_sample
from slipway.services.serving.domain.served import (
    PREDICT,
    PREDICT_PROBA,
    ServedModel,
    VersionInfo,
    empty_rows,
)
from slipway.services.serving.domain.versions import Resolved

SMOKE_ROWS = 32


class SmokeTestError(Exception):
    """A loaded version that does not answer its own reference rows properly."""


def reference_rows(info: VersionInfo, sample: Path | None) -> npt.NDArray[Any]:
    """Up to SMOKE_ROWS training rows in signature order, from the version's sample file."""
    if sample is None:
        return empty_rows(info)
    columns, _ = read_sample(sample)
    count = min(SMOKE_ROWS, min((len(v) for v in columns.values()), default=0))
    rows = empty_rows(info, count)
    for j, spec in enumerate(info.inputs):
        values = columns.get(spec.name)
        if values is None:
            return empty_rows(info)
        rows[:, j] = (
            values[:count] if spec.categorical else np.asarray(values[:count], dtype=np.float64)
        )
    return rows


def load(resolved: Resolved, *, allow_pickle: bool = False) -> ServedModel:
    """Load and smoke-test a resolved version (CPU-bound: run it in a thread)."""
    info = resolved.info
    model = model_files.load_model(
        resolved.model_file,
        sha256=info.artifact_sha256,
        fmt=info.artifact_format,
        framework_versions=info.framework_versions,
        allow_pickle=allow_pickle,
    )
    rows = reference_rows(info, resolved.sample_file)
    served = ServedModel(info, model, missing_value_support(model, rows), rows)
    if len(rows):
        try:
            answers = served.predict(rows, served.output_names)
        except Exception as exc:
            raise SmokeTestError(
                f"{info.name} failed on its reference rows: {type(exc).__name__}: {exc}"[:500]
            ) from exc
        for name, values in answers.items():
            if len(values) != len(rows):
                raise SmokeTestError(f"{info.name}: {name} gave {len(values)} rows for {len(rows)}")
            spec = info.output(name)
            if name == PREDICT_PROBA and spec is not None and values.shape[1:] != spec.shape[1:]:
                raise SmokeTestError(
                    f"{info.name}: predict_proba shape {values.shape} does not "
                    f"match the signature {spec.shape}"
                )
    elif PREDICT not in served.output_names:
        raise SmokeTestError(f"{info.name} has no predict output")
    return served
