"""Runs in its own process (tritonclient registers the `inference` protos too, which clash with
ours in one process): calls a serving endpoint the way a Triton user would and prints what it
got as JSON.

Usage: python triton_client.py ADDRESS TOKEN MODEL ROWS.json
"""

from __future__ import annotations

import json
import sys

import numpy as np
import tritonclient.grpc as triton


def main() -> None:
    address, token, model, rows_file = sys.argv[1:5]
    headers = {"authorization": f"Bearer {token}"}
    rows = np.asarray(json.loads(open(rows_file).read()))  # noqa: SIM115
    client = triton.InferenceServerClient(url=address)
    out: dict[str, object] = {
        "live": client.is_server_live(headers=headers),
        "ready": client.is_server_ready(headers=headers),
        "model_ready": client.is_model_ready(model, headers=headers),
    }
    meta = client.get_model_metadata(model, headers=headers, as_json=True)
    out["inputs"] = [(i["name"], i["datatype"]) for i in meta["inputs"]]
    out["outputs"] = [
        (o["name"], o["datatype"], [int(d) for d in o["shape"]]) for o in meta["outputs"]
    ]
    for datatype, dtype in (("FP32", np.float32), ("FP64", np.float64)):
        tensor = triton.InferInput("input-0", list(rows.shape), datatype)
        tensor.set_data_from_numpy(rows.astype(dtype))
        wanted = [
            triton.InferRequestedOutput("predict"),
            triton.InferRequestedOutput("predict_proba"),
        ]
        result = client.infer(
            model, [tensor], outputs=wanted, headers=headers, request_id=f"triton-{datatype}"
        )
        response = result.get_response()
        out[datatype] = {
            "predict": result.as_numpy("predict").tolist(),
            "predict_proba": result.as_numpy("predict_proba").tolist(),
            "model_version": response.model_version,
            "id": response.id,
        }
    try:
        client.infer("no-such-model", [tensor], headers=headers)
    except triton.InferenceServerException as exc:
        out["unknown_model_status"] = exc.status()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
