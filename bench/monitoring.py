"""Monitoring benchmark: the drift report against Evidently 0.7.23, and prediction-log ingest.

**Drift report.** For each size n (`--sizes`, default 10k, 100k and 1M rows), a seeded reference
and current of n rows x 20 numeric float64 features each; the current has a few features
shifted. Slipway's full drift report is `stats.drift.dataset_drift(reference, current)` with the
default configuration (per feature: the value test, which with more than 1000 reference values is
the normed Wasserstein distance, the PSI and the missing-share test); Evidently's is
`Report([DataDriftPreset()]).run(current, reference)` with the preset's defaults, which choose the
normed Wasserstein distance for the same data. A small-reference case (1000 reference rows,
10,000 current rows) takes both to the Kolmogorov-Smirnov test. Each side runs in a process of
its own (`monitoring_drift_driver.py`; Evidently's in `.tools/bench-evidently`, installed on first
use by `evidently_env.py`), reading the same `.npy` files: the time covers the report only, after
one untimed warm-up report on the first rows; a report is run again (three runs at most) while
the runs so far say the next one ends within 10 s of the first one's start, and the median is
shown. Memory is the peak resident set during the
report over the resident set just before it. Agreement: each side's per-feature figure is
compared with the exact scipy value (`wasserstein_distance(ref, cur) / np.std(ref)`, or
`ks_2samp(ref, cur).pvalue`) and with the other side's, and their drift verdicts are counted.

**Ingest.** A monitoring service (the one `slipway monitoring` builds, with its embedded SQLite
database migrated in a temporary folder) runs in this process on a free loopback port. One
sender streams `IngestPredictionsRequest` batches of 500 records (serving's default batch),
one call per batch as serving's prediction log does, records shaped as serving builds them: 20
FP64 input tensors of one column each, `predict` (INT64) and `predict_proba` (FP64, two
columns), a unique request id per record and per batch. The batches are assembled from
pre-serialised records (only the request ids change), so the sender costs little of the
process's time. Measured with 1 row per record (serving logs one record per inference request),
8 and 64 (`--ingest-rows`), each for at most `--ingest-seconds` and 2000 batches, each case in a
process of its own; afterwards the stored records and the audit events (one per batch) are
counted. `--baseline REV` measures the same cases on another revision's code too (its
`services/` and `clients/python/` from `git archive`, this bench's sender), the two sides taking
turns case by case, and prints the ratio: on a machine shared with other work, figures taken
minutes apart are not comparable, a before and an after taken side by side are.

Run: `.venv/bin/python bench/monitoring.py` (about 4 minutes on 2 cores, most of it Evidently
at 1M rows; `--quick`: 10k rows and 3 s of ingest per case; `--skip-evidently`; `--ingest-only
--baseline main`: ingest before and after). Loopback only; it leaves nothing behind but
`.tools/bench-evidently`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import evidently_env
import grpc
import numpy as np
from google.protobuf.timestamp_pb2 import Timestamp
from scipy import stats
from sqlalchemy import func, select

from slipway.common.v1 import tensor_pb2
from slipway.core.audit.recorder import DatabaseEdgeAuditor
from slipway.core.audit.tables import AuditEventRow
from slipway.core.auth import add_token
from slipway.core.bootstrap import open_database
from slipway.core.db import Database
from slipway.core.logs import configure_logging
from slipway.core.server import SlipwayServer
from slipway.monitoring.v1 import monitoring_service_pb2 as pb
from slipway.monitoring.v1 import prediction_record_pb2
from slipway.services.monitoring import main as monitoring_main
from slipway.services.monitoring.settings import MonitoringSettings
from slipway.services.monitoring.storage.tables import PredictionRow

BENCH = Path(__file__).resolve().parent
DRIVER = BENCH / "monitoring_drift_driver.py"
FEATURES = 20
SHIFTED = {0: "mean +0.5 sd", 1: "sd x1.5", 2: "mean +0.05 sd", 3: "20% of rows +2 sd"}
SMALL_REFERENCE, SMALL_CURRENT = 1000, 10_000
REPEATS, REPEAT_BUDGET = 3, 10.0
DRIVER_TIMEOUT = 1800.0  # one side at one size; Evidently took about 2 minutes at 1M rows
AIM_RATIO = 20.0
AIM_ROWS_PER_SECOND = 50_000
TOLERANCE = 1e-9
RECORDS_PER_BATCH = 500
MAX_BATCHES = 2000
METHOD = "/slipway.monitoring.v1.MonitoringService/IngestPredictions"


# -- data ----------------------------------------------------------------------------------------


def make_data(reference_rows: int, current_rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Reference and current matrices, each feature normal with its own mean and scale; the
    features in `SHIFTED` differ in the current, the others are drawn from the same law."""
    rng = np.random.default_rng(seed)
    loc = rng.uniform(-5, 5, FEATURES)
    scale = rng.uniform(0.5, 20, FEATURES)
    reference = rng.standard_normal((reference_rows, FEATURES)) * scale + loc
    noise = rng.standard_normal((current_rows, FEATURES))
    noise[:, 0] += 0.5
    noise[:, 1] *= 1.5
    noise[:, 2] += 0.05
    noise[:, 3] += np.where(rng.random(current_rows) < 0.2, 2.0, 0.0)
    return reference, noise * scale + loc


