"""The proto comments as a promise: every example filter and order written in a comment runs
against a live registry, every field and key a comment names is accepted (and only those), and
every List's documented default and maximum page size is the server's.

Examples are read from the `.proto` sources: `for example `...``, chained with `or`. A new List
with a documented `filter` or `order_by` fails here until it is wired into ``LIVE``.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest

from slipway.audit.v1 import audit_service_pb2 as audit_pb
from slipway.core import pagination
from slipway.core.audit import log as audit_log
from slipway.core.db import Database
from slipway.monitoring.v1 import monitoring_policy_pb2
from slipway.monitoring.v1 import monitoring_service_pb2 as monitoring_pb
from slipway.registry.v1 import registry_service_pb2 as pb
from slipway.services.monitoring.domain import alerts as monitoring_alerts
from slipway.services.monitoring.domain import policies as monitoring_policies
from slipway.services.monitoring.domain.entities import Policy
from slipway.services.registry.domain import service as registry_domain
from slipway.services.training.api import converters as training_converters
from slipway.training.v1 import training_service_pb2 as training_pb
from support.monitoring import Monitoring, judge_drift, running_monitoring
from support.registry import Registry, model_bytes, version_spec
from support.training import Training, job

PROTOS = Path(__file__).resolve().parents[2] / "protos" / "slipway"
# A field's first line: its options (`[(google.api.field_behavior) = ...]`) may follow.
_FIELD = re.compile(
    r"^\s*(?:repeated\s+|optional\s+)?(?P<type>[\w.]+(?:<[^>]*>)?)\s+(?P<name>\w+)\s*=\s*\d+\s*[;\[]"
)
_MESSAGE = re.compile(r"^\s*message\s+(\w+)\s*\{")
_EXAMPLES = re.compile(r"[Ff]or example\s+((?:`[^`]+`(?:\s*\([^)]*\))?(?:,?\s*or\s+)?)+)")
_SPAN = re.compile(r"`([^`]+)`")


@dataclass(frozen=True)
class Documented:
    """A field's comment: where it is, and its text on one line."""

    file: str
    message: str
    field: str
    type: str
    comment: str


def documented_fields() -> list[Documented]:
    """Every field of every message in protos/slipway with the comment just above it."""
    found = []
    for path in sorted(PROTOS.rglob("*.proto")):
        messages: list[str] = []
        depth: list[int] = []
        level = 0
        comment: list[str] = []
        for line in path.read_text().splitlines():
            stripped = line.strip()
            if stripped.startswith("//"):
                comment.append(stripped[2:].strip())
                continue
            if (match := _MESSAGE.match(line)) is not None:
                messages.append(match[1])
                depth.append(level)
            elif messages and (match := _FIELD.match(line)) is not None:
                found.append(
                    Documented(
                        path.name, messages[-1], match["name"], match["type"], " ".join(comment)
                    )
                )
            level += line.count("{") - line.count("}")
            while depth and level <= depth[-1]:
                depth.pop()
                messages.pop()
            comment = []
    return found


def examples(comment: str) -> list[str]:
    return [span for chain in _EXAMPLES.findall(comment) for span in _SPAN.findall(chain)]


def commented(field: str) -> list[Documented]:
    """The documented string fields called ``field`` (`filter`, `order_by`) of List requests."""
    return [
        d
        for d in documented_fields()
        if d.field == field
        and d.type == "string"
        and d.message.startswith("List")
        and d.message.endswith("Request")
    ]


def documented_filter_fields(comment: str) -> set[str]:
    sentence = comment.split("Fields:", 1)[1].split(". For example", 1)[0]
    return {s for s in _SPAN.findall(sentence) if re.fullmatch(r"[a-z_]+(\.\{\w+\})?", s)}


def documented_order_keys(comment: str) -> list[str]:
    sentence = comment.split("keys among", 1)[1].split("each optionally", 1)[0]
    return _SPAN.findall(sentence)


def as_server_field(field: str) -> str:
    """`labels.{key}` as the server's tables write a map: `labels.`."""
    return re.sub(r"\{\w+\}$", "", field)


# -- the requests the examples run in ----------------------------------------------------------


