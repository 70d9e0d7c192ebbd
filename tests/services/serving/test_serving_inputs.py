"""Bad inputs: each kind gets INVALID_ARGUMENT (or NOT_FOUND for what is not served) with the
documented reason and a field violation naming the input. MLServer answers most of these with
INTERNAL."""

from __future__ import annotations

from collections.abc import Callable

import grpc
import numpy as np
import pytest

from slipway.inference.v2 import grpc_service_pb2 as pb
from support.registry import error_reason, violated_fields
from support.serving import Serving, matrix_request

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

FEATURES = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"]
GOOD = np.array([[5.1, 3.5, 1.4, 0.2], [6.2, 2.9, 4.3, 1.3]])


def per_feature(
    values: np.ndarray, names: list[str] = FEATURES, datatype: str = "FP64"
) -> pb.ModelInferRequest:
    request = pb.ModelInferRequest(model_name="iris")
    for j, name in enumerate(names):
        request.inputs.add(
            name=name, datatype=datatype, shape=[len(values)]
        ).contents.fp64_contents.extend(values[:, j % values.shape[1]].tolist())
    return request


def _edit(
    change: Callable[[pb.ModelInferRequest], None],
    base: Callable[[], pb.ModelInferRequest] | None = None,
) -> pb.ModelInferRequest:
    request = base() if base else matrix_request("iris", GOOD)
    change(request)
    return request


def _raw(change: Callable[[pb.ModelInferRequest], None]) -> pb.ModelInferRequest:
    return _edit(change, lambda: matrix_request("iris", GOOD, raw=True))


