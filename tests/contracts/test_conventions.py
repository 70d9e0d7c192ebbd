"""API conventions buf does not check: idempotency keys, pagination, masks, reasons, times."""

from __future__ import annotations

from google.protobuf.descriptor import Descriptor, FieldDescriptor, MethodDescriptor

from slipway.audit.v1 import audit_service_pb2
from slipway.lineage.v1 import lineage_service_pb2
from slipway.monitoring.v1 import monitoring_service_pb2
from slipway.registry.v1 import registry_service_pb2
from slipway.training.v1 import training_service_pb2

SERVICES = {
    "slipway.registry.v1.RegistryService": registry_service_pb2,
    "slipway.lineage.v1.LineageService": lineage_service_pb2,
    "slipway.training.v1.TrainingService": training_service_pb2,
    "slipway.monitoring.v1.MonitoringService": monitoring_service_pb2,
    "slipway.audit.v1.AuditService": audit_service_pb2,
}
# Verbs of RPCs that change nothing (`Compute`: a report worked out now and not stored).
READ_ONLY_VERBS = ("Get", "List", "Watch", "Download", "Verify", "Export", "Compute")
NEEDS_REASON = {
    "DeleteModel",
    "UpdateModel",
    "UpdateModelVersion",
    "ArchiveModelVersion",
    "SetModelAlias",
    "DeleteModelAlias",
    "CancelTrainingJob",
    "CreateMonitoringPolicy",
    "UpdateMonitoringPolicy",
    "DeleteMonitoringPolicy",
}


def all_methods() -> list[MethodDescriptor]:
    found = []
    for full_name, module in SERVICES.items():
        service = module.DESCRIPTOR.services_by_name[full_name.rsplit(".", 1)[1]]
        assert service.full_name == full_name
        found.extend(service.methods)
    return found


def all_messages() -> list[Descriptor]:
    seen: dict[str, Descriptor] = {}

    def visit(message: Descriptor) -> None:
        if message.full_name in seen or not message.full_name.startswith("slipway."):
            return
        seen[message.full_name] = message
        for field in message.fields:
            if field.message_type is not None:
                visit(field.message_type)

    for method in all_methods():
        visit(method.input_type)
        visit(method.output_type)
    return list(seen.values())


def is_mutating(method: MethodDescriptor) -> bool:
    return not method.name.startswith(READ_ONLY_VERBS)


def request_fields(method: MethodDescriptor) -> dict[str, FieldDescriptor]:
    """The request's fields; for a client stream, those of its first (`metadata`) message too."""
    fields = dict(method.input_type.fields_by_name)
    metadata = fields.get("metadata")
    if method.client_streaming and metadata is not None and metadata.message_type is not None:
        fields.update(metadata.message_type.fields_by_name)
    return fields


def test_every_mutating_request_takes_a_request_id() -> None:
    missing = [
        m.full_name
        for m in all_methods()
        if is_mutating(m)
        and getattr(request_fields(m).get("request_id"), "type", None)
        != FieldDescriptor.TYPE_STRING
    ]
    assert not missing, f"mutating RPCs without `string request_id`: {missing}"


def test_read_only_requests_take_no_request_id() -> None:
    wrong = [
        m.full_name
        for m in all_methods()
        if not is_mutating(m) and "request_id" in request_fields(m)
    ]
    assert not wrong


def test_sensitive_changes_take_a_reason() -> None:
    methods = {m.name: m for m in all_methods()}
    assert not NEEDS_REASON - methods.keys()
    missing = [
        name for name in sorted(NEEDS_REASON) if "reason" not in request_fields(methods[name])
    ]
    assert not missing


def test_lists_paginate() -> None:
    wrong = []
    for method in all_methods():
        if not method.name.startswith("List"):
            continue
        request = method.input_type.fields_by_name
        response = method.output_type.fields_by_name
        if not (
            request.get("page_size")
            and request["page_size"].type == FieldDescriptor.TYPE_INT32
            and request.get("page_token")
            and response.get("next_page_token")
        ):
            wrong.append(method.full_name)
    assert not wrong, f"lists without page_size/page_token/next_page_token: {wrong}"


def test_updates_take_a_field_mask() -> None:
    wrong = [
        m.full_name
        for m in all_methods()
        if m.name.startswith("Update")
        and getattr(
            getattr(m.input_type.fields_by_name.get("update_mask"), "message_type", None),
            "full_name",
            None,
        )
        != "google.protobuf.FieldMask"
    ]
    assert not wrong


def test_times_are_timestamps() -> None:
    wrong = [
        f"{message.full_name}.{field.name}"
        for message in all_messages()
        for field in message.fields
        if field.name.endswith("_time")
        and getattr(field.message_type, "full_name", None) != "google.protobuf.Timestamp"
    ]
    assert not wrong


def test_issue_rpcs_exist() -> None:
    names = {m.containing_service.name + "." + m.name for m in all_methods()}
    expected = {
        "RegistryService.SetModelAlias",
        "RegistryService.DeleteModelAlias",
        "RegistryService.ListAliasHistory",
        "RegistryService.ArchiveModelVersion",
        "RegistryService.WatchModelEvents",
        "LineageService.GetLineageReport",
        "RegistryService.CreateModelVersion",
        "RegistryService.DownloadModelVersion",
        "TrainingService.CancelTrainingJob",
        "TrainingService.WatchTrainingJob",
        "MonitoringService.GetMonitoringReport",
        "MonitoringService.ComputeMonitoringReport",
        "MonitoringService.IngestPredictions",
        "MonitoringService.IngestGroundTruth",
        "MonitoringService.WatchAlerts",
        "MonitoringService.ListAlerts",
        "AuditService.ListAuditEvents",
        "AuditService.VerifyAuditLog",
        "AuditService.ExportAuditEvents",
    }
    assert expected <= names, sorted(expected - names)


def test_streaming_shapes() -> None:
    shapes = {m.name: (m.client_streaming, m.server_streaming) for m in all_methods()}
    assert shapes["CreateModelVersion"] == (True, False)
    assert shapes["IngestPredictions"] == (True, False)
    for name in (
        "DownloadModelVersion",
        "WatchModelEvents",
        "WatchTrainingJob",
        "WatchAlerts",
        "ExportAuditEvents",
    ):
        assert shapes[name] == (False, True), name