@dataclass(frozen=True)
class Live:
    """What the examples run against: a registry (which serves the audit log too), a
    training service without workers (its jobs stay QUEUED) and a monitoring service that
    evaluates nothing by itself, on the registry's database."""

    registry: Registry
    training: Training
    monitoring: Monitoring
    db: Database


Lister = Callable[[Live, dict[str, Any]], Awaitable[list[str]]]


@pytest.fixture
async def live(
    registry: Registry,
    start_training: Any,
    migrated_db: Database,
    tmp_path: Path,
    tokens_file: Path,
    tokens: dict[str, str],
    service_token_file: Path,
) -> AsyncIterator[Live]:
    async with (
        start_training(registry.address, workers=0) as training,
        running_monitoring(
            migrated_db,
            tmp_path / "monitoring",
            tokens_file,
            tokens,
            registry.address,
            service_token_file,
            evaluate=False,
        ) as monitoring,
    ):
        yield Live(registry, training, monitoring, migrated_db)


async def list_models(live: Live, fields: dict[str, Any]) -> list[str]:
    registry = live.registry
    reply = await registry.stub.ListModels(
        pb.ListModelsRequest(**fields), metadata=registry.as_("viewer")
    )
    return [m.name for m in reply.models]


async def list_versions(live: Live, fields: dict[str, Any]) -> list[str]:
    registry = live.registry
    reply = await registry.stub.ListModelVersions(
        pb.ListModelVersionsRequest(parent="models/fraud", **fields),
        metadata=registry.as_("viewer"),
    )
    return [v.name for v in reply.model_versions]


async def list_alias_history(live: Live, fields: dict[str, Any]) -> list[str]:
    registry = live.registry
    reply = await registry.stub.ListAliasHistory(
        pb.ListAliasHistoryRequest(parent="models/fraud", **fields),
        metadata=registry.as_("viewer"),
    )
    return [e.name for e in reply.alias_history_entries]


async def list_training_jobs(live: Live, fields: dict[str, Any]) -> list[str]:
    training = live.training
    reply = await training.stub.ListTrainingJobs(
        training_pb.ListTrainingJobsRequest(**fields), metadata=training.as_("viewer")
    )
    return [j.name for j in reply.training_jobs]


async def list_audit_events(live: Live, fields: dict[str, Any]) -> list[str]:
    registry = live.registry
    reply = await registry.audit.ListAuditEvents(
        audit_pb.ListAuditEventsRequest(page_size=1000, **fields),
        metadata=registry.as_("auditor"),
    )
    return [str(e.sequence) for e in reply.events]


async def list_policies(live: Live, fields: dict[str, Any]) -> list[str]:
    monitoring = live.monitoring
    reply = await monitoring.stub.ListMonitoringPolicies(
        monitoring_pb.ListMonitoringPoliciesRequest(**fields), metadata=monitoring.as_("viewer")
    )
    return [p.name for p in reply.monitoring_policies]


async def list_alerts(live: Live, fields: dict[str, Any]) -> list[str]:
    monitoring = live.monitoring
    reply = await monitoring.stub.ListAlerts(
        monitoring_pb.ListAlertsRequest(**fields), metadata=monitoring.as_("viewer")
    )
    return [a.name for a in reply.alerts]


