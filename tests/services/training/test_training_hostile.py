"""Hostile input over gRPC to the training service, on SQLite and PostgreSQL: names like paths,
huge, empty, non-ASCII, SQL or with NUL; dataset paths out of the data root; import paths as
estimator classes; NaN, infinite or mistyped hyperparameters; uncountable search spaces; unknown
enum values; forged or foreign page tokens. Each is refused with its code and field, never
INTERNAL, leaks nothing, queues nothing, opens no file outside the root and imports no module.
The same strings in reasons, trigger sources and labels are kept verbatim."""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf.duration_pb2 import Duration

from slipway.common.v1 import value_pb2
from slipway.core.pagination import encode_page_token
from slipway.training.v1 import dataset_spec_pb2 as ds
from slipway.training.v1 import estimator_spec_pb2 as es
from slipway.training.v1 import search_spec_pb2 as ss
from slipway.training.v1 import training_job_pb2 as tj
from slipway.training.v1 import training_service_pb2 as pb
from support.probe import rich_details
from support.registry import Registry
from support.training import (
    CANCELLED,
    QUEUED,
    StartTraining,
    Training,
    estimator,
    job,
    pipeline,
    value,
    write_csv,
)

HOSTILE_IDS = [
    "../../etc/passwd",
    "a/b",
    "..",
    "x" * 10_000,
    "",
    "задача",
    "٣٤",
    "job-🚀",
    "x'; DROP TABLE training_jobs;--",
    "nul\x00byte",
    "0123456789abcdef/../x",
]
HOSTILE_TEXT = [
    "../../etc/passwd",
    "x'; DROP TABLE training_jobs;--",
    "задача 🚀 ✓ 模型",
    "\"quoted\" \\back\\slash\\ 'single'",
    "line\nbreak\ttab",
    "<script>alert(1)</script>",
    "%s %d {0} ${HOME}",
    "",
]
UNIMPORTED = ("tabnanny", "wave")  # never imported by the suite, harmless if they were
LEAKS = ("Traceback", 'File "', "sqlalchemy", "psycopg", "sqlite3", "SELECT ", "site-packages")
MISSING_JOB = "trainingJobs/" + "0" * 32
UNKNOWN: Any = 999  # defined by no enum of the API; proto3 enums are open, so it is sent as is
Call = Callable[..., Awaitable[Any]]

# The files this process opens while a test records; the service runs in it.
_RECORDERS: list[list[str]] = []
_hooked = False


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _RECORDERS and event == "open" and isinstance(args[0], str | bytes | Path):
        for seen in _RECORDERS:
            seen.append(os.fsdecode(args[0]))


@contextlib.contextmanager
def recording() -> Iterator[list[str]]:
    global _hooked
    if not _hooked:  # a hook cannot be removed: one, idle unless a test records
        sys.addaudithook(_audit)
        _hooked = True
    seen: list[str] = []
    _RECORDERS.append(seen)
    try:
        yield seen
    finally:
        _RECORDERS.remove(seen)


def opened(seen: list[str], *paths: str | Path) -> set[str]:
    """Which of ``paths`` were opened, links resolved."""
    return {os.path.realpath(p) for p in paths} & {os.path.realpath(p) for p in seen}


@pytest.fixture
async def queue(start_training: StartTraining, registry: Registry) -> AsyncIterator[Training]:
    """The API without workers: an accepted job stays QUEUED and nothing trains."""
    async with start_training(registry.address, workers=0) as running:
        yield running


async def refused(
    call: Call,
    request: Any,
    metadata: Any,
    code: grpc.StatusCode = grpc.StatusCode.INVALID_ARGUMENT,
) -> grpc.aio.AioRpcError:
    try:
        await call(request, metadata=metadata)
    except grpc.aio.AioRpcError as caught:
        error = caught
    else:
        pytest.fail(f"accepted: {request}"[:2000])
    details = error.details() or ""
    assert error.code() == code, (f"{request}"[:2000], error.code(), details)
    assert details, error
    assert not any(leak in details for leak in LEAKS), details
    return error


async def invalid(call: Call, request: Any, metadata: Any) -> list[str]:
    """The fields of the INVALID_ARGUMENT that ``call(request)`` fails with."""
    bad = rich_details(await refused(call, request, metadata))["bad_request"]
    assert bad is not None, request
    assert all(v.description for v in bad.field_violations)
    return [str(v.field) for v in bad.field_violations]


