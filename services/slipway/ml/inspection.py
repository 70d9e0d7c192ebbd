"""Model files inspected in a child process with a memory and a time limit.

``model_files`` refuses a zip that would unpack beyond its ``ArchiveLimits`` before decompressing
anything, but reading a file still means parsing JSON and building skops' tree of it, which an
uploaded file controls. The registry therefore never reads an uploaded model itself: a long-lived
child (``python -m slipway.ml.inspection``) does, under ``RLIMIT_AS`` (its address space after its
imports, plus ``memory_bytes``), and is killed when one file takes longer than ``seconds``. A file
that slips past the caps then costs the child, never the registry; the next inspection starts a
new child. Inspections run one at a time, so the limit bounds their total too.

Parent and child speak one JSON line each way per file.
"""

from __future__ import annotations

import json
import os
import resource
import select
import subprocess
import sys
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

from slipway.core.errors import InvalidArgumentError, SlipwayError
from slipway.core.logs import get_logger
from slipway.core.reasons import Reason
from slipway.ml import model_files
from slipway.ml.model_files import ArchiveLimits, ModelFileFacts

__all__ = ["InspectionLimitError", "InspectionSandbox"]

_log = get_logger(__name__)
_REPLY_BYTES = 1024 * 1024  # a reply lists at most the file's types: far below this
_START_SECONDS = 120.0  # importing scikit-learn on a loaded machine


class InspectionLimitError(InvalidArgumentError):
    """Inspecting a model file took more memory or time than the sandbox allows."""

    default_reason = Reason.INSPECTION_LIMIT_EXCEEDED


class InspectionSandbox:
    """Runs ``model_files.inspect_model_file`` in a child process with a memory and time limit."""

    def __init__(self, *, limits: ArchiveLimits, memory_bytes: int, seconds: float) -> None:
        self._limits = limits
        self._memory_bytes = memory_bytes
        self._seconds = seconds
        self._lock = threading.Lock()
        self._child: subprocess.Popen[bytes] | None = None
        self._ready = False

    def inspect(self, path: Path, fmt: str, *, allow_pickle: bool = False) -> ModelFileFacts:
        """``inspect_model_file`` on ``path``, in the child; ``InspectionLimitError`` when the
        child runs out of memory or time (it is then replaced)."""
        with self._lock:
            child = self._started()
            assert child.stdin is not None
            assert child.stdout is not None
            request = {"path": str(path), "format": fmt, "allow_pickle": allow_pickle}
            started = time.monotonic()
            try:
                child.stdin.write(json.dumps(request).encode() + b"\n")
                child.stdin.flush()
                reply = _read_line(child.stdout, self._seconds)
            except (OSError, TimeoutError, EOFError) as exc:
                self._stop()
                timed_out = isinstance(exc, TimeoutError)
                _log.warning(
                    "model file inspection exceeded its limits",
                    path=str(path),
                    seconds=round(time.monotonic() - started, 3),
                    timed_out=timed_out,
                )
                raise InspectionLimitError(
                    "the model file is refused: inspecting it took more than "
                    + (f"{self._seconds:g} seconds" if timed_out else "the memory it may use"),
                    metadata={"limit": "seconds" if timed_out else "memory_bytes"},
                ) from None
        return _facts(json.loads(reply))

    def close(self) -> None:
        with self._lock:
            self._stop()

    def start(self) -> None:
        """Start the child now, without waiting for it: its imports take seconds, which the
        first upload should not wait for."""
        with self._lock:
            if self._child is None:
                self._spawn()

    def _spawn(self) -> None:
        env = dict(os.environ)
        # One thread: the numeric libraries reserve address space per thread.
        env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
        config = {"limits": asdict(self._limits), "memory_bytes": self._memory_bytes}
        self._child = subprocess.Popen(  # our own interpreter and module
            [sys.executable, "-m", "slipway.ml.inspection", json.dumps(config)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        self._ready = False

    def _started(self) -> subprocess.Popen[bytes]:
        if self._child is None or self._child.poll() is not None:
            self._stop()
            self._spawn()
        child = self._child
        assert child is not None
        assert child.stdout is not None
        if not self._ready:
            try:
                _read_line(child.stdout, _START_SECONDS)  # "ready", once its limit is set
            except (TimeoutError, EOFError):
                self._stop()
                raise RuntimeError("the model inspection process did not start") from None
            self._ready = True
        return child

    def _stop(self) -> None:
        child, self._child = self._child, None
        if child is not None:
            child.kill()
            child.wait()
            for stream in (child.stdin, child.stdout):
                if stream is not None:
                    stream.close()


def _read_line(stream: IO[bytes], seconds: float) -> bytes:
    """One line from the child within ``seconds``: ``TimeoutError``, or ``EOFError`` if the
    child died (the kernel refused it memory, or it crashed)."""
    deadline = time.monotonic() + seconds
    fd = stream.fileno()
    parts: list[bytes] = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise TimeoutError
        part = os.read(fd, 65536)
        if not part:
            raise EOFError
        parts.append(part)
        if part.endswith(b"\n"):
            return b"".join(parts)
        if sum(map(len, parts)) > _REPLY_BYTES:
            raise EOFError


def _facts(reply: dict[str, Any]) -> ModelFileFacts:
    if (error := reply.get("error")) is not None:
        raise _ERRORS.get(error["kind"], model_files.MalformedArtifactError)(
            error["message"], reason=Reason[error["reason"]], metadata=error["metadata"]
        )
    return ModelFileFacts(tuple(reply["untrusted"]), tuple(reply["sklearn_versions"]))


_ERRORS: dict[str, type[SlipwayError]] = {
    cls.__name__: cls
    for cls in (
        model_files.ArtifactLimitError,
        model_files.MalformedArtifactError,
        model_files.UnsafeArtifactError,
        model_files.IncompatibleArtifactError,
        InvalidArgumentError,
        InspectionLimitError,
    )
}


# --- the child ---------------------------------------------------------------------------------


def _address_space() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return 0


def _answer(request: dict[str, Any], limits: ArchiveLimits) -> dict[str, Any]:
    try:
        facts = model_files.inspect_model_file(
            Path(request["path"]),
            request["format"],
            allow_pickle=bool(request.get("allow_pickle")),
            limits=limits,
        )
    except SlipwayError as exc:
        kind = type(exc).__name__ if type(exc).__name__ in _ERRORS else "MalformedArtifactError"
        return {
            "error": {
                "kind": kind,
                "message": str(exc),
                "reason": exc.reason,
                "metadata": exc.metadata,
            }
        }
    return {"untrusted": list(facts.untrusted), "sklearn_versions": list(facts.sklearn_versions)}


def _serve(config: dict[str, Any]) -> None:
    limits = ArchiveLimits(**config["limits"])
    # The budget comes on top of what the imports already mapped.
    limit = _address_space() + int(config["memory_bytes"])
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    # Replies go to the original stdout; anything else printing there (a log line, a library's
    # warning) is sent to stderr instead, so it cannot break the protocol.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    out.write(b'"ready"\n')
    out.flush()
    for line in sys.stdin.buffer:
        try:
            reply = _answer(json.loads(line), limits)
        except MemoryError:
            return  # the parent sees the pipe close and refuses the file
        out.write(json.dumps(reply).encode() + b"\n")
        out.flush()


if __name__ == "__main__":
    _serve(json.loads(sys.argv[1]))
