"""Drift verdicts through the whole service against Evidently's preset, on the ground-truth cases.

Issue 17's must-show cases (`tests/support/drift_cases.py`: no drift, a mean shift in 3 of 20
features, variance changes, a categorical frequency change, unseen categories, missing values,
200,000 rows with a tiny shift, concept drift with unchanged inputs, a correlation change) go
through a real suite, `slipway up` on loopback with SQLite in a temporary folder
(`bench/suite_process.py`): registry, training, serving and monitoring, each its own process.
For each case:

1. its reference (the features and a label) is written as a Parquet dataset into training's data
   root, and `CreateTrainingJob` fits a logistic regression on it (numbers imputed and scaled,
   categories imputed and one-hot encoded; training's default 20 % holdout, so the version's
   reference is the other 80 %);
2. an approver sets the alias `production` on the version, and serving loads `model@production`;
3. the case's current rows go through serving's `ModelInfer` (one [N] tensor per feature, as the
   Python client sends them, missing values included), so they reach monitoring through
   serving's prediction log;
4. once the report over the traffic's time range holds every row, each feature's verdict and
   method are compared with the oracle of the tests (`tests/support/evidently_oracle.py`) and,
   unless `--skip-evidently`, with the real Evidently 0.7.23 (`Report([DataDriftPreset()])`
   with no options, in its own virtual environment, via `bench/drift_verdicts.py`), both given
   the case's FULL reference.

A difference is accounted for only where `tests/support/service_cases.py` lists a documented
deviation for that feature and the oracle with that deviation switched on gives the service's
verdict. It prints one agreement table (case | features | agree | method agree | deviations with
their reason), then the features whose verdicts differ, and the time each case took.

Run: `.venv/bin/python bench/drift_service_agreement.py` (about 2 minutes on 2 cores, plus the
one-time install of the Evidently environment; `--skip-evidently`; `--cases a,b`; `--details`
prints every feature). Bounded: `--timeout` (default 900 s) caps the whole run; the suite is
stopped at the end, on failure and on timeout, and the temporary folder removed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import drift_verdicts
from google.protobuf.timestamp_pb2 import Timestamp
from suite_process import Suite, running_suite

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the cases, the oracle and the service helpers

from slipway.inference.v2 import grpc_service_pb2 as infer_pb  # noqa: E402
from slipway.inference.v2 import grpc_service_pb2_grpc as infer_grpc  # noqa: E402
from slipway.monitoring.v1 import monitoring_service_pb2 as monitoring_pb  # noqa: E402
from slipway.monitoring.v1 import monitoring_service_pb2_grpc as monitoring_grpc  # noqa: E402
from slipway.monitoring.v1 import prediction_record_pb2  # noqa: E402
from slipway.registry.v1 import registry_service_pb2 as registry_pb  # noqa: E402
from slipway.registry.v1 import registry_service_pb2_grpc as registry_grpc  # noqa: E402
from slipway.services.serving.sinks.prediction_log import tensor  # noqa: E402
from slipway.training.v1 import training_job_pb2  # noqa: E402
from slipway.training.v1 import training_service_pb2 as training_pb  # noqa: E402
from slipway.training.v1 import training_service_pb2_grpc as training_grpc  # noqa: E402
from support.drift_cases import DriftCase, case  # noqa: E402
from support.service_cases import (  # noqa: E402
    MUST_SHOW,
    REASONS,
    FeatureAgreement,
    compare,
    ground_truth,
    model_id,
    requests,
    training_job,
    write_dataset,
)

CALL_SECONDS = 60.0
STEP_SECONDS = 300.0  # a bound for one case's training, or its ingest
SHORT = {"contingency chi-square": "contingency", "missing-share test": "missing share"}
TERMINAL = {
    training_job_pb2.TRAINING_JOB_STATE_SUCCEEDED,
    training_job_pb2.TRAINING_JOB_STATE_FAILED,
    training_job_pb2.TRAINING_JOB_STATE_CANCELLED,
}


class Deadline:
    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def wait(self, check: Callable[[], Any], what: str, within: float = STEP_SECONDS) -> Any:
        """Poll ``check`` until it returns something truthy; fail after ``within`` seconds or
        at the run's deadline."""
        until = min(time.monotonic() + within, self.end)
        while True:
            value = check()
            if value:
                return value
            if time.monotonic() > until:
                raise TimeoutError(f"timed out waiting for {what}")
            time.sleep(0.1)


def stamp(seconds: float) -> Timestamp:
    value = Timestamp()
    value.FromNanoseconds(int(seconds * 1e9))
    return value


