"""Hostile input over gRPC, on SQLite and PostgreSQL: names that look like paths, are huge, empty,
non-ASCII or SQL are refused with INVALID_ARGUMENT naming the field, and create nothing; the same
strings in descriptions and reasons are stored and returned verbatim (labels refuse them); page
tokens that were altered, cut or issued for another request are refused on `page_token`."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf.field_mask_pb2 import FieldMask
from sqlalchemy import text

from slipway.registry.v1 import model_pb2, model_version_pb2
from slipway.registry.v1 import registry_service_pb2 as pb
from support.probe import rich_details
from support.registry import SQLITE_ONLY, model_bytes, upload_requests, version_spec

HOSTILE_NAMES = [
    "../../etc/passwd",
    "a/b",
    "..",
    "x" * 10_000,
    "",
    "модель",
    "model-🚀",
    "x'; DROP TABLE registry_models;--",
    "name with spaces",
    "nul\x00byte",
]
HOSTILE_TEXT = [
    "../../etc/passwd",
    "x'; DROP TABLE registry_models;--",
    "модель 🚀 ✓ 模型",
    "\"quoted\" \\back\\slash\\ 'single'",
    "line\nbreak\ttab",
    "<script>alert(1)</script>",
    "%s %d {0} ${HOME}",
    "",
]


async def invalid_field(call, request, metadata) -> str:
    """The one field named by the INVALID_ARGUMENT that ``call(request)`` fails with."""
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await call(request, metadata=metadata)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT, refused.value
    bad = rich_details(refused.value)["bad_request"]
    assert bad is not None, refused.value
    [violation] = bad.field_violations
    assert violation.description
    return str(violation.field)


async def test_hostile_model_ids_and_aliases_are_refused_and_create_nothing(registry):
    await registry.create_model("m")
    await registry.ready_version("m")
    stub, dev, approver = registry.stub, registry.as_("developer"), registry.as_("approver")

    async def download_all(request, metadata):
        return [reply async for reply in stub.DownloadModelVersion(request, metadata=metadata)]

    async def upload_to(parent, metadata):
        data = model_bytes()
        return await stub.CreateModelVersion(
            upload_requests(parent, data, version_spec(data), create_model=True), metadata=metadata
        )

    for name in HOSTILE_NAMES:
        assert (
            await invalid_field(stub.CreateModel, pb.CreateModelRequest(model_id=name), dev)
            == "model_id"
        ), name
        assert (
            await invalid_field(stub.GetModel, pb.GetModelRequest(name=f"models/{name}"), dev)
            == "name"
        ), name
        assert (
            await invalid_field(stub.DeleteModel, pb.DeleteModelRequest(name=f"models/{name}"), dev)
            == "name"
        )
        assert (
            await invalid_field(
                stub.ListModelVersions, pb.ListModelVersionsRequest(parent=f"models/{name}"), dev
            )
            == "parent"
        ), name
        assert await invalid_field(upload_to, f"models/{name}", dev) == "metadata.parent"

        assert (
            await invalid_field(
                stub.SetModelAlias,
                pb.SetModelAliasRequest(name="models/m", alias=name, version_number=1, reason="r"),
                approver,
            )
            == "alias"
        )
        assert (
            await invalid_field(
                stub.DeleteModelAlias,
                pb.DeleteModelAliasRequest(name="models/m", alias=name, reason="r"),
                approver,
            )
            == "alias"
        ), name
        assert (
            await invalid_field(
                stub.GetModelVersion, pb.GetModelVersionRequest(name=f"models/m@{name}"), dev
            )
            == "name"
        ), name
        assert (
            await invalid_field(
                download_all, pb.DownloadModelVersionRequest(name=f"models/m/versions/{name}"), dev
            )
            == "name"
        ), name

    # Digits of other scripts: '²' made int() fail (INTERNAL), '٣' was read as version 3.
    for number in ("²", "٣", "1²", "¹"):
        assert (
            await invalid_field(
                stub.GetModelVersion,
                pb.GetModelVersionRequest(name=f"models/m/versions/{number}"),
                dev,
            )
            == "name"
        ), number

    models = (await stub.ListModels(pb.ListModelsRequest(), metadata=dev)).models
    assert [(m.name, dict(m.aliases), m.latest_version_number) for m in models] == [
        ("models/m", {}, 1)
    ]
    history = await stub.ListAliasHistory(
        pb.ListAliasHistoryRequest(parent="models/m"), metadata=dev
    )
    assert list(history.alias_history_entries) == []
    with registry.db.unit_of_work(read_only=True) as session:
        assert session.execute(text("SELECT count(*) FROM registry_models")).scalar_one() == 1
    committed, parts = registry.store()
    assert len(committed) == 1
    assert parts == []


async def test_hostile_text_in_descriptions_and_reasons_is_kept_verbatim(registry):
    # As long as a description may be (4096); labels have their own, narrower rule.
    description = ("\n".join(HOSTILE_TEXT) + "y" * 10_000)[:4096]
    labels = {f"k{i}": f"v-{i}_x" for i in range(len(HOSTILE_TEXT))}
    created = await registry.create_model("m", description=description, labels=labels)
    assert created.description == description
    assert dict(created.labels) == labels
    got = (
        await registry.stub.GetModel(
            pb.GetModelRequest(name="models/m"), metadata=registry.as_("viewer")
        )
    ).model
    assert (got.description, dict(got.labels)) == (description, labels)

    data = model_bytes()
    version = await registry.upload(
        "models/m", data, spec=version_spec(data, description=description, labels=labels)
    )
    assert (version.description, dict(version.labels)) == (description, labels)
    updated = (
        await registry.stub.UpdateModelVersion(
            pb.UpdateModelVersionRequest(
                model_version=model_version_pb2.ModelVersion(
                    name=version.name, labels={"sql": "drop", "path": ""}
                ),
                update_mask=FieldMask(paths=["labels"]),
                reason=HOSTILE_TEXT[2],
            ),
            metadata=registry.as_("developer"),
        )
    ).model_version
    assert dict(updated.labels) == {"sql": "drop", "path": ""}
    for value in HOSTILE_TEXT[:-1]:  # the empty value is a valid one
        field = await invalid_field(
            registry.stub.UpdateModelVersion,
            pb.UpdateModelVersionRequest(
                model_version=model_version_pb2.ModelVersion(
                    name=version.name, labels={"sql": value}
                ),
                update_mask=FieldMask(paths=["labels"]),
            ),
            registry.as_("developer"),
        )
        assert field == "model_version.labels['sql']"
    assert updated.description == description

    for reason in HOSTILE_TEXT[:4]:
        await registry.stub.SetModelAlias(
            pb.SetModelAliasRequest(
                name="models/m",
                alias="production",
                version_number=1,
                reason=reason,
                request_id=reason[:20],
            ),
            metadata=registry.as_("approver"),
        )
        await registry.stub.DeleteModelAlias(
            pb.DeleteModelAliasRequest(name="models/m", alias="production", reason=reason),
            metadata=registry.as_("admin"),
        )
    history = (
        await registry.stub.ListAliasHistory(
            pb.ListAliasHistoryRequest(parent="models/m"), metadata=registry.as_("viewer")
        )
    ).alias_history_entries
    assert [e.reason for e in history] == [r for r in HOSTILE_TEXT[:4] for _ in (1, 2)]

    # Filters find such values too, quoted, with backslash escapes for quotes and backslashes.
    for key, value in labels.items():
        quoted = value.replace("\\", "\\\\").replace('"', '\\"')
        found = await registry.stub.ListModels(
            pb.ListModelsRequest(filter=f'labels.{key} = "{quoted}"'),
            metadata=registry.as_("viewer"),
        )
        assert [m.name for m in found.models] == ["models/m"], value
    assert (await registry.get_version("models/m/versions/1")).labels == updated.labels


async def test_text_the_database_cannot_hold_is_refused_on_both_databases(registry):
    for model in (
        model_pb2.Model(description="nul\x00byte"),
        model_pb2.Model(labels={"team": "nul\x00byte"}),
    ):
        field = await invalid_field(
            registry.stub.CreateModel,
            pb.CreateModelRequest(model_id="m", model=model),
            registry.as_("developer"),
        )
        assert field.startswith(("model.description", "model.labels"))
    oversized = await invalid_field(
        registry.stub.CreateModel,
        pb.CreateModelRequest(model_id="m", model=model_pb2.Model(labels={"team": "v" * 10_000})),
        registry.as_("developer"),
    )
    assert oversized.startswith("model.labels")
    assert (
        await invalid_field(
            registry.stub.CreateModel,
            pb.CreateModelRequest(model_id="m", request_id="r\x00"),
            registry.as_("developer"),
        )
        == "request_id"
    )
    models = await registry.stub.ListModels(pb.ListModelsRequest(), metadata=registry.as_("viewer"))
    assert list(models.models) == []

    created = await registry.create_model("m")
    assert (
        await invalid_field(
            registry.stub.UpdateModel,
            pb.UpdateModelRequest(
                model=model_pb2.Model(name="models/m", description="ok"), reason="why\x00"
            ),
            registry.as_("developer"),
        )
        == "reason"
    )
    got = await registry.stub.GetModel(
        pb.GetModelRequest(name="models/m"), metadata=registry.as_("viewer")
    )
    assert got.model == created


# Request ids a terminal or a report would act on: a screen clear, a colour, a line break, a
# right-to-left override, a bell, DEL and a C1 control. They are shown to auditors with the rows.
CONTROL_REQUEST_IDS = [
    "r\x1b[2J",
    "r\x1b[31mok",
    "r\nforged row",
    "r\u202etxt.exe",
    "r\x07",
    "r\x7f",
    "r\x85",
]


async def test_request_ids_with_control_characters_are_refused_and_create_nothing(registry):
    dev = registry.as_("developer")
    for request_id in CONTROL_REQUEST_IDS:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await registry.stub.CreateModel(
                pb.CreateModelRequest(model_id="m", request_id=request_id), metadata=dev
            )
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT, repr(request_id)
        assert rich_details(refused.value)["error_info"].reason == "INVALID_REQUEST_ID"
        assert request_id not in (refused.value.details() or "")
    models = await registry.stub.ListModels(pb.ListModelsRequest(), metadata=registry.as_("viewer"))
    assert list(models.models) == []
    # Printable text of any script is still a request id, and a retry is still answered once.
    for number, request_id in enumerate(("модель 🚀 ✓ id", "a b")):
        request = pb.CreateModelRequest(model_id=f"m{number}", request_id=request_id)
        first = await registry.stub.CreateModel(request, metadata=dev)
        assert await registry.stub.CreateModel(request, metadata=dev) == first


@SQLITE_ONLY
async def test_tampered_truncated_or_foreign_page_tokens_are_refused(registry):
    for model_id in ("a", "b", "c"):
        await registry.create_model(model_id)
    await registry.ready_version("a", seed=1)
    await registry.ready_version("a", seed=2)
    viewer = registry.as_("viewer")
    models_page = await registry.stub.ListModels(pb.ListModelsRequest(page_size=1), metadata=viewer)
    token = models_page.next_page_token
    assert token
    versions_page = await registry.stub.ListModelVersions(
        pb.ListModelVersionsRequest(parent="models/a", page_size=1), metadata=viewer
    )
    assert versions_page.next_page_token

    middle = len(token) // 2
    flipped = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    for bad in (
        flipped,
        token[:-4],
        token[: len(token) // 2],
        token + "x",
        "not-a-token",
        "%%%",
        "\u00e9t\u00e9",
        versions_page.next_page_token,
    ):
        assert (
            await invalid_field(
                registry.stub.ListModels, pb.ListModelsRequest(page_size=1, page_token=bad), viewer
            )
            == "page_token"
        ), bad
    # A good token, but for a different request: another filter, order, or parent.
    assert (
        await invalid_field(
            registry.stub.ListModels,
            pb.ListModelsRequest(page_size=1, page_token=token, order_by="name desc"),
            viewer,
        )
        == "page_token"
    )
    assert (
        await invalid_field(
            registry.stub.ListModelVersions,
            pb.ListModelVersionsRequest(
                parent="models/b", page_token=versions_page.next_page_token
            ),
            viewer,
        )
        == "page_token"
    )
    assert (
        await invalid_field(
            registry.stub.ListModelVersions,
            pb.ListModelVersionsRequest(parent="models/a", page_token=token),
            viewer,
        )
        == "page_token"
    )

    # The untouched token still works, through every page.
    names = [m.name for m in models_page.models]
    for _ in range(5):
        page = await registry.stub.ListModels(
            pb.ListModelsRequest(page_size=1, page_token=token), metadata=viewer
        )
        names.extend(m.name for m in page.models)
        token = page.next_page_token
        if not token:
            break
    assert names == ["models/a", "models/b", "models/c"]


# Bytes that are not the request message: a string field that is not UTF-8, and broken wire
# format (a field header promising more bytes than follow).
UNDECODABLE = [b"\x0a\x02\xff\xfe", b"\x0a\x7f", b"\xff\xff\xff\xff"]


async def test_requests_that_do_not_decode_are_invalid_argument_after_authentication(registry):
    """gRPC answers a failing deserializer with UNKNOWN and an internal class name; every call
    shape here gets INVALID_ARGUMENT instead, and only once the caller is authenticated."""
    service = "/slipway.registry.v1.RegistryService/"
    async with grpc.aio.insecure_channel(registry.address) as channel:
        unary = channel.unary_unary(service + "GetModel")
        server_stream = channel.unary_stream(service + "DownloadModelVersion")
        client_stream = channel.stream_unary(service + "CreateModelVersion")

        async def download(data, metadata):
            return [reply async for reply in server_stream(data, metadata=metadata, timeout=10)]

        async def upload(data, metadata):
            async def requests():
                yield data

            return await client_stream(requests(), metadata=metadata, timeout=10)

        async def get(data, metadata):
            return await unary(data, metadata=metadata, timeout=10)

        for call in (get, download, upload):
            for data in UNDECODABLE:
                with pytest.raises(grpc.aio.AioRpcError) as refused:
                    await call(data, registry.as_("developer"))
                error = refused.value
                assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, (call, data, error)
                assert rich_details(error)["error_info"].reason == "INVALID_REQUEST_ENCODING"
                assert "slipway.registry.v1." in error.details()
                assert "class" not in error.details()
            with pytest.raises(grpc.aio.AioRpcError) as anonymous:
                await call(UNDECODABLE[0], ())
            assert anonymous.value.code() == grpc.StatusCode.UNAUTHENTICATED, call
    assert (
        await registry.stub.ListModels(pb.ListModelsRequest(), metadata=registry.as_("viewer"))
    ).models == []