def exact_scores(reference: np.ndarray, current: np.ndarray, test: str) -> list[float]:
    """The scipy figure per feature: normed Wasserstein distance or the KS p-value."""
    scores = []
    for j in range(reference.shape[1]):
        ref = np.ascontiguousarray(reference[:, j])
        cur = np.ascontiguousarray(current[:, j])
        if test == "ks":
            scores.append(float(stats.ks_2samp(ref, cur).pvalue))
        else:
            scores.append(float(stats.wasserstein_distance(ref, cur) / np.std(ref)))
    return scores


# -- one drift case --------------------------------------------------------------------------------


@dataclass
class Case:
    label: str
    reference_rows: int
    current_rows: int
    test: str  # "wasserstein" or "ks": what both sides choose for this data
    slipway: dict[str, Any] | None = None
    report: dict[str, Any] | None = None
    evidently: dict[str, Any] | None = None
    exact: list[float] | None = None
    note: str = ""


def run_driver(python: Path, side: str, folder: Path) -> dict[str, Any]:
    config = folder / f"{side}.json"
    result = folder / f"{side}-result.json"
    config.write_text(
        json.dumps(
            {
                "side": side,
                "reference": str(folder / "reference.npy"),
                "current": str(folder / "current.npy"),
                "repeats": REPEATS,
                "budget": REPEAT_BUDGET,
            }
        )
    )
    done = subprocess.run(
        [str(python), str(DRIVER), str(config), str(result)],
        capture_output=True,
        timeout=DRIVER_TIMEOUT,
        cwd=BENCH,
        stdin=subprocess.DEVNULL,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"{side} exited with {done.returncode}: "
            f"{done.stderr.decode(errors='replace').strip()[-800:]}"
        )
    data: dict[str, Any] = json.loads(result.read_text())
    return data


def measure_case(case: Case, seed: int, evidently: Path | None, scratch: Path) -> None:
    folder = scratch / case.label
    folder.mkdir()
    reference, current = make_data(case.reference_rows, case.current_rows, seed)
    np.save(folder / "reference.npy", reference)
    np.save(folder / "current.npy", current)
    print(f"  {case.label}: Slipway ...", end="", flush=True)
    sides: list[tuple[str, Path]] = [
        ("slipway", Path(sys.executable)),
        ("report", Path(sys.executable)),
    ]
    if evidently is not None:
        sides.append(("evidently", evidently))
    for side, python in sides:
        if side == "evidently":
            print(" Evidently ...", end="", flush=True)
        elif side == "report":
            print(" report ...", end="", flush=True)
        try:
            setattr(case, side, run_driver(python, side, folder))
        except (RuntimeError, subprocess.TimeoutExpired, OSError) as exc:
            case.note += f"{side}: {type(exc).__name__}: {str(exc)[-300:]} "
    print(" scipy ...", end="", flush=True)
    case.exact = exact_scores(reference, current, case.test)
    for path in folder.iterdir():
        path.unlink()
    print(" done", flush=True)


def deviation(a: float, b: float) -> float:
    if a == b:
        return 0.0
    return abs(a - b) / max(abs(a), abs(b))


def scores(result: dict[str, Any] | None) -> list[float] | None:
    if result is None:
        return None
    return [float(column["score"]) for column in result["columns"].values()]


