"""Hostile input over the Open Inference Protocol, beyond the bad tensors of test_serving_inputs:
hostile model names and versions are NOT_FOUND (or not ready), hostile ids are echoed verbatim
and unknown parameters ignored; enormous shapes, values out of their datatype's range, broken
raw and BYTES contents are INVALID_ARGUMENT naming the input, refused before anything is
allocated from a declared shape; a request over the message limit is refused by the transport;
never INTERNAL, and good requests are answered the same afterwards."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
import numpy as np
import pytest

from slipway.inference.v2 import grpc_service_pb2 as pb
from slipway.ml.tensors import pack_bytes
from support.registry import Registry, error_reason, violated_fields
from support.serving import (
    Serving,
    StartServing,
    fruit_spec,
    matrix_request,
    output,
    register,
    train_locally,
)

# Nothing hostile reaches the database here (serving only writes audit events): SQLite suffices.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

SQL = "x'; DROP TABLE audit_events;--"
GOOD = np.array([[5.1, 3.5, 1.4, 0.2], [6.2, 2.9, 4.3, 1.3], [7.7, 3.0, 6.1, 2.3]])
FEATURES = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"]
HOSTILE_NAMES = [
    "../../etc/passwd",
    "a/b",
    "..",
    "",
    "x" * 10_000,
    "модель",
    "nul\x00byte",
    SQL,
    "iris@../x",
    "iris@staging",  # an alias not deployed here (iris@production, which is, is a served name)
    "iris@1",  # a version, but not a deployment's name
    "models/iris",
    "iris/versions/1",
    " iris",
    "iris\n",
    "IRIS",
    "iris%",
    "iri_",
]
# Version strings that int() or a lax pattern would read as a number, and other junk.
HOSTILE_VERSIONS = [
    "²",
    "٣",
    "-1",
    "0",
    "01",
    "+1",
    "1.0",
    " 1",
    "1\n",
    str(10**30),
    "1e0",
    "x" * 10_000,
    "nul\x00",
    SQL,
    "production",
    "../1",
]
LEAKS = ("Traceback", 'File "', "KeyError", "OverflowError", "numpy", "np.")
MiB = 1024 * 1024

Build = Callable[[], pb.ModelInferRequest]


async def refused(
    call: Any, request: Any, metadata: Any, code: grpc.StatusCode, reason: str, field: str = ""
) -> grpc.aio.AioRpcError:
    """The error ``call(request)`` fails with, checked for code, reason, field and a clean,
    bounded message."""
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await call(request, metadata=metadata, timeout=30)
    error, message = failure.value, failure.value.details() or ""
    assert (error.code(), error_reason(error)) == (code, reason), (str(request)[:200], message)
    assert message.strip()
    assert len(message.encode()) <= 2048
    assert not any(leak in message for leak in LEAKS), message
    if field:
        assert [f.split(" ")[0] for f in violated_fields(error)] == [field], violated_fields(error)
    return error


async def still_answers(
    serving: Serving, expected: pb.ModelInferResponse | None = None
) -> pb.ModelInferResponse:
    """A good request is answered (the same as before, when given)."""
    reply = await serving.infer(matrix_request("iris", GOOD, request_id="good"))
    if expected is not None:
        assert reply.outputs == expected.outputs
    return reply


def per_feature(rows: np.ndarray, datatype: str = "FP64") -> pb.ModelInferRequest:
    request = pb.ModelInferRequest(model_name="iris")
    for j, name in enumerate(FEATURES):
        request.inputs.add(
            name=name, datatype=datatype, shape=[len(rows)]
        ).contents.fp64_contents.extend(rows[:, j].tolist())
    return request


def reshaped(
    shape: list[int], raw: bool = False, per_feature_inputs: bool = False
) -> pb.ModelInferRequest:
    """A good request whose every tensor claims ``shape``."""
    request = per_feature(GOOD) if per_feature_inputs else matrix_request("iris", GOOD, raw=raw)
    for tensor in request.inputs:
        tensor.ClearField("shape")
        tensor.shape.extend(shape)
    return request


async def test_hostile_model_names_and_versions_are_not_found_and_not_ready(
    serving: Serving,
) -> None:
    stub, caller, admin = serving.stub, serving.as_(), serving.as_("admin")
    baseline = await still_answers(serving)
    for name in HOSTILE_NAMES:
        await refused(
            stub.ModelInfer,
            matrix_request(name, GOOD),
            caller,
            grpc.StatusCode.NOT_FOUND,
            "MODEL_NOT_FOUND",
        )
        await refused(
            stub.ModelMetadata,
            pb.ModelMetadataRequest(name=name),
            caller,
            grpc.StatusCode.NOT_FOUND,
            "MODEL_NOT_FOUND",
        )
        ready = await stub.ModelReady(pb.ModelReadyRequest(name=name), metadata=caller)
        assert not ready.ready, name[:40]
        if "@" not in name and name != "IRIS":  # IRIS is a valid id; targets are tried below
            await refused(
                stub.RepositoryModelLoad,
                pb.RepositoryModelLoadRequest(model_name=name),
                admin,
                grpc.StatusCode.INVALID_ARGUMENT,
                "INVALID_NAME",
                "model_name",
            )
    for target in ("iris@../x", "iris@²", f"iris@{10**30}", "iris@-1", "@production"):
        await refused(
            stub.RepositoryModelUnload,
            pb.RepositoryModelUnloadRequest(model_name=target),
            admin,
            grpc.StatusCode.INVALID_ARGUMENT,
            "INVALID_NAME",
            "model_name",
        )
    for version in HOSTILE_VERSIONS:
        await refused(
            stub.ModelInfer,
            matrix_request("iris", GOOD, version=version),
            caller,
            grpc.StatusCode.NOT_FOUND,
            "VERSION_NOT_FOUND",
        )
        await refused(
            stub.ModelMetadata,
            pb.ModelMetadataRequest(name="iris", version=version),
            caller,
            grpc.StatusCode.NOT_FOUND,
            "VERSION_NOT_FOUND",
        )
        ready = await stub.ModelReady(
            pb.ModelReadyRequest(name="iris", version=version), metadata=caller
        )
        assert not ready.ready, version[:40]
    assert (
        await stub.ModelReady(pb.ModelReadyRequest(name="iris", version="1"), metadata=caller)
    ).ready
    meta = await stub.ModelMetadata(
        pb.ModelMetadataRequest(name="iris", version="1"), metadata=caller
    )
    assert (meta.name, list(meta.versions)) == ("iris", ["1"])
    assert (await stub.ServerReady(pb.ServerReadyRequest(), metadata=caller)).ready
    await still_answers(serving, baseline)


async def test_hostile_ids_are_echoed_and_unknown_parameters_ignored(serving: Serving) -> None:
    baseline = await still_answers(serving)
    for request_id in ("x" * 128, "модель 🚀 ✓", SQL, "%s%n"):
        reply = await serving.infer(matrix_request("iris", GOOD, request_id=request_id))
        assert (reply.id, reply.outputs) == (request_id, baseline.outputs)
    # Too long or not printable (the rule the registry, training and monitoring share): refused,
    # never logged or joined on; escapes, a right-to-left override and a C1 control included.
    for request_id in ("x" * 100_000, "x" * 129, "nul\x00id", "\n", "r\x1b[2J", "r\u202e", "r\x85"):
        await refused(
            serving.stub.ModelInfer,
            matrix_request("iris", GOOD, request_id=request_id),
            serving.as_(),
            grpc.StatusCode.INVALID_ARGUMENT,
            "INVALID_REQUEST_ID",
            "id",
        )
    anonymous = await serving.infer(matrix_request("iris", GOOD))
    assert anonymous.id  # the server names a request that did not

    request = matrix_request("iris", GOOD, outputs=("predict", "predict_proba"))
    odd = {
        "k" * 10_000: pb.InferParameter(string_param="v" * 100_000),
        "nul\x00key": pb.InferParameter(bool_param=True),
        "": pb.InferParameter(int64_param=-(2**63)),
        "served_version": pb.InferParameter(uint64_param=2**64 - 1),
        "binary_data_size": pb.InferParameter(double_param=float("nan")),
        "shared_memory_region": pb.InferParameter(string_param=SQL),
    }
    for holder in (request, request.inputs[0], request.outputs[0]):
        for key, value in odd.items():
            holder.parameters[key].CopyFrom(value)
    reply = await serving.infer(request)
    assert reply.outputs == baseline.outputs
    assert reply.parameters["served_version"].string_param == "models/iris/versions/1"


SHAPES: list[tuple[str, Build, str, str]] = [
    ("2**62 rows", lambda: reshaped([2**62, 4]), "TOO_MANY_ROWS", "inputs[0]"),
    ("2**63-1 rows raw", lambda: reshaped([2**63 - 1, 4], raw=True), "TOO_MANY_ROWS", "inputs[0]"),
    ("declared rows without values", lambda: reshaped([10**7, 4]), "INVALID_SHAPE", "inputs[0]"),
    ("raw, declared rows", lambda: reshaped([10**7, 4], raw=True), "INVALID_SHAPE", "inputs[0]"),
    ("most negative rows", lambda: reshaped([-(2**63), 4]), "INVALID_SHAPE", "inputs[0]"),
    ("2**62 features", lambda: reshaped([3, 2**62]), "WRONG_FEATURE_COUNT", "inputs[0]"),
    (
        "features wrap around",
        lambda: reshaped([2**62 + 3, 2**62 + 4]),
        "WRONG_FEATURE_COUNT",
        "inputs[0]",
    ),
    (
        "per-feature 2**62 rows",
        lambda: reshaped([2**62], per_feature_inputs=True),
        "TOO_MANY_ROWS",
        "inputs[0]",
    ),
    (
        "per-feature [2**62, 1]",
        lambda: reshaped([2**62, 1], per_feature_inputs=True),
        "TOO_MANY_ROWS",
        "inputs[0]",
    ),
    (
        "per-feature [1, 2**62]",
        lambda: reshaped([1, 2**62], per_feature_inputs=True),
        "INVALID_SHAPE",
        "inputs[0]",
    ),
    (
        "per-feature negative",
        lambda: reshaped([-3], per_feature_inputs=True),
        "INVALID_SHAPE",
        "inputs[0]",
    ),
    (
        "per-feature scalar",
        lambda: reshaped([], per_feature_inputs=True),
        "INVALID_SHAPE",
        "inputs[0]",
    ),
]


async def test_enormous_shapes_are_refused_before_allocating(
    start_serving: StartServing, registry: Registry, iris_registered: list[int]
) -> None:
    # A row limit far above what the message holds: only the contents can refuse these shapes.
    async with start_serving(
        registry.address, deployments=["iris@production"], max_rows=10**8
    ) as serving:
        baseline = await still_answers(serving)
        tracemalloc.start()
        try:
            for kind, build, reason, field in SHAPES:
                request = build()
                tracemalloc.reset_peak()
                await refused(
                    serving.stub.ModelInfer,
                    request,
                    serving.as_(),
                    grpc.StatusCode.INVALID_ARGUMENT,
                    reason,
                    field,
                )
                # 10**7 rows of 4 doubles would be 320 MB; the request itself is tiny.
                assert tracemalloc.get_traced_memory()[1] < 16 * MiB, kind
        finally:
            tracemalloc.stop()
        await still_answers(serving, baseline)


def typed(datatype: str, field: str, values: list[Any]) -> pb.ModelInferRequest:
    request = pb.ModelInferRequest(model_name="iris")
    tensor = request.inputs.add(name="x", datatype=datatype, shape=[len(values) // 4, 4])
    getattr(tensor.contents, field).extend(values)
    return request


def raw(
    change: Callable[[pb.ModelInferRequest], None], per_feature_inputs: bool = False
) -> pb.ModelInferRequest:
    if per_feature_inputs:
        request = per_feature(GOOD)
        for j, tensor in enumerate(request.inputs):
            tensor.ClearField("contents")
            request.raw_input_contents.append(np.ascontiguousarray(GOOD[:, j]).tobytes())
    else:
        request = matrix_request("iris", GOOD, raw=True)
    change(request)
    return request


CONTENTS: list[tuple[str, Build, str, str]] = [
    *[
        (
            f"datatype {name[:8]!r}",
            lambda name=name: typed(name, "fp64_contents", GOOD.ravel().tolist()),
            "INVALID_DATATYPE",
            "inputs[0]",
        )
        for name in ("", "fp64", "FP64\x00", "X" * 10_000, "FP 64", "STRING")
    ],
    (
        "INT8 out of range",
        lambda: typed("INT8", "int_contents", [1000] * 12),
        "INVALID_CONTENTS",
        "inputs[0]",
    ),
    (
        "INT16 out of range",
        lambda: typed("INT16", "int_contents", [2**31 - 1] * 12),
        "INVALID_CONTENTS",
        "inputs[0]",
    ),
    (
        "UINT8 out of range",
        lambda: typed("UINT8", "uint_contents", [300] * 12),
        "INVALID_CONTENTS",
        "inputs[0]",
    ),
    (
        "FP16 has no typed contents",
        lambda: typed("FP16", "fp32_contents", [1.0] * 12),
        "INVALID_CONTENTS",
        "inputs[0]",
    ),
    (
        "INT32 declared, FP64 given",
        lambda: typed("INT32", "fp64_contents", [1.0] * 12),
        "INVALID_SHAPE",
        "inputs[0]",
    ),
    (
        "raw one byte long",
        lambda: raw(lambda r: r.raw_input_contents.__setitem__(0, r.raw_input_contents[0] + b"\0")),
        "INVALID_SHAPE",
        "inputs[0]",
    ),
    (
        "raw empty",
        lambda: raw(lambda r: r.raw_input_contents.__setitem__(0, b"")),
        "INVALID_SHAPE",
        "inputs[0]",
    ),
    (
        "raw for 3 of 4 inputs",
        lambda: raw(lambda r: r.raw_input_contents.pop(), True),
        "INVALID_CONTENTS",
        "raw_input_contents",
    ),
    (
        "raw 5 for 4 inputs",
        lambda: raw(lambda r: r.raw_input_contents.append(b"\0" * 24), True),
        "INVALID_CONTENTS",
        "raw_input_contents",
    ),
    (
        "raw wrong size, third input",
        lambda: raw(lambda r: r.raw_input_contents.__setitem__(2, b"\0" * 16), True),
        "INVALID_SHAPE",
        "inputs[2]",
    ),
]


@pytest.mark.parametrize(
    ("kind", "build", "reason", "field"), CONTENTS, ids=[case[0][:30] for case in CONTENTS]
)
async def test_datatypes_and_contents_that_disagree_are_refused(
    serving: Serving, kind: str, build: Build, reason: str, field: str
) -> None:
    await refused(
        serving.stub.ModelInfer,
        build(),
        serving.as_(),
        grpc.StatusCode.INVALID_ARGUMENT,
        reason,
        field,
    )
    await still_answers(serving)


async def test_values_in_every_datatype_in_range_are_answered(serving: Serving) -> None:
    baseline = await still_answers(serving)
    ints = np.rint(GOOD).astype(np.int64)
    expected = await serving.infer(matrix_request("iris", ints, datatype="INT64"))
    for datatype, field in (
        ("INT8", "int_contents"),
        ("UINT8", "uint_contents"),
        ("INT16", "int_contents"),
        ("UINT64", "uint64_contents"),
    ):
        reply = await serving.infer(typed(datatype, field, ints.ravel().tolist()))
        assert reply.outputs == expected.outputs, datatype
    half = raw(
        lambda r: (
            r.inputs[0].__setattr__("datatype", "FP16"),
            r.raw_input_contents.__setitem__(0, GOOD.astype("<f2").tobytes()),
        )
    )
    assert list(output(await serving.infer(half), "predict")) == list(output(baseline, "predict"))


async def test_bytes_tensors_with_huge_or_broken_elements(
    start_serving: StartServing,
    registry: Registry,
    service_token_file: Path,
    tmp_path: Path,
    data_root: Path,
) -> None:
    trained = train_locally(fruit_spec(), tmp_path / "fruit", data_root)
    await register(registry, service_token_file, "fruit", trained, alias="production")

    def fruit(
        colours: list[bytes] | None = None, raw_colours: bytes | None = None
    ) -> pb.ModelInferRequest:
        request = pb.ModelInferRequest(model_name="fruit")
        for name, values in (("size", [9.0, 12.0, 10.0]), ("weight", [50.0, 40.0, 45.0])):
            request.inputs.add(name=name, datatype="FP64", shape=[3]).contents.fp64_contents.extend(
                values
            )
        colour = request.inputs.add(name="colour", datatype="BYTES", shape=[3])
        if raw_colours is None:
            colour.contents.bytes_contents.extend(colours or [b"red", b"blue", b"red"])
        else:
            for tensor in request.inputs[:2]:
                request.raw_input_contents.append(
                    np.asarray(tensor.contents.fp64_contents, dtype="<f8").tobytes()
                )
                tensor.ClearField("contents")
            request.raw_input_contents.append(raw_colours)
        return request

    async with start_serving(registry.address, deployments=["fruit"]) as serving:
        good = await serving.infer(fruit())
        # Unseen categories, however odd, are the model's to handle (it ignores them).
        for odd in (b"r" * 1024, b"re\x00d", "модель".encode(), SQL.encode(), b""):
            reply = await serving.infer(fruit([odd, b"blue", b"red"]))
            assert len(output(reply, "predict")) == 3
        assert (
            await serving.infer(fruit(raw_colours=pack_bytes([b"red", b"blue", b"red"])))
        ).outputs[0].shape == good.outputs[0].shape
        header = (2**32 - 1).to_bytes(4, "little")
        # Longer than the 1 KiB limit: refused, never logged with every row.
        for colours, raw_colours, reason in [
            ([b"r" * (4 * MiB), b"blue", b"red"], None, "VALUE_TOO_LONG"),
            ([b"r" * 1025, b"blue", b"red"], None, "VALUE_TOO_LONG"),
            (None, pack_bytes([b"red", b"b" * 1025, b"red"]), "VALUE_TOO_LONG"),
            ([b"\xff\xfe", b"blue", b"red"], None, "INVALID_CONTENTS"),
            ([b"red", b"blue"], None, "INVALID_SHAPE"),
            (None, header + b"red" + pack_bytes([b"b", b"c"]), "INVALID_CONTENTS"),
            (None, pack_bytes([b"red", b"blue"]), "INVALID_CONTENTS"),
            (None, pack_bytes([b"red", b"blue", b"red", b"x"]), "INVALID_CONTENTS"),
            (None, pack_bytes([b"red", b"blue"]) + b"\x01\x00", "INVALID_CONTENTS"),
        ]:
            await refused(
                serving.stub.ModelInfer,
                fruit(colours, raw_colours),
                serving.as_(),
                grpc.StatusCode.INVALID_ARGUMENT,
                reason,
                "inputs[2]",
            )
        assert (await serving.infer(fruit())).outputs == good.outputs


async def test_requests_at_the_message_size_limit(
    start_serving: StartServing, registry: Registry, iris_registered: list[int]
) -> None:
    async with start_serving(
        registry.address, deployments=["iris@production"], max_receive_message_bytes=MiB
    ) as serving:
        baseline = await still_answers(serving)

        def sized(size: int) -> pb.ModelInferRequest:
            # An ignored parameter pads the message to exactly ``size`` bytes (the id is
            # bounded to 128 characters, so it can no longer do it).
            request = matrix_request("iris", GOOD, raw=True, request_id="padded")
            pad = request.parameters["pad"]
            length = size - request.ByteSize()
            while request.ByteSize() != size:  # the length prefixes grow with the padding
                pad.string_param = "p" * length
                length -= request.ByteSize() - size
            return request

        at_limit = sized(MiB)
        reply = await serving.infer(at_limit)
        assert reply.id == "padded"
        assert list(output(reply, "predict")) == list(output(baseline, "predict"))
        with pytest.raises(grpc.aio.AioRpcError) as over:
            await serving.infer(sized(MiB + 1))
        assert over.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "Traceback" not in (over.value.details() or "")
        await still_answers(serving, baseline)