async def listed(training: Training) -> list[tuple[str, int]]:
    reply = await training.stub.ListTrainingJobs(
        pb.ListTrainingJobsRequest(page_size=1000), metadata=training.as_("viewer")
    )
    return [(j.name, j.state) for j in reply.training_jobs]


def names(returned: str, field: str) -> bool:
    """Whether a violation's field is ``field``; a long path (one holding a 10 kB name) may come
    back cut short, marked "…" or "..."."""
    stem = returned.removesuffix("…").removesuffix("...")
    return returned == field or (stem != returned and field.startswith(stem))


def create(message: tj.TrainingJob, **fields: Any) -> pb.CreateTrainingJobRequest:
    return pb.CreateTrainingJobRequest(training_job=message, **fields)


# Request ids a terminal or a report would act on (a screen clear, a colour, a line break, a
# right-to-left override, a bell, DEL, a C1 control): they are shown to auditors with the rows.
CONTROL_REQUEST_IDS = [
    "r\x1b[2J",
    "r\x1b[31mok",
    "r\nforged",
    "r\u202etxt",
    "r\x07",
    "r\x7f",
    "r\x85",
]


async def test_request_ids_with_control_characters_are_refused_and_queue_nothing(
    queue: Training,
) -> None:
    dev = queue.as_("developer")
    for request_id in CONTROL_REQUEST_IDS:
        error = await refused(
            queue.stub.CreateTrainingJob, create(job("models/m"), request_id=request_id), dev
        )
        assert rich_details(error)["error_info"].reason == "INVALID_REQUEST_ID", repr(request_id)
        assert request_id not in (error.details() or "")
        error = await refused(
            queue.stub.CancelTrainingJob,
            pb.CancelTrainingJobRequest(name=MISSING_JOB, reason="r", request_id=request_id),
            dev,
        )
        assert rich_details(error)["error_info"].reason == "INVALID_REQUEST_ID", repr(request_id)
    assert await listed(queue) == []
    # Printable text of any script is still a request id, and a retry is answered once.
    created = await queue.create(job("models/m"), request_id="задача 🚀 id")
    assert await queue.create(job("models/m"), request_id="задача 🚀 id") == created