def worst(a: list[float] | None, b: list[float] | None) -> float | None:
    if a is None or b is None:
        return None
    return max(deviation(x, y) for x, y in zip(a, b, strict=True))


def verdicts(result: dict[str, Any] | None) -> list[bool] | None:
    if result is None:
        return None
    return [bool(column["drifted"]) for column in result["columns"].values()]


def fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def rows_label(n: int) -> str:
    return (
        f"{n // 1_000_000}M"
        if n >= 1_000_000 and n % 1_000_000 == 0
        else (f"{n // 1000}k" if n % 1000 == 0 else str(n))
    )


def print_drift(cases: list[Case]) -> list[tuple[str, bool | None]]:
    header = (
        f"{'reference x current':20} | {'method':11} | {'Slipway s':>9} | "
        f"{'Evidently s':>11} | {'Evidently/Slipway':>17} | {'aim 20x':>7} | "
        f"{'Slipway +MB':>11} | {'Evidently +MB':>13} | {'report s (first)':>16} | "
        f"{'Evidently/report':>16}"
    )
    print(header)
    print("-" * len(header))
    aims: list[tuple[str, bool | None]] = []
    for case in cases:
        ours, theirs = case.slipway, case.evidently
        ratio = theirs["median"] / ours["median"] if ours and theirs else None
        met = None if ratio is None else ratio >= AIM_RATIO
        if case.test == "ks":  # a check of the KS path, not a size the aim is about
            shown = "n/a"
        else:
            shown = "-" if met is None else ("met" if met else "MISSED")
            aims.append(
                (f"drift report {case.label}: at least {AIM_RATIO:.0f}x faster than Evidently", met)
            )

        def runs(result: dict[str, Any] | None) -> str:
            if result is None:
                return "-"
            return f"{result['median']:.3f}" + (
                f" ({len(result['seconds'])})" if len(result["seconds"]) > 1 else ""
            )

        def extra(result: dict[str, Any] | None) -> float | None:
            if result is None or result["rss_peak_mb"] is None:
                return None
            return float(result["rss_peak_mb"] - result["rss_before_mb"])

        report = case.report
        report_ratio = theirs["median"] / report["median"] if report and theirs else None
        if case.test != "ks":
            aims.append(
                (
                    f"service report {case.label}: at least {AIM_RATIO:.0f}x faster than Evidently",
                    None if report_ratio is None else report_ratio >= AIM_RATIO,
                )
            )
        first = f" ({report['seconds'][0]:.3f})" if report else ""
        print(
            f"{case.label:20} | {case.test:11} | {runs(ours):>9} | {runs(theirs):>11} | "
            f"{fmt(ratio, '.1f') + 'x' if ratio else '-':>17} | "
            f"{shown:>7} | "
            f"{fmt(extra(ours), '.0f'):>11} | {fmt(extra(theirs), '.0f'):>13} | "
            f"{(runs(report) if report else '-') + first:>16} | "
            f"{fmt(report_ratio, '.1f') + 'x' if report_ratio else '-':>16}"
        )
    print(
        "(seconds: median of the runs in brackets, one run when there is no bracket; "
        "+MB: peak RSS during the report over RSS before it;\n the KS case is no aim: both "
        "sides spend most of it in the same exact scipy.stats.ks_2samp p-value;\n Slipway: "
        "stats.drift.dataset_drift; report: the service's reports.build_report on every row, "
        "its first run (in brackets after the runs) fitting the reference's multivariate model, "
        "which the service keeps per reference)"
    )
    print()
    header = (
        f"{'reference x current':20} | {'Slipway vs scipy':>16} | "
        f"{'Evidently vs scipy':>18} | {'Slipway vs Evidently':>20} | "
        f"{'verdicts agree':>14} | drifted (Slipway / Evidently)"
    )
    print(header)
    print("-" * len(header))
    for case in cases:
        ours_scores, their_scores = scores(case.slipway), scores(case.evidently)
        a, b = verdicts(case.slipway), verdicts(case.evidently)
        agree = None if a is None or b is None else sum(x == y for x, y in zip(a, b, strict=True))
        agreement = worst(ours_scores, case.exact)
        aims.append(
            (
                f"drift report {case.label}: Slipway within {TOLERANCE:g} of scipy",
                None if agreement is None else agreement <= TOLERANCE,
            )
        )
        if their_scores is not None:
            both = worst(ours_scores, their_scores)
            aims.append(
                (
                    f"drift report {case.label}: Slipway within {TOLERANCE:g} of Evidently, "
                    f"same verdicts",
                    None
                    if both is None or agree is None
                    else both <= TOLERANCE and agree == len(ours_scores or []),
                )
            )

        def share(result: dict[str, Any] | None) -> str:
            if result is None:
                return "-"
            return (
                f"{round(result['drifted_share'] * FEATURES)}/{FEATURES}"
                f"{' dataset' if result['dataset_drifted'] else ''}"
            )

        print(
            f"{case.label:20} | {fmt(agreement, '.1e'):>16} | "
            f"{fmt(worst(their_scores, case.exact), '.1e'):>18} | "
            f"{fmt(worst(ours_scores, their_scores), '.1e'):>20} | "
            f"{'-' if agree is None else f'{agree}/{FEATURES}':>14} | "
            f"{share(case.slipway)} / {share(case.evidently)}"
        )
        if case.note:
            print(f"  note: {case.note.strip()}")
    print(
        "(largest relative difference over the 20 features of the figure each side reports: "
        "normed Wasserstein distance, or KS p-value)"
    )
    return aims