LIVE: dict[str, tuple[Lister, Mapping[str, Any]]] = {
    "ListModelsRequest": (list_models, registry_domain.MODEL_FILTER_FIELDS),
    "ListModelVersionsRequest": (list_versions, registry_domain.VERSION_FILTER_FIELDS),
    "ListAliasHistoryRequest": (list_alias_history, registry_domain.ALIAS_HISTORY_FILTER_FIELDS),
    "ListTrainingJobsRequest": (list_training_jobs, training_converters.JOB_FILTER_FIELDS),
    "ListAuditEventsRequest": (list_audit_events, audit_log.EXPRESSION_FIELDS),
    "ListMonitoringPoliciesRequest": (list_policies, monitoring_policies.FILTER_FIELDS),
    "ListAlertsRequest": (list_alerts, monitoring_alerts.FILTER_FIELDS),
}
ORDER_KEYS: dict[str, Sequence[str]] = {
    "ListModelsRequest": registry_domain.MODEL_ORDER_FIELDS,
    "ListModelVersionsRequest": registry_domain.VERSION_ORDER_FIELDS,
    "ListAliasHistoryRequest": registry_domain.ALIAS_HISTORY_ORDER_FIELDS,
    "ListTrainingJobsRequest": ("create_time",),
    "ListAuditEventsRequest": ("sequence",),
    "ListMonitoringPoliciesRequest": monitoring_policies.ORDER_FIELDS,
    "ListAlertsRequest": monitoring_alerts.ORDER_FIELDS,
}
# What the examples return on the data `seed` writes; an example not listed must return
# something (a filter) or everything (an order).
EXPECTED = {
    "metrics.accuracy desc, version_number desc": [
        "models/fraud/versions/3",
        "models/fraud/versions/1",
        "models/fraud/versions/2",
    ],
    "version_number desc": [
        "models/fraud/versions/3",
        "models/fraud/versions/2",
        "models/fraud/versions/1",
    ],
    "state = READY AND metrics.accuracy >= 0.9": [
        "models/fraud/versions/1",
        "models/fraud/versions/3",
    ],
    'name = "models/fraud"': ["models/fraud"],
    'labels.team = "fraud" AND create_time > "2025-01-01T00:00:00Z"': ["models/fraud"],
    'model = "models/fruit"': ["monitoringPolicies/fruit-a", "monitoringPolicies/fruit-b"],
}
# A valid term for each documented filter field (`{List}Request.{field}` where they differ).
TERMS = {
    "name": 'name = "models/fraud"',
    "labels.{key}": 'labels.team = "fraud"',
    "created_by": 'created_by != "nobody"',
    "latest_version_number": "latest_version_number >= 0",
    "create_time": 'create_time > "2000-01-01T00:00:00Z"',
    "update_time": 'update_time <= "2999-01-01T00:00:00+01:00"',
    "state": "state = READY",
    "version_number": "version_number >= 1",
    "metrics.{name}": "metrics.accuracy >= 0",
    "ListTrainingJobsRequest.state": "state = QUEUED",
    "trigger": "trigger = MANUAL",
    "alias": 'alias = "production"',
    "actor": 'actor = "approver-user"',
    "change": "change = MOVED",
    "from_version_number": "from_version_number = 1",
    "to_version_number": "to_version_number = 3",
    "change_time": 'change_time > "2000-01-01T00:00:00Z"',
    "model": 'model = "models/fraud"',
    "sequence": "sequence >= 1",
    "event_time": 'event_time >= "2000-01-01T00:00:00Z"',
    "principal": 'principal = "developer-user"',
    "action": 'action = "registry.CreateModel"',
    "resource": 'resource = "models/fraud*"',
    "service": 'service = "registry"',
    "outcome": "outcome = OK",
    "ListMonitoringPoliciesRequest.name": 'name = "monitoringPolicies/fruit-a"',
    "ListMonitoringPoliciesRequest.model": 'model = "models/fruit"',
    "ListAlertsRequest.name": 'name != "alerts/none"',
    "ListAlertsRequest.model": 'model = "models/fruit"',
    "ListAlertsRequest.state": "state = FIRING",
    "model_version": 'model_version = "models/fruit/versions/1"',
    "policy": 'policy = "monitoringPolicies/fruit-a"',
    "kind": "kind = DATA_DRIFT",
    "severity": "severity = WARNING",
    "training_job": 'training_job = ""',
    "fire_time": 'fire_time >= "2025-01-01T00:00:00Z"',
    "resolve_time": 'resolve_time != "2000-01-01T00:00:00Z"',
}


