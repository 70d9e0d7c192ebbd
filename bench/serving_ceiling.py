"""The no-model ceiling of `bench/serving.py`: the least a Python `grpc.aio` server can do for an
Open Inference Protocol `ModelInfer` call.

It is not meant to be run by hand: `bench/serving.py` starts it as

    python serving_ceiling.py READY_FILE

It listens on 127.0.0.1 (a port the system picks), writes `{"grpc_address": ...}` to READY_FILE
and serves until SIGTERM. Its `ModelInfer` lets gRPC parse the request (the same generated
message classes as Slipway's server) and answers a fixed small response (one INT64 `predict`
value, raw), without looking at the inputs, with no interceptors, auth, logging or model. Every
other method of the service answers UNIMPLEMENTED.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import grpc

from slipway.inference.v2 import grpc_service_pb2 as pb
from slipway.inference.v2 import grpc_service_pb2_grpc as pb_grpc

MiB = 1 << 20


def _answer() -> pb.ModelInferResponse:
    response = pb.ModelInferResponse(model_name="ceiling", model_version="1", id="ceiling")
    response.outputs.add(name="predict", datatype="INT64", shape=[1])
    response.raw_output_contents.append((0).to_bytes(8, "little"))
    return response


class CeilingServicer(pb_grpc.GRPCInferenceServiceServicer):
    def __init__(self) -> None:
        self._answer = _answer()

    async def ModelInfer(
        self, request: pb.ModelInferRequest, context: Any
    ) -> pb.ModelInferResponse:
        return self._answer

    async def ServerReady(
        self, request: pb.ServerReadyRequest, context: Any
    ) -> pb.ServerReadyResponse:
        return pb.ServerReadyResponse(ready=True)


async def serve(ready_file: Path) -> None:
    server = grpc.aio.server(
        options=[
            ("grpc.max_receive_message_length", 64 * MiB),
            ("grpc.max_send_message_length", 64 * MiB),
            ("grpc.so_reuseport", 0),
        ]
    )
    pb_grpc.add_GRPCInferenceServiceServicer_to_server(CeilingServicer(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    partial = ready_file.with_suffix(".tmp")
    partial.write_text(json.dumps({"grpc_address": f"127.0.0.1:{port}", "pid": os.getpid()}))
    partial.replace(ready_file)
    await stop.wait()
    await server.stop(1.0)


if __name__ == "__main__":
    asyncio.run(serve(Path(sys.argv[1])))