# -- ingest --------------------------------------------------------------------------------------


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def record_templates(rows: int, count: int, seed: int) -> list[tuple[bytes, bytes]]:
    """Serialised `PredictionRecord`s as serving builds them, split around the request id (field
    1, written first) so a batch can give each record an id of its own."""
    rng = np.random.default_rng(seed)
    stamp = Timestamp()
    stamp.GetCurrentTime()
    placeholder = "0" * 32
    templates = []
    for _ in range(count):
        matrix = rng.standard_normal((rows, FEATURES))
        proba = rng.random(rows)
        record = prediction_record_pb2.PredictionRecord(
            request_id=placeholder,
            model_version="models/bench/versions/1",
            alias="production",
            role=prediction_record_pb2.TRAFFIC_ROLE_PRIMARY,
            predict_time=stamp,
            row_count=rows,
        )
        for j in range(FEATURES):
            record.inputs.append(
                tensor_pb2.Tensor(
                    name=f"f{j:02d}",
                    data_type=tensor_pb2.DATA_TYPE_FP64,
                    shape=[rows],
                    raw_contents=np.ascontiguousarray(matrix[:, j], dtype="<f8").tobytes(),
                )
            )
        record.outputs.append(
            tensor_pb2.Tensor(
                name="predict",
                data_type=tensor_pb2.DATA_TYPE_INT64,
                shape=[rows],
                raw_contents=(proba > 0.5).astype("<i8").tobytes(),
            )
        )
        record.outputs.append(
            tensor_pb2.Tensor(
                name="predict_proba",
                data_type=tensor_pb2.DATA_TYPE_FP64,
                shape=[rows, 2],
                raw_contents=np.column_stack([1 - proba, proba]).astype("<f8").tobytes(),
            )
        )
        data = record.SerializeToString()
        head = _field(1, placeholder.encode())
        if not data.startswith(head):
            raise RuntimeError("a PredictionRecord does not start with its request id")
        templates.append((data[:2], data[len(head) :]))
    return templates


def batch_bytes(
    templates: list[tuple[bytes, bytes]], records: int, batch: int
) -> tuple[bytes, list[str]]:
    """One serialised `IngestPredictionsRequest`: `records` records with fresh request ids."""
    ids = [uuid.uuid4().hex for _ in range(records)]
    parts = []
    for i, request_id in enumerate(ids):
        head, tail = templates[(batch + i) % len(templates)]
        body = head + request_id.encode() + tail
        parts.append(_varint(1 << 3 | 2) + _varint(len(body)) + body)
    parts.append(_field(3, b"bench"))
    parts.append(_field(4, uuid.uuid4().hex.encode()))
    return b"".join(parts), ids


