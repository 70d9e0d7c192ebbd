"""One inference request as the domain sees it: plain rows in, plain answers out.

The request's tensors are read at the edge, but only once the domain has chosen the version to
answer with, because reading checks them against that version's signature (feature count and
order, categorical columns, whether NaN is accepted). So the domain hands the chosen model to an
:class:`InputReader` and gets numpy rows back; no protocol message enters it.

Every answered request is handed to a :class:`PredictionSink` (the prediction log to
monitoring, ``sinks/prediction_log.py``), with the role the version played for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import numpy.typing as npt

from slipway.ml.missing_values import MissingValueSupport
from slipway.services.serving.domain.batching import Batcher
from slipway.services.serving.domain.served import ServedModel, VersionInfo

Role = Literal["primary", "canary", "shadow"]
Answers = dict[str, npt.NDArray[Any]]


@dataclass
class Live:
    """A version in memory with its batcher."""

    served: ServedModel
    batcher: Batcher

    @property
    def info(self) -> VersionInfo:
        return self.served.info


@dataclass(frozen=True)
class Inputs:
    """A request's rows in the signature's column order, and the outputs it asks for."""

    rows: npt.NDArray[Any]
    outputs: list[str]


class InputReader(Protocol):
    """Reads a request's inputs for the version chosen to answer it; raises
    ``InvalidArgumentError`` when they do not fit its signature."""

    def __call__(self, served: ServedModel) -> Inputs: ...


@dataclass(frozen=True)
class Inference:
    """The answer to one request: which version gave it, and its outputs in request order."""

    request_id: str
    info: VersionInfo
    outputs: list[str]
    answers: Answers


@dataclass(frozen=True)
class ModelView:
    """What a model's metadata shows: the version a request would get, the version numbers
    loaded for it (candidate included), the outputs it can give, the backend answering, and
    which of its inputs may be missing (asked of the loaded model)."""

    info: VersionInfo
    versions: list[str]
    output_names: tuple[str, ...]
    backend: str = "sklearn"  # what answers: "onnx" or "sklearn"
    missing: MissingValueSupport = field(default_factory=MissingValueSupport)


class PredictionSink(Protocol):
    """Where answered requests go; ``record`` is on the response path: it never blocks and
    never raises."""

    def record(
        self,
        info: VersionInfo,
        *,
        alias: str,
        role: Role,
        request_id: str,
        rows: npt.NDArray[Any],
        answers: Answers,
    ) -> None: ...


# (model, primary, shadow, primary's answers, shadow's answers): told after each shadow scoring
ShadowListener = Callable[[str, Live, Live, dict[str, Any], dict[str, Any]], None]
