"""Artifact files: a download written to disk only once its size and SHA-256 match the header
the registry sent first, and the upload stream of a new version."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from slipway.client.errors import DataLoss
from slipway.client.requests import model_name
from slipway.registry.v1 import artifact_pb2, model_version_pb2
from slipway.registry.v1 import registry_service_pb2 as pb

CHUNK_BYTES = 1024 * 1024
"""Bytes per upload message (the service's message size limit applies)."""

PathLike = str | os.PathLike[str]


class Download:
    """Writes one DownloadModelVersion stream to ``path`` through a ``.part`` file beside it.

    ``finish`` checks the bytes against the header and only then renames the part file to
    ``path``; on a mismatch, or ``abort``, the part file is removed and ``path`` is untouched.
    """

    def __init__(self, path: PathLike) -> None:
        self.path = Path(path)
        self.part = self.path.with_name(self.path.name + ".part")
        self.header: pb.DownloadHeader | None = None
        self._file: BinaryIO | None = None
        self._digest = hashlib.sha256()
        self._size = 0

    def accept(self, reply: pb.DownloadModelVersionResponse) -> None:
        """Take the next message of the stream."""
        if reply.HasField("header"):
            if self.header is not None:
                raise DataLoss("the download sent a second header", reason="BROKEN_DOWNLOAD")
            self.header = reply.header
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.part.open("wb")
            return
        if self._file is None:
            raise DataLoss("the download sent bytes before its header", reason="BROKEN_DOWNLOAD")
        self._file.write(reply.chunk)
        self._digest.update(reply.chunk)
        self._size += len(reply.chunk)

    def finish(self) -> pb.DownloadHeader:
        """Check size and SHA-256 and move the file into place; DataLoss when they differ."""
        self._close()
        header = self.header
        if header is None:
            raise DataLoss("the download ended without a header", reason="BROKEN_DOWNLOAD")
        expected = header.artifact
        digest = self._digest.hexdigest()
        if self._size != expected.size_bytes or digest != expected.sha256:
            self.abort()
            raise DataLoss(
                f"{header.model_version}: received {self._size} bytes with SHA-256 {digest}; "
                f"the registry declared {expected.size_bytes} bytes with SHA-256 "
                f"{expected.sha256}",
                reason="ARTIFACT_CHECKSUM_MISMATCH",
                metadata={"resource": header.model_version},
            )
        self.part.replace(self.path)
        return header

    def abort(self) -> None:
        """Drop what was received."""
        self._close()
        self.part.unlink(missing_ok=True)

    def _close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def file_digest(path: PathLike) -> tuple[str, int]:
    """A file's SHA-256 (hex) and size."""
    digest = hashlib.sha256()
    size = 0
    with Path(path).open("rb") as handle:
        while block := handle.read(CHUNK_BYTES):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def _declare(
    artifact: artifact_pb2.Artifact,
    path: PathLike,
    default_format: artifact_pb2.ArtifactFormat.ValueType,
) -> None:
    artifact.sha256, artifact.size_bytes = file_digest(path)
    if not artifact.format:
        artifact.format = default_format


def upload_metadata(
    model: str,
    model_file: PathLike,
    version: model_version_pb2.ModelVersion | None,
    *,
    sample_file: PathLike | None,
    create_model: bool,
    key: str,
) -> pb.CreateModelVersionMetadata:
    """The first message of an upload: ``version`` with the files' SHA-256 and sizes filled in
    (format default skops for the model, npz for the reference sample)."""
    spec = model_version_pb2.ModelVersion()
    if version is not None:
        spec.CopyFrom(version)
    _declare(spec.artifact, model_file, artifact_pb2.ARTIFACT_FORMAT_SKOPS)
    if sample_file is not None:
        _declare(spec.reference_profile.sample, sample_file, artifact_pb2.ARTIFACT_FORMAT_NPZ)
    return pb.CreateModelVersionMetadata(
        parent=model_name(model), model_version=spec, create_model=create_model, request_id=key
    )


def upload_requests(
    metadata: pb.CreateModelVersionMetadata, model_file: PathLike, sample_file: PathLike | None
) -> Iterator[pb.CreateModelVersionRequest]:
    """The CreateModelVersion stream: the metadata, then each file's bytes in chunks."""
    yield pb.CreateModelVersionRequest(metadata=metadata)
    files = [(artifact_pb2.ARTIFACT_KIND_MODEL, model_file)]
    if sample_file is not None:
        files.append((artifact_pb2.ARTIFACT_KIND_REFERENCE_SAMPLE, sample_file))
    for kind, path in files:
        with Path(path).open("rb") as handle:
            while block := handle.read(CHUNK_BYTES):
                yield pb.CreateModelVersionRequest(
                    chunk=pb.ArtifactChunk(artifact_kind=kind, data=block)
                )
