"""The blocking InferenceClient against real serving: numpy in and out matching the model's own
predict and predict_proba (matrix or per-feature columns, any numeric dtype), metadata and
readiness, and typed errors naming the wrong input."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from sklearn.datasets import load_iris

from slipway import client
from support.registry import SQLITE_ONLY
from support.serving import Serving, Trained

pytestmark = SQLITE_ONLY


async def test_predictions_match_the_model(serving: Serving, iris_model: Trained, connect_as):
    model = iris_model.model()
    rows = load_iris().data[::7]
    suite = connect_as({"serving": serving.address})

    def scenario() -> None:
        outputs = suite.inference.predict("iris", rows)
        assert sorted(outputs) == ["predict", "predict_proba"]
        np.testing.assert_array_equal(outputs["predict"], model.predict(rows))
        np.testing.assert_allclose(outputs["predict_proba"], model.predict_proba(rows), rtol=1e-12)
        assert outputs["predict_proba"].shape == (len(rows), 3)

        answer = suite.inference.infer(
            "iris", rows.astype(np.float32), outputs=["predict"], request_id="batch-1"
        )
        assert list(answer.outputs) == ["predict"]
        np.testing.assert_array_equal(
            answer.outputs["predict"], model.predict(rows.astype(np.float32))
        )
        assert answer.model_version == "1"
        assert answer.id == "batch-1"

        metadata = suite.inference.model_metadata("iris")
        names = [tensor.name for tensor in metadata.inputs]
        assert len(names) == rows.shape[1]
        columns = {name: rows[:, j] for j, name in enumerate(names)}
        by_column = suite.inference.infer("iris", columns, version="1")
        np.testing.assert_allclose(
            by_column.outputs["predict_proba"], model.predict_proba(rows), rtol=1e-12
        )
        assert by_column.class_labels["predict_proba"] == [int(c) for c in model.classes_]

        ints = suite.inference.predict(
            "iris", np.rint(rows).astype(np.int64), outputs=("predict", "predict_proba")
        )
        np.testing.assert_array_equal(ints["predict"], model.predict(np.rint(rows)))

    await asyncio.to_thread(scenario)


async def test_health_and_errors(serving: Serving, connect_as):
    suite = connect_as({"serving": serving.address}, role="viewer")

    def scenario() -> None:
        assert suite.inference.server_live()
        assert suite.inference.server_ready()
        assert suite.inference.model_ready("iris")
        with pytest.raises(client.NotFound):
            suite.inference.predict("nope", np.zeros((1, 4)))
        with pytest.raises(client.InvalidArgument) as wrong:
            suite.inference.predict("iris", np.zeros((2, 3)))
        assert wrong.value.reason == "WRONG_FEATURE_COUNT"
        assert [v.field for v in wrong.value.field_violations] == ["inputs[0] (input-0)"]
        with pytest.raises(client.InvalidArgument) as unknown:
            suite.inference.predict("iris", np.zeros((1, 4)), outputs=["decision_function"])
        assert unknown.value.reason == "UNKNOWN_OUTPUT"
        with pytest.raises(ValueError, match=r"\[N, F\] matrix"):
            suite.inference.predict("iris", np.zeros(4))

    await asyncio.to_thread(scenario)
