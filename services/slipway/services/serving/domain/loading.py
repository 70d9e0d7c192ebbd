"""Loading a resolved version into memory, and the smoke test it must pass before it serves:
it answers rows of its own reference sample, with the shapes its signature promises.

Then the backend that answers (``--backend``): with ``auto`` (the default) the version's ONNX
form (``slipway.ml.compiled``) serves when it builds and, on the version's reference rows
(training and holdout rows of its sample, and those rows with a number missing when the model
takes NaN), gives scikit-learn's labels and probabilities; otherwise scikit-learn serves and
the reason is kept (``ServedModel.backend_note``). ``onnx`` refuses a version without a
verified form; ``sklearn`` never builds one.

The form is built here, at load, rather than by training as a second registered artifact: it
then exists for every version (uploaded ones, and those registered before), it is built and
verified by the converter and runtime that will run it (a form built elsewhere could need an
operator set this runtime lacks), and the registry's contract does not change. The cost, a
conversion at the first load of a version (about 2 s for a forest of 100 trees), is paid once
per serving cache: the form is kept there, content-addressed, and verified again at each load.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from slipway.core.logs import get_logger
from slipway.ml import model_files
from slipway.ml.compiled import (
    Column,
    CompiledModel,
    CompiledStore,
    NotCompiledError,
    compile_model,
    precisions,
    verify,
)
from slipway.ml.missing_values import missing_value_support
from slipway.ml.profiles import ReferenceData, read_reference
from slipway.services.serving.domain.served import (
    PREDICT,
    PREDICT_PROBA,
    ServedModel,
    VersionInfo,
    empty_rows,
)
from slipway.services.serving.domain.versions import Resolved

SMOKE_ROWS = 32
VERIFY_ROWS = 5_000  # of the training sample, and as many of the holdout
NAN_PROBE_ROWS = 20  # rows with one number missing, per numeric column
BACKENDS = ("auto", "onnx", "sklearn")

log = get_logger("slipway.serving.loading")


class SmokeTestError(Exception):
    """A loaded version that does not answer its own reference rows properly."""


def _rows(info: VersionInfo, columns: dict[str, npt.NDArray[Any]], limit: int) -> npt.NDArray[Any]:
    """Up to ``limit`` rows of ``columns`` in signature order."""
    count = min(limit, min((len(v) for v in columns.values()), default=0))
    rows = empty_rows(info, count)
    for j, spec in enumerate(info.inputs):
        values = columns.get(spec.name)
        if values is None:
            return empty_rows(info)
        rows[:, j] = (
            values[:count] if spec.categorical else np.asarray(values[:count], dtype=np.float64)
        )
    return rows


def verification_rows(
    info: VersionInfo, data: ReferenceData, accepts_nan: bool
) -> npt.NDArray[Any]:
    """The rows an ONNX form must answer like scikit-learn: training and holdout rows of the
    sample, and, when the model takes NaN, some of them with one number missing."""
    parts = [_rows(info, data.columns, VERIFY_ROWS)]
    if data.holdout_columns:
        parts.append(_rows(info, data.holdout_columns, VERIFY_ROWS))
    rows = np.concatenate(parts) if len(parts) > 1 else parts[0]
    if accepts_nan and len(rows):
        for j, spec in enumerate(info.inputs):
            if spec.categorical:
                continue
            probe = rows[:NAN_PROBE_ROWS].copy()
            probe[:, j] = np.nan
            rows = np.concatenate([rows, probe])
    return rows


def _verify_missing_numbers(
    compiled: CompiledModel,
    reference: dict[str, npt.NDArray[Any]],
    rows: npt.NDArray[Any],
    outputs: tuple[str, ...],
    served: ServedModel,
) -> str:
    """Let the form take rows with a missing number if it answers them like scikit-learn;
    else they stay scikit-learn's. What to add to the backend note."""
    if not served.missing.numbers:
        return ""
    compiled.takes_nan = True
    try:
        verify(compiled, reference, rows, outputs)
    except NotCompiledError as exc:
        compiled.takes_nan = False
        return f"; rows with a missing number are scikit-learn's ({exc})"
    return ""


def _verified_form(
    served: ServedModel, data: ReferenceData | None, store: CompiledStore | None, threads: int
) -> tuple[CompiledModel, bool, int, str]:
    """The first form (of ``precisions``) that verifies: the form, whether it came from the
    store, the rows it was verified on and a note; ``NotCompiledError`` with every reason."""
    info = served.info
    if data is None:
        raise NotCompiledError("the version has no reference sample to verify an ONNX form on")
    rows = verification_rows(info, data, served.missing.numbers)
    outputs = served.output_names
    reference = served.predict(rows, outputs) if len(rows) else {}
    columns = [Column(spec.name, spec.categorical) for spec in info.inputs]
    problems = []
    for precision in precisions(served.model):
        try:
            compiled, cached = compile_model(
                served.model, info.artifact_sha256, columns, store, precision, threads=threads
            )
            verify(compiled, reference, rows, outputs)
        except Exception as exc:  # the converter's refusals are of many kinds; none is fatal
            why = str(exc) if isinstance(exc, NotCompiledError) else f"{type(exc).__name__}: {exc}"
            problems.append(f"{precision} inputs: {why[:300]}")
            continue
        note = _verify_missing_numbers(compiled, reference, rows, outputs, served)
        return compiled, cached, len(rows), note
    raise NotCompiledError("; ".join(problems))


def choose_backend(
    served: ServedModel,
    data: ReferenceData | None,
    backend: str,
    store: CompiledStore | None,
    threads: int,
) -> None:
    """Attach the verified ONNX form to ``served`` when ``backend`` allows it, or record why
    scikit-learn serves. ``SmokeTestError`` when ``backend`` is onnx and there is none."""
    info = served.info
    if backend == "sklearn":
        served.backend_note = "scikit-learn, as --backend sklearn asks"
        return
    try:
        compiled, cached, count, note = _verified_form(served, data, store, threads)
    except NotCompiledError as exc:
        if backend == "onnx":
            raise SmokeTestError(f"{info.name}: --backend onnx, but {exc}") from exc
        served.backend_note = f"scikit-learn: {exc}"[:500]
        log.info("serving with scikit-learn", version=info.name, why=str(exc)[:500])
        return
    served.compiled = compiled
    served.backend = "onnx"
    served.backend_note = (
        f"onnx ({compiled.precision} inputs), verified on {count} reference rows{note}"
    )
    log.info(
        "serving with onnx",
        version=info.name,
        precision=compiled.precision,
        onnx_sha256=compiled.sha256,
        from_cache=cached,
        verified_rows=count,
    )


def load(
    resolved: Resolved,
    *,
    allow_pickle: bool = False,
    backend: str = "auto",
    store: CompiledStore | None = None,
    threads: int = 0,
) -> ServedModel:
    """Load and smoke-test a resolved version, then choose its backend (CPU-bound: run it in a
    thread)."""
    info = resolved.info
    model = model_files.load_model(
        resolved.model_file,
        sha256=info.artifact_sha256,
        fmt=info.artifact_format,
        framework_versions=info.framework_versions,
        allow_pickle=allow_pickle,
    )
    data = read_reference(resolved.sample_file) if resolved.sample_file is not None else None
    rows = _rows(info, data.columns, SMOKE_ROWS) if data is not None else empty_rows(info)
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
    choose_backend(served, data, backend, store, threads)
    return served