CASES: list[tuple[str, Callable[[], pb.ModelInferRequest], grpc.StatusCode, str, str]] = [
    (
        "no inputs",
        lambda: pb.ModelInferRequest(model_name="iris"),
        grpc.StatusCode.INVALID_ARGUMENT,
        "MISSING_INPUT",
        "inputs",
    ),
    (
        "wrong feature count",
        lambda: matrix_request("iris", GOOD[:, :3]),
        grpc.StatusCode.INVALID_ARGUMENT,
        "WRONG_FEATURE_COUNT",
        "inputs[0]",
    ),
    (
        "unknown datatype",
        lambda: _edit(lambda r: setattr(r.inputs[0], "datatype", "FP99")),
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_DATATYPE",
        "inputs[0]",
    ),
    (
        "per-feature tensor of the wrong type",
        lambda: per_feature(GOOD, datatype="BYTES"),
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_DATATYPE",
        "inputs[0]",
    ),
    (
        "bytes for numeric features",
        lambda: _edit(lambda r: setattr(r.inputs[0], "datatype", "BYTES")),
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_DATATYPE",
        "inputs[0]",
    ),
    (
        "shape and contents disagree",
        lambda: _edit(lambda r: r.inputs[0].shape.__setitem__(0, 3)),
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_SHAPE",
        "inputs[0]",
    ),
    (
        "raw content too short",
        lambda: _raw(lambda r: r.raw_input_contents.__setitem__(0, r.raw_input_contents[0][:-8])),
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_SHAPE",
        "inputs[0]",
    ),
    (
        "raw contents count",
        lambda: _raw(lambda r: r.raw_input_contents.append(b"")),
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_CONTENTS",
        "raw_input_contents",
    ),
    (
        "raw and typed contents",
        lambda: _raw(lambda r: r.inputs[0].contents.fp32_contents.extend([1.0] * 8)),
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_CONTENTS",
        "inputs[0].contents",
    ),
    (
        "negative dimension",
        lambda: _edit(lambda r: r.inputs[0].shape.__setitem__(0, -2)),
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_SHAPE",
        "inputs[0]",
    ),
    (
        "3-d tensor",
        lambda: _edit(
            lambda r: (r.inputs[0].ClearField("shape"), r.inputs[0].shape.extend([2, 2, 2]))
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_SHAPE",
        "inputs[0]",
    ),
    (
        "unknown input name",
        lambda: per_feature(GOOD, [*FEATURES[:3], "colour"]),
        grpc.StatusCode.INVALID_ARGUMENT,
        "UNKNOWN_INPUT",
        "inputs[3]",
    ),
    (
        "missing feature",
        lambda: per_feature(GOOD, FEATURES[:3]),
        grpc.StatusCode.INVALID_ARGUMENT,
        "MISSING_INPUT",
        "inputs",
    ),
    (
        "feature given twice",
        lambda: per_feature(GOOD, [*FEATURES, FEATURES[0]]),
        grpc.StatusCode.INVALID_ARGUMENT,
        "DUPLICATE_INPUT",
        "inputs[4]",
    ),
    (
        "rows differ between features",
        lambda: _edit(
            lambda r: (
                r.inputs[1].ClearField("shape"),
                r.inputs[1].shape.append(1),
                r.inputs[1].contents.ClearField("fp64_contents"),
                r.inputs[1].contents.fp64_contents.append(1.0),
            ),
            lambda: per_feature(GOOD),
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_SHAPE",
        "inputs[1]",
    ),
    (
        "NaN where the model has no imputer",
        lambda: matrix_request("iris", np.array([[np.nan, 3.5, 1.4, 0.2]])),
        grpc.StatusCode.INVALID_ARGUMENT,
        "NON_FINITE_INPUT",
        "inputs[0]",
    ),
    (
        "infinity",
        lambda: matrix_request("iris", np.array([[np.inf, 3.5, 1.4, 0.2]]), raw=True),
        grpc.StatusCode.INVALID_ARGUMENT,
        "NON_FINITE_INPUT",
        "inputs[0]",
    ),
    (
        "too many rows",
        lambda: matrix_request("iris", np.zeros((51, 4)), raw=True),
        grpc.StatusCode.INVALID_ARGUMENT,
        "TOO_MANY_ROWS",
        "inputs[0]",
    ),
    (
        "request id too long",
        lambda: _edit(lambda r: setattr(r, "id", "r" * 129)),
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_REQUEST_ID",
        "id",
    ),
    (
        "request id not printable",
        lambda: _edit(lambda r: setattr(r, "id", "req\n1")),
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_REQUEST_ID",
        "id",
    ),
    (
        "unknown output",
        lambda: _edit(lambda r: r.outputs.add(name="predict_log_proba")),
        grpc.StatusCode.INVALID_ARGUMENT,
        "UNKNOWN_OUTPUT",
        "outputs[0]",
    ),
    (
        "unknown model",
        lambda: matrix_request("nope", GOOD),
        grpc.StatusCode.NOT_FOUND,
        "MODEL_NOT_FOUND",
        "",
    ),
    (
        "version not loaded",
        lambda: matrix_request("iris", GOOD, version="7"),
        grpc.StatusCode.NOT_FOUND,
        "VERSION_NOT_FOUND",
        "",
    ),
]


@pytest.mark.parametrize(
    ("kind", "build", "code", "reason", "field"), CASES, ids=[case[0] for case in CASES]
)
async def test_bad_inputs_are_refused_clearly(
    start_serving: object,
    registry: object,
    iris_registered: list[int],
    kind: str,
    build: Callable[[], pb.ModelInferRequest],
    code: grpc.StatusCode,
    reason: str,
    field: str,
    serving_small: Serving,
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await serving_small.infer(build())
    error = caught.value
    assert error.code() == code, (kind, error.details())
    assert error_reason(error) == reason, (kind, error.details())
    if field:
        assert field in [f.split(" ")[0] for f in violated_fields(error)], violated_fields(error)
    assert "Traceback" not in (error.details() or "")


@pytest.mark.parametrize("shape", [[8], [1, 2, 4], [1, 1, 8]])
async def test_a_flat_or_batched_matrix_is_told_the_expected_shape(
    serving_small: Serving, shape: list[int]
) -> None:
    """tritonclient users send [F] or [1, N, F]: not an unknown input, a wrong shape."""
    request = matrix_request("iris", GOOD)
    request.inputs[0].ClearField("shape")
    request.inputs[0].shape.extend(shape)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await serving_small.infer(request)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_reason(caught.value) == "INVALID_SHAPE"
    details = caught.value.details() or ""
    assert f"shape {shape}" in details
    assert "[N, 4]" in details
    assert "unknown input" not in details


@pytest.fixture
async def serving_small(start_serving, registry, iris_registered):  # type: ignore[no-untyped-def]
    async with start_serving(
        registry.address, deployments=["iris@production"], max_rows=50
    ) as running:
        yield running


async def test_the_good_request_of_the_table_is_answered(serving_small: Serving) -> None:
    reply = await serving_small.infer(matrix_request("iris", GOOD))
    assert [o.name for o in reply.outputs] == ["predict", "predict_proba"]
    longest = _edit(lambda r: setattr(r, "id", "r" * 128))  # the id limit is inclusive
    assert (await serving_small.infer(longest)).id == "r" * 128