async def test_only_an_approver_creates_a_job_landing_on_a_live_traffic_alias(
    queue: Training, registry: Registry
) -> None:
    # `challenger` is what canaries and shadows route live traffic to: the registry lets a
    # verified job's version take it, so a person's job asking for it needs an approver.
    landing = job("models/m", alias_on_success="challenger", reason="try the new features")
    error = await refused(
        queue.stub.CreateTrainingJob,
        create(landing),
        queue.as_("developer"),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    assert rich_details(error)["error_info"].reason == "PROTECTED_ALIAS"
    assert await listed(queue) == []
    # An unprotected alias stays a developer's choice.
    staging = await queue.create(job("models/m", alias_on_success="staging"))
    # An approver's job is accepted, and the approver is recorded as answerable for the landing.
    approved = await queue.create(landing, role="approver")
    assert approved.created_by == "approver-user"
    assert sorted(await listed(queue)) == sorted([(staging.name, QUEUED), (approved.name, QUEUED)])
    [event] = await registry.audit_events(
        action="training.CreateTrainingJob", resource=approved.name
    )
    assert json.loads(event.payload_json)["alias_approved_by"] == "approver-user"
    [event] = await registry.audit_events(
        action="training.CreateTrainingJob", resource=staging.name
    )
    assert "alias_approved_by" not in json.loads(event.payload_json)


async def test_hostile_job_names_are_refused_on_every_rpc(queue: Training) -> None:
    existing = await queue.create(job("models/kept"))
    viewer, dev = queue.as_("viewer"), queue.as_("developer")
    stub = queue.stub

    async def watch(request: pb.WatchTrainingJobRequest, metadata: Any) -> list[Any]:
        return [r async for r in stub.WatchTrainingJob(request, metadata=metadata, timeout=10)]

    for raw in HOSTILE_IDS:
        for name in (f"trainingJobs/{raw}", raw):
            assert await invalid(
                stub.GetTrainingJob, pb.GetTrainingJobRequest(name=name), viewer
            ) == ["name"], name
            assert await invalid(
                stub.CancelTrainingJob, pb.CancelTrainingJobRequest(name=name, reason="r"), dev
            ) == ["name"], name
            assert await invalid(watch, pb.WatchTrainingJobRequest(name=name), viewer) == [
                "name"
            ], name
        assert "training_job.model" in await invalid(
            stub.CreateTrainingJob, create(job(f"models/{raw}")), dev
        ), raw
    # The registry refuses '..' inside a model id: such a job could never register.
    assert "training_job.model" in await invalid(
        stub.CreateTrainingJob, create(job("models/a..b")), dev
    )
    for request_id in ("r\x00", "r" * 129):
        assert await invalid(
            stub.CreateTrainingJob, create(job("models/m"), request_id=request_id), dev
        ) == ["request_id"]

    for call, request in (
        (stub.GetTrainingJob, pb.GetTrainingJobRequest(name=MISSING_JOB)),
        (stub.CancelTrainingJob, pb.CancelTrainingJobRequest(name=MISSING_JOB, reason="r")),
        (watch, pb.WatchTrainingJobRequest(name=MISSING_JOB)),
    ):
        error = await refused(call, request, dev, grpc.StatusCode.NOT_FOUND)
        assert rich_details(error)["error_info"].reason == "TRAINING_JOB_NOT_FOUND"
    # The role is checked before anything in the request is looked at.
    for method, denied in (
        (stub.CreateTrainingJob, create(job("models/../x"))),
        (stub.CancelTrainingJob, pb.CancelTrainingJobRequest(name="../../etc/passwd")),
    ):
        await refused(method, denied, viewer, grpc.StatusCode.PERMISSION_DENIED)
    assert await listed(queue) == [(existing.name, QUEUED)]


@pytest.fixture
def outside(tmp_path: Path, data_root: Path) -> Path:
    """A valid CSV outside the data root, and links to it from inside: were any of them read,
    the job would validate."""
    (tmp_path / "outside").mkdir()
    secret = write_csv(tmp_path / "outside" / "secret.csv")
    (data_root / "link.csv").symlink_to(secret)
    (data_root / "linkdir").symlink_to(secret.parent, target_is_directory=True)
    (data_root / "loop.csv").symlink_to(data_root / "loop.csv")
    (data_root / "etc.csv").symlink_to("/etc/passwd")
    return secret


def on_file(path: str) -> tj.TrainingJob:
    return job(
        "models/files",
        dataset=ds.DatasetSpec(
            path=path, target_column="label", feature_columns=["size", "weight"]
        ),
    )


async def test_dataset_paths_that_leave_the_data_root_are_refused_unread(
    queue: Training, data_root: Path, outside: Path
) -> None:
    paths = [
        "../outside/secret.csv",
        str(outside),
        "/etc/passwd",
        "file:///etc/passwd",
        f"file://{outside}",
        "http://127.0.0.1:9/secret.csv",
        "s3://bucket/secret.csv",
        "..\\outside\\secret.csv",
        "./../outside/secret.csv",
        "link.csv",
        "linkdir/secret.csv",
        "etc.csv",
        "loop.csv",
        "~/secret.csv",
        ".",
        "",
        "x" * 10_000,
        "a/" * 2_100 + "x.csv",
        "nul\x00.csv",
        "данные.csv",
        "x'; DROP TABLE training_jobs;--",
    ]
    with recording() as seen:
        for path in paths:
            for validate_only in (False, True):
                error = await refused(
                    queue.stub.CreateTrainingJob,
                    create(on_file(path), validate_only=validate_only),
                    queue.as_("developer"),
                )
                [violation] = rich_details(error)["bad_request"].field_violations
                assert violation.field == "training_job.dataset.path", path
                # Nor does the answer tell where the data root is.
                assert str(data_root) not in f"{error.details()} {violation.description}"
        # The control: a file inside the root is accepted, and its opening is seen.
        await queue.create(on_file("fruit.csv"), validate_only=True)
    assert opened(seen, data_root / "fruit.csv")
    assert not opened(seen, outside, "/etc/passwd")
    assert await listed(queue) == []


def variant(**fields: Any) -> tj.TrainingJob:
    message = job("models/v", spec=estimator("LogisticRegression"))
    message.MergeFrom(tj.TrainingJob(**fields))
    return message


def hyper(name: str, raw: value_pb2.Value) -> tj.TrainingJob:
    return variant(estimator=es.EstimatorSpec(estimator=es.Estimator(hyperparameters={name: raw})))


def search(*parameters: ss.SearchParameter, **fields: Any) -> tj.TrainingJob:
    fields.setdefault("strategy", ss.SEARCH_STRATEGY_GRID)
    return variant(search=ss.SearchSpec(parameters=parameters or [values()], **fields))


def values(*items: value_pb2.Value, name: str = "C") -> ss.SearchParameter:
    return ss.SearchParameter(name=name, values=value_pb2.ValueList(values=items or [value(1.0)]))


def columns(entry: es.EstimatorSpec, remainder: Any = 0) -> es.EstimatorSpec:
    return es.EstimatorSpec(
        column_transformer=es.ColumnTransformer(
            remainder=remainder,
            transformers=[es.ColumnTransformerEntry(name="c", columns=["size"], spec=entry)],
        )
    )


E, S, NAN, INF = "training_job.estimator", "training_job.search", math.nan, math.inf
FRUIT: dict[str, Any] = {"path": "fruit.csv", "target_column": "label"}
CLASSES = [
    "os.system",
    "subprocess.Popen",
    "builtins.eval",
    "tabnanny.check",
    "wave.open",
    "sklearn.linear_model.LogisticRegression",
    "eval",
    "__import__",
    "Pipeline",
    "BaseEstimator",
    "",
    "x" * 10_000,
    "ЛогистическаяРегрессия",
    "x'; DROP TABLE t;--",
    "LogisticRegression; import os",
    "LogisticRegression\x00",
]


def bad_specs() -> Iterator[tuple[str, tj.TrainingJob]]:
    """(the field that must be named, a job refused for it)."""
    for name in CLASSES:
        yield f"{E}.estimator.class_name", job("models/c", spec=estimator(name))
    step, prep = f"{E}.pipeline.steps[0]", f"{E}.column_transformer"
    yield (
        f"{prep}.transformers[0].spec.estimator.class_name",
        variant(dataset=ds.DatasetSpec(**FRUIT), estimator=columns(estimator("wave.open"))),
    )
    yield (
        f"{prep}.remainder",
        variant(
            dataset=ds.DatasetSpec(**FRUIT),
            estimator=columns(estimator("StandardScaler"), remainder=UNKNOWN),
        ),
    )
    nested, deep = estimator("Ridge"), value(1.0)
    for _ in range(20):
        nested = pipeline(("inner", nested))
        deep = value_pb2.Value(list_value=value_pb2.ValueList(values=[deep]))
    yield E + ".pipeline.steps[0].spec" * 9, variant(estimator=nested)  # refused at depth 9
    for name in ("../x", "__", "Шаг", "step\x00", ""):
        yield f"{step}.name", variant(estimator=pipeline((name, estimator("Ridge"))))
    for raw in (
        value_pb2.Value(double_value=NAN),
        value_pb2.Value(double_value=INF),
        value_pb2.Value(double_value=-INF),
        value_pb2.Value(),
        value([1.0]),
        value({"a": 1}),
        value(None),
        value(True),
        value(-1.0),
        value("1.0"),
        deep,
    ):
        yield f'{E}.estimator.hyperparameters["C"]', hyper("C", raw)
    for name in ("__class__", "x'; DROP TABLE t;--", "", "n" * 10_000, "C\x00", "C.__globals__"):
        yield f"{E}.estimator.hyperparameters[{json.dumps(name)}]", hyper(name, value(1))

    for top in (20_000, 2**63 - 1):  # grids too big to run, or even to measure with len()
        yield (
            f"{S}.parameters",
            search(ss.SearchParameter(name="max_iter", int_range=ss.IntRange(min=0, max=top))),
        )
    for low, high, points in ((NAN, 1.0, 5), (-INF, INF, 5), (0.1, 1.0, 10**9)):
        field = f"{S}.parameters[0].double_range" + (".grid_points" if points > 5 else "")
        yield (
            field,
            search(
                ss.SearchParameter(
                    name="C", double_range=ss.DoubleRange(min=low, max=high, grid_points=points)
                )
            ),
        )
    for raw in (value_pb2.Value(double_value=NAN), value("os.system")):
        yield f"{S}.parameters[0].values.values[0]", search(values(raw))
    for name in ("__class__", "", "x'; DROP TABLE t;--", "model__C"):
        yield f"{S}.parameters[0].name", search(values(name=name))
    yield f"{S}.parameters[0]", search(ss.SearchParameter(name="C"))
    for field, changes in (
        ("strategy", {"strategy": UNKNOWN}),
        ("n_iter", {"n_iter": -1}),
        ("n_iter", {"n_iter": 2**31 - 1}),
        ("cv_folds", {"cv_folds": -1}),
        ("max_parallel_trials", {"max_parallel_trials": 10**9}),
        ("scoring", {"scoring": "x'; DROP TABLE training_jobs;--"}),
    ):
        yield f"{S}.{field}", search(**{"strategy": ss.SEARCH_STRATEGY_RANDOM, **changes})

    for field, key, options in (
        (
            "split.test_fraction",
            "split",
            [ds.SplitSpec(test_fraction=fraction) for fraction in (NAN, INF, -0.1, 1e308)],
        ),
        (
            "limits.max_runtime",
            "limits",
            [
                tj.TrainingLimits(max_runtime=Duration(seconds=seconds))
                for seconds in (-1, 10**15, -(10**15))
            ],
        ),
        ("task", "task", [UNKNOWN]),
        ("trigger", "trigger", [UNKNOWN]),
        ("dataset.bundled", "dataset", [ds.DatasetSpec(bundled=UNKNOWN)]),
        ("dataset.format", "dataset", [ds.DatasetSpec(**FRUIT, format=UNKNOWN)]),
        (
            "dataset.feature_columns[0]",
            "dataset",
            [ds.DatasetSpec(**FRUIT, feature_columns=[name]) for name in ("\x00", "c" * 10_000)],
        ),
        (
            "alias_on_success",
            "alias_on_success",
            ["../x", "x" * 10_000, "прод", "Production", "a\x00", "my_alias", "end-"],
        ),
        (
            "parent_version",
            "parent_version",
            [
                "models/m/versions/٣",
                "models/m/versions/²",
                "models/../versions/1",
                "../../etc/passwd",
            ],
        ),
        ("reason", "reason", ["r\x00", "r" * 16_385]),
        ("trigger_source", "trigger_source", ["t\x00", "t" * 1_025]),
    ):
        for option in options:
            yield f"training_job.{field}", variant(**{key: option})
    for key, label in (
        ("../x", "v"),
        ("Key", "v"),
        ("", "v"),
        ("a.b", "v"),
        ("k", "\x00"),
        ("k", "v" * 64),
        ("k", "Hello World"),
    ):
        yield f"training_job.labels[{key!r}]", variant(labels={key: label})


async def test_refused_specs_name_the_field_import_nothing_and_queue_nothing(
    queue: Training,
) -> None:
    assert not any(name in sys.modules for name in UNIMPORTED)  # or the check below is void
    for field, message in bad_specs():
        for validate_only in (False, True):
            fields = await invalid(
                queue.stub.CreateTrainingJob,
                create(message, validate_only=validate_only),
                queue.as_("developer"),
            )
            assert any(names(f, field) for f in fields), (field, fields)
    assert not any(name in sys.modules for name in UNIMPORTED)
    assert await listed(queue) == []


async def test_list_refuses_forged_cut_or_foreign_page_tokens_sizes_and_enums(
    queue: Training,
) -> None:
    names = [(await queue.create(job(f"models/{model}"))).name for model in ("a", "a", "b")]
    viewer, list_jobs = queue.as_("viewer"), queue.stub.ListTrainingJobs
    first, of_a = [
        await list_jobs(pb.ListTrainingJobsRequest(page_size=1, filter=flt), metadata=viewer)
        for flt in ("", 'model = "models/a"')
    ]
    token = first.next_page_token
    middle = len(token) // 2
    flipped = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    # The checksum is no secret: a client that read the source can seal a token for this very
    # request around any cursor.
    unfiltered = {"filter": "", "descending": True}
    forged = [
        encode_page_token(cursor, unfiltered)
        for cursor in (
            {},
            {"seq": "x'; DROP TABLE training_jobs;--"},
            {"seq": 2**70},
            {"seq": [1]},
            {"seq": 1.5},
            {"seq": None},
            {"seq": True},
            {"seq": -(2**63) - 1},
        )
    ]
    for bad in (
        flipped,
        token[:-4],
        token[:middle],
        token + "x",
        "not-a-token",
        "%%%",
        "été",
        "nul\x00",
        of_a.next_page_token,
        *forged,
    ):
        assert await invalid(
            list_jobs, pb.ListTrainingJobsRequest(page_size=1, page_token=bad), viewer
        ) == ["page_token"], bad
    for request, field in (
        (pb.ListTrainingJobsRequest(page_token=token, filter="state = QUEUED"), "page_token"),
        (pb.ListTrainingJobsRequest(page_token=token, filter='model = "models/b"'), "page_token"),
        (pb.ListTrainingJobsRequest(page_token=token, order_by="create_time"), "page_token"),
        (pb.ListTrainingJobsRequest(page_size=-1), "page_size"),
        (pb.ListTrainingJobsRequest(page_size=-(2**31)), "page_size"),
        (pb.ListTrainingJobsRequest(filter="state = UNKNOWN"), "filter"),
        (pb.ListTrainingJobsRequest(filter="state = QUEUED OR state = UNSPECIFIED"), "filter"),
        (pb.ListTrainingJobsRequest(filter="state > QUEUED"), "filter"),
        (pb.ListTrainingJobsRequest(filter="trigger = SOMETIMES"), "filter"),
        (pb.ListTrainingJobsRequest(filter='created_by = "nul\x00"'), "filter"),
        (pb.ListTrainingJobsRequest(filter="labels.team = x"), "filter"),
        (pb.ListTrainingJobsRequest(filter='create_time > "yesterday"'), "filter"),
        (pb.ListTrainingJobsRequest(order_by="model"), "order_by"),
    ):
        assert await invalid(list_jobs, request, viewer) == [field], request
    # Other hostile text is only a filter that matches nothing.
    assert await invalid(
        list_jobs, pb.ListTrainingJobsRequest(filter=f'created_by = "{"c" * 10_000}"'), viewer
    ) == ["filter"]  # a filter has at most 2048 characters
    for text in [*HOSTILE_TEXT[:-1], "c" * 2_000]:
        quoted = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
        found = await list_jobs(
            pb.ListTrainingJobsRequest(filter=f"created_by = {quoted}"), metadata=viewer
        )
        assert list(found.training_jobs) == [], text

    # The untouched token still works, with a huge page size too: capped, not refused.
    rest = await list_jobs(
        pb.ListTrainingJobsRequest(page_size=2**31 - 1, page_token=token), metadata=viewer
    )
    assert [j.name for j in (*first.training_jobs, *rest.training_jobs)] == names[::-1]
    assert not rest.next_page_token
    assert {state for _, state in await listed(queue)} == {QUEUED}


async def test_hostile_free_text_is_stored_and_returned_verbatim(
    queue: Training, registry: Registry
) -> None:
    reason = "\n".join(HOSTILE_TEXT) + "y" * 10_000
    # Labels follow the registry's rule (they become the version's): hostile text is refused.
    labels = {f"k{i}": f"v_{i}-x" for i in range(len(HOSTILE_TEXT))}
    trigger_source = ("alerts/" + "".join(HOSTILE_TEXT) * 20)[:1_024]
    message = job("models/text", reason=reason, trigger_source=trigger_source, labels=labels)
    request_id = "x'; DROP TABLE training_jobs;--"
    created = await queue.create(message, request_id=request_id)
    again = await queue.create(message, request_id=request_id)
    assert again.name == created.name  # an ordinary idempotency key
    [listed_job] = (
        await queue.stub.ListTrainingJobs(
            pb.ListTrainingJobsRequest(filter='created_by = "developer-user"'),
            metadata=queue.as_("viewer"),
        )
    ).training_jobs
    watched = await queue.stub.WatchTrainingJob(
        pb.WatchTrainingJobRequest(name=created.name), metadata=queue.as_("viewer"), timeout=10
    ).read()
    assert isinstance(watched, pb.WatchTrainingJobResponse)  # its first message: the job now
    for got in (created, await queue.get(created.name), listed_job, watched.training_job):
        assert (got.reason, got.trigger_source, dict(got.labels)) == (
            reason,
            trigger_source,
            labels,
        )

    # Cancel reasons, each on its own job: kept on the job and in the audit log.
    for text in HOSTILE_TEXT:
        queued = await queue.create(job("models/text"))
        reply = await queue.stub.CancelTrainingJob(
            pb.CancelTrainingJobRequest(name=queued.name, reason=text),
            metadata=queue.as_("developer"),
        )
        assert (reply.training_job.state, reply.training_job.cancel_reason) == (CANCELLED, text)
        assert (await queue.get(queued.name)).cancel_reason == text
        events = await registry.audit_events(resource=queued.name)
        assert [e.reason for e in events if e.action == "training.CancelTrainingJob"] == [text]