@dataclass
class IngestResult:
    rows_per_record: int
    batches: int
    records: int
    rows: int
    seconds: float
    latencies: list[float]
    stored_records: int
    stored_rows: int
    audit_events: int
    error: str = ""

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0

    @property
    def records_per_second(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0


def ingest(
    rows_per_record: int, seconds: float, seed: int, home: Path, database_url: str = ""
) -> IngestResult:
    """Start a monitoring service on a fresh database (SQLite in `home`, or `database_url`),
    send to it, count what it stored."""
    home.mkdir()
    tokens = home / "tokens.json"
    token = add_token(tokens, "bench-sender", ["service"])
    settings = MonitoringSettings(
        home=home,
        grpc_address="127.0.0.1:0",
        metrics_address="127.0.0.1:0",
        log_format="console",
        log_level="warning",
        tokens_file=tokens,
        shutdown_grace_seconds=5.0,
        database_url=database_url,
        auto_migrate=True,
    )
    templates = record_templates(rows_per_record, 16, seed)
    check, _ = batch_bytes(templates, 2, 0)
    parsed = pb.IngestPredictionsRequest.FromString(check)  # the hand-made bytes are valid
    if len(parsed.records) != 2 or parsed.records[1].row_count != rows_per_record:
        raise RuntimeError("the hand-made IngestPredictionsRequest does not parse back")
    db = open_database(settings)  # embedded SQLite, migrated as `slipway monitoring` does
    try:
        result = asyncio.run(
            _serve_and_send(settings, db, token, templates, rows_per_record, seconds)
        )
        with db.unit_of_work(read_only=True) as session:
            result.stored_records = (
                session.scalar(select(func.count()).select_from(PredictionRow)) or 0
            )
            result.stored_rows = session.scalar(select(func.sum(PredictionRow.row_count))) or 0
            result.audit_events = (
                session.scalar(
                    select(func.count())
                    .select_from(AuditEventRow)
                    .where(AuditEventRow.action == "monitoring.IngestPredictions")
                )
                or 0
            )
        return result
    finally:
        db.dispose()


async def _serve_and_send(
    settings: MonitoringSettings,
    db: Database,
    token: str,
    templates: list[tuple[bytes, bytes]],
    rows_per_record: int,
    seconds: float,
) -> IngestResult:
    app = monitoring_main.build(settings, db)
    server = SlipwayServer(settings, app.services, auditor=DatabaseEdgeAuditor(db, "monitoring"))
    await server.start()
    await server.set_serving()
    if app.on_ready is not None:
        await app.on_ready()
    try:
        async with grpc.aio.insecure_channel(server.grpc_address) as channel:
            call: Any = channel.stream_unary(
                METHOD,
                request_serializer=None,
                response_deserializer=pb.IngestPredictionsResponse.FromString,
            )
            metadata = (("authorization", f"Bearer {token}"),)
            return await _send(call, metadata, templates, rows_per_record, seconds)
    finally:
        if app.on_stopping is not None:
            await app.on_stopping()
        await server.stop(grace=2.0)
        if app.on_stop is not None:
            await app.on_stop()


async def _send(
    call: Any,
    metadata: tuple[tuple[str, str], ...],
    templates: list[tuple[bytes, bytes]],
    rows_per_record: int,
    seconds: float,
) -> IngestResult:
    result = IngestResult(rows_per_record, 0, 0, 0, 0.0, [], 0, 0, 0)
    # Two untimed batches: connection, first queries.
    for warm in range(2):
        request, _ = batch_bytes(templates, RECORDS_PER_BATCH, warm)
        await _one(call, metadata, request)
    began = time.perf_counter()
    stop = began + seconds
    while result.batches < MAX_BATCHES and time.perf_counter() < stop:
        request, _ = batch_bytes(templates, RECORDS_PER_BATCH, result.batches)
        start = time.perf_counter()
        try:
            reply = await _one(call, metadata, request)
        except grpc.aio.AioRpcError as error:
            result.error = f"{error.code().name}: {error.details()}"
            break
        result.latencies.append(time.perf_counter() - start)
        if reply.accepted_record_count != RECORDS_PER_BATCH:
            result.error = f"a batch was not accepted whole: {reply}"
            break
        result.batches += 1
        result.records += int(reply.accepted_record_count)
        result.rows += int(reply.accepted_row_count)
    result.seconds = time.perf_counter() - began
    return result


async def _one(
    call: Any, metadata: tuple[tuple[str, str], ...], request: bytes
) -> pb.IngestPredictionsResponse:
    async def one() -> Any:
        yield request

    reply: pb.IngestPredictionsResponse = await call(one(), metadata=metadata, timeout=60.0)
    return reply


def ingest_in_process(
    rows_per_record: int, seconds: float, seed: int, code: Path | None, database_url: str = ""
) -> IngestResult:
    """`ingest` in a fresh process: with `code`, on the services and client found there."""
    env = dict(os.environ)
    if code is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(code / "services"), str(code / "clients/python")])
    done = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--ingest-worker",
            json.dumps([rows_per_record, seconds, seed, database_url]),
        ],
        capture_output=True,
        timeout=seconds + 300.0,
        cwd=BENCH,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr.decode(errors="replace").strip()[-800:])
    return IngestResult(**json.loads(done.stdout.decode().strip().splitlines()[-1]))


