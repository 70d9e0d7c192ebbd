"""How registration classifies a failed registry call: a broken connection is an outage, an
answer of the registry's (it always carries an ErrorInfo) is judged by its reason."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2

from slipway.services.training.worker.registration import Verdict, error_reason, verdict

Code = grpc.StatusCode


def failed_call(code: grpc.StatusCode, details: str, reason: str | None) -> grpc.aio.AioRpcError:
    """An error as the client sees it: with the registry's ErrorInfo, or none (transport)."""
    trailing = grpc.aio.Metadata()
    if reason is not None:
        info = any_pb2.Any()
        info.Pack(error_details_pb2.ErrorInfo(reason=reason, domain="slipway"))
        status = status_pb2.Status(code=code.value[0], message=details, details=[info])
        trailing.add("grpc-status-details-bin", status.SerializeToString())
    return grpc.aio.AioRpcError(code, grpc.aio.Metadata(), trailing, details=details)


@pytest.mark.parametrize(
    ("code", "details"),
    [
        (Code.INTERNAL, "Internal error from Core"),
        (Code.UNAVAILABLE, "Socket closed"),
        (Code.UNAVAILABLE, "Connection reset by peer"),
        (Code.CANCELLED, "Received RST_STREAM with error code 8"),
        (Code.DEADLINE_EXCEEDED, "Deadline Exceeded"),
    ],
)
def test_a_broken_connection_is_an_outage(code: grpc.StatusCode, details: str) -> None:
    error = failed_call(code, details, None)
    assert error_reason(error) is None
    assert verdict(error.code(), error_reason(error)) is Verdict.RETRY


@pytest.mark.parametrize(
    ("code", "reason", "expected"),
    [
        # The registry's own INTERNAL (an unexpected error on its side) is its answer.
        (Code.INTERNAL, "INTERNAL", Verdict.REJECTED),
        (Code.INVALID_ARGUMENT, "SHA256_MISMATCH", Verdict.REJECTED),
        (Code.FAILED_PRECONDITION, "UNTRUSTED_TYPES", Verdict.REJECTED),
        (Code.PERMISSION_DENIED, "PERMISSION_DENIED", Verdict.REJECTED),
        (Code.FAILED_PRECONDITION, "REQUEST_FAILED", Verdict.NEW_KEY),
        # What the registry sends for an earlier upload of the same request still PENDING.
        (Code.ABORTED, "UPLOAD_IN_PROGRESS", Verdict.RETRY),
        (Code.FAILED_PRECONDITION, "UPLOAD_IN_PROGRESS", Verdict.RETRY),
        (Code.ABORTED, "DUPLICATE_REQUEST", Verdict.RETRY),
        # The upload left PENDING meanwhile (swept, or taken over): the replay tells what now.
        (Code.FAILED_PRECONDITION, "UPLOAD_EXPIRED", Verdict.RETRY),
        (Code.UNAVAILABLE, "UNAVAILABLE", Verdict.RETRY),
    ],
)
def test_an_answer_of_the_registry_is_judged_by_its_reason(
    code: grpc.StatusCode, reason: str, expected: Verdict
) -> None:
    error = failed_call(code, "from the registry", reason)
    assert error_reason(error) == reason
    assert verdict(error.code(), error_reason(error)) is expected


def test_a_transport_failure_with_another_code_is_still_a_refusal() -> None:
    # No ErrorInfo, but nothing suggests a broken connection either (e.g. a proxy's answer).
    error = failed_call(Code.UNAUTHENTICATED, "no credentials", None)
    assert verdict(error.code(), error_reason(error)) is Verdict.REJECTED
