"""The blocking RegistryClient against a real registry: models listed across pages, typed
errors with their reasons, field violations and request ids, idempotent creation, versions
uploaded and downloaded with their SHA-256 checked, aliases and their history, events and the
lineage report."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import grpc
import pytest

from slipway import client
from slipway.registry.v1 import artifact_pb2, model_event_pb2, model_pb2, model_version_pb2
from support.registry import SQLITE_ONLY, Registry, model_bytes, sample_bytes

pytestmark = SQLITE_ONLY  # the subject is the client; the registry's own tests cover databases


async def test_models_are_listed_across_pages_with_filters(registry: Registry, connect_as):
    suite = connect_as(registry.address)

    def scenario() -> None:
        for index in range(5):
            suite.registry.create_model(
                f"m{index}", model_pb2.Model(labels={"team": "fraud" if index % 2 else "churn"})
            )
        assert [m.name for m in suite.registry.list_models(page_size=2)] == [
            f"models/m{i}" for i in range(5)
        ]
        fraud = suite.registry.list_models(
            filter='labels.team = "fraud"', order_by="name desc", page_size=1
        )
        assert [m.name for m in fraud] == ["models/m3", "models/m1"]
        assert suite.registry.get_model("m2").labels["team"] == "churn"

    await asyncio.to_thread(scenario)


async def test_errors_are_typed_with_code_reason_and_request_id(registry: Registry, connect_as):
    developer = connect_as(registry.address)
    viewer = connect_as(registry.address, role="viewer")
    stranger = client.connect(registry.address, token="not-a-token")

    def scenario() -> None:
        with pytest.raises(client.NotFound) as missing:
            developer.registry.get_model("models/nope")
        assert missing.value.code == grpc.StatusCode.NOT_FOUND
        assert missing.value.reason == "MODEL_NOT_FOUND"
        assert missing.value.domain == "registry.slipway"
        assert missing.value.request_id
        assert "MODEL_NOT_FOUND" in str(missing.value)

        with pytest.raises(client.InvalidArgument) as invalid:
            developer.registry.create_model("not an id!")
        assert [v.field for v in invalid.value.field_violations] == ["model_id"]
        assert invalid.value.reason == "INVALID_MODEL_ID"

        developer.registry.create_model("churn")
        with pytest.raises(client.AlreadyExists):
            developer.registry.create_model("churn")
        with pytest.raises(client.PermissionDenied) as denied:
            viewer.registry.create_model("fraud")
        assert denied.value.reason
        with pytest.raises(client.Unauthenticated):
            stranger.registry.get_model("churn")

        stale = developer.registry.get_model("churn")
        developer.registry.update_model(
            model_pb2.Model(name=stale.name, description="a", etag=stale.etag), ["description"]
        )
        with pytest.raises(client.Aborted):
            developer.registry.update_model(
                model_pb2.Model(name=stale.name, description="b", etag=stale.etag), ["description"]
            )

    try:
        await asyncio.to_thread(scenario)
    finally:
        stranger.close()


async def test_a_repeated_key_returns_the_first_result(registry: Registry, connect_as):
    suite = connect_as(registry.address)

    def scenario() -> None:
        first = suite.registry.create_model("churn", request_id="create-churn-1")
        again = suite.registry.create_model("churn", request_id="create-churn-1")
        assert again == first

    await asyncio.to_thread(scenario)


async def test_versions_aliases_downloads_events_and_lineage(
    registry: Registry, connect_as, tmp_path: Path
):
    developer = connect_as(registry.address)
    approver = connect_as(registry.address, role="approver")
    model_file = tmp_path / "model.skops"
    model_file.write_bytes(model_bytes(0))
    sample_file = tmp_path / "sample.npz"
    sample_file.write_bytes(sample_bytes(0))
    other_file = tmp_path / "other.skops"
    other_file.write_bytes(model_bytes(1))

    def scenario() -> None:
        first = developer.registry.create_version(
            "iris", model_file, sample_file=sample_file, create_model=True
        )
        second = developer.registry.create_version("models/iris", other_file)
        assert first.name == "models/iris/versions/1"
        assert first.artifact.sha256 == hashlib.sha256(model_bytes(0)).hexdigest()
        assert [
            v.version_number
            for v in developer.registry.list_versions(
                "iris", order_by="version_number desc", page_size=1
            )
        ] == [2, 1]
        assert developer.registry.get_version(client.version_name("iris", 2)) == second

        moved = approver.registry.set_alias("iris", "production", 1, reason="first release")
        assert moved.model.aliases["production"] == 1
        approver.registry.set_alias(
            "iris", "production", 2, reason="better", expected_version_number=1
        )
        with pytest.raises(client.Aborted):
            approver.registry.set_alias(
                "iris", "production", 1, reason="stale", expected_version_number=1
            )
        with pytest.raises(client.FailedPrecondition):
            developer.registry.archive_version("models/iris/versions/2", reason="in use")
        history = list(developer.registry.alias_history("iris", alias="production", page_size=1))
        assert sorted((h.to_version_number, h.reason) for h in history) == [
            (1, "first release"),
            (2, "better"),
        ]

        target = tmp_path / "downloads" / "production.skops"
        header = developer.registry.download("models/iris@production", target)
        assert header.model_version == "models/iris/versions/2"
        assert target.read_bytes() == model_bytes(1)
        developer.registry.download(
            "models/iris/versions/1",
            tmp_path / "sample.npz.copy",
            kind=artifact_pb2.ARTIFACT_KIND_REFERENCE_SAMPLE,
        )
        assert (tmp_path / "sample.npz.copy").read_bytes() == sample_bytes(0)
        with pytest.raises(client.NotFound) as missing:
            developer.registry.download("models/iris/versions/9", tmp_path / "nine")
        assert missing.value.reason == "VERSION_NOT_FOUND"
        assert not (tmp_path / "nine").exists()
        assert not (tmp_path / "nine.part").exists()

        approver.registry.delete_alias("iris", "production", reason="roll back by hand")
        archived = developer.registry.archive_version("models/iris/versions/2", reason="old")
        assert archived.state == model_version_pb2.MODEL_VERSION_STATE_ARCHIVED

        kinds = []
        for event in developer.registry.watch_events(model="iris", after_sequence=0, timeout=15):
            kinds.append(event.type)
            if event.type == model_event_pb2.MODEL_EVENT_TYPE_VERSION_ARCHIVED:
                break
        assert model_event_pb2.MODEL_EVENT_TYPE_ALIAS_MOVED in kinds
        assert model_event_pb2.MODEL_EVENT_TYPE_ALIAS_DELETED in kinds

        report = developer.lineage.report("models/iris/versions/1")
        assert report.model_version.name == "models/iris/versions/1"

    await asyncio.to_thread(scenario)
