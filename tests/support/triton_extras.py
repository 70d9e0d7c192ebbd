"""Runs in its own process (tritonclient registers the `inference` protos too): what a Triton
user calls besides ModelInfer, against a serving endpoint, printed as JSON: the repository
index and each listed name's readiness and answer, the model configuration, a stream of
pipelined requests (one of them to a model that is not served), and the statistics.

Usage: python triton_extras.py ADDRESS TOKEN ADMIN_TOKEN MODEL ROWS.json
"""

from __future__ import annotations

import json
import queue
import sys
from typing import Any

import numpy as np
import tritonclient.grpc as triton

STREAMED = 6  # requests sent on the stream to MODEL, besides one to a missing model


def matrix(rows: Any) -> triton.InferInput:
    tensor = triton.InferInput("input-0", list(rows.shape), "FP64")
    tensor.set_data_from_numpy(rows)
    return tensor


def main() -> None:
    address, token, admin_token, model, rows_file = sys.argv[1:6]
    headers = {"authorization": f"Bearer {token}"}
    rows = np.asarray(json.loads(open(rows_file).read()), dtype=np.float64)  # noqa: SIM115
    client = triton.InferenceServerClient(url=address)
    out: dict[str, Any] = {}

    index = client.get_model_repository_index(
        headers={"authorization": f"Bearer {admin_token}"}, as_json=True
    )
    out["index"] = []
    for entry in index.get("models", []):
        name = entry["name"]
        result = client.infer(name, [matrix(rows)], headers=headers)
        out["index"].append(
            {
                "name": name,
                "version": entry.get("version", ""),
                "ready": client.is_model_ready(name, headers=headers),
                "answered_by": result.get_response().model_version,
                "metadata_name": client.get_model_metadata(name, headers=headers).name,
            }
        )

    out["config"] = client.get_model_config(model, headers=headers, as_json=True)["config"]

    answers: queue.Queue[tuple[Any, Any]] = queue.Queue()
    client.start_stream(
        callback=lambda result, error: answers.put((result, error)), headers=headers
    )
    for i in range(STREAMED):
        client.async_stream_infer(model, [matrix(rows[i : i + 1])], request_id=f"s{i}")
    client.async_stream_infer("no-such-model", [matrix(rows[:1])], request_id="missing")
    streamed = []
    for _ in range(STREAMED + 1):
        result, error = answers.get(timeout=30)
        if error is not None:
            streamed.append({"error": error.message()})
        else:
            streamed.append(
                {
                    "id": result.get_response().id,
                    "predict": result.as_numpy("predict").tolist(),
                }
            )
    client.stop_stream()
    out["stream"] = streamed

    out["statistics"] = client.get_inference_statistics(model, headers=headers, as_json=True)
    out["all_statistics"] = client.get_inference_statistics(headers=headers, as_json=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