async def seed(live: Live) -> None:
    registry = live.registry
    await registry.create_model("fraud", labels={"team": "fraud"})
    await registry.create_model("churn", labels={"team": "growth"})
    for seed_number, accuracy in ((0, 0.95), (1, 0.8), (2, 0.95)):
        data = model_bytes(seed_number)
        await registry.upload(
            "models/fraud",
            data,
            spec=version_spec(data, metrics={"accuracy": accuracy}, labels={"team": "fraud"}),
        )
    # production: 1, then moved to 3 (the alias history the examples read).
    for number in (1, 3):
        await registry.stub.SetModelAlias(
            pb.SetModelAliasRequest(
                name="models/fraud", alias="production", version_number=number, reason="review"
            ),
            metadata=registry.as_("approver"),
        )
    for model in ("models/fraud", "models/churn"):
        await live.training.create(job(model))
    # Monitoring: two policies of fruit, one of churn; a data drift alert firing on fruit's
    # version 1 and one resolved on its version 2.
    await registry.create_model("fruit")
    for policy_id, model in (("fruit-a", "fruit"), ("fruit-b", "fruit"), ("churn-a", "churn")):
        await live.monitoring.stub.CreateMonitoringPolicy(
            monitoring_pb.CreateMonitoringPolicyRequest(
                monitoring_policy=monitoring_policy_pb2.MonitoringPolicy(model=f"models/{model}"),
                monitoring_policy_id=policy_id,
            ),
            metadata=live.monitoring.as_("developer"),
        )
    policy = Policy(name="monitoringPolicies/fruit-a", model="models/fruit")
    judge_drift(live.db, policy, "models/fruit/versions/1", drifted=True)
    judge_drift(live.db, policy, "models/fruit/versions/2", drifted=True)
    judge_drift(live.db, policy, "models/fruit/versions/2", drifted=False)


# -- static: the comments and the server's tables agree ----------------------------------------


def test_every_list_with_a_documented_filter_or_order_is_run_live() -> None:
    documented = {d.message for d in commented("filter") + commented("order_by")}
    assert documented == set(LIVE), "wire the new List into LIVE and ORDER_KEYS"
    for d in commented("filter") + commented("order_by"):
        assert examples(d.comment), f"{d.message}.{d.field} documents no example"


def test_documented_filter_fields_are_exactly_the_servers() -> None:
    for d in commented("filter"):
        fields = documented_filter_fields(d.comment)
        assert {as_server_field(f) for f in fields} == set(LIVE[d.message][1]), d.message


def test_documented_order_keys_are_exactly_the_servers() -> None:
    for d in commented("order_by"):
        keys = documented_order_keys(d.comment)
        assert [as_server_field(k) for k in keys] == list(ORDER_KEYS[d.message]), d.message


def test_every_page_size_comment_states_the_servers_default_and_maximum() -> None:
    sizes = [d for d in documented_fields() if d.field == "page_size"]
    assert len(sizes) >= 7
    for d in sizes:
        stated = re.search(r"default (\d+), at most (\d+)", d.comment)
        assert stated is not None, f"{d.message}: {d.comment}"
        assert (int(stated[1]), int(stated[2])) == (
            pagination.DEFAULT_PAGE_SIZE,
            pagination.MAX_PAGE_SIZE,
        ), d.message


def test_every_documented_id_pattern_is_the_servers() -> None:
    from slipway.core.names import LABEL_KEY, LABEL_VALUE, RESOURCE_ID

    patterns = {
        span
        for d in documented_fields()
        if d.field in ("model_id", "alias", "alias_on_success", "labels", "monitoring_policy_id")
        for span in _SPAN.findall(d.comment)
        if span.startswith("[a-z")
    }
    assert patterns == {
        RESOURCE_ID.pattern.replace("(?:", "("),
        LABEL_KEY.pattern,
        LABEL_VALUE.pattern,
    }


# -- live: the examples run ------------------------------------------------------------------


async def test_every_documented_example_runs_against_a_live_suite(live: Live) -> None:
    await seed(live)
    ran = []
    for d in commented("filter") + commented("order_by"):
        lister, _ = LIVE[d.message]
        everything = await lister(live, {})
        for example in examples(d.comment):
            try:
                got = await lister(live, {d.field: example})
            except grpc.aio.AioRpcError as error:
                pytest.fail(f"{d.message}.{d.field} example {example!r}: {error.details()}")
            if example in EXPECTED:
                assert got == EXPECTED[example], example
            elif d.field == "filter":
                assert got, f"{example!r} matched nothing"
            else:
                assert sorted(got) == sorted(everything), example
            ran.append(example)
    assert set(EXPECTED) <= set(ran), set(EXPECTED) - set(ran)