def through_service(suite: Suite, built: DriftCase, deadline: Deadline) -> tuple[Any, float]:
    """Train, promote, serve, send the current rows; the report over them, and the seconds."""
    began = time.perf_counter()
    training = suite.stub("training", training_grpc.TrainingServiceStub)
    registry = suite.stub("registry", registry_grpc.RegistryServiceStub)
    inference = suite.stub("serving", infer_grpc.GRPCInferenceServiceStub)
    monitoring = suite.stub("monitoring", monitoring_grpc.MonitoringServiceStub)
    model = model_id(built)
    write_dataset(built, suite.data_root / f"{model}.parquet")
    job = training.CreateTrainingJob(
        training_pb.CreateTrainingJobRequest(
            training_job=training_job(built, f"{model}.parquet"), request_id=uuid.uuid4().hex
        ),
        metadata=suite.auth("developer"),
        timeout=CALL_SECONDS,
    ).training_job

    def finished() -> Any:
        found = training.GetTrainingJob(
            training_pb.GetTrainingJobRequest(name=job.name),
            metadata=suite.auth("viewer"),
            timeout=CALL_SECONDS,
        ).training_job
        return found if found.state in TERMINAL else None

    done = deadline.wait(finished, f"{job.name} ({built.name}) to finish")
    if done.state != training_job_pb2.TRAINING_JOB_STATE_SUCCEEDED:
        raise RuntimeError(f"{built.name}: training failed: {done.failure}")
    number = int(done.model_version.rsplit("/", 1)[1])
    registry.SetModelAlias(
        registry_pb.SetModelAliasRequest(
            name=f"models/{model}",
            alias="production",
            version_number=number,
            reason=f"drift case {built.name}",
            request_id=uuid.uuid4().hex,
        ),
        metadata=suite.auth("approver"),
        timeout=CALL_SECONDS,
    )
    inference.RepositoryModelLoad(
        infer_pb.RepositoryModelLoadRequest(model_name=f"{model}@production"),
        metadata=suite.auth("admin"),
        timeout=CALL_SECONDS,
    )
    start = time.time() - 1.0
    sent = 0
    for request in requests(built, model):
        reply = inference.ModelInfer(request, metadata=suite.auth("viewer"), timeout=CALL_SECONDS)
        if reply.model_version != str(number):
            raise RuntimeError(f"{built.name}: answered by version {reply.model_version}")
        sent += request.inputs[0].shape[0]

    def every_row() -> Any:
        report = monitoring.ComputeMonitoringReport(
            monitoring_pb.ComputeMonitoringReportRequest(
                model_version=done.model_version,
                start_time=stamp(start),
                end_time=stamp(time.time() + 1.0),
            ),
            metadata=suite.auth("viewer"),
            timeout=CALL_SECONDS,
        ).report
        return report if report.window.row_count >= sent else None

    report = deadline.wait(every_row, f"{sent} rows in the report of {built.name}")
    truths = ground_truth(built, model)
    if truths:
        # The concept drift case: its labels, whose rule changes halfway through the window.
        for first in range(0, len(truths), 20):
            monitoring.IngestGroundTruth(
                monitoring_pb.IngestGroundTruthRequest(
                    ground_truths=[
                        prediction_record_pb2.GroundTruth(
                            request_id=request_id, labels=tensor("label", "BYTES", labels)
                        )
                        for request_id, labels in truths[first : first + 20]
                    ]
                ),
                metadata=suite.auth("developer"),
                timeout=CALL_SECONDS,
            )

        def labeled() -> Any:
            found = every_row()
            return found if found and found.performance.labeled_row_count >= sent else None

        report = deadline.wait(labeled, f"{sent} labels in the report of {built.name}")
    return report, time.perf_counter() - began


def real_verdict(real: dict[str, Any] | None, name: str, feature: str) -> dict[str, Any] | None:
    if real is None or name not in real:
        return None
    column: dict[str, Any] | None = real[name]["columns"].get(feature)
    return column


def summary_row(
    built: DriftCase, rows: list[FeatureAgreement], real: dict[str, Any] | None
) -> tuple[str, ...]:
    n = len(rows)
    agree = sum(r.agrees for r in rows)
    methods = sum(r.method_agrees for r in rows)
    real_text = "not run"
    if real is not None:
        columns = [real_verdict(real, built.name, r.feature) for r in rows]
        real_agree = sum(
            c is not None and c["drifted"] == r.drifted for c, r in zip(columns, rows, strict=True)
        )
        real_methods = sum(
            c is not None and c["method"] == r.method for c, r in zip(columns, rows, strict=True)
        )
        real_text = f"{real_agree}/{n}, methods {real_methods}/{n}"
    deviations = ", ".join(
        f"{r.feature}: {SHORT[r.deviation]}" + ("" if r.explained else " (NOT explained)")
        for r in rows
        if r.deviation
    )
    return (
        built.name,
        str(n),
        f"{agree}/{n}",
        f"{methods}/{n}",
        real_text,
        deviations or "-",
    )


