"""The repository extension's load parameters that Slipway reads.

``reason`` (a ``string_param``): why the model is loaded or unloaded; kept with the stored
decision and on its audit event. Other parameters are ignored, as Triton ignores the ones a
backend does not know.
"""

from __future__ import annotations

from collections.abc import Mapping

from slipway.core.errors import InvalidArgumentError
from slipway.core.reasons import Reason
from slipway.inference.v2 import grpc_service_pb2 as pb

REASON = "reason"
MAX_REASON_CHARS = 1024


def reason_parameter(parameters: Mapping[str, pb.ModelRepositoryParameter]) -> str:
    """The ``reason`` parameter, or "" when absent."""
    parameter = parameters.get(REASON)
    if parameter is None:
        return ""
    if parameter.WhichOneof("parameter_choice") != "string_param":
        raise InvalidArgumentError.for_field(
            f"parameters[{REASON}]", "must be a string_param", reason=Reason.INVALID_ARGUMENT
        )
    text = parameter.string_param
    if len(text) > MAX_REASON_CHARS:
        raise InvalidArgumentError.for_field(
            f"parameters[{REASON}]",
            f"at most {MAX_REASON_CHARS} characters",
            reason=Reason.INVALID_ARGUMENT,
        )
    return text