def ingest_worker(spec: str) -> int:
    rows, seconds, seed, url = json.loads(spec)
    with tempfile.TemporaryDirectory(prefix="slipway-bench-ingest-") as scratch:
        result = ingest(int(rows), float(seconds), int(seed), Path(scratch) / "home", url)
    print(json.dumps(result.__dict__))
    return 0


def baseline_code(revision: str, into: Path) -> Path:
    """The services and client of `revision` (of the repository this bench is in), unpacked."""
    root = BENCH.parent
    archive = subprocess.run(
        ["git", "-C", str(root), "archive", revision, "services", "clients/python"],
        capture_output=True,
        check=True,
        timeout=120,
    ).stdout
    into.mkdir()
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True, timeout=120)
    return into


def print_ingest_ratio(
    revision: str, before: list[IngestResult], after: list[IngestResult]
) -> None:
    header = f"{'rows/record':>11} | {revision + ' rows/s':>16} | {'this rows/s':>11} | ratio"
    print(header)
    print("-" * len(header))
    for old, new in zip(before, after, strict=True):
        ratio = new.rows_per_second / old.rows_per_second if old.rows_per_second else None
        print(
            f"{new.rows_per_record:>11} | {old.rows_per_second:>16,.0f} | "
            f"{new.rows_per_second:>11,.0f} | {fmt(ratio, '.2f')}x"
        )
    print("(the two sides measured in turn, each case in a fresh process)")


def print_ingest(results: list[IngestResult], database: str) -> list[tuple[str, bool | None]]:
    header = (
        f"{'rows/record':>11} | {'rows/s':>9} | {'records/s':>9} | {'batches':>7} | "
        f"{'s':>5} | {'batch p50 ms':>12} | {'batch p99 ms':>12} | stored records, "
        f"audit events (warm-up included)"
    )
    print(header)
    print("-" * len(header))
    aims: list[tuple[str, bool | None]] = []
    for r in results:
        ordered = sorted(r.latencies)
        p50 = statistics.median(ordered) * 1000 if ordered else None
        p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000 if ordered else None
        expected = (r.batches + 2) * RECORDS_PER_BATCH
        checks = f"{r.stored_records} of {expected}, {r.audit_events} of {r.batches + 2}" + (
            " OK"
            if r.stored_records == expected and r.audit_events == r.batches + 2
            else " MISMATCH"
        )
        print(
            f"{r.rows_per_record:>11} | {r.rows_per_second:>9,.0f} | "
            f"{r.records_per_second:>9,.0f} | {r.batches:>7} | {r.seconds:>5.1f} | "
            f"{fmt(p50, '.1f'):>12} | {fmt(p99, '.1f'):>12} | {checks}"
        )
        if r.error:
            print(f"  error: {r.error}")
        aims.append(
            (
                f"ingest on {database}, {r.rows_per_record} row(s)/record: at least "
                f"{AIM_ROWS_PER_SECOND:,} rows/s",
                None if r.error else r.rows_per_second >= AIM_ROWS_PER_SECOND,
            )
        )
    print(
        f"(batches of {RECORDS_PER_BATCH} records, one IngestPredictions call each, one sender; "
        + ("SQLite file, WAL)" if database == "sqlite" else "PostgreSQL on loopback)")
    )
    return aims


