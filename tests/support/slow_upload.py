"""A client process that uploads a model version slowly, for tests that kill it mid-upload.

Run as a script::

    python tests/support/slow_upload.py ADDRESS TOKEN PARENT FILE

It sends the metadata (with the file's real SHA-256) and the file's first chunk, prints
``streaming`` and then sends one small chunk per second, so that the upload outlives any test
that kills the process. It imports only grpc and the generated API: it starts fast.
"""

from __future__ import annotations

import asyncio
import hashlib
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import grpc

from slipway.registry.v1 import artifact_pb2, model_version_pb2
from slipway.registry.v1 import registry_service_pb2 as pb
from slipway.registry.v1 import registry_service_pb2_grpc as pb_grpc

FIRST_CHUNK = 1024
LATER_CHUNK = 16
PAUSE_SECONDS = 1.0


async def requests(parent: str, data: bytes) -> AsyncIterator[pb.CreateModelVersionRequest]:
    spec = model_version_pb2.ModelVersion(
        artifact=artifact_pb2.Artifact(
            sha256=hashlib.sha256(data).hexdigest(), format=artifact_pb2.ARTIFACT_FORMAT_SKOPS
        )
    )
    yield pb.CreateModelVersionRequest(
        metadata=pb.CreateModelVersionMetadata(parent=parent, model_version=spec)
    )
    yield pb.CreateModelVersionRequest(
        chunk=pb.ArtifactChunk(
            artifact_kind=artifact_pb2.ARTIFACT_KIND_MODEL, data=data[:FIRST_CHUNK]
        )
    )
    print("streaming", flush=True)
    for offset in range(FIRST_CHUNK, len(data), LATER_CHUNK):
        await asyncio.sleep(PAUSE_SECONDS)
        yield pb.CreateModelVersionRequest(
            chunk=pb.ArtifactChunk(
                artifact_kind=artifact_pb2.ARTIFACT_KIND_MODEL,
                data=data[offset : offset + LATER_CHUNK],
            )
        )


async def main(address: str, token: str, parent: str, data: bytes) -> int:
    async with grpc.aio.insecure_channel(address) as channel:
        stub = pb_grpc.RegistryServiceStub(channel)
        await stub.CreateModelVersion(
            requests(parent, data), metadata=(("authorization", f"Bearer {token}"),)
        )
    return 0


if __name__ == "__main__":
    address_arg, token_arg, parent_arg, file_arg = sys.argv[1:5]
    sys.exit(asyncio.run(main(address_arg, token_arg, parent_arg, Path(file_arg).read_bytes())))
