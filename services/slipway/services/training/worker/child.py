"""The child process that runs one training attempt, and how its supervisor starts and stops it.

The fit runs in its own process so that a cancel or a timeout can stop it at once (scikit-learn
cannot be interrupted inside a fit) and so that a crash or an out-of-memory kill takes down one
attempt, not the service. Children come from a fork server that imported scikit-learn once, so
starting one costs milliseconds, and none is forked from the multi-threaded gRPC process.

The child makes itself a process-group leader: killing the group also stops the worker
processes a parallel search started. It watches a life-line pipe from its supervisor and exits
when that closes, so a supervisor killed with SIGKILL leaves no fit running on.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import threading
from dataclasses import asdict
from multiprocessing import forkserver
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from slipway.ml.table_limits import DEFAULT_TABLE_LIMITS
from slipway.ml.table_limits import TableLimits as DatasetLimits
from slipway.services.training.engine.outcome import Progress, TrainingFailed

Message = tuple[Any, ...]  # ("progress", dict) | ("done", TrainingOutcome) | ("failed", ...)

_CONTEXT: ForkServerContext | None = None


def _context() -> ForkServerContext:
    global _CONTEXT
    if _CONTEXT is None:
        context = multiprocessing.get_context("forkserver")
        assert isinstance(context, ForkServerContext)
        # Imported once in the fork server; every child starts with them loaded. A child also
        # re-imports the parent's main module (multiprocessing's rule): preloading it too
        # saves each fit about 0.4 s of importing the whole command-line tool again.
        preload = ["slipway.services.training.worker.child", "slipway.services.training.engine.run"]
        main_spec = getattr(sys.modules.get("__main__"), "__spec__", None)
        if main_spec is not None and main_spec.name:
            preload.append(main_spec.name)
        context.set_forkserver_preload(preload)
        _CONTEXT = context
    return _CONTEXT


def warm_up() -> None:
    """Start the fork server now (it imports scikit-learn, about two seconds), so that the
    first job does not wait for it."""
    _context()
    forkserver.ensure_running()


def _exit_when_orphaned(lifeline: Connection) -> None:
    with contextlib.suppress(EOFError, OSError):
        lifeline.recv()  # nothing is ever sent: this returns only when the supervisor is gone
    os._exit(70)


def _main(
    spec_json: str,
    data_root: str,
    out_dir: str,
    results: Connection,
    lifeline: Connection,
    limits: DatasetLimits,
    sample_rows: int,
) -> None:
    os.setsid()
    threading.Thread(target=_exit_when_orphaned, args=(lifeline,), daemon=True).start()
    from slipway.services.training.engine.run import train
    from slipway.services.training.engine.spec import JobSpec

    def report(progress: Progress) -> None:
        results.send(("progress", asdict(progress)))

    try:
        outcome = train(
            JobSpec.from_json(spec_json),
            data_root=Path(data_root),
            out_dir=Path(out_dir),
            progress=report,
            limits=limits,
            sample_rows=sample_rows,
        )
    except TrainingFailed as exc:
        results.send(("failed", exc.category, exc.message[:2000], exc.retryable))
    except MemoryError:
        results.send(("failed", "bad_data", "the training process ran out of memory", False))
    except Exception as exc:  # reported as INTERNAL with its type; the supervisor logs it
        results.send(("failed", "internal", f"{type(exc).__name__}: {exc}"[:2000], False))
    else:
        results.send(("done", outcome))
    results.close()


class TrainingProcess:
    """One running attempt, seen from its supervisor."""

    def __init__(
        self,
        spec_json: str,
        *,
        data_root: Path,
        out_dir: Path,
        limits: DatasetLimits = DEFAULT_TABLE_LIMITS,
        sample_rows: int = 100_000,
    ) -> None:
        context = _context()
        self._results, child_results = context.Pipe(duplex=False)
        child_lifeline, self._lifeline = context.Pipe(duplex=False)
        self._process: BaseProcess = context.Process(
            target=_main,
            name="slipway-training-fit",
            daemon=False,
            args=(
                spec_json,
                str(data_root),
                str(out_dir),
                child_results,
                child_lifeline,
                limits,
                sample_rows,
            ),
        )
        self._process.start()
        child_results.close()
        child_lifeline.close()

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def messages(self) -> list[Message]:
        """Whatever the child sent since the last call, without waiting."""
        received: list[Message] = []
        try:
            while self._results.poll():
                received.append(self._results.recv())
        except (EOFError, OSError):
            pass
        return received

    @property
    def exit_code(self) -> int | None:
        return self._process.exitcode

    def is_alive(self) -> bool:
        return self._process.is_alive()

    def kill(self) -> None:
        """Stop the fit now, with every process it started."""
        pid = self._process.pid
        if pid is not None and self._process.exitcode is None:
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                self._process.kill()  # not yet its own group leader
        self._process.join(timeout=5)

    def close(self) -> None:
        if self._process.exitcode is None:
            self.kill()
        self._process.join(timeout=5)
        self._results.close()
        self._lifeline.close()
        self._process.close()