def run_ingest(
    args: argparse.Namespace, seconds: float, database: str, base: Path | None
) -> list[tuple[str, bool | None]]:
    """The ingest cases on one kind of database (a fresh one per case and side), each side of a
    case in a process of its own, the baseline first."""
    print()
    print(f"ingest on {database}: a monitoring service per case and side, loopback gRPC")
    with contextlib.ExitStack() as stack:
        if database == "postgresql":
            sys.path.insert(0, str(BENCH.parent / "tests"))  # the suite's throwaway cluster
            from support.postgres import running_cluster

            cluster = stack.enter_context(running_cluster())

            def fresh() -> str:
                return cluster.url(cluster.create_database())
        elif database == "sqlite":

            def fresh() -> str:
                return ""  # the service's embedded SQLite file, in its own folder
        else:
            raise SystemExit(f"unknown database {database!r}")
        results: list[IngestResult] = []
        before: list[IngestResult] = []
        for rows in (int(r) for r in args.ingest_rows.split(",") if r.strip()):
            print(f"  {rows} row(s)/record ...", end="", flush=True)
            if base is not None:
                before.append(ingest_in_process(rows, seconds, args.seed, base, fresh()))
                print(f" {args.baseline} ...", end="", flush=True)
            results.append(ingest_in_process(rows, seconds, args.seed, None, fresh()))
            print(" done", flush=True)
    aims = print_ingest(results, database)
    if base is not None:
        print()
        print_ingest_ratio(args.baseline, before, results)
    return aims


# -- main ----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes",
        default="10000,100000,1000000",
        help="rows of reference and of current, comma-separated",
    )
    parser.add_argument(
        "--ingest-seconds", type=float, default=20.0, help="time cap of each ingest measurement"
    )
    parser.add_argument(
        "--quick", action="store_true", help="10k rows only and 3 s of ingest per case"
    )
    parser.add_argument("--skip-evidently", action="store_true")
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument("--ingest-only", action="store_true", help="no drift report")
    parser.add_argument(
        "--ingest-rows", default="1,8,64", help="rows per record of the ingest cases"
    )
    parser.add_argument(
        "--baseline", metavar="REV", help="measure ingest on this git revision's code too"
    )
    parser.add_argument(
        "--ingest-databases", default="sqlite", help="comma-separated: sqlite, postgresql"
    )
    parser.add_argument("--ingest-worker", help=argparse.SUPPRESS)  # [rows, s, seed, url]
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if args.ingest_worker:
        configure_logging("console", "error", service="monitoring")
        return ingest_worker(args.ingest_worker)
    sizes = [10_000] if args.quick else [int(s) for s in args.sizes.split(",") if s.strip()]
    ingest_seconds = 3.0 if args.quick else args.ingest_seconds
    configure_logging("console", "error", service="monitoring")
    began = time.monotonic()
    print(
        f"monitoring benchmark: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )

    evidently: Path | None = None
    if not args.skip_evidently and not args.ingest_only:
        try:
            evidently = evidently_env.ensure()
        except RuntimeError as exc:
            print(f"Evidently: skipped ({exc})")
    cases = [Case(f"{rows_label(n)} x {rows_label(n)}", n, n, "wasserstein") for n in sizes]
    cases.append(
        Case(
            f"{rows_label(SMALL_REFERENCE)} x {rows_label(SMALL_CURRENT)}",
            SMALL_REFERENCE,
            SMALL_CURRENT,
            "ks",
        )
    )
    if args.ingest_only:
        cases = []
    aims: list[tuple[str, bool | None]] = []
    with tempfile.TemporaryDirectory(prefix="slipway-bench-monitoring-") as scratch:
        if cases:
            print(
                f"drift report: {FEATURES} numeric features (shifted in the current: "
                + ", ".join(f"f{j:02d} {what}" for j, what in SHIFTED.items())
                + ")",
                flush=True,
            )
        for case in cases:
            measure_case(case, args.seed, evidently, Path(scratch))
        if cases:
            print()
            aims += print_drift(cases)
        if not args.skip_ingest:
            print()
            base = None
            if args.baseline:
                base = baseline_code(args.baseline, Path(scratch) / "baseline")
            for database in args.ingest_databases.split(","):
                aims += run_ingest(args, ingest_seconds, database.strip(), base)
    print()
    print("aims:")
    for label, met in aims:
        print(f"  {label:75} {'-' if met is None else ('met' if met else 'MISSED')}")
    print(f"done in {time.monotonic() - began:.0f} s (load average {os.getloadavg()[0]:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
