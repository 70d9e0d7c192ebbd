"""The load generator of `bench/serving.py`: one process that sends Open Inference Protocol
`ModelInfer` calls to one server at a time, as told on its standard input.

It is not meant to be run by hand. `bench/serving.py` starts one (or a few) of these next to the
servers, so the client's CPU is never charged to a server, and writes one JSON command per line:

    {"target": "127.0.0.1:PORT", "request_file": "...", "metadata": [["authorization", "..."]],
     "concurrency": 32, "warmup_count": 200, "warmup_seconds": 1.0,
     "count": 20000, "seconds": 5.0}

The request is a serialised `ModelInferRequest` read from `request_file` and sent as bytes, and
responses are not parsed (the benchmark checks the answers of every server before it measures),
so the client spends its time in gRPC, not in protobuf. `concurrency` coroutines share one
channel (one HTTP/2 connection); each sends its next call when the previous one answered. After
the warm-up (bounded by count and time) it prints `{"phase": "measuring"}`, then measures up to
`count` calls or `seconds`, whichever ends first, and prints one JSON line with every latency in
ms, the errors by status code, the wall time and the CPU time it used. An empty line or the end
of its input ends it.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import grpc

METHOD = "/inference.GRPCInferenceService/ModelInfer"
CALL_TIMEOUT = 60.0
MiB = 1 << 20
CONNECT_TIMEOUT = 30.0


class Budget:
    """Calls left and the time they must start by, shared by the coroutines of one phase."""

    def __init__(self, count: int, seconds: float) -> None:
        self.left = count
        self.stop = time.monotonic() + seconds

    def take(self) -> bool:
        if self.left <= 0 or time.monotonic() >= self.stop:
            return False
        self.left -= 1
        return True


async def _phase(
    call: Any,
    request: bytes,
    metadata: tuple[tuple[str, str], ...],
    concurrency: int,
    budget: Budget,
    latencies: list[float] | None,
    codes: dict[str, int],
    first_error: list[str],
) -> int:
    done = 0

    async def client() -> None:
        nonlocal done
        while budget.take():
            began = time.perf_counter()
            try:
                await call(request, metadata=metadata, timeout=CALL_TIMEOUT)
            except grpc.aio.AioRpcError as error:
                name = error.code().name
                codes[name] = codes.get(name, 0) + 1
                if not first_error:
                    first_error.append(f"{name}: {error.details()}"[:300])
            else:
                done += 1
            if latencies is not None:
                latencies.append((time.perf_counter() - began) * 1000.0)

    await asyncio.gather(*(client() for _ in range(concurrency)))
    return done


def announce(state: dict[str, bool]) -> None:
    """Say (once per command) that the warm-up is over and the measurement starts."""
    if not state.get("announced"):
        state["announced"] = True
        print(json.dumps({"phase": "measuring"}), flush=True)


async def run(command: dict[str, Any], request: bytes, state: dict[str, bool]) -> dict[str, Any]:
    metadata = tuple((str(k), str(v)) for k, v in command["metadata"])
    options = [
        ("grpc.max_receive_message_length", 64 * MiB),
        ("grpc.max_send_message_length", 64 * MiB),
    ]
    async with grpc.aio.insecure_channel(command["target"], options=options) as channel:
        await asyncio.wait_for(channel.channel_ready(), CONNECT_TIMEOUT)
        # No serialisers: the request goes out as the bytes given, the reply stays bytes.
        call: Any = channel.unary_unary(METHOD)
        concurrency = int(command["concurrency"])
        codes: dict[str, int] = {}
        first_error: list[str] = []
        warmed = await _phase(
            call,
            request,
            metadata,
            concurrency,
            Budget(int(command["warmup_count"]), float(command["warmup_seconds"])),
            None,
            {},
            first_error,
        )
        announce(state)
        latencies: list[float] = []
        cpu = time.process_time()
        began = time.perf_counter()
        completed = await _phase(
            call,
            request,
            metadata,
            concurrency,
            Budget(int(command["count"]), float(command["seconds"])),
            latencies,
            codes,
            first_error,
        )
        wall = time.perf_counter() - began
        cpu = time.process_time() - cpu
    return {
        "latencies_ms": [round(x, 4) for x in latencies],
        "completed": completed,
        "errors": sum(codes.values()),
        "codes": codes,
        "wall": wall,
        "cpu": cpu,
        "warmup_completed": warmed,
        "first_error": first_error[0] if first_error else "",
    }


def main() -> int:
    for line in sys.stdin:
        if not line.strip():
            break
        state: dict[str, bool] = {}
        try:
            command = json.loads(line)
            request = Path(command["request_file"]).read_bytes()
            result = asyncio.run(run(command, request, state))
        except Exception as exc:  # reported to the benchmark, which stops and says why
            result = {"failed": f"{type(exc).__name__}: {exc}"[:500]}
            announce(state)
        print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