async def test_every_documented_field_and_key_is_accepted_live(live: Live) -> None:
    await seed(live)
    for d in commented("filter"):
        lister, _ = LIVE[d.message]
        for field in sorted(documented_filter_fields(d.comment)):
            term = TERMS.get(f"{d.message}.{field}", TERMS[field])
            assert await lister(live, {"filter": term}), (d.message, field)
    for d in commented("order_by"):
        lister, _ = LIVE[d.message]
        keys = [k.replace("{name}", "accuracy") for k in documented_order_keys(d.comment)]
        everything = sorted(await lister(live, {}))
        for key in keys:
            for order in (key, f"{key} desc"):
                assert sorted(await lister(live, {"order_by": order})) == everything
        assert sorted(await lister(live, {"order_by": ", ".join(keys)})) == everything


async def test_undocumented_fields_and_keys_are_refused_live(live: Live) -> None:
    await seed(live)
    for request, fields in (
        (list_models, {"filter": 'model_id = "fraud"'}),
        (list_models, {"order_by": "model_id"}),
        (list_models, {"order_by": "latest_version_number desc"}),
        (list_models, {"order_by": "name desc desc"}),
        (list_models, {"order_by": "name, name desc"}),
        (list_models, {"filter": 'create_time > "2025-01-01"'}),
        (list_versions, {"order_by": "labels.team"}),
        (list_versions, {"filter": "created = 1"}),
        (list_alias_history, {"filter": "version_number = 1"}),
        (list_alias_history, {"order_by": "alias"}),
        (list_training_jobs, {"filter": "states = QUEUED"}),
        (list_training_jobs, {"order_by": "update_time"}),
        (list_audit_events, {"filter": 'resource_prefix = "models/"'}),
        (list_audit_events, {"order_by": "event_time"}),
        (list_policies, {"filter": "disabled = true"}),
        (list_policies, {"order_by": "model"}),
        (list_alerts, {"filter": "states = FIRING"}),
        (list_alerts, {"filter": 'fire_time > "2025-01-01"'}),
        (list_alerts, {"order_by": "severity"}),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await request(live, fields)
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT, fields


async def test_the_default_and_maximum_page_sizes_live(registry) -> None:
    for n in range(pagination.DEFAULT_PAGE_SIZE + 1):
        await registry.create_model(f"m{n}")
    viewer = registry.as_("viewer")
    first = await registry.stub.ListModels(pb.ListModelsRequest(), metadata=viewer)
    assert len(first.models) == pagination.DEFAULT_PAGE_SIZE
    assert first.next_page_token
    rest = await registry.stub.ListModels(
        pb.ListModelsRequest(page_token=first.next_page_token), metadata=viewer
    )
    assert len(rest.models) == 1
    assert not rest.next_page_token
    huge = await registry.stub.ListModels(
        pb.ListModelsRequest(page_size=pagination.MAX_PAGE_SIZE * 10), metadata=viewer
    )
    assert len(huge.models) == pagination.DEFAULT_PAGE_SIZE + 1
    assert pagination.page_size(pagination.MAX_PAGE_SIZE * 10) == pagination.MAX_PAGE_SIZE


def test_every_update_rpc_resolves_its_mask_with_the_shared_rule() -> None:
    import inspect

    from slipway.core.audit.api import AuditServicer
    from slipway.services.monitoring.api.servicer import MonitoringServicer
    from slipway.services.registry.api.servicer import RegistryServicer
    from slipway.services.training.api.servicer import TrainingServicer

    servicers = {
        "slipway.registry.v1.RegistryService": RegistryServicer,
        "slipway.training.v1.TrainingService": TrainingServicer,
        "slipway.monitoring.v1.MonitoringService": MonitoringServicer,
        "slipway.audit.v1.AuditService": AuditServicer,
    }
    updates = []
    for d in documented_fields():
        if d.field == "update_mask":
            assert d.message.startswith("Update"), d.message
            updates.append(d.message.removesuffix("Request"))
    assert sorted(updates) == ["UpdateModel", "UpdateModelVersion", "UpdateMonitoringPolicy"]
    rpcs = [
        line.split()[1].split("(")[0]
        for path in PROTOS.rglob("*_service.proto")
        for line in path.read_text().splitlines()
        if line.strip().startswith("rpc Update")
    ]
    assert sorted(rpcs) == sorted(updates), "every Update RPC takes an update_mask"
    found = []
    for servicer in servicers.values():
        for method in updates:
            if hasattr(servicer, method):
                assert "resolve_update_mask(" in inspect.getsource(getattr(servicer, method))
                found.append(method)
    assert sorted(found) == sorted(updates)
