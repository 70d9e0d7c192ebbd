"""A service's local cache of verified registry artifacts (serving's models, monitoring's
models and reference samples), and of what each target last resolved to, so that a restart
during a registry outage still finds its models.

Files are content-addressed (``sha256/<2 hex>/<64 hex>``) and only ever appear complete: a
download goes to ``partial/`` and is renamed after its digest matched. A file is re-hashed
when it is used, so a corrupted cache is noticed and fetched again rather than served.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import uuid
from collections.abc import Sequence
from pathlib import Path

import grpc

from slipway.core.errors import UnavailableError
from slipway.core.reasons import Reason
from slipway.ml.artifacts import is_sha256
from slipway.registry.v1 import artifact_pb2, model_version_pb2
from slipway.registry.v1 import registry_service_pb2 as pb
from slipway.registry.v1 import registry_service_pb2_grpc as pb_grpc

CHUNK = 1024 * 1024


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


class ArtifactCache:
    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "sha256").mkdir(parents=True, exist_ok=True)
        (root / "partial").mkdir(parents=True, exist_ok=True)
        self._index = root / "resolutions.json"

    def _file(self, sha256: str) -> Path:
        if not is_sha256(sha256):
            raise ValueError(f"not a SHA-256 digest: {sha256!r}")
        return self.root / "sha256" / sha256[:2] / sha256

    def path(self, sha256: str) -> Path | None:
        """The cached file with this digest, if present and intact."""
        file = self._file(sha256)
        if not file.exists():
            return None
        if _digest(file) != sha256:
            file.unlink(missing_ok=True)  # corrupted: fetched again
            return None
        return file

    def partial_path(self, sha256: str) -> Path:
        return self.root / "partial" / f"{sha256}.{uuid.uuid4().hex}"

    def commit(self, partial: Path, sha256: str) -> Path:
        file = self._file(sha256)
        file.parent.mkdir(parents=True, exist_ok=True)
        os.replace(partial, file)
        return file

    def _read_index(self) -> dict[str, str]:
        try:
            data = json.loads(self._index.read_text())
        except (OSError, ValueError):
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def remember_resolution(self, target: str, version: model_version_pb2.ModelVersion) -> None:
        index = self._read_index()
        index[target] = base64.b64encode(version.SerializeToString()).decode()
        temporary = self._index.with_suffix(f".{uuid.uuid4().hex}.tmp")
        temporary.write_text(json.dumps(index, sort_keys=True))
        os.replace(temporary, self._index)

    def last_resolution(self, target: str) -> model_version_pb2.ModelVersion | None:
        encoded = self._read_index().get(target)
        if encoded is None:
            return None
        message = model_version_pb2.ModelVersion()
        message.ParseFromString(base64.b64decode(encoded))
        return message


async def download(
    cache: ArtifactCache,
    stub: pb_grpc.RegistryServiceAsyncStub,
    name: str,
    kind: artifact_pb2.ArtifactKind.ValueType,
    sha256: str,
    *,
    metadata: Sequence[tuple[str, str]],
    deadline: float,
) -> Path:
    """The cached file of version ``name``'s artifact ``kind``; streamed from the registry,
    checked against ``sha256`` and committed to ``cache`` when it is not there yet."""
    cached = await asyncio.to_thread(cache.path, sha256)  # re-hashes the file
    if cached is not None:
        return cached
    partial = cache.partial_path(sha256)
    digest = hashlib.sha256()
    try:
        with partial.open("wb") as out:
            async for reply in stub.DownloadModelVersion(
                pb.DownloadModelVersionRequest(name=name, artifact_kind=kind),
                metadata=tuple(metadata),
                timeout=deadline,
            ):
                if reply.HasField("header"):
                    continue
                digest.update(reply.chunk)
                out.write(reply.chunk)
            out.flush()
            os.fsync(out.fileno())
    except grpc.aio.AioRpcError as error:
        partial.unlink(missing_ok=True)
        raise UnavailableError(
            f"downloading {name}: {error.code().name} {error.details()}",
            reason=Reason.REGISTRY_UNAVAILABLE,
        ) from error
    if digest.hexdigest() != sha256:
        partial.unlink(missing_ok=True)
        raise UnavailableError(
            f"downloaded {name} does not match its SHA-256", reason=Reason.ARTIFACT_CORRUPT
        )
    return cache.commit(partial, sha256)
