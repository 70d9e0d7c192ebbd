"""Any Open Inference Protocol client works: tritonclient's own gRPC client against Slipway
serving (in a child process: it registers the same proto package as ours)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_iris

from support.serving import Serving, Trained

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

SCRIPT = Path(__file__).parents[2] / "support" / "triton_client.py"


async def test_tritonclient_reads_metadata_and_infers_with_raw_fp32_and_fp64(
    serving: Serving, iris_models: list[Trained], tokens: dict[str, str], tmp_path: Path
) -> None:
    rows = load_iris().data[::6]
    rows_file = tmp_path / "rows.json"
    rows_file.write_text(json.dumps(rows.tolist()))
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, str(SCRIPT), serving.address, tokens["service"], "iris", str(rows_file)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert got["live"]
    assert got["ready"]
    assert got["model_ready"]
    assert [name for name, _ in got["inputs"]] == load_iris().feature_names
    assert got["outputs"] == [["predict", "INT64", [-1]], ["predict_proba", "FP64", [-1, 3]]]
    model = iris_models[0].model()
    for datatype, dtype in (("FP32", np.float32), ("FP64", np.float64)):
        seen = rows.astype(dtype).astype(np.float64)
        assert got[datatype]["predict"] == model.predict(seen).tolist()
        assert np.allclose(got[datatype]["predict_proba"], model.predict_proba(seen))
        assert got[datatype]["model_version"] == "1"
        assert got[datatype]["id"] == f"triton-{datatype}"
    assert got["unknown_model_status"] == "StatusCode.NOT_FOUND"
