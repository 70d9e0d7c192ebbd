"""Helpers of the registry tests: tiny real skops models, the CreateModelVersion client stream,
a client of a running registry, and `slipway registry` as a child process.

Every wait here is bounded in time.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from slipway.audit.v1 import audit_event_pb2, audit_service_pb2, audit_service_pb2_grpc
from slipway.core.db import Database
from slipway.lineage.v1 import lineage_report_pb2
from slipway.lineage.v1 import lineage_service_pb2 as lineage_pb
from slipway.lineage.v1 import lineage_service_pb2_grpc as lineage_grpc
from slipway.ml.model_files import dump_model
from slipway.registry.v1 import artifact_pb2, model_pb2, model_version_pb2
from slipway.registry.v1 import registry_service_pb2 as pb
from slipway.registry.v1 import registry_service_pb2_grpc as pb_grpc
from slipway.services.registry.settings import RegistrySettings
from support.harness import auth
from support.probe import rich_details
from support.processes import ServiceProcess
from support.waiting import wait_until as wait_until  # re-exported: older tests import it here

MAX_ARTIFACT_BYTES = 256 * 1024  # small, so the size limit is cheap to cross
CHUNK = 2048  # a tiny model (~9 kB) then arrives in several chunks
# Upper bound of every poll and call deadline in these tests; only a failing test waits this long,
# so it is sized for a loaded machine (a first upload at load 14 took over 15 s).
WAIT_SECONDS = 60.0

# For tests whose subject does not depend on the database (validation at the edge, the artifact
# store, page tokens): they run on SQLite only, which keeps the folder fast.
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

READY = model_version_pb2.MODEL_VERSION_STATE_READY
PENDING = model_version_pb2.MODEL_VERSION_STATE_PENDING
FAILED = model_version_pb2.MODEL_VERSION_STATE_FAILED
ARCHIVED = model_version_pb2.MODEL_VERSION_STATE_ARCHIVED
SKOPS = artifact_pb2.ARTIFACT_FORMAT_SKOPS
MODEL_KIND = artifact_pb2.ARTIFACT_KIND_MODEL
SAMPLE_KIND = artifact_pb2.ARTIFACT_KIND_REFERENCE_SAMPLE


def model_bytes(seed: int = 0) -> bytes:
    """A real fitted scikit-learn model saved with skops (about 9 kB); distinct per seed, and
    the same bytes every time for a seed (skops files carry zip timestamps)."""
    return _model_bytes(seed)


@functools.cache
def _model_bytes(seed: int) -> bytes:
    rows = np.random.RandomState(seed).rand(40, 3)
    labels = (rows[:, 0] + 0.1 * seed > 0.5).astype(int)
    labels[:2] = [0, 1]  # both classes, whatever the seed
    return dump_model(LogisticRegression(C=1.0 + seed).fit(rows, labels))


def sample_bytes(seed: int = 0) -> bytes:
    """A reference sample of training rows, as an .npz file."""
    return _sample_bytes(seed)


@functools.cache
def _sample_bytes(seed: int) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, X=np.random.RandomState(seed).rand(16, 3))
    return buffer.getvalue()


def error_reason(error: grpc.aio.AioRpcError) -> str:
    """The ``ErrorInfo.reason`` an error carries."""
    info = rich_details(error)["error_info"]
    assert info is not None, error
    return str(info.reason)


def violated_fields(error: grpc.aio.AioRpcError) -> list[str]:
    """The fields a ``BadRequest`` in an error names."""
    bad = rich_details(error)["bad_request"]
    return [v.field for v in bad.field_violations] if bad is not None else []


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def version_spec(
    data: bytes,
    *,
    sample: bytes | None = None,
    digest: str | None = None,
    fmt: int = SKOPS,
    **fields: Any,
) -> model_version_pb2.ModelVersion:
    """The ModelVersion a client declares for ``data`` (and its reference sample)."""
    spec = model_version_pb2.ModelVersion(
        artifact=artifact_pb2.Artifact(sha256=digest or sha256(data), format=fmt), **fields
    )
    if sample is not None:
        spec.reference_profile.sample.CopyFrom(
            artifact_pb2.Artifact(sha256=sha256(sample), format=artifact_pb2.ARTIFACT_FORMAT_NPZ)
        )
    return spec


async def upload_requests(
    parent: str,
    data: bytes,
    spec: model_version_pb2.ModelVersion,
    *,
    sample: bytes | None = None,
    request_id: str = "",
    create_model: bool = False,
    chunk_size: int = CHUNK,
    gate: asyncio.Event | None = None,
) -> AsyncIterator[pb.CreateModelVersionRequest]:
    """The client stream of CreateModelVersion: metadata, then the bytes in chunks.

    With ``gate``, the stream pauses after its first chunk until the gate opens.
    """
    yield pb.CreateModelVersionRequest(
        metadata=pb.CreateModelVersionMetadata(
            parent=parent, model_version=spec, request_id=request_id, create_model=create_model
        )
    )
    for offset in range(0, len(data), chunk_size):
        yield pb.CreateModelVersionRequest(
            chunk=pb.ArtifactChunk(
                artifact_kind=MODEL_KIND, data=data[offset : offset + chunk_size]
            )
        )
        if gate is not None and offset == 0:
            await asyncio.wait_for(gate.wait(), WAIT_SECONDS)
    if sample is not None:
        for offset in range(0, len(sample), chunk_size):
            yield pb.CreateModelVersionRequest(
                chunk=pb.ArtifactChunk(
                    artifact_kind=SAMPLE_KIND, data=sample[offset : offset + chunk_size]
                )
            )


def store_contents(artifact_dir: Path) -> tuple[set[str], list[str]]:
    """What the artifact store holds: committed digests, and part files of unfinished uploads."""
    committed = {p.name for p in (artifact_dir / "sha256").glob("*/*") if p.is_file()}
    parts = sorted(p.name for p in (artifact_dir / "uploads").glob("*"))
    return committed, parts


def audit_filter(**fields: Any) -> str:
    """The ListAuditEvents filter (AIP-160) of events whose fields equal ``fields``:
    ``resource_prefix`` matches a prefix, ``outcome`` takes an AuditOutcome value and
    ``min_sequence`` a lowest sequence number."""

    def quote(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    terms = []
    for name, value in fields.items():
        if name == "resource_prefix":
            terms.append(f"resource = {quote(value + '*')}")
        elif name == "outcome":
            outcome = audit_event_pb2.AuditOutcome.Name(value).removeprefix("AUDIT_OUTCOME_")
            terms.append(f"outcome = {outcome}")
        elif name == "min_sequence":
            terms.append(f"sequence >= {int(value)}")
        else:
            terms.append(f"{name} = {quote(value)}")
    return " AND ".join(terms)


@dataclass
class Registry:
    """A running registry and a client of it."""

    stub: pb_grpc.RegistryServiceStub
    audit: audit_service_pb2_grpc.AuditServiceStub
    db: Database
    settings: RegistrySettings
    tokens: dict[str, str]
    address: str
    # The registry process also serves the lineage report (its own API, same channel).
    lineage: lineage_grpc.LineageServiceStub | None = None

    def as_(self, role: str) -> tuple[tuple[str, str], ...]:
        """Call metadata of ``<role>-user``."""
        return auth(self.tokens[role])

    @property
    def artifact_dir(self) -> Path:
        assert self.settings.artifact_dir is not None
        return self.settings.artifact_dir

    def store(self) -> tuple[set[str], list[str]]:
        return store_contents(self.artifact_dir)

    async def create_model(
        self, model_id: str, *, role: str = "developer", **fields: Any
    ) -> model_pb2.Model:
        reply = await self.stub.CreateModel(
            pb.CreateModelRequest(model_id=model_id, model=model_pb2.Model(**fields)),
            metadata=self.as_(role),
        )
        return reply.model

    async def upload(
        self,
        parent: str,
        data: bytes | None = None,
        *,
        spec: model_version_pb2.ModelVersion | None = None,
        role: str = "developer",
        **options: Any,
    ) -> model_version_pb2.ModelVersion:
        """Stream ``data`` (default: the seed-0 model) as a new version of ``parent``."""
        data = model_bytes() if data is None else data
        spec = spec if spec is not None else version_spec(data, sample=options.get("sample"))
        reply = await self.stub.CreateModelVersion(
            upload_requests(parent, data, spec, **options),
            metadata=self.as_(role),
            timeout=WAIT_SECONDS,
        )
        return reply.model_version

    async def ready_version(
        self, model_id: str, seed: int = 0, **fields: Any
    ) -> model_version_pb2.ModelVersion:
        data = model_bytes(seed)
        version = await self.upload(f"models/{model_id}", data, spec=version_spec(data, **fields))
        assert version.state == READY, version.state_message
        return version

    async def lineage_report(
        self, name: str, role: str = "auditor"
    ) -> lineage_report_pb2.LineageReport:
        """GetLineageReport of ``name`` as ``<role>-user``."""
        assert self.lineage is not None, "this registry was started without its lineage stub"
        reply = await self.lineage.GetLineageReport(
            lineage_pb.GetLineageReportRequest(name=name), metadata=self.as_(role), timeout=30
        )
        return reply.report

    async def get_version(self, name: str, role: str = "viewer") -> model_version_pb2.ModelVersion:
        reply = await self.stub.GetModelVersion(
            pb.GetModelVersionRequest(name=name), metadata=self.as_(role)
        )
        return reply.model_version

    async def list_versions(
        self, parent: str, **fields: Any
    ) -> list[model_version_pb2.ModelVersion]:
        reply = await self.stub.ListModelVersions(
            pb.ListModelVersionsRequest(parent=parent, **fields), metadata=self.as_("viewer")
        )
        return list(reply.model_versions)

    async def download(
        self, name: str, *, kind: int = MODEL_KIND, role: str = "viewer"
    ) -> tuple[pb.DownloadHeader, bytes]:
        """The header (sent first) and the bytes of a version's artifact."""
        header: pb.DownloadHeader | None = None
        parts: list[bytes] = []
        async for reply in self.stub.DownloadModelVersion(
            pb.DownloadModelVersionRequest(name=name, artifact_kind=kind),
            metadata=self.as_(role),
            timeout=WAIT_SECONDS,
        ):
            if reply.HasField("header"):
                assert header is None, "the header comes once"
                assert not parts, "the header comes before any chunk"
                header = reply.header
            else:
                assert header is not None, "a chunk came before the header"
                parts.append(reply.chunk)
        assert header is not None
        return header, b"".join(parts)

    async def audit_events(self, **filter_fields: Any) -> list[audit_event_pb2.AuditEvent]:
        """Every audit event matching the filter, oldest first: keyword arguments name an
        event's fields (``resource_prefix`` a prefix of its resource), all must match."""
        events: list[audit_event_pb2.AuditEvent] = []
        token = ""
        for _ in range(100):
            page = await self.audit.ListAuditEvents(
                audit_service_pb2.ListAuditEventsRequest(
                    filter=audit_filter(**filter_fields),
                    page_size=1000,
                    page_token=token,
                ),
                metadata=self.as_("auditor"),
            )
            events.extend(page.events)
            token = page.next_page_token
            if not token:
                return events
        pytest.fail("more than 100 pages of audit events")


class RegistryProcess(ServiceProcess):
    """`slipway registry` in a child process on the test's database, logging JSON to a file."""

    def __init__(self, home: Path, database_url: str, tokens_file: Path, *extra: str) -> None:
        super().__init__("registry", home, database_url, tokens_file, *extra)
