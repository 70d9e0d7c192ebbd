"""Hostile input over gRPC to every RPC of the monitoring service, on SQLite and PostgreSQL:
hostile names, nonsense policies, impossible times, altered or foreign page tokens are refused
with INVALID_ARGUMENT on the field at fault (well-formed names of nothing: NOT_FOUND), never
INTERNAL or with internals, and create nothing; ingestion counts broken records and labels as
rejected and keeps the rest; hostile free text is kept verbatim."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, cast

import grpc
import pytest
from google.protobuf.field_mask_pb2 import FieldMask
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import text

from slipway.audit.v1 import audit_service_pb2
from slipway.audit.v1 import audit_service_pb2_grpc as audit_grpc
from slipway.common.v1 import tensor_pb2
from slipway.core.db import Database
from slipway.monitoring.v1 import monitoring_policy_pb2 as policy_pb2
from slipway.monitoring.v1 import monitoring_service_pb2 as pb
from slipway.monitoring.v1 import monitoring_service_pb2_grpc as pb_grpc
from slipway.monitoring.v1 import prediction_record_pb2 as record_pb2
from support.monitoring import Monitoring, known_models, running_monitoring
from support.probe import rich_details
from support.registry import Registry, audit_filter, error_reason, violated_fields

HOSTILE_NAMES = [
    "../../etc/passwd",
    "a/b",
    "..",
    "x" * 10_000,
    "",
    "модель",
    "model-🚀",
    "x'; DROP TABLE monitoring_policies;--",
    "name with spaces",
    "nul\x00byte",
]
HOSTILE_TEXT = [
    "../../etc/passwd",
    "x'; DROP TABLE monitoring_policies;--",
    "модель 🚀 ✓ 模型",
    "\"quoted\" \\back\\slash\\ 'single'",
    "line\nbreak\ttab",
    "<script>alert(1)</script>",
    "%s %d {0} ${HOME}",
]
NAN, INF = float("nan"), float("inf")
FRUIT_VERSION = "models/fruit/versions/1"
# Internals an error message must never carry: stack traces, SQL, driver and ORM names.
LEAKS = ("Traceback", 'File "', "SELECT ", "INSERT INTO", "sqlalchemy", "psycopg", "sqlite3")

Call = Callable[..., Awaitable[Any]]


def stub(m: Monitoring) -> pb_grpc.MonitoringServiceAsyncStub:
    # Typed as the async stub it is (support.monitoring declares the sync one).
    return cast("pb_grpc.MonitoringServiceAsyncStub", m.stub)


@pytest.fixture
async def monitoring(
    migrated_db: Database,
    tmp_path: Path,
    tokens_file: Path,
    tokens: dict[str, str],
    registry: Registry,
    service_token_file: Path,
) -> AsyncIterator[Monitoring]:
    # No evaluator: these tests are about requests, and it would only add database traffic.
    await known_models(registry, "fruit")
    async with running_monitoring(
        migrated_db,
        tmp_path / "monitoring",
        tokens_file,
        tokens,
        registry.address,
        service_token_file,
        evaluate=False,
    ) as running:
        yield running


async def refused(
    call: Call,
    request: Any,
    metadata: Any,
    code: grpc.StatusCode = grpc.StatusCode.INVALID_ARGUMENT,
) -> grpc.aio.AioRpcError:
    """The error ``call(request)`` fails with, checked to have ``code`` and a clean message."""
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await call(request, metadata=metadata)
    error, message = failure.value, failure.value.details() or ""
    assert error.code() == code, (request, error)
    assert message.strip()
    assert not any(leak in message for leak in LEAKS), message
    assert rich_details(error)["error_info"].reason, error
    return error


async def invalid_fields(call: Call, request: Any, metadata: Any) -> list[str]:
    """The fields named by the INVALID_ARGUMENT that ``call(request)`` fails with."""
    bad = rich_details(await refused(call, request, metadata))["bad_request"]
    assert bad is not None
    assert all(v.description for v in bad.field_violations)
    return [str(v.field) for v in bad.field_violations]


def streamed(method: Callable[..., Any]) -> Call:
    """A server-streaming method as a call (with a deadline: a stream must not hang a test)."""

    async def call(request: Any, metadata: Any) -> list[Any]:
        return [r async for r in method(request, metadata=metadata, timeout=10)]

    return call


def rows(db: Database, query: str) -> list[Any]:
    with db.unit_of_work(read_only=True) as session:
        return list(session.execute(text(query)).scalars())


def policy(**fields: Any) -> policy_pb2.MonitoringPolicy:
    return policy_pb2.MonitoringPolicy(**{"model": "models/fruit", **fields})


async def create(
    m: Monitoring, value: policy_pb2.MonitoringPolicy, policy_id: str = "", reason: str = ""
) -> policy_pb2.MonitoringPolicy:
    return (
        await stub(m).CreateMonitoringPolicy(
            pb.CreateMonitoringPolicyRequest(
                monitoring_policy=value, monitoring_policy_id=policy_id, reason=reason
            ),
            metadata=m.as_("developer"),
        )
    ).monitoring_policy


async def listed(m: Monitoring) -> list[policy_pb2.MonitoringPolicy]:
    return list(
        (
            await stub(m).ListMonitoringPolicies(
                pb.ListMonitoringPoliciesRequest(page_size=1000), metadata=m.as_("viewer")
            )
        ).monitoring_policies
    )


def name_refusals(s: pb_grpc.MonitoringServiceAsyncStub, name: str) -> list[tuple[Call, Any, str]]:
    """Every request with ``name`` in a resource name or name filter, and the field refused."""
    pol, model, version = (
        f"monitoringPolicies/{name}",
        f"models/{name}",
        f"models/{name}/versions/1",
    )
    cases: list[tuple[Call, Any, str]] = [
        (
            s.CreateMonitoringPolicy,
            pb.CreateMonitoringPolicyRequest(monitoring_policy=policy(model=model)),
            "monitoring_policy.model",
        ),
        (s.GetMonitoringPolicy, pb.GetMonitoringPolicyRequest(name=pol), "name"),
        (
            s.UpdateMonitoringPolicy,
            pb.UpdateMonitoringPolicyRequest(
                monitoring_policy=policy_pb2.MonitoringPolicy(name=pol),
                update_mask=FieldMask(paths=["description"]),
            ),
            "monitoring_policy.name",
        ),
        (s.DeleteMonitoringPolicy, pb.DeleteMonitoringPolicyRequest(name=pol), "name"),
        (s.GetAlert, pb.GetAlertRequest(name=f"alerts/{name}"), "name"),
        (
            s.ComputeMonitoringReport,
            pb.ComputeMonitoringReportRequest(model_version=version),
            "model_version",
        ),
        (
            s.GetMonitoringReport,
            pb.GetMonitoringReportRequest(name=f"monitoringReports/{name}"),
            "name",
        ),
        (
            s.ComputeMonitoringReport,
            pb.ComputeMonitoringReportRequest(model_version=FRUIT_VERSION, policy=pol),
            "policy",
        ),
    ]
    if name:  # an empty id lets the server choose one; empty filters mean "all"
        cases += [
            (
                s.CreateMonitoringPolicy,
                pb.CreateMonitoringPolicyRequest(
                    monitoring_policy=policy(), monitoring_policy_id=name
                ),
                "monitoring_policy_id",
            ),
            (
                streamed(s.WatchAlerts),
                pb.WatchAlertsRequest(model=model, include_firing=True),
                "model",
            ),
        ]
    return cases


async def test_hostile_names_are_refused_on_their_field_and_create_nothing(
    monitoring: Monitoring, migrated_db: Database
) -> None:
    m, s, dev = monitoring, stub(monitoring), monitoring.as_("developer")
    kept = await create(m, policy(), "kept")
    for name in HOSTILE_NAMES:
        for call, request, field in name_refusals(s, name):
            assert await invalid_fields(call, request, dev) == [field], name[:20]

    # Well-formed names of things that do not exist.
    missing = "monitoringPolicies/missing"
    not_found: list[tuple[Call, Any, str]] = [
        (s.GetMonitoringPolicy, pb.GetMonitoringPolicyRequest(name=missing), "POLICY"),
        (
            s.UpdateMonitoringPolicy,
            pb.UpdateMonitoringPolicyRequest(
                monitoring_policy=policy(name=missing), update_mask=FieldMask(paths=["description"])
            ),
            "POLICY",
        ),
        (s.DeleteMonitoringPolicy, pb.DeleteMonitoringPolicyRequest(name=missing), "POLICY"),
        (s.GetAlert, pb.GetAlertRequest(name=f"alerts/{'0' * 32}"), "ALERT"),
        (
            s.GetMonitoringReport,
            pb.GetMonitoringReportRequest(name="monitoringReports/0"),
            "REPORT",
        ),
        (
            s.ComputeMonitoringReport,
            pb.ComputeMonitoringReportRequest(model_version="models/missing/versions/1"),
            "VERSION",
        ),
        (
            s.ComputeMonitoringReport,
            pb.ComputeMonitoringReportRequest(model_version=FRUIT_VERSION, policy=missing),
            "POLICY",
        ),
    ]
    for call, request, what in not_found:
        error = await refused(call, request, dev, grpc.StatusCode.NOT_FOUND)
        assert rich_details(error)["error_info"].reason == f"{what}_NOT_FOUND", request

    assert await listed(m) == [kept]
    assert (await s.ListAlerts(pb.ListAlertsRequest(), metadata=dev)).alerts == []
    assert rows(migrated_db, "SELECT count(*) FROM monitoring_policies") == [1]


# The one field named, and policies whose only fault is in it.
NONSENSE: list[tuple[str, list[dict[str, Any]]]] = [
    ("window.row_count", [{"window": {"row_count": n}} for n in (-1, 0, 10**12)]),
    (
        "window.duration",
        [
            {"window": {"duration": d}}
            for d in (
                {"seconds": 0},
                {"seconds": 10**12},
                {"seconds": 10, "nanos": -5},
                {"seconds": 1, "nanos": 2_000_000_000},
            )
        ],
    ),
    ("min_samples", [{"min_samples": -1}]),
    (
        "drift.numeric.threshold",
        [
            {"drift": {"numeric": {"method": m, "threshold": t}}}
            for m, t in ((0, NAN), (0, INF), (0, -1.0), (0, 0.0), (1, 1.5), (1, INF))
        ],
    ),
    ("drift.binary.method", [{"drift": {"binary": {"method": 999}}}]),
    ("drift.dataset_drift_share", [{"drift": {"dataset_drift_share": v}} for v in (NAN, 0.0, 1.5)]),
    ("drift.psi_bins", [{"drift": {"psi_bins": n}} for n in (-3, 1, 101)]),
    ("drift.severity", [{"drift": {"severity": 999}}]),
    (
        "performance.thresholds[0].max_degradation",
        [
            {"performance": {"thresholds": [{"metric": "accuracy", "max_degradation": v}]}}
            for v in (NAN, INF, -0.1)
        ],
    ),
    (
        "performance.thresholds[0].bound",
        [
            {"performance": {"thresholds": [{"metric": "rmse", "bound": v}]}}
            for v in (NAN, INF, -INF)
        ],
    ),
    ("performance.concept_drift_detector", [{"performance": {"concept_drift_detector": 999}}]),
    *[
        (
            f'performance.concept_drift_parameters["{k}"]',
            [{"performance": {"concept_drift_parameters": {k: v}}} for v in values],
        )
        for k, values in (
            ("threshold", (NAN, INF, 0.0)),
            ("delta", (-1.0,)),
            ("alpha", (2.0,)),
            ("min_instances", (INF, 1e12)),
        )
    ],
    ("data_quality.max_missing_share", [{"data_quality": {"max_missing_share": NAN}}]),
    ("data_quality.severity", [{"data_quality": {"severity": -1}}]),
    ("action", [{"action": 999}]),
    (
        "retraining.cooldown",
        [
            {"retraining": {"cooldown": d}}
            for d in (
                {"nanos": -1},
                {"seconds": 10**12},
                {"nanos": 2 * 10**9},
                {"seconds": 5, "nanos": -1},
            )
        ],
    ),
    ("description", [{"description": "d" * 10_000}]),
    # Huge keys are quoted shortened (see the flood below).
    (
        f'drift.feature_overrides["{"ß" * 64}..."].method',
        [{"drift": {"feature_overrides": {"ß" * 10_000: {"method": 999}}}}],
    ),
    (
        f'performance.concept_drift_parameters["{"k" * 64}..."]',
        [{"performance": {"concept_drift_parameters": {"k" * 10_000: 1.0}}}],
    ),
]


async def test_nonsense_policies_are_refused_on_the_field_at_fault(monitoring: Monitoring) -> None:
    m, s, dev = monitoring, stub(monitoring), monitoring.as_("developer")
    kept = await create(m, policy(), "kept")
    for field, cases in NONSENSE:
        for fields in cases:  # the same checks on creation and on a change of every field
            bad = policy(name=kept.name, **fields)
            assert await invalid_fields(
                s.CreateMonitoringPolicy,
                pb.CreateMonitoringPolicyRequest(monitoring_policy=bad),
                dev,
            ) == [f"monitoring_policy.{field}"], fields
            assert await invalid_fields(
                s.UpdateMonitoringPolicy,
                pb.UpdateMonitoringPolicyRequest(
                    monitoring_policy=bad, update_mask=FieldMask(paths=["*"])
                ),
                dev,
            ) == [f"monitoring_policy.{field}"], fields

    # A flood of problems is cut short, so that the status fits the trailers clients accept
    # (else they see RESOURCE_EXHAUSTED).
    flood = policy(
        drift={"feature_overrides": {f"{i}-{'ß' * 200}": {"method": 999} for i in range(500)}}
    )
    error = await refused(
        s.CreateMonitoringPolicy, pb.CreateMonitoringPolicyRequest(monitoring_policy=flood), dev
    )
    *shown, rest = rich_details(error)["bad_request"].field_violations
    assert 1 < len(shown) < 500
    assert all(v.field.startswith("monitoring_policy.drift.feature_overrides[") for v in shown)
    assert rest.description == f"and {500 - len(shown)} more"
    assert (error.details() or "").endswith("...")
    assert await listed(m) == [kept]


async def test_update_masks_and_output_only_fields_cannot_be_abused(monitoring: Monitoring) -> None:
    m, s, dev = monitoring, stub(monitoring), monitoring.as_("developer")
    created = await create(
        m,
        policy(
            name="monitoringPolicies/../x",
            created_by="admin-user",
            etag="forged",
            create_time=Timestamp(seconds=1),
        ),
        "p",
    )
    assert (created.name, created.created_by) == ("monitoringPolicies/p", "developer-user")
    assert created.etag != "forged"
    assert created.create_time.seconds > 1
    change = policy_pb2.MonitoringPolicy(name=created.name, description="new", min_samples=7)
    for paths in (
        ["etag"],
        ["name"],
        ["create_time"],
        ["update_time"],
        ["created_by"],
        ["model"],
        ["bogus"],
        ["window.row_count"],
        ["*", "description"],
        ["x" * 10_000],
        ["nul\x00"],
        ["description", "x'; DROP TABLE t;--"],
    ):
        assert await invalid_fields(
            s.UpdateMonitoringPolicy,
            pb.UpdateMonitoringPolicyRequest(
                monitoring_policy=change, update_mask=FieldMask(paths=paths)
            ),
            dev,
        ) == ["update_mask"], paths
    await refused(
        s.UpdateMonitoringPolicy,
        pb.UpdateMonitoringPolicyRequest(
            monitoring_policy=policy_pb2.MonitoringPolicy(name=created.name, etag="nul\x00" * 100),
            update_mask=FieldMask(paths=["description"]),
        ),
        dev,
        grpc.StatusCode.ABORTED,
    )
    await refused(
        s.DeleteMonitoringPolicy,
        pb.DeleteMonitoringPolicyRequest(name=created.name, etag="x" * 10_000),
        dev,
        grpc.StatusCode.ABORTED,
    )
    assert await listed(m) == [created]

    # `*` changes every changeable field and none of the output-only ones sent with it.
    star = policy(
        name=created.name, model="models/other", created_by="admin-user", description="new"
    )
    updated = (
        await s.UpdateMonitoringPolicy(
            pb.UpdateMonitoringPolicyRequest(
                monitoring_policy=star, update_mask=FieldMask(paths=["*"])
            ),
            metadata=dev,
        )
    ).monitoring_policy
    assert (updated.model, updated.created_by, updated.description, updated.create_time) == (
        "models/fruit",
        "developer-user",
        "new",
        created.create_time,
    )


async def test_page_tokens_sizes_times_and_enum_filters_are_checked(monitoring: Monitoring) -> None:
    m, s, dev = monitoring, stub(monitoring), monitoring.as_("developer")
    for policy_id in ("a", "b", "c"):
        await create(m, policy(), policy_id)
    first = await s.ListMonitoringPolicies(
        pb.ListMonitoringPoliciesRequest(page_size=1), metadata=dev
    )
    token = first.next_page_token
    middle = len(token) // 2
    flipped = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    for bad in (
        flipped,
        token[:-4],
        token[:middle],
        token + "x",
        "not-a-token",
        "%%%",
        "été",
        "nul\x00",
        "x" * 10_000,
    ):
        assert await invalid_fields(
            s.ListMonitoringPolicies,
            pb.ListMonitoringPoliciesRequest(page_size=1, page_token=bad),
            dev,
        ) == ["page_token"], bad[:40]
    # A good token, but issued for another request: another filter, another method.
    assert await invalid_fields(
        s.ListMonitoringPolicies,
        pb.ListMonitoringPoliciesRequest(page_token=token, filter='model = "models/fruit"'),
        dev,
    ) == ["page_token"]
    assert await invalid_fields(s.ListAlerts, pb.ListAlertsRequest(page_token=token), dev) == [
        "page_token"
    ]
    for call, request in (
        (s.ListMonitoringPolicies, pb.ListMonitoringPoliciesRequest),
        (s.ListAlerts, pb.ListAlertsRequest),
    ):
        for size in (-1, -(2**31)):
            assert await invalid_fields(call, request(page_size=size), dev) == ["page_size"]
    rest = await s.ListMonitoringPolicies(
        pb.ListMonitoringPoliciesRequest(page_size=2**31 - 1, page_token=token), metadata=dev
    )  # huge sizes are capped
    assert [p.name for p in [*first.monitoring_policies, *rest.monitoring_policies]] == [
        f"monitoringPolicies/{i}" for i in "abc"
    ]

    for seconds, nanos in ((10**12, 0), (-(10**12), 0), (1, -1), (1, 10**9)):
        stamp = Timestamp(seconds=seconds, nanos=nanos)
        for field in ("start_time", "end_time"):
            when: dict[str, Any] = {field: stamp}
            assert await invalid_fields(
                s.ComputeMonitoringReport,
                pb.ComputeMonitoringReportRequest(model_version=FRUIT_VERSION, **when),
                dev,
            ) == [field], stamp
    assert await invalid_fields(
        s.ComputeMonitoringReport,
        pb.ComputeMonitoringReportRequest(
            model_version=FRUIT_VERSION,
            start_time=Timestamp(seconds=10),
            end_time=Timestamp(seconds=10),
        ),
        dev,
    ) == ["end_time"]
    # The filters follow the registry's grammar: unknown fields, times without an offset and
    # dangling terms are refused, on `filter`.
    for bad_filter in (
        "colour = red",
        'fire_time > "yesterday"',
        'fire_time > "2025-01-01T00:00:00"',
        "state = FIRING OR",
        "state = ",
    ):
        assert await invalid_fields(s.ListAlerts, pb.ListAlertsRequest(filter=bad_filter), dev) == [
            "filter"
        ], bad_filter
    assert await invalid_fields(
        s.ListMonitoringPolicies, pb.ListMonitoringPoliciesRequest(filter="kind = X"), dev
    ) == ["filter"]
    for call, request in (
        (s.ListMonitoringPolicies, pb.ListMonitoringPoliciesRequest),
        (s.ListAlerts, pb.ListAlertsRequest),
    ):
        for bad_order in ("colour", "name desc desc", "name, name"):
            assert await invalid_fields(call, request(order_by=bad_order), dev) == ["order_by"]


ONE_ROW = tensor_pb2.Tensor(
    name="size", data_type=tensor_pb2.DATA_TYPE_FP64, shape=[1], raw_contents=bytes(8)
)


def _record(request_id: str = "r", **fields: Any) -> record_pb2.PredictionRecord:
    """A well-formed one-row record unless ``fields`` break it."""
    return record_pb2.PredictionRecord(
        **{
            "request_id": request_id,
            "row_count": 1,
            "inputs": [ONE_ROW],
            "model_version": FRUIT_VERSION,
            **fields,
        }
    )


def _truth(request_id: str = "r", **fields: Any) -> record_pb2.GroundTruth:
    """Well-formed labels of a one-row request unless ``fields`` break them."""
    return record_pb2.GroundTruth(**{"request_id": request_id, "labels": ONE_ROW, **fields})


async def test_broken_records_and_labels_are_rejected_and_label_batches_are_bounded(
    monitoring: Monitoring, migrated_db: Database
) -> None:
    m, s, dev = monitoring, stub(monitoring), monitoring.as_("developer")
    broken = [_record(model_version=f"models/{name}/versions/1") for name in HOSTILE_NAMES]
    broken += [_record(name) for name in ("", "x" * 10_000, "nul\x00byte")]
    broken += [
        _record(alias="nul\x00byte"),
        _record(row_count=0),
        _record(row_count=-1),
        _record(row_count=2**40),  # tensors are not read at ingest: bounded by its size
        _record(inputs=[]),
        _record(predict_time=Timestamp(seconds=10**12)),
        _record(predict_time=Timestamp(seconds=1, nanos=-1)),
    ]
    reply = await m.ingest(
        [*broken, _record("kept", alias=HOSTILE_TEXT[2])], sender=HOSTILE_TEXT[1] + "\x00"
    )
    assert (reply.accepted_record_count, reply.rejected_record_count) == (1, len(broken))
    assert rows(migrated_db, "SELECT count(*) FROM monitoring_predictions") == [1]
    assert await invalid_fields(
        lambda r, metadata: m.ingest(r.records, request_id=r.request_id),
        pb.IngestPredictionsRequest(records=[_record("other")], request_id="nul\x00"),
        None,
    ) == ["request_id"]
    assert rows(migrated_db, "SELECT count(*) FROM monitoring_predictions") == [1]

    bad_labels = [_truth(r) for r in ("", "x" * 10_000, "nul\x00byte")] + [
        _truth(model=model) for model in ("fruit", "models/../../etc/passwd", "models/nul\x00")
    ]
    bad_labels += [_truth(labels=None), _truth(label_time=Timestamp(seconds=-(10**12)))]
    # Request ids are opaque but printable: "line\nbreak\ttab" is refused with the others.
    printable = [text for text in HOSTILE_TEXT if text.isprintable()]
    joined = await s.IngestGroundTruth(
        pb.IngestGroundTruthRequest(ground_truths=[*bad_labels, *map(_truth, HOSTILE_TEXT)]),
        metadata=dev,
    )
    assert (joined.matched_count, joined.pending_count, joined.rejected_count) == (
        0,
        len(printable),
        len(bad_labels) + len(HOSTILE_TEXT) - len(printable),
    )
    assert sorted(rows(migrated_db, "SELECT request_id FROM monitoring_pending_labels")) == sorted(
        printable
    )  # opaque ids, stored verbatim

    # At most 10 000 labels per call (empty ids: rejected without touching the database).
    at_limit = await s.IngestGroundTruth(
        pb.IngestGroundTruthRequest(ground_truths=[record_pb2.GroundTruth()] * 10_000), metadata=dev
    )
    assert at_limit.rejected_count == 10_000
    assert await invalid_fields(
        s.IngestGroundTruth,
        pb.IngestGroundTruthRequest(ground_truths=[_truth("late")] * 10_001),
        dev,
    ) == ["ground_truths"]
    assert rows(migrated_db, "SELECT count(*) FROM monitoring_pending_labels") == [len(printable)]


async def test_hostile_free_text_in_descriptions_and_reasons_is_kept_verbatim(
    monitoring: Monitoring,
) -> None:
    m, s, dev = monitoring, stub(monitoring), monitoring.as_("developer")
    description = "\n".join([*HOSTILE_TEXT, "nul\x00byte"])
    # Hostile feature names are no features of the model: refused, each on its own field.
    error = await refused(
        s.CreateMonitoringPolicy,
        pb.CreateMonitoringPolicyRequest(
            monitoring_policy=policy(
                drift={"feature_overrides": {name: {"method": 5} for name in HOSTILE_TEXT}}
            )
        ),
        dev,
    )
    assert error_reason(error) == "UNKNOWN_FEATURE"
    assert len(violated_fields(error)) == len(HOSTILE_TEXT)
    created = await create(m, policy(description=description), "verbatim", reason=HOSTILE_TEXT[0])
    got = (
        await s.GetMonitoringPolicy(
            pb.GetMonitoringPolicyRequest(name=created.name), metadata=m.as_("viewer")
        )
    ).monitoring_policy
    assert (got, got.description) == (created, description)

    for reason in HOSTILE_TEXT[1:4]:
        got = (
            await s.UpdateMonitoringPolicy(
                pb.UpdateMonitoringPolicyRequest(
                    monitoring_policy=policy_pb2.MonitoringPolicy(
                        name=created.name, description=reason
                    ),
                    update_mask=FieldMask(paths=["description"]),
                    reason=reason,
                ),
                metadata=dev,
            )
        ).monitoring_policy
        assert got.description == reason
    await s.DeleteMonitoringPolicy(
        pb.DeleteMonitoringPolicyRequest(name=created.name, reason=HOSTILE_TEXT[4]), metadata=dev
    )

    auditor = cast("audit_grpc.AuditServiceAsyncStub", m.audit)
    events = await auditor.ListAuditEvents(
        audit_service_pb2.ListAuditEventsRequest(
            filter=audit_filter(resource=created.name), page_size=1000
        ),
        metadata=m.as_("auditor"),
    )
    assert sorted((e.action, e.reason) for e in events.events) == sorted(
        [
            ("monitoring.CreateMonitoringPolicy", HOSTILE_TEXT[0]),
            *[("monitoring.UpdateMonitoringPolicy", r) for r in HOSTILE_TEXT[1:4]],
            ("monitoring.DeleteMonitoringPolicy", HOSTILE_TEXT[4]),
        ]
    )