def print_table(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for number, row in enumerate(rows):
        print("  " + " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        if number == 0:
            print("  " + "-+-".join("-" * width for width in widths))


def feature_line(row: FeatureAgreement, real: dict[str, Any] | None) -> str:
    theirs = row.evidently
    column = real_verdict(real, row.case, row.feature)
    real_text = (
        "not run"
        if column is None
        else f"{column['method']} {drift_verdicts.score_text(column['score'])}"
        + (" DRIFT" if column["drifted"] else "")
    )
    return (
        f"  {row.case:<31} {row.feature:<14} {'drift' if row.truth else '-':<6} "
        f"{row.method + ' ' + drift_verdicts.score_text(row.score):<26}"
        f"{' DRIFT' if row.drifted else '':<7} "
        f"{theirs.method + ' ' + drift_verdicts.score_text(theirs.score):<26}"
        f"{' DRIFT' if theirs.drifted else '':<7} {real_text}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--skip-evidently", action="store_true", help="compare with the oracle only"
    )
    parser.add_argument("--cases", default=",".join(MUST_SHOW), help="comma-separated case names")
    parser.add_argument("--details", action="store_true", help="print every feature")
    parser.add_argument("--timeout", type=float, default=900.0, help="cap on the whole run (s)")
    args = parser.parse_args(argv)
    names = [name for name in args.cases.split(",") if name]
    unknown = set(names) - set(MUST_SHOW)
    if unknown:
        parser.error(f"unknown cases {sorted(unknown)}; choose from {', '.join(MUST_SHOW)}")
    deadline = Deadline(args.timeout)
    cases = [case(name) for name in names]

    real: dict[str, Any] | None = None
    if not args.skip_evidently:
        try:
            real, seconds = drift_verdicts.run_evidently(cases)
            print(f"Evidently 0.7.23 (DataDriftPreset, defaults, full reference): {seconds:.1f} s")
        except (RuntimeError, OSError) as exc:
            print(f"Evidently not run: {exc}")

    results: dict[str, tuple[list[FeatureAgreement], Any, float]] = {}
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="slipway-drift-service-") as scratch:
        env = {
            "SLIPWAY_SERVING_PREDICTION_LOG_BATCH": "20",
            "SLIPWAY_SERVING_LOAD_RETRY_SECONDS": "1",
        }
        with running_suite(Path(scratch) / "home", env) as suite:
            print(f"suite up in {time.perf_counter() - began:.1f} s: {suite.addresses}")
            for built in cases:
                try:
                    report, seconds = through_service(suite, built, deadline)
                except Exception:
                    print(f"{built.name} failed; the suite's log ends with:\n{suite.log_tail()}")
                    raise
                by_name = {f.feature: f for f in report.data_drift.features}
                results[built.name] = (compare(built, by_name), report, seconds)
                concept = ""
                if report.performance.labeled_row_count:
                    found = report.performance.concept_drift
                    concept = (
                        f"; with {report.performance.labeled_row_count} labels, concept drift "
                        f"{'DETECTED' if found.detected else 'not detected'} "
                        f"(statistic {found.statistic:.1f}), data drift "
                        f"{'DETECTED' if report.data_drift.drifted else 'not detected'}"
                    )
                print(
                    f"  {built.name}: {seconds:.1f} s (reference {report.reference_row_count} "
                    f"rows, {report.reference_sample_row_count} used; window "
                    f"{report.window.row_count} rows, {report.window.sample_row_count} used)"
                    + concept
                )

    table: list[tuple[str, ...]] = [
        (
            "case",
            "features",
            "agree (oracle)",
            "method agree",
            "Evidently 0.7.23 agree",
            "deviations (documented reason)",
        )
    ]
    every: list[FeatureAgreement] = []
    for built in cases:
        rows = results[built.name][0]
        every += rows
        table.append(summary_row(built, rows, real))
    print("\nagreement of the service's verdicts with Evidently's preset given the full reference")
    print_table(table)
    used = sorted({r.deviation for r in every if r.deviation})
    for deviation in used:
        print(f"  {SHORT[deviation]}: {REASONS[deviation]}")

    header = (
        f"  {'case':<31} {'feature':<14} {'truth':<6} {'service':<33} {'oracle (full ref.)':<33} "
        "Evidently 0.7.23"
    )
    shown = every if args.details else [r for r in every if not r.agrees or not r.method_agrees]
    print("\nevery feature" if args.details else "\nfeatures whose verdict or method differs")
    print(header)
    for row in shown:
        print(feature_line(row, real))
    if not shown:
        print("  (none)")

    count = len(every)
    unexplained = [r for r in every if not r.accounted or not r.method_agrees]
    real_mismatch = []
    if real is not None:
        for row in every:
            column = real_verdict(real, row.case, row.feature)
            if column is None or column["drifted"] != row.evidently.drifted:
                real_mismatch.append(f"{row.case}.{row.feature}")
    truth = sum((r.feature in case(r.case).drifted) == r.drifted for r in every)
    print(
        f"\n{count} features of {len(cases)} cases: the service agrees with the oracle on "
        f"{sum(r.agrees for r in every)} verdicts and {sum(r.method_agrees for r in every)} "
        f"methods; {sum(bool(r.deviation) for r in every)} differ by a documented deviation "
        f"({'all explained' if all(r.explained for r in every if r.deviation) else 'NOT all'}); "
        f"unaccounted: {len(unexplained)}; ground truth: {truth}/{count}"
    )
    if real is not None:
        print(
            "real Evidently against the oracle: "
            + ("the same verdict on every feature" if not real_mismatch else str(real_mismatch))
        )
    print(f"suite and cases: {time.perf_counter() - began:.1f} s")
    return 1 if unexplained or real_mismatch else 0


if __name__ == "__main__":
    sys.exit(main())
