"""What the registry's proto comments promise, held to: RFC 1034 ids and aliases, bounded
descriptions and labels (legacy names stay readable), AIP-134 update masks, force delete over
FAILED versions, version numbers never reused after a re-creation, and AIP-148 uids."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import grpc
import pytest
from google.protobuf.field_mask_pb2 import FieldMask
from sqlalchemy import update

from slipway.registry.v1 import model_pb2, model_version_pb2
from slipway.registry.v1 import registry_service_pb2 as pb
from slipway.services.registry.storage.tables import AliasRow, ModelRow
from support.registry import (
    ARCHIVED,
    error_reason,
    model_bytes,
    sha256,
    version_spec,
    violated_fields,
)


async def refused(call, request, metadata) -> tuple[str, list[str]]:
    """The reason and fields of the INVALID_ARGUMENT ``call(request)`` fails with."""
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await call(request, metadata=metadata)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT, error.value
    return error_reason(error.value), violated_fields(error.value)


# -- names and texts ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model_id",
    ["Fraud_Model.v2", "9lives", "a" * 64, "x" * 100, "trailing-", "under_score", "-lead", "a.b"],
)
async def test_model_ids_outside_rfc_1034_are_refused_at_creation(registry, model_id):
    reason, fields = await refused(
        registry.stub.CreateModel,
        pb.CreateModelRequest(model_id=model_id),
        registry.as_("developer"),
    )
    assert (reason, fields) == ("INVALID_MODEL_ID", ["model_id"])
    # Nor can an upload create it.
    data = model_bytes()
    with pytest.raises(grpc.aio.AioRpcError) as upload:
        await registry.upload(f"models/{model_id}", data, create_model=True)
    assert upload.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_reason(upload.value) in ("INVALID_MODEL_ID", "INVALID_NAME")
    listed = await registry.stub.ListModels(pb.ListModelsRequest(), metadata=registry.as_("viewer"))
    assert list(listed.models) == []


async def test_ids_at_the_limits_are_accepted(registry):
    for model_id in ("a", "a" * 63, "a-1", "fraud-model-v2"):
        created = await registry.create_model(model_id)
        assert created.name == f"models/{model_id}"
    data = model_bytes()
    version = await registry.upload("models/made-by-upload", data, create_model=True)
    assert version.name == "models/made-by-upload/versions/1"


async def test_descriptions_and_labels_are_bounded_as_documented(registry):
    dev = registry.as_("developer")
    create = registry.stub.CreateModel
    assert await refused(
        create,
        pb.CreateModelRequest(model_id="m", model=model_pb2.Model(description="d" * 5000)),
        dev,
    ) == ("TEXT_TOO_LONG", ["model.description"])
    for labels in ({"team": "Hello World"}, {"Team": "x"}, {"team": "v" * 64}, {"a.b": "x"}):
        reason, fields = await refused(
            create, pb.CreateModelRequest(model_id="m", model=model_pb2.Model(labels=labels)), dev
        )
        assert reason == "INVALID_LABEL", labels
        assert fields[0].startswith("model.labels["), fields
    created = await registry.create_model(
        "m", description="d" * 4096, labels={"team": "", "k_1": "v" * 63, "x-y": "a_b-c"}
    )
    assert len(created.description) == 4096


async def test_new_aliases_follow_rfc_1034_and_stored_wider_names_stay_usable(registry):
    await registry.create_model("m")
    await registry.ready_version("m")
    await registry.ready_version("m", seed=1)
    approver = registry.as_("approver")
    for alias in ("my_alias", "9lives", "a" * 64, "Prod", "end-"):
        assert await refused(
            registry.stub.SetModelAlias,
            pb.SetModelAliasRequest(name="models/m", alias=alias, version_number=1),
            approver,
        ) == ("INVALID_ALIAS", ["alias"]), alias

    # A model and an alias stored before the rule was enforced: read, moved, deleted.
    with registry.db.unit_of_work() as session:
        session.execute(
            update(ModelRow).where(ModelRow.model_id == "m").values(model_id="Legacy_Model.v2")
        )
        pk = session.query(ModelRow.id).filter(ModelRow.model_id == "Legacy_Model.v2").scalar()
        session.add(AliasRow(model_pk=pk, alias="my_alias", version_number=1))
    got = await registry.stub.GetModel(
        pb.GetModelRequest(name="models/Legacy_Model.v2"), metadata=registry.as_("viewer")
    )
    assert dict(got.model.aliases) == {"my_alias": 1}
    version = await registry.get_version("models/Legacy_Model.v2@my_alias")
    assert version.version_number == 1
    moved = await registry.stub.SetModelAlias(
        pb.SetModelAliasRequest(name="models/Legacy_Model.v2", alias="my_alias", version_number=2),
        metadata=approver,
    )
    assert dict(moved.model.aliases) == {"my_alias": 2}
    await registry.stub.UpdateModel(
        pb.UpdateModelRequest(
            model=model_pb2.Model(name="models/Legacy_Model.v2", description="still here")
        ),
        metadata=registry.as_("developer"),
    )
    await registry.stub.DeleteModelAlias(
        pb.DeleteModelAliasRequest(name="models/Legacy_Model.v2", alias="my_alias"),
        metadata=approver,
    )


# -- update masks (AIP-134) --------------------------------------------------------------------


async def test_update_model_mask_rule(registry):
    dev = registry.as_("developer")
    await registry.create_model("m", description="first", labels={"team": "x"})

    async def update_model(mask: list[str] | None, **fields: object) -> model_pb2.Model:
        request = pb.UpdateModelRequest(model=model_pb2.Model(name="models/m", **fields))
        if mask is not None:
            request.update_mask.CopyFrom(FieldMask(paths=mask))
        return (await registry.stub.UpdateModel(request, metadata=dev)).model

    # Omitted: only the fields that are set; the labels survive a description change.
    model = await update_model(None, description="second")
    assert (model.description, dict(model.labels)) == ("second", {"team": "x"})
    model = await update_model(None, labels={"team": "y"})
    assert (model.description, dict(model.labels)) == ("second", {"team": "y"})
    # Named: the field is replaced, cleared when unset.
    model = await update_model(["labels"])
    assert (model.description, dict(model.labels)) == ("second", {})
    # `*`: everything updatable is replaced.
    model = await update_model(["*"], labels={"a": "b"})
    assert (model.description, dict(model.labels)) == ("", {"a": "b"})
    # Unknown or output-only paths, `*` beside others, and nothing to do: refused.
    for mask, fields in (
        (["name"], {}),
        (["etag"], {}),
        (["labels.team"], {}),
        (["*", "labels"], {}),
        (None, {}),
    ):
        request = pb.UpdateModelRequest(model=model_pb2.Model(name="models/m", **fields))
        if mask is not None:
            request.update_mask.CopyFrom(FieldMask(paths=mask))
        assert await refused(registry.stub.UpdateModel, request, dev) == (
            "INVALID_UPDATE_MASK",
            ["update_mask"],
        ), mask


async def test_update_model_version_mask_rule(registry):
    dev = registry.as_("developer")
    await registry.create_model("m")
    first = await registry.ready_version("m", description="first", labels={"team": "x"})

    async def update_version(mask: list[str] | None, **fields: object):
        request = pb.UpdateModelVersionRequest(
            model_version=model_version_pb2.ModelVersion(name=first.name, **fields)
        )
        if mask is not None:
            request.update_mask.CopyFrom(FieldMask(paths=mask))
        return (await registry.stub.UpdateModelVersion(request, metadata=dev)).model_version

    version = await update_version(None, description="second")
    assert (version.description, dict(version.labels)) == ("second", {"team": "x"})
    version = await update_version(["*"], description="third")
    assert (version.description, dict(version.labels)) == ("third", {})
    for mask in (["metrics"], ["state"], ["*", "labels"]):
        request = pb.UpdateModelVersionRequest(
            model_version=model_version_pb2.ModelVersion(name=first.name),
            update_mask=FieldMask(paths=mask),
        )
        assert await refused(registry.stub.UpdateModelVersion, request, dev) == (
            "INVALID_UPDATE_MASK",
            ["update_mask"],
        ), mask


# -- deletes, re-creations, uids --------------------------------------------------------------


async def fail_a_version(registry, model_id: str) -> None:
    data = model_bytes(7)
    with pytest.raises(grpc.aio.AioRpcError):
        await registry.upload(
            f"models/{model_id}", data, spec=version_spec(data, digest=sha256(b"wrong"))
        )


async def test_force_delete_takes_failed_and_archived_versions(registry):
    await registry.create_model("m")
    ready = await registry.ready_version("m")
    await fail_a_version(registry, "m")
    archived = await registry.stub.ArchiveModelVersion(
        pb.ArchiveModelVersionRequest(name=ready.name, reason="superseded"),
        metadata=registry.as_("developer"),
    )
    assert archived.model_version.state == ARCHIVED
    states = await registry.list_versions("models/m")
    assert [v.version_number for v in states] == [1, 2]
    await registry.stub.DeleteModel(
        pb.DeleteModelRequest(name="models/m", force=True, reason="retired"),
        metadata=registry.as_("admin"),
    )


async def test_a_re_created_model_never_reuses_a_version_number(registry):
    before = await registry.create_model("reuse")
    first = await registry.ready_version("reuse")
    await fail_a_version(registry, "reuse")  # version 2
    assert uuid.UUID(before.uid).version == 4
    assert uuid.UUID(first.uid).version == 4
    await registry.stub.ArchiveModelVersion(
        pb.ArchiveModelVersionRequest(name=first.name, reason="old"),
        metadata=registry.as_("developer"),
    )
    await registry.stub.DeleteModel(
        pb.DeleteModelRequest(name="models/reuse", force=True, reason="again"),
        metadata=registry.as_("admin"),
    )

    again = await registry.create_model("reuse")
    assert again.uid
    assert again.uid != before.uid
    assert again.latest_version_number == 2
    for name in ("models/reuse/versions/1", "models/reuse/versions/2"):
        with pytest.raises(grpc.aio.AioRpcError) as gone:
            await registry.get_version(name)
        assert gone.value.code() == grpc.StatusCode.NOT_FOUND
    third = await registry.ready_version("reuse", seed=3)
    assert third.name == "models/reuse/versions/3"
    assert third.uid not in (first.uid, "")

    # Deleted and re-created once more (by an upload): still counting.
    await registry.stub.ArchiveModelVersion(
        pb.ArchiveModelVersionRequest(name=third.name, reason="old"),
        metadata=registry.as_("developer"),
    )
    await registry.stub.DeleteModel(
        pb.DeleteModelRequest(name="models/reuse", force=True, reason="again"),
        metadata=registry.as_("admin"),
    )
    fourth = await registry.upload("models/reuse", model_bytes(4), create_model=True)
    assert fourth.name == "models/reuse/versions/4"
    got = await registry.stub.GetModel(
        pb.GetModelRequest(name="models/reuse"), metadata=registry.as_("viewer")
    )
    assert got.model.uid not in (before.uid, again.uid, "")
    assert got.model.create_time.ToDatetime(UTC) <= datetime.now(UTC)
    # The audit log tells the three models of one name apart.
    created = await registry.audit_events(action="registry.CreateModel", resource="models/reuse")
    assert [json.loads(e.payload_json)["uid"] for e in created] == [
        before.uid,
        again.uid,
        got.model.uid,
    ]


async def test_delete_model_alias_guards_against_a_concurrent_move(registry):
    await registry.create_model("m")
    await registry.ready_version("m")
    await registry.ready_version("m", seed=1)
    approver = registry.as_("approver")
    await registry.stub.SetModelAlias(
        pb.SetModelAliasRequest(name="models/m", alias="staging", version_number=2),
        metadata=approver,
    )
    with pytest.raises(grpc.aio.AioRpcError) as moved:
        await registry.stub.DeleteModelAlias(
            pb.DeleteModelAliasRequest(name="models/m", alias="staging", expected_version_number=1),
            metadata=approver,
        )
    assert moved.value.code() == grpc.StatusCode.ABORTED
    assert error_reason(moved.value) == "ALIAS_CHANGED"
    kept = await registry.get_version("models/m@staging")
    assert kept.version_number == 2
    deleted = await registry.stub.DeleteModelAlias(
        pb.DeleteModelAliasRequest(name="models/m", alias="staging", expected_version_number=2),
        metadata=approver,
    )
    assert dict(deleted.model.aliases) == {}
